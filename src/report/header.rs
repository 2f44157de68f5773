//! The database header documents: a summary (`info`) and every field of
//! both copies side by side with their differences (`header`).

use std::io::{self, Write};

use serde::Serialize;

use super::Finding;
use crate::format::field::Field;
use crate::format::header::{DbHeader, HeaderChecksum};
use crate::store::{Database, HeaderSource};

/// One header copy with every field.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderCopyReport {
    /// 0 = primary, 1 = shadow.
    pub copy: u8,
    /// File offset of the copy.
    pub file_offset: u64,
    /// Checksum, magic and page size all agree.
    pub valid: bool,
    /// Stored vs computed checksum.
    pub checksum: Option<HeaderChecksum>,
    /// Every field.
    pub fields: Vec<Field>,
}

/// The database header as a document.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderReport {
    /// The file.
    pub file: String,
    /// File size in bytes.
    pub file_size: u64,
    /// Page size in use.
    pub page_size: u32,
    /// Whole pages after the two header pages.
    pub page_count: u32,
    /// Where the header and page size came from.
    pub source: HeaderSource,
    /// A temporary database (pages not checksummed).
    pub temporary: bool,
    /// The elected header (absent when both copies are damaged).
    pub header: Option<DbHeader>,
    /// Names of fields whose bytes differ between the copies.
    pub differences: Vec<&'static str>,
    /// Problems found while opening.
    pub warnings: Vec<Finding>,
    /// Both copies with every field (`header` only; empty for `info`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<HeaderCopyReport>,
}

impl HeaderReport {
    /// Builds the document; `with_copies` adds every field of both copies.
    pub fn build(db: &Database, with_copies: bool) -> Self {
        let [primary, shadow] = db.header_copies();
        let differences = match (&primary.header, &shadow.header) {
            (Some(a), Some(b)) => a.differences(b),
            _ => Vec::new(),
        };
        let copies = if with_copies {
            db.header_copies()
                .iter()
                .map(|c| HeaderCopyReport {
                    copy: c.copy,
                    file_offset: c.file_offset,
                    valid: c.valid,
                    checksum: c.checksum,
                    fields: c.header.as_ref().map(DbHeader::fields).unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            file: db.path().display().to_string(),
            file_size: db.file_len(),
            page_size: db.page_size().bytes(),
            page_count: db.page_count(),
            source: db.header_source(),
            temporary: db.is_temporary(),
            header: db.header().cloned(),
            differences,
            warnings: db.warnings().to_vec(),
            copies,
        }
    }

    /// Writes the `info` summary.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_summary(&self, out: &mut dyn Write) -> io::Result<()> {
        let row = |out: &mut dyn Write, name: &str, value: String| writeln!(out, "{name:<22}{value}");
        row(out, "File:", self.file.clone())?;
        row(out, "Size:", format!("{} bytes ({} pages + 2 header pages)", self.file_size, self.page_count))?;
        let source = self.source.describe();
        row(out, "Page size:", format!("{} ({} KiB), {source}", self.page_size, self.page_size / 1024))?;
        if let Some(h) = &self.header {
            row(
                out,
                "Format:",
                format!(
                    "{} (update minor {:#x}, version {:#x}, revision {})",
                    h.format_text(),
                    h.update_minor,
                    h.version,
                    h.update_major
                ),
            )?;
            row(out, "Header checksum:", format!("{:#010x}", h.checksum))?;
            row(out, "Magic:", format!("{:#010x}", h.magic))?;
            row(out, "State:", h.state.to_string())?;
            row(out, "DB time:", h.dbtime_dirtied.to_string())?;
            row(out, "DB signature:", h.sign_db.to_string())?;
            row(out, "Log signature:", h.sign_log.to_string())?;
            row(out, "Consistent:", format!("{} at {}", h.lgpos_consistent, h.logtime_consistent))?;
            row(out, "Attach:", format!("{} at {}", h.lgpos_attach, h.logtime_attach))?;
            row(out, "Detach:", format!("{} at {}", h.lgpos_detach, h.logtime_detach))?;
            row(out, "Log required:", format!("{}-{}", h.gen_min_required, h.gen_max_required))?;
            row(out, "Repair count:", h.repair_count.to_string())?;
            row(
                out,
                "Checksum counters:",
                format!(
                    "ECC fixed {}, ECC failed {}, bad {}",
                    h.ecc_fix_success, h.ecc_fix_fail, h.bad_checksum
                ),
            )?;
            let [major, minor, build, sp] = h.os_version;
            row(out, "OS version:", format!("{major}.{minor}.{build} SP{sp}"))?;
        }
        let copies = if self.differences.is_empty() {
            "identical".to_string()
        } else {
            format!("differ in {}", self.differences.join(", "))
        };
        row(out, "Header copies:", copies)?;
        if self.temporary {
            row(out, "Temporary database:", "yes (pages are never checksummed)".into())?;
        }
        for warning in &self.warnings {
            writeln!(out, "{warning}")?;
        }
        Ok(())
    }

    /// Writes every field of both copies side by side, marking with `*`
    /// the fields whose bytes differ.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_fields(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "Database header of {}", self.file)?;
        writeln!(out, "  file size {} bytes", self.file_size)?;
        for copy in &self.copies {
            let name = if copy.copy == 0 { "primary" } else { "shadow " };
            let checksum = copy.checksum.map_or("unreadable".to_string(), |c| {
                let state = if c.is_ok() { "ok" } else { "MISMATCH" };
                format!("stored {:#010x} computed {:#010x} {state}", c.stored, c.computed)
            });
            let valid = if copy.valid { "valid" } else { "DAMAGED" };
            writeln!(out, "  {name} at offset {:#x}: {valid}; checksum {checksum}", copy.file_offset)?;
        }
        writeln!(out)?;
        let (Some(primary), shadow) = (self.copies.first(), self.copies.get(1)) else { return Ok(()) };
        writeln!(out, "  {:>5}  {:<32} {:<48} shadow", "off", "field", "primary")?;
        for (i, field) in primary.fields.iter().enumerate() {
            let other = shadow.and_then(|s| s.fields.get(i));
            let differs = other.is_some_and(|o| o.raw != field.raw);
            let mark = if differs { "*" } else { " " };
            let other_text = match other {
                Some(o) if differs => o.value.to_string(),
                Some(_) => "(same)".to_string(),
                None => "(missing)".to_string(),
            };
            writeln!(
                out,
                "{mark} {:>5}  {:<32} {:<48} {other_text}",
                field.offset,
                field.name,
                field.value.to_string()
            )?;
        }
        if !self.differences.is_empty() {
            writeln!(out)?;
            writeln!(out, "* {} field(s) differ: {}", self.differences.len(), self.differences.join(", "))?;
        }
        for warning in &self.warnings {
            writeln!(out, "{warning}")?;
        }
        Ok(())
    }
}
