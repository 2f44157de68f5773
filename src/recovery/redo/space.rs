//! Redo of the FDP and space records: CreateSingleExtentFDP and
//! CreateMultipleExtentFDP make a tree's pages anew, ConvertFDP2 rewrites
//! the root's space header and makes its OE and AE roots
//! ([`crate::recovery::fdp`] holds the pages themselves).

use super::{needs, stop, Redo};
use crate::format::txlog::record::Record;
use crate::format::types::le_u32;
use crate::format::DbTime;
use crate::recovery::fdp;
use crate::recovery::plan::{DbtimeVerdict, PlanEntry};
use crate::recovery::RecoveryError;
use crate::writer::page::PageImage;

/// Redoes an FDP record on the pages that need it: CreateSingleExtentFDP
/// and CreateMultipleExtentFDP make their pages anew, ConvertFDP2 rewrites
/// the root's space header and makes the OE and AE roots.
///
/// # Errors
/// The record is malformed, or a page does not build.
pub fn redo(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let size = cx.db.page_size();
    let pgno = le_u32(&record.bytes, 4).unwrap_or(0);
    let made: Vec<PageImage> = match entry.record_type.0 {
        25 => vec![fdp::create_single(record, size).map_err(|e| stop(entry, pgno, e))?],
        24 => fdp::create_multiple(record, size).map_err(|e| stop(entry, pgno, e))?,
        _ => {
            let c = fdp::Convert::parse(record).map_err(|e| stop(entry, pgno, e))?;
            let mut out = vec![c.owned_page(size), c.avail_page(size)];
            if needs(entry, "page") {
                let mut root = cx.image(pgno).map_err(|e| stop(entry, pgno, e))?;
                root.external_header = fdp::with_space_header(&root.external_header, &c.header());
                root.dbtime = DbTime(entry.dbtime_after);
                out.push(root);
            }
            out
        }
    };
    for page in made {
        let p = page.pgno.0;
        let redo = entry.pages.iter().any(|c| c.touch.pgno == p && c.verdict == DbtimeVerdict::NeedsRedo);
        if redo {
            cx.put(entry, &page)?;
        }
    }
    Ok(())
}
