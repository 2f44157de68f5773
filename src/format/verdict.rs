//! What a page's checksums say: stored vs computed values for every block,
//! and the verdict — ok, uninitialized, not checksummed, correctable (with
//! the exact flipped bits), wrong page number, or not correctable.
//! Spec sections 5.1–5.5.
//!
//! Pure: the bytes of one page in, a [`PageCheck`] out. Using the rest of
//! the file as evidence (is the "other" page a copy of this one?) is done by
//! [`crate::scan`].

use serde::Serialize;

use super::checksum::{legacy_xor, single_bit_fix, xe_checksum, BitFix, FORMAT_FLAG_BIT};
use super::page::PageFlags;
use super::types::{le_u32, le_u64, PageNumber, PageSize};

/// Offset of `fFlags` in the page header.
const FLAGS_OFFSET: usize = 36;

/// Which checksum algorithm a page uses (its `NewChecksumFormat` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumFormat {
    /// Legacy: XOR checksum (bytes 0–3) and page number (bytes 4–7).
    Legacy,
    /// XOR+ECC, one block (small pages) or four blocks (large pages).
    XorEcc,
}

impl ChecksumFormat {
    /// The name JSON gives it.
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::XorEcc => "xor_ecc",
        }
    }
}

/// Stored and computed checksum of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockCheck {
    /// Block index (0 for small pages).
    pub block: u8,
    /// Page offset where the block starts.
    pub offset: usize,
    /// Block length in bytes.
    pub len: usize,
    /// Page offset of the 8 stored checksum bytes.
    pub stored_at: usize,
    /// The stored 64-bit value (low half XOR, high half ECC or page number);
    /// a hex string in JSON.
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub stored: u64,
    /// The value computed from the block's bytes and the page number.
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub computed: u64,
}

impl BlockCheck {
    /// True when stored and computed agree.
    pub fn is_ok(&self) -> bool {
        self.stored == self.computed
    }

    /// XOR of the stored and computed XOR halves.
    pub fn xor_diff(&self) -> u32 {
        (self.stored ^ self.computed) as u32
    }

    /// XOR of the stored and computed ECC halves (the ECC syndrome).
    pub fn ecc_diff(&self) -> u32 {
        ((self.stored ^ self.computed) >> 32) as u32
    }
}

/// What a flipped bit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlipKind {
    /// A data bit, located by the ECC syndrome.
    Data,
    /// A bit of the stored checksum itself (the data is intact).
    StoredChecksum,
    /// The `NewChecksumFormat` flag (byte 37 bit 5). The engine refuses to
    /// correct it; the page verifies once it is flipped back.
    FormatFlag,
}

/// One flipped bit of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlippedBit {
    /// Byte offset inside the page.
    pub offset: usize,
    /// Bit inside the byte (0 = least significant).
    pub bit: u8,
    /// The checksum block it lies in.
    pub block: u8,
    /// What the bit belongs to.
    pub kind: FlipKind,
    /// The byte as it is in the page now.
    pub byte: u8,
}

impl FlippedBit {
    fn at_page_bit(page_bit: usize, block: u8, kind: FlipKind) -> Self {
        Self { offset: page_bit / 8, bit: (page_bit % 8) as u8, block, kind, byte: 0 }
    }

    /// The byte after flipping this bit back.
    pub fn corrected(&self) -> u8 {
        self.byte ^ (1 << self.bit)
    }
}

/// The verdict on a page's checksums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every checksum matches.
    Ok,
    /// Every byte is zero: a page never written (`JET_errPageNotInitialized`, -1019).
    Uninitialized,
    /// Checksum 0 and no format flag: a temporary database's page, which the
    /// engine never checksums.
    NotChecksummed,
    /// Flipping the listed bits back makes every checksum match.
    Correctable {
        /// The bits, at most one per block.
        bits: Vec<FlippedBit>,
        /// When the evidence cannot rule it out: the checksum also matches
        /// this page number, so the page may instead be misplaced.
        perhaps_page: Option<PageNumber>,
    },
    /// The data matches its ECC, but the checksum was made for another page
    /// number: a page written at the wrong place (-1018).
    WrongPageNumber {
        /// The page number the checksum was computed for.
        stored_pgno: PageNumber,
        /// When one bit of the stored checksum could explain it instead.
        perhaps_bit: Option<FlippedBit>,
    },
    /// The mismatch is not one bit per block (`JET_errReadVerifyFailure`, -1018).
    Uncorrectable,
}

impl Verdict {
    /// True for pages that are damaged (correctable or not).
    pub fn is_damaged(&self) -> bool {
        matches!(self, Self::Correctable { .. } | Self::WrongPageNumber { .. } | Self::Uncorrectable)
    }

    /// A short lowercase label: `ok`, `correctable`, `wrong page number`,
    /// `not correctable`, `uninitialized`, `not checksummed`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Uninitialized => "uninitialized",
            Self::NotChecksummed => "not checksummed",
            Self::Correctable { .. } => "correctable",
            Self::WrongPageNumber { .. } => "wrong page number",
            Self::Uncorrectable => "not correctable",
        }
    }

    /// The engine's error for this verdict, when it has one.
    pub fn jet_error(&self) -> Option<(i32, &'static str)> {
        match self {
            Self::Uninitialized => Some((-1019, "JET_errPageNotInitialized")),
            Self::WrongPageNumber { .. } | Self::Uncorrectable => Some((-1018, "JET_errReadVerifyFailure")),
            _ => None,
        }
    }
}

/// The full checksum analysis of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageCheck {
    /// The page number the checksums were computed for (its position).
    pub pgno: PageNumber,
    /// The algorithm the page's flags select.
    pub format: ChecksumFormat,
    /// Stored vs computed, per block.
    pub blocks: Vec<BlockCheck>,
    /// What it means.
    pub verdict: Verdict,
}

/// Where each block of a page is and where its checksum is stored:
/// `(offset, len, stored_at)`.
fn block_layout(size: PageSize) -> impl Iterator<Item = (usize, usize, usize)> {
    let (count, len) = match size.bytes() {
        16384 => (4, 4096),
        32768 => (4, 8192),
        _ => (1, size.len()),
    };
    (0..count).map(move |k| (k * len, len, if k == 0 { 0 } else { 40 + 8 * (k - 1) }))
}

fn flags_of(page: &[u8]) -> PageFlags {
    PageFlags(le_u32(page, FLAGS_OFFSET).unwrap_or(0))
}

fn uses_legacy(page: &[u8], size: PageSize) -> bool {
    !size.is_large() && !flags_of(page).contains(PageFlags::NEW_CHECKSUM_FORMAT)
}

fn xe_blocks(page: &[u8], pgno: u32, size: PageSize) -> Vec<BlockCheck> {
    block_layout(size)
        .enumerate()
        .map(|(k, (offset, len, stored_at))| BlockCheck {
            block: k as u8,
            offset,
            len,
            stored_at,
            stored: le_u64(page, stored_at).unwrap_or(0),
            computed: page.get(offset..offset + len).map_or(0, |b| xe_checksum(b, pgno, k == 0).0),
        })
        .collect()
}

fn legacy_block(page: &[u8], pgno: u32) -> BlockCheck {
    BlockCheck {
        block: 0,
        offset: 0,
        len: page.len(),
        stored_at: 0,
        stored: le_u64(page, 0).unwrap_or(0),
        computed: (u64::from(pgno) << 32) | u64::from(legacy_xor(page)),
    }
}

/// True when every checksum of the page matches. The fast path of a scan:
/// no allocation, no analysis. A page that is not exactly `size` bytes
/// never matches.
pub fn page_matches(page: &[u8], pgno: PageNumber, size: PageSize) -> bool {
    if page.len() != size.len() {
        return false;
    }
    if uses_legacy(page, size) {
        return legacy_block(page, pgno.0).is_ok();
    }
    block_layout(size).enumerate().all(|(k, (offset, len, stored_at))| {
        let computed = page.get(offset..offset + len).map(|b| xe_checksum(b, pgno.0, k == 0).0);
        computed.is_some() && computed == le_u64(page, stored_at)
    })
}

/// Analyses a page's checksums. `page` must be exactly `size` bytes; a
/// shorter slice is analysed as far as it goes and is never "ok".
pub fn check_page(page: &[u8], pgno: PageNumber, size: PageSize) -> PageCheck {
    let legacy = uses_legacy(page, size);
    let format = if legacy { ChecksumFormat::Legacy } else { ChecksumFormat::XorEcc };
    let blocks = if legacy { vec![legacy_block(page, pgno.0)] } else { xe_blocks(page, pgno.0, size) };
    let verdict = if page.len() != size.len() {
        Verdict::Uncorrectable
    } else if page.iter().all(|&b| b == 0) {
        Verdict::Uninitialized
    } else if legacy && le_u64(page, 0) == Some(0) {
        Verdict::NotChecksummed
    } else if legacy {
        legacy_verdict(&blocks, pgno)
    } else {
        xe_verdict(page, pgno, size, &blocks)
    };
    let verdict = match verdict {
        Verdict::Uncorrectable if format_flag_flipped(page, pgno, size) => Verdict::Correctable {
            bits: vec![FlippedBit::at_page_bit(FORMAT_FLAG_BIT as usize, 0, FlipKind::FormatFlag)],
            perhaps_page: None,
        },
        other => other,
    };
    PageCheck { pgno, format, blocks, verdict: with_bytes(verdict, page) }
}

/// Fills in the current value of each flipped bit's byte.
fn with_bytes(mut verdict: Verdict, page: &[u8]) -> Verdict {
    let fill = |bit: &mut FlippedBit| bit.byte = page.get(bit.offset).copied().unwrap_or(0);
    match &mut verdict {
        Verdict::Correctable { bits, .. } => bits.iter_mut().for_each(fill),
        Verdict::WrongPageNumber { perhaps_bit: Some(bit), .. } => fill(bit),
        _ => {}
    }
    verdict
}

fn legacy_verdict(blocks: &[BlockCheck], pgno: PageNumber) -> Verdict {
    let Some(block) = blocks.first() else { return Verdict::Uncorrectable };
    if block.is_ok() {
        return Verdict::Ok;
    }
    let stored_pgno = (block.stored >> 32) as u32;
    if block.xor_diff() == 0 && stored_pgno != pgno.0 {
        return Verdict::WrongPageNumber { stored_pgno: PageNumber(stored_pgno), perhaps_bit: None };
    }
    // A legacy checksum cannot locate a flipped bit.
    Verdict::Uncorrectable
}

fn xe_verdict(page: &[u8], pgno: PageNumber, size: PageSize, blocks: &[BlockCheck]) -> Verdict {
    if blocks.iter().all(BlockCheck::is_ok) {
        return Verdict::Ok;
    }
    // Every block's data matches its ECC and every XOR half is off by the
    // same value: the checksums were made for another page number.
    if let Some(first) = blocks.first() {
        let d = first.xor_diff();
        if d != 0 && blocks.iter().all(|b| b.ecc_diff() == 0 && b.xor_diff() == d) {
            let perhaps_bit = (blocks.len() == 1 && d.count_ones() == 1).then(|| {
                FlippedBit::at_page_bit(
                    first.stored_at * 8 + d.trailing_zeros() as usize,
                    0,
                    FlipKind::StoredChecksum,
                )
            });
            return Verdict::WrongPageNumber { stored_pgno: PageNumber(pgno.0 ^ d), perhaps_bit };
        }
    }
    let mut expected: Vec<u64> = blocks.iter().map(|b| b.stored).collect();
    let mut bits = Vec::new();
    for block in blocks {
        let k = usize::from(block.block);
        let stored = expected.get(k).copied().unwrap_or(block.stored);
        let diff = stored ^ block.computed;
        if diff == 0 {
            continue;
        }
        if diff.count_ones() == 1 {
            let page_bit = block.stored_at * 8 + diff.trailing_zeros() as usize;
            bits.push(FlippedBit::at_page_bit(page_bit, block.block, FlipKind::StoredChecksum));
            continue;
        }
        let forbidden = (k == 0).then_some(FORMAT_FLAG_BIT);
        let fix = single_bit_fix(
            block.len,
            super::checksum::XeChecksum(stored),
            super::checksum::XeChecksum(block.computed),
            k == 0,
            forbidden,
        );
        let BitFix::DataBit(bit) = fix else { return Verdict::Uncorrectable };
        let page_bit = block.offset * 8 + bit as usize;
        bits.push(FlippedBit::at_page_bit(page_bit, block.block, FlipKind::Data));
        // A flipped bit inside rgChecksum[] (bytes 40..64 of a large page)
        // also spoils the expected value of a later block: correct it too.
        if size.is_large() && k == 0 && (320..512).contains(&page_bit) {
            let rel = page_bit - 320;
            if let Some(value) = expected.get_mut(1 + rel / 64) {
                *value ^= 1 << (rel % 64);
            }
        }
    }
    if !bits.is_empty() && fixes_verify(page, pgno, size, &bits) {
        Verdict::Correctable { bits, perhaps_page: None }
    } else {
        Verdict::Uncorrectable
    }
}

/// Flips `bits` in a copy of the page and checks that every checksum matches.
fn fixes_verify(page: &[u8], pgno: PageNumber, size: PageSize, bits: &[FlippedBit]) -> bool {
    let mut copy = page.to_vec();
    for bit in bits {
        match copy.get_mut(bit.offset) {
            Some(byte) => *byte ^= 1 << bit.bit,
            None => return false,
        }
    }
    page_matches(&copy, pgno, size)
}

/// True when flipping the `NewChecksumFormat` flag alone makes the page verify.
fn format_flag_flipped(page: &[u8], pgno: PageNumber, size: PageSize) -> bool {
    let bit = FlippedBit::at_page_bit(FORMAT_FLAG_BIT as usize, 0, FlipKind::FormatFlag);
    page.len() == size.len() && fixes_verify(page, pgno, size, &[bit])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of pseudo-random bytes, sealed per spec 5.6.
    pub(crate) fn sealed_page(size: PageSize, pgno: u32, seed: u64) -> Vec<u8> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut page: Vec<u8> = (0..size.len()).map(|_| rng.u8(..)).collect();
        let flags = 0x2802u32 | 0x2000;
        page[36..40].copy_from_slice(&flags.to_le_bytes());
        if size.is_large() {
            page[64..68].copy_from_slice(&pgno.to_le_bytes());
            page[68..80].fill(0);
            let blk = size.len() / 4;
            for k in 1..4 {
                let sum = xe_checksum(&page[k * blk..(k + 1) * blk], pgno, false).0;
                page[40 + 8 * (k - 1)..48 + 8 * (k - 1)].copy_from_slice(&sum.to_le_bytes());
            }
            let sum = xe_checksum(&page[..blk], pgno, true).0;
            page[..8].copy_from_slice(&sum.to_le_bytes());
        } else {
            let sum = xe_checksum(&page, pgno, true).0;
            page[..8].copy_from_slice(&sum.to_le_bytes());
        }
        page
    }

    fn flip(page: &mut [u8], page_bit: usize) {
        page[page_bit / 8] ^= 1 << (page_bit % 8);
    }

    #[test]
    fn kat3_32k_page() {
        // spec 5.7 KAT-3: byte i = (i + i/13) & 0xff, sealed as 32 KiB page 0x98765431.
        let mut page: Vec<u8> = (0..32768usize).map(|i| ((i + i / 13) & 0xFF) as u8).collect();
        let pgno: u32 = 0x9876_5431;
        // The engine's test stores the checksums only (PGHDR2.pgno is not
        // written), and byte 37 of this pattern already has the format flag.
        for k in 1..4 {
            let sum = xe_checksum(&page[k * 8192..(k + 1) * 8192], pgno, false).0;
            page[40 + 8 * (k - 1)..48 + 8 * (k - 1)].copy_from_slice(&sum.to_le_bytes());
        }
        let sum = xe_checksum(&page[..8192], pgno, true).0;
        page[..8].copy_from_slice(&sum.to_le_bytes());
        let check = check_page(&page, PageNumber(pgno), PageSize::K32);
        let got: Vec<u64> = check.blocks.iter().map(|b| b.computed).collect();
        assert_eq!(got, [0xf9ce063147b6b865, 0x69af69afcdd590e4, 0x770988f62ea1a9e2, 0x7cb77cb77b839a0e]);
        assert_eq!(check.verdict, Verdict::Ok);
    }

    #[test]
    fn every_single_bit_is_located_on_every_page_size() {
        for (size, seed) in [(PageSize::K4, 1), (PageSize::K8, 2), (PageSize::K16, 3), (PageSize::K32, 4)] {
            let pgno = 77;
            let clean = sealed_page(size, pgno, seed);
            assert_eq!(check_page(&clean, PageNumber(pgno), size).verdict, Verdict::Ok);
            let mut rng = fastrand::Rng::with_seed(seed);
            for _ in 0..300 {
                let bit = rng.usize(..size.len() * 8);
                let mut page = clean.clone();
                flip(&mut page, bit);
                let check = check_page(&page, PageNumber(pgno), size);
                // A flip in the stored XOR half of a small page is
                // indistinguishable, from the page alone, from a page whose
                // number differs in that bit; the scan decides with the file.
                if let Verdict::WrongPageNumber { perhaps_bit: Some(b), stored_pgno } = &check.verdict {
                    assert!(bit < 32 && !size.is_large(), "{size}: bit {bit}");
                    assert_eq!((b.offset, b.bit as usize), (bit / 8, bit % 8));
                    assert_eq!(stored_pgno.0, pgno ^ (1 << bit));
                    continue;
                }
                let Verdict::Correctable { bits, .. } = &check.verdict else {
                    panic!("{size}: bit {bit}: {:?}", check.verdict)
                };
                assert_eq!(bits.len(), 1, "{size}: bit {bit}");
                assert_eq!(
                    (bits[0].offset, bits[0].bit as usize),
                    (bit / 8, bit % 8),
                    "{size}: {:?}",
                    bits[0]
                );
            }
        }
    }

    #[test]
    fn stored_checksum_bits_and_rgchecksum_bits() {
        let size = PageSize::K32;
        let clean = sealed_page(size, 9, 5);
        // byte 0x29 bit 0 lies in rgChecksum[0]: block 0 locates it, block 1's
        // expectation is corrected with it (spec 5.8).
        for bit in [0x29 * 8, 3, 40, 63, 64 * 8 + 2] {
            let mut page = clean.clone();
            flip(&mut page, bit);
            let check = check_page(&page, PageNumber(9), size);
            match &check.verdict {
                Verdict::Correctable { bits, .. } => {
                    assert_eq!(bits[0].offset * 8 + bits[0].bit as usize, bit)
                }
                other => panic!("bit {bit}: {other:?}"),
            }
        }
    }

    #[test]
    fn two_bits_in_one_block_are_not_correctable() {
        for size in [PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32] {
            let clean = sealed_page(size, 12, 6);
            let mut rng = fastrand::Rng::with_seed(8);
            for _ in 0..200 {
                let a = rng.usize(64..size.len().min(4096) * 8);
                let b = rng.usize(64..size.len().min(4096) * 8);
                if a == b {
                    continue;
                }
                let mut page = clean.clone();
                flip(&mut page, a);
                flip(&mut page, b);
                assert_eq!(
                    check_page(&page, PageNumber(12), size).verdict,
                    Verdict::Uncorrectable,
                    "{size} {a} {b}"
                );
            }
        }
    }

    #[test]
    fn misplaced_page_names_its_real_number() {
        for size in [PageSize::K4, PageSize::K32] {
            let page = sealed_page(size, 100, 7);
            let check = check_page(&page, PageNumber(37), size);
            assert_eq!(
                check.verdict,
                Verdict::WrongPageNumber { stored_pgno: PageNumber(100), perhaps_bit: None }
            );
            assert_eq!(check.verdict.jet_error(), Some((-1018, "JET_errReadVerifyFailure")));
        }
    }

    #[test]
    fn zero_page_is_uninitialized() {
        let check = check_page(&[0u8; 8192], PageNumber(5), PageSize::K8);
        assert_eq!(check.verdict, Verdict::Uninitialized);
        assert_eq!(check.verdict.jet_error(), Some((-1019, "JET_errPageNotInitialized")));
    }

    #[test]
    fn legacy_page_verifies_and_detects_wrong_number() {
        let mut page = vec![0u8; 4096];
        page[100] = 0x5a;
        page[4..8].copy_from_slice(&33u32.to_le_bytes());
        let sum = legacy_xor(&page);
        page[0..4].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(check_page(&page, PageNumber(33), PageSize::K4).verdict, Verdict::Ok);
        assert!(page_matches(&page, PageNumber(33), PageSize::K4));
        assert_eq!(
            check_page(&page, PageNumber(34), PageSize::K4).verdict,
            Verdict::WrongPageNumber { stored_pgno: PageNumber(33), perhaps_bit: None }
        );
        page[200] ^= 4;
        assert_eq!(check_page(&page, PageNumber(33), PageSize::K4).verdict, Verdict::Uncorrectable);
    }
}
