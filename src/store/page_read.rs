//! Reading a page as a tree walk needs it: checksums verified, and a page
//! whose single flipped bit per block the ECC locates handed out as a
//! corrected copy (the engine reads such a page too, and logs event 399).
//! The mapped file is never changed: the copy is the walker's own.
//! Spec 5.4 and 5.8.

use std::borrow::Cow;

use super::Database;
use crate::format::page::Page;
use crate::format::verdict::{check_page, page_matches, FlipKind, FlippedBit, Verdict};
use crate::format::PageNumber;
use crate::Error;

/// A page read for a walk: its bytes (the mapped page itself, or a
/// corrected copy) and the bits that were flipped back.
#[derive(Debug, Clone)]
pub struct PageRead<'d> {
    /// The page number.
    pub pgno: PageNumber,
    /// The bytes to decode.
    pub bytes: Cow<'d, [u8]>,
    /// Bits flipped back to make every checksum match (empty when the page
    /// verified as it is).
    pub corrected: Vec<FlippedBit>,
}

impl PageRead<'_> {
    /// The page, parsed from the bytes to decode.
    ///
    /// # Errors
    /// The header cannot be parsed (cannot happen for a page whose checksum
    /// matched and whose size is right, but is not assumed).
    pub fn page(&self, db: &Database) -> Result<Page<'_>, Error> {
        Page::parse(&self.bytes, self.pgno, db.page_size()).map_err(|source| Error::Page {
            path: db.path().to_path_buf(),
            page: self.pgno,
            source,
        })
    }

    /// The corrected bits in words: "byte 0x5dc bit 4 (data)".
    pub fn describe_correction(&self) -> String {
        self.corrected
            .iter()
            .map(|b| {
                let what = match b.kind {
                    FlipKind::Data => "data",
                    FlipKind::StoredChecksum => "in the stored checksum; the data is intact",
                    FlipKind::FormatFlag => "the NewChecksumFormat flag",
                };
                format!("byte {:#x} bit {} ({what})", b.offset, b.bit)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a page could not be read for a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFailure {
    /// The page is not in the file.
    NotInFile,
    /// The checksums do not match and the ECC cannot correct it; the
    /// verdict's label (`not correctable`, `uninitialized`, ...).
    Checksum(&'static str),
}

impl Database {
    /// Page `pgno` as a walk reads it: verified, or corrected when every
    /// block has at most one flipped bit that the ECC locates. A temporary
    /// database's pages (never checksummed) are read as they are.
    ///
    /// # Errors
    /// The page is not in the file, or its checksums fail and it cannot be
    /// corrected (a page written at another place is not "corrected": its
    /// content belongs to another page number).
    pub fn read_page(&self, pgno: PageNumber) -> Result<PageRead<'_>, ReadFailure> {
        let bytes = self.page_bytes(pgno).map_err(|_| ReadFailure::NotInFile)?;
        let size = self.page_size();
        let unchecksummed =
            || self.is_temporary() && bytes.get(..8).is_some_and(|b| b.iter().all(|&x| x == 0));
        if page_matches(bytes, pgno, size) || unchecksummed() {
            return Ok(PageRead { pgno, bytes: Cow::Borrowed(bytes), corrected: Vec::new() });
        }
        let check = check_page(bytes, pgno, size);
        match check.verdict {
            Verdict::Correctable { bits, perhaps_page: None } => {
                let mut copy = bytes.to_vec();
                for bit in &bits {
                    if let Some(byte) = copy.get_mut(bit.offset) {
                        *byte ^= 1 << bit.bit;
                    }
                }
                if page_matches(&copy, pgno, size) {
                    Ok(PageRead { pgno, bytes: Cow::Owned(copy), corrected: bits })
                } else {
                    Err(ReadFailure::Checksum(Verdict::Uncorrectable.label()))
                }
            }
            other => Err(ReadFailure::Checksum(other.label())),
        }
    }
}
