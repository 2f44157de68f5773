//! `info`, `header`, `page` and `verify`: the database subcommands.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Args;

use super::{write_json, FilePath};
use crate::format::PageNumber;
use crate::report::header::HeaderReport;
use crate::report::page::PageDump;
use crate::report::Severity;
use crate::scan::{self, Progress};
use crate::store::Database;
use crate::Error;

/// A database file and the output format.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The database file (.edb, .dat, .dit, .mdb, ...). It is opened read-only.
    pub file: FilePath,
    /// Write one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `page` arguments.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// The database file.
    pub file: FilePath,
    /// Page number (decimal or 0x hex), or @OFFSET for the page containing
    /// file byte OFFSET (e.g. @0x5000).
    #[arg(value_parser = parse_page_spec)]
    pub page: PageSpec,
    /// Write one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Leave out the hex dump (text output).
    #[arg(long)]
    pub no_hex: bool,
}

/// `verify` arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The database file.
    pub file: FilePath,
    /// Write one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
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
    parsed.map_err(|_| format!("'{text}' is not a number (decimal, or hex with 0x)"))
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
pub fn info(args: &FileArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open(&args.file)?;
    let report = HeaderReport::build(&db, false);
    if args.json {
        write_json(out, &report)?;
    } else {
        report.write_summary(out)?;
    }
    Ok(exit(opening_damage(&db)))
}

/// `esescope header FILE`.
///
/// # Errors
/// The file cannot be opened or is not a database; output fails.
pub fn header(args: &FileArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open(&args.file)?;
    let report = HeaderReport::build(&db, true);
    if args.json {
        write_json(out, &report)?;
    } else {
        report.write_fields(out)?;
    }
    Ok(exit(opening_damage(&db)))
}

/// `esescope page FILE PAGE`.
///
/// # Errors
/// The file cannot be opened, the page is not in it, output fails.
pub fn page(args: &PageArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open(&args.file)?;
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
    if args.json {
        write_json(out, &dump)?;
    } else {
        dump.write_text(out, !args.no_hex)?;
    }
    Ok(exit(dump.checksum.verdict.is_damaged()))
}

/// `esescope verify FILE`: checksums every page. Shows progress on stderr
/// when stderr is a terminal.
///
/// # Errors
/// The file cannot be opened or is not a database; output fails.
pub fn verify(args: &VerifyArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open(&args.file)?;
    let show_progress = std::io::stderr().is_terminal();
    let report = scan::verify(&db, |progress: Progress| {
        if show_progress {
            eprint!("\rverifying: page {} of {} ({:.0}%)", progress.done, progress.total, progress.percent());
            if progress.done == progress.total {
                eprint!("\r\x1b[K");
            }
        }
        ControlFlow::Continue(())
    });
    if args.json {
        write_json(out, &report)?;
    } else {
        report.write_text(out)?;
    }
    Ok(exit(report.has_damage()))
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
