//! Text and Markdown of a comparison of two files (`esescope compare`):
//! the page counts, each page that differs, then each table's rows.

use std::io::{self, Write};

use super::markdown::cell;
use crate::scan::compare::{CompareReport, HeaderDiff, PageDiff, PageSide};
use crate::scan::compare_rows::{Presence, TableDiff, LISTED};

/// A name from the file with control characters shown escaped, so that
/// nothing read from evidence reaches a terminal raw.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

fn side_text(side: &Option<PageSide>) -> String {
    match side {
        None => "-".into(),
        Some(s) => {
            let tree = s.tree.as_deref().map_or_else(|| format!("objidFDP {}", s.objid_fdp), printable);
            let check = if s.verifies { "" } else { ", fails its checksum" };
            format!("dbtime {:#x}, {tree}{check}", s.dbtime)
        }
    }
}

fn header_line(h: &HeaderDiff) -> String {
    let which = if h.copy == 0 { "primary header" } else { "shadow header" };
    let validity = |v: bool| if v { "valid" } else { "damaged" };
    let fields = if h.fields.is_empty() { "its checksum".to_string() } else { h.fields.join(", ") };
    format!("{which} differs in {fields} (A's copy {}, B's {})", validity(h.valid[0]), validity(h.valid[1]))
}

fn newer_text(diff: &PageDiff) -> &'static str {
    match diff.newer {
        Some("a") => "A is newer",
        Some("b") => "B is newer",
        Some(_) => "same dbtime",
        None => "",
    }
}

fn table_summary(t: &TableDiff) -> String {
    let [a, b] = t.rows;
    match t.presence {
        Presence::OnlyInA => format!("only in A ({a} rows)"),
        Presence::OnlyInB => format!("only in B ({b} rows)"),
        Presence::Both if !t.differs() => format!("{a} rows in A, {b} in B: no row differs"),
        Presence::Both => {
            let mut parts = vec![
                format!("{} added", t.added.len()),
                format!("{} removed", t.removed.len()),
                format!("{} changed", t.changed.len()),
            ];
            if !t.unreadable.is_empty() {
                parts.push(format!("{} on a page the other file cannot read", t.unreadable.len()));
            }
            format!("{a} rows in A, {b} in B: {}", parts.join(", "))
        }
    }
}

fn listed(keys: &[String]) -> String {
    let mut text = keys.iter().take(LISTED).cloned().collect::<Vec<_>>().join(" ");
    if keys.len() > LISTED {
        text.push_str(&format!(" … and {} more", keys.len() - LISTED));
    }
    text
}

impl CompareReport {
    fn counts_line(&self) -> String {
        let c = &self.counts;
        format!(
            "{} pages: {} identical, {} changed, {} checksum only, {} moved, {} only in A, {} only in B",
            c.pages, c.identical, c.changed, c.checksum_only, c.moved, c.only_in_a, c.only_in_b
        )
    }

    /// Aligned text.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "A: {} ({} pages)", printable(&self.a), self.page_counts[0])?;
        writeln!(out, "B: {} ({} pages)", printable(&self.b), self.page_counts[1])?;
        if self.signatures_differ {
            writeln!(out, "the database signatures differ (compared because of --force)")?;
        }
        for h in &self.headers {
            writeln!(out, "{}", header_line(h))?;
        }
        writeln!(out, "Pages of {} bytes: {}", self.page_size, self.counts_line())?;
        for d in &self.pages {
            writeln!(out, "page {}: {}", d.pgno, d.change.describe())?;
            writeln!(out, "    A: {}", side_text(&d.a))?;
            writeln!(out, "    B: {}", side_text(&d.b))?;
            if d.newer.is_some() {
                writeln!(out, "    {}", newer_text(d))?;
            }
        }
        if !self.tables.is_empty() {
            writeln!(out, "Tables:")?;
        }
        for t in &self.tables {
            writeln!(out, "table {}: {}", printable(&t.name), table_summary(t))?;
            if t.presence != Presence::Both {
                continue;
            }
            for (what, keys) in [("added", &t.added), ("removed", &t.removed), ("unreadable", &t.unreadable)]
            {
                if !keys.is_empty() {
                    writeln!(out, "    {what}: {}", listed(keys))?;
                }
            }
            for row in t.changed.iter().take(LISTED) {
                let columns: Vec<String> = row.columns.iter().map(|c| printable(c)).collect();
                writeln!(out, "    changed {}: {}", row.key, columns.join(", "))?;
            }
            if t.changed.len() > LISTED {
                writeln!(out, "    … and {} more changed rows", t.changed.len() - LISTED)?;
            }
            for (column, side) in &t.columns_in_one {
                writeln!(out, "    column {} only in {}", printable(column), side.to_uppercase())?;
            }
        }
        let verdict = if self.cancelled {
            "stopped before the end"
        } else if self.differs() {
            "the files differ"
        } else {
            "the files hold the same pages"
        };
        writeln!(out, "Result: {verdict}")
    }

    /// Markdown: the counts, a table of differing pages, a table of tables.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "## Comparison\n")?;
        writeln!(out, "- A: `{}` ({} pages)", cell(&printable(&self.a)), self.page_counts[0])?;
        writeln!(out, "- B: `{}` ({} pages)", cell(&printable(&self.b)), self.page_counts[1])?;
        for h in &self.headers {
            writeln!(out, "- {}", header_line(h))?;
        }
        writeln!(out, "- {}\n", self.counts_line())?;
        if !self.pages.is_empty() {
            writeln!(out, "| Page | Difference | A | B | Newer |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for d in &self.pages {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    d.pgno,
                    cell(&d.change.describe()),
                    cell(&side_text(&d.a)),
                    cell(&side_text(&d.b)),
                    newer_text(d)
                )?;
            }
            writeln!(out)?;
        }
        if !self.tables.is_empty() {
            writeln!(
                out,
                "| Table | Rows in A | Rows in B | Added | Removed | Changed | Unreadable in one |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|")?;
            for t in &self.tables {
                let name = match t.presence {
                    Presence::Both => cell(&printable(&t.name)),
                    Presence::OnlyInA => format!("{} (only in A)", cell(&printable(&t.name))),
                    Presence::OnlyInB => format!("{} (only in B)", cell(&printable(&t.name))),
                };
                writeln!(
                    out,
                    "| {name} | {} | {} | {} | {} | {} | {} |",
                    t.rows[0],
                    t.rows[1],
                    t.added.len(),
                    t.removed.len(),
                    t.changed.len(),
                    t.unreadable.len()
                )?;
            }
        }
        Ok(())
    }
}
