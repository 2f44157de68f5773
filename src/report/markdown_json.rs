//! Markdown made from a command's JSON document, for the commands whose
//! documents are trees of records (log sets, logs, checkpoints, trees, the
//! catalog, recovery plans and reports, repair reports, exports): every
//! field of the JSON appears, as headings and tables, never as a code
//! block. Objects become a heading and a field table; lists of records
//! become tables (one column per field); small records (a log position, a
//! signature) are written inline in one cell.

use std::io::{self, Write};

use serde_json::{Map, Value};

use super::markdown::cell;

/// Fields of a record small enough to write in one cell.
const INLINE_FIELDS: usize = 6;
/// Items of a list of small records still written in one cell.
const INLINE_ITEMS: usize = 4;

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn is_small_record(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.len() <= INLINE_FIELDS && m.values().all(|x| is_scalar(x) || scalar_list(x)),
        _ => false,
    }
}

fn scalar_list(v: &Value) -> bool {
    matches!(v, Value::Array(items) if items.iter().all(is_scalar))
}

/// True when `v` fits in one table cell.
fn inline(v: &Value) -> bool {
    match v {
        Value::Array(items) => {
            items.iter().all(is_scalar) || (items.len() <= INLINE_ITEMS && items.iter().all(is_small_record))
        }
        Value::Object(_) => is_small_record(v),
        _ => true,
    }
}

/// `v` as cell text.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        // strings come from the evidence: shown as they are, never as markup
        Value::String(s) => crate::sanitize::markdown_text(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => {
            let sep = if items.iter().all(is_scalar) { ", " } else { "; " };
            items.iter().map(text).collect::<Vec<_>>().join(sep)
        }
        Value::Object(m) => match lgpos(m) {
            Some(position) => position,
            None => m.iter().map(|(k, x)| format!("{k} {}", text(x))).collect::<Vec<_>>().join(", "),
        },
    }
}

/// A log position written as everywhere else: `(0xGEN,ISEC,IB)`.
fn lgpos(m: &Map<String, Value>) -> Option<String> {
    if m.len() != 3 {
        return None;
    }
    let [generation, isec, ib] = ["generation", "isec", "ib"].map(|k| m.get(k).and_then(Value::as_i64));
    Some(format!("({:#X},{:X},{:X})", generation?, isec?, ib?))
}

fn heading(out: &mut dyn Write, level: usize, title: &str) -> io::Result<()> {
    writeln!(out, "{} {}", "#".repeat(level.clamp(1, 6)), cell(title))?;
    writeln!(out)
}

fn table(out: &mut dyn Write, head: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let head: Vec<String> = head.iter().map(|h| cell(h)).collect();
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", head.iter().map(|_| "---|").collect::<String>())?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)
}

/// A title for item `index` of a list: its name, path or first text field.
fn item_title(key: &str, index: usize, item: &Value) -> String {
    let named = ["name", "path", "file", "table"].iter().find_map(|k| match item.get(*k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(v @ Value::Object(_)) => v.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    });
    match named {
        Some(name) => format!("{key} {}: {name}", index + 1),
        None => format!("{key} {}", index + 1),
    }
}

fn list(out: &mut dyn Write, level: usize, key: &str, items: &[Value]) -> io::Result<()> {
    heading(out, level, &format!("{key} ({})", items.len()))?;
    let rows_fit = items.iter().all(|i| match i {
        Value::Object(m) => m.values().all(inline),
        other => inline(other),
    });
    if rows_fit {
        let mut columns: Vec<String> = Vec::new();
        for item in items {
            match item {
                Value::Object(m) => {
                    for k in m.keys() {
                        if !columns.contains(k) {
                            columns.push(k.clone());
                        }
                    }
                }
                _ => {
                    if !columns.iter().any(|c| c == "value") {
                        columns.push("value".into());
                    }
                }
            }
        }
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| match item {
                Value::Object(m) => columns.iter().map(|c| m.get(c).map_or(String::new(), text)).collect(),
                other => vec![text(other)],
            })
            .collect();
        return table(out, &columns, &rows);
    }
    for (i, item) in items.iter().enumerate() {
        value(out, level + 1, &item_title(key, i, item), item)?;
    }
    Ok(())
}

fn object(out: &mut dyn Write, level: usize, title: &str, map: &Map<String, Value>) -> io::Result<()> {
    heading(out, level, title)?;
    let fields: Vec<Vec<String>> =
        map.iter().filter(|(_, v)| inline(v)).map(|(k, v)| vec![k.clone(), text(v)]).collect();
    if !fields.is_empty() {
        table(out, &["Field".into(), "Value".into()], &fields)?;
    }
    for (k, v) in map.iter().filter(|(_, v)| !inline(v)) {
        value(out, level + 1, k, v)?;
    }
    Ok(())
}

fn value(out: &mut dyn Write, level: usize, title: &str, v: &Value) -> io::Result<()> {
    match v {
        Value::Object(m) => object(out, level, title, m),
        Value::Array(items) => list(out, level, title, items),
        other => {
            heading(out, level, title)?;
            table(out, &["Value".into()], &[vec![text(other)]])
        }
    }
}

/// Writes `document` (any serializable value) as Markdown under a level-2
/// heading `title`.
///
/// # Errors
/// Any error writing to `out`, or a document that is not JSON-shaped.
pub fn render<T: serde::Serialize>(out: &mut dyn Write, title: &str, document: &T) -> io::Result<()> {
    let v = serde_json::to_value(document).map_err(io::Error::other)?;
    value(out, 2, title, &v)
}

/// Writes the aligned `Label:   value` lines of a text summary (as
/// `info` prints it) as a field table under a level-2 heading; lines
/// continuing a value join it, other lines (warnings) become a list.
///
/// # Errors
/// Any error writing to `out`.
pub fn summary(out: &mut dyn Write, title: &str, text: &str) -> io::Result<()> {
    heading(out, 2, title)?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut notes = Vec::new();
    for line in text.lines() {
        let labelled = line.split_once(':').filter(|(label, rest)| {
            !label.starts_with(' ') && !label.contains(' ') || rest.starts_with("  ")
        });
        match (labelled, rows.last_mut()) {
            (_, Some(last)) if line.starts_with(' ') && !line.trim().is_empty() => {
                last[1].push(' ');
                last[1].push_str(line.trim());
            }
            (Some((label, value)), _) if !matches!(label, "warning" | "error" | "info") => {
                rows.push(vec![label.to_string(), value.trim().to_string()]);
            }
            _ if !line.trim().is_empty() => notes.push(line.trim().to_string()),
            _ => {}
        }
    }
    if !rows.is_empty() {
        table(out, &["Field".into(), "Value".into()], &rows)?;
    }
    for note in notes {
        writeln!(out, "- {}", cell(&note))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_headings_and_tables_with_every_field() {
        let doc = serde_json::json!({
            "file": "a|b",
            "start": { "generation": 1, "isec": 2, "ib": 0 },
            "logs": [ { "path": "edb.log", "size": 4096 }, { "path": "x.log", "note": "tmp" } ],
            "segments": [ { "isec": 1 }, { "isec": 2 }, { "isec": 3 }, { "isec": 4 }, { "isec": 5, "state": "empty" } ],
            "missing": [],
            "copies": [ { "copy": 0, "attached": [ { "dbid": 1, "lgpos": { "generation": 1 } } ],
                          "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6 } ],
        });
        let mut out = Vec::new();
        render(&mut out, "Log set", &doc).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(md.starts_with("## Log set\n"), "{md}");
        assert!(md.contains("| file | a\\|b |"), "{md}");
        assert!(md.contains("| start | (0x1,2,0) |"), "{md}");
        assert!(md.contains("| missing | none |"), "{md}");
        // a few small records fit in one cell; more become a table
        assert!(md.contains("| logs | path edb.log, size 4096; note tmp, path x.log |"), "{md}");
        assert!(md.contains("### segments (5)\n\n| isec | state |"), "{md}");
        assert!(md.contains("| 1 |  |") && md.contains("| 5 | empty |"), "{md}");
        assert!(md.contains("#### copies 1"), "{md}");
        assert!(!md.contains("```"), "{md}");
    }
}
