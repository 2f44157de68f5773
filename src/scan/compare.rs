//! Two files of one database compared page by page (`esescope compare`):
//! each page's content fingerprinted with CRC-32 (its checksum bytes left
//! out, so that the same content at another page number is found), then
//! every page number classed as identical, changed, changed only in its
//! stored checksum, moved (another page's content), or present in one file
//! only. For changed pages the header's `dbtimeDirtied` says which copy is
//! newer. The rows of the tables those pages belong to are compared by
//! [`super::compare_rows`].

use std::collections::HashMap;
use std::ops::ControlFlow;

use rayon::prelude::*;
use serde::Serialize;

use super::compare_rows::{compare_tables, TableDiff};
use super::Progress;
use crate::format::types::le_u64;
use crate::format::verdict::page_matches;
use crate::format::{PageNumber, PageSize};
use crate::store::catalog::Catalog;
use crate::store::Database;
use crate::Error;

/// Offset of `dbtimeDirtied` in every page header.
const DBTIME_OFFSET: usize = 8;
/// Offset of `objidFDP` in every page header.
const OBJID_OFFSET: usize = 24;

/// The CRC-32 of a page's content without its checksum bytes: bytes 0–7
/// on every page, and on 16/32 KiB pages also `rgChecksum[]` and the page
/// number of `PGHDR2` (bytes 40–67), which name the place, not the content.
pub fn fingerprint(page: &[u8], size: PageSize) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    if size.is_large() {
        hasher.update(page.get(8..40).unwrap_or_default());
        hasher.update(page.get(68..).unwrap_or_default());
    } else {
        hasher.update(page.get(8..).unwrap_or_default());
    }
    hasher.finalize()
}

/// How one page number differs between the two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PageChange {
    /// Different content.
    Changed,
    /// The same content; only the stored checksum bytes differ (a flipped
    /// bit there, or a checksum made for another page number).
    ChecksumOnly,
    /// The second file's page holds the content the first file has at
    /// page `from`.
    Moved {
        /// Where the first file has this content.
        from: PageNumber,
    },
    /// Written in the first file only (the second has zeros there, or ends before it).
    OnlyInA,
    /// Written in the second file only.
    OnlyInB,
}

impl PageChange {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Self::Changed => "changed".into(),
            Self::ChecksumOnly => "same content, only the stored checksum differs".into(),
            Self::Moved { from } => format!("moved: B holds the content of A's page {from}"),
            Self::OnlyInA => "only in A".into(),
            Self::OnlyInB => "only in B".into(),
        }
    }
}

/// One side of a differing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageSide {
    /// `dbtimeDirtied` from the header.
    pub dbtime: u64,
    /// `objidFDP` from the header.
    pub objid_fdp: u32,
    /// What the catalog of that file calls the tree.
    pub tree: Option<String>,
    /// Every checksum of the page matches.
    pub verifies: bool,
}

/// One page number that is not identical in both files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageDiff {
    /// The page number.
    pub pgno: PageNumber,
    /// How it differs.
    pub change: PageChange,
    /// The first file's page (none when it is all zero or past the end).
    pub a: Option<PageSide>,
    /// The second file's page.
    pub b: Option<PageSide>,
    /// Which copy is newer by `dbtimeDirtied`: "a", "b" or "same" (both
    /// present only).
    pub newer: Option<&'static str>,
}

/// Counts of page numbers by how they compare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PageCounts {
    /// Page numbers compared (the longer file's page count).
    pub pages: u32,
    /// Identical (all-zero in both included).
    pub identical: u32,
    /// Different content.
    pub changed: u32,
    /// Only the checksum bytes differ.
    pub checksum_only: u32,
    /// Another page's content.
    pub moved: u32,
    /// Written in A only.
    pub only_in_a: u32,
    /// Written in B only.
    pub only_in_b: u32,
}

/// One header copy that differs between the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderDiff {
    /// 0 = primary, 1 = shadow.
    pub copy: u8,
    /// The fields whose bytes differ (empty when only the checksum or the
    /// validity differs).
    pub fields: Vec<&'static str>,
    /// Whether each file's copy is valid (checksum, magic, page size).
    pub valid: [bool; 2],
}

/// The result of comparing two files.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// The first file.
    pub a: String,
    /// The second file.
    pub b: String,
    /// Page size of both.
    pub page_size: u32,
    /// Whole pages in A and in B.
    pub page_counts: [u32; 2],
    /// The database signatures differ (compared anyway: --force).
    pub signatures_differ: bool,
    /// Header copies that differ.
    pub headers: Vec<HeaderDiff>,
    /// Page numbers by how they compare.
    pub counts: PageCounts,
    /// Every page number that is not identical, in page order.
    pub pages: Vec<PageDiff>,
    /// The tables whose pages differ, or that only one file has, row by row.
    pub tables: Vec<TableDiff>,
    /// True when stopped before the end.
    pub cancelled: bool,
}

impl CompareReport {
    /// True when anything differs.
    pub fn differs(&self) -> bool {
        !self.pages.is_empty() || !self.headers.is_empty() || self.tables.iter().any(TableDiff::differs)
    }
}

/// Why two files are not compared.
///
/// # Errors
/// Different page sizes always; different database signatures unless `force`.
pub fn refusal(a: &Database, b: &Database, force: bool) -> Result<bool, Error> {
    if a.page_size() != b.page_size() {
        return Err(Error::Usage(format!(
            "cannot compare {} ({}-byte pages) with {} ({}-byte pages): different page sizes, so not copies of one database",
            a.path().display(),
            a.page_size().bytes(),
            b.path().display(),
            b.page_size().bytes()
        )));
    }
    let differ = match (a.header(), b.header()) {
        (Some(x), Some(y)) => x.sign_db != y.sign_db,
        _ => false,
    };
    if differ && !force {
        return Err(Error::Usage(format!(
            "cannot compare {} with {}: their database signatures (signDb) differ, so they are not copies of one database (--force compares them anyway)",
            a.path().display(),
            b.path().display()
        )));
    }
    Ok(differ)
}

/// The header copies whose bytes differ.
fn header_diffs(a: &Database, b: &Database) -> Vec<HeaderDiff> {
    let len = a.page_size().len();
    let mut diffs = Vec::new();
    for (copy, (x, y)) in a.header_copies().iter().zip(b.header_copies()).enumerate() {
        let start = copy * len;
        if a.range(start as u64, len).ok() == b.range(start as u64, len).ok() {
            continue;
        }
        let fields = match (&x.header, &y.header) {
            (Some(p), Some(q)) => p.differences(q),
            _ => Vec::new(),
        };
        diffs.push(HeaderDiff { copy: copy as u8, fields, valid: [x.valid, y.valid] });
    }
    diffs
}

/// The page's bytes, or `None` when it is past the end or all zero.
fn written(db: &Database, pgno: PageNumber) -> Option<&[u8]> {
    db.page_bytes(pgno).ok().filter(|p| p.iter().any(|&b| b != 0))
}

fn side(db: &Database, catalog: &Catalog, pgno: PageNumber, bytes: &[u8]) -> PageSide {
    let objid_fdp = crate::format::types::le_u32(bytes, OBJID_OFFSET).unwrap_or(0);
    PageSide {
        dbtime: le_u64(bytes, DBTIME_OFFSET).unwrap_or(0),
        objid_fdp,
        tree: catalog.object_name(objid_fdp),
        verifies: page_matches(bytes, pgno, db.page_size()),
    }
}

/// Compares every page of `a` with the same page of `b`, then the rows of
/// the tables whose pages differ. `on_progress` is called after each chunk
/// of pages; `Break` stops early (the report says `cancelled`).
///
/// # Errors
/// As [`refusal`].
pub fn compare(
    a: &Database,
    b: &Database,
    force: bool,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<CompareReport, Error> {
    let signatures_differ = refusal(a, b, force)?;
    let size = a.page_size();
    let last = a.page_count().max(b.page_count());
    let mut report = CompareReport {
        a: a.path().display().to_string(),
        b: b.path().display().to_string(),
        page_size: size.bytes(),
        page_counts: [a.page_count(), b.page_count()],
        signatures_differ,
        headers: header_diffs(a, b),
        counts: PageCounts { pages: last, ..PageCounts::default() },
        pages: Vec::new(),
        tables: Vec::new(),
        cancelled: false,
    };
    // First pass: which page numbers are byte-for-byte identical (memcmp,
    // in parallel, a chunk at a time).
    const CHUNK: u32 = 8192;
    let mut differing: Vec<PageNumber> = Vec::new();
    let mut first = 1u32;
    while first <= last {
        let end = first.saturating_add(CHUNK - 1).min(last);
        let found: Vec<PageNumber> = (first..=end)
            .into_par_iter()
            .map(PageNumber)
            .filter(|&p| written(a, p) != written(b, p))
            .collect();
        differing.extend(found);
        let done = Progress { done: u64::from(end), total: u64::from(last) * 2 };
        if on_progress(done).is_break() {
            report.cancelled = true;
            return Ok(report);
        }
        first = end.saturating_add(1);
    }
    report.counts.identical = last - differing.len() as u32;
    if differing.is_empty() {
        let _ = on_progress(Progress { done: u64::from(last) * 2, total: u64::from(last) * 2 });
        return Ok(report);
    }
    // Second pass, only when something differs: where does A have each
    // content? (The first page with it; all-zero pages are not content.)
    let prints: Vec<(u32, PageNumber)> = a
        .page_numbers()
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|p| written(a, p).map(|bytes| (fingerprint(bytes, size), p)))
        .collect();
    let mut in_a: HashMap<u32, PageNumber> = HashMap::with_capacity(prints.len());
    for (print, pgno) in prints {
        in_a.entry(print).or_insert(pgno);
    }
    if on_progress(Progress { done: u64::from(last) * 2 - 1, total: u64::from(last) * 2 }).is_break() {
        report.cancelled = true;
        return Ok(report);
    }
    let (catalog_a, catalog_b) = (Catalog::read(a), Catalog::read(b));
    for pgno in differing {
        let (x, y) = (written(a, pgno), written(b, pgno));
        let moved_from = |bytes: &[u8]| {
            in_a.get(&fingerprint(bytes, size))
                .copied()
                .filter(|&q| q != pgno)
                .filter(|&q| written(a, q).is_some_and(|c| same_content(c, bytes, size)))
        };
        let change = match (x, y) {
            (None, None) => continue,
            (Some(_), None) => PageChange::OnlyInA,
            (None, Some(new)) => {
                moved_from(new).map_or(PageChange::OnlyInB, |from| PageChange::Moved { from })
            }
            (Some(old), Some(new)) if same_content(old, new, size) => PageChange::ChecksumOnly,
            (Some(_), Some(new)) => {
                moved_from(new).map_or(PageChange::Changed, |from| PageChange::Moved { from })
            }
        };
        let counter = match change {
            PageChange::Changed => &mut report.counts.changed,
            PageChange::ChecksumOnly => &mut report.counts.checksum_only,
            PageChange::Moved { .. } => &mut report.counts.moved,
            PageChange::OnlyInA => &mut report.counts.only_in_a,
            PageChange::OnlyInB => &mut report.counts.only_in_b,
        };
        *counter += 1;
        let a_side = x.map(|bytes| side(a, &catalog_a, pgno, bytes));
        let b_side = y.map(|bytes| side(b, &catalog_b, pgno, bytes));
        let newer = match (&a_side, &b_side) {
            (Some(p), Some(q)) => Some(match p.dbtime.cmp(&q.dbtime) {
                std::cmp::Ordering::Less => "b",
                std::cmp::Ordering::Greater => "a",
                std::cmp::Ordering::Equal => "same",
            }),
            _ => None,
        };
        report.pages.push(PageDiff { pgno, change, a: a_side, b: b_side, newer });
    }
    let mut objids: Vec<u32> = Vec::new();
    for diff in &report.pages {
        objids.extend(diff.a.iter().chain(diff.b.iter()).map(|s| s.objid_fdp));
    }
    objids.sort_unstable();
    objids.dedup();
    report.tables = compare_tables(a, &catalog_a, b, &catalog_b, &objids);
    let _ = on_progress(Progress { done: u64::from(last) * 2, total: u64::from(last) * 2 });
    Ok(report)
}

/// The same content, checksum bytes aside (what the fingerprint covers).
fn same_content(x: &[u8], y: &[u8], size: PageSize) -> bool {
    if size.is_large() {
        x.get(8..40) == y.get(8..40) && x.get(68..) == y.get(68..)
    } else {
        x.get(8..) == y.get(8..)
    }
}
