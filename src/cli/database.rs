//! `info`, `header`, `page` and `verify`: the database subcommands.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Args;

use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::format::PageNumber;
use crate::report::header::HeaderReport;
use crate::report::incident::IncidentReport;
use crate::report::markdown;
use crate::report::page::PageDump;
use crate::report::Severity;
use crate::scan::{self, Progress};
use crate::store::{Database, ReadMode};
use crate::Error;

/// A database file and the output format.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The database file (.edb, .dat, .dit, .mdb, ...). It is opened read-only.
    pub file: FilePath,
    /// Output format and destination.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The database file.
    pub file: FilePath,
    /// Write the report to this new file (never overwritten) instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<FilePath>,
    /// The directory of the database's transaction logs and checkpoint.
    #[arg(long, value_name = "DIR")]
    pub logs: Option<FilePath>,
    /// Output format (default Markdown).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `page` arguments.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// The database file.
    pub file: FilePath,
    /// Page number (decimal or 0x hex), or @OFFSET for the page containing
    /// file byte OFFSET (e.g. @0x5000).
    #[arg(value_parser = parse_page_spec, allow_negative_numbers = true)]
    pub page: PageSpec,
    /// Output format and destination.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Leave out the hex dump (text and Markdown).
    #[arg(long)]
    pub no_hex: bool,
}

/// `verify` arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The database file.
    pub file: FilePath,
    /// Also walk every tree of the catalog and report structural findings.
    #[arg(long)]
    pub trees: bool,
    /// Output format and destination.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A page named by number or by file byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSpec {
    /// A page number.
    Number(u32),
    /// A byte offset in the file.
    Offset(u64),
}

fn parse_number(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| match text.strip_prefix('-') {
        Some(_) => format!("'{text}' is not a page: pages are numbered from 1"),
        None => format!("'{text}' is not a number (decimal, or hex with 0x)"),
    })
}

/// Parses `12`, `0xc` or `@0x5000`.
///
/// # Errors
/// A message naming what was expected.
pub fn parse_page_spec(text: &str) -> Result<PageSpec, String> {
    match text.strip_prefix('@') {
        Some(offset) => parse_number(offset).map(PageSpec::Offset),
        None => {
            let n = parse_number(text)?;
            u32::try_from(n).map(PageSpec::Number).map_err(|_| format!("page number {n} is too large"))
        }
    }
}

fn exit(damage: bool) -> ExitCode {
    ExitCode::from(u8::from(damage))
}

fn opening_damage(db: &Database) -> bool {
    db.warnings().iter().any(|w| w.severity >= Severity::Warning)
}

/// `esescope info FILE`.
///
/// # Errors
/// The file cannot be opened or is not a database; output fails.
pub fn info(args: &FileArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let report = HeaderReport::build(&db, false);
    emit(
        out,
        &args.output,
        "database summary",
        &report,
        |w| report.write_summary(w),
        |w| {
            let mut text = Vec::new();
            report.write_summary(&mut text)?;
            let title = format!("Database summary of {}", report.file);
            crate::report::markdown_json::summary(w, &title, &String::from_utf8_lossy(&text))?;
            // the JSON's decoded header too, so nothing it holds is missing here
            crate::report::markdown_json::render(w, "Header as decoded", &report.header)
        },
    )?;
    Ok(exit(opening_damage(&db)))
}

/// `esescope header FILE`.
///
/// # Errors
/// The file cannot be opened or is not a database; output fails.
pub fn header(args: &FileArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let report = HeaderReport::build(&db, true);
    emit(
        out,
        &args.output,
        "database header",
        &report,
        |w| report.write_fields(w),
        |w| markdown::header(w, &report),
    )?;
    Ok(exit(opening_damage(&db)))
}

/// `esescope page FILE PAGE`.
///
/// # Errors
/// The file cannot be opened, the page is not in it, output fails.
pub fn page(args: &PageArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let pgno = match args.page {
        PageSpec::Number(n) => PageNumber(n),
        PageSpec::Offset(offset) => PageNumber::containing(offset, db.page_size()).ok_or_else(|| {
            Error::NotDatabase {
                path: args.file.clone(),
                reason: format!(
                    "offset {offset:#x} lies in the database header pages (the first {} bytes), not in a page; \
                     use `esescope header`",
                    2 * db.page_size().bytes()
                ),
            }
        })?,
    };
    let dump = PageDump::build(&db, pgno)?;
    let what = format!("page {pgno} dump");
    let hex = !args.no_hex;
    emit(out, &args.output, &what, &dump, |w| dump.write_text(w, hex), |w| markdown::page(w, &dump, hex))?;
    Ok(exit(dump.checksum.verdict.is_damaged() || !dump.problems.is_empty()))
}

/// `esescope verify FILE`: checksums every page. Shows progress on stderr
/// when stderr is a terminal.
///
/// # Errors
/// The file cannot be opened or is not a database; output fails.
pub fn verify(args: &VerifyArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let mut report = scan::verify(&db, stderr_progress("verifying"));
    if args.trees {
        report.findings.extend(scan::trees::check_trees(&db));
    }
    emit(
        out,
        &args.output,
        "verify report",
        &report,
        |w| report.write_text(w),
        |w| markdown::verify(w, &report),
    )?;
    Ok(exit(report.has_damage()))
}

/// A progress callback that draws a bar with rate and ETA on stderr when
/// stderr is a terminal, and nothing otherwise.
pub(crate) fn stderr_progress(label: &'static str) -> impl FnMut(Progress) -> ControlFlow<()> {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let style =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} pages, {per_sec}, ETA {eta}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label);
    move |progress: Progress| {
        bar.set_length(progress.total);
        bar.set_position(progress.done);
        if progress.done >= progress.total {
            bar.finish_and_clear();
        }
        ControlFlow::Continue(())
    }
}

/// `esescope report FILE`: the incident report (Markdown by default).
///
/// # Errors
/// The file cannot be opened or is not a database; `--out` exists already;
/// output fails.
pub fn report(args: &ReportArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    if let Some(path) = args.out.as_ref().filter(|p| p.symlink_metadata().is_ok()) {
        return Err(Error::OutputExists { path: path.clone() });
    }
    let db = Database::open_with(&args.file, mode)?;
    let logs = match &args.logs {
        // as the inspector and `recover` do: the set beside the database with its log signature
        None => {
            let dir =
                db.path().parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let header = db.header().map(|h| (db.path(), h));
            crate::txlog::bases(dir).ok().and_then(|bases| {
                bases
                    .iter()
                    .filter_map(|base| crate::txlog::open(dir, base, header).ok())
                    .find(|s| s.database.as_ref().is_some_and(|d| d.same_stream))
            })
        }
        Some(dir) => {
            let header = db.header().map(|h| (db.path(), h));
            let bases = crate::txlog::bases(dir)?;
            let sets: Vec<crate::txlog::LogSet> =
                bases.iter().filter_map(|base| crate::txlog::open(dir, base, header).ok()).collect();
            let matching = sets.iter().position(|s| s.database.as_ref().is_some_and(|d| d.same_stream));
            let chosen =
                sets.into_iter().enumerate().find(|(i, _)| Some(*i) == matching.or(Some(0))).map(|(_, s)| s);
            Some(chosen.ok_or_else(|| Error::NotDatabase {
                path: dir.clone(),
                reason: "holds no ESE log set".into(),
            })?)
        }
    };
    let report = IncidentReport::build_with_logs(&db, logs, stderr_progress("examining"));
    let output = args.output.defaulting_to_markdown();
    let damage = report.verify.has_damage();
    match &args.out {
        Some(path) => {
            let mut text = Vec::new();
            emit(
                &mut text,
                &output,
                "incident report",
                &report,
                |w| report.write_text(w),
                |w| markdown::incident(w, &report),
            )?;
            super::output::write_file(path, &String::from_utf8_lossy(&text))?;
            writeln!(out, "wrote the incident report to {}", path.display())?;
        }
        None => emit(
            out,
            &output,
            "incident report",
            &report,
            |w| report.write_text(w),
            |w| markdown::incident(w, &report),
        )?,
    }
    Ok(exit(damage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_specs() {
        assert_eq!(parse_page_spec("12"), Ok(PageSpec::Number(12)));
        assert_eq!(parse_page_spec("0x1f"), Ok(PageSpec::Number(31)));
        assert_eq!(parse_page_spec("@0x5000"), Ok(PageSpec::Offset(0x5000)));
        assert!(parse_page_spec("twelve").is_err());
        assert!(parse_page_spec("0x1ffffffff").is_err());
    }
}

/// `repair` arguments.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The damaged database. It is only read.
    pub file: FilePath,
    /// The repaired database to write (must not exist). The report is saved
    /// beside it as NEW.repair.txt and NEW.repair.json.
    #[arg(long, value_name = "NEW")]
    pub out: FilePath,
    /// A backup or replica of the same database to take damaged pages from.
    #[arg(long, value_name = "COPY")]
    pub from: Option<FilePath>,
    /// Output format of the report on stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `esescope repair FILE --out NEW [--from COPY]`.
///
/// # Errors
/// The files cannot be opened, NEW or its report files exist, the copy is
/// of another database, writing fails.
pub fn repair(args: &RepairArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let (text_path, json_path) = crate::repair::report_files(&args.out, "repair");
    super::output::refuse_existing(&[&args.out, &text_path, &json_path])?;
    let db = Database::open_with(&args.file, mode)?;
    let copy = args.from.as_ref().map(|p| Database::open_with(p, mode)).transpose()?;
    let report = crate::repair::repair(
        &db,
        copy.as_ref(),
        &args.out,
        crate::repair::now(),
        stderr_progress("repairing"),
    )?;
    let mut text = Vec::new();
    report.write_text(&mut text)?;
    let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::from)?;
    if report.output.is_some() {
        super::output::save_report_files(&text_path, &json_path, &text, &json)?;
    }
    emit(
        out,
        &args.output,
        "repair report",
        &report,
        |w| w.write_all(&text),
        |w| crate::report::markdown_json::render(w, &format!("Repair of {}", args.file.display()), &report),
    )?;
    Ok(exit(!report.output_is_clean()))
}
