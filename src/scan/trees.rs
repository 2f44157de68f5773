//! Every tree of a database walked at once (`verify --trees`): the
//! catalog and its shadow, each table with its indexes and long values,
//! the space trees of each, and the database root's. Besides each walk's
//! own findings, it reports the pages that are in no tree and not free:
//! a page with valid ESE content that nothing reaches is lost data or a
//! leftover of a damaged tree.

use std::collections::HashSet;

use crate::finding::{Finding, Location};
use crate::format::lies::header_lies;
use crate::format::page::PageFlags;
use crate::format::verdict::page_matches;
use crate::format::PageNumber;
use crate::store::catalog::{Catalog, CATALOG_ROOT, SHADOW_ROOT};
use crate::store::cursor::{walk_named, TreeWalk};
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
    findings.extend(page_lies(db, "table MSysObjects", &catalog.walk).into_iter().map(|mut f| {
        f.message = format!("catalog MSysObjects: {}", f.message);
        f
    }));
    let mut reached: HashSet<PageNumber> = catalog.walk.pages.iter().map(|p| p.pgno).collect();
    let mut free: Vec<(PageNumber, PageNumber)> = Vec::new();
    let mut add_space = |root: PageNumber, reached: &mut HashSet<PageNumber>| {
        let s = space::read(db, root);
        reached.extend(s.tree_pages.iter().copied());
        free.extend(s.available.iter().map(|e| (e.first, e.last)));
        s
    };
    let root_space = add_space(PageNumber(1), &mut reached);
    reached.insert(PageNumber(1));
    let catalog_space = add_space(CATALOG_ROOT, &mut reached);
    for (name, space) in [("database root", &root_space), ("catalog MSysObjects", &catalog_space)] {
        findings.extend(space.findings.iter().cloned().map(|mut f| {
            f.message = format!("{name}: {}", f.message);
            f
        }));
    }
    // Every value of every live record decoded (a value that cannot be, an
    // encrypted one, a tagged column the catalog does not list), in the
    // same walk as the table's tree; the findings go after every tree's.
    let tables: Vec<Table<'_>> = catalog.tables.iter().map(|def| Table::new(db, &catalog, def)).collect();
    let mut row_findings: Vec<Option<Vec<Finding>>> = vec![None; tables.len()];
    for (name, root) in every_tree(&catalog) {
        if root == CATALOG_ROOT {
            continue;
        }
        let table = tables.iter().enumerate().find(|(i, t)| {
            row_findings.get(*i).is_some_and(Option::is_none)
                && t.def.pgno_fdp() == root
                && name == format!("table {}", t.def.table.name)
        });
        let tree = match table {
            Some((i, table)) => {
                let (tree, rows) = walk_rows(table);
                if let Some(slot) = row_findings.get_mut(i) {
                    *slot = Some(rows);
                }
                tree
            }
            None => walk_named(db, root, &|o| catalog.object_name(o.0), |_, _| {}),
        };
        reached.extend(tree.pages.iter().map(|p| p.pgno));
        let s = add_space(root, &mut reached);
        let misplaced = s.check(&tree, db);
        let lies = page_lies(db, &name, &tree);
        let mut own = tree.findings;
        own.extend(lies);
        own.extend(s.findings.iter().cloned());
        own.extend(misplaced);
        findings.extend(own.into_iter().map(|mut f| {
            f.message = format!("{name}: {}", f.message);
            f
        }));
    }
    for (table, rows) in tables.iter().zip(row_findings) {
        match rows {
            Some(rows) => findings.extend(rows),
            // a table whose root is another tree's (a damaged catalog)
            None => findings.extend(walk_rows(table).1),
        }
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
        let at = Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) };
        for lie in header_lies(&page) {
            findings.push(Finding::error(at.clone(), format!("a page no tree reaches: page {pgno}: {lie}")));
        }
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

/// The lies in the pages of one tree: header fields that contradict the
/// page ([`header_lies`]) and tree-type flags that contradict what the
/// catalog says the tree is (`name` starts with "table", "index" or "long
/// values").
/// Walks `table`'s tree, decoding every live record for its errors: the
/// walk and the findings about values.
fn walk_rows(table: &Table<'_>) -> (TreeWalk, Vec<Finding>) {
    let mut rows = Vec::new();
    let tree = table.walk_nodes(|page, node| {
        if !node.is_deleted() {
            rows.extend(table.row_findings(&table.row_errors(page, node)));
        }
    });
    (tree, rows)
}

fn page_lies(db: &Database, name: &str, tree: &TreeWalk) -> Vec<Finding> {
    let expected = if name.starts_with("index") {
        "index"
    } else if name.starts_with("long values") {
        "long value"
    } else {
        "table"
    };
    let mut findings = Vec::new();
    // a page that fails its checksum supplies no facts: the walk read each
    // of these as it is only when it verified, the others through a
    // corrected bit
    let corrected: HashSet<PageNumber> = tree.corrected.iter().copied().collect();
    for pgno in tree.pages.iter().map(|p| p.pgno) {
        if corrected.contains(&pgno) {
            continue;
        }
        let Ok(page) = db.page(pgno) else { continue };
        let at = Location::Page { pgno, file_offset: pgno.file_offset(db.page_size()) };
        for lie in header_lies(&page) {
            findings.push(Finding::error(at.clone(), format!("page {pgno}: {lie}")));
        }
        let kind = page.header.flags.tree_kind();
        if kind != expected {
            findings.push(Finding::error(
                at,
                format!(
                    "page {pgno} is flagged as a {kind} page ({}), but the catalog says this tree is a {expected} tree",
                    page.header.flags.names().join(" ")
                ),
            ));
        }
    }
    findings
}
