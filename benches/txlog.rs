//! Log segment verification: every 4 KiB segment of a segment-format log
//! classified by its checksum and LGPOS (`format::txlog::segment::scan`),
//! and the whole file read (`LogFile::parse`: header, segments, records).
//! Also the legacy (sector-format) scan when a legacy log is present.
//!
//! Input: every `*.log` of `../shared/samples/real` (read at bench time,
//! never copied into the repository); the bench is skipped when none is there.

mod support;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use esescope::format::txlog::{legacy, segment, LogFile, LogHeader};

fn logs() -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut dirs = vec![support::real_samples()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("log")) {
                if let Ok(bytes) = std::fs::read(&path) {
                    found.push((path, bytes));
                }
            }
        }
    }
    found.sort();
    found
}

fn txlog(c: &mut Criterion) {
    let logs = logs();
    let parsed: Vec<(&[u8], LogHeader)> =
        logs.iter().filter_map(|(_, b)| LogHeader::parse(b).ok().map(|h| (&b[..], h))).collect();
    let (segmented, sectored): (Vec<_>, Vec<_>) = parsed.iter().partition(|(_, h)| !h.is_legacy());
    for (label, set) in [("segments", &segmented), ("legacy", &sectored)] {
        if set.is_empty() {
            eprintln!("txlog bench: no {label} logs under {}", support::real_samples().display());
            continue;
        }
        let bytes: u64 = set.iter().map(|(b, _)| b.len() as u64).sum();
        let mut group = c.benchmark_group(format!("txlog/{label}-{}files", set.len()));
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function("scan", |b| {
            b.iter(|| {
                for (bytes, header) in set.iter() {
                    if header.is_legacy() {
                        black_box(legacy::scan(black_box(bytes), header));
                    } else {
                        black_box(segment::scan(black_box(bytes), header));
                    }
                }
            })
        });
        group.bench_function("logfile_parse", |b| {
            b.iter(|| {
                for (bytes, _) in set.iter() {
                    let _ = black_box(LogFile::parse(black_box(bytes)));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, txlog);
criterion_main!(benches);
