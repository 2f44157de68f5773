//! Writing ESE databases: esescope's own writer, for the sample databases
//! in `sample-dbs/` and for tests and recovery that need to build pages.
//! Spec section 13 (and 3–11 for every structure written).
//!
//! The layers, bottom up:
//!
//! - [`page`]: the pure page builder. A [`page::PageImage`] (tag 0, nodes,
//!   header fields) becomes page bytes with the tag array, `cbFree`,
//!   `ibMicFree`, `itagState` and sealed checksums; an existing page decodes
//!   back into one for editing.
//! - [`header`]: the database header from the fields a writer chooses,
//!   clean or in dirty shutdown, sealed.
//! - [`schema`], [`key`], [`record`]: table definitions and typed values,
//!   their normalized keys and their record encoding.
//! - [`tree`] and [`space`]: bulk-loaded B+-trees and the extents, space
//!   headers and OE/AE trees of each FDP.
//! - [`catalog`]: `MSysObjects` rows, its indexes and its shadow.
//! - [`database`]: a whole file from a [`database::DatabaseSpec`].
//! - [`wide`]: a table with thousands of tagged columns, for benchmarks.
//! - [`sample`] and [`damage`]: the teaching database and the damaged
//!   samples of `sample-dbs/`, deterministic to the byte.
//! - [`log_record`] and [`txlog`]: log records from their fields, log files
//!   (header, checksummed segments, fragments) and the checkpoint file;
//!   [`scenario`]: a dirty database with the logs that recover it.
//!
//! For recovery and its tests: [`database::write_database`] with a
//! [`header::HeaderSpec::dirty`] header writes a database left in dirty
//! shutdown (state 2, no consistent position, the attach position, the log
//! signature and the generations required that the caller chooses; every
//! field of `HeaderSpec` can be set). [`database::WrittenDatabase::trees`]
//! says which pages hold which tree, and [`page::PageImage`] rebuilds one
//! of them after a node is inserted, replaced or deleted.
//!
//! Everything here is pure: values in, bytes out. Writing the bytes to a
//! file is the caller's business. Nothing here ever writes to a file the
//! user opened for inspection.

pub mod catalog;
pub mod damage;
pub mod database;
pub mod header;
pub mod key;
pub mod log_record;
pub mod log_record_space;
pub mod page;
pub mod rebuild;
pub mod record;
pub mod replay_set;
pub mod sample;
pub mod scenario;
pub mod scenario_space;
pub mod schema;
pub mod space;
pub mod tree;
pub mod txlog;
pub mod wide;

use crate::format::PageNumber;

/// Why something could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A page's content is larger than the page.
    #[error("page {pgno} overflows: needs {need} bytes, the page has {have}")]
    PageFull {
        /// The page.
        pgno: PageNumber,
        /// Bytes the content needs, header and tag array included.
        need: usize,
        /// The page size.
        have: usize,
    },
    /// A compressed key does not start with the page's common prefix.
    #[error("node {line}: its key does not start with the page prefix it claims")]
    PrefixMismatch {
        /// Line number of the node.
        line: usize,
    },
    /// A key longer than a node can hold.
    #[error("key of {len} bytes is longer than {most}")]
    KeyTooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        most: usize,
    },
    /// A tree was given fewer pages than it needs.
    #[error("a tree needs {need} pages, {have} were allocated")]
    OutOfPages {
        /// Pages needed.
        need: usize,
        /// Pages given.
        have: usize,
    },
    /// One entry (a record, say) is larger than a page can hold.
    #[error("an entry of {len} bytes does not fit in a page (at most {most})")]
    NodeTooLarge {
        /// The entry's size.
        len: usize,
        /// The most a page holds.
        most: usize,
    },
    /// A value, row or definition the writer cannot encode.
    #[error("table {table}: {reason}")]
    Schema {
        /// Index of the table in the database definition.
        table: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A row the writer cannot encode.
    #[error("table {table}, row {row}: {reason}")]
    Row {
        /// Index of the table in the database definition.
        table: usize,
        /// Index of the row in the table definition.
        row: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A catalog row the writer cannot encode (a name too long, say).
    #[error("catalog: {reason}")]
    Catalog {
        /// What is wrong.
        reason: &'static str,
    },
    /// A page size the writer does not write (2 KiB).
    #[error("{bytes}-byte pages are not written; use 4, 8, 16 or 32 KiB")]
    UnsupportedPageSize {
        /// The page size asked for.
        bytes: u32,
    },
    /// A tree's root was given a tag 0 of another length than planned.
    #[error("root tag 0 of {given} bytes, {planned} were planned")]
    RootHeaderLength {
        /// The length the plan was made for.
        planned: usize,
        /// The length given.
        given: usize,
    },
    /// An existing page could not be decoded for editing.
    #[error("page {pgno}: {source}")]
    Decode {
        /// The page.
        pgno: PageNumber,
        /// What was wrong.
        source: crate::format::FormatError,
    },
    /// More tags than the 12-bit tag count (or 3-bit reserved count) holds.
    #[error("{count} tags do not fit in a page's tag array")]
    TooManyTags {
        /// Tags wanted.
        count: usize,
    },
}
