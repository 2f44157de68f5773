//! `export`: the rows of a table (or of every table) as CSV, JSON or JSON
//! Lines, streamed as they are read so that a table larger than memory
//! exports. JSON Lines leaves out null and absent columns, which makes it
//! much smaller than JSON for tables with many sparse tagged columns.
//! Values are typed as spec 10.6 says: numbers as numbers, DateTime as an
//! ISO 8601 UTC timestamp, GUIDs in their usual form, binary as hex, text
//! in its code page, multi-values as JSON arrays.
//!
//! The work is cut into pieces: each table's leaf pages (from a walk of
//! its tree) in runs of about 256 KiB, so a big table is split across its
//! leaf ranges and small tables are pieces of their own. A window of
//! pieces is decoded and rendered on all cores (rayon), then written in
//! order, table after table in catalog order and rows in key order: the
//! output is the same as a single-threaded export's, and memory is bounded
//! by the window, not by the table.
//!
//! `--recovered` adds, after a table's live rows and never mixed with
//! them, the rows it no longer shows whose bytes remain (flag-deleted
//! records, leaves of its objidFDP that no tree reaches, record remnants
//! carved from the slack of its pages, tables whose catalog rows are
//! flag-deleted), each with its `_source`, `_page` and `_tag`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde::Serialize;

use super::FilePath;
use crate::format::catalog::coltyp_name;
use crate::format::PageNumber;
use crate::report::Finding;
use crate::sanitize::markdown_text;
use crate::store::catalog::{Catalog, TableDef};
use crate::store::cursor::TreeWalk;
use crate::store::recovered::RecoveredRow;
use crate::store::table::Table;
use crate::store::{Database, ReadMode};
use crate::Error;

mod rows;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row (one table): the values
    /// exactly as stored.
    Csv,
    /// The same CSV for reading: control characters in values (and names)
    /// shown visibly (`\x1b`, `\r`), line feeds and tabs kept.
    Text,
    /// One JSON document: the tables with their columns and rows.
    Json,
    /// JSON Lines: one object per row, null and absent columns left out
    /// (`_table` names the table when every table is exported).
    Jsonl,
    /// Markdown: a heading and a table of rows per table, for tickets and wikis.
    Md,
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The database file.
    pub file: FilePath,
    /// The table to export; without it, every table (JSON, JSON Lines and Markdown only).
    pub table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Also export flag-deleted records, marked in a `_deleted` column.
    #[arg(long, conflicts_with = "recovered")]
    pub deleted: bool,
    /// After the live rows, the rows the table no longer shows but whose
    /// bytes remain, each with its `_source` (`flag-deleted`, `orphan page
    /// N`, `slack page N offset 0xX`), `_page` and `_tag` (empty for slack):
    /// in CSV after the live rows (whose `_source` is `live`), in JSON in a
    /// separate `recovered` array, in JSON Lines after the table's live rows.
    #[arg(long)]
    pub recovered: bool,
}

/// A column as the JSON header describes it.
#[derive(Debug, Serialize)]
struct ColumnInfo<'a> {
    id: u32,
    name: &'a str,
    #[serde(rename = "type")]
    coltyp: &'static str,
    codepage: u32,
    multivalued: bool,
}

/// Bytes of leaf pages per piece of work.
const PIECE_BYTES: usize = 256 * 1024;
/// Pieces in flight per thread: the output held in memory at once.
const PIECES_PER_THREAD: usize = 4;

/// A table being exported: the table, its JSON column names, its walk.
struct Job<'d> {
    table: Table<'d>,
    names: Vec<String>,
    /// The JSON-quoted table name.
    quoted: String,
    leaves: Vec<PageNumber>,
    walk: TreeWalk,
    /// A table whose catalog rows are flag-deleted: no live rows, every
    /// row it still holds is recovered.
    dropped: bool,
}

/// A run of one table's leaf pages, and what rendering it gave.
struct Piece {
    job: usize,
    pages: std::ops::Range<usize>,
}

#[derive(Default)]
struct Rendered {
    bytes: Vec<u8>,
    rows: u64,
    findings: Vec<Finding>,
}

/// How rows become bytes, and what goes before and after a table.
#[derive(Clone, Copy)]
struct Render {
    format: ExportFormat,
    deleted: bool,
    /// JSON Lines: each row names its table.
    with_table: bool,
    /// `--recovered`.
    recovered: bool,
}

impl Render {
    fn piece(&self, job: &Job<'_>, pages: &[PageNumber]) -> io::Result<Rendered> {
        let mut out = Rendered::default();
        let mut csv = match self.format {
            ExportFormat::Csv => Some(csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new())),
            _ => None,
        };
        let mut failure = None;
        // with --recovered, CSV rows say where they came from: these are live
        let source = (self.recovered && self.format == ExportFormat::Csv).then_some("live");
        for &pgno in pages {
            job.table.page_rows(pgno, self.deleted, |row| {
                match (self.format, csv.as_mut()) {
                    (ExportFormat::Csv, Some(csv)) => {
                        if let Err(e) = rows::csv_row(csv, &row, self.deleted, source) {
                            failure.get_or_insert(csv_io(e));
                        }
                    }
                    (ExportFormat::Jsonl, _) => {
                        let table = self.with_table.then_some(job.quoted.as_str());
                        rows::jsonl_row(&mut out.bytes, table, &job.names, &row, self.deleted, None);
                    }
                    _ => rows::json_row(&mut out.bytes, &job.names, &row, self.deleted, None),
                }
                out.rows += 1;
                out.findings.extend(job.table.row_findings(&row));
            });
        }
        if let Some(e) = failure {
            return Err(e);
        }
        out.bytes = match csv {
            Some(csv) => csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?,
            // values exact; DEL, C1 and bidirectional controls as \u escapes, never raw
            None => crate::sanitize::json_bytes(out.bytes),
        };
        Ok(out)
    }

    /// What goes before a table's rows.
    fn open(&self, out: &mut dyn Write, job: &Job<'_>, first: bool) -> io::Result<()> {
        match self.format {
            ExportFormat::Csv => {
                let mut csv = csv::WriterBuilder::new().from_writer(out);
                let mut header: Vec<&str> = job.table.columns.iter().map(|c| c.name.as_str()).collect();
                if self.deleted {
                    header.insert(0, "_deleted");
                }
                if self.recovered {
                    header.splice(0..0, ["_source", "_page", "_tag"]);
                }
                csv.write_record(&header).map_err(csv_io)?;
                csv.flush()
            }
            ExportFormat::Json => {
                let columns: Vec<ColumnInfo<'_>> = job
                    .table
                    .columns
                    .iter()
                    .map(|c| ColumnInfo {
                        id: c.id,
                        name: &c.name,
                        coltyp: coltyp_name(c.coltyp.0),
                        codepage: c.codepage,
                        multivalued: c.multivalued,
                    })
                    .collect();
                write!(
                    out,
                    "{}\n{{\"name\":{},\"objid\":{},\"pgno_fdp\":{},{}\"columns\":{},\"rows\":[",
                    if first { "" } else { "," },
                    job.quoted,
                    job.table.def.table.id,
                    job.table.def.table.coltyp_or_pgno_fdp,
                    if job.dropped { "\"dropped\":true," } else { "" },
                    serde_json::to_string(&columns)?
                )
            }
            // Markdown is rendered from the CSV, text is the CSV guarded (see `export`)
            ExportFormat::Jsonl | ExportFormat::Md | ExportFormat::Text => Ok(()),
        }
    }

    /// The recovered rows of `job`, rendered as its format says (JSON:
    /// the members of the `recovered` array, without the comma of the
    /// first), with their findings added to `findings`; and their count.
    fn recovered(&self, job: &Job<'_>, findings: &mut Vec<Finding>) -> io::Result<(Vec<u8>, u64)> {
        let mut bytes = Vec::new();
        let mut csv = (self.format == ExportFormat::Csv)
            .then(|| csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()));
        let mut count = 0u64;
        let mut failure = None;
        let mut each = |r: RecoveredRow| {
            let label = r.source.label();
            match csv.as_mut() {
                Some(csv) => {
                    if let Err(e) = rows::csv_row(csv, &r.row, false, Some(&label)) {
                        failure.get_or_insert(csv_io(e));
                    }
                }
                None if self.format == ExportFormat::Jsonl => {
                    let table = self.with_table.then_some(job.quoted.as_str());
                    rows::jsonl_row(&mut bytes, table, &job.names, &r.row, false, Some(&label));
                }
                None => rows::json_row(&mut bytes, &job.names, &r.row, false, Some(&label)),
            }
            count += 1;
            findings.extend(job.table.row_findings(&r.row));
        };
        if job.dropped {
            job.table.dropped_rows(&mut each);
        } else {
            job.table.recovered(&mut each);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let mut bytes = match csv {
            Some(csv) => csv.into_inner().map_err(|e| io::Error::other(e.to_string()))?,
            None => crate::sanitize::json_bytes(bytes),
        };
        if self.format == ExportFormat::Json && !bytes.is_empty() {
            bytes.remove(0); // the first member's comma
        }
        Ok((bytes, count))
    }

    /// What goes after a table's rows: with `--recovered` the rows it no
    /// longer shows, then (JSON) its counts, unreadable and corrected pages
    /// and findings. `findings` gets the recovered rows' findings.
    fn close(
        &self,
        out: &mut dyn Write,
        job: &Job<'_>,
        rows: u64,
        findings: &mut Vec<Finding>,
    ) -> io::Result<()> {
        let recovered = if self.recovered { Some(self.recovered(job, findings)?) } else { None };
        match self.format {
            ExportFormat::Json => {
                match &recovered {
                    Some((bytes, count)) => {
                        write!(out, "\n],\"recovered\":[")?;
                        out.write_all(bytes)?;
                        write!(out, "\n],\"recovered_count\":{count}")?;
                    }
                    None => write!(out, "\n]")?,
                }
                write!(
                    out,
                    ",\"row_count\":{rows},\"unreadable_pages\":{},\"corrected_pages\":{},\"findings\":{}}}",
                    serde_json::to_string(&job.walk.missing)?,
                    serde_json::to_string(&job.walk.corrected)?,
                    serde_json::to_string(&*findings)?
                )
            }
            _ => match &recovered {
                Some((bytes, _)) => out.write_all(bytes),
                None => Ok(()),
            },
        }
    }
}

/// A CSV error as the I/O error it wraps, keeping its kind (a closed pipe
/// is not a failure).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes the tables of `jobs` in order; returns every finding (rows and
/// walks, table after table).
fn write_tables(
    out: &mut dyn Write,
    jobs: &[Job<'_>],
    render: Render,
    page_size: usize,
) -> io::Result<Vec<Finding>> {
    let per_piece = (PIECE_BYTES / page_size.max(1)).max(1);
    let pieces: Vec<Piece> = jobs
        .iter()
        .enumerate()
        .flat_map(|(job, j)| {
            (0..j.leaves.len())
                .step_by(per_piece)
                .map(move |start| Piece { job, pages: start..(start + per_piece).min(j.leaves.len()) })
        })
        .collect();
    let window = (rayon::current_num_threads() * PIECES_PER_THREAD).max(1);
    let mut findings = Vec::new();
    // the table being written: (index, rows so far, its row findings)
    let mut open: Option<(usize, u64, Vec<Finding>)> = None;
    let mut next_job = 0;
    let mut advance_to = |out: &mut dyn Write,
                          target: usize,
                          open: &mut Option<(usize, u64, Vec<Finding>)>,
                          findings: &mut Vec<Finding>|
     -> io::Result<()> {
        // close the open table and open every table up to `target`
        while open.as_ref().is_none_or(|(i, _, _)| *i < target) {
            if let Some((i, rows, mut table_findings)) = open.take() {
                let Some(job) = jobs.get(i) else { break };
                table_findings.extend(job.walk.findings.iter().cloned());
                render.close(out, job, rows, &mut table_findings)?;
                findings.extend(table_findings);
            }
            let Some(job) = jobs.get(next_job) else { break };
            render.open(out, job, next_job == 0)?;
            *open = Some((next_job, 0, Vec::new()));
            next_job += 1;
        }
        Ok(())
    };
    for batch in pieces.chunks(window) {
        let rendered: Vec<io::Result<Rendered>> = batch
            .par_iter()
            .map(|p| match jobs.get(p.job) {
                Some(job) => render.piece(job, job.leaves.get(p.pages.clone()).unwrap_or_default()),
                None => Ok(Rendered::default()),
            })
            .collect();
        for (piece, done) in batch.iter().zip(rendered) {
            let done = done?;
            advance_to(out, piece.job, &mut open, &mut findings)?;
            let Some((_, rows, table_findings)) = open.as_mut() else { continue };
            // the JSON document's first row of a table has no comma before it
            let skip =
                usize::from(render.format == ExportFormat::Json && *rows == 0 && !done.bytes.is_empty());
            out.write_all(done.bytes.get(skip..).unwrap_or_default())?;
            *rows += done.rows;
            table_findings.extend(done.findings);
        }
    }
    advance_to(out, jobs.len(), &mut open, &mut findings)?;
    Ok(findings)
}

/// Writes the rows of one table, exported as CSV in `csv`, as a Markdown
/// heading and table (a table without rows says so instead).
fn write_markdown_table(
    out: &mut dyn Write,
    file: &std::path::Path,
    name: &str,
    csv: &[u8],
) -> Result<(), Error> {
    use crate::report::markdown::cell;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    // names and values come from the evidence: no markup, no control characters
    let md = |text: &str| cell(&markdown_text(text));
    let head: Vec<String> = reader.headers().map_err(csv_io)?.iter().map(md).collect();
    writeln!(out, "## Table {} of {}", md(name), cell(&file.display().to_string()))?;
    writeln!(out)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_io)?;
        rows.push(record.iter().map(md).collect::<Vec<_>>());
    }
    if rows.is_empty() {
        writeln!(out, "No rows. Columns: {}.", head.join(", "))?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", head.iter().map(|_| "---|").collect::<String>())?;
    for row in rows {
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    writeln!(out)?;
    Ok(())
}

/// `esescope export FILE [TABLE]`.
///
/// # Errors
/// The file cannot be opened, the table does not exist, CSV was asked for
/// every table, or the output cannot be written.
pub fn export(args: &ExportArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    if args.format == ExportFormat::Text {
        // CSV, with whatever the evidence holds shown visibly
        let mut guarded = crate::sanitize::TerminalWriter::new(out);
        let csv = ExportArgs {
            format: ExportFormat::Csv,
            table: args.table.clone(),
            file: args.file.clone(),
            ..*args
        };
        let code = export(&csv, mode, &mut guarded)?;
        guarded.flush()?;
        return Ok(code);
    }
    let db = Database::open_with(&args.file, mode)?;
    let catalog = Catalog::read(&db);
    // With --recovered, tables dropped from the catalog whose pages remain.
    let dropped: Vec<TableDef> = if args.recovered {
        catalog
            .dropped_tables(&db)
            .into_iter()
            .filter(|t| args.table.as_ref().is_none_or(|name| t.table.name.eq_ignore_ascii_case(name)))
            .collect()
    } else {
        Vec::new()
    };
    let chosen: Vec<&TableDef> =
        match &args.table {
            Some(name) if catalog.table(name).is_none() && !dropped.is_empty() => Vec::new(),
            Some(name) => vec![catalog.table(name).ok_or_else(|| Error::NotDatabase {
                path: args.file.clone(),
                reason: format!(
                    "has no table named {name}; its tables are: {}",
                    catalog.tables.iter().map(|t| t.table.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })?],
            None if args.format == ExportFormat::Csv => return Err(Error::Usage(
                "CSV holds one table: name it (see `esescope tables`), or use --format json or jsonl for every table"
                    .into(),
            )),
            None => catalog.tables.iter().collect(),
        };
    // one CSV holds one table: a dropped one only when no live table has its name
    let dropped_too: Vec<&TableDef> = match args.format {
        ExportFormat::Csv if !chosen.is_empty() => Vec::new(),
        ExportFormat::Csv => dropped.iter().take(1).collect(),
        _ => dropped.iter().collect(),
    };
    let all: Vec<(&TableDef, bool)> =
        chosen.iter().map(|d| (*d, false)).chain(dropped_too.iter().map(|d| (*d, true))).collect();
    // the walks of the tables' trees, on all cores
    let jobs: Vec<Job<'_>> = all
        .par_iter()
        .map(|&(def, dropped)| {
            let table = Table::new(&db, &catalog, def);
            let (mut leaves, walk) = table.leaves();
            if dropped {
                leaves.clear(); // no live rows: all it holds is recovered
            }
            let names = rows::quoted_names(table.columns.iter().map(|c| c.name.as_str()));
            let quoted = serde_json::to_string(&def.table.name).unwrap_or_else(|_| "\"\"".into());
            Job { table, names, quoted, leaves, walk, dropped }
        })
        .collect();
    let render = Render {
        format: args.format,
        deleted: args.deleted,
        with_table: args.table.is_none(),
        recovered: args.recovered,
    };
    if args.format == ExportFormat::Json {
        write!(
            out,
            "{{\"file\":{},\"tables\":[",
            serde_json::to_string(&args.file.display().to_string()).map_err(io::Error::from)?
        )?;
    }
    let mut findings = catalog.walk.findings.clone();
    match args.format {
        ExportFormat::Md => {
            // each table rendered as CSV, then turned into a Markdown table
            let csv_render = Render { format: ExportFormat::Csv, ..render };
            for job in &jobs {
                let mut csv = Vec::new();
                findings.extend(write_tables(
                    &mut csv,
                    std::slice::from_ref(job),
                    csv_render,
                    db.page_size().len(),
                )?);
                let types: Vec<String> = job
                    .table
                    .columns
                    .iter()
                    .map(|c| format!("{} ({})", c.name, coltyp_name(c.coltyp.0)))
                    .collect();
                write_markdown_table(out, &args.file, &job.table.def.table.name, &csv)?;
                writeln!(
                    out,
                    "Column types: {}.",
                    crate::report::markdown::cell(&markdown_text(&types.join(", ")))
                )?;
                writeln!(out)?;
            }
        }
        _ => findings.extend(write_tables(out, &jobs, render, db.page_size().len())?),
    }
    if args.format == ExportFormat::Json {
        writeln!(
            out,
            "\n],\"catalog_findings\":{}}}",
            serde_json::to_string(&catalog.walk.findings).map_err(io::Error::from)?
        )?;
    }
    for f in &findings {
        eprintln!("esescope: {}", crate::sanitize::one_line(&f.to_string()));
    }
    Ok(ExitCode::from(u8::from(!findings.is_empty())))
}
