//! The recovered file: the header set to clean shutdown (spec 6.8, last
//! step), the pages that changed, and writing it all atomically beside the
//! output path (temporary file, fsync, rename). The input is only read.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::plan::Plan;
use super::redo::Pages;
use super::RecoveryError;
use crate::format::checksum::legacy_xor;
use crate::format::header::{field_offset, DbState};
use crate::format::{LogTime, PageNumber};
use crate::store::{Database, HeaderSource};
use crate::Error;

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A page the recovery wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PageChange {
    /// The page.
    pub pgno: u32,
    /// dbtime before and after.
    pub dbtime: (u64, u64),
    /// Bytes that differ from the input's page.
    pub changed_bytes: usize,
}

/// The changed pages compared with the input (each read back from the store).
pub fn page_changes(db: &Database, pages: &Pages) -> Vec<PageChange> {
    let size = db.page_size();
    let dbtime =
        |bytes: &[u8]| crate::format::page::PageHeader::parse(bytes, size).map_or(0, |h| h.dbtime_dirtied.0);
    pages
        .changed()
        .filter_map(|pgno| {
            let page = pages.get(pgno)?.ok()?;
            let old = db.page_bytes(PageNumber(pgno)).unwrap_or_default();
            let changed_bytes = if old.len() == page.len() {
                old.iter().zip(&page).filter(|(a, b)| a != b).count()
            } else {
                page.len()
            };
            Some(PageChange { pgno, dbtime: (dbtime(old), dbtime(&page)), changed_bytes })
        })
        .collect()
}

fn put(
    page: &mut [u8],
    name: &str,
    value: &[u8],
    old_text: String,
    new_text: String,
    fields: &mut Vec<String>,
) {
    let Some(at) = field_offset(name) else { return };
    if let Some(slot) = page.get_mut(at..at + value.len()) {
        if slot != value {
            slot.copy_from_slice(value);
            fields.push(format!("{name} {old_text} -> {new_text}"));
        }
    }
}

fn lgpos_bytes(p: crate::format::Lgpos) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..2].copy_from_slice(&p.ib.to_le_bytes());
    b[2..4].copy_from_slice(&p.isec.to_le_bytes());
    b[4..].copy_from_slice(&p.generation.to_le_bytes());
    b
}

/// The elected header page set to clean shutdown as the engine leaves a
/// database it detaches: state 3, lgposConsistent = lgposDetach = the end
/// of the log, their times `now`, no generations required, dbtimeDirtied and
/// objidLast raised to the highest the log (and undo) used. Sealed; with the fields
/// changed, in words.
///
/// # Errors
/// [`RecoveryError::NoHeader`] when neither header copy is valid.
pub fn clean_header(
    db: &Database,
    plan: &Plan,
    max_dbtime: u64,
    now: LogTime,
) -> Result<(Vec<u8>, Vec<String>), RecoveryError> {
    let header = db.header().ok_or(RecoveryError::NoHeader)?;
    let copy = match db.header_source() {
        HeaderSource::Primary => 0,
        HeaderSource::Shadow => 1,
        HeaderSource::DetectedFromPages => return Err(RecoveryError::NoHeader),
    };
    let size = db.page_size().len();
    let mut page = db
        .range((copy * size) as u64, size)
        .ok()
        .filter(|p| p.len() == size)
        .ok_or(RecoveryError::NoHeader)?
        .to_vec();
    let mut fields = Vec::new();
    let f = &mut fields;
    let clean = DbState::CLEAN_SHUTDOWN;
    put(&mut page, "le_dbstate", &clean.0.to_le_bytes(), header.state.to_string(), clean.to_string(), f);
    let dbtime = header.dbtime_dirtied.0.max(max_dbtime);
    put(
        &mut page,
        "le_dbtimeDirtied",
        &dbtime.to_le_bytes(),
        format!("{:#x}", header.dbtime_dirtied.0),
        format!("{dbtime:#x}"),
        f,
    );
    let objid = header.objid_last.max(plan.max_objid);
    put(&mut page, "le_objidLast", &objid.to_le_bytes(), header.objid_last.to_string(), objid.to_string(), f);
    let end = plan.end;
    put(
        &mut page,
        "le_lgposConsistent",
        &lgpos_bytes(end),
        header.lgpos_consistent.to_string(),
        end.to_string(),
        f,
    );
    put(&mut page, "le_lgposDetach", &lgpos_bytes(end), header.lgpos_detach.to_string(), end.to_string(), f);
    let consistent = header.logtime_consistent.to_string();
    put(&mut page, "logtimeConsistent", &now.0, consistent, now.to_string(), f);
    put(&mut page, "logtimeDetach", &now.0, header.logtime_detach.to_string(), now.to_string(), f);
    let zero_gen = |page: &mut Vec<u8>, name: &str, old: i32, f: &mut Vec<String>| {
        put(page, name, &0i32.to_le_bytes(), old.to_string(), "0".into(), f);
    };
    zero_gen(&mut page, "le_lGenMinRequired", header.gen_min_required, f);
    zero_gen(&mut page, "le_lGenMaxRequired", header.gen_max_required, f);
    for name in ["le_lGenMaxCommitted", "le_lGenMinConsistent"] {
        let old = field_offset(name)
            .and_then(|at| page.get(at..at + 4))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, i32::from_le_bytes);
        zero_gen(&mut page, name, old, f);
    }
    for name in ["logtimeGenMaxCreate", "logtimeGenMaxRequired"] {
        let old = field_offset(name)
            .and_then(|at| page.get(at..at + 8))
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or_else(String::new, |b| LogTime(b).to_string());
        put(&mut page, name, &[0; 8], old, "not set".into(), f);
    }
    let sum = legacy_xor(&page);
    page.get_mut(..4).ok_or(RecoveryError::NoHeader)?.copy_from_slice(&sum.to_le_bytes());
    Ok((page, fields))
}

/// The output while it is written: a temporary file beside `out`, first a
/// copy of the input, into which redo writes its pages in place. Removed
/// when dropped unless [`TempOutput::finish`] renamed it to `out`, so a
/// refusal, a cancel or an error leaves no file.
pub struct TempOutput {
    tmp: PathBuf,
    out: PathBuf,
    dir: PathBuf,
    kept: bool,
    _registered: crate::interrupt::Temporary,
}

impl TempOutput {
    /// Creates the temporary file beside `out` and copies the input into it.
    ///
    /// # Errors
    /// Creating or writing fails (the temporary file is removed).
    pub fn create(db: &Database, out: &Path) -> Result<(Self, File), Error> {
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = out.file_name().map_or("recovered".into(), |n| n.to_string_lossy().into_owned());
        let tmp: PathBuf = dir.join(format!(".{name}.esescope-tmp"));
        let io = |source: std::io::Error| Error::Write { path: out.to_path_buf(), source };
        let mut file = File::create_new(&tmp).map_err(io)?;
        let temp = Self {
            _registered: crate::interrupt::register(&tmp),
            tmp,
            out: out.to_path_buf(),
            dir: dir.to_path_buf(),
            kept: false,
        };
        db.copy_to(&mut file, out)?;
        Ok((temp, file))
    }

    /// Sizes the file to end at `pgno_last` when given, writes both header
    /// copies, syncs it and — unless `cancelled` says stop — renames it to
    /// `out`. Returns the output's SHA-256, or `None` when cancelled (then
    /// no file is left behind).
    ///
    /// # Errors
    /// Writing, syncing or renaming fails (the temporary file is removed).
    pub fn finish(
        mut self,
        db: &Database,
        mut file: File,
        pgno_last: Option<u32>,
        header: &[u8],
        cancelled: &mut dyn FnMut() -> ControlFlow<()>,
    ) -> Result<Option<String>, Error> {
        let out = self.out.clone();
        let io = |source: std::io::Error| Error::Write { path: out.clone(), source };
        let size = db.page_size();
        // the size the log gave the database (ExtendDB, ShrinkDB): pages past the end are zero
        if let Some(last) = pgno_last {
            file.set_len(PageNumber(last).file_offset(size) + u64::from(size.bytes())).map_err(io)?;
        }
        for offset in [0, u64::from(size.bytes())] {
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            file.write_all(header).map_err(io)?;
        }
        file.sync_all().map_err(io)?;
        drop(file);
        // the digest of what is on disk, read back in a stream (no second copy in memory)
        let mut hasher = Sha256::new();
        std::io::copy(&mut File::open(&self.tmp).map_err(io)?, &mut hasher).map_err(io)?;
        let digest = hex::encode(hasher.finalize());
        if cancelled().is_break() {
            return Ok(None);
        }
        db.check_size()?;
        // a dangling symlink counts: renaming over it would replace the link
        if self.out.symlink_metadata().is_ok() {
            return Err(Error::OutputExists { path: self.out.clone() });
        }
        std::fs::rename(&self.tmp, &self.out).map_err(io)?;
        self.kept = true;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(Some(digest))
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
