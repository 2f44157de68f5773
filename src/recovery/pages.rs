//! The pages a page record touches, each with the dbtime it must have
//! before the change (spec 4.5.1, 4.5.4): one page for node records, up to
//! four for Split2 and Merge2, the FDP and its space-tree roots for FDP
//! creation. Pure over the record's bytes.

use serde::Serialize;
use smallvec::SmallVec;

use crate::format::txlog::record::Record;
use crate::format::types::{le_u32, le_u64};

/// `dbtimeNil`: no before-dbtime (a new page, or one dirtied earlier in the same macro).
pub const DBTIME_NIL: u64 = u64::MAX;

/// A page's role in the record that touches it (one byte, where a name
/// would take sixteen: the planner moves one of these per page record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageRole {
    /// The record's own page.
    Page,
    /// A page the record creates (split, page move).
    New,
    /// The right sibling.
    Right,
    /// The left sibling.
    Left,
    /// The parent.
    Parent,
    /// The owned-extent tree's root (FDP creation, conversion).
    Oe,
    /// The available-extent tree's root.
    Ae,
    /// A page of an EmptyTree record's list.
    Empty,
}

impl PageRole {
    /// The role's name, as the plan prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::New => "new",
            Self::Right => "right",
            Self::Left => "left",
            Self::Parent => "parent",
            Self::Oe => "oe",
            Self::Ae => "ae",
            Self::Empty => "empty",
        }
    }
}

impl PartialEq<&str> for PageRole {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for PageRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a page record says about one page it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Touch {
    /// The page.
    pub pgno: u32,
    /// Its role in the record (`page`, `new`, `right`, `left`, `parent`, `oe`, `ae`, `empty`).
    pub role: PageRole,
    /// The dbtime the page must have before the change; `None` for dbtimeNil.
    pub dbtime_before: Option<u64>,
}

/// The dbtime every touched page has after the record (offset 8, or 12 for NewPage).
pub fn dbtime_after(record: &Record) -> u64 {
    let at = if record.record_type.0 == 95 { 12 } else { 8 };
    le_u64(&record.bytes, at).unwrap_or(0)
}

fn before(value: Option<u64>) -> Option<u64> {
    value.filter(|&v| v != DBTIME_NIL && v != 0)
}

/// The EMPTYPAGE list of an EmptyTree record (u16 length at 44, then
/// 16-byte entries from 46: dbtimeBefore, pgno, page flags) as (pgno,
/// dbtimeBefore); entries that do not fit in the record are left out.
pub fn empty_pages(record: &Record) -> Vec<(u32, u64)> {
    let b = &record.bytes;
    let cb = crate::format::types::le_u16(b, 44).map_or(0, usize::from);
    (0..cb / 16)
        .filter_map(|i| {
            let at = 46 + 16 * i;
            Some((le_u32(b, at + 8)?, le_u64(b, at)?))
        })
        .collect()
}

/// The pages of one record: one without an allocation (most records
/// touch one page; splits, merges and page moves, rare, allocate).
pub type Touches = SmallVec<[Touch; 1]>;

/// The pages `record` touches. Empty for records that are not page records,
/// and for fields that do not fit in the record (a truncated record).
pub fn touches(record: &Record) -> Touches {
    let b = &record.bytes;
    let u32_at = |o: usize| le_u32(b, o);
    let u64_at = |o: usize| le_u64(b, o);
    let mut list = Touches::new();
    let mut push = |pgno: Option<u32>, role: PageRole, dbtime_before: Option<u64>| {
        if let Some(pgno) = pgno.filter(|&p| p != 0) {
            list.push(Touch { pgno, role, dbtime_before });
        }
    };
    let own_before = before(u64_at(16));
    match record.record_type.0 {
        95 => push(u32_at(4), PageRole::Page, None),
        // CreateMultipleExtentFDP: FDP root, owned- and available-extent roots
        24 => {
            push(u32_at(4), PageRole::Page, None);
            push(u32_at(36), PageRole::Oe, None);
            push(u32_at(40), PageRole::Ae, None);
        }
        25 => push(u32_at(4), PageRole::Page, None),
        // ConvertFDP2: the root is converted, its OE/AE roots are new
        58 => {
            push(u32_at(4), PageRole::Page, own_before);
            push(u32_at(36), PageRole::Oe, None);
            push(u32_at(40), PageRole::Ae, None);
        }
        // EmptyTree: the root, then each page of its EMPTYPAGE list
        48 => {
            push(u32_at(4), PageRole::Page, own_before);
            for (pgno, dbtime_before) in empty_pages(record) {
                push(Some(pgno), PageRole::Empty, before(Some(dbtime_before)));
            }
        }
        // PageMove: source, destination (new), left and right siblings, parent
        65 => {
            push(u32_at(4), PageRole::Page, own_before);
            push(u32_at(32), PageRole::New, None);
            push(u32_at(36), PageRole::Left, before(u64_at(48)));
            push(u32_at(40), PageRole::Right, before(u64_at(56)));
            push(u32_at(44), PageRole::Parent, before(u64_at(64)));
        }
        62 => {
            push(u32_at(4), PageRole::Page, own_before);
            push(u32_at(32), PageRole::New, None);
            push(u32_at(36), PageRole::Right, before(u64_at(40)));
            push(u32_at(48), PageRole::Parent, before(u64_at(52)));
        }
        63 => {
            push(u32_at(4), PageRole::Page, own_before);
            push(u32_at(32), PageRole::Right, before(u64_at(36)));
            push(u32_at(44), PageRole::Left, before(u64_at(48)));
            push(u32_at(56), PageRole::Parent, before(u64_at(60)));
        }
        t if record.record_type.is_page_record() && t != 95 => push(u32_at(4), PageRole::Page, own_before),
        _ => {}
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txlog::record::RecordType;
    use crate::format::Lgpos;

    fn record(t: u8, bytes: Vec<u8>) -> Record {
        Record {
            lgpos: Lgpos::default(),
            file_offset: 0,
            record_type: RecordType(t),
            bytes: bytes.into(),
            fragmented: false,
        }
    }

    #[test]
    fn split_touches_four_pages() {
        let mut b = vec![0u8; 110];
        b[0] = 62;
        b[4..8].copy_from_slice(&10u32.to_le_bytes());
        b[8..16].copy_from_slice(&0x500u64.to_le_bytes());
        b[16..24].copy_from_slice(&0x400u64.to_le_bytes());
        b[32..36].copy_from_slice(&11u32.to_le_bytes());
        b[36..40].copy_from_slice(&12u32.to_le_bytes());
        b[40..48].copy_from_slice(&0x300u64.to_le_bytes());
        b[48..52].copy_from_slice(&9u32.to_le_bytes());
        b[52..60].copy_from_slice(&u64::MAX.to_le_bytes());
        let r = record(62, b);
        assert_eq!(dbtime_after(&r), 0x500);
        let t = touches(&r).to_vec();
        assert_eq!(
            t,
            vec![
                Touch { pgno: 10, role: PageRole::Page, dbtime_before: Some(0x400) },
                Touch { pgno: 11, role: PageRole::New, dbtime_before: None },
                Touch { pgno: 12, role: PageRole::Right, dbtime_before: Some(0x300) },
                Touch { pgno: 9, role: PageRole::Parent, dbtime_before: None },
            ]
        );
    }

    #[test]
    fn new_page_has_its_dbtime_at_12() {
        let mut b = vec![0u8; 20];
        b[0] = 95;
        b[4..8].copy_from_slice(&7u32.to_le_bytes());
        b[12..20].copy_from_slice(&0x77u64.to_le_bytes());
        let r = record(95, b);
        assert_eq!(dbtime_after(&r), 0x77);
        assert_eq!(touches(&r).to_vec(), vec![Touch { pgno: 7, role: PageRole::Page, dbtime_before: None }]);
    }
}
