//! The catalog (`MSysObjects`, spec 9) as rows to write: the catalog's own
//! schema (28 columns, which it describes itself), its three indexes
//! (`Id`, `Name`, `RootObjects`), the `MSysObjectsShadow` copy, and the
//! rows of every user table, column, index and long-value tree. Each row
//! becomes a record in the catalog's own format and an entry of the
//! `Name` and `RootObjects` index trees.

use crate::format::PageSize;

use super::key::normalized;
use super::page::NodeImage;
use super::record::{encode_record, place_columns, LongValues, PlacedColumn};
use super::schema::{is_long, ColumnDef, ColumnType, Value};

/// `LCMapFlags` of every index row (spec 13 step 4).
pub const LCMAP_FLAGS: u32 = 0x0003_0401;
/// `LocaleName` of every index row.
pub const LOCALE_NAME: &str = "en-US";

/// Longest object name (`JET_cbNameMost`).
pub const NAME_MOST: usize = 64;

/// Catalog row type (`Type`, fid 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    /// A table.
    Table = 1,
    /// A column.
    Column = 2,
    /// An index.
    Index = 3,
    /// A long-value tree.
    LongValue = 4,
}

/// One row of `MSysObjects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    /// `ObjidTable`.
    pub objid_table: u32,
    /// `Type`.
    pub kind: RowKind,
    /// `Id`: objid, column id or index objid.
    pub id: u32,
    /// `ColtypOrPgnoFDP`.
    pub coltyp_or_pgno_fdp: u32,
    /// `SpaceUsage`: maximum length or density.
    pub space_usage: u32,
    /// `Flags`.
    pub flags: u32,
    /// `PagesOrLocale`: initial pages or code page.
    pub pages_or_locale: u32,
    /// `RecordOffset` of a fixed column.
    pub record_offset: Option<u16>,
    /// `Name`.
    pub name: String,
    /// `KeyFldIDs` of an index (extended 4-byte format).
    pub key_fld_ids: Option<Vec<u8>>,
}

impl CatalogRow {
    /// A table row.
    pub fn table(objid: u32, pgno_fdp: u32, pages: u32, flags: u32, name: &str) -> Self {
        Self::new(objid, RowKind::Table, objid, pgno_fdp, 80, flags, pages, name)
    }

    /// An index row; `segments` are `(fid, descending)`.
    pub fn index(
        objid_table: u32,
        objid: u32,
        pgno_fdp: u32,
        flags: u32,
        name: &str,
        segments: &[(u32, bool)],
    ) -> Self {
        let mut row = Self::new(objid_table, RowKind::Index, objid, pgno_fdp, 80, flags, 0, name);
        let ids = segments
            .iter()
            .flat_map(|&(fid, descending)| {
                let [lo, hi] = (fid as u16).to_le_bytes();
                [if descending { 0x40 } else { 0 }, 0, lo, hi]
            })
            .collect();
        row.key_fld_ids = Some(ids);
        row
    }

    /// A long-value tree row.
    pub fn long_value(objid_table: u32, objid: u32, pgno_fdp: u32, pages: u32) -> Self {
        Self::new(objid_table, RowKind::LongValue, objid, pgno_fdp, 100, 0, pages, "LV")
    }

    #[allow(clippy::too_many_arguments)] // one argument per catalog column
    fn new(
        objid_table: u32,
        kind: RowKind,
        id: u32,
        coltyp_or_pgno_fdp: u32,
        space_usage: u32,
        flags: u32,
        pages_or_locale: u32,
        name: &str,
    ) -> Self {
        Self {
            objid_table,
            kind,
            id,
            coltyp_or_pgno_fdp,
            space_usage,
            flags,
            pages_or_locale,
            record_offset: None,
            name: name.to_string(),
            key_fld_ids: None,
        }
    }

    /// A column row for column `fid` of `def`.
    pub fn column(objid_table: u32, fid: u32, def: &ColumnDef, record_offset: Option<u16>) -> Self {
        let space_usage = match def.coltyp.fixed_size() {
            Some(size) => size as u32,
            None if is_long(def.coltyp) => def.max_len,
            None => {
                if def.max_len == 0 {
                    255
                } else {
                    def.max_len
                }
            }
        };
        let flags = u32::from(def.not_null);
        let code = def.coltyp.0;
        let mut row =
            Self::new(objid_table, RowKind::Column, fid, code, space_usage, flags, def.code_page, &def.name);
        row.record_offset = record_offset;
        row
    }

    /// The primary key: `ObjidTable`, `Type`, `Id` normalized (spec 9.3).
    pub fn key(&self) -> Vec<u8> {
        let long = |v: u32| normalized(ColumnType::LONG, 0, &Value::Long(v as i32)).unwrap_or_default();
        let short = normalized(ColumnType::SHORT, 0, &Value::Short(self.kind as i16)).unwrap_or_default();
        [long(self.objid_table), short, long(self.id)].concat()
    }

    /// Key of the `Name` index: table, type, upper-cased name.
    pub fn name_key(&self) -> Vec<u8> {
        let mut key = self.key();
        key.truncate(8); // ObjidTable (5 bytes) and Type (3 bytes)
        key.push(0x7F);
        key.extend(self.name.bytes().map(|b| b.to_ascii_uppercase()));
        key.push(0);
        key
    }

    /// Key of the `RootObjects` index (table rows only): RootFlag true, name.
    pub fn root_objects_key(&self) -> Option<Vec<u8>> {
        (self.kind == RowKind::Table).then(|| {
            let mut key = vec![0x7F, 0xFF, 0x7F];
            key.extend(self.name.bytes().map(|b| b.to_ascii_uppercase()));
            key.push(0);
            key
        })
    }

    fn values(&self) -> Vec<Value> {
        let long = |v: u32| Value::Long(v as i32);
        let index = self.kind == RowKind::Index;
        let mut values = vec![
            long(self.objid_table),
            Value::Short(self.kind as i16),
            long(self.id),
            long(self.coltyp_or_pgno_fdp),
            long(self.space_usage),
            long(self.flags),
            long(self.pages_or_locale),
            if self.kind == RowKind::Table { Value::Bit(true) } else { Value::Null },
            self.record_offset.map_or(Value::Null, |o| Value::Short(o as i16)),
            if index { long(LCMAP_FLAGS) } else { Value::Null },
            Value::Null,
            Value::Null,
            Value::Text(self.name.clone()),
        ];
        // Stats, TemplateTable, DefaultValue
        values.extend([Value::Null, Value::Null, Value::Null]);
        values.push(self.key_fld_ids.clone().map_or(Value::Null, Value::Binary));
        // VarSegMac .. SortID, CallbackData .. SpaceDeferredLVHints
        values.extend(std::iter::repeat_n(Value::Null, 5 + 5));
        values.push(if index { Value::Binary(utf16(LOCALE_NAME)) } else { Value::Null });
        values
    }
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The catalog's own columns (spec 9.2): fids 1–12, 128–137, 256–261.
pub fn catalog_columns() -> Vec<ColumnDef> {
    use ColumnType as T;
    let fixed = [
        ("ObjidTable", T::LONG),
        ("Type", T::SHORT),
        ("Id", T::LONG),
        ("ColtypOrPgnoFDP", T::LONG),
        ("SpaceUsage", T::LONG),
        ("Flags", T::LONG),
        ("PagesOrLocale", T::LONG),
        ("RootFlag", T::BIT),
        ("RecordOffset", T::SHORT),
        ("LCMapFlags", T::LONG),
        ("KeyMost", T::UNSIGNED_SHORT),
        ("LVChunkMax", T::LONG),
    ];
    let variable = [
        ("Name", T::TEXT),
        ("Stats", T::BINARY),
        ("TemplateTable", T::TEXT),
        ("DefaultValue", T::BINARY),
        ("KeyFldIDs", T::BINARY),
        ("VarSegMac", T::BINARY),
        ("ConditionalColumns", T::BINARY),
        ("TupleLimits", T::BINARY),
        ("Version", T::BINARY),
        ("SortID", T::BINARY),
    ];
    let tagged = [
        "CallbackData",
        "CallbackDependencies",
        "SeparateLV",
        "SpaceHints",
        "SpaceDeferredLVHints",
        "LocaleName",
    ];
    let mut columns: Vec<ColumnDef> = fixed
        .iter()
        .chain(&variable)
        .enumerate()
        .map(|(i, (name, coltyp))| {
            let column = ColumnDef::new(name, *coltyp).code_page(1252);
            if i < 7 || *name == "Name" {
                column.not_null()
            } else {
                column
            }
        })
        .collect();
    columns.extend(tagged.iter().map(|name| ColumnDef::new(name, T::LONG_BINARY).code_page(1252)));
    columns
}

/// The rows that describe a catalog table (`MSysObjects`, objid 2, or
/// `MSysObjectsShadow`, objid 3): its table row, its 28 column rows (every
/// fixed one with the stored `RecordOffset` 4, as the engine writes), and
/// its indexes.
pub fn catalog_table_rows(objid: u32, pgno_fdp: u32, pages: u32, name: &str) -> Vec<CatalogRow> {
    let mut rows = vec![CatalogRow::table(objid, pgno_fdp, pages, 0xC000_0000, name)];
    for placed in place_columns(&catalog_columns()).unwrap_or_default() {
        let offset = (placed.record_offset != 0).then_some(4);
        rows.push(CatalogRow::column(objid, placed.fid, &placed.def, offset));
    }
    rows.push(CatalogRow::index(
        objid,
        objid,
        pgno_fdp,
        0x0001_0031,
        "Id",
        &[(1, false), (2, false), (3, false)],
    ));
    if objid == 2 {
        rows.push(CatalogRow::index(2, 4, 7, 0x0001_0011, "Name", &[(1, false), (2, false), (128, false)]));
        rows.push(CatalogRow::index(2, 5, 10, 0x0001_0009, "RootObjects", &[(8, false), (128, false)]));
    }
    rows
}

/// The catalog as tree entries: records keyed by the primary key, and the
/// `Name` and `RootObjects` index entries (data = the row's primary key).
/// Rows are sorted here.
pub struct CatalogEntries {
    /// Entries of the catalog tree (and of its shadow).
    pub records: Vec<NodeImage>,
    /// Entries of the `Name` index.
    pub by_name: Vec<NodeImage>,
    /// Entries of the `RootObjects` index.
    pub root_objects: Vec<NodeImage>,
}

/// Encodes `rows` into catalog entries.
///
/// # Errors
/// A row that does not encode (a name that is not ASCII, say).
pub fn catalog_entries(rows: &[CatalogRow], size: PageSize) -> Result<CatalogEntries, &'static str> {
    let columns: Vec<PlacedColumn> = place_columns(&catalog_columns())?;
    let mut sorted: Vec<&CatalogRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.key());
    let mut records = Vec::with_capacity(rows.len());
    let mut by_name = Vec::with_capacity(rows.len());
    let mut root_objects = Vec::new();
    let mut unused = LongValues::default();
    for row in sorted {
        if !row.name.is_ascii() || row.name.is_empty() || row.name.len() > NAME_MOST {
            return Err("names must be 1 to 64 ASCII characters");
        }
        let record = encode_record(&columns, &row.values(), size, &mut unused)?;
        if records.last().is_some_and(|n: &NodeImage| n.key == row.key()) {
            return Err("two catalog rows have the same table, type and id");
        }
        records.push(NodeImage::new(row.key(), record));
        by_name.push(NodeImage::new(row.name_key(), row.key()));
        if let Some(key) = row.root_objects_key() {
            root_objects.push(NodeImage::new(key, row.key()));
        }
    }
    by_name.sort_by(|a, b| a.key.cmp(&b.key));
    root_objects.sort_by(|a, b| a.key.cmp(&b.key));
    if by_name.windows(2).any(|w| w[0].key == w[1].key)
        || root_objects.windows(2).any(|w| w[0].key == w[1].key)
    {
        return Err("two tables, or two columns or indexes of one table, have the same name (names compare without case)");
    }
    Ok(CatalogEntries { records, by_name, root_objects })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::catalog::{parse_row, ObjectKind};
    use crate::format::record::TaggedLayout;

    #[test]
    fn catalog_describes_itself_with_28_columns() {
        let rows = catalog_table_rows(2, 4, 20, "MSysObjects");
        assert_eq!(rows.iter().filter(|r| r.kind == RowKind::Column).count(), 28);
        let entries = catalog_entries(&rows, PageSize::K8).unwrap();
        let first = parse_row(&entries.records[0].data, TaggedLayout::Small).unwrap();
        assert_eq!((first.kind, first.id, first.name.as_str()), (ObjectKind::Table, 2, "MSysObjects"));
        assert_eq!(first.flags, 0xC000_0000);
        // spec 9.3: the Name index entry of the table row
        assert_eq!(
            hex::encode(&entries.by_name.iter().find(|n| n.data == entries.records[0].key).unwrap().key),
            format!("7f800000027f80017f{}00", hex::encode("MSYSOBJECTS"))
        );
        assert_eq!(entries.root_objects.len(), 1);
    }

    #[test]
    fn an_index_row_has_its_segments_and_locale() {
        let row = CatalogRow::index(8, 9, 40, 0x0001_000E, "ByName", &[(128, false), (1, true)]);
        assert_eq!(row.key_fld_ids.as_deref(), Some(&[0, 0, 128, 0, 0x40, 0, 1, 0][..]));
        let record = encode_record(
            &place_columns(&catalog_columns()).unwrap(),
            &row.values(),
            PageSize::K4,
            &mut LongValues::default(),
        )
        .unwrap();
        assert!(record.ends_with(&utf16("en-US")));
    }
}
