//! What recovery does with each record type (spec 6.8): ignore it, track
//! sessions with it, follow database attachments with it, or redo it on a
//! page with the dbtime rule. Types outside these groups are unsupported:
//! meeting one stops recovery before anything is written.

use serde::Serialize;

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

/// How recovery treats records of type `t`.
pub fn handling(t: RecordType) -> Handling {
    match t.0 {
        // NOP, MS, End, JetOp, Trace, ShutDownMark, backups, Checksum,
        // ExtRestore*, ForceWriteLog, ForceLogRollover, the ignorable
        // records (MacroInfo, CommitCtx, ScanCheck, NOP2, ReAttach,
        // MacroInfo2, FreeFDP, Ignored*), SignalAttachDb, ScanCheck2,
        // PagePatchRequest, SetDbVersion
        0 | 3 | 4 | 19..=23 | 42 | 45 | 46 | 57 | 59..=61 | 66 | 67 | 69..=75 | 82..=92 | 97 | 98 => {
            Handling::Ignored
        }
        // Init, Term, Begin, Commit, Rollback, Begin0, Commit0, Refresh,
        // Macro*, RecoveryUndo/Quit (both forms), BeginDT, RcvQKA
        1 | 2 | 5..=13 | 17 | 18 | 49..=53 | 80 => Handling::Session,
        // CreateDB, AttachDB, DetachDB, ExtendDB, CreateDBFinish
        14..=16 | 68 | 79 => Handling::Database,
        // FDP creation, node records, SetExternalHeader, UndoInfo, Undo,
        // ConvertFDP2, Split2, Merge2, Delta64, NewPage
        24 | 25 | 29..=39 | 58 | 62 | 63 | 93 | 95 => Handling::Page,
        _ => Handling::Unsupported,
    }
}

/// True when recovery can redo a page record of type `t` on a page that
/// needs it (see [`crate::recovery::redo`]). Page records of other types
/// are supported only while every page they touch is already current.
pub fn redo_implemented(t: RecordType) -> bool {
    crate::recovery::redo::implements(t)
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
        // ShrinkDB, TrimDB, EmptyTree, PageMove, RootPageMove, Scrub, the
        // obsolete Split/Merge/ConvertFDP: not handled
        for t in [78, 81, 94, 99, 100, 101, 48, 65, 96, 64, 26, 27, 28, 54, 55] {
            assert_eq!(handling(RecordType(t)), Handling::Unsupported, "{t}");
        }
    }
}
