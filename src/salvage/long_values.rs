//! Rows that name a long value salvage could not keep whole: the column
//! that holds the lost LID is taken out of the row (its other columns are
//! kept byte for byte), so no row of the new file points at nothing, and
//! the row is listed with what it lost.

use std::collections::BTreeSet;

use crate::format::catalog::{CatalogEntry, ObjectKind};
use crate::format::record::{without_tagged_columns, Cell, Lid, Record, Stored, TaggedLayout};
use crate::writer::rebuild::RawEntry;

use super::RowDamage;

/// The LIDs a record's tagged columns name, with the column (id, derived).
fn separated(record: &Record<'_>) -> Vec<(u32, bool, Lid)> {
    let mut found = Vec::new();
    for field in record.tagged().into_iter().flatten() {
        let stored: Vec<Stored<'_>> = match field.cell {
            Cell::Single(s) => vec![s],
            Cell::Multi(all) => all,
            Cell::Absent | Cell::Null => Vec::new(),
        };
        for s in stored {
            if let Stored::Separated(lid) = s {
                found.push((field.id, field.derived, lid));
            }
        }
    }
    found
}

/// Takes out of `rows` every tagged column that names a LID whose root is
/// not among `long_values` (the kept entries of the table's long-value
/// tree, or none when the table has no such tree); returns the rows changed.
pub(super) fn drop_dangling_references(
    table: &CatalogEntry,
    columns: &[CatalogEntry],
    rows: &mut [RawEntry<'_>],
    long_values: &[RawEntry<'_>],
    layout: TaggedLayout,
) -> Vec<RowDamage> {
    let roots: BTreeSet<&[u8]> = long_values.iter().map(|e| e.key.as_slice()).collect();
    let column_name = |id: u32, derived: bool| {
        columns
            .iter()
            .find(|c| c.kind == ObjectKind::Column && c.objid_table == table.id && c.id == id && !derived)
            .map_or_else(|| format!("{id}{}", if derived { " (template)" } else { "" }), |c| c.name.clone())
    };
    let mut damaged = Vec::new();
    for row in rows.iter_mut() {
        let Ok(record) = Record::parse(&row.data, layout) else { continue };
        let lost: Vec<(u32, bool, Lid)> = separated(&record)
            .into_iter()
            .filter(|(_, _, lid)| !roots.contains(lid.key().as_slice()))
            .collect();
        if lost.is_empty() {
            continue;
        }
        let gone = |id: u32, derived: bool| lost.iter().any(|&(i, d, _)| i == id && d == derived);
        let Ok(Some(data)) = without_tagged_columns(&row.data, layout, gone) else { continue };
        let problems = lost
            .iter()
            .map(|&(id, derived, lid)| {
                format!(
                    "column {}: long value {lid} was lost (not in the long-value tree, or a chunk of it was on a page that cannot be read); the column is left out of the row",
                    column_name(id, derived)
                )
            })
            .collect();
        damaged.push(RowDamage { table: table.name.clone(), key: hex::encode(&row.key), problems });
        row.data = data.into();
    }
    damaged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: ObjectKind, objid_table: u32, id: u32, name: &str) -> CatalogEntry {
        CatalogEntry {
            objid_table,
            kind,
            id,
            coltyp_or_pgno_fdp: 0,
            space_usage: 0,
            flags: 0,
            pages_or_locale: 0,
            record_offset: None,
            lv_chunk_max: None,
            name: name.into(),
            template_table: None,
            default_value: None,
            key_segments: Vec::new(),
        }
    }

    /// A record with no fixed or variable column and two tagged ones:
    /// 256 separated (LID `lid`), 257 plain "v".
    fn record(lid: u32) -> Vec<u8> {
        let mut r = vec![0u8, 127, 4, 0];
        r.extend_from_slice(&256u16.to_le_bytes());
        r.extend_from_slice(&(8u16 | 0x4000).to_le_bytes());
        r.extend_from_slice(&257u16.to_le_bytes());
        r.extend_from_slice(&(13u16).to_le_bytes());
        r.push(0x04);
        r.extend_from_slice(&lid.to_le_bytes());
        r.push(b'v');
        r
    }

    #[test]
    fn only_the_column_of_a_lost_long_value_is_taken_out() {
        let table = entry(ObjectKind::Table, 9, 9, "t");
        let columns = [entry(ObjectKind::Column, 9, 256, "blob"), entry(ObjectKind::Column, 9, 257, "name")];
        let mut rows = vec![RawEntry::new(vec![1], record(5)), RawEntry::new(vec![2], record(6))];
        let kept_lv = [RawEntry::new(5u32.to_be_bytes().to_vec(), vec![0; 8])];
        let damaged = drop_dangling_references(&table, &columns, &mut rows, &kept_lv, TaggedLayout::Small);
        assert_eq!(rows[0].data, record(5), "a row whose long value was kept is unchanged");
        assert_eq!(damaged.len(), 1);
        assert_eq!(damaged[0].key, "02");
        assert!(damaged[0].problems[0].starts_with("column blob: long value LID 0x6 was lost"));
        let rec = Record::parse(&rows[1].data, TaggedLayout::Small).unwrap();
        let left: Vec<u32> = rec.tagged().into_iter().map(|f| f.unwrap().id).collect();
        assert_eq!(left, [257]);
        assert_eq!(rec.tagged_column(257, false).unwrap(), Cell::Single(Stored::Intrinsic(b"v")));
    }
}
