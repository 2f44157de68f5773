//! Soft recovery and roll-forward into a new file (spec
//! `ese-log-and-checkpoint-format.md` section 6): plan the replay from the
//! database's own position (or an earlier checkpoint) to the end of the
//! log, redo each page record the dbtime rule says is missing, undo what
//! open transactions left, and write the result as a clean-shutdown copy.
//! The input database and the logs are only read. A database whose logs
//! hold its creation can be rebuilt from them alone ([`rebuild`]).
//!
//! Plain functions with a progress callback, as [`crate::repair`]: [`plan`]
//! (the dry run, `recover --plan`, which carries the plan out in memory so
//! its verdict is recovery's) and [`recover`]. What is done with each record
//! type is the one table in [`support`]; the pages a record touches are in
//! [`pages`], the redo functions by family in [`redo`] (with the page
//! changes in [`node_op`], [`split`], [`merge`], [`fdp`]), the header and
//! the output file in [`output`].

pub mod fdp;
pub mod merge;
pub mod node_op;
pub mod output;
pub mod page_store;
pub mod pages;
pub mod plan;
mod planner;
pub mod rebuild;
pub mod redo;
pub mod split;
mod stream;
pub mod support;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use plan::{DbtimeVerdict, Decision, Limits, Plan, PlanEntry, Reason, StartAt};

use crate::format::{Lgpos, LogTime};
use crate::scan::{Progress, VerifyCounts};
use crate::store::Database;
use crate::txlog::{LogEntry, LogSet, LogSummary};
use crate::Error;

/// Why recovery refuses to run or to go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// Neither database header copy is valid.
    #[error("neither database header copy is valid, so its log position and signatures are unknown")]
    NoHeader,
    /// The log set has no readable generation.
    #[error("the log directory holds no readable log generation")]
    NoLogs,
    /// The database's log signature is not the stream's.
    #[error(
        "the logs belong to another database: generation {generation:#X} ({path}) has log signature {logs}, the database's signLog is {database} (-530 JET_errBadLogSignature)"
    )]
    ForeignLogs {
        /// A generation of the stream found.
        generation: i32,
        /// Its file.
        path: String,
        /// The stream's signature.
        logs: String,
        /// The database's.
        database: String,
    },
    /// A generation between the start and the end is not there.
    #[error("log generation {generation:#X} is needed (replay reads {first:#X} to {last:#X}) but is missing from the directory (-528 JET_errMissingLogFile)")]
    MissingGeneration {
        /// The missing generation.
        generation: i32,
        /// First generation replay reads.
        first: i32,
        /// Last generation replay reads.
        last: i32,
    },
    /// The log would make the output larger than the size limit.
    #[error("{name} at {lgpos} makes page {pgno_last} the database's last, past the output size limit (page {limit}); raise the limit with --max-output-gib if this is right; nothing was written")]
    TooLarge {
        /// The record type.
        name: &'static str,
        /// Where.
        lgpos: Lgpos,
        /// The last page it asks for.
        pgno_last: u32,
        /// The last page the limit allows.
        limit: u32,
    },
    /// No database was given and the logs do not start at its creation.
    #[error("no database was given, and the oldest log generation {generation:#X} does not start with a CreateDB record: a database can be rebuilt only from logs that hold its creation")]
    NoCreation {
        /// The oldest generation of the chain.
        generation: i32,
    },
    /// A clean database whose consistent position is past the end of the logs.
    #[error("the database is newer than the logs: it is consistent at {consistent}, past the end of the newest generation ({path}, end {end}); these logs cannot bring it forward")]
    DatabaseNewer {
        /// The database's lgposConsistent.
        consistent: Lgpos,
        /// The end of the logs.
        end: Lgpos,
        /// The newest log file.
        path: String,
    },
    /// A needed generation is there but belongs to another log stream.
    #[error("log generation {generation:#X} ({path}) belongs to another log stream: its signLog is not this database's (-530 JET_errBadLogSignature)")]
    ForeignGeneration {
        /// The generation.
        generation: i32,
        /// The file.
        path: String,
    },
    /// A needed generation is damaged.
    #[error("log generation {generation:#X} ({path}) is damaged: {problem} (-501 JET_errLogFileCorrupt)")]
    DamagedGeneration {
        /// The generation.
        generation: i32,
        /// The file.
        path: String,
        /// The first problem.
        problem: String,
    },
    /// A record type recovery does not handle.
    #[error("record type {name} ({code}) at {lgpos} is not supported: {why}; nothing was written")]
    Unsupported {
        /// The type's name.
        name: &'static str,
        /// Its code.
        code: u8,
        /// The first one.
        lgpos: Lgpos,
        /// Why it stops recovery.
        why: &'static str,
    },
    /// A page record that cannot be replayed safely.
    #[error("{name} at {lgpos} on page {pgno}: {reason}; nothing was written")]
    Stop {
        /// The record type's name.
        name: &'static str,
        /// Where.
        lgpos: Lgpos,
        /// The first page at fault.
        pgno: u32,
        /// Why.
        reason: String,
    },
    /// No record in the replayed range attaches this database.
    #[error("no AttachDB, CreateDB or attach list in the replayed logs names this database (its signDb {sign_db}): these logs are of another database of the instance")]
    NotAttached {
        /// The database's signDb.
        sign_db: String,
    },
    /// The temporary file the redone pages go to failed.
    #[error("the temporary file of the redone pages failed: {problem}; nothing was written")]
    TempFile {
        /// What failed.
        problem: String,
    },
    /// Open transactions changed this database and their undo is not possible.
    #[error("transaction of session {procid:#x} (begun at {begin}) is open at the end of the log: {why}; nothing was written")]
    Undo {
        /// Session.
        procid: u16,
        /// Its begin.
        begin: Lgpos,
        /// Why it cannot be undone.
        why: String,
    },
}

/// The chain's generations as the set summarizes them (no records).
fn chain(set: &LogSet) -> impl Iterator<Item = (&LogEntry, &LogSummary)> {
    set.logs.iter().filter(|e| e.in_chain).filter_map(|e| e.log.as_ref().map(|l| (e, l)))
}

/// The start position, why there, and the dbid the database starts with.
fn start_position(
    db: &Database,
    set: &LogSet,
    from: StartAt,
) -> Result<(Lgpos, String, Option<u8>), RecoveryError> {
    let header = db.header().ok_or(RecoveryError::NoHeader)?;
    let (first_entry, first) = chain(set).next().ok_or(RecoveryError::NoLogs)?;
    let checkpoint = set.checkpoint.as_ref().and_then(|c| c.current());
    let begin_of = |generation: i32| {
        let csec = chain(set)
            .find(|(_, l)| l.header.generation == generation)
            .map_or(1, |(_, l)| l.header.csec_header);
        Lgpos { generation, isec: csec, ib: 0 }
    };
    let (start, reason) = match from {
        StartAt::Oldest => (
            begin_of(first.header.generation),
            format!("the oldest generation in the directory ({})", first_entry.path.display()),
        ),
        StartAt::Recovery => {
            // the copy's own position: where a clean copy was left consistent,
            // or the oldest generation a dirty copy still needs
            let clean = header.state == crate::format::header::DbState::CLEAN_SHUTDOWN;
            let own = if clean && !header.lgpos_consistent.is_zero() {
                Some((
                    header.lgpos_consistent,
                    format!(
                        "the database's lgposConsistent {} (it is in clean shutdown there)",
                        header.lgpos_consistent
                    ),
                ))
            } else if header.gen_min_required > 0 {
                Some((
                    begin_of(header.gen_min_required),
                    format!(
                        "the database's lGenMinRequired {:#X} (it is not in clean shutdown)",
                        header.gen_min_required
                    ),
                ))
            } else {
                None
            };
            // a dirty copy's position is a whole generation: a checkpoint inside it is used
            let later = |at: Lgpos, c: Lgpos| {
                if clean {
                    at < c
                } else {
                    at.generation < c.generation
                }
            };
            match (own, checkpoint) {
                (Some((at, why)), Some(c)) if later(at, c.lgpos_checkpoint) => (
                    at,
                    format!("{why}; the checkpoint {} is later and belongs to a later state of the database, so it is not used", c.lgpos_checkpoint),
                ),
                (Some((at, _)), Some(c)) => (
                    c.lgpos_checkpoint,
                    format!("the checkpoint {}, at or before the database's own position {at}", c.lgpos_checkpoint),
                ),
                (Some(own), None) => (own.0, format!("{} (no checkpoint)", own.1)),
                (None, Some(c)) => (c.lgpos_checkpoint, format!("the checkpoint {}", c.lgpos_checkpoint)),
                (None, None) => {
                    (begin_of(first.header.generation), "the oldest generation (no checkpoint, no position in the database header)".to_string())
                }
            }
        }
    };
    // the attach list that describes the databases at the start (spec 5.3)
    let attach = match checkpoint {
        Some(c) if c.version & 1 != 0 && start == c.lgpos_checkpoint => c.attached.clone(),
        _ => chain(set)
            .find(|(_, l)| l.header.generation == start.generation)
            .map(|(_, l)| l.header.attached.clone())
            .unwrap_or_default(),
    };
    let dbid = attach.iter().find(|a| a.sign_db == header.sign_db).map(|a| a.dbid);
    Ok((start, reason, dbid))
}

/// Checks that the log set is this database's and holds every generation
/// from `start` to the end (the newest present, or the database's
/// lGenMaxRequired when that is later).
fn check_chain(db: &Database, set: &LogSet, start: Lgpos) -> Result<(i32, Lgpos), RecoveryError> {
    let header = db.header().ok_or(RecoveryError::NoHeader)?;
    let (entry, newest) = chain(set).last().ok_or(RecoveryError::NoLogs)?;
    if Some(header.sign_log) != set.sign_log {
        return Err(RecoveryError::ForeignLogs {
            generation: newest.header.generation,
            path: entry.path.display().to_string(),
            logs: newest.header.sign_log.to_string(),
            database: header.sign_log.to_string(),
        });
    }
    let last = newest.header.generation.max(header.gen_max_required);
    // a clean copy consistent past the end of these logs is newer than they are
    let clean = header.state == crate::format::header::DbState::CLEAN_SHUTDOWN;
    if clean && header.lgpos_consistent > newest.end() {
        return Err(RecoveryError::DatabaseNewer {
            consistent: header.lgpos_consistent,
            end: newest.end(),
            path: entry.path.display().to_string(),
        });
    }
    // a tmp log holding a generation the next one does not (yet) link to
    let tmp_holds = |generation: i32| {
        set.logs.iter().any(|e| {
            e.role == crate::txlog::Role::Tmp
                && e.log.as_ref().is_some_and(|l| {
                    l.header.generation == generation && Some(l.header.sign_log) == set.sign_log
                })
        })
    };
    let mut unlinked_tmp = None;
    for generation in start.generation..=last {
        if let Some((entry, log)) = chain(set).find(|(_, l)| l.header.generation == generation) {
            let expected = u64::from(log.header.csec_lg_file) * u64::from(log.header.cb_sec);
            if entry.size < expected {
                return Err(RecoveryError::DamagedGeneration {
                    generation,
                    path: entry.path.display().to_string(),
                    problem: format!(
                        "the file is truncated: {} bytes, its header says {} sectors of {} bytes ({expected} bytes)",
                        entry.size, log.header.csec_lg_file, log.header.cb_sec
                    ),
                });
            }
            if let Some(problem) = log.body_problems().first() {
                return Err(RecoveryError::DamagedGeneration {
                    generation,
                    path: entry.path.display().to_string(),
                    problem: problem.message.replace(" (-501 JET_errLogFileCorrupt)", ""),
                });
            }
            continue;
        }
        let named = |e: &LogEntry| matches!(e.role, crate::txlog::Role::Archived { name_generation } if name_generation == generation);
        let foreign = set.logs.iter().find(|e| {
            !e.in_chain
                && e.role != crate::txlog::Role::Tmp
                && (e.generation() == Some(generation) || named(e))
        });
        if let Some(e) = foreign {
            return Err(RecoveryError::ForeignGeneration { generation, path: e.path.display().to_string() });
        }
        if tmp_holds(generation) {
            unlinked_tmp = unlinked_tmp.or(Some(generation));
            continue;
        }
        return Err(RecoveryError::MissingGeneration { generation, first: start.generation, last });
    }
    if let Some(generation) = unlinked_tmp {
        return Err(RecoveryError::MissingGeneration { generation, first: start.generation, last });
    }
    Ok((last, newest.end()))
}

/// Plans recovery of `db` from the logs of `set`: every page record from
/// the start to the end of the log with apply, skip or stop and the reason
/// (the dry run of `recover --plan`), with the default [`Limits`]. Only reads.
///
/// # Errors
/// The logs are not this database's, a needed generation is missing,
/// foreign or damaged, or the database header is unreadable.
pub fn plan(
    db: &Database,
    set: &LogSet,
    from: StartAt,
    on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<Plan, RecoveryError> {
    plan_limited(db, set, from, Limits::default(), on_progress)
}

/// [`plan`] within `limits`. The plan is checked as recovery would carry
/// it out: every record it applies is redone (into an anonymous temporary
/// file, never beside the evidence) and the open transactions undone, and
/// a record whose redo fails becomes the plan's stop (so the plan's verdict
/// predicts recovery's). One generation is in memory at a time.
///
/// # Errors
/// As [`plan`], and [`RecoveryError::TempFile`] when the temporary file fails.
pub fn plan_limited(
    db: &Database,
    set: &LogSet,
    from: StartAt,
    limits: Limits,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<Plan, RecoveryError> {
    let pages = page_store::PageStore::scratch(db.page_size())
        .map_err(|e| RecoveryError::TempFile { problem: e.to_string() })?;
    stream::replay(db, set, from, limits, pages, &mut on_progress).map(|o| o.plan)
}

/// What a recovery did.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryReport {
    /// The database recovered (unchanged).
    pub input: crate::repair::FileDigest,
    /// The log directory.
    pub logs: String,
    /// The plan that was carried out.
    pub plan: Plan,
    /// Pages written, with the records redone on each.
    pub pages: Vec<output::PageChange>,
    /// Transactions rolled back.
    pub undone: Vec<plan::OpenTransaction>,
    /// Header fields changed (in both copies).
    pub header_fields: Vec<String>,
    /// The recovered database; `None` when cancelled.
    pub output: Option<crate::repair::FileDigest>,
    /// Verify of the output.
    pub verify_after: Option<VerifyCounts>,
    /// True when stopped before the end (then no output exists).
    pub cancelled: bool,
    /// What the output is and is not (it has no log records of its own).
    pub note: String,
}

/// What a recovered file is: clean and consistent without its logs, but
/// with no RecoveryUndo/Undo/RecoveryQuit records of its own (spec 6.8).
pub const OUTPUT_NOTE: &str = "esescope writes no log records: the new file is in clean shutdown and needs no log to open, \
     but ESE would not find the RecoveryUndo/Undo/RecoveryQuit records its own recovery appends, so do not replay these \
     logs into it again";

/// Recovers `db` from the logs of `set`, replaying from `from` (where
/// recovery starts, or the oldest generation: the dbtime rule makes an
/// earlier start safe), into the new file `out`: redo by
/// the dbtime rule, undo of open transactions, header set to clean shutdown
/// with lgposConsistent at the end of the log. `out` is written through a
/// temporary file, synced and renamed; a `Break` from `on_progress` stops
/// the recovery and leaves no output file.
///
/// # Errors
/// `out` exists; any [`RecoveryError`] (wrapped with the database path),
/// including an unsupported record or a page that cannot be replayed; writing fails.
pub fn recover(
    db: &Database,
    set: &LogSet,
    from: StartAt,
    out: &Path,
    now: LogTime,
    on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<RecoveryReport, Error> {
    recover_limited(db, set, from, Limits::default(), out, now, on_progress)
}

/// [`recover`] within `limits`.
///
/// # Errors
/// As [`recover`], and [`RecoveryError::TooLarge`] when the log would make
/// the output larger than the limit.
pub fn recover_limited(
    db: &Database,
    set: &LogSet,
    from: StartAt,
    limits: Limits,
    out: &Path,
    now: LogTime,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<RecoveryReport, Error> {
    let refuse = |source: RecoveryError| Error::Recovery { path: db.path().to_path_buf(), source };
    if out.exists() {
        return Err(Error::OutputExists { path: out.to_path_buf() });
    }
    // the output starts as a copy of the input, and redo writes its pages into it
    let (temp, file) = output::TempOutput::create(db, out)?;
    let pages = page_store::PageStore::new(db.page_size(), file);
    let mut cancelled = false;
    let outcome = stream::replay(db, set, from, limits, pages, &mut |p| {
        let flow = on_progress(Progress { done: p.done, total: 3 * p.total.max(1) });
        cancelled |= flow.is_break();
        flow
    })
    .map_err(refuse)?;
    let stream::Outcome { plan, done, undo_error } = outcome;
    let mut report = RecoveryReport {
        input: crate::repair::FileDigest { path: db.path().display().to_string(), sha256: db.sha256()? },
        logs: set.dir.display().to_string(),
        plan,
        pages: Vec::new(),
        undone: Vec::new(),
        header_fields: Vec::new(),
        output: None,
        verify_after: None,
        cancelled,
        note: OUTPUT_NOTE.to_string(),
    };
    if cancelled {
        return Ok(report);
    }
    if report.plan.dbid.is_none() {
        let sign_db = db.header().map(|h| h.sign_db.to_string()).unwrap_or_default();
        return Err(refuse(RecoveryError::NotAttached { sign_db }));
    }
    if let Some(u) = report.plan.unsupported.first() {
        return Err(refuse(RecoveryError::Unsupported {
            name: u.name,
            code: u.record_type.0,
            lgpos: u.first,
            why: u.why,
        }));
    }
    if let Some(stop) = report.plan.first_stop() {
        let pgno =
            stop.pages.iter().find(|p| p.verdict != DbtimeVerdict::Current).map_or(0, |p| p.touch.pgno);
        let reason = match &stop.detail {
            Some(detail) => format!("{}: {detail}", stop.reason.describe()),
            None => stop.reason.describe().to_string(),
        };
        return Err(refuse(RecoveryError::Stop { name: stop.name, lgpos: stop.lgpos, pgno, reason }));
    }
    if let Some(r) = &report.plan.size_refusal {
        return Err(refuse(RecoveryError::TooLarge {
            name: r.name,
            lgpos: r.lgpos,
            pgno_last: r.pgno_last,
            limit: r.limit,
        }));
    }
    if let Some(e) = undo_error {
        return Err(refuse(e));
    }
    let Some(stream::Done { pages, undone, dbtime }) = done else {
        return Err(refuse(RecoveryError::TempFile { problem: "redo did not finish".into() }));
    };
    report.undone = undone;
    let (header, fields) = output::clean_header(db, &report.plan, dbtime, now).map_err(refuse)?;
    report.header_fields = fields;
    report.pages = output::page_changes(db, &pages);
    let total = 3 * report.plan.page_records.max(1) as u64;
    if on_progress(Progress { done: total / 3 * 2, total }).is_break() {
        report.cancelled = true;
        return Ok(report);
    }
    let file = pages.into_file().map_err(|problem| refuse(RecoveryError::TempFile { problem }))?;
    let sha = temp.finish(db, file, report.plan.pgno_last, &header, &mut || {
        on_progress(Progress { done: total / 3 * 2, total })
    })?;
    let Some(sha) = sha else {
        report.cancelled = true;
        return Ok(report);
    };
    let after = Database::open(out)?;
    let verify = crate::scan::verify(&after, |_| ControlFlow::Continue(()));
    report.verify_after = Some(verify.counts);
    report.output = Some(crate::repair::FileDigest { path: out.display().to_string(), sha256: sha });
    let _ = on_progress(Progress { done: total, total });
    Ok(report)
}

/// The directory a recovery report is saved in beside `out`: NEW.recovery.txt and NEW.recovery.json.
pub fn report_paths(out: &Path) -> (PathBuf, PathBuf) {
    crate::repair::report_files(out, "recovery")
}
