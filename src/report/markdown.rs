//! Markdown renderings that paste cleanly into a ticket or wiki: tables for
//! fields and findings, fenced `text` blocks for hex dumps and bit rows
//! (the same text the plain renderer prints, so nothing is lost).

use std::io::{self, Write};

use super::header::HeaderReport;
use super::hexdump::{bit_row, hex_dump, Mark};
use super::incident::{BadPage, IncidentReport, Link};
use super::page::{verdict_text, write_checksum, PageDump};
use crate::format::field::Field;
use crate::format::verdict::{PageCheck, Verdict};
use crate::scan::VerifyReport;

/// Makes text safe inside a table cell: pipes escaped, control characters
/// (line breaks included) shown visibly. Strings from the evidence are
/// escaped for Markdown first ([`crate::sanitize::markdown_text`]).
pub fn cell(text: &str) -> String {
    crate::sanitize::visible(text).replace('|', "\\|")
}

fn table(out: &mut dyn Write, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> io::Result<()> {
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", head.iter().map(|_| "---|").collect::<String>())?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    writeln!(out)
}

fn fenced(out: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(out, "```text")?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    writeln!(out, "```")?;
    writeln!(out)
}

fn field_rows(fields: &[Field]) -> impl Iterator<Item = Vec<String>> + '_ {
    fields.iter().map(|f| {
        vec![format!("{:#x}", f.offset), format!("`{}`", f.name), f.raw.clone(), f.value.to_string()]
    })
}

fn checksum_text(check: &PageCheck, file_offset: u64) -> String {
    let mut text = Vec::new();
    let _ = write_checksum(&mut text, check, file_offset);
    String::from_utf8_lossy(&text).into_owned()
}

/// The checksum of every block as a table, the verdict, and (only when a
/// block mismatches) the bit rows as a fenced block.
fn checksum_blocks(out: &mut dyn Write, check: &PageCheck, file_offset: u64) -> io::Result<()> {
    if check.verdict == Verdict::Uninitialized {
        writeln!(out, "Not checked: every byte is zero, so there is no stored checksum.")?;
        writeln!(out)?;
    } else {
        let second =
            if check.format == crate::format::verdict::ChecksumFormat::Legacy { "pgno" } else { "ECC" };
        let rows = check.blocks.iter().map(|b| {
            vec![
                b.block.to_string(),
                format!("{:#06x}-{:#06x}", b.offset, b.offset + b.len - 1),
                format!("{:#x}", b.stored_at),
                format!("{:#010x}", b.stored as u32),
                format!("{:#010x}", b.computed as u32),
                format!("{:#010x}", (b.stored >> 32) as u32),
                format!("{:#010x}", (b.computed >> 32) as u32),
                if b.is_ok() { "ok".into() } else { "**mismatch**".into() },
            ]
        });
        let stored = format!("Stored {second}");
        let computed = format!("Computed {second}");
        table(
            out,
            &["Block", "Bytes", "Stored at", "Stored XOR", "Computed XOR", &stored, &computed, "State"],
            rows,
        )?;
    }
    let format = match check.format {
        crate::format::verdict::ChecksumFormat::Legacy => "legacy XOR and page number (`legacy`)",
        crate::format::verdict::ChecksumFormat::XorEcc => "XOR+ECC (`xor_ecc`)",
    };
    writeln!(out, "**Format:** {format}")?;
    writeln!(out)?;
    writeln!(out, "**Verdict:** {}", cell(&verdict_text(&check.verdict, file_offset)))?;
    writeln!(out)?;
    if check.verdict != Verdict::Uninitialized && check.blocks.iter().any(|b| !b.is_ok()) {
        fenced(out, &checksum_text(check, file_offset))?;
    }
    Ok(())
}

/// The header fields a located bit flipped, with their corrected values.
fn flipped_fields(out: &mut dyn Write, fields: &[super::page::FlippedField]) -> io::Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let rows = fields.iter().map(|f| {
        vec![
            format!("`{}`", f.name),
            format!("{:#x}", f.offset),
            format!("byte {:#x} bit {}", f.byte_offset, f.bit),
            f.stored.clone(),
            f.corrected.clone(),
        ]
    });
    table(out, &["Field with the flipped bit", "Offset", "Bit", "Stored", "Corrected"], rows)
}

/// The data-area bits ECC located: tag, line, record part and column,
/// with the value as stored and as corrected.
fn flipped_data(out: &mut dyn Write, bits: &[super::page::FlippedData]) -> io::Result<()> {
    if bits.is_empty() {
        return Ok(());
    }
    let md = |s: &str| crate::sanitize::markdown_text(s);
    let rows = bits.iter().map(|f| {
        vec![
            format!("byte {:#x} bit {}", f.byte_offset, f.bit),
            f.tag.map_or_else(String::new, |t| t.to_string()),
            f.line.map_or_else(String::new, |l| l.to_string()),
            md(&f.part),
            f.table.as_deref().map(md).unwrap_or_default(),
            f.column
                .as_ref()
                .map_or_else(String::new, |c| format!("{} (id {}, {})", md(&c.name), c.id, c.coltyp)),
            f.record_offset.map_or_else(String::new, |o| format!("{o:#x}")),
            f.stored.as_deref().map(md).unwrap_or_default(),
            f.corrected.as_deref().map(md).unwrap_or_default(),
        ]
    });
    table(
        out,
        &["Flipped bit", "Tag", "Line", "In", "Table", "Column", "Record offset", "Stored", "Corrected"],
        rows,
    )
}

/// A page dump in Markdown.
///
/// # Errors
/// Any error writing to `out`.
pub fn page(out: &mut dyn Write, dump: &PageDump, with_hex: bool) -> io::Result<()> {
    writeln!(out, "## Page {} of `{}`", dump.pgno, dump.file)?;
    writeln!(out)?;
    table(
        out,
        &["", ""],
        [
            vec!["File offset".into(), format!("{:#x} ({})", dump.file_offset, dump.file_offset)],
            vec!["Page size".into(), dump.page_size.to_string()],
            vec!["Tree kind".into(), dump.tree_kind.into()],
            vec!["Verdict".into(), verdict_text(&dump.checksum.verdict, dump.file_offset)],
        ],
    )?;
    writeln!(out, "### Header")?;
    writeln!(out)?;
    table(out, &["Offset", "Field", "Raw", "Value"], field_rows(&dump.fields))?;
    for problem in &dump.problems {
        writeln!(out, "- **Problem:** {problem}")?;
    }
    if !dump.problems.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "### Checksum")?;
    writeln!(out)?;
    checksum_blocks(out, &dump.checksum, dump.file_offset)?;
    flipped_fields(out, &dump.flipped_fields)?;
    flipped_data(out, &dump.flipped_data)?;
    writeln!(out, "### Tags")?;
    writeln!(out)?;
    let rows = dump.tags.iter().map(|row| match &row.tag {
        Some(tag) => vec![
            row.index.to_string(),
            format!("{:#x}", row.entry_offset),
            format!("{:#x}", row.data_offset.unwrap_or(0)),
            tag.size.to_string(),
            row.role.clone(),
            row.flags.join(" "),
        ],
        None => vec![
            row.index.to_string(),
            format!("{:#x}", row.entry_offset),
            String::new(),
            String::new(),
            row.role.clone(),
            format!("error: {}", row.error.as_deref().unwrap_or("unreadable")),
        ],
    });
    table(out, &["Tag", "Entry", "Data", "Size", "Role", "Flags"], rows)?;
    if !dump.nodes.is_empty() {
        writeln!(out, "### Nodes ({})", dump.nodes.len())?;
        writeln!(out)?;
        let rows = dump.nodes.iter().map(|n| match &n.error {
            Some(e) => vec![n.line.to_string(), n.tag.to_string(), format!("error: {e}"), String::new()],
            None => vec![
                n.line.to_string(),
                n.tag.to_string(),
                format!(
                    "{} (prefix {}){}",
                    if n.key.is_empty() { "(empty)" } else { &n.key },
                    n.prefix_len,
                    if n.flags.is_empty() { String::new() } else { format!(" [{}]", n.flags.join(" ")) }
                ),
                format!(
                    "{} bytes at {:#x}{}",
                    n.data_len,
                    n.data_offset,
                    n.child.map_or(String::new(), |c| format!(", child page {c}"))
                ),
            ],
        });
        table(out, &["Line", "Tag", "Key", "Data"], rows)?;
    }
    if !dump.slack.is_empty() {
        writeln!(out, "### Records in slack ({})", dump.slack.len())?;
        writeln!(out)?;
        let rows = dump.slack.iter().map(|r| {
            let values: Vec<String> = r.values.iter().map(|v| format!("{}={}", v.column, v.value)).collect();
            vec![
                format!("{:#x}-{:#x}", r.offset, r.offset + r.len),
                r.table.clone(),
                r.key.clone(),
                values.join(", "),
            ]
        });
        table(out, &["Bytes", "Table", "Key", "First values"], rows)?;
    }
    if with_hex {
        writeln!(out, "### Hex")?;
        writeln!(out)?;
        let marks: Vec<Mark> = match &dump.checksum.verdict {
            Verdict::Correctable { bits, .. } => bits
                .iter()
                .map(|b| Mark {
                    offset: b.offset,
                    note: format!("bit {} flipped: {:#04x} should be {:#04x}", b.bit, b.byte, b.corrected()),
                })
                .collect(),
            _ => Vec::new(),
        };
        fenced(out, &hex_dump(&dump.bytes, dump.file_offset, &marks))?;
    }
    Ok(())
}

/// Both header copies in Markdown: every field, differing ones marked.
///
/// # Errors
/// Any error writing to `out`.
pub fn header(out: &mut dyn Write, report: &HeaderReport) -> io::Result<()> {
    writeln!(out, "## Database header of `{}`", report.file)?;
    writeln!(out)?;
    let copies = report.copies.iter().map(|c| {
        let checksum = c.checksum.map_or("unreadable".to_string(), |k| {
            format!("stored {:#010x}, computed {:#010x}", k.stored, k.computed)
        });
        vec![
            if c.copy == 0 { "primary".into() } else { "shadow".into() },
            format!("{:#x}", c.file_offset),
            if c.valid { "valid".into() } else { "**damaged**".into() },
            checksum,
        ]
    });
    table(out, &["Copy", "Offset", "State", "Checksum"], copies)?;
    writeln!(out, "File size: {} bytes.", report.file_size)?;
    writeln!(out)?;
    if !report.warnings.is_empty() {
        let rows = report
            .warnings
            .iter()
            .map(|f| vec![f.severity.to_string(), f.location.to_string(), f.message.clone()]);
        table(out, &["Severity", "Where", "What"], rows)?;
    }
    if report.differences.is_empty() {
        writeln!(out, "The two copies are identical field by field.")?;
    } else {
        writeln!(out, "**{} field(s) differ:** {}", report.differences.len(), report.differences.join(", "))?;
    }
    writeln!(out)?;
    let (Some(primary), shadow) = (report.copies.first(), report.copies.get(1)) else { return Ok(()) };
    let rows = primary.fields.iter().enumerate().map(|(i, f)| {
        let other = shadow.and_then(|s| s.fields.get(i));
        let differs = other.is_some_and(|o| o.raw != f.raw);
        let name = if differs { format!("**`{}`**", f.name) } else { format!("`{}`", f.name) };
        let shadow_value = match other {
            Some(o) if differs => format!("**{}**", o.value),
            Some(_) => "same".into(),
            None => "missing".into(),
        };
        vec![f.offset.to_string(), name, f.value.to_string(), shadow_value]
    });
    table(out, &["Offset", "Field", "Primary", "Shadow"], rows)
}

/// A verify report in Markdown.
///
/// # Errors
/// Any error writing to `out`.
pub fn verify(out: &mut dyn Write, report: &VerifyReport) -> io::Result<()> {
    let c = &report.counts;
    writeln!(out, "## Verify of `{}`", report.file)?;
    writeln!(out)?;
    table(
        out,
        &["Pages", "OK", "Uninitialized", "Correctable", "Wrong page number", "Not correctable"],
        [vec![
            c.pages.to_string(),
            c.ok.to_string(),
            c.uninitialized.to_string(),
            c.correctable.to_string(),
            c.wrong_page_number.to_string(),
            c.uncorrectable.to_string(),
        ]],
    )?;
    writeln!(
        out,
        "**Scan:** {}; **database:** {}",
        super::verify::scan_words(report.cancelled),
        super::verify::temporary_words(report.temporary)
    )?;
    writeln!(out)?;
    if !report.bad_pages.is_empty() {
        let rows = report.bad_pages.iter().map(|p| {
            let blocks: Vec<String> = p
                .check
                .blocks
                .iter()
                .map(|b| {
                    format!("block {}: stored {:#018x}, computed {:#018x}", b.block, b.stored, b.computed)
                })
                .collect();
            // the kind of each flipped bit, as JSON names it
            let kinds: Vec<String> = serde_json::to_value(&p.check.verdict)
                .ok()
                .and_then(|v| v.get("bits").and_then(|b| b.as_array()).cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|b| b.get("kind").and_then(|k| k.as_str()).map(|k| format!("`{k}`")))
                .collect();
            let label = if kinds.is_empty() {
                p.check.verdict.label().to_string()
            } else {
                format!("{} ({})", p.check.verdict.label(), kinds.join(", "))
            };
            vec![
                p.check.pgno.to_string(),
                format!("{:#x}", p.file_offset),
                label,
                verdict_text(&p.check.verdict, p.file_offset),
                format!("`{}`", p.check.format.json_name()),
                blocks.join("; "),
            ]
        });
        table(out, &["Page", "File offset", "Verdict", "Details", "Format", "Checksums"], rows)?;
    }
    if !report.findings.is_empty() {
        let rows = report
            .findings
            .iter()
            .map(|f| vec![f.severity.to_string(), f.location.to_string(), f.message.clone()]);
        table(out, &["Severity", "Where", "What"], rows)?;
    }
    Ok(())
}

fn link_text(link: Option<Link>) -> String {
    match link {
        None => "none".into(),
        Some(l) => format!(
            "page {} ({}, {})",
            l.pgno,
            if l.neighbour_ok { "checksum ok" } else { "checksum bad" },
            if l.links_back { "links back" } else { "does not link back" }
        ),
    }
}

fn bad_page(out: &mut dyn Write, page: &BadPage) -> io::Result<()> {
    let check = &page.checksum;
    writeln!(
        out,
        "### Page {} (file offset {:#x}): {}",
        check.pgno,
        page.file_offset,
        check.verdict.label()
    )?;
    writeln!(out)?;
    let mut rows = vec![
        vec!["Verdict".into(), verdict_text(&check.verdict, page.file_offset)],
        vec![
            "Tree".into(),
            format!(
                "objidFDP {} ({}; {} tree)",
                page.objid_fdp,
                page.tree_name.as_deref().unwrap_or("not in the catalog"),
                page.tree_kind
            ),
        ],
        vec!["Flags".into(), page.flags.join(" | ")],
        vec!["dbtime".into(), format!("{:#x}", page.dbtime)],
        vec!["pgnoPrev".into(), link_text(page.prev)],
        vec!["pgnoNext".into(), link_text(page.next)],
    ];
    if let Some((code, name)) = check.verdict.jet_error() {
        rows.push(vec!["Engine error".into(), format!("{code} {name}")]);
    }
    table(out, &["", ""], rows)?;
    flipped_fields(out, &page.flipped_fields)?;
    flipped_data(out, &page.flipped_data)?;
    let blocks = check.blocks.iter().filter(|b| !b.is_ok()).map(|b| {
        vec![
            b.block.to_string(),
            format!("{:#x}", b.stored_at),
            format!("{:#010x}", b.stored as u32),
            format!("{:#010x}", b.computed as u32),
            format!("`{}`", bit_row(b.xor_diff())),
            format!("{:#010x}", (b.stored >> 32) as u32),
            format!("{:#010x}", (b.computed >> 32) as u32),
            format!("`{}`", bit_row(b.ecc_diff())),
        ]
    });
    table(
        out,
        &[
            "Block",
            "Stored at",
            "Stored XOR",
            "Computed XOR",
            "XOR difference",
            "Stored ECC",
            "Computed ECC",
            "ECC difference",
        ],
        blocks,
    )?;
    fenced(out, &checksum_text(check, page.file_offset))
}

/// The incident report in Markdown.
///
/// # Errors
/// Any error writing to `out`.
pub fn incident(out: &mut dyn Write, report: &IncidentReport) -> io::Result<()> {
    writeln!(out, "# ESE database incident report: `{}`", report.file.path)?;
    writeln!(out)?;
    writeln!(out, "Made by {} at {} without modifying the file.", report.tool, report.made_at)?;
    writeln!(out)?;
    writeln!(out, "## File")?;
    writeln!(out)?;
    let h = report.header.header.as_ref();
    let mut rows = vec![
        vec!["Path".into(), format!("`{}`", report.file.path)],
        vec!["Size".into(), format!("{} bytes", report.file.size)],
        vec!["SHA-256".into(), format!("`{}`", report.file.sha256)],
        vec![
            "Page size".into(),
            format!("{} ({})", report.header.page_size, report.header.source.describe()),
        ],
    ];
    if let Some(h) = h {
        rows.push(vec!["Format".into(), format!("{} (update minor {:#x})", h.format_text(), h.update_minor)]);
        rows.push(vec!["State".into(), h.state.to_string()]);
        rows.push(vec!["dbtime".into(), h.dbtime_dirtied.to_string()]);
        rows.push(vec![
            "Log generations required".into(),
            format!("{} to {}", h.gen_min_required, h.gen_max_required),
        ]);
        rows.push(vec![
            "Consistent position".into(),
            format!("{} at {}", h.lgpos_consistent, h.logtime_consistent),
        ]);
        rows.push(vec!["Log signature".into(), h.sign_log.to_string()]);
        rows.push(vec!["Repair count".into(), h.repair_count.to_string()]);
    }
    table(out, &["", ""], rows)?;
    writeln!(out, "## Recovery options")?;
    writeln!(out)?;
    let options = report.options.iter().map(|o| {
        vec![o.name.to_string(), if o.applies { "**yes**".into() } else { "no".into() }, o.reason.clone()]
    });
    table(out, &["Option", "Applies", "Why"], options)?;
    verify(out, &report.verify)?;
    if let Some(set) = &report.logs {
        writeln!(out, "## Transaction logs")?;
        writeln!(out)?;
        writeln!(out, "**Recovery:** {}", set.recovery.summary)?;
        writeln!(out)?;
        super::markdown_json::render(out, &format!("Log set {} in {}", set.base, set.dir.display()), set)?;
    }
    if !report.bad_pages.is_empty() {
        writeln!(out, "## Damaged pages")?;
        writeln!(out)?;
        for page in &report.bad_pages {
            bad_page(out, page)?;
        }
    }
    header(out, &report.header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped() {
        assert_eq!(cell("a | b\nc"), "a \\| b\\nc");
    }
}
