//! A database rebuilt from the raw entries of its trees, for salvage: the
//! leaf nodes (key and data, as read from a damaged file) of the catalog,
//! of each table, its secondary indexes and its long-value tree go into
//! new trees laid out as [`super::database::write_database`] lays them out
//! (the fixed layout of spec 8.5, then each table in its own extent with
//! its children). Nothing is decoded or re-encoded: records, index entries
//! and long-value chunks keep their bytes. Only the catalog's root page
//! numbers change, through the caller's `patch`, once every tree has its
//! place.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::format::page::PageFlags;
use crate::format::{ObjectId, PageNumber};

use super::database::{
    assemble_into, extent_size, place_catalog, tree_spec, Fdp, PageSink, TreeLayout, WrittenDatabase,
    CATALOG_PAGES, SHADOW_PAGES,
};
use super::header::HeaderSpec;
use super::page::{LeafEntry, NodeImage};
use super::space::{Extent, FdpSpace};
use super::tree::{plan, TreeSpec};
use super::WriteError;

/// A leaf entry as read from a file: its key, and its data borrowed from
/// the mapped file where its page was read as it is (so a large table's
/// records are not copied while the rest is read), owned where the page
/// was read corrected or the data was changed. It becomes a node image
/// only when its page is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry<'d> {
    /// The full key.
    pub key: Vec<u8>,
    /// The data after the key.
    pub data: Cow<'d, [u8]>,
}

impl<'d> RawEntry<'d> {
    /// An entry of `key` and `data`.
    pub fn new(key: Vec<u8>, data: impl Into<Cow<'d, [u8]>>) -> Self {
        Self { key, data: data.into() }
    }
}

impl LeafEntry for RawEntry<'_> {
    fn key(&self) -> &[u8] {
        &self.key
    }

    fn data(&self) -> &[u8] {
        &self.data
    }

    fn stored_len(&self) -> usize {
        2 + self.key.len() + self.data.len()
    }

    fn into_node(self) -> NodeImage {
        NodeImage::new(self.key, self.data.into_owned())
    }
}

/// A node image as a raw entry: its key and data (the node's prefix
/// length and flags are not kept: a raw entry is written uncompressed and
/// without flags, as the writer builds every new node).
impl From<NodeImage> for RawEntry<'_> {
    fn from(node: NodeImage) -> Self {
        Self { key: node.key, data: Cow::Owned(node.data) }
    }
}

/// One tree's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTree<E = NodeImage> {
    /// What it is, for [`super::database::TreeLayout::name`].
    pub name: String,
    /// Its objid (kept from the damaged file).
    pub objid: ObjectId,
    /// Tree-type page flags: `Index`, `LongValue`, `NonUniqueKeys`.
    pub kind: PageFlags,
    /// Leaf entries sorted by key (by key then data when non-unique).
    pub entries: Vec<E>,
    /// Its pages had no `NewRecordFormat` flag (legacy record layout).
    pub legacy_records: bool,
}

/// A table's tree with its secondary indexes and long-value tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTable<E = NodeImage> {
    /// The table's own tree (its primary index).
    pub tree: RawTree<E>,
    /// Its secondary indexes and its long-value tree.
    pub children: Vec<RawTree<E>>,
}

/// What to write; `E` is how the tables' entries are held.
#[derive(Debug, Clone, PartialEq)]
pub struct RawDatabase<E = NodeImage> {
    /// Header fields; `dbtime_dirtied` is filled in by the writer.
    pub header: HeaderSpec,
    /// `MSysObjects` records in key order (also written as the shadow).
    pub catalog: Vec<NodeImage>,
    /// Entries of the catalog's `Name` index.
    pub name_index: Vec<NodeImage>,
    /// Entries of the catalog's `RootObjects` index.
    pub root_objects: Vec<NodeImage>,
    /// Every other tree, table by table.
    pub tables: Vec<RawTable<E>>,
    /// The catalog's pages had no `NewRecordFormat` flag.
    pub legacy_catalog: bool,
}

/// Where each tree went: objid → (pgnoFDP, pages of its primary extent).
pub type Placement = BTreeMap<u32, (u32, u32)>;

/// Writes `db`. Every user tree is placed first, then `patch` sees each
/// catalog record with the placement (to set the root page numbers it
/// names), then the catalog, its indexes and its shadow are written.
///
/// # Errors
/// An entry too large for a page, a page size under 4 KiB, more pages than
/// the layout gives.
pub fn write_raw(
    db: RawDatabase,
    patch: impl FnMut(&mut NodeImage, &Placement),
) -> Result<(WrittenDatabase, Placement), WriteError> {
    let size = db.header.page_size.len();
    let mut bytes = Vec::new();
    let (written, placement) = write_raw_into(db, patch, &mut |slot, page| {
        let at = usize::try_from(slot).unwrap_or(usize::MAX).saturating_mul(size);
        if bytes.len() < at + page.len() {
            bytes.resize(at + page.len(), 0);
        }
        bytes[at..at + page.len()].copy_from_slice(&page);
        Ok::<(), WriteError>(())
    })?;
    let file_len = (written.pages as usize + 2) * size;
    bytes.resize(file_len, 0);
    bytes[..size].copy_from_slice(&written.header);
    bytes[size..2 * size].copy_from_slice(&written.header);
    Ok((WrittenDatabase { bytes, trees: written.trees }, placement))
}

/// What [`write_raw_into`] wrote.
#[derive(Debug)]
pub struct RawWritten {
    /// The header page (for both header slots).
    pub header: Vec<u8>,
    /// Pages after the header: the file is `pages + 2` pages long.
    pub pages: u32,
    /// The trees written.
    pub trees: Vec<TreeLayout>,
}

/// [`write_raw`], each page handed to `sink` as it is built, as
/// [`super::database::PageSink`] says: what a large database needs (no
/// image of the whole file is held). The caller writes the header page to
/// both header slots and makes the file `pages + 2` pages long.
///
/// # Errors
/// As [`write_raw`], or what `sink` returns.
pub fn write_raw_into<N: LeafEntry + From<NodeImage>, E: From<WriteError>>(
    db: RawDatabase<N>,
    mut patch: impl FnMut(&mut NodeImage, &Placement),
    sink: PageSink<'_, E>,
) -> Result<(RawWritten, Placement), E> {
    let size = db.header.page_size;
    if size.len() < 4096 {
        return Err(WriteError::UnsupportedPageSize { bytes: size.bytes() }.into());
    }
    let mut root = FdpSpace::growable(ObjectId(1), Extent { first: 1, count: 3 }, PageNumber::NULL);
    let mut catalog = FdpSpace::new(ObjectId(2), root.take_extent(CATALOG_PAGES)?, PageNumber(1), true);
    let shadow = FdpSpace::new(ObjectId(3), root.take_extent(SHADOW_PAGES)?, PageNumber(1), true);
    let mut by_name = FdpSpace::new(ObjectId(4), catalog.take_extent(3)?, PageNumber(4), true);
    let mut root_objects = FdpSpace::new(ObjectId(5), catalog.take_extent(3)?, PageNumber(4), true);
    by_name.tree_kind = PageFlags::INDEX;
    root_objects.tree_kind = PageFlags::INDEX;
    let mut placement = Placement::new();
    for (objid, space, cpg) in
        [(2, &catalog, CATALOG_PAGES), (3, &shadow, SHADOW_PAGES), (4, &by_name, 3), (5, &root_objects, 3)]
    {
        placement.insert(objid, (space.pgno_fdp.0, cpg));
    }
    let mut objid_last = 5;
    let mut user = Vec::new();
    for table in db.tables {
        objid_last = objid_last.max(table.tree.objid.0);
        objid_last = table.children.iter().map(|c| c.objid.0).fold(objid_last, u32::max);
        user.extend(place_raw_table(table, &mut root, &mut placement, size)?);
    }
    let mut records = db.catalog;
    for record in &mut records {
        patch(record, &placement);
    }
    let system = [
        ("MSysObjects", catalog, PageFlags(0), records.clone()),
        ("MSysObjects/Name", by_name, PageFlags::INDEX, db.name_index),
        ("MSysObjects/RootObjects", root_objects, PageFlags::INDEX, db.root_objects),
        ("MSysObjectsShadow", shadow, PageFlags(0), records),
    ];
    let mut fdps = Vec::with_capacity(system.len() + user.len());
    for (name, space, kind, entries) in system {
        let entries: Vec<N> = entries.into_iter().map(N::from).collect();
        let spec =
            TreeSpec { legacy_records: db.legacy_catalog, ..tree_spec(space.objid.0, kind, entries, 80) };
        let plan = plan(spec, size)?;
        fdps.push(Fdp { name: name.into(), pages: vec![space.pgno_fdp], space, plan });
    }
    place_catalog(&mut fdps, &mut root)?;
    fdps.extend(user);
    let last = root.owned.first().map_or(1, |e| e.last());
    root.set_primary_count(last);
    let mut header = db.header;
    header.objid_last = header.objid_last.max(objid_last);
    let (header, trees) = assemble_into(fdps, &root, last, header, sink)?;
    Ok((RawWritten { header, pages: last, trees }, placement))
}

/// Places one table and its children in one extent taken from the database
/// root, as [`super::database`] places a table it encodes itself.
fn place_raw_table<N: LeafEntry>(
    table: RawTable<N>,
    root: &mut FdpSpace,
    placement: &mut Placement,
    size: crate::format::PageSize,
) -> Result<Vec<Fdp<N>>, WriteError> {
    let RawTable { tree, children } = table;
    let spec = tree_spec(tree.objid.0, tree.kind, tree.entries, 80);
    let table_plan = plan(TreeSpec { legacy_records: tree.legacy_records, ..spec }, size)?;
    let mut planned = Vec::with_capacity(children.len());
    for child in children {
        let density = if child.kind.contains(PageFlags::LONG_VALUE) { 100 } else { 80 };
        let spec = tree_spec(child.objid.0, child.kind, child.entries, density);
        let child_plan = plan(TreeSpec { legacy_records: child.legacy_records, ..spec }, size)?;
        planned.push((child.name, child.objid, child.kind, child_plan));
    }
    let child_pages: u32 = planned.iter().map(|c| extent_size(c.3.page_count()).0).sum();
    let (cpg, multiple) = extent_size(table_plan.page_count() + child_pages as usize);
    let mut space = FdpSpace::new(tree.objid, root.take_extent(cpg)?, PageNumber(1), multiple);
    space.tree_kind = PageFlags(tree.kind.0 & (PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0));
    let fdp_pgno = space.pgno_fdp;
    placement.insert(tree.objid.0, (fdp_pgno.0, cpg));
    let mut pages = vec![fdp_pgno];
    pages.extend(space.take(table_plan.page_count() - 1)?);
    let mut child_fdps = Vec::with_capacity(planned.len());
    for (name, objid, kind, child_plan) in planned {
        let (child_cpg, child_multiple) = extent_size(child_plan.page_count());
        let extent = space.take_extent(child_cpg)?;
        let mut child = FdpSpace::new(objid, extent, fdp_pgno, child_multiple);
        child.non_unique = kind.contains(PageFlags::NON_UNIQUE_KEYS);
        child.tree_kind = PageFlags(kind.0 & (PageFlags::INDEX.0 | PageFlags::LONG_VALUE.0));
        let mut child_pages = vec![child.pgno_fdp];
        child_pages.extend(child.take(child_plan.page_count() - 1)?);
        placement.insert(objid.0, (child.pgno_fdp.0, child_cpg));
        child_fdps.push(Fdp { name, space: child, plan: child_plan, pages: child_pages });
    }
    let mut fdps = Vec::with_capacity(1 + child_fdps.len());
    fdps.push(Fdp { name: tree.name, space, plan: table_plan, pages });
    fdps.extend(child_fdps);
    Ok(fdps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::PageSize;

    #[test]
    fn trees_are_placed_after_the_fixed_layout_and_patch_sees_them() {
        let header = HeaderSpec::clean(
            PageSize::K8,
            super::super::header::signature(1, crate::format::LogTime::default()),
            super::super::header::signature(2, crate::format::LogTime::default()),
            crate::format::Lgpos::default(),
            crate::format::LogTime::default(),
        );
        let rows = (0u32..500).map(|i| NodeImage::new(i.to_be_bytes().to_vec(), vec![7; 60])).collect();
        let lv = vec![NodeImage::new(vec![0, 0, 0, 1], vec![1, 0, 0, 0, 3, 0, 0, 0])];
        let table = RawTable {
            tree: RawTree {
                name: "t".into(),
                objid: ObjectId(9),
                kind: PageFlags(0),
                entries: rows,
                legacy_records: false,
            },
            children: vec![RawTree {
                name: "t/LV".into(),
                objid: ObjectId(11),
                kind: PageFlags::LONG_VALUE,
                entries: lv,
                legacy_records: false,
            }],
        };
        let db = RawDatabase {
            header,
            catalog: vec![NodeImage::new(vec![1], vec![0; 20])],
            name_index: Vec::new(),
            root_objects: Vec::new(),
            tables: vec![table],
            legacy_catalog: false,
        };
        let mut seen = Vec::new();
        let (written, placement) = write_raw(db, |_, p| seen = p.keys().copied().collect()).unwrap();
        assert_eq!(seen, vec![2, 3, 4, 5, 9, 11]);
        assert_eq!(placement[&9].0, 29);
        let t = written.tree("t").unwrap();
        assert_eq!(t.root, PageNumber(29));
        assert!(t.leaves.len() > 2);
        let lv_root = written.tree("t/LV").unwrap().root;
        assert_eq!(placement[&11].0, lv_root.0);
    }
}
