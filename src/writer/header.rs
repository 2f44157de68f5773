//! Building the database header (`DBFILEHDR`, spec 3 and 13 step 2): the
//! fields a writer chooses in, one sealed header page out. Both copies of
//! a healthy file are byte-identical, so the same page is written at file
//! offset 0 and at offset `cbPage`.
//!
//! [`HeaderSpec::clean`] gives the fields of a cleanly shut down database;
//! [`HeaderSpec::dirty`] those of a database left in dirty shutdown, with
//! the log positions and generations recovery needs.

use crate::format::checksum::legacy_xor;
use crate::format::header::{DbState, HEADER_LEN, MAGIC};
use crate::format::{DbTime, Lgpos, LogTime, PageSize, Signature};

/// Format version written (`le_ulVersion`).
pub const FORMAT_VERSION: u32 = 0x620;
/// Format update major written (`le_ulDaeUpdateMajor`): 0x14, the revision
/// of Windows 8 to Windows 10 1903 (spec 12).
pub const UPDATE_MAJOR: u32 = 0x14;

/// The header fields a writer chooses. Everything else is zero, except the
/// constants of spec 13 step 2 (magic, version, sort version, file type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSpec {
    /// Page size (`le_cbPageSize`).
    pub page_size: PageSize,
    /// `le_dbstate`.
    pub state: DbState,
    /// `le_dbtimeDirtied`: at least every page's dbtime.
    pub dbtime_dirtied: DbTime,
    /// `signDb`.
    pub sign_db: Signature,
    /// `signLog`: the log stream the database belongs to.
    pub sign_log: Signature,
    /// `le_lgposConsistent` and `logtimeConsistent` (zero while dirty).
    pub consistent: (Lgpos, LogTime),
    /// `le_lgposAttach` and `logtimeAttach`.
    pub attach: (Lgpos, LogTime),
    /// `le_lgposDetach` and `logtimeDetach`.
    pub detach: (Lgpos, LogTime),
    /// `le_lGenMinRequired` and `le_lGenMaxRequired` (0 when clean).
    pub gen_required: (i32, i32),
    /// `le_lGenMinConsistent`.
    pub gen_min_consistent: i32,
    /// `le_lGenMaxCommitted`.
    pub gen_max_committed: i32,
    /// `logtimeGenMaxCreate`: creation time of the `lGenMaxRequired` log.
    pub logtime_gen_max_create: LogTime,
    /// `le_dbid`.
    pub dbid: u32,
    /// `le_objidLast`: the highest objid used.
    pub objid_last: u32,
    /// OS major, minor, build and service pack (`le_dwMajorVersion`…).
    pub os_version: [u32; 4],
    /// `le_ulDaeUpdateMajor` (and `le_ulCreateUpdate`).
    pub update_major: u32,
    /// `le_ulDaeUpdateMinor`.
    pub update_minor: u32,
}

impl HeaderSpec {
    /// A cleanly shut down database (state 3) detached at `lgpos` at `time`,
    /// created at `time` as well.
    pub fn clean(
        page_size: PageSize,
        sign_db: Signature,
        sign_log: Signature,
        lgpos: Lgpos,
        time: LogTime,
    ) -> Self {
        Self {
            page_size,
            state: DbState::CLEAN_SHUTDOWN,
            dbtime_dirtied: DbTime(0),
            sign_db,
            sign_log,
            consistent: (lgpos, time),
            attach: (Lgpos { generation: lgpos.generation, isec: 0, ib: 0 }, time),
            detach: (lgpos, time),
            gen_required: (0, 0),
            gen_min_consistent: 0,
            gen_max_committed: 0,
            logtime_gen_max_create: LogTime::default(),
            dbid: 1,
            objid_last: 0,
            os_version: [6, 2, 9200, 0],
            update_major: UPDATE_MAJOR,
            update_minor: 0,
        }
    }

    /// A database left in dirty shutdown (state 2): attached at `attach`,
    /// never made consistent since, needing generations `gen_min..=gen_max`.
    pub fn dirty(
        page_size: PageSize,
        sign_db: Signature,
        sign_log: Signature,
        attach: (Lgpos, LogTime),
        gen_required: (i32, i32),
    ) -> Self {
        Self {
            state: DbState::DIRTY_SHUTDOWN,
            consistent: (Lgpos::default(), LogTime::default()),
            attach,
            detach: (Lgpos::default(), LogTime::default()),
            gen_required,
            gen_min_consistent: gen_required.0,
            gen_max_committed: gen_required.1,
            ..Self::clean(page_size, sign_db, sign_log, Lgpos::default(), attach.1)
        }
    }

    /// The sealed header page (`cbPage` bytes: the 748-byte structure and
    /// zeros), ready to be written at offset 0 and again at `cbPage`.
    pub fn build(&self) -> Vec<u8> {
        let mut page = vec![0u8; self.page_size.len()];
        let mut put = |at: usize, bytes: &[u8]| page[at..at + bytes.len()].copy_from_slice(bytes);
        put(4, &MAGIC.to_le_bytes());
        put(8, &FORMAT_VERSION.to_le_bytes());
        put(16, &self.dbtime_dirtied.0.to_le_bytes());
        put(24, &self.sign_db.0);
        put(52, &self.state.0.to_le_bytes());
        put(56, &lgpos_bytes(self.consistent.0));
        put(64, &self.consistent.1 .0);
        put(72, &self.attach.1 .0);
        put(80, &lgpos_bytes(self.attach.0));
        put(88, &self.detach.1 .0);
        put(96, &lgpos_bytes(self.detach.0));
        put(104, &self.dbid.to_le_bytes());
        put(108, &self.sign_log.0);
        put(212, &self.objid_last.to_le_bytes());
        for (i, v) in self.os_version.iter().enumerate() {
            put(216 + 4 * i, &v.to_le_bytes());
        }
        put(232, &self.update_major.to_le_bytes());
        put(236, &self.page_size.bytes().to_le_bytes());
        put(296, &self.gen_required.0.to_le_bytes());
        put(300, &self.gen_required.1.to_le_bytes());
        put(340, &FORMAT_VERSION.to_le_bytes());
        put(344, &self.update_major.to_le_bytes());
        put(348, &self.logtime_gen_max_create.0);
        put(416, &self.gen_max_committed.to_le_bytes());
        put(508, &u64::MAX.to_le_bytes());
        put(640, &self.gen_min_consistent.to_le_bytes());
        put(644, &self.update_minor.to_le_bytes());
        put(667, &1u32.to_le_bytes());
        debug_assert!(page[HEADER_LEN..].iter().all(|&b| b == 0));
        seal_header(&mut page);
        page
    }
}

/// The 8 on-disk bytes of an `LGPOS`: `u16 ib`, `u16 isec`, `i32 lGeneration`.
pub fn lgpos_bytes(lgpos: Lgpos) -> [u8; 8] {
    let mut bytes = [0u8; 8];
    bytes[..2].copy_from_slice(&lgpos.ib.to_le_bytes());
    bytes[2..4].copy_from_slice(&lgpos.isec.to_le_bytes());
    bytes[4..].copy_from_slice(&lgpos.generation.to_le_bytes());
    bytes
}

/// A `SIGNATURE` from its random number and creation time (no computer name).
pub fn signature(random: u32, created: LogTime) -> Signature {
    let mut bytes = [0u8; 28];
    bytes[..4].copy_from_slice(&random.to_le_bytes());
    bytes[4..12].copy_from_slice(&created.0);
    Signature(bytes)
}

/// Stores the legacy XOR checksum of a header page at its offset 0 (spec
/// 3.4 and 5.6). Call again after changing any field.
pub fn seal_header(page: &mut [u8]) {
    let sum = legacy_xor(page);
    if let Some(dst) = page.get_mut(..4) {
        dst.copy_from_slice(&sum.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::header::{check_header_page, DbHeader};

    #[test]
    fn clean_header_decodes_to_what_was_asked() {
        let time = LogTime::from_unix(1_700_000_000, 0);
        let lgpos = Lgpos { generation: 1, isec: 8, ib: 0 };
        let mut spec = HeaderSpec::clean(PageSize::K8, signature(1, time), signature(2, time), lgpos, time);
        spec.objid_last = 9;
        let page = spec.build();
        assert_eq!(page.len(), 8192);
        assert!(check_header_page(&page).unwrap().is_ok());
        let header = DbHeader::parse(&page).unwrap();
        assert!(header.is_database());
        assert_eq!(header.state, DbState::CLEAN_SHUTDOWN);
        assert_eq!(header.format_text(), "0x620,20");
        assert_eq!((header.lgpos_consistent, header.lgpos_detach), (lgpos, lgpos));
        assert_eq!(header.page_size_bytes(), 8192);
        assert_eq!(header.objid_last, 9);
        assert_eq!(header.sign_log.random(), 2);
    }

    #[test]
    fn dirty_header_carries_the_recovery_fields() {
        let time = LogTime::from_unix(1_700_000_000, 0);
        let attach = Lgpos { generation: 3, isec: 16, ib: 0 };
        let spec =
            HeaderSpec::dirty(PageSize::K4, signature(1, time), signature(7, time), (attach, time), (3, 5));
        let header = DbHeader::parse(&spec.build()).unwrap();
        assert_eq!(header.state, DbState::DIRTY_SHUTDOWN);
        assert!(header.lgpos_consistent.is_zero());
        assert_eq!(header.lgpos_attach, attach);
        assert_eq!((header.gen_min_required, header.gen_max_required), (3, 5));
        assert_eq!(header.sign_log.random(), 7);
    }
}
