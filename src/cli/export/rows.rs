//! One row as bytes of each export format, appended to a buffer: the
//! pieces of an export are rendered on several threads and written in
//! order by the caller.

use crate::format::value::Value;
use crate::store::table::Row;

/// The JSON names of a table's columns, quoted once.
pub(super) fn quoted_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    names.map(|n| serde_json::to_string(n).unwrap_or_else(|_| "\"\"".into())).collect()
}

fn value_json(line: &mut Vec<u8>, value: &Value) {
    if serde_json::to_writer(&mut *line, value).is_err() {
        line.extend_from_slice(b"null");
    }
}

/// Where a row came from, for the rows `--recovered` adds: its `_source`
/// (`live`, `flag-deleted`, `orphan page N`, `slack page N offset 0xX`),
/// written with its `_page` and `_tag` (none for a slack remnant: no tag
/// points at it, and tag 0 never holds a record).
pub(super) type Source<'a> = Option<&'a str>;

/// The tag of a row, none for a slack remnant (which [`Row::tag`] gives as 0).
fn tag_of(row: &Row) -> Option<u16> {
    (row.tag != 0).then_some(row.tag)
}

fn source_json(line: &mut Vec<u8>, row: &Row, label: &str) {
    line.extend_from_slice(b"\"_source\":");
    value_json(line, &Value::Text(label.to_string()));
    let tag = tag_of(row).map_or_else(|| "null".to_string(), |t| t.to_string());
    line.extend_from_slice(format!(",\"_page\":{},\"_tag\":{tag}", row.pgno).as_bytes());
}

/// A row of the JSON document: `,\n{...}` (the caller drops the comma of
/// a table's first row): its source (when given), `_deleted` (when
/// `deleted`), then every column.
pub(super) fn json_row(line: &mut Vec<u8>, names: &[String], row: &Row, deleted: bool, source: Source<'_>) {
    line.extend_from_slice(b",\n{");
    if let Some(label) = source {
        source_json(line, row, label);
        line.push(b',');
    }
    if deleted {
        line.extend_from_slice(if row.deleted { b"\"_deleted\":true," } else { b"\"_deleted\":false," });
    }
    for (i, (name, value)) in names.iter().zip(&row.values).enumerate() {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(name.as_bytes());
        line.push(b':');
        value_json(line, value);
    }
    line.push(b'}');
}

/// A row as a JSON Lines object: `_table` (when `table_name` is given),
/// `_deleted` (when `deleted`), then every column whose value is not null,
/// by name.
pub(super) fn jsonl_row(
    line: &mut Vec<u8>,
    table_name: Option<&str>,
    names: &[String],
    row: &Row,
    deleted: bool,
    source: Source<'_>,
) {
    line.push(b'{');
    let mut first = true;
    let mut sep = |line: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            line.push(b',');
        }
    };
    if let Some(name) = table_name {
        sep(line);
        line.extend_from_slice(b"\"_table\":");
        line.extend_from_slice(name.as_bytes());
    }
    if let Some(label) = source {
        sep(line);
        source_json(line, row, label);
    }
    if deleted {
        sep(line);
        line.extend_from_slice(if row.deleted { b"\"_deleted\":true" } else { b"\"_deleted\":false" });
    }
    for (name, value) in names.iter().zip(&row.values) {
        if matches!(value, Value::Null) {
            continue;
        }
        sep(line);
        line.extend_from_slice(name.as_bytes());
        line.push(b':');
        value_json(line, value);
    }
    line.extend_from_slice(b"}\n");
}

/// A row as a CSV record: `_deleted` first (when `deleted`), then every
/// column as text.
pub(super) fn csv_row<W: std::io::Write>(
    csv: &mut csv::Writer<W>,
    row: &Row,
    deleted: bool,
    source: Source<'_>,
) -> csv::Result<()> {
    if let Some(label) = source {
        csv.write_field(label)?;
        csv.write_field(row.pgno.to_string())?;
        csv.write_field(tag_of(row).map_or_else(String::new, |t| t.to_string()))?;
    }
    if deleted {
        csv.write_field(if row.deleted { "true" } else { "false" })?;
    }
    for value in &row.values {
        match value {
            Value::Null => csv.write_field("")?,
            other => csv.write_field(other.to_text())?,
        }
    }
    csv.write_record(None::<&[u8]>)
}
