//! Log records encoded from their fields (spec 4.5): the transaction and
//! macro boundaries, Init2/Term2/AttachDB, the page records recovery
//! replays (LRPAGE_/LRNODE_ headers with the node operation's tail and
//! payload), NewPage and UndoInfo. Pure: fields in, record bytes out.

use crate::format::txlog::attach::AttachInfo;
use crate::format::{Lgpos, LogTime, Signature};
use crate::writer::header::lgpos_bytes;

/// `dbtimeNil`.
pub const DBTIME_NIL: u64 = u64::MAX;

/// The LRPAGE_ and LRNODE_ fields of a node record (spec 4.5.1, 4.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeHeader {
    /// Session.
    pub procid: u16,
    /// Database.
    pub dbid: u8,
    /// The page changed.
    pub pgno: u32,
    /// The page's dbtime after the change.
    pub dbtime_after: u64,
    /// The page's dbtime before ([`DBTIME_NIL`] inside macros and for new pages).
    pub dbtime_before: u64,
    /// Transaction (`trxBegin0`).
    pub trx_begin0: u32,
    /// Transaction level.
    pub level: u8,
    /// Line in the page.
    pub iline: u16,
    /// Flags: 0x01 versioned, 0x04 unique keys, 0x08 space tree.
    pub flags: u8,
    /// Version-store id.
    pub rceid: u32,
    /// Root page of the tree.
    pub pgno_fdp: u32,
    /// Object id of the tree.
    pub objid_fdp: u32,
}

impl NodeHeader {
    pub(crate) fn encode(&self, record_type: u8) -> Vec<u8> {
        let mut b = Vec::with_capacity(64);
        b.push(record_type);
        b.extend_from_slice(&self.procid.to_le_bytes());
        b.push(self.dbid);
        b.extend_from_slice(&self.pgno.to_le_bytes());
        b.extend_from_slice(&self.dbtime_after.to_le_bytes());
        b.extend_from_slice(&self.dbtime_before.to_le_bytes());
        b.extend_from_slice(&self.trx_begin0.to_le_bytes());
        b.push(self.level);
        b.extend_from_slice(&self.iline.to_le_bytes());
        b.push(self.flags);
        b.extend_from_slice(&self.rceid.to_le_bytes());
        b.extend_from_slice(&self.pgno_fdp.to_le_bytes());
        b.extend_from_slice(&self.objid_fdp.to_le_bytes());
        b
    }
}

fn u16_len(n: usize) -> [u8; 2] {
    (n.min(usize::from(u16::MAX)) as u16).to_le_bytes()
}

/// `Insert` (29): key `prefix ‖ suffix` (the first `prefix_len` bytes shared
/// with the page prefix) and data, inserted at `h.iline`.
pub fn insert(h: &NodeHeader, key: &[u8], prefix_len: usize, data: &[u8]) -> Vec<u8> {
    let mut b = h.encode(29);
    let prefix_len = prefix_len.min(key.len());
    b.extend_from_slice(&u16_len(key.len() - prefix_len));
    b.extend_from_slice(&u16_len(prefix_len));
    b.extend_from_slice(&u16_len(data.len()));
    b.extend_from_slice(key);
    b.extend_from_slice(data);
    b
}

/// `FlagInsert` (30): the flag-deleted node with `key` at `h.iline` comes back.
pub fn flag_insert(h: &NodeHeader, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut b = h.encode(30);
    b.extend_from_slice(&u16_len(key.len()));
    b.extend_from_slice(&u16_len(data.len()));
    b.extend_from_slice(key);
    b.extend_from_slice(data);
    b
}

/// `FlagDelete` (32) of the node at `h.iline`.
pub fn flag_delete(h: &NodeHeader) -> Vec<u8> {
    h.encode(32)
}

/// `Delete` (35): the node at `h.iline` is removed.
pub fn delete(h: &NodeHeader) -> Vec<u8> {
    h.encode(35)
}

/// `Replace` (33): the node's data becomes `new` (it was `old_len` bytes).
pub fn replace(h: &NodeHeader, old_len: usize, new: &[u8]) -> Vec<u8> {
    let mut b = h.encode(33);
    b.extend_from_slice(&u16_len(new.len()));
    b.extend_from_slice(&u16_len(old_len));
    b.extend_from_slice(&u16_len(new.len()));
    b.extend_from_slice(new);
    b
}

/// One edit of a ReplaceD diff: at `offset` of the old data, `old_len`
/// bytes become `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Offset in the old data.
    pub offset: u16,
    /// Old bytes replaced (0 = insert).
    pub old_len: u16,
    /// The new bytes.
    pub new: Vec<u8>,
}

/// `ReplaceD` (34) with DIFFHDR2 edits (spec 6.5.1), turning `old_len`
/// bytes of data into `new_len`.
pub fn replace_d(h: &NodeHeader, old_len: usize, new_len: usize, edits: &[Edit]) -> Vec<u8> {
    let mut diff = Vec::new();
    for e in edits {
        diff.extend_from_slice(&e.offset.to_le_bytes());
        let same = usize::from(e.old_len) == e.new.len();
        let insert = e.old_len == 0 && !e.new.is_empty();
        let wide = e.new.len() > 255 || e.old_len > 255;
        let flags = if same { 0x20 } else { 0 }
            | if insert && !same { 0x40 } else { 0 }
            | if wide { 0x80 } else { 0 };
        diff.push(flags);
        let mut length = |n: usize| {
            if wide {
                diff.extend_from_slice(&u16_len(n));
            } else {
                diff.push(n.min(255) as u8);
            }
        };
        length(e.new.len());
        if !same && !insert {
            length(usize::from(e.old_len));
        }
        diff.extend_from_slice(&e.new);
    }
    let mut b = h.encode(34);
    // bit 15 of cb marks DIFFHDR2
    let cb = (diff.len().min(0x7FFF) as u16) | 0x8000;
    b.extend_from_slice(&cb.to_le_bytes());
    b.extend_from_slice(&u16_len(old_len));
    b.extend_from_slice(&u16_len(new_len));
    b.extend_from_slice(&diff);
    b
}

/// `SetExternalHeader` (38): tag 0 of the page becomes `data`.
pub fn set_external_header(h: &NodeHeader, data: &[u8]) -> Vec<u8> {
    let mut b = h.encode(38);
    b.extend_from_slice(&u16_len(data.len()));
    b.extend_from_slice(data);
    b
}

/// The fields of a `Split2` record (spec 4.5.4) besides its LRPAGE_ header
/// (`h`: the split page, or a path page receiving a separator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split2 {
    /// The new page (0 for a path page).
    pub pgno_new: u32,
    /// The split page's right sibling and its dbtime before.
    pub right: (u32, u64),
    /// The parent and its dbtime before.
    pub parent: (u32, u64),
    /// Root of the tree and its objid.
    pub fdp: (u32, u32),
    /// 0 vertical, 1 right, 2 append.
    pub split_type: u8,
    /// 0 none, 1 insert, 2 replace, 3 flag-insert-and-replace-data.
    pub oper: u8,
    /// Line of the operation (path page: where the separator goes).
    pub iline_oper: u16,
    /// First line moving to the new page.
    pub iline_split: u16,
    /// Lines of the split page with the operation.
    pub clines: u16,
    /// Flags of the new page and of the split page.
    pub flags: (u32, u32),
    /// Prefix lines of the split page and of the new page (-1: none / unchanged).
    pub prefix_lines: (i32, i32),
    /// The separator key for the parent.
    pub key_parent: Vec<u8>,
    /// The split page's prefix before and after.
    pub prefixes: (Vec<u8>, Vec<u8>),
}

/// `Split2` (62) without a page before image.
pub fn split2(h: &NodeHeader, s: &Split2) -> Vec<u8> {
    let mut b = h.encode(62);
    b.truncate(32);
    b.extend_from_slice(&s.pgno_new.to_le_bytes());
    b.extend_from_slice(&s.right.0.to_le_bytes());
    b.extend_from_slice(&s.right.1.to_le_bytes());
    b.extend_from_slice(&s.parent.0.to_le_bytes());
    b.extend_from_slice(&s.parent.1.to_le_bytes());
    b.extend_from_slice(&s.fdp.0.to_le_bytes());
    b.extend_from_slice(&s.fdp.1.to_le_bytes());
    b.push(s.split_type);
    b.push(s.oper);
    b.extend_from_slice(&s.iline_oper.to_le_bytes());
    b.extend_from_slice(&s.iline_split.to_le_bytes());
    b.extend_from_slice(&s.clines.to_le_bytes());
    b.extend_from_slice(&s.flags.0.to_le_bytes());
    b.extend_from_slice(&s.flags.1.to_le_bytes());
    b.extend_from_slice(&0i16.to_le_bytes());
    b.extend_from_slice(&0i16.to_le_bytes());
    b.extend_from_slice(&s.prefix_lines.0.to_le_bytes());
    b.extend_from_slice(&s.prefix_lines.1.to_le_bytes());
    b.extend_from_slice(&u16_len(s.prefixes.0.len()));
    b.extend_from_slice(&u16_len(s.prefixes.1.len()));
    b.extend_from_slice(&u16_len(s.key_parent.len()));
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&s.key_parent);
    b.extend_from_slice(&s.prefixes.0);
    b.extend_from_slice(&s.prefixes.1);
    b
}

/// The fields of a `Merge2` record (spec 4.5.4) besides its LRPAGE_ header
/// (`h`: the merged page, or a path page with its `iline`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge2 {
    /// Right sibling and its dbtime before.
    pub right: (u32, u64),
    /// Left sibling and its dbtime before.
    pub left: (u32, u64),
    /// Parent and its dbtime before.
    pub parent: (u32, u64),
    /// Root of the tree and its objid.
    pub fdp: (u32, u32),
    /// `ilineMerge`.
    pub iline_merge: u16,
    /// 0x1 key change, 0x2 delete node, 0x4 empty page.
    pub flags: u8,
    /// The merge type (0 on a path page).
    pub merge_type: u8,
    /// The new separator key.
    pub separator: Vec<u8>,
}

/// `Merge2` (63) without a page before image.
pub fn merge2(h: &NodeHeader, m: &Merge2) -> Vec<u8> {
    let mut b = h.encode(63);
    b.truncate(32);
    b.extend_from_slice(&m.right.0.to_le_bytes());
    b.extend_from_slice(&m.right.1.to_le_bytes());
    b.extend_from_slice(&m.left.0.to_le_bytes());
    b.extend_from_slice(&m.left.1.to_le_bytes());
    b.extend_from_slice(&m.parent.0.to_le_bytes());
    b.extend_from_slice(&m.parent.1.to_le_bytes());
    b.extend_from_slice(&m.fdp.0.to_le_bytes());
    b.extend_from_slice(&m.fdp.1.to_le_bytes());
    b.extend_from_slice(&[0u8; 6]); // cbSizeTotal, cbSizeMaxTotal, cbUncFreeDest
    b.extend_from_slice(&m.iline_merge.to_le_bytes());
    b.push(m.flags);
    b.push(m.merge_type);
    b.extend_from_slice(&u16_len(m.separator.len()));
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&m.separator);
    b
}

/// `UndoInfo` (36): the before image of the versioned operation `h.rceid`
/// (operation `oper`: 2 replace), written when its page is flushed.
pub fn undo_info(h: &NodeHeader, bookmark_key: &[u8], oper: u16, before: &[u8]) -> Vec<u8> {
    let mut b = h.encode(36);
    b.extend_from_slice(&u16_len(bookmark_key.len()));
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&oper.to_le_bytes());
    b.extend_from_slice(&(before.len() as i16).to_le_bytes());
    b.extend_from_slice(&0i16.to_le_bytes());
    b.extend_from_slice(&u16_len(before.len()));
    b.extend_from_slice(bookmark_key);
    b.extend_from_slice(before);
    b
}

/// `NewPage` (95): page `pgno` of tree `objid` is formatted at `dbtime`.
pub fn new_page(procid: u16, dbid: u8, pgno: u32, objid: u32, dbtime: u64) -> Vec<u8> {
    let mut b = vec![95];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(dbid);
    b.extend_from_slice(&pgno.to_le_bytes());
    b.extend_from_slice(&objid.to_le_bytes());
    b.extend_from_slice(&dbtime.to_le_bytes());
    b
}

/// `Begin0` (8): session `procid` begins transaction `trx` from level 0 to 1.
pub fn begin0(procid: u16, trx: u32) -> Vec<u8> {
    let mut b = vec![8];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(0x10);
    b.extend_from_slice(&trx.to_le_bytes());
    b
}

/// `Begin` (5): one more level, from `from`.
pub fn begin(procid: u16, from: u8) -> Vec<u8> {
    let mut b = vec![5];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(0x10 | (from & 0x0F));
    b
}

/// `Commit0` (9): transaction `trx` commits to level 0.
pub fn commit0(procid: u16, trx: u32) -> Vec<u8> {
    let mut b = vec![9];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(0);
    b.extend_from_slice(&trx.to_le_bytes());
    b
}

/// `Commit` (6): commit to level `to`.
pub fn commit(procid: u16, to: u8) -> Vec<u8> {
    let mut b = vec![6];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(to);
    b
}

/// `MacroBegin` (11) / `MacroCommit` (12) of the macro `dbtime`.
pub fn macro_record(commit: bool, procid: u16, dbtime: u64) -> Vec<u8> {
    let mut b = vec![if commit { 12 } else { 11 }];
    b.extend_from_slice(&procid.to_le_bytes());
    b.extend_from_slice(&dbtime.to_le_bytes());
    b
}

/// `Init2` (49): the engine started at `time` (DBMS_PARAM left zero).
pub fn init2(time: LogTime) -> Vec<u8> {
    let mut b = vec![0u8; 576];
    b[0] = 49;
    b[568..576].copy_from_slice(&time.0);
    b
}

/// `Term2` (50): clean end of the run; `redo_from` is where a recovery would start.
pub fn term2(last_undo: Lgpos, redo_from: Lgpos, time: LogTime) -> Vec<u8> {
    let mut b = vec![50];
    b.extend_from_slice(&lgpos_bytes(last_undo));
    b.extend_from_slice(&lgpos_bytes(redo_from));
    b.push(0);
    b.extend_from_slice(&time.0);
    b
}

/// `AttachDB` (15) of database `dbid` at `path` (UTF-16).
pub fn attach_db(
    procid: u16,
    dbid: u8,
    lgpos_consistent: Lgpos,
    sign_db: Signature,
    sign_log: Signature,
    path: &str,
) -> Vec<u8> {
    let mut name: Vec<u8> = path.encode_utf16().flat_map(u16::to_le_bytes).collect();
    name.extend_from_slice(&[0, 0]);
    let mut b = vec![15];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(dbid);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&lgpos_bytes(lgpos_consistent));
    b.extend_from_slice(&sign_db.0);
    b.extend_from_slice(&sign_log.0);
    b.extend_from_slice(&u16_len(name.len()));
    b.push(0x08);
    b.extend_from_slice(&name);
    b
}

/// The ATTACHINFO list (spec 2.5) of a log header or checkpoint, 2048 bytes.
pub fn attach_list(entries: &[AttachInfo]) -> Vec<u8> {
    let mut area = Vec::with_capacity(2048);
    for a in entries {
        let mut name: Vec<u8> = a.path.encode_utf16().flat_map(u16::to_le_bytes).collect();
        name.extend_from_slice(&[0, 0]);
        if area.len() + 64 + name.len() >= 2048 {
            break;
        }
        area.push(a.dbid);
        area.push(a.flags | 0x20);
        area.extend_from_slice(&u16_len(name.len()));
        area.extend_from_slice(&a.dbtime.to_le_bytes());
        area.extend_from_slice(&a.objid_last.to_le_bytes());
        area.extend_from_slice(&a.max_pages.to_le_bytes());
        area.extend_from_slice(&lgpos_bytes(a.lgpos_attach));
        area.extend_from_slice(&lgpos_bytes(a.lgpos_consistent));
        area.extend_from_slice(&a.sign_db.0);
        area.extend_from_slice(&name);
    }
    area.resize(2048, 0);
    area
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txlog::record::{record_size, Details, Record, RecordType};

    fn header() -> NodeHeader {
        NodeHeader {
            procid: 3,
            dbid: 1,
            pgno: 9,
            dbtime_after: 0x20,
            dbtime_before: 0x10,
            trx_begin0: 7,
            level: 1,
            iline: 2,
            flags: 1,
            rceid: 5,
            pgno_fdp: 8,
            objid_fdp: 6,
        }
    }

    #[test]
    fn records_decode_with_the_readers_sizes_and_fields() {
        let h = header();
        let edits = [Edit { offset: 1, old_len: 2, new: b"xyz".to_vec() }];
        for bytes in [
            insert(&h, b"key", 1, b"data"),
            flag_insert(&h, b"key", b"d"),
            flag_delete(&h),
            delete(&h),
            replace(&h, 4, b"new"),
            replace_d(&h, 4, 5, &edits),
            set_external_header(&h, b"prefix"),
            undo_info(&h, b"key", 2, b"old"),
            new_page(3, 1, 9, 6, 0x20),
            split2(
                &h,
                &Split2 {
                    pgno_new: 10,
                    right: (11, 5),
                    parent: (8, 4),
                    fdp: (8, 6),
                    split_type: 1,
                    oper: 1,
                    iline_oper: 3,
                    iline_split: 2,
                    clines: 5,
                    flags: (2, 2),
                    prefix_lines: (-1, -1),
                    key_parent: b"sep".to_vec(),
                    prefixes: (b"pre".to_vec(), Vec::new()),
                },
            ),
            merge2(
                &h,
                &Merge2 {
                    right: (11, 5),
                    left: (8, 4),
                    parent: (7, 3),
                    fdp: (7, 6),
                    iline_merge: 2,
                    flags: 0,
                    merge_type: 3,
                    separator: b"sep".to_vec(),
                },
            ),
            begin0(3, 7),
            begin(3, 1),
            commit0(3, 7),
            commit(3, 1),
            macro_record(false, 3, 0x20),
            init2(LogTime::default()),
            term2(Lgpos::default(), Lgpos::default(), LogTime::default()),
            attach_db(3, 1, Lgpos::default(), Signature([1; 28]), Signature([2; 28]), "C:\\db.edb"),
        ] {
            assert_eq!(record_size(&bytes), Ok(bytes.len()), "{:?}", RecordType(bytes[0]).name());
        }
        let r = Record {
            lgpos: Lgpos::default(),
            file_offset: 0,
            record_type: RecordType(29),
            bytes: insert(&h, b"key", 0, b"data").into(),
            fragmented: false,
        };
        let Details::Page { pgno, dbtime_after, dbtime_before, iline, objid_fdp, .. } = r.details() else {
            panic!("not a page record")
        };
        assert_eq!((pgno, dbtime_after, dbtime_before, iline, objid_fdp), (9, 0x20, 0x10, 2, Some(6)));
        // the ReplaceD diff applies as recovery reads it
        let b = replace_d(&h, 4, 5, &edits);
        let new = crate::recovery::node_op::apply_diff(b"abcd", &b[50..], true).unwrap();
        assert_eq!(new, b"axyzd");
    }
}
