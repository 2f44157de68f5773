//! What a writer is asked to write: tables with their columns, indexes and
//! rows, as typed values. Column ids are given out the way the engine does
//! (spec 9.2 and 10): fixed-size columns 1–127, variable Text/Binary
//! 128–255, tagged (long values, or any column marked tagged) from 256.
//! Types and values are the reader's ([`crate::format::value`]), so what is
//! written and what is read back compare directly.

use serde::Serialize;

pub use crate::format::value::{ColumnType, Value};

/// Every column type the writer writes (all of `JET_coltyp` but Nil and
/// the obsolete SLV), in type-code order.
pub const WRITABLE_TYPES: [ColumnType; 17] = [
    ColumnType::BIT,
    ColumnType::UNSIGNED_BYTE,
    ColumnType::SHORT,
    ColumnType::LONG,
    ColumnType::CURRENCY,
    ColumnType::IEEE_SINGLE,
    ColumnType::IEEE_DOUBLE,
    ColumnType::DATE_TIME,
    ColumnType::BINARY,
    ColumnType::TEXT,
    ColumnType::LONG_BINARY,
    ColumnType::LONG_TEXT,
    ColumnType::UNSIGNED_LONG,
    ColumnType::LONG_LONG,
    ColumnType::GUID,
    ColumnType::UNSIGNED_SHORT,
    ColumnType::UNSIGNED_LONG_LONG,
];

/// True for LongBinary and LongText: always tagged, may be separated.
pub fn is_long(coltyp: ColumnType) -> bool {
    matches!(coltyp, ColumnType::LONG_BINARY | ColumnType::LONG_TEXT)
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
        if self.tagged || is_long(self.coltyp) {
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
#[derive(Debug, Clone, PartialEq)]
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
