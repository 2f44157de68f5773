//! A whole database file from a definition (spec 13): the header and its
//! shadow, the fixed initial layout (database root with OE/AE at 1–3, the
//! catalog with its `Name` and `RootObjects` indexes at 4–23, the shadow
//! catalog at 24–28), then every user table from page 29 with its
//! secondary indexes and long-value tree, each an FDP with its own space.
//!
//! The system tables `MSysObjids` and `MSysLocales` that Windows creates at
//! 29 and 30 are not written; readers do not need them.

use crate::format::page::PageFlags;
use crate::format::{DbTime, ObjectId, PageNumber, PageSize};

use super::catalog::{catalog_entries, catalog_table_rows, CatalogRow};
use super::header::HeaderSpec;
use super::key::segment;
use super::page::{LeafEntry, NodeImage, PageImage};
use super::record::{encode_record, lv_chunk_size, place_columns, LongValues, PlacedColumn};
use super::schema::{IndexDef, TableDef};
use super::space::{Extent, FdpSpace, SINGLE_EXTENT_MOST};
use super::tree::{plan, TreePlan, TreeSpec};
use super::WriteError;

/// Pages of the catalog's primary extent (4–23).
pub(super) const CATALOG_PAGES: u32 = 20;
/// Pages of the shadow catalog's primary extent (24–28).
pub(super) const SHADOW_PAGES: u32 = 5;
/// Longest index key written (the legacy `KeyMost`, the catalog default).
const KEY_MOST: usize = 255;

/// What to write.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseSpec {
    /// The header fields (page size, state, signatures, log positions…);
    /// `dbtime_dirtied` and `objid_last` are filled in by the writer.
    pub header: HeaderSpec,
    /// The user tables.
    pub tables: Vec<TableDef>,
    /// The file has at least this many pages after the two header pages;
    /// pages nothing uses stay all zero and are listed as free.
    pub min_pages: u32,
}

/// One tree the writer wrote, for tests and for damaging samples on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLayout {
    /// `table`, `table/index` or `table/LV`.
    pub name: String,
    /// Its objid.
    pub objid: ObjectId,
    /// Its root page.
    pub root: PageNumber,
    /// Every page of the tree (space-tree pages excluded), root first.
    pub pages: Vec<PageNumber>,
    /// Its leaves in key order.
    pub leaves: Vec<PageNumber>,
}

/// A written database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDatabase {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The trees in it.
    pub trees: Vec<TreeLayout>,
}

impl WrittenDatabase {
    /// The tree named `name`.
    pub fn tree(&self, name: &str) -> Option<&TreeLayout> {
        self.trees.iter().find(|t| t.name == name)
    }
}

/// A tree with the space it lives in.
pub(super) struct Fdp<E = NodeImage> {
    pub(super) name: String,
    pub(super) space: FdpSpace,
    pub(super) plan: TreePlan<E>,
    pub(super) pages: Vec<PageNumber>,
}

impl<E: LeafEntry> Fdp<E> {
    /// Pages the tree takes beyond its root.
    fn extra(&self) -> usize {
        self.plan.page_count().saturating_sub(1)
    }
}

/// Pages a child FDP of `tree_pages` pages needs: single extent when small.
pub(super) fn extent_size(tree_pages: usize) -> (u32, bool) {
    let pages = tree_pages as u32;
    if pages <= SINGLE_EXTENT_MOST {
        (pages, false)
    } else {
        (pages + 2, true)
    }
}

/// Gives `space` at least `need` free pages, taking a new extent from `parent`.
fn ensure(space: &mut FdpSpace, need: usize, parent: &mut FdpSpace) -> Result<(), WriteError> {
    if space.free_count() < need {
        let missing = (need - space.free_count()) as u32;
        space.add_extent(parent.take_extent(missing)?);
    }
    Ok(())
}

pub(super) fn tree_spec<E>(objid: u32, kind: PageFlags, entries: Vec<E>, density: u8) -> TreeSpec<E> {
    TreeSpec { objid: ObjectId(objid), kind, root_header_len: 16, entries, density, legacy_records: false }
}

/// One table turned into tree entries.
struct TableTrees {
    columns: Vec<PlacedColumn>,
    records: Vec<NodeImage>,
    indexes: Vec<(IndexDef, Vec<NodeImage>)>,
    long_values: Vec<NodeImage>,
}

fn key_of(
    columns: &[PlacedColumn],
    index: &IndexDef,
    row: &[super::schema::Value],
) -> Result<Vec<u8>, &'static str> {
    let mut key = Vec::new();
    for (name, descending) in &index.segments {
        let at = columns
            .iter()
            .position(|c| &c.def.name == name)
            .ok_or("an index names a column the table lacks")?;
        let column = &columns[at];
        let value = row.get(at).ok_or("the row does not have one value per column")?;
        key.extend(segment(column.def.coltyp, column.def.code_page, value, *descending)?);
    }
    if key.len() > KEY_MOST {
        return Err("an index key is longer than 255 bytes");
    }
    Ok(key)
}

fn table_trees(table: &TableDef, ti: usize, size: PageSize) -> Result<TableTrees, WriteError> {
    let schema = |reason| WriteError::Schema { table: ti, reason };
    let columns = place_columns(&table.columns).map_err(schema)?;
    if table.primary.segments.is_empty() {
        return Err(schema("the primary index has no columns"));
    }
    let mut long_values = LongValues::default();
    let mut records = Vec::with_capacity(table.rows.len());
    for (ri, row) in table.rows.iter().enumerate() {
        let fail = |reason| WriteError::Row { table: ti, row: ri, reason };
        let key = key_of(&columns, &table.primary, row).map_err(fail)?;
        let record = encode_record(&columns, row, size, &mut long_values).map_err(fail)?;
        records.push((key, record, ri));
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = records.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(WriteError::Row { table: ti, row: w[1].2, reason: "two rows have the same primary key" });
    }
    let mut indexes = Vec::new();
    for index in &table.indexes {
        let mut entries = Vec::with_capacity(records.len());
        for (pkey, _, ri) in &records {
            let row = &table.rows[*ri];
            let key = key_of(&columns, index, row).map_err(|reason| WriteError::Row {
                table: ti,
                row: *ri,
                reason,
            })?;
            entries.push(NodeImage::new(key, pkey.clone()));
        }
        entries.sort_by(|a, b| (&a.key, &a.data).cmp(&(&b.key, &b.data)));
        if index.unique && entries.windows(2).any(|w| w[0].key == w[1].key) {
            return Err(schema("a unique index has two rows with the same key"));
        }
        indexes.push((index.clone(), entries));
    }
    let chunk = lv_chunk_size(size);
    let mut lv_entries = Vec::new();
    for (lid, bytes) in &long_values.values {
        let mut root = 1u32.to_le_bytes().to_vec(); // reference count
        root.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        lv_entries.push(NodeImage::new(lid.to_be_bytes().to_vec(), root));
        for (i, piece) in bytes.chunks(chunk).enumerate() {
            let key = [lid.to_be_bytes(), ((i * chunk) as u32).to_be_bytes()].concat();
            lv_entries.push(NodeImage::new(key, piece.to_vec()));
        }
    }
    let records = records.into_iter().map(|(key, record, _)| NodeImage::new(key, record)).collect();
    Ok(TableTrees { columns, records, indexes, long_values: lv_entries })
}

/// Writes the database `spec` describes.
///
/// # Errors
/// A definition or row the writer cannot encode ([`WriteError::Schema`],
/// [`WriteError::Row`], [`WriteError::Catalog`]), a record too large for a
/// page, or a page size under 4 KiB.
pub fn write_database(spec: &DatabaseSpec) -> Result<WrittenDatabase, WriteError> {
    let size = spec.header.page_size;
    if size.len() < 4096 {
        return Err(WriteError::UnsupportedPageSize { bytes: size.bytes() });
    }
    // Plans of the user tables first: their sizes decide where they go.
    let mut planned = Vec::with_capacity(spec.tables.len());
    for (ti, table) in spec.tables.iter().enumerate() {
        planned.push(table_trees(table, ti, size)?);
    }
    // The fixed layout (spec 8.5). The database root owns the whole file;
    // it grows as space is taken and its size is settled at the end.
    let mut root = FdpSpace::growable(ObjectId(1), Extent { first: 1, count: 3 }, PageNumber::NULL);
    let mut catalog = FdpSpace::new(ObjectId(2), root.take_extent(CATALOG_PAGES)?, PageNumber(1), true);
    let shadow = FdpSpace::new(ObjectId(3), root.take_extent(SHADOW_PAGES)?, PageNumber(1), true);
    let mut by_name = FdpSpace::new(ObjectId(4), catalog.take_extent(3)?, PageNumber(4), true);
    let mut root_objects = FdpSpace::new(ObjectId(5), catalog.take_extent(3)?, PageNumber(4), true);
    by_name.tree_kind = PageFlags::INDEX;
    root_objects.tree_kind = PageFlags::INDEX;

    // User tables from page 29, objids from 6.
    let mut objid = 5u32;
    let mut user = Vec::new();
    let mut rows: Vec<CatalogRow> = catalog_table_rows(2, 4, CATALOG_PAGES, "MSysObjects");
    rows.extend(catalog_table_rows(3, 24, SHADOW_PAGES, "MSysObjectsShadow"));
    for (table, trees) in spec.tables.iter().zip(planned) {
        user.extend(place_table(table, trees, &mut objid, &mut root, &mut rows, size)?);
    }

    // The catalog, its indexes and its shadow, now that every row is known.
    let entries = catalog_entries(&rows, size).map_err(|reason| WriteError::Catalog { reason })?;
    let system = [
        ("MSysObjects", catalog, PageFlags(0), entries.records.clone()),
        ("MSysObjects/Name", by_name, PageFlags::INDEX, entries.by_name),
        ("MSysObjects/RootObjects", root_objects, PageFlags::INDEX, entries.root_objects),
        ("MSysObjectsShadow", shadow, PageFlags(0), entries.records),
    ];
    let mut fdps = Vec::with_capacity(system.len() + user.len());
    for (name, space, kind, entries) in system {
        let plan = plan(tree_spec(space.objid.0, kind, entries, 80), size)?;
        fdps.push(Fdp { name: name.into(), pages: vec![space.pgno_fdp], space, plan });
    }
    place_catalog(&mut fdps, &mut root)?;
    fdps.extend(user);

    // The file ends after the last used page, or at min_pages.
    let used_last = root.owned.first().map_or(1, |e| e.last());
    let last = used_last.max(spec.min_pages);
    root.set_primary_count(last);
    let mut header = spec.header.clone();
    header.objid_last = objid;
    assemble(fdps, &root, last, header)
}

/// Places one user table (its tree, then its indexes, then its LV tree,
/// all in one extent taken from the database root) and adds its catalog rows.
fn place_table(
    table: &TableDef,
    trees: TableTrees,
    objid: &mut u32,
    root: &mut FdpSpace,
    rows: &mut Vec<CatalogRow>,
    size: PageSize,
) -> Result<Vec<Fdp>, WriteError> {
    *objid += 1;
    let table_objid = *objid;
    let table_plan = plan(tree_spec(table_objid, PageFlags(0), trees.records, 80), size)?;
    let mut children = Vec::new();
    for (index, entries) in trees.indexes {
        *objid += 1;
        let kind =
            if index.unique { PageFlags::INDEX } else { PageFlags::INDEX | PageFlags::NON_UNIQUE_KEYS };
        let index_plan = plan(tree_spec(*objid, kind, entries, 80), size)?;
        children.push((format!("{}/{}", table.name, index.name), *objid, Some(index), index_plan));
    }
    if !trees.long_values.is_empty() {
        *objid += 1;
        let lv_plan = plan(tree_spec(*objid, PageFlags::LONG_VALUE, trees.long_values, 100), size)?;
        children.push((format!("{}/LV", table.name), *objid, None, lv_plan));
    }
    let child_pages: u32 = children.iter().map(|c| extent_size(c.3.page_count()).0).sum();
    let (cpg, multiple) = extent_size(table_plan.page_count() + child_pages as usize);
    let mut space = FdpSpace::new(ObjectId(table_objid), root.take_extent(cpg)?, PageNumber(1), multiple);
    let fdp_pgno = space.pgno_fdp;
    let mut pages = vec![fdp_pgno];
    pages.extend(space.take(table_plan.page_count() - 1)?);

    rows.push(CatalogRow::table(table_objid, fdp_pgno.0, cpg, 0, &table.name));
    for column in &trees.columns {
        let offset = (column.record_offset != 0).then_some(column.record_offset);
        rows.push(CatalogRow::column(table_objid, column.fid, &column.def, offset));
    }
    let fid_of = |name: &str| trees.columns.iter().find(|c| c.def.name == name).map_or(0, |c| c.fid);
    let segments = |index: &IndexDef| -> Vec<(u32, bool)> {
        index.segments.iter().map(|(n, d)| (fid_of(n), *d)).collect()
    };
    let primary = &table.primary;
    rows.push(CatalogRow::index(
        table_objid,
        table_objid,
        fdp_pgno.0,
        0x0001_002F,
        &primary.name,
        &segments(primary),
    ));

    let mut fdps = Vec::with_capacity(1 + children.len());
    let mut child_fdps = Vec::with_capacity(children.len());
    for (name, child_objid, index, child_plan) in children {
        let (child_cpg, child_multiple) = extent_size(child_plan.page_count());
        let extent = space.take_extent(child_cpg)?;
        let mut child = FdpSpace::new(ObjectId(child_objid), extent, fdp_pgno, child_multiple);
        child.non_unique = index.as_ref().is_some_and(|i| !i.unique);
        child.tree_kind = if index.is_some() { PageFlags::INDEX } else { PageFlags::LONG_VALUE };
        let mut child_pages = vec![child.pgno_fdp];
        child_pages.extend(child.take(child_plan.page_count() - 1)?);
        let pgno = child.pgno_fdp.0;
        rows.push(match &index {
            Some(index) => {
                let flags = if index.unique { 0x0001_000F } else { 0x0001_000E };
                CatalogRow::index(table_objid, child_objid, pgno, flags, &index.name, &segments(index))
            }
            None => CatalogRow::long_value(table_objid, child_objid, pgno, child_cpg),
        });
        child_fdps.push(Fdp { name, space: child, plan: child_plan, pages: child_pages });
    }
    fdps.push(Fdp { name: table.name.clone(), space, plan: table_plan, pages });
    fdps.extend(child_fdps);
    Ok(fdps)
}

/// Gives the catalog trees (`fdps[0..4]`: catalog, Name, RootObjects,
/// shadow) their pages: the catalog's from its primary extent (then from
/// the root), its indexes' from the catalog's free pages, the shadow's from
/// its own extent (then from the root).
pub(super) fn place_catalog<E: LeafEntry>(
    fdps: &mut [Fdp<E>],
    root: &mut FdpSpace,
) -> Result<(), WriteError> {
    let [catalog, name_index, root_objects, shadow, ..] = fdps else {
        return Err(WriteError::OutOfPages { need: 4, have: fdps.len() });
    };
    let extra = catalog.extra();
    ensure(&mut catalog.space, extra, root)?;
    let taken = catalog.space.take(extra)?;
    catalog.pages.extend(taken);
    for index in [name_index, root_objects] {
        let extra = index.extra();
        if index.space.free_count() < extra {
            // the index's new extent is one run of the catalog's free pages
            let missing = (extra - index.space.free_count()) as u32;
            if !catalog.space.has_run(missing) {
                catalog.space.add_extent(root.take_extent(missing)?);
            }
            ensure(&mut index.space, extra, &mut catalog.space)?;
        }
        let taken = index.space.take(extra)?;
        index.pages.extend(taken);
    }
    let extra = shadow.extra();
    ensure(&mut shadow.space, extra, root)?;
    let taken = shadow.space.take(extra)?;
    shadow.pages.extend(taken);
    Ok(())
}

/// Builds every page and lays out the file: the header twice, then pages
/// 1..=`last` (unused ones all zero).
pub(super) fn assemble(
    fdps: Vec<Fdp>,
    root: &FdpSpace,
    last: u32,
    header: HeaderSpec,
) -> Result<WrittenDatabase, WriteError> {
    let size = header.page_size.len();
    let mut bytes = vec![0u8; (last as usize + 2) * size];
    let (header_page, trees) = assemble_into(fdps, root, last, header, &mut |slot, page| {
        let at = usize::try_from(slot).unwrap_or(usize::MAX).saturating_mul(size);
        bytes
            .get_mut(at..at.saturating_add(page.len()))
            .ok_or(WriteError::OutOfPages { need: slot as usize, have: last as usize })?
            .copy_from_slice(&page);
        Ok::<(), WriteError>(())
    })?;
    bytes[..size].copy_from_slice(&header_page);
    bytes[size..2 * size].copy_from_slice(&header_page);
    Ok(WrittenDatabase { bytes, trees })
}

/// Where the pages of a database go as they are built: `(slot, bytes)`,
/// slot `n + 1` for page `n` (slots 0 and 1 are the header's copies,
/// which [`assemble_into`] returns instead). Slots not given stay zero.
pub type PageSink<'a, E> = &'a mut dyn FnMut(u64, Vec<u8>) -> Result<(), E>;

/// [`assemble`], each page handed to `sink` as it is built (no image of
/// the whole file is held). Returns the header page (the caller writes it
/// to both header slots) and the trees.
pub(super) fn assemble_into<N: LeafEntry, E: From<WriteError>>(
    fdps: Vec<Fdp<N>>,
    root: &FdpSpace,
    last: u32,
    mut header: HeaderSpec,
    sink: PageSink<'_, E>,
) -> Result<(Vec<u8>, Vec<TreeLayout>), E> {
    let size = header.page_size;
    let mut dbtime = 0u64;
    let mut trees = Vec::with_capacity(fdps.len());
    let mut place = |image: PageImage| -> Result<(), E> {
        if image.pgno.0 > last {
            return Err(WriteError::OutOfPages { need: image.pgno.0 as usize, have: last as usize }.into());
        }
        let page = image.build()?;
        sink(u64::from(image.pgno.0) + 1, page)
    };
    for fdp in fdps {
        let mut leaves = Vec::new();
        let Fdp { name, space, plan, pages } = fdp;
        plan.build_each(&space.space_header()?, &pages, size, &mut dbtime, |image| {
            if image.flags.contains(PageFlags::LEAF) {
                leaves.push(image.pgno);
            }
            place(image)
        })?;
        trees.push(TreeLayout { name, objid: space.objid, root: space.pgno_fdp, pages, leaves });
        for image in space.space_tree_pages(size, &mut dbtime) {
            place(image)?;
        }
    }
    let flags = PageFlags::ROOT | PageFlags::LEAF | PageFlags::NEW_RECORD_FORMAT;
    let mut db_root = PageImage::new(PageNumber(1), size, ObjectId(1), flags);
    db_root.external_header = root.space_header()?;
    dbtime += 1;
    db_root.dbtime = DbTime(dbtime);
    place(db_root)?;
    for image in root.space_tree_pages(size, &mut dbtime) {
        place(image)?;
    }
    header.dbtime_dirtied = DbTime(dbtime);
    Ok((header.build(), trees))
}
