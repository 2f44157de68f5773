//! The page view: header fields with offsets, the tag table, and a hex view
//! in which every byte is coloured by what it belongs to (slack bytes that
//! decode as a record as a recovered record, listed below the tags).
//! Selecting a tag highlights its bytes; moving the hex cursor selects the
//! tag it is in, or names the slack record it is in.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::PageNumber;
use crate::report::page::PageDump;
use crate::store::Database;
use crate::tui::action::Action;
use crate::tui::layout::{hex_geometry, list_rows, page_panes};
use crate::tui::theme::{ByteClass, Theme};
use crate::tui::widgets::hex::HexView;
use crate::Error;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFocus {
    /// Header fields.
    Fields,
    /// Tag table.
    Tags,
    /// Hex view.
    Hex,
}

/// The state of the page view.
#[derive(Debug, Clone)]
pub struct PageState {
    /// Everything about the page (the same document `esescope page` prints).
    pub dump: PageDump,
    /// What each byte belongs to.
    pub classes: Vec<ByteClass>,
    /// Which pane has the keyboard.
    pub focus: PageFocus,
    /// Selected header field.
    pub field: usize,
    /// Selected tag.
    pub tag: usize,
    /// Hex cursor (page offset).
    pub cursor: usize,
    /// First hex row shown.
    pub top_row: usize,
    /// The tree path to this page, for the title (set by the app).
    pub crumbs: Option<String>,
    /// The same page of the file compared with (`--compare`), shown beside
    /// this one in the hex pane with differing bytes marked.
    pub other: Option<Vec<u8>>,
    /// First line of the checksum view shown.
    pub checksum_scroll: usize,
}

impl PageState {
    /// Opens page `pgno`.
    ///
    /// # Errors
    /// The page is not in the file.
    pub fn open(db: &Database, pgno: PageNumber) -> Result<Self, Error> {
        let dump = PageDump::build(db, pgno)?;
        let classes = byte_classes(&dump);
        Ok(Self {
            dump,
            classes,
            focus: PageFocus::Tags,
            field: 0,
            tag: 0,
            cursor: 0,
            top_row: 0,
            crumbs: None,
            other: None,
            checksum_scroll: 0,
        })
    }

    /// The part of the hex pane this page's bytes use: all of it, or the
    /// left half when the compared file's page is shown beside it.
    fn hex_pane(&self, pane: Rect) -> Rect {
        match self.other {
            Some(_) => Rect { width: pane.width / 2, ..pane },
            None => pane,
        }
    }

    /// Offsets where the compared file's page differs from this one.
    pub fn differing(&self) -> Vec<usize> {
        let Some(other) = &self.other else { return Vec::new() };
        let len = self.dump.bytes.len().max(other.len());
        (0..len).filter(|&i| self.dump.bytes.get(i) != other.get(i)).collect()
    }

    /// The page number.
    pub fn pgno(&self) -> PageNumber {
        self.dump.pgno
    }

    /// Bytes with a flipped bit, from the checksum verdict.
    pub fn flipped(&self) -> Vec<usize> {
        match &self.dump.checksum.verdict {
            crate::format::verdict::Verdict::Correctable { bits, .. } => {
                bits.iter().map(|b| b.offset).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The byte range of the selected tag's data.
    pub fn selected_range(&self) -> Option<std::ops::Range<usize>> {
        let row = self.dump.tags.get(self.tag)?;
        let tag = row.tag.as_ref()?;
        let start = row.data_offset?;
        Some(start..start + usize::from(tag.size))
    }

    /// Puts the hex cursor on `offset`, selects the tag holding it, and
    /// scrolls it into view.
    pub fn move_cursor(&mut self, offset: usize, body: Rect) {
        self.cursor = offset.min(self.dump.bytes.len().saturating_sub(1));
        if let Some(index) = self.dump.tags.iter().position(|row| {
            let size = row.tag.as_ref().map_or(0, |t| usize::from(t.size));
            row.data_offset.is_some_and(|start| (start..start + size).contains(&self.cursor))
                || (row.entry_offset..row.entry_offset + 4).contains(&self.cursor)
        }) {
            self.tag = index;
        }
        self.scroll_to_cursor(body);
    }

    fn scroll_to_cursor(&mut self, body: Rect) {
        let (per_row, rows) = hex_geometry(self.hex_pane(page_panes(body).hex));
        let row = self.cursor / per_row;
        if row < self.top_row {
            self.top_row = row;
        } else if row >= self.top_row + rows {
            self.top_row = row + 1 - rows;
        }
    }

    /// Handles an action; returns the page to open instead, if any.
    pub fn handle(&mut self, action: Action, body: Rect) -> Option<PageNumber> {
        let panes = page_panes(body);
        let (per_row, rows) = hex_geometry(self.hex_pane(panes.hex));
        let len = self.dump.bytes.len();
        match (self.focus, action) {
            (_, Action::Focus) => {
                self.focus = match self.focus {
                    PageFocus::Fields => PageFocus::Tags,
                    PageFocus::Tags => PageFocus::Hex,
                    PageFocus::Hex => PageFocus::Fields,
                }
            }
            (
                PageFocus::Fields,
                Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Home | Action::End,
            ) => {
                let last = self.dump.fields.len().saturating_sub(1);
                let step = usize::from(panes.fields.height.saturating_sub(2)).max(1);
                self.field = match action {
                    Action::Up => self.field.saturating_sub(1),
                    Action::Down => (self.field + 1).min(last),
                    Action::PageUp => self.field.saturating_sub(step),
                    Action::PageDown => (self.field + step).min(last),
                    Action::Home => 0,
                    _ => last,
                };
            }
            (PageFocus::Fields, Action::Enter) => {
                // follow a page-number field (pgnoPrev, pgnoNext)
                let field = self.dump.fields.get(self.field)?;
                if field.name.starts_with("pgno") {
                    if let crate::format::field::FieldValue::Number(n) = field.value {
                        return (n != 0).then_some(PageNumber(n as u32));
                    }
                }
                let offset = field.offset;
                self.focus = PageFocus::Hex;
                self.move_cursor(offset, body);
            }
            (
                PageFocus::Tags,
                Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Home | Action::End,
            ) => {
                let last = self.dump.tags.len().saturating_sub(1);
                let step = list_rows(panes.tags);
                self.tag = match action {
                    Action::Up => self.tag.saturating_sub(1),
                    Action::Down => (self.tag + 1).min(last),
                    Action::PageUp => self.tag.saturating_sub(step),
                    Action::PageDown => (self.tag + step).min(last),
                    Action::Home => 0,
                    _ => last,
                };
                if let Some(range) = self.selected_range() {
                    self.cursor = range.start.min(len.saturating_sub(1));
                    self.scroll_to_cursor(body);
                }
            }
            (PageFocus::Tags, Action::Enter) => self.focus = PageFocus::Hex,
            (PageFocus::Hex, _) => {
                let target = match action {
                    Action::Left => self.cursor.checked_sub(1),
                    Action::Right => Some(self.cursor + 1),
                    Action::Up => self.cursor.checked_sub(per_row),
                    Action::Down => Some(self.cursor + per_row),
                    Action::PageUp => Some(self.cursor.saturating_sub(per_row * rows)),
                    Action::PageDown => Some(self.cursor + per_row * rows),
                    Action::Home => Some(0),
                    Action::End => Some(len.saturating_sub(1)),
                    _ => None,
                };
                if let Some(offset) = target.filter(|&o| o < len) {
                    self.move_cursor(offset, body);
                }
            }
            _ => {}
        }
        None
    }

    /// Handles a click; returns true when it hit this view.
    pub fn click(&mut self, column: u16, row: u16, body: Rect) -> bool {
        let panes = page_panes(body);
        if crate::tui::layout::hit(panes.hex, column, row) {
            let (per_row, _) = hex_geometry(self.hex_pane(panes.hex));
            let line = usize::from(row.saturating_sub(panes.hex.y + 1));
            let col = usize::from(column.saturating_sub(panes.hex.x + 1));
            let in_hex = col.checked_sub(6).map(|c| c / 3).filter(|&i| i < per_row);
            let in_ascii = col.checked_sub(7 + 3 * per_row).filter(|&i| i < per_row);
            if let Some(i) = in_hex.or(in_ascii) {
                self.focus = PageFocus::Hex;
                self.move_cursor((self.top_row + line) * per_row + i, body);
            }
            return true;
        }
        if crate::tui::layout::hit(panes.tags, column, row) {
            let line = usize::from(row.saturating_sub(panes.tags.y + 2));
            let first = self.tag.saturating_sub(list_rows(panes.tags).saturating_sub(1));
            if first + line < self.dump.tags.len() {
                self.focus = PageFocus::Tags;
                self.tag = first + line;
                if let Some(range) = self.selected_range() {
                    self.move_cursor(range.start, body);
                }
            }
            return true;
        }
        if crate::tui::layout::hit(panes.fields, column, row) {
            let line = usize::from(row.saturating_sub(panes.fields.y + 1));
            let first = self.field.saturating_sub(list_rows(panes.fields));
            if first + line < self.dump.fields.len() {
                self.focus = PageFocus::Fields;
                self.field = first + line;
            }
            return true;
        }
        false
    }

    /// Draws the view into `body`.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let panes = page_panes(body);
        let border = |focused: bool, title: String| {
            let block = Block::bordered().title(title);
            if focused {
                block.border_style(theme.title())
            } else {
                block.border_style(theme.dim())
            }
        };
        // header fields
        let rows = usize::from(panes.fields.height.saturating_sub(2));
        let first = self.field.saturating_sub(rows.saturating_sub(1));
        let lines: Vec<Line> = self
            .dump
            .fields
            .iter()
            .enumerate()
            .skip(first)
            .take(rows)
            .map(|(i, f)| {
                let style = if i == self.field && self.focus == PageFocus::Fields {
                    theme.selected()
                } else {
                    theme.text()
                };
                // ECC located a flipped bit in this field: stored → corrected, in short
                let short = |v: &str| v.split(" (").next().unwrap_or(v).to_string();
                let value = match self.dump.flipped_fields.iter().find(|x| x.name == f.name) {
                    Some(flip) => Span::styled(
                        format!(
                            "{:<14} {} → {} (flipped bit)",
                            f.name,
                            short(&flip.stored),
                            short(&flip.corrected)
                        ),
                        style.patch(theme.warning()),
                    ),
                    None => Span::styled(format!("{:<14} {}", f.name, f.value), style),
                };
                let line = Line::from(vec![Span::styled(format!("{:>3x} ", f.offset), theme.dim()), value]);
                // a value cut by the pane ends in `…`
                crate::tui::widgets::scroll::ellipsize(
                    line,
                    usize::from(panes.fields.width.saturating_sub(2)),
                )
            })
            .collect();
        let title = match &self.crumbs {
            Some(path) => format!(" {path} · {} ", self.dump.tree_kind),
            None => {
                format!(" Page {} · {} · {:#x} ", self.dump.pgno, self.dump.tree_kind, self.dump.file_offset)
            }
        };
        let more = |first: usize, rows: usize, total: usize, pane: Rect| {
            crate::tui::widgets::scroll::more_note_fitted(first, rows, total, usize::from(pane.width))
                .map(|note| Line::styled(note, theme.warning()).right_aligned())
        };
        let mut block = border(self.focus == PageFocus::Fields, title);
        if let Some(note) = more(first, rows, self.dump.fields.len(), panes.fields) {
            block = block.title_bottom(note);
        }
        Paragraph::new(lines).block(block).render(panes.fields, buf);

        // tags
        let rows = list_rows(panes.tags);
        let first = self.tag.saturating_sub(rows.saturating_sub(1));
        let mut lines = vec![Line::styled(
            format!("{:>4} {:>6} {:>5} {}", "tag", "data", "size", "role / flags"),
            theme.dim(),
        )];
        for (i, row) in self.dump.tags.iter().enumerate().skip(first).take(rows) {
            let child = self.dump.nodes.iter().find(|n| n.tag == row.index).and_then(|n| n.child);
            // ECC located a flipped bit in this tag's bytes: `✗` and the column, in short
            let flip = self.dump.flipped_data.iter().find(|f| f.tag == Some(row.index));
            let mark = flip.map_or(String::new(), |f| match &f.column {
                Some(c) => format!(" ✗ {}", crate::sanitize::visible(&c.name)),
                None => " ✗ flipped bit".into(),
            });
            let text = match &row.tag {
                Some(tag) => format!(
                    "{:>4} {:>6} {:>5} {}{mark} {}{}",
                    row.index,
                    format!("{:#x}", row.data_offset.unwrap_or(0)),
                    tag.size,
                    row.role,
                    row.flags.join(" "),
                    child.map_or(String::new(), |c| format!(" -> {c}"))
                ),
                None => format!("{:>4} {}", row.index, row.error.as_deref().unwrap_or("unreadable")),
            };
            let class =
                if row.index == 0 { ByteClass::ExternalHeader } else { ByteClass::Node(row.index % 2 == 1) };
            let style = if i == self.tag {
                theme.selected()
            } else if row.tag.is_none() {
                theme.error()
            } else if flip.is_some() {
                theme.warning()
            } else {
                theme.byte(class)
            };
            // a row cut by the pane ends in `…`
            lines.push(crate::tui::widgets::scroll::ellipsize(
                Line::styled(text, style),
                usize::from(panes.tags.width.saturating_sub(2)),
            ));
        }
        // the records in slack, below the tags when there is room
        let room = (rows + 1).saturating_sub(lines.len());
        for r in self.dump.slack.iter().take(room) {
            let text = format!("slack {:>#6x} {:>5} {} {}", r.offset, r.len, r.key, r.summary());
            lines.push(Line::styled(text, theme.byte(ByteClass::Recovered)));
        }
        let title = match self.dump.slack.len() {
            0 => format!(" Tags ({}) ", self.dump.tags.len()),
            n => format!(" Tags ({}) · {n} records in slack ", self.dump.tags.len()),
        };
        let mut block = border(self.focus == PageFocus::Tags, title);
        if let Some(note) = more(first, rows, self.dump.tags.len(), panes.tags) {
            block = block.title_bottom(note);
        }
        Paragraph::new(lines).block(block).render(panes.tags, buf);

        // hex
        let pane = self.hex_pane(panes.hex);
        let (per_row, _) = hex_geometry(pane);
        let block =
            border(self.focus == PageFocus::Hex, format!(" Hex · {} ", self.dump.checksum.verdict.label()));
        let inner = block.inner(pane);
        block.render(pane, buf);
        let differing = self.differing();
        let flipped = if self.other.is_some() { differing.clone() } else { self.flipped() };
        if let Some(other) = &self.other {
            let right = Rect { x: pane.x + pane.width, width: panes.hex.width - pane.width, ..pane };
            let title = format!(" Other copy · {} bytes differ ", differing.len());
            let block = border(false, title);
            let inner = block.inner(right);
            block.render(right, buf);
            let classes = vec![ByteClass::Free; other.len()];
            HexView {
                bytes: other,
                classes: &classes,
                per_row,
                top_row: self.top_row,
                cursor: Some(self.cursor),
                highlight: None,
                flipped: &differing,
                theme,
            }
            .render(Rect { height: inner.height.saturating_sub(1), ..inner }, buf);
        }
        let hex_area = Rect { height: inner.height.saturating_sub(1), ..inner };
        HexView {
            bytes: &self.dump.bytes,
            classes: &self.classes,
            per_row,
            top_row: self.top_row,
            cursor: Some(self.cursor),
            highlight: self.selected_range(),
            flipped: &flipped,
            theme,
        }
        .render(hex_area, buf);
        let byte = self.dump.bytes.get(self.cursor).copied().unwrap_or(0);
        let mut info = format!(
            "byte {:#x} = {byte:#04x} · file {:#x}",
            self.cursor,
            self.dump.file_offset + self.cursor as u64
        );
        match self.dump.slack.iter().find(|r| r.range().contains(&self.cursor)) {
            Some(r) => info.push_str(&format!(
                " · record in slack at {:#x}: {} key {}",
                r.offset,
                crate::sanitize::Visible(&r.table),
                r.key
            )),
            None => {
                if let Some(row) = self.dump.tags.get(self.tag) {
                    info.push_str(&format!(" · tag {} {}", row.index, row.role));
                }
            }
        }
        // on the flipped byte: the column it corrupts, stored → corrected
        // (the checksum view says it whole)
        if let Some(f) = self.dump.flipped_data.iter().find(|f| f.byte_offset == self.cursor) {
            let v = |s: &Option<String>| f.shown(s.as_deref().unwrap_or_default());
            info = match &f.column {
                Some(c) => {
                    format!("✗ {}: {} → {}", crate::sanitize::visible(&c.name), v(&f.stored), v(&f.corrected))
                }
                None => format!("{info} · ✗ bit {} in {}", f.bit, crate::sanitize::visible(&f.part)),
            };
        }
        let info_line =
            crate::tui::widgets::scroll::ellipsize(Line::styled(info, theme.dim()), usize::from(inner.width));
        let info_area = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1, ..inner };
        let style = if flipped.contains(&self.cursor) { theme.flipped() } else { theme.dim() };
        Paragraph::new(info_line.style(style)).render(info_area, buf);
    }
}

/// What each byte of the page belongs to.
pub fn byte_classes(dump: &PageDump) -> Vec<ByteClass> {
    let len = dump.bytes.len();
    let mut classes = vec![ByteClass::Free; len];
    let mut paint = |range: std::ops::Range<usize>, class: ByteClass| {
        for c in classes.iter_mut().take(range.end.min(len)).skip(range.start) {
            *c = class;
        }
    };
    let header_len = if dump.page_size > 8192 { 80 } else { 40 };
    paint(0..header_len, ByteClass::PageHeader);
    for block in &dump.checksum.blocks {
        paint(block.stored_at..block.stored_at + 8, ByteClass::Checksum);
    }
    for row in &dump.tags {
        paint(row.entry_offset..row.entry_offset + 4, ByteClass::TagArray);
        if let (Some(tag), Some(start)) = (&row.tag, row.data_offset) {
            let class =
                if row.index == 0 { ByteClass::ExternalHeader } else { ByteClass::Node(row.index % 2 == 1) };
            paint(start..start + usize::from(tag.size), class);
        }
    }
    for record in &dump.slack {
        paint(record.range(), ByteClass::Recovered);
    }
    classes
}
