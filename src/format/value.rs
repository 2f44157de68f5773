//! Column values: the bytes of one value turned into what its column type
//! (`JET_coltyp`, spec 10.6) says they are — integers, floats, OLE dates as
//! UTC timestamps, GUIDs, text in the column's code page, bytes.

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

/// A column type (`JET_coltyp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ColumnType(pub u32);

impl ColumnType {
    /// `JET_coltypBit`.
    pub const BIT: Self = Self(1);
    /// `JET_coltypUnsignedByte`.
    pub const UNSIGNED_BYTE: Self = Self(2);
    /// `JET_coltypShort`.
    pub const SHORT: Self = Self(3);
    /// `JET_coltypLong`.
    pub const LONG: Self = Self(4);
    /// `JET_coltypCurrency`.
    pub const CURRENCY: Self = Self(5);
    /// `JET_coltypIEEESingle`.
    pub const IEEE_SINGLE: Self = Self(6);
    /// `JET_coltypIEEEDouble`.
    pub const IEEE_DOUBLE: Self = Self(7);
    /// `JET_coltypDateTime`.
    pub const DATE_TIME: Self = Self(8);
    /// `JET_coltypBinary`.
    pub const BINARY: Self = Self(9);
    /// `JET_coltypText`.
    pub const TEXT: Self = Self(10);
    /// `JET_coltypLongBinary`.
    pub const LONG_BINARY: Self = Self(11);
    /// `JET_coltypLongText`.
    pub const LONG_TEXT: Self = Self(12);
    /// `JET_coltypUnsignedLong`.
    pub const UNSIGNED_LONG: Self = Self(14);
    /// `JET_coltypLongLong`.
    pub const LONG_LONG: Self = Self(15);
    /// `JET_coltypGUID`.
    pub const GUID: Self = Self(16);
    /// `JET_coltypUnsignedShort`.
    pub const UNSIGNED_SHORT: Self = Self(17);
    /// `JET_coltypUnsignedLongLong`.
    pub const UNSIGNED_LONG_LONG: Self = Self(18);

    /// The stored size of a fixed column of this type; `None` for
    /// Binary/Text (their size is the column's maximum length) and long types.
    pub fn fixed_size(self) -> Option<usize> {
        Some(match self.0 {
            1 | 2 => 1,
            3 | 17 => 2,
            4 | 6 | 14 => 4,
            5 | 7 | 8 | 15 | 18 => 8,
            16 => 16,
            _ => return None,
        })
    }

    /// True for Text and LongText.
    pub fn is_text(self) -> bool {
        matches!(self.0, 10 | 12)
    }
}

/// One decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// Bit.
    Bit(bool),
    /// UnsignedByte.
    UnsignedByte(u8),
    /// Short.
    Short(i16),
    /// UnsignedShort.
    UnsignedShort(u16),
    /// Long.
    Long(i32),
    /// UnsignedLong.
    UnsignedLong(u32),
    /// LongLong.
    LongLong(i64),
    /// UnsignedLongLong.
    UnsignedLongLong(u64),
    /// Currency: an integer count of 1/10 000 units.
    Currency(i64),
    /// IEEESingle.
    Single(f32),
    /// IEEEDouble.
    Double(f64),
    /// DateTime: an OLE Automation date (days since 1899-12-30).
    DateTime(f64),
    /// GUID, as stored (Windows byte order).
    Guid([u8; 16]),
    /// Text decoded from its code page.
    Text(String),
    /// Binary, LongBinary, and anything that does not fit its type.
    Binary(Vec<u8>),
    /// A multi-valued column's instances.
    Multi(Vec<Value>),
}

fn array<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok()
}

/// Decodes `bytes` as a value of `coltyp`, text in `codepage`. Bytes whose
/// length does not fit the type come back as [`Value::Binary`].
pub fn decode(coltyp: ColumnType, codepage: u32, bytes: &[u8]) -> Value {
    let fixed = || -> Option<Value> {
        Some(match coltyp.0 {
            1 => Value::Bit(*array::<1>(bytes)?.first()? != 0),
            2 => Value::UnsignedByte(u8::from_le_bytes(array(bytes)?)),
            3 => Value::Short(i16::from_le_bytes(array(bytes)?)),
            4 => Value::Long(i32::from_le_bytes(array(bytes)?)),
            5 => Value::Currency(i64::from_le_bytes(array(bytes)?)),
            6 => Value::Single(f32::from_le_bytes(array(bytes)?)),
            7 => Value::Double(f64::from_le_bytes(array(bytes)?)),
            8 => Value::DateTime(f64::from_le_bytes(array(bytes)?)),
            14 => Value::UnsignedLong(u32::from_le_bytes(array(bytes)?)),
            15 => Value::LongLong(i64::from_le_bytes(array(bytes)?)),
            16 => Value::Guid(array(bytes)?),
            17 => Value::UnsignedShort(u16::from_le_bytes(array(bytes)?)),
            18 => Value::UnsignedLongLong(u64::from_le_bytes(array(bytes)?)),
            10 | 12 => Value::Text(decode_text(codepage, bytes)),
            _ => return None,
        })
    };
    fixed().unwrap_or_else(|| Value::Binary(bytes.to_vec()))
}

/// Text in a Windows code page: 1200 is UTF-16LE; others through their
/// encoding (1252 when the code page is 0 or unknown). Trailing NULs,
/// which Windows programs often store, are dropped.
pub fn decode_text(codepage: u32, bytes: &[u8]) -> String {
    let mut text = match codepage {
        1200 => {
            let units = bytes.chunks(2).map(|c| {
                u16::from_le_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)])
            });
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
        }
        20127 => bytes
            .iter()
            .map(|&b| if b < 0x80 { char::from(b) } else { char::REPLACEMENT_CHARACTER })
            .collect(),
        other => {
            let encoding = u16::try_from(other)
                .ok()
                .and_then(codepage::to_encoding)
                .unwrap_or(encoding_rs::WINDOWS_1252);
            encoding.decode_without_bom_handling(bytes).0.into_owned()
        }
    };
    while text.ends_with('\0') {
        text.pop();
    }
    text
}

/// An OLE Automation date as ISO 8601 UTC with milliseconds, or `None`
/// outside years 1–9999 (the value is then shown as a number).
pub fn ole_date_to_iso8601(days: f64) -> Option<String> {
    if !days.is_finite() || !(-657_434.0..2_958_466.0).contains(&days) {
        return None;
    }
    // The date part is the integer part; the time of day is the absolute
    // fraction, also for dates before 1899-12-30.
    let whole = days.trunc();
    let mut ms = ((days - whole).abs() * 86_400_000.0).round() as i64;
    let mut day = whole as i64;
    if ms >= 86_400_000 {
        ms -= 86_400_000;
        day += if days < 0.0 { -1 } else { 1 };
    }
    // 1899-12-30 is 25 569 days before 1970-01-01.
    let (y, m, d) = civil_from_days(day - 25_569);
    let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    Some(format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z"))
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A GUID in its usual form, e.g. `00112233-4455-6677-8899-aabbccddeeff`,
/// from Windows byte order (first three groups little-endian).
pub fn guid_string(b: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        hex::encode(&b[10..])
    )
}

/// Lower-case hex of `bytes`: what `hex::encode` gives, without its
/// per-character iterator (binary columns were a fifth of `export`'s time).
pub fn hex_string(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 });
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0F));
    }
    out
}

impl Value {
    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value as one line of text: numbers as numbers, dates as ISO
    /// 8601 UTC, binary as hex, multi-values as a JSON array.
    pub fn to_text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Bit(b) => b.to_string(),
            Self::UnsignedByte(v) => v.to_string(),
            Self::Short(v) => v.to_string(),
            Self::UnsignedShort(v) => v.to_string(),
            Self::Long(v) => v.to_string(),
            Self::UnsignedLong(v) => v.to_string(),
            Self::LongLong(v) | Self::Currency(v) => v.to_string(),
            Self::UnsignedLongLong(v) => v.to_string(),
            Self::Single(v) => v.to_string(),
            Self::Double(v) => v.to_string(),
            Self::DateTime(v) => ole_date_to_iso8601(*v).unwrap_or_else(|| v.to_string()),
            Self::Guid(g) => guid_string(g),
            Self::Text(t) => t.clone(),
            Self::Binary(b) => hex_string(b),
            Self::Multi(_) => serde_json::to_string(self).unwrap_or_default(),
        }
    }
}

/// JSON: NULL as null, numbers as numbers (non-finite floats as strings),
/// dates as ISO 8601 strings, GUIDs as strings, binary as hex strings,
/// multi-values as arrays.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_none(),
            Self::Bit(b) => s.serialize_bool(*b),
            Self::UnsignedByte(v) => s.serialize_u8(*v),
            Self::Short(v) => s.serialize_i16(*v),
            Self::UnsignedShort(v) => s.serialize_u16(*v),
            Self::Long(v) => s.serialize_i32(*v),
            Self::UnsignedLong(v) => s.serialize_u32(*v),
            Self::LongLong(v) | Self::Currency(v) => s.serialize_i64(*v),
            Self::UnsignedLongLong(v) => s.serialize_u64(*v),
            Self::Single(v) if v.is_finite() => s.serialize_f32(*v),
            Self::Double(v) if v.is_finite() => s.serialize_f64(*v),
            Self::Multi(values) => {
                let mut seq = s.serialize_seq(Some(values.len()))?;
                for v in values {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            other => s.serialize_str(&other.to_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ole_dates() {
        assert_eq!(ole_date_to_iso8601(0.0).as_deref(), Some("1899-12-30T00:00:00.000Z"));
        assert_eq!(ole_date_to_iso8601(2.5).as_deref(), Some("1900-01-01T12:00:00.000Z"));
        // -1.25 is 1899-12-29 06:00 (the fraction counts forward from the day)
        assert_eq!(ole_date_to_iso8601(-1.25).as_deref(), Some("1899-12-29T06:00:00.000Z"));
        // 44197.0 = 2021-01-01
        assert_eq!(ole_date_to_iso8601(44197.0).as_deref(), Some("2021-01-01T00:00:00.000Z"));
        assert_eq!(ole_date_to_iso8601(f64::NAN), None);
        assert_eq!(ole_date_to_iso8601(1e300), None);
    }

    #[test]
    fn fixed_types_and_text() {
        assert_eq!(decode(ColumnType::LONG, 0, &(-5i32).to_le_bytes()), Value::Long(-5));
        assert_eq!(decode(ColumnType::BIT, 0, &[0xFF]), Value::Bit(true));
        assert_eq!(decode(ColumnType::TEXT, 1200, b"h\0i\0\0\0"), Value::Text("hi".into()));
        assert_eq!(decode(ColumnType::TEXT, 1252, &[0x80]), Value::Text("€".into()));
        assert_eq!(decode(ColumnType::LONG, 0, &[1, 2]), Value::Binary(vec![1, 2]));
        let g =
            [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        assert_eq!(guid_string(&g), "00112233-4455-6677-8899-aabbccddeeff");
        let json = serde_json::to_string(&Value::Multi(vec![Value::Long(1), Value::Null])).unwrap();
        assert_eq!(json, "[1,null]");
    }

    #[test]
    fn hex_string_is_hex_encode() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_string(&all), hex::encode(&all));
        assert_eq!(Value::Binary(vec![0x0a, 0xf0]).to_text(), "0af0");
    }
}
