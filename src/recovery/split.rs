//! Redo of Split2 macros (spec 4.5.4, 6.6) on page images: the split
//! page's lines, with the macro's own operation (the Insert, Replace or
//! FlagInsertAndReplaceData logged with dbtimeBefore nil) put in at
//! `ilineOper`, are cut at `ilineSplit`; the upper part moves to the new
//! page (all of them in a vertical split of a root, which then points to
//! the new page alone). The parent gets the logged separator key at the
//! `ilineOper` of its own Split2 record, pointing to the split page, and the
//! line after it now points to the new page; sibling links follow.
//! Checked against the real logs: in the parents the separator and the
//! two pointers sit exactly there, and untouched split pages hold
//! `ilineSplit` lines with the rest on the new page.
//!
//! Key prefixes are chosen again (the logged prefix lines, every key
//! stored against them); that changes how keys are stored, not the keys.

use super::node_op;
use crate::format::page::PageFlags;
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32};
use crate::format::{DbTime, PageNumber};
use crate::writer::page::{common_prefix_len, NodeImage, PageImage};

/// The fields of a Split2 record that redo uses.
#[derive(Debug, Clone)]
pub struct Split {
    /// The page split.
    pub pgno: u32,
    /// The new page (0: a path page that only receives a separator).
    pub pgno_new: u32,
    /// The right sibling of the split page.
    pub pgno_right: u32,
    /// The parent.
    pub pgno_parent: u32,
    /// 0 vertical, 1 right, 2 append.
    pub split_type: u8,
    /// 0 none, 1 insert, 2 replace, 3 flag-insert-and-replace-data.
    pub oper: u8,
    /// Line of the operation (in a path page: where the separator goes).
    pub iline_oper: u16,
    /// First line that moves.
    pub iline_split: u16,
    /// Lines of the split page with the operation.
    pub clines: u16,
    /// Flags of the new page and of the split page after the split.
    pub flags: (u32, u32),
    /// Line of the split page whose key is its new prefix (-1: unchanged).
    pub iline_prefix_split: i32,
    /// Line of the new page whose key is its prefix (-1: none).
    pub iline_prefix_new: i32,
    /// The separator key for the parent.
    pub key_parent: Vec<u8>,
    /// The split page's new prefix, as logged.
    pub prefix_split_new: Vec<u8>,
}

impl Split {
    /// Decodes a Split2 record.
    ///
    /// # Errors
    /// The record is too short for its fields and tail.
    pub fn parse(record: &Record) -> Result<Self, String> {
        let b = &record.bytes;
        let short = || "Split2 record too short".to_string();
        let u32_at = |o: usize| le_u32(b, o).ok_or_else(short);
        let u16_at = |o: usize| le_u16(b, o).ok_or_else(short);
        let (cb_old, cb_new, cb_key) =
            (usize::from(u16_at(96)?), usize::from(u16_at(98)?), usize::from(u16_at(100)?));
        let tail = b.get(110..).ok_or_else(short)?;
        let key_parent = tail.get(..cb_key).ok_or_else(short)?.to_vec();
        let prefix_split_new =
            tail.get(cb_key + cb_old..cb_key + cb_old + cb_new).ok_or_else(short)?.to_vec();
        Ok(Self {
            pgno: u32_at(4)?,
            pgno_new: u32_at(32)?,
            pgno_right: u32_at(36)?,
            pgno_parent: u32_at(48)?,
            split_type: *b.get(68).ok_or_else(short)?,
            oper: *b.get(69).ok_or_else(short)?,
            iline_oper: u16_at(70)?,
            iline_split: u16_at(72)?,
            clines: u16_at(74)?,
            flags: (u32_at(76)?, u32_at(80)?),
            iline_prefix_split: u32_at(88)? as i32,
            iline_prefix_new: u32_at(92)? as i32,
            key_parent,
            prefix_split_new,
        })
    }
}

/// Stores every key of `page` against `prefix` (its new tag 0).
fn set_prefix(page: &mut PageImage, prefix: Vec<u8>) {
    for node in &mut page.nodes {
        let shared = common_prefix_len(&node.key, &prefix);
        node.prefix_len = if shared > 1 { shared } else { 0 };
    }
    page.external_header = prefix;
}

/// The result of a split: the pages it changed.
pub struct SplitPages {
    /// The split page.
    pub split: PageImage,
    /// The new page.
    pub new: PageImage,
}

/// Splits `split` (its state before the macro) into itself and `new` (a
/// fresh page of the tree, from NewPage), applying the macro's operation
/// `oper` at `ilineOper` first. All pages get `dbtime`.
///
/// # Errors
/// Line numbers that do not fit the page, or an operation that does not apply.
pub fn split_pages(
    s: &Split,
    mut split: PageImage,
    mut new: PageImage,
    oper: Option<&Record>,
    dbtime: u64,
) -> Result<SplitPages, String> {
    // the lines with the operation in place (spec 6.6)
    if let Some(record) = oper {
        let mut bytes = record.bytes.to_vec();
        if let Some(slot) = bytes.get_mut(29..31) {
            slot.copy_from_slice(&s.iline_oper.to_le_bytes());
        }
        node_op::apply(&mut split, &Record { bytes: bytes.into(), ..record.clone() })?;
    }
    if split.nodes.len() != usize::from(s.clines) {
        return Err(format!(
            "the split page has {} lines with the operation, the Split2 record says {}",
            split.nodes.len(),
            s.clines
        ));
    }
    new.objid = split.objid;
    new.flags = PageFlags(s.flags.0);
    if s.split_type == 0 {
        // vertical: everything moves down; the root points to the new page
        new.nodes = std::mem::take(&mut split.nodes);
        new.prev = PageNumber::NULL;
        new.next = PageNumber::NULL;
        let prefix =
            usize::try_from(s.iline_prefix_new).ok().and_then(|i| new.nodes.get(i)).map(|n| n.key.clone());
        set_prefix(&mut new, prefix.unwrap_or_default());
        split.nodes = vec![NodeImage {
            key: Vec::new(),
            prefix_len: 0,
            data: s.pgno_new.to_le_bytes().to_vec(),
            flags: NodeFlags::default(),
        }];
        split.flags = PageFlags(s.flags.1);
    } else {
        let at = usize::from(s.iline_split);
        if at > split.nodes.len() {
            return Err(format!("ilineSplit {at} is past the {} lines of the split page", split.nodes.len()));
        }
        new.nodes = split.nodes.split_off(at);
        new.prev = PageNumber(s.pgno);
        new.next = split.next;
        split.next = PageNumber(s.pgno_new);
        let prefix =
            usize::try_from(s.iline_prefix_new).ok().and_then(|i| new.nodes.get(i)).map(|n| n.key.clone());
        set_prefix(&mut new, prefix.unwrap_or_default());
        if s.iline_prefix_split >= 0 {
            set_prefix(&mut split, s.prefix_split_new.clone());
        } else {
            let keep = split.external_header.clone();
            set_prefix(&mut split, keep);
        }
        split.flags = PageFlags(s.flags.1);
    }
    split.dbtime = DbTime(dbtime);
    new.dbtime = DbTime(dbtime);
    Ok(SplitPages { split, new })
}

/// The parent's part: the separator `key` pointing to the split page goes
/// in at `iline`; the line after it (which pointed to the split page) now
/// points to the new page.
///
/// # Errors
/// The line is not on the parent, or does not point to the split page.
pub fn update_parent(
    parent: &mut PageImage,
    iline: u16,
    key: &[u8],
    split: u32,
    new: u32,
    dbtime: u64,
) -> Result<(), String> {
    let at = usize::from(iline);
    let old = parent.nodes.get_mut(at).ok_or_else(|| format!("parent line {at} is not on the page"))?;
    let points = le_u32(&old.data, old.data.len().saturating_sub(4));
    if points != Some(split) {
        return Err(format!("parent line {at} points to page {points:?}, not to the split page {split}"));
    }
    let tail = old.data.len() - 4;
    if let Some(slot) = old.data.get_mut(tail..) {
        slot.copy_from_slice(&new.to_le_bytes());
    }
    let shared = common_prefix_len(key, &parent.external_header);
    let prefix_len = if parent.flags.contains(PageFlags::ROOT) || shared < 2 { 0 } else { shared };
    parent.nodes.insert(
        at,
        NodeImage {
            key: key.to_vec(),
            prefix_len,
            data: split.to_le_bytes().to_vec(),
            flags: NodeFlags::default(),
        },
    );
    parent.dbtime = DbTime(dbtime);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txlog::record::RecordType;
    use crate::format::{Lgpos, ObjectId, PageSize};
    use crate::writer::log_record::{insert, split2, NodeHeader, Split2, DBTIME_NIL};

    fn header(pgno: u32, iline: u16) -> NodeHeader {
        NodeHeader {
            procid: 1,
            dbid: 1,
            pgno,
            dbtime_after: 0x90,
            dbtime_before: DBTIME_NIL,
            trx_begin0: 1,
            level: 1,
            iline,
            flags: 0,
            rceid: 0,
            pgno_fdp: 5,
            objid_fdp: 7,
        }
    }

    fn record(bytes: Vec<u8>) -> Record {
        Record {
            lgpos: Lgpos::default(),
            file_offset: 0,
            record_type: RecordType(bytes[0]),
            bytes: bytes.into(),
            fragmented: false,
        }
    }

    #[test]
    fn right_split_with_its_insert_and_the_parent() {
        let fields = Split2 {
            pgno_new: 11,
            right: (12, 0x40),
            parent: (5, 0x30),
            fdp: (5, 7),
            split_type: 1,
            oper: 1,
            iline_oper: 1,
            iline_split: 2,
            clines: 4,
            flags: (PageFlags::LEAF.0, PageFlags::LEAF.0),
            prefix_lines: (-1, -1),
            key_parent: b"c".to_vec(),
            prefixes: (Vec::new(), Vec::new()),
        };
        let s = Split::parse(&record(split2(&header(10, 0), &fields))).unwrap();
        assert_eq!((s.pgno, s.pgno_new, s.pgno_right, s.pgno_parent), (10, 11, 12, 5));
        assert_eq!((s.iline_oper, s.iline_split, s.clines, s.key_parent.as_slice()), (1, 2, 4, &b"c"[..]));
        let mut page = PageImage::new(PageNumber(10), PageSize::K4, ObjectId(7), PageFlags::LEAF);
        page.next = PageNumber(12);
        page.nodes = [b"a", b"c", b"d"].iter().map(|k| NodeImage::new(k.to_vec(), b"row".to_vec())).collect();
        let fresh = PageImage::new(PageNumber(11), PageSize::K4, ObjectId(7), PageFlags(0));
        let oper = record(insert(&header(10, 1), b"b", 0, b"new"));
        let done = split_pages(&s, page, fresh, Some(&oper), 0x90).unwrap();
        let keys = |p: &PageImage| p.nodes.iter().map(|n| n.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&done.split), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(keys(&done.new), [b"c".to_vec(), b"d".to_vec()]);
        assert_eq!(
            (done.split.next, done.new.prev, done.new.next),
            (PageNumber(11), PageNumber(10), PageNumber(12))
        );
        let mut parent = PageImage::new(PageNumber(5), PageSize::K4, ObjectId(7), PageFlags::ROOT);
        parent.nodes = vec![NodeImage::new(Vec::new(), 10u32.to_le_bytes().to_vec())];
        update_parent(&mut parent, 0, b"c", 10, 11, 0x90).unwrap();
        assert_eq!(parent.nodes[0].key, b"c");
        assert_eq!(parent.nodes[0].data, 10u32.to_le_bytes());
        assert_eq!(parent.nodes[1].data, 11u32.to_le_bytes());
        assert!(update_parent(&mut parent, 1, b"x", 10, 11, 0x90).is_err(), "line 1 points to 11 now");
    }
}
