//! Issue 19 item 17: where the ECC locates a flipped bit inside a record,
//! `page`, `report` and the inspector name the line and tag, the table, the
//! column (name, id, type) and show the value as stored beside the value
//! with the bit flipped back — which is the value the undamaged original
//! holds.

use esescope::report::page::PageDump;
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::writer::damage::Damage;

use super::writer::{all_samples, esescope_json};

#[test]
fn each_flipped_value_is_named_with_its_column_and_the_original_value() {
    let sample = all_samples().into_iter().find(|s| s.file_name == "bitflip-columns.edb").unwrap();
    let damaged = Database::open("sample-dbs/bitflip-columns.edb").unwrap();
    let clean = Database::open("sample-dbs/clean-4k.edb").unwrap();
    let catalog = Catalog::read(&clean);
    let people = Table::new(&clean, &catalog, catalog.table("people").unwrap());
    let mut seen = Vec::new();
    for damage in &sample.damage {
        let Damage::BitFlip { pgno, offset, bit, .. } = damage else { panic!("{damage:?}") };
        let dump = PageDump::build(&damaged, *pgno).unwrap();
        assert!(dump.flipped_fields.is_empty(), "not a header field");
        let [flip] = dump.flipped_data.as_slice() else { panic!("{:?}", dump.flipped_data) };
        assert_eq!((flip.byte_offset, flip.bit), (*offset, *bit));
        assert_eq!(flip.table.as_deref(), Some("people"));
        let column = flip.column.as_ref().unwrap();
        // the corrected value is the original's, the stored one differs
        let tag = flip.tag.unwrap();
        let row = people.row_at(*pgno, tag).unwrap();
        let index = people.columns.iter().position(|c| c.id == column.id).unwrap();
        let original = row.values[index].to_text();
        assert_eq!(flip.corrected.as_deref(), Some(original.as_str()), "{column:?}");
        assert_ne!(flip.stored, flip.corrected);
        assert!(flip.sentence().contains(&format!("line {} (tag {tag})", flip.line.unwrap())));
        seen.push((column.name.clone(), column.id, column.coltyp));
    }
    assert_eq!(
        seen,
        [
            ("Born".to_string(), 2, "DateTime"),
            ("Name".to_string(), 128, "Text"),
            ("Notes".to_string(), 257, "LongText")
        ]
    );
}

#[test]
fn page_and_report_say_it_in_text_markdown_and_json() {
    let run = |args: &[&str]| {
        let mut out = Vec::new();
        let cli = <esescope::cli::Cli as clap::Parser>::try_parse_from(
            std::iter::once("esescope").chain(args.iter().copied()),
        )
        .unwrap();
        esescope::cli::run(cli.command.as_ref().unwrap(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let file = "sample-dbs/bitflip-columns.edb";
    let sentence = "is in line 0 (tag 1) of table people, the value of column Name (id 128, Text) at record \
                    offset 0x1a: stored \"Meadow heron\", corrected \"meadow heron\"";
    let text = run(&["page", file, "31", "--no-hex"]);
    assert!(text.contains(&format!("the flipped bit (byte 0x4b bit 5) {sentence}")), "{text}");
    let report = run(&["report", file, "--format", "text"]);
    assert!(report.contains(sentence), "{report}");
    for md in [run(&["page", file, "31", "--format", "md"]), run(&["report", file, "--format", "md"])] {
        assert!(
            md.contains("| byte 0x4b bit 5 | 1 | 0 | the value | people | Name (id 128, Text) | 0x1a | Meadow heron | meadow heron |"),
            "{md}"
        );
    }
    let (_, json) = esescope_json(&["page", file, "31", "--format", "json"]);
    let flip = &json["flipped_data"][0];
    assert_eq!(flip["column"], serde_json::json!({ "id": 128, "name": "Name", "coltyp": "Text" }));
    assert_eq!(
        (flip["stored"].as_str(), flip["corrected"].as_str()),
        (Some("Meadow heron"), Some("meadow heron"))
    );
    let (_, json) = esescope_json(&["report", file, "--format", "json"]);
    let pages: Vec<u64> = json["bad_pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["flipped_data"][0]["column"]["name"].is_string())
        .map(|p| p["checksum"]["pgno"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, [30, 31, 32]);
}

/// Flips bit `bit` of page byte `offset` of page 30 of clean-4k in a copy
/// and returns where the page dump says it is.
fn located(dir: &std::path::Path, offset: usize, bit: u8) -> esescope::report::page::FlippedData {
    let mut bytes = std::fs::read("sample-dbs/clean-4k.edb").unwrap();
    bytes[31 * 4096 + offset] ^= 1 << bit;
    let path = dir.join(format!("flip-{offset:x}-{bit}.edb"));
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let dump = PageDump::build(&db, esescope::format::PageNumber(30)).unwrap();
    let [flip] = dump.flipped_data.as_slice() else { panic!("{offset:#x}: {:?}", dump.flipped_data) };
    flip.clone()
}

#[test]
fn every_part_of_a_node_and_record_is_named() {
    use esescope::format::node::node;
    use esescope::format::page::Page;
    use esescope::format::record::{Record, TaggedLayout};
    let clean = std::fs::read("sample-dbs/clean-4k.edb").unwrap();
    let bytes = &clean[31 * 4096..32 * 4096];
    let page = Page::parse(bytes, esescope::format::PageNumber(30), esescope::format::PageSize::K4).unwrap();
    let n = node(&page, 0).unwrap();
    let record = Record::parse(n.data, TaggedLayout::Small).unwrap();
    let start = n.tag.page_range(page.size).start;
    let data = n.data_offset;
    let dir = tempfile::tempdir().unwrap();
    let column = |f: &esescope::report::page::FlippedData| f.column.as_ref().map(|c| c.name.clone());
    // the node: its key sizes and key
    let f = located(dir.path(), start + 2, 0);
    assert_eq!(f.part, "cbSuffix, the length of the key suffix");
    assert_ne!(f.stored, f.corrected);
    assert_eq!(located(dir.path(), data - 1, 0).part, "the key suffix");
    // the record header
    let f = located(dir.path(), data, 0);
    assert_eq!((f.part.as_str(), f.record_offset), ("record header field fidFixedLastInRec", Some(0)));
    // the null bitmap: bit 1 is fixed column 2, Born
    let bitmap = data + record.end_of_fixed - 1;
    let f = located(dir.path(), bitmap, 1);
    assert_eq!((f.part.as_str(), column(&f).as_deref()), ("the null bit", Some("Born")));
    assert_eq!(f.corrected.as_deref(), Some("2022-12-10T06:00:00.000Z"));
    assert_eq!(f.stored.as_deref(), Some("NULL"), "the flipped null bit hides the value");
    // the variable offsets: the first entry is Name's
    let f = located(dir.path(), data + record.end_of_fixed, 0);
    assert_eq!(
        (f.part.as_str(), column(&f).as_deref()),
        ("the end offset in the variable offsets", Some("Name"))
    );
    // the tagged area: the first TAGFLD entry
    let f = located(dir.path(), data + record.tagged_offset(), 0);
    assert_eq!(f.part, "the TAGFLD entry");
    assert!(column(&f).is_some(), "{f:?}");
    // free space: past every tag
    let free = located(dir.path(), 4096 - 4 * usize::from(page.header.tag_count) - 1, 0);
    assert!(free.part.starts_with("free space") && free.tag.is_none(), "{free:?}");
    // the tag array
    let f = located(dir.path(), 4096 - 8, 0);
    assert_eq!((f.part.as_str(), f.tag), ("its entry in the tag array (size, offset and flags)", Some(1)));
}

#[test]
fn on_a_large_page_the_top_bits_of_the_first_key_size_are_the_node_flags() {
    use esescope::format::node::node;
    use esescope::format::page::Page;
    use esescope::format::{PageNumber, PageSize};
    let size = 32768;
    let mut bytes = std::fs::read("sample-dbs/clean-32k.edb").unwrap();
    let at = 32 * size;
    let start = {
        let page = Page::parse(&bytes[at..at + size], PageNumber(31), PageSize::K32).unwrap();
        node(&page, 1).unwrap().tag.page_range(page.size).start
    };
    bytes[at + start + 1] ^= 1 << 6;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.edb");
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let dump = PageDump::build(&db, PageNumber(31)).unwrap();
    let [flip] = dump.flipped_data.as_slice() else { panic!("{:?}", dump.flipped_data) };
    assert_eq!(
        (flip.line, flip.part.as_str()),
        (Some(1), "the node flags (the top 3 bits of the first key size)")
    );
}
