//! The records a page's slack still holds, for the page dump: the bytes no
//! tag covers that decode as a record of the table the page belongs to
//! (its objidFDP), with where they are, their key and first values. Stale
//! copies of rows that moved are shown too: this is what the bytes say,
//! where `export --recovered` lists only rows not known otherwise.

use std::io::{self, Write};

use serde::Serialize;

use crate::format::page::PageFlags;
use crate::format::PageNumber;
use crate::sanitize::Visible;
use crate::store::catalog::Catalog;
use crate::store::table::Table;
use crate::store::Database;

/// Values shown per record (the first non-NULL columns).
pub const FIRST_VALUES: usize = 4;
/// Characters shown per value.
const VALUE_CHARS: usize = 40;

/// One column's value of a slack record, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackValue {
    /// The column.
    pub column: String,
    /// Its value as text, long ones cut (`…`).
    pub value: String,
}

/// A record remnant in the page's slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackRecord {
    /// The table whose schema it decodes under.
    pub table: String,
    /// Page offset of its node (the key sizes).
    pub offset: usize,
    /// Bytes of the node.
    pub len: usize,
    /// Page offset of the record.
    pub data_offset: usize,
    /// The key, hex.
    pub key: String,
    /// The first non-NULL values.
    pub values: Vec<SlackValue>,
}

impl SlackRecord {
    /// The page byte range of the node.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }

    /// `Id=5, Name=amber birch, …` (evidence shown visibly).
    pub fn summary(&self) -> String {
        self.values
            .iter()
            .map(|v| format!("{}={}", Visible(&v.column), Visible(&v.value)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The record remnants in the slack of page `pgno`: none when the page
/// cannot be read (a checksum that fails supplies no facts; a page the ECC
/// corrects is read corrected), is a space, index or long-value tree page,
/// or belongs to no table of the catalog (dropped tables included).
pub fn slack_records(db: &Database, pgno: PageNumber) -> Vec<SlackRecord> {
    let Ok(read) = db.read_page(pgno) else { return Vec::new() };
    let Ok(page) = read.page(db) else { return Vec::new() };
    let other_tree = PageFlags::SPACE_TREE.0 | PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0;
    if page.header.flags.0 & other_tree != 0 || crate::format::slack::slack_runs(&page).is_empty() {
        return Vec::new();
    }
    let catalog = Catalog::read(db);
    let objid = page.header.objid_fdp.0;
    let def = match catalog.tables.iter().find(|t| t.table.id == objid) {
        Some(def) => def.clone(),
        None => match catalog.dropped_tables(db).into_iter().find(|t| t.table.id == objid) {
            Some(def) => def,
            None => return Vec::new(),
        },
    };
    let table = Table::new(db, &catalog, &def);
    table
        .carve(&page)
        .into_iter()
        .map(|r| SlackRecord {
            table: def.table.name.clone(),
            offset: r.offset,
            len: r.len,
            data_offset: r.data_offset,
            key: hex::encode(&r.key),
            values: table
                .columns
                .iter()
                .zip(&r.row.values)
                .filter(|(_, v)| !v.is_null())
                .take(FIRST_VALUES)
                .map(|(c, v)| SlackValue { column: c.name.clone(), value: cut(&v.to_text()) })
                .collect(),
        })
        .collect()
}

fn cut(text: &str) -> String {
    if text.chars().count() > VALUE_CHARS {
        let mut short: String = text.chars().take(VALUE_CHARS - 1).collect();
        short.push('…');
        short
    } else {
        text.to_string()
    }
}

/// Writes the slack records as text (nothing when there are none).
///
/// # Errors
/// Any error writing to `out`.
pub fn write_text(out: &mut dyn Write, records: &[SlackRecord]) -> io::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Records in slack ({}): bytes no tag covers that decode as a record", records.len())?;
    for r in records {
        writeln!(
            out,
            "  {:#06x}-{:#06x}  {} bytes  table {}  key {}  {}",
            r.offset,
            r.offset + r.len,
            r.len,
            Visible(&r.table),
            r.key,
            r.summary()
        )?;
    }
    Ok(())
}
