//! Issue 3 (structure): every tree of every real database walks without
//! findings and holds as many records as an independent reader (pyesedb,
//! recorded in SOURCES.md) counts; broken trees give precise findings.

use esescope::format::checksum::xe_checksum;
use esescope::format::node::nodes;
use esescope::format::page::PageFlags;
use esescope::format::PageNumber;
use esescope::store::catalog::Catalog;
use esescope::store::cursor::walk;
use esescope::store::Database;

use crate::common::{real_databases, real_samples};

/// pyesedb's "N tables, M records" for each file, from SOURCES.md.
fn pyesedb_counts() -> Vec<(String, usize, u64)> {
    let text = std::fs::read_to_string(real_samples().join("SOURCES.md")).unwrap();
    let mut counts = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(folder), Some(file), Some(pyesedb)) = (cells.get(1), cells.get(2), cells.get(12)) else {
            continue;
        };
        let words: Vec<&str> = pyesedb.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        if let [tables, "tables", records, "records", ..] = words.as_slice() {
            if let (Ok(t), Ok(r)) = (tables.parse(), records.parse()) {
                counts.push((format!("{folder}/{file}"), t, r));
            }
        }
    }
    counts
}

#[test]
fn every_tree_walks_cleanly_and_counts_match_pyesedb() {
    let counts = pyesedb_counts();
    let mut compared = 0;
    for path in real_databases() {
        let name = path.strip_prefix(real_samples()).unwrap().to_string_lossy().replace('\\', "/");
        let db = Database::open(&path).unwrap();
        let catalog = Catalog::read(&db);
        assert!(catalog.walk.findings.is_empty(), "{name}: {:?}", catalog.walk.findings);
        if db.is_temporary() {
            // A temporary database has no persistent catalog (spec 4.3);
            // pyesedb's one table there is read from a non-catalog tree.
            assert!(catalog.tables.is_empty(), "{name}");
            continue;
        }
        let mut records = 0;
        for table in &catalog.tables {
            let tree = walk(&db, table.pgno_fdp(), |_, _| {});
            assert!(tree.findings.is_empty(), "{name} {}: {:?}", table.table.name, tree.findings);
            // The pages of the tree are pages it owns and does not list as free.
            let space = esescope::store::space::read(&db, table.pgno_fdp());
            assert!(space.header.is_some(), "{name} {}: no space header", table.table.name);
            assert!(space.findings.is_empty(), "{name} {}: {:?}", table.table.name, space.findings);
            assert!(space.owned_pages() >= tree.pages.len() as u64, "{name} {}", table.table.name);
            let misplaced = space.check(&tree, &db);
            assert!(misplaced.is_empty(), "{name} {}: {misplaced:?}", table.table.name);
            records += tree.entries;
            for index in
                table.indexes.iter().filter(|i| i.coltyp_or_pgno_fdp != table.table.coltyp_or_pgno_fdp)
            {
                let tree = walk(&db, PageNumber(index.coltyp_or_pgno_fdp), |_, _| {});
                assert!(tree.findings.is_empty(), "{name} index {}: {:?}", index.name, tree.findings);
            }
        }
        let (_, tables, expected) =
            counts.iter().find(|c| c.0 == name).unwrap_or_else(|| panic!("{name} not in SOURCES.md"));
        assert_eq!(catalog.tables.len(), *tables, "{name}: tables");
        assert_eq!(records, *expected, "{name}: records (flag-deleted nodes excluded, as pyesedb does)");
        compared += 1;
    }
    assert!(compared >= 14, "{compared} databases compared");
}

const SIZE: usize = 4096;

struct Broken {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    bytes: Vec<u8>,
}

impl Broken {
    fn new() -> Self {
        let bytes = std::fs::read(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("SRUDB.dat");
        Self { _dir: dir, path, bytes }
    }

    fn page_mut(&mut self, pgno: u32) -> &mut [u8] {
        let at = (pgno as usize + 1) * SIZE;
        &mut self.bytes[at..at + SIZE]
    }

    /// Re-seals a page's checksum so that only the tree logic can notice.
    fn seal(&mut self, pgno: u32) {
        let page = self.page_mut(pgno);
        let sum = xe_checksum(page, pgno, true).0;
        page[..8].copy_from_slice(&sum.to_le_bytes());
    }

    fn walk(&self) -> Vec<String> {
        std::fs::write(&self.path, &self.bytes).unwrap();
        let db = Database::open(&self.path).unwrap();
        let catalog = Catalog::read(&db);
        let table =
            catalog.tables.iter().find(|t| t.table.name == "{5C8CF1C7-7257-4F13-B223-970EF5939312}").unwrap();
        walk(&db, table.pgno_fdp(), |_, _| {}).findings.iter().map(|f| f.message.clone()).collect()
    }

    fn leaves(&self) -> Vec<u32> {
        std::fs::write(&self.path, &self.bytes).unwrap();
        let db = Database::open(&self.path).unwrap();
        let tree = walk(&db, PageNumber(47), |_, _| {});
        tree.pages.iter().filter(|p| p.leaf).map(|p| p.pgno.0).collect()
    }
}

#[test]
fn a_broken_sibling_link_names_both_pages() {
    let mut broken = Broken::new();
    assert!(broken.walk().is_empty());
    let leaves = broken.leaves();
    let (a, b) = (leaves[3], leaves[4]);
    let wrong = leaves[10];
    broken.page_mut(a)[20..24].copy_from_slice(&wrong.to_le_bytes());
    broken.seal(a);
    let findings = broken.walk();
    assert_eq!(
        findings,
        vec![format!("leaf {a}: pgnoNext is {wrong}, but the leaf after it in key order is {b}")]
    );
}

#[test]
fn swapped_keys_are_out_of_order() {
    let mut broken = Broken::new();
    let leaf = broken.leaves()[5];
    // swap the tag entries of lines 1 and 2 (tags 2 and 3)
    let page = broken.page_mut(leaf);
    let (t2, t3) = (SIZE - 12, SIZE - 16);
    let a: [u8; 4] = page[t2..t2 + 4].try_into().unwrap();
    let b: [u8; 4] = page[t3..t3 + 4].try_into().unwrap();
    page[t2..t2 + 4].copy_from_slice(&b);
    page[t3..t3 + 4].copy_from_slice(&a);
    broken.seal(leaf);
    let findings = broken.walk();
    assert!(
        findings.iter().any(|f| f.starts_with(&format!("keys out of order on page {leaf}: line 1 "))),
        "{findings:#?}"
    );
}

#[test]
fn a_branch_pointing_at_a_wrong_page_is_caught() {
    let mut broken = Broken::new();
    std::fs::write(&broken.path, &broken.bytes).unwrap();
    let db = Database::open(&broken.path).unwrap();
    // the internal page above the leaves, and a page of another tree (the catalog root)
    let tree = walk(&db, PageNumber(47), |_, _| {});
    let parent = tree.pages.iter().find(|p| !p.leaf && p.entries > 3).unwrap().pgno;
    let page = db.page(parent).unwrap();
    assert!(!page.header.flags.contains(PageFlags::LEAF));
    let node = nodes(&page).nth(2).unwrap().unwrap();
    let child_at = node.data_offset + node.data.len() - 4;
    let old_child = node.child().unwrap().0;
    drop(db);
    broken.page_mut(parent.0)[child_at..child_at + 4].copy_from_slice(&5u32.to_le_bytes());
    broken.seal(parent.0);
    let findings = broken.walk();
    assert!(
        findings.iter().any(|f| f.contains(&format!(
            "page 5 (from page {parent}) belongs to tree objidFDP 2, not to this tree (objidFDP 12)"
        ))),
        "{findings:#?}"
    );
    // the leaf the branch used to reach is now missing from the leaf chain
    assert!(
        findings.iter().any(|f| f.contains(&format!("but the leaf after it in key order is {}", 5))
            || f.contains(&format!("pgnoNext is {old_child}"))),
        "{findings:#?}"
    );
}

#[test]
fn a_cycle_does_not_loop() {
    let mut broken = Broken::new();
    std::fs::write(&broken.path, &broken.bytes).unwrap();
    let db = Database::open(&broken.path).unwrap();
    let tree = walk(&db, PageNumber(47), |_, _| {});
    let parent = tree.pages.iter().find(|p| !p.leaf && p.entries > 3).unwrap().pgno;
    let page = db.page(parent).unwrap();
    let node = nodes(&page).nth(1).unwrap().unwrap();
    let child_at = node.data_offset + node.data.len() - 4;
    drop(db);
    // the child points back at the root: a cycle
    broken.page_mut(parent.0)[child_at..child_at + 4].copy_from_slice(&47u32.to_le_bytes());
    broken.seal(parent.0);
    let findings = broken.walk();
    assert!(
        findings.iter().any(|f| f.contains("page 47 is reached twice") && f.contains("cycle")),
        "{findings:#?}"
    );
}

#[test]
fn a_damaged_catalog_page_is_bridged_by_the_shadow_catalog() {
    let mut broken = Broken::new();
    // two bits in catalog leaf 13, which holds the MSysObjects rows
    broken.page_mut(13)[0x300] ^= 1;
    broken.page_mut(13)[0x900] ^= 1;
    std::fs::write(&broken.path, &broken.bytes).unwrap();
    let db = Database::open(&broken.path).unwrap();
    let catalog = Catalog::read(&db);
    assert!(!catalog.walk.findings.is_empty(), "the damage is reported");
    assert_eq!(catalog.tables.len(), 14, "every table still listed, from MSysObjectsShadow");
    assert!(catalog.table("MSysObjects").is_some());
    assert_eq!(catalog.object_name(12).as_deref(), Some("table {5C8CF1C7-7257-4F13-B223-970EF5939312}"));
}

#[test]
fn verify_trees_finds_no_damage_in_real_databases_and_names_unreached_pages() {
    use esescope::report::Severity;
    for path in real_databases() {
        let db = Database::open(&path).unwrap();
        let findings = esescope::scan::trees::check_trees(&db);
        let serious: Vec<_> = findings.iter().filter(|f| f.severity >= Severity::Warning).collect();
        assert!(serious.is_empty(), "{}: {serious:#?}", path.display());
    }
    // The Windows 11 SRUM copy still holds the pages of a table whose
    // catalog rows are flag-deleted (objids 15 and 16).
    let db = Database::open(real_samples().join("srum-win11-clean-repaired/SRUDB.dat")).unwrap();
    let unreached: Vec<String> = esescope::scan::trees::check_trees(&db)
        .into_iter()
        .filter(|f| f.message.contains("no tree reaches it"))
        .map(|f| f.message)
        .collect();
    assert_eq!(unreached.len(), 2, "{unreached:#?}");
    assert!(
        unreached[0].starts_with("page 63 is a table page of objidFDP 15 (not in the catalog"),
        "{}",
        unreached[0]
    );
    assert!(unreached[1].starts_with("page 64 is an index page of objidFDP 16"), "{}", unreached[1]);
}

#[test]
fn a_leaf_cut_out_of_its_tree_is_an_unreached_page() {
    // Repoint the branch of the teaching database's `people` root that leads
    // to its second leaf at the third: the second leaf is then in no tree
    // (and its rows are still on the page).
    let bytes = std::fs::read("sample-dbs/clean-8k.edb").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.edb");
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let catalog = Catalog::read(&db);
    let people = catalog.table("people").unwrap().pgno_fdp();
    let tree = walk(&db, people, |_, _| {});
    let leaves: Vec<PageNumber> = tree.pages.iter().filter(|p| p.leaf).map(|p| p.pgno).collect();
    let (cut, keep) = (leaves[1], leaves[2]);
    drop(db);
    let size = 8192usize;
    let mut bytes = bytes;
    let root = (people.0 as usize + 1) * size;
    let page = &mut bytes[root..root + size];
    // find the branch node whose child is `cut` (the last 4 bytes of its data) and point it at `keep`
    let needle = cut.0.to_le_bytes();
    let at = (0..size - 4).rev().find(|&i| page[i..i + 4] == needle && i > 40).unwrap();
    page[at..at + 4].copy_from_slice(&keep.0.to_le_bytes());
    esescope::writer::page::seal_page(page, people, esescope::format::PageSize::K8);
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let findings = esescope::scan::trees::check_trees(&db);
    let text: Vec<String> = findings.iter().map(|f| f.message.clone()).collect();
    assert!(
        text.iter().any(
            |m| m.starts_with(&format!("page {cut} is a table page of table people; no tree reaches it"))
        ),
        "{text:#?}"
    );
}
