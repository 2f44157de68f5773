//! The one output model shared by every front end: findings with severity
//! and location, and the documents commands produce (header comparisons,
//! page dumps, verify summaries). Renderers turn these into text or JSON;
//! the CLI prints them and the TUI copies the same text.

pub mod clipboard;
pub mod compare;
pub mod finding;
pub mod header;
pub mod hexdump;
pub mod incident;
pub mod markdown;
pub mod markdown_json;
pub mod page;
pub mod record;
pub mod recovery;
pub mod salvage;
pub mod txlog;
pub mod verify;

pub use finding::{Finding, Location, Severity};
