//! Issue 4: every real log and checkpoint reads cleanly, the chain verdicts
//! are right, and damage made in temporary copies is named precisely.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use esescope::cli::logs::{CheckpointArgs, LogArgs, LogsArgs};
use esescope::cli::output::OutputArgs;
use esescope::cli::{self, Command};
use esescope::format::checkpoint::Checkpoint;
use esescope::format::txlog::LogFile;
use esescope::txlog::{classify, Role};
use serde_json::Value;

use crate::common::real_samples;

fn files_with(roles: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(real_samples()).unwrap().flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let role = classify(&name).map(|(_, r)| r);
            let kind = match role {
                Some(Role::Checkpoint) => "checkpoint",
                Some(Role::Reserve) | None => continue,
                Some(_) => "log",
            };
            if roles.contains(&kind) {
                found.push(file.path());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_real_log_reads_without_damage() {
    let logs = files_with(&["log"]);
    assert!(logs.len() >= 15, "{logs:?}");
    let mut records = 0;
    for path in &logs {
        let log = LogFile::parse(&std::fs::read(path).unwrap()).unwrap();
        let name = path.display();
        assert!(log.header.checksum_ok(), "{name}: header checksum");
        assert!(log.header_problems.is_empty(), "{name}: {:?}", log.header_problems);
        assert!(log.body_problems().is_empty(), "{name}: {:?}", log.body_problems());
        assert!(!log.records.records.is_empty(), "{name}: no records");
        for record in &log.records.records {
            assert_ne!(record.record_type.name(), "invalid", "{name}: {}", record.line());
            assert!(record.lgpos.generation == log.header.generation);
        }
        records += log.records.records.len();
    }
    assert!(records > 5000, "{records} records in all");
}

#[test]
fn every_real_checkpoint_verifies() {
    for path in files_with(&["checkpoint"]) {
        let checkpoint = Checkpoint::parse(&std::fs::read(&path).unwrap()).unwrap();
        assert!(checkpoint.copies.iter().all(|c| c.is_valid()), "{}", path.display());
        assert!(!checkpoint.copies_differ);
        let args = CheckpointArgs { file: path.clone(), output: OutputArgs::text() };
        let mut out = Vec::new();
        assert_eq!(cli::run(&Command::Checkpoint(args), &mut out).unwrap(), ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Checkpoint: (0x"), "{text}");
    }
}

fn logs_json(dir: &Path, db: Option<&Path>) -> (ExitCode, Value) {
    let args = LogsArgs {
        dir: dir.to_path_buf(),
        db: db.map(Path::to_path_buf),
        base: None,
        output: OutputArgs::json(),
    };
    let mut out = Vec::new();
    let code = cli::run(&Command::Logs(args), &mut out).unwrap();
    (code, serde_json::from_slice(&out).unwrap())
}

fn chained(set: &Value) -> Vec<i64> {
    set["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["in_chain"] == true)
        .map(|l| l["path"].as_str().unwrap().to_string())
        .map(|p| LogFile::parse(&std::fs::read(p).unwrap()).unwrap().header.generation as i64)
        .collect()
}

fn messages(set: &Value) -> Vec<String> {
    set["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_nine_generation_srum_set_is_complete() {
    let dir = real_samples().join("srum-win10-clean-with-logs");
    let (code, set) = logs_json(&dir, Some(&dir.join("SRUDB.dat")));
    assert_eq!(code, ExitCode::SUCCESS, "{:#?}", messages(&set));
    assert_eq!(chained(&set), (24..=32).collect::<Vec<_>>());
    assert_eq!(set["chain_ok"], true);
    assert!(set["findings"].as_array().unwrap().is_empty(), "{:#?}", messages(&set));
    assert!(set["recovery"]["summary"].as_str().unwrap().contains("no replay needed"));
}

#[test]
fn the_dirty_windows_11_set_needs_generation_92_and_has_it() {
    let dir = real_samples().join("srum-win11-dirty-with-logs");
    let (code, set) = logs_json(&dir, Some(&dir.join("SRUDB.dat")));
    assert_eq!(code, ExitCode::SUCCESS, "{:#?}", messages(&set));
    assert_eq!(chained(&set), vec![89, 90, 91, 92], "the stale generation-80 tmp log is not chained");
    assert_eq!(set["recovery"]["generations"], serde_json::json!([92, 92]));
    assert!(set["recovery"]["missing"].as_array().unwrap().is_empty());
    let tmp = set["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with("SRUtmp.log"))
        .unwrap();
    assert!(tmp["note"].as_str().unwrap().contains("not part of the chain"));
}

#[test]
fn legacy_windows_7_logs_chain_and_place_the_database() {
    let dir = real_samples().join("windowslivemail-win7-8k-with-logs");
    let (code, set) = logs_json(&dir, Some(&dir.join("WindowsMail.MSMessageStore")));
    assert_eq!(code, ExitCode::SUCCESS, "{:#?}", messages(&set));
    assert_eq!(chained(&set), vec![1, 2]);
    // the AttachDB record is exactly where the database header says it attached
    let log = LogFile::parse(&std::fs::read(dir.join("edb.log")).unwrap()).unwrap();
    let attach = log.records.records.iter().find(|r| r.record_type.name() == "AttachDB").unwrap();
    assert_eq!(serde_json::to_value(attach.lgpos).unwrap(), set["database"]["lgpos_attach"]);
    let term = log.records.records.last().unwrap();
    assert_eq!(term.record_type.name(), "Term2");
    assert!(log.records.closed_normally);
}

/// A writable copy of a real log directory.
fn copy_dir(name: &str) -> tempfile::TempDir {
    copy_of(&real_samples().join(name))
}

/// A writable copy of the files of directory `source`.
fn copy_of(source: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(source).unwrap().flatten() {
        std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
    }
    dir
}

#[test]
fn a_deleted_middle_generation_is_named() {
    let dir = copy_dir("srum-win10-clean-with-logs");
    std::fs::remove_file(dir.path().join("SRU0001C.log")).unwrap();
    let (code, set) = logs_json(dir.path(), None);
    assert_eq!(code, ExitCode::from(1));
    let all = messages(&set).join("\n");
    assert!(all.contains("missing log generation(s) 0x1C between"), "{all}");
    assert!(all.contains("-528"));
}

#[test]
fn a_log_of_another_set_is_not_chained() {
    let dir = copy_dir("srum-win10-clean-with-logs");
    std::fs::copy(
        real_samples().join("srum-server2022-clean-with-logs/SRU00004.log"),
        dir.path().join("SRU0001C.log"),
    )
    .unwrap();
    let (code, set) = logs_json(dir.path(), None);
    assert_eq!(code, ExitCode::from(1));
    let all = messages(&set).join("\n");
    assert!(all.contains("SRU0001C.log: its name says generation 0x1C but its header says 0x4"), "{all}");
    assert!(all.contains("SRU0001C.log: log signature") && all.contains("-530"), "{all}");
    assert!(all.contains("missing log generation(s) 0x1C"), "{all}");
    assert!(!chained(&set).contains(&4));
}

#[test]
fn a_flipped_bit_in_a_segment_names_the_generation_and_position() {
    let dir = copy_dir("srum-win11-dirty-with-logs");
    let path = dir.path().join("SRU0005A.log");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[5 * 4096 + 1000] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (code, set) = logs_json(dir.path(), None);
    assert_eq!(code, ExitCode::from(1));
    let findings = set["findings"].as_array().unwrap();
    let finding = findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("segment checksum mismatch"))
        .expect("a segment checksum finding");
    assert_eq!(finding["location"]["generation"], 0x5A);
    assert_eq!(finding["location"]["lgpos"], serde_json::json!({"generation": 0x5A, "isec": 5, "ib": 0}));
    // and, as a consequence, the next generation's record of it no longer matches
    assert!(findings.iter().any(|f| f["message"].as_str().unwrap().contains("-590")));
    // the records before the damage still decode
    let log = LogFile::parse(&bytes).unwrap();
    assert_eq!(log.segments.as_ref().unwrap().last_valid, Some(4));
    assert!(!log.records.records.is_empty());
}

#[test]
fn a_truncated_log_is_named_and_the_rest_parses() {
    let dir = copy_dir("srum-win10-clean-with-logs");
    let path = dir.path().join("SRU0001E.log");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..7 * 4096 + 100]).unwrap();
    let (code, set) = logs_json(dir.path(), None);
    assert_eq!(code, ExitCode::from(1));
    let all = messages(&set).join("\n");
    assert!(all.contains("SRU0001E.log: file size 28772 is not csecLGFile x cbSec = 65536"), "{all}");
    let log = LogFile::parse(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(log.segments.as_ref().unwrap().last_valid, Some(6), "the whole segments before the cut");
    let args = LogArgs { file: path, records: true, output: OutputArgs::text() };
    let mut out = Vec::new();
    assert_eq!(cli::run(&Command::Log(args), &mut out).unwrap(), ExitCode::from(1));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(">0000001E,0001,0000 "), "records still listed:\n{text}");
}

#[test]
fn a_damaged_checkpoint_copy_falls_back_to_the_other() {
    let dir = copy_dir("srum-win11-dirty-with-logs");
    let path = dir.path().join("SRU.chk");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[12] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let checkpoint = Checkpoint::parse(&bytes).unwrap();
    assert_eq!(checkpoint.used, Some(1));
    assert_eq!(checkpoint.current().unwrap().lgpos_checkpoint.generation, 0x5C);
    let (_, set) = logs_json(dir.path(), None);
    let all = messages(&set).join("\n");
    assert!(all.contains("checkpoint copy 0 is damaged"), "{all}");
    assert_eq!(set["recovery"]["generations"], serde_json::json!([0x5C, 0x5C]));
    bytes[4096 + 12] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let (_, set) = logs_json(dir.path(), None);
    assert!(messages(&set).join("\n").contains("both checkpoint copies are damaged (-533"));
}

#[test]
fn logs_of_another_database_are_called_out() {
    let dir = real_samples().join("srum-win10-clean-with-logs");
    let other = real_samples().join("srum-win11-dirty-with-logs/SRUDB.dat");
    let (code, set) = logs_json(&dir, Some(&other));
    assert_eq!(code, ExitCode::from(1));
    let all = messages(&set).join("\n");
    assert!(
        all.contains("the database's signLog is not this log stream's: these logs do not belong to it"),
        "{all}"
    );
    assert_eq!(chained(&set), (24..=32).collect::<Vec<_>>(), "the directory's own chain is intact");
    assert_eq!(set["database"]["same_stream"], false);
    assert!(set["recovery"]["summary"].as_str().unwrap().contains("none of them can replay into"));
}

/// Issue 18: a log set keeps a summary of each generation, not its
/// records; `generations()` reads each file again and gives what a direct
/// parse gives, and a file replaced after the set was read is refused
/// (by `load`, and by a recovery plan, which names the file).
#[test]
fn generations_are_read_again_one_at_a_time_and_a_changed_file_is_refused() {
    use esescope::recovery::{self, RecoveryError, StartAt};
    use esescope::store::Database;
    use esescope::txlog::LogSummary;
    use std::ops::ControlFlow;

    let tmp = copy_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/checkpoint-exhaustion"));
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    let set = esescope::txlog::open(tmp.path(), "edb", db.header().map(|h| (db.path(), h))).unwrap();
    let mut seen = 0;
    for (entry, loaded) in set.generations() {
        let loaded = loaded.unwrap();
        let direct = LogFile::parse(&std::fs::read(&entry.path).unwrap()).unwrap();
        let (kept, again, fresh) =
            (entry.log.as_ref().unwrap(), LogSummary::of(&loaded), LogSummary::of(&direct));
        assert_eq!(loaded.records.records, direct.records.records, "{}", entry.path.display());
        assert_eq!((kept.record_count, kept.first, kept.end), (again.record_count, again.first, again.end));
        assert_eq!((fresh.record_count, fresh.closed_normally), (again.record_count, again.closed_normally));
        assert!(kept.record_count > 0, "{}", entry.path.display());
        seen += 1;
    }
    assert_eq!(seen, set.logs.iter().filter(|e| e.in_chain).count());
    assert!(seen > 10, "{seen} generations");
    // generation 3 replaced by generation 2's file after the set was read
    let third = tmp.path().join("edb00003.log");
    std::fs::copy(tmp.path().join("edb00002.log"), &third).unwrap();
    let entry = set.logs.iter().find(|e| e.path == third).unwrap();
    let err = entry.load().unwrap_err();
    assert!(err.contains("changed since the log set was read") && err.contains("edb00003.log"), "{err}");
    let plan = recovery::plan(&db, &set, StartAt::Oldest, |_| ControlFlow::Continue(()));
    match plan {
        Err(RecoveryError::DamagedGeneration { generation: 3, path, problem }) => {
            assert!(path.ends_with("edb00003.log") && problem.contains("changed"), "{path}: {problem}");
        }
        other => panic!("expected the changed generation 3 to be refused, got {other:?}"),
    }
}

/// A set read by its headers (what `recover` reads before replay) has the
/// same chain as one read whole; only the newest generation's body is read,
/// and a damaged segment of a middle generation, unseen by the headers, is
/// refused by the replay with the error the whole read gives up front.
#[test]
fn a_set_read_by_its_headers_chains_alike_and_replay_checks_the_bodies() {
    use esescope::recovery::{self, RecoveryError, StartAt};
    use esescope::store::Database;
    use esescope::txlog::{open_with, Depth};
    use std::ops::ControlFlow;

    let tmp = copy_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/checkpoint-exhaustion"));
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    let header = db.header().map(|h| (db.path(), h));
    let read = |depth| open_with(tmp.path(), "edb", header, depth).unwrap();
    let chain = |set: &esescope::txlog::LogSet| -> Vec<(PathBuf, Option<i32>)> {
        set.logs.iter().filter(|e| e.in_chain).map(|e| (e.path.clone(), e.generation())).collect()
    };
    let (whole, heads) = (read(Depth::Whole), read(Depth::Headers));
    assert_eq!(chain(&whole), chain(&heads));
    assert!(chain(&heads).len() > 10);
    let in_chain: Vec<_> = heads.logs.iter().filter(|e| e.in_chain).collect();
    let (newest, older) = in_chain.split_last().unwrap();
    assert!(newest.log.as_ref().unwrap().body_read);
    assert_eq!(
        newest.log.as_ref().unwrap().end,
        whole.logs.iter().find(|e| e.path == newest.path).unwrap().log.as_ref().unwrap().end
    );
    assert!(older.iter().all(|e| !e.log.as_ref().unwrap().body_read));
    let plan = |set: &esescope::txlog::LogSet| {
        recovery::plan(&db, set, StartAt::Oldest, |_| ControlFlow::Continue(())).map(|p| p.page_records)
    };
    assert_eq!(plan(&whole).unwrap(), plan(&heads).unwrap());
    // a flipped byte in a data segment of generation 3
    let third = tmp.path().join("edb00003.log");
    let mut bytes = std::fs::read(&third).unwrap();
    bytes[2 * 4096 + 100] ^= 0xFF;
    std::fs::write(&third, bytes).unwrap();
    let (whole, heads) = (read(Depth::Whole), read(Depth::Headers));
    let up_front = plan(&whole).unwrap_err();
    assert!(
        matches!(&up_front, RecoveryError::DamagedGeneration { generation: 3, problem, .. } if problem.contains("checksum")),
        "{up_front}"
    );
    assert_eq!(plan(&heads).unwrap_err(), up_front);
}
