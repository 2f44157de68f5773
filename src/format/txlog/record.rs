//! Log records: the type table (names, eseutil labels, size rules) and the
//! decoding of what tools show — page records (database, page, dbtimes,
//! transaction), transaction and macro boundaries. Spec 4.4 and 4.5.

use bytes::Bytes;
use serde::Serialize;

use crate::format::types::{le_u16, le_u32, le_u64, Lgpos};

/// A record's type byte (`LRTYP`).
#[doc(alias = "LRTYP")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RecordType(pub u8);

/// How a record's total size follows from its bytes.
#[derive(Debug, Clone, Copy)]
enum Size {
    /// Always this many bytes.
    Fixed(u16),
    /// The fixed part plus u16 (mask 0xFFFF) / u32 fields at these offsets.
    Var(u16, &'static [(usize, u8)]),
    /// `CreateDB`: 43 + u16@40, + 4 when flags@42 has 0x04.
    CreateDb,
    /// Ignorable records: 5 + u32@1.
    Ignorable,
    /// Not a valid type (obsolete or never written): corruption.
    Invalid,
}

// width codes: 2 = u16, 4 = u32, 15 = u16 & 0x7FFF
const U16: u8 = 2;
const U32: u8 = 4;
const U15: u8 = 15;

/// (name, eseutil label, size rule) by type.
fn spec(t: u8) -> (&'static str, &'static str, Size) {
    use Size::{CreateDb, Fixed, Ignorable, Invalid, Var};
    match t {
        0 => ("NOP", "NOP", Fixed(1)),
        1 => ("Init", "Init", Fixed(568)),
        2 => ("Term", "Term", Fixed(18)),
        3 => ("MS", "MS", Fixed(9)),
        4 => ("End", "End", Fixed(1)),
        5 => ("Begin", "Begin", Fixed(4)),
        6 => ("Commit", "Commit", Fixed(4)),
        7 => ("Rollback", "Rollback", Fixed(4)),
        8 => ("Begin0", "Begin0", Fixed(8)),
        9 => ("Commit0", "Commit0", Fixed(8)),
        10 => ("Refresh", "Refresh", Fixed(7)),
        11 => ("MacroBegin", "McroBegin", Fixed(11)),
        12 => ("MacroCommit", "McroComit", Fixed(11)),
        13 => ("MacroAbort", "McroAbort", Fixed(11)),
        14 => ("CreateDB", "CreateDB", CreateDb),
        15 => ("AttachDB", "AttachDB", Var(75, &[(72, U16)])),
        16 => ("DetachDB", "DetachDB", Var(7, &[(4, U16)])),
        17 => ("RecoveryUndo", "RcvUndo", Fixed(1)),
        18 => ("RecoveryQuit", "RcvQuit", Fixed(18)),
        19 => ("FullBackup", "FullBkUp", Var(3, &[(1, U16)])),
        20 => ("IncBackup", "IncBkUp", Var(3, &[(1, U16)])),
        21 => ("JetOp", "JetOp", Fixed(4)),
        22 => ("Trace", "Trace", Var(5, &[(3, U16)])),
        23 => ("ShutDownMark", "ShutDown", Fixed(1)),
        24 => ("CreateMultipleExtentFDP", "Create M", Fixed(56)),
        25 => ("CreateSingleExtentFDP", "Create S", Fixed(48)),
        26 => ("ConvertFDP", "Convert", Fixed(60)),
        27 => ("Split", "Split", Var(102, &[(96, U16), (98, U16), (100, U16)])),
        28 => ("Merge", "Merge", Var(88, &[(86, U16)])),
        29 => ("Insert", "Insert", Var(50, &[(44, U16), (46, U16), (48, U16)])),
        30 => ("FlagInsert", "FInsert", Var(48, &[(44, U16), (46, U16)])),
        31 => ("FlagInsertAndReplaceData", "FInsertRD", Var(52, &[(44, U16), (46, U16)])),
        32 => ("FlagDelete", "FDelete", Fixed(44)),
        33 => ("Replace", "Replace", Var(50, &[(44, U15)])),
        34 => ("ReplaceD", "ReplaceD", Var(50, &[(44, U15)])),
        35 => ("Delete", "Delete", Fixed(44)),
        36 => ("UndoInfo", "UndoInfo", Var(56, &[(44, U16), (46, U16), (54, U16)])),
        37 => ("Delta", "Delta", Var(54, &[(44, U16), (46, U16)])),
        38 => ("SetExternalHeader", "SetExtHdr", Var(46, &[(44, U16)])),
        39 => ("Undo", "Undo", Var(51, &[(44, U16), (46, U16)])),
        42 => ("Checksum", "Checksum", Fixed(22)),
        45 => ("ExtRestore", "ExtRest", Var(3, &[(1, U16)])),
        46 => ("Backup", "Backup", Var(5, &[(3, U16)])),
        48 => ("EmptyTree", "EmptyTree", Var(46, &[(44, U16)])),
        49 => ("Init2", "Init", Fixed(576)),
        50 => ("Term2", "Term", Fixed(26)),
        51 => ("RecoveryUndo2", "RcvUndo", Fixed(9)),
        52 => ("RecoveryQuit2", "RcvQuit", Fixed(26)),
        53 => ("BeginDT", "BeginDT", Fixed(8)),
        54 => ("PrepCommit", "PreCommit", Var(7, &[(3, U32)])),
        55 => ("PrepRollback", "PreRollbk", Fixed(3)),
        57 => ("ForceWriteLog", "FWriteLog", Fixed(3)),
        58 => ("ConvertFDP2", "Convert", Fixed(68)),
        59 => ("ExtRestore2", "ExtRest2", Var(3, &[(1, U16)])),
        60 => ("Backup2", "Backup2", Var(35, &[(33, U16)])),
        61 => ("ForceLogRollover", "FRollLog", Var(5, &[(3, U16)])),
        62 => ("Split2", "Split2", Var(110, &[(96, U16), (98, U16), (100, U16), (106, U32)])),
        63 => ("Merge2", "Merge2", Var(96, &[(86, U16), (92, U32)])),
        64 => ("Scrub", "Scrub", Var(54, &[(52, U16)])),
        65 => ("PageMove", "PageMove", Var(96, &[(88, U32), (92, U32)])),
        66 => ("PagePatchRequest", "PagePatch", Fixed(46)),
        67 => ("MacroInfo", "McroInfo", Ignorable),
        68 => ("ExtendDB", "ExtendDB", Ignorable),
        69 => ("CommitCtx", "CommitCtx", Ignorable),
        70 => ("ScanCheck", "ScanCheck", Ignorable),
        71 => ("NOP2", "NOP2", Ignorable),
        72 => ("ReAttach", "ReAttach", Ignorable),
        73 => ("MacroInfo2", "McroInfo2", Ignorable),
        74 => ("FreeFDP", "FreeFDP", Ignorable),
        75 => ("Ignored9", "Ignored9", Ignorable),
        76 => ("FragmentBegin", "FragBegin", Var(7, &[(5, U16)])),
        77 => ("Fragment", "FragContd", Var(3, &[(1, U16)])),
        78 => ("ShrinkDB", "ShrinkDB", Fixed(10)),
        79 => ("CreateDBFinish", "CrDBFinsh", Fixed(4)),
        80 => ("RecoveryQuitKeepAttachments", "RcvQKA", Fixed(26)),
        81 => ("TrimDB", "TrimDB", Fixed(10)),
        82..=91 => ("Ignored", "Ignored", Ignorable),
        92 => ("SetDbVersion", "SetDbVer", Fixed(14)),
        93 => ("Delta64", "Delta64", Var(58, &[(44, U16), (46, U16)])),
        94 => ("ShrinkDB2", "ShrinkDB2", Fixed(10)),
        95 => ("NewPage", "NewPage", Fixed(20)),
        96 => ("RootPageMove", "PageMoveR", Fixed(16)),
        97 => ("SignalAttachDb", "SAttachDB", Fixed(2)),
        98 => ("ScanCheck2", "ScanChk2", Fixed(27)),
        99 => ("ShrinkDB3", "ShrinkDB3", Fixed(18)),
        100 => ("ExtentFreed", "ExtFreed", Fixed(11)),
        101 => ("ExtentFreed2", "ExtFreed2", Fixed(19)),
        _ => ("invalid", "invalid", Invalid),
    }
}

impl RecordType {
    /// `lrtypNOP`: a filler byte.
    pub const NOP: Self = Self(0);
    /// `lrtypChecksum`: LRCHECKSUM of legacy logs.
    pub const CHECKSUM: Self = Self(42);
    /// `lrtypNOP2`: a filler record.
    pub const NOP2: Self = Self(71);
    /// `lrtypFragmentBegin`.
    pub const FRAGMENT_BEGIN: Self = Self(76);
    /// `lrtypFragment`.
    pub const FRAGMENT: Self = Self(77);

    /// The engine's name (`Insert`, `Split2`, …).
    pub fn name(self) -> &'static str {
        spec(self.0).0
    }

    /// The 9-character label eseutil prints.
    pub fn label(self) -> &'static str {
        spec(self.0).1
    }

    /// True for a record that ends a log normally (Term, RecoveryQuit…).
    pub fn closes_log(self) -> bool {
        matches!(self.0, 2 | 18 | 50 | 52 | 80)
    }

    /// True for records that start with the 32-byte `LRPAGE_` header.
    pub fn is_page_record(self) -> bool {
        matches!(self.0, 24..=39 | 48 | 58 | 62..=65 | 93)
    }

    /// True when the page record also has the `LRNODE_` fields (rceid, FDP).
    pub fn is_node_record(self) -> bool {
        matches!(self.0, 29..=39 | 48 | 64 | 93)
    }
}

/// Why a record's size could not be determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SizeError {
    /// The type byte is not a record type the engine writes.
    UnknownType(u8),
    /// The record's fixed part runs past the available bytes.
    Truncated {
        /// The type.
        record_type: u8,
        /// Bytes needed to read the size fields.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

impl core::fmt::Display for SizeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::UnknownType(t) => write!(f, "unknown record type {t}"),
            Self::Truncated { record_type, need, have } => write!(
                f,
                "{} record needs {need} bytes to know its size, only {have} are there",
                RecordType(*record_type).name()
            ),
        }
    }
}

/// The total size of the record at the start of `bytes`, from its type and
/// size fields. `bytes` may run past the record.
///
/// # Errors
/// An invalid type, or fixed fields that do not fit in `bytes`.
pub fn record_size(bytes: &[u8]) -> Result<usize, SizeError> {
    let t = *bytes.first().ok_or(SizeError::Truncated { record_type: 0, need: 1, have: 0 })?;
    let truncated = |need: usize| SizeError::Truncated { record_type: t, need, have: bytes.len() };
    Ok(match spec(t).2 {
        Size::Invalid => return Err(SizeError::UnknownType(t)),
        Size::Fixed(n) => usize::from(n),
        Size::Ignorable => 5 + le_u32(bytes, 1).ok_or(truncated(5))? as usize,
        Size::CreateDb => {
            let fixed = 43;
            let path = le_u16(bytes, 40).ok_or(truncated(fixed))?;
            let flags = *bytes.get(42).ok_or(truncated(fixed))?;
            fixed + usize::from(path) + if flags & 0x04 != 0 { 4 } else { 0 }
        }
        Size::Var(fixed, fields) => {
            let fixed = usize::from(fixed);
            if bytes.len() < fixed {
                return Err(truncated(fixed));
            }
            let mut total = fixed;
            for &(offset, width) in fields {
                total += match width {
                    U32 => le_u32(bytes, offset).ok_or(truncated(fixed))? as usize,
                    U15 => usize::from(le_u16(bytes, offset).ok_or(truncated(fixed))? & 0x7FFF),
                    _ => usize::from(le_u16(bytes, offset).ok_or(truncated(fixed))?),
                };
            }
            total
        }
    })
}

/// One record as found in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Its LGPOS as eseutil reports it (the entry position).
    pub lgpos: Lgpos,
    /// File offset of its first byte (of the `FragmentBegin` for fragmented records).
    pub file_offset: u64,
    /// Its type.
    pub record_type: RecordType,
    /// Its bytes (reassembled when it was fragmented). A record of a
    /// decoded log shares the file's buffer (no copy per record): hold it
    /// beyond its generation through [`Record::detached`].
    #[serde(skip)]
    pub bytes: Bytes,
    /// True when it was reassembled from fragments.
    pub fragmented: bool,
}

/// What a record says, for the kinds tools show in detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Details {
    /// A record that changes a page (`LRPAGE_`, plus `LRNODE_` for node records).
    Page {
        /// Session.
        procid: u16,
        /// Database.
        dbid: u8,
        /// Page changed.
        pgno: u32,
        /// Page dbtime after the change.
        dbtime_after: u64,
        /// Page dbtime before (`u64::MAX` = dbtimeNil).
        dbtime_before: u64,
        /// Transaction (level-0 begin id).
        trx_begin0: u32,
        /// Transaction level.
        level: u8,
        /// Line in the page.
        iline: u16,
        /// Flags (0x1 versioned, 0x4 unique, 0x8 space tree, …).
        flags: u8,
        /// `objidFDP` of the tree, for node and structural records.
        objid_fdp: Option<u32>,
        /// `pgnoFDP` of the tree, for node records.
        pgno_fdp: Option<u32>,
    },
    /// `NewPage`.
    NewPage {
        /// Session.
        procid: u16,
        /// Database.
        dbid: u8,
        /// The new page.
        pgno: u32,
        /// Its tree.
        objid: u32,
        /// Its dbtime.
        dbtime_after: u64,
    },
    /// `Begin`, `Begin0`, `BeginDT`.
    Begin {
        /// Session.
        procid: u16,
        /// Level begun from.
        from: u8,
        /// Levels begun.
        levels: u8,
        /// Transaction id (Begin0 only).
        trx: Option<u32>,
    },
    /// `Commit`, `Commit0`.
    Commit {
        /// Session.
        procid: u16,
        /// Level committed to.
        to: u8,
        /// Transaction id (Commit0 only).
        trx: Option<u32>,
    },
    /// `Rollback`.
    Rollback {
        /// Session.
        procid: u16,
        /// Levels rolled back.
        levels: u8,
    },
    /// `MacroBegin`, `MacroCommit`, `MacroAbort`.
    Macro {
        /// Session.
        procid: u16,
        /// dbtime identifying the macro.
        dbtime: u64,
    },
    /// Anything else.
    Other,
}

impl Record {
    /// The record with its own copy of its bytes, not sharing its log
    /// file's buffer: for keeping it after its generation is dropped (a
    /// shared slice would keep the whole file in memory).
    pub fn detached(&self) -> Self {
        Self { bytes: Bytes::copy_from_slice(&self.bytes), ..self.clone() }
    }

    /// Decodes what tools show of this record.
    pub fn details(&self) -> Details {
        let b = &self.bytes;
        let t = self.record_type;
        let u8_at = |o: usize| b.get(o).copied().unwrap_or(0);
        let u16_at = |o: usize| le_u16(b, o).unwrap_or(0);
        let u32_at = |o: usize| le_u32(b, o).unwrap_or(0);
        let u64_at = |o: usize| le_u64(b, o).unwrap_or(0);
        if t.is_page_record() && b.len() >= 32 {
            let objid_fdp = match t.0 {
                24 | 25 | 58 => Some(u32_at(32)),
                62 => Some(u32_at(64)),
                63 => Some(u32_at(72)),
                65 => Some(u32_at(76)),
                _ if t.is_node_record() && b.len() >= 44 => Some(u32_at(40)),
                _ => None,
            };
            return Details::Page {
                procid: u16_at(1),
                dbid: u8_at(3),
                pgno: u32_at(4),
                dbtime_after: u64_at(8),
                dbtime_before: u64_at(16),
                trx_begin0: u32_at(24),
                level: u8_at(28),
                iline: u16_at(29),
                flags: u8_at(31),
                objid_fdp,
                pgno_fdp: (t.is_node_record() && b.len() >= 44).then(|| u32_at(36)),
            };
        }
        match t.0 {
            95 => Details::NewPage {
                procid: u16_at(1),
                dbid: u8_at(3),
                pgno: u32_at(4),
                objid: u32_at(8),
                dbtime_after: u64_at(12),
            },
            5 | 8 | 53 => Details::Begin {
                procid: u16_at(1),
                from: u8_at(3) & 0x0F,
                levels: u8_at(3) >> 4,
                trx: (t.0 != 5).then(|| u32_at(4)),
            },
            6 | 9 => Details::Commit { procid: u16_at(1), to: u8_at(3), trx: (t.0 == 9).then(|| u32_at(4)) },
            7 => Details::Rollback { procid: u16_at(1), levels: u8_at(3) },
            11..=13 => Details::Macro { procid: u16_at(1), dbtime: u64_at(3) },
            _ => Details::Other,
        }
    }

    /// One line like eseutil's verbose dump: `>GGGGGGGG,SSSS,BBBB label details`.
    pub fn line(&self) -> String {
        let p = self.lgpos;
        let head =
            format!(">{:08X},{:04X},{:04X} {:<9}", p.generation, p.isec, p.ib, self.record_type.label());
        let detail = match self.details() {
            Details::Page {
                procid,
                dbid,
                pgno,
                dbtime_after,
                dbtime_before,
                trx_begin0,
                level,
                iline,
                flags,
                objid_fdp,
                ..
            } => {
                let before =
                    if dbtime_before == u64::MAX { "nil".to_string() } else { format!("{dbtime_before:x}") };
                let objid = objid_fdp.map_or(String::new(), |o| format!(",objid:[{dbid}:{o}]"));
                format!(
                    " {dbtime_after:x},{before},{trx_begin0:x}:{level}({procid:x},[{dbid}:{pgno}:{iline}],flags {flags:#x}{objid})"
                )
            }
            Details::NewPage { procid, dbid, pgno, objid, dbtime_after } => {
                format!(" ({procid:x},[{dbid}:{pgno}],objid {objid},dbtime {dbtime_after:x})")
            }
            Details::Begin { procid, from, levels, trx } => {
                format!(
                    " ({procid:x},from:{from},to:{}){}",
                    from + levels,
                    trx.map_or(String::new(), |t| format!(" trx {t:x}"))
                )
            }
            Details::Commit { procid, to, trx } => {
                format!(" ({procid:x},to:{to}){}", trx.map_or(String::new(), |t| format!(" trx {t:x}")))
            }
            Details::Rollback { procid, levels } => format!(" ({procid:x},{levels})"),
            Details::Macro { procid, dbtime } => format!(" ({procid:x}) {dbtime:x}"),
            Details::Other => format!(" ({} bytes)", self.bytes.len()),
        };
        format!("{head}{detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_table() {
        let mut insert = vec![0u8; 60];
        insert[0] = 29;
        insert[44] = 3; // cbSuffix
        insert[46] = 2; // cbPrefix
        insert[48] = 5; // cbData
        assert_eq!(record_size(&insert), Ok(60));
        let mut replace = vec![0u8; 50];
        replace[0] = 33;
        replace[44..46].copy_from_slice(&0x8004u16.to_le_bytes()); // DIFFHDR2 flag masked off
        assert_eq!(record_size(&replace), Ok(54));
        assert_eq!(record_size(&[71, 3, 0, 0, 0, 0, 0, 0]), Ok(8));
        assert_eq!(record_size(&[40]), Err(SizeError::UnknownType(40)));
        assert_eq!(record_size(&[120]), Err(SizeError::UnknownType(120)));
        assert_eq!(record_size(&[29, 0]), Err(SizeError::Truncated { record_type: 29, need: 50, have: 2 }));
    }

    #[test]
    fn every_valid_type_has_a_name() {
        for t in 0..102u8 {
            let (name, label, size) = spec(t);
            match size {
                Size::Invalid => assert!(matches!(t, 40 | 41 | 43 | 44 | 47 | 56), "{t}"),
                _ => assert!(!name.is_empty() && label.len() <= 9, "{t}"),
            }
        }
    }
}

/// Something wrong in a log body, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyProblem {
    /// Where (generation, sector or segment, byte).
    pub lgpos: Lgpos,
    /// What.
    pub message: String,
}

/// The records of one log file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordWalk {
    /// Every record up to the end of valid data (NOP filler bytes left out);
    /// empty when the file was read for its summary only
    /// ([`super::LogFile::parse_summary`]).
    pub records: Vec<Record>,
    /// How many records the walk found (also when they were not kept).
    pub count: usize,
    /// The first record's LGPOS, if any.
    pub first: Option<Lgpos>,
    /// Records that could not be decoded, and why.
    pub problems: Vec<BodyProblem>,
    /// True when the last record that is not filler closes the log (Term,
    /// RecoveryQuit…): the instance shut down cleanly in this generation.
    pub closed_normally: bool,
}

/// Where the bytes of a record found by a walk are.
pub(crate) enum Body {
    /// In the file: offset and length.
    InFile(usize, usize),
    /// Reassembled from fragments.
    Reassembled(Vec<u8>),
}

/// What the body walks ([`super::segment`], [`super::legacy`]) hand their
/// records to: kept as [`Record`]s sharing the file's buffer, or only
/// counted (a summary).
pub(crate) struct Collector<'f> {
    file: Option<&'f Bytes>,
    walk: RecordWalk,
    last: Option<RecordType>,
}

impl<'f> Collector<'f> {
    /// Keeps the records when `file` (the walked bytes) is given, else counts them.
    pub(crate) fn new(file: Option<&'f Bytes>) -> Self {
        // room for one record every 40 bytes, more than a full log holds
        // (the writer's replay sets average 55): no regrowth, no copy
        let records = Vec::with_capacity(file.map_or(0, |f| f.len() / 40));
        Self { file, walk: RecordWalk { records, ..RecordWalk::default() }, last: None }
    }

    /// One record found.
    pub(crate) fn record(&mut self, lgpos: Lgpos, file_offset: u64, record_type: RecordType, body: Body) {
        self.walk.count += 1;
        self.walk.first.get_or_insert(lgpos);
        if record_type != RecordType::NOP2 && record_type != RecordType::CHECKSUM {
            self.last = Some(record_type);
        }
        let Some(file) = self.file else { return };
        let (bytes, fragmented) = match body {
            Body::InFile(at, len) if at + len <= file.len() => (file.slice(at..at + len), false),
            Body::InFile(..) => (Bytes::new(), false),
            Body::Reassembled(buf) => (Bytes::from(buf), true),
        };
        self.walk.records.push(Record { lgpos, file_offset, record_type, bytes, fragmented });
    }

    /// A record that could not be decoded.
    pub(crate) fn problem(&mut self, problem: BodyProblem) {
        self.walk.problems.push(problem);
    }

    /// The walk's result.
    pub(crate) fn finish(mut self) -> RecordWalk {
        self.walk.closed_normally = self.last.is_some_and(RecordType::closes_log);
        self.walk
    }
}
