//! `logs`, `log` and `checkpoint`: the transaction log subcommands.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::format::checkpoint::Checkpoint;
use crate::format::txlog::LogFile;
use crate::report::markdown_json;
use crate::report::txlog::{write_checkpoint, write_log};
use crate::report::Severity;
use crate::store::{Database, ReadMode};
use crate::Error;

/// `logs` arguments.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The directory holding the logs and checkpoint.
    pub dir: FilePath,
    /// A database whose positions to mark and whose recovery needs to check.
    #[arg(long, value_name = "FILE")]
    pub db: Option<FilePath>,
    /// The base name (edb, E00, SRU…) when the directory holds several sets.
    #[arg(long)]
    pub base: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `log` arguments.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// One log file (.log, .jtx).
    pub file: FilePath,
    /// Also list every record.
    #[arg(long)]
    pub records: bool,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `checkpoint` arguments.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The checkpoint file (.chk, .jcp).
    pub file: FilePath,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

fn read(path: &FilePath, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    crate::store::special::read_bounded(path, limit, what)
}

/// `esescope logs DIR [--db FILE]`.
///
/// # Errors
/// The directory cannot be read or holds no log set; the database cannot be opened.
pub fn logs(args: &LogsArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = args.db.as_ref().map(|p| Database::open_with(p, mode)).transpose()?;
    let header = db.as_ref().and_then(|d| d.header().map(|h| (d.path(), h)));
    let base = match &args.base {
        Some(base) => base.clone(),
        None => {
            let bases = crate::txlog::bases(&args.dir)?;
            match bases.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(Error::NotDatabase {
                        path: args.dir.clone(),
                        reason: "holds no ESE log, checkpoint or reserve file".into(),
                    })
                }
                many => {
                    return Err(Error::NotDatabase {
                        path: args.dir.clone(),
                        reason: format!(
                            "holds several log sets ({}); choose one with --base",
                            many.join(", ")
                        ),
                    })
                }
            }
        }
    };
    let set = crate::txlog::open(&args.dir, &base, header)?;
    let title = format!("Log set {} in {}", set.base, set.dir.display());
    emit(
        out,
        &args.output,
        "log set",
        &set,
        |w| set.write_text(w),
        |w| markdown_json::render(w, &title, &set),
    )?;
    let damage = !set.chain_ok || set.findings.iter().any(|f| f.severity == Severity::Error);
    Ok(ExitCode::from(u8::from(damage)))
}

/// `esescope log FILE [--records]`.
///
/// # Errors
/// The file cannot be read or is shorter than a log header.
pub fn log(args: &LogArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let bytes = read(&args.file, crate::txlog::MAX_LOG_LEN, "a log file")?;
    let log = LogFile::parse(&bytes)
        .map_err(|e| Error::NotDatabase { path: args.file.clone(), reason: e.to_string() })?;
    if log.header.file_type != 3 && log.header.file_type != 0 {
        return Err(Error::NotDatabase {
            path: args.file.clone(),
            reason: format!("file type {} at offset 667 is not a transaction log (3)", log.header.file_type),
        });
    }
    let path = args.file.display().to_string();
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        file: &'a str,
        #[serde(flatten)]
        log: &'a LogFile,
        records_listed: Vec<RecordDoc>,
    }
    #[derive(serde::Serialize)]
    struct RecordDoc {
        lgpos: crate::format::Lgpos,
        name: &'static str,
        size: usize,
        fragmented: bool,
        details: crate::format::txlog::record::Details,
    }
    let listed = if args.records {
        log.records
            .records
            .iter()
            .map(|r| RecordDoc {
                lgpos: r.lgpos,
                name: r.record_type.name(),
                size: r.bytes.len(),
                fragmented: r.fragmented,
                details: r.details(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let doc = Doc { file: &path, log: &log, records_listed: listed };
    emit(
        out,
        &args.output,
        "log dump",
        &doc,
        |w| write_log(w, &path, &log, args.records),
        |w| markdown_json::render(w, &format!("Log file {path}"), &doc),
    )?;
    let damage = !log.header_problems.is_empty() || !log.body_problems().is_empty();
    Ok(ExitCode::from(u8::from(damage)))
}

/// `esescope checkpoint FILE`.
///
/// # Errors
/// The file cannot be read or is shorter than one checkpoint copy.
pub fn checkpoint(args: &CheckpointArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let bytes = read(&args.file, crate::format::checkpoint::FILE_LEN as u64, "a checkpoint file")?;
    let checkpoint = Checkpoint::parse(&bytes)
        .map_err(|e| Error::NotDatabase { path: args.file.clone(), reason: e.to_string() })?;
    // a sealed copy that names another file type: this is not a checkpoint
    let sealed_other =
        checkpoint.copies.iter().find(|c| c.checksum == c.computed_checksum && !matches!(c.file_type, 0 | 4));
    if let Some(copy) = sealed_other {
        let hint = match copy.file_type {
            1 => " (a database: use `esescope info`)",
            3 => " (a transaction log: use `esescope log`)",
            _ => "",
        };
        return Err(Error::NotDatabase {
            path: args.file.clone(),
            reason: format!("file type {} at offset 667 is not a checkpoint (4){hint}", copy.file_type),
        });
    }
    if checkpoint.copies.iter().all(|c| !matches!(c.file_type, 0 | 4)) {
        return Err(Error::NotDatabase {
            path: args.file.clone(),
            reason: "file type at offset 667 is not a checkpoint (4) in either copy".into(),
        });
    }
    let path = args.file.display().to_string();
    emit(
        out,
        &args.output,
        "checkpoint dump",
        &checkpoint,
        |w| write_checkpoint(w, &path, &checkpoint),
        |w| markdown_json::render(w, &format!("Checkpoint {path}"), &checkpoint),
    )?;
    let damage = checkpoint.copies.iter().any(|c| !c.is_valid())
        || checkpoint.copies.len() < 2
        || checkpoint.copies_differ;
    Ok(ExitCode::from(u8::from(damage)))
}
