//! The records view: the rows of one table, decoded. The upper pane lists
//! rows (the first columns that fit), the lower one shows every column of
//! the selected row; `Tab` moves between them, and `Enter` on a column
//! shows its whole value (long values too) as text or a hex dump, scrolled
//! with the arrow keys. Only the rows on screen are decoded; the view keeps
//! just where each record is (page and tag, or page and offset for a
//! remnant carved from slack).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::value::Value;
use crate::format::PageNumber;
use crate::report::record::RecordDump;
use crate::store::catalog::{Catalog, TableDef};
use crate::store::table::{Row, Table};
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

/// Tables larger than this show their first rows only (the view says so).
pub const MAX_ROWS: usize = 1_000_000;

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordsFocus {
    /// The row list.
    Rows,
    /// The selected row's columns.
    Columns,
    /// One value, whole.
    Value,
}

/// The state of the records view.
#[derive(Debug, Clone)]
pub struct RecordsState {
    /// The table.
    pub def: TableDef,
    /// Column names and types, for the headings.
    pub columns: Vec<(String, &'static str)>,
    /// Where each record is.
    pub locations: Vec<(PageNumber, u16)>,
    /// The table has more rows than [`MAX_ROWS`].
    pub truncated: bool,
    /// Selected row.
    pub selected: usize,
    /// First row on screen.
    pub top: usize,
    /// Selected column of the selected row.
    pub column: usize,
    /// First line of the value pane.
    pub scroll: usize,
    /// First line of the columns pane.
    pub detail_top: usize,
    /// Which pane has the keys.
    pub focus: RecordsFocus,
    /// The rows on screen, decoded: (row index, row).
    pub window: Vec<(usize, Row)>,
    /// The selected row, as a document (what `y` copies).
    pub dump: Option<RecordDump>,
    /// How many of `locations` are live rows; the rest, when shown, are
    /// recovered rows (`d`), never mixed in with the live ones.
    pub live: usize,
    /// The `_source` of each recovered row shown (after the live rows).
    pub sources: Vec<String>,
    /// The page offset of each recovered row that is a slack remnant (its
    /// location's tag is then 0: no tag points at it).
    pub slack: Vec<Option<usize>>,
}

impl RecordsState {
    /// Opens table `def`: finds where its records are and decodes the first screen.
    pub fn open(db: &Database, catalog: &Catalog, def: &TableDef, rows: usize) -> Self {
        let table = Table::new(db, catalog, def);
        let (locations, _) = table.locations(false, MAX_ROWS + 1);
        let truncated = locations.len() > MAX_ROWS;
        let mut locations = locations;
        locations.truncate(MAX_ROWS);
        let columns = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), crate::format::catalog::coltyp_name(c.coltyp.0)))
            .collect();
        let mut state = Self {
            def: def.clone(),
            columns,
            locations,
            truncated,
            selected: 0,
            top: 0,
            column: 0,
            scroll: 0,
            detail_top: 0,
            focus: RecordsFocus::Rows,
            window: Vec::new(),
            dump: None,
            live: 0,
            sources: Vec::new(),
            slack: Vec::new(),
        };
        state.live = state.locations.len();
        state.decode(&table, rows);
        state
    }

    fn decode(&mut self, table: &Table<'_>, rows: usize) {
        let rows = rows.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + rows {
            self.top = self.selected + 1 - rows;
        }
        let end = (self.top + rows).min(self.locations.len());
        self.window = (self.top..end).filter_map(|i| self.row(table, i).map(|row| (i, row))).collect();
        self.dump =
            self.window.iter().find(|(i, _)| *i == self.selected).map(|(_, row)| RecordDump::new(table, row));
    }

    /// Row `index`, decoded: a record of its page and tag, or the slack
    /// remnant at its page offset.
    fn row(&self, table: &Table<'_>, index: usize) -> Option<Row> {
        let (pgno, tag) = *self.locations.get(index)?;
        match self.slack_offset(index) {
            Some(offset) => table.remnant_at(pgno, offset).map(|r| r.row),
            None => table.row_at(pgno, tag),
        }
    }

    /// The page offset of row `index` when it is a slack remnant.
    pub fn slack_offset(&self, index: usize) -> Option<usize> {
        index.checked_sub(self.live).and_then(|i| self.slack.get(i).copied().flatten())
    }

    /// Handles an action in the view drawn in `body`. The detail pane
    /// scrolls like every panel: j/k, PgUp/PgDn, Home/End and the wheel.
    pub fn handle(&mut self, action: Action, db: &Database, catalog: &Catalog, body: Rect) {
        let rows = Self::list_rows(body);
        let last_row = self.locations.len().saturating_sub(1);
        let last_column = self.columns.len().saturating_sub(1);
        let detail = Self::panes(body)[1];
        let (detail_rows, width) = (inner_rows(detail), inner_width(detail));
        match (self.focus, action) {
            (_, Action::ToggleRecovered) => self.toggle_recovered(&Table::new(db, catalog, &self.def)),
            (_, Action::Focus) => {
                self.focus = match self.focus {
                    RecordsFocus::Rows => RecordsFocus::Columns,
                    _ => RecordsFocus::Rows,
                }
            }
            (RecordsFocus::Value, Action::Escape | Action::Enter) => self.focus = RecordsFocus::Columns,
            (RecordsFocus::Value, action) => {
                let total = self.detail_lines(width, Theme { no_color: true }).len();
                scroll::scroll(&mut self.scroll, action, total, detail_rows);
                return;
            }
            (RecordsFocus::Columns, Action::Enter) => {
                self.focus = RecordsFocus::Value;
                self.scroll = 0;
            }
            (RecordsFocus::Columns, Action::Escape) => self.focus = RecordsFocus::Rows,
            (RecordsFocus::Columns, action) => {
                let page = detail_rows.max(1);
                self.column = match action {
                    Action::Up | Action::ScrollUp => self.column.saturating_sub(1),
                    Action::Down | Action::ScrollDown => (self.column + 1).min(last_column),
                    Action::PageUp => self.column.saturating_sub(page),
                    Action::PageDown => (self.column + page).min(last_column),
                    Action::Home => 0,
                    Action::End => last_column,
                    _ => return,
                };
                // the columns, then the errors of the row: End shows the last line
                let total = self.detail_lines(width, Theme { no_color: true }).len();
                let last = total.saturating_sub(detail_rows);
                self.detail_top = match action {
                    Action::End => last,
                    _ => scroll::follow(self.detail_top.min(last), self.column, detail_rows),
                };
                return;
            }
            (RecordsFocus::Rows, Action::Up | Action::ScrollUp) => {
                self.selected = self.selected.saturating_sub(1)
            }
            (RecordsFocus::Rows, Action::Down | Action::ScrollDown) => {
                self.selected = (self.selected + 1).min(last_row)
            }
            (RecordsFocus::Rows, Action::PageUp) => self.selected = self.selected.saturating_sub(rows),
            (RecordsFocus::Rows, Action::PageDown) => self.selected = (self.selected + rows).min(last_row),
            (RecordsFocus::Rows, Action::Home) => self.selected = 0,
            (RecordsFocus::Rows, Action::End) => self.selected = last_row,
            (RecordsFocus::Rows, Action::Enter) => self.focus = RecordsFocus::Columns,
            _ => return,
        }
        self.decode(&Table::new(db, catalog, &self.def), rows);
    }

    /// Shows the table's recovered rows after its live ones, or hides them.
    fn toggle_recovered(&mut self, table: &Table<'_>) {
        if self.sources.is_empty() {
            let mut found = Vec::new();
            table.recovered(|r| {
                found.push((r.row.pgno, r.row.tag, r.source.label(), r.source.slack_offset()))
            });
            for (pgno, tag, source, offset) in found.into_iter().take(MAX_ROWS.saturating_sub(self.live)) {
                self.locations.push((pgno, tag));
                self.sources.push(source);
                self.slack.push(offset);
            }
        } else {
            self.locations.truncate(self.live);
            self.sources.clear();
            self.slack.clear();
            self.selected = self.selected.min(self.live.saturating_sub(1));
        }
    }

    /// The `_source` of row `index` when it is a recovered row.
    pub fn source_of(&self, index: usize) -> Option<&str> {
        index.checked_sub(self.live).and_then(|i| self.sources.get(i)).map(String::as_str)
    }

    /// Selects the next row (after the selected one, wrapping around) in
    /// which some value's text contains `query`, ignoring case; returns its
    /// index, or `None` when no row has it.
    pub fn find(&mut self, query: &str, db: &Database, catalog: &Catalog, rows: usize) -> Option<usize> {
        let needle = query.to_lowercase();
        if needle.is_empty() || self.locations.is_empty() {
            return None;
        }
        let table = Table::new(db, catalog, &self.def);
        let count = self.locations.len();
        let found = (1..=count).map(|step| (self.selected + step) % count).find(|&i| {
            self.row(&table, i)
                .is_some_and(|row| row.values.iter().any(|v| v.to_text().to_lowercase().contains(&needle)))
        })?;
        self.selected = found;
        self.focus = RecordsFocus::Rows;
        self.decode(&table, rows);
        Some(found)
    }

    /// Selects the row whose node key is `key`; false when no listed row has it.
    pub fn select_key(&mut self, key: &[u8], db: &Database, catalog: &Catalog, rows: usize) -> bool {
        let found = self.locations.iter().position(|&(pgno, tag)| {
            db.read_page(pgno).ok().is_some_and(|read| {
                read.page(db).ok().is_some_and(|page| {
                    tag.checked_sub(page.header.ctag_reserved())
                        .and_then(|line| crate::format::node::node(&page, line).ok())
                        .is_some_and(|node| node.key == key)
                })
            })
        });
        if let Some(index) = found {
            self.selected = index;
            self.focus = RecordsFocus::Rows;
            self.decode(&Table::new(db, catalog, &self.def), rows);
        }
        found.is_some()
    }

    /// The row list pane's height for a body of `body` rows.
    pub fn list_rows(body: Rect) -> usize {
        usize::from(body.height.saturating_sub(2) / 2).saturating_sub(2).max(1)
    }

    /// The row list and the detail pane of a body.
    fn panes(body: Rect) -> [Rect; 2] {
        Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body)
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let [list, detail] = Self::panes(body);
        let width = usize::from(list.width.saturating_sub(2));
        let cell_width = 18;
        let shown = (width / (cell_width + 1)).max(1);
        let mut lines = vec![Line::styled(
            self.columns.iter().take(shown).map(|(n, _)| fit(n, cell_width)).collect::<Vec<_>>().join(" "),
            theme.dim(),
        )];
        for (i, row) in &self.window {
            let text: Vec<String> =
                row.values.iter().take(shown).map(|v| fit(&short(v), cell_width)).collect();
            let style = match (*i == self.selected, self.source_of(*i).is_some()) {
                (true, _) => theme.selected(),
                (false, true) => theme.dim(),
                (false, false) => theme.text(),
            };
            lines.push(Line::styled(text.join(" "), style));
        }
        if self.locations.is_empty() {
            lines.push(Line::styled("The table has no records.", theme.dim()));
        }
        let mut more = if self.truncated { format!(", first {MAX_ROWS} shown") } else { String::new() };
        if !self.sources.is_empty() {
            more.push_str(&format!(" · {} live + {} recovered (d hides)", self.live, self.sources.len()));
        }
        let rest = format!(
            " · row {} of {}{more} · Tab columns · Enter value",
            if self.locations.is_empty() { 0 } else { self.selected + 1 },
            self.locations.len()
        );
        let title = title_fitted("Records of ", &self.def.table.name, &rest, usize::from(list.width));
        Paragraph::new(lines)
            .block(Block::bordered().title(title).border_style(theme.dim()))
            .render(list, buf);
        self.render_detail(detail, buf, theme);
    }

    /// The lines of the detail pane fitted to `width` columns: the
    /// selected value whole (wrapped, or a hex dump), or every column of
    /// the selected row and its errors (cut with `…`).
    fn detail_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let Some(dump) = &self.dump else { return Vec::new() };
        if self.focus == RecordsFocus::Value {
            let Some(c) = dump.columns.get(self.column) else { return Vec::new() };
            let body: Vec<Line<'static>> = match &c.value {
                Value::Binary(bytes) => value_hex(bytes, width).into_iter().map(Line::raw).collect(),
                other => other.to_text().lines().map(|l| Line::raw(l.to_string())).collect(),
            };
            return scroll::fit(body, width, Overflow::Wrap);
        }
        let name_width = dump.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).min(32);
        let mut lines: Vec<Line<'static>> = dump
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let value = if c.value.is_null() { "NULL".to_string() } else { short(&c.value) };
                let style = if i == self.column && self.focus == RecordsFocus::Columns {
                    theme.selected()
                } else {
                    theme.text()
                };
                Line::styled(
                    format!("{:<name_width$}  {:<14} {value}", fit(&c.name, name_width), c.coltyp),
                    style,
                )
            })
            .collect();
        for e in &dump.errors {
            lines.push(Line::styled(format!("error: {e}"), theme.error()));
        }
        scroll::fit(lines, width, Overflow::Ellipsis)
    }

    fn render_detail(&self, area: Rect, buf: &mut Buffer, theme: Theme) {
        let Some(dump) = &self.dump else {
            Paragraph::new("").block(Block::bordered().border_style(theme.dim())).render(area, buf);
            return;
        };
        let lines = self.detail_lines(inner_width(area), theme);
        if self.focus == RecordsFocus::Value {
            let Some(c) = dump.columns.get(self.column) else { return };
            let rest = format!(" ({}) · {} · Esc back", c.coltyp, describe(&c.value));
            let title = title_fitted("", &c.name, &rest, usize::from(area.width));
            let block = Block::bordered().title(title).border_style(theme.title());
            scroll::render(lines, self.scroll, area, buf, block, theme);
            return;
        }
        let title = match (self.source_of(self.selected), self.slack_offset(self.selected)) {
            (Some(source), Some(offset)) => {
                format!(" page {} offset {offset:#x} · recovered: {} ", dump.pgno, source)
            }
            (Some(source), None) => format!(" page {} tag {} · recovered: {} ", dump.pgno, dump.tag, source),
            (None, _) => format!(" page {} tag {} ", dump.pgno, dump.tag),
        };
        let border = if self.focus == RecordsFocus::Columns { theme.title() } else { theme.dim() };
        // the selected column stays in view however the pane was scrolled
        let rows = inner_rows(area);
        let top = scroll::follow(self.detail_top.min(lines.len().saturating_sub(rows)), self.column, rows);
        let block = Block::bordered().title(title).border_style(border);
        scroll::render(lines, top, area, buf, block, theme);
    }
}

/// A pane title ` {lead}{name}{rest} ` that fits a pane `width` wide: the
/// name (from the evidence, shown visibly) is cut with `…` first, then
/// the rest.
fn title_fitted(lead: &str, name: &str, rest: &str, width: usize) -> String {
    let name = crate::sanitize::visible(name);
    let room = width.saturating_sub(4 + lead.chars().count() + rest.chars().count());
    let name = if name.chars().count() > room {
        let mut cut: String = name.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        name.into_owned()
    };
    let title = format!("{lead}{name}{rest}");
    let most = width.saturating_sub(4);
    if title.chars().count() > most {
        let mut cut: String = title.chars().take(most.saturating_sub(1)).collect();
        cut.push('…');
        format!(" {cut} ")
    } else {
        format!(" {title} ")
    }
}

/// A value in one line, long ones cut with their size.
fn short(value: &Value) -> String {
    let text = value.to_text();
    if text.chars().count() > 80 {
        format!("{}… ({})", text.chars().take(60).collect::<String>(), describe(value))
    } else {
        text
    }
}

/// The size of a value, in words.
fn describe(value: &Value) -> String {
    match value {
        Value::Binary(b) => format!("{} bytes", b.len()),
        Value::Text(t) => format!("{} characters", t.chars().count()),
        Value::Multi(v) => format!("{} values", v.len()),
        Value::Null => "NULL".into(),
        _ => "fixed size".into(),
    }
}

/// `text` cut or padded to `width` characters.
fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text:<width$}")
    }
}

/// A value's bytes as hex dump lines at most `width` columns wide: as many
/// bytes per line (16, 8 or 4) as fit with their ASCII column, so the ASCII
/// column never wraps onto the next line.
pub fn value_hex(bytes: &[u8], width: usize) -> Vec<String> {
    // "oooo  " + 3 per byte + " " + 1 per byte
    let per_line = [16, 8, 4].into_iter().find(|n| 7 + 4 * n <= width).unwrap_or(4);
    bytes
        .chunks(per_line)
        .enumerate()
        .map(|(i, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' })
                .collect();
            format!("{:04x}  {:<w$} {ascii}", i * per_line, hex.join(" "), w = per_line * 3 - 1)
        })
        .collect()
}

#[cfg(test)]
mod value_hex_tests {
    use super::value_hex;

    #[test]
    fn a_long_table_name_is_cut_with_an_ellipsis_before_the_keys() {
        let name = "{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}";
        let title =
            super::title_fitted("Records of ", name, " · row 1 of 562 · Tab columns · Enter value", 80);
        assert_eq!(title.chars().count(), 78, "the border corners take two columns");
        assert!(title.contains("…} · row 1 of 562") || title.contains("… · row 1 of 562"), "{title}");
        assert!(title.ends_with(" · Enter value "), "{title}");
        assert_eq!(super::title_fitted("", "Id", " (Long)", 80), " Id (Long) ");
    }

    #[test]
    fn the_ascii_column_fits_the_pane() {
        let bytes: Vec<u8> = (0u8..=40).collect();
        for width in [38, 60, 78] {
            let lines = value_hex(&bytes, width);
            assert!(lines.iter().all(|l| l.chars().count() <= width), "{width}: {lines:?}");
        }
        let lines = value_hex(b"ABCDEFGHIJKLMNOPQ", 78);
        assert_eq!(lines[0], "0000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 ABCDEFGHIJKLMNOP");
        assert_eq!(value_hex(b"ABCDEFGH", 40)[0], "0000  41 42 43 44 45 46 47 48 ABCDEFGH");
    }
}
