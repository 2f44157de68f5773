//! Random tables (random schemas, random rows, every page size) written and
//! read back three ways: through the crate's record reader
//! (`store::table`, `format::record`), which must give back the very
//! values written; through a small decoder written here from the spec
//! (section 10), which checks the stored bytes; and, for a few fixed seeds,
//! through dissect.esedb and pyesedb.

use std::collections::HashMap;

use esescope::format::{PageNumber, PageSize};
use esescope::store::catalog::Catalog;
use esescope::store::cursor::walk;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::key::stored_bytes;
use esescope::writer::sample::sample_header;
use esescope::writer::schema::{ColumnDef, ColumnType, IndexDef, TableDef, Value, WRITABLE_TYPES};
use proptest::prelude::*;

fn random_value(rng: &mut fastrand::Rng, column: &ColumnDef) -> Value {
    use ColumnType as T;
    if !column.not_null && rng.u8(..) < 40 {
        return Value::Null;
    }
    let text = |rng: &mut fastrand::Rng, len: usize| -> String {
        (0..len).map(|_| char::from(rng.u8(b' '..=b'~'))).collect()
    };
    match column.coltyp {
        T::BIT => Value::Bit(rng.bool()),
        T::UNSIGNED_BYTE => Value::UnsignedByte(rng.u8(..)),
        T::SHORT => Value::Short(rng.i16(..)),
        T::LONG => Value::Long(rng.i32(..)),
        T::CURRENCY => Value::Currency(rng.i64(..)),
        T::IEEE_SINGLE => Value::Single(rng.i32(-1_000_000..1_000_000) as f32 / 8.0),
        T::IEEE_DOUBLE => Value::Double(rng.i64(-1 << 40..1 << 40) as f64 / 16.0),
        T::DATE_TIME => Value::DateTime(rng.u32(..80_000) as f64 + 0.5),
        T::BINARY => Value::Binary((0..rng.usize(..40)).map(|_| rng.u8(..)).collect()),
        T::TEXT => {
            let len = rng.usize(..40);
            Value::Text(text(rng, len))
        }
        T::LONG_BINARY => {
            let len = if rng.u8(..) < 30 { rng.usize(1025..9000) } else { rng.usize(..300) };
            // 0x80.. bytes: libesedb takes a first byte of 0x08-0x3f for a compression header
            Value::Binary((0..len).map(|_| 0x80 | rng.u8(..)).collect())
        }
        T::LONG_TEXT => {
            let len = if rng.u8(..) < 30 { rng.usize(1025..3000) } else { rng.usize(..200) };
            Value::Text(text(rng, len))
        }
        T::UNSIGNED_LONG => Value::UnsignedLong(rng.u32(..)),
        T::LONG_LONG => Value::LongLong(rng.i64(..)),
        T::GUID => Value::Guid(std::array::from_fn(|_| rng.u8(..))),
        T::UNSIGNED_SHORT => Value::UnsignedShort(rng.u16(..)),
        T::UNSIGNED_LONG_LONG => Value::UnsignedLongLong(rng.u64(..)),
        _ => Value::Null,
    }
}

/// A random table: a key column (Long, LongLong, UnsignedLong or 1252 Text)
/// then up to 10 columns of any type, some tagged, text in 1252 or 1200;
/// sometimes a secondary index; up to `max_rows` rows.
pub fn random_table(rng: &mut fastrand::Rng, name: &str, max_rows: usize, with_u64: bool) -> TableDef {
    let key_type = [ColumnType::LONG, ColumnType::LONG_LONG, ColumnType::UNSIGNED_LONG, ColumnType::TEXT]
        [rng.usize(..4)];
    let mut columns = vec![ColumnDef::new("K", key_type).not_null()];
    let types: Vec<ColumnType> =
        WRITABLE_TYPES.into_iter().filter(|t| with_u64 || *t != ColumnType::UNSIGNED_LONG_LONG).collect();
    for i in 0..rng.usize(..10) {
        let coltyp = types[rng.usize(..types.len())];
        let mut column = ColumnDef::new(&format!("c{i}"), coltyp);
        column.tagged = coltyp.fixed_size().is_some() && rng.bool();
        if coltyp.is_text() && rng.bool() {
            column.code_page = 1200;
        }
        columns.push(column);
    }
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for _ in 0..rng.usize(..=max_rows) {
        let row: Vec<Value> = columns.iter().map(|c| random_value(rng, c)).collect();
        let key = format!("{:?}", row[0]).to_uppercase();
        if keys.insert(key) {
            rows.push(row);
        }
    }
    // A secondary index on a fixed, non-text column when there is one.
    let indexes = columns
        .iter()
        .skip(1)
        .find(|c| c.coltyp.fixed_size().is_some() && !c.tagged)
        .filter(|_| rng.bool())
        .map(|c| {
            vec![IndexDef {
                name: "Second".into(),
                segments: vec![(c.name.clone(), rng.bool())],
                unique: false,
            }]
        })
        .unwrap_or_default();
    TableDef { name: name.into(), columns, primary: IndexDef::new("Primary", &["K"], true), indexes, rows }
}

/// Column id → (type, code page, stored value) of one record, decoded per spec 10.
fn decode_record(
    record: &[u8],
    columns: &[(u32, ColumnType)],
    large: bool,
    lvs: &HashMap<u32, Vec<u8>>,
) -> HashMap<u32, Option<Vec<u8>>> {
    let u16_at = |at: usize| u16::from_le_bytes([record[at], record[at + 1]]);
    let fixed_last = u32::from(record[0]);
    let var_last = u32::from(record[1]);
    let end_of_fixed = usize::from(u16_at(2));
    let bitmap = end_of_fixed - (fixed_last as usize).div_ceil(8);
    let mut out = HashMap::new();
    let mut offset = 4;
    let mut fixed: Vec<_> = columns.iter().filter(|(fid, _)| *fid < 128).collect();
    fixed.sort_by_key(|(fid, _)| *fid);
    for (fid, coltyp) in fixed {
        let width = coltyp.fixed_size().unwrap();
        let null =
            *fid > fixed_last || record[bitmap + (*fid as usize - 1) / 8] & (1 << ((fid - 1) % 8)) != 0;
        out.insert(*fid, (!null).then(|| record[offset..offset + width].to_vec()));
        offset += width;
    }
    let var_start = end_of_fixed + 2 * (var_last as usize).saturating_sub(127);
    let mut previous = 0;
    for fid in 128..=var_last {
        let entry = u16_at(end_of_fixed + 2 * (fid as usize - 128));
        let end = usize::from(entry & 0x7FFF);
        out.insert(
            fid,
            (entry & 0x8000 == 0).then(|| record[var_start + previous..var_start + end].to_vec()),
        );
        previous = end;
    }
    let tagged = &record[var_start + previous..];
    let mask = if large { 0x7FFF } else { 0x1FFF };
    let count = if tagged.is_empty() {
        0
    } else {
        usize::from(u16::from_le_bytes([tagged[2], tagged[3]]) & mask) / 4
    };
    for i in 0..count {
        let fid = u32::from(u16::from_le_bytes([tagged[4 * i], tagged[4 * i + 1]]));
        let ibw = u16::from_le_bytes([tagged[4 * i + 2], tagged[4 * i + 3]]);
        let start = usize::from(ibw & mask);
        let end = if i + 1 < count {
            usize::from(u16::from_le_bytes([tagged[4 * i + 6], tagged[4 * i + 7]]) & mask)
        } else {
            tagged.len()
        };
        let mut value = &tagged[start..end];
        let has_header = large || ibw & 0x4000 != 0;
        let header = if has_header { value[0] } else { 0 };
        if has_header {
            value = &value[1..];
        }
        let value = if header & 0x04 != 0 {
            lvs[&u32::from_le_bytes(value.try_into().unwrap())].clone()
        } else {
            value.to_vec()
        };
        out.insert(fid, Some(value));
    }
    for (fid, _) in columns {
        out.entry(*fid).or_insert(None);
    }
    out
}

/// Writes `tables`, reads them back and compares every cell.
fn round_trip(tables: Vec<TableDef>, size: PageSize) -> Result<(), TestCaseError> {
    let spec = DatabaseSpec { header: sample_header(size), tables: tables.clone(), min_pages: 0 };
    let written = write_database(&spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.edb");
    std::fs::write(&path, &written.bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let report = esescope::scan::verify(&db, |_| std::ops::ControlFlow::Continue(()));
    prop_assert!(!report.has_damage(), "{:?}", report.bad_pages);
    let catalog = Catalog::read(&db);
    prop_assert!(catalog.walk.findings.is_empty());
    for table in &tables {
        let def = catalog.table(&table.name).expect("table in the catalog");
        let columns: Vec<(u32, ColumnType)> =
            def.columns.iter().map(|c| (c.id, ColumnType(c.coltyp_or_pgno_fdp))).collect();
        prop_assert_eq!(columns.len(), table.columns.len());
        let mut lvs: HashMap<u32, Vec<u8>> = HashMap::new();
        if let Some(lv) = &def.long_value {
            let tree = walk(&db, PageNumber(lv.coltyp_or_pgno_fdp), |_, node| {
                if node.key.len() == 8 {
                    let lid = u32::from_be_bytes(node.key[..4].try_into().unwrap());
                    lvs.entry(lid).or_default().extend_from_slice(node.data);
                }
            });
            prop_assert!(tree.findings.is_empty(), "{:?}", tree.findings);
        }
        let mut records = Vec::new();
        let tree = walk(&db, def.pgno_fdp(), |_, node| records.push(node.data.to_vec()));
        prop_assert!(tree.findings.is_empty(), "{:?}", tree.findings);
        prop_assert_eq!(records.len(), table.rows.len());
        let mut decoded: Vec<HashMap<u32, Option<Vec<u8>>>> =
            records.iter().map(|r| decode_record(r, &columns, size.is_large(), &lvs)).collect();
        for row in &table.rows {
            let want: HashMap<u32, Option<Vec<u8>>> = table
                .columns
                .iter()
                .map(|c| {
                    let fid = def.columns.iter().find(|d| d.name == c.name).unwrap().id;
                    (
                        fid,
                        stored_bytes(
                            c.coltyp,
                            c.code_page,
                            &row[table.columns.iter().position(|x| x == c).unwrap()],
                        )
                        .unwrap(),
                    )
                })
                .collect();
            let at = decoded.iter().position(|d| *d == want);
            prop_assert!(at.is_some(), "row {:?} not read back", row);
            decoded.remove(at.unwrap());
        }
        // The crate's record reader gives back the same typed values.
        let reader = Table::new(&db, &catalog, def);
        let order: Vec<usize> = reader
            .columns
            .iter()
            .map(|c| table.columns.iter().position(|d| d.name == c.name).unwrap())
            .collect();
        let mut expected: Vec<Vec<Value>> =
            table.rows.iter().map(|r| order.iter().map(|&i| r[i].clone()).collect()).collect();
        let mut rows = Vec::new();
        let tree = reader.rows(false, |row| rows.push(row));
        prop_assert!(tree.findings.is_empty(), "{:?}", tree.findings);
        for row in rows {
            prop_assert!(row.errors.is_empty(), "{:?}", row.errors);
            let at = expected.iter().position(|e| *e == row.values);
            prop_assert!(at.is_some(), "format::record read {:?}, which was not written", row.values);
            expected.remove(at.unwrap_or_default());
        }
        prop_assert!(expected.is_empty(), "rows not read back: {:?}", expected);
        for index in def.indexes.iter().filter(|i| i.coltyp_or_pgno_fdp != def.table.coltyp_or_pgno_fdp) {
            let tree = walk(&db, PageNumber(index.coltyp_or_pgno_fdp), |_, _| {});
            prop_assert!(tree.findings.is_empty(), "{:?}", tree.findings);
            prop_assert_eq!(tree.entries, table.rows.len() as u64);
        }
    }
    Ok(())
}

const SIZES: [PageSize; 4] = [PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_tables_read_back_the_same_rows(seed in any::<u64>(), size in 0usize..4, tables in 1usize..4) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let tables = (0..tables).map(|i| random_table(&mut rng, &format!("t{i}"), 150, true)).collect();
        round_trip(tables, SIZES[size])?;
    }
}

#[test]
fn random_tables_read_the_same_with_dissect_and_pyesedb() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..8u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let tables: Vec<TableDef> =
            (0..3).map(|i| random_table(&mut rng, &format!("t{i}"), 120, false)).collect();
        let size = SIZES[seed as usize % 4];
        let spec = DatabaseSpec { header: sample_header(size), tables: tables.clone(), min_pages: 0 };
        let written = write_database(&spec).unwrap();
        super::writer::check_with_readers(dir.path(), &format!("random-{seed}.edb"), &written.bytes, &tables);
    }
}
