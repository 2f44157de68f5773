//! The jobs view: background jobs with progress, rate and ETA, and the
//! findings of the last verify, each of which opens its page.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::format::PageNumber;
use crate::report::page::verdict_text;
use crate::scan::{Progress, VerifyReport};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};
use crate::worker::JobId;

/// One job as the view shows it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What it does.
    pub what: &'static str,
    /// What its progress counts (pages, records…).
    pub unit: &'static str,
    /// How far it is.
    pub progress: Progress,
    /// Time since it started, as of the last progress report.
    pub elapsed: Duration,
    /// True once finished.
    pub done: bool,
    /// True when it was cancelled.
    pub cancelled: bool,
}

impl Job {
    /// Units per second so far.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.progress.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the current rate.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0 && !self.done).then(|| {
            Duration::from_secs_f64(self.progress.total.saturating_sub(self.progress.done) as f64 / rate)
        })
    }
}

/// The state of the jobs view.
#[derive(Debug, Clone, Default)]
pub struct JobsState {
    /// Every job started, newest last.
    pub jobs: Vec<Job>,
    /// The last finished verify.
    pub report: Option<VerifyReport>,
    /// Selected finding.
    pub selected: usize,
    /// The text of the last repair or recovery report.
    pub repair_text: Option<String>,
    /// First line shown.
    pub scroll: usize,
}

impl JobsState {
    /// The running job to cancel: the newest unfinished one.
    pub fn running(&self) -> Option<JobId> {
        self.jobs.iter().rev().find(|j| !j.done).map(|j| j.id)
    }

    /// Handles an action in the view drawn in `body`; returns the page to
    /// open for `Enter`. `j`/`k` move among the findings and, past the
    /// first or last, scroll; PgUp/PgDn, Home/End and the wheel scroll.
    pub fn handle(&mut self, action: Action, body: Rect) -> Option<PageNumber> {
        let count = self.report.as_ref().map_or(0, |r| r.bad_pages.len());
        let (lines, findings) = self.lines(Theme { no_color: true }, inner_width(body));
        let rows = inner_rows(body);
        match action {
            Action::Up if self.selected > 0 && count > 0 => self.selected -= 1,
            Action::Down if self.selected + 1 < count => self.selected += 1,
            Action::Enter => {
                return self
                    .report
                    .as_ref()
                    .and_then(|r| r.bad_pages.get(self.selected))
                    .map(|p| p.check.pgno)
            }
            other => {
                scroll::scroll(&mut self.scroll, other, lines.len(), rows);
                return None;
            }
        }
        if let Some(&line) = findings.get(self.selected) {
            self.scroll = scroll::follow(self.scroll.min(lines.len().saturating_sub(rows)), line, rows);
        }
        None
    }

    /// The finding shown on line `line` of the panel (0 = its first inside
    /// row), for mouse clicks.
    pub fn finding_at(&self, line: usize, body: Rect) -> Option<usize> {
        let (lines, findings) = self.lines(Theme { no_color: true }, inner_width(body));
        let first = self.scroll.min(lines.len().saturating_sub(inner_rows(body)));
        findings.iter().position(|&l| l == first + line)
    }

    /// Every line of the view fitted to `width`, and the line of each
    /// finding (damaged page) of the last verify.
    pub fn lines(&self, theme: Theme, width: usize) -> (Vec<Line<'static>>, Vec<usize>) {
        let mut lines: Vec<Line<'static>> = Vec::new();
        let mut findings = Vec::new();
        let push = |lines: &mut Vec<Line<'static>>, line: Line<'static>| {
            lines.extend(scroll::fit(vec![line], width, Overflow::Wrap));
        };
        if self.jobs.is_empty() {
            push(
                &mut lines,
                Line::styled("No jobs yet. v verifies every page; r repairs into a new file.", theme.dim()),
            );
        }
        for job in &self.jobs {
            let width = 24usize;
            let filled = (job.progress.percent() / 100.0 * width as f64) as usize;
            let bar = format!("[{}{}]", "#".repeat(filled.min(width)), "-".repeat(width - filled.min(width)));
            let state = if job.cancelled {
                "cancelled".to_string()
            } else if job.done {
                format!("done in {:.1}s", job.elapsed.as_secs_f64())
            } else {
                job.eta().map_or("running".to_string(), |eta| format!("ETA {}s", eta.as_secs()))
            };
            let line = Line::from(vec![
                Span::styled(format!("{:<10} ", job.what), theme.title()),
                Span::raw(format!(
                    "{bar} {:>3.0}% {}/{} {unit} · {:.0} {unit}/s · {state}",
                    job.progress.percent(),
                    job.progress.done,
                    job.progress.total,
                    job.rate(),
                    unit = job.unit
                )),
            ]);
            push(&mut lines, line);
        }
        if let Some(report) = &self.report {
            let c = &report.counts;
            lines.push(Line::raw(""));
            push(
                &mut lines,
                Line::styled(
                    format!(
                        "Last verify: {} pages: {} ok, {} uninitialized, {} correctable, {} wrong page number, {} not correctable",
                        c.pages, c.ok, c.uninitialized, c.correctable, c.wrong_page_number, c.uncorrectable
                    ),
                    if c.damaged() > 0 { theme.error() } else { theme.ok() },
                ),
            );
            for finding in &report.findings {
                push(&mut lines, Line::styled(finding.to_string(), theme.warning()));
            }
            for (i, problem) in report.bad_pages.iter().enumerate() {
                let text = format!(
                    "page {} ({:#x}): {}",
                    problem.check.pgno,
                    problem.file_offset,
                    verdict_text(&problem.check.verdict, problem.file_offset)
                );
                let style = if i == self.selected { theme.selected() } else { theme.error() };
                findings.push(lines.len());
                push(&mut lines, Line::styled(text, style));
            }
        }
        if let Some(text) = &self.repair_text {
            lines.push(Line::raw(""));
            for l in text.lines() {
                push(&mut lines, Line::styled(l.to_string(), theme.text()));
            }
        }
        (lines, findings)
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let (lines, _) = self.lines(theme, inner_width(body));
        let block = Block::bordered().title(" Jobs ").border_style(theme.dim());
        scroll::render(lines, self.scroll, body, buf, block, theme);
    }
}
