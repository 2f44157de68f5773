//! The fuzz targets of the record, log, checkpoint, space and catalog
//! decoders (see the crate docs): `node`, `record`, `compression`,
//! `txlog`, `checkpoint`, `space` and `catalog`.

use esescope::format::catalog::parse_row;
use esescope::format::checkpoint::Checkpoint;
use esescope::format::compression::{decompress, Scheme};
use esescope::format::node::{nodes, prefix_source};
use esescope::format::page::{Page, PageFlags};
use esescope::format::record::{Cell, Record, Stored, TaggedLayout};
use esescope::format::space::{Extent, SpaceHeader};
use esescope::format::txlog::record::record_size;
use esescope::format::txlog::{attach, LogFile};
use esescope::format::value::{decode, ColumnType};
use esescope::format::{PageNumber, PageSize};

const LAYOUTS: [TaggedLayout; 3] = [TaggedLayout::Small, TaggedLayout::Large, TaggedLayout::Legacy];
/// Every column type code esescope names, and two it does not.
const COLTYPS: [u32; 21] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 255];
const CODEPAGES: [u32; 5] = [0, 1200, 1252, 20127, 65001];

/// Every typed reading of `bytes`, rendered. The whole value once as
/// UTF-16 text and as binary, the typed readings of its first
/// 64 bytes, text in every code page (fixed-size types only accept 1–16
/// bytes anyway), so large
/// values do not slow the fuzzer down to a crawl.
/// A text decoded from the evidence, shown through the sanitizer: what
/// reaches a terminal holds no control character (line feed and tab aside
/// in a block), and the JSON form keeps the value exactly.
fn shown(text: &str) {
    let one_line = esescope::sanitize::visible(text);
    assert!(!one_line.chars().any(char::is_control), "visible() let a control character through");
    let block = esescope::sanitize::terminal_text(text);
    assert!(
        !block.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "terminal_text() let one through"
    );
    let md = esescope::sanitize::markdown_text(text);
    assert!(!md.chars().any(char::is_control), "markdown_text() let a control character through");
    if let Ok(json) = serde_json::to_string(text) {
        let safe = esescope::sanitize::json_text(&json);
        assert!(!safe.chars().any(char::is_control), "json_text() let a control character through");
        assert_eq!(
            serde_json::from_str::<String>(&safe).ok().as_deref(),
            Some(text),
            "json_text() changed the value"
        );
    }
}

fn values(bytes: &[u8]) {
    shown(&decode(ColumnType(12), 1200, bytes).to_text());
    shown(&decode(ColumnType(11), 0, bytes).to_text());
    let head = bytes.get(..64).unwrap_or(bytes);
    for codepage in CODEPAGES {
        let _ = decode(ColumnType(12), codepage, head).to_text();
    }
    for coltyp in COLTYPS {
        let value = decode(ColumnType(coltyp), 1252, head);
        let _ = (value.is_null(), value.to_text());
    }
}

fn stored(value: &Stored<'_>) {
    match value {
        Stored::Intrinsic(bytes) => values(bytes),
        Stored::Compressed(bytes) => {
            let _ = Scheme::of(bytes).name();
            if let Ok(plain) = decompress(bytes) {
                values(&plain);
            }
        }
        Stored::Separated(lid) => {
            let _ = (lid.key(), lid.to_string());
        }
        Stored::Encrypted(bytes) => {
            let _ = bytes.len();
        }
    }
}

fn cell(cell: &Cell<'_>) {
    match cell {
        Cell::Absent | Cell::Null => {}
        Cell::Single(value) => stored(value),
        Cell::Multi(all) => all.iter().for_each(stored),
    }
}

/// Every column of `bytes` read as a record in `layout`.
fn one_record(bytes: &[u8], layout: TaggedLayout) {
    let Ok(record) = Record::parse(bytes, layout) else { return };
    let _ = (record.bytes(), record.tagged_offset());
    // Fixed columns packed one after another, as the catalog lays them out,
    // for a few column sizes.
    for size in [1usize, 4, 8] {
        for id in 0..=u32::from(record.fixed_last) + 1 {
            let offset = 4 + (id as usize).saturating_sub(1) * size;
            if let Ok(Cell::Single(Stored::Intrinsic(bytes))) = record.fixed(id, offset, size) {
                let _ = decode(ColumnType(if size == 8 { 8 } else { 4 }), 0, bytes).to_text();
            }
        }
    }
    for id in 127..=u32::from(record.var_last) + 1 {
        if let Ok(c) = record.variable(id) {
            cell(&c);
        }
    }
    // Looking a column up walks the whole tagged area: a few lookups, not
    // one per field (a hostile area has thousands).
    for (i, field) in record.tagged().into_iter().flatten().enumerate() {
        if i < 64 {
            cell(&field.cell);
        }
        if i < 4 {
            let _ = record.tagged_column(field.id, field.derived);
        }
    }
    let _ = record.tagged_column(256, false);
    // which part each byte is in (how a located flipped bit is named),
    // past the end too
    for offset in (0..=bytes.len() + 1).take(512) {
        let _ = record.part_at(offset);
    }
}

/// The `record` target: the input as a record in every tagged layout.
pub fn record(data: &[u8]) {
    for layout in LAYOUTS {
        one_record(data, layout);
    }
}

/// The most bytes of slack the `node` target reads as one candidate record.
const RECORD_WINDOW: usize = 256;

/// The `node` target: 4-byte page number, then a page (cut or zero-padded
/// to 4, 8 and 32 KiB). Every node of it: key, prefix, child, and its data
/// as a record in the layout the page's flags give, and as a catalog row.
pub fn node(data: &[u8]) {
    let (pgno, bytes) = match data.split_first_chunk::<4>() {
        Some((pgno, rest)) => (PageNumber(u32::from_le_bytes(*pgno)), rest),
        None => (PageNumber(1), data),
    };
    for size in [PageSize::K4, PageSize::K8, PageSize::K32] {
        let mut whole = bytes.get(..size.len()).unwrap_or(bytes).to_vec();
        whole.resize(size.len(), 0);
        let Ok(page) = Page::parse(&whole, pgno, size) else { continue };
        let _ = prefix_source(&page);
        let flags = page.header.flags;
        let layout = TaggedLayout::for_page(size.is_large(), flags.contains(PageFlags::NEW_RECORD_FORMAT));
        for node in nodes(&page).flatten() {
            let _ = (node.child(), node.is_deleted(), node.key.len(), node.data_offset);
            if flags.contains(PageFlags::LEAF) {
                one_record(node.data, layout);
                let _ = parse_row(node.data, layout);
            }
            let _ = Extent::parse(&node.key, node.data);
        }
        if let Ok(tag0) = page.tag(0) {
            if let Ok(data) = page.tag_data(&tag0) {
                space_header(data, pgno);
            }
        }
        // the slack and every node shape that could start in it, each
        // candidate's record read from a window of at most RECORD_WINDOW
        // bytes (every start with the whole rest of the run would make the
        // harness itself quadratic in the run: a timeout of the harness,
        // not of the carving, which reads each run once)
        let prefix = prefix_source(&page).len();
        for run in esescope::format::slack::slack_runs(&page) {
            for at in run.clone() {
                for head in esescope::format::slack::node_heads(&page, at, run.end, prefix) {
                    let end = run.end.min(head.data_offset.saturating_add(RECORD_WINDOW));
                    if let Some(data) = page.bytes.get(head.data_offset..end) {
                        one_record(data, layout);
                    }
                }
            }
        }
    }
}

/// The `compression` target: the input as a compressed value (first byte
/// names the scheme), the output read as text.
pub fn compression(data: &[u8]) {
    let _ = Scheme::of(data).name();
    if let Ok(plain) = decompress(data) {
        let _ =
            (decode(ColumnType(12), 1200, &plain).to_text(), decode(ColumnType(12), 1252, &plain).to_text());
    }
}

/// The `txlog` target: the input as a whole log file (header, segments or
/// legacy sectors, records), every record rendered; also the attach list
/// and the record-size function at every offset of the first 4 KiB.
pub fn txlog(data: &[u8]) {
    if let Ok(log) = LogFile::parse(data) {
        let _ = (log.end(), log.first(), log.body_problems().len(), log.valid_segments());
        let _ =
            (log.header.checksum_ok(), log.header.is_legacy(), log.header.expected_len(), log.header.paths());
        for field in log.header.fields() {
            let _ = field.value.to_string();
        }
        let _ = esescope::format::txlog::header_problems(&log.header, data.len() as u64);
        for record in &log.records.records {
            let _ = (record.record_type.name(), record.record_type.label(), record.line());
            let _ = format!("{:?}", record.details());
        }
    }
    let _ = attach::parse_list(data);
    for at in 0..data.len().min(4096) {
        if let Some(rest) = data.get(at..) {
            let _ = record_size(rest);
        }
    }
}

/// The `checkpoint` target: the input as a checkpoint file.
pub fn checkpoint(data: &[u8]) {
    if let Ok(checkpoint) = Checkpoint::parse(data) {
        let _ = format!("{checkpoint:?}");
        if let Some(copy) = checkpoint.current() {
            let _ = (copy.is_valid(), copy.attached.len());
        }
    }
}

fn space_header(tag0: &[u8], pgno: PageNumber) {
    if let Ok(Some(header)) = SpaceHeader::parse(tag0) {
        let _ = (header.is_multiple_extent(), header.pgno_oe(), header.pgno_ae());
        let _ = header.free_extents(pgno);
    }
}

/// The `space` target: the first 4 bytes a page number, the rest tag 0 of
/// a root page; also the rest cut into an extent's key and data at every
/// split point of its first 24 bytes.
pub fn space(data: &[u8]) {
    let (pgno, rest) = match data.split_first_chunk::<4>() {
        Some((pgno, rest)) => (PageNumber(u32::from_le_bytes(*pgno)), rest),
        None => (PageNumber(1), data),
    };
    space_header(rest, pgno);
    for split in 0..=rest.len().min(24) {
        let (key, value) = rest.split_at(split);
        if let Some(extent) = Extent::parse(key, value) {
            let _ = (extent.len(), extent.is_empty(), extent.contains(pgno));
        }
    }
}

/// The `catalog` target: the input as a catalog row in every layout.
pub fn catalog(data: &[u8]) {
    for layout in LAYOUTS {
        if let Some(entry) = parse_row(data, layout) {
            let _ = format!("{entry:?}");
        }
    }
}
