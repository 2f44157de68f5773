//! The interactive inspector: terminal set-up and restore, one event
//! channel fed by an input thread and the worker, and the main loop, which
//! drains events into [`App::update`], carries out effects and draws.

pub mod action;
pub mod app;
pub mod compare;
pub mod keymap;
pub mod layout;
pub mod outputs;
mod salvage_job;
pub mod screen;
pub mod search;
pub mod theme;
pub mod views;
pub mod widgets;

use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use crossterm::event::{
    self as term, DisableMouseCapture, EnableMouseCapture, KeyCode, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::report::clipboard::{write_atomically, Clipboard};
use crate::scan;
use crate::store::Database;
use crate::worker::{self, JobHandle, JobOutput, WorkerEvent};
use crate::Error;
use action::{Action, Effect};
use app::{App, Level};

/// What reaches the main loop.
#[derive(Debug)]
pub enum Event {
    /// Terminal input.
    Input(term::Event),
    /// A background job's progress or result.
    Worker(WorkerEvent),
}

/// Turns terminal input into an action for `app`.
pub fn action_for_input(app: &App, event: &term::Event) -> Option<Action> {
    match event {
        term::Event::Key(key) if key.kind != KeyEventKind::Release => {
            if app.prompt.is_some() {
                let control = key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
                return match key.code {
                    // Ctrl-U clears the line, as in a shell
                    KeyCode::Char('u') if control => Some(Action::ClearInput),
                    KeyCode::Char(c) => Some(Action::Input(c)),
                    KeyCode::Backspace => Some(Action::Backspace),
                    KeyCode::Enter => Some(Action::Enter),
                    KeyCode::Esc => Some(Action::Escape),
                    _ => None,
                };
            }
            keymap::action_for(app.view, *key)
        }
        term::Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                Some(Action::Click { column: mouse.column, row: mouse.row })
            }
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            _ => None,
        },
        term::Event::Resize(width, height) => Some(Action::Resize { width: *width, height: *height }),
        _ => None,
    }
}

struct Runtime {
    db: Arc<Database>,
    tx: Sender<Event>,
    clipboard: Clipboard,
    jobs: Vec<JobHandle>,
}

impl Runtime {
    fn sink(&self) -> impl Fn(WorkerEvent) + Send + 'static {
        let tx = self.tx.clone();
        move |event| {
            let _ = tx.send(Event::Worker(event));
        }
    }

    fn start_page_map(&mut self, app: &mut App) {
        let id = app.start_page_map();
        let db = Arc::clone(&self.db);
        let cells = Arc::clone(&app.map.cells);
        self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
            let _ = scan::classify::classify_pages(&db, &cells, progress);
            JobOutput::PageMap
        }));
    }

    fn apply(&mut self, effect: Effect, app: &mut App, terminal_out: &mut dyn Write) {
        match effect {
            Effect::Copy { text, what } => {
                let name = format!("esescope-{}.txt", what.replace(' ', "-"));
                match self.clipboard.copy(&text, &name, terminal_out) {
                    Ok(dest) => app.notify(dest.describe(&what), Level::Info),
                    Err(e) => app.notify(format!("could not copy {what}: {e}"), Level::Error),
                }
            }
            Effect::Save { path, text } => {
                let path = path.as_path();
                // a dangling symlink counts as existing: it is not replaced
                if path.symlink_metadata().is_ok() {
                    app.notify(
                        format!("{} already exists; choose another name", path.display()),
                        Level::Error,
                    );
                } else {
                    match write_atomically(path, &text) {
                        Ok(()) => app.notify(format!("saved to {}", path.display()), Level::Info),
                        Err(e) => app.notify(format!("cannot write {}: {e}", path.display()), Level::Error),
                    }
                }
            }
            Effect::StartVerify => {
                let id = app.start_verify();
                let db = Arc::clone(&self.db);
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    JobOutput::Verify(Box::new(scan::verify(&db, progress)))
                }));
                app.notify("verify started (5 shows progress, x cancels)", Level::Info);
            }
            Effect::StartRepair { out, from } => {
                let id = app.start_repair();
                let db = Arc::clone(&self.db);
                let now = crate::repair::now();
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    let result = outputs::run_repair(&db, from.as_deref(), &out, now, progress);
                    JobOutput::Repair(Box::new(result))
                }));
                app.notify("repair started (x cancels; the open file is only read)", Level::Info);
            }
            Effect::StartSalvage { out } => {
                let id = app.start_salvage();
                let db = Arc::clone(&self.db);
                let now = crate::repair::now();
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    JobOutput::Salvage(Box::new(outputs::run_salvage(&db, &out, now, progress)))
                }));
                app.notify("salvage started (x cancels; the open file is only read)", Level::Info);
            }
            Effect::StartRecovery { out } => {
                let Some(set) = app.logs.as_ref().map(|l| l.set.clone()) else { return };
                let id = app.start_recovery();
                let db = Arc::clone(&self.db);
                let now = crate::repair::now();
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    let result = outputs::run_recovery(&db, &set, &out, now, progress);
                    JobOutput::Recovery(Box::new(result))
                }));
                app.notify(
                    "recovery started (x cancels; the open file and its logs are only read)",
                    Level::Info,
                );
            }
            Effect::StartPlan => {
                let Some(set) = app.logs.as_ref().map(|l| l.set.clone()) else { return };
                let id = app.start_plan();
                let db = Arc::clone(&self.db);
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    let from = crate::recovery::StartAt::Recovery;
                    let result = crate::recovery::plan(&db, &set, from, progress).map_err(|source| {
                        crate::error::Error::Recovery { path: db.path().to_path_buf(), source }.to_string()
                    });
                    JobOutput::Plan(Box::new(result))
                }));
                app.notify("recovery plan started: every page record is checked and redone in memory (x in the jobs view cancels)", Level::Info);
            }
            Effect::StartHistory => {
                let Some(set) = app.logs.as_ref().map(|l| l.set.clone()) else { return };
                let id = app.start_history();
                let db = Arc::clone(&self.db);
                self.jobs.push(worker::spawn(id, self.sink(), move |progress| {
                    let mut events = Vec::new();
                    let mut truncated = false;
                    let filter = crate::history::Filter::default();
                    let summary = crate::history::history(
                        &db,
                        &set,
                        &filter,
                        &mut |event| {
                            if events.len() < crate::tui::views::history::MAX_EVENTS {
                                events.push(event);
                            } else {
                                truncated = true;
                            }
                        },
                        progress,
                    );
                    JobOutput::History(Box::new((events, summary, truncated)))
                }));
                app.notify("row history started: every row operation of the logs is decoded (x in the jobs view cancels)", Level::Info);
            }
            Effect::Cancel(id) => {
                if let Some(job) = self.jobs.iter().find(|j| j.id == id) {
                    job.cancel();
                }
            }
        }
    }
}

/// Opens `path` in the inspector and runs until the user quits. The
/// terminal is restored on the way out, also after an error or panic.
///
/// # Errors
/// The file cannot be opened as a database, or the terminal fails.
pub fn run(
    path: &Path,
    logs: Option<&Path>,
    compare: Option<&Path>,
    mode: crate::store::ReadMode,
) -> Result<(), Error> {
    let db = Arc::new(Database::open_with(path, mode)?);
    // Opened, and refused when not the same database, before the terminal
    // is taken over, so that a refusal is a plain one-line error.
    let other = compare.map(|p| Database::open_with(p, mode)).transpose()?.map(Arc::new);
    if let Some(other) = &other {
        crate::scan::compare::refusal(&db, other, false)?;
    }
    let mut terminal = ratatui::try_init()?;
    crate::interrupt::set_restore(Some(restore_terminal));
    let result = (|| -> Result<(), Error> {
        crossterm::execute!(io::stdout(), EnableMouseCapture)?;
        let size = terminal.size()?;
        let mut app =
            App::new(Arc::clone(&db), theme::Theme::from_env(), Rect::new(0, 0, size.width, size.height));
        match app.load_logs(logs) {
            Some(found) => app.notify(format!("{found} (6 shows them)"), Level::Info),
            None if logs.is_some() => {
                let dir =
                    app.logs_searched.as_ref().map(|(d, _)| d.display().to_string()).unwrap_or_default();
                app.notify(format!("no ESE log set found in {dir} (the --logs directory)"), Level::Error)
            }
            None => {}
        }
        if let Some(other) = other {
            match app.set_compare(other, false) {
                Ok(summary) => app.notify(summary, Level::Info),
                Err(e) => app.notify(format!("{e}"), Level::Error),
            }
        }
        let (tx, rx) = mpsc::channel();
        let input_tx = tx.clone();
        std::thread::spawn(move || {
            while let Ok(event) = term::read() {
                if input_tx.send(Event::Input(event)).is_err() {
                    break;
                }
            }
        });
        let fallback_dir = std::env::temp_dir();
        let clipboard = Clipboard::new(true, fallback_dir);
        let mut runtime = Runtime { db, tx, clipboard, jobs: Vec::new() };
        runtime.start_page_map(&mut app);
        let mut stdout = io::stdout();
        while !app.quit {
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
            let Ok(first) = rx.recv() else { break };
            for event in std::iter::once(first).chain(rx.try_iter()) {
                let effect = match event {
                    Event::Input(input) => action_for_input(&app, &input).and_then(|a| app.update(a)),
                    Event::Worker(event) => {
                        app.on_worker(event);
                        None
                    }
                };
                if let Some(effect) = effect {
                    runtime.apply(effect, &mut app, &mut stdout);
                }
            }
        }
        for job in &runtime.jobs {
            job.cancel();
        }
        Ok(())
    })();
    crate::interrupt::set_restore(None);
    restore_terminal();
    result
}

/// Gives the terminal back: mouse capture off, raw mode off, main screen.
fn restore_terminal() {
    let _ = crossterm::execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
}
