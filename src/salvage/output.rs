//! The new file's bytes on disk: pages taken from a copy (`--from`), the
//! header (the input's, set to clean shutdown with the repair counter and
//! time updated as eseutil /p does), and the atomic write (temporary file
//! in the output's directory written as the pages are built, fsync,
//! rename, directory fsync).

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::format::checksum::legacy_xor;
use crate::format::header::{field_offset, DbState};
use crate::format::verdict::page_matches;
use crate::format::LogTime;
use crate::store::{Database, HeaderSource};
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

/// The header page of the new file: the input's header (the valid copy),
/// set to clean shutdown, no log generations required, dbtime and
/// objidLast at least what the new pages (`new`, the writer's header page)
/// use, `le_ulRepairCount` + 1 and `logtimeRepair` = `now`. Returns the
/// page (for both header places) and the fields changed.
///
/// # Errors
/// Neither header copy of the input is valid.
pub(super) fn header_page(db: &Database, new: &[u8], now: LogTime) -> Result<(Vec<u8>, Vec<String>), Error> {
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
    let new = new.get(..size).ok_or_else(no_header)?;
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
    Ok((page, fields))
}

/// The new file while it is written: a temporary file beside the output
/// (removed on SIGINT/SIGTERM, and when dropped before
/// [`NewFile::finish`] renamed it), written page by page as the writer
/// builds the pages; runs of consecutive pages go out in one gathering
/// write (no copy of the pages).
pub(super) struct NewFile {
    out: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    _registered: crate::interrupt::Temporary,
    /// The pending run: its first byte's offset, its pages and their bytes.
    at: u64,
    run: Vec<Vec<u8>>,
    run_len: usize,
}

/// Bytes a run of consecutive pages may reach before it is written.
const RUN: usize = 1 << 20;
/// Pages a run may hold (under the system's limit on one gathering write).
const RUN_PAGES: usize = 256;

impl NewFile {
    /// Creates the temporary file beside `out`.
    ///
    /// # Errors
    /// The temporary file cannot be created (it exists, say).
    pub(super) fn create(out: &Path) -> Result<Self, Error> {
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = out.file_name().map_or("salvaged".into(), |n| n.to_string_lossy().into_owned());
        let tmp: PathBuf = dir.join(format!(".{name}.esescope-tmp"));
        let registered = crate::interrupt::register(&tmp);
        let file =
            File::create_new(&tmp).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
        Ok(Self {
            out: out.to_path_buf(),
            tmp,
            file: Some(file),
            _registered: registered,
            at: 0,
            run: Vec::with_capacity(RUN_PAGES),
            run_len: 0,
        })
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Write { path: self.out.clone(), source }
    }

    /// Writes `bytes` at file offset `offset`.
    ///
    /// # Errors
    /// Writing fails.
    pub(super) fn put(&mut self, offset: u64, bytes: Vec<u8>) -> Result<(), Error> {
        let run_end = self.at + self.run_len as u64;
        if offset != run_end || self.run_len + bytes.len() > RUN || self.run.len() == RUN_PAGES {
            self.flush()?;
            self.at = offset;
        }
        self.run_len += bytes.len();
        self.run.push(bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        use std::io::{IoSlice, Seek, SeekFrom, Write};
        if self.run.is_empty() {
            return Ok(());
        }
        if let Some(file) = self.file.as_mut() {
            let written = (|| -> std::io::Result<()> {
                file.seek(SeekFrom::Start(self.at))?;
                let mut slices: Vec<IoSlice<'_>> = self.run.iter().map(|p| IoSlice::new(p)).collect();
                let mut rest = &mut slices[..];
                while !rest.is_empty() {
                    match file.write_vectored(rest) {
                        Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                        Ok(n) => IoSlice::advance_slices(&mut rest, n),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            })();
            written.map_err(|e| Error::Write { path: self.out.clone(), source: e })?;
        }
        self.run.clear();
        self.run_len = 0;
        Ok(())
    }

    /// Makes the file `len` bytes long, syncs it and — unless `cancelled`
    /// says stop — renames it to the output and syncs the directory.
    /// `None` when cancelled (the temporary file is removed).
    ///
    /// # Errors
    /// Writing, syncing or renaming fails (the temporary file is removed);
    /// the output appeared meanwhile.
    pub(super) fn finish(
        mut self,
        len: u64,
        cancelled: &mut dyn FnMut() -> ControlFlow<()>,
    ) -> Result<Option<()>, Error> {
        self.flush()?;
        let file = self.file.take();
        if let Some(file) = file {
            file.set_len(len).map_err(|e| self.io(e))?;
            file.sync_all().map_err(|e| self.io(e))?;
        }
        if cancelled().is_break() {
            return Ok(None);
        }
        // a dangling symlink counts: renaming over it would replace the link
        if self.out.symlink_metadata().is_ok() {
            return Err(Error::OutputExists { path: self.out.clone() });
        }
        std::fs::rename(&self.tmp, &self.out).map_err(|e| self.io(e))?;
        self.tmp = PathBuf::new();
        let dir = self.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Some(()))
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        // not renamed: nothing is left behind
        if !self.tmp.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
