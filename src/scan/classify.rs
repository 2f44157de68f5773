//! One byte per page for the page map: the page's kind (from its flags)
//! and its checksum health. A background job fills a shared array of
//! these while the user already browses, so memory stays one byte per page
//! whatever the file size.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::format::page::{PageFlags, PageHeader};
use crate::format::verdict::{check_page, page_matches, Verdict};
use crate::format::{PageNumber, PageSize};
use crate::store::Database;

use super::Progress;

/// What kind of page it is, from its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PageKind {
    /// Not classified yet.
    Unscanned = 0,
    /// All zero.
    Uninitialized = 1,
    /// Root of a table tree.
    Root = 2,
    /// Internal (branch) page.
    Internal = 3,
    /// Leaf of a table tree.
    Leaf = 4,
    /// Space-tree page (owned or available extents).
    Space = 5,
    /// Long-value tree page.
    LongValue = 6,
    /// Secondary-index page.
    Index = 7,
    /// Emptied page.
    Empty = 8,
}

impl PageKind {
    /// Every kind, in legend order.
    pub const ALL: [Self; 9] = [
        Self::Unscanned,
        Self::Uninitialized,
        Self::Root,
        Self::Internal,
        Self::Leaf,
        Self::Space,
        Self::LongValue,
        Self::Index,
        Self::Empty,
    ];

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unscanned => "not scanned",
            Self::Uninitialized => "empty (zero)",
            Self::Root => "root",
            Self::Internal => "branch",
            Self::Leaf => "leaf",
            Self::Space => "space",
            Self::LongValue => "long value",
            Self::Index => "index",
            Self::Empty => "emptied",
        }
    }
}

/// What the page's checksum says, in brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Health {
    /// Not checked yet.
    Unknown = 0,
    /// Checksums match.
    Ok = 1,
    /// A single-bit error per block: correctable.
    Correctable = 2,
    /// Checksum made for another page number.
    WrongPageNumber = 3,
    /// Not correctable.
    Bad = 4,
    /// All zero.
    Uninitialized = 5,
    /// Temporary database page, never checksummed.
    NotChecksummed = 6,
}

impl Health {
    /// Every value, in legend order.
    pub const ALL: [Self; 7] = [
        Self::Unknown,
        Self::Ok,
        Self::Correctable,
        Self::WrongPageNumber,
        Self::Bad,
        Self::Uninitialized,
        Self::NotChecksummed,
    ];

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "not checked",
            Self::Ok => "ok",
            Self::Correctable => "correctable",
            Self::WrongPageNumber => "wrong page number",
            Self::Bad => "not correctable",
            Self::Uninitialized => "uninitialized",
            Self::NotChecksummed => "not checksummed",
        }
    }

    /// How bad it is, for aggregating several pages into one cell.
    pub fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Uninitialized | Self::NotChecksummed => 1,
            Self::Ok => 2,
            Self::Correctable => 3,
            Self::WrongPageNumber => 4,
            Self::Bad => 5,
        }
    }
}

/// A page's kind and health packed in one byte: kind in bits 0–3,
/// health in bits 4–6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageCell(pub u8);

impl PageCell {
    /// Packs a kind and a health.
    pub fn new(kind: PageKind, health: Health) -> Self {
        Self(kind as u8 | ((health as u8) << 4))
    }

    /// The kind.
    pub fn kind(self) -> PageKind {
        PageKind::ALL.get(usize::from(self.0 & 0x0F)).copied().unwrap_or(PageKind::Unscanned)
    }

    /// The health.
    pub fn health(self) -> Health {
        Health::ALL.get(usize::from((self.0 >> 4) & 0x07)).copied().unwrap_or(Health::Unknown)
    }
}

/// Classifies one page from its bytes alone.
pub fn classify_page(bytes: &[u8], pgno: PageNumber, size: PageSize) -> PageCell {
    if bytes.iter().all(|&b| b == 0) {
        return PageCell::new(PageKind::Uninitialized, Health::Uninitialized);
    }
    let health = if page_matches(bytes, pgno, size) {
        Health::Ok
    } else {
        match check_page(bytes, pgno, size).verdict {
            Verdict::Ok => Health::Ok,
            Verdict::Uninitialized => Health::Uninitialized,
            Verdict::NotChecksummed => Health::NotChecksummed,
            Verdict::Correctable { .. } => Health::Correctable,
            // A stored-checksum bit flip and a misplaced page look alike
            // here; the page view decides with the whole file.
            Verdict::WrongPageNumber { perhaps_bit: Some(_), .. } => Health::Correctable,
            Verdict::WrongPageNumber { .. } => Health::WrongPageNumber,
            Verdict::Uncorrectable => Health::Bad,
        }
    };
    let flags = PageHeader::parse(bytes, size).map(|h| h.flags).unwrap_or_default();
    let kind = if flags.contains(PageFlags::EMPTY) {
        PageKind::Empty
    } else if flags.contains(PageFlags::SPACE_TREE) {
        PageKind::Space
    } else if flags.contains(PageFlags::LONG_VALUE) {
        PageKind::LongValue
    } else if flags.contains(PageFlags::INDEX) {
        PageKind::Index
    } else if flags.contains(PageFlags::ROOT) {
        PageKind::Root
    } else if flags.contains(PageFlags::LEAF) {
        PageKind::Leaf
    } else {
        PageKind::Internal
    };
    PageCell::new(kind, health)
}

/// Classifies every page into `cells` (one per page, index = pgno − 1),
/// in file order. Calls `on_progress` every 1024 pages and at the end;
/// `Break` stops early.
pub fn classify_pages(
    db: &Database,
    cells: &[AtomicU8],
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let total = u64::from(db.page_count());
    for (pgno, cell) in db.page_numbers().zip(cells) {
        if let Ok(bytes) = db.page_bytes(pgno) {
            cell.store(classify_page(bytes, pgno, db.page_size()).0, Ordering::Relaxed);
        }
        let done = u64::from(pgno.0);
        if done % 1024 == 0 || done == total {
            on_progress(Progress { done, total })?;
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip() {
        for kind in PageKind::ALL {
            for health in Health::ALL {
                let cell = PageCell::new(kind, health);
                assert_eq!((cell.kind(), cell.health()), (kind, health));
            }
        }
    }

    #[test]
    fn zero_page_is_uninitialized() {
        let cell = classify_page(&[0u8; 4096], PageNumber(3), PageSize::K4);
        assert_eq!((cell.kind(), cell.health()), (PageKind::Uninitialized, Health::Uninitialized));
    }
}
