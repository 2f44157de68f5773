//! The error type of the format layer: small, `Copy`, and located, so a
//! front end can jump to the offset it names.

/// A decoding error. Offsets are relative to the structure being decoded
/// (a page, a header, a record) unless the variant says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Fewer bytes than the structure needs.
    #[error("{what} is truncated: need {need} bytes, have {have}")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// The database header magic is not 0x89abcdef.
    #[error("bad database signature {found:#010x} at offset 4 (expected 0x89abcdef)")]
    BadMagic {
        /// The value found at offset 4.
        found: u32,
    },
    /// A header checksum does not match.
    #[error("header checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    HeaderChecksum {
        /// Value stored at offset 0.
        stored: u32,
        /// Value computed over the header page.
        computed: u32,
    },
    /// The page size field holds a value ESE does not use.
    #[error("page size field at offset 236 holds {found}, not 2048, 4096, 8192, 16384 or 32768")]
    BadPageSize {
        /// The value found.
        found: u32,
    },
    /// A tag points outside the page.
    #[error("tag {index} points outside the page (offset {offset}, size {size})")]
    TagOutOfBounds {
        /// Tag index (0 = external header).
        index: u16,
        /// Offset from the end of the page header.
        offset: u16,
        /// Size in bytes.
        size: u16,
    },
    /// A node is shorter than its own size fields say.
    #[error("node at tag {index} ({size} bytes) is shorter than its key sizes say")]
    NodeTooShort {
        /// Tag index.
        index: u16,
        /// Tag size.
        size: u16,
    },
    /// A compressed key wants more prefix than the page's prefix holds.
    #[error("node at tag {index} takes {prefix} prefix bytes, the page prefix has {available}")]
    PrefixTooLong {
        /// Tag index.
        index: u16,
        /// Prefix bytes wanted.
        prefix: u16,
        /// Prefix bytes available.
        available: u16,
    },
    /// The tag array overlaps the page header or the node data.
    #[error("tag array of {count} tags does not fit in the page")]
    TagArrayTooLarge {
        /// Tag count claimed by the page header.
        count: u16,
    },
    /// A record header field points past the record.
    #[error("record field {field} points to offset {offset}, past the {len} bytes it may use")]
    RecordField {
        /// The field (`ibEndOfFixedData`, a variable offset…).
        field: &'static str,
        /// The offset it gives.
        offset: usize,
        /// The bytes available.
        len: usize,
    },
    /// A fixed column's value runs into the null bitmap or past the record.
    #[error("the {size}-byte fixed column value at record offset {offset} runs past offset {end}, where the fixed data ends")]
    FixedColumn {
        /// Where the value starts in the record.
        offset: usize,
        /// Its size (from the catalog).
        size: usize,
        /// Where the fixed data ends (the null bitmap starts).
        end: usize,
    },
    /// A tagged field's offsets or flags do not fit its record.
    #[error("tagged field of column {id} at record offset {offset} does not fit the record ({len} bytes)")]
    TaggedField {
        /// Column id.
        id: u16,
        /// Its offset in the record.
        offset: usize,
        /// The record's length.
        len: usize,
    },
    /// A multi-valued field's offset array is damaged.
    #[error("multi-value of column {id} at record offset {offset} has a damaged offset array")]
    MultiValue {
        /// Column id.
        id: u16,
        /// Offset of the value in the record.
        offset: usize,
    },
    /// Compressed data that does not decompress.
    #[error("{scheme} data does not decompress: {reason} (at compressed byte {offset})")]
    Decompress {
        /// The scheme's name.
        scheme: &'static str,
        /// What went wrong.
        reason: &'static str,
        /// Where in the compressed bytes.
        offset: usize,
    },
    /// A compression scheme esescope does not decode.
    #[error("compression scheme {scheme} ({name}) is not supported; the compressed bytes are shown instead")]
    UnsupportedCompression {
        /// The scheme number (first byte >> 3).
        scheme: u8,
        /// Its name.
        name: &'static str,
    },
}
