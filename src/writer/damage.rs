//! The sample set of `sample-dbs/`: the two clean teaching databases and
//! damaged copies of a small one, each damaged in one documented way.
//! `esescope sample --out DIR` writes exactly these bytes.
//!
//! Each [`Sample`] lists the [`Damage`] done to it, so tests can check that
//! esescope reports exactly that, and the README can say what to look for.

use crate::format::node::node;
use crate::format::page::{Page, PageFlags};
use crate::format::record::{Cell, Record, Stored, TaggedLayout};
use crate::format::{DbTime, FormatError, PageNumber, PageSize};

use super::database::WrittenDatabase;
use super::page::{seal_page, PageImage};
use super::sample::{teaching_database, CLEAN_32K, CLEAN_8K, DAMAGE_BASE};
use super::WriteError;

/// One thing done to a sample on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// One bit of page `pgno` flipped: byte `offset` (in the page), bit `bit`.
    BitFlip {
        /// The page.
        pgno: PageNumber,
        /// Byte offset inside the page.
        offset: usize,
        /// Bit inside the byte.
        bit: u8,
        /// Which part of the page: data area, header field, stored checksum.
        part: &'static str,
    },
    /// Several bits of one page flipped: not correctable.
    MultiBit {
        /// The page.
        pgno: PageNumber,
        /// `(offset, bit)` of each flipped bit.
        bits: Vec<(usize, u8)>,
    },
    /// Page `from` was written at the place of page `at` too.
    Misplaced {
        /// The page whose bytes were copied.
        from: PageNumber,
        /// Where they were written (its own content is gone).
        at: PageNumber,
    },
    /// A page in use overwritten with zeros.
    Zeroed {
        /// The page.
        pgno: PageNumber,
    },
    /// The first half of page `pgno` is a newer version, the second half the old one.
    Torn {
        /// The page.
        pgno: PageNumber,
    },
    /// A leaf's `pgnoNext` points past its real neighbour; the page is resealed.
    BrokenSibling {
        /// The leaf.
        pgno: PageNumber,
        /// The neighbour it should name.
        expected: PageNumber,
        /// What it names now.
        now: PageNumber,
    },
    /// One bit of the primary header flipped (checksum not updated); the
    /// shadow copy is intact.
    PrimaryHeader {
        /// Byte offset in the header.
        offset: usize,
        /// Bit inside the byte.
        bit: u8,
    },
}

impl Damage {
    /// One line saying what was done.
    pub fn describe(&self) -> String {
        match self {
            Self::BitFlip { pgno, offset, bit, part } => {
                format!("page {pgno}: bit {bit} of byte {offset:#x} flipped ({part})")
            }
            Self::MultiBit { pgno, bits } => format!("page {pgno}: {} bits flipped", bits.len()),
            Self::Misplaced { from, at } => format!("page {from} also written at page {at}"),
            Self::Zeroed { pgno } => format!("page {pgno} overwritten with zeros"),
            Self::Torn { pgno } => format!("page {pgno} torn: first half newer than the second"),
            Self::BrokenSibling { pgno, expected, now } => {
                format!("leaf {pgno}: pgnoNext {now} instead of {expected}, page resealed")
            }
            Self::PrimaryHeader { offset, bit } => {
                format!("primary header: bit {bit} of byte {offset} flipped, shadow intact")
            }
        }
    }
}

/// One file of the sample set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// File name inside `sample-dbs/`.
    pub file_name: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// What was done to it (empty for a clean sample).
    pub damage: Vec<Damage>,
    /// The written database before any damage (trees and their pages).
    pub written: WrittenDatabase,
}

fn page_range(pgno: PageNumber, size: PageSize) -> std::ops::Range<usize> {
    let at = (pgno.0 as usize + 1) * size.len();
    at..at + size.len()
}

fn flip(bytes: &mut [u8], pgno: PageNumber, size: PageSize, offset: usize, bit: u8) {
    if let Some(byte) = bytes.get_mut(page_range(pgno, size).start + offset) {
        *byte ^= 1 << bit;
    }
}

/// Flips each (page, offset, bit) and says so, part named.
fn flip_all(
    bytes: &mut [u8],
    size: PageSize,
    flips: [(PageNumber, usize, u8, &'static str); 3],
) -> Vec<Damage> {
    flips
        .into_iter()
        .map(|(pgno, offset, bit, part)| {
            flip(bytes, pgno, size, offset, bit);
            Damage::BitFlip { pgno, offset, bit, part }
        })
        .collect()
}

fn leaf(written: &WrittenDatabase, tree: &str, index: usize) -> Result<PageNumber, WriteError> {
    written
        .tree(tree)
        .and_then(|t| t.leaves.get(index).copied())
        .ok_or(WriteError::OutOfPages { need: index + 1, have: 0 })
}

fn page_image(bytes: &[u8], pgno: PageNumber, size: PageSize) -> Result<PageImage, WriteError> {
    let slice =
        bytes.get(page_range(pgno, size)).ok_or(WriteError::OutOfPages { need: pgno.0 as usize, have: 0 })?;
    let page = Page::parse(slice, pgno, size).map_err(|source| WriteError::Decode { pgno, source })?;
    PageImage::from_page(&page).map_err(|source| WriteError::Decode { pgno, source })
}

/// Page offset of byte `at` of a column value in the first record of leaf
/// `pgno` (from line 0 on) that stores one intrinsically, as `pick` reads it.
fn value_offset(
    bytes: &[u8],
    pgno: PageNumber,
    size: PageSize,
    at: usize,
    pick: impl for<'a> Fn(&Record<'a>) -> Result<Cell<'a>, FormatError>,
) -> Result<usize, WriteError> {
    let decode = |source| WriteError::Decode { pgno, source };
    let slice =
        bytes.get(page_range(pgno, size)).ok_or(WriteError::OutOfPages { need: pgno.0 as usize, have: 0 })?;
    let page = Page::parse(slice, pgno, size).map_err(decode)?;
    let layout =
        TaggedLayout::for_page(size.is_large(), page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
    let lines = page.header.tag_count.saturating_sub(page.header.ctag_reserved());
    for line in 0..lines {
        let n = node(&page, line).map_err(decode)?;
        let record = Record::parse(n.data, layout).map_err(decode)?;
        if let Ok(Cell::Single(Stored::Intrinsic(value))) = pick(&record) {
            if value.len() > at {
                // the value is a slice of the page: its offset is where it starts
                return Ok(value.as_ptr() as usize - slice.as_ptr() as usize + at);
            }
        }
    }
    Err(decode(FormatError::RecordField { field: "sample column value", offset: at, len: 0 }))
}

fn put_page(bytes: &mut [u8], pgno: PageNumber, size: PageSize, page: &[u8]) {
    if let Some(dst) = bytes.get_mut(page_range(pgno, size)) {
        dst.copy_from_slice(page);
    }
}

/// Builds a damaged copy of `base`.
fn damaged(
    file_name: &'static str,
    base: &WrittenDatabase,
    damage: impl FnOnce(&mut Vec<u8>) -> Result<Vec<Damage>, WriteError>,
) -> Result<Sample, WriteError> {
    let mut bytes = base.bytes.clone();
    let damage = damage(&mut bytes)?;
    Ok(Sample { file_name, bytes, damage, written: base.clone() })
}

/// Every sample, in the order the README lists them.
///
/// # Errors
/// Only if the sample definitions were inconsistent with the writer.
pub fn samples() -> Result<Vec<Sample>, WriteError> {
    let clean = |file_name, written: WrittenDatabase| Sample {
        file_name,
        bytes: written.bytes.clone(),
        damage: vec![],
        written,
    };
    let base = teaching_database(DAMAGE_BASE)?;
    let size = DAMAGE_BASE.page_size;
    let mut all = vec![
        clean("clean-8k.edb", teaching_database(CLEAN_8K)?),
        clean("clean-32k.edb", teaching_database(CLEAN_32K)?),
        // The undamaged original of every damaged sample below, so that
        // `compare` can name what was done to each.
        clean("clean-4k.edb", base.clone()),
    ];
    all.push(damaged("bitflip.edb", &base, |bytes| {
        let (a, b, c) = (leaf(&base, "people", 0)?, leaf(&base, "people", 1)?, leaf(&base, "people", 2)?);
        let flips = [
            (a, 1500, 4, "data area"),
            (b, 11, 2, "header field dbtimeDirtied"),
            (c, 5, 6, "stored checksum, ECC half"),
        ];
        Ok(flip_all(bytes, size, flips))
    })?);
    all.push(damaged("bitflip-columns.edb", &base, |bytes| {
        // one bit in a value of each column class of `people`: fixed Born
        // (DateTime at record offset 8), variable Name, tagged Notes
        let (a, b, c) = (leaf(&base, "people", 0)?, leaf(&base, "people", 1)?, leaf(&base, "people", 2)?);
        let flips = [
            (a, value_offset(bytes, a, size, 5, |r| r.fixed(2, 8, 8))?, 3, "fixed column Born (DateTime)"),
            (b, value_offset(bytes, b, size, 0, |r| r.variable(128))?, 5, "variable column Name (Text)"),
            (
                c,
                value_offset(bytes, c, size, 3, |r| r.tagged_column(257, false))?,
                0,
                "tagged column Notes (LongText)",
            ),
        ];
        Ok(flip_all(bytes, size, flips))
    })?);
    all.push(damaged("multibit.edb", &base, |bytes| {
        let pgno = leaf(&base, "readings", 0)?;
        let bits = vec![(700, 1), (701, 6), (2900, 3)];
        for &(offset, bit) in &bits {
            flip(bytes, pgno, size, offset, bit);
        }
        Ok(vec![Damage::MultiBit { pgno, bits }])
    })?);
    all.push(damaged("misplaced.edb", &base, |bytes| {
        let (from, at) = (leaf(&base, "people", 1)?, leaf(&base, "people", 3)?);
        let copy = bytes.get(page_range(from, size)).map(<[u8]>::to_vec).unwrap_or_default();
        put_page(bytes, at, size, &copy);
        Ok(vec![Damage::Misplaced { from, at }])
    })?);
    all.push(damaged("zeroed.edb", &base, |bytes| {
        let pgno = leaf(&base, "people", 2)?;
        put_page(bytes, pgno, size, &vec![0; size.len()]);
        Ok(vec![Damage::Zeroed { pgno }])
    })?);
    all.push(damaged("torn.edb", &base, |bytes| {
        let pgno = leaf(&base, "people", 1)?;
        let old = bytes.get(page_range(pgno, size)).map(<[u8]>::to_vec).unwrap_or_default();
        // The newer version: the last record rewritten (its bytes lie in
        // the second half of the page) at the latest dbtime the header
        // has handed out.
        let mut image = page_image(bytes, pgno, size)?;
        let latest = bytes.get(16..24).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes);
        image.dbtime = DbTime(latest.max(image.dbtime.0 + 1));
        if let Some(last) = image.nodes.last_mut() {
            last.data.iter_mut().skip(8).take(8).zip(1u8..).for_each(|(b, k)| *b ^= k.wrapping_mul(0x25));
        }
        let new = image.build()?;
        let half = size.len() / 2;
        let mut torn = new.get(..half).map(<[u8]>::to_vec).unwrap_or_default();
        torn.extend_from_slice(old.get(half..).unwrap_or_default());
        put_page(bytes, pgno, size, &torn);
        Ok(vec![Damage::Torn { pgno }])
    })?);
    all.push(damaged("broken-siblings.edb", &base, |bytes| {
        let (pgno, expected, now) =
            (leaf(&base, "people", 1)?, leaf(&base, "people", 2)?, leaf(&base, "people", 3)?);
        let range = page_range(pgno, size);
        if let Some(page) = bytes.get_mut(range) {
            page[20..24].copy_from_slice(&now.0.to_le_bytes());
            seal_page(page, pgno, size);
        }
        Ok(vec![Damage::BrokenSibling { pgno, expected, now }])
    })?);
    all.push(damaged("headers-disagree.edb", &base, |bytes| {
        // le_dbstate 3 (clean) becomes 2 (dirty) in the primary copy only.
        let (offset, bit) = (52, 0);
        if let Some(byte) = bytes.get_mut(offset) {
            *byte ^= 1 << bit;
        }
        Ok(vec![Damage::PrimaryHeader { offset, bit }])
    })?);
    Ok(all)
}
