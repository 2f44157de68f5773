//! Draws the whole screen from `&App`: tabs, the current view, the status
//! line (message or prompt), the key footer, and the help when asked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::action::{Prompt, ViewId};
use super::app::{tab_label, tabs_prefix, App, Level};
use super::keymap::{footer, help_lines};
use super::layout::bands;
use super::views::checksum;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let bands = bands(area);
        let mut tabs = vec![Span::styled(tabs_prefix(self), theme.dim())];
        for view in ViewId::ALL {
            let style = if view == self.view { theme.selected().patch(theme.title()) } else { theme.text() };
            tabs.push(Span::styled(tab_label(view), style));
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
                None => Paragraph::new("No table open: pick one in the tables view (7) and press r for its rows.")
                    .render(bands.body, buf),
            },
            (ViewId::Logs, _) => match &self.logs {
                Some(logs) => logs.render(bands.body, buf, theme),
                None => Paragraph::new(
                    "No transaction logs: none with this database's log signature next to it. Start with --logs DIR.",
                )
                .render(bands.body, buf),
            },
        }

        let status = match (&self.prompt, &self.message) {
            (Some((prompt, input)), _) => {
                let label = match prompt {
                    Prompt::GoTo => "Go to page (N, 0xN or @offset): ",
                    Prompt::Search => "Search (hex bytes or text): ",
                    Prompt::SaveAs => "Save to file: ",
                    Prompt::RepairTo => "Write the repaired copy to (a new file): ",
                    Prompt::RecoverTo => "Recover from the logs into (a new file): ",
                    Prompt::FindRecord => "Find a row (text in any column): ",
                };
                Line::from(vec![Span::styled(label, theme.title()), Span::raw(format!("{input}▏"))])
            }
            (None, Some((text, Level::Error))) => Line::styled(text.clone(), theme.error()),
            (None, Some((text, Level::Info))) => Line::styled(text.clone(), theme.text()),
            (None, None) => Line::raw(""),
        };
        Paragraph::new(status).render(bands.status, buf);
        Paragraph::new(Line::styled(footer(self.view), theme.dim())).render(bands.footer, buf);

        if self.help {
            let lines: Vec<Line> = help_lines(self.view)
                .into_iter()
                .map(|(keys, help)| {
                    Line::from(vec![Span::styled(format!("{keys:>14}  "), theme.title()), Span::raw(help)])
                })
                .collect();
            let height = (lines.len() as u16 + 2).min(area.height);
            let width = 56.min(area.width);
            let popup = Rect {
                x: area.x + (area.width - width) / 2,
                y: area.y + (area.height - height) / 2,
                width,
                height,
            };
            Clear.render(popup, buf);
            let title = format!(" Keys · {} (? or Esc closes) ", self.view.title());
            Paragraph::new(lines)
                .block(Block::bordered().title(title).border_style(theme.title()))
                .render(popup, buf);
        }
    }
}
