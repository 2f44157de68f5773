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
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::format::value::Value;
use crate::format::PageNumber;
use crate::report::record::RecordDump;
use crate::store::catalog::{Catalog, TableDef};
use crate::store::table::{Row, Table};
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::theme::Theme;

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

    /// Handles an action; `rows` is how many rows the list pane shows.
    pub fn handle(&mut self, action: Action, db: &Database, catalog: &Catalog, rows: usize) {
        let last_row = self.locations.len().saturating_sub(1);
        let last_column = self.columns.len().saturating_sub(1);
        match (self.focus, action) {
            (_, Action::ToggleRecovered) => self.toggle_recovered(&Table::new(db, catalog, &self.def)),
            (_, Action::Focus) => {
                self.focus = match self.focus {
                    RecordsFocus::Rows => RecordsFocus::Columns,
                    _ => RecordsFocus::Rows,
                }
            }
            (RecordsFocus::Value, Action::Escape | Action::Enter) => self.focus = RecordsFocus::Columns,
            (RecordsFocus::Value, Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            (RecordsFocus::Value, Action::Down) => self.scroll += 1,
            (RecordsFocus::Value, Action::PageUp) => self.scroll = self.scroll.saturating_sub(20),
            (RecordsFocus::Value, Action::PageDown) => self.scroll += 20,
            (RecordsFocus::Columns, Action::Up) => self.column = self.column.saturating_sub(1),
            (RecordsFocus::Columns, Action::Down) => self.column = (self.column + 1).min(last_column),
            (RecordsFocus::Columns, Action::Enter) => {
                self.focus = RecordsFocus::Value;
                self.scroll = 0;
            }
            (RecordsFocus::Columns, Action::Escape) => self.focus = RecordsFocus::Rows,
            (RecordsFocus::Rows, Action::Up) => self.selected = self.selected.saturating_sub(1),
            (RecordsFocus::Rows, Action::Down) => self.selected = (self.selected + 1).min(last_row),
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

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let [list, detail] = Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
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
        let title = format!(
            " Records of {} · row {} of {}{more} · Tab columns · Enter value ",
            self.def.table.name,
            if self.locations.is_empty() { 0 } else { self.selected + 1 },
            self.locations.len()
        );
        Paragraph::new(lines)
            .block(Block::bordered().title(title).border_style(theme.dim()))
            .render(list, buf);
        self.render_detail(detail, buf, theme);
    }

    fn render_detail(&self, area: Rect, buf: &mut Buffer, theme: Theme) {
        let Some(dump) = &self.dump else {
            Paragraph::new("").block(Block::bordered().border_style(theme.dim())).render(area, buf);
            return;
        };
        if self.focus == RecordsFocus::Value {
            let Some(c) = dump.columns.get(self.column) else { return };
            let body: Vec<Line> = match &c.value {
                Value::Binary(bytes) => value_hex(bytes, usize::from(area.width.saturating_sub(2)))
                    .into_iter()
                    .map(Line::raw)
                    .collect(),
                other => other.to_text().lines().map(|l| Line::raw(l.to_string())).collect(),
            };
            let title = format!(" {} ({}) · {} · Esc back ", c.name, c.coltyp, describe(&c.value));
            Paragraph::new(body.into_iter().skip(self.scroll).collect::<Vec<_>>())
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title).border_style(theme.title()))
                .render(area, buf);
            return;
        }
        let rows = usize::from(area.height.saturating_sub(2));
        let first = self.column.saturating_sub(rows.saturating_sub(1));
        let name_width = dump.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).min(32);
        let mut lines: Vec<Line> = dump
            .columns
            .iter()
            .enumerate()
            .skip(first)
            .take(rows)
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
        let title = match (self.source_of(self.selected), self.slack_offset(self.selected)) {
            (Some(source), Some(offset)) => {
                format!(" page {} offset {offset:#x} · recovered: {} ", dump.pgno, source)
            }
            (Some(source), None) => format!(" page {} tag {} · recovered: {} ", dump.pgno, dump.tag, source),
            (None, _) => format!(" page {} tag {} ", dump.pgno, dump.tag),
        };
        let border = if self.focus == RecordsFocus::Columns { theme.title() } else { theme.dim() };
        Paragraph::new(lines).block(Block::bordered().title(title).border_style(border)).render(area, buf);
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
