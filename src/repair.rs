//! Repair into a new file: flip back the bits a checksum locates exactly,
//! replace other damaged pages with the same page from a good copy of the
//! same database, update the header's repair counters as the engine does,
//! and say byte by byte what changed. The input is only ever read.
//!
//! One plain function with a progress callback ([`repair`]); the CLI and the
//! worker call it the same way.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::format::checksum::legacy_xor;
use crate::format::header::field_offset;
use crate::format::page::PageHeader;
use crate::format::verdict::{page_matches, FlipKind, FlippedBit, Verdict};
use crate::format::{LogTime, PageNumber};
use crate::scan::{self, Progress, VerifyCounts};
use crate::store::{Database, HeaderSource};
use crate::Error;

/// What was done to one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Fix {
    /// The located bits were flipped back.
    FlipBits {
        /// The bits.
        bits: Vec<FlippedBit>,
    },
    /// The page was replaced by the same page of the copy.
    Patch {
        /// dbtime of the copy's page.
        copy_dbtime: u64,
        /// Why the copy's page was accepted.
        evidence: String,
    },
}

/// A run of changed bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByteChange {
    /// Offset inside the page.
    pub offset: usize,
    /// The bytes before, hex.
    pub before: String,
    /// The bytes after, hex.
    pub after: String,
}

/// A repaired page.
#[derive(Debug, Clone, Serialize)]
pub struct PageRepair {
    /// The page.
    pub pgno: PageNumber,
    /// Its file offset.
    pub file_offset: u64,
    /// The verdict before repair.
    pub verdict: String,
    /// What was done.
    pub fix: Fix,
    /// Changed byte runs (at most 64 listed).
    pub changes: Vec<ByteChange>,
    /// How many bytes changed in all.
    pub changed_bytes: usize,
    /// Anything the reader should know (an older copy, for instance).
    pub note: Option<String>,
}

/// A damaged page left as it was, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unrepaired {
    /// The page.
    pub pgno: PageNumber,
    /// Its file offset.
    pub file_offset: u64,
    /// The verdict.
    pub verdict: String,
    /// Why it was not repaired.
    pub reason: String,
}

/// The report files saved beside a new file `out` that `job` (repair,
/// recovery, salvage) wrote: `NEW.job.txt` and `NEW.job.json`.
pub fn report_files(out: &Path, job: &str) -> (PathBuf, PathBuf) {
    let beside = |ext: &str| {
        let mut name = out.as_os_str().to_owned();
        name.push(format!(".{job}.{ext}"));
        PathBuf::from(name)
    };
    (beside("txt"), beside("json"))
}

/// A file and its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct FileDigest {
    /// The path.
    pub path: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// What a repair did.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// The damaged input (unchanged).
    pub input: FileDigest,
    /// The copy pages were taken from, if any.
    pub from: Option<FileDigest>,
    /// The repaired output; `None` when cancelled or nothing was written.
    pub output: Option<FileDigest>,
    /// Pages changed.
    pub repaired: Vec<PageRepair>,
    /// Damaged pages left alone.
    pub not_repaired: Vec<Unrepaired>,
    /// Header fields updated (in both copies).
    pub header_fields: Vec<String>,
    /// Verify of the output.
    pub verify_after: Option<VerifyCounts>,
    /// What verify of the output found outside its pages: damaged header
    /// copies, a truncated last page.
    pub findings_after: Vec<crate::finding::Finding>,
    /// True when stopped before the end (then no output exists).
    pub cancelled: bool,
}

impl RepairReport {
    /// True when the output exists and verify finds nothing wrong in it.
    pub fn output_is_clean(&self) -> bool {
        self.verify_after.is_some_and(|c| c.damaged() == 0)
            && self.findings_after.is_empty()
            && self.not_repaired.is_empty()
    }
}

fn digest(db: &Database) -> Result<FileDigest, Error> {
    Ok(FileDigest { path: db.path().display().to_string(), sha256: db.sha256()? })
}

fn byte_changes(before: &[u8], after: &[u8]) -> (Vec<ByteChange>, usize) {
    let mut changes = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while i < before.len().min(after.len()) {
        if before.get(i) == after.get(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < before.len().min(after.len()) && before.get(i) != after.get(i) {
            i += 1;
        }
        total += i - start;
        if changes.len() < 64 {
            changes.push(ByteChange {
                offset: start,
                before: hex::encode(before.get(start..i).unwrap_or_default()),
                after: hex::encode(after.get(start..i).unwrap_or_default()),
            });
        }
    }
    (changes, total)
}

/// The record of a page replaced by the copy's `page`, with the byte
/// runs that changed and the copy's dbtime.
fn patched(
    db: &Database,
    (pgno, file_offset): (PageNumber, u64),
    verdict: String,
    damaged: &[u8],
    page: &[u8],
    evidence: String,
    note: Option<String>,
) -> PageRepair {
    let copy_dbtime = PageHeader::parse(page, db.page_size()).map_or(0, |h| h.dbtime_dirtied.0);
    let (changes, changed_bytes) = byte_changes(damaged, page);
    PageRepair {
        pgno,
        file_offset,
        verdict,
        fix: Fix::Patch { copy_dbtime, evidence },
        changes,
        changed_bytes,
        note,
    }
}

/// Why the copy's page `pgno` may (Ok) or may not (Err) replace the damaged one.
fn patch_evidence(
    db: &Database,
    copy: &Database,
    pgno: PageNumber,
    damaged: &[u8],
) -> Result<(Vec<u8>, String, Option<String>), String> {
    let size = db.page_size();
    let page = copy.page_bytes(pgno).map_err(|e| format!("the copy has no page {pgno}: {e}"))?;
    if !page_matches(page, pgno, size) {
        return Err(format!("page {pgno} of the copy is damaged too"));
    }
    let header = PageHeader::parse(page, size).map_err(|e| e.to_string())?;
    let newest = db.header().map_or(u64::MAX, |h| h.dbtime_dirtied.0);
    if header.dbtime_dirtied.0 > newest {
        return Err(format!(
            "the copy's page is newer than the database (dbtime {} > {newest}): it comes from a later state",
            header.dbtime_dirtied.0
        ));
    }
    let damaged_header = PageHeader::parse(damaged, size).ok();
    let links_back = [(header.prev, true), (header.next, false)].into_iter().any(|(n, is_prev)| {
        !n.is_null()
            && db.page(n).is_ok_and(|p| {
                page_matches(p.bytes, n, size)
                    && (if is_prev { p.header.next } else { p.header.prev }) == pgno
            })
    });
    let evidence = if damaged_header.is_some_and(|h| h.objid_fdp == header.objid_fdp) {
        format!("same tree: objidFDP {} in the damaged page and in the copy", header.objid_fdp)
    } else if links_back {
        format!(
            "the copy's page belongs to tree objidFDP {} and its neighbours here link to page {pgno}",
            header.objid_fdp
        )
    } else if header.prev.is_null() && header.next.is_null() {
        format!(
            "unlinked page of tree objidFDP {}; the damaged page's own tree could not be read",
            header.objid_fdp
        )
    } else {
        return Err(format!(
            "the copy's page {pgno} (tree objidFDP {}) is not linked from this database's pages, so it may not be the \
             same page",
            header.objid_fdp
        ));
    };
    let note = damaged_header.filter(|h| h.dbtime_dirtied > header.dbtime_dirtied && h.objid_fdp == header.objid_fdp).map(|h| {
        format!(
            "the copy's page is older than the damaged one (dbtime {} < {}): changes made after it need a log replay",
            header.dbtime_dirtied.0, h.dbtime_dirtied.0
        )
    });
    Ok((page.to_vec(), evidence, note))
}

/// The current time as a LOGTIME (UTC), for the header's repair fields.
pub fn now() -> LogTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| LogTime::from_unix(d.as_secs(), d.subsec_millis() as u16))
        .unwrap_or_default()
}

/// Repairs `db` into a new file `out`, taking pages from `from` when given.
/// `out` must not exist; it is written through a temporary file in the same
/// directory, synced and renamed, so it never exists half-written. A
/// `Break` from `on_progress` stops the repair and leaves no output.
///
/// # Errors
/// `out` exists; `from` belongs to another database; writing fails.
pub fn repair(
    db: &Database,
    from: Option<&Database>,
    out: &Path,
    now: LogTime,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<RepairReport, Error> {
    if out.symlink_metadata().is_ok() {
        return Err(Error::OutputExists { path: out.to_path_buf() });
    }
    if let (Some(copy), Some(h)) = (from, db.header()) {
        if copy.header().map(|c| c.sign_db) != Some(h.sign_db) || copy.page_size() != db.page_size() {
            return Err(Error::NotDatabase {
                path: copy.path().to_path_buf(),
                reason: "is not a copy of the same database (its signDb or page size differs), so no page is taken from it".into(),
            });
        }
    }
    let pages = u64::from(db.page_count());
    let total = 2 * pages;
    let mut cancelled = false;
    let before = scan::verify(db, |p| {
        let flow = on_progress(Progress { done: p.done, total });
        cancelled |= flow.is_break();
        flow
    });
    let mut report = RepairReport {
        input: digest(db)?,
        from: from.map(digest).transpose()?,
        output: None,
        repaired: Vec::new(),
        not_repaired: Vec::new(),
        header_fields: Vec::new(),
        verify_after: None,
        findings_after: Vec::new(),
        cancelled,
    };
    if cancelled {
        return Ok(report);
    }
    let mut new_pages: Vec<(PageNumber, Vec<u8>)> = Vec::new();
    for problem in &before.bad_pages {
        let pgno = problem.check.pgno;
        let damaged = db.page_bytes(pgno)?;
        let verdict = problem.check.verdict.label().to_string();
        let unrepaired = |reason: String| Unrepaired {
            pgno,
            file_offset: problem.file_offset,
            verdict: verdict.clone(),
            reason,
        };
        match &problem.check.verdict {
            Verdict::Correctable { bits, perhaps_page: None } => {
                let mut page = damaged.to_vec();
                for bit in bits {
                    if let Some(byte) = page.get_mut(bit.offset) {
                        *byte ^= 1 << bit.bit;
                    }
                }
                let (changes, changed_bytes) = byte_changes(damaged, &page);
                report.repaired.push(PageRepair {
                    pgno,
                    file_offset: problem.file_offset,
                    verdict: verdict.clone(),
                    fix: Fix::FlipBits { bits: bits.clone() },
                    changes,
                    changed_bytes,
                    note: None,
                });
                new_pages.push((pgno, page));
            }
            other => {
                let why_not_bits = match other {
                    Verdict::Correctable { perhaps_page: Some(p), .. } => {
                        format!("a stored-checksum bit or a page written at the wrong place (page {p}); not guessing")
                    }
                    _ => "not a single-bit error".to_string(),
                };
                match from {
                    None => report
                        .not_repaired
                        .push(unrepaired(format!("{why_not_bits}, and no copy was given (--from)"))),
                    Some(copy) => match patch_evidence(db, copy, pgno, damaged) {
                        Ok((page, evidence, note)) => {
                            report.repaired.push(patched(
                                db,
                                (pgno, problem.file_offset),
                                verdict.clone(),
                                damaged,
                                &page,
                                evidence,
                                note,
                            ));
                            new_pages.push((pgno, page));
                        }
                        Err(reason) => {
                            report.not_repaired.push(unrepaired(format!("{why_not_bits}; {reason}")))
                        }
                    },
                }
            }
        }
    }
    // All-zero pages are unused space to the checksum scan, but damage when
    // a tree points at them (-1019 on a page the engine will read).
    for (pgno, tree) in crate::scan::trees::reached_uninitialized(db) {
        let file_offset = pgno.file_offset(db.page_size());
        let verdict = format!("uninitialized (-1019) but reached by the {tree}");
        let damaged = db.page_bytes(pgno)?;
        match from.map(|copy| patch_evidence(db, copy, pgno, damaged)) {
            None => report.not_repaired.push(Unrepaired {
                pgno,
                file_offset,
                verdict,
                reason: "an all-zero page has nothing to correct, and no copy was given (--from)".into(),
            }),
            Some(Err(reason)) => report.not_repaired.push(Unrepaired { pgno, file_offset, verdict, reason }),
            Some(Ok((page, evidence, note))) => {
                report.repaired.push(patched(
                    db,
                    (pgno, file_offset),
                    verdict,
                    damaged,
                    &page,
                    evidence,
                    note,
                ));
                new_pages.push((pgno, page));
            }
        }
    }
    let header = updated_header(db, &report, now);
    if let Some((_, fields)) = &header {
        report.header_fields = fields.clone();
    }
    if new_pages.is_empty() && header.is_none() {
        // nothing changes: a copy would be the input byte for byte, so none is written
        return Ok(report);
    }
    let written = write_output(db, out, &new_pages, header.as_ref().map(|(h, _)| h.as_slice()))?;
    let after = Database::open(out)?;
    let mut stopped = false;
    let verify = scan::verify(&after, |p| {
        let flow = on_progress(Progress { done: pages + p.done, total });
        stopped |= flow.is_break();
        flow
    });
    if stopped {
        drop(after);
        let _ = std::fs::remove_file(out);
        report.cancelled = true;
        return Ok(report);
    }
    report.verify_after = Some(verify.counts);
    report.findings_after =
        verify.findings.into_iter().filter(|f| f.severity >= crate::finding::Severity::Warning).collect();
    report.output = Some(FileDigest { path: out.display().to_string(), sha256: written });
    Ok(report)
}

/// The header page with the repair counters updated, sealed, and the names
/// of the fields changed; `None` when there is nothing to record or no valid
/// header to start from.
fn updated_header(db: &Database, report: &RepairReport, now: LogTime) -> Option<(Vec<u8>, Vec<String>)> {
    let size = db.page_size().len();
    let copy = match db.header_source() {
        HeaderSource::Primary => 0,
        HeaderSource::Shadow => 1,
        HeaderSource::DetectedFromPages => return None,
    };
    let damaged_copy = db.header_copies().iter().any(|c| !c.valid);
    if report.repaired.is_empty() && !damaged_copy {
        return None;
    }
    let mut page = db.range((copy * size) as u64, size).ok().filter(|p| p.len() == size)?.to_vec();
    let mut fields = Vec::new();
    let mut bump = |page: &mut Vec<u8>, count: &str, time: &str, by: u32| {
        if let (Some(c), Some(t)) = (field_offset(count), field_offset(time)) {
            let old = page.get(c..c + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes);
            if let Some(slot) = page.get_mut(c..c + 4) {
                slot.copy_from_slice(&old.saturating_add(by).to_le_bytes());
            }
            if let Some(slot) = page.get_mut(t..t + 8) {
                slot.copy_from_slice(&now.0);
            }
            fields.push(format!("{count} {old} -> {}, {time} = {now}", old.saturating_add(by)));
        }
    };
    let ecc = report
        .repaired
        .iter()
        .filter(|r| matches!(&r.fix, Fix::FlipBits { bits } if bits.iter().any(|b| b.kind == FlipKind::Data)))
        .count();
    let patched = report.repaired.iter().filter(|r| matches!(r.fix, Fix::Patch { .. })).count();
    if ecc > 0 {
        bump(&mut page, "le_ulECCFixSuccess", "logtimeECCFixSuccess", ecc as u32);
    }
    if patched > 0 {
        bump(&mut page, "le_ulPagePatchCount", "logtimePagePatch", patched as u32);
    }
    if !report.repaired.is_empty() {
        bump(&mut page, "le_ulRepairCount", "logtimeRepair", 1);
    }
    // say why the ECC count is what it is: only data bits count, as the engine counts them
    let in_checksum = report
        .repaired
        .iter()
        .filter(|r| matches!(&r.fix, Fix::FlipBits { bits } if bits.iter().all(|b| b.kind != FlipKind::Data)))
        .count();
    if let Some(field) = fields.iter_mut().find(|f| f.starts_with("le_ulECCFixSuccess")) {
        field.push_str(&format!(" ({ecc} page(s) with a data bit corrected by ECC"));
        if in_checksum > 0 {
            field.push_str(&format!(
                "; not counted: {in_checksum} page(s) whose flipped bit was in the stored checksum, data intact"
            ));
        }
        field.push(')');
    }
    if damaged_copy {
        fields.push(format!(
            "the damaged header copy was replaced by the valid one ({})",
            if copy == 0 { "primary" } else { "shadow" }
        ));
    }
    let sum = legacy_xor(&page);
    page.get_mut(..4)?.copy_from_slice(&sum.to_le_bytes());
    Some((page, fields))
}

/// Copies the input to a temporary file beside `out`, writes the new pages
/// and header copies into it, syncs it and renames it to `out`. Returns the
/// SHA-256 of what was written.
fn write_output(
    db: &Database,
    out: &Path,
    pages: &[(PageNumber, Vec<u8>)],
    header: Option<&[u8]>,
) -> Result<String, Error> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().map_or("repaired".into(), |n| n.to_string_lossy().into_owned());
    let tmp: PathBuf = dir.join(format!(".{name}.esescope-tmp"));
    let io = |source: std::io::Error| Error::Write { path: out.to_path_buf(), source };
    let _registered = crate::interrupt::register(&tmp);
    let result = (|| -> Result<String, Error> {
        let mut file = File::create_new(&tmp).map_err(io)?;
        db.copy_to(&mut file, out)?;
        let size = db.page_size();
        let mut put = |offset: u64, bytes: &[u8]| -> Result<(), Error> {
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            file.write_all(bytes).map_err(io)
        };
        for (pgno, page) in pages {
            put(pgno.file_offset(size), page)?;
        }
        if let Some(header) = header {
            put(0, header)?;
            put(u64::from(size.bytes()), header)?;
        }
        file.sync_all().map_err(io)?;
        drop(file);
        let mut hasher = Sha256::new();
        std::io::copy(&mut File::open(&tmp).map_err(io)?, &mut hasher).map_err(io)?;
        let sha = hex::encode(hasher.finalize());
        db.check_size()?;
        // a dangling symlink counts: renaming over it would replace the link
        if out.symlink_metadata().is_ok() {
            return Err(Error::OutputExists { path: out.to_path_buf() });
        }
        std::fs::rename(&tmp, out).map_err(io)?;
        Ok(sha)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl RepairReport {
    /// Writes the report as text: each page changed with the bytes before
    /// and after, each page left alone and why, header fields, digests.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "Repair of {} (not modified)", self.input.path)?;
        writeln!(out, "  input  SHA-256 {}", self.input.sha256)?;
        if let Some(from) = &self.from {
            writeln!(out, "  copy   SHA-256 {}  {}", from.sha256, from.path)?;
        }
        if self.cancelled {
            return writeln!(out, "Cancelled: no output was written.");
        }
        for page in &self.repaired {
            let how = match &page.fix {
                Fix::FlipBits { bits } => {
                    let list: Vec<String> =
                        bits.iter().map(|b| format!("byte {:#x} bit {}", b.offset, b.bit)).collect();
                    format!("flipped back {}", list.join(", "))
                }
                Fix::Patch { copy_dbtime, evidence } => {
                    format!("replaced from the copy (its dbtime {copy_dbtime:#x}; {evidence})")
                }
            };
            writeln!(
                out,
                "page {} (offset {:#x}, was {}): {how}",
                page.pgno, page.file_offset, page.verdict
            )?;
            for change in &page.changes {
                writeln!(out, "    byte {:#06x}: {} -> {}", change.offset, change.before, change.after)?;
            }
            if page.changed_bytes > 0 && page.changes.len() == 64 {
                writeln!(out, "    ({} bytes changed in all)", page.changed_bytes)?;
            }
            if let Some(note) = &page.note {
                writeln!(out, "    note: {note}")?;
            }
        }
        for page in &self.not_repaired {
            writeln!(
                out,
                "page {} (offset {:#x}, {}): NOT repaired: {}",
                page.pgno, page.file_offset, page.verdict, page.reason
            )?;
        }
        for field in &self.header_fields {
            writeln!(out, "header: {field}")?;
        }
        match (&self.output, &self.verify_after) {
            (Some(output), Some(counts)) => {
                writeln!(out, "Wrote {}", output.path)?;
                writeln!(out, "  output SHA-256 {}", output.sha256)?;
                writeln!(
                    out,
                    "  verify: {} pages, {} ok, {} uninitialized, {} still damaged",
                    counts.pages,
                    counts.ok,
                    counts.uninitialized,
                    counts.damaged()
                )?;
                for finding in &self.findings_after {
                    writeln!(out, "  still damaged: {finding}")?;
                }
            }
            _ if !self.cancelled && self.repaired.is_empty() && self.header_fields.is_empty() => writeln!(
                out,
                "No output was written: no page could be repaired, so it would be the input byte for byte \
                 (a healthy copy of the database, --from or the inspector's copy prompt, supplies pages)"
            )?,
            _ => writeln!(out, "No output was written.")?,
        }
        Ok(())
    }
}
