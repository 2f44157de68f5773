//! Lies re-sealed with valid checksums (item 12 of the hostile-evidence
//! issue): each is planted in a copy of a bundled sample, the page sealed
//! again so that every checksum verifies, and `verify --trees` must name it.
//! The clean samples themselves give none of these findings.

use std::path::{Path, PathBuf};

use esescope::format::page::{Page, PageFlags};
use esescope::format::{PageNumber, PageSize};
use esescope::scan::trees::check_trees;
use esescope::store::Database;
use esescope::writer::page::{seal_page, PageImage};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(name)).unwrap()
}

fn page_range(size: PageSize, pgno: u32) -> std::ops::Range<usize> {
    let start = PageNumber(pgno).file_offset(size) as usize;
    start..start + size.len()
}

/// Edits page `pgno` of `bytes` in place with `edit` and seals it again.
fn reseal(bytes: &mut [u8], size: PageSize, pgno: u32, edit: impl FnOnce(&mut [u8])) {
    let page = &mut bytes[page_range(size, pgno)];
    edit(page);
    seal_page(page, PageNumber(pgno), size);
}

/// Rebuilds page `pgno` through its editable image, then seals it.
fn rebuild(bytes: &mut [u8], size: PageSize, pgno: u32, edit: impl FnOnce(&mut PageImage)) {
    let range = page_range(size, pgno);
    let mut image =
        PageImage::from_page(&Page::parse(&bytes[range.clone()], PageNumber(pgno), size).unwrap()).unwrap();
    edit(&mut image);
    let mut page = image.build().unwrap();
    seal_page(&mut page, PageNumber(pgno), size);
    bytes[range].copy_from_slice(&page);
}

fn findings(dir: &tempfile::TempDir, bytes: &[u8]) -> Vec<String> {
    let path: PathBuf = dir.path().join("lie.edb");
    std::fs::write(&path, bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let report = esescope::scan::verify(&db, |_| std::ops::ControlFlow::Continue(()));
    assert!(!report.has_damage(), "every checksum must still verify");
    check_trees(&db).iter().map(ToString::to_string).collect()
}

fn table_root(bytes: &[u8], dir: &tempfile::TempDir, table: &str) -> u32 {
    let path = dir.path().join("probe.edb");
    std::fs::write(&path, bytes).unwrap();
    let db = Database::open(&path).unwrap();
    esescope::store::catalog::Catalog::read(&db).table(table).unwrap().pgno_fdp().0
}

fn assert_named(found: &[String], needle: &str) {
    assert!(found.iter().any(|f| f.contains(needle)), "no finding says {needle:?}: {found:#?}");
}

#[test]
fn clean_samples_tell_no_lies() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["clean-8k.edb", "clean-32k.edb"] {
        let found = findings(&dir, &sample(name));
        assert!(found.iter().all(|f| f.starts_with("info")), "{name}: {found:#?}");
    }
}

#[test]
fn free_space_fields_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::K8;
    let mut bytes = sample("clean-8k.edb");
    let root = table_root(&bytes, &dir, "people");
    reseal(&mut bytes, size, root, |p| {
        p[28..30].copy_from_slice(&9000u16.to_le_bytes()); // cbFree
        p[32..34].copy_from_slice(&8190u16.to_le_bytes()); // ibMicFree
    });
    let found = findings(&dir, &bytes);
    assert_named(&found, &format!("page {root}: cbFree says 9000 bytes are free"));
    assert_named(&found, "ibMicFree (8190) points past the start of the tag array");
}

#[test]
fn a_large_page_naming_another_page() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::new(32768).unwrap();
    let mut bytes = sample("clean-32k.edb");
    let root = table_root(&bytes, &dir, "people");
    // seal, then write the lie into PGHDR2.pgno and seal block 0 again
    // with the page's true number
    let range = page_range(size, root);
    seal_page(&mut bytes[range.clone()], PageNumber(root), size);
    let page = &mut bytes[range];
    page[64..68].copy_from_slice(&(root + 3).to_le_bytes());
    let sum = esescope::format::checksum::xe_checksum(&page[..8192], root, true).0;
    page[..8].copy_from_slice(&sum.to_le_bytes());
    assert_named(&findings(&dir, &bytes), &format!("PGHDR2.pgno) says page {}", root + 3));
}

#[test]
fn root_flags_contradicting_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::K8;
    let mut bytes = sample("clean-8k.edb");
    let root = table_root(&bytes, &dir, "people");
    let flag = |p: &mut [u8], extra: PageFlags| {
        let flags = u32::from_le_bytes(p[36..40].try_into().unwrap()) | extra.0;
        p[36..40].copy_from_slice(&flags.to_le_bytes());
    };
    reseal(&mut bytes, size, root, |p| flag(p, PageFlags::INDEX));
    reseal(&mut bytes, size, 4, |p| flag(p, PageFlags::LONG_VALUE));
    let found = findings(&dir, &bytes);
    assert_named(&found, "table people: root page");
    assert_named(&found, "the catalog lists a table here, but the page is flagged Index");
    assert_named(&found, "table MSysObjects: root page 4 contradicts the catalog");
    assert_named(&found, "but the page is flagged LongValue");
}

#[test]
fn owned_extents_past_the_file_and_of_negative_length() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::K8;
    let mut bytes = sample("clean-8k.edb");
    // page 2 is the database root's owned-extent tree, page 3 its available-extent tree
    rebuild(&mut bytes, size, 2, |image| {
        let node = image.nodes.last_mut().unwrap();
        node.key = 1_000_000_000u32.to_be_bytes().to_vec();
        node.data = 1_000_000_000u32.to_le_bytes().to_vec();
    });
    rebuild(&mut bytes, size, 3, |image| {
        let node = image.nodes.first_mut().unwrap();
        node.data = (-5i32).to_le_bytes().to_vec();
    });
    let found = findings(&dir, &bytes);
    assert_named(&found, "owned-extent extent 1-1000000000 (1000000000 pages) runs past the end of the file");
    assert_named(&found, "extent of negative length (-5 pages");
    // past 16 TiB too, at 32 KiB pages
    let size = PageSize::new(32768).unwrap();
    let mut bytes = sample("clean-32k.edb");
    rebuild(&mut bytes, size, 2, |image| {
        let node = image.nodes.last_mut().unwrap();
        node.key = 0x7000_0000u32.to_be_bytes().to_vec();
        node.data = 0x7000_0000u32.to_le_bytes().to_vec();
    });
    assert_named(&findings(&dir, &bytes), "and past the 16 TiB a database can have");
}

#[test]
fn a_file_of_only_its_header_pages_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = sample("clean-8k.edb");
    let path = dir.path().join("headers-only.edb");
    std::fs::write(&path, &bytes[..2 * 8192]).unwrap();
    let db = Database::open(&path).unwrap();
    let found: Vec<String> = check_trees(&db).iter().map(ToString::to_string).collect();
    assert_named(&found, "the file ends after its two header pages");
    let args = esescope::cli::database::VerifyArgs {
        file: path.clone(),
        trees: true,
        output: esescope::cli::output::OutputArgs::text(),
    };
    let code = esescope::cli::run(&esescope::cli::Command::Verify(args), &mut Vec::new()).unwrap();
    assert_eq!(code, std::process::ExitCode::from(1));
}

#[test]
fn the_page_command_names_a_page_local_lie() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::K8;
    let mut bytes = sample("clean-8k.edb");
    let root = table_root(&bytes, &dir, "people");
    reseal(&mut bytes, size, root, |p| p[28..30].copy_from_slice(&9000u16.to_le_bytes()));
    let path = dir.path().join("lie.edb");
    std::fs::write(&path, &bytes).unwrap();
    for (format, needle) in
        [("text", "CONTRADICTION: cbFree says 9000"), ("md", "**Contradiction:** cbFree says 9000")]
    {
        let cli = <esescope::cli::Cli as clap::Parser>::try_parse_from([
            "esescope",
            "page",
            path.to_str().unwrap(),
            &root.to_string(),
            "--format",
            format,
        ])
        .unwrap();
        let mut out = Vec::new();
        esescope::cli::run(cli.command.as_ref().unwrap(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(needle), "{format}: {text}");
    }
}

/// Row findings of every row of table `name` in `bytes`.
fn row_findings(dir: &tempfile::TempDir, bytes: &[u8], name: &str) -> Vec<String> {
    let path = dir.path().join("rows.edb");
    std::fs::write(&path, bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let catalog = esescope::store::catalog::Catalog::read(&db);
    let table = esescope::store::table::Table::new(&db, &catalog, catalog.table(name).unwrap());
    let mut found = Vec::new();
    table.rows(false, |row| found.extend(table.row_findings(&row).iter().map(ToString::to_string)));
    found
}

/// Edits the record of the first row of `people` that holds a Nickname
/// (tagged column 256), with the record's tagged fields at hand.
fn edit_first_tagged_record(
    bytes: &mut [u8],
    dir: &tempfile::TempDir,
    edit: impl FnOnce(&mut Vec<u8>, &[(u32, usize)]),
) {
    use esescope::format::record::{Record, TaggedLayout};
    let size = PageSize::new(32768).unwrap();
    let path = dir.path().join("find.edb");
    std::fs::write(&path, &*bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let catalog = esescope::store::catalog::Catalog::read(&db);
    let table = esescope::store::table::Table::new(&db, &catalog, catalog.table("people").unwrap());
    let nickname = table.columns.iter().position(|c| c.id == 256).unwrap();
    let mut target = None;
    table.rows(false, |row| {
        if target.is_none() && !row.values[nickname].is_null() {
            target = Some((row.pgno, row.tag));
        }
    });
    let (pgno, tag) = target.expect("a row with a nickname");
    rebuild(bytes, size, pgno.0, |image| {
        let data = &mut image.nodes[usize::from(tag) - 1].data;
        let fields: Vec<(u32, usize)> = Record::parse(&data.clone(), TaggedLayout::Large)
            .unwrap()
            .tagged()
            .into_iter()
            .map(|f| f.map(|f| (f.id, f.offset)).unwrap())
            .collect();
        edit(data, &fields);
    });
}

#[test]
fn an_encrypted_value_is_not_decoded_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = sample("clean-32k.edb");
    edit_first_tagged_record(&mut bytes, &dir, |data, fields| {
        let (_, offset) = fields.iter().find(|(id, _)| *id == 256).unwrap();
        data[*offset] |= 0x40; // TAGFLD_HEADER: encrypted
    });
    let found = row_findings(&dir, &bytes, "people");
    assert_named(&found, "column Nickname: the value is encrypted; its stored bytes are shown as binary");
    // verify --trees says so too
    assert_named(&findings(&dir, &bytes), "column Nickname: the value is encrypted");
}

#[test]
fn a_tagged_column_the_catalog_does_not_know_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = sample("clean-32k.edb");
    edit_first_tagged_record(&mut bytes, &dir, |data, fields| {
        // the tagged array starts 4 bytes per entry before the first value
        let base = fields[0].1 - 4 * fields.len();
        let last = base + 4 * (fields.len() - 1);
        data[last..last + 2].copy_from_slice(&0xFFF0u16.to_le_bytes());
    });
    let found = row_findings(&dir, &bytes, "people");
    assert_named(&found, "a value of tagged column 65520");
    assert_named(&found, "which the catalog does not list");
}

#[test]
fn a_long_value_whose_root_says_size_zero_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let size = PageSize::new(32768).unwrap();
    let mut bytes = sample("clean-32k.edb");
    let path = dir.path().join("lv.edb");
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let catalog = esescope::store::catalog::Catalog::read(&db);
    let lv_root =
        PageNumber(catalog.table("people").unwrap().long_value.as_ref().unwrap().coltyp_or_pgno_fdp);
    let mut root_node = None;
    esescope::store::cursor::walk(&db, lv_root, |page, node| {
        if root_node.is_none() && node.key.len() == 4 {
            root_node = Some((page.pgno, node.key.clone()));
        }
    });
    drop(db);
    let (pgno, key) = root_node.expect("a long-value root node");
    rebuild(&mut bytes, size, pgno.0, |image| {
        let node = image.nodes.iter_mut().find(|n| n.key == key).unwrap();
        node.data[4..8].copy_from_slice(&0u32.to_le_bytes());
    });
    let found = row_findings(&dir, &bytes, "people");
    assert_named(&found, "its root node says it is 0 bytes long");
}
