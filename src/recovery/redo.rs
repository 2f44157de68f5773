//! The redo loop over the page records a plan applies, on copies of the
//! pages, and undo of the transactions left open at the end of the log
//! (spec 6.5, 6.7). Pages are edited through the writer's page builder
//! ([`crate::writer::page::PageImage`]) and resealed.
//!
//! Which function redoes a record type is in the one table of record types
//! ([`super::support::kind`]); the functions are here, one file per family:
//! [`node`] (node operations and new pages), [`structure`] (splits and
//! merges), [`space`] (FDP creation and conversion), [`page_move`]. A type
//! with no redo function stops the plan when one of its pages needs redo,
//! and nothing is written (spec 6.6 allows exactly this). Undo needs the
//! version of each open operation: the data it replaced, taken while
//! redoing it, or from its UndoInfo record when the page was flushed with
//! the change.

pub mod node;
pub mod page_move;
pub mod space;
pub mod structure;

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;

use super::plan::{DbtimeVerdict, Decision, OpenTransaction, Plan, PlanEntry};
use super::RecoveryError;
use crate::format::page::Page;
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32};
use crate::format::{DbTime, Lgpos, PageNumber};
use crate::store::Database;
use crate::writer::page::PageImage;

/// The pages redo and undo changed ([`super::page_store`]: bounded memory).
pub type Pages = super::page_store::PageStore;

/// What undo needs to roll one operation back.
#[derive(Debug, Clone)]
struct Version {
    key: Vec<u8>,
    /// The data the operation replaced, when the version store does not
    /// hold it (under `rceid`).
    before: Option<Bytes>,
    /// The operation's version-store entry, whose before image is the
    /// operation's when `before` is `None`.
    rceid: Option<u32>,
}

/// A versioned operation of a transaction open so far: its record, and its
/// version once redo (or its UndoInfo) gave it.
#[derive(Debug)]
struct OpenOp {
    record: Record,
    version: Option<Version>,
}

pub(crate) fn stop(entry: &PlanEntry, pgno: u32, reason: String) -> RecoveryError {
    RecoveryError::Stop { name: entry.name, lgpos: entry.lgpos, pgno, reason }
}

pub(crate) fn image(db: &Database, pages: &Pages, pgno: u32) -> Result<PageImage, String> {
    if let Some(image) = pages.image(pgno) {
        return image;
    }
    from_database(db, pgno)
}

pub(crate) fn from_database(db: &Database, pgno: u32) -> Result<PageImage, String> {
    let size = db.page_size();
    let bytes = db.page_bytes(PageNumber(pgno)).map_err(|e| e.to_string())?;
    let page = Page::parse(bytes, PageNumber(pgno), size).map_err(|e| e.to_string())?;
    PageImage::from_page(&page).map_err(|e| format!("page cannot be decoded for editing: {e}"))
}

/// A redo function: redoes one record the plan applies.
pub type RedoFn = fn(&mut Redo<'_>, &PlanEntry, &Record) -> Result<(), RecoveryError>;

/// The redo loop's state, which the redo functions read and change. It
/// holds what must outlive one generation and nothing more: the pages
/// (bounded, [`Pages`]), the operations of transactions still open, the
/// version-store entries of open transactions, and the state of macros
/// still open.
pub struct Redo<'a> {
    /// The database redone (only read).
    pub db: &'a Database,
    /// The page records not yet redone, oldest first: while a macro is
    /// open its records wait here, so a split finds the operation it takes
    /// along and a path Merge2 its leaf's record among the later ones.
    pub later: VecDeque<(PlanEntry, Record)>,
    /// The pages redone so far.
    pub pages: Pages,
    open: foldhash::HashMap<Lgpos, OpenOp>,
    /// Path pages of split macros: (macro dbtime, page) -> line the separator goes in at.
    pub path_lines: HashMap<(u64, u32), u16>,
    /// Operations of split macros already redone with their Split2.
    pub consumed: foldhash::HashSet<Lgpos>,
    /// The version store as redo rebuilds it: by rceid, the record of each
    /// versioned operation redone and the data it replaced (or the before
    /// image an UndoInfo record carries), for Undo records to roll back.
    /// Entries of a session go when its transaction ends.
    pub rces: foldhash::HashMap<u32, Rce>,
    /// Restarts of the instance met so far (Init, Term, RecoveryUndo…).
    epoch: u32,
}

/// One version-store entry rebuilt by redo.
#[derive(Debug, Clone)]
pub struct Rce {
    /// The session whose transaction made it.
    pub procid: u16,
    /// Where the operation's record is (`None` when only its UndoInfo was met).
    pub lgpos: Option<Lgpos>,
    /// The node data the operation replaced (an open operation's version
    /// names this entry rather than holding a copy).
    pub before: Option<Bytes>,
    /// The operation's record when it is a Delta or Delta64 (its undo takes the delta back).
    pub delta: Option<Record>,
    /// The instance's life it was made in (restarts before it).
    pub epoch: u32,
}

impl<'a> Redo<'a> {
    /// The redo state of `db`, its pages kept in `pages`.
    pub fn new(db: &'a Database, pages: Pages) -> Self {
        Self {
            db,
            later: VecDeque::new(),
            pages,
            open: foldhash::HashMap::default(),
            path_lines: HashMap::new(),
            consumed: foldhash::HashSet::default(),
            rces: foldhash::HashMap::default(),
            epoch: 0,
        }
    }

    /// The page as redo has it so far, editable.
    ///
    /// # Errors
    /// The page cannot be read or decoded.
    pub fn image(&self, pgno: u32) -> Result<PageImage, String> {
        image(self.db, &self.pages, pgno)
    }

    /// Keeps `page` as the page's new content (built when written out).
    ///
    /// # Errors
    /// [`RecoveryError::Stop`] when the page would not build (it is full).
    pub fn put_image(&mut self, entry: &PlanEntry, page: PageImage) -> Result<(), RecoveryError> {
        let data_len = page.data_len();
        page.check_lines_sized(data_len, 0..page.nodes.len())
            .map_err(|e| stop(entry, page.pgno.0, e.to_string()))?;
        self.pages.insert_image(page, data_len);
        Ok(())
    }

    /// Keeps a copy of `page` as the page's new content.
    ///
    /// # Errors
    /// [`RecoveryError::Stop`] when the page does not build (it is full).
    pub fn put(&mut self, entry: &PlanEntry, page: &PageImage) -> Result<(), RecoveryError> {
        self.put_image(entry, page.clone())
    }

    /// True when the operation at `lgpos` is a versioned operation of a
    /// transaction open so far, whose version undo may need.
    pub fn keeps_version(&self, lgpos: Lgpos) -> bool {
        self.open.contains_key(&lgpos)
    }

    /// Keeps what undo needs to roll back the open operation at `lgpos`.
    fn keep_version(&mut self, lgpos: Lgpos, key: Vec<u8>, before: Option<Bytes>, rceid: Option<u32>) {
        if let Some(op) = self.open.get_mut(&lgpos) {
            op.version = Some(Version { key, before, rceid });
        }
    }

    /// Notes a versioned operation of a transaction open now (the planner
    /// says so), whose record undo may need at the end of the log.
    pub fn open_operation(&mut self, record: &Record) {
        self.open.insert(record.lgpos, OpenOp { record: record.clone(), version: None });
    }

    /// Forgets the operations the planner no longer holds open, and the
    /// version-store entries of `procid` when its transaction ended
    /// (`ended`): a commit or rollback to level 0.
    pub fn transaction_moved(&mut self, procid: u16, ended: bool, still_open: impl Fn(Lgpos) -> bool) {
        if !self.open.is_empty() {
            self.open.retain(|&lgpos, _| still_open(lgpos));
        }
        if ended && !self.rces.is_empty() {
            let epoch = self.epoch;
            self.rces.retain(|_, r| r.procid != procid || r.epoch != epoch);
        }
    }

    /// The instance restarted: every session ended. The version-store
    /// entries of the life before are kept through this one (after a crash
    /// the engine's own recovery logs the Undo records that roll its open
    /// transactions back, which need them), and dropped at the next restart.
    pub fn all_ended(&mut self) {
        self.open.clear();
        self.epoch += 1;
        let epoch = self.epoch;
        self.rces.retain(|_, r| r.epoch + 1 >= epoch);
    }

    /// Gives every record of `generation` kept past it its own copy of its
    /// bytes (records share their generation's buffer while it is read):
    /// what outlives a generation is then only those records. Records of
    /// earlier generations were detached at the end of theirs.
    pub fn detach_records(&mut self, generation: i32) {
        let detach = |record: &mut Record| {
            if record.lgpos.generation == generation {
                *record = record.detached();
            }
        };
        for (_, record) in &mut self.later {
            detach(record);
        }
        for op in self.open.values_mut() {
            detach(&mut op.record);
        }
        for delta in self.rces.values_mut().filter_map(|rce| rce.delta.as_mut()) {
            detach(delta);
        }
    }

    /// The instance's life redo is in (restarts met so far).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Takes an UndoInfo record (36) in log order: its before image joins
    /// the version store, and gives an open operation whose page was
    /// flushed with the change (so redo never met it) its version (spec 4.5.3).
    pub fn undo_info(&mut self, procid: u16, record: &Record) {
        let b = &record.bytes;
        let (Some(rceid), Some(cb_key), Some(cb_bm_data), Some(cb_data)) =
            (le_u32(b, 32), le_u16(b, 44), le_u16(b, 46), le_u16(b, 54))
        else {
            return;
        };
        let (k, d) = (usize::from(cb_key), usize::from(cb_bm_data));
        let at = 56 + k + d;
        let Some(before) = b.get(at..at + usize::from(cb_data)).map(Bytes::copy_from_slice) else {
            return;
        };
        let epoch = self.epoch;
        let rce =
            self.rces.entry(rceid).or_insert(Rce { procid, lgpos: None, before: None, delta: None, epoch });
        if rce.before.is_none() {
            rce.before = Some(before.clone());
        }
        let key = b.get(56..56 + k).map(<[u8]>::to_vec).unwrap_or_default();
        let op = self
            .open
            .iter_mut()
            .filter(|(lgpos, op)| {
                op.version.is_none() && **lgpos < record.lgpos && le_u32(&op.record.bytes, 32) == Some(rceid)
            })
            .min_by_key(|(lgpos, _)| **lgpos);
        if let Some((_, op)) = op {
            op.version = Some(Version { key, before: Some(before), rceid: None });
        }
    }
}

/// True when `entry`'s page in `role` needs redo.
pub fn needs(entry: &PlanEntry, role: &str) -> bool {
    entry.pages.iter().any(|p| p.touch.role == role && p.verdict == DbtimeVerdict::NeedsRedo)
}

/// Redoes one record the plan applies with the redo function the table of
/// record types gives its type.
///
/// # Errors
/// [`RecoveryError::Stop`] when the record does not fit its page (a line not
/// there, old data of the wrong length), the page does not build, or its
/// type has no redo function.
pub fn redo_one(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    if entry.decision != Decision::Apply {
        return Ok(());
    }
    let redo = super::support::kind(entry.record_type).redo.ok_or_else(|| {
        stop(entry, le_u32(&record.bytes, 4).unwrap_or(0), "no redo function for this record type".into())
    })?;
    (redo.function)(cx, entry, record)
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
pub fn undo_all(cx: &mut Redo<'_>, plan: &Plan) -> Result<(Vec<OpenTransaction>, u64), RecoveryError> {
    let (db, pages) = (cx.db, &mut cx.pages);
    let mut dbtime = plan.max_dbtime;
    for t in &plan.open_transactions {
        let fail = |why: String| RecoveryError::Undo { procid: t.procid, begin: t.begin, why };
        for op in t.operations.iter().rev() {
            let open = cx
                .open
                .get(&op.lgpos)
                .ok_or_else(|| fail(format!("{} at {} not found again", op.name, op.lgpos)))?;
            let record = &open.record;
            let version = open.version.clone().or_else(|| {
                // Insert and FlagInsert carry their key; nothing else is needed to undo them
                let b = &record.bytes;
                match record.record_type.0 {
                    29 => {
                        let (s, p) = (usize::from(le_u16(b, 44)?), usize::from(le_u16(b, 46)?));
                        b.get(50..50 + p + s).map(|k| Version { key: k.to_vec(), before: None, rceid: None })
                    }
                    30 => {
                        let k = usize::from(le_u16(b, 44)?);
                        b.get(48..48 + k).map(|k| Version { key: k.to_vec(), before: None, rceid: None })
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
            let mut page = image(db, pages, op.pgno).map_err(|e| fail(format!("page {}: {e}", op.pgno)))?;
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
                    let stored = version.rceid.and_then(|id| cx.rces.get(&id)).and_then(|r| r.before.clone());
                    let before = version.before.clone().or(stored).ok_or_else(|| {
                        fail(format!("{} at {}: no before image of the data it replaced", op.name, op.lgpos))
                    })?;
                    node.data = before.to_vec();
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
    Ok((plan.open_transactions.clone(), dbtime))
}
