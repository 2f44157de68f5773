//! Issue 14 item 5: the inspector's recovery plan and roll-forward. `P` in
//! the logs (or jobs) view starts the dry run of `recover --plan` as a
//! background job; the finished plan is listed in the logs view with
//! APPLY / skip / STOP and the reason, `Enter` opens the page a record
//! touches, and `R` runs the recovery itself as a job. The worker's job
//! body is run here in the test's thread, as `tui.rs` runs it on the
//! worker's.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use esescope::recovery::{self, plan::Decision, StartAt};
use esescope::scan::Progress;
use esescope::store::Database;
use esescope::tui::action::{Action, Effect, Prompt, ViewId};
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use esescope::worker::{JobId, JobOutput, WorkerEvent};
use ratatui::layout::Rect;

use crate::common::{real_samples, screen_lines, screen_text};

fn open(db: &Path, logs: Option<&Path>, width: u16, height: u16) -> (App, Arc<Database>) {
    let db = Arc::new(Database::open(db).unwrap());
    let mut app = App::new(Arc::clone(&db), Theme { no_color: true }, Rect::new(0, 0, width, height));
    app.load_logs(logs).expect("a log set");
    (app, db)
}

/// Presses `P` in the logs view, runs the plan job the effect asks for
/// (stopping it after `stop_after` progress reports when given) and hands
/// the result back to the app. Returns the job's id.
fn run_plan(app: &mut App, db: &Database, stop_after: Option<usize>) -> JobId {
    app.update(Action::Show(ViewId::Logs));
    let effect = app.update(Action::StartPlan);
    assert_eq!(effect, Some(Effect::StartPlan));
    let id = app.start_plan();
    let set = app.logs.as_ref().unwrap().set.clone();
    let mut reports = 0;
    let mut last = Progress::default();
    let result = recovery::plan(db, &set, StartAt::Recovery, |p| {
        reports += 1;
        last = p;
        if stop_after.is_some_and(|n| reports > n) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .map_err(|e| e.to_string());
    app.on_worker(WorkerEvent::Progress(id, last));
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Plan(Box::new(result)),
        cancelled: stop_after.is_some(),
    });
    id
}

/// Copies of the older Server 2022 SRUM database (`db/`) and of the later
/// folder's logs and checkpoint (`logs/`).
fn server_2022_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let (dbdir, logs) = (tmp.path().join("db"), tmp.path().join("logs"));
    std::fs::create_dir_all(&dbdir).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::copy(real_samples().join("srum-server2022-snapshot-before/SRUDB.dat"), dbdir.join("SRUDB.dat"))
        .unwrap();
    for file in std::fs::read_dir(real_samples().join("srum-server2022-clean-with-logs")).unwrap().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.ends_with(".log") || name.ends_with(".chk") {
            std::fs::copy(file.path(), logs.join(&name)).unwrap();
        }
    }
    tmp
}

#[test]
fn the_plan_of_the_dirty_sample_is_listed_and_enter_opens_the_records_page() {
    let (mut app, db) = open(Path::new("sample-dbs/dirty-with-logs/database.edb"), None, 80, 24);
    run_plan(&mut app, &db, None);
    let state = app.logs.as_ref().and_then(|l| l.plan.as_ref()).expect("the plan is shown");
    let plan = state.plan.as_ref().expect("a plan");
    assert!(!plan.entries.is_empty());
    let (message, _) = app.message.clone().unwrap();
    assert!(message.starts_with("recovery plan: "), "{message}");
    assert!(message.contains(&format!("{} page records", plan.entries.len())), "{message}");
    let text = screen_lines(&app);
    insta::assert_snapshot!("80x24-recovery-plan", text);
    // the list shows the records with their decision word from the first;
    // the record panel the selected one in full: its reason and each page's
    // dbtime in ESE's terms
    assert!(text.contains("page is older than this record"), "{text}");
    for entry in plan.entries.iter().take(8) {
        let word = match entry.decision {
            Decision::Apply => "APPLY",
            Decision::Skip => "skip ",
            Decision::Stop => "STOP ",
        };
        assert!(text.contains(&format!("│{word} {}", entry.lgpos)), "{}:\n{text}", entry.lgpos);
    }
    assert!(!text.contains("NeedsRedo") && !text.contains("before nil"), "{text}");
    // Down moves to the second record; Enter opens the page it changes
    let second = plan.entries[1].clone();
    app.update(Action::Down);
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    let changed = second
        .pages
        .iter()
        .find(|p| p.verdict != esescope::recovery::plan::DbtimeVerdict::Current)
        .unwrap_or(&second.pages[0]);
    assert_eq!(app.page.as_ref().unwrap().pgno().0, changed.touch.pgno);
    // back to the plan, and Esc leaves it for the log files
    app.update(Action::Back);
    assert_eq!(app.view, ViewId::Logs);
    assert!(app.logs.as_ref().unwrap().plan.is_some());
    let (copied, what) = app.selection_text();
    assert_eq!(what, "recovery plan");
    assert!(copied.starts_with("Recovery plan for "), "{copied}");
    app.update(Action::Escape);
    assert!(app.logs.as_ref().unwrap().plan.is_none());
    assert!(screen_text(&app).contains("Log files"));
}

#[test]
fn the_plan_job_shows_its_progress_in_records_and_a_cancel_says_so() {
    let copy = server_2022_copy();
    let (mut app, db) = open(&copy.path().join("db/SRUDB.dat"), Some(&copy.path().join("logs")), 80, 24);
    run_plan(&mut app, &db, Some(0));
    let job = app.jobs.jobs.iter().find(|j| j.what == "plan").expect("the plan job");
    assert!(job.done && job.cancelled, "{job:?}");
    assert_eq!(job.unit, "records");
    let (message, _) = app.message.clone().unwrap();
    assert!(message.contains("cancelled"), "{message}");
    assert!(screen_text(&app).contains("cancelled: the plan stops early"), "{}", screen_text(&app));
    app.update(Action::Show(ViewId::Jobs));
    let jobs = screen_text(&app);
    assert!(jobs.contains("plan") && jobs.contains("records"), "{jobs}");
}

#[test]
fn without_logs_the_plan_key_says_what_is_missing() {
    let db = Arc::new(Database::open(Path::new("sample-dbs/clean-8k.edb")).unwrap());
    let mut app = App::new(Arc::clone(&db), Theme { no_color: true }, Rect::new(0, 0, 80, 24));
    app.load_logs(None);
    app.update(Action::Show(ViewId::Logs));
    assert_eq!(app.update(Action::StartPlan), None);
    let (message, level) = app.message.clone().unwrap();
    assert!(message.starts_with("a recovery plan needs the database's transaction logs"), "{message}");
    assert_eq!(level, esescope::tui::app::Level::Error);
}

/// The administrator's roll-forward from the inspector: the older Server
/// 2022 SRUM copy opened with the later folder's logs; the plan starts at
/// the copy's own lgposConsistent (not the later checkpoint), applies
/// every record with no STOP, and `R` writes the rolled-forward copy.
#[test]
fn the_inspector_rolls_the_older_server_2022_copy_forward() {
    let copy = server_2022_copy();
    let (mut app, db) = open(&copy.path().join("db/SRUDB.dat"), Some(&copy.path().join("logs")), 100, 30);
    run_plan(&mut app, &db, None);
    let plan = app.logs.as_ref().unwrap().plan.as_ref().unwrap().plan.clone().expect("a plan");
    assert!(plan.start_reason.contains("lgposConsistent"), "{}", plan.start_reason);
    assert!(plan.start_reason.contains("checkpoint"), "the later checkpoint is named: {}", plan.start_reason);
    assert_eq!(plan.counts().2, 0, "no STOP");
    assert!(!plan.refuses());
    let text = screen_text(&app);
    assert!(text.contains("recovery can replay every record"), "{text}");
    let fdp = plan.entries.iter().position(|e| e.name == "CreateSingleExtentFDP").expect("an FDP record");
    for _ in 0..fdp {
        app.update(Action::Down);
    }
    let text = screen_text(&app);
    assert!(text.contains("CreateSingleExtentFDP"), "the list follows its selection:\n{text}");
    assert!(text.contains("new page"), "{text}");
    // R from the plan asks where to write, in the work folder, and recovers
    let work = tempfile::tempdir().unwrap();
    app.work_dir = work.path().to_path_buf();
    app.update(Action::Prompt(Prompt::RecoverTo));
    let effect = app.update(Action::Enter);
    let Some(Effect::StartRecovery { out }) = effect else { panic!("{effect:?}") };
    let id = app.start_recovery();
    let set = app.logs.as_ref().unwrap().set.clone();
    let result =
        esescope::tui::outputs::run_recovery(&db, &set, &out, esescope::format::LogTime::default(), |_| {
            ControlFlow::Continue(())
        });
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Recovery(Box::new(result)),
        cancelled: false,
    });
    let (message, _) = app.message.clone().unwrap();
    assert!(message.starts_with("recovery wrote"), "{message}");
    let new = Database::open(&out).unwrap();
    let later = Database::open(real_samples().join("srum-server2022-clean-with-logs/SRUDB.dat")).unwrap();
    assert_eq!(new.header().unwrap().dbtime_dirtied, later.header().unwrap().dbtime_dirtied);
    assert_eq!(new.header().unwrap().objid_last, later.header().unwrap().objid_last);
}
