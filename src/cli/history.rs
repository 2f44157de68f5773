//! `history`: every row-level operation of a log set decoded into the
//! rows of its table, with its transaction's outcome and where the row
//! stands in the database now; streamed as the generations are read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::database::stderr_progress;
use super::output::{safe_rendering, Format};
use super::FilePath;
use crate::format::Lgpos;
use crate::history::{self, Event, Filter};
use crate::report::history::{write_event, write_markdown_event, write_markdown_heading, write_summary};
use crate::store::{Database, ReadMode};
use crate::Error;

/// `history` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// A block per event.
    Text,
    /// A Markdown table.
    Md,
    /// One JSON document: the events, then the summary.
    Json,
    /// One JSON object per event, then one with the summary.
    Jsonl,
    /// One table's events as CSV: the event's fields, then the row's columns.
    Csv,
}

/// `history` arguments.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The database (only read): its catalog names the tables, its rows say
    /// where each event's row stands now.
    pub file: FilePath,
    /// Only this table's events.
    pub table: Option<String>,
    /// The directory of its logs (default: the database's directory).
    #[arg(long, value_name = "DIR")]
    pub logs: Option<FilePath>,
    /// The log base name (edb, SRU…) when the directory holds several sets.
    #[arg(long)]
    pub base: Option<String>,
    /// The first position shown, as esescope prints one: (0x1A,3,1F0).
    #[arg(long, value_name = "LGPOS", value_parser = parse_lgpos)]
    pub from: Option<Lgpos>,
    /// The last position shown.
    #[arg(long, value_name = "LGPOS", value_parser = parse_lgpos)]
    pub to: Option<Lgpos>,
    /// Output format (csv needs a table).
    #[arg(long, value_enum, default_value = "text")]
    pub format: HistoryFormat,
}

/// Parses an LGPOS as printed: `(0xGEN,ISEC,IB)`, every part hexadecimal
/// (`0x` optional; `:` also separates).
///
/// # Errors
/// Not three hexadecimal numbers in range.
pub fn parse_lgpos(text: &str) -> Result<Lgpos, String> {
    let inner = text.trim().trim_start_matches('(').trim_end_matches(')');
    let parts: Vec<&str> = inner.split([',', ':']).map(str::trim).collect();
    let hex = |s: &str| {
        let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
        u64::from_str_radix(digits, 16).map_err(|_| format!("{s:?} is not a hexadecimal number"))
    };
    let [g, s, b] = parts.as_slice() else {
        return Err(format!("{text:?}: an LGPOS is (0xGENERATION,SEGMENT,BYTE), all hexadecimal"));
    };
    let generation = i32::try_from(hex(g)?).map_err(|_| format!("generation {g} is too large"))?;
    let isec = u16::try_from(hex(s)?).map_err(|_| format!("segment {s} is too large"))?;
    let ib = u16::try_from(hex(b)?).map_err(|_| format!("byte {b} is too large"))?;
    Ok(Lgpos { generation, isec, ib })
}

/// One CSV line of `fields` (each shown visibly), quoted by the csv crate
/// as the export's CSV is.
fn csv_line(piece: &mut Vec<u8>, fields: &[String]) -> std::io::Result<()> {
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(piece);
    csv.write_record(fields.iter().map(|f| crate::sanitize::visible(f).into_owned()))?;
    csv.flush()
}

/// Runs `history`.
///
/// # Errors
/// The database or log directory cannot be read; writing fails.
pub fn history(args: &HistoryArgs, mode: ReadMode, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let db = Database::open_with(&args.file, mode)?;
    if args.format == HistoryFormat::Csv && args.table.is_none() {
        return Err(Error::Usage(
            "history --format csv shows one table: name it (esescope history FILE TABLE)".into(),
        ));
    }
    let dir: PathBuf = match &args.logs {
        Some(dir) => dir.clone(),
        None => {
            args.file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf()
        }
    };
    let set =
        super::recovery::find_log_set(&dir, args.base.as_deref(), Some(&db), crate::txlog::Depth::Whole)?;
    let filter = Filter { table: args.table.clone(), from: args.from, to: args.to };
    let format = args.format;
    let guard = |f: HistoryFormat| {
        if matches!(f, HistoryFormat::Json | HistoryFormat::Jsonl) {
            Format::Json
        } else {
            Format::Text
        }
    };
    let mut written = 0usize;
    let mut failure: Option<std::io::Error> = None;
    let mut csv_columns: Option<Vec<String>> = None;
    let mut head = Vec::new();
    match format {
        HistoryFormat::Json => {
            head.extend_from_slice(b"{\"database\":");
            serde_json::to_writer(&mut head, &db.path().display().to_string())
                .map_err(std::io::Error::from)?;
            head.extend_from_slice(b",\"logs\":");
            serde_json::to_writer(&mut head, &set.dir.display().to_string()).map_err(std::io::Error::from)?;
            head.extend_from_slice(b",\"events\":[");
        }
        HistoryFormat::Md => write_markdown_heading(
            &mut head,
            &db.path().display().to_string(),
            &set.dir.display().to_string(),
        )?,
        HistoryFormat::Text => writeln!(
            head,
            "History of {} from the logs in {}",
            crate::sanitize::visible(&db.path().display().to_string()),
            crate::sanitize::visible(&set.dir.display().to_string())
        )?,
        _ => {}
    }
    out.write_all(&safe_rendering(guard(format), head))?;
    let mut on_event = |event: Event| {
        if failure.is_some() {
            return;
        }
        let mut piece = Vec::new();
        let result = match format {
            HistoryFormat::Text => write_event(&mut piece, &event),
            HistoryFormat::Md => write_markdown_event(&mut piece, &event),
            HistoryFormat::Json => {
                if written > 0 {
                    piece.push(b',');
                }
                piece.push(b'\n');
                serde_json::to_writer(&mut piece, &event).map_err(std::io::Error::from)
            }
            HistoryFormat::Jsonl => serde_json::to_writer(&mut piece, &event)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(piece)),
            HistoryFormat::Csv => {
                let columns = csv_columns.get_or_insert_with(|| {
                    let names: Vec<String> =
                        event.row().map(|v| v.0.iter().map(|(n, _)| n.clone()).collect()).unwrap_or_default();
                    let mut header =
                        vec!["lgpos", "file", "created", "trx", "outcome", "operation", "now", "key"]
                            .into_iter()
                            .map(String::from)
                            .collect::<Vec<_>>();
                    header.extend(names.iter().cloned());
                    let _ = csv_line(&mut piece, &header);
                    names
                });
                let mut fields = vec![
                    event.lgpos.to_string(),
                    event.file.clone(),
                    event.created.clone(),
                    format!("{:#x}", event.trx),
                    event.outcome.word().to_string(),
                    event.operation.word().to_string(),
                    event.now.word().to_string(),
                    event.key.clone().unwrap_or_default(),
                ];
                for name in columns.iter() {
                    fields
                        .push(event.row().and_then(|r| r.get(name)).map(|v| v.to_text()).unwrap_or_default());
                }
                csv_line(&mut piece, &fields)
            }
        };
        written += 1;
        if let Err(e) = result.and_then(|()| out.write_all(&safe_rendering(guard(format), piece))) {
            failure = Some(e);
        }
    };
    let mut progress = stderr_progress("history");
    let summary = history::history(&db, &set, &filter, &mut on_event, &mut progress);
    if let Some(e) = failure {
        return Err(e.into());
    }
    let mut tail = Vec::new();
    match format {
        HistoryFormat::Json => {
            tail.extend_from_slice(b"\n],\"summary\":");
            serde_json::to_writer_pretty(&mut tail, &summary).map_err(std::io::Error::from)?;
            tail.extend_from_slice(b"}\n");
        }
        HistoryFormat::Jsonl => {
            tail.extend_from_slice(b"{\"summary\":");
            serde_json::to_writer(&mut tail, &summary).map_err(std::io::Error::from)?;
            tail.extend_from_slice(b"}\n");
        }
        HistoryFormat::Text => write_summary(&mut tail, &summary, false)?,
        HistoryFormat::Md => write_summary(&mut tail, &summary, true)?,
        HistoryFormat::Csv => {
            for finding in &summary.findings {
                eprintln!("esescope: {}", crate::sanitize::one_line(&finding.to_string()));
            }
        }
    }
    out.write_all(&safe_rendering(guard(format), tail))?;
    if let (Some(table), 0) = (&args.table, summary.events) {
        eprintln!(
            "esescope: no event of table {} in the logs read (is the name right? `esescope tables` lists them)",
            crate::sanitize::one_line(table)
        );
    }
    let damaged = !summary.findings.is_empty() || summary.decoding_errors > 0;
    Ok(if damaged { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
