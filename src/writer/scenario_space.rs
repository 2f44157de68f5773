//! A crash to recover from whose log makes trees and changes the file's
//! size (issue 14): the file grows (ExtendDB), a tree is created with its
//! space trees (CreateMultipleExtentFDP), another is created single-extent
//! (NewPage, CreateSingleExtentFDP) and converted (ConvertFDP2), a third is
//! emptied (EmptyTree), rows go into all of them (and a rolled-back
//! transaction's Undo records take two changes back), a leaf of an existing
//! tree moves to a new page (PageMove), and the file shrinks
//! again (ShrinkDB2). None of these pages reached the file: recovery must
//! redo every record. The scenario says what each page must then hold.
//!
//! Pure over the base database's bytes: the files come back as bytes.

use std::collections::BTreeMap;

use crate::format::checksum::legacy_xor;
use crate::format::header::{field_offset, DbState};
use crate::format::{Lgpos, LogTime, PageNumber};
use crate::store::catalog::Catalog;
use crate::store::cursor::walk;
use crate::store::Database;
use crate::writer::header::{lgpos_bytes, signature};
use crate::writer::log_record::{self as lr, NodeHeader, DBTIME_NIL};
use crate::writer::log_record_space::{self as space, ConvertFdp};
use crate::writer::page::PageImage;
use crate::writer::scenario::{Rows, ScenarioError};
use crate::writer::txlog::{checkpoint, GenerationSpec, LogBuilder, StreamSpec};

/// The files of the scenario and what recovery must make of them.
#[derive(Debug, Clone)]
pub struct SpaceScenario {
    /// The database in dirty shutdown (its file as the base's).
    pub database: Vec<u8>,
    /// `edb.log` (generation 1).
    pub log: Vec<u8>,
    /// `edb.chk`.
    pub checkpoint: Vec<u8>,
    /// Every page the log makes, with its nodes (key, data) after recovery, sorted.
    pub expected: BTreeMap<u32, Rows>,
    /// Tag 0 of the new trees' roots after recovery (their space headers).
    pub space_headers: BTreeMap<u32, Vec<u8>>,
    /// The roots: (multiple-extent tree, converted tree, emptied tree), and the emptied leaf.
    pub roots: (u32, u32, u32, u32),
    /// The last page of the recovered file (after ExtendDB, then ShrinkDB2).
    pub pgno_last: u32,
    /// The page move.
    pub page_move: PageMoveExpected,
}

/// The pages of the scenario's PageMove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageMoveExpected {
    /// The leaf moved (empty after).
    pub source: u32,
    /// Where it went.
    pub dest: u32,
    /// Its left sibling (whose next becomes dest).
    pub left: u32,
    /// Its right sibling (whose previous becomes dest).
    pub right: u32,
}

struct Log {
    builder: LogBuilder,
    dbtime: u64,
}

impl Log {
    fn put(&mut self, record: &[u8]) -> Result<Lgpos, ScenarioError> {
        self.builder.append(record).map_err(|e| e.to_string())
    }

    fn tick(&mut self) -> u64 {
        self.dbtime += 1;
        self.dbtime
    }
}

fn header(pgno: u32, after: u64, before: u64, iline: usize, fdp: (u32, u32)) -> NodeHeader {
    NodeHeader {
        procid: 1,
        dbid: 1,
        pgno,
        dbtime_after: after,
        dbtime_before: before,
        trx_begin0: 1,
        level: 1,
        iline: iline as u16,
        flags: 0x05,
        rceid: 0,
        pgno_fdp: fdp.0,
        objid_fdp: fdp.1,
    }
}

fn extent(last: u32, count: u32) -> (Vec<u8>, Vec<u8>) {
    (last.to_be_bytes().to_vec(), count.to_le_bytes().to_vec())
}

fn space_header(cpg: u32, parent: u32, flags: u32, oe: u32) -> Vec<u8> {
    [cpg, parent, flags, oe].iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Builds the scenario on `base`, a clean database; the new trees take the
/// 24 pages after its last.
///
/// # Errors
/// The base has no valid header, or a record does not fit the log.
pub fn build(base: &Database) -> Result<SpaceScenario, ScenarioError> {
    let h = base.header().ok_or("the base database has no valid header")?;
    let size = base.page_size();
    let last = base.page_count();
    let time = 1_767_225_600;
    let sign_log = signature(0x5ACE_0014, LogTime::from_unix(time, 0));
    let stream =
        StreamSpec { sign_log, page_size: size.bytes() as u16, segments: 8, version: (8, 4000, 90, 200) };
    let spec = GenerationSpec {
        generation: 1,
        created: LogTime::from_unix(time + 1, 0),
        previous_created: LogTime::default(),
        checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
        previous_checksum: 0,
        attached: Vec::new(),
    };
    let max_page = base
        .page_numbers()
        .filter_map(|n| base.page(n).ok().map(|p| p.header.dbtime_dirtied.0))
        .max()
        .unwrap_or(0);
    let mut log = Log { builder: LogBuilder::new(stream, spec), dbtime: h.dbtime_dirtied.0.max(max_page) };
    let path = "C:\\esescope\\space\\database.edb";
    log.put(&lr::init2(LogTime::from_unix(time + 1, 0)))?;
    let lgpos_attach = log.put(&lr::attach_db(0, 1, h.lgpos_consistent, h.sign_db, sign_log, path))?;
    log.put(&lr::begin0(1, 1))?;
    log.put(&space::extend_db(1, last + 24))?;
    let mut expected = BTreeMap::new();
    let mut space_headers = BTreeMap::new();
    let row = |n: u8| (vec![0x7F, n], vec![n; 12]);

    // tree 1: multiple extents, 8 pages from last + 1, three rows in its root
    let (r1, o1) = (last + 1, h.objid_last + 1);
    let t = log.tick();
    let create = header(r1, t, DBTIME_NIL, 0, (r1, o1));
    log.put(&space::create_multiple_fdp(&create, o1, (r1 + 1, r1 + 2), 1, 8, 0))?;
    let mut before = t;
    for (i, n) in [1u8, 2, 3].into_iter().enumerate() {
        let t = log.tick();
        let (key, data) = row(n);
        log.put(&lr::insert(&header(r1, t, before, i, (r1, o1)), &key, 0, &data))?;
        before = t;
    }
    // session 2 inserts a row and replaces another, then rolls both back:
    // Undo records in reverse order, then Rollback
    log.put(&lr::begin0(2, 2))?;
    let versioned = |pgno: u32, after: u64, before: u64, iline: usize, rceid: u32| NodeHeader {
        procid: 2,
        trx_begin0: 2,
        rceid,
        ..header(pgno, after, before, iline, (r1, o1))
    };
    let t = log.tick();
    let (key9, data9) = row(9);
    log.put(&lr::insert(&versioned(r1, t, before, 3, 100), &key9, 0, &data9))?;
    let t2 = log.tick();
    log.put(&lr::replace(&versioned(r1, t2, t, 0, 101), 12, &[0xEE; 12]))?;
    let t3 = log.tick();
    log.put(&space::undo(&versioned(r1, t3, t2, 0, 101), &row(1).0, 2, 1))?;
    let t4 = log.tick();
    log.put(&space::undo(&versioned(r1, t4, t3, 3, 100), &key9, 1, 1))?;
    log.put(&space::rollback(2, 1))?;
    expected.insert(r1, vec![row(1), row(2), row(3)]);
    expected.insert(r1 + 1, vec![extent(r1 + 7, 8)]);
    expected.insert(r1 + 2, vec![extent(r1 + 7, 5)]);
    space_headers.insert(r1, space_header(8, 1, 0x01, r1 + 1));

    // tree 2: single extent of 4 pages, two rows, then converted with a
    // secondary extent of 4 pages whose first two are its OE and AE roots
    let (r2, o2) = (last + 9, h.objid_last + 2);
    let t = log.tick();
    log.put(&lr::new_page(1, 1, r2, o2, t))?;
    let t = log.tick();
    log.put(&space::create_single_fdp(&header(r2, t, DBTIME_NIL, 0, (r2, o2)), o2, 1, 4, 0))?;
    let mut before = t;
    for (i, n) in [4u8, 5].into_iter().enumerate() {
        let t = log.tick();
        let (key, data) = row(n);
        log.put(&lr::insert(&header(r2, t, before, i, (r2, o2)), &key, 0, &data))?;
        before = t;
    }
    let t = log.tick();
    let convert = ConvertFdp {
        objid: o2,
        parent: 1,
        secondary_first: last + 13,
        cpg_primary: 4,
        cpg_secondary: 4,
        avail: 0b111,
        page_flags: 0,
    };
    log.put(&space::convert_fdp2(&header(r2, t, before, 0, (r2, o2)), &convert))?;
    expected.insert(r2, vec![row(4), row(5)]);
    expected.insert(last + 13, vec![extent(r2 + 3, 4), extent(last + 16, 4)]);
    expected.insert(last + 14, vec![extent(r2 + 3, 3), extent(last + 16, 2)]);
    space_headers.insert(r2, space_header(4, 1, 0x01, last + 13));

    // tree 3: a root pointing to one leaf with two rows, then emptied
    let (r3, o3, leaf) = (last + 17, h.objid_last + 3, last + 18);
    let t = log.tick();
    log.put(&space::create_single_fdp(&header(r3, t, DBTIME_NIL, 0, (r3, o3)), o3, 1, 4, 0))?;
    let root_before = log.tick();
    log.put(&lr::insert(&header(r3, root_before, t, 0, (r3, o3)), &[], 0, &leaf.to_le_bytes()))?;
    let t = log.tick();
    log.put(&lr::new_page(1, 1, leaf, o3, t))?;
    let mut before = t;
    for (i, n) in [6u8, 7].into_iter().enumerate() {
        let t = log.tick();
        let (key, data) = row(n);
        log.put(&lr::insert(&header(leaf, t, before, i, (r3, o3)), &key, 0, &data))?;
        before = t;
    }
    let t = log.tick();
    log.put(&space::empty_tree(&header(r3, t, root_before, 0, (r3, o3)), &[(before, leaf, 0x2)]))?;
    expected.insert(r3, Vec::new());
    expected.insert(leaf, Vec::new());

    // a leaf of a two-level table tree of the base, with both siblings,
    // moves to a page of the new space
    let moved =
        move_candidate(base).ok_or("the base has no two-level tree with a leaf between two siblings")?;
    let dest = last + 21;
    let (source, left, right, parent, iline_parent) = moved;
    let dbtime_of =
        |pgno: u32| base.page(PageNumber(pgno)).map(|p| p.header.dbtime_dirtied.0).map_err(|e| e.to_string());
    let src = base.page(PageNumber(source)).map_err(|e| e.to_string())?;
    let bytes_src = base.page_bytes(PageNumber(source)).map_err(|e| e.to_string())?;
    let head = size.header_len() + usize::from(src.header.ib_mic_free);
    let tail = 4 * usize::from(src.header.tag_count);
    let objid = src.header.objid_fdp.0;
    let mv = space::PageMove {
        dest,
        left: (left, dbtime_of(left)?),
        right: (right, dbtime_of(right)?),
        parent: (parent, dbtime_of(parent)?),
        fdp: (parent, objid),
        iline_parent,
        header: bytes_src.get(..head).ok_or("source header")?.to_vec(),
        trailer: bytes_src.get(size.len() - tail..).ok_or("source trailer")?.to_vec(),
    };
    let t = log.tick();
    log.put(&space::page_move(&header(source, t, src.header.dbtime_dirtied.0, 0, (parent, objid)), &mv))?;
    let image = |pgno: u32| -> Result<PageImage, ScenarioError> {
        let page = base.page(PageNumber(pgno)).map_err(|e| e.to_string())?;
        PageImage::from_page(&page).map_err(|e| e.to_string())
    };
    let rows = |pgno: u32| -> Result<Rows, ScenarioError> {
        let mut r: Rows = image(pgno)?.nodes.iter().map(|n| (n.key.clone(), n.data.clone())).collect();
        r.sort();
        Ok(r)
    };
    expected.insert(dest, rows(source)?);
    expected.insert(source, Vec::new());
    let mut parent_rows = rows(parent)?;
    for row in
        parent_rows.iter_mut().filter(|r| r.1.len() >= 4 && r.1[r.1.len() - 4..] == source.to_le_bytes())
    {
        let at = row.1.len() - 4;
        row.1[at..].copy_from_slice(&dest.to_le_bytes());
    }
    expected.insert(parent, parent_rows);
    let page_move = PageMoveExpected { source, dest, left, right };

    // the file gives back its last two pages
    log.put(&space::shrink_db2(1, last + 22, 2))?;
    log.put(&lr::commit0(1, 1))?;
    let created = LogTime::from_unix(time + 1, 0);
    let (bytes, _, _) = log.builder.finish(created);

    let mut database = Vec::with_capacity(usize::try_from(base.file_len()).unwrap_or(0));
    for chunk in base.chunks() {
        database.extend_from_slice(chunk.map_err(|_| "the base database cannot be read")?);
    }
    let mut hp = database.get(..size.len()).ok_or("no header")?.to_vec();
    let mut set = |name: &str, value: &[u8]| {
        if let Some(slot) = field_offset(name).and_then(|at| hp.get_mut(at..at + value.len())) {
            slot.copy_from_slice(value);
        }
    };
    set("le_dbstate", &DbState::DIRTY_SHUTDOWN.0.to_le_bytes());
    set("signLog", &sign_log.0);
    set("le_lgposAttach", &lgpos_bytes(lgpos_attach));
    set("le_lgposDetach", &[0; 8]);
    set("le_lgposConsistent", &[0; 8]);
    set("le_lGenMinRequired", &1i32.to_le_bytes());
    set("le_lGenMaxRequired", &1i32.to_le_bytes());
    let sum = legacy_xor(&hp);
    hp[..4].copy_from_slice(&sum.to_le_bytes());
    database.get_mut(..size.len()).ok_or("no header")?.copy_from_slice(&hp);
    database.get_mut(size.len()..2 * size.len()).ok_or("no shadow header")?.copy_from_slice(&hp);
    Ok(SpaceScenario {
        database,
        log: bytes,
        checkpoint: checkpoint(sign_log, Lgpos { generation: 1, isec: 1, ib: 0 }, &[]),
        expected,
        space_headers,
        roots: (r1, r2, r3, leaf),
        pgno_last: last + 22,
        page_move,
    })
}

/// A leaf of a two-level tree of `base` with a left and a right sibling:
/// (leaf, left, right, root, the root's line pointing to the leaf).
fn move_candidate(base: &Database) -> Option<(u32, u32, u32, u32, u32)> {
    let catalog = Catalog::read(base);
    catalog.trees().into_iter().find_map(|(_, root)| {
        let tree = walk(base, root, |_, _| {});
        if tree.pages.iter().any(|p| p.depth > 1) {
            return None;
        }
        let parent = PageImage::from_page(&base.page(root).ok()?).ok()?;
        tree.pages.iter().filter(|p| p.leaf && p.depth == 1).find_map(|p| {
            let page = base.page(p.pgno).ok()?;
            let (prev, next) = (page.header.prev.0, page.header.next.0);
            let line = parent.nodes.iter().position(|n| n.data.ends_with(&p.pgno.0.to_le_bytes()))?;
            (prev != 0 && next != 0).then_some((p.pgno.0, prev, next, root.0, line as u32))
        })
    })
}
