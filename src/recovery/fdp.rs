//! Redo of the FDP and space records (spec 4.5.4): a new tree's root page
//! for CreateSingleExtentFDP (25), the root and its owned- and
//! available-extent (OE/AE) roots for CreateMultipleExtentFDP (24), and
//! ConvertFDP2 (58), which turns a single-extent tree into a
//! multiple-extent one. Pure: record bytes (and the root as it is) in, page
//! images out.
//!
//! Facts from the engine's redo (`logredo.cxx`: `ErrLGIRedoFDPPage`,
//! `ErrLGRIRedoSpaceRootPage`, `ErrLGRIRedoConvertFDP`) and its space code
//! (`space.cxx`: `ErrSPICreateSingle`, `SPICreateExtentTree`,
//! `SPIConvertCalcExtents`, `SPIConvertUpdateOE/AE/FDP`; `node.cxx`:
//! `ErrNDISetExternalHeader` for the extended tag-0 form).

use crate::format::page::PageFlags;
use crate::format::txlog::record::Record;
use crate::format::types::{le_u32, le_u64};
use crate::format::{DbTime, ObjectId, PageNumber, PageSize};
use crate::writer::page::{NodeImage, PageImage};

/// `SPACE_HEADER` flag byte: the tree has OE/AE trees.
const MULTIPLE_EXTENT: u8 = 0x01;
/// `SPACE_HEADER` flag byte: the tree allows duplicate keys.
const NON_UNIQUE: u8 = 0x02;
/// Page records' flag `fLRPageUnique` (offset 31).
const RECORD_UNIQUE: u8 = 0x04;
/// `cpgSmallSpaceAvailMost`: a single-extent tree's bitmap covers 32 pages after its root.
const SMALL_SPACE_AVAIL_MOST: u32 = 32;
/// Presence bit of the space header in the extended tag-0 form.
const FIELD_SPACE_HEADER: u8 = 0x01;

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    le_u32(b, at).ok_or_else(|| format!("record too short for the field at offset {at}"))
}

/// The 16-byte `SPACE_HEADER`: cpgPrimary, pgnoParent, flags, and
/// `rgbitAvail` (single extent) or `pgnoOE` (multiple extents).
pub fn space_header(cpg_primary: u32, parent: u32, flags: u8, avail_or_oe: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(16);
    h.extend_from_slice(&cpg_primary.to_le_bytes());
    h.extend_from_slice(&parent.to_le_bytes());
    h.extend_from_slice(&u32::from(flags).to_le_bytes());
    h.extend_from_slice(&avail_or_oe.to_le_bytes());
    h
}

/// The bitmap of a new single-extent tree: every page of the primary
/// extent after the root is free (all bits when it is larger than the map).
pub fn initial_avail(cpg_primary: u32) -> u32 {
    if cpg_primary > SMALL_SPACE_AVAIL_MOST {
        u32::MAX
    } else {
        (1u32 << cpg_primary.saturating_sub(1)).wrapping_sub(1)
    }
}

fn unique_flag(record: &Record) -> u8 {
    if record.bytes.get(31).copied().unwrap_or(0) & RECORD_UNIQUE != 0 {
        0
    } else {
        NON_UNIQUE
    }
}

/// A page made anew by redo. The engine's new pages carry the
/// new-record-format flag whatever the record's page flags say.
fn fresh(pgno: u32, size: PageSize, objid: u32, flags: u32, dbtime: u64) -> PageImage {
    let flags = flags | PageFlags::NEW_RECORD_FORMAT.0;
    let mut page = PageImage::new(PageNumber(pgno), size, ObjectId(objid), PageFlags(flags));
    page.dbtime = DbTime(dbtime);
    page
}

fn extent_node(last: u32, count: u32) -> NodeImage {
    NodeImage::new(last.to_be_bytes().to_vec(), count.to_le_bytes().to_vec())
}

/// The root page CreateSingleExtentFDP makes: an empty root leaf whose
/// tag 0 is a single-extent space header with every page free.
///
/// # Errors
/// The record is too short.
pub fn create_single(record: &Record, size: PageSize) -> Result<PageImage, String> {
    let b = &record.bytes;
    let (pgno, dbtime) = (u32_at(b, 4)?, le_u64(b, 8).unwrap_or(0));
    let (objid, parent, cpg, flags) = (u32_at(b, 32)?, u32_at(b, 36)?, u32_at(b, 40)?, u32_at(b, 44)?);
    if cpg == 0 {
        return Err("cpgPrimary is 0".into());
    }
    let root = PageFlags::ROOT.0 | PageFlags::LEAF.0;
    let mut page = fresh(pgno, size, objid, flags | root, dbtime);
    page.external_header = space_header(cpg, parent, unique_flag(record), initial_avail(cpg));
    Ok(page)
}

/// The pages CreateMultipleExtentFDP makes: the root (a multiple-extent
/// space header pointing at its OE root), the OE root listing the primary
/// extent, and the AE root listing what is left of it after the root and
/// the two space-tree roots.
///
/// # Errors
/// The record is too short, or its OE/AE pages are not the two after the root.
pub fn create_multiple(record: &Record, size: PageSize) -> Result<Vec<PageImage>, String> {
    let b = &record.bytes;
    let (pgno, dbtime) = (u32_at(b, 4)?, le_u64(b, 8).unwrap_or(0));
    let (objid, oe, ae) = (u32_at(b, 32)?, u32_at(b, 36)?, u32_at(b, 40)?);
    let (parent, cpg, flags) = (u32_at(b, 44)?, u32_at(b, 48)?, u32_at(b, 52)?);
    if oe != pgno.wrapping_add(1) || ae != oe.wrapping_add(1) || cpg < 3 {
        return Err(format!("OE {oe} and AE {ae} are not the pages after root {pgno} in {cpg} pages"));
    }
    let last = pgno
        .checked_add(cpg - 1)
        .ok_or_else(|| format!("{cpg} pages from page {pgno} run past the last page number"))?;
    let root_flags = PageFlags::ROOT.0 | PageFlags::LEAF.0;
    let mut root = fresh(pgno, size, objid, flags | root_flags, dbtime);
    root.external_header = space_header(cpg, parent, MULTIPLE_EXTENT | unique_flag(record), oe);
    let tree_flags = flags | root_flags | PageFlags::SPACE_TREE.0;
    let mut owned = fresh(oe, size, objid, tree_flags, dbtime);
    owned.external_header = vec![0; 16];
    owned.nodes.push(extent_node(last, cpg));
    let mut avail = fresh(ae, size, objid, tree_flags, dbtime);
    avail.external_header = vec![0; 16];
    if cpg > 3 {
        avail.nodes.push(extent_node(last, cpg - 3));
    }
    Ok(vec![root, owned, avail])
}

/// The free extents of a single-extent tree's bitmap, highest first
/// (`SPIConvertCalcExtents`): pages past the bitmap form one extent, then
/// each run of set bits one more.
pub fn bitmap_extents(pgno_fdp: u32, cpg_primary: u32, avail: u32) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new(); // (last, count), highest first
    if cpg_primary.saturating_sub(1) > SMALL_SPACE_AVAIL_MOST {
        runs.push((pgno_fdp.wrapping_add(cpg_primary - 1), cpg_primary - SMALL_SPACE_AVAIL_MOST - 1));
    }
    for bit in (0..SMALL_SPACE_AVAIL_MOST).rev() {
        if avail & (1 << bit) == 0 {
            continue;
        }
        let pgno = pgno_fdp.wrapping_add(1 + bit);
        match runs.last_mut() {
            Some((last, count)) if last.wrapping_sub(*count) == pgno => *count += 1,
            _ => runs.push((pgno, 1)),
        }
    }
    runs
}

/// What ConvertFDP2 does to a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convert {
    /// The tree's root.
    pub pgno_fdp: u32,
    /// Its objid.
    pub objid: u32,
    /// OE root (also the secondary extent's first page); AE is the next.
    pub pgno_oe: u32,
    /// AE root.
    pub pgno_ae: u32,
    /// The tree's parent FDP.
    pub parent: u32,
    /// First page of the secondary extent.
    pub secondary_first: u32,
    /// Size of the primary extent.
    pub cpg_primary: u32,
    /// Size of the secondary extent.
    pub cpg_secondary: u32,
    /// The single-extent bitmap before the conversion.
    pub avail: u32,
    /// Page flags of the OE/AE roots (before root, leaf, space tree).
    pub page_flags: u32,
    /// Space-header flag byte (non-unique or not).
    pub unique: u8,
    /// dbtimeAfter.
    pub dbtime: u64,
}

impl Convert {
    /// Decodes a ConvertFDP2 record.
    ///
    /// # Errors
    /// The record is too short or its OE/AE pages do not start the secondary extent.
    pub fn parse(record: &Record) -> Result<Self, String> {
        let b = &record.bytes;
        let c = Self {
            pgno_fdp: u32_at(b, 4)?,
            dbtime: le_u64(b, 8).unwrap_or(0),
            objid: u32_at(b, 32)?,
            pgno_oe: u32_at(b, 36)?,
            pgno_ae: u32_at(b, 40)?,
            parent: u32_at(b, 44)?,
            secondary_first: u32_at(b, 48)?,
            cpg_primary: u32_at(b, 52)?,
            cpg_secondary: u32_at(b, 56)?,
            avail: u32_at(b, 60)?,
            page_flags: u32_at(b, 64)?,
            unique: unique_flag(record),
        };
        if c.pgno_oe != c.secondary_first || c.pgno_ae != c.pgno_oe.wrapping_add(1) || c.cpg_secondary < 2 {
            return Err(format!(
                "OE {} and AE {} are not the first two pages of the secondary extent ({} pages from {})",
                c.pgno_oe, c.pgno_ae, c.cpg_secondary, c.secondary_first
            ));
        }
        if c.cpg_primary == 0 {
            return Err("cpgPrimary is 0".into());
        }
        if c.pgno_fdp.checked_add(c.cpg_primary).is_none()
            || c.secondary_first.checked_add(c.cpg_secondary).is_none()
        {
            return Err("an extent runs past the last page number".into());
        }
        Ok(c)
    }

    /// The root's new space header (multiple extents, OE root).
    pub fn header(&self) -> Vec<u8> {
        space_header(self.cpg_primary, self.parent, MULTIPLE_EXTENT | self.unique, self.pgno_oe)
    }

    fn tree_page(&self, pgno: u32, size: PageSize, nodes: Vec<NodeImage>) -> PageImage {
        let flags = self.page_flags | PageFlags::ROOT.0 | PageFlags::LEAF.0 | PageFlags::SPACE_TREE.0;
        let mut page = fresh(pgno, size, self.objid, flags, self.dbtime);
        page.external_header = vec![0; 16];
        page.nodes = nodes;
        page
    }

    /// The new OE root: the secondary and the primary extent, in key order.
    pub fn owned_page(&self, size: PageSize) -> PageImage {
        let secondary = extent_node(self.secondary_first + self.cpg_secondary - 1, self.cpg_secondary);
        let primary = extent_node(self.pgno_fdp + self.cpg_primary - 1, self.cpg_primary);
        let mut nodes = vec![secondary, primary];
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        self.tree_page(self.pgno_oe, size, nodes)
    }

    /// The new AE root: the secondary extent less its two space-tree roots,
    /// and the free runs of the old bitmap, in key order.
    pub fn avail_page(&self, size: PageSize) -> PageImage {
        let mut nodes = Vec::new();
        let rest = self.cpg_secondary - 2;
        if rest != 0 {
            nodes.push(extent_node(self.secondary_first + self.cpg_secondary - 1, rest));
        }
        for (last, count) in bitmap_extents(self.pgno_fdp, self.cpg_primary, self.avail) {
            nodes.push(extent_node(last, count));
        }
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        self.tree_page(self.pgno_ae, size, nodes)
    }
}

/// Tag 0 of a root with its space header replaced by `header`: the whole
/// tag when it is empty or a plain 16-byte header, else the space-header
/// field of the extended form (a presence byte, then the fields in order,
/// the space header first).
pub fn with_space_header(tag0: &[u8], header: &[u8]) -> Vec<u8> {
    if tag0.is_empty() || tag0.len() == 16 {
        return header.to_vec();
    }
    let present = tag0.first().copied().unwrap_or(0);
    let mut out = vec![present | FIELD_SPACE_HEADER];
    out.extend_from_slice(header);
    let skip = if present & FIELD_SPACE_HEADER != 0 { 1 + 16 } else { 1 };
    out.extend_from_slice(tag0.get(skip..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_bitmap_marks_every_page_after_the_root() {
        assert_eq!(initial_avail(1), 0);
        assert_eq!(initial_avail(10), 0x1ff);
        assert_eq!(initial_avail(33), u32::MAX);
        assert_eq!(initial_avail(40), u32::MAX);
    }

    #[test]
    fn bitmap_runs_are_listed_highest_first() {
        // root 40, 10 pages; pages 42, 43 and 46 free
        let avail = (1 << 1) | (1 << 2) | (1 << 5);
        assert_eq!(bitmap_extents(40, 10, avail), vec![(46, 1), (43, 2)]);
        // 40 pages: 41..=72 in the map, 73..=79 after it
        assert_eq!(bitmap_extents(40, 40, 1 << 31), vec![(79, 8)]);
    }

    #[test]
    fn extended_tag0_keeps_its_other_fields() {
        let header = [7u8; 16];
        assert_eq!(with_space_header(&[1u8; 16], &header), header.to_vec());
        let mut extended = vec![0x11];
        extended.extend_from_slice(&[0u8; 16]);
        extended.extend_from_slice(&[9u8; 8]);
        let out = with_space_header(&extended, &header);
        assert_eq!(out[0], 0x11);
        assert_eq!(&out[1..17], &header);
        assert_eq!(&out[17..], &[9u8; 8]);
    }
}
