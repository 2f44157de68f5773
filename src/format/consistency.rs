//! Header fields that contradict the page they are on. A page can pass its
//! checksum and still lie: a damaged engine, a tool or an attacker can
//! write any value and seal the page again. These checks need only the page
//! itself: its own number, its size and its header (spec 6.1, 6.2).

use core::fmt;

use super::page::{Page, PageFlags};
use super::PageNumber;

/// One header field that cannot be true of this page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderLie {
    /// `PGHDR2.pgno` of a 16/32 KiB page names another page.
    PageNumberField {
        /// The number the field holds.
        stored: PageNumber,
    },
    /// `cbFree` is more than the page has room for.
    FreeTooLarge {
        /// `cbFree`.
        cb_free: u16,
        /// Bytes between the header and the tag array.
        room: usize,
    },
    /// `cbUncommittedFree` is more than `cbFree`.
    UncommittedAboveFree {
        /// `cbUncommittedFree`.
        uncommitted: u16,
        /// `cbFree`.
        cb_free: u16,
    },
    /// `ibMicFree` lies inside the tag array or past the page.
    MicFreePastTags {
        /// `ibMicFree`.
        ib_mic_free: u16,
        /// The largest value possible with this many tags.
        limit: usize,
    },
    /// The tag array is larger than the page's data area.
    TagArrayTooLarge {
        /// `itagMicFree`.
        tags: u16,
        /// Bytes after the header.
        room: usize,
    },
}

impl fmt::Display for HeaderLie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::PageNumberField { stored } => {
                write!(f, "its page-number field (PGHDR2.pgno) says page {stored}, though the checksums seal it here")
            }
            Self::FreeTooLarge { cb_free, room } => write!(
                f,
                "cbFree says {cb_free} bytes are free, but only {room} lie between the header and the tag array"
            ),
            Self::UncommittedAboveFree { uncommitted, cb_free } => {
                write!(f, "cbUncommittedFree ({uncommitted}) is larger than cbFree ({cb_free})")
            }
            Self::MicFreePastTags { ib_mic_free, limit } => write!(
                f,
                "ibMicFree ({ib_mic_free}) points past the start of the tag array (at most {limit} with this many tags)"
            ),
            Self::TagArrayTooLarge { tags, room } => {
                write!(f, "{tags} tags take {} bytes, more than the {room} after the header", 4 * usize::from(tags))
            }
        }
    }
}

/// The header fields of `page` that contradict the page. An all-zero page
/// and a page marked Empty make no claims and yield nothing.
pub fn header_lies(page: &Page<'_>) -> Vec<HeaderLie> {
    let h = &page.header;
    let mut lies = Vec::new();
    if page.is_zeroed() || h.flags.contains(PageFlags::EMPTY) {
        return lies;
    }
    if let Some(stored) = h.pgno.filter(|&n| n != page.pgno) {
        lies.push(HeaderLie::PageNumberField { stored });
    }
    let after_header = page.size.len().saturating_sub(page.size.header_len());
    let tag_bytes = 4 * usize::from(h.tag_count);
    let Some(room) = after_header.checked_sub(tag_bytes) else {
        lies.push(HeaderLie::TagArrayTooLarge { tags: h.tag_count, room: after_header });
        return lies;
    };
    if usize::from(h.cb_free) > room {
        lies.push(HeaderLie::FreeTooLarge { cb_free: h.cb_free, room });
    }
    if h.cb_uncommitted_free > h.cb_free {
        lies.push(HeaderLie::UncommittedAboveFree { uncommitted: h.cb_uncommitted_free, cb_free: h.cb_free });
    }
    if usize::from(h.ib_mic_free) > room {
        lies.push(HeaderLie::MicFreePastTags { ib_mic_free: h.ib_mic_free, limit: room });
    }
    lies
}

/// What the page flags of a tree's root must say, from what the catalog
/// says the tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRole {
    /// A table (the catalog and its shadow included): no Index, no LongValue flag.
    Table,
    /// A secondary index (or one of the catalog's indexes): the Index flag.
    Index,
    /// A long-value tree: the LongValue flag, not Index.
    LongValue,
}

impl TreeRole {
    /// Why the root's `flags` contradict this role, or `None` when they fit.
    pub fn contradiction(self, flags: PageFlags) -> Option<&'static str> {
        let index = flags.contains(PageFlags::INDEX);
        let long_value = flags.contains(PageFlags::LONG_VALUE);
        if !flags.contains(PageFlags::ROOT) {
            return Some("it lacks the Root flag");
        }
        if flags.contains(PageFlags::SPACE_TREE) {
            return Some("it is flagged as a space-tree page");
        }
        match self {
            Self::Table if index => Some("the catalog lists a table here, but the page is flagged Index"),
            Self::Table if long_value => {
                Some("the catalog lists a table here, but the page is flagged LongValue")
            }
            Self::Index if !index => {
                Some("the catalog lists an index here, but the page lacks the Index flag")
            }
            Self::LongValue if !long_value => {
                Some("the catalog lists a long-value tree here, but the page lacks the LongValue flag")
            }
            Self::LongValue if index => {
                Some("the catalog lists a long-value tree here, but the page is flagged Index")
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::PageSize;

    fn page_with(size: u32, edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
        let mut bytes = vec![0u8; size as usize];
        // a leaf with one tag: flags Leaf | NewRecordFormat
        bytes[36..40].copy_from_slice(&0x0802u32.to_le_bytes());
        bytes[34..36].copy_from_slice(&1u16.to_le_bytes());
        edit(&mut bytes);
        bytes
    }

    #[test]
    fn a_sound_header_has_no_lies() {
        let bytes = page_with(8192, |b| b[28..30].copy_from_slice(&100u16.to_le_bytes()));
        let page = Page::parse(&bytes, PageNumber(9), PageSize::new(8192).unwrap()).unwrap();
        assert!(header_lies(&page).is_empty());
    }

    #[test]
    fn free_space_out_of_range_is_a_lie() {
        let bytes = page_with(8192, |b| {
            b[28..30].copy_from_slice(&9000u16.to_le_bytes()); // cbFree
            b[30..32].copy_from_slice(&9001u16.to_le_bytes()); // cbUncommittedFree
            b[32..34].copy_from_slice(&8150u16.to_le_bytes()); // ibMicFree
        });
        let page = Page::parse(&bytes, PageNumber(9), PageSize::new(8192).unwrap()).unwrap();
        let lies = header_lies(&page);
        assert_eq!(lies.len(), 3, "{lies:?}");
        assert!(matches!(lies[0], HeaderLie::FreeTooLarge { cb_free: 9000, room: 8148 }));
    }

    #[test]
    fn a_large_page_naming_another_page_lies() {
        let bytes = page_with(32768, |b| b[64..68].copy_from_slice(&77u32.to_le_bytes()));
        let page = Page::parse(&bytes, PageNumber(9), PageSize::new(32768).unwrap()).unwrap();
        assert_eq!(header_lies(&page), vec![HeaderLie::PageNumberField { stored: PageNumber(77) }]);
    }

    #[test]
    fn root_flags_are_checked_against_the_role() {
        let root = PageFlags(PageFlags::ROOT.0 | PageFlags::LEAF.0);
        assert_eq!(TreeRole::Table.contradiction(root), None);
        assert!(TreeRole::Table.contradiction(PageFlags(root.0 | PageFlags::INDEX.0)).is_some());
        assert!(TreeRole::Index.contradiction(root).is_some());
        assert!(TreeRole::LongValue.contradiction(PageFlags(root.0 | PageFlags::LONG_VALUE.0)).is_none());
        assert!(TreeRole::Table.contradiction(PageFlags::LEAF).is_some());
    }
}
