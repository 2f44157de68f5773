//! The key an index gives a record, computed from the record's stored
//! values (spec 11) as far as that can be done off Windows: slack carving
//! checks a remnant's key against its primary index with it, and salvage
//! makes the secondary-index entries of rows whose index page was lost.

use crate::format::catalog::CatalogEntry;
use crate::format::key::{segment, SegmentColumn};
use crate::format::record::{Cell, ColumnClass, Record, Stored, TaggedLayout};

use super::table::Table;

/// IDB flag: the primary index.
pub const IDB_PRIMARY: u32 = 0x0020;
/// IDB flag: NULL segments sort high.
const IDB_SORT_NULLS_HIGH: u32 = 0x0800;

/// A record's key under one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedKey {
    /// The normalized key: whole when `complete`, otherwise the segments
    /// before the first that could not be computed.
    pub bytes: Vec<u8>,
    /// Every segment was computed.
    pub complete: bool,
    /// A segment's value is NULL (whether such a record has an entry at
    /// all is the index's null flags' to say).
    pub has_null: bool,
}

impl Table<'_> {
    /// The key `index` (one of this table's, by its `KeyFldIDs`) gives
    /// `record`, laid out as `layout`; `None` when the record cannot be
    /// parsed. A segment is computed from a single value stored in the
    /// record (or the column's default); a separated, compressed or
    /// multi-valued value, Unicode text or a column the table lacks ends
    /// the computation there.
    pub fn index_key(
        &self,
        index: &CatalogEntry,
        record: &[u8],
        layout: TaggedLayout,
    ) -> Option<ComputedKey> {
        let parsed = Record::parse(record, layout).ok()?;
        let tagged = parsed.tagged();
        let nulls_high = index.flags & IDB_SORT_NULLS_HIGH != 0;
        let mut key = ComputedKey { bytes: Vec::new(), complete: true, has_null: false };
        for seg in &index.key_segments {
            let Some(column) = self.columns.iter().find(|c| c.id == seg.column) else {
                key.complete = false;
                break;
            };
            let cell = match column.class {
                ColumnClass::Fixed => parsed.fixed(column.id, column.offset, column.size),
                ColumnClass::Variable => parsed.variable(column.id),
                ColumnClass::Tagged => Ok(tagged
                    .iter()
                    .filter_map(|f| f.as_ref().ok())
                    .find(|f| f.id == column.id)
                    .map_or(Cell::Absent, |f| f.cell.clone())),
            };
            let raw = match cell {
                Ok(Cell::Absent) => column.default.as_deref(),
                Ok(Cell::Null) => None,
                Ok(Cell::Single(Stored::Intrinsic(bytes))) => Some(bytes),
                _ => {
                    key.complete = false;
                    break;
                }
            };
            key.has_null |= raw.is_none();
            let how = SegmentColumn {
                coltyp: column.coltyp,
                codepage: column.codepage,
                fixed: column.class == ColumnClass::Fixed,
            };
            match segment(how, raw, seg.descending, nulls_high) {
                Some(bytes) => key.bytes.extend_from_slice(&bytes),
                None => {
                    key.complete = false;
                    break;
                }
            }
        }
        Some(key)
    }

    /// The table's primary index, when it has one.
    pub fn primary_index(&self) -> Option<&CatalogEntry> {
        self.def.indexes.iter().find(|i| i.flags & IDB_PRIMARY != 0)
    }
}
