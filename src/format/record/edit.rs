//! A record with some tagged columns left out: the `TAGFLD` array (or the
//! ESE97 tagged fields) rewritten without them, every other byte of the
//! record kept. Salvage uses it for a row whose long value was lost: the
//! column that names the lost LID is taken out rather than left pointing
//! at nothing.

use super::{past_end, Record, TaggedLayout};
use crate::format::types::le_u16;
use crate::format::FormatError;

/// `record` without the tagged columns `drop(id, derived)` names (every
/// instance of such a column). `Ok(None)` when no field is dropped.
///
/// # Errors
/// The record's header or tagged area cannot be decoded.
pub fn without_tagged_columns(
    record: &[u8],
    layout: TaggedLayout,
    drop: impl Fn(u32, bool) -> bool,
) -> Result<Option<Vec<u8>>, FormatError> {
    let parsed = Record::parse(record, layout)?;
    let start = parsed.tagged_offset();
    let area = record.get(start..).unwrap_or_default();
    if area.is_empty() {
        return Ok(None);
    }
    let new_area = match layout {
        TaggedLayout::Legacy => legacy_without(area, start, &drop)?,
        large => tagfld_without(area, start, large == TaggedLayout::Large, &drop)?,
    };
    Ok(new_area.map(|tail| [record.get(..start).unwrap_or_default(), &tail].concat()))
}

/// One `TAGFLD`: column id, the offset word as stored, its data.
struct Field<'a> {
    fid: u16,
    ib: u16,
    data: &'a [u8],
}

fn tagfld_without(
    area: &[u8],
    base: usize,
    large: bool,
    drop: &impl Fn(u32, bool) -> bool,
) -> Result<Option<Vec<u8>>, FormatError> {
    let mask: u16 = if large { 0x7FFF } else { 0x1FFF };
    let first = le_u16(area, 2).ok_or(past_end("TAGFLD array", base + 4, base + area.len()))?;
    let count = usize::from(first & mask) / 4;
    if count == 0 || 4 * count > area.len() {
        return Err(past_end("TAGFLD array", base + 4 * count, base + area.len()));
    }
    let entry = |i: usize| (le_u16(area, 4 * i).unwrap_or(0), le_u16(area, 4 * i + 2).unwrap_or(0));
    let mut fields = Vec::with_capacity(count);
    for i in 0..count {
        let (fid, ib) = entry(i);
        let from = usize::from(ib & mask);
        let to = if i + 1 < count { usize::from(entry(i + 1).1 & mask) } else { area.len() };
        let data = area.get(from..to).filter(|_| from >= 4 * count).ok_or(FormatError::TaggedField {
            id: fid,
            offset: base + from,
            len: base + area.len(),
        })?;
        fields.push(Field { fid, ib, data });
    }
    let kept: Vec<&Field<'_>> =
        fields.iter().filter(|f| !drop(u32::from(f.fid), f.ib & 0x8000 != 0)).collect();
    if kept.len() == fields.len() {
        return Ok(None);
    }
    let mut array = Vec::with_capacity(4 * kept.len());
    let mut data = Vec::new();
    let mut at = 4 * kept.len();
    for f in &kept {
        let offset = u16::try_from(at).ok().filter(|o| o & !mask == 0).ok_or(past_end(
            "TAGFLD offset",
            base + at,
            base + area.len(),
        ))?;
        array.extend_from_slice(&f.fid.to_le_bytes());
        array.extend_from_slice(&((f.ib & !mask) | offset).to_le_bytes());
        data.extend_from_slice(f.data);
        at += f.data.len();
    }
    array.extend_from_slice(&data);
    Ok(Some(array))
}

fn legacy_without(
    area: &[u8],
    base: usize,
    drop: &impl Fn(u32, bool) -> bool,
) -> Result<Option<Vec<u8>>, FormatError> {
    let mut kept = Vec::with_capacity(area.len());
    let mut at = 0;
    let mut dropped = false;
    while at < area.len() {
        let (Some(fid), Some(bits)) = (le_u16(area, at), le_u16(area, at + 2)) else {
            return Err(FormatError::TaggedField { id: 0, offset: base + at, len: base + area.len() });
        };
        let end = at + 4 + usize::from(bits & 0x0FFF);
        let field = area.get(at..end).ok_or(FormatError::TaggedField {
            id: fid,
            offset: base + at,
            len: base + area.len(),
        })?;
        if drop(u32::from(fid), bits & 0x2000 != 0) {
            dropped = true;
        } else {
            kept.extend_from_slice(field);
        }
        at = end;
    }
    Ok(dropped.then_some(kept))
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::{Cell, Stored};
    use super::*;

    fn tagged(bytes: &[u8], layout: TaggedLayout) -> Vec<(u32, Cell<'_>)> {
        let rec = Record::parse(bytes, layout).unwrap();
        rec.tagged().into_iter().map(|f| f.map(|f| (f.id, f.cell)).unwrap()).collect()
    }

    #[test]
    fn drops_one_tagged_column_and_keeps_the_rest_of_the_record() {
        let bytes = sample();
        let start = Record::parse(&bytes, TaggedLayout::Small).unwrap().tagged_offset();
        for (gone, left) in [(256, 257), (257, 256)] {
            let out =
                without_tagged_columns(&bytes, TaggedLayout::Small, |id, _| id == gone).unwrap().unwrap();
            assert_eq!(out[..start], bytes[..start], "fixed and variable parts unchanged");
            let before = tagged(&bytes, TaggedLayout::Small);
            let after = tagged(&out, TaggedLayout::Small);
            assert_eq!(after.len(), 1);
            assert_eq!(after[0], before.iter().find(|f| f.0 == left).unwrap().clone());
        }
    }

    #[test]
    fn dropping_every_tagged_column_leaves_no_tagged_area_and_nothing_to_drop_is_none() {
        let bytes = sample();
        let start = Record::parse(&bytes, TaggedLayout::Small).unwrap().tagged_offset();
        let out = without_tagged_columns(&bytes, TaggedLayout::Small, |_, _| true).unwrap().unwrap();
        assert_eq!(out, bytes[..start]);
        assert!(tagged(&out, TaggedLayout::Small).is_empty());
        assert_eq!(without_tagged_columns(&bytes, TaggedLayout::Small, |id, _| id == 999).unwrap(), None);
    }

    #[test]
    fn legacy_fields_are_cut_out_whole() {
        let mut bytes = vec![0u8, 127, 4, 0];
        for (fid, data) in [(256u16, &b"ab"[..]), (300, b"xyz"), (256, b"cd")] {
            bytes.extend_from_slice(&fid.to_le_bytes());
            bytes.extend_from_slice(&(data.len() as u16).to_le_bytes());
            bytes.extend_from_slice(data);
        }
        let out = without_tagged_columns(&bytes, TaggedLayout::Legacy, |id, _| id == 256).unwrap().unwrap();
        assert_eq!(tagged(&out, TaggedLayout::Legacy), vec![(300, Cell::Single(Stored::Intrinsic(b"xyz")))]);
    }

    #[test]
    fn a_hostile_tagged_area_is_an_error_not_a_panic() {
        let mut bytes = sample();
        let start = Record::parse(&bytes, TaggedLayout::Small).unwrap().tagged_offset();
        bytes[start + 2] = 0xFC; // first offset far past the record
        assert!(without_tagged_columns(&bytes, TaggedLayout::Small, |_, _| true).is_err());
        bytes.truncate(start + 3);
        assert!(without_tagged_columns(&bytes, TaggedLayout::Small, |_, _| true).is_err());
    }
}
