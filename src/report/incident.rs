//! The incident report: everything an administrator needs to decide what
//! to do about a damaged database, as one document — file identity, both
//! headers, the verify result, each bad page with its checksum analysis,
//! neighbours and tree, and the recovery options that apply.

use std::ops::ControlFlow;

use serde::Serialize;

use super::header::HeaderReport;
use crate::format::header::DbState;
use crate::format::page::PageHeader;
use crate::format::verdict::{page_matches, PageCheck, Verdict};
use crate::format::{ObjectId, PageNumber};
use crate::scan::{self, Progress, VerifyReport};
use crate::store::Database;

/// What identifies the file examined.
#[derive(Debug, Clone, Serialize)]
pub struct FileIdentity {
    /// Absolute path (as given when it cannot be made absolute).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: String,
}

/// A neighbour link of a bad page and whether the neighbour links back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The neighbour named by the bad page (`pgnoPrev` or `pgnoNext`).
    pub pgno: PageNumber,
    /// Whether that neighbour's checksum is fine.
    pub neighbour_ok: bool,
    /// Whether it points back at the bad page (its `pgnoNext` or `pgnoPrev`).
    pub links_back: bool,
}

/// One damaged page with its context.
#[derive(Debug, Clone, Serialize)]
pub struct BadPage {
    /// File offset of the page.
    pub file_offset: u64,
    /// The checksum analysis.
    pub checksum: PageCheck,
    /// The tree it claims to belong to (`objidFDP`), from its own header.
    pub objid_fdp: ObjectId,
    /// That tree's name in the catalog, when the catalog knows it.
    pub tree_name: Option<String>,
    /// Tree kind from its flags (table, index, long value, space).
    pub tree_kind: &'static str,
    /// Page flags by name.
    pub flags: Vec<String>,
    /// dbtime of its last change, from its own header.
    pub dbtime: u64,
    /// Header fields holding the bit ECC located, with corrected values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flipped_fields: Vec<super::page::FlippedField>,
    /// Data-area bits ECC located: tag, record and column, stored and corrected values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flipped_data: Vec<super::page::FlippedData>,
    /// Previous sibling, when the page names one.
    pub prev: Option<Link>,
    /// Next sibling, when the page names one.
    pub next: Option<Link>,
}

/// A way out, and whether it applies here.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryOption {
    /// Short name.
    pub name: &'static str,
    /// Whether it applies to this database.
    pub applies: bool,
    /// Why, with the numbers.
    pub reason: String,
}

/// The whole incident report.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    /// esescope's name and version.
    pub tool: String,
    /// When the report was made (UTC).
    pub made_at: String,
    /// The file.
    pub file: FileIdentity,
    /// Both header copies, their differences and the elected values.
    pub header: HeaderReport,
    /// The checksum of every page.
    pub verify: VerifyReport,
    /// Each damaged page with its context.
    pub bad_pages: Vec<BadPage>,
    /// Recovery options, applicable or not.
    pub options: Vec<RecoveryOption>,
    /// The transaction log set, when one was given.
    pub logs: Option<crate::txlog::LogSet>,
}

impl IncidentReport {
    /// Examines `db`. Calls `on_progress` during the page scan; a `Break`
    /// stops the scan and the report says it was cancelled.
    pub fn build(db: &Database, on_progress: impl FnMut(Progress) -> ControlFlow<()>) -> Self {
        Self::build_with_logs(db, None, on_progress)
    }

    /// As [`IncidentReport::build`], with the log set the database's
    /// recovery would use: the chain verdict, the checkpoint position and
    /// which generations replay needs.
    pub fn build_with_logs(
        db: &Database,
        logs: Option<crate::txlog::LogSet>,
        on_progress: impl FnMut(Progress) -> ControlFlow<()>,
    ) -> Self {
        let mut verify = scan::verify(db, on_progress);
        // the tree findings of `verify --trees` belong in an incident report too
        verify.findings.extend(scan::trees::check_trees(db));
        // (check_trees begins with the catalog's own findings: an unreadable
        // catalog is damage the report shows)
        let catalog = crate::store::catalog::Catalog::read(db);
        let bad_pages = verify
            .bad_pages
            .iter()
            .map(|p| {
                let mut page = bad_page(db, p.file_offset, &p.check);
                page.tree_name = catalog.object_name(page.objid_fdp.0);
                page
            })
            .collect();
        let header = HeaderReport::build(db, true);
        let mut options = options(&header, &verify);
        if let (Some(set), Some(replay)) =
            (&logs, options.iter_mut().find(|o| o.name == "log replay (soft recovery)"))
        {
            replay.reason =
                format!("{}. Logs in {}: {}", replay.reason, set.dir.display(), set.recovery.summary);
            // replay cannot run while a generation it needs is missing
            if !set.recovery.missing.is_empty() {
                replay.applies = false;
                replay.reason.push_str("; replay cannot run until the missing generation(s) are found");
            }
        }
        Self {
            tool: format!("esescope {}", env!("CARGO_PKG_VERSION")),
            made_at: crate::repair::now().to_string(),
            file: FileIdentity {
                path: std::path::absolute(db.path())
                    .unwrap_or_else(|_| db.path().to_path_buf())
                    .display()
                    .to_string(),
                size: db.file_len(),
                sha256: db.sha256().unwrap_or_else(|e| format!("unavailable: {e}")),
            },
            header,
            verify,
            bad_pages,
            options,
            logs,
        }
    }
}

fn link(db: &Database, from: PageNumber, to: PageNumber, is_prev: bool) -> Option<Link> {
    if to.is_null() {
        return None;
    }
    let page = db.page(to).ok();
    let neighbour_ok = page.is_some_and(|p| page_matches(p.bytes, to, db.page_size()));
    let back = page.map(|p| if is_prev { p.header.next } else { p.header.prev });
    Some(Link { pgno: to, neighbour_ok, links_back: back == Some(from) })
}

fn bad_page(db: &Database, file_offset: u64, check: &PageCheck) -> BadPage {
    let header = db.page_bytes(check.pgno).ok().and_then(|b| PageHeader::parse(b, db.page_size()).ok());
    BadPage {
        file_offset,
        checksum: check.clone(),
        objid_fdp: header.map_or(ObjectId(0), |h| h.objid_fdp),
        tree_name: None,
        tree_kind: header.as_ref().map_or("unknown", |h| h.tree_kind()),
        flags: header.map(|h| h.flags.names()).unwrap_or_default(),
        dbtime: header.map_or(0, |h| h.dbtime_dirtied.0),
        flipped_fields: db
            .page_bytes(check.pgno)
            .map(|b| super::page::flipped_fields(b, db.page_size(), check))
            .unwrap_or_default(),
        flipped_data: db
            .page_bytes(check.pgno)
            .map(|b| super::page::flipped_data(db, check.pgno, b, check))
            .unwrap_or_default(),
        prev: header.and_then(|h| link(db, check.pgno, h.prev, true)),
        next: header.and_then(|h| link(db, check.pgno, h.next, false)),
    }
}

/// The recovery options an administrator has, per the -1018 practice:
/// fix single bits, patch pages from a good copy, replay the logs, restore,
/// and only as a last resort a repair that discards data.
fn options(header: &HeaderReport, verify: &VerifyReport) -> Vec<RecoveryOption> {
    let c = &verify.counts;
    let elected = header.header.as_ref();
    let dirty = elected.is_some_and(|h| {
        h.state == DbState::DIRTY_SHUTDOWN || h.state == DbState::DIRTY_AND_PATCHED_SHUTDOWN
    });
    let not_single_bit = c.wrong_page_number + c.uncorrectable;
    let stored_only = verify
        .bad_pages
        .iter()
        .filter(|p| matches!(&p.check.verdict, Verdict::Correctable { bits, .. } if bits.iter().all(|b| b.kind != crate::format::verdict::FlipKind::Data)))
        .count();
    let mut options = vec![
        RecoveryOption {
            name: "single-bit correction",
            applies: c.correctable > 0,
            reason: if c.correctable > 0 {
                format!(
                    "{} page(s) have one flipped bit per checksum block, located exactly ({} of them only in the \
                     stored checksum); flipping the bit back restores the page as written. The engine does this \
                     itself on read (event 399) when the bit is a data bit",
                    c.correctable, stored_only
                )
            } else {
                "no page has a single-bit error".to_string()
            },
        },
        RecoveryOption {
            name: "patch pages from a good copy",
            applies: not_single_bit > 0,
            reason: if not_single_bit > 0 {
                format!(
                    "{not_single_bit} page(s) cannot be corrected from their own bytes; the same pages from a backup \
                     or replica of this database (same signDb) can replace them if their checksums verify and their \
                     dbtime is not older than the log replay needs"
                )
            } else {
                "every damaged page (if any) is correctable on its own".to_string()
            },
        },
        RecoveryOption {
            name: "log replay (soft recovery)",
            applies: dirty,
            reason: match elected {
                Some(h) if dirty => format!(
                    "the database is in state {} and needs log generations {} to {} (lGenMinRequired to \
                     lGenMaxRequired) with the log signature of this database",
                    h.state, h.gen_min_required, h.gen_max_required
                ),
                Some(h) => format!("the database is in state {}; no replay is needed", h.state),
                None => "both header copies are damaged, so the required generations are unknown".to_string(),
            },
        },
    ];
    let damaged_header = header.copies.iter().any(|c| !c.valid);
    options.push(RecoveryOption {
        name: "restore from backup",
        applies: not_single_bit > 0 || damaged_header,
        reason: if not_single_bit > 0 || damaged_header {
            "pages or a header copy are damaged beyond single bits; a restore (then log replay up to the end of the \
             logs) loses nothing that the logs still hold"
                .to_string()
        } else {
            "not needed for the damage found".to_string()
        },
    });
    options.push(RecoveryOption {
        name: "hard repair (discards data)",
        applies: not_single_bit > 0,
        reason: if not_single_bit > 0 {
            "last resort when no good copy exists: a repair such as esentutl /p removes the damaged pages and what \
             they held; take a copy first"
                .to_string()
        } else {
            "not needed".to_string()
        },
    });
    options
}

impl IncidentReport {
    /// Writes the report as plain text: identity, options, verify, each bad
    /// page with its checksum analysis, then both headers field by field.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(out, "ESE database incident report ({}, file not modified)", self.tool)?;
        writeln!(out)?;
        // File and Size are the summary's first lines, below
        writeln!(out, "{:<22}{}", "Path:", self.file.path)?;
        writeln!(out, "{:<22}{}", "Made at:", self.made_at)?;
        writeln!(out, "{:<22}{}", "SHA-256:", self.file.sha256)?;
        writeln!(out)?;
        self.header.write_summary(out)?;
        writeln!(out)?;
        writeln!(out, "Recovery options")?;
        for option in &self.options {
            let applies = if option.applies { "yes" } else { "no " };
            writeln!(out, "  [{applies}] {}: {}", option.name, option.reason)?;
        }
        writeln!(out)?;
        self.verify.write_text(out)?;
        for page in &self.bad_pages {
            let check = &page.checksum;
            writeln!(out)?;
            writeln!(out, "Damaged page {} (file offset {:#x})", check.pgno, page.file_offset)?;
            writeln!(
                out,
                "  tree: objidFDP {} ({}; {} tree), flags {}",
                page.objid_fdp,
                page.tree_name.as_deref().unwrap_or("not in the catalog"),
                page.tree_kind,
                page.flags.join(" | ")
            )?;
            writeln!(out, "  dbtime: {:#x}", page.dbtime)?;
            for f in &page.flipped_fields {
                writeln!(
                    out,
                    "  the flipped bit (byte {:#x} bit {}) is in header field {}: stored {}, corrected {}",
                    f.byte_offset, f.bit, f.name, f.stored, f.corrected
                )?;
            }
            for f in &page.flipped_data {
                writeln!(out, "  {}", f.sentence())?;
            }
            for (name, link) in [("pgnoPrev", page.prev), ("pgnoNext", page.next)] {
                let text = link.map_or("none".to_string(), |l| {
                    let state = if l.neighbour_ok { "checksum ok" } else { "checksum bad" };
                    let back = if l.links_back { "links back" } else { "does not link back" };
                    format!("page {} ({state}, {back})", l.pgno)
                });
                writeln!(out, "  {name}: {text}")?;
            }
            super::page::write_checksum(out, check, page.file_offset)?;
        }
        if let Some(set) = &self.logs {
            writeln!(out)?;
            set.write_text(out)?;
        }
        writeln!(out)?;
        self.header.write_fields(out)
    }
}
