//! `recover`: soft recovery of a database from its transaction logs into a
//! new file, or with `--plan` the dry run that lists every page record with
//! apply or skip and the reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::database::stderr_progress;
use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::recovery::{self, StartAt};
use crate::report::markdown_json;
use crate::report::recovery::{write_plan, write_report};
use crate::store::{Database, ReadMode};
use crate::txlog::LogSet;
use crate::Error;

/// Where `--plan` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum From {
    /// Where recovery starts: the checkpoint, or the database's positions.
    Start,
    /// The first record of the oldest generation in the directory.
    Oldest,
}

/// `recover` arguments.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The database to recover. It is only read.
    pub file: FilePath,
    /// The directory of its logs and checkpoint (default: the database's directory).
    #[arg(long, value_name = "DIR")]
    pub logs: Option<FilePath>,
    /// The log base name (edb, SRU…) when the directory holds several sets.
    #[arg(long)]
    pub base: Option<String>,
    /// The recovered database to write (must not exist). The report is saved
    /// beside it as NEW.recovery.txt and NEW.recovery.json.
    #[arg(long, value_name = "NEW", required_unless_present = "plan")]
    pub out: Option<FilePath>,
    /// Only plan: list every page record with apply or skip and why; write nothing.
    #[arg(long, conflicts_with = "out")]
    pub plan: bool,
    /// Where the replay (or the plan) starts.
    #[arg(long, value_enum, default_value = "start")]
    pub from: From,
    /// Output format of the plan or report on stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

fn log_set(args: &RecoverArgs, db: &Database) -> Result<LogSet, Error> {
    let dir: PathBuf = match &args.logs {
        Some(dir) => dir.clone(),
        None => {
            args.file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
        }
    };
    let header = db.header().map(|h| (db.path(), h));
    let base = match &args.base {
        Some(base) => base.clone(),
        None => {
            let bases = crate::txlog::bases(&dir)?;
            let matching: Vec<&String> = bases
                .iter()
                .filter(|b| {
                    crate::txlog::open(&dir, b, header)
                        .is_ok_and(|s| s.database.is_some_and(|d| d.same_stream))
                })
                .collect();
            match (bases.as_slice(), matching.as_slice()) {
                ([], _) => {
                    return Err(Error::NotDatabase {
                        path: dir.clone(),
                        reason: "holds no ESE log or checkpoint file to recover from".into(),
                    })
                }
                ([one], _) => one.clone(),
                (_, [one]) => (*one).clone(),
                (many, _) => {
                    return Err(Error::NotDatabase {
                        path: dir.clone(),
                        reason: format!(
                            "holds several log sets ({}); choose one with --base",
                            many.join(", ")
                        ),
                    })
                }
            }
        }
    };
    crate::txlog::open(&dir, &base, header)
}

/// `esescope recover FILE [--logs DIR] (--out NEW | --plan [--from oldest])`.
///
/// # Errors
/// The files cannot be opened; the logs are not the database's or a
/// generation is missing; a record cannot be replayed; NEW or its report
/// files exist; writing fails.
pub fn recover(args: &RecoverArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let refuse = |source| Error::Recovery { path: args.file.clone(), source };
    let from = if args.from == From::Oldest { StartAt::Oldest } else { StartAt::Recovery };
    let Some(new) = args.out.as_ref().filter(|_| !args.plan) else {
        let set = log_set(args, &db)?;
        let plan = recovery::plan(&db, &set, from, stderr_progress("planning")).map_err(refuse)?;
        emit(
            out,
            &args.output,
            "recovery plan",
            &plan,
            |w| write_plan(w, &plan),
            |w| markdown_json::render(w, &format!("Recovery plan of {}", args.file.display()), &plan),
        )?;
        let (_, _, stop) = plan.counts();
        return Ok(ExitCode::from(u8::from(stop > 0 || !plan.unsupported.is_empty())));
    };
    let (text_path, json_path) = recovery::report_paths(new);
    super::output::refuse_existing(&[new, &text_path, &json_path])?;
    let set = log_set(args, &db)?;
    let report =
        recovery::recover(&db, &set, from, new, crate::repair::now(), stderr_progress("recovering"))?;
    let mut text = Vec::new();
    write_report(&mut text, &report)?;
    let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::from)?;
    if report.output.is_some() {
        super::output::save_report_files(&text_path, &json_path, &text, &json)?;
    }
    emit(
        out,
        &args.output,
        "recovery report",
        &report,
        |w| w.write_all(&text),
        |w| markdown_json::render(w, &format!("Recovery of {}", args.file.display()), &report),
    )?;
    let clean = report.verify_after.is_some_and(|c| c.damaged() == 0);
    Ok(ExitCode::from(u8::from(!clean)))
}
