//! Draws the whole screen from `&App`: tabs, the current view, the status
//! line (message or prompt), the key footer, and the help when asked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::action::{Prompt, ViewId};
use super::app::{tab_bar, App, Level};
use super::keymap::{footer, help_lines};
use super::layout::bands;
use super::theme::Theme;
use super::views::checksum;
use super::widgets::scroll::{self, Overflow};
use ratatui::style::Style;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let bands = bands(area);
        let (prefix, labels) = tab_bar(self);
        let mut tabs = vec![Span::styled(prefix, theme.dim())];
        for (view, label) in labels {
            let style = if view == self.view { theme.selected().patch(theme.title()) } else { theme.text() };
            tabs.push(Span::styled(label, style));
        }
        Paragraph::new(Line::from(tabs)).render(bands.tabs, buf);

        match (self.view, &self.page) {
            (ViewId::Overview, _) => self.overview.render(bands.body, buf, theme),
            (ViewId::PageMap, _) => self.map.render(bands.body, buf, theme),
            (ViewId::Page, Some(page)) => page.render(bands.body, buf, theme),
            (ViewId::Checksum, Some(page)) => checksum::render(page, bands.body, buf, theme),
            (ViewId::Page | ViewId::Checksum, None) => {
                Paragraph::new("This file has no pages after its headers.").render(bands.body, buf)
            }
            (ViewId::Jobs, _) => self.jobs.render(bands.body, buf, theme),
            (ViewId::Tables, _) => self.tables.render(bands.body, buf, theme),
            (ViewId::Records, _) => match &self.records {
                Some(records) => records.render(bands.body, buf, theme),
                None => {
                    Paragraph::new("No table open: pick one in the tables view (7) and press r for its rows.")
                        .render(bands.body, buf)
                }
            },
            (ViewId::Logs, _) => match &self.logs {
                Some(logs) => logs.render(bands.body, buf, theme),
                None => {
                    let text = match &self.logs_searched {
                        Some((dir, true)) => format!(
                            "No transaction logs: no ESE log set (edb.log, edb00001.log, edb.chk…) in {}, the --logs directory.",
                            dir.display()
                        ),
                        Some((dir, false)) => format!(
                            "No transaction logs: none with this database's log signature in {}. Start with --logs DIR to name their folder.",
                            dir.display()
                        ),
                        None => "No transaction logs were looked for. Start with --logs DIR to name their folder."
                            .to_string(),
                    };
                    Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }).render(bands.body, buf)
                }
            },
        }

        let width = usize::from(area.width);
        let status = match (&self.prompt, &self.message) {
            (Some((prompt, input)), _) => {
                let label = match prompt {
                    Prompt::GoTo => "Go to page (N, 0xN or @offset): ",
                    Prompt::Search => "Search (hex bytes or text): ",
                    Prompt::SaveAs => "Save to file: ",
                    Prompt::RepairTo => "Write the repaired copy to (a new file): ",
                    Prompt::RepairFrom => "Healthy copy to take damaged pages from (Enter: none): ",
                    Prompt::RecoverTo => "Recover from the logs into (a new file): ",
                    Prompt::SalvageTo => "Salvage every readable row into (a new file): ",
                    Prompt::FindRecord => "Find a row (text in any column): ",
                };
                // the end of a long input stays in view
                let room = width.saturating_sub(label.chars().count() + 1);
                let skip = input.chars().count().saturating_sub(room);
                let shown: String = input.chars().skip(skip).collect();
                let lead = if skip > 0 { "…" } else { "" };
                Line::from(vec![Span::styled(label, theme.title()), Span::raw(format!("{lead}{shown}▏"))])
            }
            (None, Some((text, level))) => {
                let style = if *level == Level::Error { theme.error() } else { theme.text() };
                status_line(text, style, width, theme)
            }
            (None, None) => Line::raw(""),
        };
        Paragraph::new(status).render(bands.status, buf);
        Paragraph::new(Line::styled(footer(self.view, width), theme.dim())).render(bands.footer, buf);

        if self.show_messages {
            Clear.render(bands.body, buf);
            let lines = message_lines(self, scroll::inner_width(bands.body));
            let title = format!(" Messages · {} (M, : or Esc closes) ", self.messages.len());
            let block = Block::bordered().title(title).border_style(theme.title());
            scroll::render(lines, self.messages_scroll, bands.body, buf, block, theme);
        }

        if self.help {
            let lines: Vec<Line> = help_lines(self.view)
                .into_iter()
                .map(|(keys, help)| {
                    Line::from(vec![Span::styled(format!("{keys:>14}  "), theme.title()), Span::raw(help)])
                })
                .collect();
            let popup = help_popup(area, self.view);
            let lines = scroll::fit(lines, scroll::inner_width(popup), Overflow::Wrap);
            Clear.render(popup, buf);
            let title = format!(" Keys · {} (? or Esc closes) ", self.view.title());
            let block = Block::bordered().title(title).border_style(theme.title());
            scroll::render(lines, self.help_scroll, popup, buf, block, theme);
        }
    }
}

/// The status line for a message: whole when it fits, else cut with `…`
/// and a pointer to the messages log, which keeps it whole.
fn status_line(text: &str, style: Style, width: usize, theme: Theme) -> Line<'static> {
    if text.chars().count() <= width {
        return Line::styled(text.to_string(), style);
    }
    let hint = " M: whole";
    let cut = scroll::ellipsize(Line::styled(text.to_string(), style), width.saturating_sub(hint.len()));
    let mut spans = cut.spans;
    spans.push(Span::styled(hint, theme.title()));
    Line::from(spans)
}

/// Where the help of `view` is drawn on a screen of `area`.
pub fn help_popup(area: Rect, view: ViewId) -> Rect {
    let rows = help_lines(view).len() as u16 + 2;
    let height = rows.min(area.height.saturating_sub(2)).max(3.min(area.height));
    let width = 60.min(area.width);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    }
}

/// The messages log's lines, fitted to `width`, oldest first.
pub fn message_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    if app.messages.is_empty() {
        return vec![Line::styled("No messages yet.", theme.dim())];
    }
    let lines = app
        .messages
        .iter()
        .map(|(text, level)| {
            let style = if *level == Level::Error { theme.error() } else { theme.text() };
            Line::styled(text.clone(), style)
        })
        .collect();
    scroll::fit(lines, width, Overflow::Wrap)
}
