//! What a writer is asked to write: tables with their columns, indexes and
//! rows, as typed values. Column ids are given out the way the engine does
//! (spec 9.2 and 10): fixed-size columns 1–127, variable Text/Binary
//! 128–255, tagged (long values, or any column marked tagged) from 256.

use serde::Serialize;

/// A column type (`JET_coltyp`, spec 10.6). The obsolete SLV type is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(missing_docs)] // the names are the JET_coltyp names
pub enum ColumnType {
    Bit,
    UnsignedByte,
    Short,
    Long,
    Currency,
    IEEESingle,
    IEEEDouble,
    DateTime,
    Binary,
    Text,
    LongBinary,
    LongText,
    UnsignedLong,
    LongLong,
    Guid,
    UnsignedShort,
    UnsignedLongLong,
}

impl ColumnType {
    /// Every type, in `JET_coltyp` order.
    pub const ALL: [Self; 17] = [
        Self::Bit,
        Self::UnsignedByte,
        Self::Short,
        Self::Long,
        Self::Currency,
        Self::IEEESingle,
        Self::IEEEDouble,
        Self::DateTime,
        Self::Binary,
        Self::Text,
        Self::LongBinary,
        Self::LongText,
        Self::UnsignedLong,
        Self::LongLong,
        Self::Guid,
        Self::UnsignedShort,
        Self::UnsignedLongLong,
    ];

    /// The `JET_coltyp` code stored in the catalog.
    pub fn code(self) -> u32 {
        match self {
            Self::Bit => 1,
            Self::UnsignedByte => 2,
            Self::Short => 3,
            Self::Long => 4,
            Self::Currency => 5,
            Self::IEEESingle => 6,
            Self::IEEEDouble => 7,
            Self::DateTime => 8,
            Self::Binary => 9,
            Self::Text => 10,
            Self::LongBinary => 11,
            Self::LongText => 12,
            Self::UnsignedLong => 14,
            Self::LongLong => 15,
            Self::Guid => 16,
            Self::UnsignedShort => 17,
            Self::UnsignedLongLong => 18,
        }
    }

    /// Size in bytes of a fixed-size type; `None` for Text, Binary and long values.
    pub fn fixed_size(self) -> Option<usize> {
        Some(match self {
            Self::Bit | Self::UnsignedByte => 1,
            Self::Short | Self::UnsignedShort => 2,
            Self::Long | Self::UnsignedLong | Self::IEEESingle => 4,
            Self::Currency | Self::IEEEDouble | Self::DateTime | Self::LongLong | Self::UnsignedLongLong => 8,
            Self::Guid => 16,
            Self::Binary | Self::Text | Self::LongBinary | Self::LongText => return None,
        })
    }

    /// True for LongBinary and LongText: always tagged, may be separated.
    pub fn is_long(self) -> bool {
        matches!(self, Self::LongBinary | Self::LongText)
    }

    /// True for the text types.
    pub fn is_text(self) -> bool {
        matches!(self, Self::Text | Self::LongText)
    }
}

/// One value of a column. `Text` is encoded in the column's code page
/// (1252: characters up to U+00FF, stored as Latin-1; 1200: UTF-16LE).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value")]
#[allow(missing_docs)] // one variant per column type, named as the type
pub enum Value {
    Null,
    Bit(bool),
    UnsignedByte(u8),
    Short(i16),
    Long(i32),
    Currency(i64),
    IEEESingle(f32),
    IEEEDouble(f64),
    /// OLE Automation date: days since 1899-12-30.
    DateTime(f64),
    Binary(Vec<u8>),
    Text(String),
    UnsignedLong(u32),
    LongLong(i64),
    Guid([u8; 16]),
    UnsignedShort(u16),
    UnsignedLongLong(u64),
}

/// A column to create. Its id follows from its type and `tagged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDef {
    /// The column name (ASCII).
    pub name: String,
    /// The type.
    pub coltyp: ColumnType,
    /// Store as a tagged column even when the type is fixed or variable.
    pub tagged: bool,
    /// Code page of text columns: 1252 or 1200 (0 for other types).
    pub code_page: u32,
    /// `cbMaxLen` for Text/Binary (0 = 255); ignored for other types.
    pub max_len: u32,
    /// NOT NULL (FIELDFLAG 0x0001).
    pub not_null: bool,
}

impl ColumnDef {
    /// A nullable column of `coltyp`; text columns get code page 1252.
    pub fn new(name: &str, coltyp: ColumnType) -> Self {
        let code_page = if coltyp.is_text() { 1252 } else { 0 };
        Self { name: name.to_string(), coltyp, tagged: false, code_page, max_len: 0, not_null: false }
    }

    /// The same column stored as a tagged column.
    pub fn tagged(mut self) -> Self {
        self.tagged = true;
        self
    }

    /// The same column, NOT NULL.
    pub fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }

    /// The same text column in code page `code_page`.
    pub fn code_page(mut self, code_page: u32) -> Self {
        self.code_page = code_page;
        self
    }

    /// Which of the three record areas holds the column.
    pub fn storage(&self) -> Storage {
        if self.tagged || self.coltyp.is_long() {
            Storage::Tagged
        } else if self.coltyp.fixed_size().is_some() {
            Storage::Fixed
        } else {
            Storage::Variable
        }
    }
}

/// Where in a record a column lives (spec 10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Storage {
    /// Fixed columns, fid 1–127.
    Fixed,
    /// Variable columns, fid 128–255.
    Variable,
    /// Tagged columns, fid 256 and up.
    Tagged,
}

/// An index: the columns of its key, each ascending or descending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexDef {
    /// The index name.
    pub name: String,
    /// Key segments: column name and `true` for descending.
    pub segments: Vec<(String, bool)>,
    /// Unique keys.
    pub unique: bool,
}

impl IndexDef {
    /// An index over `columns`, all ascending.
    pub fn new(name: &str, columns: &[&str], unique: bool) -> Self {
        Self {
            name: name.to_string(),
            segments: columns.iter().map(|c| ((*c).to_string(), false)).collect(),
            unique,
        }
    }
}

/// A table to create, with its rows (values in column order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDef {
    /// The table name (ASCII).
    pub name: String,
    /// Its columns.
    pub columns: Vec<ColumnDef>,
    /// The primary index (unique; the records are keyed by it).
    pub primary: IndexDef,
    /// Secondary indexes.
    pub indexes: Vec<IndexDef>,
    /// The rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
}
