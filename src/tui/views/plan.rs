//! The recovery plan view (opened from the logs view with `P`): the dry run
//! of `recover --plan` made in the background, one line per page record
//! with APPLY / skip / STOP, the selected record's reason and pages in
//! full below, and `Enter` opening the page the record touches.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::format::PageNumber;
use crate::recovery::plan::{DbtimeVerdict, Decision, PageCheck, Plan, PlanEntry, Reason};
use crate::report::recovery::{decision_word, page_text};
use crate::tui::action::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{self, inner_rows, inner_width, Overflow};

/// Rows of the summary above the list.
const SUMMARY_ROWS: u16 = 3;
/// Rows of the selected record's panel (with its border).
const DETAIL_ROWS: u16 = 6;

/// The page that decided a record's fate: the first it touches that is not
/// already current (the one the record changes), else its first page.
fn deciding_page(entry: &PlanEntry) -> Option<&PageCheck> {
    entry.pages.iter().find(|p| p.verdict != DbtimeVerdict::Current).or(entry.pages.first())
}

/// The reason of a list line, short: the dbtime rule's verdict on the page
/// that decided, the first one not current ("page is older than this
/// record", "new page", "page already has this change"; the record panel
/// names each page), else the reason in full.
fn short_reason(entry: &PlanEntry) -> String {
    match entry.reason {
        Reason::DbtimeOlder | Reason::DbtimeCurrent => deciding_page(entry).map_or_else(
            || entry.reason.describe().to_string(),
            |p| p.verdict.describe(p.touch.dbtime_before.is_none()).to_string(),
        ),
        other => other.describe().to_string(),
    }
}

/// The state of the plan view.
#[derive(Debug, Clone)]
pub struct PlanState {
    /// The plan, or why it could not be made (in words, naming the file).
    pub plan: Result<Plan, String>,
    /// The selected page record.
    pub selected: usize,
    /// First line of the list shown.
    pub scroll: usize,
}

impl PlanState {
    /// A view of `plan`, its first STOP selected when it has one.
    pub fn new(plan: Result<Plan, String>) -> Self {
        let selected =
            plan.as_ref().ok().and_then(|p| p.entries.iter().position(|e| e.decision == Decision::Stop));
        Self { plan, selected: selected.unwrap_or(0), scroll: 0 }
    }

    fn entries(&self) -> &[PlanEntry] {
        self.plan.as_ref().map_or(&[], |p| p.entries.as_slice())
    }

    /// The areas of the summary, the list and the detail panel in `body`.
    fn areas(body: Rect) -> [Rect; 3] {
        Layout::vertical([
            Constraint::Length(SUMMARY_ROWS),
            Constraint::Fill(1),
            Constraint::Length(DETAIL_ROWS),
        ])
        .areas(body)
    }

    /// Handles an action in the view drawn in `body`; returns the page to
    /// open for `Enter`: the first page of the record that is not already
    /// current (the one the record changes), else its first page.
    pub fn handle(&mut self, action: Action, body: Rect) -> Option<PageNumber> {
        let count = self.entries().len();
        let rows = inner_rows(Self::areas(body)[1]);
        if action == Action::Enter {
            return self.page_to_open();
        }
        self.selected = scroll::select(self.selected, action, count, rows).unwrap_or(self.selected);
        self.scroll = scroll::follow(self.scroll.min(count.saturating_sub(rows)), self.selected, rows);
        None
    }

    /// The page `Enter` opens for the selected record.
    pub fn page_to_open(&self) -> Option<PageNumber> {
        let entry = self.entries().get(self.selected)?;
        let changed = deciding_page(entry)?;
        (changed.touch.pgno != 0).then_some(PageNumber(changed.touch.pgno))
    }

    /// The summary's lines fitted to `width`: where replay starts and why
    /// (on two rows at most), then the verdict and the counts.
    fn summary(&self, theme: Theme, width: usize) -> Vec<Line<'static>> {
        let plan = match &self.plan {
            Err(_) => return vec![Line::styled("Recovery plan: could not be made (below)", theme.error())],
            Ok(plan) => plan,
        };
        let (apply, skip, stop) = plan.counts();
        let verdict = if plan.cancelled {
            Span::styled("cancelled: the plan stops early", theme.warning())
        } else if plan.refuses() {
            Span::styled("recovery would refuse", theme.error())
        } else {
            Span::styled("recovery can replay every record", theme.ok())
        };
        let head = format!("Replay {} to {}: ", plan.start, plan.end);
        let room = (usize::from(SUMMARY_ROWS - 1) * width).saturating_sub(head.chars().count());
        let mut reason: String = plan.start_reason.clone();
        if reason.chars().count() > room {
            reason = reason.chars().take(room.saturating_sub(1)).collect::<String>() + "…";
        }
        let mut lines = scroll::fit(
            vec![Line::from(vec![Span::styled(head, theme.title()), Span::styled(reason, theme.text())])],
            width,
            Overflow::Wrap,
        );
        lines.truncate(usize::from(SUMMARY_ROWS - 1));
        lines.push(scroll::ellipsize(
            Line::from(vec![
                verdict,
                Span::styled(
                    format!(
                        " · {} page records: {apply} APPLY, {skip} skip, {stop} STOP · {} open transaction(s)",
                        plan.page_records,
                        plan.open_transactions.len()
                    ),
                    theme.text(),
                ),
            ]),
            width,
        ));
        lines
    }

    /// One list line per page record.
    fn list_lines(&self, theme: Theme, width: usize) -> Vec<Line<'static>> {
        self.entries()
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let pages: Vec<String> = entry.pages.iter().map(|p| p.touch.pgno.to_string()).collect();
                let text = format!(
                    "{:<5} {:<12} {:<17} p {:<7} {}",
                    decision_word(entry),
                    entry.lgpos.to_string(),
                    entry.name,
                    if pages.is_empty() { "-".to_string() } else { pages.join(",") },
                    short_reason(entry)
                );
                let style = if i == self.selected {
                    theme.selected()
                } else {
                    match entry.decision {
                        Decision::Apply => theme.text(),
                        Decision::Skip => theme.dim(),
                        Decision::Stop => theme.error(),
                    }
                };
                let text = if i == self.selected { format!("{text:<width$}") } else { text };
                scroll::ellipsize(Line::styled(text, style), width)
            })
            .collect()
    }

    /// The selected record in full (or why there is no plan).
    fn detail_lines(&self, theme: Theme, width: usize) -> Vec<Line<'static>> {
        let lines = match (&self.plan, self.entries().get(self.selected)) {
            (Err(why), _) => vec![Line::styled(why.clone(), theme.error())],
            (Ok(plan), None) => {
                let mut lines = vec![Line::styled("No page record in the replayed range.", theme.dim())];
                if let Some(problem) = &plan.undo_problem {
                    lines.push(Line::styled(format!("STOP undo: {problem}"), theme.error()));
                }
                lines
            }
            (Ok(plan), Some(entry)) => {
                let style = if entry.decision == Decision::Stop { theme.error() } else { theme.text() };
                let macro_note = entry.macro_dbtime.map_or(String::new(), |d| format!(", macro {d:#x}"));
                let mut lines = vec![
                    Line::styled(
                        format!(
                            "{} {} at {} (session {:#x}, dbid {}, dbtime after {:#x}{macro_note}): {}",
                            decision_word(entry),
                            entry.name,
                            entry.lgpos,
                            entry.procid,
                            entry.dbid,
                            entry.dbtime_after,
                            entry.reason.describe()
                        ),
                        style,
                    ),
                    Line::styled(entry.detail.as_deref().unwrap_or_default().to_string(), theme.error()),
                ];
                lines.extend(entry.pages.iter().map(|p| Line::styled(page_text(p), theme.text())));
                if entry.pages.is_empty() {
                    lines.push(Line::styled("no page of this database", theme.dim()));
                }
                if let Some(problem) = &plan.undo_problem {
                    lines.push(Line::styled(format!("STOP undo: {problem}"), theme.error()));
                }
                lines.retain(|l| l.width() > 0);
                lines
            }
        };
        scroll::fit(lines, width, Overflow::Wrap)
    }

    /// Draws the view over `body`.
    pub fn render(&self, body: Rect, buf: &mut Buffer, theme: Theme) {
        let [summary, list, detail] = Self::areas(body);
        let width = usize::from(summary.width);
        Paragraph::new(self.summary(theme, width)).render(summary, buf);

        let mut lines = self.list_lines(theme, inner_width(list));
        if let Ok(plan) = &self.plan {
            if plan.entries_left_out > 0 {
                lines.push(Line::styled(
                    format!(
                        "{} more page records not listed: the first {} are, then only those that stop recovery (y copies the plan)",
                        plan.entries_left_out,
                        Plan::ENTRIES_KEPT
                    ),
                    theme.dim(),
                ));
            }
        }
        let rows = inner_rows(list);
        let offset = scroll::follow(self.scroll.min(lines.len().saturating_sub(rows)), self.selected, rows);
        let title = " Recovery plan · Enter opens the record's page · R recovers · Esc back ";
        let block = Block::bordered().title(title).border_style(theme.dim());
        if lines.is_empty() {
            Paragraph::new(Line::styled("No page record in the replayed range.", theme.dim()))
                .block(block)
                .render(list, buf);
        } else {
            scroll::render(lines, offset, list, buf, block, theme);
        }

        let lines = self.detail_lines(theme, inner_width(detail));
        let lines = scroll::cut_to_rows(lines, inner_rows(detail), "y copies the whole plan", theme);
        let block = Block::bordered().title(" Record ").border_style(theme.dim());
        Paragraph::new(lines).block(block).render(detail, buf);
    }
}
