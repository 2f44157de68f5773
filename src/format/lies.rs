//! Header fields that contradict the page they are in: lies that a valid
//! checksum does not catch (a page re-sealed after being changed, or
//! written wrong). Each is described in one line for `page` and
//! `verify --trees`.

use super::page::{Page, PageFlags};
use super::PageSize;

/// The largest page number a database can have: 16 TiB of pages
/// (`pgnoSysMax` in the engine, spec 2).
pub fn max_pgno(size: PageSize) -> u64 {
    (1u64 << 44) / size.len() as u64
}

/// What is wrong with the header of `page`, one line each; empty for an
/// all-zero page (never written).
pub fn header_lies(page: &Page<'_>) -> Vec<String> {
    let mut lies = Vec::new();
    if page.is_zeroed() {
        return lies;
    }
    let h = &page.header;
    if let Some(stored) = h.pgno {
        if stored != page.pgno {
            lies.push(format!(
                "the page-number field (PGHDR2.pgno, offset 64) says page {stored}, but this is page {}",
                page.pgno
            ));
        }
    }
    if h.flags.contains(PageFlags::EMPTY) {
        return lies;
    }
    let area = page.size.len() - page.size.header_len();
    let tags = 4 * usize::from(h.tag_count);
    if tags > area {
        lies.push(format!(
            "itagMicFree {}: its tag array needs {tags} bytes, the page has {area} after its header",
            h.tag_count
        ));
        return lies;
    }
    let room = area - tags;
    if usize::from(h.ib_mic_free) > room {
        lies.push(format!(
            "ibMicFree {} is past the data area ({room} bytes between the header and the tag array)",
            h.ib_mic_free
        ));
    }
    if usize::from(h.cb_free) > room {
        lies.push(format!("cbFree {} is more than the data area has ({room} bytes)", h.cb_free));
    }
    if h.cb_uncommitted_free > h.cb_free {
        lies.push(format!("cbUncommittedFree {} is more than cbFree {}", h.cb_uncommitted_free, h.cb_free));
    }
    lies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::PageNumber;

    fn page_with(size: PageSize, edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
        let mut bytes = vec![0u8; size.len()];
        bytes[36..40].copy_from_slice(&PageFlags::LEAF.0.to_le_bytes());
        bytes[34..36].copy_from_slice(&2u16.to_le_bytes());
        bytes[32..34].copy_from_slice(&100u16.to_le_bytes());
        bytes[28..30].copy_from_slice(&1000u16.to_le_bytes());
        if size.is_large() {
            bytes[64..68].copy_from_slice(&7u32.to_le_bytes());
        }
        edit(&mut bytes);
        bytes
    }

    fn lies(size: PageSize, bytes: &[u8]) -> Vec<String> {
        header_lies(&Page::parse(bytes, PageNumber(7), size).unwrap())
    }

    #[test]
    fn consistent_header_has_no_lies_and_each_field_is_caught() {
        for size in [PageSize::K8, PageSize::K32] {
            assert!(lies(size, &page_with(size, |_| {})).is_empty());
            let free = lies(size, &page_with(size, |b| b[28..30].copy_from_slice(&0xffffu16.to_le_bytes())));
            assert!(free[0].starts_with("cbFree 65535"), "{free:?}");
            let mic = lies(size, &page_with(size, |b| b[32..34].copy_from_slice(&0xfff0u16.to_le_bytes())));
            assert!(mic[0].starts_with("ibMicFree 65520"), "{mic:?}");
            let tags = lies(size, &page_with(size, |b| b[34..36].copy_from_slice(&0x0fffu16.to_le_bytes())));
            assert_eq!(tags.len(), usize::from(size == PageSize::K8), "{tags:?}");
        }
        let other = lies(
            PageSize::K32,
            &page_with(PageSize::K32, |b| b[64..68].copy_from_slice(&9u32.to_le_bytes())),
        );
        assert_eq!(other, ["the page-number field (PGHDR2.pgno, offset 64) says page 9, but this is page 7"]);
        assert!(lies(PageSize::K8, &vec![0u8; 8192]).is_empty());
    }
}
