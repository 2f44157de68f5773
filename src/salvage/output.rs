//! The new file's bytes on disk: pages taken from a copy (`--from`), the
//! header (the input's, set to clean shutdown with the repair counter and
//! time updated as eseutil /p does), and the atomic write (temporary file
//! in the output's directory, fsync, rename, directory fsync).

use std::fs::File;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::format::checksum::legacy_xor;
use crate::format::header::{field_offset, DbState};
use crate::format::verdict::page_matches;
use crate::format::LogTime;
use crate::store::{Database, HeaderSource};
use crate::writer::database::WrittenDatabase;
use crate::Error;

/// The input with every page that fails its checksum (or is all zero)
/// replaced by the copy's page of the same number where that one verifies;
/// `None` when the copy supplies nothing. Pages taken are listed in `taken`.
///
/// # Errors
/// The input cannot be read.
pub(super) fn patch_from_copy(
    db: &Database,
    copy: &Database,
    taken: &mut Vec<u32>,
) -> Result<Option<Database>, Error> {
    let size = db.page_size();
    let mut bytes: Option<Vec<u8>> = None;
    for pgno in db.page_numbers() {
        let mine = db.page_bytes(pgno)?;
        if page_matches(mine, pgno, size) && !mine.iter().all(|&b| b == 0) {
            continue;
        }
        if db.read_page(pgno).is_ok() && !mine.iter().all(|&b| b == 0) {
            continue; // the walk reads it corrected
        }
        let Ok(theirs) = copy.page_bytes(pgno) else { continue };
        if theirs.iter().all(|&b| b == 0) || !page_matches(theirs, pgno, size) {
            continue;
        }
        let whole = match bytes.as_mut() {
            Some(b) => b,
            None => {
                let mut all = Vec::with_capacity(usize::try_from(db.file_len()).unwrap_or(0));
                for chunk in db.chunks() {
                    all.extend_from_slice(chunk?);
                }
                bytes.insert(all)
            }
        };
        let at = usize::try_from(pgno.file_offset(size)).unwrap_or(usize::MAX);
        if let Some(slot) = whole.get_mut(at..at.saturating_add(size.len())) {
            slot.copy_from_slice(theirs);
            taken.push(pgno.0);
        }
    }
    bytes.map(|b| Database::from_bytes(db.path(), b)).transpose()
}

fn read_u32(page: &[u8], name: &str) -> u32 {
    field_offset(name)
        .and_then(|at| page.get(at..at + 4))
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn read_u64(page: &[u8], name: &str) -> u64 {
    field_offset(name)
        .and_then(|at| page.get(at..at + 8))
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn put(page: &mut [u8], name: &str, value: &[u8]) {
    if let Some(slot) = field_offset(name).and_then(|at| page.get_mut(at..at + value.len())) {
        slot.copy_from_slice(value);
    }
}

/// The written database with the input's header (the valid copy) in both
/// header places: clean shutdown, no log generations required, dbtime and
/// objidLast at least what the new pages use, `le_ulRepairCount` + 1 and
/// `logtimeRepair` = `now`. Returns the bytes and the fields changed.
///
/// # Errors
/// Neither header copy of the input is valid.
pub(super) fn with_header(
    db: &Database,
    written: WrittenDatabase,
    now: LogTime,
) -> Result<(Vec<u8>, Vec<String>), Error> {
    let size = db.page_size().len();
    let no_header = || Error::NotDatabase {
        path: db.path().to_path_buf(),
        reason: "neither header copy is valid, so the new file has no header to start from".into(),
    };
    let copy = match db.header_source() {
        HeaderSource::Primary => 0,
        HeaderSource::Shadow => 1,
        HeaderSource::DetectedFromPages => return Err(no_header()),
    };
    let mut page =
        db.range((copy * size) as u64, size).ok().filter(|p| p.len() == size).ok_or_else(no_header)?.to_vec();
    let new = written.bytes.get(..size).ok_or_else(no_header)?;
    let mut fields = Vec::new();
    let state = read_u32(&page, "le_dbstate");
    if state != DbState::CLEAN_SHUTDOWN.0 {
        put(&mut page, "le_dbstate", &DbState::CLEAN_SHUTDOWN.0.to_le_bytes());
        fields.push(format!("le_dbstate {} -> {}", DbState(state), DbState::CLEAN_SHUTDOWN));
    }
    let (old_dbtime, new_dbtime) = (read_u64(&page, "le_dbtimeDirtied"), read_u64(new, "le_dbtimeDirtied"));
    if new_dbtime > old_dbtime {
        put(&mut page, "le_dbtimeDirtied", &new_dbtime.to_le_bytes());
        fields.push(format!("le_dbtimeDirtied {old_dbtime:#x} -> {new_dbtime:#x}"));
    }
    let (old_objid, new_objid) = (read_u32(&page, "le_objidLast"), read_u32(new, "le_objidLast"));
    if new_objid > old_objid {
        put(&mut page, "le_objidLast", &new_objid.to_le_bytes());
        fields.push(format!("le_objidLast {old_objid} -> {new_objid}"));
    }
    for name in ["le_lGenMinRequired", "le_lGenMaxRequired", "le_lGenMinConsistent", "le_lGenMaxCommitted"] {
        let old = read_u32(&page, name);
        if old != 0 {
            put(&mut page, name, &0u32.to_le_bytes());
            fields.push(format!("{name} {} -> 0", old as i32));
        }
    }
    let repairs = read_u32(&page, "le_ulRepairCount");
    put(&mut page, "le_ulRepairCount", &repairs.saturating_add(1).to_le_bytes());
    put(&mut page, "logtimeRepair", &now.0);
    fields
        .push(format!("le_ulRepairCount {repairs} -> {}, logtimeRepair = {now}", repairs.saturating_add(1)));
    if db.header_copies().iter().any(|c| !c.valid) {
        fields.push(format!(
            "both header copies are the input's valid one ({})",
            if copy == 0 { "primary" } else { "shadow" }
        ));
    }
    let sum = legacy_xor(&page);
    page.get_mut(..4).ok_or_else(no_header)?.copy_from_slice(&sum.to_le_bytes());
    let mut bytes = written.bytes;
    bytes.get_mut(..size).ok_or_else(no_header)?.copy_from_slice(&page);
    bytes.get_mut(size..2 * size).ok_or_else(no_header)?.copy_from_slice(&page);
    Ok((bytes, fields))
}

/// Writes `bytes` to a temporary file beside `out`, syncs it and — unless
/// `cancelled` says stop — renames it to `out`. Returns the SHA-256 of what
/// was written, or `None` when cancelled (no file is left behind).
///
/// # Errors
/// Creating, writing, syncing or renaming fails (the temporary file is
/// removed); `out` appeared meanwhile.
pub(super) fn write_atomically(
    out: &Path,
    bytes: &[u8],
    cancelled: &mut dyn FnMut() -> ControlFlow<()>,
) -> Result<Option<String>, Error> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().map_or("salvaged".into(), |n| n.to_string_lossy().into_owned());
    let tmp: PathBuf = dir.join(format!(".{name}.esescope-tmp"));
    let io = |source: std::io::Error| Error::Write { path: out.to_path_buf(), source };
    let _registered = crate::interrupt::register(&tmp);
    let result = (|| -> Result<Option<String>, Error> {
        let mut file = File::create_new(&tmp).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        let digest = hex::encode(Sha256::digest(bytes));
        if cancelled().is_break() {
            return Ok(None);
        }
        // a dangling symlink counts: renaming over it would replace the link
        if out.symlink_metadata().is_ok() {
            return Err(Error::OutputExists { path: out.to_path_buf() });
        }
        std::fs::rename(&tmp, out).map_err(io)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Some(digest))
    })();
    if !matches!(result, Ok(Some(_))) {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
