//! Log records of tree creation, space and file size (spec 4.5.3, 4.5.4,
//! 4.5.6): CreateSingleExtentFDP, CreateMultipleExtentFDP, ConvertFDP2,
//! EmptyTree, PageMove, ExtendDB and ShrinkDB2, and a rollback's Undo and
//! Rollback records, encoded from their fields. Pure.

use crate::writer::log_record::NodeHeader;

/// The LRPAGE_ part (32 bytes) of `h` for a record of `record_type`.
fn page_header(h: &NodeHeader, record_type: u8) -> Vec<u8> {
    let mut b = h.encode(record_type);
    b.truncate(32);
    b
}

fn put(b: &mut Vec<u8>, values: &[u32]) {
    for v in values {
        b.extend_from_slice(&v.to_le_bytes());
    }
}

/// `CreateSingleExtentFDP` (25): tree `objid` with root `h.pgno`, taking
/// `cpg_primary` pages from `parent`; `page_flags` are the tree's page
/// flags before root and leaf.
pub fn create_single_fdp(
    h: &NodeHeader,
    objid: u32,
    parent: u32,
    cpg_primary: u32,
    page_flags: u32,
) -> Vec<u8> {
    let mut b = page_header(h, 25);
    put(&mut b, &[objid, parent, cpg_primary, page_flags]);
    b
}

/// `CreateMultipleExtentFDP` (24): as [`create_single_fdp`], with its
/// owned- and available-extent roots `oe` and `ae` (the two pages after the root).
pub fn create_multiple_fdp(
    h: &NodeHeader,
    objid: u32,
    (oe, ae): (u32, u32),
    parent: u32,
    cpg_primary: u32,
    page_flags: u32,
) -> Vec<u8> {
    let mut b = page_header(h, 24);
    put(&mut b, &[objid, oe, ae, parent, cpg_primary, page_flags]);
    b
}

/// What a ConvertFDP2 record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertFdp {
    /// The tree.
    pub objid: u32,
    /// Its parent FDP.
    pub parent: u32,
    /// First page of the secondary extent (also the OE root; AE is the next).
    pub secondary_first: u32,
    /// Primary extent size.
    pub cpg_primary: u32,
    /// Secondary extent size.
    pub cpg_secondary: u32,
    /// The single-extent bitmap at the conversion.
    pub avail: u32,
    /// The OE/AE roots' page flags before root, leaf and space tree.
    pub page_flags: u32,
}

/// `ConvertFDP2` (58): the single-extent tree at `h.pgno` becomes a
/// multiple-extent one.
pub fn convert_fdp2(h: &NodeHeader, c: &ConvertFdp) -> Vec<u8> {
    let mut b = page_header(h, 58);
    let oe = c.secondary_first;
    put(
        &mut b,
        &[
            c.objid,
            oe,
            oe + 1,
            c.parent,
            c.secondary_first,
            c.cpg_primary,
            c.cpg_secondary,
            c.avail,
            c.page_flags,
        ],
    );
    b
}

/// `EmptyTree` (48): the tree whose root is `h.pgno` loses every page in
/// `pages` (dbtime before, page, page flags) and its root's one line.
pub fn empty_tree(h: &NodeHeader, pages: &[(u64, u32, u32)]) -> Vec<u8> {
    let mut b = h.encode(48);
    b.extend_from_slice(&((pages.len() * 16).min(usize::from(u16::MAX)) as u16).to_le_bytes());
    for (before, pgno, flags) in pages {
        b.extend_from_slice(&before.to_le_bytes());
        put(&mut b, &[*pgno, *flags]);
    }
    b
}

/// What a PageMove record says besides its LRPAGE_ header (whose page is the source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMove {
    /// Page moved to.
    pub dest: u32,
    /// Left sibling and its dbtime before (0 and nil: none).
    pub left: (u32, u64),
    /// Right sibling and its dbtime before.
    pub right: (u32, u64),
    /// Parent and its dbtime before.
    pub parent: (u32, u64),
    /// The tree: root and objid.
    pub fdp: (u32, u32),
    /// The parent's line pointing to the source.
    pub iline_parent: u32,
    /// The source page's first bytes (header and data) before the move.
    pub header: Vec<u8>,
    /// The source page's last bytes (its tag array).
    pub trailer: Vec<u8>,
}

/// `PageMove` (65): the content of page `h.pgno` moves to `m.dest`.
pub fn page_move(h: &NodeHeader, m: &PageMove) -> Vec<u8> {
    let mut b = page_header(h, 65);
    put(&mut b, &[m.dest, m.left.0, m.right.0, m.parent.0]);
    for before in [m.left.1, m.right.1, m.parent.1] {
        b.extend_from_slice(&before.to_le_bytes());
    }
    put(&mut b, &[m.fdp.0, m.fdp.1, m.iline_parent, 0, m.header.len() as u32, m.trailer.len() as u32]);
    b.extend_from_slice(&m.header);
    b.extend_from_slice(&m.trailer);
    b
}

/// `Undo` (39): the rollback of version operation `oper` (1 insert, 2
/// replace, 3 flag-delete, 4 delta) with rceid `h.rceid`, on line `h.iline`;
/// the bookmark is the node's key.
pub fn undo(h: &NodeHeader, key: &[u8], oper: u16, level: u8) -> Vec<u8> {
    let mut b = h.encode(39);
    b.extend_from_slice(&(key.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&oper.to_le_bytes());
    b.push(level);
    b.extend_from_slice(key);
    b
}

/// `Rollback` (7): session `procid` rolls back `levels` levels.
pub fn rollback(procid: u16, levels: u8) -> Vec<u8> {
    let mut b = vec![7];
    b.extend_from_slice(&procid.to_le_bytes());
    b.push(levels);
    b
}

/// `ExtendDB` (68, ignorable form): database `dbid` grows to end at page `pgno_last`.
pub fn extend_db(dbid: u8, pgno_last: u32) -> Vec<u8> {
    let mut b = vec![68];
    put(&mut b, &[5]);
    b.push(dbid);
    put(&mut b, &[pgno_last]);
    b
}

/// `ShrinkDB2` (94): database `dbid` is cut to end at `pgno_last`, `cpg_shrunk` pages fewer.
pub fn shrink_db2(dbid: u8, pgno_last: u32, cpg_shrunk: u32) -> Vec<u8> {
    let mut b = vec![94, dbid];
    put(&mut b, &[pgno_last, cpg_shrunk]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txlog::record::record_size;

    fn header() -> NodeHeader {
        NodeHeader {
            procid: 1,
            dbid: 1,
            pgno: 40,
            dbtime_after: 9,
            dbtime_before: 8,
            trx_begin0: 1,
            level: 1,
            iline: 0,
            flags: 0x04,
            rceid: 0,
            pgno_fdp: 40,
            objid_fdp: 7,
        }
    }

    #[test]
    fn records_have_the_sizes_the_reader_expects() {
        let c = ConvertFdp {
            objid: 7,
            parent: 1,
            secondary_first: 50,
            cpg_primary: 4,
            cpg_secondary: 4,
            avail: 7,
            page_flags: 0,
        };
        for (t, bytes) in [
            (25, create_single_fdp(&header(), 7, 1, 4, 0)),
            (24, create_multiple_fdp(&header(), 7, (41, 42), 1, 8, 0)),
            (58, convert_fdp2(&header(), &c)),
            (48, empty_tree(&header(), &[(5, 41, 0x2), (6, 42, 0x2)])),
            (68, extend_db(1, 99)),
            (94, shrink_db2(1, 90, 9)),
            (39, undo(&header(), b"key", 2, 1)),
            (7, rollback(1, 1)),
            (
                65,
                page_move(
                    &header(),
                    &PageMove {
                        dest: 50,
                        left: (39, 3),
                        right: (41, 4),
                        parent: (30, 5),
                        fdp: (30, 7),
                        iline_parent: 2,
                        header: vec![1; 100],
                        trailer: vec![2; 16],
                    },
                ),
            ),
        ] {
            assert_eq!(bytes[0], t);
            assert_eq!(record_size(&bytes).ok(), Some(bytes.len()), "type {t}");
        }
    }
}
