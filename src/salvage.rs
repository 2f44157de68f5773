//! Salvage: a sound database out of a damaged one when there is no clean
//! copy (eseutil /p's job, but saying exactly what was lost). Every tree
//! the catalog lists is read with the shared walk (pages read corrected
//! where the ECC locates a flipped bit, pages of other trees skipped), its
//! readable leaf entries are kept byte for byte, and the writer builds new
//! trees from them ([`crate::writer::rebuild`]). The catalog comes from
//! `MSysObjects`, with rows from its shadow where it is damaged; each
//! catalog row's root page number is set to where its tree now is.
//!
//! Secondary-index entries are kept only when the row they point at was
//! kept; the ones that point at lost rows name those rows' primary keys,
//! which is how the report counts the lost rows of a table whose lost leaf
//! cannot say how many it had. Long values whose chunks were on a lost page
//! are dropped whole, and the rows of the output that still name one are
//! listed. The new file is written through a temporary file, synced and
//! renamed; the input is only read.

mod bridge;
mod collect;
mod long_values;
mod meter;
mod output;
mod regenerate;
mod tables;

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;

use serde::Serialize;

use crate::finding::Finding;
use crate::format::catalog::{parse_row, ObjectKind};
use crate::format::record::TaggedLayout;
use crate::format::LogTime;
use crate::scan::Progress;
use crate::store::catalog::{Catalog, CATALOG_ROOT, SHADOW_ROOT};
use crate::store::Database;
use crate::writer::page::{LeafEntry, NodeImage};
use crate::Error;

use collect::{collect, sort_entries};

/// SHA-256 of a file.
#[derive(Debug, Clone, Serialize)]
pub struct FileDigest {
    /// The path.
    pub path: String,
    /// Lowercase hex.
    pub sha256: String,
}

/// A page a tree points at that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadablePage {
    /// The tree (`table people`, `index ByName of table people`...).
    pub tree: String,
    /// The page.
    pub pgno: u32,
    /// The page that points at it (none for a root).
    pub parent: Option<u32>,
    /// `leaf` or `internal (a subtree)`, as the parent says; for a lost
    /// root, which no parent describes, `leaf or internal`; for a page only
    /// the leaf chain names, `leaf (named by the leaf chain ...)`.
    pub level: String,
    /// Lowest key its entries could have, hex (empty: no bound).
    pub lower_key: String,
    /// Key its entries sort below, hex (empty: no bound).
    pub upper_key: String,
    /// Lines its own unverified header claims (a hint, not a fact).
    pub claimed_lines: Option<u16>,
    /// Why it could not be read: checksum verdict, all zero, not in the file.
    pub why: String,
}

/// A page a tree points at that belongs to another tree.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignPage {
    /// The tree pointing at it.
    pub tree: String,
    /// The page.
    pub pgno: u32,
    /// The objidFDP the page carries.
    pub objid_fdp: u32,
}

/// One table: rows kept and lost.
#[derive(Debug, Clone, Serialize)]
pub struct TableSalvage {
    /// The table's name (from the evidence; rendered escaped).
    pub name: String,
    /// Its objid.
    pub objid: u32,
    /// Rows written to the new file (recovered ones included).
    pub rows_kept: u64,
    /// Rows lost: exact when `rows_lost_exact`, otherwise the best lower
    /// bound or estimate `lost_evidence` describes.
    pub rows_lost: u64,
    /// Whether `rows_lost` is the exact count.
    pub rows_lost_exact: bool,
    /// Where the lost count comes from.
    pub lost_evidence: String,
    /// Primary keys (hex) of the lost rows that an index still names.
    pub lost_keys: Vec<String>,
    /// Lost leaf pages whose rows nothing counts (no index names them and
    /// their header cannot be read): `rows_lost` leaves them out.
    pub uncounted_leaves: u64,
    /// Rows taken from the recovered sources (`--include-recovered`).
    pub rows_recovered: u64,
}

/// One secondary index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexSalvage {
    /// The table.
    pub table: String,
    /// The index.
    pub index: String,
    /// Entries written.
    pub entries_kept: u64,
    /// Entries dropped because the row they point at was lost.
    pub entries_dropped: u64,
    /// Of the entries kept, those made again from their rows' values (the
    /// page that held them was lost; the key could be computed exactly).
    pub entries_regenerated: u64,
    /// False when pages of the index could not be read (or recovered rows
    /// have no entry): then `missing_entries` surviving rows have none.
    pub complete: bool,
    /// Surviving rows without an entry, when the index is incomplete.
    pub missing_entries: u64,
}

/// A long value the new file does not have.
#[derive(Debug, Clone, Serialize)]
pub struct LostLongValue {
    /// The table.
    pub table: String,
    /// Its LID, hex.
    pub lid: String,
}

/// A row of the new file one of whose values cannot be read (a long value
/// that was lost, say).
#[derive(Debug, Clone, Serialize)]
pub struct RowDamage {
    /// The table.
    pub table: String,
    /// The row's primary key, hex.
    pub key: String,
    /// What cannot be read.
    pub problems: Vec<String>,
}

/// Everything salvage did and lost.
#[derive(Debug, Clone, Serialize)]
pub struct SalvageReport {
    /// The damaged file (only read).
    pub input: FileDigest,
    /// The copy pages were taken from (`--from`).
    pub from: Option<FileDigest>,
    /// The file written (none when cancelled or nothing could be written).
    pub output: Option<FileDigest>,
    /// Where the catalog came from.
    pub catalog_source: String,
    /// Catalog rows read (from either copy).
    pub catalog_rows: u64,
    /// Every table.
    pub tables: Vec<TableSalvage>,
    /// Every page a tree needed that could not be read.
    pub unreadable_pages: Vec<UnreadablePage>,
    /// Pages read through a corrected bit: (tree, page).
    pub corrected_pages: Vec<(String, u32)>,
    /// Leaves under a lost internal page that were read along the leaf
    /// chain instead: (tree, page).
    pub bridged_pages: Vec<(String, u32)>,
    /// Pages of other trees that a tree points at.
    pub foreign_pages: Vec<ForeignPage>,
    /// Pages taken from the copy (`--from`).
    pub pages_from_copy: Vec<u32>,
    /// Every secondary index.
    pub indexes: Vec<IndexSalvage>,
    /// Long values dropped because chunks of them were on a lost page.
    pub long_values_lost: Vec<LostLongValue>,
    /// Rows of the new file whose values cannot all be read.
    pub rows_with_lost_values: Vec<RowDamage>,
    /// What the reader of the new file should know that is not a loss
    /// (an input in dirty shutdown, say).
    pub notes: Vec<String>,
    /// Catalog rows whose root page could not be set, and why.
    pub catalog_notes: Vec<String>,
    /// Header fields of the new file changed from the input's header.
    pub header_fields: Vec<String>,
    /// `verify --trees` of the new file: its findings (warnings and errors).
    pub verify_after: Vec<Finding>,
    /// True when the job was cancelled (then no file was written).
    pub cancelled: bool,
}

impl SalvageReport {
    /// Rows lost in every table (exact or lower bound).
    pub fn rows_lost(&self) -> u64 {
        self.tables.iter().map(|t| t.rows_lost).sum()
    }

    /// True when nothing was lost (pages that could not be read may have
    /// cost nothing: an internal page whose leaves the chain reached) and
    /// the new file verifies.
    pub fn is_clean(&self) -> bool {
        self.output.is_some()
            && self.rows_lost() == 0
            && self.tables.iter().all(|t| t.rows_lost_exact)
            && self.catalog_notes.is_empty()
            && self.long_values_lost.is_empty()
            && self.rows_with_lost_values.is_empty()
            && self.indexes.iter().all(|i| i.complete)
            && self.verify_after.is_empty()
    }
}

/// What to salvage with.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// A copy of the same database whose pages replace unreadable ones.
    pub from: Option<&'a Database>,
    /// Also write the rows of the recovered sources (flag-deleted records,
    /// orphaned leaves) into their tables.
    pub include_recovered: bool,
    /// The time written as the header's repair time.
    pub now: LogTime,
}

/// The catalog records read from `MSysObjects` (or its shadow), sorted.
struct CatalogRecords {
    records: Vec<NodeImage>,
    source: String,
    legacy: bool,
}

fn catalog_records(
    db: &Database,
    names: &Catalog,
    report: &mut SalvageReport,
    meter: &mut meter::Meter<'_>,
) -> CatalogRecords {
    let name_of = |o: crate::format::ObjectId| names.object_name(o.0);
    let mut main = collect(db, (CATALOG_ROOT, 2), &name_of, meter);
    let mut records: Vec<NodeImage> =
        std::mem::take(&mut main.entries).into_iter().map(LeafEntry::into_node).collect();
    let legacy = main.legacy;
    let mut source = "MSysObjects".to_string();
    report.corrected_pages.extend(main.walk.corrected.iter().map(|p| ("table MSysObjects".into(), p.0)));
    if !main.whole() || records.is_empty() {
        report.unreadable_pages.extend(collect::unreadable("table MSysObjects", &main.walk));
        report.foreign_pages.extend(collect::foreign("table MSysObjects", &main.walk));
        let mut shadow = collect(db, (SHADOW_ROOT, 3), &name_of, meter);
        let have: BTreeSet<Vec<u8>> = records.iter().map(|r| r.key.clone()).collect();
        let added: Vec<NodeImage> = std::mem::take(&mut shadow.entries)
            .into_iter()
            .filter(|e| !have.contains(&e.key))
            .map(LeafEntry::into_node)
            .collect();
        source = format!(
            "MSysObjects (root page {CATALOG_ROOT}) is damaged: {} rows read from it, {} more from its shadow MSysObjectsShadow (root page {SHADOW_ROOT})",
            records.len(),
            added.len()
        );
        records.extend(added);
        if !shadow.whole() {
            report.unreadable_pages.extend(collect::unreadable("table MSysObjectsShadow", &shadow.walk));
            report.catalog_notes.push(
                "both MSysObjects and its shadow have pages that cannot be read: catalog rows on both may be lost, and with them whole tables".into(),
            );
        }
    }
    sort_entries(&mut records, false);
    CatalogRecords { records, source, legacy }
}

/// Salvages `db` into the new file `out`. A `Break` from `on_progress`
/// stops the job and leaves no file.
///
/// # Errors
/// `out` exists; the input has no valid header; the copy is of another
/// database; the writer cannot lay out what was read; writing fails.
pub fn salvage(
    db: &Database,
    out: &Path,
    options: Options<'_>,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<SalvageReport, Error> {
    if out.symlink_metadata().is_ok() {
        return Err(Error::OutputExists { path: out.to_path_buf() });
    }
    let Some(header) = db.header() else {
        return Err(Error::NotDatabase {
            path: db.path().to_path_buf(),
            reason: "neither header copy is valid, so the new file has no header to start from".into(),
        });
    };
    if let Some(copy) = options.from {
        if copy.header().map(|c| c.sign_db) != Some(header.sign_db) || copy.page_size() != db.page_size() {
            return Err(Error::NotDatabase {
                path: copy.path().to_path_buf(),
                reason: "is not a copy of the same database (its signDb or page size differs), so no page is taken from it".into(),
            });
        }
    }
    // the input's digest on another core while the trees are read
    // (given up when the job ends without a new file: a cancel or an error)
    let give_up = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let digest = scope.spawn(|| db.sha256_until(&give_up));
        let result = salvage_with(db, out, options, &mut on_progress);
        if result.as_ref().map_or(true, |r| r.cancelled) {
            give_up.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let sha256 = digest.join().map_err(|_| Error::NotDatabase {
            path: db.path().to_path_buf(),
            reason: "the SHA-256 of the input could not be computed".into(),
        })??;
        result.map(|mut report| {
            report.input.sha256 = sha256.unwrap_or_default();
            report
        })
    })
}

/// [`salvage`] but for the input's digest (filled in by the caller).
fn salvage_with(
    db: &Database,
    out: &Path,
    options: Options<'_>,
    mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<SalvageReport, Error> {
    let Some(header) = db.header() else {
        return Err(Error::NotDatabase {
            path: db.path().to_path_buf(),
            reason: "neither header copy is valid, so the new file has no header to start from".into(),
        });
    };
    let mut report = SalvageReport {
        input: FileDigest { path: db.path().display().to_string(), sha256: String::new() },
        from: options
            .from
            .map(|c| c.sha256().map(|sha256| FileDigest { path: c.path().display().to_string(), sha256 }))
            .transpose()?,
        output: None,
        catalog_source: String::new(),
        catalog_rows: 0,
        tables: Vec::new(),
        unreadable_pages: Vec::new(),
        corrected_pages: Vec::new(),
        foreign_pages: Vec::new(),
        bridged_pages: Vec::new(),
        pages_from_copy: Vec::new(),
        indexes: Vec::new(),
        long_values_lost: Vec::new(),
        rows_with_lost_values: Vec::new(),
        notes: Vec::new(),
        catalog_notes: Vec::new(),
        header_fields: Vec::new(),
        verify_after: Vec::new(),
        cancelled: false,
    };
    if header.state != crate::format::header::DbState::CLEAN_SHUTDOWN {
        report.notes.push(format!(
            "the input is in {}: changes still only in its transaction logs are not in the new file; replaying the logs first (esescope recover) keeps them",
            header.state
        ));
    }
    // With a copy: the unreadable pages the copy has in good shape are
    // taken from it, and the trees are read from the patched image.
    let patched = match options.from {
        Some(copy) => output::patch_from_copy(db, copy, &mut report.pages_from_copy)?,
        None => None,
    };
    let source = patched.as_ref().unwrap_or(db);
    let names = Catalog::read(source);
    let mut meter = meter::Meter::new(source.page_count() as u64, &mut on_progress);
    let catalog = catalog_records(source, &names, &mut report, &mut meter);
    if meter.cancelled {
        report.cancelled = true;
        return Ok(report);
    }
    report.catalog_source = catalog.source;
    let layout = TaggedLayout::for_page(source.page_size().is_large(), !catalog.legacy);
    // rows that do not decode are left out (and counted)
    let (records, entries): (Vec<NodeImage>, Vec<_>) = catalog
        .records
        .clone()
        .into_iter()
        .filter_map(|r| parse_row(&r.data, layout).map(|e| (r, e)))
        .unzip();
    report.catalog_rows = records.len() as u64;
    let undecoded = catalog.records.len() - records.len();
    if !entries.iter().any(|e| e.kind == ObjectKind::Table) && undecoded > 0 {
        // a new file without a table would verify as damaged and hold nothing
        return Err(Error::NotDatabase {
            path: db.path().to_path_buf(),
            reason: format!(
                "none of its {undecoded} catalog rows can be decoded (a layout esescope does not read), so there is no table to salvage"
            ),
        });
    }
    if undecoded > 0 {
        report
            .catalog_notes
            .push(format!("{undecoded} catalog rows could not be decoded and are not in the new file"));
    }
    let input = tables::CatalogInput { records: &records, entries: &entries, legacy: catalog.legacy };
    // the pages go to the new file as the writer builds them
    let mut file = output::NewFile::create(out)?;
    let Some(built) =
        tables::rebuild(source, &names, &input, options, &mut report, &mut meter, &mut |slot, page| {
            file.put(slot * page.len() as u64, page)
        })?
    else {
        report.cancelled = meter.cancelled;
        return Ok(report);
    };
    // the records were taken from the map as the pages were written: a
    // file that shrank meanwhile gave zeros for what it lost
    source.check_size()?;
    let (header_page, fields) = output::header_page(db, &built.header, options.now)?;
    report.header_fields = fields;
    let size = header_page.len() as u64;
    file.put(0, header_page.clone())?;
    file.put(size, header_page)?;
    let written = file.finish((u64::from(built.pages) + 2) * size, &mut || {
        if meter.after_reading(0) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if written.is_none() {
        report.cancelled = true;
        return Ok(report);
    }
    let after = Database::open(out)?;
    report.output = Some(FileDigest { path: out.display().to_string(), sha256: after.sha256()? });
    meter.after_reading(1);
    tables::check_output(&after, &mut report);
    meter.after_reading(2);
    Ok(report)
}
