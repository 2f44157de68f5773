//! The one output model shared by every front end: the documents commands
//! produce (header comparisons, page dumps, verify summaries) and the
//! rendering of findings ([`crate::finding`], re-exported here). Renderers turn these into text or JSON;
//! the CLI prints them and the TUI copies the same text.

pub mod clipboard;
pub mod compare;
pub mod flipped;
pub mod header;
pub mod hexdump;
pub mod history;
pub mod incident;
pub mod markdown;
pub mod markdown_json;
pub mod page;
pub mod page_slack;
pub mod record;
pub mod recovery;
pub mod salvage;
pub mod txlog;
pub mod verify;

// The vocabulary every layer reports in lives at the bottom of the crate
// (`crate::finding`); these names stay here for the renderers and front ends.
pub use crate::finding::{self, Finding, Location, Severity};
