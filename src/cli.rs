//! The command-line front end. Each subcommand is a function that writes to
//! any `io::Write` and returns the exit code, so tests capture its output
//! without a subprocess. Exit codes: 0 clean, 1 damage found, 2 could not run.

pub mod compare;
pub mod database;
pub mod export;
pub mod history;
pub mod logs;
pub mod output;
pub mod recovery;
pub mod salvage;
pub mod sample;
pub mod trees;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::store::ReadMode;
use crate::Error;

/// Inspect Microsoft ESE (JET Blue) databases, transaction logs and
/// checkpoints without modifying them.
#[derive(Debug, Parser)]
#[command(name = "esescope", version, about, long_about = None, subcommand_negates_reqs = true)]
pub struct Cli {
    /// What to do; without a subcommand, FILE opens in the interactive inspector.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A database to open in the interactive inspector (none: the bundled
    /// sample-dbs/clean-8k.edb).
    pub file: Option<PathBuf>,
    /// The directory of its transaction logs (default: its own directory,
    /// when the logs there have its log signature).
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
    /// Another copy of the same database: the page map is coloured by
    /// difference and the page view shows both copies side by side.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<PathBuf>,
    /// Read files into memory instead of mapping them (needs memory as large
    /// as the file); a file that shrinks meanwhile is reported either way.
    #[arg(long, global = true)]
    pub no_mmap: bool,
    /// Read a FIFO, device or socket given as a file too (refused without
    /// it: reading one may never end); for `sample`, replace sample files
    /// that differ.
    #[arg(long, global = true)]
    pub force: bool,
}

impl Cli {
    /// How files should be read.
    pub fn read_mode(&self) -> ReadMode {
        if self.no_mmap {
            ReadMode::Load
        } else {
            ReadMode::Map
        }
    }
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
    /// A new database from every row that can still be read, without a clean
    /// copy (like eseutil /p), and a report of exactly what was lost.
    Salvage(salvage::SalvageArgs),
    /// Soft recovery from the transaction logs into a new file (--plan: dry run).
    Recover(recovery::RecoverArgs),
    /// A log directory: the generation chain, checkpoint and database positions.
    Logs(logs::LogsArgs),
    /// One log file like eseutil /ml: header, segments, end of data, records.
    Log(logs::LogArgs),
    /// A checkpoint file like eseutil /mk.
    Checkpoint(logs::CheckpointArgs),
    /// Every table of the catalog: objid, root page, records, pages, tree findings.
    Tables(trees::TablesArgs),
    /// One B+-tree level by level: pages, entries, key ranges, structural findings.
    Tree(trees::TreeArgs),
    /// The catalog: columns, indexes and long-value trees of every table.
    Catalog(trees::TablesArgs),
    /// The rows of a table (or every table) as CSV or JSON, values decoded.
    Export(export::ExportArgs),
    /// Two files of one database compared: pages identical, changed, moved or
    /// in one only (newer by dbtime), then rows added, removed and changed per table.
    Compare(compare::CompareArgs),
    /// The history of the rows from the transaction logs: every insert,
    /// replace and delete decoded into its table's row, with its
    /// transaction's outcome and where the row stands in the database now.
    History(history::HistoryArgs),
    /// Write the sample databases of sample-dbs/ (clean and damaged) into a directory.
    Sample(sample::SampleArgs),
}

/// Runs `command`, writing its output to `out`.
///
/// # Errors
/// Whatever stops the command from running (the file cannot be opened or
/// is not an ESE file, the output cannot be written).
pub fn run(command: &Command, out: &mut dyn Write) -> Result<ExitCode, Error> {
    run_with(command, ReadMode::Map, out)
}

/// Runs `command` reading files as `mode` says.
///
/// # Errors
/// As [`run`].
pub fn run_with(command: &Command, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    match command {
        Command::Info(args) => database::info(args, mode, out),
        Command::Header(args) => database::header(args, mode, out),
        Command::Page(args) => database::page(args, mode, out),
        Command::Verify(args) => database::verify(args, mode, out),
        Command::Report(args) => database::report(args, mode, out),
        Command::Repair(args) => database::repair(args, mode, out),
        Command::Salvage(args) => salvage::salvage(args, mode, out),
        Command::Recover(args) => recovery::recover(args, mode, out),
        Command::Logs(args) => logs::logs(args, mode, out),
        Command::Log(args) => logs::log(args, out),
        Command::Checkpoint(args) => logs::checkpoint(args, out),
        Command::Tables(args) => trees::tables(args, mode, out),
        Command::Tree(args) => trees::tree(args, mode, out),
        Command::Catalog(args) => trees::catalog(args, mode, out),
        Command::Export(args) => export::export(args, mode, out),
        Command::Compare(args) => compare::compare(args, mode, out),
        Command::History(args) => history::history(args, mode, out),
        Command::Sample(args) => sample::sample(args, out),
    }
}

/// A file path argument, shared by subcommands.
pub(crate) type FilePath = PathBuf;
