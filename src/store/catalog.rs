//! The catalog of a database: `MSysObjects` (root page 4) walked and its
//! rows grouped into tables with their columns, indexes and long-value
//! trees. Spec 9.

use serde::Serialize;

use super::cursor::{walk, TreeWalk};
use super::Database;
use crate::finding::{Finding, Location};
use crate::format::catalog::{parse_row, CatalogEntry, ObjectKind};
use crate::format::page::PageFlags;
use crate::format::record::TaggedLayout;
use crate::format::PageNumber;

/// Root page of `MSysObjects`.
pub const CATALOG_ROOT: PageNumber = PageNumber(4);
/// Root page of `MSysObjectsShadow`, the catalog's backup copy.
pub const SHADOW_ROOT: PageNumber = PageNumber(24);

/// A table and everything the catalog says about it.
#[derive(Debug, Clone, Serialize)]
pub struct TableDef {
    /// The table row.
    pub table: CatalogEntry,
    /// Its columns, by column id.
    pub columns: Vec<CatalogEntry>,
    /// Its indexes (the primary index shares the table's tree).
    pub indexes: Vec<CatalogEntry>,
    /// Its long-value tree, if any.
    pub long_value: Option<CatalogEntry>,
}

impl TableDef {
    /// The table's root page.
    pub fn pgno_fdp(&self) -> PageNumber {
        PageNumber(self.table.coltyp_or_pgno_fdp)
    }

    /// True when the table's root page can be read and carries the table's
    /// objid (a dropped table's root reused, or a table created after this
    /// copy, does not).
    pub fn root_is_its_own(&self, db: &Database) -> bool {
        db.read_page(self.pgno_fdp())
            .ok()
            .and_then(|r| r.page(db).ok().map(|p| p.header.objid_fdp.0 == self.table.id))
            .unwrap_or(false)
    }
}

/// The decoded catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// Tables in catalog order.
    pub tables: Vec<TableDef>,
    /// Rows that could not be decoded (their count).
    pub unreadable_rows: usize,
    /// The walk of the catalog tree itself, with its findings.
    pub walk: TreeWalk,
}

impl Catalog {
    /// Reads the catalog. Flag-deleted rows are skipped. When the catalog
    /// tree is damaged, or yields no table at all (every catalog lists at
    /// least itself), the tables its shadow copy `MSysObjectsShadow` (root
    /// page 24) lists are added, and a finding in `walk.findings` says the
    /// catalog could not be read, so every command counts it as damage.
    pub fn read(db: &Database) -> Self {
        let mut catalog = Self::read_tree(db, CATALOG_ROOT);
        let empty = catalog.tables.is_empty() && !db.is_temporary();
        if !catalog.walk.findings.is_empty() || empty {
            let shadow = Self::read_tree(db, SHADOW_ROOT);
            let mut added = 0;
            for table in shadow.tables {
                if !catalog.tables.iter().any(|t| t.table.id == table.table.id) {
                    catalog.tables.push(table);
                    added += 1;
                }
            }
            if empty {
                let source = if added > 0 {
                    format!("the {added} tables listed come from the shadow catalog MSysObjectsShadow (root page {SHADOW_ROOT})")
                } else {
                    format!("the shadow catalog MSysObjectsShadow (root page {SHADOW_ROOT}) lists no table either")
                };
                catalog.walk.findings.push(Finding::error(
                    Location::Page { pgno: CATALOG_ROOT, file_offset: CATALOG_ROOT.file_offset(db.page_size()) },
                    format!(
                        "the catalog MSysObjects (root page {CATALOG_ROOT}) could not be read: it yields no table \
                         row ({} rows could not be decoded); {source}",
                        catalog.unreadable_rows
                    ),
                ));
            }
        }
        catalog
    }

    /// Tables whose catalog rows are flag-deleted (a dropped table) and
    /// that the live catalog does not list, with their columns as the
    /// deleted rows describe them, when their root page still carries the
    /// table's objid.
    pub fn dropped_tables(&self, db: &Database) -> Vec<TableDef> {
        let deleted = Self::read_tree_with(db, CATALOG_ROOT, true);
        deleted
            .tables
            .into_iter()
            .filter(|t| !self.tables.iter().any(|live| live.table.id == t.table.id))
            .filter(|t| t.root_is_its_own(db))
            .collect()
    }

    fn read_tree(db: &Database, root: PageNumber) -> Self {
        Self::read_tree_with(db, root, false)
    }

    /// The catalog from its live rows, or (`deleted`) from its flag-deleted ones.
    fn read_tree_with(db: &Database, root: PageNumber, deleted: bool) -> Self {
        let mut entries = Vec::new();
        let mut unreadable = 0;
        let large = db.page_size().is_large();
        let walk = walk(db, root, |page, node| {
            if node.is_deleted() != deleted {
                return;
            }
            let layout =
                TaggedLayout::for_page(large, page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
            match parse_row(node.data, layout) {
                Some(entry) => entries.push(entry),
                None => unreadable += 1,
            }
        });
        let mut tables: Vec<TableDef> = entries
            .iter()
            .filter(|e| e.kind == ObjectKind::Table)
            .map(|t| TableDef {
                table: t.clone(),
                columns: Vec::new(),
                indexes: Vec::new(),
                long_value: None,
            })
            .collect();
        for entry in entries.into_iter().filter(|e| e.kind != ObjectKind::Table) {
            let Some(table) = tables.iter_mut().find(|t| t.table.id == entry.objid_table) else { continue };
            match entry.kind {
                ObjectKind::Column => table.columns.push(entry),
                ObjectKind::Index => table.indexes.push(entry),
                ObjectKind::LongValue => table.long_value = Some(entry),
                _ => {}
            }
        }
        Self { tables, unreadable_rows: unreadable, walk }
    }

    /// The table named `name` (case-insensitive).
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.table.name.eq_ignore_ascii_case(name))
    }

    /// What the tree with object id `objid` is, in words: a table, an
    /// index of a table, or a table's long values.
    pub fn object_name(&self, objid: u32) -> Option<String> {
        // fixed identities of every database (spec 9.1)
        let fixed = match objid {
            1 => Some("the database root"),
            2 => Some("table MSysObjects"),
            3 => Some("table MSysObjectsShadow"),
            4 => Some("index Name of table MSysObjects"),
            5 => Some("index RootObjects of table MSysObjects"),
            _ => None,
        };
        if let Some(name) = fixed {
            return Some(name.to_string());
        }
        self.tables.iter().find_map(|t| {
            if t.table.id == objid {
                return Some(format!("table {}", t.table.name));
            }
            if let Some(index) = t.indexes.iter().find(|i| i.id == objid) {
                return Some(format!("index {} of table {}", index.name, t.table.name));
            }
            t.long_value
                .as_ref()
                .filter(|lv| lv.id == objid)
                .map(|_| format!("long values of table {}", t.table.name))
        })
    }

    /// What every tree of the database is, by object id: the fixed ones
    /// and each table, index and long-value tree the catalog lists.
    pub fn object_names(&self) -> Vec<(u32, String)> {
        let mut ids: Vec<u32> = (1..=5).collect();
        for t in &self.tables {
            ids.push(t.table.id);
            ids.extend(t.indexes.iter().map(|i| i.id));
            ids.extend(t.long_value.iter().map(|lv| lv.id));
        }
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().filter_map(|id| self.object_name(id).map(|n| (id, n))).collect()
    }

    /// Every tree the catalog knows: (what it is, root page).
    pub fn trees(&self) -> Vec<(String, PageNumber)> {
        let mut trees = Vec::new();
        for t in &self.tables {
            trees.push((format!("table {}", t.table.name), t.pgno_fdp()));
            for index in t.indexes.iter().filter(|i| i.coltyp_or_pgno_fdp != t.table.coltyp_or_pgno_fdp) {
                trees.push((
                    format!("index {} of table {}", index.name, t.table.name),
                    PageNumber(index.coltyp_or_pgno_fdp),
                ));
            }
            if let Some(lv) = &t.long_value {
                trees.push((
                    format!("long values of table {}", t.table.name),
                    PageNumber(lv.coltyp_or_pgno_fdp),
                ));
            }
        }
        trees
    }

    /// The catalog name of the tree with this root page, if it has one.
    pub fn tree_name(&self, pgno: PageNumber) -> Option<String> {
        self.tables.iter().find_map(|t| {
            if t.pgno_fdp() == pgno {
                return Some(t.table.name.clone());
            }
            if let Some(index) = t.indexes.iter().find(|i| PageNumber(i.coltyp_or_pgno_fdp) == pgno) {
                return Some(format!("{} index {}", t.table.name, index.name));
            }
            t.long_value
                .as_ref()
                .filter(|lv| PageNumber(lv.coltyp_or_pgno_fdp) == pgno)
                .map(|_| format!("{} long values", t.table.name))
        })
    }
}
