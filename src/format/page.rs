//! Database page headers (`PGHDR`, and `PGHDR2` on 16/32 KiB pages) and the
//! [`Page`] view that ties a page's bytes to its number and size.
//! Spec section 4.

use serde::Serialize;
use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::FromBytes;

use super::field::{decode_fields, layout, Field, FieldKind, FieldValue};
use super::tag::{self, Tag};
use super::types::{DbTime, ObjectId, PageNumber, PageSize};
use super::FormatError;

layout! {
    /// The 40-byte header every page starts with.
    struct RawPageHeader, const SMALL_FIELDS {
        checksum: U64 => "checksum", Checksum;
        dbtime_dirtied: U64 => "dbtimeDirtied", DbTime;
        pgno_prev: U32 => "pgnoPrev", Unsigned;
        pgno_next: U32 => "pgnoNext", Unsigned;
        objid_fdp: U32 => "objidFDP", Unsigned;
        cb_free: U16 => "cbFree", Unsigned;
        cb_uncommitted_free: U16 => "cbUncommittedFree", Unsigned;
        ib_mic_free: U16 => "ibMicFree", Unsigned;
        itag_state: U16 => "itagState", TagState;
        flags: U32 => "fFlags", PageFlags;
    }
}

/// Where `PGHDR2` starts: right after the common 40-byte header.
const PGHDR2_OFFSET: usize = 40;

layout! {
    /// `PGHDR2`: the 40 bytes large pages add after the common header.
    struct RawPageHeader2, const LARGE_EXTENSION_FIELDS {
        checksum1: U64 => "rgChecksum[0]", Checksum;
        checksum2: U64 => "rgChecksum[1]", Checksum;
        checksum3: U64 => "rgChecksum[2]", Checksum;
        pgno: U32 => "pgno", Unsigned;
        reserved: [u8; 12] => "rgbReserved", Bytes;
    }
}

/// The page flags (`fFlags`). Unknown bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct PageFlags(pub u32);

impl PageFlags {
    /// Root page of a tree.
    pub const ROOT: Self = Self(0x1);
    /// Leaf level.
    pub const LEAF: Self = Self(0x2);
    /// Internal page whose children are leaves.
    pub const PARENT_OF_LEAF: Self = Self(0x4);
    /// Emptied or freed page.
    pub const EMPTY: Self = Self(0x8);
    /// Touched by repair.
    pub const REPAIR: Self = Self(0x10);
    /// Page of an owned- or available-extent space tree.
    pub const SPACE_TREE: Self = Self(0x20);
    /// Secondary index tree.
    pub const INDEX: Self = Self(0x40);
    /// Long-value tree.
    pub const LONG_VALUE: Self = Self(0x80);
    /// Obsolete SLV available tree.
    pub const SLV_AVAIL: Self = Self(0x100);
    /// Obsolete SLV owner map.
    pub const SLV_OWNER_MAP: Self = Self(0x200);
    /// Tree allows duplicate keys.
    pub const NON_UNIQUE_KEYS: Self = Self(0x400);
    /// Records use the ESE98 tagged-column layout.
    pub const NEW_RECORD_FORMAT: Self = Self(0x800);
    /// XOR+ECC checksum format.
    pub const NEW_CHECKSUM_FORMAT: Self = Self(0x2000);
    /// Page was scrubbed.
    pub const SCRUBBED: Self = Self(0x4000);
    /// Allocated but not yet used.
    pub const PRE_INIT: Self = Self(0x20000);
    /// Revert-snapshot artefact: FDP being deleted.
    pub const FDP_DELETE: Self = Self(0x40000);

    const NAMED: [(u32, &'static str); 16] = [
        (0x1, "Root"),
        (0x2, "Leaf"),
        (0x4, "ParentOfLeaf"),
        (0x8, "Empty"),
        (0x10, "Repair"),
        (0x20, "SpaceTree"),
        (0x40, "Index"),
        (0x80, "LongValue"),
        (0x100, "SLVAvail"),
        (0x200, "SLVOwnerMap"),
        (0x400, "NonUniqueKeys"),
        (0x800, "NewRecordFormat"),
        (0x2000, "NewChecksumFormat"),
        (0x4000, "Scrubbed"),
        (0x20000, "PreInit"),
        (0x40000, "FDPDelete"),
    ];
    const FLUSH_TYPE_MASK: u32 = 0x18000;

    /// True when every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flush type (bits 15–16): 1, 2, 3 rotating on each write; 0 unknown.
    pub fn flush_type(self) -> u32 {
        (self.0 & Self::FLUSH_TYPE_MASK) >> 15
    }

    /// Names of the set flags, the flush type as `FlushType=N`, and any
    /// unknown bits as hex.
    pub fn names(self) -> Vec<String> {
        let mut names: Vec<String> = Self::NAMED
            .iter()
            .filter(|(bit, _)| self.0 & bit != 0)
            .map(|(_, name)| (*name).to_string())
            .collect();
        if self.flush_type() != 0 {
            names.push(format!("FlushType={}", self.flush_type()));
        }
        let known = Self::NAMED.iter().fold(Self::FLUSH_TYPE_MASK, |acc, (bit, _)| acc | bit);
        if self.0 & !known != 0 {
            names.push(format!("{:#x}", self.0 & !known));
        }
        names
    }

    /// The kind of tree the page belongs to, from the tree-type bits.
    pub fn tree_kind(self) -> &'static str {
        if self.contains(Self::SPACE_TREE) {
            "space"
        } else if self.contains(Self::INDEX) {
            "index"
        } else if self.contains(Self::LONG_VALUE) {
            "long value"
        } else {
            "table"
        }
    }
}

impl core::ops::BitOr for PageFlags {
    type Output = Self;

    /// Both sets of flags.
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

fn named_value(kind: FieldKind, code: u64) -> FieldValue {
    match kind {
        FieldKind::PageFlags => FieldValue::Flags { value: code, names: PageFlags(code as u32).names() },
        _ => FieldValue::Number(code),
    }
}

/// A decoded page header.
#[doc(alias = "PGHDR")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageHeader {
    /// The stored checksum of block 0 (bytes 0–7).
    pub checksum: u64,
    /// `dbtimeDirtied`: dbtime of the last change.
    pub dbtime_dirtied: DbTime,
    /// `pgnoPrev`: previous page on the same tree level.
    pub prev: PageNumber,
    /// `pgnoNext`: next page on the same tree level.
    pub next: PageNumber,
    /// `objidFDP`: the tree this page belongs to.
    pub objid_fdp: ObjectId,
    /// `cbFree`.
    pub cb_free: u16,
    /// `cbUncommittedFree`.
    pub cb_uncommitted_free: u16,
    /// `ibMicFree`: offset (after the header) of the first never-used byte.
    pub ib_mic_free: u16,
    /// `itagMicFree`: number of tags in use.
    pub tag_count: u16,
    /// `ctagReserved` as stored; 0 means 1.
    pub ctag_reserved_field: u16,
    /// `fFlags`.
    pub flags: PageFlags,
    /// `PGHDR2.rgChecksum`: checksums of blocks 1–3 (large pages only).
    pub block_checksums: Option<[u64; 3]>,
    /// `PGHDR2.pgno`: the page's own number (large pages only).
    pub pgno: Option<PageNumber>,
}

impl PageHeader {
    /// Decodes the header of a page of `size`.
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when `bytes` is shorter than the header.
    pub fn parse(bytes: &[u8], size: PageSize) -> Result<Self, FormatError> {
        let need = size.header_len();
        let truncated = FormatError::Truncated { what: "page header", need, have: bytes.len() };
        let (raw, _) = RawPageHeader::ref_from_prefix(bytes).map_err(|_| truncated)?;
        let itag_state = raw.itag_state.get();
        let mut header = Self {
            checksum: raw.checksum.get(),
            dbtime_dirtied: DbTime(raw.dbtime_dirtied.get()),
            prev: PageNumber(raw.pgno_prev.get()),
            next: PageNumber(raw.pgno_next.get()),
            objid_fdp: ObjectId(raw.objid_fdp.get()),
            cb_free: raw.cb_free.get(),
            cb_uncommitted_free: raw.cb_uncommitted_free.get(),
            ib_mic_free: raw.ib_mic_free.get(),
            tag_count: itag_state & 0x0FFF,
            ctag_reserved_field: (itag_state >> 12) & 7,
            flags: PageFlags(raw.flags.get()),
            block_checksums: None,
            pgno: None,
        };
        if size.is_large() {
            let extension = bytes.get(PGHDR2_OFFSET..).ok_or(truncated)?;
            let (large, _) = RawPageHeader2::ref_from_prefix(extension).map_err(|_| truncated)?;
            header.block_checksums =
                Some([large.checksum1.get(), large.checksum2.get(), large.checksum3.get()]);
            header.pgno = Some(PageNumber(large.pgno.get()));
        }
        Ok(header)
    }

    /// The kind of tree the page belongs to: from the tree-type bits, and
    /// "database root" for the tree of object 1 (page 1 and its
    /// children), which holds no table (spec 9.1).
    pub fn tree_kind(&self) -> &'static str {
        match self.flags.tree_kind() {
            "table" if self.objid_fdp.0 == 1 => "database root",
            kind => kind,
        }
    }

    /// Number of reserved tags at the start of the tag array (at least 1: tag 0).
    pub fn ctag_reserved(&self) -> u16 {
        self.ctag_reserved_field.max(1)
    }

    /// Every header field with its offset, raw bytes and value.
    pub fn fields(bytes: &[u8], size: PageSize) -> Vec<Field> {
        let mut fields = decode_fields(SMALL_FIELDS, bytes, &named_value);
        if size.is_large() {
            let extension = bytes.get(PGHDR2_OFFSET..).unwrap_or_default();
            fields.extend(decode_fields(LARGE_EXTENSION_FIELDS, extension, &named_value).into_iter().map(
                |mut f| {
                    f.offset += PGHDR2_OFFSET;
                    f
                },
            ));
        }
        fields
    }
}

/// One database page: its number, size, bytes and decoded header.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The page number (from its position in the file).
    pub pgno: PageNumber,
    /// The page size.
    pub size: PageSize,
    /// The page's bytes (exactly `size` of them).
    pub bytes: &'a [u8],
    /// The decoded header.
    pub header: PageHeader,
}

impl<'a> Page<'a> {
    /// Wraps `bytes` as page `pgno`.
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when `bytes` is not a whole page.
    pub fn parse(bytes: &'a [u8], pgno: PageNumber, size: PageSize) -> Result<Self, FormatError> {
        if bytes.len() != size.len() {
            return Err(FormatError::Truncated { what: "page", need: size.len(), have: bytes.len() });
        }
        Ok(Self { pgno, size, bytes, header: PageHeader::parse(bytes, size)? })
    }

    /// True when every byte is zero (a page that was never written).
    pub fn is_zeroed(&self) -> bool {
        self.bytes.iter().all(|&b| b == 0)
    }

    /// Tag `index` of the tag array.
    ///
    /// # Errors
    /// [`FormatError::TagOutOfBounds`] when it points outside the page,
    /// [`FormatError::TagArrayTooLarge`] when the index is beyond the array.
    pub fn tag(&self, index: u16) -> Result<Tag, FormatError> {
        tag::tag_at(self.bytes, self.size, &self.header, index)
    }

    /// Every tag in order. A damaged tag yields `Err` for that tag only.
    pub fn tags(&self) -> impl Iterator<Item = Result<Tag, FormatError>> + '_ {
        (0..self.header.tag_count).map(move |i| self.tag(i))
    }

    /// The bytes a tag points at.
    ///
    /// # Errors
    /// [`FormatError::TagOutOfBounds`] when they lie outside the page.
    pub fn tag_data(&self, tag: &Tag) -> Result<&'a [u8], FormatError> {
        let range = tag.page_range(self.size);
        let oob = FormatError::TagOutOfBounds { index: tag.index, offset: tag.offset, size: tag.size };
        self.bytes.get(range).ok_or(oob)
    }

    /// Byte offset of the start of the tag array (the lowest tag's first byte).
    pub fn tag_array_offset(&self) -> usize {
        self.size.len().saturating_sub(4 * usize::from(self.header.tag_count))
    }
}
