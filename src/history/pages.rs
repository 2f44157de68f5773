//! The pages the history follows through the log, so that an operation
//! that names only its page and line (Delete, FlagDelete, Replace,
//! ReplaceD) can be given the row it changed. A page is known from the
//! moment its content is certain: the database's own page when its dbtime
//! is the record's dbtime before (the copy is older than the record), or a
//! page the log creates (NewPage). From there each single-page record is
//! applied as recovery applies it ([`crate::recovery::node_op`]), and its
//! dbtime followed; a record the history does not apply (splits, merges,
//! page moves, space changes) or a dbtime that does not follow makes its
//! pages unknown again, never guessed. Memory: one image per page known.

use std::collections::HashMap;

use crate::format::txlog::record::{Details, Record};
use crate::format::PageNumber;
use crate::recovery::node_op;
use crate::recovery::pages::{dbtime_after, touches};
use crate::store::Database;
use crate::writer::page::{NodeImage, PageImage};

/// What a node-level operation found on its line before and after.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// The node on the record's line before the operation.
    pub before: Option<NodeImage>,
    /// The node on the record's line after it.
    pub after: Option<NodeImage>,
}

/// The pages known so far.
#[derive(Debug, Default)]
pub struct Pages {
    known: HashMap<u32, PageImage>,
}

/// Single-page node records [`node_op::apply`] applies.
fn applied_here(code: u8) -> bool {
    matches!(code, 29..=35 | 37 | 38 | 93)
}

impl Pages {
    /// The page `pgno` as it is before `record`, known or seeded from the
    /// database when the database's page is at the record's dbtime before.
    fn page_before(&mut self, db: &Database, pgno: u32, dbtime_before: u64) -> Option<&mut PageImage> {
        let fits = self.known.get(&pgno).is_some_and(|p| p.dbtime.0 == dbtime_before);
        if !fits {
            self.known.remove(&pgno);
            let read = db.read_page(PageNumber(pgno)).ok()?;
            let page = read.page(db).ok()?;
            if page.header.dbtime_dirtied.0 != dbtime_before {
                return None;
            }
            let image = PageImage::from_page(&page).ok()?;
            self.known.insert(pgno, image);
        }
        self.known.get_mut(&pgno)
    }

    /// Follows `record` of the database: returns what its line held before
    /// and after, when the page is known.
    pub fn apply(&mut self, db: &Database, record: &Record) -> Lines {
        let code = record.record_type.0;
        let after = dbtime_after(record);
        if code == 95 {
            let image = node_op::new_page(record, db.page_size());
            self.known.insert(image.pgno.0, image);
            return Lines::default();
        }
        let Details::Page { pgno, dbtime_before: before, iline, .. } = record.details() else {
            return Lines::default();
        };
        if !applied_here(code) {
            for touch in touches(record) {
                self.known.remove(&touch.pgno);
            }
            return Lines::default();
        }
        let Some(page) = self.page_before(db, pgno, before) else {
            return Lines::default();
        };
        let line = usize::from(iline);
        let was = page.nodes.get(line).cloned();
        match node_op::apply(page, record) {
            Ok(_) => {
                page.dbtime = crate::format::DbTime(after);
                let now = page.nodes.get(line).cloned();
                let removed = code == 35;
                Lines { before: if code == 29 { None } else { was }, after: if removed { None } else { now } }
            }
            Err(_) => {
                self.known.remove(&pgno);
                Lines::default()
            }
        }
    }
}
