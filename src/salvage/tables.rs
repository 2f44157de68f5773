//! Each table of the catalog salvaged: its rows, its secondary indexes
//! (entries of kept rows only), its long values (whole ones only), the
//! count of what was lost; then the new file laid out by the writer, and
//! the new file checked as `verify --trees` checks it.

use std::collections::BTreeSet;

use crate::finding::Severity;
use crate::format::catalog::{parse_row, CatalogEntry, ObjectKind};
use crate::format::node::nodes;
use crate::format::page::PageFlags;
use crate::format::record::TaggedLayout;
use crate::format::value::ColumnType;
use crate::format::{Lgpos, LogTime, ObjectId, PageNumber};
use crate::store::catalog::Catalog;
use crate::store::table::Table;
use crate::store::Database;
use crate::writer::database::PageSink;
use crate::writer::header::HeaderSpec;
use crate::writer::page::{LeafEntry, NodeImage};
use crate::writer::rebuild::{
    write_raw_into, Placement, RawDatabase, RawEntry, RawTable, RawTree, RawWritten,
};
use crate::Error;

use super::collect::{self, check_index, collect, sort_entries, Collected, LostRows, RowKeys};
use super::long_values::drop_dangling_references;
use super::meter::Meter;
use super::regenerate;
use super::{IndexSalvage, LostLongValue, Options, RowDamage, SalvageReport, TableSalvage};

/// `Unique` in an index row's flags.
const INDEX_UNIQUE: u32 = 0x1;
/// Offset of `ColtypOrPgnoFDP` (fid 4) in a catalog record (spec 9.2).
const PGNO_FDP_AT: usize = 14;

/// The catalog as read: records (sorted) and whether they are in the
/// legacy record layout.
pub(super) struct CatalogInput<'a> {
    pub records: &'a [NodeImage],
    pub entries: &'a [CatalogEntry],
    pub legacy: bool,
}

/// Adds a walk's unreadable, foreign and corrected pages to the report.
fn note_pages(db: &Database, report: &mut SalvageReport, tree: &str, c: &Collected) {
    report.unreadable_pages.extend(collect::unreadable(tree, &c.walk));
    report.unreadable_pages.extend(collect::chain_lost(db, tree, c));
    report.foreign_pages.extend(collect::foreign(tree, &c.walk));
    report.corrected_pages.extend(c.walk.corrected.iter().map(|p| (tree.to_string(), p.0)));
    report.bridged_pages.extend(c.bridged.iter().map(|p| (tree.to_string(), p.0)));
}

/// The node at `tag` of page `pgno`, read as a walk reads it.
fn raw_node(db: &Database, pgno: PageNumber, tag: u16) -> Option<NodeImage> {
    let read = db.read_page(pgno).ok()?;
    let page = read.page(db).ok()?;
    let node = nodes(&page).filter_map(Result::ok).find(|n| n.tag.index == tag)?;
    Some(NodeImage::new(node.key.clone(), node.data.to_vec()))
}

/// Salvages the trees of every table and writes them with the catalog,
/// each page to `sink` as it is built ([`crate::writer::database::PageSink`]).
/// The walks ask `meter` before each page; on a cancel nothing is written
/// (then `None`).
pub(super) fn rebuild(
    db: &Database,
    names: &Catalog,
    catalog: &CatalogInput<'_>,
    options: Options<'_>,
    report: &mut SalvageReport,
    meter: &mut Meter<'_>,
    sink: PageSink<'_, Error>,
) -> Result<Option<RawWritten>, Error> {
    let mut tables = Vec::new();
    for table in catalog.entries.iter().filter(|e| e.kind == ObjectKind::Table && !matches!(e.id, 2 | 3)) {
        tables.push(salvage_table(db, names, (table, catalog.entries), options, report, meter));
        if meter.cancelled {
            return Ok(None);
        }
    }
    let keys: BTreeSet<Vec<u8>> = catalog.records.iter().map(|r| r.key.clone()).collect();
    let table_keys: BTreeSet<Vec<u8>> = catalog
        .records
        .iter()
        .zip(catalog.entries)
        .filter(|(_, e)| e.kind == ObjectKind::Table)
        .map(|(r, _)| r.key.clone())
        .collect();
    let name_index = catalog_index(db, names, (PageNumber(7), "Name"), (&keys, &keys), report, meter);
    let root_objects =
        catalog_index(db, names, (PageNumber(10), "RootObjects"), (&keys, &table_keys), report, meter);
    if meter.cancelled {
        return Ok(None);
    }
    let Some(h) = db.header() else { return Ok(None) };
    let mut header =
        HeaderSpec::clean(db.page_size(), h.sign_db, h.sign_log, Lgpos::default(), LogTime::default());
    header.objid_last = h.objid_last;
    let raw = RawDatabase {
        header,
        catalog: catalog.records.to_vec(),
        name_index,
        root_objects,
        tables,
        legacy_catalog: catalog.legacy,
    };
    let mut notes = Vec::new();
    let layout = TaggedLayout::for_page(db.page_size().is_large(), !catalog.legacy);
    let (written, _) =
        write_raw_into(raw, |record, placement| patch_root(record, placement, layout, &mut notes), sink)?;
    report.catalog_notes.extend(notes);
    Ok(Some(written))
}

/// Sets the root page a catalog row names (table, index, long-value tree)
/// to where its tree was written.
fn patch_root(record: &mut NodeImage, placement: &Placement, layout: TaggedLayout, notes: &mut Vec<String>) {
    let Some(entry) = parse_row(&record.data, layout) else { return };
    if !matches!(entry.kind, ObjectKind::Table | ObjectKind::Index | ObjectKind::LongValue) {
        return;
    }
    let old = entry.coltyp_or_pgno_fdp.to_le_bytes();
    let slot = record.data.get_mut(PGNO_FDP_AT..PGNO_FDP_AT + 4).filter(|s| **s == old);
    match (placement.get(&entry.id), slot) {
        (Some(&(pgno, _)), Some(slot)) => slot.copy_from_slice(&pgno.to_le_bytes()),
        (None, _) => notes.push(format!(
            "catalog row {:?} {} (objid {}) names root page {}, a tree that was not written; the row is kept as it was",
            entry.kind,
            entry.name,
            entry.id,
            entry.coltyp_or_pgno_fdp
        )),
        (Some(_), None) => notes.push(format!(
            "catalog row {:?} {} (objid {}): its root page number is not where the catalog's layout puts it; the row is kept as it was",
            entry.kind, entry.name, entry.id
        )),
    }
}

/// One of the catalog's own indexes: the entries that point at kept
/// catalog rows; `expected` are the rows that should have one (`Name`:
/// every row, `RootObjects`: the table rows).
fn catalog_index(
    db: &Database,
    names: &Catalog,
    (root, name): (PageNumber, &str),
    (rows, expected): (&BTreeSet<Vec<u8>>, &BTreeSet<Vec<u8>>),
    report: &mut SalvageReport,
    meter: &mut Meter<'_>,
) -> Vec<NodeImage> {
    let tree = format!("index {name} of table MSysObjects");
    let objid = if root == PageNumber(7) { 4 } else { 5 };
    let c = collect(db, (root, objid), &|o| names.object_name(o.0), meter);
    note_pages(db, report, &tree, &c);
    let (kept, dropped): (Vec<RawEntry<'_>>, Vec<RawEntry<'_>>) =
        c.entries.into_iter().partition(|e| rows.contains(&*e.data));
    let mut kept: Vec<NodeImage> = kept.into_iter().map(LeafEntry::into_node).collect();
    sort_entries(&mut kept, false);
    let named: BTreeSet<&[u8]> = kept.iter().map(|e| e.data.as_slice()).collect();
    let missing = expected.iter().filter(|k| !named.contains(k.as_slice())).count() as u64;
    report.indexes.push(IndexSalvage {
        table: "MSysObjects".into(),
        index: name.into(),
        entries_kept: kept.len() as u64,
        entries_dropped: dropped.len() as u64,
        entries_regenerated: 0,
        complete: missing == 0,
        missing_entries: missing,
    });
    kept
}

fn salvage_table<'d>(
    db: &'d Database,
    names: &Catalog,
    (table, entries): (&CatalogEntry, &[CatalogEntry]),
    options: Options<'_>,
    report: &mut SalvageReport,
    meter: &mut Meter<'_>,
) -> RawTable<RawEntry<'d>> {
    let name_of = |o: ObjectId| names.object_name(o.0);
    let tree_name = format!("table {}", table.name);
    let mut t = collect(db, (PageNumber(table.coltyp_or_pgno_fdp), table.id), &name_of, meter);
    note_pages(db, report, &tree_name, &t);
    let mut recovered = 0u64;
    if options.include_recovered {
        if let Some(def) = names.tables.iter().find(|d| d.table.id == table.id) {
            let reader = Table::new(db, names, def);
            let mut have: BTreeSet<Vec<u8>> = t.entries.iter().map(|e| e.key.clone()).collect();
            reader.recovered(|r| {
                if let Some(node) = raw_node(db, r.row.pgno, r.row.tag) {
                    if have.insert(node.key.clone()) {
                        t.entries.push(node.into());
                        recovered += 1;
                    }
                }
            });
        }
    }
    sort_entries(&mut t.entries, false);
    let rows = RowKeys::of(&t.entries);
    let mut lost = LostRows::default();
    let mut children = Vec::new();
    let layout = TaggedLayout::for_page(db.page_size().is_large(), !t.legacy);
    // the table's reader, made only when an index lost pages (regenerate)
    let def = names.tables.iter().find(|d| d.table.id == table.id);
    let mut reader: Option<Table<'_>> = None;
    let secondary = entries
        .iter()
        .filter(|e| e.kind == ObjectKind::Index && e.objid_table == table.id && e.id != table.id);
    for index in secondary {
        let iname = format!("index {} of table {}", index.name, table.name);
        let c = collect(db, (PageNumber(index.coltyp_or_pgno_fdp), index.id), &name_of, meter);
        note_pages(db, report, &iname, &c);
        let default_kind = if index.flags & INDEX_UNIQUE != 0 {
            PageFlags::INDEX
        } else {
            PageFlags::INDEX | PageFlags::NON_UNIQUE_KEYS
        };
        let kind = c.kind.unwrap_or(default_kind);
        let non_unique = kind.contains(PageFlags::NON_UNIQUE_KEYS);
        let mut check = check_index(&c, &rows, non_unique, &mut lost);
        if reader.is_none() && !c.lost_ranges.is_empty() {
            reader = def.map(|def| Table::new(db, names, def));
        }
        let made = reader.as_ref().map_or_else(Vec::new, |r| {
            regenerate::entries(r, index, &c, &t.entries, &check.kept, (layout, non_unique))
        });
        let regenerated = made.len();
        if regenerated > 0 {
            check.kept.extend(made);
            sort_entries(&mut check.kept, non_unique);
        }
        let missing = check.rows_without_entry.saturating_sub(regenerated);
        let complete = missing == 0 || (c.whole() && recovered == 0);
        report.indexes.push(IndexSalvage {
            table: table.name.clone(),
            index: index.name.clone(),
            entries_kept: check.kept.len() as u64,
            entries_dropped: check.dropped as u64,
            entries_regenerated: regenerated as u64,
            complete,
            missing_entries: if complete { 0 } else { missing as u64 },
        });
        let legacy_records = c.legacy;
        children.push(RawTree {
            name: iname,
            objid: ObjectId(index.id),
            kind,
            entries: check.kept,
            legacy_records,
        });
    }
    let kept = rows.len() as u64;
    if let Some(lv) = entries.iter().find(|e| e.kind == ObjectKind::LongValue && e.objid_table == table.id) {
        let lname = format!("long values of table {}", table.name);
        let mut c = collect(db, (PageNumber(lv.coltyp_or_pgno_fdp), lv.id), &name_of, meter);
        note_pages(db, report, &lname, &c);
        let broken = collect::drop_broken_long_values(&mut c);
        // a tree read whole lost no long value: no row needs looking at
        let lost_any = !broken.is_empty() || !c.whole();
        report
            .long_values_lost
            .extend(broken.into_iter().map(|lid| LostLongValue { table: table.name.clone(), lid }));
        sort_entries(&mut c.entries, false);
        if lost_any {
            let dangling = drop_dangling_references(table, entries, &mut t.entries, &c.entries, layout);
            report.rows_with_lost_values.extend(dangling);
        }
        let kind = c.kind.unwrap_or(PageFlags::LONG_VALUE);
        children.push(RawTree {
            name: lname,
            objid: ObjectId(lv.id),
            kind,
            entries: c.entries,
            legacy_records: c.legacy,
        });
    }
    // the column types whose values the engine separates into the long-value tree
    let long_columns = entries.iter().any(|e| {
        e.kind == ObjectKind::Column
            && e.objid_table == table.id
            && [ColumnType::LONG_BINARY, ColumnType::LONG_TEXT].contains(&ColumnType(e.coltyp_or_pgno_fdp))
    });
    if long_columns && !children.iter().any(|c| c.kind.contains(PageFlags::LONG_VALUE)) {
        // no long-value tree: a row that names a long value names a lost one
        report.rows_with_lost_values.extend(drop_dangling_references(
            table,
            entries,
            &mut t.entries,
            &[],
            layout,
        ));
    }
    report.tables.push(lost_rows(table, &t, &lost, kept, recovered));
    RawTable {
        tree: RawTree {
            name: tree_name,
            objid: ObjectId(table.id),
            kind: t.kind.unwrap_or(PageFlags(0)),
            entries: t.entries,
            legacy_records: t.legacy,
        },
        children,
    }
}

/// How many rows the table lost, and how that is known.
fn lost_rows(
    table: &CatalogEntry,
    t: &Collected,
    lost: &LostRows,
    kept: u64,
    recovered: u64,
) -> TableSalvage {
    let mut uncounted = 0;
    let (rows_lost, exact, evidence, keys) = if t.whole() {
        (0, true, "every page of the table's tree was read".to_string(), Vec::new())
    } else if !lost.keys.is_empty() || lost.exact {
        let keys: Vec<String> = lost.keys.iter().map(hex::encode).collect();
        let evidence = if lost.exact {
            "exact: the primary keys a secondary index still names (an index read whole that has an entry for every kept row lists every row; unless the original index already named rows that did not exist)"
        } else {
            "at least: the primary keys that secondary indexes still name (no index lists every row, so there may be more)"
        };
        (keys.len() as u64, lost.exact, evidence.to_string(), keys)
    } else {
        // no index names the lost rows: what the lost leaves' own headers
        // claim, where they can be read (a hint: they fail their checksums)
        let claimed: Vec<Option<u16>> =
            t.walk.missing.iter().filter(|m| m.leaf).map(|m| m.claimed_lines).collect();
        let known: u64 = claimed.iter().flatten().map(|&n| u64::from(n)).sum();
        // a lost internal page whose leaves the chain did not give back
        let subtree = t.walk.missing.iter().any(|m| {
            !m.leaf && t.lost_ranges.contains(&(collect::unhex(&m.lower_key), collect::unhex(&m.upper_key)))
        });
        uncounted = claimed.iter().filter(|c| c.is_none()).count() as u64 + t.chain_lost.len() as u64;
        let evidence = if uncounted == 0 && !subtree && t.walk.foreign.is_empty() {
            "estimate: the line counts the lost pages' own unverified headers claim (no index names the rows)"
                .to_string()
        } else if subtree {
            "unknown: a lost internal page's leaves could not be found along the leaf chain and no index names the rows; the count is what the readable headers claim".to_string()
        } else {
            format!(
                "at least: the line counts the readable headers of lost leaves claim; no index names the rows, and {uncounted} lost leaf page(s) have no readable header, so their rows cannot be counted (the report names each with its key range)"
            )
        };
        (known, false, evidence, Vec::new())
    };
    TableSalvage {
        name: table.name.clone(),
        objid: table.id,
        rows_kept: kept,
        rows_lost,
        rows_lost_exact: exact,
        lost_evidence: evidence,
        lost_keys: keys,
        uncounted_leaves: uncounted,
        rows_recovered: recovered,
    }
}

/// The new file checked: `verify --trees` findings (warnings and up) and,
/// from the findings about values, the rows whose values cannot all be read
/// (each named by table and primary key). One pass over the new file.
pub(super) fn check_output(after: &Database, report: &mut SalvageReport) {
    let findings: Vec<_> = crate::scan::trees::check_trees(after)
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    let mut rows: std::collections::BTreeMap<(u32, u16), (String, Vec<String>)> = Default::default();
    for f in &findings {
        let crate::finding::Location::Tag { pgno, index } = f.location else { continue };
        // a value finding reads "table NAME, column COLUMN: why"
        let Some((table, problem)) = f.message.strip_prefix("table ").and_then(|m| m.split_once(", column "))
        else {
            continue;
        };
        let entry = rows.entry((pgno.0, index)).or_insert_with(|| (table.to_string(), Vec::new()));
        entry.1.push(format!("column {problem}"));
    }
    for ((pgno, tag), (table, problems)) in rows {
        let key = raw_node(after, PageNumber(pgno), tag).map_or_else(String::new, |n| hex::encode(n.key));
        report.rows_with_lost_values.push(RowDamage { table, key, problems });
    }
    report.verify_after = findings;
}
