//! The rows of a table: its tree walked in key order, each record split
//! into columns as the catalog describes them, separated values fetched
//! from the long-value tree, compressed ones decompressed, and every value
//! typed. A value that cannot be decoded is reported with its row and
//! column, and the row is still returned with what could be read.

use serde::Serialize;

use super::catalog::{Catalog, TableDef};
use super::cursor::{walk_named, TreeWalk};
use super::long_value::LongValues;
use super::Database;
use crate::finding::{Finding, Location};
use crate::format::catalog::{CatalogEntry, CATALOG_FIXED, FIELD_ENCRYPTED, FIELD_MULTIVALUED};
use crate::format::compression::decompress;
use crate::format::node::Node;
use crate::format::page::{Page, PageFlags};
use crate::format::record::{Cell, ColumnClass, Record, RecordPart, Stored, TaggedLayout};
use crate::format::tagged::TaggedColumns;
use crate::format::value::{decode, ColumnType, Value};
use crate::format::PageNumber;

/// One column of a table, as records are decoded with it.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Column id (`fid`).
    pub id: u32,
    /// Name.
    pub name: String,
    /// Type.
    pub coltyp: ColumnType,
    /// Code page of text columns.
    pub codepage: u32,
    /// Fixed, variable or tagged.
    pub class: ColumnClass,
    /// Multi-valued (FIELDFLAG 0x0008).
    pub multivalued: bool,
    /// Inherited from the template table.
    pub derived: bool,
    /// Encrypted (FIELDFLAG 0x2000): values are shown as their stored bytes.
    pub encrypted: bool,
    /// Record offset of a fixed column.
    #[serde(skip)]
    pub(crate) offset: usize,
    /// Size of a fixed column.
    #[serde(skip)]
    pub(crate) size: usize,
    /// The default value, as stored.
    #[serde(skip)]
    pub(crate) default: Option<Vec<u8>>,
}

impl Column {
    fn from_entry(entry: &CatalogEntry, catalog_table: bool, derived: bool) -> Self {
        let coltyp = ColumnType(entry.coltyp_or_pgno_fdp);
        let class = ColumnClass::of(entry.id);
        let (size, offset) = if catalog_table {
            CATALOG_FIXED.get((entry.id as usize).wrapping_sub(1)).copied().unwrap_or((0, 0))
        } else {
            let size = coltyp.fixed_size().unwrap_or(entry.space_usage as usize);
            (size, usize::from(entry.record_offset.unwrap_or(0)))
        };
        Self {
            id: entry.id,
            name: entry.name.clone(),
            coltyp,
            codepage: entry.pages_or_locale,
            class,
            multivalued: entry.flags & FIELD_MULTIVALUED != 0,
            encrypted: entry.flags & FIELD_ENCRYPTED != 0,
            derived,
            offset,
            size,
            default: entry.default_value.clone(),
        }
    }
}

/// One row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Leaf page of the record.
    pub pgno: PageNumber,
    /// Its tag index on that page; 0 for a record remnant found in the
    /// page's slack (no tag points at it, and tag 0 never holds a record).
    pub tag: u16,
    /// The node is flag-deleted (shown only when asked for).
    pub deleted: bool,
    /// One value per column of the table, in column order.
    pub values: Vec<Value>,
    /// Values that could not be decoded: (column index, why).
    pub errors: Vec<(usize, String)>,
}

/// A table ready to be read.
#[derive(Debug, Clone)]
pub struct Table<'d> {
    db: &'d Database,
    /// What the catalog says of it.
    pub def: TableDef,
    /// Its columns, template columns first.
    pub columns: Vec<Column>,
    long_values: LongValues<'d>,
    pub(crate) tagged: TaggedColumns,
    /// Every tree the catalog names, by object id, for findings about a
    /// page of another tree.
    names: Vec<(u32, String)>,
    /// Long-value nodes from elsewhere (a log's LV inserts), read when the
    /// tree does not have a value.
    loose_long_values: Option<std::sync::Arc<crate::store::long_value::LooseNodes>>,
}

impl<'d> Table<'d> {
    /// The table `def` of `catalog`'s database `db`.
    pub fn new(db: &'d Database, catalog: &Catalog, def: &TableDef) -> Self {
        let catalog_table = matches!(def.table.id, 2 | 3);
        let mut columns = Vec::new();
        if let Some(template) = def.table.template_table.as_deref().and_then(|name| catalog.table(name)) {
            columns.extend(template.columns.iter().map(|c| Column::from_entry(c, false, true)));
        }
        columns.extend(def.columns.iter().map(|c| Column::from_entry(c, catalog_table, false)));
        let lv_root = def.long_value.as_ref().map(|lv| PageNumber(lv.coltyp_or_pgno_fdp));
        let tagged = TaggedColumns::new(columns.iter().map(|c| (c.id, c.derived)));
        let names = catalog.object_names();
        Self {
            db,
            def: def.clone(),
            columns,
            long_values: LongValues::new(db, lv_root),
            tagged,
            names,
            loose_long_values: None,
        }
    }

    /// Long-value nodes to read a separated value from when the table's
    /// tree does not have it (the LV inserts of a transaction log).
    pub fn set_loose_long_values(
        &mut self,
        nodes: Option<std::sync::Arc<crate::store::long_value::LooseNodes>>,
    ) {
        self.loose_long_values = nodes;
    }

    /// The database the table is in.
    pub fn db(&self) -> &'d Database {
        self.db
    }

    fn name_of(&self, objid: crate::format::ObjectId) -> Option<String> {
        self.names.iter().find(|(id, _)| *id == objid.0).map(|(_, n)| n.clone())
    }

    /// Walks the table in key order and calls `on_row` for each row;
    /// flag-deleted records only when `deleted` is true. Returns the walk
    /// with its structural findings.
    pub fn rows(&self, deleted: bool, mut on_row: impl FnMut(Row)) -> TreeWalk {
        walk_named(self.db, self.def.pgno_fdp(), &|o| self.name_of(o), |page, node| {
            if deleted || !node.is_deleted() {
                on_row(self.row(page, node));
            }
        })
    }

    /// Walks the table's tree and calls `on_node` for every leaf node,
    /// flag-deleted ones too.
    pub fn walk_nodes(&self, mut on_node: impl FnMut(&Page<'_>, &Node<'_>)) -> TreeWalk {
        walk_named(self.db, self.def.pgno_fdp(), &|o| self.name_of(o), |page, node| on_node(page, node))
    }

    /// The leaf pages of the table in key order, each once, found by a
    /// walk of the tree (with its structural findings). [`Self::page_rows`]
    /// of each, in this order, gives what [`Self::rows`] gives: the pieces
    /// can be decoded on several threads and put back in order.
    pub fn leaves(&self) -> (Vec<PageNumber>, TreeWalk) {
        let mut leaves: Vec<PageNumber> = Vec::new();
        let walk = walk_named(self.db, self.def.pgno_fdp(), &|o| self.name_of(o), |page, _| {
            if leaves.last() != Some(&page.pgno) {
                leaves.push(page.pgno);
            }
        });
        (leaves, walk)
    }

    /// The rows of leaf page `pgno` in line order (flag-deleted ones only
    /// when `deleted` is true), as the walk of [`Self::rows`] gives them: a
    /// node that does not decode is left out (the walk reported it).
    pub fn page_rows(&self, pgno: PageNumber, deleted: bool, mut on_row: impl FnMut(Row)) {
        // read as the walk reads it: verified, or from its corrected copy
        let Ok(read) = self.db.read_page(pgno) else { return };
        let Ok(page) = read.page(self.db) else { return };
        for node in crate::format::node::nodes(&page).filter_map(Result::ok) {
            if deleted || !node.is_deleted() {
                on_row(self.row(&page, &node));
            }
        }
    }

    /// As [`Table::rows`], with each row's key (its primary key, as stored
    /// in the tree: the normalised key bytes).
    pub fn keyed_rows(&self, deleted: bool, mut on_row: impl FnMut(&[u8], Row)) -> TreeWalk {
        walk_named(self.db, self.def.pgno_fdp(), &|o| self.name_of(o), |page, node| {
            if deleted || !node.is_deleted() {
                on_row(&node.key, self.row(page, node));
            }
        })
    }

    /// Where every record is, in key order: (leaf page, tag), at most
    /// `limit` of them; flag-deleted ones only when `deleted` is true.
    pub fn locations(&self, deleted: bool, limit: usize) -> (Vec<(PageNumber, u16)>, TreeWalk) {
        let mut found = Vec::new();
        let walk = walk_named(self.db, self.def.pgno_fdp(), &|o| self.name_of(o), |page, node| {
            if found.len() < limit && (deleted || !node.is_deleted()) {
                found.push((page.pgno, node.tag.index));
            }
        });
        (found, walk)
    }

    /// The record at tag `tag` of leaf page `pgno`, when that is a node
    /// (read from the corrected copy when the ECC corrects the page).
    pub fn row_at(&self, pgno: PageNumber, tag: u16) -> Option<Row> {
        let read = self.db.read_page(pgno).ok()?;
        let page = read.page(self.db).ok()?;
        let line = tag.checked_sub(page.header.ctag_reserved())?;
        let node = crate::format::node::node(&page, line).ok()?;
        Some(self.row(&page, &node))
    }

    /// How the records of `page` lay out their tagged columns.
    pub fn layout(&self, page: &Page<'_>) -> TaggedLayout {
        TaggedLayout::for_page(
            self.db.page_size().is_large(),
            page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT),
        )
    }

    /// The column (index into [`Self::columns`]) whose bytes hold record
    /// offset `offset` of `record`, bit `bit`: its value, its null bit, its
    /// variable offset or its `TAGFLD` entry, as `part` says.
    pub fn column_at(&self, record: &Record<'_>, offset: usize, bit: u8) -> Option<usize> {
        let find = |id: u32, derived: Option<bool>| {
            self.columns.iter().position(|c| c.id == id && derived.is_none_or(|d| c.derived == d))
        };
        match record.part_at(offset) {
            RecordPart::FixedData => self.columns.iter().position(|c| {
                c.class == ColumnClass::Fixed
                    && c.id <= u32::from(record.fixed_last)
                    && (c.offset..c.offset + c.size).contains(&offset)
            }),
            RecordPart::NullBitmap { first } => find(first + u32::from(bit), None),
            RecordPart::VariableOffset(id) | RecordPart::VariableData(id) => find(id, None),
            RecordPart::TaggedEntry { id, derived } | RecordPart::TaggedData { id, derived } => {
                find(id, Some(derived))
            }
            RecordPart::Header(_) | RecordPart::Unknown => None,
        }
    }

    /// Decodes the record of leaf node `node` on `page`.
    pub fn row(&self, page: &Page<'_>, node: &Node<'_>) -> Row {
        self.decode(node.data, self.layout(page), page.pgno, node.tag.index, node.is_deleted())
    }

    /// [`Self::row`] for its errors only (a check: `verify --trees`): every
    /// error [`Self::row`] finds, but no value decoded into text or numbers
    /// (`values` is empty); a separated value is still read from the
    /// long-value tree, a compressed one still decompressed.
    pub fn row_errors(&self, page: &Page<'_>, node: &Node<'_>) -> Row {
        let layout = self.layout(page);
        self.decode_as(node.data, layout, (page.pgno, node.tag.index, node.is_deleted()), false)
    }

    /// Decodes `data`, a record of this table laid out as `layout`, said to
    /// be at tag `tag` of page `pgno` (a record from a log, for one).
    pub fn decode(
        &self,
        data: &[u8],
        layout: TaggedLayout,
        pgno: PageNumber,
        tag: u16,
        deleted: bool,
    ) -> Row {
        self.decode_as(data, layout, (pgno, tag, deleted), true)
    }

    /// [`Self::decode`]; with `values` false, no value is kept (only the
    /// errors are wanted).
    fn decode_as(
        &self,
        data: &[u8],
        layout: TaggedLayout,
        (pgno, tag, deleted): (PageNumber, u16, bool),
        values: bool,
    ) -> Row {
        let width = if values { self.columns.len() } else { 0 };
        let mut row = Row { pgno, tag, deleted, values: Vec::with_capacity(width), errors: Vec::new() };
        let record = match Record::parse(data, layout) {
            Ok(record) => record,
            Err(e) => {
                row.values = vec![Value::Null; width];
                row.errors.push((usize::MAX, e.to_string()));
                return row;
            }
        };
        let tagged: Vec<_> = record.tagged();
        // one merge walk of the fields and the columns, not a search per
        // column (and none for a record without tagged fields)
        let found = if tagged.is_empty() { Vec::new() } else { self.tagged.locate(&tagged) };
        for (index, column) in self.columns.iter().enumerate() {
            let slot = found.get(index).copied().flatten();
            if column.class == ColumnClass::Tagged && slot.is_none() && column.default.is_none() {
                // absent, no default: most cells of a wide table
                if values {
                    row.values.push(Value::Null);
                }
                continue;
            }
            let cell = match column.class {
                ColumnClass::Fixed => record.fixed(column.id, column.offset, column.size),
                ColumnClass::Variable => record.variable(column.id),
                ColumnClass::Tagged => Ok(slot
                    .and_then(|i| tagged.get(i))
                    .and_then(|f| f.as_ref().ok())
                    .map_or(Cell::Absent, |f| f.cell.clone())),
            };
            let value = match cell {
                // errors only: a stored value of a column that is not
                // encrypted (or none) cannot have one
                Ok(Cell::Absent | Cell::Null | Cell::Single(Stored::Intrinsic(_)))
                    if !values && !column.encrypted =>
                {
                    continue
                }
                Ok(cell) => self.value(column, cell, (index, values), &mut row.errors),
                Err(e) => {
                    row.errors.push((index, e.to_string()));
                    Value::Null
                }
            };
            if values {
                row.values.push(value);
            }
        }
        for e in tagged.iter().filter_map(|f| f.as_ref().err()) {
            row.errors.push((usize::MAX, e.to_string()));
        }
        // A tagged value whose column the catalog does not list is not
        // dropped without a word: a deleted column, or a lie. (The fields
        // no column took, found without a search per field.)
        let mut taken = vec![false; tagged.len()];
        for &i in found.iter().flatten() {
            if let Some(t) = taken.get_mut(i) {
                *t = true;
            }
        }
        for (f, _) in tagged.iter().zip(&taken).filter(|(_, &t)| !t) {
            let Ok(f) = f else { continue };
            let derived = if f.derived { " (derived)" } else { "" };
            let why = if self.tagged.knows(f.id, f.derived) {
                format!(
                    "the record holds a second value of tagged column {}{derived} at offset {}; only the first is shown",
                    f.id, f.offset
                )
            } else {
                format!(
                    "tagged column id {}{derived} (at record offset {}) is not in the catalog; its value is not exported",
                    f.id, f.offset
                )
            };
            row.errors.push((usize::MAX, why));
        }
        row
    }

    /// The value of `column` in `cell`; `values` false: only its errors.
    fn value(
        &self,
        column: &Column,
        cell: Cell<'_>,
        (index, values): (usize, bool),
        errors: &mut Vec<(usize, String)>,
    ) -> Value {
        match cell {
            Cell::Absent => match &column.default {
                Some(bytes) if values => decode(column.coltyp, column.codepage, bytes),
                _ => Value::Null,
            },
            Cell::Null => Value::Null,
            Cell::Single(stored) => self.instance(column, stored, (index, values), errors),
            Cell::Multi(instances) => Value::Multi(
                instances.into_iter().map(|s| self.instance(column, s, (index, values), errors)).collect(),
            ),
        }
    }

    fn instance(
        &self,
        column: &Column,
        stored: Stored<'_>,
        (index, values): (usize, bool),
        errors: &mut Vec<(usize, String)>,
    ) -> Value {
        let bytes = match stored {
            Stored::Intrinsic(bytes) if column.encrypted => Err((
                "the column is encrypted (FIELDFLAG 0x2000) and its value cannot be decoded; its stored bytes are shown"
                    .into(),
                bytes.to_vec(),
            )),
            Stored::Intrinsic(_) if !values => return Value::Null,
            Stored::Intrinsic(bytes) => return decode(column.coltyp, column.codepage, bytes),
            Stored::Compressed(bytes) => decompress(bytes).map_err(|e| (e.to_string(), bytes.to_vec())),
            Stored::Separated(lid) => self
                .long_values
                .read(lid)
                .or_else(|e| match &self.loose_long_values {
                    Some(nodes) => crate::store::long_value::from_loose(lid, nodes).map_err(|_| e),
                    None => Err(e),
                })
                .map_err(|e| (e.to_string(), Vec::new())),
            Stored::Encrypted(bytes) => Err((
                "the value is encrypted (TAGFLD_HEADER 0x40) and cannot be decoded; its stored bytes are shown".into(),
                bytes.to_vec(),
            )),
        };
        match bytes {
            Ok(_) if !values => Value::Null,
            Ok(bytes) => decode(column.coltyp, column.codepage, &bytes),
            Err((why, raw)) => {
                errors.push((index, why));
                if raw.is_empty() {
                    Value::Null
                } else {
                    Value::Binary(raw)
                }
            }
        }
    }

    /// The findings for a row's undecodable values.
    pub fn row_findings(&self, row: &Row) -> Vec<Finding> {
        row.errors
            .iter()
            .map(|(index, why)| {
                let column = self.columns.get(*index).map_or("record", |c| c.name.as_str());
                Finding::error(
                    Location::Tag { pgno: row.pgno, index: row.tag },
                    format!("table {}, column {column}: {why}", self.def.table.name),
                )
            })
            .collect()
    }
}
