//! Redo of the structural changes: Split2 macros (with the operation each
//! takes along) and Merge2 macros, on the pages each record names
//! ([`crate::recovery::split`] and [`crate::recovery::merge`] hold the page
//! changes themselves).

use std::collections::{HashMap, VecDeque};

use super::{image, needs, stop, Pages, Redo};
use crate::format::page::PageFlags;
use crate::format::txlog::record::Record;
use crate::format::types::le_u32;
use crate::format::{DbTime, PageNumber};
use crate::recovery::merge::{self, merge_leaf, merge_path, Merge};
use crate::recovery::plan::{DbtimeVerdict, PlanEntry};
use crate::recovery::split::{split_pages, update_parent, Split};
use crate::recovery::RecoveryError;
use crate::store::Database;
use crate::writer::page::PageImage;

/// The records held back after the one redone.
type Later = VecDeque<(PlanEntry, Record)>;

/// Redoes a Split2 record: a path page's (it only notes where the
/// separator goes), or the split itself with the macro's operation.
///
/// # Errors
/// The pages do not fit the record or do not build.
pub fn split(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let pgno = le_u32(&record.bytes, 4).unwrap_or(0);
    let split = Split::parse(record).map_err(|e| stop(entry, pgno, e))?;
    if split.pgno_new == 0 {
        cx.path_lines.insert((entry.dbtime_after, pgno), split.iline_oper);
        return Ok(());
    }
    let oper = oper_of(&cx.later, entry, &split);
    redo_split(cx.db, &mut cx.pages, entry, &split, oper, &cx.path_lines)?;
    if let Some(op) = oper {
        cx.consumed.insert(op.lgpos);
    }
    Ok(())
}

/// Redoes EmptyTree: every listed page that needs it loses its nodes and
/// prefix and is marked empty; the root loses its one line and becomes a
/// leaf (engine: `ErrLGRIRedoFreeEmptyPages`, `NDEmptyPage`, `NDSetEmptyTree`).
///
/// # Errors
/// A page cannot be read or does not build, or the root has more than one line.
pub fn empty_tree(cx: &mut Redo<'_>, entry: &PlanEntry, _record: &Record) -> Result<(), RecoveryError> {
    let dbtime = DbTime(entry.dbtime_after);
    for check in entry.pages.iter().filter(|p| p.verdict == DbtimeVerdict::NeedsRedo) {
        let pgno = check.touch.pgno;
        let mut page = cx.image(pgno).map_err(|e| stop(entry, pgno, e))?;
        if check.touch.role == "page" {
            if page.nodes.len() > 1 {
                return Err(stop(
                    entry,
                    pgno,
                    format!("the root has {} lines, EmptyTree expects one", page.nodes.len()),
                ));
            }
            page.nodes.clear();
            page.flags = PageFlags((page.flags.0 & !PageFlags::PARENT_OF_LEAF.0) | PageFlags::LEAF.0);
        } else {
            page.nodes.clear();
            page.external_header.clear();
            page.flags = PageFlags(page.flags.0 | PageFlags::EMPTY.0);
        }
        page.dbtime = dbtime;
        cx.put(entry, &page)?;
    }
    Ok(())
}

/// Redoes a Merge2 record.
///
/// # Errors
/// The pages do not fit the record or do not build.
pub fn merge(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    redo_merge(cx.db, &mut cx.pages, &cx.later, entry, record)
}

/// The operation of the split `entry`: the record of the same macro and
/// session after it on the split page with dbtimeBefore nil, among the
/// records held back after it.
fn oper_of<'r>(later: &'r Later, entry: &PlanEntry, split: &Split) -> Option<&'r Record> {
    if split.oper == 0 {
        return None;
    }
    later
        .iter()
        .filter(|(e, _)| {
            e.lgpos > entry.lgpos && e.procid == entry.procid && e.macro_dbtime == entry.macro_dbtime
        })
        .find(|(e, _)| {
            matches!(e.record_type.0, 29 | 31 | 33 | 34)
                && e.pages.first().is_some_and(|p| p.touch.pgno == split.pgno)
        })
        .map(|(_, r)| r)
}

/// Redoes one Split2 (with its operation) on the pages that need it.
fn redo_split(
    db: &Database,
    pages: &mut Pages,
    entry: &PlanEntry,
    split: &Split,
    oper: Option<&Record>,
    path_lines: &HashMap<(u64, u32), u16>,
) -> Result<(), RecoveryError> {
    let dbtime = entry.dbtime_after;
    let (split_redo, new_redo) = (needs(entry, "page"), needs(entry, "new"));
    if new_redo && !split_redo {
        return Err(stop(
            entry,
            split.pgno_new,
            "the new page needs redo but the split page already holds the split: that takes the logged page before image, which is not implemented".into(),
        ));
    }
    if split_redo {
        let before = image(db, pages, split.pgno).map_err(|e| stop(entry, split.pgno, e))?;
        let fresh = if pages.contains(split.pgno_new) {
            image(db, pages, split.pgno_new).map_err(|e| stop(entry, split.pgno_new, e))?
        } else {
            PageImage::new(PageNumber(split.pgno_new), db.page_size(), before.objid, before.flags)
        };
        let done = split_pages(split, before, fresh, oper, dbtime).map_err(|e| stop(entry, split.pgno, e))?;
        let built = done.split.build().map_err(|e| stop(entry, split.pgno, e.to_string()))?;
        pages.insert(split.pgno, built);
        if new_redo {
            let built = done.new.build().map_err(|e| stop(entry, split.pgno_new, e.to_string()))?;
            pages.insert(split.pgno_new, built);
        }
    }
    if split.pgno_right != 0 && needs(entry, "right") {
        let mut right = image(db, pages, split.pgno_right).map_err(|e| stop(entry, split.pgno_right, e))?;
        right.prev = PageNumber(split.pgno_new);
        right.dbtime = DbTime(dbtime);
        let built = right.build().map_err(|e| stop(entry, split.pgno_right, e.to_string()))?;
        pages.insert(split.pgno_right, built);
    }
    if split.pgno_parent != 0 && split.split_type != 0 {
        match path_lines.get(&(dbtime, split.pgno_parent)).copied() {
            // the parent's own Split2 came first in the macro and needs redo
            Some(iline) => {
                let mut parent =
                    image(db, pages, split.pgno_parent).map_err(|e| stop(entry, split.pgno_parent, e))?;
                update_parent(&mut parent, iline, &split.key_parent, split.pgno, split.pgno_new, dbtime)
                    .map_err(|e| stop(entry, split.pgno_parent, e))?;
                let built = parent.build().map_err(|e| stop(entry, split.pgno_parent, e.to_string()))?;
                pages.insert(split.pgno_parent, built);
            }
            None if needs(entry, "parent") => {
                return Err(stop(
                    entry,
                    split.pgno_parent,
                    "the parent needs redo but its Split2 path record is not in the macro".into(),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

/// Redoes one Merge2 record: a path page's change (with the leaf record of
/// its macro, for the separator and merge type), or the leaf's merge.
fn redo_merge(
    db: &Database,
    pages: &mut Pages,
    later: &Later,
    entry: &PlanEntry,
    record: &Record,
) -> Result<(), RecoveryError> {
    let m = Merge::parse(record).map_err(|e| stop(entry, 0, e))?;
    let dbtime = entry.dbtime_after;
    let load = |pgno: u32, pages: &Pages| image(db, pages, pgno).map_err(|e| stop(entry, pgno, e));
    if m.merge_type == merge::kind::NONE {
        let leaf = later
            .iter()
            .filter(|(e, _)| {
                e.lgpos > entry.lgpos && e.procid == entry.procid && e.macro_dbtime == entry.macro_dbtime
            })
            .filter(|(e, _)| e.record_type.0 == 63)
            .filter_map(|(_, r)| Merge::parse(r).ok())
            .find(|l| l.merge_type != merge::kind::NONE)
            .ok_or_else(|| {
                stop(entry, m.pgno, "a Merge2 path record without the leaf's Merge2 in its macro".into())
            })?;
        let mut page = load(m.pgno, pages)?;
        merge_path(&mut page, &m, &leaf, dbtime).map_err(|e| stop(entry, m.pgno, e))?;
        let built = page.build().map_err(|e| stop(entry, m.pgno, e.to_string()))?;
        pages.insert(m.pgno, built);
        return Ok(());
    }
    let mut merged = if needs(entry, "page") { Some(load(m.pgno, pages)?) } else { None };
    // a partial merge leaves the left sibling alone (its links do not change)
    let partial = matches!(m.merge_type, merge::kind::PARTIAL_RIGHT | merge::kind::PARTIAL_LEFT);
    let left_changes =
        m.left != 0 && needs(entry, "left") && !(partial && m.merge_type == merge::kind::PARTIAL_RIGHT);
    let mut left = if left_changes { Some(load(m.left, pages)?) } else { None };
    let mut right = if m.right != 0 && needs(entry, "right") { Some(load(m.right, pages)?) } else { None };
    merge_leaf(&m, merged.as_mut(), left.as_mut(), right.as_mut(), dbtime)
        .map_err(|e| stop(entry, m.pgno, e))?;
    for page in [merged, left, right].into_iter().flatten() {
        let pgno = page.pgno.0;
        let built = page.build().map_err(|e| stop(entry, pgno, e.to_string()))?;
        pages.insert(pgno, built);
    }
    Ok(())
}
