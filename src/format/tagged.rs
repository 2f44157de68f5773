//! Finding a record's tagged columns: the fields of its tagged area
//! matched with the table's tagged columns in one merge walk of the two
//! lists, each ordered as the engine orders the `TAGFLD` array (spec 10.4:
//! derived columns first, then by column id), so that the sort below is a
//! no-op on every record the engine wrote. The cost of a record is linear in its
//! tagged fields plus the table's columns, never their product, which is
//! what a table with thousands of tagged columns needs.
//!
//! A record from evidence may list its fields out of order or list a
//! column twice: the first field for a column is the one used, as a plain
//! search of the fields in stored order would find.

use super::record::{ColumnClass, TaggedField};
use super::FormatError;

/// The key both lists are ordered by: derived (template) columns first,
/// then column id.
type Key = (bool, u32);

fn key(id: u32, derived: bool) -> Key {
    (!derived, id)
}

/// A table's tagged columns, ordered for the merge walk.
#[derive(Debug, Clone, Default)]
pub struct TaggedColumns {
    /// (key, index of the column in the table's column list), by key; for
    /// equal keys, by column index.
    order: Vec<(Key, usize)>,
    /// How many columns the table has (the length of a lookup's answer).
    columns: usize,
}

impl TaggedColumns {
    /// The table's columns in their order: `(column id, derived)` of each.
    /// Columns whose id is not a tagged id (256 and up) are left out of
    /// the walk: they are never found in the tagged area.
    pub fn new(columns: impl IntoIterator<Item = (u32, bool)>) -> Self {
        let mut count = 0;
        let mut order: Vec<(Key, usize)> = columns
            .into_iter()
            .enumerate()
            .inspect(|_| count += 1)
            .filter(|(_, (id, _))| ColumnClass::of(*id) == ColumnClass::Tagged)
            .map(|(column, (id, derived))| (key(id, derived), column))
            .collect();
        // stable: columns with the same key stay in column order
        order.sort_by_key(|&(key, _)| key);
        Self { order, columns: count }
    }

    /// True when the table has the tagged column `id` (`derived`: from its template).
    pub fn knows(&self, id: u32, derived: bool) -> bool {
        let wanted = key(id, derived);
        self.order.binary_search_by_key(&wanted, |&(k, _)| k).is_ok()
    }

    /// For each column of the table, in column order, the index in
    /// `fields` of the first decodable field that holds it (`None`: the
    /// record does not list the column). Fields that could not be decoded
    /// are skipped.
    pub fn locate(&self, fields: &[Result<TaggedField<'_>, FormatError>]) -> Vec<Option<usize>> {
        let mut found: Vec<(Key, usize)> = fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().ok().map(|f| (key(f.id, f.derived), i)))
            .collect();
        if !found.is_sorted_by_key(|&(key, _)| key) {
            // stable: of two fields for one column the first stored stays first
            found.sort_by_key(|&(key, _)| key);
        }
        let mut slots = vec![None; self.columns];
        let mut next = found.iter().peekable();
        for &(key, column) in &self.order {
            while next.next_if(|&&(field, _)| field < key).is_some() {}
            if let Some(&&(field, index)) = next.peek() {
                if field == key {
                    if let Some(slot) = slots.get_mut(column) {
                        *slot = Some(index);
                    }
                }
            }
        }
        slots
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::format::record::{Cell, Record, TaggedLayout};

    fn field(id: u32, derived: bool, offset: usize) -> Result<TaggedField<'static>, FormatError> {
        Ok(TaggedField { id, derived, offset, cell: Cell::Null })
    }

    /// The plain lookup the merge walk replaces: for each column, the
    /// first decodable field with its id and derived flag.
    fn reference(
        columns: &[(u32, bool)],
        fields: &[Result<TaggedField<'_>, FormatError>],
    ) -> Vec<Option<usize>> {
        columns
            .iter()
            .map(|&(id, derived)| {
                if ColumnClass::of(id) != ColumnClass::Tagged {
                    return None;
                }
                fields.iter().position(|f| f.as_ref().is_ok_and(|f| f.id == id && f.derived == derived))
            })
            .collect()
    }

    #[test]
    fn finds_sorted_fields_and_leaves_the_rest_absent() {
        let columns = [(1, false), (256, false), (257, false), (300, true), (300, false), (128, false)];
        let fields = [field(256, false, 10), field(300, false, 20), field(300, true, 30)];
        let lookup = TaggedColumns::new(columns);
        assert_eq!(lookup.locate(&fields), [None, Some(0), None, Some(2), Some(1), None]);
    }

    #[test]
    fn the_first_of_two_fields_for_a_column_wins_even_out_of_order() {
        let columns = [(256, false), (260, false)];
        let fields = [
            field(260, false, 1),
            Err(FormatError::TaggedField { id: 256, offset: 0, len: 0 }),
            field(256, false, 2),
            field(260, false, 3),
        ];
        assert_eq!(TaggedColumns::new(columns).locate(&fields), [Some(2), Some(0)]);
    }

    fn arb_key() -> impl Strategy<Value = (u32, bool)> {
        // a narrow id range so that columns and fields meet often; ids
        // below 256 too, which the tagged area should never be searched for
        (prop_oneof![1 => 1u32..256, 8 => 256u32..300], any::<bool>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The merge walk finds what the plain search finds, on random
        /// column lists (duplicates included) and random field lists
        /// (unsorted, duplicated, with undecodable fields).
        #[test]
        fn merge_walk_matches_a_plain_search(
            columns in proptest::collection::vec(arb_key(), 0..40),
            raw in proptest::collection::vec((arb_key(), any::<bool>()), 0..40),
            sorted in any::<bool>(),
        ) {
            let mut raw = raw;
            if sorted {
                raw.sort_by_key(|&((id, derived), _)| key(id, derived));
            }
            let fields: Vec<_> = raw
                .iter()
                .enumerate()
                .map(|(i, &((id, derived), bad))| {
                    if bad {
                        Err(FormatError::TaggedField { id: id as u16, offset: i, len: 0 })
                    } else {
                        field(id, derived, i)
                    }
                })
                .collect();
            let lookup = TaggedColumns::new(columns.iter().copied());
            prop_assert_eq!(lookup.locate(&fields), reference(&columns, &fields));
        }

        /// The same on records: a tagged area built from random fields
        /// (any order, some derived, some repeated), and random bytes read
        /// in each of the three layouts.
        #[test]
        fn merge_walk_matches_a_plain_search_on_records(
            columns in proptest::collection::vec(arb_key(), 0..40),
            listed in proptest::collection::vec((256u16..300, any::<bool>(), 0usize..6), 1..30),
            noise in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let lookup = TaggedColumns::new(columns.iter().copied());
            // header: no fixed or variable column, tagged area at offset 4
            let mut record = vec![0u8, 127, 4, 0];
            let mut data = Vec::new();
            let start = 4 * listed.len();
            for &(fid, derived, len) in &listed {
                let ibw = (start + data.len()) as u16 | if derived { 0x8000 } else { 0 };
                record.extend_from_slice(&fid.to_le_bytes());
                record.extend_from_slice(&ibw.to_le_bytes());
                data.extend(std::iter::repeat_n(fid as u8, len));
            }
            record.extend_from_slice(&data);
            let parsed = Record::parse(&record, TaggedLayout::Small);
            prop_assert!(parsed.is_ok());
            if let Ok(parsed) = parsed {
                let fields = parsed.tagged();
                prop_assert_eq!(lookup.locate(&fields), reference(&columns, &fields));
            }
            let mut noisy = vec![0u8, 127, 4, 0];
            noisy.extend_from_slice(&noise);
            for layout in [TaggedLayout::Small, TaggedLayout::Large, TaggedLayout::Legacy] {
                if let Ok(parsed) = Record::parse(&noisy, layout) {
                    let fields = parsed.tagged();
                    prop_assert_eq!(lookup.locate(&fields), reference(&columns, &fields));
                }
            }
        }
    }
}
