//! A bordered panel of lines that scrolls (j/k, PgUp/PgDn, Home/End, the
//! mouse wheel) and says in its bottom border that it has more. Long lines
//! are either wrapped or cut with an ellipsis, never cut silently.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::tui::action::Action;
use crate::tui::theme::Theme;

/// What to do with a line wider than the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Continue it on the next rows.
    Wrap,
    /// Cut it and end it with `…`.
    Ellipsis,
}

/// The rows inside a bordered panel of `area`.
pub fn inner_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(2))
}

/// The columns inside a bordered panel of `area`.
pub fn inner_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(2))
}

/// Applies a scrolling action to `offset` for `total` lines of which `rows`
/// are visible. Returns false for actions that do not scroll.
pub fn scroll(offset: &mut usize, action: Action, total: usize, rows: usize) -> bool {
    let last = total.saturating_sub(rows.max(1));
    match select((*offset).min(last), action, last + 1, rows) {
        Some(moved) => {
            *offset = moved;
            true
        }
        None => false,
    }
}

/// The selection in a list of `count` items of which `rows` are visible
/// after a moving action (j/k, the wheel, PgUp/PgDn, Home/End); `None` for
/// actions that do not move it.
pub fn select(selected: usize, action: Action, count: usize, rows: usize) -> Option<usize> {
    let last = count.saturating_sub(1);
    Some(match action {
        Action::Up | Action::ScrollUp => selected.saturating_sub(1),
        Action::Down | Action::ScrollDown => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(rows.max(1)),
        Action::PageDown => (selected + rows.max(1)).min(last),
        Action::Home => 0,
        Action::End => last,
        _ => return None,
    })
}

/// The offset that keeps line `selected` visible, starting from `offset`.
pub fn follow(offset: usize, selected: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + rows {
        selected + 1 - rows
    } else {
        offset
    }
}

/// `line` split into pieces of at most `width` characters; the pieces
/// after the first start with `indent` spaces.
fn wrap_line(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    if width <= indent || line.width() <= width {
        return vec![line];
    }
    let style = line.style;
    let mut rows = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut text = String::new();
        for c in span.content.chars() {
            if used == width {
                if !text.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut text), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut current)).style(style));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            text.push(c);
            used += 1;
        }
        if !text.is_empty() {
            current.push(Span::styled(text, span.style));
        }
    }
    if !current.is_empty() {
        rows.push(Line::from(current).style(style));
    }
    rows
}

/// `line` cut to `width` characters, the last one `…` when anything was cut.
pub fn ellipsize(line: Line<'static>, width: usize) -> Line<'static> {
    if width == 0 || line.width() <= width {
        return line;
    }
    let style = line.style;
    let mut spans = Vec::new();
    let mut left = width - 1;
    for span in line.spans {
        if left == 0 {
            break;
        }
        let text: String = span.content.chars().take(left).collect();
        left -= text.chars().count();
        spans.push(Span::styled(text, span.style));
    }
    spans.push(Span::raw("…"));
    Line::from(spans).style(style)
}

/// `lines` fitted to `width` columns.
pub fn fit(lines: Vec<Line<'static>>, width: usize, overflow: Overflow) -> Vec<Line<'static>> {
    match overflow {
        Overflow::Wrap => lines.into_iter().flat_map(|l| wrap_line(l, width, 0)).collect(),
        Overflow::Ellipsis => lines.into_iter().map(|l| ellipsize(l, width)).collect(),
    }
}

/// `lines` wrapped to `width` columns, continuation rows indented by
/// `indent` (to stay under a value column).
pub fn wrap_indented(lines: Vec<Line<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    lines.into_iter().flat_map(|l| wrap_line(l, width, indent)).collect()
}

/// The bottom-border note of a panel showing rows `first..first + rows` of
/// `total`, or `None` when everything fits.
pub fn more_note(first: usize, rows: usize, total: usize) -> Option<String> {
    if total <= rows {
        return None;
    }
    let last = (first + rows).min(total);
    let up = if first > 0 { "↑" } else { " " };
    let down = if last < total { "↓" } else { " " };
    Some(format!(" {up}{down} lines {}-{last} of {total} · j/k PgUp/PgDn Home/End ", first + 1))
}

/// `lines` cut to the `rows` of a panel that does not scroll (a detail
/// panel under a list, whose keys move the list): when they do not fit,
/// the last row says how many more there are and that `hint` shows them.
pub fn cut_to_rows(
    mut lines: Vec<Line<'static>>,
    rows: usize,
    hint: &str,
    theme: Theme,
) -> Vec<Line<'static>> {
    if lines.len() > rows && rows > 0 {
        let more = lines.len() - (rows - 1);
        lines.truncate(rows - 1);
        lines.push(Line::styled(format!("… {more} more lines: {hint}"), theme.warning()));
    }
    lines
}

/// [`more_note`] for a panel `width` columns wide: without the keys, or
/// only the arrows and the range, when the whole note does not fit.
pub fn more_note_fitted(first: usize, rows: usize, total: usize, width: usize) -> Option<String> {
    let note = more_note(first, rows, total)?;
    let room = width.saturating_sub(2);
    if note.chars().count() <= room {
        return Some(note);
    }
    let last = (first + rows).min(total);
    let up = if first > 0 { "↑" } else { " " };
    let down = if last < total { "↓" } else { " " };
    let short = format!(" {up}{down} {}-{last} of {total} ", first + 1);
    (short.chars().count() <= room).then_some(short)
}

/// Draws `lines` (already fitted) in `block` over `area`, from line
/// `offset` (clamped so the last screen is full), with the note when there
/// is more than fits. Returns the offset used.
pub fn render(
    lines: Vec<Line<'static>>,
    offset: usize,
    area: Rect,
    buf: &mut Buffer,
    block: Block<'static>,
    theme: Theme,
) -> usize {
    let rows = inner_rows(area);
    let total = lines.len();
    let first = offset.min(total.saturating_sub(rows));
    let block = match more_note(first, rows, total) {
        Some(note) => block.title_bottom(Line::styled(note, theme.warning()).right_aligned()),
        None => block,
    };
    let shown: Vec<Line> = lines.into_iter().skip(first).take(rows).collect();
    Paragraph::new(shown).block(block).render(area, buf);
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_stops_at_the_last_full_screen() {
        let mut offset = 0;
        assert!(scroll(&mut offset, Action::End, 30, 10));
        assert_eq!(offset, 20);
        scroll(&mut offset, Action::Down, 30, 10);
        assert_eq!(offset, 20);
        scroll(&mut offset, Action::PageUp, 30, 10);
        assert_eq!(offset, 10);
        scroll(&mut offset, Action::ScrollUp, 30, 10);
        assert_eq!(offset, 9);
        assert!(!scroll(&mut offset, Action::Enter, 30, 10));
        assert_eq!(follow(0, 12, 10), 3);
        assert_eq!(follow(5, 2, 10), 2);
    }

    #[test]
    fn long_lines_wrap_or_end_in_an_ellipsis() {
        let line = Line::from(vec![Span::raw("abcd"), Span::raw("efgh")]);
        let wrapped = fit(vec![line.clone()], 3, Overflow::Wrap);
        let texts: Vec<String> = wrapped.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["abc", "def", "gh"]);
        let texts: Vec<String> =
            wrap_indented(vec![line.clone()], 4, 1).iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["abcd", " efg", " h"]);
        assert_eq!(ellipsize(line, 5).to_string(), "abcd…");
        assert_eq!(more_note(0, 10, 10), None);
        assert!(more_note(0, 10, 11).is_some_and(|n| n.contains("1-10 of 11")));
        assert_eq!(more_note_fitted(0, 9, 15, 36).as_deref(), Some("  ↓ 1-9 of 15 "));
        assert_eq!(more_note_fitted(0, 9, 9, 36), None);
        assert!(more_note_fitted(2, 9, 15, 80).is_some_and(|n| n.contains("j/k")));
    }
}
