//! Checksum verification per page: the scan's fast path
//! (`verdict::page_matches`), the full analysis (`verdict::check_page`) on a
//! clean page and on a page with one flipped data bit (ECC location and
//! re-verification), and the raw `xe_checksum` of one block.
//!
//! Pages come from `../shared/samples/real` at bench time (see
//! `support/mod.rs`); the group names say `real` or `synthetic`.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use esescope::format::checksum::xe_checksum;
use esescope::format::verdict::{check_page, page_matches, Verdict};

use support::{pages, SIZES};

fn verify(c: &mut Criterion) {
    for size in SIZES {
        let set = pages(size);
        let mut group = c.benchmark_group(format!("checksum/{}", set.label()));
        group.throughput(Throughput::Bytes((size.len() * set.pages.len()) as u64));
        group.bench_function("page_matches", |b| {
            b.iter(|| {
                let ok = set.pages.iter().filter(|p| page_matches(black_box(&p.bytes), p.pgno, size)).count();
                assert_eq!(ok, set.pages.len());
            })
        });
        group.bench_function("check_page/clean", |b| {
            b.iter(|| {
                for p in &set.pages {
                    let check = check_page(black_box(&p.bytes), p.pgno, size);
                    debug_assert_eq!(check.verdict, Verdict::Ok);
                    black_box(check);
                }
            })
        });
        // One data bit flipped in the middle of each page: the ECC syndrome
        // locates it, the fix is re-verified.
        let flipped: Vec<_> = set
            .pages
            .iter()
            .map(|p| {
                let mut bytes = p.bytes.clone();
                bytes[size.len() / 2 + 3] ^= 0x10;
                (p.pgno, bytes)
            })
            .collect();
        group.bench_function("check_page/one_bit_flipped", |b| {
            b.iter(|| {
                for (pgno, bytes) in &flipped {
                    black_box(check_page(black_box(bytes), *pgno, size));
                }
            })
        });
        group.finish();
    }
}

fn block(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum/xe_checksum");
    for len in [4096usize, 8192] {
        let data: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(len), &data, |b, data| {
            b.iter(|| xe_checksum(black_box(data), 77, true))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // The machine is shared: keep each measurement short.
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = verify, block }
criterion_main!(benches);
