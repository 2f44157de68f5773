//! Screen geometry, computed from the terminal size alone, so that
//! rendering and mouse hit-testing agree on where everything is.

use ratatui::layout::{Constraint, Layout, Rect};

/// The four horizontal bands of every screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    /// View tabs (one line).
    pub tabs: Rect,
    /// The view.
    pub body: Rect,
    /// Messages and prompts (one line).
    pub status: Rect,
    /// Key hints (one line).
    pub footer: Rect,
}

/// Splits the whole screen.
pub fn bands(area: Rect) -> Bands {
    let [tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Bands { tabs, body, status, footer }
}

/// The page view's panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePanes {
    /// Header fields (bordered).
    pub fields: Rect,
    /// Tag table (bordered).
    pub tags: Rect,
    /// Hex view (bordered).
    pub hex: Rect,
}

/// Splits the page view's body: fields over tags on the left, hex on the right.
pub fn page_panes(body: Rect) -> PagePanes {
    // wide terminals give the fields their whole values (flags, checksums), the hex keeps 16 bytes a row
    let left_width = match body.width {
        160.. => (body.width / 2).min(100),
        120..=159 => 52,
        _ => 38,
    };
    let [left, hex] = Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
    let [fields, tags] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
    PagePanes { fields, tags, hex }
}

/// Bytes per row and visible rows of a bordered hex pane with one info line.
pub fn hex_geometry(pane: Rect) -> (usize, usize) {
    let inner = usize::from(pane.width.saturating_sub(2));
    // "oooo  " + 3 per byte + 1 gap + 1 per byte
    let per_row = [32, 16, 8, 4].into_iter().find(|n| 7 + 4 * n <= inner).unwrap_or(4);
    let rows = usize::from(pane.height.saturating_sub(3)).max(1);
    (per_row, rows)
}

/// Rows of a bordered list pane.
pub fn list_rows(pane: Rect) -> usize {
    usize::from(pane.height.saturating_sub(3)).max(1)
}

/// The page map: the grid and, under it, two info lines.
pub fn map_grid(body: Rect) -> Rect {
    Rect {
        x: body.x + 1,
        y: body.y + 1,
        width: body.width.saturating_sub(2),
        height: body.height.saturating_sub(5),
    }
}

/// True when `(column, row)` is inside `area`.
pub fn hit(area: Rect, column: u16, row: u16) -> bool {
    column >= area.x && column < area.x + area.width && row >= area.y && row < area.y + area.height
}
