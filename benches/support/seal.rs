//! Writing a page's checksums, per spec section 5.6 ("seal_page"). Shared by
//! the benches (synthetic pages), `examples/tile_db.rs` (re-sealing copied
//! pages at their new number) and the robustness tests, which include this
//! file with `#[path]`. The checksum algorithms themselves are esescope's own
//! `format::checksum`; only the placement of the results lives here.
//!
//! Once the crate has a writer, this belongs in `format::checksum` as a
//! public `seal_page`.
#![allow(dead_code)] // each includer uses a different part

use esescope::format::checksum::{legacy_xor, xe_checksum};
use esescope::format::PageSize;

/// The `NewChecksumFormat` page flag (`fFlags` bit 13, byte 37 bit 5).
pub const NEW_CHECKSUM_FORMAT: u32 = 0x2000;

fn flags(page: &[u8]) -> u32 {
    u32::from_le_bytes([page[36], page[37], page[38], page[39]])
}

/// Re-seals `page` as page `pgno` in the checksum format its flags select
/// (large pages always use XOR+ECC). Nothing but the checksums and, on large
/// pages, `PGHDR2.pgno` changes.
///
/// # Panics
/// When `page` is not exactly `size` bytes.
pub fn reseal(page: &mut [u8], pgno: u32, size: PageSize) {
    assert_eq!(page.len(), size.len(), "page length");
    if size.is_large() {
        page[64..68].copy_from_slice(&pgno.to_le_bytes());
        let blk = size.len() / 4;
        for k in 1..4 {
            let sum = xe_checksum(&page[k * blk..(k + 1) * blk], pgno, false).0;
            page[40 + 8 * (k - 1)..48 + 8 * (k - 1)].copy_from_slice(&sum.to_le_bytes());
        }
        let sum = xe_checksum(&page[..blk], pgno, true).0;
        page[..8].copy_from_slice(&sum.to_le_bytes());
    } else if flags(page) & NEW_CHECKSUM_FORMAT != 0 {
        let sum = xe_checksum(page, pgno, true).0;
        page[..8].copy_from_slice(&sum.to_le_bytes());
    } else {
        // Legacy: XOR (bytes 0-3, over every word but the first) and the page
        // number (bytes 4-7, itself covered by the XOR).
        page[4..8].copy_from_slice(&pgno.to_le_bytes());
        let sum = legacy_xor(page);
        page[..4].copy_from_slice(&sum.to_le_bytes());
    }
}

/// Spec 5.6 `seal_page`: sets `NewChecksumFormat`, then writes the XOR+ECC
/// checksums (and `PGHDR2.pgno`, with `rgbReserved` zeroed, on large pages).
pub fn seal_new_format(page: &mut [u8], pgno: u32, size: PageSize) {
    let with_flag = flags(page) | NEW_CHECKSUM_FORMAT;
    page[36..40].copy_from_slice(&with_flag.to_le_bytes());
    if size.is_large() {
        page[68..80].fill(0);
    }
    reseal(page, pgno, size);
}

/// Tags a synthetic page carries (at most; a 2 KiB page holds fewer): enough
/// for a realistic tag-array walk.
pub const SYNTHETIC_TAGS: u16 = 200;

/// A leaf page of pseudo-random node bytes with a valid tag array of 16-byte
/// nodes (up to [`SYNTHETIC_TAGS`], half the page), sealed as `pgno` per spec 5.6.
/// Deterministic for a given `seed`.
pub fn synthetic_page(size: PageSize, pgno: u32, seed: u64) -> Vec<u8> {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut page: Vec<u8> = (0..size.len())
        .map(|_| {
            // xorshift64*: good enough to fill a page, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect();
    let count = ((size.len() - size.header_len()) / 40).min(usize::from(SYNTHETIC_TAGS)) as u16;
    let used = count * 16;
    let free = size.len() - size.header_len() - usize::from(used) - 4 * usize::from(count);
    page[8..28].fill(0); // dbtime, prev, next, objidFDP: plausible, not random
    page[28..30].copy_from_slice(&(free as u16).to_le_bytes()); // cbFree
    page[30..32].fill(0); // cbUncommittedFree
    page[32..34].copy_from_slice(&used.to_le_bytes()); // ibMicFree
    page[34..36].copy_from_slice(&count.to_le_bytes()); // itagMicFree, ctagReserved 0
    page[36..40].copy_from_slice(&0x2802u32.to_le_bytes()); // Leaf | NewRecordFormat
    for i in 0..count {
        let entry = size.len() - 4 * (usize::from(i) + 1);
        page[entry..entry + 2].copy_from_slice(&16u16.to_le_bytes()); // cb
        page[entry + 2..entry + 4].copy_from_slice(&(i * 16).to_le_bytes()); // ib, no flags
    }
    seal_new_format(&mut page, pgno, size);
    page
}
