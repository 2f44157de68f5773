//! The node operations of single-page log records (spec 6.5) applied to an
//! editable page ([`PageImage`]): insert, flag-insert, flag-delete,
//! delete, replace, ReplaceD diffs, deltas, the external header, and a
//! fresh page for NewPage. Pure: record bytes and a page image in, the
//! changed image out, or why the record does not fit the page.

use crate::format::page::PageFlags;
use crate::format::tag::NodeFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u16, le_u32, le_u64};
use crate::format::{DbTime, ObjectId, PageNumber, PageSize};
use crate::writer::page::{NodeImage, PageImage};

/// Record flag `fLRVersioned`: the operation created a version (undoable).
const VERSIONED: u8 = 0x01;

/// What an operation found wrong with the page or record.
pub type OpError = String;

fn bytes_at(b: &[u8], start: usize, len: usize) -> Result<&[u8], OpError> {
    b.get(start..start + len).ok_or_else(|| format!("record too short for {len} bytes at offset {start}"))
}

fn field16(b: &[u8], at: usize) -> Result<usize, OpError> {
    le_u16(b, at).map(usize::from).ok_or_else(|| format!("record too short for the field at offset {at}"))
}

fn line_mut(page: &mut PageImage, iline: u16) -> Result<&mut NodeImage, OpError> {
    let count = page.nodes.len();
    page.nodes
        .get_mut(usize::from(iline))
        .ok_or_else(|| format!("line {iline} is not on the page (it has {count} lines)"))
}

fn set(node: &mut NodeImage, flag: NodeFlags, on: bool) {
    if on {
        node.flags = NodeFlags(node.flags.0 | flag.0);
    } else {
        node.flags = NodeFlags(node.flags.0 & !flag.0);
    }
}

/// An Insert record's whole key (the prefix bytes, then the suffix), the
/// length of its prefix, and its data (spec 4.5.3).
///
/// # Errors
/// The record is too short for its fields or the bytes they announce.
pub fn insert_parts(b: &[u8]) -> Result<(&[u8], usize, &[u8]), OpError> {
    let (suffix, prefix, data) = (field16(b, 44)?, field16(b, 46)?, field16(b, 48)?);
    Ok((bytes_at(b, 50, prefix + suffix)?, prefix, bytes_at(b, 50 + prefix + suffix, data)?))
}

/// A Replace or ReplaceD record's payload (the new data, or the diff) and
/// whether its diff uses DIFFHDR2 (bit 15 of `cb`, spec 4.5.3).
///
/// # Errors
/// The record is too short for `cb` or the bytes it announces.
pub fn replace_payload(b: &[u8]) -> Result<(&[u8], bool), OpError> {
    let raw = field16(b, 44)?;
    Ok((bytes_at(b, 50, raw & 0x7FFF)?, raw & 0x8000 != 0))
}

/// Applies the ReplaceD diff `diff` (spec 6.5.1) to `old`.
///
/// # Errors
/// A diff that runs past its own bytes or the old data, or offsets going backwards.
pub fn apply_diff(old: &[u8], diff: &[u8], header2: bool) -> Result<Vec<u8>, OpError> {
    let mut out = Vec::with_capacity(old.len());
    let (mut cursor, mut at) = (0usize, 0usize);
    let short = || "ReplaceD diff runs past its end".to_string();
    while at < diff.len() {
        let (offset, flags) = if header2 {
            let offset = usize::from(le_u16(diff, at).ok_or_else(short)?);
            let flags = *diff.get(at + 2).ok_or_else(short)?;
            at += 3;
            (offset, flags)
        } else {
            let h = le_u16(diff, at).ok_or_else(short)?;
            at += 2;
            (usize::from(h & 0x1FFF), (h >> 8) as u8 & 0xE0)
        };
        let (same, insert, wide) = (flags & 0x20 != 0, flags & 0x40 != 0, flags & 0x80 != 0);
        let mut length = || -> Result<usize, OpError> {
            let v = if wide {
                usize::from(le_u16(diff, at).ok_or_else(short)?)
            } else {
                usize::from(*diff.get(at).ok_or_else(short)?)
            };
            at += if wide { 2 } else { 1 };
            Ok(v)
        };
        let new_len = length()?;
        let old_len = if insert {
            0
        } else if same {
            new_len
        } else {
            length()?
        };
        if offset < cursor {
            return Err(format!("ReplaceD diff offset {offset} goes back before {cursor}"));
        }
        out.extend_from_slice(
            old.get(cursor..offset).ok_or_else(|| {
                format!("ReplaceD offset {offset} is past the old data ({} bytes)", old.len())
            })?,
        );
        out.extend_from_slice(bytes_at(diff, at, new_len)?);
        at += new_len;
        cursor = offset + old_len;
        if cursor > old.len() {
            return Err(format!(
                "ReplaceD edit at {offset} replaces {old_len} bytes past the old data ({} bytes)",
                old.len()
            ));
        }
    }
    out.extend_from_slice(old.get(cursor..).unwrap_or_default());
    Ok(out)
}

/// Applies the single-page record `record` to `page` (its dbtime is set by
/// the caller). Returns the node data the operation replaced, for undo.
///
/// # Errors
/// A line that is not on the page, a ReplaceD whose old data has the wrong
/// length, a record too short for its fields, or a type this module does not apply.
pub fn apply(page: &mut PageImage, record: &Record) -> Result<Option<Vec<u8>>, OpError> {
    let b = &record.bytes;
    let iline = le_u16(b, 29).ok_or("record too short for iline")?;
    let versioned = b.get(31).is_some_and(|f| f & VERSIONED != 0);
    match record.record_type.0 {
        // Insert: prefix, suffix, data at 50
        29 => {
            let (key, prefix, data) = insert_parts(b)?;
            let mut node = NodeImage {
                key: key.to_vec(),
                prefix_len: prefix,
                data: data.to_vec(),
                flags: NodeFlags::default(),
            };
            set(&mut node, NodeFlags::VERSION, versioned);
            let at = usize::from(iline);
            if at > page.nodes.len() {
                return Err(format!("line {iline} is past the end of the page ({} lines)", page.nodes.len()));
            }
            page.nodes.insert(at, node);
            Ok(None)
        }
        // FlagInsert: the node is there, flagged deleted
        30 => {
            let node = line_mut(page, iline)?;
            set(node, NodeFlags::DELETED, false);
            set(node, NodeFlags::VERSION, versioned);
            Ok(None)
        }
        // FlagInsertAndReplaceData: key, data at 52
        31 => {
            let (key, data) = (field16(b, 44)?, field16(b, 46)?);
            let data = bytes_at(b, 52 + key, data)?.to_vec();
            let node = line_mut(page, iline)?;
            set(node, NodeFlags::DELETED, false);
            set(node, NodeFlags::VERSION, versioned);
            Ok(Some(std::mem::replace(&mut node.data, data)))
        }
        32 => {
            let node = line_mut(page, iline)?;
            set(node, NodeFlags::DELETED, true);
            set(node, NodeFlags::VERSION, versioned);
            Ok(None)
        }
        33 | 34 => {
            let (payload, header2) = replace_payload(b)?;
            let (old_len, new_len) = (field16(b, 46)?, field16(b, 48)?);
            let node = line_mut(page, iline)?;
            let new = if record.record_type.0 == 33 {
                payload.to_vec()
            } else {
                if node.data.len() != old_len {
                    return Err(format!(
                        "ReplaceD expects {old_len} bytes of old data, line {iline} has {} (-1852 JET_errLogCorrupted)",
                        node.data.len()
                    ));
                }
                apply_diff(&node.data, payload, header2)?
            };
            if new.len() != new_len {
                return Err(format!(
                    "the new data is {} bytes, the record says {new_len} (-1852 JET_errLogCorrupted)",
                    new.len()
                ));
            }
            set(node, NodeFlags::VERSION, versioned);
            Ok(Some(std::mem::replace(&mut node.data, new)))
        }
        35 => {
            if usize::from(iline) >= page.nodes.len() {
                return Err(format!("line {iline} is not on the page (it has {} lines)", page.nodes.len()));
            }
            let node = page.nodes.remove(usize::from(iline));
            Ok(Some(node.data))
        }
        // Delta (i32 at 48, offset at 52) / Delta64 (i64 at 48, offset at 56)
        37 | 93 => {
            let wide = record.record_type.0 == 93;
            let offset = field16(b, if wide { 56 } else { 52 })?;
            let node = line_mut(page, iline)?;
            let width = if wide { 8 } else { 4 };
            let slot = node
                .data
                .get_mut(offset..offset + width)
                .ok_or_else(|| format!("delta offset {offset} is past the node's {} data bytes", width))?;
            if wide {
                let delta = le_u64(b, 48).ok_or("record too short for the delta")? as i64;
                let old = i64::from_le_bytes(slot.try_into().map_err(|_| "delta slot")?);
                slot.copy_from_slice(&old.wrapping_add(delta).to_le_bytes());
            } else {
                let delta = le_u32(b, 48).ok_or("record too short for the delta")? as i32;
                let old = i32::from_le_bytes(slot.try_into().map_err(|_| "delta slot")?);
                slot.copy_from_slice(&old.wrapping_add(delta).to_le_bytes());
            }
            set(node, NodeFlags::VERSION, versioned);
            Ok(None)
        }
        38 => {
            let cb = field16(b, 44)?;
            page.external_header = bytes_at(b, 46, cb)?.to_vec();
            Ok(None)
        }
        t => Err(format!("record type {t} is not a single-page node operation")),
    }
}

/// The fresh, empty page a NewPage record formats (spec 6.5): the tree's
/// objid, no nodes, the record's dbtime; the split that follows fills it.
pub fn new_page(record: &Record, size: PageSize) -> PageImage {
    let b = &record.bytes;
    let pgno = PageNumber(le_u32(b, 4).unwrap_or(0));
    let mut page = PageImage::new(pgno, size, ObjectId(le_u32(b, 8).unwrap_or(0)), PageFlags(0));
    page.dbtime = DbTime(le_u64(b, 12).unwrap_or(0));
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_record_gives_its_key_and_data() {
        let mut b = vec![0u8; 50];
        b[44..46].copy_from_slice(&2u16.to_le_bytes());
        b[46..48].copy_from_slice(&1u16.to_le_bytes());
        b[48..50].copy_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&[0x7f, 0x80, 0x01, 9, 8, 7]);
        let (key, prefix, data) = insert_parts(&b).unwrap();
        assert_eq!(key, [0x7f, 0x80, 0x01]);
        assert_eq!(prefix, 1);
        assert_eq!(data, &[9, 8, 7]);
        assert!(insert_parts(&b[..54]).is_err());
    }
    use crate::format::txlog::record::RecordType;
    use crate::format::Lgpos;

    fn record(t: u8, fixed: usize, fields: &[(usize, &[u8])], payload: &[u8]) -> Record {
        let mut b = vec![0u8; fixed];
        b[0] = t;
        for (at, v) in fields {
            b[*at..*at + v.len()].copy_from_slice(v);
        }
        b.extend_from_slice(payload);
        Record {
            lgpos: Lgpos::default(),
            file_offset: 0,
            record_type: RecordType(t),
            bytes: b.into(),
            fragmented: false,
        }
    }

    fn page() -> PageImage {
        let mut p = PageImage::new(PageNumber(9), PageSize::K4, ObjectId(5), PageFlags::LEAF);
        p.nodes = vec![
            NodeImage::new(b"a".to_vec(), b"one".to_vec()),
            NodeImage::new(b"c".to_vec(), b"three".to_vec()),
        ];
        p
    }

    #[test]
    fn insert_replace_delete() {
        let mut p = page();
        // Insert "b" -> "two" at line 1, versioned
        let ins = record(
            29,
            50,
            &[(29, &1u16.to_le_bytes()), (31, &[1]), (44, &1u16.to_le_bytes()), (48, &3u16.to_le_bytes())],
            b"btwo",
        );
        apply(&mut p, &ins).unwrap();
        assert_eq!(p.nodes[1].key, b"b");
        assert_eq!(p.nodes[1].data, b"two");
        assert!(p.nodes[1].flags.contains(NodeFlags::VERSION));
        let rep = record(
            33,
            50,
            &[
                (29, &2u16.to_le_bytes()),
                (44, &4u16.to_le_bytes()),
                (46, &5u16.to_le_bytes()),
                (48, &4u16.to_le_bytes()),
            ],
            b"drei",
        );
        assert_eq!(apply(&mut p, &rep).unwrap(), Some(b"three".to_vec()));
        assert_eq!(p.nodes[2].data, b"drei");
        let fdel = record(32, 44, &[(29, &0u16.to_le_bytes())], b"");
        apply(&mut p, &fdel).unwrap();
        assert!(p.nodes[0].flags.contains(NodeFlags::DELETED));
        let del = record(35, 44, &[(29, &0u16.to_le_bytes())], b"");
        apply(&mut p, &del).unwrap();
        assert_eq!(p.nodes.len(), 2);
        let bad = record(35, 44, &[(29, &7u16.to_le_bytes())], b"");
        assert!(apply(&mut p, &bad).unwrap_err().contains("line 7"));
        // the page still builds and decodes
        let bytes = p.build().unwrap();
        let parsed = crate::format::page::Page::parse(&bytes, PageNumber(9), PageSize::K4).unwrap();
        assert_eq!(PageImage::from_page(&parsed).unwrap().nodes, p.nodes);
    }

    #[test]
    fn replace_d_diffs_both_header_kinds() {
        let old = b"hello world";
        // DIFFHDR: offset 6, replace 5 bytes by "there" (same length, 0x2000)
        let mut diff = (6u16 | 0x2000).to_le_bytes().to_vec();
        diff.push(5);
        diff.extend_from_slice(b"there");
        assert_eq!(apply_diff(old, &diff, false).unwrap(), b"hello there");
        // DIFFHDR2: insert "big " at 6 (0x40), then delete 1 byte at 10 (new 0, old 1)
        let mut diff2 = 6u16.to_le_bytes().to_vec();
        diff2.extend_from_slice(&[0x40, 4]);
        diff2.extend_from_slice(b"big ");
        diff2.extend_from_slice(&7u16.to_le_bytes());
        diff2.extend_from_slice(&[0x00, 0, 1]);
        assert_eq!(apply_diff(old, &diff2, true).unwrap(), b"hello big wrld");
        assert!(apply_diff(old, &[0x20, 0x00, 9], false).is_err());
    }

    #[test]
    fn delta_adds_at_the_offset() {
        let mut p = page();
        p.nodes[0].data = 41i32.to_le_bytes().to_vec();
        let d = record(
            37,
            54,
            &[(29, &0u16.to_le_bytes()), (48, &1i32.to_le_bytes()), (52, &0u16.to_le_bytes())],
            b"",
        );
        apply(&mut p, &d).unwrap();
        assert_eq!(p.nodes[0].data, 42i32.to_le_bytes());
    }
}
