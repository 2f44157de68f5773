//! `compare`: two files of one database, page by page and row by row.

use std::io::Write;
use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Args;

use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::scan::compare::compare as compare_files;
use crate::store::{Database, ReadMode};
use crate::Error;

/// `compare` arguments.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first file (A: the older copy, a backup).
    pub a: FilePath,
    /// The second file (B).
    pub b: FilePath,
    /// Compare even when the database signatures differ.
    #[arg(long)]
    pub force: bool,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `esescope compare A B`: exit 0 when the files hold the same pages, 1 when
/// they differ.
///
/// # Errors
/// A file cannot be opened, the page sizes differ, or the database
/// signatures differ without `--force`.
pub fn compare(args: &CompareArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let a = Database::open_with(&args.a, mode)?;
    let b = Database::open_with(&args.b, mode)?;
    let report = compare_files(&a, &b, args.force, |_| ControlFlow::Continue(()))?;
    emit(out, &args.output, "comparison", &report, |w| report.write_text(w), |w| report.write_markdown(w))?;
    Ok(ExitCode::from(u8::from(report.differs())))
}
