//! B+-tree nodes ("lines") of one page: key prefix compression against the
//! page's tag-0 prefix, the suffix, and the data — a record, an index
//! entry, or on internal pages the child page number. Spec 7.1 and 7.2.

use serde::Serialize;

use super::page::{Page, PageFlags};
use super::tag::{NodeFlags, Tag};
use super::types::{le_u16, le_u32, PageNumber};
use super::FormatError;

/// One decoded node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node<'a> {
    /// Its tag.
    pub tag: Tag,
    /// Line number (tag index minus the reserved tags).
    pub line: u16,
    /// Node flags (version, deleted, compressed).
    pub flags: NodeFlags,
    /// Bytes of the key taken from the page's common prefix.
    pub prefix_len: usize,
    /// The full key: prefix then suffix.
    #[serde(serialize_with = "hex_bytes")]
    pub key: Vec<u8>,
    /// The data after the key.
    #[serde(serialize_with = "hex_slice")]
    pub data: &'a [u8],
    /// Page offset of the data.
    pub data_offset: usize,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

fn hex_slice<S: serde::Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

impl Node<'_> {
    /// The child page of an internal node: the last 4 bytes of its data.
    pub fn child(&self) -> Option<PageNumber> {
        let at = self.data.len().checked_sub(4)?;
        le_u32(self.data, at).map(PageNumber)
    }

    /// True when flag-deleted (logically absent).
    pub fn is_deleted(&self) -> bool {
        self.flags.contains(NodeFlags::DELETED)
    }
}

/// The bytes the prefix of compressed keys comes from: tag 0's data, after
/// the 16-byte split buffer on a space-tree root; nothing on other roots.
pub fn prefix_source<'a>(page: &Page<'a>) -> &'a [u8] {
    let flags = page.header.flags;
    let Ok(tag) = page.tag(0) else { return &[] };
    let Ok(data) = page.tag_data(&tag) else { return &[] };
    if flags.contains(PageFlags::ROOT) {
        if flags.contains(PageFlags::SPACE_TREE) {
            return data.get(16..).unwrap_or_default();
        }
        return &[];
    }
    data
}

/// Decodes line `line` of `page` (tag `line + ctagReserved`).
///
/// # Errors
/// The tag is out of bounds, or the node's sizes do not fit in its tag.
pub fn node<'a>(page: &Page<'a>, line: u16) -> Result<Node<'a>, FormatError> {
    let index = line.saturating_add(page.header.ctag_reserved());
    let tag = page.tag(index)?;
    let bytes = page.tag_data(&tag)?;
    let too_short = FormatError::NodeTooShort { index, size: tag.size };
    let compressed = tag.flags.contains(NodeFlags::COMPRESSED);
    let (prefix_len, suffix_len, header) = if compressed {
        let prefix = le_u16(bytes, 0).ok_or(too_short)? & 0x1FFF;
        let suffix = le_u16(bytes, 2).ok_or(too_short)? & 0x1FFF;
        (usize::from(prefix), usize::from(suffix), 4)
    } else {
        (0, usize::from(le_u16(bytes, 0).ok_or(too_short)? & 0x1FFF), 2)
    };
    let suffix = bytes.get(header..header + suffix_len).ok_or(too_short)?;
    let data = bytes.get(header + suffix_len..).ok_or(too_short)?;
    let source = prefix_source(page);
    let prefix = source.get(..prefix_len).ok_or(FormatError::PrefixTooLong {
        index,
        prefix: prefix_len as u16,
        available: source.len() as u16,
    })?;
    let mut key = Vec::with_capacity(prefix_len + suffix_len);
    key.extend_from_slice(prefix);
    key.extend_from_slice(suffix);
    let data_offset = tag.page_range(page.size).start + header + suffix_len;
    Ok(Node { tag, line, flags: tag.flags, prefix_len, key, data, data_offset })
}

/// Every line of the page in order; a damaged node yields `Err` for that
/// line only.
pub fn nodes<'a, 'p>(page: &'p Page<'a>) -> impl Iterator<Item = Result<Node<'a>, FormatError>> + 'p {
    let lines = page.header.tag_count.saturating_sub(page.header.ctag_reserved());
    (0..lines).map(move |line| node(page, line))
}
