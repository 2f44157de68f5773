//! Fixed on-disk layouts described once, declaratively: the [`layout!`]
//! macro produces a zerocopy raw struct and a table of its fields (engine
//! name, offset, size, how to show the value). Dumps, header comparisons
//! and JSON all read fields through that one table.

use core::fmt;
use serde::Serialize;

use super::types::{le_u16, le_u32, le_u64, DbTime, Lgpos, LogTime, Signature};

/// How to decode and show one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Unsigned decimal (u16/u32/u64 by size).
    Unsigned,
    /// Signed 32-bit decimal (generations).
    Signed,
    /// Hexadecimal of the field's size.
    Hex,
    /// A DBTIME.
    DbTime,
    /// An LGPOS.
    Lgpos,
    /// A LOGTIME.
    LogTime,
    /// A SIGNATURE.
    Signature,
    /// A BKINFO (backup information).
    BkInfo,
    /// The database state code.
    DbState,
    /// JET_filetype.
    FileType,
    /// Page flags (`fFlags`).
    PageFlags,
    /// `itagState`: tag count and reserved-tag count.
    TagState,
    /// The 64-bit stored checksum (XOR half and ECC half).
    Checksum,
    /// Raw bytes, shown as hex.
    Bytes,
}

/// The description of one field of a fixed layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The engine's name for the field (e.g. `le_dbtimeDirtied`).
    pub name: &'static str,
    /// Offset from the start of the structure.
    pub offset: usize,
    /// Size in bytes.
    pub len: usize,
    /// How to decode and show it.
    pub kind: FieldKind,
}

/// BKINFO: a backup's log position, time and generation range.
#[doc(alias = "BKINFO")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BkInfo {
    /// `le_lgposMark`.
    pub lgpos_mark: Lgpos,
    /// `logtimeMark`.
    pub logtime_mark: LogTime,
    /// `le_genLow`.
    pub gen_low: u32,
    /// `le_genHigh`.
    pub gen_high: u32,
}

impl BkInfo {
    /// Decodes the 24-byte structure.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(Self {
            lgpos_mark: lgpos_at(bytes, 0)?,
            logtime_mark: logtime_at(bytes, 8)?,
            gen_low: le_u32(bytes, 16)?,
            gen_high: le_u32(bytes, 20)?,
        })
    }
}

/// Reads an LGPOS at `offset`.
pub fn lgpos_at(bytes: &[u8], offset: usize) -> Option<Lgpos> {
    Some(Lgpos::from_bytes(bytes.get(offset..offset + 8)?.try_into().ok()?))
}

/// Reads a LOGTIME at `offset`.
pub fn logtime_at(bytes: &[u8], offset: usize) -> Option<LogTime> {
    Some(LogTime(bytes.get(offset..offset + 8)?.try_into().ok()?))
}

/// Reads a SIGNATURE at `offset`.
pub fn signature_at(bytes: &[u8], offset: usize) -> Option<Signature> {
    Some(Signature(bytes.get(offset..offset + 28)?.try_into().ok()?))
}

/// A decoded field value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// A number.
    Number(u64),
    /// A signed number.
    Signed(i64),
    /// A number best read in hex; serialized as a number.
    Hex(u64),
    /// A DBTIME.
    DbTime(DbTime),
    /// An LGPOS.
    Lgpos(Lgpos),
    /// A LOGTIME.
    LogTime(LogTime),
    /// A SIGNATURE.
    Signature(Signature),
    /// A BKINFO.
    BkInfo(BkInfo),
    /// A code with its name (state, file type).
    Named {
        /// The raw code.
        code: u64,
        /// Its name, or "unknown".
        name: String,
    },
    /// Flags with the names of the bits set.
    Flags {
        /// The raw value.
        value: u64,
        /// Names of the set bits (unknown bits as hex).
        names: Vec<String>,
    },
    /// `itagState`.
    TagState {
        /// `itagMicFree`: tags in use.
        tags: u16,
        /// `ctagReserved` as stored (0 means 1).
        reserved: u16,
    },
    /// A stored 64-bit checksum.
    Checksum {
        /// XOR half (bytes 0–3).
        xor: u32,
        /// ECC half, or the page number of legacy pages (bytes 4–7).
        ecc: u32,
    },
    /// Raw bytes as hex.
    Bytes(String),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Signed(n) => write!(f, "{n}"),
            Self::Hex(n) => write!(f, "{n:#x}"),
            Self::DbTime(t) => write!(f, "{t}"),
            Self::Lgpos(l) => write!(f, "{l}"),
            Self::LogTime(t) => write!(f, "{t}"),
            Self::Signature(s) => write!(f, "{s}"),
            Self::BkInfo(b) => {
                write!(f, "Log Gen: {}-{} Mark: {} {}", b.gen_low, b.gen_high, b.lgpos_mark, b.logtime_mark)
            }
            Self::Named { code, name } => write!(f, "{code} ({name})"),
            Self::Flags { value, names } if names.is_empty() => write!(f, "{value:#x}"),
            Self::Flags { value, names } => write!(f, "{value:#x} ({})", names.join(" | ")),
            Self::TagState { tags, reserved } => write!(f, "{tags} tags, reserved {reserved}"),
            Self::Checksum { xor, ecc } => write!(f, "xor {xor:#010x} ecc {ecc:#010x}"),
            Self::Bytes(h) => f.write_str(h),
        }
    }
}

/// One field of a decoded structure: its definition, raw bytes and value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// The engine's name.
    pub name: &'static str,
    /// Offset from the start of the structure.
    pub offset: usize,
    /// Size in bytes.
    pub len: usize,
    /// Raw bytes as hex, in file order.
    pub raw: String,
    /// The decoded value.
    pub value: FieldValue,
}

/// Decodes every field of `defs` from `bytes`. A field that does not fit
/// in `bytes` is left out.
pub fn decode_fields(
    defs: &[FieldDef],
    bytes: &[u8],
    names: &dyn Fn(FieldKind, u64) -> FieldValue,
) -> Vec<Field> {
    defs.iter()
        .filter_map(|def| {
            let raw = bytes.get(def.offset..def.offset + def.len)?;
            let value = decode_value(def, raw, names)?;
            Some(Field { name: def.name, offset: def.offset, len: def.len, raw: hex::encode(raw), value })
        })
        .collect()
}

fn unsigned(raw: &[u8]) -> Option<u64> {
    match raw.len() {
        1 => raw.first().map(|&b| u64::from(b)),
        2 => le_u16(raw, 0).map(u64::from),
        4 => le_u32(raw, 0).map(u64::from),
        8 => le_u64(raw, 0),
        _ => None,
    }
}

fn decode_value(
    def: &FieldDef,
    raw: &[u8],
    named: &dyn Fn(FieldKind, u64) -> FieldValue,
) -> Option<FieldValue> {
    Some(match def.kind {
        FieldKind::Unsigned => FieldValue::Number(unsigned(raw)?),
        FieldKind::Signed => FieldValue::Signed(i64::from(le_u32(raw, 0)? as i32)),
        FieldKind::Hex => FieldValue::Hex(unsigned(raw)?),
        FieldKind::DbTime => FieldValue::DbTime(DbTime(le_u64(raw, 0)?)),
        FieldKind::Lgpos => FieldValue::Lgpos(lgpos_at(raw, 0)?),
        FieldKind::LogTime => FieldValue::LogTime(logtime_at(raw, 0)?),
        FieldKind::Signature => FieldValue::Signature(signature_at(raw, 0)?),
        FieldKind::BkInfo => FieldValue::BkInfo(BkInfo::from_bytes(raw)?),
        FieldKind::Checksum => FieldValue::Checksum { xor: le_u32(raw, 0)?, ecc: le_u32(raw, 4)? },
        FieldKind::TagState => {
            let v = le_u16(raw, 0)?;
            FieldValue::TagState { tags: v & 0x0FFF, reserved: (v >> 12) & 7 }
        }
        FieldKind::DbState | FieldKind::FileType | FieldKind::PageFlags => named(def.kind, unsigned(raw)?),
        FieldKind::Bytes => FieldValue::Bytes(hex::encode(raw)),
    })
}

/// Declares a packed little-endian layout once: a private zerocopy struct
/// `$raw` and a `const $table: &[FieldDef]` listing every field with its
/// engine name, offset (from `offset_of!`), size and kind.
macro_rules! layout {
    ($(#[$meta:meta])* struct $raw:ident, const $table:ident { $( $field:ident : $ty:ty => $name:literal, $kind:ident; )* }) => {
        $(#[$meta])*
        #[derive(zerocopy::FromBytes, zerocopy::KnownLayout, zerocopy::Immutable, zerocopy::Unaligned)]
        #[repr(C)]
        #[allow(dead_code)]
        struct $raw { $( $field: $ty, )* }

        const $table: &[$crate::format::field::FieldDef] = &[
            $( $crate::format::field::FieldDef {
                name: $name,
                offset: core::mem::offset_of!($raw, $field),
                len: core::mem::size_of::<$ty>(),
                kind: $crate::format::field::FieldKind::$kind,
            }, )*
        ];
    };
}
pub(crate) use layout;
