//! A database rebuilt from its logs (issue 14, item 3): when the oldest
//! generation starts with the database's creation (a CreateDB record;
//! creation is fully logged from 8.4000.3 on, up to CreateDBFinish), a
//! seed made of the two header pages alone is replayed from the first
//! record. Every page the logs name is then a new page, made by its
//! NewPage, FDP creation or split record.

use std::ops::ControlFlow;
use std::path::Path;

use super::{chain, recover_limited, Limits, RecoveryError, RecoveryReport, StartAt};
use crate::format::header::DbState;
use crate::format::txlog::record::Record;
use crate::format::types::le_u32;
use crate::format::{LogTime, PageSize, Signature};
use crate::scan::Progress;
use crate::store::Database;
use crate::txlog::LogSet;
use crate::writer::header::HeaderSpec;
use crate::Error;

/// The CreateDB record that starts the oldest generation of the chain
/// (the generation is read again from its file: the set keeps no records).
fn creation(set: &LogSet) -> Result<Record, RecoveryError> {
    let (entry, oldest) = chain(set).next().ok_or(RecoveryError::NoLogs)?;
    let generation = oldest.header.generation;
    let log = entry.load().map_err(|problem| RecoveryError::DamagedGeneration {
        generation,
        path: entry.path.display().to_string(),
        problem,
    })?;
    log.records
        .records
        .into_iter()
        .take_while(|r| !r.record_type.is_page_record())
        .find(|r| r.record_type.0 == 14)
        .ok_or(RecoveryError::NoCreation { generation })
}

/// The seed of a database rebuilt from `set`: the two header pages of a
/// database in dirty shutdown with the CreateDB record's signature, the
/// stream's log signature and page size, needing every generation of the
/// chain, its format version from the SetDbVersion record when there is one.
///
/// # Errors
/// [`RecoveryError::NoCreation`] when the oldest generation does not start
/// with a CreateDB record; the log's page size is not a database page size.
pub fn seed(set: &LogSet) -> Result<Vec<u8>, RecoveryError> {
    let create = creation(set)?;
    let (_, oldest) = chain(set).next().ok_or(RecoveryError::NoLogs)?;
    let (_, newest) = chain(set).last().ok_or(RecoveryError::NoLogs)?;
    let sign_db = create
        .bytes
        .get(12..40)
        .and_then(|s| <[u8; 28]>::try_from(s).ok())
        .map(Signature)
        .ok_or(RecoveryError::NoCreation { generation: oldest.header.generation })?;
    let size = PageSize::new(u32::from(oldest.header.cb_page_size))
        .ok_or(RecoveryError::NoCreation { generation: oldest.header.generation })?;
    let mut spec = HeaderSpec::dirty(
        size,
        sign_db,
        oldest.header.sign_log,
        (create.lgpos, LogTime::default()),
        (oldest.header.generation, newest.header.generation),
    );
    spec.dbid = u32::from(create.bytes.get(3).copied().unwrap_or(1));
    // SetDbVersion (92): dbid, major, update major, update minor
    // one generation in memory at a time; the record is near the start
    let version = set.generations().find_map(|(_, log)| {
        log.ok()?
            .records
            .records
            .into_iter()
            .find(|r| r.record_type.0 == 92 && r.bytes.get(1) == create.bytes.get(3))
    });
    if let Some(v) = version {
        if let (Some(major), Some(minor)) = (le_u32(&v.bytes, 6), le_u32(&v.bytes, 10)) {
            spec.update_major = major;
            spec.update_minor = minor;
        }
    }
    debug_assert_eq!(spec.state, DbState::DIRTY_SHUTDOWN);
    let header = spec.build();
    let mut bytes = header.clone();
    bytes.extend_from_slice(&header);
    Ok(bytes)
}

/// Rebuilds the database the logs of `set` create, into the new file
/// `out`, replaying from the creation record (see [`super::recover`]).
///
/// # Errors
/// As [`super::recover`], and [`RecoveryError::NoCreation`] when the logs do not
/// start at the database's creation.
pub fn rebuild(
    set: &LogSet,
    out: &Path,
    limits: Limits,
    now: LogTime,
    on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<RecoveryReport, Error> {
    let label = set.dir.join("(database rebuilt from its logs)");
    let refuse = |source: RecoveryError| Error::Recovery { path: label.clone(), source };
    let seed = seed(set).map_err(refuse)?;
    let db = Database::from_bytes(&label, seed)?;
    recover_limited(&db, set, StartAt::Oldest, limits, out, now, on_progress)
}
