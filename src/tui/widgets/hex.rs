//! The hex view: page offset, bytes coloured by what they belong to, ASCII.
//! State-free: everything it draws is passed in.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::theme::{ByteClass, Theme};

/// A hex view of one page.
#[derive(Debug, Clone)]
pub struct HexView<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// What each byte belongs to (same length as `bytes`).
    pub classes: &'a [ByteClass],
    /// Bytes per row.
    pub per_row: usize,
    /// First row shown.
    pub top_row: usize,
    /// The cursor byte.
    pub cursor: Option<usize>,
    /// Bytes to emphasise (the selected tag).
    pub highlight: Option<Range<usize>>,
    /// Bytes with a flipped bit.
    pub flipped: &'a [usize],
    /// Styles.
    pub theme: Theme,
}

impl HexView<'_> {
    fn style_of(&self, index: usize) -> Style {
        let class = self.classes.get(index).copied().unwrap_or(ByteClass::Free);
        let mut style = self.theme.byte(class);
        if self.highlight.as_ref().is_some_and(|r| r.contains(&index)) {
            style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        if self.flipped.contains(&index) {
            style = self.theme.flipped();
        }
        if self.cursor == Some(index) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        style
    }
}

impl Widget for HexView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let per_row = self.per_row.max(1);
        let rows = usize::from(area.height);
        let mut lines = Vec::with_capacity(rows);
        for row in self.top_row..self.top_row + rows {
            let start = row * per_row;
            if start >= self.bytes.len() {
                break;
            }
            let end = (start + per_row).min(self.bytes.len());
            let mut spans = vec![Span::styled(format!("{start:04x}  "), self.theme.dim())];
            for i in start..start + per_row {
                match self.bytes.get(i) {
                    Some(b) if i < end => spans.push(Span::styled(format!("{b:02x}"), self.style_of(i))),
                    _ => spans.push(Span::raw("  ")),
                }
                spans.push(Span::raw(" "));
            }
            spans.push(Span::raw(" "));
            for i in start..end {
                let b = self.bytes.get(i).copied().unwrap_or(0);
                let c = if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' };
                spans.push(Span::styled(c.to_string(), self.style_of(i)));
            }
            lines.push(Line::from(spans));
        }
        Paragraph::new(lines).render(area, buf);
    }
}
