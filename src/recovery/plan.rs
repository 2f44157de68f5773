//! The replay plan: every record from the start position to the end of the
//! log, with each page record tested against the database by the dbtime
//! rule (spec 6.4) and given a decision — apply, skip, or stop — and the
//! reason. Sessions, transactions and macros are followed (6.3) so the
//! plan also knows which transactions are left open for undo (6.7).
//!
//! This module holds the plan's model; [`super::planner`] walks the log to
//! fill it. Planning only reads. [`crate::recovery::recover`] carries a plan out.

use serde::Serialize;
use smallvec::SmallVec;

use super::pages::Touch;
use super::support::{Family, Handling};
use crate::format::txlog::record::RecordType;
use crate::format::Lgpos;

/// What the dbtime rule says about one page of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DbtimeVerdict {
    /// The page's dbtime is at or past the record's dbtimeAfter: already done.
    Current,
    /// The page is older and at the record's dbtimeBefore (or the record
    /// creates the page): the change must be redone.
    NeedsRedo,
    /// The page is older than dbtimeBefore: an earlier flush was lost (-566 JET_errDbTimeTooOld).
    TooOld,
    /// The page is between dbtimeBefore and dbtimeAfter (-567 JET_errDbTimeTooNew).
    TooNew,
    /// The page is past the end of the file and the record does not create it.
    BeyondEnd,
    /// The page fails its checksum, so its dbtime is unknown, and the record
    /// does not make it anew.
    Damaged,
}

impl DbtimeVerdict {
    /// The verdict in ESE's words; `new` when the record makes the page
    /// (no dbtime before).
    pub fn describe(self, new: bool) -> &'static str {
        match self {
            Self::Current => "page already has this change",
            Self::NeedsRedo if new => "new page",
            Self::NeedsRedo => "page is older than this record",
            Self::TooOld => "page is older than the record's dbtime before: a change before it is missing (-566 JET_errDbTimeTooOld)",
            Self::TooNew => "page is between the record's dbtime before and after (-567 JET_errDbTimeTooNew)",
            Self::BeyondEnd => "page is past the end of the file and the record does not make it",
            Self::Damaged => "page fails its checksum, so its dbtime is unknown, and the record does not make it anew",
        }
    }
}

/// One page of a planned record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageCheck {
    /// The page and what the record says about it.
    #[serde(flatten)]
    pub touch: Touch,
    /// The page's dbtime when the record is reached (after the records
    /// planned before it); `None` past the end of the file.
    pub page_dbtime: Option<u64>,
    /// The verdict.
    pub verdict: DbtimeVerdict,
}

/// What recovery does with a page record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Redo it.
    Apply,
    /// Leave the page as it is.
    Skip,
    /// Recovery cannot go on safely at this record.
    Stop,
}

/// Why a page record got its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Dbtime rule: every page it touches already has dbtime >= its dbtimeAfter.
    DbtimeCurrent,
    /// Dbtime rule: a page is older and at the record's dbtimeBefore.
    DbtimeOlder,
    /// UndoInfo never changes a page.
    NeverModifiesPage,
    /// The record is for another database of the instance.
    OtherDatabase,
    /// The record is before the database's lgposAttach (an earlier life of the file).
    BeforeAttach,
    /// The session's transaction began before the start position (spec 6.3),
    /// so the checkpoint promises the change is on disk, yet the page lacks it.
    SessionNotBegun,
    /// A page's dbtime does not fit the record (too old or too new).
    DbtimeMismatch,
    /// A page is past the end of the file.
    PageBeyondEnd,
    /// A page fails its checksum: its dbtime is unknown.
    PageDamaged,
    /// A page is past the last page the database can have.
    PageOutsideDatabase,
    /// Redone in the dry run, the record does not fit its pages (see the entry's detail).
    RedoFails,
    /// The record would have to be redone, and its redo is not implemented.
    RedoNotImplemented,
    /// The operation of a structural change (a split): redone with its macro.
    MacroPart,
}

impl Reason {
    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::DbtimeCurrent => {
                "every page already has this change (dbtime at or past the record's dbtime after)"
            }
            Self::DbtimeOlder => "redo: a page is older than this record (at its dbtime before) or new",
            Self::NeverModifiesPage => "UndoInfo never changes a page",
            Self::OtherDatabase => "record for another database",
            Self::BeforeAttach => "before the database's lgposAttach",
            Self::SessionNotBegun => {
                "page lacks a change of a transaction begun before the start (start earlier: --from oldest)"
            }
            Self::DbtimeMismatch => "a page's dbtime fits neither the record's dbtime before nor after",
            Self::PageBeyondEnd => "page past the end of the file",
            Self::PageOutsideDatabase => "a page is past the last page the database can have (its file and the ExtendDB records so far, within the output size limit)",
            Self::RedoFails => "redone in the dry run, the record does not fit its pages",
            Self::PageDamaged => "a page fails its checksum: its dbtime is unknown (it never supplies facts), and the record does not make it anew",
            Self::RedoNotImplemented => "redo of this record type is not implemented",
            Self::MacroPart => "the operation of a split, redone with its macro",
        }
    }
}

/// One page record of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    /// Where it is.
    pub lgpos: Lgpos,
    /// Its type (`Insert`, `Split2`…).
    pub record_type: RecordType,
    /// Its type's name.
    pub name: &'static str,
    /// Session.
    pub procid: u16,
    /// Database.
    pub dbid: u8,
    /// dbtimeAfter.
    pub dbtime_after: u64,
    /// The macro it is part of (its dbtime), if any.
    pub macro_dbtime: Option<u64>,
    /// Every page it touches, with the dbtime rule's verdict (one without
    /// an allocation: most records touch one page).
    pub pages: SmallVec<[PageCheck; 1]>,
    /// Apply, skip or stop.
    pub decision: Decision,
    /// Why.
    pub reason: Reason,
    /// What the dry run of its redo found wrong, when it stops there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Box<str>>,
}

/// How often a record type occurs in the replayed range, and what happens to it.
#[derive(Debug, Clone, Serialize)]
pub struct TypeCount {
    /// The type.
    pub record_type: RecordType,
    /// Its name.
    pub name: &'static str,
    /// How recovery treats it.
    pub handling: Handling,
    /// For page records: the family of its redo function; `None` when its redo is not implemented.
    pub redo: Option<Family>,
    /// Records in range.
    pub count: usize,
    /// Page records to apply.
    pub apply: usize,
    /// Page records skipped.
    pub skip: usize,
    /// Page records at which recovery must stop.
    pub stop: usize,
}

/// A record type met in range that recovery cannot handle.
#[derive(Debug, Clone, Serialize)]
pub struct Unsupported {
    /// The type's name.
    pub name: &'static str,
    /// Its code.
    pub record_type: RecordType,
    /// The first one met.
    pub first: Lgpos,
    /// Why it is a problem.
    pub why: &'static str,
}

/// An operation of a transaction left open at the end of the log.
#[derive(Debug, Clone, Serialize)]
pub struct OpenOperation {
    /// Where it was logged.
    pub lgpos: Lgpos,
    /// Its type's name.
    pub name: &'static str,
    /// Transaction level it happened at.
    pub level: u8,
    /// Its page.
    pub pgno: u32,
    /// Its line in the page.
    pub iline: u16,
}

/// A transaction still open at the end of the log: undo must roll it back.
#[derive(Debug, Clone, Serialize)]
pub struct OpenTransaction {
    /// Session.
    pub procid: u16,
    /// `trxBegin0`.
    pub trx_begin0: Option<u32>,
    /// Level at the end of the log.
    pub level: u8,
    /// Where its level-0 begin is.
    pub begin: Lgpos,
    /// Its logged operations on this database, oldest first.
    pub operations: Vec<OpenOperation>,
}

/// An ExtendDB record past the output size limit.
#[derive(Debug, Clone, Serialize)]
pub struct SizeRefusal {
    /// Where it is.
    pub lgpos: Lgpos,
    /// Its type's name.
    pub name: &'static str,
    /// The last page it asks for.
    pub pgno_last: u32,
    /// The last page the limit allows.
    pub limit: u32,
}

/// Bounds on what recovery may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest output file, in bytes.
    pub max_output_bytes: u64,
}

impl Limits {
    /// The default output size limit: 64 GiB.
    pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 64 << 30;
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_output_bytes: Self::DEFAULT_MAX_OUTPUT_BYTES }
    }
}

/// Where planning starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Where recovery starts (checkpoint, database's required generations).
    Recovery,
    /// The first record of the oldest generation in the chain.
    Oldest,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The database planned against.
    pub database: String,
    /// Its dbid in the log when the plan starts, if known.
    pub dbid: Option<u8>,
    /// First position replayed.
    pub start: Lgpos,
    /// Why there.
    pub start_reason: String,
    /// End of the log's valid data.
    pub end: Lgpos,
    /// Generations read.
    pub generations: (i32, i32),
    /// The page records in range: every one up to [`Plan::ENTRIES_KEPT`],
    /// then only those that stop recovery, up to twice as many in all
    /// (`entries_left_out` counts the rest).
    pub entries: Vec<PlanEntry>,
    /// Page records in range, all of them.
    pub page_records: usize,
    /// Page records by decision, all of them.
    pub decisions: DecisionCounts,
    /// Page records in range not listed in `entries` (past the first
    /// [`Plan::ENTRIES_KEPT`], and not a stop listed after them).
    pub entries_left_out: usize,
    /// Every record type met, by type.
    pub types: Vec<TypeCount>,
    /// Types met that stop recovery.
    pub unsupported: Vec<Unsupported>,
    /// Transactions open at the end of the log.
    pub open_transactions: Vec<OpenTransaction>,
    /// Transactions rolled back because the engine restarted (Init) while they were open.
    pub ended_by_restart: usize,
    /// Highest dbtime met in the records of this database.
    pub max_dbtime: u64,
    /// Highest objidFDP met in the records of this database.
    pub max_objid: u32,
    /// The last page the database has at the end of the log, when an
    /// ExtendDB or ShrinkDB record of this database set it (the last one met).
    pub pgno_last: Option<u32>,
    /// The last page the output may have (the output size limit).
    pub page_limit: u32,
    /// An ExtendDB record that would make the output larger than the limit.
    pub size_refusal: Option<SizeRefusal>,
    /// What the dry run of undo found wrong, when it cannot roll the open transactions back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_problem: Option<String>,
    /// True when the position the database reached (its last record) is a clean end (Term, RecoveryQuit).
    pub ends_cleanly: bool,
    /// True when stopped by the progress callback.
    pub cancelled: bool,
}

/// Page records by decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    /// Redone.
    pub apply: usize,
    /// Left as they are.
    pub skip: usize,
    /// Where recovery cannot go on.
    pub stop: usize,
}

impl Plan {
    /// How many page records a plan lists one by one before it lists only
    /// those that stop recovery: the plan of a long log set stays bounded.
    pub const ENTRIES_KEPT: usize = 20_000;

    /// A plan of `database` from `start` (and why there) to `end` with no
    /// record planned yet; `page_limit` is the last page the output may have.
    pub fn new(
        database: String,
        dbid: Option<u8>,
        start: (Lgpos, String),
        end: Lgpos,
        page_limit: u32,
    ) -> Self {
        let (start, start_reason) = start;
        Self {
            database,
            dbid,
            start,
            start_reason,
            end,
            generations: (start.generation, end.generation),
            entries: Vec::new(),
            page_records: 0,
            decisions: DecisionCounts::default(),
            entries_left_out: 0,
            types: Vec::new(),
            unsupported: Vec::new(),
            open_transactions: Vec::new(),
            ended_by_restart: 0,
            max_dbtime: 0,
            max_objid: 0,
            pgno_last: None,
            page_limit,
            size_refusal: None,
            undo_problem: None,
            ends_cleanly: false,
            cancelled: false,
        }
    }

    /// Adds a planned page record: counted, and listed while the list is
    /// short or when it stops recovery.
    pub fn record(&mut self, entry: PlanEntry) {
        self.page_records += 1;
        match entry.decision {
            Decision::Apply => self.decisions.apply += 1,
            Decision::Skip => self.decisions.skip += 1,
            Decision::Stop => self.decisions.stop += 1,
        }
        // stops are listed past the first entries too, up to as many again (a hostile log may hold millions)
        let listed = self.entries.len();
        let stop = entry.decision == Decision::Stop && listed < 2 * Self::ENTRIES_KEPT;
        if listed < Self::ENTRIES_KEPT || stop {
            self.entries.push(entry);
        } else {
            self.entries_left_out += 1;
        }
    }

    /// Page records by decision: (apply, skip, stop).
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.decisions.apply, self.decisions.skip, self.decisions.stop)
    }

    /// True when recovery would refuse: no record attaches the database, a
    /// page record to stop at, a record type it cannot handle, an output
    /// past the size limit, or an undo it cannot do.
    pub fn refuses(&self) -> bool {
        self.dbid.is_none()
            || self.counts().2 > 0
            || !self.unsupported.is_empty()
            || self.size_refusal.is_some()
            || self.undo_problem.is_some()
    }

    /// The first record at which recovery must stop, if any.
    pub fn first_stop(&self) -> Option<&PlanEntry> {
        self.entries.iter().find(|e| e.decision == Decision::Stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u16, decision: Decision) -> PlanEntry {
        PlanEntry {
            lgpos: Lgpos { generation: 1, isec: i, ib: 0 },
            record_type: RecordType(29),
            name: "Insert",
            procid: 1,
            dbid: 1,
            dbtime_after: u64::from(i),
            macro_dbtime: None,
            pages: SmallVec::new(),
            decision,
            reason: Reason::DbtimeCurrent,
            detail: None,
        }
    }

    #[test]
    fn a_long_plan_lists_its_first_entries_and_its_stops_and_counts_them_all() {
        let mut plan =
            Plan::new(String::new(), Some(1), (Lgpos::default(), String::new()), Lgpos::default(), 0);
        let n = Plan::ENTRIES_KEPT + 5;
        for i in 0..n {
            plan.record(entry((i % 60_000) as u16, Decision::Skip));
        }
        plan.record(entry(7, Decision::Stop));
        plan.record(entry(8, Decision::Apply));
        assert_eq!(plan.page_records, n + 2);
        assert_eq!(plan.counts(), (1, n, 1));
        assert_eq!(plan.entries.len(), Plan::ENTRIES_KEPT + 1, "the first entries and the stop");
        assert_eq!(plan.entries_left_out, 6);
        assert_eq!(plan.first_stop().map(|e| e.lgpos.isec), Some(7));
    }
}
