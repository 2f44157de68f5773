//! Which part of a record a byte belongs to: a field of the record header,
//! the fixed data, the null bitmap, the variable offsets or data, a
//! `TAGFLD` entry or a tagged value (spec 10.1–10.5). Used to name the
//! column that holds a bit the ECC located.

use super::{Record, TaggedLayout};
use crate::format::types::le_u16;

/// What the byte at one record offset belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordPart {
    /// A record header field (`fidFixedLastInRec`, `fidVarLastInRec`, `ibEndOfFixedData`).
    Header(&'static str),
    /// The fixed data: which column holds it is the catalog's to say (by record offset).
    FixedData,
    /// The null bitmap byte holding the bits of fixed columns `first..first + 8`.
    NullBitmap {
        /// The column id of bit 0 of the byte.
        first: u32,
    },
    /// The entry of variable column `id` in the variable offsets.
    VariableOffset(u32),
    /// The data of variable column `id`.
    VariableData(u32),
    /// The `TAGFLD` entry (column id and offset) of tagged column `id`.
    TaggedEntry {
        /// Column id.
        id: u32,
        /// From the template table.
        derived: bool,
    },
    /// The data of tagged column `id` (its `TAGFLD_HEADER` byte included).
    TaggedData {
        /// Column id.
        id: u32,
        /// From the template table.
        derived: bool,
    },
    /// Past the record's parts, or in a tagged area that cannot be read.
    Unknown,
}

impl Record<'_> {
    /// The part of the record that record offset `offset` falls in.
    pub fn part_at(&self, offset: usize) -> RecordPart {
        let bitmap = self.end_of_fixed - usize::from(self.fixed_last).div_ceil(8);
        match offset {
            0 => RecordPart::Header("fidFixedLastInRec"),
            1 => RecordPart::Header("fidVarLastInRec"),
            2 | 3 => RecordPart::Header("ibEndOfFixedData"),
            o if o < bitmap => RecordPart::FixedData,
            o if o < self.end_of_fixed => RecordPart::NullBitmap { first: (o - bitmap) as u32 * 8 + 1 },
            o if o < self.var_data => RecordPart::VariableOffset(128 + ((o - self.end_of_fixed) / 2) as u32),
            o if o < self.tagged => self.variable_at(o - self.var_data),
            o if o < self.bytes.len() => self.tagged_at(o - self.tagged),
            _ => RecordPart::Unknown,
        }
    }

    /// The variable column whose data holds offset `at` of the variable data.
    fn variable_at(&self, at: usize) -> RecordPart {
        let count = usize::from(self.var_last.saturating_sub(127));
        let end = |k: usize| usize::from(le_u16(self.bytes, self.end_of_fixed + 2 * k).unwrap_or(0) & 0x7FFF);
        (0..count)
            .find(|&k| at < end(k))
            .map_or(RecordPart::Unknown, |k| RecordPart::VariableData(128 + k as u32))
    }

    /// The tagged column whose entry or data holds offset `at` of the tagged area.
    fn tagged_at(&self, at: usize) -> RecordPart {
        let area = self.bytes.get(self.tagged..).unwrap_or_default();
        match self.layout {
            TaggedLayout::Legacy => legacy_part(area, at),
            layout => {
                let mask = if layout == TaggedLayout::Large { 0x7FFF } else { 0x1FFF };
                let count = usize::from(le_u16(area, 2).unwrap_or(0) & mask) / 4;
                let entry = |i: usize| {
                    let (fid, ibw) = (le_u16(area, 4 * i).unwrap_or(0), le_u16(area, 4 * i + 2).unwrap_or(0));
                    (u32::from(fid), ibw & 0x8000 != 0, usize::from(ibw & mask))
                };
                if at < 4 * count {
                    let (id, derived, _) = entry(at / 4);
                    return RecordPart::TaggedEntry { id, derived };
                }
                // the last field whose data starts at or before `at`
                (0..count)
                    .rev()
                    .map(entry)
                    .find(|&(_, _, start)| start <= at)
                    .map_or(RecordPart::Unknown, |(id, derived, _)| RecordPart::TaggedData { id, derived })
            }
        }
    }
}

/// The ESE97 layout: `u16 fid`, `u16` size and flags, data, repeated.
fn legacy_part(area: &[u8], at: usize) -> RecordPart {
    let mut start = 0;
    while let (Some(fid), Some(bits)) = (le_u16(area, start), le_u16(area, start + 2)) {
        let (id, derived) = (u32::from(fid), bits & 0x2000 != 0);
        let end = start + 4 + usize::from(bits & 0x0FFF);
        if at < start + 4 {
            return RecordPart::TaggedEntry { id, derived };
        }
        if at < end {
            return RecordPart::TaggedData { id, derived };
        }
        start = end;
    }
    RecordPart::Unknown
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn every_byte_of_the_sample_record_has_its_part() {
        let bytes = sample();
        let rec = Record::parse(&bytes, TaggedLayout::Small).unwrap();
        let parts: Vec<RecordPart> = (0..bytes.len() + 1).map(|o| rec.part_at(o)).collect();
        assert_eq!(parts[0], RecordPart::Header("fidFixedLastInRec"));
        assert_eq!(parts[3], RecordPart::Header("ibEndOfFixedData"));
        assert!(parts[4..10].iter().all(|p| *p == RecordPart::FixedData));
        assert_eq!(parts[10], RecordPart::NullBitmap { first: 1 });
        assert_eq!(parts[11], RecordPart::VariableOffset(128));
        assert_eq!(parts[13], RecordPart::VariableOffset(129));
        assert_eq!(parts[15], RecordPart::VariableData(128));
        assert_eq!(parts[16], RecordPart::VariableData(128));
        let tagged = 17;
        assert_eq!(parts[tagged], RecordPart::TaggedEntry { id: 256, derived: false });
        assert_eq!(parts[tagged + 7], RecordPart::TaggedEntry { id: 257, derived: false });
        assert_eq!(parts[tagged + 8], RecordPart::TaggedData { id: 256, derived: false });
        assert_eq!(parts[tagged + 10], RecordPart::TaggedData { id: 256, derived: false });
        assert_eq!(parts[tagged + 11], RecordPart::TaggedData { id: 257, derived: false });
        assert_eq!(parts[bytes.len()], RecordPart::Unknown);
    }

    #[test]
    fn legacy_entries_and_data() {
        let mut area = vec![];
        area.extend_from_slice(&300u16.to_le_bytes());
        area.extend_from_slice(&2u16.to_le_bytes());
        area.extend_from_slice(b"ab");
        assert_eq!(legacy_part(&area, 0), RecordPart::TaggedEntry { id: 300, derived: false });
        assert_eq!(legacy_part(&area, 5), RecordPart::TaggedData { id: 300, derived: false });
        assert_eq!(legacy_part(&area, 6), RecordPart::Unknown);
    }
}
