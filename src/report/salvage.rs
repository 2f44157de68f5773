//! The salvage report as text (`NEW.salvage.txt`): digests, then per table
//! rows kept and lost, every page that could not be read with its key
//! range, indexes left incomplete, long values lost and the rows that name
//! them, the header fields changed and the check of the new file. JSON is
//! the report's serde form; Markdown is rendered from it.

use std::io::Write;

use crate::salvage::SalvageReport;
use crate::sanitize::one_line;

/// At most this many lost primary keys are listed per table in the text
/// (the JSON has them all).
const KEYS_SHOWN: usize = 20;

fn range(lower: &str, upper: &str) -> String {
    match (lower.is_empty(), upper.is_empty()) {
        (true, true) => "every key".into(),
        (false, true) => format!("keys from {lower}"),
        (true, false) => format!("keys below {upper}"),
        (false, false) => format!("keys from {lower} to below {upper}"),
    }
}

/// (tree, page) pairs as runs of consecutive pages of one tree:
/// (tree, first, last, pages in the run).
fn runs(pages: &[(String, u32)]) -> Vec<(&str, u32, u32, usize)> {
    let mut out: Vec<(&str, u32, u32, usize)> = Vec::new();
    for (tree, pgno) in pages {
        match out.last_mut() {
            Some(run) if run.0 == tree && run.2.checked_add(1) == Some(*pgno) => {
                run.2 = *pgno;
                run.3 += 1;
            }
            _ => out.push((tree, *pgno, *pgno, 1)),
        }
    }
    out
}

impl SalvageReport {
    /// Writes the report as text.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "Salvage of {} (not modified)", one_line(&self.input.path))?;
        writeln!(out, "  input  SHA-256 {}", self.input.sha256)?;
        if let Some(from) = &self.from {
            writeln!(out, "  copy   SHA-256 {}  {}", from.sha256, one_line(&from.path))?;
            if !self.pages_from_copy.is_empty() {
                let pages: Vec<String> = self.pages_from_copy.iter().map(u32::to_string).collect();
                writeln!(out, "  pages taken from the copy: {}", pages.join(", "))?;
            }
        }
        if self.cancelled {
            return writeln!(out, "Cancelled: no output was written.");
        }
        writeln!(out, "Catalog: {} rows; {}", self.catalog_rows, one_line(&self.catalog_source))?;
        for note in &self.notes {
            writeln!(out, "  note: {}", one_line(note))?;
        }
        for note in &self.catalog_notes {
            writeln!(out, "  catalog: {}", one_line(note))?;
        }
        writeln!(out)?;
        let at_least = if self.tables.iter().all(|t| t.rows_lost_exact) { "" } else { "at least " };
        writeln!(out, "Tables ({at_least}{} rows lost in all):", self.rows_lost())?;
        for t in &self.tables {
            let lost = match (t.rows_lost_exact, t.uncounted_leaves) {
                (true, _) => format!("{} lost", t.rows_lost),
                (false, 0) => format!("{} lost (not exact)", t.rows_lost),
                (false, n) => format!(
                    "at least {} lost, and the rows of {n} lost leaf page(s) that cannot be counted",
                    t.rows_lost
                ),
            };
            write!(out, "  {}: {} rows kept, {lost}", one_line(&t.name), t.rows_kept)?;
            if t.rows_recovered > 0 {
                write!(out, ", {} of the kept rows from the recovered sources", t.rows_recovered)?;
            }
            writeln!(out)?;
            if t.rows_lost > 0 || !t.rows_lost_exact {
                writeln!(out, "    how the loss is counted: {}", t.lost_evidence)?;
            }
            for key in t.lost_keys.iter().take(KEYS_SHOWN) {
                writeln!(out, "    lost row, primary key {key}")?;
            }
            if t.lost_keys.len() > KEYS_SHOWN {
                writeln!(out, "    … and {} more (all in the JSON report)", t.lost_keys.len() - KEYS_SHOWN)?;
            }
        }
        if !self.unreadable_pages.is_empty() {
            writeln!(out)?;
            writeln!(out, "Pages that could not be read ({}):", self.unreadable_pages.len())?;
            for p in &self.unreadable_pages {
                let parent = match p.parent {
                    Some(q) => format!(", from page {q}"),
                    // a page the leaf chain names has no parent to tell
                    None if p.level.contains("leaf chain") => String::new(),
                    None => ", the root".to_string(),
                };
                let count = p.claimed_lines.map_or("entry count unknown".to_string(), |n| {
                    format!("its unverified header claims {n} lines")
                });
                writeln!(
                    out,
                    "  page {} ({}, {}{parent}): {}; {}; {count}",
                    p.pgno,
                    one_line(&p.tree),
                    p.level,
                    p.why,
                    range(&p.lower_key, &p.upper_key)
                )?;
            }
        }
        for p in &self.foreign_pages {
            writeln!(
                out,
                "  page {} ({}): belongs to objidFDP {}, not read as this tree's",
                p.pgno,
                one_line(&p.tree),
                p.objid_fdp
            )?;
        }
        for (tree, first, last, count) in runs(&self.bridged_pages) {
            let pages = if first == last { format!("page {first}") } else { format!("pages {first}-{last}") };
            writeln!(
                out,
                "  {pages} ({}): {count} leaf page(s) under a lost internal page, read along the leaf chain",
                one_line(tree)
            )?;
        }
        for (tree, pgno) in &self.corrected_pages {
            writeln!(out, "  page {pgno} ({}): read with a corrected bit (ECC)", one_line(tree))?;
        }
        let incomplete: Vec<_> = self.indexes.iter().filter(|i| !i.complete).collect();
        writeln!(out)?;
        writeln!(out, "Indexes: {} written, {} incomplete", self.indexes.len(), incomplete.len())?;
        for i in &self.indexes {
            if i.entries_dropped > 0 || i.entries_regenerated > 0 || !i.complete {
                write!(
                    out,
                    "  {} of {}: {} entries kept, {} dropped (their rows were lost)",
                    one_line(&i.index),
                    one_line(&i.table),
                    i.entries_kept,
                    i.entries_dropped
                )?;
                if i.entries_regenerated > 0 {
                    write!(
                        out,
                        "; {} of the kept entries made again from their rows (their page was lost)",
                        i.entries_regenerated
                    )?;
                }
                if !i.complete {
                    write!(out, "; INCOMPLETE: {} kept rows have no entry", i.missing_entries)?;
                }
                writeln!(out)?;
            }
        }
        if !self.long_values_lost.is_empty() {
            writeln!(out)?;
            writeln!(out, "Long values lost ({}):", self.long_values_lost.len())?;
            for lv in &self.long_values_lost {
                writeln!(out, "  table {}: LID {}", one_line(&lv.table), lv.lid)?;
            }
        }
        if !self.rows_with_lost_values.is_empty() {
            writeln!(out, "Rows of the new file with a value that cannot be read:")?;
            for r in &self.rows_with_lost_values {
                writeln!(
                    out,
                    "  table {}, key {}: {}",
                    one_line(&r.table),
                    r.key,
                    one_line(&r.problems.join("; "))
                )?;
            }
        }
        writeln!(out)?;
        for field in &self.header_fields {
            writeln!(out, "header: {field}")?;
        }
        match &self.output {
            Some(output) => {
                writeln!(out, "Wrote {}", one_line(&output.path))?;
                writeln!(out, "  output SHA-256 {}", output.sha256)?;
                if self.verify_after.is_empty() {
                    writeln!(out, "  verify --trees of the new file: no finding")?;
                }
                for finding in &self.verify_after {
                    writeln!(out, "  verify --trees of the new file: {}", one_line(&finding.to_string()))?;
                }
            }
            None => writeln!(out, "No output was written.")?,
        }
        Ok(())
    }
}
