//! The tables of the history: the database's catalog, grown by the
//! catalog rows the log inserts (a table created in the log is known from
//! its MSysObjects rows on), each tree's object id mapped to its table,
//! rows decoded with the table's columns as they stand at that point of
//! the log, and the database's rows of a table, by key, for where each
//! event's row stands now.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::format::catalog::{parse_row, CatalogEntry, ObjectKind};
use crate::format::page::PageFlags;
use crate::format::record::TaggedLayout;
use crate::format::value::Value;
use crate::format::PageNumber;
use crate::store::catalog::{Catalog, TableDef, CATALOG_ROOT};
use crate::store::long_value::LooseNodes;
use crate::store::table::{Row, Table};
use crate::store::Database;

/// The object id of `MSysObjects`.
pub const CATALOG_OBJID: u32 = 2;

/// What a tree is to its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKind {
    /// The table's records.
    Data,
    /// Its long values.
    LongValue,
    /// A secondary index.
    Index,
}

/// Where a row with a key stands in the database: its values' fingerprint.
type NowIndex = HashMap<Vec<u8>, u64>;

/// The tables as the history knows them.
pub struct Tables<'d> {
    db: &'d Database,
    catalog: Catalog,
    trees: HashMap<u32, (usize, TreeKind)>,
    decoders: HashMap<usize, Table<'d>>,
    now: HashMap<usize, NowIndex>,
    layout: TaggedLayout,
    /// Catalog rows of a table not (yet) known, kept until it is.
    waiting: Vec<CatalogEntry>,
    /// The long-value nodes the log inserts, by table: a row's separated
    /// value the database no longer has is read from them.
    loose: HashMap<usize, Arc<LooseNodes>>,
    /// Bytes kept in `loose`.
    loose_bytes: usize,
}

/// The most bytes of long-value nodes kept from the log.
pub const MAX_LOOSE_BYTES: usize = 256 << 20;

/// The fingerprint of a row's values.
pub fn fingerprint(values: &[Value]) -> u64 {
    let mut hasher = DefaultHasher::new();
    format!("{values:?}").hash(&mut hasher);
    hasher.finish()
}

impl<'d> Tables<'d> {
    /// The tables of `db`'s catalog.
    pub fn new(db: &'d Database) -> Self {
        let catalog = Catalog::read(db);
        let new_format = db
            .read_page(CATALOG_ROOT)
            .ok()
            .and_then(|r| r.page(db).ok().map(|p| p.header.flags.contains(PageFlags::NEW_RECORD_FORMAT)))
            .unwrap_or(true);
        let layout = TaggedLayout::for_page(db.page_size().is_large(), new_format);
        let mut tables = Self {
            db,
            catalog,
            trees: HashMap::new(),
            decoders: HashMap::new(),
            now: HashMap::new(),
            layout,
            waiting: Vec::new(),
            loose: HashMap::new(),
            loose_bytes: 0,
        };
        for index in 0..tables.catalog.tables.len() {
            tables.map_trees(index);
        }
        tables
    }

    /// The record layout of the database's records (from its catalog root page).
    pub fn layout(&self) -> TaggedLayout {
        self.layout
    }

    fn map_trees(&mut self, index: usize) {
        let Some(def) = self.catalog.tables.get(index) else { return };
        self.trees.insert(def.table.id, (index, TreeKind::Data));
        if let Some(lv) = &def.long_value {
            self.trees.insert(lv.id, (index, TreeKind::LongValue));
        }
        for ix in &def.indexes {
            // the primary index shares the table's tree (and its objid)
            self.trees.entry(ix.id).or_insert((index, TreeKind::Index));
        }
    }

    /// The table and the kind of tree `objid` is.
    pub fn tree(&self, objid: u32) -> Option<(usize, TreeKind)> {
        self.trees.get(&objid).copied()
    }

    /// Table `index`'s name.
    pub fn name(&self, index: usize) -> String {
        self.catalog.tables.get(index).map_or_else(String::new, |t| t.table.name.clone())
    }

    /// Learns from a catalog row the log inserts: a new table, or a column,
    /// index or long-value tree of one. Returns the table it changed.
    pub fn learn(&mut self, data: &[u8]) -> Option<usize> {
        let entry = parse_row(data, self.layout)?;
        if entry.kind == ObjectKind::Table {
            if self.catalog.tables.iter().any(|t| t.table.id == entry.id) {
                return None;
            }
            self.catalog.tables.push(TableDef {
                table: entry,
                columns: Vec::new(),
                indexes: Vec::new(),
                long_value: None,
            });
            let index = self.catalog.tables.len() - 1;
            self.map_trees(index);
            let waiting = std::mem::take(&mut self.waiting);
            for entry in waiting {
                self.add_part(entry);
            }
            return Some(index);
        }
        self.add_part(entry)
    }

    fn add_part(&mut self, entry: CatalogEntry) -> Option<usize> {
        let Some(index) = self.catalog.tables.iter().position(|t| t.table.id == entry.objid_table) else {
            self.waiting.push(entry);
            return None;
        };
        let def = &mut self.catalog.tables[index];
        match entry.kind {
            ObjectKind::Column if !def.columns.iter().any(|c| c.id == entry.id) => {
                let at = def.columns.partition_point(|c| c.id < entry.id);
                def.columns.insert(at, entry);
            }
            ObjectKind::Index if !def.indexes.iter().any(|c| c.id == entry.id) => def.indexes.push(entry),
            ObjectKind::LongValue if def.long_value.is_none() => def.long_value = Some(entry),
            _ => return None,
        }
        self.decoders.remove(&index);
        self.map_trees(index);
        Some(index)
    }

    /// The table `index`'s column names.
    pub fn columns(&mut self, index: usize) -> Vec<String> {
        self.decoder(index).map(|t| t.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default()
    }

    fn decoder(&mut self, index: usize) -> Option<&Table<'d>> {
        if !self.decoders.contains_key(&index) {
            let def = self.catalog.tables.get(index)?;
            let table = Table::new(self.db, &self.catalog, def);
            self.decoders.insert(index, table);
        }
        self.decoders.get(&index)
    }

    /// Decodes `data`, a record of table `index`, said to be at line
    /// `iline` of page `pgno`; a separated value the database does not
    /// have is read from the long-value nodes the log inserted.
    pub fn decode(&mut self, index: usize, data: &[u8], pgno: u32, iline: u16) -> Option<Row> {
        let layout = self.layout;
        let loose = self.loose.get(&index).cloned();
        self.decoder(index)?;
        let table = self.decoders.get_mut(&index)?;
        table.set_loose_long_values(loose);
        let row = table.decode(data, layout, PageNumber(pgno), iline, false);
        // the decoder lets go of the nodes, so the next insert does not copy them
        table.set_loose_long_values(None);
        Some(row)
    }

    /// Keeps a long-value node of table `index` the log inserts or
    /// replaces. Returns false when the bound on kept bytes is reached.
    pub fn keep_long_value(&mut self, index: usize, key: Vec<u8>, data: Vec<u8>) -> bool {
        let size = key.len() + data.len();
        if self.loose_bytes + size > MAX_LOOSE_BYTES {
            return false;
        }
        self.loose_bytes += size;
        let nodes = self.loose.entry(index).or_default();
        if let Some(old) = Arc::make_mut(nodes).insert(key, data) {
            self.loose_bytes -= old.len();
        }
        true
    }

    /// The fingerprint of the database's row with key `key` in table
    /// `index`, if the database has one (the table's rows are read once, on
    /// the first question about it).
    pub fn now(&mut self, index: usize, key: &[u8]) -> Option<u64> {
        if !self.now.contains_key(&index) {
            let mut rows = NowIndex::new();
            if let Some(table) = self.decoder(index) {
                // a table the database does not have (created in the log
                // after this copy) has no rows in it
                if table.def.root_is_its_own(table.db()) {
                    table.keyed_rows(false, |key, row| {
                        rows.insert(key.to_vec(), fingerprint(&row.values));
                    });
                }
            }
            self.now.insert(index, rows);
        }
        self.now.get(&index).and_then(|rows| rows.get(key).copied())
    }
}
