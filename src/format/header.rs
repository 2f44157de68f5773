//! The database file header (`DBFILEHDR`): 748 bytes at file offset 0 and
//! again, as the shadow copy, one page later. Spec section 3.
//!
//! This module decodes one copy and checks its checksum. Choosing between
//! the two copies and finding the page size is [`crate::store`]'s job.

use serde::Serialize;
use zerocopy::little_endian::{U32, U64};
use zerocopy::FromBytes;

use super::checksum::legacy_xor;
use super::field::{decode_fields, layout, Field, FieldKind, FieldValue};
use super::types::{DbTime, Lgpos, LogTime, Signature};
use super::FormatError;

/// The magic number at offset 4 of a database header.
pub const MAGIC: u32 = 0x89AB_CDEF;
/// Size of the header structure; the rest of the header page is zero.
pub const HEADER_LEN: usize = 748;
/// Offset of the page size field (`le_cbPageSize`).
pub const PAGE_SIZE_OFFSET: usize = 236;
/// Offset of `le_filetype`, the same in database, log and checkpoint headers.
pub const FILE_TYPE_OFFSET: usize = 667;

type Sig = [u8; 28];
type Time = [u8; 8];
type Pos = [u8; 8];
type Bk = [u8; 24];

layout! {
    /// On-disk layout of `DBFILEHDR` (packed, little-endian).
    struct RawDbHeader, const FIELDS {
        checksum: U32 => "le_ulChecksum", Hex;
        magic: U32 => "le_ulMagic", Hex;
        version: U32 => "le_ulVersion", Hex;
        attrib: U32 => "le_attrib", Unsigned;
        dbtime_dirtied: U64 => "le_dbtimeDirtied", DbTime;
        sign_db: Sig => "signDb", Signature;
        dbstate: U32 => "le_dbstate", DbState;
        lgpos_consistent: Pos => "le_lgposConsistent", Lgpos;
        logtime_consistent: Time => "logtimeConsistent", LogTime;
        logtime_attach: Time => "logtimeAttach", LogTime;
        lgpos_attach: Pos => "le_lgposAttach", Lgpos;
        logtime_detach: Time => "logtimeDetach", LogTime;
        lgpos_detach: Pos => "le_lgposDetach", Lgpos;
        dbid: U32 => "le_dbid", Unsigned;
        sign_log: Sig => "signLog", Signature;
        bkinfo_full_prev: Bk => "bkinfoFullPrev", BkInfo;
        bkinfo_inc_prev: Bk => "bkinfoIncPrev", BkInfo;
        bkinfo_full_cur: Bk => "bkinfoFullCur", BkInfo;
        db_flags: U32 => "m_ulDbFlags", Hex;
        objid_last: U32 => "le_objidLast", Unsigned;
        os_major: U32 => "le_dwMajorVersion", Unsigned;
        os_minor: U32 => "le_dwMinorVersion", Unsigned;
        os_build: U32 => "le_dwBuildNumber", Unsigned;
        os_sp: U32 => "le_lSPNumber", Unsigned;
        update_major: U32 => "le_ulDaeUpdateMajor", Hex;
        page_size: U32 => "le_cbPageSize", Unsigned;
        repair_count: U32 => "le_ulRepairCount", Unsigned;
        logtime_repair: Time => "logtimeRepair", LogTime;
        reserved_sign_slv: Sig => "rgbReservedSignSLV", Bytes;
        dbtime_last_scrub: U64 => "le_dbtimeLastScrub", DbTime;
        logtime_scrub: Time => "logtimeScrub", LogTime;
        gen_min_required: U32 => "le_lGenMinRequired", Signed;
        gen_max_required: U32 => "le_lGenMaxRequired", Signed;
        cpg_upgrade_55_format: U32 => "le_cpgUpgrade55Format", Unsigned;
        cpg_upgrade_free_pages: U32 => "le_cpgUpgradeFreePages", Unsigned;
        cpg_upgrade_space_map_pages: U32 => "le_cpgUpgradeSpaceMapPages", Unsigned;
        bkinfo_snapshot_cur: Bk => "bkinfoSnapshotCur", BkInfo;
        create_version: U32 => "le_ulCreateVersion", Hex;
        create_update: U32 => "le_ulCreateUpdate", Hex;
        logtime_gen_max_create: Time => "logtimeGenMaxCreate", LogTime;
        bkinfo_type_full_prev: U32 => "bkinfoTypeFullPrev", Unsigned;
        bkinfo_type_inc_prev: U32 => "bkinfoTypeIncPrev", Unsigned;
        repair_count_old: U32 => "le_ulRepairCountOld", Unsigned;
        ecc_fix_success: U32 => "le_ulECCFixSuccess", Unsigned;
        logtime_ecc_fix_success: Time => "logtimeECCFixSuccess", LogTime;
        ecc_fix_success_old: U32 => "le_ulECCFixSuccessOld", Unsigned;
        ecc_fix_fail: U32 => "le_ulECCFixFail", Unsigned;
        logtime_ecc_fix_fail: Time => "logtimeECCFixFail", LogTime;
        ecc_fix_fail_old: U32 => "le_ulECCFixFailOld", Unsigned;
        bad_checksum: U32 => "le_ulBadChecksum", Unsigned;
        logtime_bad_checksum: Time => "logtimeBadChecksum", LogTime;
        bad_checksum_old: U32 => "le_ulBadChecksumOld", Unsigned;
        gen_max_committed: U32 => "le_lGenMaxCommitted", Signed;
        bkinfo_copy_prev: Bk => "bkinfoCopyPrev", BkInfo;
        bkinfo_diff_prev: Bk => "bkinfoDiffPrev", BkInfo;
        bkinfo_type_copy_prev: U32 => "bkinfoTypeCopyPrev", Unsigned;
        bkinfo_type_diff_prev: U32 => "bkinfoTypeDiffPrev", Unsigned;
        incremental_reseed_count: U32 => "le_ulIncrementalReseedCount", Unsigned;
        logtime_incremental_reseed: Time => "logtimeIncrementalReseed", LogTime;
        incremental_reseed_count_old: U32 => "le_ulIncrementalReseedCountOld", Unsigned;
        page_patch_count: U32 => "le_ulPagePatchCount", Unsigned;
        logtime_page_patch: Time => "logtimePagePatch", LogTime;
        page_patch_count_old: U32 => "le_ulPagePatchCountOld", Unsigned;
        sort_version: U64 => "le_qwSortVersion", Hex;
        logtime_dbscan_prev: Time => "logtimeDbscanPrev", LogTime;
        logtime_dbscan_start: Time => "logtimeDbscanStart", LogTime;
        pgno_dbscan_highest_continuous: U32 => "le_pgnoDbscanHighestContinuous", Unsigned;
        gen_recovering: U32 => "le_lGenRecovering", Signed;
        extend_count: U32 => "le_ulExtendCount", Unsigned;
        logtime_last_extend: Time => "logtimeLastExtend", LogTime;
        shrink_count: U32 => "le_ulShrinkCount", Unsigned;
        logtime_last_shrink: Time => "logtimeLastShrink", LogTime;
        logtime_last_reattach: Time => "logtimeLastReAttach", LogTime;
        lgpos_last_reattach: Pos => "le_lgposLastReAttach", Lgpos;
        trim_count: U32 => "le_ulTrimCount", Unsigned;
        sign_db_hdr_flush: Sig => "signDbHdrFlush", Signature;
        sign_flush_map_hdr_flush: Sig => "signFlushMapHdrFlush", Signature;
        gen_min_consistent: U32 => "le_lGenMinConsistent", Signed;
        update_minor: U32 => "le_ulDaeUpdateMinor", Hex;
        efv_max_bin_attach_diagnostic: U32 => "le_efvMaxBinAttachDiagnostic", Unsigned;
        pgno_dbscan_highest: U32 => "le_pgnoDbscanHighest", Unsigned;
        lgpos_last_resize: Pos => "le_lgposLastResize", Lgpos;
        reserved: [u8; 3] => "rgbReserved", Bytes;
        file_type: U32 => "le_filetype", FileType;
        reserved2: [u8; 1] => "rgbReserved2", Bytes;
        logtime_gen_max_required: Time => "logtimeGenMaxRequired", LogTime;
        gen_pre_redo_min_consistent: U32 => "le_lGenPreRedoMinConsistent", Signed;
        gen_pre_redo_min_required: U32 => "le_lGenPreRedoMinRequired", Signed;
        sign_rbs_hdr_flush: Sig => "signRBSHdrFlush", Signature;
        revert_count: U32 => "le_ulRevertCount", Unsigned;
        logtime_revert_from: Time => "logtimeRevertFrom", LogTime;
        logtime_revert_to: Time => "logtimeRevertTo", LogTime;
        revert_page_count: U32 => "le_ulRevertPageCount", Unsigned;
        lgpos_commit_before_revert: Pos => "le_lgposCommitBeforeRevert", Lgpos;
    }
}

const _: () = assert!(core::mem::size_of::<RawDbHeader>() == HEADER_LEN);

/// The database state (`le_dbstate`). Unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DbState(pub u32);

impl DbState {
    /// Being created, never cleanly closed.
    pub const JUST_CREATED: Self = Self(1);
    /// Needs recovery with the logs.
    pub const DIRTY_SHUTDOWN: Self = Self(2);
    /// Consistent; attachable without logs.
    pub const CLEAN_SHUTDOWN: Self = Self(3);
    /// A format upgrade is in progress.
    pub const BEING_CONVERTED: Self = Self(4);
    /// Force detach (Windows XP era).
    pub const FORCE_DETACH: Self = Self(5);
    /// Incremental reseed in progress.
    pub const INCREMENTAL_RESEED_IN_PROGRESS: Self = Self(6);
    /// Dirty and has patched pages; needs extended recovery.
    pub const DIRTY_AND_PATCHED_SHUTDOWN: Self = Self(7);
    /// A revert snapshot is being applied.
    pub const REVERT_IN_PROGRESS: Self = Self(8);

    /// The engine's name, as eseutil prints it, or `None` for unknown codes.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Just Created",
            2 => "Dirty Shutdown",
            3 => "Clean Shutdown",
            4 => "Being Converted",
            5 => "Force Detach",
            6 => "Incremental Reseed In Progress",
            7 => "Dirty And Patched Shutdown",
            8 => "Revert In Progress",
            _ => return None,
        })
    }
}

impl core::fmt::Display for DbState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "unknown state {}", self.0),
        }
    }
}

/// `JET_filetype` at offset 667 of database, log and checkpoint headers.
pub fn file_type_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "unknown",
        1 => "database",
        2 => "streaming file",
        3 => "log",
        4 => "checkpoint",
        5 => "temp database",
        7 => "flush map",
        _ => return None,
    })
}

/// Names codes for the generic field decoder.
fn named_value(kind: FieldKind, code: u64) -> FieldValue {
    let name = match kind {
        FieldKind::DbState => DbState(code as u32).name(),
        FieldKind::FileType => file_type_name(code as u32),
        _ => None,
    };
    FieldValue::Named { code, name: name.unwrap_or("unknown").to_string() }
}

/// One decoded copy of the database header.
#[doc(alias = "DBFILEHDR")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbHeader {
    /// `le_ulChecksum`: the stored header checksum.
    pub checksum: u32,
    /// `le_ulMagic`: 0x89abcdef in a database.
    pub magic: u32,
    /// `le_ulVersion`: format version, 0x620 for every supported database.
    pub version: u32,
    /// `le_ulDaeUpdateMajor`: the format revision ("update major").
    pub update_major: u32,
    /// `le_ulDaeUpdateMinor`: the format update minor.
    pub update_minor: u32,
    /// `le_dbstate`.
    pub state: DbState,
    /// `le_dbtimeDirtied`: the highest dbtime handed out.
    pub dbtime_dirtied: DbTime,
    /// `signDb`.
    pub sign_db: Signature,
    /// `signLog`: the log stream this database belongs to.
    pub sign_log: Signature,
    /// `le_lgposConsistent`.
    pub lgpos_consistent: Lgpos,
    /// `logtimeConsistent`.
    pub logtime_consistent: LogTime,
    /// `le_lgposAttach`.
    pub lgpos_attach: Lgpos,
    /// `logtimeAttach`.
    pub logtime_attach: LogTime,
    /// `le_lgposDetach`.
    pub lgpos_detach: Lgpos,
    /// `logtimeDetach`.
    pub logtime_detach: LogTime,
    /// `le_lGenMinRequired`.
    pub gen_min_required: i32,
    /// `le_lGenMaxRequired`.
    pub gen_max_required: i32,
    /// `le_cbPageSize` as stored (0 means 4096).
    pub page_size_field: u32,
    /// `le_ulRepairCount`.
    pub repair_count: u32,
    /// `le_ulECCFixSuccess`.
    pub ecc_fix_success: u32,
    /// `le_ulECCFixFail`.
    pub ecc_fix_fail: u32,
    /// `le_ulBadChecksum`.
    pub bad_checksum: u32,
    /// OS version when indexes were last built: major, minor, build, service pack.
    pub os_version: [u32; 4],
    /// `le_filetype`: 1 for a database.
    pub file_type: u32,
    /// `le_objidLast`.
    pub objid_last: u32,
    #[serde(skip)]
    raw: Box<[u8; HEADER_LEN]>,
}

impl DbHeader {
    /// Decodes the first [`HEADER_LEN`] bytes of `bytes`. Nothing is
    /// validated here: see [`check_header_page`] and [`DbHeader::is_database`].
    ///
    /// # Errors
    /// [`FormatError::Truncated`] when fewer than 748 bytes are given.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let truncated =
            FormatError::Truncated { what: "database header", need: HEADER_LEN, have: bytes.len() };
        let (raw, _) = RawDbHeader::ref_from_prefix(bytes).map_err(|_| truncated)?;
        let copy: [u8; HEADER_LEN] =
            bytes.get(..HEADER_LEN).ok_or(truncated)?.try_into().map_err(|_| truncated)?;
        Ok(Self {
            checksum: raw.checksum.get(),
            magic: raw.magic.get(),
            version: raw.version.get(),
            update_major: raw.update_major.get(),
            update_minor: raw.update_minor.get(),
            state: DbState(raw.dbstate.get()),
            dbtime_dirtied: DbTime(raw.dbtime_dirtied.get()),
            sign_db: Signature(raw.sign_db),
            sign_log: Signature(raw.sign_log),
            lgpos_consistent: Lgpos::from_bytes(raw.lgpos_consistent),
            logtime_consistent: LogTime(raw.logtime_consistent),
            lgpos_attach: Lgpos::from_bytes(raw.lgpos_attach),
            logtime_attach: LogTime(raw.logtime_attach),
            lgpos_detach: Lgpos::from_bytes(raw.lgpos_detach),
            logtime_detach: LogTime(raw.logtime_detach),
            gen_min_required: raw.gen_min_required.get() as i32,
            gen_max_required: raw.gen_max_required.get() as i32,
            page_size_field: raw.page_size.get(),
            repair_count: raw.repair_count.get(),
            ecc_fix_success: raw.ecc_fix_success.get(),
            ecc_fix_fail: raw.ecc_fix_fail.get(),
            bad_checksum: raw.bad_checksum.get(),
            os_version: [raw.os_major.get(), raw.os_minor.get(), raw.os_build.get(), raw.os_sp.get()],
            file_type: raw.file_type.get(),
            objid_last: raw.objid_last.get(),
            raw: Box::new(copy),
        })
    }

    /// The page size the header claims (`le_cbPageSize`, with 0 meaning 4096).
    pub fn page_size_bytes(&self) -> u32 {
        if self.page_size_field == 0 {
            4096
        } else {
            self.page_size_field
        }
    }

    /// True when the magic and file type say "database".
    pub fn is_database(&self) -> bool {
        self.magic == MAGIC && matches!(self.file_type, 1 | 5)
    }

    /// The format as eseutil writes it: `0x620,20` (version, update major).
    pub fn format_text(&self) -> String {
        format!("{:#x},{}", self.version, self.update_major)
    }

    /// Every field of the structure in offset order, with raw bytes and value.
    pub fn fields(&self) -> Vec<Field> {
        decode_fields(FIELDS, &self.raw[..], &named_value)
    }

    /// The fields whose bytes differ between `self` and `other`.
    pub fn differences(&self, other: &Self) -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|def| {
                self.raw.get(def.offset..def.offset + def.len)
                    != other.raw.get(def.offset..def.offset + def.len)
            })
            .map(|def| def.name)
            .collect()
    }
}

/// The offset of the field the engine calls `name` (e.g. `le_ulRepairCount`).
pub fn field_offset(name: &str) -> Option<usize> {
    FIELDS.iter().find(|def| def.name == name).map(|def| def.offset)
}

/// The stored and computed checksums of one header page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeaderChecksum {
    /// The value at offset 0.
    pub stored: u32,
    /// The legacy XOR over the whole header page.
    pub computed: u32,
}

impl HeaderChecksum {
    /// True when the two agree.
    pub fn is_ok(self) -> bool {
        self.stored == self.computed
    }
}

/// Checks a whole header page (page-size bytes starting at the header).
///
/// # Errors
/// [`FormatError::Truncated`] when the page is shorter than a header.
pub fn check_header_page(page: &[u8]) -> Result<HeaderChecksum, FormatError> {
    let stored = super::types::le_u32(page, 0).ok_or(FormatError::Truncated {
        what: "database header",
        need: HEADER_LEN,
        have: page.len(),
    })?;
    Ok(HeaderChecksum { stored, computed: legacy_xor(page) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_header() -> Vec<u8> {
        let mut page = vec![0u8; 4096];
        page[4..8].copy_from_slice(&MAGIC.to_le_bytes());
        page[8..12].copy_from_slice(&0x620u32.to_le_bytes());
        page[16..24].copy_from_slice(&1234u64.to_le_bytes());
        page[52..56].copy_from_slice(&3u32.to_le_bytes());
        page[232..236].copy_from_slice(&0x14u32.to_le_bytes());
        page[236..240].copy_from_slice(&4096u32.to_le_bytes());
        page[667..671].copy_from_slice(&1u32.to_le_bytes());
        let sum = legacy_xor(&page);
        page[0..4].copy_from_slice(&sum.to_le_bytes());
        page
    }

    #[test]
    fn decodes_and_checks() {
        let page = sample_header();
        let header = DbHeader::parse(&page).unwrap();
        assert!(header.is_database());
        assert_eq!(header.state, DbState::CLEAN_SHUTDOWN);
        assert_eq!(header.dbtime_dirtied, DbTime(1234));
        assert_eq!(header.format_text(), "0x620,20");
        assert!(check_header_page(&page).unwrap().is_ok());
    }

    #[test]
    fn field_table_covers_every_byte_once() {
        let mut next = 0;
        for def in FIELDS {
            assert_eq!(def.offset, next, "{}", def.name);
            next += def.len;
        }
        assert_eq!(next, HEADER_LEN);
        let header = DbHeader::parse(&sample_header()).unwrap();
        let filetype = header.fields().into_iter().find(|f| f.name == "le_filetype").unwrap();
        assert_eq!(filetype.offset, 667);
        assert_eq!(filetype.value.to_string(), "1 (database)");
    }

    #[test]
    fn differences_name_the_changed_field() {
        let a = DbHeader::parse(&sample_header()).unwrap();
        let mut other = sample_header();
        other[16] ^= 1;
        let b = DbHeader::parse(&other).unwrap();
        assert_eq!(a.differences(&b), vec!["le_dbtimeDirtied"]);
    }

    #[test]
    fn short_input_is_an_error() {
        assert_eq!(
            DbHeader::parse(&[0u8; 100]),
            Err(FormatError::Truncated { what: "database header", need: 748, have: 100 })
        );
    }
}
