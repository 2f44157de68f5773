//! A crash to recover from: a clean database turned into one left in dirty
//! shutdown, with the log generations and checkpoint whose records bring
//! it to a final state this module knows (issue 7, log part). The logged
//! work covers Begin/Commit and Begin0/Commit0, Insert, Replace, ReplaceD,
//! Delete, FlagDelete, SetExternalHeader, NewPage and UndoInfo, a leaf
//! split (NewPage, then Split2 of the parent and of the leaf with the Insert
//! inside MacroBegin/MacroCommit), one transaction left open at the crash,
//! a partial right merge (Merge2 of the parent and of the leaf inside a
//! macro), and pages flushed at different points: some records must be
//! redone, others skipped by the dbtime rule.
//!
//! Pure over the base database's bytes: the files come back as bytes.

use std::collections::BTreeMap;

use crate::format::checksum::legacy_xor;
use crate::format::header::{field_offset, DbState};
use crate::format::page::{Page, PageFlags};
use crate::format::tag::NodeFlags;
use crate::format::txlog::attach::AttachInfo;
use crate::format::{DbTime, Lgpos, LogTime, PageNumber};
use crate::store::catalog::Catalog;
use crate::store::cursor::walk;
use crate::store::Database;
use crate::writer::header::{lgpos_bytes, signature};
use crate::writer::log_record::{self as lr, Edit, NodeHeader, DBTIME_NIL};
use crate::writer::page::PageImage;
use crate::writer::txlog::{checkpoint, GenerationSpec, LogBuilder, StreamSpec};

/// Live (not flag-deleted) nodes of a page: (key, data).
pub type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// The files of the scenario and the state recovery must reach.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The database in dirty shutdown.
    pub database: Vec<u8>,
    /// Log files by name (`edb00001.log`, …, `edb.log`), oldest first.
    pub logs: Vec<(String, Vec<u8>)>,
    /// `edb.chk`.
    pub checkpoint: Vec<u8>,
    /// For every page the log touches: its live nodes after recovery.
    pub expected: BTreeMap<u32, Rows>,
    /// The page a NewPage record formats, and its tree.
    pub new_page: (u32, u32),
    /// The split: (tree root, split page, new page). The new page is taken
    /// from outside the tree's owned extents (the scenario logs no space-tree
    /// change), so `verify --trees` on the recovered copy names it.
    pub split: (u32, u32, u32),
    /// The merge: (tree root, merged leaf, its right sibling).
    pub merge: (u32, u32, u32),
    /// Every page the log touches, with the dbtime the file holds it at:
    /// its records up to that dbtime must be skipped, the later ones redone.
    pub flushed_at: BTreeMap<u32, u64>,
}

/// Why the scenario could not be built on this database.
pub type ScenarioError = String;

fn live(image: &PageImage) -> Rows {
    image
        .nodes
        .iter()
        .filter(|n| !n.flags.contains(NodeFlags::DELETED))
        .map(|n| (n.key.clone(), n.data.clone()))
        .collect()
}

struct Writer {
    logs: Vec<(String, Vec<u8>)>,
    current: LogBuilder,
    stream: StreamSpec,
    time: u64,
    dbtime: u64,
    rceid: u32,
    attached: Vec<AttachInfo>,
}

impl Writer {
    fn log(&mut self, record: &[u8]) -> Result<Lgpos, ScenarioError> {
        // a full generation rolls over to the next
        match self.current.append(record) {
            Ok(lgpos) => Ok(lgpos),
            Err(_) => {
                self.roll();
                self.current.append(record).map_err(|e| e.to_string())
            }
        }
    }

    fn roll(&mut self) {
        let generation = self.current.generation();
        let created = LogTime::from_unix(self.time + generation as u64, 0);
        let next = GenerationSpec {
            generation: generation + 1,
            created: LogTime::from_unix(self.time + generation as u64 + 1, 0),
            previous_created: created,
            checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
            previous_checksum: 0,
            attached: self.attached.clone(),
        };
        let done = std::mem::replace(&mut self.current, LogBuilder::new(self.stream.clone(), next));
        let (bytes, _, accumulated) = done.finish(created);
        self.current.set_previous_checksum(accumulated);
        self.logs.push((format!("edb{generation:05X}.log"), bytes));
    }

    fn tick(&mut self) -> u64 {
        self.dbtime += 1;
        self.dbtime
    }
}

/// A page the scenario edits, with its state as the log leaves it and as the file holds it.
struct Tracked {
    pgno: u32,
    pgno_fdp: u32,
    /// The page as the log has made it so far.
    logged: PageImage,
}

/// How long the log runs past the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Three generations; the checkpoint at the start of the first.
    DirtyWithLogs,
    /// The open transaction holds the checkpoint at generation 1 while
    /// `n` more generations of committed work pile up behind it.
    CheckpointExhaustion(u16),
}

/// Builds the scenario on `base`, a clean database: four leaf pages of its
/// user tables with room for a few more nodes, and one page never used.
/// New and replaced node data are copies of other rows' record bytes, so
/// every row still decodes.
///
/// # Errors
/// The database has no such pages, or a page does not decode or rebuild.
pub fn dirty_with_logs(base: &Database) -> Result<Scenario, ScenarioError> {
    build(base, Kind::DirtyWithLogs)
}

/// Builds the scenario of `kind` on `base` (see [`dirty_with_logs`]).
///
/// # Errors
/// As [`dirty_with_logs`].
pub fn build(base: &Database, kind: Kind) -> Result<Scenario, ScenarioError> {
    let header = base.header().ok_or("the base database has no valid header")?;
    let size = base.page_size();
    let catalog = Catalog::read(base);
    let mut leaves: Vec<(u32, u32)> = Vec::new();
    let mut table_roots: Vec<u32> = Vec::new();
    for (name, root) in catalog.trees() {
        // user tables' own trees: not the catalog, not indexes or long values
        if name.contains("MSys") || !name.starts_with("table ") {
            continue;
        }
        table_roots.push(root.0);
        let w = walk(base, root, |_, _| {});
        for page in w.pages.iter().filter(|p| p.leaf && p.entries >= 8) {
            leaves.push((page.pgno.0, root.0));
        }
    }
    let roomy = |pgno: u32| {
        base.page(PageNumber(pgno)).ok().and_then(|p| {
            let free = p.header.cb_free;
            (free >= 600 && !p.header.flags.contains(PageFlags::SPACE_TREE)).then_some(())
        })
    };
    leaves.retain(|&(pgno, _)| roomy(pgno).is_some());
    leaves.sort_unstable();
    leaves.dedup_by_key(|l| l.0);
    if leaves.len() < 4 {
        return Err(format!(
            "needs 4 leaf pages with 8 or more nodes and 600 free bytes, found {}",
            leaves.len()
        ));
    }
    // the last never-used page: past every tree's pages in a file the writer made
    let blank = (1..=base.page_count())
        .rev()
        .map(PageNumber)
        .find(|&n| base.page_bytes(n).is_ok_and(|b| b.iter().all(|&x| x == 0)))
        .ok_or("the base database has no unused page for NewPage")?;
    let mut tracked: Vec<Tracked> = Vec::new();
    for &(pgno, root) in leaves.iter().take(4) {
        let page = base.page(PageNumber(pgno)).map_err(|e| e.to_string())?;
        let image = PageImage::from_page(&page).map_err(|e| format!("page {pgno}: {e}"))?;
        tracked.push(Tracked { pgno, pgno_fdp: root, logged: image });
    }
    let time = 1_767_225_600; // 2026-01-01 00:00:00 UTC: the scenario is deterministic
    let sign_log = signature(0x05EE_D106, LogTime::from_unix(time, 0));
    let stream =
        StreamSpec { sign_log, page_size: size.bytes() as u16, segments: 6, version: (8, 4000, 90, 200) };
    let path = "C:\\esescope\\dirty-with-logs\\database.edb".to_string();
    let attach_info = |lgpos_attach: Lgpos| AttachInfo {
        dbid: 1,
        flags: 0x20,
        dbtime: header.dbtime_dirtied.0,
        objid_last: header.objid_last,
        max_pages: 0,
        lgpos_attach,
        lgpos_consistent: header.lgpos_consistent,
        sign_db: header.sign_db,
        path: path.clone(),
    };
    let first = GenerationSpec {
        generation: 1,
        created: LogTime::from_unix(time + 1, 0),
        previous_created: LogTime::default(),
        checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
        previous_checksum: 0,
        attached: Vec::new(),
    };
    let mut w = Writer {
        logs: Vec::new(),
        current: LogBuilder::new(stream.clone(), first),
        stream,
        time,
        dbtime: header.dbtime_dirtied.0.max(max_page_dbtime(base)),
        rceid: 0,
        attached: Vec::new(),
    };
    w.log(&lr::init2(LogTime::from_unix(time + 1, 0)))?;
    let lgpos_attach =
        w.log(&lr::attach_db(0, 1, header.lgpos_consistent, header.sign_db, sign_log, &path))?;
    w.attached = vec![attach_info(lgpos_attach)];
    let objid_of = |t: &Tracked| t.logged.objid.0;
    let node =
        |w: &mut Writer, t: &mut Tracked, procid: u16, trx: u32, level: u8, iline: usize, versioned: bool| {
            let before = t.logged.dbtime.0;
            let after = w.tick();
            t.logged.dbtime = DbTime(after);
            w.rceid += 1;
            NodeHeader {
                procid,
                dbid: 1,
                pgno: t.pgno,
                dbtime_after: after,
                dbtime_before: before,
                trx_begin0: trx,
                level,
                iline: iline as u16,
                flags: u8::from(versioned),
                rceid: w.rceid,
                pgno_fdp: t.pgno_fdp,
                objid_fdp: objid_of(t),
            }
        };
    let [a, b, c, d] = &mut tracked[..] else { return Err("four pages".into()) };
    let snapshot = |t: &Tracked| t.logged.clone();
    let tracked_dbtimes: BTreeMap<u32, u64> =
        [&*a, &*b, &*c, &*d].iter().map(|t| (t.pgno, t.logged.dbtime.0)).collect();
    // the file's pages: what was flushed before the crash
    let mut flushed: BTreeMap<u32, PageImage> = BTreeMap::new();

    // T1 (session 1): Begin0, Insert, Replace, ReplaceD, FlagDelete on A, Commit0
    w.log(&lr::begin0(1, 1))?;
    let i = insert_point(&a.logged).ok_or("page A has no room between two keys")?;
    let key = new_key(&a.logged, i);
    let row = a.logged.nodes[i - 1].data.clone();
    let h = node(&mut w, a, 1, 1, 1, i, true);
    w.log(&lr::insert(&h, &key, 0, &row))?;
    a.logged.nodes.insert(i, crate::writer::page::NodeImage::new(key, row));
    let j = (i + 2) % a.logged.nodes.len();
    let old = a.logged.nodes[j].data.clone();
    let new = a.logged.nodes[(j + 1) % a.logged.nodes.len()].data.clone();
    let h = node(&mut w, a, 1, 1, 1, j, true);
    w.log(&lr::replace(&h, old.len(), &new))?;
    a.logged.nodes[j].data = new;
    let k = (i + 3) % a.logged.nodes.len();
    let old = a.logged.nodes[k].data.clone();
    // one byte inside the first fixed column (after the 4-byte record header)
    let at = 5u16.min(old.len().saturating_sub(1) as u16);
    let byte = old.get(usize::from(at)).map_or(0, |b| b ^ 0x01);
    let edit = Edit { offset: at, old_len: 1, new: vec![byte] };
    let mut new = old.clone();
    if let Some(slot) = new.get_mut(usize::from(at)) {
        *slot = byte;
    }
    let h = node(&mut w, a, 1, 1, 1, k, true);
    w.log(&lr::replace_d(&h, old.len(), new.len(), &[edit]))?;
    a.logged.nodes[k].data = new;
    let m = (i + 5) % a.logged.nodes.len();
    let h = node(&mut w, a, 1, 1, 1, m, true);
    w.log(&lr::flag_delete(&h))?;
    a.logged.nodes[m].flags = NodeFlags(a.logged.nodes[m].flags.0 | NodeFlags::DELETED.0);
    // version cleanup removes another node of A, and A's external header is rewritten
    let gone = (m + 1) % a.logged.nodes.len();
    let h = node(&mut w, a, 1, 1, 1, gone, false);
    w.log(&lr::delete(&h))?;
    a.logged.nodes.remove(gone);
    let ext = a.logged.external_header.clone();
    let h = node(&mut w, a, 1, 1, 1, 0, false);
    w.log(&lr::set_external_header(&h, &ext))?;
    w.log(&lr::commit0(1, 1))?;

    // T2 (session 2): nested Begin/Commit; Delete and SetExternalHeader on B
    w.log(&lr::begin0(2, 2))?;
    w.log(&lr::begin(2, 1))?;
    let last = b.logged.nodes.len() - 1;
    let h = node(&mut w, b, 2, 2, 2, last, false);
    w.log(&lr::delete(&h))?;
    b.logged.nodes.remove(last);
    w.log(&lr::commit(2, 1))?;
    let ext = b.logged.external_header.clone();
    let h = node(&mut w, b, 2, 2, 1, 0, false);
    w.log(&lr::set_external_header(&h, &ext))?;
    w.log(&lr::commit0(2, 2))?;
    flushed.insert(b.pgno, snapshot(b)); // B is flushed here: T2 is on disk

    // NewPage: the unused page is formatted for A's tree
    let after = w.tick();
    w.log(&lr::new_page(1, 1, blank.0, objid_of(a), after))?;
    w.roll();

    // T3 (session 1): Insert and Replace on C, which is flushed right after
    w.log(&lr::begin0(1, 3))?;
    let i = insert_point(&c.logged).ok_or("page C has no room between two keys")?;
    let key = new_key(&c.logged, i);
    let row = c.logged.nodes[i - 1].data.clone();
    let h = node(&mut w, c, 1, 3, 1, i, true);
    w.log(&lr::insert(&h, &key, 0, &row))?;
    c.logged.nodes.insert(i, crate::writer::page::NodeImage::new(key, row));
    let j = (i + 2) % c.logged.nodes.len();
    let new = c.logged.nodes[(j + 1) % c.logged.nodes.len()].data.clone();
    let h = node(&mut w, c, 1, 3, 1, j, true);
    w.log(&lr::replace(&h, c.logged.nodes[j].data.len(), &new))?;
    c.logged.nodes[j].data = new;
    w.log(&lr::commit0(1, 3))?;
    flushed.insert(c.pgno, snapshot(c));

    // T4 (session 3): never commits. Replace and Insert on A (not flushed),
    // FlagDelete on B (not flushed again), Replace on D (flushed: UndoInfo)
    let expected_a = live(&a.logged);
    let expected_b = live(&b.logged);
    let expected_d = live(&d.logged);
    w.log(&lr::begin0(3, 4))?;
    let r = 1;
    let new = a.logged.nodes[r + 1].data.clone();
    let h = node(&mut w, a, 3, 4, 1, r, true);
    w.log(&lr::replace(&h, a.logged.nodes[r].data.len(), &new))?;
    a.logged.nodes[r].data = new;
    let i = insert_point(&a.logged).ok_or("page A has no second insert point")?;
    let key = new_key(&a.logged, i);
    let row = a.logged.nodes[i - 1].data.clone();
    let h = node(&mut w, a, 3, 4, 1, i, true);
    w.log(&lr::insert(&h, &key, 0, &row))?;
    a.logged.nodes.insert(i, crate::writer::page::NodeImage::new(key, row));
    let h = node(&mut w, b, 3, 4, 1, 0, true);
    w.log(&lr::flag_delete(&h))?;
    b.logged.nodes[0].flags = NodeFlags(b.logged.nodes[0].flags.0 | NodeFlags::DELETED.0);
    let old = d.logged.nodes[0].data.clone();
    let new = d.logged.nodes[1].data.clone();
    let h = node(&mut w, d, 3, 4, 1, 0, true);
    w.log(&lr::replace(&h, old.len(), &new))?;
    d.logged.nodes[0].data = new;
    w.roll();
    // D is flushed with T4's change: the engine logs its before image first
    let mut uh = h;
    uh.dbtime_before = DBTIME_NIL;
    w.log(&lr::undo_info(&uh, &d.logged.nodes[0].key, 2, &old))?;
    flushed.insert(d.pgno, snapshot(d));
    // T5 (session 2) after T4's changes on B: Insert, committed
    w.log(&lr::begin0(2, 5))?;
    let i = insert_point(&b.logged).ok_or("page B has no insert point")?;
    let key = new_key(&b.logged, i);
    let t5_row = b.logged.nodes[i - 1].data.clone();
    let h = node(&mut w, b, 2, 5, 1, i, true);
    w.log(&lr::insert(&h, &key, 0, &t5_row))?;
    b.logged.nodes.insert(i, crate::writer::page::NodeImage::new(key.clone(), t5_row.clone()));
    w.log(&lr::commit0(2, 5))?;
    // T6 (session 4): an Insert that splits a leaf S of A's tree: NewPage,
    // then the macro: Split2 of the parent (the root, receiving the
    // separator), Split2 of S into S and the new page N, the Insert itself
    let (root6, s_pgno, r_pgno) = table_roots
        .iter()
        .find_map(|&root| {
            split_leaf(base, root, &[a.pgno, b.pgno, c.pgno, d.pgno]).ok().map(|(s, r)| (root, s, r))
        })
        .ok_or("no table has a two-level tree with a leaf to split")?;
    let n_pgno = (1..blank.0)
        .rev()
        .map(PageNumber)
        .find(|&n| base.page_bytes(n).is_ok_and(|x| x.iter().all(|&v| v == 0)))
        .ok_or("no second unused page for the split")?
        .0;
    let image_of = |pgno: u32| -> Result<PageImage, ScenarioError> {
        let page = base.page(PageNumber(pgno)).map_err(|e| e.to_string())?;
        PageImage::from_page(&page).map_err(|e| format!("page {pgno}: {e}"))
    };
    let (mut sp, mut rp, mut pp) = (image_of(s_pgno)?, image_of(r_pgno)?, image_of(root6)?);
    w.log(&lr::begin0(4, 6))?;
    let new_dbtime = w.tick();
    w.log(&lr::new_page(4, 1, n_pgno, sp.objid.0, new_dbtime))?;
    let d6 = w.tick();
    w.log(&lr::macro_record(false, 4, d6))?;
    let parent_line = pp
        .nodes
        .iter()
        .position(|n| n.data.len() >= 4 && n.data[n.data.len() - 4..] == s_pgno.to_le_bytes())
        .ok_or("the root does not point to the leaf to split")?;
    let k = insert_point(&sp).ok_or("the leaf to split has no insert point")?;
    let key6 = new_key(&sp, k);
    let row6 = sp.nodes[k - 1].data.clone();
    let mut lines = sp.nodes.clone();
    lines.insert(k, crate::writer::page::NodeImage::new(key6.clone(), row6.clone()));
    let cut = lines.len() / 2;
    let key_parent = lines[cut].key.clone();
    let header6 = |pgno: u32, before: u64, iline: usize| NodeHeader {
        procid: 4,
        dbid: 1,
        pgno,
        dbtime_after: d6,
        dbtime_before: before,
        trx_begin0: 6,
        level: 1,
        iline: iline as u16,
        flags: 0,
        rceid: 0,
        pgno_fdp: root6,
        objid_fdp: sp.objid.0,
    };
    let path = lr::Split2 {
        pgno_new: 0,
        right: (0, DBTIME_NIL),
        parent: (0, DBTIME_NIL),
        fdp: (root6, sp.objid.0),
        split_type: 0,
        oper: 0,
        iline_oper: parent_line as u16,
        iline_split: 0,
        clines: 0,
        flags: (0, 0),
        prefix_lines: (0, 0),
        key_parent: Vec::new(),
        prefixes: (Vec::new(), Vec::new()),
    };
    w.log(&lr::split2(&header6(root6, pp.dbtime.0, 0), &path))?;
    let leaf = lr::Split2 {
        pgno_new: n_pgno,
        right: (r_pgno, rp.dbtime.0),
        parent: (root6, pp.dbtime.0),
        fdp: (root6, sp.objid.0),
        split_type: 1,
        oper: 1,
        iline_oper: k as u16,
        iline_split: cut as u16,
        clines: lines.len() as u16,
        flags: (sp.flags.0, sp.flags.0),
        prefix_lines: (-1, -1),
        key_parent: key_parent.clone(),
        prefixes: (sp.external_header.clone(), Vec::new()),
    };
    w.log(&lr::split2(&header6(s_pgno, sp.dbtime.0, 0), &leaf))?;
    let mut oper = header6(s_pgno, DBTIME_NIL, k);
    oper.flags = 1;
    w.log(&lr::insert(&oper, &key6, 0, &row6))?;
    w.log(&lr::macro_record(true, 4, d6))?;
    w.log(&lr::commit0(4, 6))?;
    // what the split means: S keeps the lines before the cut, N has the
    // rest, the root gets the separator, R links back to N
    let n_rows: Rows = lines[cut..]
        .iter()
        .filter(|n| !n.flags.contains(NodeFlags::DELETED))
        .map(|n| (n.key.clone(), n.data.clone()))
        .collect();
    sp.nodes = lines[..cut].to_vec();
    let mut parent_rows = live(&pp);
    parent_rows.push((key_parent, s_pgno.to_le_bytes().to_vec()));
    for row in parent_rows
        .iter_mut()
        .filter(|r| r.1.len() >= 4 && r.1[r.1.len() - 4..] == s_pgno.to_le_bytes() && r.0 != leaf.key_parent)
    {
        let at = row.1.len() - 4;
        row.1[at..].copy_from_slice(&n_pgno.to_le_bytes());
    }
    rp.prev = PageNumber(n_pgno);
    pp.dbtime = DbTime(d6);
    let leaf_root = root6;
    let split_expected = [(s_pgno, live(&sp)), (n_pgno, n_rows), (root6, parent_rows), (r_pgno, live(&rp))];
    // T7 (session 4): a partial right merge in another tree: the last two
    // nodes of a leaf L move to the front of its right sibling; the parent's
    // pointer to L gets the first moved key as its separator
    let taken7 = [a.pgno, b.pgno, c.pgno, d.pgno, s_pgno, n_pgno, r_pgno];
    let (root7, l_pgno, rt_pgno) = table_roots
        .iter()
        .filter(|&&root| root != root6)
        .find_map(|&root| merge_pair(base, root, &taken7).map(|(l, r)| (root, l, r)))
        .ok_or("no second table has a two-level tree with two leaves to merge")?;
    let (mut lp, mut rtp, mut p7) = (image_of(l_pgno)?, image_of(rt_pgno)?, image_of(root7)?);
    w.log(&lr::begin0(4, 7))?;
    let d7 = w.tick();
    w.log(&lr::macro_record(false, 4, d7))?;
    let pointer = p7
        .nodes
        .iter()
        .position(|n| n.data.len() >= 4 && n.data[n.data.len() - 4..] == l_pgno.to_le_bytes())
        .ok_or("the root does not point to the leaf to merge")?;
    let cut7 = lp.nodes.len() - 2;
    let separator = lp.nodes[cut7].key.clone();
    let header7 = |pgno: u32, before: u64, iline: usize| NodeHeader {
        procid: 4,
        dbid: 1,
        pgno,
        dbtime_after: d7,
        dbtime_before: before,
        trx_begin0: 7,
        level: 1,
        iline: iline as u16,
        flags: 0,
        rceid: 0,
        pgno_fdp: root7,
        objid_fdp: lp.objid.0,
    };
    let path7 = lr::Merge2 {
        right: (0, DBTIME_NIL),
        left: (0, DBTIME_NIL),
        parent: (0, DBTIME_NIL),
        fdp: (root7, lp.objid.0),
        iline_merge: 0,
        flags: 0x1,
        merge_type: 0,
        separator: Vec::new(),
    };
    w.log(&lr::merge2(&header7(root7, p7.dbtime.0, pointer), &path7))?;
    let leaf7 = lr::Merge2 {
        right: (rt_pgno, rtp.dbtime.0),
        left: (lp.prev.0, DBTIME_NIL),
        parent: (root7, p7.dbtime.0),
        fdp: (root7, lp.objid.0),
        iline_merge: cut7 as u16,
        flags: 0,
        merge_type: 3,
        separator: separator.clone(),
    };
    w.log(&lr::merge2(&header7(l_pgno, lp.dbtime.0, 0), &leaf7))?;
    w.log(&lr::macro_record(true, 4, d7))?;
    w.log(&lr::commit0(4, 7))?;
    let moved: Vec<_> = lp.nodes.drain(cut7..).collect();
    rtp.nodes.splice(0..0, moved);
    p7.nodes[pointer].key = separator;
    let merge_expected = [(l_pgno, live(&lp)), (rt_pgno, live(&rtp)), (root7, live(&p7))];
    // checkpoint exhaustion: T4 stays open while generations of committed
    // work on C pile up; C is flushed at the end, so all of it is skipped
    if let Kind::CheckpointExhaustion(extra) = kind {
        for n in 0..u32::from(extra) {
            w.roll();
            w.log(&lr::begin0(1, 100 + n))?;
            let line = (n as usize) % c.logged.nodes.len();
            let new = c.logged.nodes[(line + 1) % c.logged.nodes.len()].data.clone();
            let h = node(&mut w, c, 1, 100 + n, 1, line, true);
            w.log(&lr::replace(&h, c.logged.nodes[line].data.len(), &new))?;
            c.logged.nodes[line].data = new;
            w.log(&lr::commit0(1, 100 + n))?;
        }
        flushed.insert(c.pgno, snapshot(c));
    }
    // the crash: no Term; the current generation is edb.log
    let last_gen = w.current.generation();
    let created = LogTime::from_unix(time + last_gen as u64, 0);
    let (bytes, _, _) = std::mem::replace(
        &mut w.current,
        LogBuilder::new(
            w.stream.clone(),
            GenerationSpec {
                generation: 0,
                created,
                previous_created: created,
                checkpoint: Lgpos::default(),
                previous_checksum: 0,
                attached: Vec::new(),
            },
        ),
    )
    .finish(created);
    w.logs.push(("edb.log".to_string(), bytes));

    // the state the log means: T4 rolled back, so A and D are as before it
    let mut expected = BTreeMap::new();
    expected.insert(a.pgno, expected_a);
    let mut final_b = expected_b;
    final_b.push((key, t5_row));
    final_b.sort();
    expected.insert(b.pgno, final_b);
    expected.insert(c.pgno, live(&c.logged));
    expected.insert(d.pgno, expected_d);
    for (pgno, rows) in split_expected.into_iter().chain(merge_expected) {
        expected.insert(pgno, rows);
    }
    for rows in expected.values_mut() {
        rows.sort();
    }

    // the database file: flushed pages written, header in dirty shutdown
    let mut database = std::fs::read(base.path()).map_err(|e| format!("{}: {e}", base.path().display()))?;
    let mut flushed_at: BTreeMap<u32, u64> = tracked_dbtimes;
    flushed_at.insert(blank.0, 0);
    flushed_at.insert(n_pgno, 0);
    for pgno in [s_pgno, r_pgno, leaf_root, l_pgno, rt_pgno, root7] {
        if let Ok(page) = base.page(PageNumber(pgno)) {
            flushed_at.insert(pgno, page.header.dbtime_dirtied.0);
        }
    }
    for (pgno, image) in &flushed {
        flushed_at.insert(*pgno, image.dbtime.0);
        let bytes = image.build().map_err(|e| e.to_string())?;
        let at = usize::try_from(PageNumber(*pgno).file_offset(size)).map_err(|e| e.to_string())?;
        database.get_mut(at..at + size.len()).ok_or("page outside the file")?.copy_from_slice(&bytes);
    }
    let mut h = database.get(..size.len()).ok_or("no header")?.to_vec();
    let mut put = |name: &str, value: &[u8]| {
        if let Some(at) = field_offset(name) {
            if let Some(slot) = h.get_mut(at..at + value.len()) {
                slot.copy_from_slice(value);
            }
        }
    };
    put("le_dbstate", &DbState::DIRTY_SHUTDOWN.0.to_le_bytes());
    put("signLog", &sign_log.0);
    put("le_lgposAttach", &lgpos_bytes(lgpos_attach));
    put("le_lgposDetach", &[0; 8]);
    put("le_lgposConsistent", &[0; 8]);
    put("le_lGenMinRequired", &1i32.to_le_bytes());
    put("le_lGenMaxRequired", &last_gen.to_le_bytes());
    let sum = legacy_xor(&h);
    h[..4].copy_from_slice(&sum.to_le_bytes());
    database.get_mut(..size.len()).ok_or("no header")?.copy_from_slice(&h);
    database.get_mut(size.len()..2 * size.len()).ok_or("no shadow header")?.copy_from_slice(&h);
    let chk = checkpoint(sign_log, Lgpos { generation: 1, isec: 1, ib: 0 }, &w.attached);
    Ok(Scenario {
        database,
        logs: w.logs,
        checkpoint: chk,
        expected,
        new_page: (blank.0, a.logged.objid.0),
        flushed_at,
        split: (root6, s_pgno, n_pgno),
        merge: (root7, l_pgno, rt_pgno),
    })
}

fn max_page_dbtime(db: &Database) -> u64 {
    db.page_numbers()
        .filter_map(|n| db.page(n).ok().map(|p: Page<'_>| p.header.dbtime_dirtied.0))
        .max()
        .unwrap_or(0)
}

/// A leaf of the two-level tree `root` (not one of `taken`) with a right
/// sibling, to split: (leaf, its right sibling).
fn split_leaf(base: &Database, root: u32, taken: &[u32]) -> Result<(u32, u32), ScenarioError> {
    let tree = walk(base, PageNumber(root), |_, _| {});
    if tree.pages.iter().any(|p| p.depth > 1) {
        return Err(format!("the tree at page {root} has more than two levels"));
    }
    tree.pages
        .iter()
        .filter(|p| p.leaf && p.depth == 1 && p.entries >= 8 && !taken.contains(&p.pgno.0))
        .find_map(|p| {
            let page = base.page(p.pgno).ok()?;
            let next = page.header.next.0;
            (next != 0 && !taken.contains(&next)).then_some((p.pgno.0, next))
        })
        .ok_or_else(|| format!("the tree at page {root} has no leaf to split"))
}

/// Two neighbouring leaves of the two-level tree `root` (neither in
/// `taken`) where the last two nodes of the first fit, uncompressed, in the second.
fn merge_pair(base: &Database, root: u32, taken: &[u32]) -> Option<(u32, u32)> {
    let tree = walk(base, PageNumber(root), |_, _| {});
    if tree.pages.iter().any(|p| p.depth > 1) {
        return None;
    }
    let image = |pgno: PageNumber| base.page(pgno).ok().and_then(|p| PageImage::from_page(&p).ok());
    tree.pages
        .iter()
        .filter(|p| p.leaf && p.depth == 1 && p.entries >= 8 && !taken.contains(&p.pgno.0))
        .find_map(|p| {
            let left = image(p.pgno)?;
            let next = left.next;
            if next.is_null() || taken.contains(&next.0) {
                return None;
            }
            let right = image(next)?;
            let need: usize = left.nodes.iter().rev().take(2).map(|n| n.key.len() + n.data.len() + 8).sum();
            (right.free_len()? > need + 64).then_some((p.pgno.0, next.0))
        })
}

/// A line at which a new key fits strictly between its neighbours.
fn insert_point(page: &PageImage) -> Option<usize> {
    (1..page.nodes.len()).find(|&i| {
        let (prev, next) = (&page.nodes[i - 1].key, &page.nodes[i].key);
        let mut key = prev.clone();
        key.push(0);
        key < *next && !page.nodes[i - 1].flags.contains(NodeFlags::DELETED)
    })
}

/// The key for line `i`: the previous key with a 0 byte appended.
fn new_key(page: &PageImage, i: usize) -> Vec<u8> {
    let mut key = page.nodes[i - 1].key.clone();
    key.push(0);
    key
}
