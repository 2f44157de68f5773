//! Text and Markdown renderings of the history's events
//! ([`crate::history`]), one event at a time so the history streams. JSON
//! comes from the same structures through serde. Every string from the
//! evidence (table and column names, values) goes through the sanitizer.

use std::io::{self, Write};

use crate::history::{Event, Summary, Values};
use crate::sanitize::{markdown_text, visible};

fn shown(value: &crate::format::value::Value) -> String {
    visible(&value.to_text()).into_owned()
}

fn head(event: &Event) -> String {
    format!(
        "{} {} [{}] {} · {} · table {} · page {} line {} · session {:#x} trx {:#x} level {}",
        event.lgpos,
        visible(&event.file),
        event.created,
        event.operation.word(),
        event.outcome.word(),
        visible(&event.table),
        event.pgno,
        event.iline,
        event.procid,
        event.trx,
        event.level
    )
}

/// The non-NULL columns of `after` the event did not change.
fn unchanged<'a>(
    event: &'a Event,
    after: &'a Values,
) -> impl Iterator<Item = (&'a str, &'a crate::format::value::Value)> {
    after.non_null().filter(|(n, _)| !event.changed.iter().any(|c| c == n))
}

/// The changed columns of a replace whose two images are known: (column,
/// old value, new value) as shown; none otherwise.
fn changes(event: &Event) -> Vec<(&str, String, String)> {
    let (Some(before), Some(after)) = (&event.before, &event.values) else { return Vec::new() };
    let shown_of = |row: &Values, name: &str| row.get(name).map(shown).unwrap_or_default();
    event.changed.iter().map(|name| (name.as_str(), shown_of(before, name), shown_of(after, name))).collect()
}

/// Writes one event as text: a heading line, the key and where the row
/// stands now, then the row's values (non-null columns), or the changed
/// columns with old and new values.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_event(out: &mut dyn Write, event: &Event) -> io::Result<()> {
    writeln!(out, "{}", head(event))?;
    writeln!(out, "    key {} · now: {}", event.key.as_deref().unwrap_or("not known"), event.now.word())?;
    if let Some(note) = &event.note {
        writeln!(out, "    ({})", visible(note))?;
    }
    let changes = changes(event);
    match (&event.before, &event.values) {
        (Some(_), Some(after)) if !changes.is_empty() => {
            for (name, old, new) in &changes {
                writeln!(out, "    {}: {old} -> {new}", visible(name))?;
            }
            for (name, value) in unchanged(event, after) {
                writeln!(out, "    {} = {} (unchanged)", visible(name), shown(value))?;
            }
        }
        (_, Some(after)) => {
            for (name, value) in after.non_null() {
                writeln!(out, "    {} = {}", visible(name), shown(value))?;
            }
        }
        (Some(before), None) => {
            for (name, value) in before.non_null() {
                writeln!(out, "    {} was {}", visible(name), shown(value))?;
            }
        }
        (None, None) => {}
    }
    for error in &event.errors {
        writeln!(out, "    cannot decode: {}", visible(error))?;
    }
    Ok(())
}

/// The Markdown table's heading.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_markdown_heading(out: &mut dyn Write, database: &str, logs: &str) -> io::Result<()> {
    writeln!(out, "# History of {}\n", markdown_text(database))?;
    writeln!(out, "Logs: {}\n", markdown_text(logs))?;
    writeln!(out, "| LGPOS | log file (created) | operation | outcome | table | page:line | session, trx, level | key | now | values |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")
}

/// One event as a row of the Markdown table.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_markdown_event(out: &mut dyn Write, event: &Event) -> io::Result<()> {
    let changes = changes(event);
    let values = match (&event.before, &event.values) {
        (Some(_), Some(after)) if !changes.is_empty() => changes
            .iter()
            .map(|(name, old, new)| format!("{name}: {old} → {new}"))
            .chain(unchanged(event, after).map(|(n, v)| format!("{n} = {}", shown(v))))
            .collect::<Vec<_>>(),
        (_, Some(v)) | (Some(v), None) => v.non_null().map(|(n, v)| format!("{n} = {}", shown(v))).collect(),
        (None, None) => Vec::new(),
    };
    let values: Vec<String> = event
        .note
        .iter()
        .cloned()
        .chain(values)
        .chain(event.errors.iter().map(|e| format!("cannot decode: {e}")))
        .collect();
    writeln!(
        out,
        "| {} | {} ({}) | {} | {} | {} | {}:{} | {:#x}, {:#x}, {} | {} | {} | {} |",
        event.lgpos,
        markdown_text(&event.file),
        event.created,
        serde_json::to_value(event.operation)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        serde_json::to_value(event.outcome)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        markdown_text(&event.table),
        event.pgno,
        event.iline,
        event.procid,
        event.trx,
        event.level,
        event.key.as_deref().unwrap_or("not known"),
        serde_json::to_value(event.now).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        markdown_text(&values.join("; "))
    )
}

/// Writes what the history went through, as text (or Markdown with `md`).
///
/// # Errors
/// Any error writing to `out`.
pub fn write_summary(out: &mut dyn Write, summary: &Summary, md: bool) -> io::Result<()> {
    let gens = match (summary.generations.first(), summary.generations.last()) {
        (Some(a), Some(b)) => format!("generations {a:#X} to {b:#X}"),
        _ => "no generation".to_string(),
    };
    let lines = [
        format!("{} events from {gens} ({} inserts)", summary.events, summary.inserts),
        format!("{} events whose row is absent from the database now", summary.absent),
        format!(
            "{} events whose key is not known (page content before the log not available)",
            summary.unknown_key
        ),
        format!(
            "{} events not committed (rolled back, or open at the end of the log)",
            summary.not_committed
        ),
        format!(
            "{} operations on long-value trees, secondary indexes and space trees",
            summary.tree_operations
        ),
        format!("{} node records of trees the catalog does not name", summary.unknown_trees),
        format!("{} values that could not be decoded", summary.decoding_errors),
    ];
    if md {
        writeln!(out, "\n## Summary\n")?;
    } else {
        writeln!(out, "\nSummary:")?;
    }
    for line in lines {
        writeln!(out, "{} {line}", if md { "-" } else { " " })?;
    }
    if summary.cancelled {
        writeln!(out, "{} cancelled: the history stops early", if md { "-" } else { " " })?;
    }
    for finding in &summary.findings {
        let text = finding.to_string();
        if md {
            writeln!(out, "- **{}**", markdown_text(&text))?;
        } else {
            writeln!(out, "  {}", visible(&text))?;
        }
    }
    Ok(())
}
