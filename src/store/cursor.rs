//! Walking a B+-tree across pages: from the root down through internal
//! pages to the leaves, checking on the way what a damaged or inconsistent
//! tree gets wrong — checksums, tree ids, key order, keys outside their
//! parent's separators, sibling links, cycles — as findings. A bad page
//! ends the walk of its subtree only. Spec 7.2 and 7.3.

use std::collections::HashSet;

use serde::Serialize;

use super::Database;
use crate::format::node::{nodes, Node};
use crate::format::page::{Page, PageFlags};
use crate::format::verdict::page_matches;
use crate::format::{ObjectId, PageNumber};
use crate::report::{Finding, Location};

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
}

impl TreeWalk {
    /// Pages by depth: `levels()[0]` is the root level.
    pub fn levels(&self) -> Vec<Vec<&TreePage>> {
        let depth = self.pages.iter().map(|p| p.depth).max().map_or(0, |d| d + 1);
        (0..depth).map(|d| self.pages.iter().filter(|p| p.depth == d).collect()).collect()
    }
}

struct Walker<'d, F> {
    db: &'d Database,
    /// Temporary databases never checksum their pages.
    temporary: bool,
    objid: ObjectId,
    visited: HashSet<PageNumber>,
    leaves: Vec<(PageNumber, PageNumber, PageNumber)>, // (pgno, prev, next)
    walk: TreeWalk,
    on_leaf: F,
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

impl<F: FnMut(&Page<'_>, &Node<'_>)> Walker<'_, F> {
    fn page_finding(&mut self, pgno: PageNumber, message: String) {
        let location = Location::Page { pgno, file_offset: pgno.file_offset(self.db.page_size()) };
        self.walk.findings.push(Finding::error(location, message));
    }

    fn visit(
        &mut self,
        pgno: PageNumber,
        depth: usize,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
        parent: Option<PageNumber>,
    ) {
        let from = parent.map_or("as the root".to_string(), |p| format!("from page {p}"));
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
        let Ok(page) = db.page(pgno) else {
            self.walk.unreadable.push(pgno);
            return self.page_finding(pgno, format!("page {pgno} ({from}) is not in the file"));
        };
        let unchecksummed = self.temporary && page.bytes.get(..8).is_some_and(|b| b.iter().all(|&x| x == 0));
        if !unchecksummed && !page_matches(page.bytes, pgno, db.page_size()) {
            self.walk.unreadable.push(pgno);
            let verdict = crate::scan::check_page(db, pgno).map(|c| c.verdict).ok();
            let what = match verdict {
                // a page of zeros has no checksum to fail: it was never written
                Some(crate::format::verdict::Verdict::Uninitialized) => {
                    "is all zero (never written, uninitialized)".to_string()
                }
                Some(v) => format!("fails its checksum ({})", v.label()),
                None => "fails its checksum (unreadable)".to_string(),
            };
            return self
                .page_finding(pgno, format!("page {pgno} ({from}) {what}; its subtree is not walked"));
        }
        let h = page.header;
        if h.objid_fdp != self.objid {
            self.page_finding(
                pgno,
                format!("page {pgno} ({from}) belongs to tree objidFDP {}, not {}", h.objid_fdp, self.objid),
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
        for pair in decoded.windows(2) {
            let [a, b] = pair else { continue };
            let last_separator = !leaf && b.key.is_empty();
            if !last_separator && order_key(a) > order_key(b) {
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
            for node in &decoded {
                let key = order_key(node);
                let below = lower.as_ref().is_some_and(|l| key < *l);
                let above = upper.as_ref().is_some_and(|u| if non_unique { key > *u } else { key >= *u });
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
            if let Ok(child_page) = db.page(child) {
                let child_leaf = child_page.header.flags.contains(PageFlags::LEAF);
                if h.flags.contains(PageFlags::PARENT_OF_LEAF) != child_leaf
                    && page_matches(child_page.bytes, child, db.page_size())
                {
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
/// (deleted ones included; check [`Node::is_deleted`]).
pub fn walk(db: &Database, root: PageNumber, on_leaf: impl FnMut(&Page<'_>, &Node<'_>)) -> TreeWalk {
    let objid = db.page(root).map(|p| p.header.objid_fdp).unwrap_or_default();
    let walk = TreeWalk {
        root,
        objid,
        pages: Vec::new(),
        entries: 0,
        deleted: 0,
        findings: Vec::new(),
        unreadable: Vec::new(),
    };
    let mut walker = Walker {
        db,
        temporary: db.is_temporary(),
        objid,
        visited: HashSet::new(),
        leaves: Vec::new(),
        walk,
        on_leaf,
    };
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
