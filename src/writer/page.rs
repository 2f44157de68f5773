//! The pure page builder: the nodes of one page in, the page's bytes out,
//! with the tag array, the free-space fields (`cbFree`, `ibMicFree`,
//! `itagState`) and sealed checksums. Spec sections 4, 5.6, 6 and 7.1.
//!
//! [`PageImage`] is the editable form of a page. [`PageImage::from_page`]
//! decodes an existing page into it, so a caller (recovery replaying a log
//! record, say) can insert, replace or delete a node and build the page
//! again with [`PageImage::build`]. Node data is laid out in tag order from
//! the end of the page header with no holes, so a rebuilt page is compact.
//!
//! Nothing here knows about trees, space or records; the callers decide
//! which nodes a page holds.
//!
//! Rebuilding a page after a change, as a log replay would:
//!
//! ```
//! use esescope::format::page::{Page, PageFlags};
//! use esescope::format::{DbTime, ObjectId, PageNumber, PageSize};
//! use esescope::writer::page::{NodeImage, PageImage};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let size = PageSize::K8;
//! let mut leaf = PageImage::new(PageNumber(40), size, ObjectId(6), PageFlags::LEAF);
//! leaf.nodes.push(NodeImage::new(vec![0x7f, 0x80, 0, 0, 1], b"record one".to_vec()));
//! let bytes = leaf.build()?; // tag array, cbFree, ibMicFree, itagState, checksum
//!
//! // Later: decode it, insert a node in key order, replace another, rebuild.
//! let page = Page::parse(&bytes, PageNumber(40), size)?;
//! let mut edit = PageImage::from_page(&page)?;
//! let key = vec![0x7f, 0x80, 0, 0, 2];
//! let at = edit.find(&key).unwrap_or_else(|at| at);
//! edit.nodes.insert(at, NodeImage::new(key, b"record two".to_vec()));
//! edit.nodes[0].data = b"record 1, updated".to_vec();
//! edit.dbtime = DbTime(edit.dbtime.0 + 1);
//! let rebuilt = edit.build()?;
//! assert!(esescope::format::verdict::page_matches(&rebuilt, PageNumber(40), size));
//! # Ok(())
//! # }
//! ```

use crate::format::checksum::xe_checksum;
use crate::format::node::node;
use crate::format::page::{Page, PageFlags};
use crate::format::tag::NodeFlags;
use crate::format::{DbTime, FormatError, ObjectId, PageNumber, PageSize};

use super::WriteError;

/// Offset of `PGHDR2.pgno` on large pages.
const PGNO_OFFSET: usize = 64;
/// Largest key a node can carry (13-bit size fields).
pub const KEY_MOST: usize = 0x1FFF;

/// One node ("line") of a page to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeImage {
    /// The full key (prefix and suffix).
    pub key: Vec<u8>,
    /// How many leading key bytes are taken from the page's common prefix
    /// (tag 0; after the split buffer on a space-tree root). 0 = the key is
    /// stored whole and the node is not `Compressed`.
    pub prefix_len: usize,
    /// The data after the key: a record, a bookmark, an extent count, or
    /// the child page number (u32 LE) on an internal page.
    pub data: Vec<u8>,
    /// `Version` and `Deleted` flags; `Compressed` follows from `prefix_len`.
    pub flags: NodeFlags,
}

/// A leaf entry as the tree builder ([`super::tree`]) lays it out: a
/// [`NodeImage`], or an entry whose data is still the bytes of the file it
/// was read from ([`super::rebuild::RawEntry`], salvage's), made into a
/// node image only when its page is built.
pub trait LeafEntry {
    /// The full key.
    fn key(&self) -> &[u8];
    /// The data after the key.
    fn data(&self) -> &[u8];
    /// Bytes the node takes in a page (its tag's `cb`) as it stands.
    fn stored_len(&self) -> usize;
    /// The node its page is built from.
    fn into_node(self) -> NodeImage;
}

impl LeafEntry for NodeImage {
    fn key(&self) -> &[u8] {
        &self.key
    }

    fn data(&self) -> &[u8] {
        &self.data
    }

    fn stored_len(&self) -> usize {
        NodeImage::stored_len(self)
    }

    fn into_node(self) -> NodeImage {
        self
    }
}

impl NodeImage {
    /// A node with an uncompressed key and no flags.
    pub fn new(key: impl Into<Vec<u8>>, data: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into(), prefix_len: 0, data: data.into(), flags: NodeFlags::default() }
    }

    /// Bytes the node takes in the page (its tag's `cb`), tag entry excluded.
    pub fn stored_len(&self) -> usize {
        let sizes = if self.prefix_len > 0 { 4 } else { 2 };
        sizes + self.key.len() - self.prefix_len.min(self.key.len()) + self.data.len()
    }

    fn encode(&self, large: bool, line: usize, out: &mut Vec<u8>) -> Result<(), WriteError> {
        let prefix = self.prefix_len;
        let suffix = self.key.get(prefix..).ok_or(WriteError::PrefixMismatch { line })?;
        if self.key.len() > KEY_MOST {
            return Err(WriteError::KeyTooLong { len: self.key.len(), most: KEY_MOST });
        }
        let mut flags = self.flags.0 & 0x3;
        if prefix > 0 {
            flags |= NodeFlags::COMPRESSED.0;
        }
        // On large pages the node flags live in the top 3 bits of the first u16.
        let top = if large { u16::from(flags) << 13 } else { 0 };
        if prefix > 0 {
            out.extend_from_slice(&(prefix as u16 | top).to_le_bytes());
            out.extend_from_slice(&(suffix.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(suffix.len() as u16 | top).to_le_bytes());
        }
        out.extend_from_slice(suffix);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

/// Everything one page holds, in editable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    /// The page number (mixed into the checksum; stored on large pages).
    pub pgno: PageNumber,
    /// The page size.
    pub size: PageSize,
    /// `dbtimeDirtied`.
    pub dbtime: DbTime,
    /// `pgnoPrev`.
    pub prev: PageNumber,
    /// `pgnoNext`.
    pub next: PageNumber,
    /// `objidFDP`.
    pub objid: ObjectId,
    /// `fFlags`; [`PageFlags::NEW_CHECKSUM_FORMAT`] is added when sealing.
    pub flags: PageFlags,
    /// `cbUncommittedFree` (0 in a clean database).
    pub uncommitted_free: u16,
    /// Tag 0: the space header of a root, the split buffer (and prefix) of
    /// a space-tree root, or the common key prefix of any other page.
    pub external_header: Vec<u8>,
    /// Reserved tags after tag 0 (only with `ctagReserved > 1`; usually none).
    pub reserved: Vec<Vec<u8>>,
    /// The nodes, in key order.
    pub nodes: Vec<NodeImage>,
}

impl PageImage {
    /// An empty page: no external header, no nodes.
    pub fn new(pgno: PageNumber, size: PageSize, objid: ObjectId, flags: PageFlags) -> Self {
        Self {
            pgno,
            size,
            dbtime: DbTime(0),
            prev: PageNumber::NULL,
            next: PageNumber::NULL,
            objid,
            flags,
            uncommitted_free: 0,
            external_header: Vec::new(),
            reserved: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// Decodes a page into its editable form (keys decompressed, the
    /// compression of each node kept).
    ///
    /// # Errors
    /// The first damaged tag or node.
    pub fn from_page(page: &Page<'_>) -> Result<Self, FormatError> {
        let header = &page.header;
        let tag0 = page.tag(0)?;
        let reserved = (1..header.ctag_reserved())
            .map(|i| page.tag(i).and_then(|tag| page.tag_data(&tag)).map(<[u8]>::to_vec))
            .collect::<Result<Vec<_>, _>>()?;
        let lines = header.tag_count.saturating_sub(header.ctag_reserved());
        let nodes = (0..lines)
            .map(|line| {
                node(page, line).map(|n| NodeImage {
                    key: n.key,
                    prefix_len: n.prefix_len,
                    data: n.data.to_vec(),
                    flags: NodeFlags(n.flags.0 & 0x3),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            pgno: page.pgno,
            size: page.size,
            dbtime: header.dbtime_dirtied,
            prev: header.prev,
            next: header.next,
            objid: header.objid_fdp,
            flags: header.flags,
            uncommitted_free: header.cb_uncommitted_free,
            external_header: page.tag_data(&tag0)?.to_vec(),
            reserved,
            nodes,
        })
    }

    /// The index of the node with `key`, or where it would be inserted
    /// (plain byte-wise comparison, spec 7.2).
    pub fn find(&self, key: &[u8]) -> Result<usize, usize> {
        self.nodes.binary_search_by(|n| n.key.as_slice().cmp(key))
    }

    /// Number of tags: tag 0, the reserved tags and one per node.
    pub fn tag_count(&self) -> usize {
        1 + self.reserved.len() + self.nodes.len()
    }

    /// Prefix-compresses the keys of a non-root page, as the engine does:
    /// tag 0 becomes the longest prefix all keys share, and every node takes
    /// it from there (spec 7.1). Does nothing on a root page (whose tag 0 is
    /// the space header) or when it would not save space.
    pub fn compress_keys(&mut self) {
        if self.flags.contains(PageFlags::ROOT) || self.nodes.is_empty() {
            return;
        }
        self.expand_keys();
        let first = self.nodes.first().map(|n| n.key.clone()).unwrap_or_default();
        let shared = self.nodes.iter().map(|n| common_prefix_len(&first, &n.key)).min().unwrap_or(0);
        if !prefix_pays(self.nodes.len(), shared) {
            return;
        }
        self.external_header = first[..shared].to_vec();
        for node in &mut self.nodes {
            node.prefix_len = shared;
        }
    }

    /// Stores every key whole again (no `Compressed` nodes); on a non-root
    /// page tag 0 becomes empty. Use before changing keys or tag 0 of a
    /// decoded page when the prefix might no longer fit.
    pub fn expand_keys(&mut self) {
        for node in &mut self.nodes {
            node.prefix_len = 0;
        }
        if !self.flags.contains(PageFlags::ROOT) {
            self.external_header.clear();
        }
    }

    /// Bytes of tag data: the external header, reserved tags and nodes.
    pub fn data_len(&self) -> usize {
        self.external_header.len()
            + self.reserved.iter().map(Vec::len).sum::<usize>()
            + self.nodes.iter().map(NodeImage::stored_len).sum::<usize>()
    }

    /// `cbFree` of the built page, or `None` when the content does not fit
    /// (spec 6.4: page size − header − 4 per tag − tag data).
    pub fn free_len(&self) -> Option<usize> {
        self.size.len().checked_sub(self.size.header_len() + 4 * self.tag_count() + self.data_len())
    }

    /// True when `node` can be added without overflowing the page.
    pub fn fits(&self, node: &NodeImage) -> bool {
        self.free_len().is_some_and(|free| free >= node.stored_len() + 4)
    }

    /// The bytes prefix-compressed keys draw on: tag 0, after the 16-byte
    /// split buffer on a space-tree root, nothing on other roots.
    fn prefix_bytes(&self) -> &[u8] {
        if self.flags.contains(PageFlags::ROOT) {
            if self.flags.contains(PageFlags::SPACE_TREE) {
                return self.external_header.get(16..).unwrap_or_default();
            }
            return &[];
        }
        &self.external_header
    }

    /// The checks of [`PageImage::build`] without building: the content
    /// fits, the tags are not too many, every compressed key starts with the
    /// page's prefix and no key is too long. What passes builds.
    ///
    /// # Errors
    /// As [`PageImage::build`].
    pub fn check(&self) -> Result<(), WriteError> {
        self.check_lines(0..self.nodes.len())
    }

    /// [`PageImage::check`] of the page's size and tags, and of the nodes
    /// at `lines` only (the others are known to pass).
    ///
    /// # Errors
    /// As [`PageImage::build`].
    pub fn check_lines(&self, lines: std::ops::Range<usize>) -> Result<(), WriteError> {
        self.check_lines_sized(self.data_len(), lines)
    }

    /// [`PageImage::check_lines`] of a page whose [`PageImage::data_len`]
    /// the caller knows (kept up to date as it edits), without summing it
    /// again node by node.
    ///
    /// # Errors
    /// As [`PageImage::build`].
    pub fn check_lines_sized(
        &self,
        data_len: usize,
        lines: std::ops::Range<usize>,
    ) -> Result<(), WriteError> {
        debug_assert_eq!(data_len, self.data_len(), "the data length kept for page {}", self.pgno.0);
        let size = self.size;
        let tags = self.tag_count();
        let need = size.header_len() + 4 * tags + data_len;
        if need > size.len() {
            return Err(WriteError::PageFull { pgno: self.pgno, need, have: size.len() });
        }
        if tags > 0x0FFF || self.reserved.len() > 6 {
            return Err(WriteError::TooManyTags { count: tags });
        }
        let source = self.prefix_bytes();
        let first = lines.start;
        for (line, n) in self.nodes.get(lines).unwrap_or_default().iter().enumerate() {
            let line = first + line;
            let prefix = n.key.get(..n.prefix_len).ok_or(WriteError::PrefixMismatch { line })?;
            if n.prefix_len > 0 && source.get(..n.prefix_len) != Some(prefix) {
                return Err(WriteError::PrefixMismatch { line });
            }
            if n.key.len() > KEY_MOST {
                return Err(WriteError::KeyTooLong { len: n.key.len(), most: KEY_MOST });
            }
        }
        Ok(())
    }

    /// Builds the page: header, node data, tag array, free-space fields,
    /// sealed checksums.
    ///
    /// # Errors
    /// [`WriteError::PageFull`] when the content does not fit,
    /// [`WriteError::PrefixMismatch`] when a compressed key does not start
    /// with the page's prefix, [`WriteError::KeyTooLong`],
    /// [`WriteError::TooManyTags`].
    pub fn build(&self) -> Result<Vec<u8>, WriteError> {
        let size = self.size;
        let large = size.is_large();
        let header_len = size.header_len();
        let tags = self.tag_count();
        let need = header_len + 4 * tags + self.data_len();
        let free = size.len().checked_sub(need).ok_or(WriteError::PageFull {
            pgno: self.pgno,
            need,
            have: size.len(),
        })?;
        if tags > 0x0FFF || self.reserved.len() > 6 {
            return Err(WriteError::TooManyTags { count: tags });
        }
        let source = self.prefix_bytes();
        // the node data goes straight after the header in the page itself
        let mut page = Vec::with_capacity(size.len());
        page.resize(header_len, 0);
        let mut entries: Vec<(usize, usize, u8)> = Vec::with_capacity(tags); // (ib, cb, flags)
        let blob = |bytes: &[u8], page: &mut Vec<u8>| {
            let ib = page.len() - header_len;
            page.extend_from_slice(bytes);
            (ib, bytes.len(), 0u8)
        };
        entries.push(blob(&self.external_header, &mut page));
        for r in &self.reserved {
            entries.push(blob(r, &mut page));
        }
        for (line, n) in self.nodes.iter().enumerate() {
            let prefix = n.key.get(..n.prefix_len).ok_or(WriteError::PrefixMismatch { line })?;
            if source.get(..n.prefix_len) != Some(prefix) {
                return Err(WriteError::PrefixMismatch { line });
            }
            let ib = page.len() - header_len;
            n.encode(large, line, &mut page)?;
            let flags = (n.flags.0 & 0x3) | if n.prefix_len > 0 { NodeFlags::COMPRESSED.0 } else { 0 };
            entries.push((ib, page.len() - header_len - ib, flags));
        }
        let body_len = page.len() - header_len;
        if page.len() + 4 * entries.len() > size.len() {
            return Err(WriteError::PageFull { pgno: self.pgno, need, have: size.len() });
        }
        page.resize(size.len(), 0);
        for (i, (ib, cb, flags)) in entries.iter().enumerate() {
            let at = size.len() - 4 * (i + 1);
            // Tag 0 of an empty external header keeps ib 0, as the engine does.
            let ib = if *cb == 0 && i == 0 { 0 } else { *ib };
            let ib_field = if large { ib as u16 } else { ib as u16 | (u16::from(*flags) << 13) };
            put(&mut page, at, &(*cb as u16).to_le_bytes());
            put(&mut page, at + 2, &ib_field.to_le_bytes());
        }
        let ctag_reserved = if self.reserved.is_empty() { 0 } else { 1 + self.reserved.len() };
        let itag_state = tags as u16 | ((ctag_reserved as u16) << 12);
        put(&mut page, 8, &self.dbtime.0.to_le_bytes());
        put(&mut page, 16, &self.prev.0.to_le_bytes());
        put(&mut page, 20, &self.next.0.to_le_bytes());
        put(&mut page, 24, &self.objid.0.to_le_bytes());
        put(&mut page, 28, &(free as u16).to_le_bytes());
        put(&mut page, 30, &self.uncommitted_free.to_le_bytes());
        put(&mut page, 32, &(body_len as u16).to_le_bytes());
        put(&mut page, 34, &itag_state.to_le_bytes());
        put(&mut page, 36, &self.flags.0.to_le_bytes());
        seal_page(&mut page, self.pgno, size);
        Ok(page)
    }
}

/// Copies `bytes` to `page[at..]`; the callers only write inside the page.
fn put(page: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = page.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

/// Seals a page in the current checksum format (spec 5.6): sets the
/// `NewChecksumFormat` flag, on large pages stores the page number at
/// offset 64 and the checksums of blocks 1–3, then the checksum of block 0
/// at offset 0. A slice that is not `size` bytes is left unchanged.
pub fn seal_page(page: &mut [u8], pgno: PageNumber, size: PageSize) {
    if page.len() != size.len() {
        return;
    }
    let flags =
        u32::from_le_bytes([page[36], page[37], page[38], page[39]]) | PageFlags::NEW_CHECKSUM_FORMAT.0;
    put(page, 36, &flags.to_le_bytes());
    let block = match size.bytes() {
        16384 => 4096,
        32768 => 8192,
        _ => size.len(),
    };
    if size.is_large() {
        put(page, PGNO_OFFSET, &pgno.0.to_le_bytes());
        put(page, PGNO_OFFSET + 4, &[0u8; 12]);
        for k in 1..4 {
            let sum = page.get(k * block..(k + 1) * block).map_or(0, |b| xe_checksum(b, pgno.0, false).0);
            put(page, 40 + 8 * (k - 1), &sum.to_le_bytes());
        }
    }
    let sum = page.get(..block).map_or(0, |b| xe_checksum(b, pgno.0, true).0);
    put(page, 0, &sum.to_le_bytes());
}

/// Whether `nodes` nodes sharing a `shared`-byte key prefix take less room
/// compressed: each compressed node pays 2 bytes for `cbPrefix`, tag 0
/// pays the prefix once.
pub fn prefix_pays(nodes: usize, shared: usize) -> bool {
    nodes * shared > nodes * 2 + shared
}

/// Bytes `nodes` take on a non-root page after [`PageImage::compress_keys`]:
/// tag data plus 4 per tag, tag 0 included.
pub fn compressed_cost<E: LeafEntry>(nodes: &[E]) -> usize {
    let plain: usize = nodes.iter().map(|n| n.key().len() + 2 + n.data().len() + 4).sum::<usize>() + 4;
    let first = nodes.first().map_or(&[][..], LeafEntry::key);
    let shared = nodes.iter().map(|n| common_prefix_len(first, n.key())).min().unwrap_or(0);
    if prefix_pays(nodes.len(), shared) {
        plain - nodes.len() * shared + nodes.len() * 2 + shared
    } else {
        plain
    }
}

/// The longest common prefix of two keys.
pub fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::node::nodes;
    use crate::format::verdict::page_matches;

    fn image(size: PageSize) -> PageImage {
        let mut image = PageImage::new(PageNumber(9), size, ObjectId(7), PageFlags(0x0802));
        image.external_header = b"ab".to_vec();
        image.dbtime = DbTime(42);
        image.prev = PageNumber(8);
        image.nodes = vec![
            NodeImage::new(b"k1".to_vec(), b"data one".to_vec()),
            NodeImage { key: b"abc".to_vec(), prefix_len: 2, data: b"x".to_vec(), flags: NodeFlags::VERSION },
        ];
        image.nodes.swap(0, 1);
        image
    }

    #[test]
    fn built_pages_verify_and_decode_back_on_every_size() {
        for size in [PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32] {
            let built = image(size).build().unwrap();
            assert!(page_matches(&built, PageNumber(9), size), "{size:?}");
            let page = Page::parse(&built, PageNumber(9), size).unwrap();
            let header = page.header;
            assert_eq!(header.tag_count, 3);
            assert_eq!(usize::from(header.ib_mic_free), 2 + (4 + 1 + 1) + (2 + 2 + 8));
            assert_eq!(
                usize::from(header.cb_free),
                size.len() - size.header_len() - 12 - usize::from(header.ib_mic_free)
            );
            let decoded: Vec<_> = nodes(&page).map(Result::unwrap).collect();
            assert_eq!(decoded[0].key, b"abc");
            assert_eq!(decoded[0].flags, NodeFlags(0x5));
            assert_eq!(decoded[1].data, b"data one");
            assert_eq!(PageImage::from_page(&page).unwrap(), {
                let mut expect = image(size);
                expect.flags = PageFlags(0x2802);
                expect
            });
        }
    }

    #[test]
    fn rebuild_after_insert_and_delete() {
        let built = image(PageSize::K8).build().unwrap();
        let page = Page::parse(&built, PageNumber(9), PageSize::K8).unwrap();
        let mut edit = PageImage::from_page(&page).unwrap();
        let at = edit.find(b"k0").unwrap_err();
        edit.nodes.insert(at, NodeImage::new(b"k0".to_vec(), b"new".to_vec()));
        edit.nodes.remove(0);
        let rebuilt = edit.build().unwrap();
        let page = Page::parse(&rebuilt, PageNumber(9), PageSize::K8).unwrap();
        let keys: Vec<_> = nodes(&page).map(|n| n.unwrap().key).collect();
        assert_eq!(keys, vec![b"k0".to_vec(), b"k1".to_vec()]);
        assert!(page_matches(&rebuilt, PageNumber(9), PageSize::K8));
    }

    #[test]
    fn overfull_page_and_bad_prefix_are_errors() {
        let mut full = image(PageSize::K4);
        full.nodes.push(NodeImage::new(b"zz".to_vec(), vec![0u8; 5000]));
        assert!(matches!(full.build(), Err(WriteError::PageFull { .. })));
        let mut bad = image(PageSize::K4);
        bad.nodes[0].key = b"xyz".to_vec();
        assert_eq!(bad.build(), Err(WriteError::PrefixMismatch { line: 0 }));
    }

    #[test]
    fn compressed_keys_decode_to_the_same_nodes_in_less_space() {
        let mut image = PageImage::new(PageNumber(12), PageSize::K16, ObjectId(3), PageFlags(0x802));
        image.nodes = (0..40u32)
            .map(|i| {
                NodeImage::new(format!("C:\\a\\long\\folder\\file{i:03}").into_bytes(), vec![i as u8; 9])
            })
            .collect();
        let plain = image.build().unwrap();
        image.compress_keys();
        assert_eq!(image.external_header, b"C:\\a\\long\\folder\\file0");
        let compressed = image.build().unwrap();
        let page = Page::parse(&compressed, PageNumber(12), PageSize::K16).unwrap();
        let before = Page::parse(&plain, PageNumber(12), PageSize::K16).unwrap();
        assert!(page.header.cb_free > before.header.cb_free);
        assert!(page_matches(&compressed, PageNumber(12), PageSize::K16));
        let keys = |p: &Page<'_>| nodes(p).map(|n| n.unwrap().key).collect::<Vec<_>>();
        assert_eq!(keys(&page), keys(&before));
        assert!(nodes(&page).all(|n| n.unwrap().flags.contains(NodeFlags::COMPRESSED)));
        let mut edit = PageImage::from_page(&page).unwrap();
        edit.expand_keys();
        assert_eq!(edit.build().unwrap(), plain);
    }

    #[test]
    fn fresh_page_matches_the_spec() {
        // spec 6.4: tag 0 empty, one tag, ibMicFree 0, cbFree = size - header - 4
        let built =
            PageImage::new(PageNumber(3), PageSize::K4, ObjectId(1), PageFlags(0x803)).build().unwrap();
        let page = Page::parse(&built, PageNumber(3), PageSize::K4).unwrap();
        assert_eq!((page.header.tag_count, page.header.ib_mic_free, page.header.cb_free), (1, 0, 4096 - 44));
        assert_eq!(page.header.flags, PageFlags(0x2803));
    }
}
