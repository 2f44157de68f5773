//! Newtypes for the numbers stored on disk: page numbers, page sizes, dbtimes,
//! object ids, log positions, log times and signatures.
//!
//! Every conversion between these and raw integers or file offsets lives here,
//! so a page number can never be mixed up with a byte offset.

use core::fmt;
use serde::Serialize;

/// A page number in the database file (`PGNO`). Page 1 is the first page
/// after the file header and its shadow copy; page 0 means "no page".
#[doc(alias = "PGNO")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct PageNumber(pub u32);

impl PageNumber {
    /// `pgnoNull`: used in sibling links and parent pointers for "none".
    pub const NULL: Self = Self(0);

    /// Byte offset of this page from the start of the file: `(pgno + 1) * page size`.
    pub fn file_offset(self, page_size: PageSize) -> u64 {
        (u64::from(self.0) + 1) * u64::from(page_size.bytes())
    }

    /// The page that contains file byte `offset`, or `None` for the two header pages.
    pub fn containing(offset: u64, page_size: PageSize) -> Option<Self> {
        let physical = offset / u64::from(page_size.bytes());
        let pgno = physical.checked_sub(1)?;
        if pgno == 0 {
            return None;
        }
        u32::try_from(pgno).ok().map(Self)
    }

    /// True for `pgnoNull`.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for PageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A database page size in bytes: 2, 4, 8, 16 or 32 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u32")]
pub struct PageSize(u32);

impl PageSize {
    /// 2 KiB pages (engines before Windows 8.1 only).
    pub const K2: Self = Self(2048);
    /// 4 KiB pages.
    pub const K4: Self = Self(4096);
    /// 8 KiB pages.
    pub const K8: Self = Self(8192);
    /// 16 KiB pages (large page layout).
    pub const K16: Self = Self(16384);
    /// 32 KiB pages (large page layout).
    pub const K32: Self = Self(32768);
    /// Every valid page size, smallest first.
    pub const ALL: [Self; 5] = [Self::K2, Self::K4, Self::K8, Self::K16, Self::K32];

    /// The page size for `bytes`, if it is one ESE supports.
    pub fn new(bytes: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|size| size.0 == bytes)
    }

    /// The size in bytes.
    pub fn bytes(self) -> u32 {
        self.0
    }

    /// The size in bytes as `usize`.
    #[allow(clippy::len_without_is_empty)] // a page size is never empty
    pub fn len(self) -> usize {
        self.0 as usize
    }

    /// "Large" pages (16 and 32 KiB) have the 80-byte header, four checksum
    /// blocks and 15-bit tag fields.
    pub fn is_large(self) -> bool {
        self.0 > 8192
    }

    /// Length of the page header: 40 bytes, or 80 on large pages.
    pub fn header_len(self) -> usize {
        if self.is_large() {
            80
        } else {
            40
        }
    }
}

impl From<PageSize> for u32 {
    fn from(size: PageSize) -> u32 {
        size.0
    }
}

impl fmt::Display for PageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} KiB)", self.0, self.0 / 1024)
    }
}

/// A DBTIME: the database's logical clock, stamped on each page when it changes.
#[doc(alias = "DBTIME")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct DbTime(pub u64);

impl fmt::Display for DbTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x} ({})", self.0, self.0)
    }
}

/// The object id of a B+-tree (`OBJID`): a table, index, long-value or space tree.
#[doc(alias = "OBJID")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct ObjectId(pub u32);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A position in the transaction log (`LGPOS`): generation, sector (or
/// segment) and byte. Ordered by `(generation, isec, ib)`.
#[doc(alias = "LGPOS")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Lgpos {
    /// `lGeneration`: the log generation.
    pub generation: i32,
    /// `isec`: sector (legacy logs) or segment index inside the log file.
    pub isec: u16,
    /// `ib`: byte offset inside the sector or segment.
    pub ib: u16,
}

impl Lgpos {
    /// Size of the on-disk structure.
    pub const LEN: usize = 8;

    /// Decodes 8 bytes: `u16 ib`, `u16 isec`, `i32 lGeneration`, little-endian.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self {
            ib: u16::from_le_bytes([bytes[0], bytes[1]]),
            isec: u16::from_le_bytes([bytes[2], bytes[3]]),
            generation: i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }

    /// `lgposMin`: all zero, "no position".
    pub fn is_zero(self) -> bool {
        self == Self::default()
    }
}

impl fmt::Display for Lgpos {
    /// eseutil's header form `(0xGEN,ISEC,IB)`, hexadecimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:#X},{:X},{:X})", self.generation, self.isec, self.ib)
    }
}

/// A `LOGTIME`: a calendar time stored as eight bytes (seconds, minutes,
/// hours, day, month 1–12, year − 1900, and milliseconds with a UTC flag).
#[doc(alias = "LOGTIME")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogTime(pub [u8; 8]);

impl LogTime {
    /// The LOGTIME (UTC) of `unix_seconds` plus `millis` since 1970-01-01.
    pub fn from_unix(unix_seconds: u64, millis: u16) -> Self {
        let days = unix_seconds / 86_400;
        let rest = unix_seconds % 86_400;
        // Civil date from days since the epoch (proleptic Gregorian).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let millis = millis.min(999);
        Self([
            (rest % 60) as u8,
            (rest / 60 % 60) as u8,
            (rest / 3600) as u8,
            day,
            month,
            (year - 1900).clamp(0, 255) as u8,
            ((millis & 0x7F) << 1) as u8 | 1,
            (((millis >> 7) & 7) << 1) as u8,
        ])
    }

    /// All zero means "not set".
    pub fn is_set(self) -> bool {
        self.0 != [0; 8]
    }

    /// Milliseconds: low 7 bits in byte 6 bits 1–7, high 3 bits in byte 7 bits 1–3.
    pub fn milliseconds(self) -> u16 {
        u16::from(self.0[6] >> 1) | (u16::from((self.0[7] >> 1) & 7) << 7)
    }

    /// `fTimeIsUTC`, bit 0 of byte 6.
    pub fn is_utc(self) -> bool {
        self.0[6] & 1 != 0
    }

    /// Calendar year.
    pub fn year(self) -> u32 {
        1900 + u32::from(self.0[5])
    }

    /// ISO 8601 text (`2022-08-19T11:46:33.040Z`), or `None` when not set.
    pub fn to_iso8601(self) -> Option<String> {
        if !self.is_set() {
            return None;
        }
        let [sec, min, hour, day, month, ..] = self.0;
        let zone = if self.is_utc() { "Z" } else { "" };
        Some(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{zone}",
            self.year(),
            month,
            day,
            hour,
            min,
            sec,
            self.milliseconds()
        ))
    }
}

impl fmt::Display for LogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_set() {
            return f.write_str("not set");
        }
        let [sec, min, hour, day, month, ..] = self.0;
        let zone = if self.is_utc() { "UTC" } else { "LOC" };
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} {zone}",
            self.year(),
            month,
            day,
            hour,
            min,
            sec,
            self.milliseconds()
        )
    }
}

impl Serialize for LogTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_iso8601() {
            Some(text) => serializer.serialize_str(&text),
            None => serializer.serialize_none(),
        }
    }
}

/// A `SIGNATURE`: identifies a database (`signDb`) or a log stream
/// (`signLog`). Two signatures are equal when all 28 bytes are.
#[doc(alias = "SIGNATURE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Signature(pub [u8; 28]);

impl Signature {
    /// Size of the on-disk structure.
    pub const LEN: usize = 28;

    /// `ulRandom`.
    pub fn random(&self) -> u32 {
        u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// Creation time.
    pub fn created(&self) -> LogTime {
        let mut time = [0u8; 8];
        time.copy_from_slice(&self.0[4..12]);
        LogTime(time)
    }

    /// NetBIOS computer name (NUL-padded ANSI; empty in modern files).
    pub fn computer_name(&self) -> String {
        self.0.iter().skip(12).take_while(|&&b| b != 0).map(|&b| char::from(b)).collect()
    }

    /// All zero: no signature.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 28]
    }
}

impl fmt::Display for Signature {
    /// eseutil's form: `Create time:… Rand:… Computer:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Create time:{} Rand:{} Computer:{}",
            self.created(),
            self.random(),
            crate::sanitize::Visible(&self.computer_name())
        )
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Signature", 4)?;
        s.serialize_field("random", &self.random())?;
        s.serialize_field("created", &self.created())?;
        s.serialize_field("computer_name", &self.computer_name())?;
        s.serialize_field("hex", &hex::encode(self.0))?;
        s.end()
    }
}

/// Reads a little-endian `u16` at `offset` of a fixed-size array the caller
/// has already bounds-checked by type.
pub(crate) fn le_u16(bytes: &[u8], offset: usize) -> Option<u16> {
    let b = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes([*b.first()?, *b.get(1)?]))
}

/// Reads a little-endian `u32` at `offset`, or `None` past the end.
pub(crate) fn le_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Reads a little-endian `u64` at `offset`, or `None` past the end.
pub(crate) fn le_u64(bytes: &[u8], offset: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_offsets() {
        assert_eq!(PageNumber(1).file_offset(PageSize::K4), 8192);
        assert_eq!(PageNumber::containing(8192 + 5, PageSize::K4), Some(PageNumber(1)));
        assert_eq!(PageNumber::containing(4100, PageSize::K4), None);
    }

    #[test]
    fn logtime_spec_example() {
        // spec 3.2: 21 2e 0b 13 08 7a 51 00 = 2022-08-19 11:46:33.040 UTC
        let t = LogTime([0x21, 0x2e, 0x0b, 0x13, 0x08, 0x7a, 0x51, 0x00]);
        assert_eq!(t.to_string(), "2022-08-19 11:46:33.040 UTC");
        assert_eq!(t.to_iso8601().as_deref(), Some("2022-08-19T11:46:33.040Z"));
    }

    #[test]
    fn logtime_from_unix_time() {
        // 2022-08-19 11:46:33.040 UTC
        assert_eq!(LogTime::from_unix(1_660_909_593, 40).to_string(), "2022-08-19 11:46:33.040 UTC");
        assert_eq!(LogTime::from_unix(951_782_400, 999).to_string(), "2000-02-29 00:00:00.999 UTC");
    }

    #[test]
    fn lgpos_orders_by_generation_first() {
        let a = Lgpos { generation: 2, isec: 0, ib: 0 };
        let b = Lgpos { generation: 1, isec: 9, ib: 9 };
        assert!(a > b);
        assert_eq!(Lgpos::from_bytes([0x68, 2, 0xdc, 1, 0x40, 0, 0, 0]).to_string(), "(0x40,1DC,268)");
    }
}
