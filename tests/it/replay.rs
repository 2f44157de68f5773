//! Issue 7 (log part) and 8: the logs esescope's writer makes for a
//! database left in dirty shutdown, and their recovery: the writer
//! scenario on a real database, the committed samples in `sample-dbs/`
//! (dirty-with-logs, missing-log, checkpoint-exhaustion), and a record type
//! recovery does not handle.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use esescope::cli::output::OutputArgs;
use esescope::cli::{self, Command};
use esescope::recovery::{self, Decision, Reason, RecoveryError, StartAt};
use esescope::store::Database;
use serde_json::Value;

use crate::common::real_samples;
use crate::recovery::{open_set, tree_findings, tree_rows};

/// The scenario of esescope's log writer (issue 7) on a copy of a real
/// clean database, written to `dir`.
fn write_scenario(dir: &Path) -> esescope::writer::scenario::Scenario {
    let base = Database::open(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
    let scenario = esescope::writer::scenario::dirty_with_logs(&base).unwrap();
    std::fs::write(dir.join("database.edb"), &scenario.database).unwrap();
    for (name, bytes) in &scenario.logs {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(dir.join("edb.chk"), &scenario.checkpoint).unwrap();
    scenario
}

fn live_nodes(db: &Database, pgno: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    use esescope::format::page::Page;
    use esescope::format::PageNumber;
    let n = PageNumber(pgno);
    let image = esescope::writer::page::PageImage::from_page(
        &Page::parse(db.page_bytes(n).unwrap(), n, db.page_size()).unwrap(),
    )
    .unwrap();
    let mut rows: Vec<_> = image
        .nodes
        .iter()
        .filter(|n| !n.flags.contains(esescope::format::tag::NodeFlags::DELETED))
        .map(|n| (n.key.clone(), n.data.clone()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn writer_scenario_recovers_to_the_state_the_writer_meant() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    assert_eq!(
        scenario.logs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["edb00001.log", "edb00002.log", "edb.log"]
    );
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    assert_eq!(db.header().unwrap().state, esescope::format::header::DbState::DIRTY_SHUTDOWN);
    let set = open_set(tmp.path(), &db);
    assert!(set.chain_ok, "{:?}", set.findings);
    let plan = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap();
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    // a record is skipped when the file holds its page at or past it, redone otherwise
    for entry in &plan.entries {
        let page = entry.pages[0];
        let flushed = scenario.flushed_at[&page.touch.pgno];
        let want = if entry.name == "UndoInfo" {
            (Decision::Skip, Reason::NeverModifiesPage)
        } else if entry.macro_dbtime.is_some() && entry.name == "Insert" {
            // the split's own Insert is redone with its macro
            (Decision::Apply, Reason::MacroPart)
        } else if entry.dbtime_after <= flushed {
            (Decision::Skip, Reason::DbtimeCurrent)
        } else {
            (Decision::Apply, Reason::DbtimeOlder)
        };
        assert_eq!((entry.decision, entry.reason), want, "{entry:?}");
    }
    let names = |d: Decision| {
        let mut v: Vec<&str> = plan.entries.iter().filter(|e| e.decision == d).map(|e| e.name).collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        names(Decision::Apply),
        [
            "Delete",
            "FlagDelete",
            "Insert",
            "Merge2",
            "NewPage",
            "Replace",
            "ReplaceD",
            "SetExternalHeader",
            "Split2"
        ]
    );
    assert_eq!(names(Decision::Skip), ["Delete", "Insert", "Replace", "SetExternalHeader", "UndoInfo"]);
    for needed in ["Begin", "Commit", "Begin0", "Commit0"] {
        assert!(plan.types.iter().any(|t| t.name == needed), "{needed}");
    }
    assert_eq!(plan.open_transactions.len(), 1);
    assert_eq!(plan.open_transactions[0].operations.len(), 4);

    let out = tmp.path().join("recovered.edb");
    let report =
        recovery::recover(&db, &set, StartAt::Recovery, &out, esescope::format::LogTime::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(report.undone.len(), 1);
    assert_eq!(report.verify_after.unwrap().damaged(), 0);
    let recovered = Database::open(&out).unwrap();
    assert_eq!(recovered.header().unwrap().state, esescope::format::header::DbState::CLEAN_SHUTDOWN);
    for (pgno, rows) in &scenario.expected {
        assert_eq!(&live_nodes(&recovered, *pgno), rows, "page {pgno}");
    }
    let (new_page, objid) = scenario.new_page;
    let page = recovered.page(esescope::format::PageNumber(new_page)).unwrap();
    assert_eq!(page.header.objid_fdp.0, objid);
    // the split left well-formed trees: keys in order, separators and sibling
    // links right (the base's own findings, in an index it orders its way, stay)
    let base = Database::open(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
    assert_eq!(tree_findings(&recovered), tree_findings(&base));
    // every other tree is untouched
    let before =
        tree_rows(&Database::open(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap());
    let after = tree_rows(&recovered);
    let touched: Vec<_> =
        before.iter().filter(|(name, rows)| after.get(*name) != Some(rows)).map(|(n, _)| n.clone()).collect();
    assert!(!touched.is_empty() && touched.len() <= 4, "{touched:?}");
}

#[test]
fn writer_scenario_without_a_generation_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    write_scenario(tmp.path());
    std::fs::remove_file(tmp.path().join("edb00002.log")).unwrap();
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    let set = open_set(tmp.path(), &db);
    let err = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap_err();
    assert!(matches!(err, RecoveryError::MissingGeneration { generation: 2, .. }), "{err:?}");
}

fn sample_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(name)
}

/// The committed log samples are what `esescope sample` writes today.
#[test]
fn committed_log_samples_are_what_the_writer_writes() {
    let tmp = tempfile::tempdir().unwrap();
    esescope::cli::sample::write_samples(tmp.path(), false).unwrap();
    let written = esescope::cli::sample::write_log_samples(tmp.path(), false).unwrap();
    assert_eq!(written.len(), 3);
    for (dir, files, _) in written {
        let name = dir.file_name().unwrap().to_owned();
        let mut listed: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        listed.sort();
        assert_eq!(listed.len(), files);
        let mut committed: Vec<_> = std::fs::read_dir(sample_dir(name.to_str().unwrap()))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        committed.sort();
        assert_eq!(listed, committed, "{name:?}");
        for file in listed {
            let a = std::fs::read(dir.join(&file)).unwrap();
            let b = std::fs::read(sample_dir(name.to_str().unwrap()).join(&file)).unwrap();
            assert!(a == b, "{name:?}/{file:?} differs from what the writer writes");
        }
    }
}

/// `sample-dbs/dirty-with-logs`, made by esescope's own writer on its
/// teaching database: recovery gives exactly the rows the writer meant.
#[test]
fn dirty_with_logs_sample_recovers_to_the_writers_state() {
    let base = Database::open(sample_dir("clean-8k.edb")).unwrap();
    let scenario = esescope::writer::scenario::dirty_with_logs(&base).unwrap();
    let db = Database::open(sample_dir("dirty-with-logs").join("database.edb")).unwrap();
    assert_eq!(std::fs::read(db.path()).unwrap(), scenario.database);
    let set = open_set(&sample_dir("dirty-with-logs"), &db);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("recovered.edb");
    let report =
        recovery::recover(&db, &set, StartAt::Recovery, &out, esescope::format::LogTime::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
    let applied: std::collections::BTreeSet<&str> =
        report.plan.entries.iter().filter(|e| e.decision == Decision::Apply).map(|e| e.name).collect();
    for name in ["Insert", "Replace", "ReplaceD", "Delete", "FlagDelete", "SetExternalHeader", "NewPage"] {
        assert!(applied.contains(name), "{name} is redone: {applied:?}");
    }
    assert!(report
        .plan
        .entries
        .iter()
        .any(|e| e.decision == Decision::Skip && e.reason == Reason::DbtimeCurrent));
    assert_eq!(report.undone.len(), 1);
    assert_eq!(report.verify_after.unwrap().damaged(), 0);
    let recovered = Database::open(&out).unwrap();
    for (pgno, rows) in &scenario.expected {
        assert_eq!(&live_nodes(&recovered, *pgno), rows, "page {pgno}");
    }
    assert_eq!(tree_findings(&recovered), Vec::<String>::new());
    assert!(applied.contains("Split2") && applied.contains("Merge2"), "{applied:?}");
    // the one thing a real engine would also have logged: the split's new
    // page comes out of the tree's space; the scenario logs no space-tree
    // change, so the space check names exactly that page
    let (root, _, new_page) = scenario.split;
    let walk = esescope::store::cursor::walk(&recovered, esescope::format::PageNumber(root), |_, _| {});
    let space = esescope::store::space::read(&recovered, esescope::format::PageNumber(root));
    let findings: Vec<String> = space.check(&walk, &recovered).into_iter().map(|f| f.message).collect();
    assert_eq!(
        findings,
        [format!("page {new_page} is in the tree of root {root} but not in its owned extents")]
    );
    // every row still decodes with the record reader: the tables list them
    let mut stdout = Vec::new();
    let args = esescope::cli::trees::TablesArgs { file: out.clone(), output: OutputArgs::json() };
    cli::run(&Command::Tables(args), &mut stdout).unwrap();
    let tables: Value = serde_json::from_slice(&stdout).unwrap();
    assert!(tables.to_string().contains("people"), "{tables}");
}

#[test]
fn missing_log_sample_is_refused_naming_the_generation() {
    let db = Database::open(sample_dir("missing-log").join("database.edb")).unwrap();
    let set = open_set(&sample_dir("missing-log"), &db);
    let tmp = tempfile::tempdir().unwrap();
    let err = recovery::recover(
        &db,
        &set,
        StartAt::Recovery,
        &tmp.path().join("x.edb"),
        esescope::format::LogTime::default(),
        |_| ControlFlow::Continue(()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("log generation 0x2 is needed"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn checkpoint_exhaustion_sample_replays_fifteen_generations() {
    let dir = sample_dir("checkpoint-exhaustion");
    let db = Database::open(dir.join("database.edb")).unwrap();
    let set = open_set(&dir, &db);
    let plan = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(plan.start.generation, 1);
    assert_eq!(plan.end.generation, 15);
    assert_eq!(plan.open_transactions.len(), 1);
    assert_eq!(plan.open_transactions[0].begin.generation, 2);
    let late: Vec<_> = plan.entries.iter().filter(|e| e.lgpos.generation > 3).collect();
    assert_eq!(late.len(), 12);
    assert!(late.iter().all(|e| e.decision == Decision::Skip && e.reason == Reason::DbtimeCurrent));
}

/// A log with a record type recovery does not handle (TrimDB) in the
/// replayed range: `--plan` names the type and exits 1, recovery refuses
/// and writes nothing.
#[test]
fn an_unsupported_record_type_is_named_and_nothing_is_written() {
    use esescope::format::{Lgpos, LogTime};
    use esescope::writer::header::lgpos_bytes;
    use esescope::writer::log_record as lr;
    use esescope::writer::txlog::checkpoint;
    let tmp = tempfile::tempdir().unwrap();
    let base = Database::open(sample_dir("clean-8k.edb")).unwrap();
    let header = base.header().unwrap().clone();
    let sign_log = esescope::writer::header::signature(7, LogTime::from_unix(1_767_225_600, 0));
    let mut log = crate::common::first_generation(sign_log);
    let attach =
        log.append(&lr::attach_db(0, 1, Lgpos::default(), header.sign_db, sign_log, "db.edb")).unwrap();
    log.append(&lr::begin0(1, 1)).unwrap();
    // TrimDB (81): dbid, pgnoStartZeroes, cpgZeroLength
    let mut shrink = vec![81u8, 1];
    shrink.extend_from_slice(&100u32.to_le_bytes());
    shrink.extend_from_slice(&26u32.to_le_bytes());
    let at = log.append(&shrink).unwrap();
    let (bytes, _, _) = log.finish(LogTime::default());
    std::fs::write(tmp.path().join("edb.log"), bytes).unwrap();
    std::fs::write(
        tmp.path().join("edb.chk"),
        checkpoint(sign_log, Lgpos { generation: 1, isec: 1, ib: 0 }, &[]),
    )
    .unwrap();
    let mut db = std::fs::read(base.path()).unwrap();
    let put = |db: &mut Vec<u8>, name: &str, value: &[u8]| {
        let off = esescope::format::header::field_offset(name).unwrap();
        db[off..off + value.len()].copy_from_slice(value);
    };
    put(&mut db, "le_dbstate", &2u32.to_le_bytes());
    put(&mut db, "signLog", &sign_log.0);
    put(&mut db, "le_lgposAttach", &lgpos_bytes(attach));
    put(&mut db, "le_lGenMinRequired", &1i32.to_le_bytes());
    put(&mut db, "le_lGenMaxRequired", &1i32.to_le_bytes());
    let sum = esescope::format::checksum::legacy_xor(&db[..8192]);
    db[..4].copy_from_slice(&sum.to_le_bytes());
    let first = db[..8192].to_vec();
    db[8192..16384].copy_from_slice(&first);
    std::fs::write(tmp.path().join("db.edb"), &db).unwrap();

    let db = Database::open(tmp.path().join("db.edb")).unwrap();
    let set = open_set(tmp.path(), &db);
    let plan = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(plan.unsupported.len(), 1);
    assert_eq!((plan.unsupported[0].name, plan.unsupported[0].first), ("TrimDB", at));
    let out = tmp.path().join("new.edb");
    let err = recovery::recover(&db, &set, StartAt::Recovery, &out, LogTime::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert!(
        matches!(
            &err,
            esescope::Error::Recovery { source: RecoveryError::Unsupported { name: "TrimDB", .. }, .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("TrimDB (81)"), "{err}");
    assert!(!out.exists());
    let mut stdout = Vec::new();
    let args = esescope::cli::recovery::RecoverArgs {
        file: Some(tmp.path().join("db.edb")),
        logs: None,
        base: None,
        out: None,
        plan: true,
        max_output_gib: 64,
        from: esescope::cli::recovery::From::Start,
        output: OutputArgs::text(),
    };
    let code = cli::run(&Command::Recover(args), &mut stdout).unwrap();
    assert_eq!(code, std::process::ExitCode::from(1));
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.contains("UNSUPPORTED: TrimDB (81)"), "{text}");
}

/// `recover --plan --json` and `recover --out NEW --json` validate against
/// `schema/esescope.schema.json`, and the saved NEW.recovery.json is the same document.
#[test]
fn recovery_json_validates_against_the_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = |definition: &str| {
        let mut s = schema.clone();
        s["$ref"] = Value::String(format!("#/$defs/{definition}"));
        jsonschema::validator_for(&s).expect("the schema compiles")
    };
    let check = |definition: &str, value: &Value| {
        let v = validator(definition);
        let errors: Vec<String> =
            v.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{definition}: {errors:#?}");
    };
    let file = sample_dir("dirty-with-logs").join("database.edb");
    let args = |out: Option<PathBuf>, plan: bool| esescope::cli::recovery::RecoverArgs {
        file: Some(file.clone()),
        logs: None,
        base: None,
        out,
        plan,
        max_output_gib: 64,
        from: esescope::cli::recovery::From::Start,
        output: OutputArgs::json(),
    };
    let mut stdout = Vec::new();
    cli::run(&Command::Recover(args(None, true)), &mut stdout).unwrap();
    let plan: Value = serde_json::from_slice(&stdout).unwrap();
    check("recovery_plan", &plan);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("new.edb");
    let mut stdout = Vec::new();
    cli::run(&Command::Recover(args(Some(out.clone()), false)), &mut stdout).unwrap();
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    check("recovery_report", &report);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("new.edb.recovery.json")).unwrap())
            .unwrap();
    assert_eq!(saved, report);
}

/// The inspector runs recovery as a job: `R` in the jobs view asks where to
/// write, the effect starts it, and the finished job's report is shown.
#[test]
fn the_inspector_recovers_as_a_job() {
    use esescope::tui::action::{Action, Effect, Prompt};
    use esescope::worker::{JobOutput, WorkerEvent};
    let tmp = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(sample_dir("dirty-with-logs")).unwrap().flatten() {
        std::fs::copy(file.path(), tmp.path().join(file.file_name())).unwrap();
    }
    let db = std::sync::Arc::new(Database::open(tmp.path().join("database.edb")).unwrap());
    let mut app = esescope::tui::app::App::new(
        std::sync::Arc::clone(&db),
        esescope::tui::theme::Theme { no_color: true },
        ratatui::layout::Rect::new(0, 0, 100, 30),
    );
    app.load_logs(None);
    // outputs go to the work folder, never beside the evidence by default
    let work = tempfile::tempdir().unwrap();
    app.work_dir = work.path().to_path_buf();
    app.update(Action::Prompt(Prompt::RecoverTo));
    let effect = app.update(Action::Enter);
    let Some(Effect::StartRecovery { out }) = effect else { panic!("{effect:?}") };
    assert_eq!(out, work.path().join("database.edb.recovered"));
    let id = app.start_recovery();
    let set = app.logs.as_ref().unwrap().set.clone();
    let result = recovery::recover(
        &db,
        &set,
        StartAt::Recovery,
        Path::new(&out),
        esescope::format::LogTime::default(),
        |_| ControlFlow::Continue(()),
    )
    .map_err(|e| e.to_string());
    assert!(Path::new(&out).exists());
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Recovery(Box::new(result)),
        cancelled: false,
    });
    let (message, _) = app.message.clone().unwrap();
    assert!(message.starts_with("recovery wrote"), "{message}");
    assert!(message.contains("1 transaction(s) undone"), "{message}");
}
