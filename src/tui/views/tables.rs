//! The tables view: the catalog's tables with their tree roots; `Enter`
//! opens a table's root page, from where the tree is walked down with
//! `Enter` on a node, up with `u`, and along a level with `h`/`l`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Block;

use crate::format::catalog::coltyp_name;
use crate::format::PageNumber;
use crate::store::catalog::Catalog;
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

/// The state of the tables view.
#[derive(Debug, Clone)]
pub struct TablesState {
    /// The catalog, read once.
    pub catalog: Catalog,
    /// Selected table.
    pub selected: usize,
    /// First line shown.
    pub scroll: usize,
}

impl TablesState {
    /// The view of `catalog`.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog, selected: 0, scroll: 0 }
    }

    /// Handles an action in the view drawn in `body`; returns the root page
    /// to open for `Enter`. `j`/`k`, Home/End select a table (the list
    /// follows); PgUp/PgDn and the wheel scroll through its columns and indexes.
    pub fn handle(&mut self, action: Action, body: Rect) -> Option<PageNumber> {
        let last = self.catalog.tables.len().saturating_sub(1);
        let rows = inner_rows(body);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Home => self.selected = 0,
            Action::End => self.selected = last,
            Action::Enter => return self.catalog.tables.get(self.selected).map(|t| t.pgno_fdp()),
            other => {
                let total = self.lines(Theme { no_color: true }).len();
                scroll::scroll(&mut self.scroll, other, total, rows);
                return None;
            }
        }
        // the heading line comes before the tables
        let total = self.lines(Theme { no_color: true }).len();
        let offset = self.scroll.min(total.saturating_sub(rows));
        self.scroll = if self.selected == 0 { 0 } else { scroll::follow(offset, self.selected + 1, rows) };
        None
    }

    /// Every line: the table list, then the selected table's columns and indexes.
    fn lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let mut lines =
            vec![Line::styled(format!("{:<44} {:>6} {:>8}", "table", "objid", "root"), theme.dim())];
        for (i, t) in self.catalog.tables.iter().enumerate() {
            let style = if i == self.selected { theme.selected() } else { theme.text() };
            lines.push(Line::styled(
                format!("{:<44} {:>6} {:>8}", t.table.name, t.table.id, t.table.coltyp_or_pgno_fdp),
                style,
            ));
        }
        if let Some(t) = self.catalog.tables.get(self.selected) {
            lines.push(Line::raw(""));
            for c in &t.columns {
                lines.push(Line::styled(
                    format!("  column {:>4} {:<32} {}", c.id, c.name, coltyp_name(c.coltyp_or_pgno_fdp)),
                    theme.dim(),
                ));
            }
            for index in &t.indexes {
                lines.push(Line::styled(
                    format!("  index  {:<32} root page {}", index.name, index.coltyp_or_pgno_fdp),
                    theme.dim(),
                ));
            }
        }
        if self.catalog.tables.is_empty() {
            lines.push(Line::styled("No catalog tables (a temporary database has none).", theme.dim()));
        }
        lines
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let lines = scroll::fit(self.lines(theme), inner_width(body), Overflow::Ellipsis);
        let title = " Tables · Enter opens the root · r its rows ";
        let block = Block::bordered().title(title).border_style(theme.dim());
        scroll::render(lines, self.scroll, body, buf, block, theme);
    }
}
