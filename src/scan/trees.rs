//! Every tree of a database walked at once (`verify --trees`): the
//! catalog and its shadow, each table with its indexes and long values,
//! the space trees of each, and the database root's. Besides each walk's
//! own findings, it reports the pages that are in no tree and not free:
//! a page with valid ESE content that nothing reaches is lost data or a
//! leftover of a damaged tree.

use std::collections::HashSet;

use crate::format::page::PageFlags;
use crate::format::verdict::page_matches;
use crate::format::PageNumber;
use crate::report::{Finding, Location};
use crate::store::catalog::{Catalog, CATALOG_ROOT, SHADOW_ROOT};
use crate::store::cursor::walk;
use crate::store::space;
use crate::store::Database;

/// The catalog's own index trees (spec 9.1): `Name` and `RootObjects`.
const CATALOG_INDEXES: [(&str, PageNumber); 2] = [
    ("index Name of table MSysObjects", PageNumber(7)),
    ("index RootObjects of table MSysObjects", PageNumber(10)),
];

/// Every tree of the database, each root once: the catalog, its shadow and
/// its two indexes, then what the catalog lists (which names the catalog
/// and its shadow again when their rows are there).
fn every_tree(catalog: &Catalog) -> Vec<(String, PageNumber)> {
    let mut trees = vec![
        ("table MSysObjects".to_string(), CATALOG_ROOT),
        ("table MSysObjectsShadow".into(), SHADOW_ROOT),
    ];
    trees.extend(CATALOG_INDEXES.iter().map(|(n, p)| (n.to_string(), *p)));
    for (name, root) in catalog.trees() {
        if !trees.iter().any(|(_, r)| *r == root) {
            trees.push((name, root));
        }
    }
    trees
}

/// The all-zero pages that a tree points at: to the engine they are
/// uninitialized (-1019), which is normal for unused pages but damage for
/// a page a tree needs. Returns (page, the tree that reaches it).
pub fn reached_uninitialized(db: &Database) -> Vec<(PageNumber, String)> {
    if db.is_temporary() {
        return Vec::new();
    }
    let catalog = Catalog::read(db);
    let mut found: Vec<(PageNumber, String)> = Vec::new();
    for (name, root) in every_tree(&catalog) {
        let tree = if root == CATALOG_ROOT { catalog.walk.clone() } else { walk(db, root, |_, _| {}) };
        for pgno in tree.unreadable {
            let zeroed = db.page(pgno).is_ok_and(|p| p.is_zeroed());
            if zeroed && !found.iter().any(|(p, _)| *p == pgno) {
                found.push((pgno, name.clone()));
            }
        }
    }
    found.sort();
    found
}

/// Walks every tree and returns the findings, each prefixed with the tree's name.
pub fn check_trees(db: &Database) -> Vec<Finding> {
    let catalog = Catalog::read(db);
    let mut findings: Vec<Finding> = catalog
        .walk
        .findings
        .iter()
        .cloned()
        .map(|mut f| {
            f.message = format!("catalog MSysObjects: {}", f.message);
            f
        })
        .collect();
    if db.is_temporary() {
        return findings;
    }
    let mut reached: HashSet<PageNumber> = catalog.walk.pages.iter().map(|p| p.pgno).collect();
    let mut free: Vec<(PageNumber, PageNumber)> = Vec::new();
    let mut add_space = |root: PageNumber, reached: &mut HashSet<PageNumber>| {
        let s = space::read(db, root);
        reached.extend(s.tree_pages.iter().copied());
        free.extend(s.available.iter().map(|e| (e.first, e.last)));
        s
    };
    add_space(PageNumber(1), &mut reached);
    reached.insert(PageNumber(1));
    add_space(CATALOG_ROOT, &mut reached);
    for (name, root) in every_tree(&catalog) {
        if root == CATALOG_ROOT {
            continue;
        }
        let tree = walk(db, root, |_, _| {});
        reached.extend(tree.pages.iter().map(|p| p.pgno));
        let s = add_space(root, &mut reached);
        let misplaced = s.check(&tree, db);
        let mut own = tree.findings;
        own.extend(s.findings.iter().cloned());
        own.extend(misplaced);
        findings.extend(own.into_iter().map(|mut f| {
            f.message = format!("{name}: {}", f.message);
            f
        }));
    }
    let is_free = |pgno: PageNumber| free.iter().any(|(a, b)| (*a..=*b).contains(&pgno));
    for pgno in db.page_numbers() {
        if reached.contains(&pgno) || is_free(pgno) {
            continue;
        }
        let Ok(page) = db.page(pgno) else { continue };
        let h = page.header;
        if page.is_zeroed()
            || h.flags.contains(PageFlags::EMPTY)
            || !page_matches(page.bytes, pgno, db.page_size())
        {
            continue;
        }
        let owner = match catalog.object_name(h.objid_fdp.0) {
            Some(name) => name,
            None => format!("objidFDP {} (not in the catalog: a deleted table or index?)", h.objid_fdp),
        };
        // Not damage: the engine frees space lazily. Worth knowing in a
        // forensic look: such a page still holds the rows it last had.
        findings.push(Finding::info(
            Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) },
            format!(
                "page {pgno} is {} page of {owner}; no tree reaches it and no space tree lists it as free, so its last content is still there",
                {
                    let kind = h.flags.tree_kind();
                    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    format!("{article} {kind}")
                }
            ),
        ));
    }
    findings
}
