//! `export`: the rows of a table (or of every table) as CSV or JSON,
//! streamed as they are read so that a table larger than memory exports.
//! Values are typed as spec 10.6 says: numbers as numbers, DateTime as an
//! ISO 8601 UTC timestamp, GUIDs in their usual form, binary as hex, text
//! in its code page, multi-values as JSON arrays.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::FilePath;
use crate::format::catalog::coltyp_name;
use crate::report::Finding;
use crate::store::catalog::{Catalog, TableDef};
use crate::store::table::{Row, Table};
use crate::store::{Database, ReadMode};
use crate::Error;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row (one table); `text` is the same.
    #[value(alias = "text")]
    Csv,
    /// One JSON document: the tables with their columns and rows.
    Json,
    /// Markdown: a heading and a table of rows per table, for tickets and wikis.
    Md,
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The database file.
    pub file: FilePath,
    /// The table to export; without it, every table (JSON and Markdown only).
    pub table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Also export flag-deleted records, marked in a `_deleted` column.
    #[arg(long)]
    pub deleted: bool,
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

/// What an export found wrong, on stderr and in the JSON.
struct Tally {
    findings: Vec<Finding>,
    rows: u64,
}

fn write_json_table(out: &mut dyn Write, table: &Table<'_>, deleted: bool, first: bool) -> io::Result<Tally> {
    let columns: Vec<ColumnInfo<'_>> = table
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
    let names: Vec<String> =
        table.columns.iter().map(|c| serde_json::to_string(&c.name).unwrap_or_default()).collect();
    if !first {
        write!(out, ",")?;
    }
    write!(
        out,
        "\n{{\"name\":{},\"objid\":{},\"pgno_fdp\":{},\"columns\":{},\"rows\":[",
        serde_json::to_string(&table.def.table.name)?,
        table.def.table.id,
        table.def.table.coltyp_or_pgno_fdp,
        serde_json::to_string(&columns)?
    )?;
    let mut tally = Tally { findings: Vec::new(), rows: 0 };
    let mut failure = None;
    let walk = table.rows(deleted, |row: Row| {
        if failure.is_some() {
            return;
        }
        let mut line = String::with_capacity(256);
        line.push_str(if tally.rows == 0 { "\n{" } else { ",\n{" });
        if deleted {
            line.push_str(if row.deleted { "\"_deleted\":true," } else { "\"_deleted\":false," });
        }
        for (i, (name, value)) in names.iter().zip(&row.values).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(name);
            line.push(':');
            line.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
        }
        line.push('}');
        tally.rows += 1;
        tally.findings.extend(table.row_findings(&row));
        if let Err(e) = out.write_all(line.as_bytes()) {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    tally.findings.extend(walk.findings);
    write!(
        out,
        "\n],\"row_count\":{},\"findings\":{}}}",
        tally.rows,
        serde_json::to_string(&tally.findings)?
    )?;
    Ok(tally)
}

/// A CSV error as the I/O error it wraps, keeping its kind (a closed pipe
/// is not a failure).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn write_csv_table(out: &mut dyn Write, table: &Table<'_>, deleted: bool) -> io::Result<Tally> {
    let mut csv = csv::WriterBuilder::new().from_writer(out);
    let mut header: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    if deleted {
        header.insert(0, "_deleted");
    }
    csv.write_record(&header).map_err(csv_io)?;
    let mut tally = Tally { findings: Vec::new(), rows: 0 };
    let mut failure = None;
    let walk = table.rows(deleted, |row: Row| {
        if failure.is_some() {
            return;
        }
        let mut fields: Vec<String> = row.values.iter().map(|v| v.to_text()).collect();
        if deleted {
            fields.insert(0, row.deleted.to_string());
        }
        tally.rows += 1;
        tally.findings.extend(table.row_findings(&row));
        if let Err(e) = csv.write_record(&fields) {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        // keep the I/O error's kind, so that a closed pipe is not a failure
        return Err(csv_io(e));
    }
    csv.flush()?;
    tally.findings.extend(walk.findings);
    Ok(tally)
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
    let head: Vec<String> = reader.headers().map_err(csv_io)?.iter().map(cell).collect();
    writeln!(out, "## Table {} of {}", cell(name), cell(&file.display().to_string()))?;
    writeln!(out)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_io)?;
        rows.push(record.iter().map(cell).collect::<Vec<_>>());
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
    let db = Database::open_with(&args.file, mode)?;
    let catalog = Catalog::read(&db);
    let chosen: Vec<&TableDef> =
        match &args.table {
            Some(name) => vec![catalog.table(name).ok_or_else(|| Error::NotDatabase {
                path: args.file.clone(),
                reason: format!(
                    "has no table named {name}; its tables are: {}",
                    catalog.tables.iter().map(|t| t.table.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })?],
            None if args.format == ExportFormat::Csv => return Err(Error::Usage(
                "CSV holds one table: name it (see `esescope tables`), or use --format json for every table"
                    .into(),
            )),
            None => catalog.tables.iter().collect(),
        };
    let mut findings = catalog.walk.findings.clone();
    match args.format {
        ExportFormat::Csv => {
            for def in &chosen {
                let tally = write_csv_table(out, &Table::new(&db, &catalog, def), args.deleted)?;
                findings.extend(tally.findings);
            }
        }
        ExportFormat::Md => {
            for def in &chosen {
                let mut csv = Vec::new();
                let tally = write_csv_table(&mut csv, &Table::new(&db, &catalog, def), args.deleted)?;
                findings.extend(tally.findings);
                let table = Table::new(&db, &catalog, def);
                let types: Vec<String> = table
                    .columns
                    .iter()
                    .map(|c| format!("{} ({})", c.name, coltyp_name(c.coltyp.0)))
                    .collect();
                write_markdown_table(out, &args.file, &def.table.name, &csv)?;
                writeln!(out, "Column types: {}.", crate::report::markdown::cell(&types.join(", ")))?;
                writeln!(out)?;
            }
        }
        ExportFormat::Json => {
            write!(
                out,
                "{{\"file\":{},\"tables\":[",
                serde_json::to_string(&args.file.display().to_string()).map_err(io::Error::from)?
            )?;
            for (i, def) in chosen.iter().enumerate() {
                let tally = write_json_table(out, &Table::new(&db, &catalog, def), args.deleted, i == 0)?;
                findings.extend(tally.findings);
            }
            writeln!(
                out,
                "\n],\"catalog_findings\":{}}}",
                serde_json::to_string(&catalog.walk.findings).map_err(io::Error::from)?
            )?;
        }
    }
    for f in &findings {
        eprintln!("esescope: {f}");
    }
    Ok(ExitCode::from(u8::from(!findings.is_empty())))
}
