//! `tables`, `tree` and `catalog`: the B+-tree subcommands.

use crate::sanitize::{markdown_text, Visible};
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::output::{emit, OutputArgs};
use super::FilePath;
use crate::format::catalog::coltyp_name;
use crate::format::space::Extent;
use crate::format::PageNumber;
use crate::report::Finding;
use crate::store::catalog::Catalog;
use crate::store::cursor::{walk_named, TreeWalk};
use crate::store::space::{self, Space};
use crate::store::{Database, ReadMode};
use crate::Error;

/// `tables` and `catalog` arguments.
#[derive(Debug, Args)]
pub struct TablesArgs {
    /// The database file.
    pub file: FilePath,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `tree` arguments.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The database file.
    pub file: FilePath,
    /// A table name, or the root page number of any tree.
    pub tree: String,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// One row of `tables`.
#[derive(Debug, Clone, Serialize)]
pub struct TableRow {
    /// Table name.
    pub name: String,
    /// Its objid.
    pub objid: u32,
    /// Its root page.
    pub pgno_fdp: u32,
    /// Records (leaf entries not flag-deleted).
    pub records: u64,
    /// Flag-deleted leaf entries.
    pub deleted: u64,
    /// Pages of the table's tree.
    pub pages: usize,
    /// Structural findings of the walk.
    pub findings: Vec<Finding>,
}

fn damage(findings: usize) -> ExitCode {
    ExitCode::from(u8::from(findings > 0))
}

/// `esescope tables FILE`.
///
/// # Errors
/// The file cannot be opened as a database.
pub fn tables(args: &TablesArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let catalog = Catalog::read(&db);
    let temporary = db.is_temporary();
    let rows: Vec<TableRow> = catalog
        .tables
        .iter()
        .map(|t| {
            let tree = walk_named(&db, t.pgno_fdp(), &|o| catalog.object_name(o.0), |_, _| {});
            TableRow {
                name: t.table.name.clone(),
                objid: t.table.id,
                pgno_fdp: t.table.coltyp_or_pgno_fdp,
                records: tree.entries,
                deleted: tree.deleted,
                pages: tree.pages.len(),
                findings: tree.findings,
            }
        })
        .collect();
    let text = |w: &mut dyn Write| -> io::Result<()> {
        writeln!(
            w,
            "{:<40} {:>6} {:>8} {:>9} {:>8} {:>6}  findings",
            "table", "objid", "FDP pgno", "records", "deleted", "pages"
        )?;
        for r in &rows {
            writeln!(
                w,
                "{:<40} {:>6} {:>8} {:>9} {:>8} {:>6}  {}",
                Visible(&r.name),
                r.objid,
                r.pgno_fdp,
                r.records,
                r.deleted,
                r.pages,
                r.findings.len()
            )?;
            for f in &r.findings {
                writeln!(w, "    {f}")?;
            }
        }
        for f in &catalog.walk.findings {
            writeln!(w, "catalog: {f}")?;
        }
        if temporary {
            writeln!(
                w,
                "temporary database: it has no persistent catalog (page 4 holds tree objidFDP {})",
                catalog.walk.objid
            )?;
        }
        Ok(())
    };
    let md = |w: &mut dyn Write| -> io::Result<()> {
        writeln!(w, "## Tables of {}", crate::report::markdown::cell(&args.file.display().to_string()))?;
        writeln!(w)?;
        writeln!(w, "| Table | Objid | FDP pgno | Records | Deleted | Pages | Findings |")?;
        writeln!(w, "|---|---|---|---|---|---|---|")?;
        for r in &rows {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                crate::report::markdown::cell(&markdown_text(&r.name)),
                r.objid,
                r.pgno_fdp,
                r.records,
                r.deleted,
                r.pages,
                r.findings.len()
            )?;
        }
        writeln!(w)?;
        // the findings text shows, per table and for the catalog itself
        let findings: Vec<Vec<String>> = rows
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r.name.clone(), f)))
            .chain(catalog.walk.findings.iter().map(|f| ("catalog".to_string(), f)))
            .map(|(table, f)| vec![table, f.severity.to_string(), f.location.to_string(), f.message.clone()])
            .collect();
        if !findings.is_empty() {
            writeln!(w, "### Findings ({})", findings.len())?;
            writeln!(w)?;
            writeln!(w, "| Table | Severity | Where | What |")?;
            writeln!(w, "|---|---|---|---|")?;
            for row in findings {
                let cells: Vec<String> = row.iter().map(|c| crate::report::markdown::cell(c)).collect();
                writeln!(w, "| {} |", cells.join(" | "))?;
            }
            writeln!(w)?;
        }
        if temporary {
            writeln!(
                w,
                "Temporary database: it has no persistent catalog (page 4 holds tree objidFDP {}).",
                catalog.walk.objid
            )?;
        }
        Ok(())
    };
    emit(out, &args.output, "table list", &rows, text, md)?;
    Ok(damage(rows.iter().map(|r| r.findings.len()).sum::<usize>() + catalog.walk.findings.len()))
}

/// `esescope tree FILE TABLE|PGNO`.
///
/// # Errors
/// The file cannot be opened, or the tree is neither a table name nor a page number.
pub fn tree(args: &TreeArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let catalog = Catalog::read(&db);
    let root = match (catalog.table(&args.tree), args.tree.parse::<u32>()) {
        (Some(t), _) => t.pgno_fdp(),
        (None, Ok(n)) => PageNumber(n),
        (None, Err(_)) => {
            return Err(Error::NotDatabase {
                path: args.file.clone(),
                reason: format!(
                    "has no table named {} (see `esescope tables`); give a table name or a root page number",
                    args.tree
                ),
            })
        }
    };
    // a root outside the file is a usage error (exit 2), as for `page`
    db.page_bytes(root)?;
    let name = catalog.tree_name(root).unwrap_or_else(|| format!("tree at page {root}"));
    let mut tree: TreeWalk = walk_named(&db, root, &|o| catalog.object_name(o.0), |_, _| {});
    let space = space::read(&db, root);
    tree.findings.extend(space.findings.iter().cloned());
    tree.findings.extend(space.check(&tree, &db));
    // the catalog named this tree, or this is the catalog: its damage counts
    if catalog.table(&args.tree).is_some() || root == crate::store::catalog::CATALOG_ROOT {
        tree.findings.extend(
            catalog.walk.findings.iter().filter(|f| !tree.findings.contains(f)).cloned().collect::<Vec<_>>(),
        );
    }
    let document = TreeDocument { tree: &tree, space: &space };
    let text = |w: &mut dyn Write| write_tree(w, &name, &tree, &space);
    let md = |w: &mut dyn Write| crate::report::markdown_json::render(w, &format!("Tree {name}"), &document);
    emit(out, &args.output, "tree", &document, text, md)?;
    Ok(damage(tree.findings.len()))
}

/// `tree --json`: the walk (pages, levels, findings) and the space the tree owns.
#[derive(Serialize)]
struct TreeDocument<'a> {
    #[serde(flatten)]
    tree: &'a TreeWalk,
    space: &'a Space,
}

fn write_extents(w: &mut dyn Write, label: &str, extents: &[Extent]) -> io::Result<()> {
    let list: Vec<String> = extents
        .iter()
        .map(|e| if e.first == e.last { e.first.to_string() } else { format!("{}-{}", e.first, e.last) })
        .collect();
    let pages: u32 = extents.iter().map(Extent::len).sum();
    writeln!(w, "  {label}: {pages} pages{}{}", if list.is_empty() { "" } else { ": " }, list.join(", "))
}

fn write_tree(w: &mut dyn Write, name: &str, tree: &TreeWalk, space: &Space) -> io::Result<()> {
    writeln!(
        w,
        "{}: root page {}, objidFDP {}, {} records, {} flag-deleted",
        Visible(name),
        tree.root,
        tree.objid,
        tree.entries,
        tree.deleted
    )?;
    match &space.header {
        Some(h) if h.is_multiple_extent() => writeln!(
            w,
            "space: multiple extents (OE tree {}, AE tree {}), parent FDP {}",
            h.avail_or_pgno_oe,
            h.avail_or_pgno_oe.wrapping_add(1),
            h.pgno_parent
        )?,
        Some(h) => writeln!(
            w,
            "space: single extent of {} pages, parent FDP {}, rgbitAvail {:#010x}",
            h.cpg_primary, h.pgno_parent, h.avail_or_pgno_oe
        )?,
        None => writeln!(w, "space: no space header in tag 0")?,
    }
    if space.header.is_some() {
        write_extents(w, "owned", &space.owned)?;
        write_extents(w, "available", &space.available)?;
    }
    for (depth, level) in tree.levels().iter().enumerate() {
        let kind = if level.iter().all(|p| p.leaf) { "leaf" } else { "internal" };
        let pages = if level.len() == 1 { "page" } else { "pages" };
        writeln!(w, "level {depth} ({kind}, {} {pages})", level.len())?;
        for page in level {
            writeln!(
                w,
                "  page {:>6}  {:>4} {}  keys {} .. {}",
                page.pgno,
                page.entries,
                if page.entries == 1 { "entry  " } else { "entries" },
                page.first_key,
                if page.last_key.is_empty() { "+inf" } else { &page.last_key }
            )?;
        }
    }
    if tree.findings.is_empty() {
        writeln!(w, "no structural findings")
    } else {
        for f in &tree.findings {
            writeln!(w, "{f}")?;
        }
        Ok(())
    }
}

/// `esescope catalog FILE`.
///
/// # Errors
/// The file cannot be opened as a database.
pub fn catalog(args: &TablesArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    let catalog = Catalog::read(&db);
    let temporary = db.is_temporary();
    let text = |w: &mut dyn Write| -> io::Result<()> {
        if catalog.tables.is_empty() {
            let why = if temporary {
                "a temporary database has no persistent catalog"
            } else {
                "the catalog could not be read"
            };
            writeln!(w, "No tables: {why} (page 4 holds tree objidFDP {}).", catalog.walk.objid)?;
        }
        for t in &catalog.tables {
            writeln!(
                w,
                "Table {} (objid {}, root page {}, initial pages {}, flags {:#x})",
                Visible(&t.table.name),
                t.table.id,
                t.table.coltyp_or_pgno_fdp,
                t.table.pages_or_locale,
                t.table.flags
            )?;
            for c in &t.columns {
                writeln!(
                    w,
                    "  column {:>4} {:<32} {:<16} max {:<6} codepage {:<5} flags {:#x} {}",
                    c.id,
                    Visible(&c.name),
                    coltyp_name(c.coltyp_or_pgno_fdp),
                    c.space_usage,
                    c.pages_or_locale,
                    c.flags,
                    crate::format::catalog::column_flag_names(c.flags)
                )?;
            }
            for i in &t.indexes {
                let key: Vec<String> = i
                    .key_segments
                    .iter()
                    .map(|k| {
                        let name =
                            t.columns.iter().find(|c| c.id == k.column).map_or("?", |c| c.name.as_str());
                        format!("{}{}", if k.descending { '-' } else { '+' }, Visible(name))
                    })
                    .collect();
                // `-` marks a descending segment; say so in words once
                let descending =
                    if i.key_segments.iter().any(|k| k.descending) { " (- descending)" } else { "" };
                writeln!(
                    w,
                    "  index  {:<32} objid {:<6} root page {:<6} flags {:#x} ({})  key {}{descending}",
                    Visible(&i.name),
                    i.id,
                    i.coltyp_or_pgno_fdp,
                    i.flags,
                    crate::format::catalog::index_flag_names(i.flags),
                    key.join(" ")
                )?;
            }
            if let Some(lv) = &t.long_value {
                writeln!(w, "  long values: objid {}, root page {}", lv.id, lv.coltyp_or_pgno_fdp)?;
            }
        }
        for page in &catalog.walk.pages {
            writeln!(
                w,
                "catalog page {} (depth {}, {}, {} entries): keys {} .. {}",
                page.pgno,
                page.depth,
                if page.leaf { "leaf" } else { "internal" },
                page.entries,
                page.first_key,
                if page.last_key.is_empty() { "+inf" } else { &page.last_key }
            )?;
        }
        for f in &catalog.walk.findings {
            writeln!(w, "catalog: {f}")?;
        }
        Ok(())
    };
    let title = format!("Catalog of {}", args.file.display());
    let md = |w: &mut dyn Write| crate::report::markdown_json::render(w, &title, &catalog);
    emit(out, &args.output, "catalog", &catalog, text, md)?;
    Ok(damage(catalog.walk.findings.len()))
}
