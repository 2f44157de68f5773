//! Where a bit the ECC located lies, in the words a reader uses: the page
//! header field, or the tag, node, record and column, with the value as
//! stored beside the value with the bit flipped back. `page`, `report`
//! and the inspector's page and checksum views all show these.

use serde::Serialize;

use crate::format::node::node;
use crate::format::page::{Page, PageFlags, PageHeader};
use crate::format::record::{Record, RecordPart};
use crate::format::tag::{NodeFlags, Tag};
use crate::format::types::le_u16;
use crate::format::value::Value;
use crate::format::verdict::{FlipKind, FlippedBit, PageCheck, Verdict};
use crate::format::{PageNumber, PageSize};
use crate::sanitize::visible;
use crate::store::catalog::Catalog;
use crate::store::table::Table;
use crate::store::Database;

/// A header field holding a flipped bit that ECC located: what it says,
/// and what it said before the flip.
#[derive(Debug, Clone, Serialize)]
pub struct FlippedField {
    /// The field's name (`dbtimeDirtied`).
    pub name: &'static str,
    /// Its offset in the page.
    pub offset: usize,
    /// Page offset of the flipped byte.
    pub byte_offset: usize,
    /// The flipped bit (0 = least significant).
    pub bit: u8,
    /// The value as stored.
    pub stored: String,
    /// The value with the bit flipped back.
    pub corrected: String,
}

/// The page with every located bit flipped back.
fn corrected_bytes(bytes: &[u8], bits: &[FlippedBit]) -> Vec<u8> {
    let mut fixed = bytes.to_vec();
    for bit in bits {
        if let Some(b) = fixed.get_mut(bit.offset) {
            *b ^= 1 << bit.bit;
        }
    }
    fixed
}

/// The header fields holding a data bit ECC located in `bytes`.
pub(crate) fn flipped_fields(bytes: &[u8], size: PageSize, check: &PageCheck) -> Vec<FlippedField> {
    let Verdict::Correctable { bits, .. } = &check.verdict else { return Vec::new() };
    let stored = PageHeader::fields(bytes, size);
    let corrected = PageHeader::fields(&corrected_bytes(bytes, bits), size);
    bits.iter()
        .filter(|b| b.kind == FlipKind::Data)
        .filter_map(|bit| {
            let (i, field) = stored
                .iter()
                .enumerate()
                .find(|(_, f)| (f.offset..f.offset + f.len).contains(&bit.offset))?;
            // the stored checksum is not a field whose value a reader uses
            (field.name != "checksum").then(|| FlippedField {
                name: field.name,
                offset: field.offset,
                byte_offset: bit.offset,
                bit: bit.bit,
                stored: field.value.to_string(),
                corrected: corrected.get(i).map_or_else(String::new, |f| f.value.to_string()),
            })
        })
        .collect()
}

/// The column a flipped bit belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct FlippedColumn {
    /// Column id.
    pub id: u32,
    /// Its name in the catalog.
    pub name: String,
    /// Its type (`Text`, `DateTime`, ...).
    pub coltyp: &'static str,
}

/// A bit of the data area (after the page header) that ECC located: the
/// tag and node it is in, and inside a record the column, with the value
/// as stored and as corrected.
#[derive(Debug, Clone, Serialize)]
pub struct FlippedData {
    /// Page offset of the flipped byte.
    pub byte_offset: usize,
    /// The flipped bit (0 = least significant).
    pub bit: u8,
    /// The tag whose data or tag-array entry holds the byte, if any.
    pub tag: Option<u16>,
    /// The line (node) of that tag, for tags past the reserved ones.
    pub line: Option<u16>,
    /// What the byte is, in words: a node or record part ("cbSuffix, the
    /// length of the key suffix", "the value", "the null bit") — of
    /// `column`, when there is one.
    pub part: String,
    /// The table whose record it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The column it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<FlippedColumn>,
    /// Offset of the byte in the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_offset: Option<usize>,
    /// The column's value as stored (around the flipped bit when long).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    /// The value with the bit flipped back (the same excerpt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected: Option<String>,
}

impl FlippedData {
    /// Where the bit is, in one line, evidence made visible: "line 3 (tag
    /// 4) of table people, the value of column Name (id 128, Text) at
    /// record offset 0x1f".
    pub fn location(&self) -> String {
        let mut text = match (self.tag, self.line) {
            (Some(tag), Some(line)) => format!("line {line} (tag {tag})"),
            (Some(tag), None) => format!("tag {tag}"),
            _ => String::new(),
        };
        if let Some(table) = &self.table {
            text.push_str(&format!(" of table {}", visible(table)));
        }
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&visible(&self.part));
        if let Some(c) = &self.column {
            text.push_str(&format!(" of column {} (id {}, {})", visible(&c.name), c.id, c.coltyp));
        }
        if let Some(at) = self.record_offset {
            text.push_str(&format!(" at record offset {at:#x}"));
        }
        text
    }

    /// The stored and corrected values, made visible: `stored "Cedar",
    /// corrected "cedar"`; empty when the bit is not in a value.
    pub fn values(&self) -> String {
        match (&self.stored, &self.corrected) {
            (Some(s), Some(c)) => format!("stored {}, corrected {}", self.shown(s), self.shown(c)),
            _ => String::new(),
        }
    }

    /// A value of this bit's column made visible, text in double quotes
    /// (so that spaces and an empty text show).
    pub fn shown(&self, value: &str) -> String {
        let text = self.column.as_ref().is_some_and(|c| matches!(c.coltyp, "Text" | "LongText"));
        if text {
            format!("\"{}\"", visible(value))
        } else {
            visible(value).into_owned()
        }
    }

    /// The whole sentence of text renderings.
    pub fn sentence(&self) -> String {
        let values = self.values();
        let values = if values.is_empty() { String::new() } else { format!(": {values}") };
        format!(
            "the flipped bit (byte {:#x} bit {}) is in {}{values}",
            self.byte_offset,
            self.bit,
            self.location()
        )
    }
}

/// Values longer than this are shown as the part around the difference.
const EXCERPT: usize = 80;

/// The stored and corrected texts, cut around their first difference when long.
fn excerpt(stored: &str, corrected: &str) -> (String, String) {
    let (s, c): (Vec<char>, Vec<char>) = (stored.chars().collect(), corrected.chars().collect());
    if s.len() <= EXCERPT && c.len() <= EXCERPT {
        return (stored.to_string(), corrected.to_string());
    }
    let first = s.iter().zip(&c).position(|(a, b)| a != b).unwrap_or(s.len().min(c.len()));
    let start = first.saturating_sub(EXCERPT / 2);
    let cut = |v: &[char]| {
        let end = (start + EXCERPT).min(v.len());
        let mut out: String = v.get(start..end).unwrap_or_default().iter().collect();
        if start > 0 {
            out.insert(0, '…');
        }
        if end < v.len() {
            out.push('…');
        }
        out
    };
    (cut(&s), cut(&c))
}

/// A value as the reader sees it: NULL named.
fn value_text(value: &Value) -> String {
    if value.is_null() {
        "NULL".into()
    } else {
        value.to_text()
    }
}

/// The data-area bits ECC located in page `pgno` (`bytes` as stored),
/// each with what holds it. The catalog is read only when a bit lies in a
/// record.
pub(crate) fn flipped_data(
    db: &Database,
    pgno: PageNumber,
    bytes: &[u8],
    check: &PageCheck,
) -> Vec<FlippedData> {
    let Verdict::Correctable { bits, .. } = &check.verdict else { return Vec::new() };
    let size = db.page_size();
    let header_len = size.header_len();
    let data_bits: Vec<&FlippedBit> =
        bits.iter().filter(|b| b.kind == FlipKind::Data && b.offset >= header_len).collect();
    if data_bits.is_empty() {
        return Vec::new();
    }
    let fixed = corrected_bytes(bytes, bits);
    let (Ok(raw), Ok(good)) = (Page::parse(bytes, pgno, size), Page::parse(&fixed, pgno, size)) else {
        return Vec::new();
    };
    let flags = good.header.flags;
    let records = flags.contains(PageFlags::LEAF)
        && !flags.contains(PageFlags::INDEX)
        && !flags.contains(PageFlags::LONG_VALUE)
        && !flags.contains(PageFlags::SPACE_TREE);
    let catalog = records.then(|| Catalog::read(db));
    let def = catalog
        .as_ref()
        .and_then(|c| c.tables.iter().find(|t| t.table.id == good.header.objid_fdp.0).map(|d| (c, d)));
    let table = def.map(|(catalog, def)| Table::new(db, catalog, def));
    data_bits.into_iter().map(|bit| locate(bit, &raw, &good, table.as_ref())).collect()
}

/// What holds one located bit.
fn locate(bit: &FlippedBit, raw: &Page<'_>, good: &Page<'_>, table: Option<&Table<'_>>) -> FlippedData {
    let size = good.size;
    let at = bit.offset;
    let mut found = FlippedData {
        byte_offset: at,
        bit: bit.bit,
        tag: None,
        line: None,
        part: "free space: no tag uses the byte, so nothing reads it".into(),
        table: None,
        column: None,
        record_offset: None,
        stored: None,
        corrected: None,
    };
    let tags = good.header.tag_count;
    let reserved = good.header.ctag_reserved();
    let holder = (0..tags).find_map(|index| {
        if (Tag::entry_offset(index, size)..Tag::entry_offset(index, size) + 4).contains(&at) {
            return Some((index, true));
        }
        let tag = good.tag(index).ok()?;
        tag.page_range(size).contains(&at).then_some((index, false))
    });
    let Some((index, entry)) = holder else { return found };
    found.tag = Some(index);
    found.line = index.checked_sub(reserved).filter(|_| index > 0);
    if entry {
        found.part = "its entry in the tag array (size, offset and flags)".into();
        return found;
    }
    let Some(line) = found.line else {
        found.part = if index == 0 { "the external header".into() } else { "a reserved tag".into() };
        return found;
    };
    let n = match node(good, line) {
        Ok(n) => n,
        Err(e) => {
            found.part = format!("a node that cannot be decoded ({e})");
            return found;
        }
    };
    let start = good.tag(index).map_or(at, |t| t.page_range(size).start);
    let sizes = if n.flags.contains(NodeFlags::COMPRESSED) { 4 } else { 2 };
    if at < n.data_offset {
        let field = match at - start {
            0 | 1 if sizes == 4 => {
                Some((start, "cbPrefix, the number of key bytes taken from the page prefix"))
            }
            r if r < sizes => Some((start + sizes - 2, "cbSuffix, the length of the key suffix")),
            _ => None,
        };
        let Some((field_at, name)) = field else {
            found.part = "the key suffix".into();
            return found;
        };
        // on large pages the top 3 bits of the first size are the node flags (spec 7.1)
        if size.is_large() && at == start + 1 && bit.bit >= 5 {
            found.part = "the node flags (the top 3 bits of the first key size)".into();
            return found;
        }
        found.part = name.into();
        // the 13-bit size as stored and as corrected (the top bits are flags)
        let size_at = |bytes: &[u8]| le_u16(bytes, field_at).map(|v| (v & 0x1FFF).to_string());
        found.stored = size_at(raw.bytes);
        found.corrected = size_at(good.bytes);
        return found;
    }
    let flags = good.header.flags;
    found.part = if !flags.contains(PageFlags::LEAF) {
        "the data of an internal node (the child page number)".into()
    } else if flags.contains(PageFlags::INDEX) {
        "the data of an index entry (the primary key it points to)".into()
    } else if flags.contains(PageFlags::LONG_VALUE) {
        "the data of a long-value node".into()
    } else if flags.contains(PageFlags::SPACE_TREE) {
        "the data of a space-tree node".into()
    } else {
        "the record (its table is not in the catalog)".into()
    };
    let Some(table) = table else { return found };
    let offset = at - n.data_offset;
    found.table = Some(table.def.table.name.clone());
    found.record_offset = Some(offset);
    let record = match Record::parse(n.data, table.layout(good)) {
        Ok(record) => record,
        Err(e) => {
            found.part = format!("a record that cannot be decoded ({e})");
            return found;
        }
    };
    let part = record.part_at(offset);
    found.part = match part {
        RecordPart::Header(name) => format!("record header field {name}"),
        RecordPart::FixedData | RecordPart::VariableData(_) | RecordPart::TaggedData { .. } => {
            "the value".into()
        }
        RecordPart::NullBitmap { .. } => "the null bit".into(),
        RecordPart::VariableOffset(_) => "the end offset in the variable offsets".into(),
        RecordPart::TaggedEntry { .. } => "the TAGFLD entry".into(),
        RecordPart::Unknown => "the record, past its columns".into(),
    };
    let Some(index) = table.column_at(&record, offset, bit.bit) else {
        if !matches!(part, RecordPart::Header(_) | RecordPart::Unknown) {
            found.part = "a column the catalog does not list".into();
        }
        return found;
    };
    let Some(column) = table.columns.get(index) else { return found };
    found.column = Some(FlippedColumn {
        id: column.id,
        name: column.name.clone(),
        coltyp: crate::format::catalog::coltyp_name(column.coltyp.0),
    });
    let corrected = table.row(good, &n).values.get(index).map(value_text).unwrap_or_default();
    let stored = match node(raw, line) {
        Ok(raw_node) => table.row(raw, &raw_node).values.get(index).map(value_text).unwrap_or_default(),
        Err(e) => format!("(the node cannot be decoded: {e})"),
    };
    let (stored, corrected) = excerpt(&stored, &corrected);
    found.stored = Some(stored);
    found.corrected = Some(corrected);
    found
}
