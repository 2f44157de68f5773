//! Record remnants in a page's slack (the bytes no tag covers, see
//! [`crate::format::slack`]): a node whose tag is gone, or whose bytes a
//! reorganisation left behind in the free space, still reads as a key and
//! a record. A candidate is believed only when it decodes cleanly under
//! the table's schema:
//!
//! - a node shape: key sizes, then a record whose header fields fit
//!   (`ibEndOfFixedData` exactly where the table's fixed columns up to
//!   `fidFixedLastInRec` end, `fidVarLastInRec` among the table's variable
//!   columns, variable offsets that never run backwards);
//! - a tagged area (when there is one) whose fields are the table's, in
//!   order, with fixed-size values of their exact size;
//! - every value decoding without error, and no text holding C0 controls
//!   other than NUL, tab and line breaks (overwritten bytes);
//! - a key equal to the normalized key its values give under the primary
//!   index (as far as that can be computed off Windows, spec 11); a table
//!   without primary index takes any non-empty key.
//!
//! Every live record of the real samples passes these checks (a test reads
//! each one from its node's bytes as if they were slack).
//!
//! The places in a run of slack where a node could start (shape and key)
//! are found in one pass; where a remnant ends is not written anywhere: a
//! record without tagged area ends with its variable data, a fixed-size
//! last tagged value ends with its size; otherwise at the next place a node
//! could start, or (in the free space before the tag array) where 8 zero
//! bytes in a row begin, or at the end of the slack.

use std::ops::Range;

use serde::Serialize;

use super::table::{Row, Table};
use crate::format::node::{prefix_source, Node};
use crate::format::page::Page;
use crate::format::record::{ColumnClass, Record, TaggedLayout};
use crate::format::slack::{node_heads, slack_runs};
use crate::format::tag::{NodeFlags, Tag};
use crate::format::types::le_u16;
use crate::format::value::Value;
use crate::format::PageNumber;

/// `TAGFLD_HEADER` bits after which a value's size is not its column's.
const HEADER_NOT_PLAIN: u8 = 0x02 | 0x04 | 0x08 | 0x40;

/// A record found in a page's slack.
#[derive(Debug, Clone, Serialize)]
pub struct Remnant {
    /// Page offset of the node's first byte.
    pub offset: usize,
    /// Bytes of the node: key sizes, key suffix and record.
    pub len: usize,
    /// Page offset of the record.
    pub data_offset: usize,
    /// The node's key (prefix from the page's tag 0, then its suffix).
    #[serde(serialize_with = "hex_key")]
    pub key: Vec<u8>,
    /// The record decoded (its `tag` is 0: no tag points at it).
    pub row: Row,
}

fn hex_key<S: serde::Serializer>(key: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(key))
}

/// What the last value of a record is, for finding where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Bytes of any length.
    Bytes,
    /// UTF-16 text: an even number of bytes.
    Utf16,
    /// A long-value id: 4 or 8 bytes.
    Lid,
}

/// A record's layout as far as its own bytes say.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// The record is at least this long.
    min_end: usize,
    /// Its length, when its header and schema give it.
    exact: Option<usize>,
    /// Otherwise: where its last value starts, and what it is.
    last: (usize, Last),
}

impl Table<'_> {
    /// The record remnants in the slack of `page`, in page order.
    pub fn carve(&self, page: &Page<'_>) -> Vec<Remnant> {
        let mut found = Vec::new();
        let tag_array = page.tag_array_offset();
        for run in slack_runs(page) {
            // a run that ends at a tag's data ends where that node begins
            let bounded = run.end < tag_array;
            let starts = self.starts(page, run.clone());
            let mut from = run.start;
            for &at in &starts {
                if at < from {
                    continue; // inside the remnant before
                }
                if let Some(r) = self.remnant_in(page, at, run.end, bounded, &starts) {
                    from = r.offset + r.len.max(1);
                    found.push(r);
                }
            }
        }
        found
    }

    /// The remnant starting at page offset `offset` of page `pgno`, when
    /// the carving of [`Self::carve`] finds one there.
    pub fn remnant_at(&self, pgno: PageNumber, offset: usize) -> Option<Remnant> {
        let read = self.db().read_page(pgno).ok()?;
        let page = read.page(self.db()).ok()?;
        let tag_array = page.tag_array_offset();
        let run = slack_runs(&page).into_iter().find(|r| r.contains(&offset))?;
        let starts = self.starts(&page, run.clone());
        self.remnant_in(&page, offset, run.end, run.end < tag_array, &starts)
    }

    /// The remnant whose node is the bytes `offset..end` of `page`, as the
    /// carving would read it there (a live node's bytes read this way give
    /// its row back: the carving's checks are those every record passes).
    pub fn remnant_between(&self, page: &Page<'_>, offset: usize, end: usize) -> Option<Remnant> {
        let starts = self.starts(page, offset..end);
        self.remnant_in(page, offset, end, true, &starts)
    }

    /// The offsets of `run` where a node could start: a node shape whose
    /// record fits the schema (read to the end of the run) and whose key
    /// is the one its values give. One pass over the run: where a remnant
    /// of unknown length ends is the next of these, found by a search.
    fn starts(&self, page: &Page<'_>, run: Range<usize>) -> Vec<usize> {
        let prefix = prefix_source(page);
        let layout = self.layout(page);
        (run.start..run.end.saturating_sub(5))
            .filter(|&at| {
                page.bytes.get(at..at + 2).is_some_and(|b| b != [0, 0])
                    && node_heads(page, at, run.end, prefix.len()).iter().any(|h| {
                        page.bytes.get(h.data_offset..run.end).is_some_and(|data| {
                            let key = [prefix.get(..h.prefix_len).unwrap_or_default(), h.suffix].concat();
                            self.shape(data, layout).is_some()
                                && self.key_agrees(data, layout, &key, h.prefix_len)
                        })
                    })
            })
            .collect()
    }

    /// The remnant whose node starts at `at`, inside slack that ends at
    /// `end` where nodes could start at `starts`.
    fn remnant_in(
        &self,
        page: &Page<'_>,
        at: usize,
        end: usize,
        bounded: bool,
        starts: &[usize],
    ) -> Option<Remnant> {
        if page.bytes.get(at..at + 2).is_none_or(|b| b == [0, 0]) {
            return None;
        }
        let prefix = prefix_source(page);
        let layout = self.layout(page);
        for head in node_heads(page, at, end, prefix.len()) {
            let Some(data) = page.bytes.get(head.data_offset..end) else { continue };
            let Some(shape) = self.shape(data, layout) else { continue };
            let len = match shape.exact {
                Some(len) => len,
                None => delimit(page, head.data_offset, shape, end, bounded, starts),
            };
            let Some(record) = data.get(..len) else { continue };
            let mut key = prefix.get(..head.prefix_len).unwrap_or_default().to_vec();
            key.extend_from_slice(head.suffix);
            let size = (head.data_offset + len - at) as u16;
            let tag = Tag { index: 0, offset: 0, size, flags: head.flags, raw: 0 };
            let node = Node {
                tag,
                line: 0,
                flags: head.flags,
                prefix_len: head.prefix_len,
                key,
                data: record,
                data_offset: head.data_offset,
            };
            let mut row = self.row(page, &node);
            if !row.errors.is_empty()
                || !row.values.iter().all(plausible_text)
                || !self.key_agrees(record, layout, &node.key, head.prefix_len)
            {
                continue;
            }
            row.deleted = node.flags.contains(NodeFlags::DELETED);
            return Some(Remnant {
                offset: at,
                len: head.data_offset + len - at,
                data_offset: head.data_offset,
                key: node.key,
                row,
            });
        }
        None
    }

    /// The layout of a record at the start of `data`, if its header and
    /// areas fit the table's schema.
    fn shape(&self, data: &[u8], layout: TaggedLayout) -> Option<Shape> {
        let record = Record::parse(data, layout).ok()?;
        let fixed_last = u32::from(record.fixed_last);
        let fixed_end = match fixed_last {
            0 => 4,
            id => {
                let c = self.columns.iter().find(|c| c.class == ColumnClass::Fixed && c.id == id)?;
                c.offset + c.size + (id as usize).div_ceil(8)
            }
        };
        if record.end_of_fixed != fixed_end {
            return None;
        }
        let var_last = u32::from(record.var_last);
        let var_most = self.columns.iter().filter(|c| c.class == ColumnClass::Variable).map(|c| c.id).max();
        if var_last < 127 || var_last > var_most.unwrap_or(127) {
            return None;
        }
        let mut previous = 0;
        for k in 0..(var_last - 127) as usize {
            let entry = usize::from(le_u16(data, record.end_of_fixed + 2 * k)? & 0x7FFF);
            if entry < previous {
                return None;
            }
            previous = entry;
        }
        let start = record.tagged_offset();
        let area = data.get(start..).unwrap_or_default();
        let whole = Shape { min_end: start, exact: Some(start), last: (start, Last::Bytes) };
        if area.is_empty() {
            return Some(whole);
        }
        let shape = match layout {
            TaggedLayout::Legacy => self.legacy_area(area, start),
            _ => self.tagfld_area(area, start, layout == TaggedLayout::Large),
        };
        // bytes after the variable data that are no tagged area of this table
        Some(shape.unwrap_or(whole))
    }

    /// The shape of a `TAGFLD` tagged area at record offset `start`: the
    /// table's fields, in order, offsets never running backwards, values
    /// of fixed-size types exactly their size.
    fn tagfld_area(&self, area: &[u8], start: usize, large: bool) -> Option<Shape> {
        let mask = if large { 0x7FFF } else { 0x1FFF };
        let first = usize::from(le_u16(area, 2)? & mask);
        let count = first / 4;
        if count == 0 || first % 4 != 0 || first > area.len() {
            return None;
        }
        let entry = |i: usize| Some((le_u16(area, 4 * i)?, le_u16(area, 4 * i + 2)?));
        let mut order = None;
        let mut last = None;
        for i in 0..count {
            let (fid, ibw) = entry(i)?;
            let derived = ibw & 0x8000 != 0;
            let id = u32::from(fid);
            if id < 256 || !self.tagged.knows(id, derived) {
                return None;
            }
            let rank = (!derived, id);
            if order.is_some_and(|o| o >= rank) {
                return None;
            }
            order = Some(rank);
            let value = usize::from(ibw & mask);
            let next = if i + 1 < count { usize::from(entry(i + 1)?.1 & mask) } else { area.len() };
            if value < first || value > area.len() || (i + 1 < count && next < value) {
                return None;
            }
            let column = self.columns.iter().find(|c| c.id == id && c.derived == derived)?;
            let null = !large && ibw & 0x2000 != 0;
            let header = (large || ibw & 0x4000 != 0) && !null;
            let flags = if header { *area.get(value)? } else { 0 };
            let body = value + usize::from(header);
            let plain = !null && flags & (HEADER_NOT_PLAIN | 0x20) == 0;
            let fixed = column.coltyp.fixed_size().filter(|_| plain && !column.multivalued);
            if i + 1 < count {
                if fixed.is_some_and(|size| next.checked_sub(body) != Some(size)) || body > next {
                    return None;
                }
                continue;
            }
            let exact = if null || flags & 0x20 != 0 {
                Some(value + usize::from(header))
            } else {
                fixed.map(|size| body + size).filter(|&e| e <= area.len())
            };
            let kind = if flags & 0x04 != 0 && flags & 0x08 == 0 {
                Last::Lid
            } else if plain && column.coltyp.is_text() && column.codepage == 1200 {
                Last::Utf16
            } else {
                Last::Bytes
            };
            last = Some(Shape {
                min_end: start + body,
                exact: exact.map(|e| start + e),
                last: (start + body, kind),
            });
        }
        last
    }

    /// The shape of an ESE97 tagged area: entries of the table's columns,
    /// in order, as long as they last.
    fn legacy_area(&self, area: &[u8], start: usize) -> Option<Shape> {
        let mut at = 0;
        let mut previous = 0;
        while let (Some(fid), Some(bits)) = (le_u16(area, at), le_u16(area, at + 2)) {
            let id = u32::from(fid);
            let end = at + 4 + usize::from(bits & 0x0FFF);
            if id < 256 || id < previous || !self.tagged.knows(id, bits & 0x2000 != 0) || end > area.len() {
                break;
            }
            previous = id;
            at = end;
        }
        (at > 0).then_some(Shape { min_end: start + at, exact: Some(start + at), last: (start, Last::Bytes) })
    }

    /// True when `key` is the key the record's values give under the
    /// table's primary index, as far as it can be computed; a compressed
    /// node's first `prefix_len` bytes come from the page as it is now and
    /// are not compared. A table without primary index: any key.
    fn key_agrees(&self, record: &[u8], layout: TaggedLayout, key: &[u8], prefix_len: usize) -> bool {
        if key.is_empty() {
            return false;
        }
        let Some(index) = self.primary_index() else { return true };
        let Some(computed) = self.index_key(index, record, layout) else { return false };
        let (expected, complete) = (computed.bytes, computed.complete);
        let same_from = |from: usize, upto: usize| key.get(from..upto) == expected.get(from..upto);
        if complete && expected.len() == key.len() {
            same_from(prefix_len.min(key.len()), key.len())
        } else if complete && key.len() >= 255 && expected.len() > key.len() {
            // a key cut at the index's KeyMost
            same_from(prefix_len.min(key.len()), key.len())
        } else if !complete && key.len() >= expected.len() {
            same_from(prefix_len.min(expected.len()), expected.len())
        } else {
            false
        }
    }
}

/// Where a record of unknown length at page offset `data_offset` ends: at
/// the next place a node could start (`starts`), or at the end of the
/// slack `end`, or (in the free space before the tag array, `!bounded`)
/// where 8 zero bytes in a row begin.
fn delimit(
    page: &Page<'_>,
    data_offset: usize,
    shape: Shape,
    end: usize,
    bounded: bool,
    starts: &[usize],
) -> usize {
    let available = end - data_offset;
    let next = starts.partition_point(|&s| s < data_offset + shape.min_end);
    if let Some(&next) = starts.get(next) {
        return next - data_offset;
    }
    let mut len = available;
    if !bounded {
        // the free space after the last remnant is zero-filled
        let data = page.bytes.get(data_offset..end).unwrap_or_default();
        len = (shape.min_end..available)
            .find(|&at| data.get(at..(at + 8).min(available)).is_some_and(|z| z.iter().all(|&b| b == 0)))
            .unwrap_or(available);
    }
    let (value, kind) = shape.last;
    let value_len = len.saturating_sub(value);
    let want = match kind {
        Last::Bytes => value_len,
        Last::Utf16 => value_len + value_len % 2,
        Last::Lid if value_len <= 4 => 4,
        Last::Lid => 8,
    };
    (value + want).min(available).max(shape.min_end)
}

/// False for text that reads as overwritten bytes: C0 controls other than
/// NUL (UTF-16 stored in an 8-bit column shows NULs), tab, line feed and
/// carriage return, or UTF-16 that does not decode.
fn plausible_text(value: &Value) -> bool {
    match value {
        Value::Text(text) => !text.chars().any(|c| {
            c == char::REPLACEMENT_CHARACTER || (c < ' ' && !matches!(c, '\0' | '\t' | '\n' | '\r'))
        }),
        Value::Multi(values) => values.iter().all(plausible_text),
        _ => true,
    }
}
