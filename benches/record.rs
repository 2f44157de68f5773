//! Node and record decoding: every node of a table's leaf pages
//! (`format::node::nodes`), each node's data split into its columns
//! (`Record::parse` + `.fixed()/.variable()/.tagged()`) and each value typed
//! (`value::decode`); and whole rows as `esescope export` reads them
//! (`store::table::Table::rows`: tree walk, columns from the catalog,
//! separated long values fetched).
//!
//! Input: the `people` and `readings` tables of `sample-dbs/clean-8k.edb`
//! and `clean-32k.edb` (committed, written by esescope's writer), so every
//! column class and both tagged layouts (small and large pages) are timed.
//!
//! `table_row/wide` and `table_row/narrow` guard the decoding of wide
//! records: `Table::row` on every record of a table of 10,000 tagged
//! columns with 300 set per row, and of a 12-column table with the same
//! kinds of values (`writer::wide`, written to a temporary file). The
//! throughput is in cells (rows × columns): the wide table's time per
//! cell should stay within 2× of the narrow one's (a search of the tagged
//! fields per column made it 14×).

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esescope::format::node::nodes;
use esescope::format::page::{Page, PageFlags};
use esescope::format::record::{Cell, Record, Stored, TaggedLayout};
use esescope::format::value::{decode, ColumnType};
use esescope::format::{PageNumber, PageSize};
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::sample::sample_header;
use esescope::writer::wide::wide_table;

/// The leaf pages of table `name`'s tree, in key order.
fn leaves(db: &Database, catalog: &Catalog, name: &str) -> Vec<PageNumber> {
    let Some(def) = catalog.table(name) else { return Vec::new() };
    let table = Table::new(db, catalog, def);
    let (locations, _) = table.locations(false, usize::MAX);
    let mut pages: Vec<PageNumber> = locations.into_iter().map(|(pgno, _)| pgno).collect();
    pages.dedup();
    pages
}

fn typed(cell: &Cell<'_>, coltyp: u32) -> usize {
    match cell {
        Cell::Single(Stored::Intrinsic(bytes)) => {
            black_box(decode(ColumnType(coltyp), 1252, bytes));
            1
        }
        Cell::Multi(values) => values.len(),
        _ => 0,
    }
}

fn bench_file(c: &mut Criterion, file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(file);
    let Ok(db) = Database::open(&path) else {
        eprintln!("record bench: {} is missing; skipped", path.display());
        return;
    };
    let catalog = Catalog::read(&db);
    let size = db.page_size();
    for name in ["people", "readings"] {
        let pages: Vec<(PageNumber, &[u8])> = leaves(&db, &catalog, name)
            .into_iter()
            .filter_map(|pgno| db.page_bytes(pgno).ok().map(|b| (pgno, b)))
            .collect();
        let records: u64 = pages
            .iter()
            .filter_map(|(pgno, b)| Page::parse(b, *pgno, size).ok())
            .map(|p| nodes(&p).count() as u64)
            .sum();
        let mut group = c.benchmark_group(format!("record/{file}/{name}"));
        group.throughput(Throughput::Elements(records.max(1)));
        group.bench_function("nodes", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for (pgno, bytes) in &pages {
                    let Ok(page) = Page::parse(bytes, *pgno, size) else { continue };
                    n += nodes(&page).filter_map(Result::ok).map(|node| node.key.len()).sum::<usize>();
                }
                black_box(n)
            })
        });
        group.bench_function("nodes_records_values", |b| {
            b.iter(|| {
                let mut cells = 0usize;
                for (pgno, bytes) in &pages {
                    let Ok(page) = Page::parse(bytes, *pgno, size) else { continue };
                    let new_format = page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT);
                    let layout = TaggedLayout::for_page(size.is_large(), new_format);
                    for node in nodes(&page).filter_map(Result::ok) {
                        let Ok(record) = Record::parse(node.data, layout) else { continue };
                        // The fixed columns packed from offset 4 as 4-byte
                        // values, the variable ones as text, the tagged ones.
                        for id in 1..=u32::from(record.fixed_last) {
                            if let Ok(cell) = record.fixed(id, 4 + 4 * (id as usize - 1), 4) {
                                cells += typed(&cell, 4);
                            }
                        }
                        for id in 128..=u32::from(record.var_last) {
                            if let Ok(cell) = record.variable(id) {
                                cells += typed(&cell, 10);
                            }
                        }
                        for field in record.tagged().into_iter().flatten() {
                            cells += typed(&field.cell, 11);
                        }
                    }
                }
                black_box(cells)
            })
        });
        if let Some(def) = catalog.table(name) {
            let table = Table::new(&db, &catalog, def);
            group.bench_function("table_rows", |b| {
                b.iter(|| {
                    let mut n = 0usize;
                    table.rows(false, |row| n += black_box(row).values.len());
                    black_box(n)
                })
            });
        }
        group.finish();
    }
}

/// `Table::row` on every record of the wide and the narrow table.
fn bench_wide(c: &mut Criterion) {
    let spec = DatabaseSpec {
        header: sample_header(PageSize::K32),
        tables: vec![wide_table("wide", 10_000, 300, 200), wide_table("narrow", 12, 12, 5_000)],
        min_pages: 0,
    };
    let written = match write_database(&spec) {
        Ok(written) => written,
        Err(e) => {
            eprintln!("record bench: the wide table could not be written: {e}; skipped");
            return;
        }
    };
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if file.write_all(&written.bytes).and_then(|()| file.flush()).is_err() {
        return;
    }
    let Ok(db) = Database::open(file.path()) else { return };
    let catalog = Catalog::read(&db);
    let size = db.page_size();
    for name in ["wide", "narrow"] {
        let Some(def) = catalog.table(name) else { continue };
        let table = Table::new(&db, &catalog, def);
        let (locations, _) = table.locations(false, usize::MAX);
        let pages: Vec<(PageNumber, &[u8])> = {
            let mut numbers: Vec<PageNumber> = locations.iter().map(|(pgno, _)| *pgno).collect();
            numbers.dedup();
            numbers.into_iter().filter_map(|pgno| db.page_bytes(pgno).ok().map(|b| (pgno, b))).collect()
        };
        let cells = locations.len() as u64 * table.columns.len() as u64;
        let mut group = c.benchmark_group(format!("table_row/{name}"));
        group.throughput(Throughput::Elements(cells.max(1)));
        group.bench_function("cells", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for (pgno, bytes) in &pages {
                    let Ok(page) = Page::parse(bytes, *pgno, size) else { continue };
                    for node in nodes(&page).filter_map(Result::ok) {
                        n += black_box(table.row(&page, &node)).values.len();
                    }
                }
                black_box(n)
            })
        });
        group.finish();
    }
}

fn records(c: &mut Criterion) {
    bench_file(c, "clean-8k.edb");
    bench_file(c, "clean-32k.edb");
    bench_wide(c);
}

criterion_group!(benches, records);
criterion_main!(benches);
