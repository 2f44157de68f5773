//! The overview: the file at a glance, and both header copies side by side
//! with the fields that differ highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::report::header::HeaderReport;
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::theme::Theme;

/// The state of the overview.
#[derive(Debug, Clone)]
pub struct OverviewState {
    /// The header document (`esescope header`), built once.
    pub report: HeaderReport,
    /// The summary lines (`esescope info`), built once.
    pub summary: Vec<String>,
    /// First field row shown.
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

    /// Scrolls the field table.
    pub fn handle(&mut self, action: Action, rows: usize) {
        let last = self.report.copies.first().map_or(0, |c| c.fields.len().saturating_sub(1));
        self.scroll = match action {
            Action::Up | Action::ScrollUp => self.scroll.saturating_sub(1),
            Action::Down | Action::ScrollDown => (self.scroll + 1).min(last),
            Action::PageUp => self.scroll.saturating_sub(rows),
            Action::PageDown => (self.scroll + rows).min(last),
            Action::Home => 0,
            Action::End => last,
            _ => self.scroll,
        };
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let summary_height = (self.summary.len() as u16 + 2).min(body.height / 2);
        let [top, fields] =
            Layout::vertical([Constraint::Length(summary_height), Constraint::Fill(1)]).areas(body);
        let lines: Vec<Line> = self
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
        Paragraph::new(lines)
            .block(Block::bordered().title(" Database ").border_style(theme.dim()))
            .render(top, buf);

        let [primary, shadow] = [self.report.copies.first(), self.report.copies.get(1)];
        let status = |c: Option<&crate::report::header::HeaderCopyReport>| match c {
            Some(c) if c.valid => "valid".to_string(),
            Some(_) => "DAMAGED".to_string(),
            None => "missing".to_string(),
        };
        let title = format!(
            " Header copies · primary {} · shadow {} · {} differing ",
            status(primary),
            status(shadow),
            self.report.differences.len()
        );
        let block = Block::bordered().title(title).border_style(theme.dim());
        let inner = block.inner(fields);
        block.render(fields, buf);
        let width = usize::from(inner.width);
        let value_width = width.saturating_sub(36) / 2;
        let mut lines = vec![Line::styled(
            format!("{:>4} {:<28} {:<vw$} {}", "off", "field", "primary", "shadow", vw = value_width),
            theme.dim(),
        )];
        let rows = usize::from(inner.height.saturating_sub(1));
        if let Some(primary) = primary {
            for (i, field) in primary.fields.iter().enumerate().skip(self.scroll).take(rows) {
                let other = shadow.and_then(|s| s.fields.get(i));
                let differs = other.is_some_and(|o| o.raw != field.raw);
                let clip = |s: String| s.chars().take(value_width).collect::<String>();
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
        Paragraph::new(lines).render(inner, buf);
    }
}
