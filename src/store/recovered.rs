//! Rows a table no longer shows but whose bytes are still in the file,
//! kept apart from its live rows and each marked with where it came from:
//! flag-deleted records of the table's own leaves, and the records of
//! leaves that carry the table's objidFDP but that its tree no longer
//! reaches (orphaned by a split caught half-way, a parent pointing
//! elsewhere, or freed pages whose content is intact), and record
//! remnants carved from the slack of every page with the table's objidFDP
//! (see [`super::slack`]). Such pages are read only when their checksum
//! matches (or the ECC corrects them). A remnant identical (same key, same
//! values) to a live row or to a row already recovered is a stale copy
//! (a row moved by a split or a reorganisation), not reported.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::slack::Remnant;
use super::table::{Row, Table};
use crate::format::node::nodes;
use crate::format::page::PageFlags;
use crate::format::value::Value;
use crate::format::{ObjectId, PageNumber};

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
    /// A record remnant in the slack of a page of the table.
    Slack {
        /// The page.
        pgno: PageNumber,
        /// Page offset of the remnant's node (its key sizes).
        offset: usize,
    },
}

impl Source {
    /// The `_source` value: `flag-deleted`, `orphan page N` or `slack
    /// page N offset 0xX` (the page offset as the hex view shows it).
    pub fn label(&self) -> String {
        match self {
            Self::FlagDeleted => "flag-deleted".into(),
            Self::OrphanPage { pgno } => format!("orphan page {pgno}"),
            Self::Slack { pgno, offset } => format!("slack page {pgno} offset {offset:#x}"),
        }
    }

    /// The page offset of a slack remnant.
    pub fn slack_offset(&self) -> Option<usize> {
        match self {
            Self::Slack { offset, .. } => Some(*offset),
            _ => None,
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
        let walk = self.rows(true, |row| {
            let source =
                if row.deleted { Source::FlagDeleted } else { Source::OrphanPage { pgno: row.pgno } };
            on_row(RecoveredRow { source, row });
        });
        self.slack_rows(walk.objid, &[], on_row);
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
        let mut orphans = Vec::new();
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
            orphans.push(pgno);
            for node in nodes(&page).flatten() {
                let row = self.row(&page, &node);
                on_row(RecoveredRow { source: Source::OrphanPage { pgno }, row });
            }
        }
        self.slack_rows(objid, &orphans, on_row);
    }

    /// The record remnants in the slack of every readable page with the
    /// table's objidFDP that is no page of its space, index or long-value
    /// trees (leaves, internal pages, emptied and freed pages), in page
    /// order; those identical to a row of the tree or of the `orphans`
    /// pages, or to an earlier remnant (see [`same_values`]), left out.
    fn slack_rows(&self, objid: ObjectId, orphans: &[PageNumber], mut on_row: impl FnMut(RecoveredRow)) {
        let db = self.db();
        let other_tree = PageFlags::SPACE_TREE.0 | PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0;
        let mut found: Vec<(PageNumber, Remnant)> = Vec::new();
        for pgno in db.page_numbers() {
            let Ok(raw) = db.page(pgno) else { continue };
            if raw.header.objid_fdp != objid || raw.header.flags.0 & other_tree != 0 {
                continue;
            }
            let Ok(read) = db.read_page(pgno) else { continue };
            let Ok(page) = read.page(db) else { continue };
            found.extend(self.carve(&page).into_iter().map(|r| (pgno, r)));
        }
        if found.is_empty() {
            return;
        }
        // the rows already known under the remnants' keys
        let keys: HashSet<&[u8]> = found.iter().map(|(_, r)| r.key.as_slice()).collect();
        let mut known: HashMap<Vec<u8>, Vec<Vec<Value>>> = HashMap::new();
        let mut note = |page: &crate::format::page::Page<'_>, node: &crate::format::node::Node<'_>| {
            if keys.contains(node.key.as_slice()) {
                known.entry(node.key.clone()).or_default().push(self.row(page, node).values);
            }
        };
        self.walk_nodes(&mut note);
        for &pgno in orphans {
            let Ok(read) = db.read_page(pgno) else { continue };
            let Ok(page) = read.page(db) else { continue };
            for node in nodes(&page).flatten() {
                note(&page, &node);
            }
        }
        for (pgno, remnant) in found {
            let seen = known.entry(remnant.key).or_default();
            if seen.iter().any(|values| same_values(values, &remnant.row.values)) {
                continue;
            }
            seen.push(remnant.row.values.clone());
            on_row(RecoveredRow { source: Source::Slack { pgno, offset: remnant.offset }, row: remnant.row });
        }
    }
}

/// True when two rows hold the same values, a text or binary value that
/// is the start of the other's counting as the same: where a remnant ends
/// is a guess, so a stale copy of a row may come out a little short.
fn same_values(known: &[Value], remnant: &[Value]) -> bool {
    known.len() == remnant.len()
        && known.iter().zip(remnant).all(|(a, b)| match (a, b) {
            (Value::Binary(a), Value::Binary(b)) => a.starts_with(b) || b.starts_with(a),
            (Value::Text(a), Value::Text(b)) => a.starts_with(b.as_str()) || b.starts_with(a.as_str()),
            (a, b) => a == b,
        })
}
