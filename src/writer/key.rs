//! Value encodings: the bytes a value is stored as in a record (spec 10.6)
//! and its normalized key segment (spec 11), by which B+-tree entries sort.
//!
//! Text in code page 1200 cannot be normalized off Windows (the engine uses
//! `LCMapStringEx` sort keys), so such a segment is refused.

use super::schema::{ColumnType, Value};
use crate::format::key::{segment as segment_of, SegmentColumn};

/// Why a value could not be encoded.
pub type Refusal = &'static str;

/// The stored bytes of `value` in a column of `coltyp` and `code_page`,
/// or `None` for NULL.
///
/// # Errors
/// The value does not belong to the column type, or text has characters
/// the code page cannot hold.
pub fn stored_bytes(coltyp: ColumnType, code_page: u32, value: &Value) -> Result<Option<Vec<u8>>, Refusal> {
    use ColumnType as T;
    let bytes = match (coltyp, value) {
        (_, Value::Null) => return Ok(None),
        (T::BIT, Value::Bit(b)) => vec![if *b { 0xFF } else { 0 }],
        (T::UNSIGNED_BYTE, Value::UnsignedByte(v)) => vec![*v],
        (T::SHORT, Value::Short(v)) => v.to_le_bytes().to_vec(),
        (T::LONG, Value::Long(v)) => v.to_le_bytes().to_vec(),
        (T::CURRENCY, Value::Currency(v)) | (T::LONG_LONG, Value::LongLong(v)) => v.to_le_bytes().to_vec(),
        (T::IEEE_SINGLE, Value::Single(v)) => v.to_le_bytes().to_vec(),
        (T::IEEE_DOUBLE, Value::Double(v)) | (T::DATE_TIME, Value::DateTime(v)) => v.to_le_bytes().to_vec(),
        (T::UNSIGNED_LONG, Value::UnsignedLong(v)) => v.to_le_bytes().to_vec(),
        (T::GUID, Value::Guid(v)) => v.to_vec(),
        (T::UNSIGNED_SHORT, Value::UnsignedShort(v)) => v.to_le_bytes().to_vec(),
        (T::UNSIGNED_LONG_LONG, Value::UnsignedLongLong(v)) => v.to_le_bytes().to_vec(),
        (T::BINARY | T::LONG_BINARY, Value::Binary(v)) => v.clone(),
        (T::TEXT | T::LONG_TEXT, Value::Text(text)) => encode_text(text, code_page)?,
        (_, Value::Multi(_)) => return Err("multi-valued columns are not written"),
        _ => return Err("the value does not match the column type"),
    };
    Ok(Some(bytes))
}

/// Text in a code page: 1200 is UTF-16LE; 1252 (and 0) take characters up
/// to U+00FF except U+0080–U+009F, stored as Latin-1 (equal to cp1252 there).
fn encode_text(text: &str, code_page: u32) -> Result<Vec<u8>, Refusal> {
    match code_page {
        1200 => Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        0 | 1252 | 20127 => text
            .chars()
            .map(|c| match u32::from(c) {
                v @ (0..=0x7F | 0xA0..=0xFF) if code_page != 20127 || v <= 0x7F => Ok(v as u8),
                _ => Err("text has a character its code page cannot hold"),
            })
            .collect(),
        _ => Err("unsupported code page"),
    }
}

/// The normalized key segment of a value (ascending; a descending segment
/// is this with every byte inverted, see [`segment`]).
///
/// # Errors
/// Unicode text (not reproducible off Windows), or a value of another type.
pub fn normalized(coltyp: ColumnType, code_page: u32, value: &Value) -> Result<Vec<u8>, Refusal> {
    let Some(raw) = stored_bytes(coltyp, code_page, value)? else { return Ok(vec![0x00]) };
    if coltyp.is_text() && code_page == 1200 {
        return Err("Unicode text cannot be normalized off Windows");
    }
    // the reader's normalization (spec 11), from the stored bytes; the
    // writer stores Binary in variable columns, whose keys are chunked
    let column = SegmentColumn { coltyp, codepage: code_page, fixed: false };
    segment_of(column, Some(&raw), false, false).ok_or("a column type the writer does not write")
}

/// A key segment, inverted when descending.
///
/// # Errors
/// As [`normalized`].
pub fn segment(
    coltyp: ColumnType,
    code_page: u32,
    value: &Value,
    descending: bool,
) -> Result<Vec<u8>, Refusal> {
    let mut bytes = normalized(coltyp, code_page, value)?;
    if descending {
        bytes.iter_mut().for_each(|b| *b = !*b);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_key_example_of_the_spec() {
        // spec 9.3: (table 3, column, columnid 260) = 7f80000003 7f8002 7f80000104
        let key = [
            normalized(ColumnType::LONG, 0, &Value::Long(3)).unwrap(),
            normalized(ColumnType::SHORT, 0, &Value::Short(2)).unwrap(),
            normalized(ColumnType::LONG, 0, &Value::Long(260)).unwrap(),
        ]
        .concat();
        assert_eq!(hex::encode(key), "7f800000037f80027f80000104");
    }

    #[test]
    fn keys_sort_as_values_do() {
        let longs = [-5i32, -1, 0, 1, 300];
        let keys: Vec<_> =
            longs.iter().map(|v| normalized(ColumnType::LONG, 0, &Value::Long(*v)).unwrap()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let doubles = [-2.5f64, -0.5, 0.0, 0.25, 1e9];
        let keys: Vec<_> = doubles
            .iter()
            .map(|v| normalized(ColumnType::IEEE_DOUBLE, 0, &Value::Double(*v)).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let texts = ["", "ab", "ABC", "b"];
        let keys: Vec<_> = texts
            .iter()
            .map(|t| normalized(ColumnType::TEXT, 1252, &Value::Text((*t).into())).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn binary_chunks_end_with_their_length() {
        let key = normalized(ColumnType::BINARY, 0, &Value::Binary(b"0123456789".to_vec())).unwrap();
        assert_eq!(hex::encode(key), "7f303132333435363709383900000000000002");
        assert_eq!(segment(ColumnType::BIT, 0, &Value::Bit(true), true).unwrap(), vec![0x80, 0x00]);
    }

    #[test]
    fn refuses_what_it_cannot_encode() {
        assert!(normalized(ColumnType::TEXT, 1200, &Value::Text("x".into())).is_err());
        assert!(stored_bytes(ColumnType::LONG, 0, &Value::Short(1)).is_err());
        assert!(stored_bytes(ColumnType::TEXT, 1252, &Value::Text("€".into())).is_err());
        assert_eq!(normalized(ColumnType::LONG, 0, &Value::Null).unwrap(), vec![0]);
    }
}
