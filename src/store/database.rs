//! A database file opened for reading: the elected header, the page size,
//! and pages by number. Spec sections 2 and 3.5.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::file::{MappedFile, ReadMode};
use crate::finding::{Finding, Location};
use crate::format::header::{self, check_header_page, DbHeader, HeaderChecksum, FILE_TYPE_OFFSET, MAGIC};
use crate::format::page::Page;
use crate::format::types::le_u32;
use crate::format::verdict::{check_page, page_matches, Verdict};
use crate::format::{PageNumber, PageSize};
use crate::Error;

/// One of the two header copies as found in the file.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderCopy {
    /// 0 = primary (file offset 0), 1 = shadow (file offset = page size).
    pub copy: u8,
    /// File offset of the copy.
    pub file_offset: u64,
    /// The decoded fields (even when the checksum fails).
    pub header: Option<DbHeader>,
    /// Stored vs computed header checksum over one page.
    pub checksum: Option<HeaderChecksum>,
    /// True when the checksum matches, the magic is right and the page size
    /// field agrees with the page size.
    pub valid: bool,
}

/// Where the page size and header came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderSource {
    /// The primary header is valid.
    Primary,
    /// The primary header is damaged; the shadow copy is used.
    Shadow,
    /// Both copies are damaged; the page size was found by checksumming pages 1–4.
    DetectedFromPages,
}

impl HeaderSource {
    /// Where the page size came from, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Primary => "from the primary header",
            Self::Shadow => "from the shadow header (primary damaged)",
            Self::DetectedFromPages => "detected from pages 1-4 (both headers damaged)",
        }
    }
}

/// A database file opened read-only.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    file: MappedFile,
    page_size: PageSize,
    source: HeaderSource,
    copies: [HeaderCopy; 2],
    warnings: Vec<Finding>,
}

impl Database {
    /// Opens `path` read-only, elects a header copy and the page size.
    ///
    /// # Errors
    /// A directory, an unreadable file, an empty file, a log or checkpoint,
    /// a file shorter than its two header pages, or a file in which neither
    /// header copy is valid and no page size makes pages 1–4 verify.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, ReadMode::default())
    }

    /// Opens `path` read-only, reading it as `mode` says.
    ///
    /// # Errors
    /// As [`Database::open`].
    pub fn open_with(path: impl AsRef<Path>, mode: ReadMode) -> Result<Self, Error> {
        Self::open_forced(path, mode, false)
    }

    /// As [`Database::open_with`]; `force` reads a FIFO or device too.
    ///
    /// # Errors
    /// As [`Database::open`].
    pub fn open_forced(path: impl AsRef<Path>, mode: ReadMode, force: bool) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let file = MappedFile::open_checked(&path, mode, force)?;
        Self::from_file(path, file)
    }

    /// A database made in memory (as recovery's seed of a database rebuilt
    /// from its logs), named `label` in messages.
    ///
    /// # Errors
    /// As [`Database::open`].
    pub fn from_bytes(label: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Self, Error> {
        let path = label.as_ref().to_path_buf();
        let file = MappedFile::from_bytes(&path, bytes);
        Self::from_file(path, file)
    }

    fn from_file(path: PathBuf, file: MappedFile) -> Result<Self, Error> {
        let not_db = |reason: String| Error::NotDatabase { path: path.clone(), reason };
        // Everything the election looks at: two header copies and pages 1-4
        // at the largest page size.
        let bytes =
            file.range(0, 6 * PageSize::ALL.iter().map(|s| s.len()).max().unwrap_or(0))?.unwrap_or_default();
        if bytes.is_empty() {
            return Err(not_db("empty file (0 bytes), expected an ESE database header at offset 0".into()));
        }
        // a sealed log, checkpoint or flush map header: not a database, even
        // when its sectors happen to checksum like small pages
        let sealed_other =
            bytes.get(..4096).is_some_and(|h| check_header_page(h).is_ok_and(HeaderChecksum::is_ok))
                && matches!(le_u32(bytes, FILE_TYPE_OFFSET), Some(3 | 4 | 7));
        if sealed_other {
            return Err(not_db(describe_unreadable(bytes)));
        }
        let (page_size, source) = match elect(bytes) {
            Some(elected) => elected,
            None => match detect_page_size(bytes) {
                Some(size) => (size, HeaderSource::DetectedFromPages),
                None => return Err(not_db(describe_unreadable(bytes))),
            },
        };
        if file.len() < 2 * page_size.len() as u64 {
            return Err(not_db(format!(
                "truncated: {} bytes is less than the two header pages (2 x {} bytes)",
                file.len(),
                page_size.bytes()
            )));
        }
        let copies = [header_copy(bytes, 0, page_size), header_copy(bytes, 1, page_size)];
        let mut db = Self { path, file, page_size, source, copies, warnings: Vec::new() };
        db.warnings = db.open_warnings();
        Ok(db)
    }

    fn open_warnings(&self) -> Vec<Finding> {
        let mut warnings = Vec::new();
        let [primary, shadow] = &self.copies;
        match self.source {
            HeaderSource::Primary if !shadow.valid => warnings.push(Finding::warning(
                Location::Header { copy: 1, file_offset: shadow.file_offset },
                "shadow header is damaged (checksum or signature); the primary copy is used",
            )),
            HeaderSource::Primary => {
                if let (Some(a), Some(b)) = (&primary.header, &shadow.header) {
                    let fields = a.differences(b);
                    if !fields.is_empty() {
                        warnings.push(Finding::warning(
                            Location::Header { copy: 1, file_offset: shadow.file_offset },
                            format!("shadow header differs from the primary in {}", fields.join(", ")),
                        ));
                    }
                }
            }
            HeaderSource::Shadow => warnings.push(Finding::warning(
                Location::Header { copy: 0, file_offset: 0 },
                "primary header is damaged; using the shadow copy",
            )),
            HeaderSource::DetectedFromPages => warnings.push(Finding::warning(
                Location::Header { copy: 0, file_offset: 0 },
                format!(
                    "both header copies are damaged; page size {} detected from the checksums of pages 1-4",
                    self.page_size.bytes()
                ),
            )),
        }
        if let Some((pgno, have)) = self.truncated_page() {
            warnings.push(Finding::error(
                Location::Page { pgno, file_offset: pgno.file_offset(self.page_size) },
                format!("file ends {have} bytes into page {pgno}: the last page is truncated"),
            ));
        }
        warnings
    }

    /// The path the database was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The page size in use.
    pub fn page_size(&self) -> PageSize {
        self.page_size
    }

    /// Where the page size and header came from.
    pub fn header_source(&self) -> HeaderSource {
        self.source
    }

    /// The elected header: the primary if valid, else the shadow; `None`
    /// when both are damaged.
    pub fn header(&self) -> Option<&DbHeader> {
        let [primary, shadow] = &self.copies;
        match self.source {
            HeaderSource::Primary => primary.header.as_ref(),
            HeaderSource::Shadow => shadow.header.as_ref(),
            HeaderSource::DetectedFromPages => None,
        }
    }

    /// Both header copies as found.
    pub fn header_copies(&self) -> &[HeaderCopy; 2] {
        &self.copies
    }

    /// Problems noticed while opening (damaged header copies, differences
    /// between them, a truncated last page).
    pub fn warnings(&self) -> &[Finding] {
        &self.warnings
    }

    /// The file size in bytes.
    pub fn file_len(&self) -> u64 {
        self.file.len()
    }

    /// The number of whole pages after the two header pages.
    pub fn page_count(&self) -> u32 {
        let pages = self.file.len() / self.page_size.len() as u64;
        u32::try_from(pages.saturating_sub(2)).unwrap_or(u32::MAX)
    }

    /// The page the file ends in the middle of, with how many of its bytes exist.
    pub fn truncated_page(&self) -> Option<(PageNumber, usize)> {
        let rest = self.file.len() % self.page_size.len() as u64;
        (rest != 0).then(|| (PageNumber(self.page_count() + 1), rest as usize))
    }

    /// Page numbers of every whole page, in file order.
    pub fn page_numbers(&self) -> impl Iterator<Item = PageNumber> {
        (1..=self.page_count()).map(PageNumber)
    }

    /// The raw bytes of page `pgno`.
    ///
    /// # Errors
    /// [`Error::PageOutOfRange`] for page 0 or a page past the end of the
    /// file, [`Error::Open`] when the part of the file cannot be mapped.
    pub fn page_bytes(&self, pgno: PageNumber) -> Result<&[u8], Error> {
        let size = self.page_size.len();
        let bytes = match pgno.0 {
            0 => None,
            _ => self.file.range(pgno.file_offset(self.page_size), size)?.filter(|b| b.len() == size),
        };
        bytes.ok_or_else(|| Error::PageOutOfRange {
            path: self.path.clone(),
            page: pgno,
            last: self.page_count(),
        })
    }

    /// Page `pgno` with its decoded header.
    ///
    /// # Errors
    /// [`Error::PageOutOfRange`] as [`Database::page_bytes`].
    pub fn page(&self, pgno: PageNumber) -> Result<Page<'_>, Error> {
        let bytes = self.page_bytes(pgno)?;
        Page::parse(bytes, pgno, self.page_size).map_err(|source| Error::Page {
            path: self.path.clone(),
            page: pgno,
            source,
        })
    }

    /// `len` bytes from file offset `offset` (at most [`super::file::OVERLAP`]
    /// are sure to come whole), cut short at the end of the file.
    ///
    /// # Errors
    /// [`Error::Open`] when that part of the file cannot be mapped.
    pub fn range(&self, offset: u64, len: usize) -> Result<&[u8], Error> {
        Ok(self.file.range(offset, len)?.unwrap_or_default())
    }

    /// The whole file in consecutive pieces, for hashing and copying.
    pub fn chunks(&self) -> impl Iterator<Item = Result<&[u8], Error>> + '_ {
        self.file.chunks()
    }

    /// The SHA-256 of the whole file, in hex.
    ///
    /// # Errors
    /// [`Error::Open`] when part of the file cannot be mapped,
    /// [`Error::Shrank`] when the file got shorter meanwhile.
    pub fn sha256(&self) -> Result<String, Error> {
        let never = std::sync::atomic::AtomicBool::new(false);
        self.sha256_until(&never).map(Option::unwrap_or_default)
    }

    /// [`Database::sha256`], given up (`None`) as soon as `stop` is set
    /// (a cancelled job need not read the rest of a large file).
    ///
    /// # Errors
    /// As [`Database::sha256`].
    pub fn sha256_until(&self, stop: &std::sync::atomic::AtomicBool) -> Result<Option<String>, Error> {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for chunk in self.chunks() {
            self.check_size()?;
            // in 16 MiB pieces: a stop is heard within one of them
            for piece in chunk?.chunks(16 << 20) {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok(None);
                }
                hasher.update(piece);
            }
            self.check_size()?;
        }
        Ok(Some(hex::encode(hasher.finalize())))
    }

    /// Writes the whole file to `out` (the start of a new file made from it).
    ///
    /// # Errors
    /// [`Error::Write`] naming `out_path` when writing fails, as
    /// [`Database::sha256`] otherwise.
    pub fn copy_to(&self, out: &mut dyn std::io::Write, out_path: &Path) -> Result<(), Error> {
        for chunk in self.chunks() {
            let written = out.write_all(chunk?);
            self.check_size()?;
            written.map_err(|source| Error::Write { path: out_path.to_path_buf(), source })?;
        }
        Ok(())
    }

    /// [`Error::Shrank`] when the file is now shorter than when it was opened.
    ///
    /// # Errors
    /// As said.
    pub fn check_size(&self) -> Result<(), Error> {
        match self.shrank_to() {
            Some(to) => Err(Error::Shrank { path: self.path.clone(), from: self.file_len(), to }),
            None => Ok(()),
        }
    }

    /// The size of the pieces the file is mapped in (a search looks at each
    /// with the next [`super::file::OVERLAP`] bytes).
    pub fn window_len(&self) -> u64 {
        self.file.window_len()
    }

    /// The file's size on disk now, when another process has made it
    /// shorter than when it was opened.
    pub fn shrank_to(&self) -> Option<u64> {
        self.file.shrank()
    }

    /// True for a temporary database (`temp.edb`): its pages are never
    /// checksummed, which page 1 (the database root, always written) shows.
    pub fn is_temporary(&self) -> bool {
        self.page_bytes(PageNumber(1))
            .map(|page| check_page(page, PageNumber(1), self.page_size).verdict == Verdict::NotChecksummed)
            .unwrap_or(false)
    }
}

/// The header page of `copy` for a candidate page size, if the file has it.
fn header_page(bytes: &[u8], copy: u8, size: PageSize) -> Option<&[u8]> {
    let start = usize::from(copy) * size.len();
    bytes.get(start..start + size.len())
}

/// The engine's election (spec 3.5): for each page size, smallest first,
/// a copy is valid when its XOR checksum over that many bytes matches, the
/// magic is right, and its page size field names that same size. The
/// primary wins over the shadow.
fn elect(bytes: &[u8]) -> Option<(PageSize, HeaderSource)> {
    for size in PageSize::ALL {
        for (copy, source) in [(0, HeaderSource::Primary), (1, HeaderSource::Shadow)] {
            if header_page(bytes, copy, size).is_some_and(|page| copy_is_valid(page, size)) {
                return Some((size, source));
            }
        }
    }
    None
}

fn copy_is_valid(page: &[u8], size: PageSize) -> bool {
    let checksum_ok = check_header_page(page).is_ok_and(HeaderChecksum::is_ok);
    let magic_ok = le_u32(page, 4) == Some(MAGIC);
    let field = le_u32(page, header::PAGE_SIZE_OFFSET).map(|v| if v == 0 { 4096 } else { v });
    checksum_ok && magic_ok && field == Some(size.bytes())
}

fn header_copy(bytes: &[u8], copy: u8, size: PageSize) -> HeaderCopy {
    let page = header_page(bytes, copy, size);
    HeaderCopy {
        copy,
        file_offset: u64::from(copy) * u64::from(size.bytes()),
        header: page.and_then(|p| DbHeader::parse(p).ok()),
        checksum: page.and_then(|p| check_header_page(p).ok()),
        valid: page.is_some_and(|p| copy_is_valid(p, size)),
    }
}

/// When both headers are damaged: the page size for which pages 1–4
/// checksum correctly with their page numbers (spec 3.5, heuristic).
fn detect_page_size(bytes: &[u8]) -> Option<PageSize> {
    PageSize::ALL.into_iter().find(|&size| {
        let mut written = 0;
        let mut matching = 0;
        for pgno in 1..=4u32 {
            let start = (pgno as usize + 1) * size.len();
            let Some(page) = bytes.get(start..start + size.len()) else { continue };
            if page.iter().any(|&b| b != 0) {
                written += 1;
                matching += usize::from(page_matches(page, PageNumber(pgno), size));
            }
        }
        written > 0 && matching == written
    })
}

/// Why a file with no valid header and no detectable page size is not a
/// database, in one line.
fn describe_unreadable(bytes: &[u8]) -> String {
    let file_type = le_u32(bytes, FILE_TYPE_OFFSET);
    let header_ok = bytes.get(..4096).is_some_and(|h| check_header_page(h).is_ok_and(HeaderChecksum::is_ok));
    match (file_type, header_ok) {
        (Some(3), true) => "this is an ESE transaction log (file type 3), not a database: use `esescope log`".into(),
        (Some(4), true) => "this is an ESE checkpoint file (file type 4), not a database: use `esescope checkpoint`".into(),
        (Some(7), true) => "this is an ESE flush map (.jfm, file type 7), not a database".into(),
        _ if le_u32(bytes, 4) == Some(MAGIC) => format!(
            "both database headers are damaged (checksum mismatch at offsets 0 and the shadow) and no page size \
             from 2 to 32 KiB makes pages 1-4 verify ({} bytes)",
            bytes.len()
        ),
        _ => format!(
            "not an ESE database: expected signature ef cd ab 89 at offset 4, found {}",
            bytes.get(4..8).map_or_else(|| format!("only {} bytes", bytes.len()), hex_spaced)
        ),
    }
}

fn hex_spaced(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}
