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
use crate::store::recovered::RecoveredRow;
use crate::store::table::{Row, Table};
use crate::store::{Database, ReadMode};
use crate::Error;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row (one table).
    Csv,
    /// One JSON document: the tables with their columns and rows.
    Json,
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The database file.
    pub file: FilePath,
    /// The table to export; without it, every table (JSON only).
    pub table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Also export flag-deleted records, marked in a `_deleted` column.
    #[arg(long, conflicts_with = "recovered")]
    pub deleted: bool,
    /// After the live rows, the rows the table no longer shows but whose
    /// bytes remain, each with its `_source` (`flag-deleted`, `orphan page
    /// N`), `_page` and `_tag`: in CSV after the live rows (whose `_source`
    /// is `live`), in JSON in a separate `recovered` array.
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

/// What an export found wrong, on stderr and in the JSON.
struct Tally {
    findings: Vec<Finding>,
    rows: u64,
}

fn json_row(names: &[String], row: &Row, extra: &str) -> String {
    let mut line = String::with_capacity(256);
    line.push('{');
    line.push_str(extra);
    for (i, (name, value)) in names.iter().zip(&row.values).enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(name);
        line.push(':');
        line.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
    }
    line.push('}');
    line
}

/// Writes the table's recovered rows as a JSON array member; returns their count.
fn write_json_recovered(
    out: &mut dyn Write,
    table: &Table<'_>,
    names: &[String],
    tally: &mut Tally,
    dropped: bool,
) -> io::Result<u64> {
    write!(out, "\n],\"recovered\":[")?;
    let mut count = 0u64;
    let mut failure = None;
    let mut each = |r: RecoveredRow| {
        if failure.is_some() {
            return;
        }
        let extra = format!(
            "\"_source\":{},\"_page\":{},\"_tag\":{},",
            serde_json::to_string(&r.source.label()).unwrap_or_default(),
            r.row.pgno,
            r.row.tag
        );
        let line = json_row(names, &r.row, &extra);
        let sep = if count == 0 { "\n" } else { ",\n" };
        count += 1;
        tally.findings.extend(table.row_findings(&r.row));
        if let Err(e) = out.write_all(sep.as_bytes()).and_then(|()| out.write_all(line.as_bytes())) {
            failure = Some(e);
        }
    };
    if dropped {
        table.dropped_rows(&mut each);
    } else {
        table.recovered(&mut each);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(count),
    }
}

fn write_json_table(
    out: &mut dyn Write,
    table: &Table<'_>,
    options: Options,
    first: bool,
) -> io::Result<Tally> {
    let deleted = options.deleted;
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
        "\n{{\"name\":{},\"objid\":{},\"pgno_fdp\":{},{}\"columns\":{},\"rows\":[",
        serde_json::to_string(&table.def.table.name)?,
        table.def.table.id,
        table.def.table.coltyp_or_pgno_fdp,
        if options.dropped { "\"dropped\":true," } else { "" },
        serde_json::to_string(&columns)?
    )?;
    let mut tally = Tally { findings: Vec::new(), rows: 0 };
    let mut failure = None;
    let walk = table.rows(deleted, |row: Row| {
        // a dropped table has no live rows: what it still holds is recovered
        if failure.is_some() || options.dropped {
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
    tally.findings.extend(walk.findings.iter().cloned());
    if options.recovered {
        let count = write_json_recovered(out, table, &names, &mut tally, options.dropped)?;
        write!(out, "\n],\"recovered_count\":{count}")?;
    } else {
        write!(out, "\n]")?;
    }
    write!(
        out,
        ",\"row_count\":{},\"unreadable_pages\":{},\"corrected_pages\":{},\"findings\":{}}}",
        tally.rows,
        serde_json::to_string(&walk.missing)?,
        serde_json::to_string(&walk.corrected)?,
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

/// What to add to the live rows.
#[derive(Debug, Clone, Copy)]
struct Options {
    deleted: bool,
    recovered: bool,
    /// The table is a dropped one (flag-deleted catalog rows).
    dropped: bool,
}

fn write_csv_table(out: &mut dyn Write, table: &Table<'_>, options: Options) -> io::Result<Tally> {
    let deleted = options.deleted;
    let mut csv = csv::WriterBuilder::new().from_writer(out);
    let mut header: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    if deleted {
        header.insert(0, "_deleted");
    }
    if options.recovered {
        header.splice(0..0, ["_source", "_page", "_tag"]);
    }
    csv.write_record(&header).map_err(csv_io)?;
    let mut tally = Tally { findings: Vec::new(), rows: 0 };
    let mut failure = None;
    let walk = table.rows(deleted, |row: Row| {
        if failure.is_some() || options.dropped {
            return;
        }
        let mut fields: Vec<String> = row.values.iter().map(|v| v.to_text()).collect();
        if deleted {
            fields.insert(0, row.deleted.to_string());
        }
        if options.recovered {
            fields.splice(0..0, ["live".to_string(), row.pgno.to_string(), row.tag.to_string()]);
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
    if options.recovered {
        let mut each = |r: RecoveredRow| {
            if failure.is_some() {
                return;
            }
            let mut fields = vec![r.source.label(), r.row.pgno.to_string(), r.row.tag.to_string()];
            fields.extend(r.row.values.iter().map(|v| v.to_text()));
            tally.findings.extend(table.row_findings(&r.row));
            if let Err(e) = csv.write_record(&fields) {
                failure = Some(e);
            }
        };
        if options.dropped {
            table.dropped_rows(&mut each);
        } else {
            table.recovered(&mut each);
        }
        if let Some(e) = failure {
            return Err(csv_io(e));
        }
    }
    csv.flush()?;
    tally.findings.extend(walk.findings);
    Ok(tally)
}

/// `esescope export FILE [TABLE]`.
///
/// # Errors
/// The file cannot be opened, the table does not exist, CSV was asked for
/// every table, or the output cannot be written.
pub fn export(args: &ExportArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
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
                "CSV holds one table: name it (see `esescope tables`), or use --format json for every table"
                    .into(),
            )),
            None => catalog.tables.iter().collect(),
        };
    let mut findings = catalog.walk.findings.clone();
    let options = Options { deleted: args.deleted, recovered: args.recovered, dropped: false };

    match args.format {
        ExportFormat::Csv => {
            for def in &chosen {
                let tally = write_csv_table(out, &Table::new(&db, &catalog, def), options)?;
                findings.extend(tally.findings);
            }
            // one CSV holds one table: a dropped one only when no live table has its name
            for def in dropped.iter().filter(|_| chosen.is_empty()) {
                let options = Options { dropped: true, ..options };
                let tally = write_csv_table(out, &Table::new(&db, &catalog, def), options)?;
                findings.extend(tally.findings);
            }
        }
        ExportFormat::Json => {
            write!(
                out,
                "{{\"file\":{},\"tables\":[",
                serde_json::to_string(&args.file.display().to_string()).map_err(io::Error::from)?
            )?;
            for (i, def) in chosen.iter().enumerate() {
                let tally = write_json_table(out, &Table::new(&db, &catalog, def), options, i == 0)?;
                findings.extend(tally.findings);
            }
            for (i, def) in dropped.iter().enumerate() {
                let options = Options { dropped: true, ..options };
                let first = chosen.is_empty() && i == 0;
                let tally = write_json_table(out, &Table::new(&db, &catalog, def), options, first)?;
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
