//! The jobs view: background jobs with progress, rate and ETA, and the
//! findings of the last verify, each of which opens its page.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::PageNumber;
use crate::report::page::verdict_text;
use crate::scan::{Progress, VerifyReport};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::worker::JobId;

/// One job as the view shows it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What it does.
    pub what: &'static str,
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
}

impl JobsState {
    /// The running job to cancel: the newest unfinished one.
    pub fn running(&self) -> Option<JobId> {
        self.jobs.iter().rev().find(|j| !j.done).map(|j| j.id)
    }

    /// Handles an action; returns the page to open for `Enter`.
    pub fn handle(&mut self, action: Action) -> Option<PageNumber> {
        let count = self.report.as_ref().map_or(0, |r| r.bad_pages.len());
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Action::Enter => {
                return self
                    .report
                    .as_ref()
                    .and_then(|r| r.bad_pages.get(self.selected))
                    .map(|p| p.check.pgno)
            }
            _ => {}
        }
        None
    }

    /// Draws the view.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let mut lines = Vec::new();
        if self.jobs.is_empty() {
            lines.push(Line::styled(
                "No jobs yet. v verifies every page; r repairs into a new file.",
                theme.dim(),
            ));
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
            lines.push(Line::from(vec![
                Span::styled(format!("{:<10} ", job.what), theme.title()),
                Span::raw(format!(
                    "{bar} {:>3.0}% {}/{} pages · {:.0} pages/s · {state}",
                    job.progress.percent(),
                    job.progress.done,
                    job.progress.total,
                    job.rate()
                )),
            ]));
        }
        if let Some(report) = &self.report {
            let c = &report.counts;
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "Last verify: {} pages: {} ok, {} uninitialized, {} correctable, {} wrong page number, {} not correctable",
                    c.pages, c.ok, c.uninitialized, c.correctable, c.wrong_page_number, c.uncorrectable
                ),
                if c.damaged() > 0 { theme.error() } else { theme.ok() },
            ));
            for finding in &report.findings {
                lines.push(Line::styled(finding.to_string(), theme.warning()));
            }
            for (i, problem) in report.bad_pages.iter().enumerate() {
                let text = format!(
                    "page {} ({:#x}): {}",
                    problem.check.pgno,
                    problem.file_offset,
                    verdict_text(&problem.check.verdict, problem.file_offset)
                );
                let style = if i == self.selected { theme.selected() } else { theme.error() };
                lines.push(Line::styled(text, style));
            }
        }
        if let Some(text) = &self.repair_text {
            lines.push(Line::raw(""));
            lines.extend(text.lines().map(|l| Line::styled(l.to_string(), theme.text())));
        }
        Paragraph::new(lines)
            .block(Block::bordered().title(" Jobs ").border_style(theme.dim()))
            .render(body, buf);
    }
}
