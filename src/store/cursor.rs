//! Walking a B+-tree across pages: from the root down through internal
//! pages to the leaves, checking on the way what a damaged or inconsistent
//! tree gets wrong — checksums, tree ids, key order, keys outside their
//! parent's separators, sibling links, cycles — as findings. A bad page
//! ends the walk of its subtree only. Spec 7.2 and 7.3.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde::Serialize;

use super::page_read::ReadFailure;
use super::Database;
use crate::finding::{Finding, Location};
use crate::format::node::{nodes, Node};
use crate::format::page::{Page, PageFlags};
use crate::format::{ObjectId, PageNumber};

/// Deeper trees than this are treated as corrupt (real trees have 2–5 levels).
const MAX_DEPTH: usize = 16;

/// One page of the tree as the walk saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreePage {
    /// The page.
    pub pgno: PageNumber,
    /// Depth below the root (root = 0).
    pub depth: usize,
    /// True for a leaf.
    pub leaf: bool,
    /// Lines on the page (deleted ones included).
    pub entries: usize,
    /// First key, hex.
    pub first_key: String,
    /// Last key, hex (empty for the +infinity separator).
    pub last_key: String,
}

/// The result of walking one tree.
#[derive(Debug, Clone, Serialize)]
pub struct TreeWalk {
    /// The root page.
    pub root: PageNumber,
    /// The tree id the root carries.
    pub objid: ObjectId,
    /// Every page reached, depth-first, in key order.
    pub pages: Vec<TreePage>,
    /// Leaf entries that are not flag-deleted.
    pub entries: u64,
    /// Flag-deleted leaf entries.
    pub deleted: u64,
    /// Everything wrong with the tree.
    pub findings: Vec<Finding>,
    /// Pages the tree points at that could not be read (outside the file,
    /// or failing their checksum, all-zero pages included).
    pub unreadable: Vec<PageNumber>,
    /// What is missing from the walk because of each unreadable page.
    pub missing: Vec<MissingPage>,
    /// Pages read through a corrected bit (ECC), in walk order.
    pub corrected: Vec<PageNumber>,
    /// Pages a parent points at that belong to another tree: (page, its
    /// objidFDP). Neither decoded nor descended into.
    pub foreign: Vec<(PageNumber, ObjectId)>,
    /// The walk was stopped before its end ([`walk_until`]): what it says
    /// of the tree is incomplete.
    pub stopped: bool,
}

/// A page of the tree that could not be read, and what the walk lost with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingPage {
    /// The page.
    pub pgno: PageNumber,
    /// The page that points at it (none for the root).
    pub parent: Option<PageNumber>,
    /// Why it could not be read.
    pub why: String,
    /// The lowest key its entries can have (hex; empty: no lower bound),
    /// from the parent's separators.
    pub lower_key: String,
    /// The key its entries sort below (hex; empty: no upper bound).
    pub upper_key: String,
    /// True when the parent says it is a leaf (its entries are rows);
    /// false when it heads a subtree.
    pub leaf: bool,
    /// How many lines its own (unverified) header claims, when the header
    /// is there to read; a hint, not a fact.
    pub claimed_lines: Option<u16>,
}

/// Why page `pgno` could not be read, in words: "not in the file", "is
/// all zero (never written, uninitialized)", "fails its checksum (VERDICT)".
pub fn unreadable_reason(db: &Database, pgno: PageNumber, failure: &ReadFailure) -> String {
    match failure {
        ReadFailure::NotInFile => "not in the file".to_string(),
        ReadFailure::Checksum(label) => match crate::scan::check_page(db, pgno).map(|c| c.verdict) {
            // a page of zeros has no checksum to fail: it was never written
            Ok(crate::format::verdict::Verdict::Uninitialized) => {
                "is all zero (never written, uninitialized)".to_string()
            }
            Ok(v) => format!("fails its checksum ({})", v.label()),
            Err(_) => format!("fails its checksum ({label})"),
        },
    }
}

impl MissingPage {
    /// One line: the page, the key range and how much is lost.
    pub fn describe(&self) -> String {
        let range = match (self.lower_key.is_empty(), self.upper_key.is_empty()) {
            (true, true) => "every key".to_string(),
            (false, true) => format!("keys from {}", self.lower_key),
            (true, false) => format!("keys below {}", self.upper_key),
            (false, false) => format!("keys from {} to below {}", self.lower_key, self.upper_key),
        };
        let what = if self.leaf { "the rows of leaf" } else { "the rows under page" };
        let count = match self.claimed_lines {
            Some(n) => format!("its unverified header claims {n} lines"),
            None => "entry count unknown".into(),
        };
        format!("{what} {} are not read: {range}; {count}", self.pgno)
    }
}

impl TreeWalk {
    /// Pages by depth: `levels()[0]` is the root level.
    pub fn levels(&self) -> Vec<Vec<&TreePage>> {
        let depth = self.pages.iter().map(|p| p.depth).max().map_or(0, |d| d + 1);
        (0..depth).map(|d| self.pages.iter().filter(|p| p.depth == d).collect()).collect()
    }
}

/// Where the walk came to a page from, in words: "as the root" or "from
/// page N" (made into text only when a finding says it).
#[derive(Clone, Copy)]
struct Origin(Option<PageNumber>);

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("as the root"),
            Some(p) => write!(f, "from page {p}"),
        }
    }
}

/// A key that is the concatenation of two byte strings (a non-unique
/// tree's leaf sorts by key then data), compared as the concatenation is
/// without building it.
struct OrderKey<'a>(&'a [u8], &'a [u8]);

impl<'n> OrderKey<'n> {
    /// A node's key, followed by its data when `with_data`.
    fn of(node: &'n Node<'_>, with_data: bool) -> Self {
        OrderKey(&node.key, if with_data { node.data } else { &[] })
    }

    fn cmp(&self, other: &OrderKey<'_>) -> Ordering {
        let (mut a, mut a_rest) = (self.0, self.1);
        let (mut b, mut b_rest) = (other.0, other.1);
        loop {
            if a.is_empty() && !a_rest.is_empty() {
                (a, a_rest) = (a_rest, &[]);
            }
            if b.is_empty() && !b_rest.is_empty() {
                (b, b_rest) = (b_rest, &[]);
            }
            let n = a.len().min(b.len());
            if n == 0 {
                return a.len().cmp(&b.len());
            }
            match a[..n].cmp(&b[..n]) {
                Ordering::Equal => (a, b) = (&a[n..], &b[n..]),
                other => return other,
            }
        }
    }
}

/// What the tree with an object id is, in words ("table people"), when
/// the caller knows (the catalog does).
pub type TreeNames<'a> = &'a dyn Fn(ObjectId) -> Option<String>;

struct Walker<'d, 'n, 's, F> {
    db: &'d Database,
    names: TreeNames<'n>,
    objid: ObjectId,
    visited: HashSet<PageNumber>,
    leaves: Vec<(PageNumber, PageNumber, PageNumber)>, // (pgno, prev, next)
    walk: TreeWalk,
    on_leaf: F,
    /// Asked before each page with the pages reached so far; `true` stops.
    stop: &'s mut dyn FnMut(usize) -> bool,
}

/// A key in hex, at most 24 bytes of it: a longer key keeps its first 8
/// and last 12 bytes, so keys with a long common prefix (paths) still
/// differ where they differ.
fn short_hex(key: &[u8]) -> String {
    match (key.len() > 24, key.get(..8), key.get(key.len().saturating_sub(12)..)) {
        (true, Some(head), Some(tail)) => format!("{}…{}", hex::encode(head), hex::encode(tail)),
        _ => hex::encode(key),
    }
}

impl<F: FnMut(&Page<'_>, &mut Node<'_>)> Walker<'_, '_, '_, F> {
    fn page_finding(&mut self, pgno: PageNumber, message: String) {
        let location = Location::Page { pgno, file_offset: pgno.file_offset(self.db.page_size()) };
        self.walk.findings.push(Finding::error(location, message));
    }

    fn missing(
        &mut self,
        pgno: PageNumber,
        parent: Option<PageNumber>,
        from: Origin,
        failure: ReadFailure,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) {
        let db = self.db;
        self.walk.unreadable.push(pgno);
        let why = unreadable_reason(db, pgno, &failure);
        // The parent's flag says whether its children are leaves.
        let leaf = parent
            .and_then(|p| db.read_page(p).ok())
            .and_then(|r| r.page(db).ok().map(|p| p.header.flags.contains(PageFlags::PARENT_OF_LEAF)))
            .unwrap_or(false);
        let claimed_lines = db
            .page(pgno)
            .ok()
            .filter(|p| !p.is_zeroed() && p.header.objid_fdp == self.objid)
            .map(|p| p.header.tag_count.saturating_sub(p.header.ctag_reserved()));
        let missing = MissingPage {
            pgno,
            parent,
            why: why.clone(),
            lower_key: lower.as_deref().map(hex::encode).unwrap_or_default(),
            upper_key: upper.as_deref().map(hex::encode).unwrap_or_default(),
            leaf,
            claimed_lines,
        };
        let message = if why == "not in the file" {
            format!("page {pgno} ({from}) is not in the file; {}", missing.describe())
        } else {
            format!("page {pgno} ({from}) {why}; {}", missing.describe())
        };
        self.walk.missing.push(missing);
        self.page_finding(pgno, message);
    }

    fn visit(
        &mut self,
        pgno: PageNumber,
        depth: usize,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
        parent: Option<PageNumber>,
    ) {
        if self.walk.stopped || (self.stop)(self.walk.pages.len()) {
            self.walk.stopped = true;
            return;
        }
        let from = Origin(parent);
        if depth > MAX_DEPTH {
            return self.page_finding(
                pgno,
                format!("tree deeper than {MAX_DEPTH} levels at page {pgno} ({from}): a cycle?"),
            );
        }
        if !self.visited.insert(pgno) {
            return self
                .page_finding(pgno, format!("page {pgno} is reached twice ({from}): the tree has a cycle"));
        }
        let db = self.db;
        let read = match db.read_page(pgno) {
            Ok(read) => read,
            Err(failure) => return self.missing(pgno, parent, from, failure, lower, upper),
        };
        let Ok(page) = read.page(db) else {
            return self.missing(pgno, parent, from, ReadFailure::Checksum("unparsable"), lower, upper);
        };
        if !read.corrected.is_empty() {
            self.walk.corrected.push(pgno);
            let location = Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) };
            self.walk.findings.push(Finding::warning(
                location,
                format!(
                    "page {pgno} ({from}) read with a corrected bit: {}; the ECC locates it, so its entries are read from the corrected copy",
                    read.describe_correction()
                ),
            ));
        }
        let h = page.header;
        if h.objid_fdp != self.objid {
            let owner = (self.names)(h.objid_fdp).map_or_else(
                || format!("tree objidFDP {}", h.objid_fdp),
                |n| format!("{n} (objidFDP {})", h.objid_fdp),
            );
            let mine = (self.names)(self.objid).map_or_else(
                || format!("objidFDP {}", self.objid),
                |n| format!("{n}, objidFDP {}", self.objid),
            );
            self.walk.foreign.push((pgno, h.objid_fdp));
            return self.page_finding(
                pgno,
                format!(
                    "page {pgno} ({from}) belongs to {owner}, not to this tree ({mine}): its entries are not read as this tree's and the walk does not descend through it"
                ),
            );
        }
        if depth == 0 && !h.flags.contains(PageFlags::ROOT) {
            self.page_finding(pgno, format!("root page {pgno} does not have the Root flag"));
        }
        if depth > 0 && h.flags.contains(PageFlags::ROOT) {
            // Seen in a database Windows Search wrote and closed cleanly (a
            // long-value root's only child): unusual, but the tree reads.
            // Said only when its tree id fits (otherwise the finding above says why not).
            if h.objid_fdp == self.objid {
                let location = Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) };
                self.walk.findings.push(Finding::info(
                    location,
                    format!("page {pgno} ({from}) has the Root flag below the root; its tree id fits, so the tree still reads"),
                ));
            }
        }
        if h.flags.contains(PageFlags::EMPTY) {
            self.page_finding(pgno, format!("emptied page {pgno} is still linked into the tree ({from})"));
        }
        let leaf = h.flags.contains(PageFlags::LEAF);
        let non_unique = h.flags.contains(PageFlags::NON_UNIQUE_KEYS);
        let mut decoded = Vec::new();
        for item in nodes(&page) {
            match item {
                Ok(node) => decoded.push(node),
                Err(e) => {
                    let index = decoded.len() as u16 + h.ctag_reserved();
                    self.walk.findings.push(Finding::error(Location::Tag { pgno, index }, e.to_string()));
                }
            }
        }
        // Leaves of non-unique trees sort by key then data; internal nodes'
        // data is the child page number, and their key is the whole separator.
        let order_key = |n: &Node<'_>| {
            if non_unique && leaf {
                [n.key.as_slice(), n.data].concat()
            } else {
                n.key.clone()
            }
        };
        // the same order, compared without building either key
        let order_parts = |n| OrderKey::of(n, non_unique && leaf);
        for pair in decoded.windows(2) {
            let [a, b] = pair else { continue };
            let last_separator = !leaf && b.key.is_empty();
            if !last_separator && order_parts(a).cmp(&order_parts(b)) == Ordering::Greater {
                self.walk.findings.push(Finding::error(
                    Location::Tag { pgno, index: b.tag.index },
                    format!(
                        "keys out of order on page {pgno}: line {} ({}) sorts after line {} ({})",
                        a.line,
                        short_hex(&a.key),
                        b.line,
                        short_hex(&b.key)
                    ),
                ));
            }
        }
        self.walk.pages.push(TreePage {
            pgno,
            depth,
            leaf,
            entries: decoded.len(),
            first_key: decoded.first().map_or(String::new(), |n| short_hex(&n.key)),
            last_key: decoded.last().map_or(String::new(), |n| short_hex(&n.key)),
        });
        if leaf {
            for node in &mut decoded {
                let key = OrderKey::of(node, non_unique);
                let below = lower.as_ref().is_some_and(|l| key.cmp(&OrderKey(l, &[])) == Ordering::Less);
                let above = upper.as_ref().is_some_and(|u| {
                    let against = key.cmp(&OrderKey(u, &[]));
                    if non_unique {
                        against == Ordering::Greater
                    } else {
                        against != Ordering::Less
                    }
                });
                if below || above {
                    self.walk.findings.push(Finding::error(
                        Location::Tag { pgno, index: node.tag.index },
                        format!(
                            "key {} on page {pgno} is outside the range its parent ({from}) gives this page",
                            short_hex(&node.key)
                        ),
                    ));
                }
                if node.is_deleted() {
                    self.walk.deleted += 1;
                } else {
                    self.walk.entries += 1;
                }
                (self.on_leaf)(&page, node);
            }
            self.leaves.push((pgno, h.prev, h.next));
            return;
        }
        let mut low = lower;
        for node in &decoded {
            let Some(child) = node.child() else {
                self.walk.findings.push(Finding::error(
                    Location::Tag { pgno, index: node.tag.index },
                    format!("internal node on page {pgno} has no child page number"),
                ));
                continue;
            };
            let high = if node.key.is_empty() { upper.clone() } else { Some(order_key(node)) };
            // The raw header first (no checksum work on the common path);
            // a mismatch is reported only when the page verifies (or the
            // ECC corrects it) and belongs to this tree.
            let raw_leaf = db.page(child).ok().map(|c| c.header.flags.contains(PageFlags::LEAF));
            let mismatch = raw_leaf.is_some_and(|leaf| h.flags.contains(PageFlags::PARENT_OF_LEAF) != leaf);
            let child_flags = mismatch.then(|| db.read_page(child).ok()).flatten().and_then(|r| {
                r.page(db).ok().filter(|c| c.header.objid_fdp == self.objid).map(|c| c.header.flags)
            });
            if let Some(flags) = child_flags {
                let child_leaf = flags.contains(PageFlags::LEAF);
                if h.flags.contains(PageFlags::PARENT_OF_LEAF) != child_leaf {
                    self.page_finding(
                        child,
                        format!(
                            "page {child} is {} but its parent {pgno} says its children are {}",
                            if child_leaf { "a leaf" } else { "not a leaf" },
                            if child_leaf { "internal pages" } else { "leaves" }
                        ),
                    );
                }
            }
            self.visit(child, depth + 1, low.clone(), high.clone(), Some(pgno));
            low = high;
        }
    }
}

/// Walks the tree rooted at `root`, calling `on_leaf` for every leaf node
/// (deleted ones included; check [`Node::is_deleted`]). Pages whose one
/// flipped bit per block the ECC locates are read corrected; a child page
/// of another tree is reported, not read.
pub fn walk(db: &Database, root: PageNumber, mut on_leaf: impl FnMut(&Page<'_>, &Node<'_>)) -> TreeWalk {
    walk_named(db, root, &|_| None, |page, node| on_leaf(page, node))
}

/// [`walk`], naming in its findings the tree a foreign page belongs to
/// with `names` (from the catalog: [`crate::store::catalog::Catalog::object_name`]).
/// `on_leaf` gets each node mutably: it may take what it keeps (the key)
/// instead of copying it, as the walk does not look at a node again.
pub fn walk_named(
    db: &Database,
    root: PageNumber,
    names: TreeNames<'_>,
    on_leaf: impl FnMut(&Page<'_>, &mut Node<'_>),
) -> TreeWalk {
    walk_until(db, root, names, &mut |_| false, on_leaf)
}

/// [`walk_named`] that asks `stop` before each page (with the number of
/// pages reached so far) and ends there when it says `true` (a cancel):
/// the walk is then marked [`TreeWalk::stopped`].
pub fn walk_until(
    db: &Database,
    root: PageNumber,
    names: TreeNames<'_>,
    stop: &mut dyn FnMut(usize) -> bool,
    on_leaf: impl FnMut(&Page<'_>, &mut Node<'_>),
) -> TreeWalk {
    let objid = db.read_page(root).ok().and_then(|r| r.page(db).ok().map(|p| p.header.objid_fdp));
    let objid = objid.or_else(|| db.page(root).ok().map(|p| p.header.objid_fdp)).unwrap_or_default();
    let walk = TreeWalk {
        root,
        objid,
        pages: Vec::new(),
        entries: 0,
        deleted: 0,
        findings: Vec::new(),
        unreadable: Vec::new(),
        missing: Vec::new(),
        corrected: Vec::new(),
        foreign: Vec::new(),
        stopped: false,
    };
    let mut walker =
        Walker { db, names, objid, visited: HashSet::new(), leaves: Vec::new(), walk, on_leaf, stop };
    walker.visit(root, 0, None, None, None);
    let leaves = std::mem::take(&mut walker.leaves);
    if leaves.len() > 1 {
        for (i, &(pgno, prev, next)) in leaves.iter().enumerate() {
            let want_prev = i.checked_sub(1).and_then(|j| leaves.get(j)).map_or(PageNumber::NULL, |l| l.0);
            let want_next = leaves.get(i + 1).map_or(PageNumber::NULL, |l| l.0);
            // a neighbour the walk skipped (bad checksum) is named as such, never as page 0
            let skipped = |link: PageNumber, unreadable: &[PageNumber]| {
                if unreadable.contains(&link) {
                    format!(" (page {link} was not walked: see above)")
                } else {
                    String::new()
                }
            };
            if prev != want_prev {
                let said = skipped(prev, &walker.walk.unreadable);
                let message = if want_prev.is_null() {
                    format!("leaf {pgno}: pgnoPrev is {prev}, but the walk reached no leaf before it in key order{said}")
                } else {
                    format!("leaf {pgno}: pgnoPrev is {prev}, but the leaf before it in key order is {want_prev}{said}")
                };
                walker.page_finding(pgno, message);
            }
            if next != want_next {
                let said = skipped(next, &walker.walk.unreadable);
                let message = if want_next.is_null() {
                    format!("leaf {pgno}: pgnoNext is {next}, but the walk reached no leaf after it in key order{said}")
                } else {
                    format!("leaf {pgno}: pgnoNext is {next}, but the leaf after it in key order is {want_next}{said}")
                };
                walker.page_finding(pgno, message);
            }
        }
    }
    walker.walk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_compare_as_their_concatenation() {
        let parts: [&[u8]; 6] = [b"", b"a", b"ab", b"abc", b"b", b"\xff"];
        for a in parts {
            for a2 in parts {
                for b in parts {
                    for b2 in parts {
                        let want = [a, a2].concat().cmp(&[b, b2].concat());
                        assert_eq!(
                            OrderKey(a, a2).cmp(&OrderKey(b, b2)),
                            want,
                            "{a:?}+{a2:?} vs {b:?}+{b2:?}"
                        );
                    }
                }
            }
        }
    }
}
