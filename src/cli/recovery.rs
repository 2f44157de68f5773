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
    /// The database to recover. It is only read. Without it, the database
    /// the logs of --logs create (their oldest generation starts with its
    /// CreateDB record) is rebuilt from them.
    #[arg(required_unless_present = "logs")]
    pub file: Option<FilePath>,
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
    /// The largest output recovery may write, in GiB: a log that would make
    /// the database larger stops recovery (a hostile ExtendDB or page number).
    #[arg(long, value_name = "GIB", default_value_t = 64)]
    pub max_output_gib: u64,
    /// Where the replay (or the plan) starts.
    #[arg(long, value_enum, default_value = "start")]
    pub from: From,
    /// Output format of the plan or report on stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

fn log_set(args: &RecoverArgs, db: Option<&Database>) -> Result<LogSet, Error> {
    let dir: PathBuf = match (&args.logs, &args.file) {
        (Some(dir), _) => dir.clone(),
        (None, Some(file)) => {
            file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
        }
        (None, None) => PathBuf::from("."),
    };
    // replay checks each generation's body when it reads it: the set is read by its headers
    find_log_set(&dir, args.base.as_deref(), db, crate::txlog::Depth::Headers)
}

/// The log set in `dir` named `base`, or else the one with `db`'s log
/// signature (or the only one there).
///
/// # Errors
/// The directory holds no log set, or several and none (or more than one)
/// is the database's; the set cannot be read.
pub(crate) fn find_log_set(
    dir: &Path,
    base: Option<&str>,
    db: Option<&Database>,
    depth: crate::txlog::Depth,
) -> Result<LogSet, Error> {
    let dir = dir.to_path_buf();
    let header = db.and_then(|db| db.header().map(|h| (db.path(), h)));
    let Some(base) = base else {
        // each set is read once: the one chosen is returned as read
        let bases = crate::txlog::bases(&dir)?;
        match bases.as_slice() {
            [] => {
                return Err(Error::NotDatabase {
                    path: dir.clone(),
                    reason: "holds no ESE log or checkpoint file to recover from".into(),
                })
            }
            [one] => return crate::txlog::open_with(&dir, one, header, depth),
            _ => {}
        }
        let mut matching: Vec<LogSet> = bases
            .iter()
            .filter_map(|b| crate::txlog::open_with(&dir, b, header, depth).ok())
            .filter(|s| header.is_none() || s.database.as_ref().is_some_and(|d| d.same_stream))
            .collect();
        return match (matching.pop(), matching.is_empty()) {
            (Some(set), true) => Ok(set),
            _ => Err(Error::NotDatabase {
                path: dir.clone(),
                reason: format!("holds several log sets ({}); choose one with --base", bases.join(", ")),
            }),
        };
    };
    crate::txlog::open_with(&dir, base, header, depth)
}

fn limits(args: &RecoverArgs) -> recovery::Limits {
    recovery::Limits { max_output_bytes: args.max_output_gib.saturating_mul(1 << 30) }
}

/// `esescope recover FILE [--logs DIR] (--out NEW | --plan [--from oldest])`.
///
/// # Errors
/// The files cannot be opened; the logs are not the database's or a
/// generation is missing; a record cannot be replayed; NEW or its report
/// files exist; writing fails.
pub fn recover(args: &RecoverArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let Some(file) = &args.file else { return rebuild(args, out) };
    let db = Database::open_with(file, mode)?;
    let refuse = |source| Error::Recovery { path: file.clone(), source };
    let from = if args.from == From::Oldest { StartAt::Oldest } else { StartAt::Recovery };
    let Some(new) = args.out.as_ref().filter(|_| !args.plan) else {
        let set = log_set(args, Some(&db))?;
        let plan = recovery::plan_limited(&db, &set, from, limits(args), stderr_progress("planning"))
            .map_err(refuse)?;
        return emit_plan(out, args, &plan, file);
    };
    let (text_path, json_path) = recovery::report_paths(new);
    super::output::refuse_existing(&[new, &text_path, &json_path])?;
    let set = log_set(args, Some(&db))?;
    let report = recovery::recover_limited(
        &db,
        &set,
        from,
        limits(args),
        new,
        crate::repair::now(),
        stderr_progress("recovering"),
    )?;
    finish(args, out, new, &report)
}

/// Prints the plan of `recover --plan` for the database `of`; exit 1 when
/// recovery would refuse.
fn emit_plan(
    out: &mut dyn Write,
    args: &RecoverArgs,
    plan: &recovery::Plan,
    of: &std::path::Path,
) -> Result<ExitCode, Error> {
    emit(
        out,
        &args.output,
        "recovery plan",
        plan,
        |w| write_plan(w, plan),
        |w| markdown_json::render(w, &format!("Recovery plan of {}", of.display()), plan),
    )?;
    Ok(ExitCode::from(u8::from(plan.refuses())))
}

/// `esescope recover --logs DIR (--out NEW | --plan)`: the database the
/// logs create, rebuilt from its creation record.
fn rebuild(args: &RecoverArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let set = log_set(args, None)?;
    let label = set.dir.join("(database rebuilt from its logs)");
    let refuse = |source| Error::Recovery { path: label.clone(), source };
    let Some(new) = args.out.as_ref().filter(|_| !args.plan) else {
        let db = Database::from_bytes(&label, recovery::rebuild::seed(&set).map_err(refuse)?)?;
        let plan =
            recovery::plan_limited(&db, &set, StartAt::Oldest, limits(args), stderr_progress("planning"))
                .map_err(refuse)?;
        return emit_plan(out, args, &plan, &label);
    };
    let (text_path, json_path) = recovery::report_paths(new);
    super::output::refuse_existing(&[new, &text_path, &json_path])?;
    let report = recovery::rebuild::rebuild(
        &set,
        new,
        limits(args),
        crate::repair::now(),
        stderr_progress("rebuilding"),
    )?;
    finish(args, out, new, &report)
}

/// Saves the report files beside `new` and prints the report; exit 1 when
/// the output's verify finds damage.
fn finish(
    args: &RecoverArgs,
    out: &mut dyn Write,
    new: &Path,
    report: &recovery::RecoveryReport,
) -> Result<ExitCode, Error> {
    let (text_path, json_path) = recovery::report_paths(new);
    let mut text = Vec::new();
    write_report(&mut text, report)?;
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::from)?;
    if report.output.is_some() {
        super::output::save_report_files(&text_path, &json_path, &text, &json)?;
    }
    emit(
        out,
        &args.output,
        "recovery report",
        report,
        |w| w.write_all(&text),
        |w| markdown_json::render(w, &format!("Recovery of {}", report.input.path), &report),
    )?;
    // damage verify would report outside the pages counts too (header
    // copies, a truncated last page)
    let output_warnings = || {
        Database::open(new).map_or(true, |written| {
            written.warnings().iter().any(|f| f.severity >= crate::report::Severity::Warning)
        })
    };
    let clean = report.verify_after.is_some_and(|c| c.damaged() == 0) && !output_warnings();
    Ok(ExitCode::from(u8::from(!clean)))
}
