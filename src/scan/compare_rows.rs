//! The rows of one table in two files of a database compared by primary
//! key (the key of the table's tree): rows added, removed, and changed
//! with the columns that changed. A row that one file cannot read because
//! its page is unreadable there is counted apart, not as removed or added.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::catalog::{Catalog, TableDef};
use crate::store::cursor::MissingPage;
use crate::store::table::Table;
use crate::store::Database;

/// Keys listed per kind of change in text output; JSON has them all.
pub const LISTED: usize = 20;

/// Where a table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In both files.
    Both,
    /// Only the first file's catalog has it.
    OnlyInA,
    /// Only the second file's catalog has it.
    OnlyInB,
}

/// A row whose columns differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedRow {
    /// The primary key, hex.
    pub key: String,
    /// The columns whose values differ.
    pub columns: Vec<String>,
}

/// One table compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDiff {
    /// The table's name.
    pub name: String,
    /// Which files have it.
    pub presence: Presence,
    /// Live rows read in A and in B.
    pub rows: [u64; 2],
    /// Keys (hex) of rows only B has.
    pub added: Vec<String>,
    /// Keys (hex) of rows only A has.
    pub removed: Vec<String>,
    /// Rows both have, with different values.
    pub changed: Vec<ChangedRow>,
    /// Keys (hex) of rows one file has whose page the other cannot read.
    pub unreadable: Vec<String>,
    /// Columns only one file's catalog has: (name, "a" or "b").
    pub columns_in_one: Vec<(String, &'static str)>,
}

impl TableDiff {
    /// True when rows or columns differ, or the table is in one file only.
    pub fn differs(&self) -> bool {
        self.presence != Presence::Both
            || !self.added.is_empty()
            || !self.removed.is_empty()
            || !self.changed.is_empty()
            || !self.unreadable.is_empty()
            || !self.columns_in_one.is_empty()
    }
}

/// A table's live rows by key: column name → value text.
struct Rows {
    columns: Vec<String>,
    rows: BTreeMap<Vec<u8>, Vec<String>>,
    missing: Vec<(Vec<u8>, Vec<u8>)>,
}

fn read_rows(db: &Database, catalog: &Catalog, def: &TableDef) -> Rows {
    let table = Table::new(db, catalog, def);
    let mut rows = BTreeMap::new();
    let walk = table.keyed_rows(false, |key, row| {
        rows.insert(key.to_vec(), row.values.iter().map(|v| v.to_text()).collect());
    });
    let range = |m: &MissingPage| {
        (hex::decode(&m.lower_key).unwrap_or_default(), hex::decode(&m.upper_key).unwrap_or_default())
    };
    Rows {
        columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        rows,
        missing: walk.missing.iter().map(range).collect(),
    }
}

impl Rows {
    /// The key lies in the range of a page this file could not read.
    fn unreadable(&self, key: &[u8]) -> bool {
        self.missing
            .iter()
            .any(|(low, high)| key >= low.as_slice() && (high.is_empty() || key < high.as_slice()))
    }
}

fn diff(name: &str, a: &Rows, b: &Rows) -> TableDiff {
    let mut d = TableDiff {
        name: name.to_string(),
        presence: Presence::Both,
        rows: [a.rows.len() as u64, b.rows.len() as u64],
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unreadable: Vec::new(),
        columns_in_one: Vec::new(),
    };
    for c in a.columns.iter().filter(|c| !b.columns.contains(c)) {
        d.columns_in_one.push((c.clone(), "a"));
    }
    for c in b.columns.iter().filter(|c| !a.columns.contains(c)) {
        d.columns_in_one.push((c.clone(), "b"));
    }
    // column index in B of each column of A
    let in_b: Vec<Option<usize>> = a.columns.iter().map(|c| b.columns.iter().position(|x| x == c)).collect();
    for (key, values) in &a.rows {
        match b.rows.get(key) {
            None if b.unreadable(key) => d.unreadable.push(hex::encode(key)),
            None => d.removed.push(hex::encode(key)),
            Some(other) => {
                let columns: Vec<String> = a
                    .columns
                    .iter()
                    .zip(values)
                    .zip(&in_b)
                    .filter(|((_, v), j)| j.and_then(|j| other.get(j)).is_some_and(|w| w != *v))
                    .map(|((c, _), _)| c.clone())
                    .collect();
                if !columns.is_empty() {
                    d.changed.push(ChangedRow { key: hex::encode(key), columns });
                }
            }
        }
    }
    for key in b.rows.keys().filter(|k| !a.rows.contains_key(*k)) {
        if a.unreadable(key) {
            d.unreadable.push(hex::encode(key));
        } else {
            d.added.push(hex::encode(key));
        }
    }
    d
}

fn one_side(name: &str, rows: &Rows, presence: Presence) -> TableDiff {
    let keys: Vec<String> = rows.rows.keys().map(hex::encode).collect();
    let (added, removed, counts) = match presence {
        Presence::OnlyInA => (Vec::new(), keys, [rows.rows.len() as u64, 0]),
        _ => (keys, Vec::new(), [0, rows.rows.len() as u64]),
    };
    TableDiff {
        name: name.to_string(),
        presence,
        rows: counts,
        added,
        removed,
        changed: Vec::new(),
        unreadable: Vec::new(),
        columns_in_one: Vec::new(),
    }
}

/// Compares the tables that own a page in `objids` (their own tree or
/// their long values), and every table that only one catalog lists.
pub fn compare_tables(
    a: &Database,
    catalog_a: &Catalog,
    b: &Database,
    catalog_b: &Catalog,
    objids: &[u32],
) -> Vec<TableDiff> {
    let touched = |def: &TableDef| {
        objids.contains(&def.table.id) || def.long_value.as_ref().is_some_and(|lv| objids.contains(&lv.id))
    };
    let mut diffs = Vec::new();
    for def in &catalog_a.tables {
        match catalog_b.table(&def.table.name) {
            Some(other) if touched(def) || touched(other) => {
                let d = diff(&def.table.name, &read_rows(a, catalog_a, def), &read_rows(b, catalog_b, other));
                diffs.push(d);
            }
            Some(_) => {}
            None => diffs.push(one_side(&def.table.name, &read_rows(a, catalog_a, def), Presence::OnlyInA)),
        }
    }
    for def in catalog_b.tables.iter().filter(|d| catalog_a.table(&d.table.name).is_none()) {
        diffs.push(one_side(&def.table.name, &read_rows(b, catalog_b, def), Presence::OnlyInB));
    }
    diffs
}
