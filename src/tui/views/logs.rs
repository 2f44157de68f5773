//! The log view: the generation chain as a timeline, gaps and breaks
//! marked, the checkpoint and the database's consistent and attach
//! positions on it; the list of log files; a log's records, where `Enter`
//! on a page record opens that page; and the recovery plan
//! ([`super::plan`]) once `P` has made it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::checkpoint::Checkpoint;
use crate::format::txlog::record::{Details, Record};
use crate::format::txlog::LogFile;
use crate::format::{Lgpos, PageNumber};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::views::history::{HistoryState, Open};
use crate::tui::views::plan::PlanState;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};
use crate::txlog::LogSet;

/// The timeline's mark of the checkpoint.
const CHECKPOINT: char = '◆';
/// The timeline's mark of the database's consistent position.
const CONSISTENT: char = '●';
/// The timeline's mark of the database's attach position.
const ATTACH: char = '▲';

/// The state of the log view.
#[derive(Debug, Clone)]
pub struct LogsState {
    /// The log set of the database's directory (or `--logs DIR`).
    pub set: LogSet,
    /// Selected log file (index into `set.logs`).
    pub selected: usize,
    /// When showing records: the selected record.
    pub record: Option<usize>,
    /// First line of the file list shown (clamped when drawn).
    pub list_scroll: usize,
    /// The selected log file read with its records (while they are shown),
    /// or why it could not be read again.
    pub loaded: Option<Result<LogFile, String>>,
    /// The recovery plan, while it is shown (`P` makes it, `Esc` leaves it).
    pub plan: Option<PlanState>,
    /// The row history (`H` makes it, and shows it again once made); kept when left, for the record list.
    pub history: Option<HistoryState>,
    /// True while the history is shown.
    pub history_open: bool,
}

impl LogsState {
    /// A view of `set`.
    pub fn new(set: LogSet) -> Self {
        Self {
            set,
            selected: 0,
            record: None,
            list_scroll: 0,
            loaded: None,
            plan: None,
            history: None,
            history_open: false,
        }
    }

    /// The records of the log file being shown.
    pub fn records(&self) -> &[Record] {
        match &self.loaded {
            Some(Ok(log)) => &log.records.records,
            _ => &[],
        }
    }

    fn record_count(&self) -> usize {
        self.records().len()
    }

    /// Handles an action; `rows` is the height of the list panel's inside.
    /// Returns a page to open.
    pub fn handle(&mut self, action: Action, rows: usize) -> Option<PageNumber> {
        match (self.record, action) {
            (None, Action::Enter) => {
                // the set keeps no records: the file is read again, and
                // its records are dropped when the list is left
                self.loaded = self.set.logs.get(self.selected).filter(|e| e.log.is_some()).map(|e| e.load());
                if self.record_count() > 0 {
                    self.record = Some(0);
                }
            }
            (None, _) => {
                let last = self.set.logs.len().saturating_sub(1);
                self.selected =
                    scroll::select(self.selected, action, self.set.logs.len(), rows).unwrap_or(self.selected);
                // the list's line of the selection: one heading line before the files
                let total = 2 + self.set.logs.len() + self.set.findings.len();
                let offset = self.list_scroll.min(total.saturating_sub(rows));
                self.list_scroll = scroll::follow(offset, self.selected + 1, rows);
                // at the last file, the findings and the recovery line below it come into view
                if self.selected == last {
                    self.list_scroll = usize::MAX;
                }
            }
            (Some(_), Action::Escape | Action::Left) => {
                self.record = None;
                self.loaded = None;
            }
            (Some(r), _) => {
                let last = self.record_count().saturating_sub(1);
                let next = match action {
                    Action::Up | Action::ScrollUp => r.saturating_sub(1),
                    Action::Down | Action::ScrollDown => (r + 1).min(last),
                    Action::PageUp => r.saturating_sub(rows),
                    Action::PageDown => (r + rows).min(last),
                    Action::Home => 0,
                    Action::End => last,
                    Action::Enter => return self.page_of(r),
                    _ => r,
                };
                self.record = Some(next);
            }
        }
        None
    }

    /// Handles an action while the plan is shown over `body`; `Esc` and
    /// `h` leave it. Returns a page to open.
    pub fn handle_plan(&mut self, action: Action, body: Rect) -> Option<PageNumber> {
        match action {
            Action::Escape | Action::Left => {
                self.plan = None;
                None
            }
            _ => self.plan.as_mut()?.handle(action, body),
        }
    }

    /// Handles an action while the history is shown over `body`; `Esc`
    /// and `h` leave it. Returns what to open.
    pub fn handle_history(&mut self, action: Action, body: Rect) -> Option<Open> {
        match action {
            Action::Escape | Action::Left => {
                self.history_open = false;
                None
            }
            _ => self.history.as_mut()?.handle(action, body),
        }
    }

    /// A record's line, with the table and row of a row operation once the
    /// history is made (after the position and type, before the fields).
    pub fn record_text(&self, record: &Record) -> String {
        let row = self.history.as_ref().and_then(|h| h.at(record.lgpos)).map(|e| {
            let first = e.first_value().map(|(n, v)| format!(" {n}={}", v.to_text())).unwrap_or_default();
            crate::sanitize::visible(&format!("· {} {}{first} ·", e.table, e.operation.word())).into_owned()
        });
        let line = record.line();
        let split = line.char_indices().nth(29).map_or(line.len(), |(i, _)| i);
        match row {
            Some(row) => format!("{}{row}{}", &line[..split], &line[split..]),
            None => line,
        }
    }

    fn page_of(&self, index: usize) -> Option<PageNumber> {
        let record = self.records().get(index)?;
        match record.details() {
            Details::Page { pgno, .. } | Details::NewPage { pgno, .. } if pgno != 0 => Some(PageNumber(pgno)),
            _ => None,
        }
    }

    /// Positions to mark on the timeline, each with its legend glyph (not a
    /// letter: the generations are labelled in hexadecimal).
    fn markers(&self) -> Vec<(Lgpos, char)> {
        let mut marks = Vec::new();
        if let Some(c) = self.set.checkpoint.as_ref().and_then(Checkpoint::current) {
            marks.push((c.lgpos_checkpoint, CHECKPOINT));
        }
        if let Some(db) = &self.set.database {
            marks.push((db.lgpos_consistent, CONSISTENT));
            marks.push((db.lgpos_attach, ATTACH));
        }
        marks.into_iter().filter(|(l, _)| !l.is_zero()).collect()
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        if let Some(plan) = &self.plan {
            plan.render(body, buf, theme);
            return;
        }
        if let (Some(history), true) = (&self.history, self.history_open) {
            history.render(body, buf, theme);
            return;
        }
        let [timeline, list] = Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(body);
        // timeline: one cell per generation from the oldest to the newest chained one
        let chain: Vec<i32> =
            self.set.logs.iter().filter(|e| e.in_chain).filter_map(|e| e.generation()).collect();
        let mut spans = vec![Span::styled("gen 0x", theme.dim())];
        let mut marks_line = vec![Span::raw("      ")];
        if let (Some(&first), Some(&last)) = (chain.first(), chain.last()) {
            let marks = self.markers();
            for gen in first..=last.min(first + 200) {
                let present = chain.contains(&gen);
                let text = format!(" {gen:X} ");
                let style = if present { theme.ok() } else { theme.error() };
                spans.push(Span::styled(if present { text.clone() } else { format!(" {gen:X}? ") }, style));
                let width = if present { text.len() } else { text.len() + 1 };
                let label: String =
                    marks.iter().filter(|(l, _)| l.generation == gen).map(|(_, c)| *c).collect();
                marks_line.push(Span::styled(format!("{label:^width$}"), theme.warning()));
            }
        }
        let verdict = if self.set.chain_ok {
            Span::styled("chain complete", theme.ok())
        } else {
            Span::styled("chain BROKEN or damaged", theme.error())
        };
        let lines = vec![
            Line::from(spans),
            Line::from(marks_line),
            Line::from(vec![
                verdict,
                Span::styled(
                    format!(
                        "   {CHECKPOINT} checkpoint  {CONSISTENT} consistent  {ATTACH} attach  ? missing generation"
                    ),
                    theme.dim(),
                ),
            ]),
        ];
        let title = format!(" Logs · {} in {} ", self.set.base, self.set.dir.display());
        let lines = scroll::fit(lines, inner_width(timeline), Overflow::Ellipsis);
        Paragraph::new(lines)
            .block(Block::bordered().title(title).border_style(theme.dim()))
            .render(timeline, buf);

        let width = inner_width(list);
        let mut lines = Vec::new();
        let title = match self.record {
            Some(r) => {
                // the selected record whole, below the list: a long line is cut there
                let [list, detail] =
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(4)]).areas(list);
                let rows = inner_rows(list);
                let first = r.saturating_sub(rows.saturating_sub(1));
                for (i, record) in self.records().iter().enumerate() {
                    let style = if i == r { theme.selected() } else { theme.text() };
                    lines.push(scroll::ellipsize(Line::styled(self.record_text(record), style), width));
                }
                let block = Block::bordered()
                    .title(" Records · Enter opens a page record's page · Esc back ")
                    .border_style(theme.dim());
                scroll::render(lines, first, list, buf, block, theme);
                let whole = self.records().get(r).map(|record| self.record_text(record)).unwrap_or_default();
                let whole =
                    scroll::fit(vec![Line::styled(whole, theme.text())], inner_width(detail), Overflow::Wrap);
                let whole = scroll::cut_to_rows(whole, inner_rows(detail), "y copies the record", theme);
                Paragraph::new(whole)
                    .block(Block::bordered().title(" Record ").border_style(theme.dim()))
                    .render(detail, buf);
                return;
            }
            _ => " Log files · Enter lists records ",
        };
        lines.push(Line::styled(
            format!("{:>6}  {:<14} {:<14} {:<17} {:<14} notes", "gen", "file", "version", "segments", "last"),
            theme.dim(),
        ));
        for (i, entry) in self.set.logs.iter().enumerate() {
            let name = entry.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let text = match &entry.log {
                Some(log) => {
                    format!(
                        "{:>6}  {:<14} {:<14} {:<17} {:<14} {}",
                        format!("{:#X}", log.header.generation),
                        name,
                        log.header.version.to_string(),
                        log.segments_in_words,
                        log.end().to_string(),
                        entry.note.clone().unwrap_or_default()
                    )
                }
                None => format!(
                    "{:>6}  {:<14} {}",
                    "-",
                    name,
                    entry.error.clone().or(entry.note.clone()).unwrap_or_default()
                ),
            };
            let damaged = entry
                .log
                .as_ref()
                .is_some_and(|l| !l.body_problems().is_empty() || !l.header_problems.is_empty());
            let style = if i == self.selected {
                theme.selected()
            } else if damaged {
                theme.error()
            } else if entry.in_chain {
                theme.text()
            } else {
                theme.dim()
            };
            let text = if i == self.selected { format!("{text:<width$}") } else { text };
            lines.push(scroll::ellipsize(Line::styled(text, style), width));
        }
        let mut rest = Vec::new();
        if let Some(Err(why)) = &self.loaded {
            rest.push(Line::styled(why.clone(), theme.error()));
        }
        for finding in &self.set.findings {
            rest.push(Line::styled(finding.to_string(), theme.error()));
        }
        rest.push(Line::styled(format!("Recovery: {}", self.set.recovery.summary), theme.text()));
        lines.extend(scroll::fit(rest, width, Overflow::Wrap));
        let block = Block::bordered().title(title).border_style(theme.dim());
        scroll::render(lines, self.list_scroll, list, buf, block, theme);
    }
}
