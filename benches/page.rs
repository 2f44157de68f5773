//! Page decoding: the page header (`PageHeader::parse`), the page view
//! (`Page::parse`), a walk over every tag (`Page::tags`) and the header
//! field table the `page` command prints (`PageHeader::fields`).
//!
//! Node and record decoding (the tree and record engineers' work) go in
//! their own bench files beside this one, using the same `support` pages.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esescope::format::page::{Page, PageHeader};
use esescope::format::tag::tag_at;

use support::{pages, SIZES};

fn decode(c: &mut Criterion) {
    for size in SIZES {
        let set = pages(size);
        let count = set.pages.len() as u64;
        let tags: u64 = set
            .pages
            .iter()
            .map(|p| PageHeader::parse(&p.bytes, size).map_or(0, |h| u64::from(h.tag_count)))
            .sum();
        let mut group = c.benchmark_group(format!("page/{}", set.label()));
        group.throughput(Throughput::Elements(count));
        group.bench_function("header_parse", |b| {
            b.iter(|| {
                for p in &set.pages {
                    let _ = black_box(PageHeader::parse(black_box(&p.bytes), size));
                }
            })
        });
        group.bench_function("page_parse", |b| {
            b.iter(|| {
                for p in &set.pages {
                    let _ = black_box(Page::parse(black_box(&p.bytes), p.pgno, size));
                }
            })
        });
        group.bench_function("header_fields", |b| {
            b.iter(|| {
                for p in &set.pages {
                    black_box(PageHeader::fields(black_box(&p.bytes), size));
                }
            })
        });
        group.throughput(Throughput::Elements(tags.max(1)));
        group.bench_function("all_tags", |b| {
            b.iter(|| {
                let mut ok = 0u64;
                for p in &set.pages {
                    let Ok(page) = Page::parse(&p.bytes, p.pgno, size) else { continue };
                    ok += page.tags().filter(Result::is_ok).count() as u64;
                }
                black_box(ok)
            })
        });
        group.bench_function("tag_at", |b| {
            let headers: Vec<_> =
                set.pages.iter().filter_map(|p| PageHeader::parse(&p.bytes, size).ok()).collect();
            b.iter(|| {
                let mut ok = 0u64;
                for (p, header) in set.pages.iter().zip(&headers) {
                    for index in 0..header.tag_count {
                        ok += u64::from(tag_at(black_box(&p.bytes), size, header, index).is_ok());
                    }
                }
                black_box(ok)
            })
        });
        group.finish();
    }
}

fn config() -> Criterion {
    // The machine is shared: keep each measurement short.
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = decode }
criterion_main!(benches);
