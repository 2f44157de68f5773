//! The one table of record types (spec 6.8): for each, what recovery does
//! with it (ignore it, track sessions with it, follow database attachments
//! with it, or redo it on a page with the dbtime rule) and, for page
//! records, the function that redoes it and its family. Types outside
//! these groups are unsupported: meeting one stops recovery before anything
//! is written.

use serde::Serialize;

use super::redo::{self, RedoFn};
use crate::format::txlog::record::RecordType;

/// How recovery treats a record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// Filler, diagnostics and bookkeeping that never change a page.
    Ignored,
    /// Transaction, macro and instance boundaries (Begin, Commit, Init, Term…).
    Session,
    /// Database attachment and size (AttachDB, DetachDB, ExtendDB…).
    Database,
    /// A page record, tested with the dbtime rule and redone when needed.
    Page,
    /// Not handled: recovery stops when it meets one.
    Unsupported,
}

impl Handling {
    /// The handling in words, for the plan's table of record types.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Ignored => "ignored",
            Self::Session => "session",
            Self::Database => "database",
            Self::Page => "page",
            Self::Unsupported => "unsupported",
        }
    }
}

/// The family of a redo function (one file of [`crate::recovery::redo`] each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Node operations on one page, and NewPage.
    Node,
    /// Splits and merges.
    Structure,
    /// FDP creation and conversion (space trees).
    Space,
    /// A page's content moved to another page.
    PageMove,
}

impl Family {
    /// The family in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Node => "node operation",
            Self::Structure => "split or merge",
            Self::Space => "FDP and space",
            Self::PageMove => "page move",
        }
    }
}

/// How a page record type is redone.
#[derive(Clone, Copy)]
pub struct Redo {
    /// Its family.
    pub family: Family,
    /// The function.
    pub function: RedoFn,
}

impl std::fmt::Debug for Redo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redo").field("family", &self.family).finish_non_exhaustive()
    }
}

/// What recovery does with one record type.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// How the planner treats it.
    pub handling: Handling,
    /// For a page record: how it is redone; `None` when its redo is not
    /// implemented (then the plan stops where one of its pages needs redo).
    pub redo: Option<Redo>,
}

const fn with(handling: Handling) -> Kind {
    Kind { handling, redo: None }
}

const fn page(family: Family, function: RedoFn) -> Kind {
    Kind { handling: Handling::Page, redo: Some(Redo { family, function }) }
}

/// The table of record types: what recovery does with records of type `t`
/// and which function redoes them. The planner, the redo loop and the
/// plan's "record types met" all read it (several times a record: one
/// load from the table [`kind_of`] fills at compile time).
pub fn kind(t: RecordType) -> Kind {
    KINDS[usize::from(t.0)]
}

/// [`kind_of`] of every type byte.
static KINDS: [Kind; 256] = {
    let mut table = [with(Handling::Unsupported); 256];
    let mut t = 0;
    while t < 256 {
        table[t] = kind_of(t as u8);
        t += 1;
    }
    table
};

/// The table of record types itself, by type byte.
const fn kind_of(t: u8) -> Kind {
    use Family::{Node, PageMove, Space, Structure};
    match t {
        // NOP, MS, End, JetOp, Trace, ShutDownMark, backups, Checksum,
        // ExtRestore*, ForceWriteLog, ForceLogRollover, the ignorable
        // records (MacroInfo, CommitCtx, ScanCheck, NOP2, ReAttach,
        // MacroInfo2, FreeFDP, Ignored*), SignalAttachDb, ScanCheck2,
        // PagePatchRequest, SetDbVersion
        0 | 3 | 4 | 19..=23 | 42 | 45 | 46 | 57 | 59..=61 | 66 | 67 | 69..=75 | 82..=92 | 97 | 98 => {
            with(Handling::Ignored)
        }
        // ExtentFreed, ExtentFreed2: logged when a whole space tree is
        // deleted; the engine's redo (logredo.cxx, ErrLGRIRedoExtentFreed)
        // changes no page, it only keeps the freed pages' before images for
        // a revert snapshot when one is on, which a new file never has
        100 | 101 => with(Handling::Ignored),
        // Init, Term, Begin, Commit, Rollback, Begin0, Commit0, Refresh,
        // Macro*, RecoveryUndo/Quit (both forms), BeginDT, RcvQKA
        1 | 2 | 5..=13 | 17 | 18 | 49..=53 | 80 => with(Handling::Session),
        // CreateDB, AttachDB, DetachDB, ExtendDB, CreateDBFinish, ShrinkDB (three forms):
        // the planner follows attachments and the file's last page with them
        14..=16 | 68 | 78 | 79 | 94 | 99 => with(Handling::Database),
        // CreateMultipleExtentFDP, CreateSingleExtentFDP, ConvertFDP2
        24 | 25 | 58 => page(Space, redo::space::redo),
        // Insert, FlagInsert, FlagInsertAndReplaceData, FlagDelete,
        // Replace, ReplaceD, Delete, Delta, SetExternalHeader, Delta64
        29..=35 | 37 | 38 | 93 => page(Node, redo::node::redo),
        95 => page(Node, redo::node::new_page),
        62 => page(Structure, redo::structure::split),
        63 => page(Structure, redo::structure::merge),
        48 => page(Structure, redo::structure::empty_tree),
        65 => page(PageMove, redo::page_move::redo),
        39 => page(Node, redo::node::undo),
        // UndoInfo never changes a page (its before image feeds Undo and undo)
        36 => with(Handling::Page),
        _ => with(Handling::Unsupported),
    }
}

/// Why a record type of [`Handling::Unsupported`] stops recovery.
pub fn why_unsupported(t: RecordType) -> &'static str {
    match t.0 {
        // logredo.cxx: ErrLGRIRedoOperation refuses them with JET_errBadLogVersion
        26..=28 => "an obsolete record type the engine's own recovery refuses (-514 JET_errBadLogVersion)",
        40 | 41 | 43 | 44 | 47 | 56 => "an obsolete record type that no current engine writes",
        _ => "recovery does not handle this record type",
    }
}

/// How recovery treats records of type `t`.
pub fn handling(t: RecordType) -> Handling {
    kind(t).handling
}

/// True when recovery can redo a page record of type `t` on a page that
/// needs it. Page records of other types are supported only while every
/// page they touch is already current.
pub fn redo_implemented(t: RecordType) -> bool {
    kind(t).redo.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_handling() {
        assert_eq!(handling(RecordType(29)), Handling::Page);
        assert_eq!(handling(RecordType(8)), Handling::Session);
        assert_eq!(handling(RecordType(15)), Handling::Database);
        assert_eq!(handling(RecordType(71)), Handling::Ignored);
        assert_eq!(handling(RecordType(100)), Handling::Ignored, "ExtentFreed changes no page");
        assert_eq!(handling(RecordType(101)), Handling::Ignored, "ExtentFreed2 changes no page");
        // TrimDB, RootPageMove, Scrub, the
        // obsolete Split/Merge/ConvertFDP: not handled
        for t in [81, 96, 64, 26, 27, 28, 54, 55] {
            assert_eq!(handling(RecordType(t)), Handling::Unsupported, "{t}");
        }
    }
}
