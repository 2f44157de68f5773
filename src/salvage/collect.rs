//! What salvage takes from each tree of the damaged file: the live leaf
//! entries the shared walk ([`walk_until`]) can read (corrected pages read
//! corrected, foreign pages skipped), and what the walk could not read,
//! page by page, with the key range the parent gives each lost page.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::format::page::PageFlags;
use crate::format::{ObjectId, PageNumber};
use crate::store::cursor::{unreadable_reason, walk_until, TreeNames, TreeWalk};
use crate::store::page_read::ReadFailure;
use crate::store::Database;
use crate::writer::page::LeafEntry;
use crate::writer::rebuild::RawEntry;

use super::meter::Meter;
use super::{ForeignPage, UnreadablePage};

/// The tree-type bits a rebuilt tree keeps.
const KIND_BITS: u32 = PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0 | PageFlags::NON_UNIQUE_KEYS.0;

/// One tree as read from the damaged file.
pub(super) struct Collected<'d> {
    /// The tree's objid, from the catalog.
    pub objid: ObjectId,
    /// Live leaf entries (flag-deleted ones are not kept), in walk order;
    /// their data borrowed from the file where the page verified as it is.
    pub entries: Vec<RawEntry<'d>>,
    /// The walk, with its unreadable, corrected and foreign pages.
    pub walk: TreeWalk,
    /// Tree-type flags of the root, when the root could be read.
    pub kind: Option<PageFlags>,
    /// The first leaf read had no `NewRecordFormat` flag: its records are
    /// in the legacy layout, and the rebuilt pages say so too.
    pub legacy: bool,
    /// Leaves under a lost internal page reached along the leaf chain
    /// instead (see [`super::bridge`]).
    pub bridged: Vec<PageNumber>,
    /// Key ranges (inclusive lower, exclusive upper, hex-decoded; empty =
    /// unbounded) where entries may have been lost: lost leaves, and the
    /// gaps in the leaf chain where a page could not be read.
    pub lost_ranges: Vec<(Vec<u8>, Vec<u8>)>,
    /// Unreadable pages the leaf chain names (no parent does any more).
    pub chain_lost: Vec<super::bridge::ChainLost>,
}

impl Collected<'_> {
    /// True when no entry was lost: every page the tree points at was read,
    /// or the only pages lost were internal ones whose leaves the chain reached.
    pub fn whole(&self) -> bool {
        self.lost_ranges.is_empty() && self.walk.foreign.is_empty()
    }
}

/// Reads the tree rooted at `root`.
/// `objid` is the tree's id as the catalog gives it (the root may be lost).
/// The walk asks `meter` before each page and stops on a cancel; then the
/// leaves under lost pages are not looked for.
pub(super) fn collect<'d>(
    db: &'d Database,
    (root, objid): (PageNumber, u32),
    names: TreeNames<'_>,
    meter: &mut Meter<'_>,
) -> Collected<'d> {
    let mut entries = Vec::new();
    let mut legacy = None;
    // the page the nodes come from, as mapped, when that is what was read
    // (not a corrected copy): its nodes' data is borrowed from the map
    let mut mapped: Option<(PageNumber, Option<&'d [u8]>)> = None;
    let walk = walk_until(db, root, names, &mut |reached| meter.walk(reached), |page, node| {
        if legacy.is_none() {
            legacy = Some(!page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
            // room for the entries up front, so a large table's list is not
            // copied as it grows: the pages the tree owns (never more than
            // the file has) times the first leaf's lines; only a hint
            let pages = crate::store::space::read(db, root).owned_pages().min(u64::from(db.page_count()));
            let lines = u64::from(page.header.tag_count);
            let _ = entries.try_reserve(usize::try_from(pages.saturating_mul(lines)).unwrap_or(0));
        }
        if node.is_deleted() {
            return;
        }
        let bytes = match mapped {
            Some((pgno, bytes)) if pgno == page.pgno => bytes,
            _ => {
                let bytes =
                    db.page_bytes(page.pgno).ok().filter(|b| std::ptr::eq(b.as_ptr(), page.bytes.as_ptr()));
                mapped = Some((page.pgno, bytes));
                bytes
            }
        };
        let data = match bytes.and_then(|b| b.get(node.data_offset..node.data_offset + node.data.len())) {
            Some(data) => Cow::Borrowed(data),
            None => Cow::Owned(node.data.to_vec()),
        };
        entries.push(RawEntry { key: std::mem::take(&mut node.key), data });
    });
    let kind = db
        .read_page(root)
        .ok()
        .and_then(|r| r.page(db).ok().map(|p| p.header))
        .filter(|h| h.objid_fdp == walk.objid)
        .map(|h| PageFlags(h.flags.0 & KIND_BITS));
    let lost_ranges = walk.missing.iter().map(|m| (unhex(&m.lower_key), unhex(&m.upper_key))).collect();
    let mut c = Collected {
        objid: ObjectId(objid),
        entries,
        walk,
        kind,
        legacy: legacy.unwrap_or(false),
        bridged: Vec::new(),
        lost_ranges,
        chain_lost: Vec::new(),
    };
    meter.walked(c.walk.pages.len());
    if !c.walk.stopped {
        super::bridge::bridge(db, &mut c, meter);
    }
    c
}

/// A key from the walk's hex (empty when absent or not hex).
pub(super) fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_default()
}

/// Sorts entries as the tree keeps them (key, then data when non-unique)
/// and drops exact duplicates; in a unique tree the first entry of a key
/// wins. Returns how many were dropped.
pub(super) fn sort_entries<E: LeafEntry>(entries: &mut Vec<E>, non_unique: bool) -> usize {
    let before = entries.len();
    if non_unique {
        entries.sort_by(|a, b| (a.key(), a.data()).cmp(&(b.key(), b.data())));
        entries.dedup_by(|b, a| a.key() == b.key() && a.data() == b.data());
    } else {
        entries.sort_by(|a, b| a.key().cmp(b.key()));
        entries.dedup_by(|b, a| a.key() == b.key());
    }
    before - entries.len()
}

/// The pages of `walk` that could not be read, for the report.
pub(super) fn unreadable(tree: &str, walk: &TreeWalk) -> Vec<UnreadablePage> {
    walk.missing
        .iter()
        .map(|m| UnreadablePage {
            tree: tree.to_string(),
            pgno: m.pgno.0,
            parent: m.parent.map(|p| p.0),
            level: match (m.leaf, m.parent) {
                (true, _) => "leaf".into(),
                // no parent says what a lost root was
                (false, None) => "leaf or internal (a lost root: no parent says which)".into(),
                (false, Some(_)) => "internal (a subtree)".into(),
            },
            lower_key: m.lower_key.clone(),
            upper_key: m.upper_key.clone(),
            claimed_lines: m.claimed_lines,
            why: m.why.clone(),
        })
        .collect()
}

/// The unreadable pages the leaf chain names, for the report.
pub(super) fn chain_lost(db: &Database, tree: &str, c: &Collected<'_>) -> Vec<UnreadablePage> {
    c.chain_lost
        .iter()
        .filter(|l| !c.walk.missing.iter().any(|m| m.pgno == l.pgno))
        .map(|l| {
            let failure = db.read_page(l.pgno).err().unwrap_or(ReadFailure::Checksum("unparsable"));
            UnreadablePage {
                tree: tree.to_string(),
                pgno: l.pgno.0,
                parent: None,
                level: format!("leaf (named by the leaf chain: a link of page {})", l.from),
                lower_key: hex::encode(&l.lower),
                upper_key: hex::encode(&l.upper),
                claimed_lines: None,
                why: unreadable_reason(db, l.pgno, &failure),
            }
        })
        .collect()
}

/// The pages of `walk` that belong to another tree.
pub(super) fn foreign(tree: &str, walk: &TreeWalk) -> Vec<ForeignPage> {
    walk.foreign
        .iter()
        .map(|(pgno, objid)| ForeignPage { tree: tree.to_string(), pgno: pgno.0, objid_fdp: objid.0 })
        .collect()
}

/// Evidence of the rows a table lost: the primary keys that its secondary
/// indexes still name but its own tree no longer holds.
#[derive(Debug, Default)]
pub(super) struct LostRows {
    /// Primary keys (bookmarks) named by an index and not kept.
    pub keys: BTreeSet<Vec<u8>>,
    /// True when an index that was read whole has an entry for every kept
    /// row: that index lists every row, so `keys` are all the lost rows.
    pub exact: bool,
}

/// The primary keys of the rows kept, borrowed from the table's entries
/// once [`sort_entries`] sorted them and dropped duplicate keys: found by
/// binary search, no key copied.
pub(super) struct RowKeys<'a, 'd>(&'a [RawEntry<'d>]);

impl<'a, 'd> RowKeys<'a, 'd> {
    /// The keys of `entries`, sorted by key with no key twice.
    pub fn of(entries: &'a [RawEntry<'d>]) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0].key < w[1].key));
        Self(entries)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Where `key` is among the rows.
    fn position(&self, key: &[u8]) -> Option<usize> {
        self.0.binary_search_by(|e| e.key.as_slice().cmp(key)).ok()
    }
}

/// What one secondary index says about the table's rows.
pub(super) struct IndexCheck<'d> {
    /// Entries kept: those whose bookmark is a kept row.
    pub kept: Vec<RawEntry<'d>>,
    /// Entries dropped because their row was lost.
    pub dropped: usize,
    /// Kept rows without an entry in the kept entries.
    pub rows_without_entry: usize,
}

/// Splits an index's entries into those pointing at kept rows and those
/// pointing at lost ones, adding the latter's bookmarks to `lost`.
pub(super) fn check_index<'d>(
    index: &Collected<'d>,
    rows: &RowKeys<'_, '_>,
    non_unique: bool,
    lost: &mut LostRows,
) -> IndexCheck<'d> {
    let mut kept = Vec::with_capacity(index.entries.len());
    let mut dropped = 0;
    // which rows an entry names (each counted once)
    let mut named = vec![false; if index.entries.is_empty() { 0 } else { rows.len() }];
    let mut named_count = 0;
    for entry in &index.entries {
        if let Some(at) = rows.position(&entry.data) {
            if let Some(seen) = named.get_mut(at).filter(|seen| !**seen) {
                *seen = true;
                named_count += 1;
            }
            kept.push(entry.clone());
        } else {
            dropped += 1;
            lost.keys.insert(entry.data.to_vec());
        }
    }
    let rows_without_entry = rows.len() - named_count;
    if index.whole() && rows_without_entry == 0 {
        lost.exact = true;
    }
    sort_entries(&mut kept, non_unique);
    IndexCheck { kept, dropped, rows_without_entry }
}

/// Long values whose chunks may have been on an unreadable page of the
/// long-value tree: every LID whose keys overlap a lost page's key range.
/// Their entries are removed from `entries`; returns the LIDs (hex).
pub(super) fn drop_broken_long_values(c: &mut Collected<'_>) -> Vec<String> {
    if c.lost_ranges.is_empty() {
        return Vec::new();
    }
    // LIDs are the first 4 (or, in LID64 trees, 8) bytes of each key; the
    // root entry of a long value is the LID alone.
    let lid_len = c.entries.iter().map(|e| e.key.len()).min().filter(|&l| l == 8).unwrap_or(4);
    let lid = |key: &[u8]| key.get(..lid_len).map(<[u8]>::to_vec);
    let lids: BTreeSet<Vec<u8>> = c.entries.iter().filter_map(|e| lid(&e.key)).collect();
    let mut broken: BTreeSet<Vec<u8>> = BTreeSet::new();
    for l in &lids {
        let mut next = l.clone();
        let past = increment(&mut next);
        for (lower, upper) in &c.lost_ranges {
            let starts_before_end = past || lower.is_empty() || lower.as_slice() < next.as_slice();
            let ends_after_start = upper.is_empty() || upper.as_slice() > l.as_slice();
            if starts_before_end && ends_after_start {
                broken.insert(l.clone());
            }
        }
    }
    c.entries.retain(|e| lid(&e.key).is_none_or(|l| !broken.contains(&l)));
    broken.into_iter().map(hex::encode).collect()
}

/// Adds one to a big-endian byte string; true when it wrapped past the end.
fn increment(bytes: &mut [u8]) -> bool {
    for b in bytes.iter_mut().rev() {
        if *b == 0xFF {
            *b = 0;
        } else {
            *b += 1;
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_carries() {
        let mut b = vec![0, 0xFF];
        assert!(!increment(&mut b));
        assert_eq!(b, vec![1, 0]);
        let mut b = vec![0xFF];
        assert!(increment(&mut b));
    }

    #[test]
    fn sorting_keeps_the_first_entry_of_a_unique_key() {
        let mut e = vec![
            RawEntry::new(vec![2], vec![1]),
            RawEntry::new(vec![1], vec![9]),
            RawEntry::new(vec![2], vec![3]),
        ];
        assert_eq!(sort_entries(&mut e, false), 1);
        assert_eq!(e, vec![RawEntry::new(vec![1], vec![9]), RawEntry::new(vec![2], vec![1])]);
    }
}
