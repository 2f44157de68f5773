//! Issue 8 (recovery) on the real samples: the replay plan over every real
//! log set, refusals for missing and foreign generations, recovery of the
//! real Windows 11 dirty SRUM database compared with the copy esentutl made
//! clean, real Inserts redone, cancellation. The writer's own logs are
//! tested in `replay.rs`.

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

pub(crate) fn open_set(dir: &Path, db: &Database) -> txlog::LogSet {
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
    set.generations()
        .map(|(_, log)| log.unwrap())
        .flat_map(|l| l.records.records)
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
    RecoverArgs {
        file: Some(file),
        logs: None,
        base: None,
        out,
        plan,
        max_output_gib: 64,
        from: From::Oldest,
        output: OutputArgs::json(),
    }
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

/// Every catalog tree's live leaf nodes (flag-deleted ones left out), as
/// (key, data) bytes, by tree name.
/// Structural findings of every catalog tree (keys in order, separators,
/// sibling links), by tree.
pub(crate) fn tree_findings(db: &Database) -> Vec<String> {
    let catalog = esescope::store::catalog::Catalog::read(db);
    catalog
        .trees()
        .into_iter()
        .flat_map(|(name, root)| {
            esescope::store::cursor::walk(db, root, |_, _| {})
                .findings
                .into_iter()
                .map(move |f| format!("{name}: {}", f.message))
        })
        .collect()
}

/// (key, data) of every live leaf node.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

pub(crate) fn tree_rows(db: &Database) -> std::collections::BTreeMap<String, Rows> {
    let catalog = esescope::store::catalog::Catalog::read(db);
    let mut trees = std::collections::BTreeMap::new();
    trees.insert("catalog MSysObjects".to_string(), esescope::store::catalog::CATALOG_ROOT);
    for (name, root) in catalog.trees() {
        trees.insert(name, root);
    }
    trees
        .into_iter()
        .map(|(name, root)| {
            let mut rows = Vec::new();
            esescope::store::cursor::walk(db, root, |_, node| {
                if !node.is_deleted() {
                    rows.push((node.key.clone(), node.data.to_vec()));
                }
            });
            (name, rows)
        })
        .collect()
}

fn recover_win11(out: &Path) -> recovery::RecoveryReport {
    let dir = real_samples().join("srum-win11-dirty-with-logs");
    let db = Database::open(dir.join("SRUDB.dat")).unwrap();
    let set = open_set(&dir, &db);
    recovery::recover(
        &db,
        &set,
        StartAt::Recovery,
        out,
        esescope::format::LogTime::from_unix(1_700_000_000, 0),
        |_| ControlFlow::Continue(()),
    )
    .unwrap()
}

fn header_fields(db: &Database) -> Vec<(&'static str, String, String)> {
    db.header().unwrap().fields().into_iter().map(|f| (f.name, f.raw, format!("{:?}", f.value))).collect()
}

/// Recovery of the real dirty Windows 11 SRUM database against the copy
/// esentutl made clean (`srum-win11-clean-repaired`). Every page and every
/// live leaf node of every catalog tree is the same. The header differs in
/// these fields only, each justified from the logs below.
#[test]
fn win11_dirty_recovers_to_what_esentutl_made_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("SRUDB.dat");
    let report = recover_win11(&out);
    assert!(report.pages.is_empty() && report.undone.is_empty());
    let counts = report.verify_after.unwrap();
    assert_eq!(counts.damaged(), 0);
    let ours = Database::open(&out).unwrap();
    let oracle = Database::open(real_samples().join("srum-win11-clean-repaired/SRUDB.dat")).unwrap();
    let h = ours.header().unwrap();
    assert_eq!(h.state, esescope::format::header::DbState::CLEAN_SHUTDOWN);
    assert_eq!(h.lgpos_consistent, report.plan.end);
    assert_eq!((h.gen_min_required, h.gen_max_required), (0, 0));

    // 1. the same rows and values: every live leaf node, key and data bytes
    let (rows, oracle_rows) = (tree_rows(&ours), tree_rows(&oracle));
    assert_eq!(rows.len(), 35, "{:?}", rows.keys());
    assert_eq!(rows, oracle_rows);
    let total: usize = rows.iter().filter(|(n, _)| n.starts_with("table ")).map(|(_, r)| r.len()).sum();
    assert!(total > 4000, "{total}");
    // 2. and the same pages, byte for byte (esentutl's repair found nothing to change in them)
    assert_eq!(ours.page_count(), oracle.page_count());
    for pgno in ours.page_numbers() {
        assert!(ours.page_bytes(pgno).unwrap() == oracle.page_bytes(pgno).unwrap(), "page {pgno}");
    }

    // 3. the header: the fields that differ, and why
    let (a, b) = (header_fields(&ours), header_fields(&oracle));
    let differing: Vec<&str> = a.iter().zip(&b).filter(|(x, y)| x.1 != y.1).map(|(x, _)| x.0).collect();
    assert_eq!(
        differing,
        [
            "le_ulChecksum",        // follows from the others
            "le_dbtimeDirtied",     // (a) below
            "signDb",               // (b)
            "le_lgposConsistent",   // (c)
            "logtimeConsistent",    // (d)
            "logtimeAttach",        // (d)
            "le_lgposAttach",       // (c)
            "logtimeDetach",        // (d)
            "le_lgposDetach",       // (c)
            "signLog",              // (b)
            "le_objidLast",         // (e)
            "le_ulRepairCount",     // (b)
            "logtimeRepair",        // (b)
            "le_qwSortVersion",     // (f)
            "signDbHdrFlush",       // (d)
            "signFlushMapHdrFlush", // (d)
            "le_lgposLastResize",   // (c)
        ]
    );
    let oh = oracle.header().unwrap();
    // (a) the highest dbtime the logs hand out is 0xab4b (the Insert at
    // (0x5B,C,AB7)), and no page of either file is newer: esentutl's repair
    // used one more dbtime for its own work, on no page
    let plan =
        plan_of(&real_samples().join("srum-win11-dirty-with-logs"), "SRUDB.dat", StartAt::Oldest).unwrap();
    assert_eq!(plan.max_dbtime, 0xab4b);
    assert_eq!(h.dbtime_dirtied.0, 0xab4b);
    assert_eq!(oh.dbtime_dirtied.0, 0xab4c);
    let newest_page = |db: &Database| {
        db.page_numbers()
            .map(|n| u64::from_le_bytes(db.page_bytes(n).unwrap()[8..16].try_into().unwrap()))
            .max()
            .unwrap()
    };
    assert_eq!((newest_page(&ours), newest_page(&oracle)), (0xab4b, 0xab4b));
    // (b) esentutl /p gave the repaired file a new signDb (created at its
    // repair time), cut it loose from its log stream (signLog zero) and
    // counted its repair runs; recovery keeps the identity the logs name:
    // the AttachDB at (0x5C,9,268) carries this database's signDb
    let repair_time =
        oracle.header().unwrap().fields().into_iter().find(|f| f.name == "logtimeRepair").unwrap();
    let created = oh.sign_db.created().0;
    assert_eq!(repair_time.raw, hex::encode(created));
    assert!(oh.sign_log.is_zero() && !h.sign_log.is_zero());
    assert_eq!((h.repair_count, oh.repair_count), (0, 2));
    assert_eq!(plan.dbid, Some(1));
    // (c) a database detached from its logs has no log positions; ours is
    // consistent at the end of the log's data, still attached at the
    // AttachDB record, as the engine leaves a database it detaches
    assert!(oh.lgpos_consistent.is_zero() && oh.lgpos_attach.is_zero() && oh.lgpos_detach.is_zero());
    assert_eq!(h.lgpos_consistent.to_string(), "(0x5C,A,0)");
    assert_eq!(h.lgpos_detach, h.lgpos_consistent);
    assert_eq!(h.lgpos_attach.to_string(), "(0x5C,9,268)");
    // (d) times and flush signatures of the two runs
    assert_eq!(h.logtime_consistent, esescope::format::LogTime::from_unix(1_700_000_000, 0));
    // (e) no tree of the repaired copy has objid 38: repair allocated it
    // for its own scratch work; the logs' highest objidFDP is at most 37
    let catalog = esescope::store::catalog::Catalog::read(&oracle);
    let highest = catalog
        .tables
        .iter()
        .flat_map(|t| {
            std::iter::once(t.table.id)
                .chain(t.indexes.iter().map(|i| i.id))
                .chain(t.long_value.iter().map(|l| l.id))
        })
        .max()
        .unwrap();
    assert!(highest <= 37, "{highest}");
    assert!(plan.max_objid <= 37 && h.objid_last == 37 && oh.objid_last == 38);
    // (f) qwSortVersion: the repair stamped the sort (NLS) version it
    // checked the indexes with; no log record carries one
}

#[test]
fn cancel_at_any_point_leaves_no_file_behind() {
    let dir = real_samples().join("srum-win11-dirty-with-logs");
    let db = Database::open(dir.join("SRUDB.dat")).unwrap();
    let set = open_set(&dir, &db);
    let mut finished = false;
    for stop_at in 1..20 {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("new.dat");
        let mut calls = 0;
        let report = recovery::recover(
            &db,
            &set,
            StartAt::Recovery,
            &out,
            esescope::format::LogTime::default(),
            |_| {
                calls += 1;
                if calls == stop_at {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        if report.cancelled {
            assert!(left.is_empty(), "stopped at call {stop_at}: {left:?}");
            assert!(report.output.is_none());
        } else {
            assert_eq!(left, ["new.dat"], "stop at {stop_at} came after the rename");
            finished = true;
            break;
        }
    }
    assert!(finished);
}

#[test]
fn cli_recover_writes_the_database_and_its_report_and_leaves_the_input_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let file = real_samples().join("srum-win11-dirty-with-logs/SRUDB.dat");
    let before = std::fs::read(&file).unwrap();
    let out = tmp.path().join("clean.dat");
    let mut args = recover_args(file.clone(), Some(out.clone()), false);
    args.from = From::Start;
    let mut stdout = Vec::new();
    let code = cli::run(&Command::Recover(args), &mut stdout).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(report["output"]["path"], out.display().to_string());
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("clean.dat.recovery.json")).unwrap())
            .unwrap();
    assert_eq!(saved["output"]["sha256"], report["output"]["sha256"]);
    let text = std::fs::read_to_string(tmp.path().join("clean.dat.recovery.txt")).unwrap();
    assert!(text.contains("le_dbstate Dirty Shutdown (2) -> Clean Shutdown (3)"), "{text}");
    assert!(text.contains("le_lgposConsistent (0x5C,7,36) -> (0x5C,A,0)"), "{text}");
    // never overwrites
    let mut again = recover_args(file, Some(out), false);
    again.from = From::Start;
    let err = cli::run(&Command::Recover(again), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, esescope::Error::OutputExists { .. }), "{err}");
}

/// The apply path on real records: in a copy of the Windows Server 2022
/// SRUM database, every page whose last logged change is a plain Insert
/// (after the database's attach, outside a macro) is put back to its state
/// before that Insert: the node removed, the dbtime set to the record's
/// dbtimeBefore. Recovery must redo exactly those Inserts, from the real
/// log bytes (prefix-compressed keys included), and give back pages with
/// the same nodes as the original.
#[test]
fn redo_of_real_inserts_rebuilds_the_pages_they_made() {
    use esescope::format::page::Page;
    use esescope::format::PageNumber;
    use esescope::writer::page::PageImage;
    let folder = "srum-server2022-clean-with-logs";
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&real_samples().join(folder), tmp.path());
    writable(tmp.path());
    let original = Database::open(real_samples().join(folder).join("SRUDB.dat")).unwrap();
    let attach = original.header().unwrap().lgpos_attach;
    let plan = plan_of(&real_samples().join(folder), "SRUDB.dat", StartAt::Oldest).unwrap();
    let mut last: std::collections::BTreeMap<u32, &esescope::recovery::PlanEntry> = Default::default();
    for entry in &plan.entries {
        for page in &entry.pages {
            last.insert(page.touch.pgno, entry);
        }
    }
    let size = original.page_size();
    let mut bytes = std::fs::read(tmp.path().join("SRUDB.dat")).unwrap();
    let mut rolled_back = Vec::new();
    let logs = open_set(&real_samples().join(folder), &original);
    let records: Vec<_> = logs.generations().flat_map(|(_, l)| l.unwrap().records.records).collect();
    for (&pgno, entry) in &last {
        if entry.name != "Insert"
            || entry.macro_dbtime.is_some()
            || entry.lgpos < attach
            || entry.pages.len() != 1
        {
            continue;
        }
        let record = records.iter().find(|r| r.lgpos == entry.lgpos).unwrap();
        let iline = u16::from_le_bytes(record.bytes[29..31].try_into().unwrap()) as usize;
        let page =
            Page::parse(original.page_bytes(PageNumber(pgno)).unwrap(), PageNumber(pgno), size).unwrap();
        let mut image = PageImage::from_page(&page).unwrap();
        image.nodes.remove(iline);
        image.dbtime = esescope::format::DbTime(entry.pages[0].touch.dbtime_before.unwrap());
        let at = (pgno as usize + 1) * size.len();
        bytes[at..at + size.len()].copy_from_slice(&image.build().unwrap());
        rolled_back.push((pgno, entry.lgpos));
    }
    assert!(rolled_back.len() >= 20, "{rolled_back:?}");
    std::fs::write(tmp.path().join("SRUDB.dat"), &bytes).unwrap();

    let db = Database::open(tmp.path().join("SRUDB.dat")).unwrap();
    let set = open_set(tmp.path(), &db);
    let out = tmp.path().join("recovered.dat");
    let report =
        recovery::recover(&db, &set, StartAt::Oldest, &out, esescope::format::LogTime::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
    let applied: Vec<_> = report
        .plan
        .entries
        .iter()
        .filter(|e| e.decision == Decision::Apply)
        .map(|e| (e.pages[0].touch.pgno, e.lgpos))
        .collect();
    let mut expected = rolled_back.clone();
    expected.sort_by_key(|&(_, lgpos)| lgpos);
    assert_eq!(applied, expected);
    assert_eq!(report.pages.len(), rolled_back.len());
    assert_eq!(report.verify_after.unwrap().damaged(), 0);
    let recovered = Database::open(&out).unwrap();
    for (pgno, _) in &rolled_back {
        let n = PageNumber(*pgno);
        let a =
            PageImage::from_page(&Page::parse(recovered.page_bytes(n).unwrap(), n, size).unwrap()).unwrap();
        let b =
            PageImage::from_page(&Page::parse(original.page_bytes(n).unwrap(), n, size).unwrap()).unwrap();
        assert_eq!(a.nodes, b.nodes, "page {pgno}");
        assert_eq!(
            (a.dbtime, a.external_header, a.prev, a.next, a.objid),
            (b.dbtime, b.external_header, b.prev, b.next, b.objid)
        );
    }
    // and every tree holds the original rows again
    assert_eq!(tree_rows(&recovered), tree_rows(&original));
}

#[test]
fn recovery_runs_on_the_worker_and_a_cancel_leaves_no_file() {
    use esescope::worker::{spawn, JobId, JobOutput, WorkerEvent};
    for cancel in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("new.dat");
        let (tx, rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let target = out.clone();
        let handle = spawn(
            JobId(1),
            move |e| {
                let _ = tx.send(e);
            },
            move |progress| {
                let _ = go_rx.recv();
                let dir = real_samples().join("srum-win11-dirty-with-logs");
                let db = Database::open(dir.join("SRUDB.dat")).unwrap();
                let set = open_set(&dir, &db);
                let result = recovery::recover(
                    &db,
                    &set,
                    StartAt::Recovery,
                    &target,
                    esescope::format::LogTime::default(),
                    progress,
                );
                JobOutput::Recovery(Box::new(result.map_err(|e| e.to_string())))
            },
        );
        if cancel {
            handle.cancel();
        }
        go_tx.send(()).unwrap();
        let events: Vec<WorkerEvent> = rx.iter().collect();
        let Some(WorkerEvent::Finished { output: JobOutput::Recovery(result), cancelled, .. }) =
            events.last()
        else {
            panic!("{events:?}")
        };
        let report = result.as_ref().as_ref().unwrap();
        assert_eq!(*cancelled, cancel);
        assert_eq!(report.cancelled, cancel);
        assert_eq!(out.exists(), !cancel);
        let left = std::fs::read_dir(tmp.path()).unwrap().count();
        assert_eq!(left, usize::from(!cancel));
    }
}

/// A database of the same log stream that no record in the replayed range
/// attaches (its signDb changed in a copy): recovery refuses instead of
/// marking it clean without its changes.
#[test]
fn a_database_the_logs_never_attach_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&real_samples().join("srum-win11-dirty-with-logs"), tmp.path());
    writable(tmp.path());
    let path = tmp.path().join("SRUDB.dat");
    let mut bytes = std::fs::read(&path).unwrap();
    let off = esescope::format::header::field_offset("signDb").unwrap();
    bytes[off] ^= 0xFF;
    let sum = esescope::format::checksum::legacy_xor(&bytes[..4096]);
    bytes[..4].copy_from_slice(&sum.to_le_bytes());
    let first = bytes[..4096].to_vec();
    bytes[4096..8192].copy_from_slice(&first);
    std::fs::write(&path, &bytes).unwrap();
    let db = Database::open(&path).unwrap();
    let set = open_set(tmp.path(), &db);
    // the plan says so too
    let plan = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap();
    assert!(plan.dbid.is_none() && plan.refuses());
    let out = tmp.path().join("new.dat");
    let err =
        recovery::recover(&db, &set, StartAt::Recovery, &out, esescope::format::LogTime::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(
        matches!(&err, esescope::Error::Recovery { source: RecoveryError::NotAttached { .. }, .. }),
        "{err}"
    );
    assert!(!out.exists());
}
