//! Normalized keys (spec 11): the bytes a column value becomes in a B+-tree
//! key, computed from the value's stored bytes. Reading needs them only to
//! check that a key and a record agree (a record remnant found in a page's
//! free space is believed only when its key is the one its values give).
//!
//! Text in code page 1200 sorts by a Windows `LCMapStringEx` sort key that
//! cannot be reproduced off Windows; such a segment (and any value stored
//! elsewhere: separated, compressed, multi-valued) is "not computable".

use super::value::ColumnType;

/// The key byte of a NULL segment (sorted low).
pub const NULL_LOW: u8 = 0x00;
/// The key byte of a NULL segment when the index sorts nulls high.
pub const NULL_HIGH: u8 = 0xC0;
/// The key byte of a zero-length Text or Binary value.
pub const EMPTY: u8 = 0x40;
/// The byte a non-NULL segment starts with.
pub const PRESENT: u8 = 0x7F;

/// How one key segment's column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentColumn {
    /// Its type.
    pub coltyp: ColumnType,
    /// Its code page (text).
    pub codepage: u32,
    /// A fixed column (fixed Binary keys are the raw bytes, not chunks).
    pub fixed: bool,
}

/// The normalized segment of a value whose stored bytes are `value`
/// (`None` for NULL), ascending or inverted for a descending segment;
/// `None` when it cannot be computed here (Unicode text, a type that has
/// no key form).
pub fn segment(
    column: SegmentColumn,
    value: Option<&[u8]>,
    descending: bool,
    nulls_high: bool,
) -> Option<Vec<u8>> {
    let mut out = match value {
        None => vec![if nulls_high { NULL_HIGH } else { NULL_LOW }],
        Some(raw) => ascending(column, raw)?,
    };
    if descending {
        out.iter_mut().for_each(|b| *b = !*b);
    }
    Some(out)
}

fn ascending(column: SegmentColumn, raw: &[u8]) -> Option<Vec<u8>> {
    use ColumnType as T;
    let size_ok = |n: usize| raw.len() == n;
    let mut out = vec![PRESENT];
    match column.coltyp {
        T::BIT if size_ok(1) => out.push(if raw.first() == Some(&0) { 0x00 } else { 0xFF }),
        T::UNSIGNED_BYTE if size_ok(1) => out.extend_from_slice(raw),
        T::SHORT | T::LONG | T::CURRENCY | T::LONG_LONG
            if column.coltyp.fixed_size().is_some_and(size_ok) =>
        {
            out.extend(raw.iter().rev());
            if let Some(sign) = out.get_mut(1) {
                *sign ^= 0x80;
            }
        }
        T::UNSIGNED_SHORT | T::UNSIGNED_LONG | T::UNSIGNED_LONG_LONG
            if column.coltyp.fixed_size().is_some_and(size_ok) =>
        {
            out.extend(raw.iter().rev())
        }
        T::IEEE_SINGLE | T::IEEE_DOUBLE | T::DATE_TIME if column.coltyp.fixed_size().is_some_and(size_ok) => {
            let negative = raw.last().is_some_and(|b| b & 0x80 != 0);
            out.extend(raw.iter().rev().map(|&b| if negative { !b } else { b }));
            if !negative {
                if let Some(sign) = out.get_mut(1) {
                    *sign ^= 0x80;
                }
            }
        }
        T::GUID if size_ok(16) => {
            for i in [10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3] {
                out.push(raw.get(i).copied().unwrap_or(0));
            }
        }
        T::TEXT | T::LONG_TEXT if column.codepage != 1200 => {
            if raw.is_empty() {
                return Some(vec![EMPTY]);
            }
            out.extend(raw.iter().take_while(|&&b| b != 0).map(u8::to_ascii_uppercase));
            out.push(0x00);
        }
        T::BINARY | T::LONG_BINARY if column.fixed => out.extend_from_slice(raw),
        T::BINARY | T::LONG_BINARY => {
            if raw.is_empty() {
                return Some(vec![EMPTY]);
            }
            let chunks = raw.chunks(8);
            let last = chunks.len().saturating_sub(1);
            for (i, chunk) in chunks.enumerate() {
                let mut padded = [0u8; 8];
                for (p, b) in padded.iter_mut().zip(chunk) {
                    *p = *b;
                }
                out.extend_from_slice(&padded);
                out.push(if i == last { chunk.len() as u8 } else { 9 });
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(coltyp: ColumnType) -> SegmentColumn {
        SegmentColumn { coltyp, codepage: 1252, fixed: true }
    }

    #[test]
    fn the_catalog_key_of_the_spec() {
        // spec 9.3: (table 3, column, columnid 260) = 7f80000003 7f8002 7f80000104
        let key = [
            segment(col(ColumnType::LONG), Some(&3i32.to_le_bytes()), false, false).unwrap(),
            segment(col(ColumnType::SHORT), Some(&2i16.to_le_bytes()), false, false).unwrap(),
            segment(col(ColumnType::LONG), Some(&260i32.to_le_bytes()), false, false).unwrap(),
        ]
        .concat();
        assert_eq!(hex::encode(key), "7f800000037f80027f80000104");
    }

    #[test]
    fn segments_sort_as_values_do() {
        let doubles = [-2.5f64, -0.5, 0.0, 0.25, 1e9];
        let keys: Vec<_> = doubles
            .iter()
            .map(|v| segment(col(ColumnType::IEEE_DOUBLE), Some(&v.to_le_bytes()), false, false).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let text = segment(col(ColumnType::TEXT), Some(b"ab\0x"), false, false).unwrap();
        assert_eq!(text, b"\x7fAB\0");
        let binary = SegmentColumn { fixed: false, ..col(ColumnType::BINARY) };
        let key = segment(binary, Some(b"0123456789"), false, false).unwrap();
        assert_eq!(hex::encode(key), "7f303132333435363709383900000000000002");
    }

    #[test]
    fn nulls_descending_and_what_cannot_be_computed() {
        assert_eq!(segment(col(ColumnType::LONG), None, false, false), Some(vec![0x00]));
        assert_eq!(segment(col(ColumnType::LONG), None, false, true), Some(vec![0xC0]));
        assert_eq!(segment(col(ColumnType::BIT), Some(&[1]), true, false), Some(vec![0x80, 0x00]));
        let unicode = SegmentColumn { codepage: 1200, ..col(ColumnType::TEXT) };
        assert_eq!(segment(unicode, Some(b"h\0"), false, false), None);
        assert_eq!(segment(col(ColumnType::LONG), Some(&[1, 2]), false, false), None, "wrong size");
    }
}
