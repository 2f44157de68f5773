//! Space management (spec 8): the `SPACE_HEADER` in tag 0 of a tree's
//! root page, in both forms (plain 16 bytes, or a presence bitmap followed
//! by the header and the auto-increment value), and the extents that the
//! owned-extent (OE) and available-extent (AE) trees list.

use serde::Serialize;

use super::types::{le_u32, le_u64, PageNumber};
use super::FormatError;

/// The space header of a tree root (`SPACE_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[doc(alias = "SPACE_HEADER")]
pub struct SpaceHeader {
    /// `cpgPrimary`: the primary extent's size (v2: the last allocation's size).
    pub cpg_primary: u32,
    /// `pgnoParent`: the FDP this tree takes its space from (0 for the database root).
    pub pgno_parent: PageNumber,
    /// The flags byte: 0x01 multiple extents, 0x02 non-unique, 0x04 v2.
    pub flags: u8,
    /// Single extent: `rgbitAvail`, bit k set = page FDP+1+k is free.
    /// Multiple extents: `pgnoOE`.
    pub avail_or_pgno_oe: u32,
    /// The root's maximum auto-increment value, when the 25-byte form carries one.
    pub auto_increment: Option<u64>,
}

impl SpaceHeader {
    /// The tree owns several extents, listed by its OE and AE trees.
    pub fn is_multiple_extent(&self) -> bool {
        self.flags & 0x01 != 0
    }

    /// Root of the owned-extent tree (multiple extents only).
    pub fn pgno_oe(&self) -> Option<PageNumber> {
        self.is_multiple_extent().then_some(PageNumber(self.avail_or_pgno_oe))
    }

    /// Root of the available-extent tree: always the page after the OE root.
    pub fn pgno_ae(&self) -> Option<PageNumber> {
        self.pgno_oe().map(|oe| PageNumber(oe.0.wrapping_add(1)))
    }

    /// Decodes tag 0 of a (non-space-tree) root page. `None` when tag 0 is empty.
    ///
    /// # Errors
    /// Tag 0 has a size that is neither 0, 16 nor a presence-bitmap form.
    pub fn parse(tag0: &[u8]) -> Result<Option<Self>, FormatError> {
        let plain = |b: &[u8]| -> Option<Self> {
            Some(Self {
                cpg_primary: le_u32(b, 0)?,
                pgno_parent: PageNumber(le_u32(b, 4)?),
                flags: *b.get(8)?,
                avail_or_pgno_oe: le_u32(b, 12)?,
                auto_increment: None,
            })
        };
        let bad = FormatError::Truncated { what: "space header in tag 0", need: 16, have: tag0.len() };
        match tag0.len() {
            0 => Ok(None),
            16 => plain(tag0).map(Some).ok_or(bad),
            n if n > 16 => {
                let presence = tag0.first().copied().unwrap_or(0);
                if presence & 0x01 == 0 {
                    return Ok(None);
                }
                let mut header = plain(tag0.get(1..17).ok_or(bad)?).ok_or(bad)?;
                if presence & 0x02 != 0 {
                    header.auto_increment = le_u64(tag0, 17);
                }
                Ok(Some(header))
            }
            _ => Err(bad),
        }
    }

    /// Single-extent trees: the free pages, as runs, within `cpg_primary`:
    /// those the bitmap marks (page FDP+1+k for bit k) and, for an extent
    /// larger than the bitmap's 32 pages, every page past it (spec 8.2).
    /// At most 17 runs whatever `cpg_primary` says: a hostile header cannot
    /// make the list grow with it.
    pub fn free_extents(&self, pgno_fdp: PageNumber) -> Vec<Extent> {
        if self.is_multiple_extent() {
            return Vec::new();
        }
        let size = self.cpg_primary.saturating_sub(1);
        let page = |k: u32| PageNumber(pgno_fdp.0.saturating_add(1).saturating_add(k));
        let mut runs: Vec<Extent> = Vec::new();
        let mut add = |first: PageNumber, last: PageNumber| match runs.last_mut() {
            Some(run) if run.last.0.checked_add(1) == Some(first.0) => run.last = last,
            _ => runs.push(Extent { first, last, pool: 0 }),
        };
        for k in (0..size.min(32)).filter(|&k| self.avail_or_pgno_oe & (1 << k) != 0) {
            add(page(k), page(k));
        }
        if size > 32 {
            add(page(32), page(size - 1));
        }
        runs
    }
}

/// One extent: a run of pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Extent {
    /// First page.
    pub first: PageNumber,
    /// Last page.
    pub last: PageNumber,
    /// The AE pool (0 for OE entries and the general pool).
    pub pool: u8,
}

impl Extent {
    /// Number of pages.
    pub fn len(&self) -> u32 {
        self.last.0.saturating_sub(self.first.0).saturating_add(1)
    }

    /// True for an extent of no pages (never stored, but a damaged node can say so).
    pub fn is_empty(&self) -> bool {
        self.last.0 < self.first.0
    }

    /// True when `pgno` is in the extent.
    pub fn contains(&self, pgno: PageNumber) -> bool {
        (self.first..=self.last).contains(&pgno)
    }

    /// Decodes a space-tree leaf node: key = last page big-endian (4 bytes,
    /// or 5 with a leading `0x80 | pool`), data = page count (i32 LE).
    pub fn parse(key: &[u8], data: &[u8]) -> Option<Self> {
        let (pool, last) = match key {
            [a, b, c, d] => (0, u32::from_be_bytes([*a, *b, *c, *d])),
            [p, a, b, c, d] if p & 0x80 != 0 => (p & 0x7F, u32::from_be_bytes([*a, *b, *c, *d])),
            _ => return None,
        };
        let count = le_u32(data, 0)?;
        if count == 0 || count > last {
            return None;
        }
        Some(Self { first: PageNumber(last - count + 1), last: PageNumber(last), pool })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_header_forms() {
        // spec 8.1 example: 25 bytes, cpgPrimary 7, parent 1, single extent, autoinc 14
        let long = hex::decode("03070000000100000000000000000000000e00000000000000").unwrap();
        let h = SpaceHeader::parse(&long).unwrap().unwrap();
        assert_eq!((h.cpg_primary, h.pgno_parent, h.auto_increment), (7, PageNumber(1), Some(14)));
        assert!(!h.is_multiple_extent());
        let plain = hex::decode("14000000010000000100000005000000").unwrap();
        let h = SpaceHeader::parse(&plain).unwrap().unwrap();
        assert_eq!((h.pgno_oe(), h.pgno_ae()), (Some(PageNumber(5)), Some(PageNumber(6))));
        assert_eq!(SpaceHeader::parse(&[]).unwrap(), None);
        assert!(SpaceHeader::parse(&[1, 2, 3]).is_err());
    }

    #[test]
    fn bitmap_and_extents() {
        let h = SpaceHeader {
            cpg_primary: 4,
            pgno_parent: PageNumber(1),
            flags: 0,
            avail_or_pgno_oe: 0b101,
            auto_increment: None,
        };
        let run = |a, b| Extent { first: PageNumber(a), last: PageNumber(b), pool: 0 };
        assert_eq!(h.free_extents(PageNumber(30)), vec![run(31, 31), run(33, 33)]);
        // Past the bitmap every page is free; a huge cpgPrimary stays one run.
        let big = SpaceHeader { cpg_primary: u32::MAX, avail_or_pgno_oe: u32::MAX, ..h };
        assert_eq!(big.free_extents(PageNumber(30)), vec![run(31, u32::MAX)]);
        let e = Extent::parse(&[0, 0, 0, 23], &20u32.to_le_bytes()).unwrap();
        assert_eq!((e.first, e.last, e.len()), (PageNumber(4), PageNumber(23), 20));
        let pooled = Extent::parse(&[0x81, 0, 0, 0, 9], &1u32.to_le_bytes()).unwrap();
        assert_eq!(pooled.pool, 1);
        assert_eq!(Extent::parse(&[0, 0, 0, 2], &9u32.to_le_bytes()), None);
    }
}
