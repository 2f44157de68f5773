//! Transaction log files: the header (`LGFILEHDR`), the body in either
//! format (4 KiB segments with ECC checksums, or legacy 512-byte sectors
//! protected by LRCHECKSUM records) and the records in it.
//! Spec: `ese-log-and-checkpoint-format.md` sections 2–4.
//!
//! Pure decoding of one file's bytes. Finding the files of a log set and
//! checking the generation chain is [`crate::txlog`]'s job.

pub mod attach;
pub mod legacy;
pub mod record;
pub mod segment;

use bytes::Bytes;
use serde::Serialize;
use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::FromBytes;

use super::checksum::legacy_xor;
use super::field::{decode_fields, layout, Field, FieldKind, FieldValue};
use super::types::{Lgpos, LogTime, Signature};
use super::FormatError;
use attach::AttachInfo;
use record::Collector;

/// Size of a log file header.
pub const HEADER_LEN: usize = 4096;

type Sig = [u8; 28];
type Time = [u8; 8];
type Pos = [u8; 8];

layout! {
    /// On-disk layout of `LGFILEHDR` (the first 2719 bytes; zero after).
    struct RawLogHeader, const FIELDS {
        checksum: U32 => "ulChecksum", Hex;
        generation: U32 => "lGeneration", Signed;
        cb_sec: U16 => "cbSec", Unsigned;
        csec_header: U16 => "csecHeader", Unsigned;
        csec_lg_file: U16 => "csecLGFile", Unsigned;
        cb_page_size: U16 => "cbPageSize", Unsigned;
        tm_create: Time => "tmCreate", LogTime;
        tm_prev_gen: Time => "tmPrevGen", LogTime;
        major: U32 => "ulMajor", Unsigned;
        minor: U32 => "ulMinor", Unsigned;
        update_major: U32 => "ulUpdateMajor", Unsigned;
        sign_log: Sig => "signLog", Signature;
        system_path: [u8; 261] => "dbms_param.szSystemPath", Bytes;
        log_path: [u8; 261] => "dbms_param.szLogFilePath", Bytes;
        dbms_flags: u8 => "dbms_param.fDBMSPARAMFlags", Hex;
        max_sessions: U32 => "dbms_param.le_lSessionsMax", Unsigned;
        max_open_tables: U32 => "dbms_param.le_lOpenTablesMax", Unsigned;
        max_ver_pages: U32 => "dbms_param.le_lVerPagesMax", Unsigned;
        max_cursors: U32 => "dbms_param.le_lCursorsMax", Unsigned;
        log_buffers: U32 => "dbms_param.le_lLogBuffers", Unsigned;
        log_file_sectors: U32 => "dbms_param.le_lcsecLGFile", Unsigned;
        max_buffers: U32 => "dbms_param.le_ulCacheSizeMax", Unsigned;
        dbms_reserved: [u8; 16] => "dbms_param.rgbReserved", Bytes;
        lg_flags: u8 => "fLGFlags", Hex;
        lgpos_checkpoint: Pos => "lgposCheckpoint", Lgpos;
        update_minor: U32 => "ulUpdateMinor", Unsigned;
        disk_sec_size_mismatch: u8 => "bDiskSecSizeMismatch", Unsigned;
        checksum_prev_log_all_segments: U64 => "checksumPrevLogAllSegments", Hex;
        efv_engine: U32 => "efvEngineCurrentDiagnostic", Unsigned;
        reserved: [u8; 2] => "rgbReserved", Bytes;
        file_type: U32 => "filetype", FileType;
        attach: [u8; 2048] => "rgbAttach", Bytes;
    }
}

const _: () = assert!(core::mem::size_of::<RawLogHeader>() == 2719);

/// The four parts of a log format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LogVersion {
    /// `ulMajor`: 7 legacy sector format, 8 segment format.
    pub major: u32,
    /// `ulMinor`: 3704 or 4000.
    pub minor: u32,
    /// `ulUpdateMajor`.
    pub update_major: u32,
    /// `ulUpdateMinor`.
    pub update_minor: u32,
}

impl core::fmt::Display for LogVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.major, self.minor, self.update_major, self.update_minor)
    }
}

/// A decoded log file header.
#[doc(alias = "LGFILEHDR")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogHeader {
    /// Stored header checksum.
    pub checksum: u32,
    /// Header checksum computed over the 4096 bytes.
    pub computed_checksum: u32,
    /// `lGeneration`.
    pub generation: i32,
    /// `cbSec`: sector or segment size.
    pub cb_sec: u16,
    /// `csecHeader`: header size in sectors.
    pub csec_header: u16,
    /// `csecLGFile`: file size in sectors.
    pub csec_lg_file: u16,
    /// `cbPageSize` (0 means 4096).
    pub cb_page_size: u16,
    /// `tmCreate`.
    pub created: LogTime,
    /// `tmPrevGen`: creation time of the previous generation.
    pub previous_created: LogTime,
    /// The format version.
    pub version: LogVersion,
    /// `signLog`.
    pub sign_log: Signature,
    /// `fLGFlags`: 0x1 reserve log, 0x2 circular logging, 0x4 circular logging earlier.
    pub lg_flags: u8,
    /// `lgposCheckpoint` when this file was created.
    pub lgpos_checkpoint: Lgpos,
    /// `checksumPrevLogAllSegments` (a hex string in JSON).
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub checksum_prev_log_all_segments: u64,
    /// `efvEngineCurrentDiagnostic`.
    pub efv_engine: u32,
    /// `filetype` (3 = log).
    pub file_type: u32,
    /// Databases attached when the file was created.
    pub attached: Vec<AttachInfo>,
    #[serde(skip)]
    raw: Box<[u8]>,
}

fn named(kind: FieldKind, code: u64) -> FieldValue {
    let name = match kind {
        FieldKind::FileType => super::header::file_type_name(code as u32),
        _ => None,
    };
    FieldValue::Named { code, name: name.unwrap_or("unknown").to_string() }
}

impl LogHeader {
    /// Decodes the header at the start of `bytes`.
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when fewer than 4096 bytes are given.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let truncated =
            FormatError::Truncated { what: "log file header", need: HEADER_LEN, have: bytes.len() };
        let page = bytes.get(..HEADER_LEN).ok_or(truncated)?;
        let (raw, _) = RawLogHeader::ref_from_prefix(page).map_err(|_| truncated)?;
        Ok(Self {
            checksum: raw.checksum.get(),
            computed_checksum: legacy_xor(page),
            generation: raw.generation.get() as i32,
            cb_sec: raw.cb_sec.get(),
            csec_header: raw.csec_header.get(),
            csec_lg_file: raw.csec_lg_file.get(),
            cb_page_size: raw.cb_page_size.get(),
            created: LogTime(raw.tm_create),
            previous_created: LogTime(raw.tm_prev_gen),
            version: LogVersion {
                major: raw.major.get(),
                minor: raw.minor.get(),
                update_major: raw.update_major.get(),
                update_minor: raw.update_minor.get(),
            },
            sign_log: Signature(raw.sign_log),
            lg_flags: raw.lg_flags,
            lgpos_checkpoint: Lgpos::from_bytes(raw.lgpos_checkpoint),
            checksum_prev_log_all_segments: raw.checksum_prev_log_all_segments.get(),
            efv_engine: raw.efv_engine.get(),
            file_type: raw.file_type.get(),
            attached: attach::parse_list(&raw.attach),
            raw: page.into(),
        })
    }

    /// True when the stored checksum matches.
    pub fn checksum_ok(&self) -> bool {
        self.checksum == self.computed_checksum
    }

    /// A copy without the 4 KiB of header bytes kept for [`Self::fields`]
    /// and [`Self::paths`] (which the copy answers empty): for holding the
    /// headers of thousands of generations at once.
    pub fn without_bytes(&self) -> Self {
        Self { attached: self.attached.clone(), raw: Box::default(), ..*self }
    }

    /// True for the legacy sector body (major 7 or below).
    pub fn is_legacy(&self) -> bool {
        self.version.major <= 7
    }

    /// Expected file size: `csecLGFile × cbSec`.
    pub fn expected_len(&self) -> u64 {
        u64::from(self.csec_lg_file) * u64::from(self.cb_sec)
    }

    /// Every field with offset, raw bytes and value (the attach list as bytes).
    pub fn fields(&self) -> Vec<Field> {
        decode_fields(FIELDS, &self.raw, &named)
    }

    /// A printable ANSI path from the DBMS_PARAM block (system or log path).
    pub fn paths(&self) -> (String, String) {
        let text = |range: core::ops::Range<usize>| {
            let bytes = self.raw.get(range).unwrap_or_default();
            bytes.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect::<String>()
        };
        (text(72..333), text(333..594))
    }
}

/// Checks what makes a log file unusable on its own, with the engine's
/// error for each.
pub fn header_problems(header: &LogHeader, file_len: u64) -> Vec<String> {
    let mut problems = Vec::new();
    if !header.checksum_ok() {
        problems.push(format!(
            "header checksum mismatch: stored {:#010x}, computed {:#010x} (-501 JET_errLogFileCorrupt)",
            header.checksum, header.computed_checksum
        ));
    }
    if header.file_type != 3 && header.file_type != 0 {
        problems.push(format!("file type {} is not a log (-1812 JET_errFileInvalidType)", header.file_type));
    }
    let v = header.version;
    if !(v.major == 7 && v.minor == 3704 || v.major == 8 && v.minor == 4000) {
        problems.push(format!("log version {v} is not 7.3704.x or 8.4000.x (-514 JET_errBadLogVersion)"));
    }
    if v.major == 8 && (header.cb_sec != 4096 || header.csec_header != 1) {
        problems.push(format!(
            "a segment-format log needs 4096-byte sectors and a one-sector header, not {} x {}",
            header.cb_sec, header.csec_header
        ));
    }
    if header.expected_len() != file_len {
        problems.push(format!(
            "file size {file_len} is not csecLGFile x cbSec = {} (-541 JET_errLogFileSizeMismatch)",
            header.expected_len()
        ));
    }
    problems
}

/// One log file read completely: header, body scan and records.
#[derive(Debug, Clone, Serialize)]
pub struct LogFile {
    /// The header.
    pub header: LogHeader,
    /// What makes the file unusable on its own (checksum, version, size).
    pub header_problems: Vec<String>,
    /// Segment scan (segment format).
    pub segments: Option<segment::SegmentScan>,
    /// Checksum-range scan (legacy format).
    pub legacy: Option<legacy::LegacyScan>,
    /// The records up to the end of valid data.
    pub records: record::RecordWalk,
}

impl LogFile {
    /// Reads a whole log file's bytes. The body is scanned even when the
    /// header has problems, as far as its geometry allows. The records
    /// share one copy of `bytes` ([`LogFile::from_bytes`] takes the buffer
    /// itself).
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when the file is shorter than a header.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        // the header is checked before anything is copied
        LogHeader::parse(bytes)?;
        Self::from_bytes(Bytes::copy_from_slice(bytes))
    }

    /// [`LogFile::parse`] of a buffer the records then share (no copy).
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when the file is shorter than a header.
    pub fn from_bytes(bytes: Bytes) -> Result<Self, FormatError> {
        Self::read(&bytes, Collector::new(Some(&bytes)))
    }

    /// [`LogFile::parse`] without keeping the records: the body is scanned
    /// and walked all the same (its problems, the first record, the count
    /// and whether the log closed normally are known), but
    /// `records.records` is empty.
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when the file is shorter than a header.
    pub fn parse_summary(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::read(bytes, Collector::new(None))
    }

    fn read(bytes: &[u8], mut walk: Collector<'_>) -> Result<Self, FormatError> {
        let header = LogHeader::parse(bytes)?;
        let header_problems = header_problems(&header, bytes.len() as u64);
        let sane = header.cb_sec >= 512 && header.cb_sec.is_power_of_two() && header.csec_header >= 1;
        let (segments, legacy) = if !sane {
            (None, None)
        } else if header.is_legacy() {
            let scan = legacy::scan(bytes, &header);
            legacy::records(bytes, &header, &scan, &mut walk);
            (None, Some(scan))
        } else {
            let scan = segment::scan(bytes, &header);
            segment::records(bytes, &header, &scan, &mut walk);
            (Some(scan), None)
        };
        Ok(Self { header, header_problems, segments, legacy, records: walk.finish() })
    }

    /// End of valid data ("Last Lgpos").
    pub fn end(&self) -> Lgpos {
        match (&self.segments, &self.legacy) {
            (Some(s), _) => s.end,
            (_, Some(l)) => l.end,
            _ => Lgpos { generation: self.header.generation, isec: self.header.csec_header, ib: 0 },
        }
    }

    /// The first record's LGPOS, if any.
    pub fn first(&self) -> Option<Lgpos> {
        self.records.first
    }

    /// Damage in the body (segments, checksum ranges, records).
    pub fn body_problems(&self) -> Vec<&record::BodyProblem> {
        let scan = self.segments.as_ref().map(|s| &s.problems).into_iter().flatten();
        let legacy = self.legacy.as_ref().map(|l| &l.problems).into_iter().flatten();
        scan.chain(legacy).chain(&self.records.problems).collect()
    }

    /// (valid, total) data segments or sectors.
    pub fn valid_segments(&self) -> (usize, usize) {
        match (&self.segments, &self.legacy) {
            (Some(s), _) => (
                s.segments.iter().filter(|x| x.state == segment::SegmentState::Valid).count(),
                usize::from(self.header.csec_lg_file.saturating_sub(2)),
            ),
            (_, Some(l)) => {
                let sec = u64::from(self.header.cb_sec.max(1));
                let start = u64::from(self.header.csec_header) * sec;
                (
                    l.end_offset.saturating_sub(start).div_ceil(sec) as usize,
                    usize::from(self.header.csec_lg_file.saturating_sub(self.header.csec_header + 1)),
                )
            }
            _ => (0, 0),
        }
    }
}
