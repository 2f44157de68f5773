//! Whole-database checks as plain functions with a progress callback:
//! the CLI calls them directly, a worker thread can run them unchanged.
//!
//! Also the one place that judges a page with the rest of the file as
//! evidence ([`check_page`]), so `verify`, `page` and the TUI agree.

pub mod classify;
pub mod compare;
pub mod compare_rows;
pub mod trees;

use std::ops::ControlFlow;

use rayon::prelude::*;

use serde::Serialize;

use crate::finding::{Finding, Location};
use crate::format::page::PageHeader;
use crate::format::verdict::{self, page_matches, PageCheck, Verdict};
use crate::format::PageNumber;
use crate::store::Database;
use crate::Error;

/// How far a job has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

impl Progress {
    /// Percentage done, 0–100.
    pub fn percent(self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.done as f64 * 100.0 / self.total as f64
        }
    }
}

/// Checks page `pgno`'s checksums, using the file as evidence where the
/// page alone is ambiguous: a flipped bit in the stored XOR half of a small
/// page looks exactly like a page written at a place whose number differs
/// in that bit. A byte-identical page at the other number, or sibling pages
/// linking to the other number, says "misplaced"; sibling links to this
/// number, or no such page in the file, says "bit flip".
///
/// # Errors
/// [`Error::PageOutOfRange`] when the page is not in the file.
pub fn check_page(db: &Database, pgno: PageNumber) -> Result<PageCheck, Error> {
    let bytes = db.page_bytes(pgno)?;
    let mut check = verdict::check_page(bytes, pgno, db.page_size());
    if let Verdict::WrongPageNumber { stored_pgno, perhaps_bit: Some(bit) } = check.verdict {
        check.verdict = match misplacement_evidence(db, pgno, bytes, stored_pgno) {
            Some(true) => Verdict::WrongPageNumber { stored_pgno, perhaps_bit: None },
            Some(false) => Verdict::Correctable { bits: vec![bit], perhaps_page: None },
            None => Verdict::Correctable { bits: vec![bit], perhaps_page: Some(stored_pgno) },
        };
    }
    Ok(check)
}

/// `Some(true)`: evidence the page belongs at `other`; `Some(false)`:
/// evidence it belongs where it is; `None`: no evidence either way.
fn misplacement_evidence(db: &Database, pgno: PageNumber, bytes: &[u8], other: PageNumber) -> Option<bool> {
    if other.is_null() || other.0 > db.page_count() {
        return Some(false);
    }
    if db.page_bytes(other).is_ok_and(|copy| copy == bytes) {
        return Some(true);
    }
    let header = PageHeader::parse(bytes, db.page_size()).ok()?;
    let neighbours = [(header.prev, true), (header.next, false)];
    for (neighbour, is_prev) in neighbours.into_iter().filter(|(n, _)| !n.is_null()) {
        let Ok(page) = db.page(neighbour) else { continue };
        if !page_matches(page.bytes, neighbour, db.page_size()) {
            continue;
        }
        let link = if is_prev { page.header.next } else { page.header.prev };
        if link == other {
            return Some(true);
        }
        if link == pgno {
            return Some(false);
        }
    }
    None
}

/// One damaged page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageProblem {
    /// File offset of the page.
    pub file_offset: u64,
    /// The checksum analysis.
    #[serde(flatten)]
    pub check: PageCheck,
}

/// Page counts by verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct VerifyCounts {
    /// Pages checked.
    pub pages: u32,
    /// Checksums match.
    pub ok: u32,
    /// All zero (never written).
    pub uninitialized: u32,
    /// Temporary-database pages, never checksummed.
    pub not_checksummed: u32,
    /// Temporary database only: pages that are neither zero nor an
    /// unchecksummed page (disk contents from before the file grew).
    pub unverifiable: u32,
    /// Single-bit errors ECC (or a checksum rewrite) can fix.
    pub correctable: u32,
    /// Checksums made for another page number.
    pub wrong_page_number: u32,
    /// Anything else: -1018.
    pub uncorrectable: u32,
}

impl VerifyCounts {
    /// Damaged pages of any kind.
    pub fn damaged(&self) -> u32 {
        self.correctable + self.wrong_page_number + self.uncorrectable
    }
}

/// The result of checking every page of a database.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The file.
    pub file: String,
    /// Page size in bytes.
    pub page_size: u32,
    /// True for a temporary database, whose pages carry no checksums.
    pub temporary: bool,
    /// Counts by verdict.
    pub counts: VerifyCounts,
    /// Each damaged page with its analysis, in page order.
    pub bad_pages: Vec<PageProblem>,
    /// Problems outside the pages: header copies, a truncated last page.
    pub findings: Vec<Finding>,
    /// True when the scan was stopped before the end.
    pub cancelled: bool,
}

impl VerifyReport {
    /// True when anything is damaged: a page, a header copy, the file end.
    pub fn has_damage(&self) -> bool {
        self.counts.damaged() > 0
            || self.findings.iter().any(|f| f.severity >= crate::finding::Severity::Warning)
    }
}

/// The catalog's root page: every database has pages 1 to this one.
const CATALOG_PAGE: u32 = 4;

/// Checks the checksum of every page (like `eseutil /k`), on every core.
/// Calls `on_progress` after each chunk of 4096 pages and at the end; returning
/// `ControlFlow::Break` stops the scan, and the report says it was cancelled.
pub fn verify(db: &Database, mut on_progress: impl FnMut(Progress) -> ControlFlow<()>) -> VerifyReport {
    let temporary = db.is_temporary();
    let size = db.page_size();
    let mut report = VerifyReport {
        file: db.path().display().to_string(),
        page_size: size.bytes(),
        temporary,
        counts: VerifyCounts::default(),
        bad_pages: Vec::new(),
        findings: db.warnings().to_vec(),
        cancelled: false,
    };
    if db.page_count() < CATALOG_PAGE && !temporary {
        report.findings.push(Finding::error(
            Location::File,
            format!(
                "the file ends after page {}: a database has at least pages 1 to {CATALOG_PAGE} (the database \
                 root and the catalog)",
                db.page_count()
            ),
        ));
    }
    let total = u64::from(db.page_count());
    // Checksums are computed in parallel a chunk at a time; the few pages
    // that fail are analysed, counted and reported in page order.
    const CHUNK: u32 = 4096;
    let mut first = 1u32;
    while first <= db.page_count() {
        if let Some(now) = db.shrank_to() {
            report.findings.push(Finding::error(
                Location::File,
                format!(
                    "the file shrank from {} to {now} bytes while it was being read; stopped before page {first} \
                     (use --no-mmap for a file that is still open elsewhere)",
                    db.file_len()
                ),
            ));
            report.cancelled = true;
            break;
        }
        let last = first.saturating_add(CHUNK - 1).min(db.page_count());
        let failing: Vec<PageNumber> = (first..=last)
            .into_par_iter()
            .map(PageNumber)
            .filter(|&pgno| db.page_bytes(pgno).is_ok_and(|bytes| !page_matches(bytes, pgno, size)))
            .collect();
        let pages = last - first + 1;
        report.counts.pages += pages;
        report.counts.ok += pages - failing.len() as u32;
        for pgno in failing {
            let Ok(check) = check_page(db, pgno) else { continue };
            let counts = &mut report.counts;
            match &check.verdict {
                Verdict::Ok => counts.ok += 1,
                Verdict::Uninitialized => counts.uninitialized += 1,
                Verdict::NotChecksummed => counts.not_checksummed += 1,
                _ if temporary => counts.unverifiable += 1,
                Verdict::Correctable { .. } => counts.correctable += 1,
                Verdict::WrongPageNumber { .. } => counts.wrong_page_number += 1,
                Verdict::Uncorrectable => counts.uncorrectable += 1,
            }
            if check.verdict.is_damaged() && !temporary {
                report.bad_pages.push(PageProblem { file_offset: pgno.file_offset(size), check });
            }
        }
        if on_progress(Progress { done: u64::from(last), total }).is_break() {
            report.cancelled = last < db.page_count();
            break;
        }
        first = last + 1;
    }
    if temporary {
        report.findings.push(Finding::info(
            Location::File,
            format!(
                "temporary database: the engine never checksums its pages ({} unchecksummed pages; {} pages hold \
                 data that is not an ESE page, left from before the file was extended)",
                report.counts.not_checksummed, report.counts.unverifiable
            ),
        ));
    }
    report
}
