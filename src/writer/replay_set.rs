//! A long log set whose every page record must be redone, for measuring
//! replay (`examples/replay_set.rs`, `scripts/bench.sh`) and for checking
//! it on a short chain (`tests/it/replay_set.rs`): one table `events` in a
//! two-level tree (a root over its leaves), and generation after generation
//! of committed transactions on it: each inserts a row under a new random
//! key, replaces a random row's record, and mostly deletes another row, so
//! the table grows slowly; a leaf that has no room for an insert is split
//! (NewPage, then MacroBegin, Split2 of the root, Split2 of the leaf with
//! the Insert it takes along, MacroCommit) while the root has room for the
//! separator. The database is written in its state before the first
//! record, in dirty shutdown needing every generation: recovery must redo
//! every page record.
//!
//! The generator keeps the tree's pages as it means them, and can write
//! that final state as a database of its own (`expected.edb`), for the
//! rows recovery must reach. Each log file is written when it is full:
//! the generator's memory is the table and one generation.

use std::collections::HashSet;
use std::path::Path;

use crate::format::page::PageFlags;
use crate::format::txlog::attach::AttachInfo;
use crate::format::{DbTime, Lgpos, LogTime, PageNumber, PageSize};
use crate::store::Database;
use crate::writer::database::{write_database, DatabaseSpec};
use crate::writer::header::{signature, HeaderSpec};
use crate::writer::key::segment;
use crate::writer::log_record::{self as lr, NodeHeader, DBTIME_NIL};
use crate::writer::page::{NodeImage, PageImage};
use crate::writer::record::{encode_record, place_columns, LongValues, PlacedColumn};
use crate::writer::sample::SplitMix;
use crate::writer::schema::{ColumnDef, ColumnType as T, IndexDef, TableDef, Value};
use crate::writer::txlog::{checkpoint, GenerationSpec, LogBuilder, StreamSpec};

const TIME: u64 = 1_767_225_600; // 2026-01-01 00:00:00 UTC: deterministic
const PAGE_SIZE: PageSize = PageSize::K16;
/// Rows of the table before the first record.
const INITIAL_ROWS: u32 = 3000;
/// Blank pages after the table, for the pages splits take.
const SPARE_PAGES: u32 = 1200;
/// Free bytes a leaf keeps beyond an insert (the prefix may be chosen again by a split).
const MARGIN: usize = 64;

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaySet {
    /// Generations written.
    pub generations: i32,
    /// Log records written.
    pub records: u64,
    /// Page records written (every one needs redo).
    pub page_records: u64,
    /// Rows inserted, replaced and deleted, and leaves split.
    pub inserts: u64,
    /// Rows replaced.
    pub replaces: u64,
    /// Rows deleted.
    pub deletes: u64,
    /// Leaf splits.
    pub splits: u64,
    /// Rows of the table at the end.
    pub rows: usize,
    /// Leaves of the table at the end.
    pub leaves: usize,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new("Id", T::LONG).not_null(),
        ColumnDef::new("At", T::DATE_TIME),
        ColumnDef::new("Kind", T::UNSIGNED_SHORT),
        ColumnDef::new("Score", T::IEEE_DOUBLE),
        ColumnDef::new("Payload", T::BINARY),
    ]
}

/// A row of `id`, its values drawn from `rng`; every record has the same length.
fn row(id: i32, rng: &mut SplitMix) -> Vec<Value> {
    vec![
        Value::Long(id),
        Value::DateTime(40_000.0 + f64::from(id.rem_euclid(100_000)) / 86_400.0),
        Value::UnsignedShort(rng.below(64) as u16),
        Value::Double(rng.below(1_000_000) as f64 / 1000.0),
        Value::Binary((0..24).map(|_| rng.below(256) as u8).collect()),
    ]
}

/// The table's pages as the log leaves them, and the writing state.
struct Gen<'a> {
    dir: &'a Path,
    stream: StreamSpec,
    attached: Vec<AttachInfo>,
    log: LogBuilder,
    previous_checksum: u64,
    last: i32,
    dbtime: u64,
    rceid: u32,
    trx: u32,
    rng: SplitMix,
    placed: Vec<PlacedColumn>,
    ids: HashSet<i32>,
    root: PageImage,
    leaves: Vec<PageImage>,
    spare: std::ops::Range<u32>,
    done: ReplaySet,
}

fn created(generation: i32) -> LogTime {
    LogTime::from_unix(TIME + generation as u64, 0)
}

impl Gen<'_> {
    fn append(&mut self, record: &[u8]) -> Result<(), String> {
        if self.log.append(record).is_err() {
            self.roll()?;
            self.log.append(record).map_err(|e| e.to_string())?;
        }
        self.done.records += 1;
        if matches!(record.first(), Some(29..=35 | 62 | 95)) {
            self.done.page_records += 1;
        }
        Ok(())
    }

    /// Writes the full generation and starts the next.
    fn roll(&mut self) -> Result<(), String> {
        let generation = self.log.generation();
        if generation >= self.last {
            return Err(format!("generation {generation:#X}, the last, is full before its transaction ends"));
        }
        let next = LogBuilder::new(
            self.stream.clone(),
            GenerationSpec {
                generation: generation + 1,
                created: created(generation + 1),
                previous_created: created(generation),
                checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
                previous_checksum: self.previous_checksum,
                attached: self.attached.clone(),
            },
        );
        let full = std::mem::replace(&mut self.log, next);
        let (file, _, accumulated) = full.finish(created(generation + 1));
        self.previous_checksum = accumulated;
        self.log.set_previous_checksum(accumulated);
        let path = self.dir.join(format!("edb{generation:05X}.log"));
        std::fs::write(&path, file).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// True when the newest generation has too little room left to begin another transaction.
    fn last_is_full(&self) -> bool {
        // isec counts 4 KiB segments: stop with two or more left
        self.log.generation() == self.last && self.log.position().isec + 5 > self.stream.segments
    }

    fn tick(&mut self) -> u64 {
        self.dbtime += 1;
        self.dbtime
    }

    fn header(&mut self, page: &mut PageImage, iline: usize, versioned: bool) -> NodeHeader {
        let before = page.dbtime.0;
        let after = self.tick();
        page.dbtime = DbTime(after);
        self.rceid += 1;
        NodeHeader {
            procid: 1 + (self.trx % 4) as u16,
            dbid: 1,
            pgno: page.pgno.0,
            dbtime_after: after,
            dbtime_before: before,
            trx_begin0: self.trx,
            level: 1,
            iline: iline as u16,
            flags: u8::from(versioned),
            rceid: self.rceid,
            pgno_fdp: self.root.pgno.0,
            objid_fdp: self.root.objid.0,
        }
    }

    fn record(&mut self, id: i32) -> Result<Vec<u8>, String> {
        let values = row(id, &mut self.rng);
        let mut lv = LongValues { values: Vec::new() };
        encode_record(&self.placed, &values, PAGE_SIZE, &mut lv).map_err(str::to_string)
    }

    /// The root line whose child holds `key`, and that child's index among the leaves.
    fn leaf_of(&self, key: &[u8]) -> (usize, usize) {
        let line = self
            .root
            .nodes
            .iter()
            .position(|n| n.key.is_empty() || n.key.as_slice() > key)
            .unwrap_or(self.root.nodes.len() - 1);
        let child =
            self.root.nodes[line].data.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let leaf = self.leaves.iter().position(|l| l.pgno.0 == child).unwrap_or(0);
        (line, leaf)
    }

    /// One committed transaction: insert, replace, and (mostly) delete.
    fn transaction(&mut self) -> Result<(), String> {
        self.trx += 1;
        let (procid, trx) = (1 + (self.trx % 4) as u16, self.trx);
        self.append(&lr::begin0(procid, trx))?;
        self.insert()?;
        self.replace()?;
        if self.rng.below(100) < 98 {
            self.delete()?;
        }
        self.append(&lr::commit0(procid, trx))
    }

    fn insert(&mut self) -> Result<(), String> {
        let id = loop {
            let id = (self.rng.next_u64() >> 33) as i32;
            if !self.ids.contains(&id) {
                break id;
            }
        };
        let key = segment(T::LONG, 0, &Value::Long(id), false).map_err(|e| format!("{e:?}"))?;
        let data = self.record(id)?;
        let node = NodeImage::new(key.clone(), data.clone());
        let (line, at) = self.leaf_of(&key);
        let fits = self.leaves[at].free_len().is_some_and(|f| f >= node.stored_len() + 4 + MARGIN);
        let separator = NodeImage::new(key.clone(), vec![0; 4]);
        let root_room = self.root.free_len().is_some_and(|f| f >= separator.stored_len() + 4 + 4 * MARGIN);
        if !fits && (!root_room || self.spare.is_empty()) {
            return Ok(()); // the tree is as large as it may grow: this transaction inserts nothing
        }
        self.ids.insert(id);
        self.done.inserts += 1;
        let k = match self.leaves[at].find(&key) {
            Ok(k) | Err(k) => k,
        };
        if fits {
            let mut leaf = std::mem::replace(
                &mut self.leaves[at],
                PageImage::new(PageNumber(0), PAGE_SIZE, self.root.objid, PageFlags(0)),
            );
            let h = self.header(&mut leaf, k, true);
            leaf.nodes.insert(k, node);
            self.leaves[at] = leaf;
            return self.append(&lr::insert(&h, &key, 0, &data));
        }
        self.split(line, at, k, key, data)
    }

    /// Splits leaf `at` (pointed to by root line `line`) with the insert of `key` at its line `k`.
    fn split(&mut self, line: usize, at: usize, k: usize, key: Vec<u8>, data: Vec<u8>) -> Result<(), String> {
        self.done.splits += 1;
        let pgno_new = self.spare.next().ok_or("no spare page")?;
        let (procid, trx) = (1 + (self.trx % 4) as u16, self.trx);
        let objid = self.root.objid;
        let new_dbtime = self.tick();
        self.append(&lr::new_page(procid, 1, pgno_new, objid.0, new_dbtime))?;
        let d = self.tick();
        self.append(&lr::macro_record(false, procid, d))?;
        let leaf = &self.leaves[at];
        let mut lines = leaf.nodes.clone();
        lines.insert(k, NodeImage::new(key.clone(), data.clone()));
        let cut = lines.len() / 2;
        let key_parent = lines[cut].key.clone();
        let right = self.leaves.get(at + 1).map(|r| (r.pgno.0, r.dbtime.0)).unwrap_or((0, DBTIME_NIL));
        let header = |pgno: u32, before: u64, iline: usize| NodeHeader {
            procid,
            dbid: 1,
            pgno,
            dbtime_after: d,
            dbtime_before: before,
            trx_begin0: trx,
            level: 1,
            iline: iline as u16,
            flags: 0,
            rceid: 0,
            pgno_fdp: self.root.pgno.0,
            objid_fdp: objid.0,
        };
        let path = lr::Split2 {
            pgno_new: 0,
            right: (0, DBTIME_NIL),
            parent: (0, DBTIME_NIL),
            fdp: (self.root.pgno.0, objid.0),
            split_type: 0,
            oper: 0,
            iline_oper: line as u16,
            iline_split: 0,
            clines: 0,
            flags: (0, 0),
            prefix_lines: (0, 0),
            key_parent: Vec::new(),
            prefixes: (Vec::new(), Vec::new()),
        };
        let path_record = lr::split2(&header(self.root.pgno.0, self.root.dbtime.0, 0), &path);
        let split = lr::Split2 {
            pgno_new,
            right,
            parent: (self.root.pgno.0, self.root.dbtime.0),
            fdp: (self.root.pgno.0, objid.0),
            split_type: 1,
            oper: 1,
            iline_oper: k as u16,
            iline_split: cut as u16,
            clines: lines.len() as u16,
            flags: (leaf.flags.0, leaf.flags.0),
            prefix_lines: (-1, -1),
            key_parent: key_parent.clone(),
            prefixes: (leaf.external_header.clone(), Vec::new()),
        };
        let leaf_record = lr::split2(&header(leaf.pgno.0, leaf.dbtime.0, 0), &split);
        self.rceid += 1;
        let mut oper = header(leaf.pgno.0, DBTIME_NIL, k);
        oper.flags = 1;
        oper.rceid = self.rceid;
        let oper_record = lr::insert(&oper, &key, 0, &data);
        self.append(&path_record)?;
        self.append(&leaf_record)?;
        self.append(&oper_record)?;
        self.append(&lr::macro_record(true, procid, d))?;
        // what the split means: the leaf keeps the lines before the cut, the
        // new page has the rest, the root points to both, the right sibling links back
        let leaf = &mut self.leaves[at];
        let moved = lines.split_off(cut);
        leaf.nodes = lines;
        let mut new = PageImage::new(PageNumber(pgno_new), PAGE_SIZE, objid, leaf.flags);
        new.nodes = moved;
        for node in &mut new.nodes {
            node.prefix_len = 0;
        }
        new.external_header = Vec::new();
        new.prev = leaf.pgno;
        new.next = leaf.next;
        leaf.next = PageNumber(pgno_new);
        leaf.dbtime = DbTime(d);
        new.dbtime = DbTime(d);
        let leaf_pgno = leaf.pgno.0;
        if let Some(r) = self.leaves.get_mut(at + 1) {
            r.prev = PageNumber(pgno_new);
            r.dbtime = DbTime(d);
        }
        self.leaves.insert(at + 1, new);
        let old = &mut self.root.nodes[line];
        old.data = pgno_new.to_le_bytes().to_vec();
        self.root.nodes.insert(line, NodeImage::new(key_parent, leaf_pgno.to_le_bytes().to_vec()));
        self.root.dbtime = DbTime(d);
        Ok(())
    }

    /// A random leaf with more than `least` rows, and a random line of it.
    fn pick(&mut self, least: usize) -> Option<(usize, usize)> {
        for _ in 0..8 {
            let at = self.rng.below(self.leaves.len() as u64) as usize;
            let n = self.leaves[at].nodes.len();
            if n > least {
                return Some((at, self.rng.below(n as u64) as usize));
            }
        }
        None
    }

    fn replace(&mut self) -> Result<(), String> {
        let Some((at, line)) = self.pick(0) else { return Ok(()) };
        let key = self.leaves[at].nodes[line].key.clone();
        let id = self.ids.iter().next().copied().unwrap_or(0);
        let id = id_of(&key).unwrap_or(id);
        let data = self.record(id)?;
        let mut leaf = std::mem::replace(
            &mut self.leaves[at],
            PageImage::new(PageNumber(0), PAGE_SIZE, self.root.objid, PageFlags(0)),
        );
        let h = self.header(&mut leaf, line, true);
        let old_len = leaf.nodes[line].data.len();
        leaf.nodes[line].data = data.clone();
        self.leaves[at] = leaf;
        self.done.replaces += 1;
        self.append(&lr::replace(&h, old_len, &data))
    }

    fn delete(&mut self) -> Result<(), String> {
        let Some((at, line)) = self.pick(4) else { return Ok(()) };
        let mut leaf = std::mem::replace(
            &mut self.leaves[at],
            PageImage::new(PageNumber(0), PAGE_SIZE, self.root.objid, PageFlags(0)),
        );
        let h = self.header(&mut leaf, line, false);
        let gone = leaf.nodes.remove(line);
        self.leaves[at] = leaf;
        if let Some(id) = id_of(&gone.key) {
            self.ids.remove(&id);
        }
        self.done.deletes += 1;
        self.append(&lr::delete(&h))
    }
}

/// The Long id a normalized key holds (0x7F, then the value with its sign bit flipped, big-endian).
fn id_of(key: &[u8]) -> Option<i32> {
    let b: [u8; 4] = key.get(1..5)?.try_into().ok()?;
    Some((u32::from_be_bytes(b) ^ 0x8000_0000) as i32)
}

/// Writes into `dir`: `database.edb` (the table before the first record,
/// dirty shutdown needing generations 1..=`generations`), `edb00001.log` …
/// with the newest as `edb.log`, each of `segments` 4 KiB segments, and
/// `edb.chk`; with `expected`, also `expected.edb`, the database as the
/// generator means it after the last record.
///
/// # Errors
/// A file cannot be written, or the writer refuses the table.
pub fn write_replay_set(
    dir: &Path,
    generations: i32,
    segments: u16,
    expected: bool,
) -> Result<ReplaySet, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sign_log = signature(0x0B3E_C0DE, created(0));
    let sign_db = signature(0x0DB5_E7DB, created(0));
    let attach_lgpos = Lgpos { generation: 1, isec: 1, ib: 0 };
    let header =
        HeaderSpec::dirty(PAGE_SIZE, sign_db, sign_log, (attach_lgpos, created(1)), (1, generations));
    let mut rng = SplitMix::new(0x005E_ED0F_1065);
    let mut ids = HashSet::new();
    let mut rows = Vec::new();
    while rows.len() < INITIAL_ROWS as usize {
        let id = (rng.next_u64() >> 33) as i32;
        if ids.insert(id) {
            rows.push(row(id, &mut rng));
        }
    }
    let table = TableDef {
        name: "events".into(),
        columns: columns(),
        primary: IndexDef::new("PrimaryKey", &["Id"], true),
        indexes: vec![],
        rows,
    };
    let placed = place_columns(&table.columns).map_err(str::to_string)?;
    let mut spec = DatabaseSpec { header, tables: vec![table], min_pages: 0 };
    let first = write_database(&spec).map_err(|e| e.to_string())?;
    let used = (first.bytes.len() / PAGE_SIZE.len()) as u32 - 2;
    spec.min_pages = used + SPARE_PAGES;
    let written = write_database(&spec).map_err(|e| e.to_string())?;
    let db_path = dir.join("database.edb");
    std::fs::write(&db_path, &written.bytes).map_err(|e| format!("{}: {e}", db_path.display()))?;
    let tree = written.tree("events").ok_or("the writer made no tree events")?.clone();
    let db = Database::from_bytes(&db_path, written.bytes).map_err(|e| e.to_string())?;
    let image = |pgno: PageNumber| -> Result<PageImage, String> {
        let page = db.page(pgno).map_err(|e| e.to_string())?;
        PageImage::from_page(&page).map_err(|e| format!("page {pgno}: {e}"))
    };
    let root = image(tree.root)?;
    if tree.leaves.len() < 2 || root.nodes.len() != tree.leaves.len() {
        return Err("the table is not a root over its leaves".into());
    }
    let leaves = tree.leaves.iter().map(|&p| image(p)).collect::<Result<Vec<_>, _>>()?;
    let dbtime = db.header().map_or(0, |h| h.dbtime_dirtied.0);
    let dbtime = db
        .page_numbers()
        .filter_map(|n| db.page(n).ok().map(|p| p.header.dbtime_dirtied.0))
        .max()
        .unwrap_or(0)
        .max(dbtime);
    let path = "C:\\esescope\\replay-set\\database.edb";
    let attached = vec![crate::writer::txlog::attached_database(sign_db, attach_lgpos, path)];
    let chk = dir.join("edb.chk");
    std::fs::write(&chk, checkpoint(sign_log, attach_lgpos, &attached))
        .map_err(|e| format!("{}: {e}", chk.display()))?;
    let stream =
        StreamSpec { sign_log, page_size: PAGE_SIZE.bytes() as u16, segments, version: (8, 4000, 90, 200) };
    let log = LogBuilder::new(
        stream.clone(),
        GenerationSpec {
            generation: 1,
            created: created(1),
            previous_created: LogTime::default(),
            checkpoint: attach_lgpos,
            previous_checksum: 0,
            attached: Vec::new(),
        },
    );
    let first_spare = used + 1;
    let mut g = Gen {
        dir,
        stream,
        attached,
        log,
        previous_checksum: 0,
        last: generations,
        dbtime,
        rceid: 0,
        trx: 0,
        rng,
        placed,
        ids,
        root,
        leaves,
        spare: first_spare..used + SPARE_PAGES + 1,
        done: ReplaySet::default(),
    };
    g.append(&lr::init2(created(1)))?;
    g.append(&lr::attach_db(0, 1, Lgpos::default(), sign_db, sign_log, path))?;
    while !g.last_is_full() {
        g.transaction()?;
    }
    let full = std::mem::replace(
        &mut g.log,
        LogBuilder::new(
            g.stream.clone(),
            GenerationSpec {
                generation: 0,
                created: created(0),
                previous_created: created(0),
                checkpoint: Lgpos::default(),
                previous_checksum: 0,
                attached: Vec::new(),
            },
        ),
    );
    let (file, _, _) = full.finish(created(generations + 1));
    let edb = dir.join("edb.log");
    std::fs::write(&edb, file).map_err(|e| format!("{}: {e}", edb.display()))?;
    g.done.generations = generations;
    g.done.rows = g.ids.len();
    g.done.leaves = g.leaves.len();
    if expected {
        let mut bytes = std::fs::read(&db_path).map_err(|e| format!("{}: {e}", db_path.display()))?;
        for page in std::iter::once(&g.root).chain(&g.leaves) {
            let built = page.build().map_err(|e| format!("page {}: {e}", page.pgno))?;
            let at = PageNumber(page.pgno.0).file_offset(PAGE_SIZE) as usize;
            bytes.get_mut(at..at + PAGE_SIZE.len()).ok_or("page outside the file")?.copy_from_slice(&built);
        }
        let out = dir.join("expected.edb");
        std::fs::write(&out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(g.done)
}
