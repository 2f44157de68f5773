//! Redo of the node operations (Insert, FlagInsert,
//! FlagInsertAndReplaceData, FlagDelete, Delete, Replace, ReplaceD, Delta,
//! Delta64, SetExternalHeader), of Undo (the rollback of one of them) and
//! of NewPage, on one page each
//! ([`crate::recovery::node_op`] holds the operations themselves).

use bytes::Bytes;

use super::{stop, Rce, Redo};
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32, le_u64};
use crate::format::DbTime;
use crate::recovery::node_op;
use crate::recovery::plan::{PlanEntry, Reason};
use crate::recovery::RecoveryError;
use crate::writer::page::NodeImage;

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
    let iline = usize::from(le_u16(&record.bytes, 29).unwrap_or(0));
    let versioned = record.bytes.get(31).is_some_and(|f| f & 0x01 != 0);
    let keeps_version = cx.keeps_version(entry.lgpos);
    let db = cx.db;
    // edited in place in the page store, its data length kept as the one line changes
    let (page, data_len) =
        cx.pages.image_mut(pgno, || super::from_database(db, pgno)).map_err(|e| stop(entry, pgno, e))?;
    // a Delete at the last line leaves no node there to name the key
    let key_before = (keeps_version && record.record_type.0 == 35)
        .then(|| page.nodes.get(iline).map(|n| n.key.clone()))
        .flatten();
    let (lines_before, stored_before) =
        (page.nodes.len(), page.nodes.get(iline).map_or(0, NodeImage::stored_len));
    let replaced = node_op::apply(page, record).map_err(|e| stop(entry, pgno, e))?.map(Bytes::from);
    let stored_after = page.nodes.get(iline).map_or(0, NodeImage::stored_len);
    *data_len = match page.nodes.len().cmp(&lines_before) {
        std::cmp::Ordering::Greater => *data_len + stored_after,
        std::cmp::Ordering::Less => data_len.saturating_sub(stored_before),
        std::cmp::Ordering::Equal => (*data_len + stored_after).saturating_sub(stored_before),
    };
    let key = keeps_version
        .then(|| page.nodes.get(iline).map(|n| n.key.clone()).or(key_before).unwrap_or_default());
    page.dbtime = DbTime(entry.dbtime_after);
    // SetExternalHeader changes the prefix every node is stored against: check them all
    let lines = if record.record_type.0 == 38 {
        *data_len = page.data_len();
        0..page.nodes.len()
    } else {
        iline..(iline + 1).min(page.nodes.len()).max(iline)
    };
    page.check_lines_sized(*data_len, lines).map_err(|e| stop(entry, pgno, e.to_string()))?;
    // a versioned operation's before image goes to the version store, which
    // the open operation's version then names instead of holding a copy
    let rceid = le_u32(&record.bytes, 32).filter(|&r| versioned && r != 0);
    let kept = match rceid {
        Some(rceid) => {
            let before = replaced.or_else(|| cx.rces.get(&rceid).and_then(|r| r.before.clone()));
            let delta = matches!(record.record_type.0, 37 | 93).then(|| record.clone());
            let epoch = cx.epoch();
            cx.rces
                .insert(rceid, Rce { procid: entry.procid, lgpos: Some(record.lgpos), before, delta, epoch });
            None
        }
        None => replaced,
    };
    if let Some(key) = key {
        cx.keep_version(entry.lgpos, key, kept, rceid);
    }
    Ok(())
}

/// Redoes Undo (39), the compensation record of a rollback: the operation
/// with the record's rceid is undone on the record's line (engine:
/// `VERRedoPhysicalUndo`): an insert is flagged deleted, a flag-delete
/// cleared, a replace given back the data it replaced, a delta taken back.
///
/// # Errors
/// The line is not on the page, or the operation's version (its record or
/// before image) was not met in the replayed range.
pub fn undo(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let b = &record.bytes;
    let pgno = le_u32(b, 4).unwrap_or(0);
    let (iline, rceid, oper) =
        (le_u16(b, 29).unwrap_or(0), le_u32(b, 32).unwrap_or(0), le_u16(b, 48).unwrap_or(0));
    let mut page = cx.image(pgno).map_err(|e| stop(entry, pgno, e))?;
    let lines = page.nodes.len();
    let node = page
        .nodes
        .get_mut(usize::from(iline))
        .ok_or_else(|| stop(entry, pgno, format!("line {iline} is not on the page ({lines} lines)")))?;
    let unknown = || {
        stop(
            entry,
            pgno,
            format!("the version of rceid {rceid} (operation {oper}) was not met in the replayed logs"),
        )
    };
    let flag = |node: &mut crate::writer::page::NodeImage, on: bool| {
        let d = NodeFlags::DELETED.0;
        node.flags = NodeFlags(if on { node.flags.0 | d } else { node.flags.0 & !d });
    };
    match oper {
        // insert (and the insert part of FlagInsert): the node goes away for readers
        1 => flag(node, true),
        // replace: the data it replaced
        2 => node.data = cx.rces.get(&rceid).and_then(|r| r.before.as_deref()).ok_or_else(unknown)?.to_vec(),
        // flag-delete
        3 => flag(node, false),
        // delta, delta64: the original record's delta taken back
        4 | 9 => {
            let original = cx.rces.get(&rceid).and_then(|r| r.delta.clone()).ok_or_else(unknown)?;
            let wide = original.record_type.0 == 93;
            let ob = &original.bytes;
            let offset = usize::from(le_u16(ob, if wide { 56 } else { 52 }).ok_or_else(unknown)?);
            let width = if wide { 8 } else { 4 };
            let slot = node
                .data
                .get_mut(offset..offset + width)
                .ok_or_else(|| stop(entry, pgno, format!("delta offset {offset} is past the node's data")))?;
            if wide {
                let delta = le_u64(ob, 48).ok_or_else(unknown)? as i64;
                let old = i64::from_le_bytes(slot.try_into().map_err(|_| unknown())?);
                slot.copy_from_slice(&old.wrapping_sub(delta).to_le_bytes());
            } else {
                let delta = le_u32(ob, 48).ok_or_else(unknown)? as i32;
                let old = i32::from_le_bytes(slot.try_into().map_err(|_| unknown())?);
                slot.copy_from_slice(&old.wrapping_sub(delta).to_le_bytes());
            }
        }
        other => return Err(stop(entry, pgno, format!("Undo of version operation {other} is not known"))),
    }
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
