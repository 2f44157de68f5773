//! Redo of Merge2 macros (spec 4.5.4, 6.6) on page images. The records of
//! a merge go top-down: one per internal page on the path (its `iline` and
//! flags say what happens there: the page pointer deleted, or its key
//! changed to the logged separator), the leaf's last (its merge type and
//! `ilineMerge`). At the leaf, the live nodes at and after `ilineMerge`
//! move to the front of the right sibling (right merges), or those up to
//! it to the end of the left sibling (left merges); a partial merge
//! deletes the moved nodes from the merged page, a full or empty-page merge
//! empties it and links its siblings to each other.

use crate::format::page::PageFlags;
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32};
use crate::format::{DbTime, PageNumber};
use crate::writer::page::{common_prefix_len, NodeImage, PageImage};

/// Merge types (`MERGETYPE`).
pub mod kind {
    /// A path page: nothing merges here.
    pub const NONE: u8 = 0;
    /// The page is empty; it is only unlinked.
    pub const EMPTY_PAGE: u8 = 1;
    /// Every node moves to the right sibling.
    pub const FULL_RIGHT: u8 = 2;
    /// The nodes from `ilineMerge` on move to the right sibling.
    pub const PARTIAL_RIGHT: u8 = 3;
    /// Every node moves to the left sibling.
    pub const FULL_LEFT: u8 = 5;
    /// The nodes up to `ilineMerge` move to the left sibling.
    pub const PARTIAL_LEFT: u8 = 6;
}

/// The fields of a Merge2 record that redo uses.
#[derive(Debug, Clone)]
pub struct Merge {
    /// The page (the merged leaf, or a path page).
    pub pgno: u32,
    /// The line a path page changes (`iline` of LRPAGE_).
    pub iline: u16,
    /// Right and left siblings of the merged page.
    pub right: u32,
    /// Left sibling.
    pub left: u32,
    /// The merge type (0 for a path page).
    pub merge_type: u8,
    /// `ilineMerge`.
    pub iline_merge: u16,
    /// 0x1 key change, 0x2 delete node, 0x4 empty page.
    pub flags: u8,
    /// The new separator key for the parent.
    pub separator: Vec<u8>,
}

impl Merge {
    /// Decodes a Merge2 record.
    ///
    /// # Errors
    /// The record is too short.
    pub fn parse(record: &Record) -> Result<Self, String> {
        let b = &record.bytes;
        let short = || "Merge2 record too short".to_string();
        let cb = usize::from(le_u16(b, 86).ok_or_else(short)?);
        Ok(Self {
            pgno: le_u32(b, 4).ok_or_else(short)?,
            iline: le_u16(b, 29).ok_or_else(short)?,
            right: le_u32(b, 32).ok_or_else(short)?,
            left: le_u32(b, 44).ok_or_else(short)?,
            merge_type: *b.get(85).ok_or_else(short)?,
            iline_merge: le_u16(b, 82).ok_or_else(short)?,
            flags: *b.get(84).ok_or_else(short)?,
            separator: b.get(96..96 + cb).ok_or_else(short)?.to_vec(),
        })
    }

    fn is_right(&self) -> bool {
        matches!(self.merge_type, kind::FULL_RIGHT | kind::PARTIAL_RIGHT)
    }

    fn is_partial(&self) -> bool {
        matches!(self.merge_type, kind::PARTIAL_RIGHT | kind::PARTIAL_LEFT)
    }
}

fn restore_prefixes(page: &mut PageImage) {
    let prefix = if page.flags.contains(PageFlags::ROOT) { Vec::new() } else { page.external_header.clone() };
    for node in &mut page.nodes {
        let shared = common_prefix_len(&node.key, &prefix);
        node.prefix_len = if shared > 1 { shared } else { 0 };
    }
}

/// The leaf's part: the nodes that move out of `merged` into its right or
/// left sibling, the merged page emptied or trimmed, the siblings linked to
/// each other. A page is `None` when it does not need redo (or there is no
/// such sibling). All changed pages get `dbtime`.
///
/// # Errors
/// `ilineMerge` past the page, a merge type this module does not redo, or
/// a destination that needs redo when the merged page does not (that takes
/// the logged before image).
pub fn merge_leaf(
    m: &Merge,
    merged: Option<&mut PageImage>,
    mut left: Option<&mut PageImage>,
    mut right: Option<&mut PageImage>,
    dbtime: u64,
) -> Result<(), String> {
    if !matches!(
        m.merge_type,
        kind::EMPTY_PAGE | kind::FULL_RIGHT | kind::PARTIAL_RIGHT | kind::FULL_LEFT | kind::PARTIAL_LEFT
    ) {
        return Err(format!("merge type {} is not redone", m.merge_type));
    }
    let moves = m.merge_type != kind::EMPTY_PAGE;
    let dest_needs = if m.is_right() { right.is_some() } else { left.is_some() };
    match merged {
        None if moves && dest_needs => {
            return Err("the destination page needs redo but the merged page already holds the merge: that takes the logged page before image, which is not implemented".into());
        }
        None => {}
        Some(merged) => {
            let lines = merged.nodes.len();
            let at = usize::from(m.iline_merge);
            let range = if !moves {
                0..0
            } else if m.is_right() {
                at.min(lines)..lines
            } else {
                0..(at + 1).min(lines)
            };
            if moves && range.is_empty() {
                return Err(format!(
                    "ilineMerge {at} leaves nothing to move from the {lines} lines of the merged page"
                ));
            }
            let moving: Vec<NodeImage> = merged.nodes[range.clone()]
                .iter()
                .filter(|n| !n.flags.contains(NodeFlags::DELETED))
                .cloned()
                .collect();
            let dest = if m.is_right() { right.as_deref_mut() } else { left.as_deref_mut() };
            if let (true, Some(dest)) = (moves, dest) {
                if m.is_right() {
                    dest.nodes.splice(0..0, moving);
                } else {
                    dest.nodes.extend(moving);
                }
                restore_prefixes(dest);
                dest.dbtime = DbTime(dbtime);
            }
            if m.is_partial() {
                merged.nodes.drain(range);
            } else {
                merged.nodes.clear();
                merged.flags = PageFlags(merged.flags.0 | PageFlags::EMPTY.0);
            }
            merged.dbtime = DbTime(dbtime);
        }
    }
    if !m.is_partial() {
        if let Some(page) = left {
            page.next = PageNumber(m.right);
            page.dbtime = DbTime(dbtime);
        }
        if let Some(page) = right {
            page.prev = PageNumber(m.left);
            page.dbtime = DbTime(dbtime);
        }
    }
    Ok(())
}

/// A path page's part (`path` is its Merge2 record, `leaf` the leaf's):
/// the page pointer at `iline` deleted, or its key changed to the
/// separator (the pointer before it for a partial left merge).
///
/// # Errors
/// The line is not on the page.
pub fn merge_path(page: &mut PageImage, path: &Merge, leaf: &Merge, dbtime: u64) -> Result<(), String> {
    let at = usize::from(path.iline);
    let count = page.nodes.len();
    if at >= count {
        return Err(format!("line {at} is not on the path page ({count} lines)"));
    }
    let (key_change, delete) = (path.flags & 0x1 != 0, path.flags & 0x2 != 0);
    if leaf.merge_type == kind::FULL_LEFT && key_change && delete {
        // the pointer to the merged page now points to the left page; the one before goes
        let slot = page.nodes.get_mut(at).ok_or("line")?;
        let tail = slot.data.len().saturating_sub(4);
        slot.data.truncate(tail);
        slot.data.extend_from_slice(&leaf.left.to_le_bytes());
        if at == 0 {
            return Err("a full left merge with the pointer on the first line".into());
        }
        page.nodes.remove(at - 1);
    } else if delete {
        let was_last_null = at + 1 == count && page.nodes.get(at).is_some_and(|n| n.key.is_empty());
        page.nodes.remove(at);
        if was_last_null {
            if let Some(last) = page.nodes.last_mut() {
                last.key.clear();
            }
        }
    } else if key_change {
        let line = if leaf.merge_type == kind::PARTIAL_LEFT {
            at.checked_sub(1).ok_or("no line before")?
        } else {
            at
        };
        let node = page.nodes.get_mut(line).ok_or("line")?;
        node.key.clone_from(&leaf.separator);
    }
    if path.flags & 0x4 != 0 {
        page.nodes.clear();
        page.flags = PageFlags(page.flags.0 | PageFlags::EMPTY.0);
    }
    restore_prefixes(page);
    page.dbtime = DbTime(dbtime);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txlog::record::RecordType;
    use crate::format::{Lgpos, ObjectId, PageSize};
    use crate::writer::log_record::{merge2, Merge2, NodeHeader, DBTIME_NIL};

    fn page(pgno: u32, keys: &[&[u8]], flags: PageFlags) -> PageImage {
        let mut p = PageImage::new(PageNumber(pgno), PageSize::K4, ObjectId(7), flags);
        p.nodes = keys.iter().map(|k| NodeImage::new(k.to_vec(), pgno.to_le_bytes().to_vec())).collect();
        p
    }

    #[test]
    fn partial_right_and_empty_page_merges() {
        let h = NodeHeader {
            procid: 1,
            dbid: 1,
            pgno: 10,
            dbtime_after: 0x90,
            dbtime_before: 0x10,
            trx_begin0: 1,
            level: 1,
            iline: 0,
            flags: 0,
            rceid: 0,
            pgno_fdp: 5,
            objid_fdp: 7,
        };
        let fields = Merge2 {
            right: (11, 0x20),
            left: (9, DBTIME_NIL),
            parent: (5, 0x30),
            fdp: (5, 7),
            iline_merge: 2,
            flags: 0,
            merge_type: kind::PARTIAL_RIGHT,
            separator: b"c".to_vec(),
        };
        let bytes = merge2(&h, &fields);
        let record = Record {
            lgpos: Lgpos::default(),
            file_offset: 0,
            record_type: RecordType(63),
            bytes: bytes.into(),
            fragmented: false,
        };
        let m = Merge::parse(&record).unwrap();
        assert_eq!(
            (m.pgno, m.right, m.left, m.iline_merge, m.merge_type),
            (10, 11, 9, 2, kind::PARTIAL_RIGHT)
        );
        let mut merged = page(10, &[b"a", b"b", b"c", b"d"], PageFlags::LEAF);
        let mut right = page(11, &[b"e"], PageFlags::LEAF);
        merge_leaf(&m, Some(&mut merged), None, Some(&mut right), 0x90).unwrap();
        let keys = |p: &PageImage| p.nodes.iter().map(|n| n.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&merged), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(keys(&right), [b"c".to_vec(), b"d".to_vec(), b"e".to_vec()]);
        // the parent's pointer to the merged page gets the separator
        let mut parent = page(5, &[b"d0", b""], PageFlags::ROOT);
        let path = Merge {
            pgno: 5,
            iline: 0,
            right: 0,
            left: 0,
            merge_type: 0,
            iline_merge: 0,
            flags: 0x1,
            separator: Vec::new(),
        };
        merge_path(&mut parent, &path, &m, 0x90).unwrap();
        assert_eq!(parent.nodes[0].key, b"c");
        // an empty page is unlinked and its pointer deleted
        let empty = Merge { merge_type: kind::EMPTY_PAGE, ..m.clone() };
        let (mut left, mut right) = (page(9, &[b"a"], PageFlags::LEAF), page(11, &[b"z"], PageFlags::LEAF));
        let mut gone = page(10, &[], PageFlags::LEAF);
        merge_leaf(&empty, Some(&mut gone), Some(&mut left), Some(&mut right), 0x91).unwrap();
        assert_eq!((left.next, right.prev), (PageNumber(11), PageNumber(9)));
        let delete = Merge { flags: 0x2, ..path };
        merge_path(&mut parent, &delete, &empty, 0x91).unwrap();
        assert_eq!(parent.nodes.len(), 1);
        assert!(parent.nodes[0].key.is_empty(), "the last pointer keeps the null key");
    }
}
