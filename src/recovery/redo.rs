//! Redo of page records on page images, and undo of open transactions.
//!
//! Page redo is not implemented yet: [`implements`] says so for every type,
//! so the plan stops (and names the type) at the first page record the
//! dbtime rule says must be redone, and nothing is written. Recovery of a
//! database whose pages already hold every logged change (every page record
//! a skip) needs no page redo.

use std::collections::BTreeMap;

use super::plan::{Decision, OpenTransaction, Plan};
use super::RecoveryError;
use crate::format::txlog::record::{Record, RecordType};
use crate::store::Database;

/// New page images by page number.
pub type Pages = BTreeMap<u32, Vec<u8>>;

/// True when the redo of page records of type `t` is implemented.
pub fn implements(_t: RecordType) -> bool {
    false
}

/// Redoes every record the plan says to apply, in log order, on copies of
/// the pages.
///
/// # Errors
/// [`RecoveryError::Stop`] for a record the plan says to apply whose redo
/// is not implemented.
pub fn redo_all(_db: &Database, plan: &Plan, _records: &[&Record]) -> Result<Pages, RecoveryError> {
    match plan.entries.iter().find(|e| e.decision == Decision::Apply) {
        Some(entry) => Err(RecoveryError::Stop {
            name: entry.name,
            lgpos: entry.lgpos,
            pgno: entry.pages.first().map_or(0, |p| p.touch.pgno),
            reason: "page redo is not implemented".into(),
        }),
        None => Ok(Pages::new()),
    }
}

/// Rolls back the transactions open at the end of the log. A transaction
/// with no logged operation on this database needs nothing.
///
/// # Errors
/// [`RecoveryError::Undo`] for an open transaction that changed this database.
pub fn undo_all(
    _db: &Database,
    plan: &Plan,
    _records: &[&Record],
    pages: Pages,
) -> Result<(Pages, Vec<OpenTransaction>), RecoveryError> {
    if let Some(open) = plan.open_transactions.iter().find(|t| !t.operations.is_empty()) {
        return Err(RecoveryError::Undo {
            procid: open.procid,
            begin: open.begin,
            why: format!(
                "it changed this database in {} operation(s) and undo is not implemented",
                open.operations.len()
            ),
        });
    }
    Ok((pages, plan.open_transactions.clone()))
}
