//! The overview: the file at a glance, and both header copies side by side
//! with the fields that differ highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::report::header::HeaderReport;
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

/// The state of the overview.
#[derive(Debug, Clone)]
pub struct OverviewState {
    /// The header document (`esescope header`), built once.
    pub report: HeaderReport,
    /// The summary lines (`esescope info`), built once.
    pub summary: Vec<String>,
    /// First line shown.
    pub scroll: usize,
}

impl OverviewState {
    /// Builds the overview of `db`.
    pub fn new(db: &Database) -> Self {
        let report = HeaderReport::build(db, true);
        let mut text = Vec::new();
        let summary = match report.write_summary(&mut text) {
            Ok(()) => String::from_utf8_lossy(&text).lines().map(str::to_string).collect(),
            Err(e) => vec![format!("cannot render the summary: {e}")],
        };
        Self { report, summary, scroll: 0 }
    }

    /// Scrolls the panel; `body` is the area the view is drawn in.
    pub fn handle(&mut self, action: Action, body: Rect) {
        let total = self.lines(Theme { no_color: true }, inner_width(body)).len();
        scroll::scroll(&mut self.scroll, action, total, inner_rows(body));
    }

    /// Every line of the view for a panel `width` columns wide: the summary
    /// (wrapped), then both header copies field by field (values cut with `…`).
    pub fn lines(&self, theme: Theme, width: usize) -> Vec<Line<'static>> {
        let summary: Vec<Line<'static>> = self
            .summary
            .iter()
            .map(|l| {
                let style = if l.starts_with("warning") || l.starts_with("error") {
                    theme.warning()
                } else {
                    theme.text()
                };
                Line::styled(l.clone(), style)
            })
            .collect();
        // continuation rows stay under the values (the labels are 22 wide)
        let mut lines = scroll::wrap_indented(summary, width, 22);

        let [primary, shadow] = [self.report.copies.first(), self.report.copies.get(1)];
        let status = |c: Option<&crate::report::header::HeaderCopyReport>| match c {
            Some(c) if c.valid => "valid".to_string(),
            Some(_) => "DAMAGED".to_string(),
            None => "missing".to_string(),
        };
        lines.push(Line::raw(""));
        let heading = format!(
            "Header copies · primary {} · shadow {} · {} differing",
            status(primary),
            status(shadow),
            self.report.differences.len()
        );
        lines.extend(scroll::fit(vec![Line::styled(heading, theme.title())], width, Overflow::Wrap));
        let value_width = width.saturating_sub(36) / 2;
        let clip = |s: String| scroll::ellipsize(Line::raw(s), value_width).to_string();
        lines.push(Line::styled(
            format!("{:>4} {:<28} {:<vw$} {}", "off", "field", "primary", "shadow", vw = value_width),
            theme.dim(),
        ));
        if let Some(primary) = primary {
            for (i, field) in primary.fields.iter().enumerate() {
                let other = shadow.and_then(|s| s.fields.get(i));
                let differs = other.is_some_and(|o| o.raw != field.raw);
                let other_text =
                    other.map_or("-".to_string(), |o| if differs { o.value.to_string() } else { "=".into() });
                let style = if differs { theme.differs() } else { theme.text() };
                lines.push(Line::from(vec![
                    Span::styled(format!("{:>4} ", field.offset), theme.dim()),
                    Span::styled(format!("{:<28} ", field.name), style),
                    Span::styled(format!("{:<vw$} ", clip(field.value.to_string()), vw = value_width), style),
                    Span::styled(clip(other_text), style),
                ]));
            }
        }
        lines
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let lines = self.lines(theme, inner_width(body));
        let block = Block::bordered().title(" Database ").border_style(theme.dim());
        scroll::render(lines, self.scroll, body, buf, block, theme);
    }
}
