//! Rows of the catalog (`MSysObjects`): tables, columns, indexes and
//! long-value trees with their ids and root pages. Decodes the catalog's
//! own fixed schema (spec 9.2: its fixed columns lie back to back from
//! offset 4) and the `Name` column; general records are another module's.

use serde::Serialize;

use super::record::{Cell, Record, Stored, TaggedLayout};
use super::types::{le_u16, le_u32};
use super::value::decode_text;

/// What a catalog row describes (`Type`, fid 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A table (type 1).
    Table,
    /// A column (type 2).
    Column,
    /// An index (type 3).
    Index,
    /// A long-value tree (type 4).
    LongValue,
    /// A callback (type 5).
    Callback,
    /// Anything else (obsolete SLV types), with its code.
    Other(u16),
}

impl ObjectKind {
    fn from_code(code: u16) -> Self {
        match code {
            1 => Self::Table,
            2 => Self::Column,
            3 => Self::Index,
            4 => Self::LongValue,
            5 => Self::Callback,
            other => Self::Other(other),
        }
    }
}

/// One catalog row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogEntry {
    /// `ObjidTable`: the table the row belongs to.
    pub objid_table: u32,
    /// `Type`.
    pub kind: ObjectKind,
    /// `Id`: table objid, column id, index objid or LV objid.
    pub id: u32,
    /// `ColtypOrPgnoFDP`: a column's type, or a tree's root page.
    pub coltyp_or_pgno_fdp: u32,
    /// `SpaceUsage`: a column's maximum length, or a tree's density.
    pub space_usage: u32,
    /// `Flags`.
    pub flags: u32,
    /// `PagesOrLocale`: a column's code page, a table's initial pages.
    pub pages_or_locale: u32,
    /// `RecordOffset`: where a fixed column starts in a record.
    pub record_offset: Option<u16>,
    /// `LVChunkMax`: a table's long-value chunk size, when not the default.
    pub lv_chunk_max: Option<u32>,
    /// `Name`.
    pub name: String,
    /// `TemplateTable`: a derived table's template.
    pub template_table: Option<String>,
    /// `DefaultValue`: a column's default, as stored.
    #[serde(serialize_with = "hex_opt")]
    pub default_value: Option<Vec<u8>>,
    /// `KeyFldIDs`: an index's key segments.
    pub key_segments: Vec<KeySegment>,
}

/// One segment of an index key (`KeyFldIDs`, spec 9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeySegment {
    /// The column id.
    pub column: u32,
    /// Sorted descending.
    pub descending: bool,
}

fn hex_opt<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&hex::encode(b)),
        None => s.serialize_none(),
    }
}

/// FIELDFLAG bit: the column has a default value.
pub const FIELD_DEFAULT: u32 = 0x0010;
/// FIELDFLAG bit: multi-valued.
pub const FIELD_MULTIVALUED: u32 = 0x0008;
/// `FIELDFLAG` 0x2000: the column's values are encrypted.
pub const FIELD_ENCRYPTED: u32 = 0x2000;
/// IDX flag (high u16 of an index row's Flags): 4-byte key segments.
const IDX_EXTENDED_COLUMNS: u32 = 0x0001_0000;

/// The FIELDFLAG bits a column row's `Flags` holds (spec 9.4), by name.
const FIELD_FLAG_NAMES: [(u32, &str); 13] = [
    (0x0001, "NotNull"),
    (0x0002, "Version"),
    (0x0004, "AutoIncrement"),
    (0x0008, "MultiValued"),
    (0x0010, "Default"),
    (0x0020, "EscrowUpdate"),
    (0x0040, "Finalize"),
    (0x0080, "UserDefinedDefault"),
    (0x0100, "TemplateColumn"),
    (0x0200, "DeleteOnZero"),
    (0x0800, "PrimaryIndexPlaceholder"),
    (0x1000, "Compressed"),
    (0x2000, "Encrypted"),
];

/// The IDB (low u16) and IDX (high u16) bits an index row's `Flags` holds
/// (spec 9.4), by name.
const INDEX_FLAG_NAMES: [(u32, &str); 20] = [
    (0x0001, "Unique"),
    (0x0002, "AllowAllNulls"),
    (0x0004, "AllowFirstNull"),
    (0x0008, "AllowSomeNulls"),
    (0x0010, "NoNullSeg"),
    (0x0020, "Primary"),
    (0x0040, "LocaleSet"),
    (0x0080, "MultiValued"),
    (0x0100, "TemplateIndex"),
    (0x0200, "DerivedIndex"),
    (0x0400, "LocalizedText"),
    (0x0800, "SortNullsHigh"),
    (0x1000, "UnicodeFixup"),
    (0x2000, "CrossProduct"),
    (0x4000, "DisallowTruncation"),
    (0x8000, "NestedTable"),
    (0x0001_0000, "ExtendedColumns"),
    (0x0002_0000, "DotNetGuid"),
    (0x0004_0000, "DeferredPopulate"),
    (0x0008_0000, "OptionallyUnique"),
];

fn flag_names(value: u32, names: &[(u32, &'static str)]) -> String {
    let mut out: Vec<String> =
        names.iter().filter(|(bit, _)| value & bit != 0).map(|(_, n)| n.to_string()).collect();
    let known = names.iter().fold(0, |acc, (bit, _)| acc | bit);
    if value & !known != 0 {
        out.push(format!("{:#x}", value & !known));
    }
    out.join(" ")
}

/// A column row's `Flags` in words (`NotNull AutoIncrement`).
pub fn column_flag_names(flags: u32) -> String {
    flag_names(flags, &FIELD_FLAG_NAMES)
}

/// An index row's `Flags` in words (`Unique Primary ExtendedColumns`).
pub fn index_flag_names(flags: u32) -> String {
    flag_names(flags, &INDEX_FLAG_NAMES)
}

/// The catalog's own fixed columns 1–13: (size, record offset). Their stored
/// `RecordOffset`s are all 4; the real offsets run back to back (spec 9.2).
pub const CATALOG_FIXED: [(usize, usize); 13] = [
    (4, 4),
    (2, 8),
    (4, 10),
    (4, 14),
    (4, 18),
    (4, 22),
    (4, 26),
    (1, 30),
    (2, 31),
    (4, 33),
    (2, 37),
    (4, 39),
    (8, 43),
];

/// Decodes a catalog row from a record. `None` when the record is too
/// damaged to read the id columns.
pub fn parse_row(record: &[u8], layout: TaggedLayout) -> Option<CatalogEntry> {
    let rec = Record::parse(record, layout).ok()?;
    let fixed = |fid: u32| -> Option<&[u8]> {
        let (size, offset) = *CATALOG_FIXED.get(fid as usize - 1)?;
        match rec.fixed(fid, offset, size).ok()? {
            Cell::Single(Stored::Intrinsic(bytes)) => Some(bytes),
            _ => None,
        }
    };
    let u32_of = |fid| fixed(fid).and_then(|b| le_u32(b, 0));
    let u16_of = |fid| fixed(fid).and_then(|b| le_u16(b, 0));
    let variable = |fid: u32| match rec.variable(fid).ok()? {
        Cell::Single(Stored::Intrinsic(bytes)) => Some(bytes),
        _ => None,
    };
    let flags = u32_of(6).unwrap_or(0);
    let kind = ObjectKind::from_code(u16_of(2)?);
    let key_segments = match (kind, variable(132)) {
        (ObjectKind::Index, Some(bytes)) => key_segments(bytes, flags & IDX_EXTENDED_COLUMNS != 0),
        _ => Vec::new(),
    };
    Some(CatalogEntry {
        objid_table: u32_of(1)?,
        kind,
        id: u32_of(3)?,
        coltyp_or_pgno_fdp: u32_of(4).unwrap_or(0),
        space_usage: u32_of(5).unwrap_or(0),
        flags,
        pages_or_locale: u32_of(7).unwrap_or(0),
        record_offset: u16_of(9),
        lv_chunk_max: u32_of(12),
        name: variable(128).map(|b| decode_text(1252, b)).unwrap_or_default(),
        template_table: variable(130).map(|b| decode_text(1252, b)),
        default_value: variable(131).map(<[u8]>::to_vec),
        key_segments,
    })
}

/// `KeyFldIDs` (spec 9.5): 4-byte segments (flags, 0, u16 fid) in the
/// extended format, else 2-byte signed fids, negative for descending.
fn key_segments(bytes: &[u8], extended: bool) -> Vec<KeySegment> {
    if extended {
        bytes
            .chunks_exact(4)
            .filter_map(|c| {
                let flags = *c.first()?;
                Some(KeySegment { column: u32::from(le_u16(c, 2)?), descending: flags & 0x40 != 0 })
            })
            .collect()
    } else {
        bytes
            .chunks_exact(2)
            .filter_map(|c| {
                let fid = le_u16(c, 0)? as i16;
                Some(KeySegment { column: u32::from(fid.unsigned_abs()), descending: fid < 0 })
            })
            .collect()
    }
}

/// The name of a column type (`JET_coltyp`).
pub fn coltyp_name(code: u32) -> &'static str {
    match code {
        0 => "Nil",
        1 => "Bit",
        2 => "UnsignedByte",
        3 => "Short",
        4 => "Long",
        5 => "Currency",
        6 => "IEEESingle",
        7 => "IEEEDouble",
        8 => "DateTime",
        9 => "Binary",
        10 => "Text",
        11 => "LongBinary",
        12 => "LongText",
        13 => "SLV",
        14 => "UnsignedLong",
        15 => "LongLong",
        16 => "GUID",
        17 => "UnsignedShort",
        18 => "UnsignedLongLong",
        _ => "unknown",
    }
}
