//! The history view (opened from the logs view with `H`): the row events
//! of the log set made in the background ([`crate::history`]), as a
//! timeline, narrowed to one table (`t`) or one row (`f`), the selected
//! event's row below; `Enter` opens the row in the records view when the
//! database still has it, else the page the event changed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::Lgpos;
use crate::history::{Event, Now, Outcome, Summary, Values};
use crate::sanitize::visible;
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

/// The most events the view keeps (the CLI streams every one).
pub const MAX_EVENTS: usize = 200_000;
/// Rows of the selected event's panel (with its border).
const DETAIL_ROWS: u16 = 8;

/// What `Enter` on an event opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open {
    /// The row of `table` with node key `key` (hex) in the records view.
    Row {
        /// The table.
        table: String,
        /// The row's key, hex.
        key: String,
    },
    /// The page the event changed.
    Page(u32),
}

/// The history as the view shows it.
#[derive(Debug, Clone)]
pub struct HistoryState {
    /// Every event kept, in log order.
    pub events: Vec<Event>,
    /// What the history went through.
    pub summary: Summary,
    /// True when more events than [`MAX_EVENTS`] were made (the first are kept).
    pub truncated: bool,
    /// Only this table's events (`t`).
    pub table: Option<String>,
    /// Only this row's events (`f`): (table, key).
    pub row: Option<(String, String)>,
    /// The selected event among those shown.
    pub selected: usize,
    /// First line shown.
    pub scroll: usize,
}

impl HistoryState {
    /// A view of `events`.
    pub fn new(events: Vec<Event>, summary: Summary, truncated: bool) -> Self {
        Self { events, summary, truncated, table: None, row: None, selected: 0, scroll: 0 }
    }

    /// The events shown, by index into `events`.
    fn shown(&self) -> Vec<usize> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.table.as_ref().is_none_or(|t| *t == e.table))
            .filter(|(_, e)| {
                self.row.as_ref().is_none_or(|(t, k)| *t == e.table && e.key.as_ref() == Some(k))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The event at `lgpos`, for the logs view's record list.
    pub fn at(&self, lgpos: Lgpos) -> Option<&Event> {
        let i = self.events.partition_point(|e| e.lgpos < lgpos);
        self.events.get(i).filter(|e| e.lgpos == lgpos)
    }

    /// The selected event, for `y` and `w`.
    pub fn selected_event(&self) -> Option<&Event> {
        self.shown().get(self.selected).and_then(|&i| self.events.get(i))
    }

    fn areas(body: Rect) -> [Rect; 3] {
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(DETAIL_ROWS)])
            .areas(body)
    }

    /// Handles an action in the view drawn in `body`; returns what to open for `Enter`.
    pub fn handle(&mut self, action: Action, body: Rect) -> Option<Open> {
        let rows = inner_rows(Self::areas(body)[1]);
        let keep = self.selected_event().map(|e| e.lgpos);
        match action {
            Action::HistoryTable => {
                self.table = match (&self.table, self.selected_event()) {
                    (Some(_), _) => None,
                    (None, Some(e)) => Some(e.table.clone()),
                    (None, None) => None,
                };
                self.row = None;
            }
            Action::HistoryRow => {
                self.row = match (&self.row, self.selected_event()) {
                    (Some(_), _) => None,
                    (None, Some(e)) => e.key.clone().map(|k| (e.table.clone(), k)),
                    (None, None) => None,
                };
            }
            Action::Enter => {
                let e = self.selected_event()?;
                return Some(match (&e.key, e.now) {
                    (Some(key), Now::AsLogged | Now::Changed) => {
                        Open::Row { table: e.table.clone(), key: key.clone() }
                    }
                    _ => Open::Page(e.pgno),
                });
            }
            _ => {}
        }
        let shown = self.shown();
        if matches!(action, Action::HistoryTable | Action::HistoryRow) {
            // the selected event stays selected when it is still shown
            self.selected = keep
                .and_then(|l| shown.iter().position(|&i| self.events.get(i).is_some_and(|e| e.lgpos == l)))
                .unwrap_or(0);
        }
        self.selected = scroll::select(self.selected, action, shown.len(), rows)
            .unwrap_or_else(|| self.selected.min(shown.len().saturating_sub(1)));
        self.scroll = scroll::follow(self.scroll.min(shown.len().saturating_sub(rows)), self.selected, rows);
        None
    }

    fn line(event: &Event) -> String {
        let outcome = match event.outcome {
            Outcome::Committed => "",
            Outcome::RolledBack | Outcome::EndedByRestart => " ROLLED BACK",
            Outcome::OpenAtEnd => " OPEN",
            Outcome::Compensation => "",
            Outcome::Undecided => " UNDECIDED",
        };
        let now = match event.now {
            Now::AsLogged => "now as logged",
            Now::Changed => "now changed",
            Now::Absent => "now ABSENT",
            Now::Unknown => "key unknown",
        };
        let first = event.first_value().map(|(n, v)| format!("{n}={}", v.to_text())).unwrap_or_default();
        let text = format!(
            "{:<13} {:<14}{outcome} {} · {now} · {first}",
            event.lgpos.to_string(),
            event.operation.word(),
            event.table
        );
        visible(&text).into_owned()
    }

    fn detail(event: &Event, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::styled(
            visible(&format!(
                "{} {} in {} ({}) · {} · table {} · page {} line {} · session {:#x} trx {:#x}",
                event.operation.word(),
                event.lgpos,
                event.file,
                event.created,
                event.outcome.word(),
                event.table,
                event.pgno,
                event.iline,
                event.procid,
                event.trx
            ))
            .into_owned(),
            theme.title(),
        )];
        lines.push(Line::styled(
            format!("key {} · {}", event.key.as_deref().unwrap_or("not known"), event.now.word()),
            if event.now == Now::Absent { theme.warning() } else { theme.text() },
        ));
        if let Some(note) = &event.note {
            lines.push(Line::styled(visible(note).into_owned(), theme.dim()));
        }
        for (name, value) in event.row().into_iter().flat_map(Values::non_null) {
            let old = event
                .changed
                .iter()
                .any(|c| c == name)
                .then(|| event.before.as_ref().and_then(|b| b.get(name)))
                .flatten()
                .map(|v| format!("{} -> ", v.to_text()))
                .unwrap_or_default();
            lines.push(Line::styled(
                visible(&format!("{name} = {old}{}", value.to_text())).into_owned(),
                theme.text(),
            ));
        }
        for error in &event.errors {
            lines.push(Line::styled(visible(error).into_owned(), theme.error()));
        }
        lines
    }

    /// Draws the view over `body`.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let [summary, list, detail] = Self::areas(body);
        let s = &self.summary;
        let mut head = format!(
            "History: {} events ({} inserts, {} now ABSENT, {} not committed, {} keys unknown)",
            s.events, s.inserts, s.absent, s.not_committed, s.unknown_key
        );
        if let Some(t) = &self.table {
            head.push_str(&format!(" · table {t}"));
        }
        if self.row.is_some() {
            head.push_str(" · one row");
        }
        if self.truncated {
            head.push_str(&format!(" · first {MAX_EVENTS} kept"));
        }
        if let Some(f) = s.findings.first() {
            head.push_str(&format!(" · {f}"));
        }
        let style = if s.findings.is_empty() { theme.text() } else { theme.error() };
        let head =
            scroll::ellipsize(Line::styled(visible(&head).into_owned(), style), usize::from(summary.width));
        Paragraph::new(head).render(summary, buf);

        let shown = self.shown();
        let width = inner_width(list);
        let lines: Vec<Line<'static>> = shown
            .iter()
            .enumerate()
            .filter_map(|(n, &i)| self.events.get(i).map(|e| (n, e)))
            .map(|(n, e)| {
                let style = if n == self.selected {
                    theme.selected()
                } else if e.now == Now::Absent
                    || !matches!(e.outcome, Outcome::Committed | Outcome::Compensation)
                {
                    theme.warning()
                } else {
                    theme.text()
                };
                let text = Self::line(e);
                let text = if n == self.selected { format!("{text:<width$}") } else { text };
                scroll::ellipsize(Line::styled(text, style), width)
            })
            .collect();
        let rows = inner_rows(list);
        let offset = scroll::follow(self.scroll.min(lines.len().saturating_sub(rows)), self.selected, rows);
        let block = Block::bordered()
            .title(" History · Enter opens the row · t one table · f one row · Esc back ")
            .border_style(theme.dim());
        if lines.is_empty() {
            Paragraph::new(Line::styled("No row event in the logs read.", theme.dim()))
                .block(block)
                .render(list, buf);
        } else {
            scroll::render(lines, offset, list, buf, block, theme);
        }
        let lines = self
            .selected_event()
            .map(|e| scroll::fit(Self::detail(e, theme), inner_width(detail), Overflow::Wrap))
            .unwrap_or_default();
        let lines = scroll::cut_to_rows(lines, inner_rows(detail), "y copies the whole event", theme);
        let block = Block::bordered().title(" Event ").border_style(theme.dim());
        Paragraph::new(lines).block(block).render(detail, buf);
    }
}
