//! The walk that fills a [`Plan`]: sessions, transactions, macros and
//! attachments followed record by record (spec 6.2, 6.3), each page record
//! tested with the dbtime rule (6.4) against the page as the plan has it so
//! far (the database's page, or the dbtime an earlier planned redo gives it).

use smallvec::SmallVec;

mod dbtimes;

use super::pages::{dbtime_after, touches, Touch};
use super::plan::{
    DbtimeVerdict, Decision, Limits, OpenOperation, OpenTransaction, PageCheck, Plan, PlanEntry, Reason,
    SizeRefusal, TypeCount, Unsupported,
};
use super::support::{kind, Handling};
use crate::format::page::PageHeader;
use crate::format::txlog::record::{Details, Record};
use crate::format::types::le_u32;
use crate::format::verdict::check_page;
use crate::format::{Lgpos, PageNumber, Signature};
use crate::store::Database;

#[derive(Debug, Default)]
struct Session {
    level: u8,
    begun: bool,
    trx: Option<u32>,
    begin: Lgpos,
    macro_dbtime: Option<u64>,
    ops: Vec<OpenOperation>,
}

/// What a record was to the walk, for the redo that follows it.
pub(crate) enum Stepped {
    /// A page record, planned ([`Planner::opened`] says whether it opened
    /// a versioned operation). 128 bytes: copied without a call to memcpy.
    Page(PlanEntry),
    /// A commit or rollback of session `procid`; `ended` when to level 0.
    Transaction {
        /// The session.
        procid: u16,
        /// True when its transaction ended.
        ended: bool,
    },
    /// A MacroCommit or MacroAbort.
    MacroEnd,
    /// The instance restarted or ended: every session ended.
    Restart,
    /// Anything else.
    Other,
}

/// The planner's walk state.
pub(crate) struct Planner<'a> {
    db: &'a Database,
    sign_db: Signature,
    lgpos_attach: Lgpos,
    dbid: Option<u8>,
    dbtimes: dbtimes::Dbtimes,
    /// Pages that fail their checksum (until a planned redo makes them anew):
    /// their dbtime is unknown.
    damaged: std::collections::HashSet<u32>,
    /// Pages a planned redo inside a macro brought to that macro's dbtime.
    macro_pages: std::collections::HashSet<(u64, u32)>,
    /// By procid (in procid order only when finished: [`Self::finish`]).
    sessions: foldhash::HashMap<u16, Session>,
    /// The versioned operations of every open transaction (the sessions' `ops`).
    open_ops: foldhash::HashSet<Lgpos>,
    /// The last page the output may have (its size limit).
    limit_last: u32,
    /// The last page the database has so far (its file, then its ExtendDB
    /// records), when the replayed range logs ExtendDB at all (older engines did not).
    allowed_last: Option<u32>,
    pub(crate) plan: Plan,
    /// The record types met, by type byte.
    types: Vec<Option<TypeCount>>,
    /// The last page record opened a versioned operation ([`Self::opened`]).
    opened: bool,
}

impl<'a> Planner<'a> {
    pub(crate) fn new(
        db: &'a Database,
        start: Lgpos,
        start_reason: String,
        end: Lgpos,
        dbid: Option<u8>,
        limits: Limits,
    ) -> Self {
        let size = u64::from(db.page_size().bytes());
        let limit_last =
            u32::try_from((limits.max_output_bytes / size).saturating_sub(2)).unwrap_or(u32::MAX);
        let (sign_db, lgpos_attach) =
            db.header().map_or((Signature([0; 28]), Lgpos::default()), |h| (h.sign_db, h.lgpos_attach));
        Self {
            db,
            sign_db,
            lgpos_attach,
            dbid,
            dbtimes: dbtimes::Dbtimes::new(db.page_count()),
            damaged: std::collections::HashSet::new(),
            macro_pages: std::collections::HashSet::new(),
            sessions: foldhash::HashMap::default(),
            open_ops: foldhash::HashSet::default(),
            limit_last,
            allowed_last: None,
            plan: Plan::new(db.path().display().to_string(), dbid, (start, start_reason), end, limit_last),
            types: vec![None; 256],
            opened: false,
        }
    }

    /// The page's dbtime as the plan has it so far; `None` past the end of
    /// the file and for a page that fails its checksum (which never supplies
    /// its dbtime: it is noted in `damaged`).
    fn page_dbtime(&mut self, pgno: u32) -> Option<u64> {
        if let Some(known) = self.dbtimes.get(pgno) {
            return known;
        }
        let size = self.db.page_size();
        let value = match self.db.page_bytes(PageNumber(pgno)) {
            Err(_) => None,
            Ok(bytes) if check_page(bytes, PageNumber(pgno), size).verdict.is_damaged() => {
                self.damaged.insert(pgno);
                None
            }
            Ok(bytes) => Some(PageHeader::parse(bytes, size).map_or(0, |h| h.dbtime_dirtied.0)),
        };
        self.dbtimes.insert(pgno, value);
        value
    }

    fn note_type(&mut self, record: &Record, decision: Option<Decision>) {
        let t = record.record_type;
        let Some(slot) = self.types.get_mut(usize::from(t.0)) else { return };
        let count = slot.get_or_insert_with(|| TypeCount {
            record_type: t,
            name: t.name(),
            handling: kind(t).handling,
            redo: kind(t).redo.map(|r| r.family),
            count: 0,
            apply: 0,
            skip: 0,
            stop: 0,
        });
        count.count += 1;
        match decision {
            Some(Decision::Apply) => count.apply += 1,
            Some(Decision::Skip) => count.skip += 1,
            Some(Decision::Stop) => count.stop += 1,
            None => {}
        }
    }

    fn unsupported(&mut self, record: &Record, why: &'static str) {
        let t = record.record_type;
        if !self.plan.unsupported.iter().any(|u| u.record_type == t) {
            self.plan.unsupported.push(Unsupported {
                name: t.name(),
                record_type: t,
                first: record.lgpos,
                why,
            });
        }
    }

    fn end_all_sessions(&mut self) {
        let open = self.sessions.values().filter(|s| s.begun && s.level > 0).count();
        self.plan.ended_by_restart += open;
        self.sessions.clear();
        self.open_ops.clear();
    }

    /// True while the versioned operation at `lgpos` belongs to a transaction still open.
    pub(crate) fn is_open(&self, lgpos: Lgpos) -> bool {
        self.open_ops.contains(&lgpos)
    }

    /// True when the page record just stepped is a versioned operation of a
    /// transaction open now ([`Self::is_open`] of it, without the lookup).
    pub(crate) fn opened(&self) -> bool {
        self.opened
    }

    /// True while session `procid` is inside the macro of `dbtime`.
    pub(crate) fn in_macro(&self, procid: u16, dbtime: u64) -> bool {
        self.sessions.get(&procid).is_some_and(|s| s.macro_dbtime == Some(dbtime))
    }

    /// Follows one record; says what it was.
    pub(crate) fn step(&mut self, record: &Record) -> Stepped {
        let t = record.record_type;
        let b = &record.bytes;
        let mut stepped = Stepped::Other;
        match kind(t).handling {
            Handling::Ignored => self.note_type(record, None),
            Handling::Unsupported => {
                self.note_type(record, None);
                self.unsupported(record, super::support::why_unsupported(t));
            }
            Handling::Database => {
                self.note_type(record, None);
                let dbid = b.get(3).copied();
                let sign =
                    |at: usize| b.get(at..at + 28).and_then(|s| <[u8; 28]>::try_from(s).ok()).map(Signature);
                match t.0 {
                    // CreateDB (signDb at 12), AttachDB (signDb at 16)
                    14 | 15 => {
                        let logged = sign(if t.0 == 14 { 12 } else { 16 });
                        if logged == Some(self.sign_db) {
                            self.dbid = dbid;
                            if self.plan.dbid.is_none() {
                                self.plan.dbid = dbid;
                            }
                        } else if dbid.is_some() && dbid == self.dbid {
                            self.dbid = None;
                        }
                    }
                    16 if dbid.is_some() && dbid == self.dbid => self.dbid = None,
                    // ExtendDB (ignorable form: dbid at 5, pgnoLast at 6)
                    68 if b.get(5).copied() == self.dbid && self.dbid.is_some() => {
                        let last = le_u32(b, 6).unwrap_or(0).max(self.plan.pgno_last.unwrap_or(0));
                        let last = last.max(self.db.page_count());
                        if last > self.limit_last {
                            if self.plan.size_refusal.is_none() {
                                self.plan.size_refusal = Some(SizeRefusal {
                                    lgpos: record.lgpos,
                                    name: t.name(),
                                    pgno_last: last,
                                    limit: self.limit_last,
                                });
                            }
                        } else {
                            self.plan.pgno_last = Some(last);
                            // from the first ExtendDB on, the stream bounds its pages by them
                            let file = self.db.page_count().min(self.limit_last);
                            self.allowed_last = Some(self.allowed_last.unwrap_or(file).max(last));
                        }
                    }
                    // ShrinkDB, ShrinkDB2, ShrinkDB3: dbid at 1, pgnoLast at 2
                    78 | 94 | 99 if b.get(1).copied() == self.dbid && self.dbid.is_some() => {
                        self.plan.pgno_last = le_u32(b, 2).or(self.plan.pgno_last);
                    }
                    _ => {}
                }
            }
            Handling::Session => {
                self.note_type(record, None);
                stepped = self.session_record(record);
            }
            Handling::Page => stepped = Stepped::Page(self.page_record(record)),
        }
        if !matches!(t.0, 0 | 71 | 42) {
            self.plan.ends_cleanly = t.closes_log();
        }
        stepped
    }

    fn forget_ops(&mut self, procid: u16, keep_to: Option<u8>) {
        let Some(s) = self.sessions.get_mut(&procid) else { return };
        let open_ops = &mut self.open_ops;
        s.ops.retain(|o| {
            let keep = keep_to.is_some_and(|to| o.level <= to);
            if !keep {
                open_ops.remove(&o.lgpos);
            }
            keep
        });
    }

    fn session_record(&mut self, record: &Record) -> Stepped {
        let t = record.record_type;
        match record.details() {
            Details::Begin { procid, from, levels, trx } => {
                if from == 0 {
                    self.forget_ops(procid, None);
                }
                let s = self.sessions.entry(procid).or_default();
                if s.begun || from == 0 {
                    if from == 0 {
                        s.begin = record.lgpos;
                    }
                    s.begun = true;
                    if trx.is_some() {
                        s.trx = trx;
                    }
                    s.level = from.saturating_add(levels);
                }
            }
            Details::Commit { procid, to, .. } => {
                let s = self.sessions.entry(procid).or_default();
                if s.begun {
                    s.level = to;
                    for op in s.ops.iter_mut().filter(|o| o.level > to) {
                        op.level = to;
                    }
                    if to == 0 {
                        self.forget_ops(procid, None);
                    }
                    return Stepped::Transaction { procid, ended: to == 0 };
                }
                // a transaction begun before the start: what redo kept of it can go
                return Stepped::Transaction { procid, ended: to == 0 };
            }
            Details::Rollback { procid, levels } => {
                let s = self.sessions.entry(procid).or_default();
                if s.begun {
                    let to = s.level.saturating_sub(levels);
                    s.level = to;
                    self.forget_ops(procid, Some(to));
                    return Stepped::Transaction { procid, ended: to == 0 };
                }
            }
            Details::Macro { procid, dbtime } => {
                let s = self.sessions.entry(procid).or_default();
                s.macro_dbtime = (t.0 == 11).then_some(dbtime);
                if t.0 != 11 {
                    self.macro_pages.retain(|&(d, _)| d != dbtime);
                    return Stepped::MacroEnd;
                }
            }
            _ => {
                // Init, Term, RecoveryUndo/Quit: the instance restarted or ended
                if matches!(t.0, 1 | 2 | 18 | 49 | 50 | 52 | 80) {
                    self.end_all_sessions();
                    return Stepped::Restart;
                }
            }
        }
        Stepped::Other
    }

    /// Plans a page record (and notes in `opened` whether it opened a versioned operation).
    fn page_record(&mut self, record: &Record) -> PlanEntry {
        let t = record.record_type;
        let (procid, dbid, level, iline, objid) = match record.details() {
            Details::Page { procid, dbid, level, iline, objid_fdp, .. } => {
                (procid, dbid, level, iline, objid_fdp)
            }
            Details::NewPage { procid, dbid, objid, .. } => (procid, dbid, 0, 0, Some(objid)),
            _ => (0, 0, 0, 0, None),
        };
        let after = dbtime_after(record);
        let ours = Some(dbid) == self.dbid;
        if ours {
            self.plan.max_dbtime = self.plan.max_dbtime.max(after);
            self.plan.max_objid = self.plan.max_objid.max(objid.unwrap_or(0));
        }
        let session = self.sessions.entry(procid).or_default();
        let begun = session.begun;
        let macro_dbtime = session.macro_dbtime.filter(|&d| d == after);
        let mut pages: SmallVec<[PageCheck; 1]> = SmallVec::new();
        if ours {
            for touch in touches(record) {
                let page_dbtime = self.page_dbtime(touch.pgno);
                let damaged = !self.damaged.is_empty() && self.damaged.contains(&touch.pgno);
                let verdict = if damaged && touch.dbtime_before.is_some() {
                    DbtimeVerdict::Damaged
                } else {
                    verdict(touch, page_dbtime, after)
                };
                pages.push(PageCheck { touch, page_dbtime, verdict });
            }
        }
        let needs = pages.iter().any(|p| p.verdict != DbtimeVerdict::Current);
        let outside = pages
            .iter()
            .any(|p| p.touch.pgno > self.limit_last || self.allowed_last.is_some_and(|a| p.touch.pgno > a));
        let (decision, reason) = if !ours {
            (Decision::Skip, Reason::OtherDatabase)
        } else if outside {
            (Decision::Stop, Reason::PageOutsideDatabase)
        } else if t.0 == 36 {
            (Decision::Skip, Reason::NeverModifiesPage)
        } else if !needs {
            (Decision::Skip, Reason::DbtimeCurrent)
        } else if record.lgpos < self.lgpos_attach {
            (Decision::Skip, Reason::BeforeAttach)
        } else if !begun && t.0 != 95 {
            // the checkpoint promises such changes are on disk; this page lacks one
            (Decision::Stop, Reason::SessionNotBegun)
        } else if pages.iter().any(|p| p.verdict == DbtimeVerdict::Damaged) {
            (Decision::Stop, Reason::PageDamaged)
        } else if pages.iter().any(|p| matches!(p.verdict, DbtimeVerdict::TooOld | DbtimeVerdict::TooNew)) {
            (Decision::Stop, Reason::DbtimeMismatch)
        } else if pages.iter().any(|p| p.verdict == DbtimeVerdict::BeyondEnd) {
            (Decision::Stop, Reason::PageBeyondEnd)
        } else if kind(t).redo.is_none() {
            (Decision::Stop, Reason::RedoNotImplemented)
        } else {
            (Decision::Apply, Reason::DbtimeOlder)
        };
        // the operation inside a split macro: its page is current only because the split was planned
        let (decision, reason) = match (decision, reason, macro_dbtime) {
            (Decision::Skip, Reason::DbtimeCurrent, Some(d))
                if matches!(t.0, 29 | 31 | 33 | 34)
                    && !pages.is_empty()
                    && pages.iter().all(|p| {
                        p.touch.dbtime_before.is_none() && self.macro_pages.contains(&(d, p.touch.pgno))
                    }) =>
            {
                (Decision::Apply, Reason::MacroPart)
            }
            other => (other.0, other.1),
        };
        if decision == Decision::Apply {
            for page in pages.iter().filter(|p| p.verdict == DbtimeVerdict::NeedsRedo) {
                self.dbtimes.insert(page.touch.pgno, Some(after));
                if !self.damaged.is_empty() {
                    self.damaged.remove(&page.touch.pgno);
                }
                if let Some(d) = macro_dbtime {
                    self.macro_pages.insert((d, page.touch.pgno));
                }
            }
        }
        if reason == Reason::RedoNotImplemented {
            self.unsupported(record, "a page needs this record redone, and its redo is not implemented");
        }
        // versioned operations of an open transaction are what undo rolls back
        let flags = record.bytes.get(31).copied().unwrap_or(0);
        self.opened = false;
        if ours && begun && level > 0 && flags & 0x01 != 0 && matches!(t.0, 29..=35 | 37 | 93) {
            if let Some(s) = self.sessions.get_mut(&procid) {
                self.opened = true;
                self.open_ops.insert(record.lgpos);
                s.ops.push(OpenOperation {
                    lgpos: record.lgpos,
                    name: t.name(),
                    level,
                    pgno: le_u32(&record.bytes, 4).unwrap_or(0),
                    iline,
                });
            }
        }
        self.note_type(record, Some(decision));
        PlanEntry {
            lgpos: record.lgpos,
            record_type: t,
            name: t.name(),
            procid,
            dbid,
            dbtime_after: after,
            macro_dbtime,
            pages,
            decision,
            reason,
            detail: None,
        }
    }

    /// Finishes the plan: open transactions and type counts.
    pub(crate) fn finish(mut self) -> Plan {
        self.plan.open_transactions = self
            .sessions
            .iter()
            .filter(|(_, s)| s.begun && s.level > 0)
            .map(|(&procid, s)| OpenTransaction {
                procid,
                trx_begin0: s.trx,
                level: s.level,
                begin: s.begin,
                operations: s.ops.clone(),
            })
            .collect();
        self.plan.open_transactions.sort_by_key(|t| t.procid);
        self.plan.types = self.types.into_iter().flatten().collect();
        self.plan
    }
}

/// The dbtime rule (spec 6.4) for one page.
fn verdict(touch: Touch, page_dbtime: Option<u64>, after: u64) -> DbtimeVerdict {
    let Some(page) = page_dbtime else {
        return if touch.dbtime_before.is_none() {
            DbtimeVerdict::NeedsRedo
        } else {
            DbtimeVerdict::BeyondEnd
        };
    };
    if page >= after {
        return DbtimeVerdict::Current;
    }
    match touch.dbtime_before {
        None => DbtimeVerdict::NeedsRedo,
        Some(before) if page == before => DbtimeVerdict::NeedsRedo,
        Some(before) if page < before => DbtimeVerdict::TooOld,
        Some(_) => DbtimeVerdict::TooNew,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(before: Option<u64>) -> Touch {
        Touch { pgno: 5, role: super::super::pages::PageRole::Page, dbtime_before: before }
    }

    #[test]
    fn dbtime_rule() {
        assert_eq!(verdict(touch(Some(10)), Some(20), 20), DbtimeVerdict::Current);
        assert_eq!(verdict(touch(Some(10)), Some(25), 20), DbtimeVerdict::Current);
        assert_eq!(verdict(touch(Some(10)), Some(10), 20), DbtimeVerdict::NeedsRedo);
        assert_eq!(verdict(touch(Some(10)), Some(9), 20), DbtimeVerdict::TooOld);
        assert_eq!(verdict(touch(Some(10)), Some(15), 20), DbtimeVerdict::TooNew);
        assert_eq!(verdict(touch(None), Some(3), 20), DbtimeVerdict::NeedsRedo);
        assert_eq!(verdict(touch(None), None, 20), DbtimeVerdict::NeedsRedo);
        assert_eq!(verdict(touch(Some(10)), None, 20), DbtimeVerdict::BeyondEnd);
    }
}
