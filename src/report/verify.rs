//! Text rendering of a verify report: one line per bad page, then counts.

use std::io::{self, Write};

use super::page::verdict_text;
use crate::scan::VerifyReport;

impl VerifyReport {
    /// Writes one line per damaged page (page number, file offset, verdict
    /// with the flipped bit or the page number the checksum fits), the
    /// findings outside pages, and a summary, like `eseutil /k`.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let c = &self.counts;
        writeln!(out, "Verifying {} ({} pages of {} bytes)", self.file, c.pages, self.page_size)?;
        for problem in &self.bad_pages {
            writeln!(
                out,
                "page {} (offset {:#x}): {}",
                problem.check.pgno,
                problem.file_offset,
                verdict_text(&problem.check.verdict, problem.file_offset)
            )?;
            for b in &problem.check.blocks {
                writeln!(
                    out,
                    "  block {}: stored {:#018x}, computed {:#018x}",
                    b.block, b.stored, b.computed
                )?;
            }
        }
        for finding in &self.findings {
            writeln!(out, "{finding}")?;
        }
        let mut parts = vec![format!("{} ok", c.ok)];
        for (n, label) in [
            (c.uninitialized, "uninitialized"),
            (c.not_checksummed, "not checksummed"),
            (c.unverifiable, "unverifiable"),
            (c.correctable, "correctable"),
            (c.wrong_page_number, "wrong page number"),
            (c.uncorrectable, "not correctable"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        writeln!(out, "Summary: {} pages: {}", c.pages, parts.join(", "))?;
        writeln!(out, "Scan: {}; database: {}", scan_words(self.cancelled), temporary_words(self.temporary))?;
        let result = if self.cancelled {
            "cancelled before the end".to_string()
        } else if self.has_damage() {
            match (c.damaged(), self.findings.len()) {
                (0, n) => format!("damage found ({n} finding(s); no page fails its checksum)"),
                (pages, 0) => format!("damage found ({pages} damaged page(s))"),
                (pages, n) => format!("damage found ({pages} damaged page(s), {n} finding(s))"),
            }
        } else {
            "no damage found".to_string()
        };
        writeln!(out, "Result: {result}")
    }
}

/// Whether the scan read every page, in words.
pub fn scan_words(cancelled: bool) -> &'static str {
    if cancelled {
        "cancelled before the end"
    } else {
        "every page read (not cancelled)"
    }
}

/// Whether the database is a temporary one, in words.
pub fn temporary_words(temporary: bool) -> &'static str {
    if temporary {
        "temporary (the engine never checksums its pages)"
    } else {
        "not temporary (its pages carry checksums)"
    }
}
