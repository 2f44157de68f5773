//! Space of one FDP (spec 8): the extents it owns, which of their pages are
//! still free, its `SPACE_HEADER` (tag 0 of its root), and for a
//! multiple-extent FDP the owned-extent (OE) and available-extent (AE)
//! tree pages. Pages are handed out front to back, so every extent stays
//! contiguous and every allocation is deterministic.

use crate::format::page::PageFlags;
use crate::format::{ObjectId, PageNumber, PageSize};

use super::page::{NodeImage, PageImage};
use super::WriteError;

/// `SPACE_HEADER` flag: OE/AE trees exist.
const MULTIPLE_EXTENT: u32 = 0x01;
/// `SPACE_HEADER` flag: the tree allows duplicate keys.
const NON_UNIQUE: u32 = 0x02;
/// A single-extent FDP's `rgbitAvail` covers the 32 pages after its root.
pub const SINGLE_EXTENT_MOST: u32 = 33;

/// Pages `first .. first + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// First page.
    pub first: u32,
    /// Number of pages.
    pub count: u32,
}

impl Extent {
    /// The last page of the extent.
    pub fn last(self) -> u32 {
        self.first + self.count - 1
    }
}

/// The space of one FDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdpSpace {
    /// The FDP's objid (also that of its OE/AE pages).
    pub objid: ObjectId,
    /// Its root page.
    pub pgno_fdp: PageNumber,
    /// The FDP it got its space from (0 for the database root).
    pub parent: PageNumber,
    /// Root of its OE tree for a multiple-extent FDP (AE is the page after).
    pub pgno_oe: Option<PageNumber>,
    /// Whether the tree allows duplicate keys.
    pub non_unique: bool,
    /// The FDP's tree-type page flags (`Index`, `LongValue`), which its
    /// OE/AE pages carry too, as the engine writes them.
    pub tree_kind: PageFlags,
    /// Owned extents; the first is the primary extent.
    pub owned: Vec<Extent>,
    /// Pages not yet handed out, in order.
    free: Vec<u32>,
    /// The primary extent grows when more pages are taken than it has
    /// (the database root, whose size is the file's).
    growable: bool,
}

impl FdpSpace {
    /// A new FDP owning `primary`. Its root (the extent's first page) and,
    /// for a multiple-extent FDP, the OE and AE roots after it are in use;
    /// every other page is free.
    pub fn new(objid: ObjectId, primary: Extent, parent: PageNumber, multiple: bool) -> Self {
        let reserved = if multiple { 3 } else { 1 };
        Self {
            objid,
            pgno_fdp: PageNumber(primary.first),
            parent,
            pgno_oe: multiple.then_some(PageNumber(primary.first + 1)),
            non_unique: false,
            tree_kind: PageFlags(0),
            owned: vec![primary],
            free: (primary.first + reserved..primary.first + primary.count).collect(),
            growable: false,
        }
    }

    /// A multiple-extent FDP whose primary extent grows on demand: the
    /// database root, which owns the file.
    pub fn growable(objid: ObjectId, primary: Extent, parent: PageNumber) -> Self {
        Self { growable: true, ..Self::new(objid, primary, parent, true) }
    }

    /// Pages still free.
    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    /// Takes the next `count` free pages (contiguous, as the free pages of
    /// each extent are handed out in order).
    ///
    /// # Errors
    /// [`WriteError::OutOfPages`] when fewer are free.
    pub fn take(&mut self, count: usize) -> Result<Vec<PageNumber>, WriteError> {
        if self.growable && count > self.free.len() {
            if let Some(primary) = self.owned.first_mut() {
                let end = primary.first + primary.count;
                let missing = (count - self.free.len()) as u32;
                self.free.extend(end..end + missing);
                primary.count += missing;
            }
        }
        if count > self.free.len() {
            return Err(WriteError::OutOfPages { need: count, have: self.free.len() });
        }
        Ok(self.free.drain(..count).map(PageNumber).collect())
    }

    /// Where the first run of `count` consecutive free pages starts in the
    /// free list, if there is one.
    fn run(&self, count: usize) -> Option<usize> {
        if count == 0 {
            return Some(0);
        }
        let mut start = 0;
        for (i, &page) in self.free.iter().enumerate() {
            if i > start && self.free.get(i - 1).is_none_or(|&before| page != before + 1) {
                start = i;
            }
            if i + 1 - start == count {
                return Some(start);
            }
        }
        None
    }

    /// True when `count` consecutive pages are free.
    pub fn has_run(&self, count: u32) -> bool {
        self.run(count as usize).is_some()
    }

    /// Takes `count` contiguous free pages as an extent for a child FDP: the
    /// first such run of the free pages (the database root grows for it).
    ///
    /// # Errors
    /// [`WriteError::OutOfPages`] when no `count` free pages are contiguous.
    pub fn take_extent(&mut self, count: u32) -> Result<Extent, WriteError> {
        let n = count as usize;
        if self.growable && self.run(n).is_none() {
            if let Some(primary) = self.owned.first_mut() {
                // the free pages at the primary extent's end, then new ones
                let end = primary.first + primary.count;
                let tail = self.free.iter().rev().zip((0..end).rev()).take_while(|(p, e)| **p == *e).count();
                let missing = n.saturating_sub(tail) as u32;
                self.free.extend(end..end + missing);
                primary.count += missing;
            }
        }
        let start = self.run(n).ok_or(WriteError::OutOfPages { need: n, have: 0 })?;
        let first = self.free.get(start).copied().unwrap_or(0);
        self.free.drain(start..start + n);
        Ok(Extent { first, count })
    }

    /// Adds a secondary extent (from the parent's free space); all its pages are free.
    pub fn add_extent(&mut self, extent: Extent) {
        self.owned.push(extent);
        self.free.extend(extent.first..extent.first + extent.count);
    }

    /// Resizes the primary extent to `count` pages: pages past the new end
    /// are dropped, new pages are free. For the database root, whose size
    /// is known only once everything else has been placed.
    pub fn set_primary_count(&mut self, count: u32) {
        if let Some(primary) = self.owned.first_mut() {
            let old_end = primary.first + primary.count;
            let new_end = primary.first + count;
            self.free.retain(|&p| p < new_end);
            self.free.extend(old_end..new_end);
            primary.count = count;
        }
    }

    /// The free pages as extents (runs of consecutive pages).
    pub fn free_extents(&self) -> Vec<Extent> {
        let mut runs: Vec<Extent> = Vec::new();
        for &p in &self.free {
            match runs.last_mut() {
                Some(run) if run.first + run.count == p => run.count += 1,
                _ => runs.push(Extent { first: p, count: 1 }),
            }
        }
        runs
    }

    /// The 16-byte `SPACE_HEADER` for tag 0 of the root (spec 8.1).
    ///
    /// # Errors
    /// A single-extent FDP with more than one extent or too large for its bitmap.
    pub fn space_header(&self) -> Result<Vec<u8>, WriteError> {
        let primary = self.owned.first().copied().unwrap_or(Extent { first: self.pgno_fdp.0, count: 1 });
        let mut flags = if self.non_unique { NON_UNIQUE } else { 0 };
        let last = match self.pgno_oe {
            Some(oe) => {
                flags |= MULTIPLE_EXTENT;
                oe.0
            }
            None => {
                if self.owned.len() != 1 || primary.count > SINGLE_EXTENT_MOST {
                    return Err(WriteError::OutOfPages { need: primary.count as usize, have: 33 });
                }
                // rgbitAvail: bit k set = page pgnoFDP + 1 + k is free.
                self.free.iter().fold(0u32, |bits, p| bits | 1 << (p - primary.first - 1))
            }
        };
        let mut header = Vec::with_capacity(16);
        for v in [primary.count, self.parent.0, flags, last] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        Ok(header)
    }

    /// The OE and AE root pages of a multiple-extent FDP (none otherwise).
    /// Each is a single leaf: key = last page of the extent (big-endian),
    /// data = its page count (spec 8.3); tag 0 is the empty split buffer.
    pub fn space_tree_pages(&self, size: PageSize, dbtime: &mut u64) -> Vec<PageImage> {
        let Some(oe) = self.pgno_oe else { return Vec::new() };
        let kind = PageFlags(self.tree_kind.0 & (PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0));
        let flags =
            PageFlags::ROOT | PageFlags::LEAF | PageFlags::SPACE_TREE | PageFlags::NEW_RECORD_FORMAT | kind;
        let extent_nodes = |extents: &[Extent]| -> Vec<NodeImage> {
            extents
                .iter()
                .map(|e| NodeImage::new(e.last().to_be_bytes().to_vec(), e.count.to_le_bytes().to_vec()))
                .collect()
        };
        let mut sorted = self.owned.clone();
        sorted.sort_by_key(|e| e.first);
        [(oe, extent_nodes(&sorted)), (PageNumber(oe.0 + 1), extent_nodes(&self.free_extents()))]
            .into_iter()
            .map(|(pgno, nodes)| {
                let mut image = PageImage::new(pgno, size, self.objid, flags);
                image.external_header = vec![0; 16];
                image.nodes = nodes;
                *dbtime += 1;
                image.dbtime = crate::format::DbTime(*dbtime);
                image
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extent_is_the_first_run_of_free_pages_long_enough() {
        // pages 11..20 free, then an added extent 40..43: a run of 4 is
        // in the first part, a run of 8 nowhere (the extents are apart)
        let mut space = FdpSpace::new(ObjectId(9), Extent { first: 10, count: 10 }, PageNumber(1), false);
        space.add_extent(Extent { first: 40, count: 4 });
        assert_eq!(space.take(7).unwrap().len(), 7); // 11..=17
        assert!(space.has_run(4) && !space.has_run(5));
        assert_eq!(space.take_extent(4).unwrap(), Extent { first: 40, count: 4 });
        assert_eq!(space.free_extents(), vec![Extent { first: 18, count: 2 }]);
        assert!(space.take_extent(3).is_err());
        // the database root grows for a run its free pages do not hold
        let mut root = FdpSpace::growable(ObjectId(1), Extent { first: 1, count: 3 }, PageNumber::NULL);
        assert_eq!(root.take_extent(5).unwrap(), Extent { first: 4, count: 5 });
        assert_eq!(root.owned[0], Extent { first: 1, count: 8 });
    }

    #[test]
    fn catalog_space_header_matches_the_fixed_layout() {
        // spec 8.5: MSysObjects, 20 pages from 4, parent 1, multiple extent, OE 5
        let space = FdpSpace::new(ObjectId(2), Extent { first: 4, count: 20 }, PageNumber(1), true);
        assert_eq!(hex::encode(space.space_header().unwrap()), "14000000010000000100000005000000");
        assert_eq!(space.free_count(), 17);
    }

    #[test]
    fn single_extent_bitmap_marks_free_pages() {
        let mut space = FdpSpace::new(ObjectId(8), Extent { first: 40, count: 4 }, PageNumber(1), false);
        assert_eq!(space.take(1).unwrap(), vec![PageNumber(41)]);
        // pages 42 and 43 free: bits 1 and 2
        assert_eq!(hex::encode(space.space_header().unwrap()), "04000000010000000000000006000000");
    }

    #[test]
    fn space_trees_list_owned_and_free_extents() {
        let mut space = FdpSpace::new(ObjectId(1), Extent { first: 1, count: 50 }, PageNumber::NULL, true);
        space.take(10).unwrap();
        let pages = space.space_tree_pages(PageSize::K4, &mut 0);
        assert_eq!(
            pages[0].nodes,
            vec![NodeImage::new(50u32.to_be_bytes().to_vec(), 50u32.to_le_bytes().to_vec())]
        );
        assert_eq!(
            pages[1].nodes,
            vec![NodeImage::new(50u32.to_be_bytes().to_vec(), 37u32.to_le_bytes().to_vec())]
        );
        assert_eq!(pages[1].flags, PageFlags(0x823));
    }
}
