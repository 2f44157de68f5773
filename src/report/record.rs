//! One record as a document: where it is (page, tag), and each column's
//! name, type and value. The inspector's records view copies it; its
//! JSON is the same value model `export` writes.

use crate::sanitize::{markdown_text, Visible};
use std::io::{self, Write};

use serde::Serialize;

use super::markdown::cell;
use crate::format::catalog::coltyp_name;
use crate::format::value::Value;
use crate::format::PageNumber;
use crate::store::table::{Row, Table};

/// One column of a record dump.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnValue {
    /// Column id.
    pub id: u32,
    /// Name.
    pub name: String,
    /// Type name.
    #[serde(rename = "type")]
    pub coltyp: &'static str,
    /// The value.
    pub value: Value,
}

/// A decoded record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordDump {
    /// Its table.
    pub table: String,
    /// Leaf page.
    pub pgno: PageNumber,
    /// Tag on that page.
    pub tag: u16,
    /// Flag-deleted.
    pub deleted: bool,
    /// Every column, NULL ones included.
    pub columns: Vec<ColumnValue>,
    /// Values that could not be decoded.
    pub errors: Vec<String>,
}

impl RecordDump {
    /// The dump of `row` of `table`.
    pub fn new(table: &Table<'_>, row: &Row) -> Self {
        let columns = table
            .columns
            .iter()
            .zip(&row.values)
            .map(|(c, v)| ColumnValue {
                id: c.id,
                name: c.name.clone(),
                coltyp: coltyp_name(c.coltyp.0),
                value: v.clone(),
            })
            .collect();
        let errors = table.row_findings(row).into_iter().map(|f| f.message).collect();
        Self {
            table: table.def.table.name.clone(),
            pgno: row.pgno,
            tag: row.tag,
            deleted: row.deleted,
            columns,
            errors,
        }
    }

    fn heading(&self) -> String {
        format!(
            "record of table {} at page {} tag {}{}",
            self.table,
            self.pgno,
            self.tag,
            if self.deleted { " (flag-deleted)" } else { "" }
        )
    }

    /// Aligned text: one column a line, `name  type  value`.
    ///
    /// # Errors
    /// Writing fails.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", Visible(&self.heading()))?;
        let width = self.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
        for c in &self.columns {
            let value = if c.value.is_null() { "NULL".to_string() } else { c.value.to_text() };
            writeln!(
                out,
                "  {:>4}  {:<width$}  {:<16}  {}",
                c.id,
                Visible(&c.name),
                c.coltyp,
                Visible(&value)
            )?;
        }
        for e in &self.errors {
            writeln!(out, "  error: {}", Visible(e))?;
        }
        Ok(())
    }

    /// A Markdown table.
    ///
    /// # Errors
    /// Writing fails.
    pub fn write_markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "### {}\n", markdown_text(&self.heading()))?;
        writeln!(out, "| Id | Column | Type | Value |")?;
        writeln!(out, "|---|---|---|---|")?;
        for c in &self.columns {
            let value = if c.value.is_null() { "NULL".to_string() } else { c.value.to_text() };
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.id,
                cell(&markdown_text(&c.name)),
                c.coltyp,
                cell(&markdown_text(&value))
            )?;
        }
        for e in &self.errors {
            writeln!(out, "\n- error: {}", markdown_text(e))?;
        }
        Ok(())
    }
}
