//! Tables for measuring record decoding: a wide table (thousands of tagged
//! columns, a few hundred set in each row, as in ntds.dit's datatable or a
//! Windows Search property store) and a narrow one with the same kinds of
//! values, so that the time per cell of the two can be compared
//! (`benches/record.rs`, `examples/wide_table.rs`, `scripts/bench.sh`).
//! Deterministic: the same arguments give the same rows.

use super::sample::SplitMix;
use super::schema::{ColumnDef, ColumnType, IndexDef, TableDef, Value};

/// The value of tagged column `k` in a row: the column's type follows
/// `k % 3` (Long, Text, Binary).
fn value(k: u32, rng: &mut SplitMix) -> Value {
    match k % 3 {
        0 => Value::Long(rng.next_u64() as i32),
        1 => Value::Text(format!("{} {}", rng.word(), rng.below(1000))),
        _ => Value::Binary((0..4 + rng.below(8)).map(|_| rng.below(256) as u8).collect()),
    }
}

fn column(k: u32) -> ColumnDef {
    let coltyp = match k % 3 {
        0 => ColumnType::LONG,
        1 => ColumnType::TEXT,
        _ => ColumnType::BINARY,
    };
    ColumnDef::new(&format!("attr{k:05}"), coltyp).tagged()
}

/// Table `name`: a Long key `Id` (1..=rows) and `columns` tagged columns,
/// of which `set` (at most `columns`), spread at random, hold a value in
/// each row; the rest are absent. Keep `set` at a few hundred on 32 KiB
/// pages, so that a record fits a page.
pub fn wide_table(name: &str, columns: u32, set: u32, rows: u32) -> TableDef {
    let mut rng = SplitMix::new(0x00DE_0000 ^ u64::from(columns));
    let mut defs = vec![ColumnDef::new("Id", ColumnType::LONG).not_null()];
    defs.extend((0..columns).map(column));
    let set = set.min(columns);
    let rows = (1..=rows)
        .map(|id| {
            let mut row = vec![Value::Null; columns as usize + 1];
            row[0] = Value::Long(id as i32);
            // `set` distinct columns: a random start and a random stride
            // coprime with `columns`
            let mut chosen = 0;
            let mut k = rng.below(u64::from(columns)) as u32;
            let stride = stride(columns, &mut rng);
            while chosen < set {
                row[k as usize + 1] = value(k, &mut rng);
                k = (k + stride) % columns;
                chosen += 1;
            }
            row
        })
        .collect();
    TableDef {
        name: name.into(),
        columns: defs,
        primary: IndexDef::new("PrimaryKey", &["Id"], true),
        indexes: vec![],
        rows,
    }
}

/// A step through `0..columns` that visits every column before repeating.
fn stride(columns: u32, rng: &mut SplitMix) -> u32 {
    loop {
        let s = 1 + rng.below(u64::from(columns.max(2) - 1)) as u32;
        if gcd(s, columns) == 1 {
            return s;
        }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_sets_exactly_the_asked_number_of_columns() {
        let table = wide_table("wide", 1000, 300, 5);
        assert_eq!(table.columns.len(), 1001);
        for row in &table.rows {
            assert_eq!(row.iter().skip(1).filter(|v| **v != Value::Null).count(), 300);
        }
    }
}
