//! Issue 15: every row that can still be read, and none that cannot. A
//! table's rows come only from its own pages; pages the ECC corrects are
//! read through.

use esescope::format::page::Page;
use esescope::format::{PageNumber, PageSize};
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::tui::views::records::RecordsState;
use esescope::writer::database::WrittenDatabase;
use esescope::writer::page::PageImage;
use esescope::writer::sample::{teaching_database, CLEAN_8K, DAMAGE_BASE};

use super::writer::{esescope_json, open};

/// Every row of `table` as (leaf page, values as text).
fn rows_of(db: &Database, table: &str) -> (Vec<(PageNumber, Vec<String>)>, Vec<String>) {
    let catalog = Catalog::read(db);
    let t = Table::new(db, &catalog, catalog.table(table).unwrap());
    let mut rows = Vec::new();
    let walk = t.rows(false, |row| {
        assert!(row.errors.is_empty(), "{:?}", row.errors);
        rows.push((row.pgno, row.values.iter().map(|v| v.to_text()).collect()));
    });
    (rows, walk.findings.into_iter().map(|f| f.message).collect())
}

/// `written` with the `line`th child pointer of `tree`'s root set to `child`.
fn repoint(written: &WrittenDatabase, tree: &str, line: usize, child: PageNumber, size: PageSize) -> Vec<u8> {
    let mut bytes = written.bytes.clone();
    let root = written.tree(tree).unwrap().root;
    let at = (root.0 as usize + 1) * size.len();
    let page = Page::parse(&bytes[at..at + size.len()], root, size).unwrap();
    let mut image = PageImage::from_page(&page).unwrap();
    let node = &mut image.nodes[line];
    let len = node.data.len();
    node.data[len - 4..].copy_from_slice(&child.0.to_le_bytes());
    let new = image.build().unwrap();
    bytes[at..at + size.len()].copy_from_slice(&new);
    bytes
}

#[test]
fn a_parent_pointing_at_another_tables_leaf_gives_only_the_tables_rows() {
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let (all, none) = rows_of(&clean, "people");
    assert!(none.is_empty(), "{none:?}");
    let people = written.tree("people").unwrap();
    let lost = people.leaves[1];
    let foreign = written.tree("readings").unwrap().leaves[0];
    let bytes = repoint(&written, "people", 1, foreign, DAMAGE_BASE.page_size);
    let db = open(&dir, "foreign-leaf.edb", &bytes);
    let (rows, findings) = rows_of(&db, "people");
    let want: Vec<_> = all.iter().filter(|(pgno, _)| *pgno != lost).cloned().collect();
    assert!(want.len() < all.len());
    assert_eq!(rows, want, "exactly the rows of the table's own pages");
    assert!(
        findings.iter().any(|f| f.contains(&format!("page {foreign} (from page {})", people.root))
            && f.contains("belongs to table readings")),
        "{findings:#?}"
    );
    // export says the same, and exits 1
    let path = dir.path().join("foreign-leaf.edb");
    let (code, doc) = esescope_json(&["export", path.to_str().unwrap(), "people", "--format", "json"]);
    assert_eq!(code, std::process::ExitCode::from(1));
    let table = &doc["tables"][0];
    assert_eq!(table["row_count"].as_u64().unwrap() as usize, want.len());
    let text = table["findings"].to_string();
    assert!(text.contains("belongs to table readings"), "{text}");
}

#[test]
fn a_parent_pointing_at_another_trees_internal_page_is_not_descended() {
    let written = teaching_database(CLEAN_8K).unwrap();
    let files = written.tree("files").unwrap();
    let internal = *files
        .pages
        .iter()
        .find(|p| **p != files.root && !files.leaves.contains(p))
        .expect("files has 3 levels");
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let (all, _) = rows_of(&clean, "people");
    let people = written.tree("people").unwrap();
    let lost = people.leaves[0];
    let bytes = repoint(&written, "people", 0, internal, CLEAN_8K.page_size);
    let db = open(&dir, "foreign-internal.edb", &bytes);
    let catalog = Catalog::read(&db);
    let table = Table::new(&db, &catalog, catalog.table("people").unwrap());
    let mut rows = Vec::new();
    let walk = table.rows(false, |row| rows.push(row.pgno));
    assert!(rows.iter().all(|p| people.leaves.contains(p)), "no row from another tree");
    assert_eq!(rows.len(), all.iter().filter(|(p, _)| *p != lost).count());
    assert!(walk.pages.iter().all(|p| !files.pages.contains(&p.pgno)), "the walk does not descend");
    assert_eq!(walk.foreign, vec![(internal, files.objid)]);
    let text: Vec<String> = walk.findings.iter().map(|f| f.message.clone()).collect();
    assert!(text.iter().any(|f| f.contains("belongs to table files")), "{text:#?}");
}

#[test]
fn bitflip_export_reads_every_row_through_the_corrected_pages() {
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let (want, _) = rows_of(&clean, "people");
    assert_eq!(want.len(), 90);
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/bitflip.edb");
    let db = Database::open(&sample).unwrap();
    let (rows, findings) = rows_of(&db, "people");
    assert_eq!(rows, want, "the corrected pages give the original rows");
    for pgno in 30..=32 {
        let needle = format!("page {pgno} (from page 29) read with a corrected bit");
        assert_eq!(findings.iter().filter(|f| f.contains(&needle)).count(), 1, "{findings:#?}");
    }
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let (code, doc) = esescope_json(&["export", sample.to_str().unwrap(), "people", "--format", "json"]);
    assert_eq!(code, std::process::ExitCode::from(1));
    assert_eq!(doc["tables"][0]["row_count"], 90);
    assert_eq!(doc["tables"][0]["rows"].as_array().unwrap().len(), 90);
    // the records view lists the same rows
    let catalog = Catalog::read(&db);
    let def = catalog.table("people").unwrap();
    let state = RecordsState::open(&db, &catalog, def, 200);
    assert_eq!(state.locations.len(), 90);
    let shown: Vec<Vec<String>> =
        state.window.iter().map(|(_, row)| row.values.iter().map(|v| v.to_text()).collect()).collect();
    let want_values: Vec<Vec<String>> = want.into_iter().map(|(_, v)| v).collect();
    assert_eq!(shown, want_values);
}

#[test]
fn unreadable_pages_are_summed_with_their_key_range() {
    // multibit.edb: leaf 51 of readings has three flipped bits
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/multibit.edb");
    let db = Database::open(&sample).unwrap();
    let catalog = Catalog::read(&db);
    let table = Table::new(&db, &catalog, catalog.table("readings").unwrap());
    let walk = table.rows(false, |_| {});
    assert_eq!(walk.missing.len(), 1, "{:?}", walk.missing);
    let missing = &walk.missing[0];
    assert_eq!(missing.pgno, PageNumber(51));
    assert!(missing.leaf);
    // the first leaf: no lower bound, an upper bound from the parent's separator
    assert!(missing.lower_key.is_empty() && !missing.upper_key.is_empty(), "{missing:?}");
    let (_, doc) = esescope_json(&["export", sample.to_str().unwrap(), "readings", "--format", "json"]);
    let unread = &doc["tables"][0]["unreadable_pages"];
    assert_eq!(unread[0]["pgno"], 51, "{unread}");
    assert_eq!(unread[0]["upper_key"], missing.upper_key.as_str());
}
