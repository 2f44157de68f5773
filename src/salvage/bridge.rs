//! Leaves under a lost internal page (the root included) are still linked
//! into the tree's leaf chain (`pgnoPrev`/`pgnoNext`). Salvage reads them
//! back when the chain vouches for them: a candidate is a page of the
//! file that verifies (or the ECC corrects), carries the tree's objidFDP,
//! is a leaf, was not reached by the walk, and whose keys all lie in a lost
//! internal page's key range. Candidates linked to each other both ways
//! form segments; a segment is taken when each of its outer links is a
//! mutual link to a reached leaf, the end of the chain (null), or a page
//! that cannot be read (the break the damage explains). A link to a page
//! that reads but does not link back marks a stale segment (freed leaves
//! keep their old links): it is not taken, so no deleted row comes back.
//!
//! What the chain cannot vouch for becomes a lost key range: between the
//! last key before and the first key after each unreadable page in the
//! chain.

use std::collections::{BTreeMap, BTreeSet};

use crate::format::node::{node, nodes, Node};
use crate::format::page::PageFlags;
use crate::format::{ObjectId, PageNumber};
use crate::store::Database;
use crate::writer::rebuild::RawEntry;

use super::collect::{unhex, Collected};
use super::meter::Meter;

/// One leaf as the chain sees it.
struct Leaf {
    prev: PageNumber,
    next: PageNumber,
    /// First and last order keys (key, then data in a non-unique tree).
    first: Vec<u8>,
    last: Vec<u8>,
    /// Its live entries (only read for candidates: a reached leaf's entries
    /// are already the walk's).
    entries: Vec<RawEntry<'static>>,
    /// True when every order key of the page (deleted nodes too) lies in
    /// the range asked for (always true when no range is asked for).
    in_range: bool,
}

/// How much of a leaf to read.
enum Want<'r> {
    /// Links and first and last keys of a leaf the walk reached: it
    /// verified as it is in the file (`true`: read it without checking its
    /// checksum again) or was read corrected (`false`: correct it again).
    Links(bool),
    /// Everything, keeping the leaf only when each of its keys passes the test.
    Entries(&'r dyn Fn(&[u8]) -> bool),
}

fn read_leaf(db: &Database, pgno: PageNumber, objid: ObjectId, want: Want<'_>) -> Option<Leaf> {
    let read;
    let page = if matches!(want, Want::Links(true)) {
        db.page(pgno).ok()?
    } else {
        read = db.read_page(pgno).ok()?;
        read.page(db).ok()?
    };
    let h = page.header;
    let space_tree = h.flags.contains(PageFlags::SPACE_TREE) || h.flags.contains(PageFlags::EMPTY);
    if h.objid_fdp != objid || !h.flags.contains(PageFlags::LEAF) || space_tree {
        return None;
    }
    let non_unique = h.flags.contains(PageFlags::NON_UNIQUE_KEYS);
    let order_key =
        |n: &Node<'_>| if non_unique { [n.key.as_slice(), n.data].concat() } else { n.key.clone() };
    let mut leaf = Leaf {
        prev: h.prev,
        next: h.next,
        first: Vec::new(),
        last: Vec::new(),
        entries: Vec::new(),
        in_range: true,
    };
    match want {
        Want::Links(_) => {
            // the first and the last line that decode
            let lines = h.tag_count.saturating_sub(h.ctag_reserved());
            let first = (0..lines).find_map(|l| node(&page, l).ok());
            let last = (0..lines).rev().find_map(|l| node(&page, l).ok());
            leaf.first = first.as_ref().map(order_key).unwrap_or_default();
            leaf.last = last.as_ref().map(order_key).unwrap_or_default();
        }
        Want::Entries(fits) => {
            let mut first = None;
            for n in nodes(&page).filter_map(Result::ok) {
                let key = order_key(&n);
                leaf.in_range &= fits(&key);
                if !n.is_deleted() {
                    leaf.entries.push(RawEntry::new(n.key, n.data.to_vec()));
                }
                first.get_or_insert_with(|| key.clone());
                leaf.last = key;
            }
            leaf.first = first.unwrap_or_default();
        }
    }
    Some(leaf)
}

/// Pages of the candidate scan between two cancel checks.
const SCAN_CHECK: u32 = 4096;

/// The file's leaf pages by the tree their raw header names (space-tree
/// and emptied pages left out), in page order: found by one scan of the
/// file the first time a bridge needs candidates and kept for every later
/// tree, so a damaged file with many such trees is not read once per tree.
/// Only raw headers are read: a candidate is checked when it is read.
#[derive(Default)]
pub(super) struct LeafPages(Option<std::collections::HashMap<ObjectId, Vec<PageNumber>>>);

/// The leaf pages of tree `objid` ([`LeafPages`], scanned now when no
/// tree asked before); `None` on a cancel, heard every few thousand pages.
fn leaf_pages(db: &Database, meter: &mut Meter<'_>, objid: ObjectId) -> Option<Vec<PageNumber>> {
    if meter.leaf_pages.0.is_none() {
        let mut by_tree: std::collections::HashMap<ObjectId, Vec<PageNumber>> = Default::default();
        for pgno in db.page_numbers() {
            if pgno.0 % SCAN_CHECK == 0 && meter.check() {
                return None;
            }
            let Ok(page) = db.page(pgno) else { continue };
            let flags = page.header.flags;
            if flags.contains(PageFlags::LEAF)
                && !flags.contains(PageFlags::SPACE_TREE)
                && !flags.contains(PageFlags::EMPTY)
            {
                by_tree.entry(page.header.objid_fdp).or_default().push(pgno);
            }
        }
        meter.leaf_pages.0 = Some(by_tree);
    }
    meter.leaf_pages.0.as_ref().map(|by_tree| by_tree.get(&objid).cloned().unwrap_or_default())
}

/// A page the leaf chain links to that cannot be read: a lost leaf no
/// parent names any more, with the keys it may have held (from the last
/// key before it to the first key after it in the chain; empty: no bound).
pub(super) struct ChainLost {
    pub pgno: PageNumber,
    /// The kept leaf whose `pgnoNext` or `pgnoPrev` names it.
    pub from: PageNumber,
    pub lower: Vec<u8>,
    pub upper: Vec<u8>,
}

/// Where a leaf's link leads.
#[derive(PartialEq)]
enum Link {
    /// A known leaf (reached or candidate) that links back.
    Mutual(PageNumber),
    /// The end of the chain.
    End,
    /// A page that cannot be read.
    Broken(PageNumber),
    /// A page that reads but does not link back.
    Stale,
}

/// Reads back the leaves under lost internal pages of `c` and narrows its
/// lost key ranges to the chain's gaps.
/// The scan of the file for candidates asks `meter` every few thousand
/// pages and ends on a cancel (then nothing is bridged).
pub(super) fn bridge(db: &Database, c: &mut Collected, meter: &mut Meter<'_>) {
    let internal: Vec<(Vec<u8>, Vec<u8>)> = c
        .walk
        .missing
        .iter()
        .filter(|m| !m.leaf)
        .map(|m| (unhex(&m.lower_key), unhex(&m.upper_key)))
        .collect();
    if internal.is_empty() || !c.walk.foreign.is_empty() {
        return;
    }
    let objid = c.objid;
    let in_range =
        |k: &[u8]| internal.iter().any(|(lo, hi)| k >= lo.as_slice() && (hi.is_empty() || k < hi.as_slice()));
    let mut known: BTreeMap<PageNumber, Leaf> = BTreeMap::new();
    let reached: BTreeSet<PageNumber> = c.walk.pages.iter().filter(|p| p.leaf).map(|p| p.pgno).collect();
    let corrected: BTreeSet<PageNumber> = c.walk.corrected.iter().copied().collect();
    for &pgno in &reached {
        let verified = !corrected.contains(&pgno);
        if let Some(leaf) = read_leaf(db, pgno, objid, Want::Links(verified)) {
            known.insert(pgno, leaf);
        }
    }
    let unreached = c.walk.missing.iter().map(|m| m.pgno).collect::<BTreeSet<_>>();
    let Some(tree_leaves) = leaf_pages(db, meter, objid) else { return };
    let mut candidates: BTreeSet<PageNumber> = BTreeSet::new();
    for pgno in tree_leaves {
        if reached.contains(&pgno) || unreached.contains(&pgno) {
            continue;
        }
        if let Some(leaf) = read_leaf(db, pgno, objid, Want::Entries(&in_range)).filter(|l| l.in_range) {
            known.insert(pgno, leaf);
            candidates.insert(pgno);
        }
    }
    let link = |from: PageNumber, to: PageNumber, forward: bool| -> Link {
        if to.is_null() {
            return Link::End;
        }
        match known.get(&to) {
            Some(leaf) if (if forward { leaf.prev } else { leaf.next }) == from => Link::Mutual(to),
            Some(_) => Link::Stale,
            None if db.read_page(to).is_err() => Link::Broken(to),
            None => Link::Stale,
        }
    };
    // segments of candidates joined by mutual links
    let mut taken: BTreeSet<PageNumber> = BTreeSet::new();
    let mut done: BTreeSet<PageNumber> = BTreeSet::new();
    for &start in &candidates {
        if done.contains(&start) {
            continue;
        }
        let mut segment = vec![start];
        let mut stale = false;
        let mut i = 0;
        while let Some(&at) = segment.get(i) {
            i += 1;
            done.insert(at);
            let Some(leaf) = known.get(&at) else { continue };
            for (to, forward) in [(leaf.next, true), (leaf.prev, false)] {
                match link(at, to, forward) {
                    Link::Mutual(p)
                        if candidates.contains(&p) && !done.contains(&p) && !segment.contains(&p) =>
                    {
                        segment.push(p);
                    }
                    Link::Stale => stale = true,
                    _ => {}
                }
            }
        }
        if !stale {
            taken.extend(segment);
        }
    }
    // the chain's gaps: after each leaf whose link leads to an unreadable page
    let kept: BTreeMap<&[u8], PageNumber> = known
        .iter()
        .filter(|(p, _)| reached.contains(p) || taken.contains(p))
        .map(|(p, l)| (l.first.as_slice(), *p))
        .collect();
    let mut gaps: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    // the chain goes on to a kept leaf, or ends
    let continues = |l: Link| match l {
        Link::End => true,
        Link::Mutual(p) => reached.contains(&p) || taken.contains(&p),
        Link::Broken(_) | Link::Stale => false,
    };
    // an unreadable page a kept leaf links to: a lost leaf the chain names
    let mut named: BTreeMap<PageNumber, ChainLost> = BTreeMap::new();
    let mut name = |l: Link, from: PageNumber, (lower, upper): (&[u8], &[u8])| {
        if let Link::Broken(pgno) = l {
            named.entry(pgno).or_insert_with(|| ChainLost {
                pgno,
                from,
                lower: lower.to_vec(),
                upper: upper.to_vec(),
            });
        }
    };
    for (&pgno, leaf) in known.iter().filter(|(p, _)| reached.contains(p) || taken.contains(p)) {
        if !continues(link(pgno, leaf.next, true)) {
            let upper = kept
                .range::<[u8], _>((
                    std::ops::Bound::Excluded(leaf.last.as_slice()),
                    std::ops::Bound::Unbounded,
                ))
                .next();
            let upper = upper.map(|(k, _)| k.to_vec()).unwrap_or_default();
            name(link(pgno, leaf.next, true), pgno, (&leaf.last, &upper));
            gaps.push((leaf.last.clone(), upper));
        }
        if !continues(link(pgno, leaf.prev, false)) {
            let lower = kept
                .range::<[u8], _>((
                    std::ops::Bound::Unbounded,
                    std::ops::Bound::Excluded(leaf.first.as_slice()),
                ))
                .next_back()
                .and_then(|(_, p)| known.get(p));
            let lower = lower.map(|l| l.last.clone()).unwrap_or_default();
            name(link(pgno, leaf.prev, false), pgno, (&lower, &leaf.first));
            gaps.push((lower, leaf.first.clone()));
        }
    }
    let any_leaf = !reached.is_empty() || !taken.is_empty();
    if any_leaf {
        // the chain speaks for the lost internal pages: what is lost are the
        // lost leaves and the gaps around unreadable pages in the chain
        let leaves =
            c.walk.missing.iter().filter(|m| m.leaf).map(|m| (unhex(&m.lower_key), unhex(&m.upper_key)));
        c.lost_ranges = leaves.chain(gaps).collect();
        c.lost_ranges.sort();
        c.lost_ranges.dedup();
        c.chain_lost = named.into_values().collect();
    }
    for pgno in &taken {
        if let Some(leaf) = known.remove(pgno) {
            c.entries.extend(leaf.entries);
        }
    }
    c.bridged = taken.into_iter().collect();
}
