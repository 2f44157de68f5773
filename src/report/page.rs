//! A page dump: header fields with offsets, tags, the checksum analysis,
//! the records left in its slack and the hex of the page, as one document
//! for text and JSON.

use std::io::{self, Write};

use serde::Serialize;

use super::hexdump::{bit_marker, bit_row, hex_dump, Mark};
use super::page_slack::SlackRecord;
use crate::format::field::Field;
use crate::format::page::PageHeader;
use crate::format::tag::Tag;
use crate::format::verdict::{BlockCheck, ChecksumFormat, FlipKind, PageCheck, Verdict};
use crate::format::PageNumber;
use crate::store::Database;
use crate::Error;

/// One row of the tag table.
#[derive(Debug, Clone, Serialize)]
pub struct TagRow {
    /// Tag index (0 = external header).
    pub index: u16,
    /// Page offset of the 4-byte tag entry.
    pub entry_offset: usize,
    /// The tag, when it could be read.
    pub tag: Option<Tag>,
    /// Why the tag could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Page offset where the data starts.
    pub data_offset: Option<usize>,
    /// Names of the node flags.
    pub flags: Vec<&'static str>,
    /// What the tag holds: the external header, a reserved tag, or a line.
    pub role: String,
}

/// One decoded node (line) of the page.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRow {
    /// Line number.
    pub line: u16,
    /// Tag index.
    pub tag: u16,
    /// Node flags by name.
    pub flags: Vec<&'static str>,
    /// Key bytes taken from the page prefix.
    pub prefix_len: usize,
    /// The full key, hex.
    pub key: String,
    /// Page offset of the data.
    pub data_offset: usize,
    /// Data length.
    pub data_len: usize,
    /// Child page (internal pages).
    pub child: Option<PageNumber>,
    /// Why the node could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub(crate) use super::flipped::{flipped_data, flipped_fields};
pub use super::flipped::{FlippedData, FlippedField};

/// Everything about one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageDump {
    /// The file.
    pub file: String,
    /// The page number.
    pub pgno: PageNumber,
    /// File offset of the page: (pgno + 1) x page size.
    pub file_offset: u64,
    /// Page size in bytes.
    pub page_size: u32,
    /// The kind of tree, from the flags.
    pub tree_kind: &'static str,
    /// Header fields with offsets, raw bytes and values.
    pub fields: Vec<Field>,
    /// The tag array.
    pub tags: Vec<TagRow>,
    /// The nodes decoded (key, data, child page).
    pub nodes: Vec<NodeRow>,
    /// The checksum analysis.
    pub checksum: PageCheck,
    /// Header fields that contradict the page (a valid checksum does not
    /// make them true).
    pub problems: Vec<String>,
    /// Header fields holding a bit ECC located, with their corrected values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flipped_fields: Vec<FlippedField>,
    /// Bytes no tag covers that decode as a record of the page's table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slack: Vec<SlackRecord>,
    /// Bits ECC located in the data area: the tag, node, record and
    /// column holding each, with the value as stored and as corrected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flipped_data: Vec<FlippedData>,
    /// The page bytes as hex (JSON) — the text form prints a hex dump.
    #[serde(serialize_with = "serialize_hex")]
    pub bytes: Vec<u8>,
}

fn serialize_hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

impl PageDump {
    /// Builds the dump of page `pgno`.
    ///
    /// # Errors
    /// [`Error::PageOutOfRange`] when the page is not in the file.
    pub fn build(db: &Database, pgno: PageNumber) -> Result<Self, Error> {
        let page = db.page(pgno)?;
        let size = db.page_size();
        let tags = page
            .tags()
            .enumerate()
            .map(|(i, tag)| {
                let index = i as u16;
                let reserved = page.header.ctag_reserved();
                let role = match index {
                    0 => "external header".to_string(),
                    i if i < reserved => format!("reserved tag {i}"),
                    i => format!("line {}", i - reserved),
                };
                TagRow {
                    role,
                    index,
                    entry_offset: Tag::entry_offset(index, size),
                    data_offset: tag.as_ref().ok().map(|t| t.page_range(size).start),
                    flags: tag.as_ref().map(|t| t.flags.names()).unwrap_or_default(),
                    error: tag.as_ref().err().map(ToString::to_string),
                    tag: tag.ok(),
                }
            })
            .collect();
        let checksum = crate::scan::check_page(db, pgno)?;
        Ok(Self {
            file: db.path().display().to_string(),
            pgno,
            file_offset: pgno.file_offset(size),
            page_size: size.bytes(),
            tree_kind: match checksum.verdict {
                // all zero: never written, so its flags name no tree
                crate::format::verdict::Verdict::Uninitialized => "uninitialized",
                _ => page.header.tree_kind(),
            },
            fields: PageHeader::fields(page.bytes, size),
            tags,
            nodes: node_rows(&page),
            problems: crate::format::lies::header_lies(&page),
            flipped_fields: flipped_fields(page.bytes, size, &checksum),
            slack: super::page_slack::slack_records(db, pgno),
            flipped_data: flipped_data(db, pgno, page.bytes, &checksum),
            checksum,
            bytes: page.bytes.to_vec(),
        })
    }

    /// Writes the dump as aligned plain text, like eseutil's page dump.
    ///
    /// # Errors
    /// Any error writing to `out`.
    pub fn write_text(&self, out: &mut dyn Write, with_hex: bool) -> io::Result<()> {
        writeln!(out, "Page {} of {}", self.pgno, self.file)?;
        writeln!(
            out,
            "  file offset {:#x} ({}), page size {}",
            self.file_offset, self.file_offset, self.page_size
        )?;
        if self.tree_kind == "uninitialized" {
            writeln!(out, "  uninitialized page (all zero: never written)")?;
        } else {
            writeln!(out, "  {} tree page", self.tree_kind)?;
        }
        writeln!(out)?;
        writeln!(out, "Header")?;
        for field in &self.fields {
            writeln!(
                out,
                "  {:>4}  {:<18} {:<18} {}",
                format!("{:#x}", field.offset),
                field.name,
                field.raw,
                field.value
            )?;
        }
        for problem in &self.problems {
            writeln!(out, "  PROBLEM: {problem}")?;
        }
        writeln!(out)?;
        write_checksum(out, &self.checksum, self.file_offset)?;
        for f in &self.flipped_fields {
            writeln!(
                out,
                "  the flipped bit (byte {:#x} bit {}) is in header field {} at {:#x}: stored {}, corrected {}",
                f.byte_offset, f.bit, f.name, f.offset, f.stored, f.corrected
            )?;
        }
        for f in &self.flipped_data {
            writeln!(out, "  {}", f.sentence())?;
        }
        writeln!(out)?;
        writeln!(out, "Tags ({})", self.tags.len())?;
        writeln!(out, "  {:>5}  {:>6}  {:>6}  {:>6}  {:<16} flags", "tag", "entry", "data", "size", "role")?;
        for row in &self.tags {
            match (&row.tag, &row.error) {
                (Some(tag), _) => writeln!(
                    out,
                    "  {:>5}  {:>6}  {:>6}  {:>6}  {:<16} {}",
                    row.index,
                    format!("{:#x}", row.entry_offset),
                    format!("{:#x}", row.data_offset.unwrap_or(0)),
                    tag.size,
                    row.role,
                    row.flags.join(" ")
                )?,
                (None, e) => writeln!(
                    out,
                    "  {:>5}  {:>6}  {}: error: {}",
                    row.index,
                    format!("{:#x}", row.entry_offset),
                    row.role,
                    e.as_deref().unwrap_or("unreadable")
                )?,
            }
        }
        if !self.nodes.is_empty() {
            writeln!(out)?;
            writeln!(out, "Nodes ({})", self.nodes.len())?;
            for n in &self.nodes {
                match &n.error {
                    Some(e) => writeln!(out, "  line {:>4} (tag {}): error: {e}", n.line, n.tag)?,
                    None => writeln!(
                        out,
                        "  line {:>4}  key {} (prefix {}){}  data {} bytes at {:#x}{}",
                        n.line,
                        if n.key.is_empty() { "(empty)" } else { &n.key },
                        n.prefix_len,
                        if n.flags.is_empty() { String::new() } else { format!(" [{}]", n.flags.join(" ")) },
                        n.data_len,
                        n.data_offset,
                        n.child.map_or(String::new(), |c| format!("  child page {c}"))
                    )?,
                }
            }
        }
        super::page_slack::write_text(out, &self.slack)?;
        if with_hex {
            writeln!(out)?;
            writeln!(out, "Hex (page offset, file offset)")?;
            let marks = flipped_marks(&self.checksum);
            out.write_all(hex_dump(&self.bytes, self.file_offset, &marks).as_bytes())?;
        }
        Ok(())
    }
}

fn node_rows(page: &crate::format::page::Page<'_>) -> Vec<NodeRow> {
    let leaf = page.header.flags.contains(crate::format::page::PageFlags::LEAF);
    let reserved = page.header.ctag_reserved();
    crate::format::node::nodes(page)
        .enumerate()
        .map(|(i, node)| match node {
            Ok(n) => NodeRow {
                line: n.line,
                tag: n.tag.index,
                flags: n.flags.names(),
                prefix_len: n.prefix_len,
                key: hex::encode(&n.key),
                data_offset: n.data_offset,
                data_len: n.data.len(),
                child: if leaf { None } else { n.child() },
                error: None,
            },
            Err(e) => NodeRow {
                line: i as u16,
                tag: i as u16 + reserved,
                flags: Vec::new(),
                prefix_len: 0,
                key: String::new(),
                data_offset: 0,
                data_len: 0,
                child: None,
                error: Some(e.to_string()),
            },
        })
        .collect()
}

fn flipped_marks(check: &PageCheck) -> Vec<Mark> {
    let Verdict::Correctable { bits, .. } = &check.verdict else { return Vec::new() };
    bits.iter()
        .map(|bit| Mark {
            offset: bit.offset,
            note: format!("bit {} flipped: {:#04x} should be {:#04x}", bit.bit, bit.byte, bit.corrected()),
        })
        .collect()
}

/// Writes the checksum analysis of a page: per block, stored and computed
/// XOR and ECC halves, their difference in binary, then the verdict.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_checksum(out: &mut dyn Write, check: &PageCheck, file_offset: u64) -> io::Result<()> {
    let format = match check.format {
        ChecksumFormat::Legacy => "legacy XOR (bytes 0-3 XOR, bytes 4-7 page number)",
        ChecksumFormat::XorEcc if check.blocks.len() > 1 => "XOR+ECC, four blocks",
        ChecksumFormat::XorEcc => "XOR+ECC",
    };
    writeln!(out, "Checksum ({format})")?;
    if check.verdict == Verdict::Uninitialized {
        // an all-zero page has no checksum to compare: nothing mismatches
        writeln!(out, "  not checked: every byte is zero, so there is no stored checksum")?;
    } else {
        for block in &check.blocks {
            write_block(out, block, check.format)?;
        }
    }
    writeln!(out, "  verdict: {}", verdict_text(&check.verdict, file_offset))?;
    Ok(())
}

fn write_block(out: &mut dyn Write, block: &BlockCheck, format: ChecksumFormat) -> io::Result<()> {
    let second = if format == ChecksumFormat::Legacy { "pgno" } else { "ecc" };
    let end = block.offset + block.len - 1;
    let state = if block.is_ok() { "ok" } else { "MISMATCH" };
    writeln!(
        out,
        "  block {} (bytes {:#06x}-{end:#06x}, stored at {:#x}): {state}",
        block.block, block.offset, block.stored_at
    )?;
    let (s, c) = (block.stored, block.computed);
    writeln!(out, "    stored    xor {:#010x}  {second} {:#010x}", s as u32, (s >> 32) as u32)?;
    writeln!(out, "    computed  xor {:#010x}  {second} {:#010x}", c as u32, (c >> 32) as u32)?;
    if !block.is_ok() {
        writeln!(out, "    difference xor {:#010x}  {second} {:#010x}", block.xor_diff(), block.ecc_diff())?;
        for (name, value, diff) in [
            ("stored xor  ", s as u32, block.xor_diff()),
            ("computed xor", c as u32, block.xor_diff()),
            ("stored ecc  ", (s >> 32) as u32, block.ecc_diff()),
            ("computed ecc", (c >> 32) as u32, block.ecc_diff()),
        ] {
            writeln!(out, "      {name}  {}", bit_row(value))?;
            if name.starts_with("computed") && diff != 0 {
                writeln!(out, "      {:12}  {}", "differs", bit_marker(diff))?;
            }
        }
    }
    Ok(())
}

/// The verdict in words, with offsets, as the CLI and reports print it.
pub fn verdict_text(verdict: &Verdict, file_offset: u64) -> String {
    match verdict {
        Verdict::Ok => "ok".into(),
        Verdict::Uninitialized => {
            "uninitialized: every byte is zero, the page was never written (-1019 JET_errPageNotInitialized)".into()
        }
        Verdict::NotChecksummed => "not checksummed (temporary database page)".into(),
        Verdict::Correctable { bits, perhaps_page } => {
            let list: Vec<String> = bits
                .iter()
                .map(|bit| {
                    let what = match bit.kind {
                        FlipKind::Data => "data bit, located by ECC",
                        FlipKind::StoredChecksum => "in the stored checksum; the data is intact",
                        FlipKind::FormatFlag => "the NewChecksumFormat flag, which the engine will not correct",
                    };
                    format!(
                        "byte {:#x} bit {} (file offset {:#x}; {what}; {:#04x} -> {:#04x})",
                        bit.offset,
                        bit.bit,
                        file_offset + bit.offset as u64,
                        bit.byte,
                        bit.corrected()
                    )
                })
                .collect();
            let noun = if bits.len() == 1 { "single-bit error" } else { "single-bit errors" };
            let mut text = format!("correctable: {noun} at {}", list.join(", "));
            if let Some(page) = perhaps_page {
                text.push_str(&format!(
                    "; or this is page {page} written at the wrong place: nothing in the file tells which"
                ));
            }
            text
        }
        Verdict::WrongPageNumber { stored_pgno, .. } => format!(
            "wrong page number: the data is intact but its checksum was made for page {stored_pgno}; perhaps this \
             is page {stored_pgno} written at the wrong place (-1018 JET_errReadVerifyFailure)"
        ),
        Verdict::Uncorrectable => {
            "not correctable: the checksum mismatch is not a single flipped bit (-1018 JET_errReadVerifyFailure)".into()
        }
    }
}
