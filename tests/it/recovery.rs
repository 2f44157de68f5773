//! Issue 8 (recovery): the replay plan over every real log set, refusals
//! for missing and foreign generations, and recovery of the real Windows 11
//! dirty SRUM database compared with the copy esentutl made clean.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use esescope::cli::output::OutputArgs;
use esescope::cli::recovery::{From, RecoverArgs};
use esescope::cli::{self, Command};
use esescope::recovery::{self, Decision, Plan, Reason, RecoveryError, StartAt};
use esescope::store::Database;
use esescope::txlog;
use serde_json::Value;

use crate::common::real_samples;

/// The real sets that have a database with its logs: (folder, database file).
const SETS: &[(&str, &str)] = &[
    ("srum-server2022-clean-with-logs", "SRUDB.dat"),
    ("srum-win10-clean-with-logs", "SRUDB.dat"),
    ("srum-win11-dirty-with-logs", "SRUDB.dat"),
    ("windowslivemail-win7-8k-with-logs", "WindowsMail.MSMessageStore"),
];

fn open_set(dir: &Path, db: &Database) -> txlog::LogSet {
    let base = txlog::bases(dir).unwrap().into_iter().next().unwrap();
    txlog::open(dir, &base, db.header().map(|h| (db.path(), h))).unwrap()
}

fn plan_of(dir: &Path, file: &str, from: StartAt) -> Result<Plan, RecoveryError> {
    let db = Database::open(dir.join(file)).unwrap();
    let set = open_set(dir, &db);
    recovery::plan(&db, &set, from, |_| ControlFlow::Continue(()))
}

/// Page records (and NewPage) in the chain's generations, counted straight
/// from the decoded logs, to check the plan leaves none out.
fn page_records_in_chain(dir: &Path, db: &Database) -> usize {
    let set = open_set(dir, db);
    set.logs
        .iter()
        .filter(|e| e.in_chain)
        .filter_map(|e| e.log.as_ref())
        .flat_map(|l| &l.records.records)
        .filter(|r| r.record_type.is_page_record() || r.record_type.0 == 95)
        .count()
}

#[test]
fn plan_over_every_real_set_skips_every_page_record_by_the_dbtime_rule() {
    for (folder, file) in SETS {
        let dir = real_samples().join(folder);
        let plan = plan_of(&dir, file, StartAt::Oldest).unwrap();
        let db = Database::open(dir.join(file)).unwrap();
        assert_eq!(
            plan.entries.len(),
            page_records_in_chain(&dir, &db),
            "{folder}: every page record is planned"
        );
        assert!(plan.entries.len() > 200, "{folder}: {} page records", plan.entries.len());
        assert!(plan.unsupported.is_empty(), "{folder}: {:?}", plan.unsupported);
        for entry in &plan.entries {
            assert_eq!(
                (entry.decision, entry.reason),
                (Decision::Skip, Reason::DbtimeCurrent),
                "{folder}: {} {} {:?}",
                entry.lgpos,
                entry.name,
                entry.pages
            );
            assert!(!entry.pages.is_empty(), "{folder}: {} names its pages", entry.lgpos);
            // the dbtime rule, checked here from the page itself
            for page in &entry.pages {
                let bytes = db.page_bytes(esescope::format::PageNumber(page.touch.pgno)).unwrap();
                let now = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
                assert!(now >= entry.dbtime_after, "{folder}: page {} at {now:#x}", page.touch.pgno);
            }
        }
        let names: Vec<&str> = plan.types.iter().filter(|t| t.count > 0).map(|t| t.name).collect();
        for needed in ["Insert", "Replace", "Split2", "MacroBegin", "MacroCommit"] {
            assert!(names.contains(&needed), "{folder}: {names:?}");
        }
    }
}

#[test]
fn srum_sets_hold_the_record_types_the_issue_names() {
    for folder in ["srum-win10-clean-with-logs", "srum-win11-dirty-with-logs"] {
        let plan = plan_of(&real_samples().join(folder), "SRUDB.dat", StartAt::Oldest).unwrap();
        for needed in ["Insert", "Replace", "Delete", "Split2", "MacroBegin", "MacroCommit", "NewPage"] {
            let t =
                plan.types.iter().find(|t| t.name == needed).unwrap_or_else(|| panic!("{folder}: {needed}"));
            assert!(t.count > 0 && t.apply == 0 && t.stop == 0, "{folder}: {t:?}");
        }
    }
    // the nine generations of the Windows 10 set, 0x18 (SRUtmp.log) to 0x20
    let plan =
        plan_of(&real_samples().join("srum-win10-clean-with-logs"), "SRUDB.dat", StartAt::Oldest).unwrap();
    assert_eq!(plan.generations, (0x18, 0x20));
}

#[test]
fn win11_dirty_replay_starts_at_the_checkpoint_and_has_no_page_record() {
    let plan =
        plan_of(&real_samples().join("srum-win11-dirty-with-logs"), "SRUDB.dat", StartAt::Recovery).unwrap();
    assert_eq!(plan.start.to_string(), "(0x5C,8,0)");
    assert_eq!(plan.end.to_string(), "(0x5C,A,0)");
    assert_eq!(plan.dbid, Some(1));
    assert!(plan.entries.is_empty());
    let names: Vec<&str> = plan.types.iter().map(|t| t.name).collect();
    assert_eq!(names, ["AttachDB", "Init2", "Term2", "NOP2"]);
    assert!(plan.open_transactions.is_empty());
}

fn copy_dir(from: &Path, to: &Path) {
    for file in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
    }
}

fn writable(dir: &Path) {
    for file in std::fs::read_dir(dir).unwrap().flatten() {
        let mut perms = std::fs::metadata(file.path()).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(file.path(), perms).unwrap();
    }
}

#[test]
fn a_missing_generation_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&real_samples().join("srum-win10-clean-with-logs"), tmp.path());
    writable(tmp.path());
    std::fs::remove_file(tmp.path().join("SRU0001C.log")).unwrap();
    let err = plan_of(tmp.path(), "SRUDB.dat", StartAt::Oldest).unwrap_err();
    assert!(matches!(err, RecoveryError::MissingGeneration { generation: 0x1C, .. }), "{err:?}");
    assert!(err.to_string().contains("0x1C"), "{err}");
}

#[test]
fn a_generation_of_another_stream_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&real_samples().join("srum-win11-dirty-with-logs"), tmp.path());
    writable(tmp.path());
    std::fs::copy(
        real_samples().join("srum-win10-clean-with-logs/SRU0001A.log"),
        tmp.path().join("SRU0005A.log"),
    )
    .unwrap();
    let err = plan_of(tmp.path(), "SRUDB.dat", StartAt::Oldest).unwrap_err();
    assert!(matches!(err, RecoveryError::ForeignGeneration { generation: 0x5A, .. }), "{err:?}");
    assert!(err.to_string().contains("SRU0005A.log"), "{err}");
}

#[test]
fn logs_of_another_database_are_refused() {
    let db = Database::open(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
    let set = open_set(&real_samples().join("srum-win11-dirty-with-logs"), &db);
    let err = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap_err();
    assert!(matches!(err, RecoveryError::ForeignLogs { generation: 0x5C, .. }), "{err:?}");
}

fn recover_args(file: PathBuf, out: Option<PathBuf>, plan: bool) -> RecoverArgs {
    RecoverArgs { file, logs: None, base: None, out, plan, from: From::Oldest, output: OutputArgs::json() }
}

#[test]
fn cli_plan_lists_every_page_record_as_json() {
    let file = real_samples().join("srum-win11-dirty-with-logs/SRUDB.dat");
    let mut out = Vec::new();
    let code = cli::run(&Command::Recover(recover_args(file, None, true)), &mut out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let plan: Value = serde_json::from_slice(&out).unwrap();
    let entries = plan["entries"].as_array().unwrap();
    assert!(entries.len() > 1000, "{}", entries.len());
    assert!(entries.iter().all(|e| e["decision"] == "skip" && e["reason"] == "dbtime_current"));
    assert_eq!(plan["unsupported"].as_array().unwrap().len(), 0);
}
