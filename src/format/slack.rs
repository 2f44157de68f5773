//! A page's slack: the bytes of its body that no tag covers (the free
//! space between the data area and the tag array, and the holes deleted or
//! moved nodes leave), and the node shapes (spec 7.1) that could start at
//! a given byte of it. Whether such a shape holds a record of some table
//! is the store's question; this module only says where the key ends and
//! the data would begin.

use core::ops::Range;

use super::page::Page;
use super::tag::NodeFlags;
use super::types::le_u16;

/// The byte ranges of `page` that hold no header, no tag entry and no
/// tag's data, in page order. A tag that cannot be read covers nothing.
pub fn slack_runs(page: &Page<'_>) -> Vec<Range<usize>> {
    let start = page.size.header_len();
    let end = page.tag_array_offset().max(start);
    let mut covered: Vec<Range<usize>> = page
        .tags()
        .filter_map(Result::ok)
        .map(|t| t.page_range(page.size))
        .filter(|r| !r.is_empty())
        .collect();
    covered.sort_by_key(|r| r.start);
    let mut runs = Vec::new();
    let mut at = start;
    for r in covered {
        if r.start > at {
            runs.push(at..r.start.min(end));
        }
        at = at.max(r.end);
    }
    if at < end {
        runs.push(at..end);
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// A node shape that could start at some page offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeHead<'a> {
    /// Page offset of the node's first byte.
    pub offset: usize,
    /// The node flags its first u16 carries (large pages), or `Compressed`
    /// alone for the prefix-compressed shape on small pages.
    pub flags: NodeFlags,
    /// Key bytes taken from the page's prefix.
    pub prefix_len: usize,
    /// The key suffix stored in the node.
    pub suffix: &'a [u8],
    /// Page offset of the data (the record).
    pub data_offset: usize,
}

/// The node shapes that fit at page offset `offset`, their key inside
/// `offset..end`: the uncompressed one (`cbSuffix`, suffix) and the
/// prefix-compressed one (`cbPrefix`, `cbSuffix`, suffix). On small pages
/// the top 3 bits of the key sizes are zero (the flags are in the tag); on
/// large pages the first u16's top bits are the flags and must agree with
/// the shape. A key has at least one byte and the data at least four (a
/// record header).
pub fn node_heads<'a>(
    page: &Page<'a>,
    offset: usize,
    end: usize,
    prefix_available: usize,
) -> Vec<NodeHead<'a>> {
    let large = page.size.is_large();
    let bytes = page.bytes.get(..end.min(page.bytes.len())).unwrap_or_default();
    let mut heads = Vec::with_capacity(2);
    let Some(first) = le_u16(bytes, offset) else { return heads };
    let top = NodeFlags((first >> 13) as u8);
    let low = usize::from(first & 0x1FFF);
    let clean = |flags: NodeFlags| if large { true } else { flags.0 == 0 };
    // uncompressed: cbSuffix
    if clean(top) && !top.contains(NodeFlags::COMPRESSED) && low > 0 {
        let data_offset = offset + 2 + low;
        if let Some(suffix) = bytes.get(offset + 2..data_offset) {
            if data_offset + 4 <= bytes.len() {
                heads.push(NodeHead {
                    offset,
                    flags: if large { top } else { NodeFlags(0) },
                    prefix_len: 0,
                    suffix,
                    data_offset,
                });
            }
        }
    }
    // compressed: cbPrefix, cbSuffix
    let compressed_ok = if large { top.contains(NodeFlags::COMPRESSED) } else { top.0 == 0 };
    if compressed_ok && low > 0 && low <= prefix_available {
        if let Some(second) = le_u16(bytes, offset + 2).filter(|s| s >> 13 == 0) {
            let suffix_len = usize::from(second);
            let data_offset = offset + 4 + suffix_len;
            if let Some(suffix) = bytes.get(offset + 4..data_offset) {
                if data_offset + 4 <= bytes.len() {
                    heads.push(NodeHead {
                        offset,
                        flags: if large { top } else { NodeFlags::COMPRESSED },
                        prefix_len: low,
                        suffix,
                        data_offset,
                    });
                }
            }
        }
    }
    heads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{PageNumber, PageSize};

    /// A 4 KiB page with tag 0 empty and one line of `line` at body offset 0.
    fn page_with(line: &[u8], junk_at: usize, junk: &[u8]) -> Vec<u8> {
        let mut page = vec![0u8; 4096];
        page[34..36].copy_from_slice(&2u16.to_le_bytes()); // two tags
        page[40..40 + line.len()].copy_from_slice(line);
        page[junk_at..junk_at + junk.len()].copy_from_slice(junk);
        page[4088..4090].copy_from_slice(&(line.len() as u16).to_le_bytes()); // tag 1: cb, ib 0
        page
    }

    #[test]
    fn runs_are_the_bytes_no_tag_covers() {
        let bytes = page_with(&[1, 0, 0xAA, 1, 2, 3, 4], 100, &[9]);
        let page = Page::parse(&bytes, PageNumber(5), PageSize::K4).unwrap();
        assert_eq!(slack_runs(&page), vec![47..4088]);
    }

    #[test]
    fn both_shapes_are_offered_where_they_fit() {
        // at 100: 02 00 | k k | data...: uncompressed, suffix of 2
        let bytes = page_with(&[1, 0, 0xAA, 1, 2, 3, 4], 100, &[2, 0, 7, 8, 1, 2, 3, 4, 5]);
        let page = Page::parse(&bytes, PageNumber(5), PageSize::K4).unwrap();
        let heads = node_heads(&page, 100, 109, 0);
        assert_eq!(heads.len(), 1);
        assert_eq!((heads[0].suffix, heads[0].data_offset), (&[7u8, 8][..], 104));
        // with a page prefix of 4 bytes, the compressed shape too: prefix 2, suffix 7
        let heads = node_heads(&page, 100, 4000, 4);
        assert_eq!(heads.len(), 2);
        assert_eq!((heads[1].prefix_len, heads[1].suffix.len(), heads[1].data_offset), (2, 2055, 2159));
        // nothing starts on zero bytes, nothing runs past the end
        assert!(node_heads(&page, 200, 300, 4).is_empty());
        assert!(node_heads(&page, 100, 105, 0).is_empty());
    }
}
