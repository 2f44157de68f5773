//! The command-line front end. Each subcommand is a function that writes to
//! any `io::Write` and returns the exit code, so tests capture its output
//! without a subprocess. Exit codes: 0 clean, 1 damage found, 2 could not run.

pub mod database;
pub mod output;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::Error;

/// Inspect Microsoft ESE (JET Blue) databases, transaction logs and
/// checkpoints without modifying them.
#[derive(Debug, Parser)]
#[command(name = "esescope", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a subcommand, FILE opens in the interactive inspector.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A database to open in the interactive inspector.
    pub file: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summary of a database: page size, format, state, signatures, log positions.
    Info(database::FileArgs),
    /// Every field of both header copies, side by side, differences marked.
    Header(database::FileArgs),
    /// One page: header fields with offsets, tags, checksum analysis, hex.
    Page(database::PageArgs),
    /// Checksum every page (like eseutil /k); exit 1 when damage is found.
    Verify(database::VerifyArgs),
    /// An incident report: identity, headers, verify, each bad page, recovery options.
    Report(database::ReportArgs),
    /// Repair into a new file: ECC single-bit fixes, pages patched from a copy.
    Repair(database::RepairArgs),
}

/// Runs `command`, writing its output to `out`.
///
/// # Errors
/// Whatever stops the command from running (the file cannot be opened or
/// is not an ESE file, the output cannot be written).
pub fn run(command: &Command, out: &mut dyn Write) -> Result<ExitCode, Error> {
    match command {
        Command::Info(args) => database::info(args, out),
        Command::Header(args) => database::header(args, out),
        Command::Page(args) => database::page(args, out),
        Command::Verify(args) => database::verify(args, out),
        Command::Report(args) => database::report(args, out),
        Command::Repair(args) => database::repair(args, out),
    }
}

/// A file path argument, shared by subcommands.
pub(crate) type FilePath = PathBuf;
