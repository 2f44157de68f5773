//! Redo of the page records a plan applies, on copies of the pages, and
//! undo of the transactions left open at the end of the log (spec 6.5,
//! 6.7). Pages are edited through the writer's page builder
//! ([`crate::writer::page::PageImage`]) and resealed.
//!
//! Redo is implemented for the single-page node records (Insert,
//! FlagInsert, FlagInsertAndReplaceData, FlagDelete, Delete, Replace,
//! ReplaceD, Delta, Delta64), SetExternalHeader, NewPage, and Split2 and
//! Merge2 macros ([`super::split`], [`super::merge`]; not a page that can
//! only be rebuilt from the logged before image). PageMove, EmptyTree and
//! FDP creation are not: when one of their pages needs redo the plan stops
//! there and nothing is written (spec 6.6 allows exactly this). Undo needs the version of each open operation: the data
//! it replaced, taken while redoing it, or from its UndoInfo record when the
//! page was flushed with the change.

use std::collections::{BTreeMap, HashMap};

use super::merge::{merge_leaf, merge_path, Merge};
use super::node_op;
use super::plan::{DbtimeVerdict, Decision, OpenTransaction, Plan, PlanEntry};
use super::split::{split_pages, update_parent, Split};
use super::RecoveryError;
use crate::format::page::Page;
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::{Record, RecordType};
use crate::format::types::{le_u16, le_u32};
use crate::format::{DbTime, Lgpos, PageNumber};
use crate::store::Database;
use crate::writer::page::PageImage;

/// New page images by page number.
pub type Pages = BTreeMap<u32, Vec<u8>>;

/// True when the redo of page records of type `t` is implemented.
pub fn implements(t: RecordType) -> bool {
    matches!(t.0, 24 | 25 | 29..=35 | 37 | 38 | 58 | 62 | 63 | 93 | 95)
}

/// What undo needs to roll one operation back.
#[derive(Debug, Clone)]
struct Version {
    key: Vec<u8>,
    before: Option<Vec<u8>>,
}

fn stop(entry: &PlanEntry, pgno: u32, reason: String) -> RecoveryError {
    RecoveryError::Stop { name: entry.name, lgpos: entry.lgpos, pgno, reason }
}

fn image(db: &Database, pages: &Pages, pgno: u32) -> Result<PageImage, String> {
    let size = db.page_size();
    let bytes = match pages.get(&pgno) {
        Some(bytes) => bytes.as_slice(),
        None => db.page_bytes(PageNumber(pgno)).map_err(|e| e.to_string())?,
    };
    let page = Page::parse(bytes, PageNumber(pgno), size).map_err(|e| e.to_string())?;
    PageImage::from_page(&page).map_err(|e| format!("page cannot be decoded for editing: {e}"))
}

/// The result of redo: the new pages and the versions undo will need.
pub struct Redone {
    /// New page images.
    pub pages: Pages,
    versions: HashMap<Lgpos, Version>,
}

/// Redoes every record the plan applies, in log order.
///
/// # Errors
/// [`RecoveryError::Stop`] when a record does not fit its page (a line not
/// there, old data of the wrong length) or the page does not build.
pub fn redo_all(db: &Database, plan: &Plan, records: &[&Record]) -> Result<Redone, RecoveryError> {
    let by_lgpos: HashMap<Lgpos, &Record> = records.iter().map(|r| (r.lgpos, *r)).collect();
    let open: std::collections::HashSet<Lgpos> =
        plan.open_transactions.iter().flat_map(|t| t.operations.iter().map(|o| o.lgpos)).collect();
    let mut pages = Pages::new();
    let mut versions = HashMap::new();
    // path pages of split macros: (macro dbtime, page) -> line the separator goes in at
    let mut path_lines: HashMap<(u64, u32), u16> = HashMap::new();
    let mut consumed: std::collections::HashSet<Lgpos> = std::collections::HashSet::new();
    for entry in plan.entries.iter().filter(|e| e.decision == Decision::Apply) {
        let record =
            by_lgpos.get(&entry.lgpos).ok_or_else(|| stop(entry, 0, "record not found again".into()))?;
        let pgno = le_u32(&record.bytes, 4).unwrap_or(0);
        if entry.record_type.0 == 62 {
            let split = Split::parse(record).map_err(|e| stop(entry, pgno, e))?;
            if split.pgno_new == 0 {
                path_lines.insert((entry.dbtime_after, pgno), split.iline_oper);
                continue;
            }
            let oper = oper_of(plan, entry, &split, &by_lgpos);
            redo_split(db, &mut pages, entry, &split, oper, &path_lines)?;
            if let Some(op) = oper {
                consumed.insert(op.lgpos);
            }
            continue;
        }
        if entry.record_type.0 == 63 {
            redo_merge(db, &mut pages, plan, entry, record, &by_lgpos)?;
            continue;
        }
        if matches!(entry.record_type.0, 24 | 25 | 58) {
            redo_fdp(db, &mut pages, entry, record)?;
            continue;
        }
        if entry.reason == super::plan::Reason::MacroPart {
            if consumed.contains(&entry.lgpos) {
                continue;
            }
            return Err(stop(
                entry,
                pgno,
                "an operation logged inside a macro that no Split2 of the macro takes".into(),
            ));
        }
        let mut page = if entry.record_type.0 == 95 {
            node_op::new_page(record, db.page_size())
        } else {
            image(db, &pages, pgno).map_err(|e| stop(entry, pgno, e))?
        };
        if entry.record_type.0 != 95 {
            let iline = usize::from(le_u16(&record.bytes, 29).unwrap_or(0));
            let key_before = page.nodes.get(iline).map(|n| n.key.clone());
            let replaced = node_op::apply(&mut page, record).map_err(|e| stop(entry, pgno, e))?;
            if open.contains(&entry.lgpos) {
                let key = page.nodes.get(iline).map(|n| n.key.clone()).or(key_before).unwrap_or_default();
                versions.insert(entry.lgpos, Version { key, before: replaced });
            }
        }
        page.dbtime = DbTime(entry.dbtime_after);
        let bytes = page.build().map_err(|e| stop(entry, pgno, e.to_string()))?;
        pages.insert(pgno, bytes);
    }
    // operations whose page was flushed with the change: their UndoInfo
    // carries the bookmark and the before image (spec 4.5.3)
    for record in records.iter().filter(|r| r.record_type.0 == 36) {
        let b = &record.bytes;
        let rceid = le_u32(b, 32);
        let (Some(cb_key), Some(cb_bm_data), Some(cb_data)) = (le_u16(b, 44), le_u16(b, 46), le_u16(b, 54))
        else {
            continue;
        };
        let (k, d) = (usize::from(cb_key), usize::from(cb_bm_data));
        let key = b.get(56..56 + k).map(<[u8]>::to_vec).unwrap_or_default();
        let before = b.get(56 + k + d..56 + k + d + usize::from(cb_data)).map(<[u8]>::to_vec);
        let op = records.iter().find(|r| {
            open.contains(&r.lgpos)
                && !versions.contains_key(&r.lgpos)
                && le_u32(&r.bytes, 32) == rceid
                && r.lgpos < record.lgpos
        });
        if let Some(op) = op {
            versions.insert(op.lgpos, Version { key, before });
        }
    }
    Ok(Redone { pages, versions })
}

/// The operation of the split `entry`: the record of the same macro and
/// session after it on the split page with dbtimeBefore nil.
fn oper_of<'r>(
    plan: &Plan,
    entry: &PlanEntry,
    split: &Split,
    by_lgpos: &HashMap<Lgpos, &'r Record>,
) -> Option<&'r Record> {
    if split.oper == 0 {
        return None;
    }
    plan.entries
        .iter()
        .filter(|e| e.lgpos > entry.lgpos && e.procid == entry.procid && e.macro_dbtime == entry.macro_dbtime)
        .find(|e| {
            matches!(e.record_type.0, 29 | 31 | 33 | 34)
                && e.pages.first().is_some_and(|p| p.touch.pgno == split.pgno)
        })
        .and_then(|e| by_lgpos.get(&e.lgpos).copied())
}

fn needs(entry: &PlanEntry, role: &str) -> bool {
    entry.pages.iter().any(|p| p.touch.role == role && p.verdict == DbtimeVerdict::NeedsRedo)
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
        let fresh = match pages.get(&split.pgno_new) {
            Some(_) => image(db, pages, split.pgno_new).map_err(|e| stop(entry, split.pgno_new, e))?,
            None => PageImage::new(PageNumber(split.pgno_new), db.page_size(), before.objid, before.flags),
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
    plan: &Plan,
    entry: &PlanEntry,
    record: &Record,
    by_lgpos: &HashMap<Lgpos, &Record>,
) -> Result<(), RecoveryError> {
    let m = Merge::parse(record).map_err(|e| stop(entry, 0, e))?;
    let dbtime = entry.dbtime_after;
    let load = |pgno: u32, pages: &Pages| image(db, pages, pgno).map_err(|e| stop(entry, pgno, e));
    if m.merge_type == super::merge::kind::NONE {
        let leaf = plan
            .entries
            .iter()
            .filter(|e| {
                e.lgpos > entry.lgpos && e.procid == entry.procid && e.macro_dbtime == entry.macro_dbtime
            })
            .filter(|e| e.record_type.0 == 63)
            .filter_map(|e| by_lgpos.get(&e.lgpos).and_then(|r| Merge::parse(r).ok()))
            .find(|l| l.merge_type != super::merge::kind::NONE)
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
    let partial =
        matches!(m.merge_type, super::merge::kind::PARTIAL_RIGHT | super::merge::kind::PARTIAL_LEFT);
    let left_changes = m.left != 0
        && needs(entry, "left")
        && !(partial && m.merge_type == super::merge::kind::PARTIAL_RIGHT);
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

/// Redoes an FDP record on the pages that need it: CreateSingleExtentFDP
/// and CreateMultipleExtentFDP make their pages anew, ConvertFDP2 rewrites
/// the root's space header and makes the OE and AE roots.
fn redo_fdp(
    db: &Database,
    pages: &mut Pages,
    entry: &PlanEntry,
    record: &Record,
) -> Result<(), RecoveryError> {
    let size = db.page_size();
    let pgno = le_u32(&record.bytes, 4).unwrap_or(0);
    let made: Vec<PageImage> = match entry.record_type.0 {
        25 => vec![super::fdp::create_single(record, size).map_err(|e| stop(entry, pgno, e))?],
        24 => super::fdp::create_multiple(record, size).map_err(|e| stop(entry, pgno, e))?,
        _ => {
            let c = super::fdp::Convert::parse(record).map_err(|e| stop(entry, pgno, e))?;
            let mut out = vec![c.owned_page(size), c.avail_page(size)];
            if needs(entry, "page") {
                let mut root = image(db, pages, pgno).map_err(|e| stop(entry, pgno, e))?;
                root.external_header = super::fdp::with_space_header(&root.external_header, &c.header());
                root.dbtime = DbTime(entry.dbtime_after);
                out.push(root);
            }
            out
        }
    };
    for page in made {
        let p = page.pgno.0;
        let redo = entry.pages.iter().any(|c| c.touch.pgno == p && c.verdict == DbtimeVerdict::NeedsRedo);
        if redo {
            let built = page.build().map_err(|e| stop(entry, p, e.to_string()))?;
            pages.insert(p, built);
        }
    }
    Ok(())
}

/// Rolls back the transactions open at the end of the log, newest
/// operation first, each inverse on the page that holds the node's key
/// (spec 6.7). Returns the pages, the transactions rolled back, and the
/// highest dbtime used (each undone operation takes a new one).
///
/// # Errors
/// [`RecoveryError::Undo`] when an operation's version is unknown (its page
/// was not redone and no UndoInfo carries its before image) or its node is
/// no longer on its page.
pub fn undo_all(
    db: &Database,
    plan: &Plan,
    records: &[&Record],
    redone: Redone,
) -> Result<(Pages, Vec<OpenTransaction>, u64), RecoveryError> {
    let Redone { mut pages, versions } = redone;
    let by_lgpos: HashMap<Lgpos, &Record> = records.iter().map(|r| (r.lgpos, *r)).collect();
    let mut dbtime = plan.max_dbtime;
    for t in &plan.open_transactions {
        let fail = |why: String| RecoveryError::Undo { procid: t.procid, begin: t.begin, why };
        for op in t.operations.iter().rev() {
            let record = by_lgpos
                .get(&op.lgpos)
                .ok_or_else(|| fail(format!("{} at {} not found again", op.name, op.lgpos)))?;
            let version = versions.get(&op.lgpos).cloned().or_else(|| {
                // Insert and FlagInsert carry their key; nothing else is needed to undo them
                let b = &record.bytes;
                match record.record_type.0 {
                    29 => {
                        let (s, p) = (usize::from(le_u16(b, 44)?), usize::from(le_u16(b, 46)?));
                        b.get(50..50 + p + s).map(|k| Version { key: k.to_vec(), before: None })
                    }
                    30 => {
                        let k = usize::from(le_u16(b, 44)?);
                        b.get(48..48 + k).map(|k| Version { key: k.to_vec(), before: None })
                    }
                    _ => None,
                }
            });
            let version = version.ok_or_else(|| {
                fail(format!(
                    "{} at {} on page {}: its page already held the change and no UndoInfo record gives its before image",
                    op.name, op.lgpos, op.pgno
                ))
            })?;
            let mut page = image(db, &pages, op.pgno).map_err(|e| fail(format!("page {}: {e}", op.pgno)))?;
            let at = page.find(&version.key).map_err(|_| {
                fail(format!(
                    "{} at {}: its node is no longer on page {} (moved by a later split?)",
                    op.name, op.lgpos, op.pgno
                ))
            })?;
            let node = page.nodes.get_mut(at).ok_or_else(|| fail("node index".into()))?;
            let with = |flags: NodeFlags, bit: NodeFlags, on: bool| {
                NodeFlags(if on { flags.0 | bit.0 } else { flags.0 & !bit.0 })
            };
            match record.record_type.0 {
                29 | 30 => node.flags = with(node.flags, NodeFlags::DELETED, true),
                32 => node.flags = with(node.flags, NodeFlags::DELETED, false),
                31 | 33 | 34 => {
                    let before = version.before.clone().ok_or_else(|| {
                        fail(format!("{} at {}: no before image of the data it replaced", op.name, op.lgpos))
                    })?;
                    node.data = before;
                    if record.record_type.0 == 31 {
                        node.flags = with(node.flags, NodeFlags::DELETED, true);
                    }
                }
                37 | 93 => {
                    let wide = record.record_type.0 == 93;
                    let b = &record.bytes;
                    let offset = usize::from(le_u16(b, if wide { 56 } else { 52 }).unwrap_or(0));
                    let width = if wide { 8 } else { 4 };
                    let slot = node
                        .data
                        .get_mut(offset..offset + width)
                        .ok_or_else(|| fail("delta offset".into()))?;
                    if wide {
                        let delta = crate::format::types::le_u64(b, 48).unwrap_or(0) as i64;
                        let old = i64::from_le_bytes(slot.try_into().map_err(|_| fail("delta slot".into()))?);
                        slot.copy_from_slice(&old.wrapping_sub(delta).to_le_bytes());
                    } else {
                        let delta = le_u32(b, 48).unwrap_or(0) as i32;
                        let old = i32::from_le_bytes(slot.try_into().map_err(|_| fail("delta slot".into()))?);
                        slot.copy_from_slice(&old.wrapping_sub(delta).to_le_bytes());
                    }
                }
                _ => return Err(fail(format!("{} cannot be undone", op.name))),
            }
            node.flags = with(node.flags, NodeFlags::VERSION, false);
            dbtime += 1;
            page.dbtime = DbTime(dbtime);
            let bytes = page.build().map_err(|e| fail(format!("page {}: {e}", op.pgno)))?;
            pages.insert(op.pgno, bytes);
        }
    }
    Ok((pages, plan.open_transactions.clone(), dbtime))
}
