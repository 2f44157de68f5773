//! Redo of the node operations (Insert, FlagInsert,
//! FlagInsertAndReplaceData, FlagDelete, Delete, Replace, ReplaceD, Delta,
//! Delta64, SetExternalHeader) and of NewPage, on one page each
//! ([`crate::recovery::node_op`] holds the operations themselves).

use super::{stop, Redo};
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32};
use crate::format::DbTime;
use crate::recovery::node_op;
use crate::recovery::plan::{PlanEntry, Reason};
use crate::recovery::RecoveryError;

/// Redoes a node operation on its page; an operation a split macro took
/// along is already done.
///
/// # Errors
/// The record does not fit its page, or it is the operation of a macro no
/// Split2 took.
pub fn redo(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let pgno = le_u32(&record.bytes, 4).unwrap_or(0);
    if entry.reason == Reason::MacroPart {
        if cx.consumed.contains(&entry.lgpos) {
            return Ok(());
        }
        return Err(stop(
            entry,
            pgno,
            "an operation logged inside a macro that no Split2 of the macro takes".into(),
        ));
    }
    let mut page = cx.image(pgno).map_err(|e| stop(entry, pgno, e))?;
    let iline = usize::from(le_u16(&record.bytes, 29).unwrap_or(0));
    let key_before = page.nodes.get(iline).map(|n| n.key.clone());
    let replaced = node_op::apply(&mut page, record).map_err(|e| stop(entry, pgno, e))?;
    let key = page.nodes.get(iline).map(|n| n.key.clone()).or(key_before).unwrap_or_default();
    cx.keep_version(entry.lgpos, key, replaced);
    page.dbtime = DbTime(entry.dbtime_after);
    cx.put(entry, &page)
}

/// Redoes NewPage: an empty page of the tree, at the record's dbtime.
///
/// # Errors
/// The page does not build.
pub fn new_page(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let page = node_op::new_page(record, cx.db.page_size());
    cx.put(entry, &page)
}
