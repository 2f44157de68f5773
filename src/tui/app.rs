//! The inspector's state and its one entry point for change,
//! [`App::update`]: actions in, state changed, sometimes an [`Effect`] out.
//! Rendering reads `&App` and never changes or decodes anything.

use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;

use super::action::{Action, Effect, Prompt, ViewId};
use super::layout::{bands, hit};
use super::search;
use super::theme::Theme;
use super::views::jobs::{Job, JobsState};
use super::views::overview::OverviewState;
use super::views::page::{PageFocus, PageState};
use super::views::pagemap::MapState;
use crate::cli::database::{parse_page_spec, PageSpec};
use crate::format::PageNumber;
use crate::report::page::write_checksum;
use crate::store::file::OVERLAP;
use crate::store::Database;
use crate::worker::{JobId, JobOutput, WorkerEvent};

/// How a status message should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Information.
    Info,
    /// Something went wrong.
    Error,
}

/// A place to go back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    view: ViewId,
    pgno: Option<PageNumber>,
    cursor: usize,
}

/// The whole state of the inspector.
#[derive(Debug)]
pub struct App {
    /// The open database.
    pub db: Arc<Database>,
    /// Styles.
    pub theme: Theme,
    /// The terminal size.
    pub size: Rect,
    /// The view shown.
    pub view: ViewId,
    /// Overview state.
    pub overview: OverviewState,
    /// Page-map state.
    pub map: MapState,
    /// The open page (page and checksum views).
    pub page: Option<PageState>,
    /// Jobs.
    pub jobs: JobsState,
    /// The log set, when one was found or given.
    pub logs: Option<super::views::logs::LogsState>,
    /// The catalog's tables.
    pub tables: super::views::tables::TablesState,
    /// The rows of the table opened from the tables view.
    pub records: Option<super::views::records::RecordsState>,
    /// The pages walked down through to the open page (tree breadcrumbs).
    pub crumbs: Vec<PageNumber>,
    /// True while a tree move (child, parent, sibling, table root) opens a
    /// page: other jumps clear the breadcrumbs.
    walking: bool,
    /// The open prompt and what has been typed.
    pub prompt: Option<(Prompt, String)>,
    /// True while the help is shown.
    pub help: bool,
    /// First line of the help shown.
    pub help_scroll: usize,
    /// The status line.
    pub message: Option<(String, Level)>,
    /// Every status message so far, oldest first, whole.
    pub messages: Vec<(String, Level)>,
    /// True while the messages log is shown.
    pub show_messages: bool,
    /// First line of the messages log shown.
    pub messages_scroll: usize,
    /// True once the user asked to leave.
    pub quit: bool,
    /// The file compared with (`--compare`).
    pub compare: Option<Arc<Database>>,
    /// Where new files go (absolute): `w`, `r` and `R` offer it, relative
    /// names are taken inside it, and the folder of the last file written
    /// becomes it.
    pub work_dir: std::path::PathBuf,
    /// The folder searched for the log set (absolute) and whether the user
    /// named it (`--logs`).
    pub logs_searched: Option<(std::path::PathBuf, bool)>,
    /// The repaired copy's path while the repair's copy prompt is open.
    pending_repair: Option<std::path::PathBuf>,
    map_job: Option<JobId>,
    started: Vec<(JobId, Instant)>,
    back: Vec<Place>,
    forward: Vec<Place>,
    next_job: u64,
}

impl App {
    /// The inspector over `db`, showing the overview. The caller should
    /// start the page-map scan ([`App::start_page_map`]).
    pub fn new(db: Arc<Database>, theme: Theme, size: Rect) -> Self {
        let overview = OverviewState::new(&db);
        let tables = super::views::tables::TablesState::new(crate::store::catalog::Catalog::read(&db));
        let mut map = MapState::new(&db);
        map.refresh(&db, bands(size).body);
        let page = (db.page_count() > 0).then(|| PageState::open(&db, PageNumber(1)).ok()).flatten();
        let work_dir = super::outputs::default_work_dir(db.path());
        Self {
            db,
            theme,
            size,
            view: ViewId::Overview,
            overview,
            map,
            page,
            jobs: JobsState::default(),
            logs: None,
            tables,
            records: None,
            crumbs: Vec::new(),
            walking: false,
            prompt: None,
            help: false,
            help_scroll: 0,
            message: None,
            messages: Vec::new(),
            show_messages: false,
            messages_scroll: 0,
            quit: false,
            work_dir,
            logs_searched: None,
            pending_repair: None,
            map_job: None,
            started: Vec::new(),
            back: Vec::new(),
            forward: Vec::new(),
            next_job: 1,
            compare: None,
        }
    }

    /// Loads the log set: from `dir` when given, else from the database's
    /// own directory when a set there has the database's log signature.
    /// Returns what was found, for the status line.
    pub fn load_logs(&mut self, dir: Option<&std::path::Path>) -> Option<String> {
        let folder = match dir {
            Some(d) => d.to_path_buf(),
            None => self
                .db
                .path()
                .parent()
                .map(|p| if p.as_os_str().is_empty() { std::path::Path::new(".") } else { p })?
                .to_path_buf(),
        };
        self.logs_searched = Some((absolute(&folder), dir.is_some()));
        let header = self.db.header().map(|h| (self.db.path(), h));
        let sets: Vec<crate::txlog::LogSet> = crate::txlog::bases(&folder)
            .ok()?
            .iter()
            .filter_map(|base| crate::txlog::open(&folder, base, header).ok())
            .collect();
        let matching = sets.iter().position(|s| s.database.as_ref().is_some_and(|d| d.same_stream));
        let chosen = match (matching, dir) {
            (Some(i), _) => sets.into_iter().nth(i),
            (None, Some(_)) => sets.into_iter().next(),
            (None, None) => None,
        }?;
        let text =
            format!("log set {} ({} files): {}", chosen.base, chosen.logs.len(), chosen.recovery.summary);
        let chained = chosen.logs.iter().filter(|l| l.in_chain).count();
        let verdict = if chosen.chain_ok { "complete" } else { "BROKEN or damaged" };
        let summary = &mut self.overview.summary;
        summary.push(format!(
            "{:<22}{} in {}: {chained} generations, chain {verdict}",
            "Logs:",
            chosen.base,
            chosen.dir.display()
        ));
        if let Some(c) = chosen.checkpoint.as_ref().and_then(crate::format::checkpoint::Checkpoint::current) {
            summary.push(format!("{:<22}{}", "Checkpoint:", c.lgpos_checkpoint));
        }
        summary.push(format!("{:<22}{}", "Recovery:", chosen.recovery.summary));
        self.logs = Some(super::views::logs::LogsState::new(chosen));
        Some(text)
    }

    fn body(&self) -> Rect {
        bands(self.size).body
    }

    fn new_job(&mut self, what: &'static str, unit: &'static str, total: u64) -> JobId {
        let id = JobId(self.next_job);
        self.next_job += 1;
        self.started.push((id, Instant::now()));
        let progress = crate::scan::Progress { done: 0, total };
        self.jobs.jobs.push(Job {
            id,
            what,
            unit,
            progress,
            elapsed: Default::default(),
            done: false,
            cancelled: false,
        });
        id
    }

    /// Registers the page-map scan and returns its id; the caller runs it.
    pub fn start_page_map(&mut self) -> JobId {
        let id = self.new_job("page map", "pages", u64::from(self.db.page_count()));
        self.map_job = Some(id);
        id
    }

    /// Registers a verify job and returns its id; the caller runs it.
    pub fn start_verify(&mut self) -> JobId {
        self.new_job("verify", "pages", u64::from(self.db.page_count()))
    }

    /// Registers a repair job and returns its id; the caller runs it.
    pub fn start_repair(&mut self) -> JobId {
        self.new_job("repair", "page reads", 2 * u64::from(self.db.page_count()))
    }

    /// Registers a salvage job and returns its id; the caller runs it.
    pub fn start_salvage(&mut self) -> JobId {
        self.new_job("salvage", "tables", 0)
    }

    /// Registers a recovery job and returns its id; the caller runs it.
    pub fn start_recovery(&mut self) -> JobId {
        self.new_job("recovery", "steps", 3)
    }

    /// Registers a recovery-plan job and returns its id; the caller runs it.
    pub fn start_plan(&mut self) -> JobId {
        self.new_job("plan", "records", 1)
    }

    /// Registers a history job and returns its id; the caller runs it.
    pub fn start_history(&mut self) -> JobId {
        self.new_job("history", "generations", 1)
    }

    /// " (N shows it)", pointing at `view` when it is not the one shown.
    fn shows(&self, view: ViewId) -> String {
        let key = ViewId::ALL.iter().position(|v| *v == view).map_or(0, |i| i + 1);
        if self.view == view {
            String::new()
        } else {
            format!(" ({key} shows it)")
        }
    }

    /// Shows a message in the status line.
    /// Every message is kept whole in the messages log (`M` or `:`).
    pub fn notify(&mut self, text: impl Into<String>, level: Level) {
        let text = text.into();
        self.messages.push((text.clone(), level));
        self.message = Some((text, level));
    }

    fn place(&self) -> Place {
        Place {
            view: self.view,
            pgno: self.page.as_ref().map(PageState::pgno),
            cursor: self.page.as_ref().map_or(0, |p| p.cursor),
        }
    }

    fn go(&mut self, place: Place) {
        if let Some(pgno) = place.pgno.filter(|p| Some(*p) != self.page.as_ref().map(PageState::pgno)) {
            match PageState::open(&self.db, pgno) {
                Ok(mut page) => {
                    self.attach_other(&mut page);
                    self.page = Some(page)
                }
                Err(e) => return self.notify(format!("{e}"), Level::Error),
            }
        }
        let body = self.body();
        if let Some(page) = self.page.as_mut() {
            page.move_cursor(place.cursor, body);
            self.map.select(page.pgno(), &self.db, body);
        }
        self.view = place.view;
    }

    /// Opens page `pgno` in `view` with the hex cursor at `cursor`,
    /// remembering where we were.
    pub fn open_page(&mut self, pgno: PageNumber, view: ViewId, cursor: usize) {
        if !std::mem::take(&mut self.walking) {
            self.crumbs.clear();
        }
        match PageState::open(&self.db, pgno) {
            Ok(mut page) => {
                self.attach_other(&mut page);
                if !self.crumbs.is_empty() {
                    let path: Vec<String> =
                        self.crumbs.iter().chain([&pgno]).map(ToString::to_string).collect();
                    page.crumbs = Some(path.join(" > "));
                }
                self.back.push(self.place());
                self.forward.clear();
                self.page = Some(page);
                self.go(Place { view, pgno: None, cursor });
            }
            Err(e) => self.notify(format!("{e}"), Level::Error),
        }
    }

    /// The text `y` copies and `w` saves for the current view: the same text
    /// the matching CLI command prints.
    pub fn selection_text(&self) -> (String, String) {
        let mut out = Vec::new();
        let what = match (self.view, &self.page) {
            (ViewId::Page, Some(page)) => {
                let _ = page.dump.write_text(&mut out, true);
                format!("page {} dump", page.pgno())
            }
            (ViewId::Checksum, Some(page)) => {
                let _ = checksum_heading(&mut out, &page.dump);
                let _ = write_checksum(&mut out, &page.dump.checksum, page.dump.file_offset);
                format!("checksum analysis of page {}", page.pgno())
            }
            (ViewId::Jobs, _) if self.jobs.report.is_some() || self.jobs.repair_text.is_some() => {
                if let Some(report) = &self.jobs.report {
                    let _ = report.write_text(&mut out);
                }
                if let Some(text) = &self.jobs.repair_text {
                    out.extend_from_slice(text.as_bytes());
                }
                "job reports".to_string()
            }
            (ViewId::Logs, _)
                if self
                    .logs
                    .as_ref()
                    .is_some_and(|l| l.record.is_some() && l.plan.is_none() && !l.history_open) =>
            {
                if let Some(logs) = &self.logs {
                    let record = logs.record.and_then(|r| logs.records().get(r));
                    if let Some(record) = record {
                        out.extend_from_slice(logs.record_text(record).as_bytes());
                        out.push(b'\n');
                        if let Some(event) = logs.history.as_ref().and_then(|h| h.at(record.lgpos)) {
                            let _ = crate::report::history::write_event(&mut out, event);
                        }
                    }
                }
                "log record".to_string()
            }
            (ViewId::Logs, _) if self.logs.as_ref().is_some_and(|l| l.history_open && l.plan.is_none()) => {
                let event =
                    self.logs.as_ref().and_then(|l| l.history.as_ref()).and_then(|h| h.selected_event());
                if let Some(event) = event {
                    let _ = crate::report::history::write_event(&mut out, event);
                }
                "history event".to_string()
            }
            (ViewId::Logs, _) if self.logs.as_ref().is_some_and(|l| l.plan.is_some()) => {
                match self.logs.as_ref().and_then(|l| l.plan.as_ref()).map(|p| &p.plan) {
                    Some(Ok(plan)) => {
                        let _ = crate::report::recovery::write_plan(&mut out, plan);
                    }
                    Some(Err(why)) => out.extend_from_slice(format!("{why}\n").as_bytes()),
                    None => {}
                }
                "recovery plan".to_string()
            }
            (ViewId::Logs, _) if self.logs.is_some() => {
                if let Some(logs) = &self.logs {
                    let _ = logs.set.write_text(&mut out);
                }
                "log set".to_string()
            }
            (ViewId::Records, _) if self.records.as_ref().is_some_and(|r| r.dump.is_some()) => {
                let dump = self.records.as_ref().and_then(|r| r.dump.as_ref());
                if let Some(dump) = dump {
                    let _ = dump.write_text(&mut out);
                }
                format!("record of table {}", dump.map_or("", |d| d.table.as_str()))
            }
            (ViewId::PageMap, _) => {
                match crate::report::page::PageDump::build(&self.db, self.map.cursor_page()) {
                    Ok(dump) => {
                        let _ = dump.write_text(&mut out, true);
                        format!("page {} dump", dump.pgno)
                    }
                    Err(e) => return (format!("{e}\n"), "error".into()),
                }
            }
            _ => {
                let _ = self.overview.report.write_summary(&mut out);
                let _ = self.overview.report.write_fields(&mut out);
                "database header".to_string()
            }
        };
        (String::from_utf8_lossy(&out).into_owned(), what)
    }

    fn default_save_name(&self) -> String {
        match (self.view, &self.page) {
            (ViewId::Page, Some(p)) => format!("esescope-page-{}.txt", p.pgno()),
            (ViewId::Checksum, Some(p)) => format!("esescope-checksum-{}.txt", p.pgno()),
            (ViewId::PageMap, _) => format!("esescope-page-{}.txt", self.map.cursor_page()),
            (ViewId::Jobs, _) => "esescope-verify.txt".into(),
            (ViewId::Logs, _) if self.logs.as_ref().is_some_and(|l| l.plan.is_some()) => {
                "esescope-recovery-plan.txt".into()
            }
            (ViewId::Logs, _) if self.logs.as_ref().is_some_and(|l| l.history_open) => {
                "esescope-history-event.txt".into()
            }
            (ViewId::Logs, _) => "esescope-logs.txt".into(),
            (ViewId::Records, _) => "esescope-record.txt".into(),
            _ => "esescope-header.txt".into(),
        }
    }

    /// Applies one action. Returns what the outside world must do, if anything.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        if let Some((prompt, input)) = self.prompt.as_mut() {
            match action {
                Action::Input(c) => input.push(c),
                Action::Backspace => {
                    input.pop();
                }
                Action::ClearInput => input.clear(),
                Action::Escape => self.prompt = None,
                Action::Enter => {
                    let (prompt, input) = (*prompt, input.clone());
                    self.prompt = None;
                    return self.submit(prompt, &input);
                }
                _ => {}
            }
            return None;
        }
        if self.help {
            if matches!(action, Action::Help | Action::Escape | Action::Quit) {
                self.help = false;
            } else {
                let popup = super::screen::help_popup(self.size, self.view);
                let total = super::keymap::help_lines(self.view).len();
                let rows = super::widgets::scroll::inner_rows(popup);
                super::widgets::scroll::scroll(&mut self.help_scroll, action, total, rows);
            }
            return None;
        }
        if self.show_messages {
            if matches!(action, Action::Messages | Action::Escape | Action::Quit) {
                self.show_messages = false;
            } else {
                let body = self.body();
                let width = super::widgets::scroll::inner_width(body);
                let total = super::screen::message_lines(self, width).len();
                let rows = super::widgets::scroll::inner_rows(body);
                super::widgets::scroll::scroll(&mut self.messages_scroll, action, total, rows);
            }
            return None;
        }
        let body = self.body();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Messages => {
                self.show_messages = true;
                // newest at the bottom, shown first
                self.messages_scroll = usize::MAX;
            }
            Action::Unbound(key) => self.notify(
                format!(
                    "{} does nothing in the {} view (? lists its keys)",
                    super::keymap::key_name(key),
                    self.view.title()
                ),
                Level::Info,
            ),
            Action::Escape
                if self.view == ViewId::Logs
                    && self
                        .logs
                        .as_ref()
                        .is_some_and(|l| l.record.is_some() || l.plan.is_some() || l.history_open) =>
            {
                return self.view_action(action, self.body());
            }
            Action::Escape
                if self.view == ViewId::Records
                    && self
                        .records
                        .as_ref()
                        .is_some_and(|r| r.focus != super::views::records::RecordsFocus::Rows) =>
            {
                return self.view_action(action, self.body());
            }
            Action::Escape => self.message = None,
            Action::Resize { width, height } => {
                self.size = Rect::new(0, 0, width, height);
                let body = self.body();
                self.map.refresh(&self.db, body);
                if let Some(page) = self.page.as_mut() {
                    page.move_cursor(page.cursor, body);
                }
            }
            Action::Show(view) => {
                if view != self.view {
                    self.back.push(self.place());
                    self.forward.clear();
                    self.view = view;
                }
            }
            Action::NextView => {
                let next = ViewId::ALL
                    .iter()
                    .position(|v| *v == self.view)
                    .map_or(0, |i| (i + 1) % ViewId::ALL.len());
                self.view = ViewId::ALL.get(next).copied().unwrap_or(ViewId::Overview);
            }
            Action::Back => match self.back.pop() {
                Some(place) => {
                    self.forward.push(self.place());
                    self.go(place);
                }
                None => self.notify("nothing to go back to", Level::Info),
            },
            Action::Forward => match self.forward.pop() {
                Some(place) => {
                    self.back.push(self.place());
                    self.go(place);
                }
                None => self.notify("nothing to go forward to", Level::Info),
            },
            Action::Prompt(prompt) => {
                let name = self
                    .db
                    .path()
                    .file_name()
                    .map_or_else(|| "database".to_string(), |n| n.to_string_lossy().into_owned());
                let in_work = |file: String| self.work_dir.join(file).display().to_string();
                let initial = match prompt {
                    Prompt::SaveAs => in_work(self.default_save_name()),
                    Prompt::RepairTo => in_work(format!("{name}.repaired")),
                    Prompt::SalvageTo => in_work(format!("{name}.salvaged")),
                    Prompt::RecoverTo => {
                        // check first: no point asking where to write what cannot be made
                        if let Some(reason) = self.recovery_refusal() {
                            // whole in the jobs panel too, not only in the status line
                            self.jobs.repair_text = Some(reason.clone());
                            self.notify(reason, Level::Error);
                            return None;
                        }
                        in_work(format!("{name}.recovered"))
                    }
                    _ => String::new(),
                };
                self.prompt = Some((prompt, initial));
            }
            Action::Copy => {
                let (text, what) = self.selection_text();
                return Some(Effect::Copy { text, what });
            }
            Action::StartVerify => return Some(Effect::StartVerify),
            Action::StartPlan => {
                if self.logs.is_none() {
                    self.notify(self.no_logs("a recovery plan"), Level::Error);
                    return None;
                }
                return Some(Effect::StartPlan);
            }
            Action::StartHistory => {
                if self.logs.is_none() {
                    self.notify(self.no_logs("the row history"), Level::Error);
                    return None;
                }
                // a history already made is shown again; it is made anew from its own view
                if let Some(logs) = self.logs.as_mut().filter(|l| l.history.is_some() && !l.history_open) {
                    logs.history_open = true;
                    logs.plan = None;
                    logs.record = None;
                    logs.loaded = None;
                    return None;
                }
                return Some(Effect::StartHistory);
            }
            Action::CancelJob => match self.jobs.running() {
                Some(id) => return Some(Effect::Cancel(id)),
                None => self.notify("no job is running", Level::Info),
            },
            Action::NextPage | Action::PrevPage => {
                let current = match self.view {
                    ViewId::PageMap => self.map.cursor_page(),
                    _ => self.page.as_ref().map_or(PageNumber(1), PageState::pgno),
                };
                let target = if action == Action::NextPage {
                    current.0.saturating_add(1)
                } else {
                    current.0.saturating_sub(1)
                };
                let view = if self.view == ViewId::Checksum { ViewId::Checksum } else { ViewId::Page };
                if target >= 1 && target <= self.db.page_count() {
                    self.open_page(PageNumber(target), view, 0);
                } else {
                    self.notify(
                        format!("no page {target}: pages are 1 to {}", self.db.page_count()),
                        Level::Info,
                    );
                }
            }
            Action::SiblingPrev | Action::SiblingNext => {
                if let Some(page) = &self.page {
                    let header = page.dump.checksum.pgno;
                    let (link, name) =
                        match crate::format::page::PageHeader::parse(&page.dump.bytes, self.db.page_size()) {
                            Ok(h) if action == Action::SiblingPrev => (h.prev, "pgnoPrev"),
                            Ok(h) => (h.next, "pgnoNext"),
                            Err(_) => (PageNumber::NULL, "header"),
                        };
                    if link.is_null() {
                        self.notify(
                            format!("page {header} has no sibling that way ({name} = 0)"),
                            Level::Info,
                        );
                    } else {
                        self.walking = true;
                        self.open_page(link, ViewId::Page, 0);
                    }
                }
            }
            Action::Parent => match self.crumbs.pop() {
                Some(parent) => {
                    self.walking = true;
                    self.open_page(parent, ViewId::Page, 0);
                }
                None => {
                    self.notify("no parent: open a tree from the tables view (7) to walk it", Level::Info)
                }
            },
            Action::Enter if self.view == ViewId::Page => {
                let child = self.page.as_ref().filter(|p| p.focus == PageFocus::Tags).and_then(|p| {
                    let tag = p.dump.tags.get(p.tag)?.index;
                    p.dump.nodes.iter().find(|n| n.tag == tag).and_then(|n| n.child)
                });
                match (child, self.page.as_ref().map(PageState::pgno)) {
                    (Some(child), Some(here)) => {
                        self.crumbs.push(here);
                        self.walking = true;
                        self.open_page(child, ViewId::Page, 0);
                    }
                    _ => return self.view_action(action, body),
                }
            }
            Action::Click { column, row } => return self.click(column, row),
            _ => return self.view_action(action, body),
        }
        None
    }

    fn view_action(&mut self, action: Action, body: Rect) -> Option<Effect> {
        let open = match self.view {
            ViewId::Overview => {
                self.overview.handle(action, body);
                None
            }
            ViewId::PageMap => self.map.handle(action, &self.db, body),
            ViewId::Page => {
                let action = match action {
                    Action::ScrollUp => Action::Up,
                    Action::ScrollDown => Action::Down,
                    other => other,
                };
                self.page.as_mut().and_then(|p| p.handle(action, body))
            }
            ViewId::Checksum => {
                if let Some(page) = self.page.as_mut().filter(|_| action != Action::Enter) {
                    super::views::checksum::handle(page, action, body);
                }
                if action == Action::Enter {
                    if let Some(page) = self.page.as_mut() {
                        let target = page.flipped().first().copied();
                        page.focus = PageFocus::Hex;
                        page.move_cursor(target.unwrap_or(0), body);
                        self.back.push(Place {
                            view: ViewId::Checksum,
                            pgno: Some(page.pgno()),
                            cursor: page.cursor,
                        });
                        self.view = ViewId::Page;
                    }
                }
                None
            }
            ViewId::Jobs => self.jobs.handle(action, body),
            ViewId::Tables if action == Action::Records => {
                let rows = super::views::records::RecordsState::list_rows(body);
                if let Some(def) = self.tables.catalog.tables.get(self.tables.selected) {
                    let state =
                        super::views::records::RecordsState::open(&self.db, &self.tables.catalog, def, rows);
                    self.records = Some(state);
                    self.back.push(self.place());
                    self.forward.clear();
                    self.view = ViewId::Records;
                }
                None
            }
            ViewId::Records => {
                if let Some(records) = self.records.as_mut() {
                    records.handle(action, &self.db, &self.tables.catalog, body);
                }
                None
            }
            ViewId::Tables => {
                let root = self.tables.handle(action, body);
                if root.is_some() {
                    self.crumbs.clear();
                    self.walking = true;
                }
                root
            }
            ViewId::Logs => match self.logs.as_mut() {
                Some(logs) if logs.plan.is_some() => logs.handle_plan(action, body),
                Some(logs) if logs.history_open => match logs.handle_history(action, body) {
                    Some(super::views::history::Open::Page(pgno)) => Some(PageNumber(pgno)),
                    Some(super::views::history::Open::Row { table, key }) => {
                        self.open_row(&table, &key);
                        None
                    }
                    None => None,
                },
                Some(logs) => {
                    // the timeline takes five rows, the list's border two
                    logs.handle(action, usize::from(body.height.saturating_sub(7)))
                }
                None => None,
            },
        };
        if let Some(pgno) = open {
            self.open_page(pgno, ViewId::Page, 0);
        }
        None
    }

    fn click(&mut self, column: u16, row: u16) -> Option<Effect> {
        let bands = bands(self.size);
        if hit(bands.tabs, column, row) {
            let (prefix, labels) = tab_bar(self);
            let mut x = bands.tabs.x + prefix.chars().count() as u16;
            for (view, label) in labels {
                let width = label.chars().count() as u16;
                if column >= x && column < x + width {
                    return self.update(Action::Show(view));
                }
                x += width;
            }
            return None;
        }
        let body = bands.body;
        let open = match self.view {
            ViewId::PageMap => self.map.click(column, row, &self.db, body),
            ViewId::Page => {
                if let Some(page) = self.page.as_mut() {
                    page.click(column, row, body);
                }
                None
            }
            ViewId::Jobs => {
                let line = usize::from(row.saturating_sub(body.y + 1));
                if let Some(index) = self.jobs.finding_at(line, body) {
                    self.jobs.selected = index;
                }
                None
            }
            _ => None,
        };
        if let Some(pgno) = open {
            self.open_page(pgno, ViewId::Page, 0);
        }
        None
    }

    fn submit(&mut self, prompt: Prompt, input: &str) -> Option<Effect> {
        match prompt {
            Prompt::GoTo => match parse_page_spec(input.trim()) {
                Ok(PageSpec::Number(n)) => self.open_page(PageNumber(n), ViewId::Page, 0),
                Ok(PageSpec::Offset(offset)) => self.goto_offset(offset),
                Err(e) => self.notify(e, Level::Error),
            },
            Prompt::FindRecord => {
                let rows = super::views::records::RecordsState::list_rows(self.body());
                let found =
                    self.records.as_mut().map(|r| r.find(input, &self.db, &self.tables.catalog, rows));
                match found {
                    Some(Some(row)) => {
                        self.notify(format!("{input:?} found in row {}", row + 1), Level::Info)
                    }
                    Some(None) => self.notify(format!("no row holds {input:?}"), Level::Error),
                    None => {}
                }
            }
            Prompt::Search => {
                let needles = search::parse_query(input)?;
                let from = match (self.view, &self.page) {
                    (ViewId::Page, Some(p)) => p.dump.file_offset as usize + p.cursor + 1,
                    _ => 0,
                };
                let (db, step) = (&self.db, self.db.window_len());
                let window = |i: u64| db.range(i * step, usize::try_from(step).ok()? + OVERLAP).ok();
                match search::find_windowed(db.file_len(), step, window, &needles, from as u64) {
                    Some((offset, wrapped)) => {
                        self.goto_offset(offset);
                        let wrapped = if wrapped { " (wrapped around)" } else { "" };
                        self.notify(
                            format!("{} found at file offset {offset:#x}{wrapped}", needles.described),
                            Level::Info,
                        );
                    }
                    None => self.notify(format!("{} not found", needles.described), Level::Info),
                }
            }
            Prompt::SaveAs => {
                let (text, _) = self.selection_text();
                let path = self.output_path(input);
                return Some(Effect::Save { path, text });
            }
            Prompt::RepairTo => {
                self.pending_repair = Some(self.output_path(input));
                self.prompt = Some((Prompt::RepairFrom, String::new()));
            }
            Prompt::RepairFrom => {
                let out = self.pending_repair.take()?;
                // the copy is an input: a relative path is taken from the current directory
                let from = (!input.trim().is_empty()).then(|| absolute(std::path::Path::new(input.trim())));
                return Some(Effect::StartRepair { out, from });
            }
            Prompt::SalvageTo => return Some(Effect::StartSalvage { out: self.output_path(input) }),
            Prompt::RecoverTo => {
                if let Some(reason) = self.recovery_refusal() {
                    self.notify(reason, Level::Error);
                    return None;
                }
                let out = self.output_path(input);
                return Some(Effect::StartRecovery { out });
            }
        }
        None
    }

    /// Why `what` (recovery, its plan, the history) cannot run without a log set.
    fn no_logs(&self, what: &str) -> String {
        format!(
            "{what} needs the database's transaction logs: none with its log signature in {} (start with --logs DIR)",
            absolute(self.db.path().parent().unwrap_or(std::path::Path::new("."))).display()
        )
    }

    /// Why a recovery cannot run, known before asking where to write it.
    fn recovery_refusal(&self) -> Option<String> {
        let Some(logs) = &self.logs else { return Some(self.no_logs("recovery")) };
        let need = &logs.set.recovery;
        (!need.missing.is_empty()).then(|| {
            let missing: Vec<String> = need.missing.iter().map(|g| format!("{g:#X}")).collect();
            format!(
                "recovery refused before writing anything: log generation(s) {} missing from {} ({})",
                missing.join(", "),
                absolute(&logs.set.dir).display(),
                need.summary
            )
        })
    }

    /// Opens the records view of table `table` at the row whose node key
    /// is `key` (hex), as the history's `Enter` asks.
    fn open_row(&mut self, table: &str, key: &str) {
        let Some(def) = self.tables.catalog.tables.iter().find(|t| t.table.name == table).cloned() else {
            self.notify(
                format!("table {} is not in the database's catalog", crate::sanitize::visible(table)),
                Level::Error,
            );
            return;
        };
        let rows = super::views::records::RecordsState::list_rows(self.body());
        let mut state = super::views::records::RecordsState::open(&self.db, &self.tables.catalog, &def, rows);
        let key = hex::decode(key).unwrap_or_default();
        if !state.select_key(&key, &self.db, &self.tables.catalog, rows) {
            self.notify("the row is not among the rows the records view lists", Level::Error);
        }
        self.records = Some(state);
        self.back.push(self.place());
        self.forward.clear();
        self.view = ViewId::Records;
    }

    /// The absolute path for a name typed into an output prompt: relative
    /// names go into the work folder, which then becomes the folder used.
    fn output_path(&mut self, input: &str) -> std::path::PathBuf {
        let path = super::outputs::resolve(&self.work_dir, input);
        if let Some(parent) = path.parent() {
            self.work_dir = parent.to_path_buf();
        }
        path
    }

    fn goto_offset(&mut self, offset: u64) {
        let size = self.db.page_size();
        match PageNumber::containing(offset, size) {
            Some(pgno) => {
                let cursor = (offset - pgno.file_offset(size)) as usize;
                self.open_page(pgno, ViewId::Page, cursor);
                if let Some(page) = self.page.as_mut() {
                    page.focus = PageFocus::Hex;
                }
            }
            None => {
                self.view = ViewId::Overview;
                self.notify(format!("offset {offset:#x} is in the database header pages"), Level::Info);
            }
        }
    }

    /// Applies what the worker reports.
    pub fn on_worker(&mut self, event: WorkerEvent) {
        let (id, progress, finished) = match &event {
            WorkerEvent::Progress(id, p) => (*id, Some(*p), None),
            WorkerEvent::Finished { id, cancelled, .. } => (*id, None, Some(*cancelled)),
        };
        let started = self.started.iter().find(|(j, _)| *j == id).map(|(_, t)| *t);
        if let Some(job) = self.jobs.jobs.iter_mut().find(|j| j.id == id) {
            if let Some(p) = progress {
                job.progress = p;
            }
            if let Some(t) = started {
                job.elapsed = t.elapsed();
            }
            if let Some(cancelled) = finished {
                job.done = true;
                job.cancelled = cancelled;
            }
        }
        if Some(id) == self.map_job {
            if let Some(p) = progress {
                self.map.scanned = p.done;
            }
            if finished.is_some() {
                self.map.scanned = self.map.cells.len() as u64;
                let body = self.body();
                self.map.refresh(&self.db, body);
            }
        }
        if let WorkerEvent::Finished { output: JobOutput::Repair(result), .. } = &event {
            match result.as_ref() {
                Ok(report) => {
                    let mut text = Vec::new();
                    let _ = report.write_text(&mut text);
                    let summary = match (&report.output, report.cancelled) {
                        (_, true) => "repair cancelled: nothing was written".to_string(),
                        (Some(out), false) => format!(
                            "repair wrote {}: {} page(s) repaired, {} left damaged",
                            out.path,
                            report.repaired.len(),
                            report.not_repaired.len()
                        ),
                        (None, false) => {
                            "repair wrote nothing: no page could be repaired without a healthy copy"
                                .to_string()
                        }
                    };
                    let level = if report.not_repaired.is_empty() { Level::Info } else { Level::Error };
                    self.notify(summary, level);
                    if let Some(out) = &report.output {
                        let (txt, json) =
                            super::outputs::repair_report_paths(std::path::Path::new(&out.path));
                        let saved = format!(
                            "Report saved to {}\n            and {}\n",
                            txt.display(),
                            json.display()
                        );
                        text.extend_from_slice(saved.as_bytes());
                    }
                    self.jobs.repair_text = Some(String::from_utf8_lossy(&text).into_owned());
                }
                Err(e) => {
                    let text = format!("repair failed: {e}");
                    self.jobs.repair_text = Some(text.clone());
                    self.notify(text, Level::Error);
                }
            }
        }
        if let WorkerEvent::Finished { output: JobOutput::History(result), .. } = &event {
            let (events, summary, truncated) = result.as_ref().clone();
            let text = format!(
                "row history: {} events, {} inserts, {} rows now absent from the database{}",
                summary.events,
                summary.inserts,
                summary.absent,
                self.shows(ViewId::Logs)
            );
            let level = if summary.findings.is_empty() { Level::Info } else { Level::Error };
            if let Some(logs) = self.logs.as_mut() {
                logs.history = Some(super::views::history::HistoryState::new(events, summary, truncated));
                logs.history_open = logs.record.is_none();
                logs.plan = None;
            }
            self.notify(text, level);
        }
        if let WorkerEvent::Finished { output: JobOutput::Plan(result), .. } = &event {
            let summary = match result.as_ref() {
                Ok(plan) => {
                    let (apply, skip, stop) = plan.counts();
                    // a cancel that came after the plan's last record leaves it whole
                    let verdict = if plan.cancelled {
                        "cancelled, the plan stops early"
                    } else if plan.refuses() {
                        "recovery would refuse"
                    } else {
                        "recovery can replay every record"
                    };
                    (
                        format!(
                            "recovery plan: {} page records, {apply} APPLY, {skip} skip, {stop} STOP: {verdict}{}",
                            plan.page_records,
                            self.shows(ViewId::Logs)
                        ),
                        if plan.refuses() { Level::Error } else { Level::Info },
                    )
                }
                Err(e) => (e.clone(), Level::Error),
            };
            if let Some(logs) = self.logs.as_mut() {
                logs.plan = Some(super::views::plan::PlanState::new(result.as_ref().clone()));
                logs.record = None;
                logs.loaded = None;
            }
            self.notify(summary.0, summary.1);
        }
        if let WorkerEvent::Finished { output: JobOutput::Salvage(result), .. } = &event {
            self.salvage_finished(result);
        }
        if let WorkerEvent::Finished { output: JobOutput::Recovery(result), .. } = &event {
            match result.as_ref() {
                Ok(report) => {
                    let mut text = Vec::new();
                    let _ = crate::report::recovery::write_report(&mut text, report);
                    let (apply, skip, _) = report.plan.counts();
                    let summary = match (&report.output, report.cancelled) {
                        (_, true) => "recovery cancelled: nothing was written".to_string(),
                        (Some(out), false) => format!(
                            "recovery wrote {}: {apply} page record(s) redone, {skip} skipped, {} transaction(s) undone",
                            out.path,
                            report.undone.len()
                        ),
                        (None, false) => "recovery wrote nothing".to_string(),
                    };
                    self.notify(summary, Level::Info);
                    if let Some(out) = &report.output {
                        let (txt, json) = crate::recovery::report_paths(std::path::Path::new(&out.path));
                        let saved = format!(
                            "Report saved to {}\n            and {}\n",
                            txt.display(),
                            json.display()
                        );
                        text.extend_from_slice(saved.as_bytes());
                    }
                    self.jobs.repair_text = Some(String::from_utf8_lossy(&text).into_owned());
                }
                Err(e) => {
                    // the error names the file and already says "recovery refused" when it is one
                    let text = if e.contains("recovery refused") {
                        e.clone()
                    } else {
                        format!("recovery failed: {e}")
                    };
                    self.jobs.repair_text = Some(text.clone());
                    self.notify(text, Level::Error);
                }
            }
        }
        if let WorkerEvent::Finished { output: JobOutput::Verify(report), cancelled, .. } = event {
            let c = report.counts;
            let text = if cancelled {
                format!("verify cancelled after {} pages", c.pages)
            } else {
                format!(
                    "verify finished: {} pages, {} damaged{}",
                    c.pages,
                    c.damaged(),
                    self.shows(ViewId::Jobs)
                )
            };
            let level = if c.damaged() > 0 { Level::Error } else { Level::Info };
            self.notify(text, level);
            self.jobs.selected = 0;
            self.jobs.report = Some(*report);
        }
    }
}

/// `path` made absolute against the current directory (unchanged when that
/// is unknown).
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Writes a one-line heading naming the page, for copied checksum analyses.
fn checksum_heading(out: &mut Vec<u8>, dump: &crate::report::page::PageDump) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(out, "Page {} of {} (file offset {:#x})", dump.pgno, dump.file, dump.file_offset)
}

/// The label of a view's tab, in full.
pub fn tab_label(view: ViewId) -> String {
    let key = ViewId::ALL.iter().position(|v| *v == view).map_or(0, |i| i + 1);
    format!(" {key} {} ", view.title())
}

/// The tab bar: the text before the tabs (program and file name) and each
/// view's label. When the full bar does not fit, the program name goes,
/// then the views not shown keep only their number key; the file name
/// stays (cut with `…` when it alone is too long).
pub fn tab_bar(app: &App) -> (String, Vec<(ViewId, String)>) {
    let width = usize::from(app.size.width);
    let name = app
        .db
        .path()
        .file_name()
        .map_or_else(|| app.db.path().display().to_string(), |n| n.to_string_lossy().into_owned());
    let full: Vec<(ViewId, String)> = ViewId::ALL.iter().map(|v| (*v, tab_label(*v))).collect();
    let len = |prefix: &str, tabs: &[(ViewId, String)]| {
        prefix.chars().count() + tabs.iter().map(|(_, t)| t.chars().count()).sum::<usize>()
    };
    let long = format!(" esescope · {name} ·");
    if len(&long, &full) <= width {
        return (long, full);
    }
    let short = format!(" {name} ·");
    if len(&short, &full) <= width {
        return (short, full);
    }
    let compact: Vec<(ViewId, String)> = ViewId::ALL
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, if *v == app.view { tab_label(*v) } else { format!(" {} ", i + 1) }))
        .collect();
    let room = width.saturating_sub(len("", &compact) + 3);
    let name = crate::tui::widgets::scroll::ellipsize(ratatui::text::Line::raw(name), room).to_string();
    (format!(" {name} ·"), compact)
}
