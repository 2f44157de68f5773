//! A finding: one thing worth telling the user about a file, with how bad
//! it is and exactly where it is. The vocabulary every layer reports in, at
//! the bottom of the crate: `store`, `scan` and `txlog` produce findings,
//! [`crate::report`] renders them (and re-exports these names).

use core::fmt;
use serde::Serialize;

use crate::format::{Lgpos, PageNumber};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Unusual, possibly harmless (a stale shadow header, a dirty state).
    Warning,
    /// Damage: data cannot be trusted or read as it is.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// Where a finding is. Byte offsets are from the start of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// The file as a whole.
    File,
    /// A database header copy: 0 = primary (offset 0), 1 = shadow.
    Header {
        /// Which copy.
        copy: u8,
        /// File offset of the field or copy.
        file_offset: u64,
    },
    /// A database page.
    Page {
        /// Page number.
        pgno: PageNumber,
        /// File offset of the page.
        file_offset: u64,
    },
    /// One bit of a database page.
    Bit {
        /// Page number.
        pgno: PageNumber,
        /// File offset of the byte.
        file_offset: u64,
        /// Offset of the byte inside the page.
        page_offset: usize,
        /// Bit inside the byte, 0 = least significant.
        bit: u8,
    },
    /// A tag (node) of a page.
    Tag {
        /// Page number.
        pgno: PageNumber,
        /// Tag index (0 = external header).
        index: u16,
    },
    /// A transaction log file or a position in one.
    Log {
        /// Generation of the log file.
        generation: i32,
        /// Position inside the log stream, when known.
        lgpos: Option<Lgpos>,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File => f.write_str("file"),
            Self::Header { copy, file_offset } => {
                let which = if *copy == 0 { "primary header" } else { "shadow header" };
                write!(f, "{which} (offset {file_offset:#x})")
            }
            Self::Page { pgno, file_offset } => write!(f, "page {pgno} (offset {file_offset:#x})"),
            Self::Bit { pgno, file_offset, page_offset, bit } => {
                write!(f, "page {pgno} byte {page_offset:#x} bit {bit} (file offset {file_offset:#x})")
            }
            Self::Tag { pgno, index } => write!(f, "page {pgno} tag {index}"),
            Self::Log { generation, lgpos: Some(lgpos) } => {
                write!(f, "log generation {generation:#x} at {lgpos}")
            }
            Self::Log { generation, lgpos: None } => write!(f, "log generation {generation:#x}"),
        }
    }
}

/// One thing found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// What was found, in one lowercase sentence without a trailing period.
    pub message: String,
}

impl Finding {
    /// A finding of the given severity.
    pub fn new(severity: Severity, location: Location, message: impl Into<String>) -> Self {
        Self { severity, location, message: message.into() }
    }

    /// An error finding.
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, location, message)
    }

    /// A warning finding.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, location, message)
    }

    /// An informational finding.
    pub fn info(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, location, message)
    }
}

impl fmt::Display for Finding {
    /// `severity: location: message`; a finding about the file as a whole
    /// names no location (the message says which file or set it is about).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            // the message can name tables and columns of the evidence
            Location::File => write!(f, "{}: {}", self.severity, crate::sanitize::Visible(&self.message)),
            _ => {
                write!(f, "{}: {}: {}", self.severity, self.location, crate::sanitize::Visible(&self.message))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_about_the_whole_file_has_no_placeholder_label() {
        let finding = Finding::error(Location::File, "replay needs generations 0x1 to 0x3");
        assert_eq!(finding.to_string(), "error: replay needs generations 0x1 to 0x3");
        let finding = Finding::info(Location::Log { generation: 2, lgpos: None }, "gone");
        assert_eq!(finding.to_string(), "info: log generation 0x2: gone");
    }
}
