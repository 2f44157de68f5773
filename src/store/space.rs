//! The space a tree owns: its root's space header, and for multiple-extent
//! trees the OE and AE trees walked into extents (spec 8). Checks that the
//! pages a tree uses are pages it owns and does not list as available.

use serde::Serialize;

use super::cursor::{walk, TreeWalk};
use super::Database;
use crate::finding::{Finding, Location};
use crate::format::space::{Extent, SpaceHeader};
use crate::format::PageNumber;

/// What a tree owns.
#[derive(Debug, Clone, Serialize)]
pub struct Space {
    /// The tree's root page.
    pub pgno_fdp: PageNumber,
    /// Its space header (`None` when tag 0 holds none).
    pub header: Option<SpaceHeader>,
    /// Owned extents.
    pub owned: Vec<Extent>,
    /// Available (free) extents; for a single extent, runs of free pages.
    pub available: Vec<Extent>,
    /// What is wrong with the space trees.
    pub findings: Vec<Finding>,
    /// The pages of the OE and AE trees themselves.
    pub tree_pages: Vec<PageNumber>,
}

impl Space {
    /// Pages owned in all.
    pub fn owned_pages(&self) -> u64 {
        self.owned.iter().map(|e| u64::from(e.len())).sum()
    }

    /// Pages available in all.
    pub fn available_pages(&self) -> u64 {
        self.available.iter().map(|e| u64::from(e.len())).sum()
    }

    /// True when the tree owns `pgno`.
    pub fn owns(&self, pgno: PageNumber) -> bool {
        self.owned.iter().any(|e| e.contains(pgno))
    }

    /// True when `pgno` is listed as free.
    pub fn is_available(&self, pgno: PageNumber) -> bool {
        self.available.iter().any(|e| e.contains(pgno))
    }

    /// Findings for pages of `tree` that it does not own or that are listed as free.
    pub fn check(&self, tree: &TreeWalk, db: &Database) -> Vec<Finding> {
        if self.owned.is_empty() {
            return Vec::new();
        }
        let at = |pgno: PageNumber| Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) };
        let mut findings = Vec::new();
        for page in &tree.pages {
            if !self.owns(page.pgno) {
                findings.push(Finding::error(
                    at(page.pgno),
                    format!(
                        "page {} is in the tree of root {} but not in its owned extents",
                        page.pgno, self.pgno_fdp
                    ),
                ));
            } else if self.is_available(page.pgno) {
                findings.push(Finding::error(
                    at(page.pgno),
                    format!(
                        "page {} is in the tree of root {} but listed as available",
                        page.pgno, self.pgno_fdp
                    ),
                ));
            }
        }
        findings
    }
}

fn extents(
    db: &Database,
    root: PageNumber,
    findings: &mut Vec<Finding>,
    pages: &mut Vec<PageNumber>,
    what: &str,
) -> Vec<Extent> {
    let mut extents = Vec::new();
    let tree = walk(db, root, |page, node| {
        if node.is_deleted() {
            return;
        }
        match Extent::parse(&node.key, node.data) {
            Some(e) => extents.push(e),
            None => findings.push(Finding::error(
                Location::Tag { pgno: page.pgno, index: node.tag.index },
                format!(
                    "{what} tree node is not an extent (key {}, data {})",
                    hex::encode(&node.key),
                    hex::encode(node.data)
                ),
            )),
        }
    });
    pages.extend(tree.pages.iter().map(|p| p.pgno));
    findings.extend(tree.findings.into_iter().map(|mut f| {
        f.message = format!("{what} tree at page {root}: {}", f.message);
        f
    }));
    extents
}

/// Reads the space of the tree rooted at `root`.
pub fn read(db: &Database, root: PageNumber) -> Space {
    let mut space = Space {
        pgno_fdp: root,
        header: None,
        owned: Vec::new(),
        available: Vec::new(),
        findings: Vec::new(),
        tree_pages: Vec::new(),
    };
    let location = Location::Page { pgno: root, file_offset: root.file_offset(db.page_size()) };
    let tag0 = db.page(root).ok().and_then(|p| p.tag(0).ok().and_then(|t| p.tag_data(&t).ok()));
    let header = match tag0.map(SpaceHeader::parse) {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            space.findings.push(Finding::error(location.clone(), format!("root {root}: {e}")));
            None
        }
        None => None,
    };
    space.header = header;
    let Some(h) = header else { return space };
    match (h.pgno_oe(), h.pgno_ae()) {
        (Some(oe), Some(ae)) => {
            space.owned = extents(db, oe, &mut space.findings, &mut space.tree_pages, "owned-extent");
            space.available = extents(db, ae, &mut space.findings, &mut space.tree_pages, "available-extent");
        }
        _ => {
            let last = root.0.saturating_add(h.cpg_primary.saturating_sub(1));
            space.owned.push(Extent { first: root, last: PageNumber(last), pool: 0 });
            space.available = h.free_extents(root);
        }
    }
    let mut lies = Vec::new();
    for (what, extents) in [("owned", &space.owned), ("available", &space.available)] {
        for extent in extents.iter() {
            if let Some(lie) = extent_lie(db, extent) {
                lies.push(Finding::error(
                    location.clone(),
                    format!("root {root}: {what} extent {}-{}: {lie}", extent.first, extent.last),
                ));
            }
        }
    }
    space.findings.extend(lies);
    space
}

/// Why an extent cannot be true: it has no pages, it reaches past the
/// largest page number a database can have (16 TiB), or it is larger than
/// the file.
fn extent_lie(db: &Database, extent: &Extent) -> Option<String> {
    let max = crate::format::lies::max_pgno(db.page_size());
    if extent.is_empty() {
        Some("negative length (its last page comes before its first)".into())
    } else if u64::from(extent.last.0) > max {
        Some(format!(
            "reaches past page {max}, the last a database of {}-byte pages can have (16 TiB)",
            db.page_size().bytes()
        ))
    } else if extent.len() > db.page_count().max(1) {
        Some(format!("{} pages, more than the file's {} pages", extent.len(), db.page_count()))
    } else {
        None
    }
}
