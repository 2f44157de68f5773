//! The log view: the generation chain as a timeline, gaps and breaks
//! marked, the checkpoint and the database's consistent and attach
//! positions on it; the list of log files; and a log's records, where
//! `Enter` on a page record opens that page.

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
use crate::txlog::LogSet;

/// The state of the log view.
#[derive(Debug, Clone)]
pub struct LogsState {
    /// The log set of the database's directory (or `--logs DIR`).
    pub set: LogSet,
    /// Selected log file (index into `set.logs`).
    pub selected: usize,
    /// When showing records: the selected record.
    pub record: Option<usize>,
    /// The selected log file read with its records (while they are shown),
    /// or why it could not be read again.
    pub loaded: Option<Result<LogFile, String>>,
}

impl LogsState {
    /// A view of `set`.
    pub fn new(set: LogSet) -> Self {
        Self { set, selected: 0, record: None, loaded: None }
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

    /// Handles an action; returns a page to open.
    pub fn handle(&mut self, action: Action, rows: usize) -> Option<PageNumber> {
        match (self.record, action) {
            (None, Action::Up) => self.selected = self.selected.saturating_sub(1),
            (None, Action::Down) => {
                self.selected = (self.selected + 1).min(self.set.logs.len().saturating_sub(1))
            }
            (None, Action::Enter) => {
                // the set keeps no records: the file is read again, and
                // its records are dropped when the list is left
                self.loaded = self.set.logs.get(self.selected).filter(|e| e.log.is_some()).map(|e| e.load());
                if self.record_count() > 0 {
                    self.record = Some(0);
                }
            }
            (Some(_), Action::Escape | Action::Left) => {
                self.record = None;
                self.loaded = None;
            }
            (Some(r), _) => {
                let last = self.record_count().saturating_sub(1);
                let next = match action {
                    Action::Up => r.saturating_sub(1),
                    Action::Down => (r + 1).min(last),
                    Action::PageUp => r.saturating_sub(rows),
                    Action::PageDown => (r + rows).min(last),
                    Action::Home => 0,
                    Action::End => last,
                    Action::Enter => return self.page_of(r),
                    _ => r,
                };
                self.record = Some(next);
            }
            _ => {}
        }
        None
    }

    fn page_of(&self, index: usize) -> Option<PageNumber> {
        let record = self.records().get(index)?;
        match record.details() {
            Details::Page { pgno, .. } | Details::NewPage { pgno, .. } if pgno != 0 => Some(PageNumber(pgno)),
            _ => None,
        }
    }

    /// Positions to mark on the timeline, each with its legend letter.
    fn markers(&self) -> Vec<(Lgpos, char)> {
        let mut marks = Vec::new();
        if let Some(c) = self.set.checkpoint.as_ref().and_then(Checkpoint::current) {
            marks.push((c.lgpos_checkpoint, 'C'));
        }
        if let Some(db) = &self.set.database {
            marks.push((db.lgpos_consistent, 'K'));
            marks.push((db.lgpos_attach, 'A'));
        }
        marks.into_iter().filter(|(l, _)| !l.is_zero()).collect()
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let [timeline, list] = Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(body);
        // timeline: one cell per generation from the oldest to the newest chained one
        let chain: Vec<i32> =
            self.set.logs.iter().filter(|e| e.in_chain).filter_map(|e| e.generation()).collect();
        let mut spans = Vec::new();
        let mut marks_line = Vec::new();
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
                Span::styled("   C checkpoint  K consistent  A attach   ? = missing generation", theme.dim()),
            ]),
        ];
        let title = format!(" Logs · {} in {} ", self.set.base, self.set.dir.display());
        Paragraph::new(lines)
            .block(Block::bordered().title(title).border_style(theme.dim()))
            .render(timeline, buf);

        let inner_rows = usize::from(list.height.saturating_sub(2));
        let mut lines = Vec::new();
        match self.record {
            Some(r) => {
                let first = r.saturating_sub(inner_rows.saturating_sub(1));
                for (i, record) in self.records().iter().enumerate().skip(first).take(inner_rows) {
                    let style = if i == r { theme.selected() } else { theme.text() };
                    lines.push(Line::styled(record.line(), style));
                }
            }
            _ => {
                lines.push(Line::styled(
                    format!(
                        "{:>6}  {:<16} {:<14} {:>9}  {:<14} notes",
                        "gen", "file", "version", "segments", "last"
                    ),
                    theme.dim(),
                ));
                for (i, entry) in self.set.logs.iter().enumerate().take(inner_rows.saturating_sub(1)) {
                    let name =
                        entry.path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    let text = match &entry.log {
                        Some(log) => {
                            let (valid, total) = log.valid_segments();
                            format!(
                                "{:>6}  {:<16} {:<14} {:>9}  {:<14} {}",
                                format!("{:X}", log.header.generation),
                                name,
                                log.header.version.to_string(),
                                format!("{valid}/{total}"),
                                log.end().to_string(),
                                entry.note.clone().unwrap_or_default()
                            )
                        }
                        None => format!(
                            "{:>6}  {:<16} {}",
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
                    lines.push(Line::styled(text, style));
                }
                if let Some(Err(why)) = &self.loaded {
                    lines.push(Line::styled(why.clone(), theme.error()));
                }
                for finding in &self.set.findings {
                    lines.push(Line::styled(finding.to_string(), theme.error()));
                }
                lines.push(Line::styled(format!("Recovery: {}", self.set.recovery.summary), theme.text()));
            }
        }
        let title = match self.record {
            Some(_) => " Records · Enter opens a page record's page · Esc back ",
            None => " Log files · Enter lists records ",
        };
        Paragraph::new(lines)
            .block(Block::bordered().title(title).border_style(theme.dim()))
            .render(list, buf);
    }
}
