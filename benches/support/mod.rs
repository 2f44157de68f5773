//! Pages to benchmark: real pages read at bench time from
//! `../shared/samples/real` (never copied into the repository), or, when
//! that folder or a page size is missing, synthetic pages sealed per spec 5.6.
//!
//! Every bench file (`checksum`, `page`, and later `record`, `txlog`) takes
//! its input from here, so all of them measure the same pages.
#![allow(dead_code)] // each bench uses a different part

pub mod seal;

use std::path::{Path, PathBuf};

use esescope::format::page::PageHeader;
use esescope::format::verdict::page_matches;
use esescope::format::{PageNumber, PageSize};
use esescope::store::Database;

/// Pages kept per page size: enough to average over real variety, few
/// enough to stay in cache like a scan's current page does.
pub const PAGES_PER_SIZE: usize = 64;

/// One page to benchmark with the number its checksums were made for.
#[derive(Clone)]
pub struct BenchPage {
    /// The page number it verifies as.
    pub pgno: PageNumber,
    /// Its bytes (exactly one page).
    pub bytes: Vec<u8>,
}

/// The pages of one size and where they came from.
pub struct PageSet {
    /// Page size.
    pub size: PageSize,
    /// `real` or `synthetic`.
    pub origin: &'static str,
    /// The pages, each verifying as its `pgno`.
    pub pages: Vec<BenchPage>,
}

impl PageSet {
    /// A label for criterion: `8K-real`.
    pub fn label(&self) -> String {
        format!("{}K-{}", self.size.bytes() / 1024, self.origin)
    }
}

/// `../shared/samples/real` beside the repository.
pub fn real_samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/real")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Checksum-valid, non-empty pages of `size` from the real samples, the
/// ones with the most tags first (leaf pages: the tag walk has work to do).
fn real_pages(size: PageSize) -> Vec<BenchPage> {
    let mut found = Vec::new();
    for path in files_under(&real_samples()) {
        let Ok(db) = Database::open(&path) else { continue };
        if db.page_size() != size {
            continue;
        }
        for pgno in db.page_numbers() {
            let Ok(bytes) = db.page_bytes(pgno) else { break };
            if bytes.iter().any(|&b| b != 0) && page_matches(bytes, pgno, size) {
                found.push(BenchPage { pgno, bytes: bytes.to_vec() });
            }
        }
    }
    let tags = |p: &BenchPage| PageHeader::parse(&p.bytes, size).map_or(0, |h| h.tag_count);
    found.sort_by_key(|p| std::cmp::Reverse(tags(p)));
    found.truncate(PAGES_PER_SIZE);
    found
}

/// Pages of `size`: real ones if the samples have any, else synthetic ones.
pub fn pages(size: PageSize) -> PageSet {
    let real = real_pages(size);
    if !real.is_empty() {
        return PageSet { size, origin: "real", pages: real };
    }
    let pages = (0..PAGES_PER_SIZE as u32)
        .map(|i| {
            let pgno = 100 + i;
            BenchPage { pgno: PageNumber(pgno), bytes: seal::synthetic_page(size, pgno, u64::from(i)) }
        })
        .collect();
    PageSet { size, origin: "synthetic", pages }
}

/// The page sizes the benches cover.
pub const SIZES: [PageSize; 4] = [PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32];
