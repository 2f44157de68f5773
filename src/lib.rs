//! esescope: an inspector for Microsoft Extensible Storage Engine (ESE,
//! "JET Blue") databases, transaction logs and checkpoint files.
//!
//! Architecture, in the direction dependencies point:
//!
//! - [`finding`]: `Finding` (severity, location, message) and `Location`,
//!   the vocabulary every layer reports in: `store`, `scan` and `txlog`
//!   produce findings, `report` renders them; no lower layer imports `report`.
//! - [`format`]: pure decoding of on-disk structures from byte slices
//!   (headers, pages, tags, checksums, nodes, records and values, space
//!   headers, compression, log files, checkpoints). No I/O.
//! - [`store`]: opens a file read-only, maps it, elects the header copy and
//!   page size, and hands out pages; walks trees across pages, reads the
//!   catalog, a table's rows and its long values. Owns the crate's only
//!   `unsafe` (the mmap).
//! - [`scan`]: long-running checks over a whole database, as plain functions
//!   with a progress callback.
//! - [`txlog`], [`repair`], [`recovery`]: log sets and their chain; repair
//!   and log replay into a new file, as plain functions with a progress callback.
//! - [`report`]: the one output model (page dumps, header comparisons,
//!   findings rendered) with text and JSON renderers, shared by every front end.
//! - [`worker`]: moves those jobs to a thread, with progress and cancel.
//! - [`cli`]: the command-line front end; each subcommand writes to any
//!   `io::Write`, so tests capture output without a subprocess.
//! - [`tui`]: the inspector: keys become actions, `App::update` changes
//!   state and returns effects, views draw from the state.
//! - [`sanitize`]: strings from the evidence made safe for a terminal and
//!   for Markdown (control characters shown visibly), used by every renderer.
//! - [`writer`]: esescope's own ESE writer (pages, headers, whole sample
//!   databases); pure, bytes out.
//!
//! Nothing in this crate writes to a file the user opened.

pub mod cli;
pub mod error;
pub mod finding;
pub mod format;
pub mod history;
pub mod interrupt;
pub mod recovery;
pub mod repair;
pub mod report;
pub mod salvage;
pub mod sanitize;
pub mod scan;
pub mod store;
pub mod tui;
pub mod txlog;
pub mod worker;
pub mod writer;

pub use error::Error;
