//! The tag array at the end of a page: one 4-byte entry per node ("line"),
//! growing down from the last bytes of the page. Spec section 6.

use serde::Serialize;

use super::page::PageHeader;
use super::types::{le_u16, PageSize};
use super::FormatError;

/// The 3 node flags of a tag. Unknown combinations are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct NodeFlags(pub u8);

impl NodeFlags {
    /// `fNDVersion`: a version may exist in the version store.
    pub const VERSION: Self = Self(0x1);
    /// `fNDDeleted`: flag-deleted, logically absent.
    pub const DELETED: Self = Self(0x2);
    /// `fNDCompressed`: the key is prefix-compressed.
    pub const COMPRESSED: Self = Self(0x4);

    /// True when every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Names of the set flags.
    pub fn names(self) -> Vec<&'static str> {
        [(0x1, "Version"), (0x2, "Deleted"), (0x4, "Compressed")]
            .into_iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| name)
            .collect()
    }
}

/// One tag: where a node's bytes are and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// Index in the tag array (0 = the page's external header).
    pub index: u16,
    /// `ib`: offset of the data from the end of the page header.
    pub offset: u16,
    /// `cb`: size of the data.
    pub size: u16,
    /// Node flags (for lines; 0 for tag 0 and reserved tags).
    pub flags: NodeFlags,
    /// The raw 4 bytes as a little-endian u32 (for the dump).
    pub raw: u32,
}

impl Tag {
    /// The page byte range of the tag's data.
    pub fn page_range(&self, size: PageSize) -> core::ops::Range<usize> {
        let start = size.header_len() + usize::from(self.offset);
        start..start + usize::from(self.size)
    }

    /// Byte offset of this tag's 4-byte entry in the page.
    pub fn entry_offset(index: u16, size: PageSize) -> usize {
        size.len().saturating_sub(4 * (usize::from(index) + 1))
    }
}

/// Reads tag `index` of a page.
///
/// # Errors
/// [`FormatError::TagArrayTooLarge`] when the entry is not inside the page
/// body, [`FormatError::TagOutOfBounds`] when its data is not.
pub fn tag_at(page: &[u8], size: PageSize, header: &PageHeader, index: u16) -> Result<Tag, FormatError> {
    let count = header.tag_count;
    let array_start = size.len().checked_sub(4 * usize::from(count));
    let entry = Tag::entry_offset(index, size);
    let too_large = FormatError::TagArrayTooLarge { count };
    if index >= count || array_start.is_none_or(|start| start < size.header_len()) {
        return Err(too_large);
    }
    let cb_field = le_u16(page, entry).ok_or(too_large)?;
    let ib_field = le_u16(page, entry + 2).ok_or(too_large)?;
    let raw = u32::from(cb_field) | (u32::from(ib_field) << 16);
    let (size_mask, offset_mask) = if size.is_large() { (0x7FFF, 0x7FFF) } else { (0x1FFF, 0x1FFF) };
    let mut tag =
        Tag { index, offset: ib_field & offset_mask, size: cb_field & size_mask, flags: NodeFlags(0), raw };
    let end = size.header_len() + usize::from(tag.offset) + usize::from(tag.size);
    if tag.size > 0 && end > array_start.unwrap_or(0) {
        return Err(FormatError::TagOutOfBounds { index, offset: tag.offset, size: tag.size });
    }
    let is_line = index >= header.ctag_reserved();
    if !size.is_large() {
        tag.flags = NodeFlags((ib_field >> 13) as u8);
    } else if is_line && tag.size >= 2 {
        // Large pages keep the flags in the top 3 bits of the node's first u16.
        let first = le_u16(page, size.header_len() + usize::from(tag.offset)).unwrap_or(0);
        tag.flags = NodeFlags((first >> 13) as u8);
    }
    if !is_line {
        tag.flags = NodeFlags(tag.flags.0 & if size.is_large() { 0 } else { 0x7 });
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_with_tags(tags: &[(u16, u16)]) -> Vec<u8> {
        let mut page = vec![0u8; 4096];
        page[34..36].copy_from_slice(&(tags.len() as u16).to_le_bytes());
        for (i, (cb, ib)) in tags.iter().enumerate() {
            let at = 4096 - 4 * (i + 1);
            page[at..at + 2].copy_from_slice(&cb.to_le_bytes());
            page[at + 2..at + 4].copy_from_slice(&ib.to_le_bytes());
        }
        page
    }

    #[test]
    fn reads_size_offset_and_flags() {
        // tag 1: 10 bytes at 16, flags Deleted (0x2 << 13 = 0x4000)
        let page = page_with_tags(&[(0, 0), (10, 16 | 0x4000)]);
        let header = PageHeader::parse(&page, PageSize::K4).unwrap();
        let tag = tag_at(&page, PageSize::K4, &header, 1).unwrap();
        assert_eq!((tag.offset, tag.size), (16, 10));
        assert!(tag.flags.contains(NodeFlags::DELETED));
        assert_eq!(tag.page_range(PageSize::K4), 56..66);
    }

    #[test]
    fn tag_pointing_into_the_tag_array_is_rejected() {
        let page = page_with_tags(&[(0, 0), (100, 4000)]);
        let header = PageHeader::parse(&page, PageSize::K4).unwrap();
        assert_eq!(
            tag_at(&page, PageSize::K4, &header, 1),
            Err(FormatError::TagOutOfBounds { index: 1, offset: 4000, size: 100 })
        );
    }

    #[test]
    fn absurd_tag_count_is_rejected() {
        let mut page = page_with_tags(&[]);
        page[34..36].copy_from_slice(&0x0FFFu16.to_le_bytes());
        let header = PageHeader::parse(&page, PageSize::K4).unwrap();
        assert_eq!(
            tag_at(&page, PageSize::K4, &header, 0),
            Err(FormatError::TagArrayTooLarge { count: 0xFFF })
        );
    }
}
