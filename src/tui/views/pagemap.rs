//! The page map: every page of the file as one cell (or, zoomed out, a
//! group of pages as one cell), coloured by kind, by checksum health, or by
//! dbtime as a heat map of recent writes. A background job fills the cells,
//! so a huge file is browsable at once.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::page::PageHeader;
use crate::format::PageNumber;
use crate::scan::classify::{Health, PageCell, PageKind};
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::layout::map_grid;
use crate::tui::theme::{health_glyph, kind_glyph, Theme};

/// What the cells are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    /// Page kind from the flags.
    Kind,
    /// Checksum verdict.
    Health,
    /// dbtime relative to the header's: a heat map of recent writes.
    DbTime,
    /// How each page compares with the same page of the file given with
    /// `--compare` (only when there is one).
    Difference,
}

/// How a page compares with the other file's, one byte per page in
/// [`MapState::diff`].
pub mod diff_class {
    /// The same bytes (or zeros in both).
    pub const IDENTICAL: u8 = 0;
    /// Different content.
    pub const CHANGED: u8 = 1;
    /// Only the stored checksum differs.
    pub const CHECKSUM_ONLY: u8 = 2;
    /// The other file has another page's content here.
    pub const MOVED: u8 = 3;
    /// Written in this file only.
    pub const ONLY_HERE: u8 = 4;
    /// Written in the other file only.
    pub const ONLY_THERE: u8 = 5;
    /// Names, by class.
    pub const NAMES: [&str; 6] =
        ["identical", "changed", "checksum only", "moved", "only here", "only there"];
}

/// The state of the page map.
#[derive(Debug)]
pub struct MapState {
    /// One byte per page, filled by the background scan (index = pgno − 1).
    pub cells: Arc<[AtomicU8]>,
    /// Index of the page under the cursor (pgno − 1).
    pub cursor: u32,
    /// Pages per cell.
    pub zoom: u32,
    /// Colouring.
    pub mode: MapMode,
    /// First cell row shown.
    pub top_row: usize,
    /// Pages the scan has done.
    pub scanned: u64,
    /// Heat level (0–5, 255 = no data) per visible cell, for the dbtime mode.
    pub heat: Vec<u8>,
    /// A line about the page under the cursor.
    pub info: String,
    /// With `--compare`: a [`diff_class`] per page (index = pgno − 1).
    pub diff: Option<Arc<[u8]>>,
}

impl MapState {
    /// An empty map for `db`, all cells unscanned.
    pub fn new(db: &Database) -> Self {
        let cells: Arc<[AtomicU8]> = (0..db.page_count()).map(|_| AtomicU8::new(0)).collect();
        Self {
            cells,
            cursor: 0,
            zoom: 1,
            mode: MapMode::Kind,
            top_row: 0,
            scanned: 0,
            heat: Vec::new(),
            info: String::new(),
            diff: None,
        }
    }

    /// The most telling difference in group `group` (changed over moved
    /// over one-sided over checksum-only over identical).
    fn diff_of_group(&self, group: usize) -> u8 {
        let Some(diff) = &self.diff else { return diff_class::IDENTICAL };
        let zoom = self.zoom as usize;
        let rank = |c: u8| [0u8, 5, 1, 4, 3, 2].get(usize::from(c)).copied().unwrap_or(0);
        (group * zoom..(group + 1) * zoom)
            .filter_map(|i| diff.get(i).copied())
            .max_by_key(|&c| rank(c))
            .unwrap_or(diff_class::IDENTICAL)
    }

    fn cell(&self, index: usize) -> PageCell {
        PageCell(self.cells.get(index).map_or(0, |c| c.load(Ordering::Relaxed)))
    }

    /// The cell for group `group` of `zoom` pages: the worst health and the
    /// kind of the first written page.
    fn group(&self, group: usize) -> PageCell {
        let zoom = self.zoom as usize;
        let mut worst = Health::Unknown;
        let mut kind = PageKind::Unscanned;
        for index in group * zoom..(group + 1) * zoom {
            let cell = self.cell(index);
            if cell.health().rank() > worst.rank() {
                worst = cell.health();
            }
            if kind == PageKind::Unscanned
                || (kind == PageKind::Uninitialized && cell.kind() != PageKind::Unscanned)
            {
                kind = cell.kind();
            }
        }
        PageCell::new(kind, worst)
    }

    fn groups(&self) -> usize {
        self.cells.len().div_ceil(self.zoom.max(1) as usize)
    }

    /// The page under the cursor.
    pub fn cursor_page(&self) -> PageNumber {
        PageNumber(self.cursor + 1)
    }

    /// Puts the cursor on `pgno` and scrolls to it.
    pub fn select(&mut self, pgno: PageNumber, db: &Database, body: Rect) {
        self.cursor = pgno.0.saturating_sub(1).min(self.cells.len().saturating_sub(1) as u32);
        self.refresh(db, body);
    }

    /// Handles an action; returns the page to open for `Enter`.
    pub fn handle(&mut self, action: Action, db: &Database, body: Rect) -> Option<PageNumber> {
        let grid = map_grid(body);
        let cols = usize::from(grid.width.max(1));
        let rows = usize::from(grid.height.max(1));
        let zoom = self.zoom.max(1) as usize;
        let group = self.cursor as usize / zoom;
        let last = self.groups().saturating_sub(1);
        let target = match action {
            Action::Left => group.checked_sub(1),
            Action::Right => Some(group + 1),
            Action::Up | Action::ScrollUp => group.checked_sub(cols),
            Action::Down | Action::ScrollDown => Some(group + cols),
            Action::PageUp => Some(group.saturating_sub(cols * rows)),
            Action::PageDown => Some((group + cols * rows).min(last)),
            Action::Home => Some(0),
            Action::End => Some(last),
            Action::MapMode => {
                self.mode = match self.mode {
                    MapMode::Kind => MapMode::Health,
                    MapMode::Health => MapMode::DbTime,
                    MapMode::DbTime if self.diff.is_some() => MapMode::Difference,
                    MapMode::DbTime | MapMode::Difference => MapMode::Kind,
                };
                None
            }
            Action::ZoomOut => {
                self.zoom = (self.zoom * 4).min(1 << 20);
                None
            }
            Action::ZoomIn => {
                self.zoom = (self.zoom / 4).max(1);
                None
            }
            Action::Enter => return Some(self.cursor_page()),
            _ => None,
        };
        if let Some(group) = target.filter(|&g| g <= last) {
            self.cursor = (group * self.zoom.max(1) as usize) as u32;
        }
        self.refresh(db, body);
        None
    }

    /// Handles a click on a cell: selects it, or opens it when already selected.
    pub fn click(&mut self, column: u16, row: u16, db: &Database, body: Rect) -> Option<PageNumber> {
        let grid = map_grid(body);
        if !crate::tui::layout::hit(grid, column, row) {
            return None;
        }
        let cols = usize::from(grid.width.max(1));
        let group = (self.top_row + usize::from(row - grid.y)) * cols + usize::from(column - grid.x);
        if group >= self.groups() {
            return None;
        }
        let page = (group * self.zoom.max(1) as usize) as u32;
        if page == self.cursor {
            return Some(self.cursor_page());
        }
        self.cursor = page;
        self.refresh(db, body);
        None
    }

    /// Recomputes what depends on the file: the scroll position, the
    /// heat levels of the visible cells and the cursor page's line.
    pub fn refresh(&mut self, db: &Database, body: Rect) {
        let grid = map_grid(body);
        let cols = usize::from(grid.width.max(1));
        let rows = usize::from(grid.height.max(1));
        let row = self.cursor as usize / self.zoom.max(1) as usize / cols;
        if row < self.top_row {
            self.top_row = row;
        } else if row >= self.top_row + rows {
            self.top_row = row + 1 - rows;
        }
        let newest = db.header().map_or(0, |h| h.dbtime_dirtied.0).max(1);
        let first = self.top_row * cols;
        let zoom = self.zoom.max(1) as usize;
        self.heat = (first..first + cols * rows)
            .map(|group| {
                let pages = (group * zoom..(group + 1) * zoom).step_by(zoom.div_ceil(16));
                let dbtime = pages
                    .filter_map(|i| db.page_bytes(PageNumber(i as u32 + 1)).ok())
                    .filter(|b| b.iter().take(64).any(|&x| x != 0))
                    .filter_map(|b| PageHeader::parse(b, db.page_size()).ok())
                    .map(|h| h.dbtime_dirtied.0)
                    .max();
                dbtime.map_or(255, |t| (t.min(newest) * 5 / newest) as u8)
            })
            .collect();
        let pgno = self.cursor_page();
        let cell = self.cell(self.cursor as usize);
        let header = db.page_bytes(pgno).ok().and_then(|b| PageHeader::parse(b, db.page_size()).ok());
        self.info = match header {
            Some(h) => format!(
                "page {pgno} · offset {:#x} · {} · {} · objid {} · dbtime {} · prev {} next {}",
                pgno.file_offset(db.page_size()),
                cell.kind().name(),
                cell.health().name(),
                h.objid_fdp,
                h.dbtime_dirtied.0,
                h.prev,
                h.next
            ),
            None => format!("page {pgno}"),
        };
        if let Some(class) = self.diff.as_ref().and_then(|d| d.get(self.cursor as usize)) {
            let name = diff_class::NAMES.get(usize::from(*class)).copied().unwrap_or("?");
            self.info.push_str(&format!(" · compared: {name}"));
        }
    }

    /// Draws the map.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let total = self.cells.len();
        let percent = if total == 0 { 100 } else { self.scanned * 100 / total as u64 };
        let mode = match self.mode {
            MapMode::Kind => "kind",
            MapMode::Health => "health",
            MapMode::DbTime => "dbtime",
            MapMode::Difference => "difference",
        };
        let title = format!(" Pages · {total} · {} per cell · by {mode} · scan {percent}% ", self.zoom);
        Block::bordered().title(title).border_style(theme.dim()).render(body, buf);
        let grid = map_grid(body);
        let cols = usize::from(grid.width.max(1));
        let cursor_group = self.cursor as usize / self.zoom.max(1) as usize;
        let mut lines = Vec::new();
        for row in 0..usize::from(grid.height) {
            let mut spans = Vec::with_capacity(cols);
            for col in 0..cols {
                let group = (self.top_row + row) * cols + col;
                if group >= self.groups() {
                    break;
                }
                let cell = self.group(group);
                let (glyph, style) = match self.mode {
                    MapMode::Kind => (kind_glyph(cell.kind()), theme.kind(cell.kind())),
                    MapMode::Health => (health_glyph(cell.health()), theme.health(cell.health())),
                    MapMode::DbTime => {
                        let level = self.heat.get(row * cols + col).copied().unwrap_or(255);
                        let glyph = if level == 255 { '.' } else { char::from(b'0' + level) };
                        (glyph, if level == 255 { theme.dim() } else { theme.heat(level) })
                    }
                    MapMode::Difference => {
                        let class = self.diff_of_group(group);
                        diff_glyph(class, theme)
                    }
                };
                // the legend's letter in every cell, coloured or not: colour alone carries no meaning
                let style = if group == cursor_group { style.patch(theme.selected()) } else { style };
                spans.push(Span::styled(glyph.to_string(), style));
            }
            lines.push(Line::from(spans));
        }
        Paragraph::new(lines).render(grid, buf);
        let legend: Vec<Span> = match self.mode {
            MapMode::Kind => PageKind::ALL[1..]
                .iter()
                .flat_map(|&k| {
                    [
                        Span::styled(format!("{} ", kind_glyph(k)), theme.kind(k)),
                        Span::raw(format!("{}  ", k.name())),
                    ]
                })
                .collect(),
            MapMode::Health => Health::ALL[1..]
                .iter()
                .flat_map(|&h| {
                    [
                        Span::styled(format!("{} ", health_glyph(h)), theme.health(h)),
                        Span::raw(format!("{}  ", h.name())),
                    ]
                })
                .collect(),
            MapMode::DbTime => (0..=5u8)
                .map(|l| Span::styled(format!("{l} "), theme.heat(l)))
                .chain([Span::raw("oldest → newest write (dbtime / header dbtime)")])
                .collect(),
            MapMode::Difference => (0..diff_class::NAMES.len() as u8)
                .flat_map(|c| {
                    let (glyph, style) = diff_glyph(c, theme);
                    [
                        Span::styled(format!("{glyph} "), style),
                        Span::raw(format!("{}  ", diff_class::NAMES[usize::from(c)])),
                    ]
                })
                .collect(),
        };
        // the legend on one row, or on two (the row under it is free) when
        // it is wider than the map, broken between its entries
        let width = usize::from(grid.width);
        let mut rows: Vec<Vec<Span>> = vec![Vec::new()];
        let mut used = 0;
        for pair in legend.chunks(2) {
            let len: usize = pair.iter().map(|s| s.content.chars().count()).sum();
            if used + len > width && used > 0 && rows.len() < 2 {
                rows.push(Vec::new());
                used = 0;
            }
            used += len;
            if let Some(row) = rows.last_mut() {
                row.extend(pair.iter().cloned());
            }
        }
        let legend: Vec<Line> =
            rows.into_iter().map(|r| crate::tui::widgets::scroll::ellipsize(Line::from(r), width)).collect();
        let below = Rect { y: grid.y + grid.height, height: legend.len() as u16, ..grid };
        let info_y = below.y + below.height;
        Paragraph::new(legend).render(below, buf);
        // the page under the cursor on the rows left (one or two), never cut silently
        let rows_left = usize::from((body.y + body.height.saturating_sub(1)).saturating_sub(info_y)).max(1);
        let info = crate::tui::widgets::scroll::fit(
            vec![Line::styled(self.info.clone(), theme.text())],
            width,
            crate::tui::widgets::scroll::Overflow::Wrap,
        );
        let mut info: Vec<Line> = info.into_iter().collect();
        if info.len() > rows_left {
            let rest: String = info.iter().skip(rows_left - 1).map(ToString::to_string).collect();
            info.truncate(rows_left - 1);
            info.push(crate::tui::widgets::scroll::ellipsize(Line::styled(rest, theme.text()), width));
        }
        let area = Rect { y: info_y, height: info.len() as u16, ..grid };
        Paragraph::new(info).render(area, buf);
    }
}

/// Glyph and style of a [`diff_class`].
fn diff_glyph(class: u8, theme: Theme) -> (char, ratatui::style::Style) {
    match class {
        diff_class::CHANGED => ('C', theme.heat(5)),
        diff_class::CHECKSUM_ONLY => ('k', theme.heat(2)),
        diff_class::MOVED => ('M', theme.heat(4)),
        diff_class::ONLY_HERE => ('A', theme.heat(3)),
        diff_class::ONLY_THERE => ('B', theme.heat(1)),
        _ => ('.', theme.dim()),
    }
}
