//! Records: the data of a table tree's leaf node, split into its fixed,
//! variable and tagged columns (spec 10.1–10.5). This module finds where
//! each column's bytes are and what the tagged-field flags say of them
//! (NULL, multi-valued, separated into the long-value tree, compressed);
//! turning bytes into typed values is [`super::value`]'s, fetching
//! separated values from the long-value tree is the store's.

use serde::Serialize;

mod edit;
mod part;
pub use edit::without_tagged_columns;
pub use part::RecordPart;

use super::types::{le_u16, le_u32, le_u64};
use super::FormatError;

/// Highest fixed column id (`fidFixedMost`).
pub const FIXED_MOST: u32 = 127;
/// Highest variable column id (`fidVarMost`).
pub const VARIABLE_MOST: u32 = 255;

/// Where a column lives in a record, by its column id (spec 9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnClass {
    /// Ids 1–127: at a fixed offset.
    Fixed,
    /// Ids 128–255: through the variable offset array.
    Variable,
    /// Ids 256 and up: in the tagged area.
    Tagged,
}

impl ColumnClass {
    /// The class of column id `id`.
    pub fn of(id: u32) -> Self {
        match id {
            0..=FIXED_MOST => Self::Fixed,
            128..=VARIABLE_MOST => Self::Variable,
            _ => Self::Tagged,
        }
    }
}

/// How the tagged area is laid out, which depends on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedLayout {
    /// `TAGFLD` array, 2/4/8 KiB pages (page flag NewRecordFormat).
    Small,
    /// `TAGFLD` array, 16/32 KiB pages: 15-bit offsets, header byte always present.
    Large,
    /// The ESE97 layout: `fid`, size-and-flags, data, repeated (no NewRecordFormat flag).
    Legacy,
}

impl TaggedLayout {
    /// The layout of records on a page of this size with these flags.
    pub fn for_page(large: bool, new_record_format: bool) -> Self {
        match (large, new_record_format) {
            (true, _) => Self::Large,
            (false, true) => Self::Small,
            (false, false) => Self::Legacy,
        }
    }
}

/// A long-value id: the key of a separated value in the table's LV tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Lid {
    /// The id as stored (little-endian in the record).
    pub value: u64,
    /// 4 (LID32) or 8 (LID64) bytes.
    pub width: u8,
}

impl Lid {
    /// Reads a LID from its stored bytes: 4 or 8 bytes, little-endian.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        match bytes.len() {
            4 => le_u32(bytes, 0).map(|v| Self { value: u64::from(v), width: 4 }),
            8 => le_u64(bytes, 0).map(|v| Self { value: v, width: 8 }),
            _ => None,
        }
    }

    /// The key of the value's root node in the LV tree: the id big-endian.
    pub fn key(self) -> Vec<u8> {
        let bytes = self.value.to_be_bytes();
        bytes.get(8 - usize::from(self.width)..).unwrap_or(&bytes).to_vec()
    }
}

impl std::fmt::Display for Lid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LID {:#x}", self.value)
    }
}

/// How one instance of a value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored<'a> {
    /// The bytes themselves.
    Intrinsic(&'a [u8]),
    /// Compressed bytes (first byte names the scheme, spec 10.8).
    Compressed(&'a [u8]),
    /// In the long-value tree under this id.
    Separated(Lid),
    /// Encrypted bytes (`TAGFLD_HEADER` 0x40): esescope cannot decrypt them.
    Encrypted(&'a [u8]),
}

/// What a record holds for one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Not in the record: the column's default value applies, if it has one.
    Absent,
    /// Explicitly NULL.
    Null,
    /// One value.
    Single(Stored<'a>),
    /// A multi-valued column's instances, in order.
    Multi(Vec<Stored<'a>>),
}

/// One entry of the tagged area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedField<'a> {
    /// Column id.
    pub id: u32,
    /// The column comes from the template table (`fDerived`).
    pub derived: bool,
    /// Offset of the field's data in the record.
    pub offset: usize,
    /// Its value.
    pub cell: Cell<'a>,
}

/// `TAGFLD_HEADER` bits (spec 10.4).
mod header {
    pub const COMPRESSED: u8 = 0x02;
    pub const SEPARATED: u8 = 0x04;
    pub const MULTI_VALUES: u8 = 0x08;
    pub const TWO_VALUES: u8 = 0x10;
    pub const NULL: u8 = 0x20;
    pub const ENCRYPTED: u8 = 0x40;
}

/// A record's layout: where its fixed, variable and tagged parts are.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    bytes: &'a [u8],
    /// `fidFixedLastInRec`.
    pub fixed_last: u8,
    /// `fidVarLastInRec` (127 = no variable column).
    pub var_last: u8,
    /// `ibEndOfFixedData`: where the null bitmap ends and the variable offsets start.
    pub end_of_fixed: usize,
    var_data: usize,
    tagged: usize,
    layout: TaggedLayout,
}

fn past_end(field: &'static str, offset: usize, len: usize) -> FormatError {
    FormatError::RecordField { field, offset, len }
}

impl<'a> Record<'a> {
    /// Reads the record header and locates the variable and tagged areas.
    ///
    /// # Errors
    /// [`FormatError::RecordField`] when a header field points past the record.
    pub fn parse(bytes: &'a [u8], layout: TaggedLayout) -> Result<Self, FormatError> {
        let len = bytes.len();
        let (Some(&fixed_last), Some(&var_last), Some(end_of_fixed)) =
            (bytes.first(), bytes.get(1), le_u16(bytes, 2))
        else {
            return Err(FormatError::Truncated { what: "record header", need: 4, have: len });
        };
        let end_of_fixed = usize::from(end_of_fixed);
        let bitmap = usize::from(fixed_last).div_ceil(8);
        if end_of_fixed > len || end_of_fixed < 4 + bitmap {
            return Err(past_end("ibEndOfFixedData", end_of_fixed, len));
        }
        let var_count = usize::from(var_last.saturating_sub(127));
        let var_data = end_of_fixed + 2 * var_count;
        if var_data > len {
            return Err(past_end("variable offsets", var_data, len));
        }
        let last_end = match var_count {
            0 => 0,
            n => usize::from(le_u16(bytes, end_of_fixed + 2 * (n - 1)).unwrap_or(0) & 0x7FFF),
        };
        let tagged = var_data + last_end;
        if tagged > len {
            return Err(past_end("end of variable data", tagged, len));
        }
        Ok(Self { bytes, fixed_last, var_last, end_of_fixed, var_data, tagged, layout })
    }

    /// The record's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset where the tagged area begins.
    pub fn tagged_offset(&self) -> usize {
        self.tagged
    }

    /// Fixed column `id` of `size` bytes at record offset `offset`.
    ///
    /// # Errors
    /// The column's bytes would overlap the null bitmap or lie past the record.
    pub fn fixed(&self, id: u32, offset: usize, size: usize) -> Result<Cell<'a>, FormatError> {
        if id == 0 || id > u32::from(self.fixed_last) {
            return Ok(Cell::Absent);
        }
        let bitmap = self.end_of_fixed - usize::from(self.fixed_last).div_ceil(8);
        let bit = (id - 1) as usize;
        let null = self.bytes.get(bitmap + bit / 8).is_some_and(|b| b & (1 << (bit % 8)) != 0);
        if null {
            return Ok(Cell::Null);
        }
        let end = offset.checked_add(size).filter(|&end| offset >= 4 && end <= bitmap);
        match end.and_then(|end| self.bytes.get(offset..end)) {
            Some(value) => Ok(Cell::Single(Stored::Intrinsic(value))),
            None => Err(FormatError::FixedColumn { offset, size, end: bitmap }),
        }
    }

    /// Variable column `id` (128–255).
    ///
    /// # Errors
    /// Its offsets point past the record or run backwards.
    pub fn variable(&self, id: u32) -> Result<Cell<'a>, FormatError> {
        if !(128..=u32::from(self.var_last)).contains(&id) {
            return Ok(Cell::Absent);
        }
        let k = (id - 128) as usize;
        let entry = |i: usize| le_u16(self.bytes, self.end_of_fixed + 2 * i).unwrap_or(0);
        let this = entry(k);
        if this & 0x8000 != 0 {
            return Ok(Cell::Null);
        }
        let start = if k == 0 { 0 } else { usize::from(entry(k - 1) & 0x7FFF) };
        let end = usize::from(this & 0x7FFF);
        let range = (self.var_data + start)..(self.var_data + end);
        match self.bytes.get(range).filter(|_| start <= end) {
            Some(value) => Ok(Cell::Single(Stored::Intrinsic(value))),
            None => Err(past_end("variable column", self.var_data + end, self.bytes.len())),
        }
    }

    /// Every field of the tagged area, in stored order. A field that
    /// cannot be decoded yields `Err` for that field only.
    pub fn tagged(&self) -> Vec<Result<TaggedField<'a>, FormatError>> {
        let area = self.bytes.get(self.tagged..).unwrap_or_default();
        match self.layout {
            TaggedLayout::Legacy => legacy_fields(area, self.tagged),
            large => tagfld_fields(area, self.tagged, large == TaggedLayout::Large),
        }
    }

    /// Tagged column `id`: `Absent` when the record does not list it.
    ///
    /// # Errors
    /// Its field cannot be decoded.
    pub fn tagged_column(&self, id: u32, derived: bool) -> Result<Cell<'a>, FormatError> {
        for field in self.tagged() {
            let field = field?;
            if field.id == id && field.derived == derived {
                return Ok(field.cell);
            }
        }
        Ok(Cell::Absent)
    }
}

fn tagfld_fields(area: &[u8], base: usize, large: bool) -> Vec<Result<TaggedField<'_>, FormatError>> {
    let Some(first) = le_u16(area, 2) else { return Vec::new() };
    let mask = if large { 0x7FFF } else { 0x1FFF };
    let count = usize::from(first & mask) / 4;
    if count == 0 || 4 * count > area.len() {
        return vec![Err(past_end("TAGFLD array", base + 4 * count, base + area.len()))];
    }
    let entry = |i: usize| (le_u16(area, 4 * i).unwrap_or(0), le_u16(area, 4 * i + 2).unwrap_or(0));
    (0..count)
        .map(|i| {
            let (fid, ibw) = entry(i);
            let start = usize::from(ibw & mask);
            let end = if i + 1 < count { usize::from(entry(i + 1).1 & mask) } else { area.len() };
            let offset = base + start;
            let data = area
                .get(start..end)
                .filter(|_| start >= 4 * count)
                .ok_or(FormatError::TaggedField { id: fid, offset, len: base + area.len() })?;
            let derived = ibw & 0x8000 != 0;
            let has_header = large || ibw & 0x4000 != 0;
            let cell = if !large && ibw & 0x2000 != 0 {
                Cell::Null
            } else if has_header {
                let (&flags, rest) =
                    data.split_first().ok_or(FormatError::TaggedField { id: fid, offset, len: offset })?;
                with_header(flags, rest, fid, offset + 1)?
            } else {
                Cell::Single(Stored::Intrinsic(data))
            };
            Ok(TaggedField { id: u32::from(fid), derived, offset, cell })
        })
        .collect()
}

/// The value of a tagged field whose data starts with a `TAGFLD_HEADER`.
fn with_header(flags: u8, data: &[u8], fid: u16, offset: usize) -> Result<Cell<'_>, FormatError> {
    let bad = || FormatError::MultiValue { id: fid, offset };
    if flags & header::NULL != 0 {
        return Ok(Cell::Null);
    }
    if flags & header::MULTI_VALUES != 0 {
        let mut values = Vec::new();
        if flags & header::TWO_VALUES != 0 {
            let (&len1, rest) = data.split_first().ok_or_else(bad)?;
            let (first, second) = rest.split_at_checked(usize::from(len1)).ok_or_else(bad)?;
            values.push(Stored::Intrinsic(first));
            values.push(Stored::Intrinsic(second));
        } else {
            let first = usize::from(le_u16(data, 0).ok_or_else(bad)? & 0x7FFF);
            let count = first / 2;
            if count == 0 || first > data.len() {
                return Err(bad());
            }
            let at = |j: usize| le_u16(data, 2 * j).unwrap_or(0);
            for j in 0..count {
                let start = usize::from(at(j) & 0x7FFF);
                let end = if j + 1 < count { usize::from(at(j + 1) & 0x7FFF) } else { data.len() };
                let bytes = data.get(start..end).filter(|_| start >= first).ok_or_else(bad)?;
                values.push(if at(j) & 0x8000 != 0 {
                    Stored::Separated(Lid::parse(bytes).ok_or_else(bad)?)
                } else {
                    Stored::Intrinsic(bytes)
                });
            }
        }
        if flags & header::ENCRYPTED != 0 {
            for value in &mut values {
                if let Stored::Intrinsic(bytes) = *value {
                    *value = Stored::Encrypted(bytes);
                }
            }
        }
        // Only the first instance of a compressed multi-value is compressed.
        if flags & header::COMPRESSED != 0 {
            if let Some(first) = values.first_mut() {
                if let Stored::Intrinsic(bytes) = *first {
                    *first = Stored::Compressed(bytes);
                }
            }
        }
        return Ok(Cell::Multi(values));
    }
    if flags & header::ENCRYPTED != 0 {
        return Ok(Cell::Single(Stored::Encrypted(data)));
    }
    if flags & header::SEPARATED != 0 {
        let lid = Lid::parse(data).ok_or(FormatError::TaggedField { id: fid, offset, len: data.len() })?;
        return Ok(Cell::Single(Stored::Separated(lid)));
    }
    if flags & header::COMPRESSED != 0 {
        return Ok(Cell::Single(Stored::Compressed(data)));
    }
    Ok(Cell::Single(Stored::Intrinsic(data)))
}

/// The ESE97 tagged layout (spec 10.5): `u16 fid`, `u16` size and flags,
/// data; repeated fids are the instances of a multi-value.
fn legacy_fields(area: &[u8], base: usize) -> Vec<Result<TaggedField<'_>, FormatError>> {
    let mut fields: Vec<Result<TaggedField<'_>, FormatError>> = Vec::new();
    let mut at = 0;
    while at < area.len() {
        let offset = base + at;
        let (Some(fid), Some(bits)) = (le_u16(area, at), le_u16(area, at + 2)) else {
            fields.push(Err(FormatError::TaggedField { id: 0, offset, len: base + area.len() }));
            break;
        };
        let len = usize::from(bits & 0x0FFF);
        let Some(data) = area.get(at + 4..at + 4 + len) else {
            fields.push(Err(FormatError::TaggedField { id: fid, offset, len: base + area.len() }));
            break;
        };
        at += 4 + len;
        let derived = bits & 0x2000 != 0;
        let stored = if bits & 0x8000 != 0 {
            match data.split_first() {
                Some((&lv, rest)) if lv & 1 != 0 => Lid::parse(rest).map(Stored::Separated),
                Some((_, rest)) => Some(Stored::Intrinsic(rest)),
                None => None,
            }
        } else {
            Some(Stored::Intrinsic(data))
        };
        let cell = match (bits & 0x4000 != 0, stored) {
            (true, _) => Cell::Null,
            (false, Some(stored)) => Cell::Single(stored),
            (false, None) => {
                fields.push(Err(FormatError::TaggedField { id: fid, offset, len: base + area.len() }));
                continue;
            }
        };
        let previous = fields.last_mut().and_then(|f| f.as_mut().ok());
        match (previous, cell) {
            (Some(prev), Cell::Single(next)) if prev.id == u32::from(fid) && prev.derived == derived => {
                prev.cell = match std::mem::replace(&mut prev.cell, Cell::Null) {
                    Cell::Single(first) => Cell::Multi(vec![first, next]),
                    Cell::Multi(mut all) => {
                        all.push(next);
                        Cell::Multi(all)
                    }
                    _ => Cell::Single(next),
                };
            }
            (_, cell) => fields.push(Ok(TaggedField { id: u32::from(fid), derived, offset, cell })),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record: fixed 1 (u32 = 7) and 2 (NULL), variable 128 ("ab") and
    /// 129 (NULL), tagged 256 (plain "xyz") and 257 (two-values "a","bc").
    pub(super) fn sample() -> Vec<u8> {
        let mut r = vec![2u8, 129, 0, 0];
        r.extend_from_slice(&7u32.to_le_bytes()); // fid 1 at 4
        r.extend_from_slice(&[0, 0]); // fid 2 at 8 (null)
        r.push(0b1111_1110); // null bitmap: fid 2 null, unused bits 1
        let end_of_fixed = r.len() as u16;
        r[2..4].copy_from_slice(&end_of_fixed.to_le_bytes());
        r.extend_from_slice(&2u16.to_le_bytes()); // 128 ends at 2
        r.extend_from_slice(&(2u16 | 0x8000).to_le_bytes()); // 129 null
        r.extend_from_slice(b"ab");
        // tagged: two TAGFLDs (8 bytes), "xyz" at 8, header+two-values at 11
        r.extend_from_slice(&256u16.to_le_bytes());
        r.extend_from_slice(&8u16.to_le_bytes());
        r.extend_from_slice(&257u16.to_le_bytes());
        r.extend_from_slice(&(11u16 | 0x4000).to_le_bytes());
        r.extend_from_slice(b"xyz");
        r.extend_from_slice(&[0x18, 1, b'a', b'b', b'c']);
        r
    }

    #[test]
    fn decodes_every_column_class() {
        let bytes = sample();
        let rec = Record::parse(&bytes, TaggedLayout::Small).unwrap();
        assert_eq!(rec.fixed(1, 4, 4).unwrap(), Cell::Single(Stored::Intrinsic(&7u32.to_le_bytes())));
        assert_eq!(rec.fixed(2, 8, 2).unwrap(), Cell::Null);
        assert_eq!(rec.fixed(3, 10, 4).unwrap(), Cell::Absent);
        assert_eq!(rec.variable(128).unwrap(), Cell::Single(Stored::Intrinsic(b"ab")));
        assert_eq!(rec.variable(129).unwrap(), Cell::Null);
        assert_eq!(rec.variable(130).unwrap(), Cell::Absent);
        assert_eq!(rec.tagged_column(256, false).unwrap(), Cell::Single(Stored::Intrinsic(b"xyz")));
        assert_eq!(
            rec.tagged_column(257, false).unwrap(),
            Cell::Multi(vec![Stored::Intrinsic(b"a"), Stored::Intrinsic(b"bc")])
        );
        assert_eq!(rec.tagged_column(258, false).unwrap(), Cell::Absent);
    }

    #[test]
    fn general_multi_value_with_a_separated_instance() {
        // offsets 4 and 0x8000|6: "hi" then a LID32
        let mut data = vec![];
        data.extend_from_slice(&4u16.to_le_bytes());
        data.extend_from_slice(&(6u16 | 0x8000).to_le_bytes());
        data.extend_from_slice(b"hi");
        data.extend_from_slice(&0x1234u32.to_le_bytes());
        let cell = with_header(0x08, &data, 300, 0).unwrap();
        assert_eq!(
            cell,
            Cell::Multi(vec![Stored::Intrinsic(b"hi"), Stored::Separated(Lid { value: 0x1234, width: 4 })])
        );
        assert_eq!(Lid { value: 0x1234, width: 4 }.key(), vec![0, 0, 0x12, 0x34]);
    }

    #[test]
    fn large_page_fields_always_carry_a_header() {
        // one TAGFLD at 4: header 0x20 = NULL
        let mut area = vec![];
        area.extend_from_slice(&256u16.to_le_bytes());
        area.extend_from_slice(&4u16.to_le_bytes());
        area.push(0x20);
        let fields = tagfld_fields(&area, 0, true);
        assert_eq!(fields[0].as_ref().unwrap().cell, Cell::Null);
    }

    #[test]
    fn legacy_repeated_fids_form_a_multi_value() {
        let mut area = vec![];
        for v in [b"a", b"b"] {
            area.extend_from_slice(&300u16.to_le_bytes());
            area.extend_from_slice(&1u16.to_le_bytes());
            area.extend_from_slice(v);
        }
        let fields = legacy_fields(&area, 0);
        assert_eq!(fields.len(), 1);
        assert_eq!(
            fields[0].as_ref().unwrap().cell,
            Cell::Multi(vec![Stored::Intrinsic(b"a"), Stored::Intrinsic(b"b")])
        );
    }

    #[test]
    fn a_fixed_value_running_past_the_fixed_data_says_its_size() {
        let bytes = sample();
        let rec = Record::parse(&bytes, TaggedLayout::Small).unwrap();
        // fid 1 as an 8-byte column at 4: the fixed data ends at 10 (the bitmap)
        let err = rec.fixed(1, 4, 8).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the 8-byte fixed column value at record offset 4 runs past offset 10, where the fixed data ends"
        );
    }

    #[test]
    fn bad_offsets_are_errors_not_panics() {
        let mut bytes = sample();
        bytes[2] = 0xFF; // ibEndOfFixedData past the end
        assert!(matches!(
            Record::parse(&bytes, TaggedLayout::Small),
            Err(FormatError::RecordField { field: "ibEndOfFixedData", .. })
        ));
        for cut in 0..sample().len() {
            let bytes = &sample()[..cut];
            if let Ok(rec) = Record::parse(bytes, TaggedLayout::Small) {
                let _ = rec.tagged();
                let _ = rec.variable(128);
                let _ = rec.fixed(1, 4, 4);
            }
        }
    }
}
