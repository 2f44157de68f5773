//! `compare` of two large files against `verify` of one of them (issue 15:
//! compare must run at least at half the speed of verify). The files are
//! built in a temporary directory by tiling the pages of
//! `sample-dbs/clean-8k.edb` (each re-sealed for its new number); the second
//! file has 64 pages changed and one page holding another page's content,
//! so the fingerprint pass and the row comparison run too.
//!
//! Size: `COMPARE_BENCH_SIZE` in MiB (default 1024).

use std::hint::black_box;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esescope::format::verdict::page_matches;
use esescope::format::PageNumber;
use esescope::scan::compare::compare;
use esescope::scan::verify;
use esescope::store::Database;
use esescope::writer::page::seal_page;

fn tile(sample: &Path, out: &Path, bytes: u64, changed: bool) {
    let db = Database::open(sample).expect("sample-dbs/clean-8k.edb opens");
    let size = db.page_size();
    let len = size.len();
    let sources: Vec<&[u8]> = db
        .page_numbers()
        .filter_map(|p| db.page_bytes(p).ok().map(|b| (p, b)))
        .filter(|(p, b)| b.iter().any(|&x| x != 0) && page_matches(b, *p, size))
        .map(|(_, b)| b)
        .collect();
    let pages = (bytes / len as u64).saturating_sub(2) as u32;
    let mut file = std::io::BufWriter::with_capacity(8 << 20, std::fs::File::create(out).expect("create"));
    file.write_all(db.range(0, 2 * len).expect("the header pages")).expect("write");
    let mut page = vec![0u8; len];
    for n in 1..=pages {
        let from = if changed && n == pages / 2 { pages / 3 } else { n };
        page.copy_from_slice(sources[(from as usize - 1) % sources.len()]);
        if changed && n % (pages / 64).max(1) == 0 {
            // a changed byte near the end of the page (free space or data)
            let at = len - 100;
            page[at] = page[at].wrapping_add(1);
        }
        seal_page(&mut page, PageNumber(n), size);
        file.write_all(&page).expect("write");
    }
    file.flush().expect("flush");
}

fn bench(c: &mut Criterion) {
    let mib: u64 = std::env::var("COMPARE_BENCH_SIZE").ok().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb");
    let (a, b) = (dir.path().join("a.edb"), dir.path().join("b.edb"));
    tile(&sample, &a, mib << 20, false);
    tile(&sample, &b, mib << 20, true);
    let (da, db) = (Database::open(&a).expect("a"), Database::open(&b).expect("b"));
    let mut group = c.benchmark_group(format!("compare/{mib}MiB"));
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(da.file_len()));
    group.bench_function("verify_one", |bench| {
        bench.iter(|| black_box(verify(&da, |_| ControlFlow::Continue(()))))
    });
    group.bench_function("compare_two", |bench| {
        bench.iter(|| {
            black_box(compare(&da, &db, false, |_| ControlFlow::Continue(())).expect("same database"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
