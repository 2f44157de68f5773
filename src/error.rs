//! The crate error: I/O failures and format errors, each wrapped with the
//! one fact the layer that saw it knows (the path, the page).

use std::{io, path::PathBuf};

use crate::format::{FormatError, PageNumber};

/// An error that stops an operation. Damage found inside a database that
/// can be reported and stepped over is a [`crate::finding::Finding`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{}: cannot open: {source}", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The path is not a regular file.
    #[error("{}: is a directory, not a database file", .path.display())]
    IsDirectory {
        /// The path.
        path: PathBuf,
    },
    /// The path is a FIFO, device or socket: reading it could block forever
    /// or never end.
    #[error("{}: is {kind}, not a regular file (use --force to read it anyway)", .path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The file got shorter while it was being read: what was read cannot
    /// be trusted (this is a finding, exit 1, not a failure to run).
    #[error("{}: the file shrank from {from} to {to} bytes while being read", .path.display())]
    Shrank {
        /// The file.
        path: PathBuf,
        /// Its size when opened.
        from: u64,
        /// Its size afterwards.
        to: u64,
    },
    /// The file cannot be read as an ESE database.
    #[error("{}: {reason}", .path.display())]
    NotDatabase {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        reason: String,
    },
    /// A page number outside the file.
    #[error("{}: page {page} is outside the file (pages 1 to {last})", .path.display())]
    PageOutOfRange {
        /// The file.
        path: PathBuf,
        /// The page asked for.
        page: PageNumber,
        /// The last page in the file.
        last: u32,
    },
    /// A structure in a page could not be decoded.
    #[error("{}: page {page}: {source}", .path.display())]
    Page {
        /// The file.
        path: PathBuf,
        /// The page.
        page: PageNumber,
        /// What was wrong.
        #[source]
        source: FormatError,
    },
    /// An output file already exists; esescope never overwrites one.
    #[error("{}: already exists; esescope does not overwrite files, choose another name", .path.display())]
    OutputExists {
        /// The path.
        path: PathBuf,
    },
    /// Writing an output file failed.
    #[error("{}: cannot write: {source}", .path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// Recovery refused to run or to go on; nothing was written.
    #[error("{}: recovery refused: {source}", .path.display())]
    Recovery {
        /// The database being recovered.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::recovery::RecoveryError,
    },
    /// The writer could not build a database.
    #[error("cannot build the database: {0}")]
    Build(#[from] crate::writer::WriteError),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
    /// The arguments ask for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}
