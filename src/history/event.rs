//! The history's model: an event (one row-level operation with its
//! transaction's outcome and where its row stands now), what to show, and
//! what the history went through. Rendered by [`crate::report::history`],
//! JSON through serde.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::finding::Finding;
use crate::format::value::Value;
use crate::format::Lgpos;

/// What an event did to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// A new record (Insert).
    Insert,
    /// A flag-deleted record's key inserted again (FlagInsert).
    FlagInsert,
    /// The same, with new data (FlagInsertAndReplaceData).
    FlagInsertReplace,
    /// The record's data replaced whole (Replace).
    Replace,
    /// The record's data changed by a diff of its old data (ReplaceD).
    ReplaceDiff,
    /// The record marked deleted (FlagDelete): the logical delete.
    FlagDelete,
    /// The node removed from its page (Delete): the clean-up of a
    /// flag-deleted record, or a delete that kept no version.
    Delete,
    /// A counter in the record changed by a delta (Delta, Delta64).
    Delta,
    /// The compensation of an earlier operation, logged by a rollback (Undo).
    Undo,
}

impl Operation {
    /// The operation in words.
    pub fn word(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::FlagInsert => "flag-insert",
            Self::FlagInsertReplace => "flag-insert+replace",
            Self::Replace => "replace",
            Self::ReplaceDiff => "replace (diff)",
            Self::FlagDelete => "flag-delete",
            Self::Delete => "delete",
            Self::Delta => "delta",
            Self::Undo => "undo",
        }
    }
}

/// How the event's transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Committed (or logged outside a transaction, level 0).
    Committed,
    /// Rolled back by its session.
    RolledBack,
    /// Its transaction was open when the engine restarted or stopped: the
    /// engine rolled it back.
    EndedByRestart,
    /// Its transaction is still open at the end of the log: recovery would roll it back.
    OpenAtEnd,
    /// An Undo record: itself part of a rollback.
    Compensation,
    /// Its transaction had not ended [`super::sessions::MAX_WAITING`] events later:
    /// the event is let go without its outcome, so memory stays bounded.
    Undecided,
}

impl Outcome {
    /// The outcome in words.
    pub fn word(self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::RolledBack => "rolled back",
            Self::EndedByRestart => "rolled back (engine restart)",
            Self::OpenAtEnd => "open at the end of the log",
            Self::Compensation => "rollback compensation",
            Self::Undecided => "not ended within the next 100,000 events",
        }
    }
}

/// Where the event's row stands in the database now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Now {
    /// The database has the key with the values this event left.
    AsLogged,
    /// The database has the key with other values (changed later).
    Changed,
    /// The database does not have the key (deleted later, rolled back, or never flushed).
    Absent,
    /// The key is not known (the page's content before this record is in
    /// neither the logs nor the database).
    Unknown,
}

impl Now {
    /// In words.
    pub fn word(self) -> &'static str {
        match self {
            Self::AsLogged => "in the database as logged",
            Self::Changed => "in the database, changed since",
            Self::Absent => "ABSENT from the database",
            Self::Unknown => "unknown (key not known)",
        }
    }
}

/// A row's values by column name, in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Values(pub Vec<(String, Value)>);

impl Values {
    /// The columns whose value is not NULL, in column order.
    pub fn non_null(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().filter(|(_, v)| !v.is_null()).map(|(n, v)| (n.as_str(), v))
    }

    /// The value of column `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Event {
    /// The row the event shows: after the operation, else before it.
    pub fn row(&self) -> Option<&Values> {
        self.values.as_ref().or(self.before.as_ref())
    }

    /// The first non-NULL column of that row, to name the row in one line.
    pub fn first_value(&self) -> Option<(&str, &Value)> {
        self.row().and_then(|v| v.non_null().next())
    }
}

impl Serialize for Values {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One row-level operation.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Where it is in the log.
    pub lgpos: Lgpos,
    /// The log file of its generation.
    pub file: String,
    /// That generation's creation time.
    pub created: String,
    /// The session that logged it.
    pub procid: u16,
    /// Its transaction (`trxBegin0`).
    pub trx: u32,
    /// The transaction level it happened at.
    pub level: u8,
    /// How its transaction ended.
    pub outcome: Outcome,
    /// What it did.
    pub operation: Operation,
    /// The table.
    pub table: String,
    /// The tree's object id.
    pub objid: u32,
    /// The page and line it changed.
    pub pgno: u32,
    /// Its line on the page.
    pub iline: u16,
    /// The record's key in the tree (normalised key bytes, hex), when known.
    pub key: Option<String>,
    /// The row after the operation, when known.
    pub values: Option<Values>,
    /// The row before it, when known.
    pub before: Option<Values>,
    /// Columns whose value changed, when both images are known.
    pub changed: Vec<String>,
    /// Where the row stands in the database now.
    pub now: Now,
    /// Values that could not be decoded, and why.
    pub errors: Vec<String>,
    /// Why some of the above is not known.
    pub note: Option<String>,
}

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One table (case-insensitive name), or every table.
    pub table: Option<String>,
    /// First position.
    pub from: Option<Lgpos>,
    /// Last position.
    pub to: Option<Lgpos>,
}

/// What the history went through.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Generations read.
    pub generations: Vec<i32>,
    /// Events shown, by operation.
    pub events: usize,
    /// Inserts among them.
    pub inserts: usize,
    /// Events whose row is absent from the database now.
    pub absent: usize,
    /// Events whose key is not known.
    pub unknown_key: usize,
    /// Events rolled back (by the session or a restart) or open at the end.
    pub not_committed: usize,
    /// Operations on long-value trees, secondary indexes and space trees (not shown as rows).
    pub tree_operations: usize,
    /// Node records of trees the catalog does not name.
    pub unknown_trees: usize,
    /// Values that could not be decoded.
    pub decoding_errors: usize,
    /// Where the history ends early, and why.
    pub findings: Vec<Finding>,
    /// True when stopped by the progress callback.
    pub cancelled: bool,
    /// True when the log held more long-value bytes than are kept.
    pub long_values_dropped: bool,
}
