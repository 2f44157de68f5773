//! Encoding records (spec 10.1–10.4 and 10.7): fixed columns at their
//! record offsets with the null bitmap, variable columns behind their
//! offset array, tagged columns behind their `TAGFLD` array; long values
//! above [`SEPARATE_ABOVE`] bytes are separated into the table's long-value
//! tree and the record keeps their LID.

use crate::format::PageSize;

use super::key::stored_bytes;
use super::schema::{is_long, ColumnDef, Storage, Value, WRITABLE_TYPES};

/// Long values longer than this are stored in the long-value tree (the
/// record holds a 4-byte LID); shorter ones stay in the record.
pub const SEPARATE_ABOVE: usize = 1024;

/// `TAGFLD` offset bit: a 1-byte `TAGFLD_HEADER` precedes the value (small pages).
const EXTENDED_INFO: u16 = 0x4000;
/// `TAGFLD_HEADER`: the column is a long-value column.
const HEADER_LONG_VALUE: u8 = 0x01;
/// `TAGFLD_HEADER`: the value is separated (a LID).
const HEADER_SEPARATED: u8 = 0x04;

/// A column of a table with its id and, for fixed columns, record offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedColumn {
    /// The definition.
    pub def: ColumnDef,
    /// The column id (FID).
    pub fid: u32,
    /// Record offset of a fixed column (0 for others).
    pub record_offset: u16,
}

/// Gives the table's columns their ids and fixed columns their offsets:
/// fixed 1.., variable 128.., tagged 256.., each in definition order.
///
/// # Errors
/// More than 127 fixed or 128 variable columns.
pub fn place_columns(columns: &[ColumnDef]) -> Result<Vec<PlacedColumn>, &'static str> {
    let (mut fixed, mut variable, mut tagged, mut offset) = (1u32, 128u32, 256u32, 4usize);
    let mut placed = Vec::with_capacity(columns.len());
    for def in columns {
        if !WRITABLE_TYPES.contains(&def.coltyp) {
            return Err("a column type the writer does not write");
        }
        if def.coltyp.fixed_size().is_none() && !is_long(def.coltyp) && def.max_len > 255 {
            return Err("Text and Binary columns hold at most 255 bytes (use LongText or LongBinary)");
        }
        let (fid, record_offset) = match def.storage() {
            Storage::Fixed => {
                let at = offset;
                offset += def.coltyp.fixed_size().unwrap_or(0);
                fixed += 1;
                (fixed - 1, at as u16)
            }
            Storage::Variable => {
                variable += 1;
                (variable - 1, 0)
            }
            Storage::Tagged => {
                tagged += 1;
                (tagged - 1, 0)
            }
        };
        if fixed > 128 || variable > 256 || offset > 4000 {
            return Err("too many fixed or variable columns");
        }
        placed.push(PlacedColumn { def: def.clone(), fid, record_offset });
    }
    Ok(placed)
}

/// The separated long values of one table: LIDs from 1, in the order the
/// records asked for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LongValues {
    /// `(lid, value)`.
    pub values: Vec<(u32, Vec<u8>)>,
}

impl LongValues {
    fn separate(&mut self, bytes: Vec<u8>) -> u32 {
        let lid = self.values.len() as u32 + 1;
        self.values.push((lid, bytes));
        lid
    }
}

/// Encodes one record. `values` holds one value per column, in the order
/// of `columns`.
///
/// # Errors
/// A value that does not fit its column, a NULL in a NOT NULL column, a
/// Text or Binary value longer than its column allows, or a record whose offsets
/// overflow.
pub fn encode_record(
    columns: &[PlacedColumn],
    values: &[Value],
    size: PageSize,
    long_values: &mut LongValues,
) -> Result<Vec<u8>, &'static str> {
    if values.len() != columns.len() {
        return Err("the row does not have one value per column");
    }
    let mut cells = Vec::with_capacity(columns.len());
    for (column, value) in columns.iter().zip(values) {
        let bytes = stored_bytes(column.def.coltyp, column.def.code_page, value)?;
        if bytes.is_none() && column.def.not_null {
            return Err("NULL in a NOT NULL column");
        }
        // Text and Binary (not the long types) hold at most cbMaxLen, 255 by default.
        let short = column.def.coltyp.fixed_size().is_none() && !is_long(column.def.coltyp);
        let most = if column.def.max_len == 0 { 255 } else { column.def.max_len as usize };
        if short && bytes.as_ref().is_some_and(|b| b.len() > most) {
            return Err("a Text or Binary value is longer than its column allows");
        }
        cells.push((column, bytes));
    }
    let present = |storage: Storage| {
        cells.iter().filter(move |(c, b)| c.def.storage() == storage && b.is_some()).map(|(c, _)| c.fid).max()
    };
    let fixed_last = present(Storage::Fixed).unwrap_or(0);
    let var_last = present(Storage::Variable).unwrap_or(127);

    // Fixed data up to the end of the last present column, then the null bitmap.
    let mut record = vec![fixed_last as u8, var_last as u8, 0, 0];
    let mut nulls = vec![0u8; (fixed_last as usize).div_ceil(8)];
    for (column, bytes) in
        cells.iter().filter(|(c, _)| c.def.storage() == Storage::Fixed && c.fid <= fixed_last)
    {
        let at = usize::from(column.record_offset);
        let width = column.def.coltyp.fixed_size().unwrap_or(0);
        if record.len() < at + width {
            record.resize(at + width, 0);
        }
        match bytes {
            Some(b) => record[at..at + width].copy_from_slice(b),
            None => nulls[(column.fid as usize - 1) / 8] |= 1 << ((column.fid - 1) % 8),
        }
    }
    if fixed_last % 8 != 0 {
        // Unused high bits of the last bitmap byte are written as 1.
        if let Some(last) = nulls.last_mut() {
            *last |= 0xFFu8 << (fixed_last % 8);
        }
    }
    record.extend_from_slice(&nulls);
    let end_of_fixed = u16::try_from(record.len()).map_err(|_| "fixed data too long")?;
    record[2..4].copy_from_slice(&end_of_fixed.to_le_bytes());

    // Variable columns: an end offset (bit 15 = NULL) per fid 128..=var_last.
    let mut var_data = Vec::new();
    for fid in 128..=var_last {
        let cell = cells.iter().find(|(c, _)| c.fid == fid && c.def.storage() == Storage::Variable);
        let entry = match cell.and_then(|(_, b)| b.as_ref()) {
            Some(bytes) => {
                var_data.extend_from_slice(bytes);
                var_data.len()
            }
            None => var_data.len() | 0x8000,
        };
        if var_data.len() > 0x7FFF {
            return Err("variable data too long");
        }
        record.extend_from_slice(&(entry as u16).to_le_bytes());
    }
    record.extend_from_slice(&var_data);

    // Tagged columns, by fid: TAGFLD array then the values.
    let mut tagged: Vec<_> =
        cells.iter().filter(|(c, b)| c.def.storage() == Storage::Tagged && b.is_some()).collect();
    tagged.sort_by_key(|(c, _)| c.fid);
    let mut array = Vec::new();
    let mut data = Vec::new();
    let base = 4 * tagged.len();
    let mask: usize = if size.is_large() { 0x7FFF } else { 0x1FFF };
    for (column, bytes) in tagged {
        let Some(bytes) = bytes else { continue };
        let offset = base + data.len();
        if offset > mask {
            return Err("tagged data too long");
        }
        let long = is_long(column.def.coltyp);
        let header = match (long, bytes.len() > SEPARATE_ABOVE) {
            (true, true) => Some(HEADER_LONG_VALUE | HEADER_SEPARATED),
            (true, false) => Some(HEADER_LONG_VALUE),
            (false, _) if size.is_large() => Some(0),
            (false, _) => None,
        };
        let mut ibw = offset as u16;
        if let Some(h) = header {
            if !size.is_large() {
                ibw |= EXTENDED_INFO;
            }
            data.push(h);
        }
        if long && bytes.len() > SEPARATE_ABOVE {
            let lid = long_values.separate(bytes.clone());
            data.extend_from_slice(&lid.to_le_bytes());
        } else {
            data.extend_from_slice(bytes);
        }
        array.extend_from_slice(&(column.fid as u16).to_le_bytes());
        array.extend_from_slice(&ibw.to_le_bytes());
    }
    record.extend_from_slice(&array);
    record.extend_from_slice(&data);
    Ok(record)
}

/// The default long-value chunk size of a page size (spec 10.7).
pub fn lv_chunk_size(size: PageSize) -> usize {
    match size.bytes() {
        16384 => 4050,
        32768 => 8150,
        other => other as usize - 82,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::catalog::parse_row;
    use crate::format::record::TaggedLayout;
    use crate::writer::schema::ColumnType;

    #[test]
    fn ids_and_offsets_follow_the_storage() {
        let columns = [
            ColumnDef::new("a", ColumnType::LONG),
            ColumnDef::new("b", ColumnType::TEXT),
            ColumnDef::new("c", ColumnType::SHORT),
            ColumnDef::new("d", ColumnType::LONG_TEXT),
        ];
        let placed = place_columns(&columns).unwrap();
        let ids: Vec<_> = placed.iter().map(|c| (c.fid, c.record_offset)).collect();
        assert_eq!(ids, vec![(1, 4), (128, 0), (2, 8), (256, 0)]);
    }

    #[test]
    fn a_catalog_shaped_record_decodes_with_the_catalog_reader() {
        // The catalog's first columns: ObjidTable, Type, Id, then Name.
        let columns = place_columns(&[
            ColumnDef::new("ObjidTable", ColumnType::LONG),
            ColumnDef::new("Type", ColumnType::SHORT),
            ColumnDef::new("Id", ColumnType::LONG),
            ColumnDef::new("Name", ColumnType::TEXT),
        ])
        .unwrap();
        let values = [Value::Long(8), Value::Short(1), Value::Long(8), Value::Text("people".into())];
        let record = encode_record(&columns, &values, PageSize::K8, &mut LongValues::default()).unwrap();
        assert_eq!(&record[..4], &[3, 128, 15, 0]); // 3 fixed, var 128, end of fixed 14 + 1 bitmap byte
        assert_eq!(record[14], 0xF8); // fids 1-3 present, unused bits set
        let row = parse_row(&record, TaggedLayout::Small).unwrap();
        assert_eq!((row.objid_table, row.id, row.name.as_str()), (8, 8, "people"));
    }

    #[test]
    fn long_values_are_separated_above_the_threshold() {
        let columns = place_columns(&[ColumnDef::new("blob", ColumnType::LONG_BINARY)]).unwrap();
        let mut lvs = LongValues::default();
        let small = encode_record(&columns, &[Value::Binary(vec![7; 10])], PageSize::K4, &mut lvs).unwrap();
        // 4 header bytes, no variable columns, TAGFLD (fid 256, offset 4 | extended info), header 0x01
        assert_eq!(&small[4..9], &[0, 1, 4, 0x40, 0x01]);
        let big = encode_record(&columns, &[Value::Binary(vec![7; 3000])], PageSize::K4, &mut lvs).unwrap();
        assert_eq!(&big[8..], &[0x05, 1, 0, 0, 0]);
        assert_eq!(lvs.values.len(), 1);
    }

    #[test]
    fn null_in_not_null_column_is_refused() {
        let columns = place_columns(&[ColumnDef::new("a", ColumnType::LONG).not_null()]).unwrap();
        assert!(encode_record(&columns, &[Value::Null], PageSize::K4, &mut LongValues::default()).is_err());
    }
}
