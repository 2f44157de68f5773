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

/// `written` with line `line` of `tree`'s leaf `leaf` flag-deleted.
fn flag_delete(written: &WrittenDatabase, tree: &str, leaf: usize, line: usize, size: PageSize) -> Vec<u8> {
    let mut bytes = written.bytes.clone();
    let pgno = written.tree(tree).unwrap().leaves[leaf];
    let at = (pgno.0 as usize + 1) * size.len();
    let page = Page::parse(&bytes[at..at + size.len()], pgno, size).unwrap();
    let mut image = PageImage::from_page(&page).unwrap();
    image.nodes[line].flags.0 |= esescope::format::tag::NodeFlags::DELETED.0;
    let new = image.build().unwrap();
    bytes[at..at + size.len()].copy_from_slice(&new);
    bytes
}

fn recovered_of(db: &Database, table: &str) -> Vec<(String, PageNumber, u16, Vec<String>)> {
    let catalog = Catalog::read(db);
    let t = Table::new(db, &catalog, catalog.table(table).unwrap());
    let mut found = Vec::new();
    t.recovered(|r| {
        assert!(r.row.errors.is_empty(), "{:?}", r.row.errors);
        found.push((
            r.source.label(),
            r.row.pgno,
            r.row.tag,
            r.row.values.iter().map(|v| v.to_text()).collect(),
        ))
    });
    found
}

#[test]
fn a_clean_database_has_nothing_to_recover() {
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "clean.edb", &written.bytes);
    for table in Catalog::read(&db).tables {
        assert!(recovered_of(&db, &table.table.name).is_empty(), "{}", table.table.name);
    }
}

#[test]
fn flag_deleted_and_orphaned_rows_are_recovered_with_their_source() {
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let (all, _) = rows_of(&clean, "people");
    let people = written.tree("people").unwrap();
    // flag-deleted: line 3 of the third leaf (tag 4)
    let leaf = people.leaves[2];
    let db = open(&dir, "flag-deleted.edb", &flag_delete(&written, "people", 2, 3, size));
    let planted = all.iter().filter(|(p, _)| *p == leaf).nth(3).unwrap().1.clone();
    let (live, _) = rows_of(&db, "people");
    assert_eq!(live.len(), all.len() - 1, "not among the live rows");
    assert!(!live.iter().any(|(_, v)| *v == planted));
    assert_eq!(recovered_of(&db, "people"), vec![("flag-deleted".to_string(), leaf, 4, planted)]);
    // orphaned: the root no longer points at the second leaf
    let lost = people.leaves[1];
    let foreign = written.tree("readings").unwrap().leaves[0];
    let db = open(&dir, "orphan.edb", &repoint(&written, "people", 1, foreign, size));
    let want: Vec<_> = all
        .iter()
        .filter(|(p, _)| *p == lost)
        .enumerate()
        .map(|(i, (p, v))| (format!("orphan page {lost}"), *p, i as u16 + 1, v.clone()))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(recovered_of(&db, "people"), want);
    // export: nothing recovered without --recovered; with it, after the live rows, in their own array
    let path = dir.path().join("orphan.edb");
    let file = path.to_str().unwrap();
    let (_, plain) = esescope_json(&["export", file, "people", "--format", "json"]);
    assert!(plain["tables"][0].get("recovered").is_none());
    let (_, doc) = esescope_json(&["export", file, "people", "--format", "json", "--recovered"]);
    let table = &doc["tables"][0];
    assert_eq!(table["rows"].as_array().unwrap().len(), all.len() - want.len());
    let recovered = table["recovered"].as_array().unwrap();
    assert_eq!(recovered.len(), want.len());
    assert_eq!(table["recovered_count"], want.len());
    assert_eq!(recovered[0]["_source"], format!("orphan page {lost}"));
    assert_eq!(recovered[0]["_page"], lost.0);
    assert_eq!(recovered[0]["_tag"], 1);
}

#[test]
fn a_dropped_table_whose_pages_remain_is_recovered_with_its_rows() {
    use esescope::format::catalog::parse_row;
    use esescope::format::page::PageFlags;
    use esescope::format::record::TaggedLayout;
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let (all, _) = rows_of(&clean, "people");
    let objid = Catalog::read(&clean).table("people").unwrap().table.id;
    // drop `people`: flag-delete every catalog row of it (table, columns, indexes, long values)
    let mut bytes = written.bytes.clone();
    let catalog_pages: Vec<PageNumber> =
        Catalog::read(&clean).walk.pages.iter().filter(|p| p.leaf).map(|p| p.pgno).collect();
    let mut dropped_rows = 0;
    for pgno in catalog_pages {
        let at = (pgno.0 as usize + 1) * size.len();
        let page = Page::parse(&bytes[at..at + size.len()], pgno, size).unwrap();
        let layout = TaggedLayout::for_page(false, page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
        let mut image = PageImage::from_page(&page).unwrap();
        for node in &mut image.nodes {
            if parse_row(&node.data, layout).is_some_and(|e| e.objid_table == objid) {
                node.flags.0 |= esescope::format::tag::NodeFlags::DELETED.0;
                dropped_rows += 1;
            }
        }
        let new = image.build().unwrap();
        bytes[at..at + size.len()].copy_from_slice(&new);
    }
    assert!(dropped_rows > 5);
    let db = open(&dir, "dropped.edb", &bytes);
    let catalog = Catalog::read(&db);
    assert!(catalog.table("people").is_none(), "no longer a live table");
    let dropped = catalog.dropped_tables(&db);
    assert_eq!(dropped.iter().map(|t| t.table.name.as_str()).collect::<Vec<_>>(), ["people"]);
    let path = dir.path().join("dropped.edb");
    let file = path.to_str().unwrap();
    let (_, plain) = esescope_json(&["export", file, "--format", "json"]);
    assert!(plain["tables"].as_array().unwrap().iter().all(|t| t["name"] != "people"));
    let (_, doc) = esescope_json(&["export", file, "--format", "json", "--recovered"]);
    let people = doc["tables"].as_array().unwrap().iter().find(|t| t["name"] == "people").unwrap().clone();
    assert_eq!(people["dropped"], true);
    assert_eq!(people["rows"].as_array().unwrap().len(), 0, "a dropped table has no live rows");
    let recovered = people["recovered"].as_array().unwrap();
    assert_eq!(recovered.len(), all.len());
    let leaves = &written.tree("people").unwrap().leaves;
    for (r, (pgno, _)) in recovered.iter().zip(&all) {
        assert_eq!(r["_source"], format!("orphan page {pgno}"));
        assert!(leaves.contains(&PageNumber(r["_page"].as_u64().unwrap() as u32)));
    }
    // a clean database: nothing recovered, no dropped table
    let (_, clean_doc) =
        esescope_json(&["export", clean.path().to_str().unwrap(), "--format", "json", "--recovered"]);
    for t in clean_doc["tables"].as_array().unwrap() {
        assert_eq!(t["recovered_count"], 0, "{}", t["name"]);
        assert!(t.get("dropped").is_none());
    }
}

/// Every real shared sample: `--recovered` leaves the live rows as they
/// are, and the recovered rows stay what they are today, each decoding
/// without error: (flag-deleted and orphan rows, slack remnants) of the
/// live tables, the dropped tables, and (their rows, their slack remnants).
#[test]
fn recovered_rows_of_the_real_samples_are_stable_and_decode() {
    use crate::common::real_samples;
    let files = [
        ("catroot2-catalog-win81/Catalog1.edb", (0, 0), 0, (0, 0)),
        ("foxit-synthetic-esent/multi.edb", (0, 0), 0, (0, 0)),
        ("srum-server2022-clean-with-logs/SRUDB.dat", (0, 0), 0, (0, 0)),
        ("srum-win10-clean-with-logs/SRUDB.dat", (0, 0), 0, (0, 0)),
        // the Windows 11 copies: 96 flag-deleted rows, 148 remnants in
        // slack, and a dropped table (objid 15, root page 63) whose only
        // page holds no record
        ("srum-win11-clean-repaired/SRUDB.dat", (96, 148), 1, (0, 0)),
        ("srum-win11-dirty-with-logs/SRUDB.dat", (96, 148), 1, (0, 0)),
        // 20 flag-deleted rows and 1024 remnants in slack (old versions of
        // gatherer and property-store rows); the catalog rows of MSysObjids
        // (31 rows left, 24 remnants) and MSysLocales (8) are flag-deleted,
        // their trees remain
        ("windows-search-win10-clean-32k/Windows.edb", (20, 1024), 2, (39, 24)),
        // 13 remnants: 12 rows of Files on page 32 from offset 0x95
        // (key 7f + GUID, record 01 7f 15 00 …) and one of Jobs on page 31,
        // deleted jobs whose bytes remain
        ("bits-qmgr-win11-16k-dirty/qmgr.db", (0, 13), 0, (0, 0)),
        ("ual-server2012r2/Current.mdb", (0, 0), 0, (0, 0)),
        ("windowslivemail-win7-8k-with-logs/WindowsMail.MSMessageStore", (0, 0), 0, (0, 0)),
    ];
    let mut got = Vec::new();
    for (file, _, _, _) in files {
        let db = Database::open(real_samples().join(file)).unwrap();
        let catalog = Catalog::read(&db);
        let mut recovered = (0, 0);
        let count = |counts: &mut (u32, u32), r: &esescope::store::recovered::RecoveredRow| {
            assert!(r.row.errors.is_empty(), "{file}: {:?} {:?}", r.source, r.row.errors);
            match r.source.slack_offset() {
                Some(_) => counts.1 += 1,
                None => counts.0 += 1,
            }
        };
        for def in &catalog.tables {
            let table = Table::new(&db, &catalog, def);
            let mut live = 0u64;
            let walk = table.rows(false, |_| live += 1);
            assert_eq!(live, walk.entries, "{file} {}", def.table.name);
            table.recovered(|r| count(&mut recovered, &r));
        }
        let dropped = catalog.dropped_tables(&db);
        let mut dropped_rows = (0, 0);
        for def in &dropped {
            Table::new(&db, &catalog, def).dropped_rows(|r| count(&mut dropped_rows, &r));
        }
        got.push((file, recovered, dropped.len(), dropped_rows));
    }
    assert_eq!(got, files);
}

#[test]
fn the_records_view_shows_recovered_rows_after_the_live_ones_on_request() {
    use esescope::tui::action::Action;
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let people = written.tree("people").unwrap();
    let foreign = written.tree("readings").unwrap().leaves[0];
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "orphan.edb", &repoint(&written, "people", 1, foreign, size));
    let catalog = Catalog::read(&db);
    let def = catalog.table("people").unwrap();
    let mut state = RecordsState::open(&db, &catalog, def, 10);
    let live = state.locations.len();
    assert!(state.sources.is_empty(), "no recovered row unless asked");
    state.handle(Action::ToggleRecovered, &db, &catalog, ratatui::layout::Rect::new(0, 0, 80, 26));
    let recovered = state.locations.len() - live;
    assert!(recovered > 0);
    assert_eq!(state.live, live);
    let lost = people.leaves[1];
    assert!(state.locations[live..].iter().all(|(p, _)| *p == lost), "after the live rows");
    assert_eq!(state.source_of(live), Some(format!("orphan page {lost}").as_str()));
    assert_eq!(state.source_of(live - 1), None);
    // the first recovered row decodes like any other
    state.handle(Action::End, &db, &catalog, ratatui::layout::Rect::new(0, 0, 80, 26));
    assert!(state.window.iter().any(|(i, row)| *i >= live && row.errors.is_empty() && row.pgno == lost));
    state.handle(Action::ToggleRecovered, &db, &catalog, ratatui::layout::Rect::new(0, 0, 80, 26));
    assert_eq!(state.locations.len(), live);
    assert!(state.selected < live);
}
