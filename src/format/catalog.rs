//! Rows of the catalog (`MSysObjects`): tables, columns, indexes and
//! long-value trees with their ids and root pages. Decodes the catalog's
//! own fixed schema (spec 9.2: its fixed columns lie back to back from
//! offset 4) and the `Name` column; general records are another module's.

use serde::Serialize;

use super::types::{le_u16, le_u32};

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
    /// `Name`.
    pub name: String,
}

/// Offsets of the catalog's fixed columns 1–7, each 4 bytes except `Type` (2).
const FIXED: [(usize, usize); 7] = [(4, 4), (8, 2), (10, 4), (14, 4), (18, 4), (22, 4), (26, 4)];

/// Decodes a catalog row from a record. `None` when the record is too
/// damaged to read the id columns.
pub fn parse_row(record: &[u8]) -> Option<CatalogEntry> {
    let fixed_last = usize::from(*record.first()?);
    let var_last = usize::from(*record.get(1)?);
    let end_of_fixed = usize::from(le_u16(record, 2)?);
    let bitmap = end_of_fixed.checked_sub(fixed_last.div_ceil(8))?;
    let value = |fid: usize| -> Option<u32> {
        if fid > fixed_last {
            return None;
        }
        let null = record.get(bitmap + (fid - 1) / 8)? & (1 << ((fid - 1) % 8)) != 0;
        let (offset, size) = *FIXED.get(fid - 1)?;
        match (null, size) {
            (true, _) => None,
            (false, 2) => le_u16(record, offset).map(u32::from),
            (false, _) => le_u32(record, offset),
        }
    };
    let name = if var_last >= 128 {
        let entry = le_u16(record, end_of_fixed)?;
        let count = var_last - 127;
        let data = end_of_fixed + 2 * count;
        if entry & 0x8000 != 0 {
            String::new()
        } else {
            let bytes = record.get(data..data + usize::from(entry & 0x7FFF))?;
            bytes.iter().map(|&b| char::from(b)).collect()
        }
    } else {
        String::new()
    };
    Some(CatalogEntry {
        objid_table: value(1)?,
        kind: ObjectKind::from_code(value(2)? as u16),
        id: value(3)?,
        coltyp_or_pgno_fdp: value(4).unwrap_or(0),
        space_usage: value(5).unwrap_or(0),
        flags: value(6).unwrap_or(0),
        pages_or_locale: value(7).unwrap_or(0),
        name,
    })
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
