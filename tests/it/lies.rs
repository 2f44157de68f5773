//! Lies sealed with valid checksums (issue 13 items 5 and 12): crafted in
//! copies of the clean sample, each must be a finding, never clean.

use std::path::{Path, PathBuf};

use esescope::store::Database;

use crate::hostile::{run_bounded, sample};

/// Copies the clean sample to `dir/name`, lets `change` edit page `pgno`
/// and seals it again (valid checksum): a lie the checksum cannot catch.
fn with_sealed_page(dir: &Path, name: &str, pgno: u32, change: impl FnOnce(&mut [u8])) -> PathBuf {
    with_sealed_page_of(&sample(), 8192, dir, name, pgno, change)
}

fn with_sealed_page_of(
    from: &Path,
    size: u32,
    dir: &Path,
    name: &str,
    pgno: u32,
    change: impl FnOnce(&mut [u8]),
) -> PathBuf {
    use esescope::format::{PageNumber, PageSize};
    let path = dir.join(name);
    let mut bytes = std::fs::read(from).unwrap();
    let len = size as usize;
    let start = (pgno as usize + 1) * len;
    let page = &mut bytes[start..start + len];
    change(page);
    esescope::writer::page::seal_page(page, PageNumber(pgno), PageSize::new(size).unwrap());
    std::fs::write(&path, &bytes).unwrap();
    path
}

/// Item 5: the catalog root with no tags (checksum valid): the tables come
/// from the shadow catalog, and every command that reads the catalog says
/// it could not be read and exits 1.
#[test]
fn unreadable_catalog_uses_the_shadow_and_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let clean = sample();
    let (_, clean_tables, _) = run_bounded(&["tables", clean.to_str().unwrap()]);
    let file = with_sealed_page(dir.path(), "no-catalog.edb", 4, |page| {
        page[34..36].copy_from_slice(&0u16.to_le_bytes())
    });
    let file_arg = file.to_str().unwrap();
    let (code, stdout, stderr) = run_bounded(&["tables", file_arg]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("could not be read") && stdout.contains("shadow catalog"), "{stdout}");
    // every table of the clean file is still listed (from the shadow)
    for line in clean_tables.lines().skip(1).filter(|l| !l.starts_with(' ')) {
        let name = line.split_whitespace().next().unwrap();
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    for args in [
        vec!["catalog", file_arg],
        vec!["verify", "--trees", file_arg],
        vec!["report", file_arg],
        vec!["export", "--format", "json", file_arg],
        vec!["tree", file_arg, "4"],
    ] {
        let (code, stdout, stderr) = run_bounded(&args);
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(format!("{stdout}{stderr}").contains("could not be read"), "{args:?}: {stdout}{stderr}");
    }
}

fn set_u16(page: &mut [u8], at: usize, value: u16) {
    page[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn or_flags(page: &mut [u8], flags: u32) {
    let old = u32::from_le_bytes(page[36..40].try_into().unwrap());
    page[36..40].copy_from_slice(&(old | flags).to_le_bytes());
}

/// Sets the space header's cpgPrimary (tag 0 of a root page, offset 0).
fn set_cpg_primary(page: &mut [u8], cpg: u32) {
    use esescope::format::{page::Page, PageNumber, PageSize};
    let range = {
        let parsed = Page::parse(page, PageNumber(78), PageSize::K8).unwrap();
        parsed.tag(0).unwrap().page_range(PageSize::K8)
    };
    page[range.start..range.start + 4].copy_from_slice(&cpg.to_le_bytes());
}

/// Item 12: each lie, sealed with a valid checksum, is a finding of
/// `verify --trees` (exit 1), and a page-local one of `page` too.
#[test]
fn sealed_lies_are_findings() {
    use esescope::format::page::PageFlags;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (file, page-local page, what verify --trees and page must say)
    let cases: Vec<(PathBuf, Option<u32>, &str)> = vec![
        (
            with_sealed_page(d, "cbfree.edb", 78, |p| set_u16(p, 28, 0xfff0)),
            Some(78),
            "cbFree 65520 is more than the data area",
        ),
        (
            with_sealed_page(d, "ibmic.edb", 78, |p| set_u16(p, 32, 0xfff0)),
            Some(78),
            "ibMicFree 65520 is past the data area",
        ),
        (
            with_sealed_page(d, "uncommitted.edb", 78, |p| set_u16(p, 30, 0x3000)),
            Some(78),
            "cbUncommittedFree 12288 is more than cbFree",
        ),
        (
            with_sealed_page(d, "table-as-index.edb", 78, |p| or_flags(p, PageFlags::INDEX.0)),
            None,
            "page 78 is flagged as a index page",
        ),
        (
            with_sealed_page(d, "catalog-as-lv.edb", 4, |p| or_flags(p, PageFlags::LONG_VALUE.0)),
            None,
            "page 4 is flagged as a long value page",
        ),
        (
            with_sealed_page(d, "owned-huge.edb", 78, |p| set_cpg_primary(p, 1_000_000_000)),
            None,
            "owned extent 78-1000000077: 1000000000 pages, more than the file's",
        ),
        (
            with_sealed_page(d, "owned-past-16tib.edb", 78, |p| set_cpg_primary(p, 0xffff_0000)),
            None,
            "reaches past page 2147483648, the last a database of 8192-byte pages can have (16 TiB)",
        ),
    ];
    // the database root's available extent 121-126 given a length of
    // 0xfffffff0 pages: it would start before page 0
    let db = Database::open(sample()).unwrap();
    let mut ae = None;
    esescope::store::cursor::walk(&db, esescope::format::PageNumber(3), |page, node| {
        if ae.is_none() && node.key.len() == 4 {
            ae = Some((page.pgno.0, node.data_offset));
        }
    });
    let (ae_page, count_at) = ae.expect("an available extent of the database root");
    let negative = with_sealed_page(d, "ae-negative.edb", ae_page, |p| {
        p[count_at..count_at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes())
    });
    // a 32 KiB page whose page-number field names another page, block 0
    // re-sealed over the lie
    let clean32 = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-32k.edb");
    let pgno_lie = with_sealed_page_of(&clean32, 32768, d, "pgno-field.edb", 4, |_| {});
    let mut bytes = std::fs::read(&pgno_lie).unwrap();
    let page = &mut bytes[5 * 32768..6 * 32768];
    page[64..68].copy_from_slice(&9u32.to_le_bytes());
    let sum = esescope::format::checksum::xe_checksum(&page[..8192], 4, true).0;
    page[..8].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&pgno_lie, &bytes).unwrap();
    let mut cases = cases;
    cases.push((negative, None, "database root: available-extent tree node is not an extent"));
    cases.push((
        pgno_lie,
        Some(4),
        "the page-number field (PGHDR2.pgno, offset 64) says page 9, but this is page 4",
    ));

    for (file, page, lie) in &cases {
        let file_arg = file.to_str().unwrap();
        let (code, stdout, stderr) = run_bounded(&["verify", file_arg]);
        assert_eq!(code, Some(0), "the checksums of {file_arg} are valid: {stdout}{stderr}");
        let (code, stdout, stderr) = run_bounded(&["verify", "--trees", file_arg]);
        assert_eq!(code, Some(1), "{file_arg}: {stdout}{stderr}");
        assert!(stdout.contains(lie), "{file_arg}: expected {lie:?} in\n{stdout}");
        if let Some(pgno) = page {
            let (code, stdout, stderr) = run_bounded(&["page", file_arg, &pgno.to_string()]);
            assert_eq!(code, Some(1), "{file_arg}: {stdout}{stderr}");
            assert!(stdout.contains(&format!("PROBLEM: {lie}")) || stdout.contains(lie), "{stdout}");
        }
    }

    // a file of only the two header pages
    let headers_only = d.join("headers-only.edb");
    std::fs::write(&headers_only, &std::fs::read(sample()).unwrap()[..16384]).unwrap();
    let (code, stdout, _) = run_bounded(&["verify", headers_only.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("a database has at least pages 1 to 4"), "{stdout}");
}

/// Finds in table `people` of the clean sample the first record that has
/// tagged field `fid`; returns (page, offset in the page of the record's
/// TAGFLD entry for it, offset in the page of the field's data).
fn tagged_field_in_people(fid: u32) -> (u32, usize, usize) {
    use esescope::format::page::PageFlags;
    use esescope::format::record::{Record, TaggedLayout};
    let db = Database::open(sample()).unwrap();
    let mut found = None;
    esescope::store::cursor::walk(&db, esescope::format::PageNumber(29), |page, node| {
        if found.is_some() {
            return;
        }
        let layout = TaggedLayout::for_page(false, page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
        let record = Record::parse(node.data, layout).unwrap();
        let fields: Vec<_> = record.tagged().into_iter().flatten().collect();
        let Some(first) = fields.first() else { return };
        let base = first.offset - 4 * fields.len();
        if let Some(i) = fields.iter().position(|f| f.id == fid) {
            let record_at = node.data_offset;
            found = Some((page.pgno.0, record_at + base + 4 * i, record_at + fields[i].offset));
        }
    });
    found.expect("a people record with that tagged field")
}

/// Item 12, the values: a tagged column id the catalog does not know, an
/// encrypted value and a long value whose root says 0 bytes are findings
/// of `export` (exit 1), not silently dropped, shown as text or empty.
#[test]
fn sealed_value_lies_are_export_findings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // the last tagged field of a record (Photo, 258) renamed to id 299
    let (pgno, entry, _) = tagged_field_in_people(258);
    let unknown = with_sealed_page(d, "unknown-fid.edb", pgno, |p| set_u16(p, entry, 299));
    // the separated Notes value (257) flagged encrypted in its TAGFLD header
    let (pgno, _, data) = tagged_field_in_people(257);
    let encrypted = with_sealed_page(d, "encrypted.edb", pgno, |p| p[data] |= 0x40);
    // every long-value root node of the people LV tree (page 45 and its
    // leaves) claiming 0 bytes: the first root found is enough
    let db = Database::open(sample()).unwrap();
    let mut lv_root = None;
    esescope::store::cursor::walk(&db, esescope::format::PageNumber(45), |page, node| {
        if lv_root.is_none() && node.key.len() == 4 && node.data.len() >= 8 {
            lv_root = Some((page.pgno.0, node.data_offset + 4));
        }
    });
    let (pgno, size_at) = lv_root.expect("an LV root node");
    let empty_lv =
        with_sealed_page(d, "lv-size-0.edb", pgno, |p| p[size_at..size_at + 4].copy_from_slice(&[0; 4]));

    for (file, lie) in [
        (&unknown, "tagged column id 299"),
        (&encrypted, "the value is encrypted (TAGFLD_HEADER 0x40)"),
        (&empty_lv, "its root says 0 bytes, but a chunk at offset 0 follows"),
    ] {
        let file_arg = file.to_str().unwrap();
        let (code, _, stderr) = run_bounded(&["verify", file_arg]);
        assert_eq!(code, Some(0), "{file_arg} has valid checksums: {stderr}");
        let (code, _, stderr) = run_bounded(&["export", file_arg, "people"]);
        assert_eq!(code, Some(1), "{file_arg}: {stderr}");
        assert!(stderr.contains(lie), "{file_arg}: expected {lie:?} in\n{stderr}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 48,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x11E5_5EA1),
        ..proptest::test_runner::Config::default()
    })]

    /// Random lies sealed into random pages of the clean sample (a few bytes
    /// changed, then a valid checksum): opening, verify, the catalog, every
    /// tree (`verify --trees`) and every row of every table never panic, and
    /// the checksum scan still calls every page fine (only the structure lies).
    #[test]
    fn random_sealed_lies_never_panic(
        pgno in 1u32..127,
        edits in proptest::collection::vec((0usize..8192, proptest::prelude::any::<u8>()), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let file = with_sealed_page(dir.path(), "lie.edb", pgno, |page| {
            for (at, value) in &edits {
                page[*at] = *value;
            }
        });
        let db = Database::open(&file).unwrap();
        let report = esescope::scan::verify(&db, |_| std::ops::ControlFlow::Continue(()));
        proptest::prop_assert_eq!(report.counts.damaged(), 0);
        let catalog = esescope::store::catalog::Catalog::read(&db);
        for finding in esescope::scan::trees::check_trees(&db) {
            let _ = finding.to_string();
        }
        for def in &catalog.tables {
            let table = esescope::store::table::Table::new(&db, &catalog, def);
            let _ = table.rows(true, |row| {
                let _ = table.row_findings(&row);
            });
        }
    }
}
