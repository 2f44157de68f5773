//! The checksum view: stored vs computed XOR and ECC for each block, as hex
//! and as bit rows, the differing bits marked, the verdict, and for a
//! flipped bit the byte with its corrected value.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::format::verdict::{ChecksumFormat, Verdict};
use crate::report::hexdump::bit_row;
use crate::report::page::verdict_text;
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::views::page::PageState;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

fn bits_line(label: &str, value: u32, diff: u32, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("  {label:<13}"), theme.dim())];
    let row = bit_row(value);
    let mut bit = 32;
    for c in row.chars() {
        if c == ' ' {
            spans.push(Span::raw(" "));
            continue;
        }
        bit -= 1;
        let style = if diff & (1 << bit) != 0 { theme.differs() } else { theme.text() };
        spans.push(Span::styled(c.to_string(), style));
    }
    spans.push(Span::styled(format!("  {value:#010x}"), theme.text()));
    Line::from(spans)
}

/// Every line of the checksum analysis of the open page, fitted to `width`.
pub fn lines(page: &PageState, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let check = &page.dump.checksum;
    let mut lines = Vec::new();
    let second = if check.format == ChecksumFormat::Legacy { "pgno" } else { "ecc" };
    if check.verdict == Verdict::Uninitialized {
        lines.push(Line::styled(
            "not checked: every byte is zero, so there is no stored checksum to compare",
            theme.dim(),
        ));
    }
    let blocks = if check.verdict == Verdict::Uninitialized { &[][..] } else { &check.blocks[..] };
    for block in blocks {
        let state = if block.is_ok() {
            Span::styled("ok", theme.ok())
        } else {
            Span::styled("MISMATCH", theme.error())
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "block {} · bytes {:#06x}-{:#06x} · stored at {:#x} · ",
                    block.block,
                    block.offset,
                    block.offset + block.len - 1,
                    block.stored_at
                ),
                theme.title(),
            ),
            state,
        ]));
        let (s, c) = (block.stored, block.computed);
        lines.push(bits_line("stored xor", s as u32, block.xor_diff(), theme));
        lines.push(bits_line("computed xor", c as u32, block.xor_diff(), theme));
        lines.push(bits_line("xor of both", block.xor_diff(), block.xor_diff(), theme));
        lines.push(bits_line(&format!("stored {second}"), (s >> 32) as u32, block.ecc_diff(), theme));
        lines.push(bits_line(&format!("computed {second}"), (c >> 32) as u32, block.ecc_diff(), theme));
        // for XOR+ECC the XOR of stored and computed ECC is the syndrome: it locates a flipped bit
        let both = if check.format == ChecksumFormat::Legacy { "pgno of both" } else { "syndrome" };
        lines.push(bits_line(both, block.ecc_diff(), block.ecc_diff(), theme));
    }
    let verdict_style = if check.verdict.is_damaged() { theme.error() } else { theme.ok() };
    lines.push(Line::styled(
        format!("verdict: {}", verdict_text(&check.verdict, page.dump.file_offset)),
        verdict_style,
    ));
    if let Verdict::Correctable { bits, .. } = &check.verdict {
        for bit in bits {
            let start = bit.offset & !7;
            let mut spans = vec![Span::styled(format!("  {start:04x}  "), theme.dim())];
            for i in start..(start + 8).min(page.dump.bytes.len()) {
                let b = page.dump.bytes.get(i).copied().unwrap_or(0);
                let style = if i == bit.offset { theme.flipped() } else { theme.text() };
                spans.push(Span::styled(format!("{b:02x}"), style));
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(
                format!(
                    " byte {:#x} bit {}: {:#04x} -> {:#04x} (Enter: show in hex)",
                    bit.offset,
                    bit.bit,
                    bit.byte,
                    bit.corrected()
                ),
                theme.warning(),
            ));
            lines.push(Line::from(spans));
        }
    }
    for f in &page.dump.flipped_fields {
        lines.push(Line::styled(
            format!(
                "the flipped bit is in header field {} at {:#x}: stored {}, corrected {}",
                f.name, f.offset, f.stored, f.corrected
            ),
            theme.warning(),
        ));
    }
    for f in &page.dump.flipped_data {
        let values = f.values();
        let values = if values.is_empty() { String::new() } else { format!(": {values}") };
        lines.push(Line::styled(format!("the flipped bit is in {}{values}", f.location()), theme.warning()));
    }
    // the verdict names the engine's error code once; say it only when it did not
    let said = lines.iter().any(|l| l.to_string().contains("JET_err"));
    if let Some((code, name)) = check.verdict.jet_error().filter(|_| !said) {
        lines.push(Line::styled(format!("the engine reports this as {code} {name}"), theme.dim()));
    }
    scroll::fit(lines, width, Overflow::Wrap)
}

/// Scrolls the analysis of `page` drawn in `body`.
pub fn handle(page: &mut PageState, action: Action, body: Rect) {
    let total = lines(page, Theme { no_color: true }, inner_width(body)).len();
    scroll::scroll(&mut page.checksum_scroll, action, total, inner_rows(body));
}

/// Draws the checksum analysis of the open page.
pub fn render(page: &PageState, body: Rect, buf: &mut Buffer, theme: Theme) {
    let lines = lines(page, theme, inner_width(body));
    let title = format!(" Checksum · page {} · {:#x} ", page.dump.pgno, page.dump.file_offset);
    let block = Block::bordered().title(title).border_style(theme.dim());
    scroll::render(lines, page.checksum_scroll, body, buf, block, theme);
}
