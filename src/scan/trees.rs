//! Every tree of a database walked at once (`verify --trees`): the
//! catalog and its shadow, each table with its indexes and long values,
//! the space trees of each, and the database root's. Besides each walk's
//! own findings, it reports the pages that are in no tree and not free:
//! a page with valid ESE content that nothing reaches is lost data or a
//! leftover of a damaged tree.

use std::collections::HashSet;

use crate::format::consistency::{header_lies, TreeRole};
use crate::format::page::PageFlags;
use crate::format::verdict::page_matches;
use crate::format::PageNumber;
use crate::report::{Finding, Location};
use crate::store::catalog::{Catalog, CATALOG_ROOT, SHADOW_ROOT};
use crate::store::cursor::walk_named;
use crate::store::space;
use crate::store::table::Table;
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
        let tree = if root == CATALOG_ROOT {
            catalog.walk.clone()
        } else {
            walk_named(db, root, &|o| catalog.object_name(o.0), |_, _| {})
        };
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

/// What the catalog says the tree of this name is (names as
/// [`Catalog::trees`] and [`every_tree`] give them).
fn role_of(name: &str) -> TreeRole {
    if name.starts_with("index ") {
        TreeRole::Index
    } else if name.starts_with("long values ") {
        TreeRole::LongValue
    } else {
        TreeRole::Table
    }
}

/// Findings for the header fields of `pgno` that contradict the page.
fn lies_of(db: &Database, pgno: PageNumber, owner: &str) -> Vec<Finding> {
    let Ok(page) = db.page(pgno) else { return Vec::new() };
    header_lies(&page)
        .into_iter()
        .map(|lie| {
            Finding::error(
                Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) },
                format!("{owner}: page {pgno}: {lie}"),
            )
        })
        .collect()
}

/// The finding for a root page whose flags contradict what the catalog says it is.
fn root_contradiction(db: &Database, name: &str, root: PageNumber) -> Option<Finding> {
    let page =
        db.page(root).ok().filter(|p| !p.is_zeroed() && page_matches(p.bytes, root, db.page_size()))?;
    let why = role_of(name).contradiction(page.header.flags)?;
    Some(Finding::error(
        Location::Page { pgno: root, file_offset: root.file_offset(db.page_size()) },
        format!(
            "{name}: root page {root} contradicts the catalog: {why} (flags {})",
            page.header.flags.names().join(" ")
        ),
    ))
}

/// Walks every tree and returns the findings, each prefixed with the tree's name.
pub fn check_trees(db: &Database) -> Vec<Finding> {
    let catalog = Catalog::read(db);
    if db.page_count() == 0 {
        return vec![Finding::error(
            Location::Page { pgno: PageNumber(1), file_offset: PageNumber(1).file_offset(db.page_size()) },
            "the file ends after its two header pages: a database has at least its root (page 1), its space trees (2, 3) and its catalog (4)",
        )];
    }
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
    for (name, root) in [("database root", PageNumber(1)), ("table MSysObjects", CATALOG_ROOT)] {
        let s = add_space(root, &mut reached);
        findings.extend(s.findings.into_iter().map(|mut f| {
            f.message = format!("{name}: {}", f.message);
            f
        }));
    }
    reached.insert(PageNumber(1));
    for page in &catalog.walk.pages {
        findings.extend(lies_of(db, page.pgno, "table MSysObjects"));
    }
    findings.extend(root_contradiction(db, "table MSysObjects", CATALOG_ROOT));
    for (name, root) in every_tree(&catalog) {
        if root == CATALOG_ROOT {
            continue;
        }
        let tree = walk_named(db, root, &|o| catalog.object_name(o.0), |_, _| {});
        findings.extend(root_contradiction(db, &name, root));
        for page in &tree.pages {
            findings.extend(lies_of(db, page.pgno, &name));
        }
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
    // Every value of every live record decoded: a value that cannot be, an
    // encrypted one, a tagged column the catalog does not list.
    for def in &catalog.tables {
        let table = Table::new(db, &catalog, def);
        table.rows(false, |row| findings.extend(table.row_findings(&row)));
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
        findings.extend(lies_of(db, pgno, "a page no tree reaches"));
        // Not damage: the engine frees space lazily. Worth knowing in a
        // forensic look: such a page still holds the rows it last had.
        findings.push(Finding::info(
            Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) },
            format!(
                "page {pgno} is a {} page of {owner}; no tree reaches it and no space tree lists it as free, so its last content is still there",
                h.flags.tree_kind()
            ),
        ));
    }
    findings
}
