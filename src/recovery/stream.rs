//! The replay loop: generations are read one at a time from their files,
//! each record planned ([`super::planner`]) and, when the plan applies it,
//! redone ([`super::redo`]) before the generation is dropped. What outlives
//! a generation is what must: the planner's per-page dbtimes and sessions,
//! the records of versioned operations of transactions still open (for
//! undo at the end), the version-store entries of open transactions, the
//! records of a macro still open (a split needs the operation logged after
//! it), the pages changed (bounded: [`super::page_store`]) and the plan's
//! list of page records (bounded: [`Plan::ENTRIES_KEPT`]).

use std::ops::ControlFlow;

use super::plan::{Decision, Limits, OpenTransaction, Plan, PlanEntry, Reason, StartAt};
use super::planner::{Planner, Stepped};
use super::redo::{self, Pages, Redo};
use super::{check_chain, start_position, RecoveryError};
use crate::format::txlog::record::Record;
use crate::scan::Progress;
use crate::store::Database;
use crate::txlog::LogSet;

/// What redo and undo made: the pages, the transactions rolled back and
/// the highest dbtime used.
pub(crate) struct Done {
    /// The pages changed.
    pub pages: Pages,
    /// The transactions rolled back.
    pub undone: Vec<OpenTransaction>,
    /// The highest dbtime used.
    pub dbtime: u64,
}

/// The plan, and what carrying it out gave when nothing stopped it.
pub(crate) struct Outcome {
    pub plan: Plan,
    pub done: Option<Done>,
    /// Why undo of the open transactions failed, when it did.
    pub undo_error: Option<RecoveryError>,
}

/// Records between progress reports (and cancel checks) inside a generation.
const RECORDS_PER_REPORT: u64 = 4096;

/// Plans the replay of `set` into `db` from `from` and carries it out into
/// `pages` as it goes, one generation in memory at a time. A record whose
/// redo fails becomes the plan's stop (its verdict predicts recovery's);
/// planning goes on to the end of the log, redo does not.
///
/// # Errors
/// The logs are not this database's, a needed generation is missing,
/// foreign or damaged, the database header is unreadable, or the file the
/// changed pages go to fails.
pub(crate) fn replay(
    db: &Database,
    set: &LogSet,
    from: StartAt,
    limits: Limits,
    pages: Pages,
    on_progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Outcome, RecoveryError> {
    let (start, reason, dbid) = start_position(db, set, from)?;
    let (_, end) = check_chain(db, set, start)?;
    let mut planner = Planner::new(db, start, reason, end, dbid, limits);
    let mut run = Run { cx: Redo::new(db, pages), halted: false, ended: Vec::new() };
    let wanted = |g: Option<i32>| g.is_some_and(|g| g >= start.generation);
    let total = set.logs.iter().filter(|e| e.in_chain && e.log.is_some() && wanted(e.generation())).count();
    let total = total.max(1) as u64;
    let mut since_report = 0u64;
    for (i, (entry, loaded)) in set.generations().filter(|(e, _)| wanted(e.generation())).enumerate() {
        let done = i as u64;
        let damaged = |problem| RecoveryError::DamagedGeneration {
            generation: entry.generation().unwrap_or(0),
            path: entry.path.display().to_string(),
            problem,
        };
        let log = loaded.map_err(damaged)?;
        // a set read by its headers only ([`crate::txlog::Depth::Headers`])
        // meets a generation's damage here, before any of its records is used
        if let Some(problem) = log.body_problems().first() {
            return Err(damaged(problem.message.replace(" (-501 JET_errLogFileCorrupt)", "")));
        }
        for record in log.records.records.into_iter().filter(|r| r.lgpos >= start) {
            match planner.step(&record) {
                Stepped::Page(entry) => {
                    if planner.opened() {
                        run.cx.open_operation(&record);
                    }
                    // a record outside an open macro, with none held back, is redone at once
                    let waits = entry.macro_dbtime.is_some_and(|d| planner.in_macro(entry.procid, d));
                    if run.cx.later.is_empty() && !waits {
                        run.redo(&mut planner, entry, &record)?;
                    } else {
                        run.cx.later.push_back((entry, record));
                    }
                }
                Stepped::Transaction { procid, ended } => {
                    run.cx.transaction_moved(procid, false, |l| planner.is_open(l));
                    if ended {
                        run.ended.push(Some(procid));
                    }
                }
                Stepped::Restart => run.ended.push(None),
                Stepped::MacroEnd | Stepped::Other => {}
            }
            run.drain(&mut planner, false)?;
            since_report += 1;
            if since_report == RECORDS_PER_REPORT {
                since_report = 0;
                if on_progress(Progress { done, total }).is_break() {
                    planner.plan.cancelled = true;
                    return Ok(Outcome { plan: planner.finish(), done: None, undo_error: None });
                }
            }
        }
        run.cx.detach_records(log.header.generation);
        if on_progress(Progress { done: done + 1, total }).is_break() {
            planner.plan.cancelled = true;
            return Ok(Outcome { plan: planner.finish(), done: None, undo_error: None });
        }
    }
    run.drain(&mut planner, true)?;
    let mut plan = planner.finish();
    let Run { mut cx, halted, .. } = run;
    if halted || plan.refuses() {
        return Ok(Outcome { plan, done: None, undo_error: None });
    }
    match redo::undo_all(&mut cx, &plan) {
        Ok((undone, dbtime)) => {
            if let Some(problem) = cx.pages.failure() {
                return Err(RecoveryError::TempFile { problem: problem.to_string() });
            }
            Ok(Outcome { plan, done: Some(Done { pages: cx.pages, undone, dbtime }), undo_error: None })
        }
        Err(e) => {
            plan.undo_problem = Some(e.to_string());
            Ok(Outcome { plan, done: None, undo_error: Some(e) })
        }
    }
}

/// The redo side of the loop.
struct Run<'a> {
    cx: Redo<'a>,
    /// True once recovery cannot finish (a stop, an unsupported record):
    /// planning goes on, redo does not.
    halted: bool,
    /// Sessions whose transaction ended (`None`: all, the instance
    /// restarted) while records were held back: their version-store
    /// entries go once those records are redone.
    ended: Vec<Option<u16>>,
}

impl Run<'_> {
    /// Redoes one page record (unless recovery already cannot finish) and
    /// lists it in the plan; a redo that fails is the plan's stop.
    fn redo(
        &mut self,
        planner: &mut Planner<'_>,
        mut entry: PlanEntry,
        record: &Record,
    ) -> Result<(), RecoveryError> {
        let plan = &planner.plan;
        self.halted |= entry.decision == Decision::Stop
            || !plan.unsupported.is_empty()
            || plan.size_refusal.is_some()
            || plan.dbid.is_none();
        if !self.halted {
            if record.record_type.0 == 36 {
                self.cx.undo_info(entry.procid, record);
            }
            match redo::redo_one(&mut self.cx, &entry, record) {
                Ok(()) => {}
                Err(RecoveryError::Stop { pgno, reason, .. }) => {
                    entry.decision = Decision::Stop;
                    entry.reason = Reason::RedoFails;
                    entry.detail = Some(format!("page {pgno}: {reason}").into());
                    self.halted = true;
                }
                Err(other) => return Err(other),
            }
            if let Some(problem) = self.cx.pages.failure() {
                return Err(RecoveryError::TempFile { problem: problem.to_string() });
            }
            if !self.cx.consumed.is_empty() {
                self.cx.consumed.remove(&entry.lgpos);
            }
        }
        planner.plan.record(entry);
        Ok(())
    }

    /// Redoes and lists the held-back page records in log order, up to the
    /// first inside a macro still open (all of them when `all`).
    fn drain(&mut self, planner: &mut Planner<'_>, all: bool) -> Result<(), RecoveryError> {
        // the common case, after most records: nothing held back, nothing to forget
        if self.cx.later.is_empty()
            && self.ended.is_empty()
            && self.cx.path_lines.is_empty()
            && self.cx.consumed.is_empty()
        {
            return Ok(());
        }
        while let Some((front, _)) = self.cx.later.front() {
            if !all && front.macro_dbtime.is_some_and(|d| planner.in_macro(front.procid, d)) {
                return Ok(());
            }
            let Some((entry, record)) = self.cx.later.pop_front() else { break };
            self.redo(planner, entry, &record)?;
        }
        // nothing held back: no macro is half redone, and ended transactions' versions can go
        self.cx.path_lines.clear();
        self.cx.consumed.clear();
        for ended in self.ended.drain(..) {
            match ended {
                Some(procid) => self.cx.transaction_moved(procid, true, |l| planner.is_open(l)),
                None => self.cx.all_ended(),
            }
        }
        Ok(())
    }
}
