//! Issue 13's recovery items on crafted logs: a page record may touch only
//! pages the database can have (item 2, with the output size limit and its
//! override), a page that fails its checksum never supplies its dbtime
//! (item 6), and `recover --plan` checks every record as `recover` redoes
//! it (item 9, with a property test over mutated pages of the committed
//! dirty-with-logs sample). Each crafted log is made here by the writer on
//! a copy of the bundled clean sample.

use std::path::{Path, PathBuf};
use std::process::Command;

use esescope::format::{Lgpos, LogTime, PageNumber};
use esescope::store::Database;
use esescope::writer::header::lgpos_bytes;
use esescope::writer::log_record::{self as lr, NodeHeader};
use esescope::writer::log_record_space as space;
use esescope::writer::txlog::{checkpoint, LogBuilder};
use serde_json::Value;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb")
}

/// A copy of the clean sample in dirty shutdown with one generation whose
/// records after Init2, AttachDB and Begin0 are what `body` appends (it
/// gets the base, the log and the next dbtime). Returns the directory.
fn crafted(body: impl FnOnce(&Database, &mut LogBuilder, u64)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let base = Database::open(sample()).unwrap();
    let header = base.header().unwrap().clone();
    let sign_log = esescope::writer::header::signature(13, LogTime::from_unix(1_767_225_600, 0));
    let mut log = crate::common::first_generation(sign_log);
    let attach =
        log.append(&lr::attach_db(0, 1, Lgpos::default(), header.sign_db, sign_log, "db.edb")).unwrap();
    log.append(&lr::begin0(1, 1)).unwrap();
    let dbtime = base
        .page_numbers()
        .filter_map(|n| base.page(n).ok().map(|p| p.header.dbtime_dirtied.0))
        .max()
        .unwrap_or(0)
        .max(header.dbtime_dirtied.0)
        + 1;
    body(&base, &mut log, dbtime);
    log.append(&lr::commit0(1, 1)).unwrap();
    let (bytes, _, _) = log.finish(LogTime::default());
    std::fs::write(tmp.path().join("edb.log"), bytes).unwrap();
    std::fs::write(
        tmp.path().join("edb.chk"),
        checkpoint(sign_log, Lgpos { generation: 1, isec: 1, ib: 0 }, &[]),
    )
    .unwrap();
    let mut db: Vec<u8> = base.chunks().map(|c| c.unwrap().to_vec()).collect::<Vec<_>>().concat();
    let put = |db: &mut Vec<u8>, name: &str, value: &[u8]| {
        let off = esescope::format::header::field_offset(name).unwrap();
        db[off..off + value.len()].copy_from_slice(value);
    };
    put(&mut db, "le_dbstate", &2u32.to_le_bytes());
    put(&mut db, "signLog", &sign_log.0);
    put(&mut db, "le_lgposAttach", &lgpos_bytes(attach));
    put(&mut db, "le_lgposConsistent", &[0; 8]);
    put(&mut db, "le_lGenMinRequired", &1i32.to_le_bytes());
    put(&mut db, "le_lGenMaxRequired", &1i32.to_le_bytes());
    let sum = esescope::format::checksum::legacy_xor(&db[..8192]);
    db[..4].copy_from_slice(&sum.to_le_bytes());
    let first = db[..8192].to_vec();
    db[8192..16384].copy_from_slice(&first);
    std::fs::write(tmp.path().join("db.edb"), &db).unwrap();
    tmp
}

fn esescope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esescope")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `recover --plan` (JSON) and `recover --out`: (plan exit, plan, recover exit, its stderr);
/// asserts no output file is left when recovery refuses.
fn plan_and_recover(dir: &Path, extra: &[&str]) -> (i32, Value, i32, String) {
    let db = dir.join("db.edb");
    let db = db.to_str().unwrap();
    let mut args = vec!["recover", db, "--plan", "--format", "json"];
    args.extend(extra);
    let (plan_code, stdout, stderr) = esescope(&args);
    let plan: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let out = dir.join("out.edb");
    let mut args = vec!["recover", db, "--out", out.to_str().unwrap()];
    args.extend(extra);
    let (code, _, stderr) = esescope(&args);
    if code != 0 {
        assert!(!out.exists(), "a refused recovery wrote {}", out.display());
    }
    (plan_code, plan, code, stderr)
}

fn stop_entry(plan: &Value) -> &Value {
    plan["entries"].as_array().unwrap().iter().find(|e| e["decision"] == "stop").expect("a stop")
}

#[test]
fn a_new_page_far_past_the_file_stops_recovery() {
    let dir = crafted(|_, log, dbtime| {
        log.append(&lr::new_page(1, 1, 0x0100_0000, 5, dbtime)).unwrap();
    });
    let (plan_code, plan, code, stderr) = plan_and_recover(dir.path(), &[]);
    assert_eq!(plan_code, 1);
    let stop = stop_entry(&plan);
    assert_eq!(
        (stop["name"].as_str(), stop["reason"].as_str()),
        (Some("NewPage"), Some("page_outside_database"))
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("NewPage")
            && stderr.contains("page 16777216")
            && stderr.contains("past the last page"),
        "{stderr}"
    );
}

#[test]
fn a_stream_that_logs_extenddb_bounds_its_pages_by_them() {
    let dir = crafted(|base, log, dbtime| {
        let last = base.page_count();
        log.append(&space::extend_db(1, last + 4)).unwrap();
        log.append(&lr::new_page(1, 1, last + 3, 5, dbtime)).unwrap();
        log.append(&lr::new_page(1, 1, last + 9, 5, dbtime + 1)).unwrap();
    });
    let (plan_code, plan, code, stderr) = plan_and_recover(dir.path(), &[]);
    assert_eq!(plan_code, 1);
    let entries = plan["entries"].as_array().unwrap();
    assert_eq!(entries[0]["decision"], "apply", "inside the ExtendDB");
    assert_eq!(entries[1]["reason"], "page_outside_database");
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn an_extenddb_past_the_size_limit_is_refused_unless_the_limit_is_raised() {
    let dir = crafted(|_, log, _| {
        // 200,000 pages of 8 KiB: 1.5 GiB
        log.append(&space::extend_db(1, 200_000)).unwrap();
    });
    let (plan_code, plan, code, stderr) = plan_and_recover(dir.path(), &["--max-output-gib", "1"]);
    assert_eq!(plan_code, 1);
    assert_eq!(plan["size_refusal"]["pgno_last"], 200_000);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("ExtendDB") && stderr.contains("--max-output-gib"), "{stderr}");
    // with the limit raised the plan goes through (nothing is written by --plan)
    let db = dir.path().join("db.edb");
    let (code, stdout, _) =
        esescope(&["recover", db.to_str().unwrap(), "--plan", "--format", "json", "--max-output-gib", "2"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn a_page_failing_its_checksum_never_supplies_its_dbtime() {
    let target = std::cell::Cell::new(0u32);
    let dir = crafted(|base, log, dbtime| {
        // an Insert on a leaf of the base, at its dbtime
        let (pgno, page) = base
            .page_numbers()
            .filter_map(|n| base.page(n).ok().map(|p| (n.0, p)))
            .find(|(_, p)| {
                p.header.flags.contains(esescope::format::page::PageFlags::LEAF) && p.header.tag_count > 2
            })
            .unwrap();
        target.set(pgno);
        let h = NodeHeader {
            procid: 1,
            dbid: 1,
            pgno,
            dbtime_after: dbtime,
            dbtime_before: page.header.dbtime_dirtied.0,
            trx_begin0: 1,
            level: 1,
            iline: 0,
            flags: 0,
            rceid: 0,
            pgno_fdp: pgno,
            objid_fdp: page.header.objid_fdp.0,
        };
        log.append(&lr::insert(&h, &[0], 0, &[1, 2, 3])).unwrap();
    });
    // the page becomes 0xFF bytes: its "dbtime" would say the Insert is done
    let path = dir.path().join("db.edb");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = PageNumber(target.get()).file_offset(esescope::format::PageSize::K8) as usize;
    bytes[at..at + 8192].fill(0xFF);
    std::fs::write(&path, bytes).unwrap();
    let (plan_code, plan, code, stderr) = plan_and_recover(dir.path(), &[]);
    assert_eq!(plan_code, 1);
    let stop = stop_entry(&plan);
    assert_eq!(stop["reason"], "page_damaged");
    assert_eq!(stop["pages"][0]["verdict"], "damaged");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("fails its checksum"), "{stderr}");
}

#[test]
fn the_plan_stops_where_redo_would_fail() {
    let dir = crafted(|base, log, dbtime| {
        let (pgno, page) = base
            .page_numbers()
            .filter_map(|n| base.page(n).ok().map(|p| (n.0, p)))
            .find(|(_, p)| {
                p.header.flags.contains(esescope::format::page::PageFlags::LEAF) && p.header.tag_count > 2
            })
            .unwrap();
        // a Delete of line 900: the dbtime rule says redo, the page has no such line
        let h = NodeHeader {
            procid: 1,
            dbid: 1,
            pgno,
            dbtime_after: dbtime,
            dbtime_before: page.header.dbtime_dirtied.0,
            trx_begin0: 1,
            level: 1,
            iline: 900,
            flags: 0,
            rceid: 0,
            pgno_fdp: pgno,
            objid_fdp: page.header.objid_fdp.0,
        };
        log.append(&lr::delete(&h)).unwrap();
    });
    let (plan_code, plan, code, stderr) = plan_and_recover(dir.path(), &[]);
    assert_eq!(plan_code, 1, "the plan predicts the refusal");
    let stop = stop_entry(&plan);
    assert_eq!(stop["reason"], "redo_fails");
    assert!(stop["detail"].as_str().unwrap().contains("line 900"), "{stop}");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("line 900"), "{stderr}");
}

/// The pages the committed dirty-with-logs sample's log touches.
fn touched_pages(db: &Database, set: &esescope::txlog::LogSet) -> Vec<u32> {
    let plan = esescope::recovery::plan(db, set, esescope::recovery::StartAt::Recovery, |_| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let mut pages: Vec<u32> =
        plan.entries.iter().flat_map(|e| e.pages.iter().map(|p| p.touch.pgno)).collect();
    pages.sort_unstable();
    pages.dedup();
    pages.retain(|&p| p <= db.page_count());
    pages
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 24,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x1413_0009),
        ..Default::default()
    })]

    /// Issue 13 item 9: for random mutations of the pages a real-shaped log
    /// touches (bytes changed, resealed or not), `recover --plan` refuses
    /// exactly when `recover` does.
    #[test]
    fn the_plan_refuses_exactly_when_recovery_does(
        pick in 0usize..64,
        at in 40usize..8192,
        len in 1usize..64,
        value: u8,
        reseal: bool,
    ) {
        use std::ops::ControlFlow;
        use esescope::recovery::{self, Limits, StartAt};
        let tmp = tempfile::tempdir().unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/dirty-with-logs");
        for file in std::fs::read_dir(&dir).unwrap().flatten() {
            std::fs::copy(file.path(), tmp.path().join(file.file_name())).unwrap();
        }
        let path = tmp.path().join("database.edb");
        let original = Database::open(&path).unwrap();
        let set = crate::recovery::open_set(tmp.path(), &original);
        let pages = touched_pages(&original, &set);
        let pgno = pages[pick % pages.len()];
        let size = original.page_size();
        drop(original);
        let mut bytes = std::fs::read(&path).unwrap();
        let start = PageNumber(pgno).file_offset(size) as usize;
        let page = &mut bytes[start..start + size.len()];
        let end = (at + len).min(page.len());
        page[at.min(end)..end].fill(value);
        if reseal {
            esescope::writer::page::seal_page(page, PageNumber(pgno), size);
        }
        std::fs::write(&path, &bytes).unwrap();
        let db = Database::open(&path).unwrap();
        let set = crate::recovery::open_set(tmp.path(), &db);
        let plan = recovery::plan_limited(&db, &set, StartAt::Recovery, Limits::default(), |_| ControlFlow::Continue(()));
        let plan_refuses = plan.as_ref().map_or(true, |p| p.refuses());
        let out = tmp.path().join("out.edb");
        let recovered = recovery::recover(&db, &set, StartAt::Recovery, &out, LogTime::default(), |_| ControlFlow::Continue(()));
        proptest::prop_assert_eq!(
            plan_refuses,
            recovered.is_err(),
            "page {} bytes {}..{} = {:#x} (resealed {}): plan {:?}, recover {:?}",
            pgno, at, end, value, reseal,
            plan.as_ref().map(|p| p.first_stop().map(|e| (e.lgpos, e.reason))),
            recovered.as_ref().err().map(ToString::to_string)
        );
        proptest::prop_assert_eq!(out.exists(), recovered.is_ok());
    }
}
