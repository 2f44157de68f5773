//! The ATTACHINFO list in log and checkpoint headers: which databases were
//! attached, with their dbtime, signature and log positions. Spec 2.5.

use serde::Serialize;

use crate::format::field::{lgpos_at, signature_at};
use crate::format::types::{le_u16, le_u32, le_u64, Lgpos, Signature};

/// One attached database.
#[doc(alias = "ATTACHINFO")]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachInfo {
    /// `dbid` (1–6).
    pub dbid: u8,
    /// Flags: 0x20 UTF-16 names, 0x40 sparse file.
    pub flags: u8,
    /// The database's dbtime high-water mark when the list was written.
    pub dbtime: u64,
    /// `objidLast`.
    pub objid_last: u32,
    /// `cpgDatabaseSizeMax` (0 = unlimited).
    pub max_pages: u32,
    /// `lgposAttach`.
    pub lgpos_attach: Lgpos,
    /// `lgposConsistent`.
    pub lgpos_consistent: Lgpos,
    /// `signDb`.
    pub sign_db: Signature,
    /// The database path.
    pub path: String,
}

/// Decodes the list in `area` (2048 bytes), stopping at a dbid of 0, at
/// the end of the area, or at an entry that does not fit.
pub fn parse_list(area: &[u8]) -> Vec<AttachInfo> {
    let mut list = Vec::new();
    let mut at = 0usize;
    while let Some(&dbid) = area.get(at) {
        if dbid == 0 || list.len() >= 64 {
            break;
        }
        let (Some(flags), Some(cb_names)) = (area.get(at + 1).copied(), le_u16(area, at + 2)) else { break };
        let names = area.get(at + 64..at + 64 + usize::from(cb_names));
        let (
            Some(names),
            Some(dbtime),
            Some(objid_last),
            Some(max_pages),
            Some(attach),
            Some(consistent),
            Some(sign),
        ) = (
            names,
            le_u64(area, at + 4),
            le_u32(area, at + 12),
            le_u32(area, at + 16),
            lgpos_at(area, at + 20),
            lgpos_at(area, at + 28),
            signature_at(area, at + 36),
        )
        else {
            break;
        };
        let path = if flags & 0x20 != 0 {
            let units: Vec<u16> = names
                .as_chunks::<2>()
                .0
                .iter()
                .map(|c| u16::from_le_bytes(*c))
                .take_while(|&u| u != 0)
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            names.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect()
        };
        list.push(AttachInfo {
            dbid,
            flags,
            dbtime,
            objid_last,
            max_pages,
            lgpos_attach: attach,
            lgpos_consistent: consistent,
            sign_db: sign,
            path,
        });
        at += 64 + usize::from(cb_names);
    }
    list
}
