//! Rows a table no longer shows but whose bytes are still in the file,
//! kept apart from its live rows and each marked with where it came from:
//! flag-deleted records of the table's own leaves, and the records of
//! leaves that carry the table's objidFDP but that its tree no longer
//! reaches (orphaned by a split caught half-way, a parent pointing
//! elsewhere, or freed pages whose content is intact). Such pages are read
//! only when their checksum matches (or the ECC corrects them).

use std::collections::HashSet;

use serde::Serialize;

use super::table::{Row, Table};
use crate::format::node::nodes;
use crate::format::page::PageFlags;
use crate::format::PageNumber;

/// Where a recovered row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A flag-deleted record on a leaf of the table's tree.
    FlagDeleted,
    /// A record of a leaf with the table's objidFDP that no tree reaches.
    OrphanPage {
        /// The page.
        pgno: PageNumber,
    },
}

impl Source {
    /// The `_source` value: `flag-deleted` or `orphan page N`.
    pub fn label(&self) -> String {
        match self {
            Self::FlagDeleted => "flag-deleted".into(),
            Self::OrphanPage { pgno } => format!("orphan page {pgno}"),
        }
    }
}

/// A recovered row.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveredRow {
    /// Where it came from.
    pub source: Source,
    /// The row (its page and tag say where its bytes are).
    pub row: Row,
}

impl Table<'_> {
    /// The rows of a dropped table (one from [`crate::store::catalog::Catalog::dropped_tables`]):
    /// every record its tree still reaches, each from an orphan page (no
    /// live tree reaches them), flag-deleted ones marked as such.
    pub fn dropped_rows(&self, mut on_row: impl FnMut(RecoveredRow)) {
        self.rows(true, |row| {
            let source =
                if row.deleted { Source::FlagDeleted } else { Source::OrphanPage { pgno: row.pgno } };
            on_row(RecoveredRow { source, row });
        });
    }

    /// Every recovered row of the table, flag-deleted ones first (in key
    /// order), then the records of orphaned leaves (in page order).
    pub fn recovered(&self, mut on_row: impl FnMut(RecoveredRow)) {
        let mut reached: HashSet<PageNumber> = HashSet::new();
        let walk = self.rows(true, |row| {
            if row.deleted {
                on_row(RecoveredRow { source: Source::FlagDeleted, row });
            }
        });
        reached.extend(walk.pages.iter().map(|p| p.pgno));
        let objid = walk.objid;
        let db = self.db();
        for pgno in db.page_numbers() {
            if reached.contains(&pgno) {
                continue;
            }
            // Cheap test on the raw header before any checksum work.
            let Ok(raw) = db.page(pgno) else { continue };
            let flags = raw.header.flags;
            let other_tree = PageFlags(
                PageFlags::SPACE_TREE.0 | PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0 | PageFlags::EMPTY.0,
            );
            if raw.header.objid_fdp != objid
                || !flags.contains(PageFlags::LEAF)
                || flags.0 & other_tree.0 != 0
            {
                continue;
            }
            let Ok(read) = db.read_page(pgno) else { continue };
            let Ok(page) = read.page(db) else { continue };
            for node in nodes(&page).flatten() {
                let row = self.row(&page, &node);
                on_row(RecoveredRow { source: Source::OrphanPage { pgno }, row });
            }
        }
    }
}
