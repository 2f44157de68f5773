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

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esescope::format::node::nodes;
use esescope::format::page::{Page, PageFlags};
use esescope::format::record::{Cell, Record, Stored, TaggedLayout};
use esescope::format::value::{decode, ColumnType};
use esescope::format::PageNumber;
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;

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

fn records(c: &mut Criterion) {
    bench_file(c, "clean-8k.edb");
    bench_file(c, "clean-32k.edb");
}

criterion_group!(benches, records);
criterion_main!(benches);
