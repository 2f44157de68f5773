//! Checksum algorithms of ESE: the legacy XOR checksum (headers and old
//! pages) and the 64-bit XOR+ECC checksum of newer pages and log segments,
//! with the single-bit-error syndrome test.
//!
//! Pure functions over `&[u8]`; no I/O and no allocation. Deciding what a
//! mismatch means for a whole page lives in [`crate::format::verdict`].
//! Spec: `ese-database-format.md` section 5.

/// Seed of the legacy XOR checksum.
pub const LEGACY_SEED: u32 = 0x89AB_CDEF;

/// Bit 301 of a page (byte 37 bit 5) is the `NewChecksumFormat` page flag.
/// ECC must never "correct" it: the engine forbids it because a flip there
/// changes which algorithm applies.
pub const FORMAT_FLAG_BIT: u32 = 9 * 32 + 13;

/// A 64-bit XOR+ECC checksum as stored on disk: low 32 bits = XOR part
/// (with the page number mixed in), high 32 bits = ECC part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct XeChecksum(pub u64);

impl XeChecksum {
    /// The XOR half (bytes 0–3 on disk).
    pub fn xor(self) -> u32 {
        self.0 as u32
    }

    /// The ECC half (bytes 4–7 on disk).
    pub fn ecc(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// The little-endian u32 words of `bytes`; a trailing partial word is ignored.
fn words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.as_chunks::<4>().0.iter().map(|w| u32::from_le_bytes(*w))
}

/// Legacy XOR checksum: `0x89abcdef` XOR every little-endian u32 word except
/// the first. Used for database, log and checkpoint headers and for pages
/// without the `NewChecksumFormat` flag.
pub fn legacy_xor(bytes: &[u8]) -> u32 {
    words(bytes).skip(1).fold(LEGACY_SEED, |acc, w| acc ^ w)
}

/// All ones when `w` has an odd number of set bits, else 0. By folding,
/// not `count_ones`: the baseline x86-64 target has no `popcnt`, and the
/// fold vectorises.
#[inline(always)]
fn odd_mask(w: u32) -> u32 {
    let mut x = w ^ (w >> 16);
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    0u32.wrapping_sub(x & 1)
}

/// What [`xe_checksum`] needs from every row of a block.
struct Sums {
    /// XOR of all rows: the column parities.
    col: u32,
    /// XOR of the indexes of odd-parity rows.
    p: u32,
    /// All ones when the number of odd rows is odd.
    odd_rows: u32,
}

/// Row pairs (u64) per group: sixteen rows, a cache line and a quarter.
const PAIRS: usize = 8;

/// [`Sums`] over every whole word of `block`, with no per-row parity.
///
/// Bit k of `p` is the parity of the rows that are odd and whose index has
/// bit k set, which is the parity of the XOR of all rows whose index has
/// bit k set. So the loop only XORs. Rows are read in pairs as u64 (row
/// 2m in the low half, 2m+1 in the high half): the high halves give index
/// bit 0; within a group of eight pairs the pair's position gives bits 1–3
/// (eight u64 accumulators, which vectorise); each group's XOR, as one
/// word, goes to the accumulators of the bits its group number has set
/// (bits 4 and up). Thirty-two parities at the end replace one per row.
fn sums(block: &[u8]) -> Sums {
    let (groups, rest) = block.as_chunks::<{ 8 * PAIRS }>();
    let mut lane = [0u64; PAIRS];
    let mut high = [0u64; 32]; // XOR of the pairs whose group number has bit k - 4 set
    for (g, group) in groups.iter().enumerate() {
        let (pairs, _) = group.as_chunks::<8>();
        let mut all = [0u64; PAIRS];
        for ((v, l), a) in pairs.iter().zip(&mut lane).zip(&mut all) {
            let v = u64::from_le_bytes(*v);
            *l ^= v;
            *a = v;
        }
        let mut bits = g;
        if bits != 0 {
            let all = all.iter().fold(0, |acc, x| acc ^ x);
            while bits != 0 {
                if let Some(acc) = high.get_mut(bits.trailing_zeros() as usize + 4) {
                    *acc ^= all;
                }
                bits &= bits - 1;
            }
        }
    }
    let fold = |v: u64| (v as u32) ^ (v >> 32) as u32;
    let every = lane.iter().fold(0, |acc, x| acc ^ x);
    let col = fold(every);
    let [_, l1, l2, l3, l4, l5, l6, l7] = lane;
    let mut x = [0u32; 32];
    x[0] = (every >> 32) as u32;
    x[1] = fold(l1 ^ l3 ^ l5 ^ l7);
    x[2] = fold(l2 ^ l3 ^ l6 ^ l7);
    x[3] = fold(l4 ^ l5 ^ l6 ^ l7);
    for (k, h) in high.iter().enumerate().skip(4) {
        if let Some(slot) = x.get_mut(k) {
            *slot = fold(*h);
        }
    }
    let mut p = 0u32;
    for (k, xk) in x.iter().enumerate() {
        p |= (odd_mask(*xk) & 1) << k;
    }
    let mut sums = Sums { col, p, odd_rows: odd_mask(col) };
    let base = (groups.len() * 2 * PAIRS) as u32;
    for (i, w) in words(rest).enumerate() {
        let m = odd_mask(w);
        sums.col ^= w;
        sums.p ^= (base + i as u32) & m;
        sums.odd_rows ^= m;
    }
    sums
}

/// The XOR+ECC checksum of one block (a small page, one of the four blocks
/// of a large page, or a 4 KiB log segment).
///
/// `header_block` excludes the first 8 bytes (the stored checksum) from the
/// computation. `pgno` is the page number (or segment index) mixed into the
/// XOR half. The block length must be a power of two of at least 64 bytes;
/// other lengths give a meaningless value.
pub fn xe_checksum(block: &[u8], pgno: u32, header_block: bool) -> XeChecksum {
    let rows = block.len() / 4;
    let row_mask = (rows as u32).wrapping_sub(1);
    let Sums { mut col, mut p, mut odd_rows } = sums(block);
    if header_block {
        // Take the stored checksum (rows 0 and 1) back out: XOR undoes XOR.
        for (i, w) in words(block).enumerate().take(2) {
            let odd = odd_mask(w);
            col ^= w;
            p ^= (i as u32) & odd;
            odd_rows ^= odd;
        }
    }
    // q is the XOR of the complements of the odd rows' indexes: p, inverted
    // once for every odd row.
    let q = p ^ odd_rows;
    let mut r = 0u32;
    for c in 0..32u32 {
        if col & (1 << c) != 0 {
            r ^= c;
        }
    }
    let s = if col.count_ones() & 1 == 1 { !r } else { r };
    let ecc = ((q & row_mask) << 21) | ((s & 31) << 16) | ((p & row_mask) << 5) | (r & 31);
    XeChecksum((u64::from(ecc) << 32) | u64::from(col ^ pgno))
}

/// Outcome of the single-bit test for one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitFix {
    /// Stored and computed checksums agree.
    NoError,
    /// Exactly one data bit differs: its index inside the block
    /// (byte `bit / 8`, bit `bit % 8`, LSB = 0).
    DataBit(u32),
    /// The difference is not one data bit.
    Uncorrectable,
}

/// The engine's single-bit test (spec 5.5): does the difference between the
/// stored and computed checksums of a block point at exactly one data bit?
///
/// `forbidden` is a block bit that must never be corrected (the format flag
/// in block 0). In a header block, bits 0–63 (the stored checksum itself)
/// are not covered by the ECC and are never a valid answer.
pub fn single_bit_fix(
    block_len: usize,
    stored: XeChecksum,
    computed: XeChecksum,
    header_block: bool,
    forbidden: Option<u32>,
) -> BitFix {
    if stored == computed {
        return BitFix::NoError;
    }
    let d_ecc = stored.ecc() ^ computed.ecc();
    let d_xor = stored.xor() ^ computed.xor();
    let bits = (block_len as u64 * 8).min(u64::from(u32::MAX)) as u32;
    let mask = bits.wrapping_sub(1);
    let syndrome_ok = ((d_ecc >> 16) ^ d_ecc) & mask == mask;
    if !syndrome_ok || d_xor.count_ones() != 1 {
        return BitFix::Uncorrectable;
    }
    let bit = d_ecc & 0xFFFF;
    let in_checksum = header_block && bit < 64;
    // The flipped bit must also be the one the XOR half points at: bit % 32.
    if bit >= bits || in_checksum || Some(bit) == forbidden || d_xor != 1 << (bit % 32) {
        return BitFix::Uncorrectable;
    }
    BitFix::DataBit(bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row loop as the spec states it (one word at a time, parity by
    /// `count_ones`): the lane-parallel [`sums`] must agree with it.
    fn reference(block: &[u8], pgno: u32, header_block: bool) -> XeChecksum {
        let rows = block.len() / 4;
        let row_mask = (rows as u32).wrapping_sub(1);
        let (mut col, mut p, mut odd_rows) = (0u32, 0u32, 0u32);
        for (i, w) in words(block).enumerate().skip(if header_block { 2 } else { 0 }) {
            col ^= w;
            let odd = 0u32.wrapping_sub(w.count_ones() & 1);
            p ^= (i as u32) & odd;
            odd_rows ^= odd;
        }
        let q = p ^ odd_rows;
        let r = (0..32u32).filter(|c| col & (1 << c) != 0).fold(0, |acc, c| acc ^ c);
        let s = if col.count_ones() & 1 == 1 { !r } else { r };
        let ecc = ((q & row_mask) << 21) | ((s & 31) << 16) | ((p & row_mask) << 5) | (r & 31);
        XeChecksum((u64::from(ecc) << 32) | u64::from(col ^ pgno))
    }

    #[test]
    fn lane_parallel_sums_match_the_reference() {
        let mut rng = fastrand::Rng::with_seed(0x5EED);
        for len in [0, 3, 4, 8, 28, 32, 36, 64, 100, 4096, 4100, 8192, 16384, 32768] {
            for _ in 0..8 {
                let block: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
                let pgno = rng.u32(..);
                for header_block in [false, true] {
                    assert_eq!(
                        xe_checksum(&block, pgno, header_block),
                        reference(&block, pgno, header_block),
                        "{len} bytes, header block {header_block}"
                    );
                }
            }
        }
    }

    fn kat1_buffer() -> Vec<u8> {
        let mut buf = vec![0u8; 8192];
        for (i, b) in buf.iter_mut().enumerate().take(4096) {
            *b = (i & 0xFF) as u8;
        }
        buf
    }

    #[test]
    fn kat1_new_format_8k() {
        // spec 5.7 KAT-1: new-format flag set, pgno 9876.
        let mut buf = kat1_buffer();
        let flags = u32::from_le_bytes(buf[36..40].try_into().unwrap()) | 0x2000;
        buf[36..40].copy_from_slice(&flags.to_le_bytes());
        assert_eq!(xe_checksum(&buf, 9876, true), XeChecksum(0x0000_0000_0404_2290));
    }

    #[test]
    fn kat2_legacy_header() {
        let mut buf = kat1_buffer();
        buf[0..4].copy_from_slice(&0x8912_3456u32.to_le_bytes());
        buf[4..8].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        assert_eq!(legacy_xor(&buf), 0x9F9B_9F93);
    }

    #[test]
    fn zero_block_checksum_is_page_number() {
        assert_eq!(xe_checksum(&[0u8; 8192], 4, false), XeChecksum(4));
    }

    #[test]
    fn single_bit_located_in_every_position_of_a_4k_block() {
        let mut block: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let stored = xe_checksum(&block, 77, true);
        for bit in (64..4096 * 8).step_by(97) {
            block[bit / 8] ^= 1 << (bit % 8);
            let computed = xe_checksum(&block, 77, true);
            assert_eq!(single_bit_fix(4096, stored, computed, true, None), BitFix::DataBit(bit as u32));
            block[bit / 8] ^= 1 << (bit % 8);
        }
    }

    #[test]
    fn two_flipped_bits_are_never_called_correctable() {
        let mut block: Vec<u8> = (0..8192u32).map(|i| (i.wrapping_mul(40503) >> 7) as u8).collect();
        let stored = xe_checksum(&block, 3, true);
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let a = rng.usize(64..8192 * 8);
            let b = rng.usize(64..8192 * 8);
            if a == b {
                continue;
            }
            block[a / 8] ^= 1 << (a % 8);
            block[b / 8] ^= 1 << (b % 8);
            let computed = xe_checksum(&block, 3, true);
            assert_eq!(single_bit_fix(8192, stored, computed, true, None), BitFix::Uncorrectable);
            block[a / 8] ^= 1 << (a % 8);
            block[b / 8] ^= 1 << (b % 8);
        }
    }
}
