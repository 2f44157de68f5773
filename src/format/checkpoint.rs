//! The checkpoint file (`<base>.chk` / `.jcp`): two copies of a 4096-byte
//! `CHECKPOINT` structure, each with the header XOR checksum. Spec 5.

use serde::Serialize;
use zerocopy::little_endian::U32;
use zerocopy::FromBytes;

use super::checksum::legacy_xor;
use super::field::{decode_fields, layout, Field, FieldKind, FieldValue};
use super::txlog::attach::{parse_list, AttachInfo};
use super::types::{Lgpos, LogTime, Signature};
use super::FormatError;

/// Size of one checkpoint copy.
pub const COPY_LEN: usize = 4096;
/// A checkpoint file: two copies (spec section 7).
pub const FILE_LEN: usize = 2 * COPY_LEN;

type Pos = [u8; 8];
type Time = [u8; 8];

layout! {
    /// On-disk layout of `CHECKPOINT` (the first 2727 bytes; zero after).
    struct RawCheckpoint, const FIELDS {
        checksum: U32 => "ulChecksum", Hex;
        lgpos_last_full_backup_checkpoint: Pos => "lgposLastFullBackupCheckpoint", Lgpos;
        lgpos_checkpoint: Pos => "lgposCheckpoint", Lgpos;
        sign_log: [u8; 28] => "signLog", Signature;
        dbms_param: [u8; 567] => "dbms_param", Bytes;
        lgpos_full_backup: Pos => "lgposFullBackup", Lgpos;
        logtime_full_backup: Time => "logtimeFullBackup", LogTime;
        lgpos_inc_backup: Pos => "lgposIncBackup", Lgpos;
        logtime_inc_backup: Time => "logtimeIncBackup", LogTime;
        version: u8 => "fVersion", Hex;
        lgpos_db_consistency: Pos => "lgposDbConsistency", Lgpos;
        reserved1: [u8; 11] => "rgbReserved1", Bytes;
        file_type: U32 => "filetype", FileType;
        reserved2: [u8; 8] => "rgbReserved2", Bytes;
        attach: [u8; 2048] => "rgbAttach", Bytes;
    }
}

const _: () = assert!(core::mem::size_of::<RawCheckpoint>() == 2727);

fn named(kind: FieldKind, code: u64) -> FieldValue {
    let name = match kind {
        FieldKind::FileType => super::header::file_type_name(code as u32),
        _ => None,
    };
    FieldValue::Named { code, name: name.unwrap_or("unknown").to_string() }
}

/// One decoded checkpoint copy.
#[doc(alias = "CHECKPOINT")]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointCopy {
    /// 0 = first copy (offset 0), 1 = second (offset 4096).
    pub copy: u8,
    /// Stored checksum.
    pub checksum: u32,
    /// Computed checksum.
    pub computed_checksum: u32,
    /// `lgposCheckpoint`: where redo starts.
    pub lgpos_checkpoint: Lgpos,
    /// `lgposLastFullBackupCheckpoint`.
    pub lgpos_last_full_backup_checkpoint: Lgpos,
    /// `lgposDbConsistency` (zero in old files).
    pub lgpos_db_consistency: Lgpos,
    /// `lgposFullBackup`.
    pub lgpos_full_backup: Lgpos,
    /// `logtimeFullBackup`.
    pub logtime_full_backup: LogTime,
    /// `lgposIncBackup`.
    pub lgpos_inc_backup: Lgpos,
    /// `logtimeIncBackup`.
    pub logtime_inc_backup: LogTime,
    /// `signLog`: the log stream this checkpoint belongs to.
    pub sign_log: Signature,
    /// `fVersion`: bit 0x1 = the attach list is valid.
    pub version: u8,
    /// `filetype` (4 = checkpoint).
    pub file_type: u32,
    /// The databases attached at the checkpoint (when `fVersion & 1`).
    pub attached: Vec<AttachInfo>,
    /// Every field.
    #[serde(skip)]
    pub fields: Vec<Field>,
}

impl CheckpointCopy {
    /// True when the checksum matches and the file type says checkpoint.
    pub fn is_valid(&self) -> bool {
        self.checksum == self.computed_checksum && matches!(self.file_type, 0 | 4)
    }
}

fn parse_copy(bytes: &[u8], copy: u8) -> Option<CheckpointCopy> {
    let (raw, _) = RawCheckpoint::ref_from_prefix(bytes).ok()?;
    let lgpos = Lgpos::from_bytes;
    Some(CheckpointCopy {
        copy,
        checksum: raw.checksum.get(),
        computed_checksum: legacy_xor(bytes),
        lgpos_checkpoint: lgpos(raw.lgpos_checkpoint),
        lgpos_last_full_backup_checkpoint: lgpos(raw.lgpos_last_full_backup_checkpoint),
        lgpos_db_consistency: lgpos(raw.lgpos_db_consistency),
        lgpos_full_backup: lgpos(raw.lgpos_full_backup),
        logtime_full_backup: LogTime(raw.logtime_full_backup),
        lgpos_inc_backup: lgpos(raw.lgpos_inc_backup),
        logtime_inc_backup: LogTime(raw.logtime_inc_backup),
        sign_log: Signature(raw.sign_log),
        version: raw.version,
        file_type: raw.file_type.get(),
        attached: if raw.version & 1 != 0 { parse_list(&raw.attach) } else { Vec::new() },
        fields: decode_fields(FIELDS, bytes, &named),
    })
}

/// A checkpoint file: both copies and which one is used.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Both copies as found (a missing one is absent).
    pub copies: Vec<CheckpointCopy>,
    /// Index into `copies` of the copy in use: the first valid one.
    pub used: Option<usize>,
    /// True when both copies are valid but differ.
    pub copies_differ: bool,
}

impl Checkpoint {
    /// Decodes a checkpoint file.
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when the file is shorter than one copy.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() < COPY_LEN {
            return Err(FormatError::Truncated {
                what: "checkpoint file",
                need: COPY_LEN,
                have: bytes.len(),
            });
        }
        let copies: Vec<CheckpointCopy> = [0u8, 1]
            .into_iter()
            .filter_map(|c| {
                let start = usize::from(c) * COPY_LEN;
                bytes.get(start..start + COPY_LEN).and_then(|b| parse_copy(b, c))
            })
            .collect();
        let used = copies.iter().position(CheckpointCopy::is_valid);
        let valid: Vec<&CheckpointCopy> = copies.iter().filter(|c| c.is_valid()).collect();
        let copies_differ = valid.len() == 2 && bytes.get(..COPY_LEN) != bytes.get(COPY_LEN..2 * COPY_LEN);
        Ok(Self { copies, used, copies_differ })
    }

    /// The copy in use, if any is valid.
    pub fn current(&self) -> Option<&CheckpointCopy> {
        self.used.and_then(|i| self.copies.get(i))
    }
}
