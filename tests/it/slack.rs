//! Issue 15, slack: record remnants carved from the bytes no tag covers.
//! Writer-made databases with planted remnants are found with their page
//! and offset; a clean database gives nothing; the carving's checks are
//! ones every live record of the real samples passes.

use esescope::format::node::nodes;
use esescope::format::page::{Page, PageHeader};
use esescope::format::{PageNumber, PageSize};
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::tui::action::Action;
use esescope::tui::views::records::RecordsState;
use esescope::writer::page::{seal_page, PageImage};
use esescope::writer::sample::{teaching_database, DAMAGE_BASE};

use crate::common::real_samples;
use crate::writer::{esescope_json, open};

/// The real samples the recovered-rows tests read.
const REAL: [&str; 10] = [
    "catroot2-catalog-win81/Catalog1.edb",
    "foxit-synthetic-esent/multi.edb",
    "srum-server2022-clean-with-logs/SRUDB.dat",
    "srum-win10-clean-with-logs/SRUDB.dat",
    "srum-win11-clean-repaired/SRUDB.dat",
    "srum-win11-dirty-with-logs/SRUDB.dat",
    "windows-search-win10-clean-32k/Windows.edb",
    "bits-qmgr-win11-16k-dirty/qmgr.db",
    "ual-server2012r2/Current.mdb",
    "windowslivemail-win7-8k-with-logs/WindowsMail.MSMessageStore",
];

/// Every live record of every table of the real samples, read by the
/// carver from its node's bytes as if they were slack, gives its row back:
/// the carving's checks (header fields, tagged layout, key) reject no
/// genuine record.
#[test]
fn every_live_record_passes_the_carving_checks() {
    for file in REAL {
        let db = Database::open(real_samples().join(file)).unwrap();
        let catalog = Catalog::read(&db);
        let (mut checked, mut missed) = (0u64, Vec::new());
        for def in &catalog.tables {
            let table = Table::new(&db, &catalog, def);
            let (leaves, _) = table.leaves();
            for pgno in leaves {
                let read = db.read_page(pgno).unwrap();
                let page = read.page(&db).unwrap();
                for node in nodes(&page).flatten() {
                    let row = table.row(&page, &node);
                    if !row.errors.is_empty() {
                        continue; // the live decoder's own complaint, reported elsewhere
                    }
                    let range = node.tag.page_range(page.size);
                    checked += 1;
                    match table.remnant_between(&page, range.start, range.end) {
                        Some(r) if r.row.values == row.values && r.key == node.key => {}
                        other => missed.push(format!(
                            "{} page {pgno} tag {}: {:?}",
                            def.table.name,
                            node.tag.index,
                            other.map(|r| (r.len, range.len()))
                        )),
                    }
                }
            }
        }
        assert!(checked > 0, "{file}");
        assert!(
            missed.is_empty(),
            "{file}: {} of {checked} missed: {:#?}",
            missed.len(),
            &missed[..missed.len().min(10)]
        );
    }
}

/// Where page `pgno` is in a database image.
fn page_range(pgno: PageNumber, size: PageSize) -> std::ops::Range<usize> {
    let at = (pgno.0 as usize + 1) * size.len();
    at..at + size.len()
}

/// Every recovered row of `table`: (source, page, tag, values as text).
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

/// The rows of leaf `pgno` of `table`, by line: (page offset of the node, values as text).
fn leaf_rows(db: &Database, table: &str, pgno: PageNumber) -> Vec<(usize, Vec<String>)> {
    let catalog = Catalog::read(db);
    let t = Table::new(db, &catalog, catalog.table(table).unwrap());
    let read = db.read_page(pgno).unwrap();
    let page = read.page(db).unwrap();
    nodes(&page)
        .map(|n| {
            let n = n.unwrap();
            let row = t.row(&page, &n);
            assert!(row.errors.is_empty());
            (n.tag.page_range(page.size).start, row.values.iter().map(|v| v.to_text()).collect())
        })
        .collect()
}

/// Page `pgno` of `bytes` with tag `index` taken out of its tag array (the
/// later entries move up, `cbFree` grows) and its node's bytes left where
/// they are: a node deleted without the page being reorganised.
fn drop_tag(bytes: &mut [u8], pgno: PageNumber, size: PageSize, index: usize) {
    let range = page_range(pgno, size);
    let page = &mut bytes[range];
    let count = usize::from(u16::from_le_bytes([page[34], page[35]]) & 0x0FFF);
    let entry = |i: usize| size.len() - 4 * (i + 1);
    let cb = usize::from(u16::from_le_bytes([page[entry(index)], page[entry(index) + 1]]) & 0x1FFF);
    for i in index..count - 1 {
        let (from, to) = (entry(i + 1), entry(i));
        let moved: [u8; 4] = page[from..from + 4].try_into().unwrap();
        page[to..to + 4].copy_from_slice(&moved);
    }
    let last = entry(count - 1);
    page[last..last + 4].fill(0);
    let state = u16::from_le_bytes([page[34], page[35]]) - 1;
    page[34..36].copy_from_slice(&state.to_le_bytes());
    let free = u16::from_le_bytes([page[28], page[29]]) + (cb + 4) as u16;
    page[28..30].copy_from_slice(&free.to_le_bytes());
    seal_page(page, pgno, size);
}

#[test]
fn a_node_whose_tag_is_gone_is_found_where_its_bytes_are() {
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let leaf = written.tree("people").unwrap().leaves[2];
    let rows = leaf_rows(&clean, "people", leaf);
    // line 3 (tag 4): its tag taken out, its bytes between its neighbours' bytes
    let (offset, planted) = rows[3].clone();
    let mut bytes = written.bytes.clone();
    drop_tag(&mut bytes, leaf, size, 4);
    let db = open(&dir, "hole.edb", &bytes);
    let want = vec![(format!("slack page {leaf} offset {offset:#x}"), leaf, 0, planted)];
    assert_eq!(recovered_of(&db, "people"), want);
}

#[test]
fn a_deleted_node_left_in_the_free_space_by_a_reorganisation_is_found() {
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let people = written.tree("people").unwrap();
    let mut bytes = written.bytes.clone();
    let mut want = Vec::new();
    // two leaves: line 0 of the first, line 5 of the third, deleted and the
    // page rebuilt without them, the node's old bytes then written to the
    // start of the free space (where a reorganisation leaves stale bytes)
    for (leaf, line) in [(people.leaves[0], 0), (people.leaves[2], 5)] {
        let rows = leaf_rows(&clean, "people", leaf);
        let range = page_range(leaf, size);
        let old = Page::parse(&bytes[range.clone()], leaf, size).unwrap();
        let node = nodes(&old).nth(line).unwrap().unwrap();
        let stale = old.tag_data(&node.tag).unwrap().to_vec();
        let mut image = PageImage::from_page(&old).unwrap();
        image.nodes.remove(line);
        let mut new = image.build().unwrap();
        let header = PageHeader::parse(&new, size).unwrap();
        let offset = size.header_len() + usize::from(header.ib_mic_free);
        new[offset..offset + stale.len()].copy_from_slice(&stale);
        seal_page(&mut new, leaf, size);
        bytes[range].copy_from_slice(&new);
        want.push((format!("slack page {leaf} offset {offset:#x}"), leaf, 0, rows[line].1.clone()));
    }
    let db = open(&dir, "reorganised.edb", &bytes);
    assert_eq!(recovered_of(&db, "people"), want);
    // export: none without --recovered; with it, after the live rows, each with its source and page
    let path = dir.path().join("reorganised.edb");
    let file = path.to_str().unwrap();
    let (_, plain) = esescope_json(&["export", file, "people", "--format", "json"]);
    assert!(plain["tables"][0].get("recovered").is_none());
    let live = plain["tables"][0]["rows"].as_array().unwrap().len();
    let (_, doc) = esescope_json(&["export", file, "people", "--format", "json", "--recovered"]);
    let table = &doc["tables"][0];
    assert_eq!(table["rows"].as_array().unwrap().len(), live, "live rows unchanged");
    let recovered = table["recovered"].as_array().unwrap();
    assert_eq!(recovered.len(), 2);
    for (r, (source, pgno, _, values)) in recovered.iter().zip(&want) {
        assert_eq!(r["_source"], source.as_str());
        assert_eq!(r["_page"], pgno.0);
        assert!(r["_tag"].is_null(), "no tag points at a remnant");
        assert_eq!(r["Id"].to_string(), values[0]);
    }
    // the records view shows them after the live rows, decoded from their offset
    let catalog = Catalog::read(&db);
    let mut state = RecordsState::open(&db, &catalog, catalog.table("people").unwrap(), 10);
    assert_eq!(state.locations.len(), live);
    state.handle(Action::ToggleRecovered, &db, &catalog, ratatui::layout::Rect::new(0, 0, 100, 30));
    assert_eq!(state.locations.len(), live + 2);
    assert_eq!(state.source_of(live + 1), Some(want[1].0.as_str()));
    assert!(state.slack_offset(live + 1).is_some() && state.slack_offset(live - 1).is_none());
    state.handle(Action::End, &db, &catalog, ratatui::layout::Rect::new(0, 0, 100, 30));
    let (_, last) = state.window.iter().find(|(i, _)| *i == live + 1).unwrap();
    assert_eq!(last.values.iter().map(|v| v.to_text()).collect::<Vec<_>>(), want[1].3);
    // CSV: after the live rows, the source, the page, no tag
    let cli = <esescope::cli::Cli as clap::Parser>::try_parse_from([
        "esescope",
        "export",
        file,
        "people",
        "--recovered",
    ])
    .unwrap();
    let mut csv = Vec::new();
    esescope::cli::run(cli.command.as_ref().unwrap(), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + live + 2, "header, live rows, recovered rows");
    assert!(lines[1].starts_with("live,"));
    assert!(
        lines[live + 2].starts_with(&format!("{},{},,{},", want[1].0, want[1].1, want[1].3[0])),
        "{}",
        lines[live + 2]
    );
    // the page view colours their bytes as recovered
    let view = esescope::tui::views::page::PageState::open(&db, want[1].1).unwrap();
    let offset = usize::from_str_radix(want[1].0.rsplit("0x").next().unwrap(), 16).unwrap();
    assert_eq!(view.classes[offset], esescope::tui::theme::ByteClass::Recovered);
    assert_ne!(view.classes[offset - 1], esescope::tui::theme::ByteClass::Recovered);
    // the page dump lists them where they are
    let (_, page) = esescope_json(&["page", file, &want[1].1 .0.to_string(), "--format", "json"]);
    let slack = page["slack"].as_array().unwrap();
    assert_eq!(slack.len(), 1);
    assert_eq!(
        format!("slack page {} offset {:#x}", want[1].1, slack[0]["offset"].as_u64().unwrap()),
        want[1].0
    );
    assert_eq!(slack[0]["table"], "people");
    assert_eq!(slack[0]["values"][0]["value"].as_str(), Some(want[1].3[0].as_str()));
}

#[test]
fn an_emptied_page_gives_back_every_record_it_held() {
    // a leaf emptied as a merge leaves it (flag Empty, no line left), its
    // records' bytes still in it
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let leaf = written.tree("readings").unwrap().leaves[1];
    let rows = leaf_rows(&clean, "readings", leaf);
    let mut bytes = written.bytes.clone();
    for index in (1..=rows.len()).rev() {
        drop_tag(&mut bytes, leaf, size, index);
    }
    let range = page_range(leaf, size);
    let flags = u32::from_le_bytes(bytes[range.start + 36..range.start + 40].try_into().unwrap()) | 0x8;
    bytes[range.start + 36..range.start + 40].copy_from_slice(&flags.to_le_bytes());
    seal_page(&mut bytes[range], leaf, size);
    let db = open(&dir, "emptied.edb", &bytes);
    let mut want: Vec<_> = rows
        .iter()
        .map(|(o, v)| (format!("slack page {leaf} offset {o:#x}"), leaf, 0u16, v.clone()))
        .collect();
    want.sort_by_key(|(_, _, _, v)| v.clone());
    let mut got = recovered_of(&db, "readings");
    got.sort_by_key(|(_, _, _, v)| v.clone());
    assert_eq!(got, want);
}

#[test]
fn nothing_is_carved_from_clean_databases() {
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "clean.edb", &written.bytes);
    let catalog = Catalog::read(&db);
    for def in &catalog.tables {
        let table = Table::new(&db, &catalog, def);
        for pgno in db.page_numbers() {
            let Ok(read) = db.read_page(pgno) else { continue };
            let Ok(page) = read.page(&db) else { continue };
            assert!(table.carve(&page).is_empty(), "{} page {pgno}", def.table.name);
        }
    }
    for sample in ["clean-4k.edb", "clean-8k.edb", "clean-32k.edb"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(sample);
        let (_, doc) = esescope_json(&["export", path.to_str().unwrap(), "--format", "json", "--recovered"]);
        for t in doc["tables"].as_array().unwrap() {
            assert_eq!(t["recovered_count"], 0, "{sample} {}", t["name"]);
        }
    }
}

#[test]
fn a_dropped_table_gives_back_the_remnants_in_its_pages_too() {
    use esescope::format::catalog::parse_row;
    use esescope::format::page::PageFlags;
    use esescope::format::record::TaggedLayout;
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean = open(&dir, "clean.edb", &written.bytes);
    let catalog = Catalog::read(&clean);
    let objid = catalog.table("tags").unwrap().table.id;
    let leaf = written.tree("tags").unwrap().leaves[0];
    let rows = leaf_rows(&clean, "tags", leaf);
    let mut bytes = written.bytes.clone();
    // line 1 deleted without a reorganisation, then the table dropped
    drop_tag(&mut bytes, leaf, size, 2);
    for pgno in catalog.walk.pages.iter().filter(|p| p.leaf).map(|p| p.pgno) {
        let range = page_range(pgno, size);
        let page = Page::parse(&bytes[range.clone()], pgno, size).unwrap();
        let layout = TaggedLayout::for_page(false, page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
        let mut image = PageImage::from_page(&page).unwrap();
        for node in &mut image.nodes {
            if parse_row(&node.data, layout).is_some_and(|e| e.objid_table == objid) {
                node.flags.0 |= esescope::format::tag::NodeFlags::DELETED.0;
            }
        }
        bytes[range].copy_from_slice(&image.build().unwrap());
    }
    let db = open(&dir, "dropped.edb", &bytes);
    let catalog = Catalog::read(&db);
    let dropped = catalog.dropped_tables(&db);
    let def = dropped.iter().find(|t| t.table.name == "tags").unwrap();
    let mut got = Vec::new();
    Table::new(&db, &catalog, def).dropped_rows(|r| {
        assert!(r.row.errors.is_empty());
        got.push((r.source.label(), r.row.values.iter().map(|v| v.to_text()).collect::<Vec<_>>()));
    });
    let slack: Vec<_> = got.iter().filter(|(s, _)| s.starts_with("slack")).cloned().collect();
    assert_eq!(slack, vec![(format!("slack page {leaf} offset {:#x}", rows[1].0), rows[1].1.clone())]);
    assert_eq!(got.len(), rows.len(), "the other rows as orphan-page rows");
}
