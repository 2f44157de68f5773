//! What each fuzz target does with its input, as plain functions: the
//! targets in `fuzz_targets/` call them, and `tests/it/robustness.rs`
//! includes this file to replay every input saved under
//! `tests/fuzz-regressions/<target>/` through the same code.
//!
//! The pure `format` layer is fuzzed without files or threads, and the
//! record-level part of recovery (the `recovery` target); the one exception
//! is [`database`], which writes its input to a temporary file to go
//! through the store (windowed reads, header election, the catalog and its
//! shadow, space trees, `verify --trees`). Each function calls every entry
//! point the input can reach and renders what they return, so a panic
//! anywhere in decoding or formatting is found.
//! The record, log, checkpoint, space and catalog targets are in
//! [`records`].

mod records;
mod recovery;

pub use records::{catalog, checkpoint, compression, node, record, space, txlog};
pub use recovery::recovery;

use esescope::format::header::{check_header_page, DbHeader};
use esescope::format::page::{Page, PageHeader};
use esescope::format::verdict::{check_page, page_matches};
use esescope::format::{checksum, PageNumber, PageSize};

/// The `header` target: the input is a database header page of any length.
/// Decodes it, checks its checksum, builds the field table and compares it
/// with the header decoded from the input's second half (a "shadow copy").
pub fn header(data: &[u8]) {
    let _ = check_header_page(data);
    let Ok(header) = DbHeader::parse(data) else { return };
    let _ = (header.is_database(), header.page_size_bytes(), header.format_text());
    for field in header.fields() {
        let _ = field.value.to_string();
    }
    let shadow = data.get(data.len() / 2..).and_then(|rest| DbHeader::parse(rest).ok());
    if let Some(shadow) = shadow {
        let _ = header.differences(&shadow);
    }
    let _ = (header.sign_db.to_string(), header.logtime_consistent.to_string(), header.state.name());
}

/// The `page` target: the first 4 input bytes are a page number (little
/// endian), the rest a page. For every page size, the rest cut or
/// zero-padded to that size is parsed, every tag and its data read, the
/// checksums analysed and the field table built; the rest as it is goes
/// through the same calls, which must reject or tolerate a wrong length.
pub fn page(data: &[u8]) {
    let (pgno, bytes) = match data.split_first_chunk::<4>() {
        Some((pgno, rest)) => (PageNumber(u32::from_le_bytes(*pgno)), rest),
        None => (PageNumber(1), data),
    };
    for size in PageSize::ALL {
        one_page(bytes, pgno, size);
        if bytes.len() != size.len() {
            let mut whole = bytes.get(..size.len()).unwrap_or(bytes).to_vec();
            whole.resize(size.len(), 0);
            one_page(&whole, pgno, size);
        }
    }
}

fn one_page(bytes: &[u8], pgno: PageNumber, size: PageSize) {
    let check = check_page(bytes, pgno, size);
    let _ = (check.verdict.label(), check.verdict.jet_error(), check.verdict.is_damaged());
    // `verify` counts a page as fine on the fast path alone, `page N` shows
    // the full analysis: the two must never disagree about damage.
    if page_matches(bytes, pgno, size) {
        assert!(!check.verdict.is_damaged(), "page_matches but {:?}", check.verdict);
    }
    for field in PageHeader::fields(bytes, size) {
        let _ = field.value.to_string();
    }
    if let Ok(header) = PageHeader::parse(bytes, size) {
        let _ = (header.ctag_reserved(), header.flags.names(), header.flags.tree_kind());
    }
    let Ok(page) = Page::parse(bytes, pgno, size) else { return };
    let _ = (page.is_zeroed(), page.tag_array_offset());
    // header fields that contradict the page (`page`, `verify --trees`)
    let _ = esescope::format::lies::header_lies(&page);
    for tag in page.tags().flatten() {
        let _ = (page.tag_data(&tag), tag.flags.names());
    }
    // Past the end of the array must be an error, never a panic.
    let _ = page.tag(page.header.tag_count);
    let _ = page.tag(u16::MAX);
}

/// The `checksum` target: the checksum primitives on blocks of any length
/// (the algorithms document that odd lengths give meaningless values, not
/// panics), and the single-bit test on arbitrary stored/computed pairs.
pub fn checksum(data: &[u8]) {
    let pgno = data.first_chunk::<4>().map_or(0, |w| u32::from_le_bytes(*w));
    let _ = checksum::legacy_xor(data);
    let computed = checksum::xe_checksum(data, pgno, true);
    let _ = checksum::xe_checksum(data, pgno, false);
    let stored = data.get(4..12).and_then(|b| b.first_chunk::<8>()).map_or(0, |b| u64::from_le_bytes(*b));
    for header_block in [false, true] {
        for forbidden in [None, Some(checksum::FORMAT_FLAG_BIT)] {
            let fix = checksum::single_bit_fix(
                data.len(),
                checksum::XeChecksum(stored),
                computed,
                header_block,
                forbidden,
            );
            if let checksum::BitFix::DataBit(bit) = fix {
                assert!(
                    (bit as usize) < data.len().max(1) * 8,
                    "bit {bit} outside a {}-byte block",
                    data.len()
                );
            }
        }
    }
}

/// The `database` target: the input is a whole database file. It is
/// written to a temporary file (one per process) and opened as esescope
/// opens a database; then the checksum scan, the catalog (with its shadow
/// when the catalog cannot be read), every tree and space tree
/// (`verify --trees`) and the reachable-but-zeroed pages are computed.
pub fn database(data: &[u8]) {
    use std::io::Write;
    let path = std::env::temp_dir().join(format!("esescope-fuzz-database-{}.edb", std::process::id()));
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_err() {
        return;
    }
    if let Ok(db) = esescope::store::Database::open(&path) {
        let report = esescope::scan::verify(&db, |_| std::ops::ControlFlow::Continue(()));
        let _ = report.has_damage();
        let catalog = esescope::store::catalog::Catalog::read(&db);
        for (name, root) in catalog.trees() {
            let _ = (name, catalog.tree_name(root), esescope::store::space::read(&db, root).owned_pages());
        }
        for finding in esescope::scan::trees::check_trees(&db) {
            let _ = finding.to_string();
        }
        let _ = esescope::scan::trees::reached_uninitialized(&db);
        // recovered rows: flag-deleted, orphan pages, remnants carved from slack
        for def in &catalog.tables {
            esescope::store::table::Table::new(&db, &catalog, def).recovered(|r| {
                let _ = (r.source.label(), r.row.values.len());
            });
        }
    }
    let _ = std::fs::remove_file(&path);
}
