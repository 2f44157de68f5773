//! A log *set*: the log files, reserve logs and checkpoint of one base name
//! in a directory, ordered by generation and checked as a chain — gaps,
//! foreign signatures, broken time links, accumulated segment checksums —
//! with the checkpoint and a database's positions placed in it.
//! Spec: `ese-log-and-checkpoint-format.md` 1, 3.2, 5.3.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::finding::{Finding, Location};
use crate::format::checkpoint::Checkpoint;
use crate::format::header::{DbHeader, DbState};
use crate::format::txlog::LogFile;
use crate::format::{Lgpos, Signature};
use crate::Error;

mod summary;

pub use summary::LogSummary;

/// The most a log file may be (65535 sectors of 4 KiB); larger files are refused.
/// The largest a log file can be (65535 sectors of 4096 bytes).
pub const MAX_LOG_LEN: u64 = 65_535 * 4096;

/// What a file of the set is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// `<base>.log` / `.jtx`: the newest generation.
    Current,
    /// `<base>XXXXX.log`: an archived generation, with the number in its name.
    Archived {
        /// The generation the name says.
        name_generation: i32,
    },
    /// `<base>tmp.log`: the next generation being prepared.
    Tmp,
    /// `<base>res00001.jrs`: a reserve log.
    Reserve,
    /// `<base>.chk` / `.jcp`.
    Checkpoint,
}

/// Reads a file name: its base name and role, when it is part of a log set.
pub fn classify(name: &str) -> Option<(String, Role)> {
    let (stem, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    let base = stem.get(..3)?.to_string();
    let rest = stem.get(3..)?;
    let role = match (ext.as_str(), rest.to_ascii_lowercase().as_str()) {
        ("chk" | "jcp", "") => Role::Checkpoint,
        ("log" | "jtx", "") => Role::Current,
        ("log" | "jtx", "tmp") => Role::Tmp,
        ("jrs", r) if r.starts_with("res") => Role::Reserve,
        ("log", r) if r.starts_with("res") => Role::Reserve,
        ("log" | "jtx", r) if (r.len() == 5 || r.len() == 8) && r.chars().all(|c| c.is_ascii_hexdigit()) => {
            Role::Archived { name_generation: i32::from_str_radix(r, 16).ok()? }
        }
        _ => return None,
    };
    Some((base, role))
}

/// One log file of the set.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// The file.
    pub path: PathBuf,
    /// What its name says it is.
    pub role: Role,
    /// Its size.
    pub size: u64,
    /// What decoding the file found, when it could be read as a log (its
    /// records are read again when needed: [`LogEntry::load`]).
    #[serde(skip)]
    pub log: Option<LogSummary>,
    /// Why it could not be read as a log.
    pub error: Option<String>,
    /// True when it belongs to the generation chain.
    pub in_chain: bool,
    /// What to know about it (stale tmp log, unused reserve, other stream…).
    pub note: Option<String>,
}

impl LogEntry {
    /// The header generation, if readable.
    pub fn generation(&self) -> Option<i32> {
        self.log.as_ref().map(|l| l.header.generation)
    }
}

/// A database's relation to the log set.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseLink {
    /// The database file.
    pub path: String,
    /// Its state.
    pub state: DbState,
    /// True when its `signLog` is this stream's.
    pub same_stream: bool,
    /// `lgposConsistent`.
    pub lgpos_consistent: Lgpos,
    /// `lgposAttach`.
    pub lgpos_attach: Lgpos,
    /// `lGenMinRequired`..`lGenMaxRequired`.
    pub required: (i32, i32),
}

/// What recovery would need from this set.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryNeed {
    /// First and last generation replay would read.
    pub generations: Option<(i32, i32)>,
    /// Generations in that range not in the chain.
    pub missing: Vec<i32>,
    /// In words.
    pub summary: String,
}

/// A whole log set.
#[derive(Debug, Clone, Serialize)]
pub struct LogSet {
    /// The directory.
    pub dir: PathBuf,
    /// The base name (`edb`, `E00`, `SRU`…).
    pub base: String,
    /// Every log file found, chain members in generation order first.
    pub logs: Vec<LogEntry>,
    /// The stream signature the chain was built for.
    pub sign_log: Option<Signature>,
    /// The checkpoint file, if present.
    pub checkpoint_path: Option<PathBuf>,
    /// The decoded checkpoint.
    pub checkpoint: Option<Checkpoint>,
    /// The database given with `--db`.
    pub database: Option<DatabaseLink>,
    /// What recovery would need.
    pub recovery: RecoveryNeed,
    /// True when the chain has no gap, break or damage.
    pub chain_ok: bool,
    /// Everything wrong or worth knowing.
    pub findings: Vec<Finding>,
}

/// Generations the checkpoint may trail the newest log before it is
/// called out. The engine keeps the checkpoint within a configured depth
/// (JET_paramCheckpointDepthMax, in bytes of log); ten generations behind
/// is esescope's own threshold for "worth a look", not an engine limit.
const CHECKPOINT_LAG_WARNING: i32 = 10;

/// A warning when the checkpoint is far behind the newest generation: a
/// checkpoint that does not advance (a stuck checkpoint) makes recovery
/// replay every generation after it and keeps every log after it on disk,
/// until the log volume fills and the database dismounts.
fn checkpoint_lag(chain: &[&LogEntry], checkpoint: Option<&Checkpoint>) -> Option<Finding> {
    let at = checkpoint.and_then(Checkpoint::current)?.lgpos_checkpoint;
    let newest = chain.iter().filter_map(|e| e.generation()).max()?;
    let lag = newest.checked_sub(at.generation)?;
    (lag >= CHECKPOINT_LAG_WARNING && !at.is_zero()).then(|| {
        Finding::warning(
            log_location(at.generation, Some(at)),
            format!(
                "the checkpoint is {lag} generations behind the newest log ({newest:#X}): recovery must replay \
                 all of them, and no log after the checkpoint can be removed; a checkpoint that does not \
                 advance fills the log volume until the database dismounts"
            ),
        )
    })
}

fn log_location(generation: i32, lgpos: Option<Lgpos>) -> Location {
    Location::Log { generation, lgpos }
}

/// How much of each log file [`open_with`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Every file whole: header, segments, records (what `logs` reports).
    Whole,
    /// The archived generations' headers only, every other file whole, and
    /// the chain's newest generation whole (its end of valid data is where
    /// replay ends). For replay, which reads and checks each generation's
    /// body when it gets there ([`LogEntry::load`]): the summaries of the
    /// archived generations then have no body facts ([`LogSummary::body_read`]).
    Headers,
}

fn read_entry(path: &Path, role: Role, depth: Depth) -> LogEntry {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut entry = LogEntry {
        path: path.to_path_buf(),
        role,
        size,
        log: None,
        error: None,
        in_chain: false,
        note: None,
    };
    if size > MAX_LOG_LEN {
        entry.error = Some(format!("{size} bytes is larger than any log file ({MAX_LOG_LEN})"));
        return entry;
    }
    if depth == Depth::Headers && matches!(role, Role::Archived { .. }) {
        let header = crate::store::special::read_prefix(path, crate::format::txlog::HEADER_LEN)
            .map_err(|e| e.to_string())
            .and_then(|bytes| crate::format::txlog::LogHeader::parse(&bytes).map_err(|e| e.to_string()));
        match header {
            Ok(header) => entry.log = Some(LogSummary::of_header(&header, size)),
            Err(e) => entry.error = Some(e),
        }
        return entry;
    }
    match crate::store::special::read_bounded(path, MAX_LOG_LEN, "a log file") {
        Err(e) => entry.error = Some(e.to_string()),
        Ok(bytes) if role == Role::Reserve && bytes.iter().all(|&b| b == 0) => {
            entry.note = Some("unused reserve log (all zero)".into());
        }
        Ok(bytes) => match LogFile::parse_summary(&bytes) {
            // the records are dropped here: only the summary stays
            Ok(log) => entry.log = Some(LogSummary::of(&log)),
            Err(e) => entry.error = Some(e.to_string()),
        },
    }
    entry
}

/// The base names of the log sets in `dir`.
///
/// # Errors
/// The directory cannot be read.
pub fn bases(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Open { path: dir.to_path_buf(), source })?;
    let mut bases: Vec<String> = entries
        .flatten()
        .filter_map(|e| classify(&e.file_name().to_string_lossy()))
        .filter(|(_, role)| *role != Role::Reserve)
        .map(|(base, _)| base)
        .collect();
    bases.sort_by_key(|b| b.to_ascii_lowercase());
    bases.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    Ok(bases)
}

/// Reads and checks the log set `base` in `dir`, placing `db` (when given) in it.
///
/// # Errors
/// The directory cannot be read or holds no file of that base name.
pub fn open(dir: &Path, base: &str, db: Option<(&Path, &DbHeader)>) -> Result<LogSet, Error> {
    open_with(dir, base, db, Depth::Whole)
}

/// [`open`], reading as much of each file as `depth` says.
///
/// # Errors
/// As [`open`].
pub fn open_with(
    dir: &Path,
    base: &str,
    db: Option<(&Path, &DbHeader)>,
    depth: Depth,
) -> Result<LogSet, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Open { path: dir.to_path_buf(), source })?;
    let mut files: Vec<(PathBuf, Role)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            classify(&name).filter(|(b, _)| b.eq_ignore_ascii_case(base)).map(|(_, role)| (e.path(), role))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    if files.is_empty() {
        return Err(Error::NotDatabase {
            path: dir.to_path_buf(),
            reason: format!("no log, checkpoint or reserve file with base name {base}"),
        });
    }
    let checkpoint_path = files.iter().find(|(_, r)| *r == Role::Checkpoint).map(|(p, _)| p.clone());
    let mut logs: Vec<LogEntry> =
        files.iter().filter(|(_, r)| *r != Role::Checkpoint).map(|(p, r)| read_entry(p, *r, depth)).collect();
    let mut findings = Vec::new();
    for entry in &logs {
        if let Some(error) = &entry.error {
            findings.push(Finding::error(Location::File, format!("{}: {error}", entry.path.display())));
        }
        if let Some(log) = &entry.log {
            for problem in &log.header_problems {
                findings.push(Finding::error(
                    log_location(log.header.generation, None),
                    format!("{}: {problem}", entry.path.display()),
                ));
            }
            if let Role::Archived { name_generation } = entry.role {
                if name_generation != log.header.generation {
                    findings.push(Finding::error(
                        log_location(log.header.generation, None),
                        format!(
                            "{}: its name says generation {name_generation:#X} but its header says {:#X} (-513 JET_errLogGenerationMismatch)",
                            entry.path.display(),
                            log.header.generation
                        ),
                    ));
                }
            }
        }
    }
    // the stream is the current log's (else the first readable log's); a
    // database given with --db is then compared with it
    let usable = |e: &LogEntry| e.log.as_ref().is_some_and(|l| l.header.checksum_ok());
    let signature_of = |e: &LogEntry| e.log.as_ref().map(|l| l.header.sign_log);
    let sign_log =
        logs.iter().find(|e| e.role == Role::Current && usable(e)).and_then(signature_of).or_else(|| {
            logs.iter().filter(|e| e.role != Role::Tmp).find(|e| usable(e)).and_then(signature_of)
        });
    for entry in logs.iter_mut() {
        let Some(log) = entry.log.as_ref().filter(|l| l.header.checksum_ok()) else { continue };
        let same = Some(log.header.sign_log) == sign_log;
        match entry.role {
            Role::Current | Role::Archived { .. } if same => entry.in_chain = true,
            Role::Current | Role::Archived { .. } => {
                entry.note = Some("belongs to another log stream (its signLog differs)".into());
                findings.push(Finding::error(
                    log_location(log.header.generation, None),
                    format!(
                        "{}: log signature {} is not this stream's (-530 JET_errBadLogSignature); left out of the chain",
                        entry.path.display(),
                        log.header.sign_log
                    ),
                ));
            }
            Role::Reserve => entry.note = Some("reserve log, not part of the chain".into()),
            _ => {}
        }
    }
    // a tmp log joins only when it holds the generation just below the chain
    // and the next generation links to its creation time
    let lowest = logs.iter().filter(|e| e.in_chain).filter_map(LogEntry::generation).min();
    let link_of = |gen: i32, logs: &[LogEntry]| {
        logs.iter()
            .filter(|e| e.in_chain)
            .find(|e| e.generation() == Some(gen))
            .and_then(|e| e.log.as_ref().map(|l| l.header.previous_created))
    };
    for i in 0..logs.len() {
        let Some(entry) = logs.get(i) else { continue };
        if entry.role != Role::Tmp {
            continue;
        }
        let Some(log) = entry.log.as_ref().filter(|l| l.header.checksum_ok()) else { continue };
        let (gen, created, sign) = (log.header.generation, log.header.created, log.header.sign_log);
        let joins =
            Some(sign) == sign_log && lowest == Some(gen + 1) && link_of(gen + 1, &logs) == Some(created);
        if let Some(entry) = logs.get_mut(i) {
            if joins {
                entry.in_chain = true;
                entry.note =
                    Some(format!("tmp log holding generation {gen:#X}, which the next generation links to"));
            } else {
                entry.note =
                    Some(format!("tmp log with a header of generation {gen:#X}; not part of the chain"));
            }
        }
    }
    logs.sort_by_key(|e| (!e.in_chain, e.generation().unwrap_or(i32::MAX), e.path.clone()));
    // the newest generation of the chain is read whole: its end is where replay ends
    let newest = logs.iter().rposition(|e| e.in_chain);
    if let Some(entry) = newest.and_then(|i| logs.get_mut(i)) {
        if entry.log.as_ref().is_some_and(|l| !l.body_read) {
            let whole = read_entry(&entry.path, entry.role, Depth::Whole);
            if whole.generation() == entry.generation() {
                entry.log = whole.log;
            } else {
                entry.log = None;
                entry.error = Some("the file changed while the log set was read".into());
            }
        }
    }
    let chain: Vec<&LogEntry> = logs.iter().filter(|e| e.in_chain).collect();
    let mut chain_ok = !chain.is_empty();
    if let Some(current) = logs.iter().find(|e| e.role == Role::Current && e.in_chain) {
        let highest = chain.iter().filter_map(|e| e.generation()).max();
        if current.generation() != highest {
            chain_ok = false;
            findings.push(Finding::error(
                log_location(current.generation().unwrap_or(0), None),
                format!("{} is not the newest generation of the chain", current.path.display()),
            ));
        }
    } else {
        findings.push(Finding::warning(
            Location::File,
            format!("no current log ({base}.log or {base}.jtx) in the directory"),
        ));
    }
    for pair in chain.windows(2) {
        let [a, b] = pair else { continue };
        let (Some(la), Some(lb)) = (&a.log, &b.log) else { continue };
        let (ga, gb) = (la.header.generation, lb.header.generation);
        if gb != ga + 1 {
            chain_ok = false;
            let missing = if gb == ga + 2 {
                format!("{:#X}", ga + 1)
            } else {
                format!("{:#X} to {:#X}", ga + 1, gb - 1)
            };
            findings.push(Finding::error(
                log_location(ga + 1, None),
                format!(
                    "missing log generation(s) {missing} between {} and {} (-528 JET_errMissingLogFile)",
                    a.path.display(),
                    b.path.display()
                ),
            ));
            continue;
        }
        if lb.header.previous_created != la.header.created {
            chain_ok = false;
            findings.push(Finding::error(
                log_location(gb, None),
                format!(
                    "invalid log sequence: generation {gb:#X} says the previous generation was created {}, but {} was created {} (-515 JET_errInvalidLogSequence)",
                    lb.header.previous_created,
                    a.path.display(),
                    la.header.created
                ),
            ));
        }
        let recorded = lb.header.checksum_prev_log_all_segments;
        if lb.header.version.update_minor >= 13 && recorded != 0 {
            if let Some(accumulated) = la.accumulated_checksum {
                if accumulated != recorded {
                    chain_ok = false;
                    findings.push(Finding::error(
                        log_location(ga, Some(la.end())),
                        format!(
                            "accumulated segment checksum of generation {ga:#X} is {accumulated:#018x}, generation {gb:#X} recorded {recorded:#018x} (-590 JET_errLogSequenceChecksumMismatch)",
                        ),
                    ));
                }
            }
        }
        if lb.header.version < la.header.version {
            findings
                .push(Finding::warning(log_location(gb, None), "log version walked backwards".to_string()));
        }
    }
    for entry in &chain {
        let Some(log) = &entry.log else { continue };
        for problem in log.body_problems() {
            chain_ok = false;
            findings.push(Finding::error(
                log_location(log.header.generation, Some(problem.lgpos)),
                format!("{}: {}", entry.path.display(), problem.message),
            ));
        }
    }
    let checkpoint = checkpoint_path.as_ref().map(|p| read_checkpoint(p, sign_log, &chain, &mut findings));
    let checkpoint = checkpoint.flatten();
    let database = db.map(|(path, h)| DatabaseLink {
        path: path.display().to_string(),
        state: h.state,
        same_stream: Some(h.sign_log) == sign_log,
        lgpos_consistent: h.lgpos_consistent,
        lgpos_attach: h.lgpos_attach,
        required: (h.gen_min_required, h.gen_max_required),
    });
    if let Some(link) = database.as_ref().filter(|d| !d.same_stream) {
        findings.push(Finding::error(
            Location::File,
            format!(
                "{}: the database's signLog is not this log stream's: these logs do not belong to it",
                link.path
            ),
        ));
    }
    if let Some(finding) = checkpoint_lag(&chain, checkpoint.as_ref()) {
        findings.push(finding);
    }
    let recovery = recovery_need(&chain, checkpoint.as_ref(), database.as_ref());
    if !recovery.missing.is_empty() {
        chain_ok = false;
        findings.push(Finding::error(Location::File, recovery.summary.clone()));
    }
    Ok(LogSet {
        dir: dir.to_path_buf(),
        base: base.to_string(),
        logs,
        sign_log,
        checkpoint_path,
        checkpoint,
        database,
        recovery,
        chain_ok,
        findings,
    })
}

fn read_checkpoint(
    path: &Path,
    sign_log: Option<Signature>,
    chain: &[&LogEntry],
    findings: &mut Vec<Finding>,
) -> Option<Checkpoint> {
    let limit = crate::format::checkpoint::FILE_LEN as u64;
    let bytes = match crate::store::special::read_bounded(path, limit, "a checkpoint file") {
        Ok(b) => b,
        Err(e) => {
            findings.push(Finding::error(Location::File, e.to_string()));
            return None;
        }
    };
    let checkpoint = match Checkpoint::parse(&bytes) {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::error(Location::File, format!("{}: {e}", path.display())));
            return None;
        }
    };
    for copy in checkpoint.copies.iter().filter(|c| !c.is_valid()) {
        let severity_message = format!(
            "{}: checkpoint copy {} is damaged (checksum stored {:#010x}, computed {:#010x})",
            path.display(),
            copy.copy,
            copy.checksum,
            copy.computed_checksum
        );
        findings.push(Finding::warning(Location::File, severity_message));
    }
    match checkpoint.current() {
        None => findings.push(Finding::error(
            Location::File,
            format!("{}: both checkpoint copies are damaged (-533 JET_errCheckpointCorrupt)", path.display()),
        )),
        Some(current) => {
            if Some(current.sign_log) != sign_log {
                findings.push(Finding::error(
                    Location::File,
                    format!("{}: the checkpoint's signLog is not this stream's (-532 JET_errBadCheckpointSignature)", path.display()),
                ));
            }
            let gen = current.lgpos_checkpoint.generation;
            if !chain.iter().any(|e| e.generation() == Some(gen)) {
                findings.push(Finding::error(
                    log_location(gen, Some(current.lgpos_checkpoint)),
                    format!(
                        "the checkpoint {} is in generation {gen:#X}, which is not in the directory",
                        current.lgpos_checkpoint
                    ),
                ));
            }
        }
    }
    if checkpoint.copies_differ {
        findings.push(Finding::warning(
            Location::File,
            format!("{}: the two checkpoint copies differ; the first is used", path.display()),
        ));
    }
    Some(checkpoint)
}

fn recovery_need(
    chain: &[&LogEntry],
    checkpoint: Option<&Checkpoint>,
    db: Option<&DatabaseLink>,
) -> RecoveryNeed {
    let present: Vec<i32> = chain.iter().filter_map(|e| e.generation()).collect();
    let newest = present.iter().copied().max();
    let from_checkpoint = checkpoint.and_then(Checkpoint::current).map(|c| c.lgpos_checkpoint.generation);
    if let Some(d) = db.filter(|d| !d.same_stream) {
        let needed: Vec<i32> = (d.required.0.max(1)..=d.required.1).take(10_000).collect();
        return RecoveryNeed {
            generations: (!needed.is_empty()).then_some((d.required.0, d.required.1)),
            summary: format!(
                "the logs here belong to another log stream: none of them can replay into {} (it needs generations {}-{} of its own stream)",
                d.path, d.required.0, d.required.1
            ),
            missing: needed,
        };
    }
    let dirty =
        db.map(|d| d.state == DbState::DIRTY_SHUTDOWN || d.state == DbState::DIRTY_AND_PATCHED_SHUTDOWN);
    let (start, why) = match (dirty, db, from_checkpoint) {
        // a clean copy older than the logs: they go on into later generations (a roll-forward)
        (Some(false), Some(d), _)
            if !d.lgpos_consistent.is_zero()
                && newest.is_some_and(|n| d.lgpos_consistent.generation < n)
                && d.lgpos_consistent.generation >= 1 =>
        {
            (
                d.lgpos_consistent.generation,
                "the database's lgposConsistent: it is in clean shutdown, and the logs go on past it, so `recover` rolls it forward",
            )
        }
        (Some(false), Some(d), _) => {
            return RecoveryNeed {
                generations: None,
                missing: Vec::new(),
                summary: format!(
                    "the database is in state {}: consistent at {}, no replay needed",
                    d.state, d.lgpos_consistent
                ),
            }
        }
        (Some(true), Some(d), Some(c)) => {
            (c.min(d.required.0.max(1)), "checkpoint and the database's lGenMinRequired")
        }
        (Some(true), Some(d), None) => (d.required.0, "the database's lGenMinRequired"),
        (_, _, Some(c)) => (c, "the checkpoint"),
        _ => match present.first() {
            Some(&g) => (g, "the oldest generation present (no checkpoint)"),
            None => {
                return RecoveryNeed {
                    generations: None,
                    missing: Vec::new(),
                    summary: "no usable log generation".into(),
                }
            }
        },
    };
    let end = newest.unwrap_or(start).max(db.map_or(start, |d| d.required.1));
    let missing: Vec<i32> = (start..=end).filter(|g| !present.contains(g)).take(10_000).collect();
    let summary = if missing.is_empty() {
        format!("replay would read generations {start:#X} to {end:#X} (from {why}); all are present")
    } else {
        let list: Vec<String> = missing.iter().take(20).map(|g| format!("{g:#X}")).collect();
        format!(
            "replay needs generations {start:#X} to {end:#X} (from {why}), but {} missing: {}{}",
            if missing.len() == 1 { "this one is" } else { "these are" },
            list.join(", "),
            if missing.len() > 20 { ", ..." } else { "" }
        )
    };
    RecoveryNeed { generations: Some((start, end)), missing, summary }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(classify("SRU00019.log"), Some(("SRU".into(), Role::Archived { name_generation: 0x19 })));
        assert_eq!(
            classify("E000000001A.log"),
            Some(("E00".into(), Role::Archived { name_generation: 0x1A }))
        );
        assert_eq!(classify("edb.log"), Some(("edb".into(), Role::Current)));
        assert_eq!(classify("USS.jtx"), Some(("USS".into(), Role::Current)));
        assert_eq!(classify("SRUtmp.log"), Some(("SRU".into(), Role::Tmp)));
        assert_eq!(classify("SRUres00001.jrs"), Some(("SRU".into(), Role::Reserve)));
        assert_eq!(classify("SRU.chk"), Some(("SRU".into(), Role::Checkpoint)));
        assert_eq!(classify("SRUDB.dat"), None);
        assert_eq!(classify("SRUDB.jfm"), None);
    }
}
