//! `esescope salvage FILE --out NEW [--from COPY] [--include-recovered]`:
//! a new database from every row that can still be read, and the report of
//! what was lost (NEW.salvage.txt, NEW.salvage.json).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::database::stderr_progress;
use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::salvage::Options;
use crate::store::{Database, ReadMode};
use crate::Error;

/// `salvage` arguments.
#[derive(Debug, Args)]
pub struct SalvageArgs {
    /// The damaged database. It is only read.
    pub file: FilePath,
    /// The new database to write (must not exist). The report is saved
    /// beside it as NEW.salvage.txt and NEW.salvage.json.
    #[arg(long, value_name = "NEW")]
    pub out: FilePath,
    /// A backup or replica of the same database: its pages replace the
    /// input's unreadable ones where they verify.
    #[arg(long, value_name = "COPY")]
    pub from: Option<FilePath>,
    /// Also write the rows of the recovered sources (flag-deleted records,
    /// leaves of the table no tree reaches) into their tables; the report
    /// counts them.
    #[arg(long)]
    pub include_recovered: bool,
    /// Output format of the report on stdout.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `salvage`: exit 0 when nothing was lost, 1 when rows, pages, long
/// values or index entries were lost (the report says which).
///
/// # Errors
/// The files cannot be opened, NEW or its report files exist, the copy is
/// of another database, the input has no valid header, writing fails.
pub fn salvage(args: &SalvageArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let (text_path, json_path) = crate::repair::report_files(&args.out, "salvage");
    super::output::refuse_existing(&[&args.out, &text_path, &json_path])?;
    let db = Database::open_with(&args.file, mode)?;
    let copy = args.from.as_ref().map(|p| Database::open_with(p, mode)).transpose()?;
    let options =
        Options { from: copy.as_ref(), include_recovered: args.include_recovered, now: crate::repair::now() };
    let report = crate::salvage::salvage(&db, &args.out, options, stderr_progress("salvaging"))?;
    let mut text = Vec::new();
    report.write_text(&mut text)?;
    let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::from)?;
    if report.output.is_some() {
        super::output::save_report_files(&text_path, &json_path, &text, &json)?;
    }
    emit(
        out,
        &args.output,
        "salvage report",
        &report,
        |w| w.write_all(&text),
        |w| crate::report::markdown_json::render(w, &format!("Salvage of {}", args.file.display()), &report),
    )?;
    Ok(ExitCode::from(u8::from(!report.is_clean())))
}
