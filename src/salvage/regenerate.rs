//! Secondary-index entries of kept rows whose index page was lost, made
//! again from the rows' values. An entry is made only when its key can be
//! computed exactly (every segment a single value stored in the record,
//! none NULL, no Unicode text, short enough that no `KeyMost` cuts it, an
//! index with no flag whose effect on keys esescope does not reproduce) and
//! only when that key falls in a key range where the index lost pages: a
//! row whose key lies where the index was read whole had no entry in the
//! original either (a conditional or sparse index), and gets none.

use std::collections::BTreeSet;

use crate::format::catalog::CatalogEntry;
use crate::format::record::TaggedLayout;
use crate::store::table::Table;
use crate::writer::rebuild::RawEntry;

use super::collect::Collected;

/// IDB and IDX bits whose keys [`Table::index_key`] computes as the engine
/// does: Unique, the null-handling bits (NULL segments are never
/// regenerated), LocaleSet, template and derived, LocalizedText,
/// SortNullsHigh, DisallowTruncation, ExtendedColumns.
const KNOWN_FLAGS: u32 = 0x0001
    | 0x0002
    | 0x0004
    | 0x0008
    | 0x0010
    | 0x0040
    | 0x0100
    | 0x0200
    | 0x0400
    | 0x0800
    | 0x4000
    | 0x0001_0000;
/// Shorter than any index's `KeyMost`: such a key is never cut.
const NEVER_CUT: usize = 255;

/// The entries made again for `index`: one per kept row (`rows`: primary
/// key and record) that no kept entry (`kept`) names.
pub(super) fn entries(
    table: &Table<'_>,
    index: &CatalogEntry,
    collected: &Collected<'_>,
    rows: &[RawEntry<'_>],
    kept: &[RawEntry<'_>],
    (layout, non_unique): (TaggedLayout, bool),
) -> Vec<RawEntry<'static>> {
    if index.flags & !KNOWN_FLAGS != 0 || collected.lost_ranges.is_empty() {
        return Vec::new();
    }
    let named: BTreeSet<&[u8]> = kept.iter().map(|e| &*e.data).collect();
    let lost = |order: &[u8]| {
        collected
            .lost_ranges
            .iter()
            .any(|(lower, upper)| order >= lower.as_slice() && (upper.is_empty() || order < upper.as_slice()))
    };
    let taken: BTreeSet<&[u8]> = collected.entries.iter().map(|e| e.key.as_slice()).collect();
    let mut made = Vec::new();
    let mut keys_made: BTreeSet<Vec<u8>> = BTreeSet::new();
    for row in rows.iter().filter(|r| !named.contains(r.key.as_slice())) {
        let Some(key) = table.index_key(index, &row.data, layout) else { continue };
        if !key.complete || key.has_null || key.bytes.is_empty() || key.bytes.len() >= NEVER_CUT {
            continue;
        }
        let order = if non_unique { [key.bytes.as_slice(), &row.key].concat() } else { key.bytes.clone() };
        if !lost(&order) {
            continue;
        }
        // a unique index holds one entry per key: never a second
        if !non_unique && (taken.contains(key.bytes.as_slice()) || !keys_made.insert(key.bytes.clone())) {
            continue;
        }
        made.push(RawEntry::new(key.bytes, row.key.clone()));
    }
    made
}
