//! Issue 14 item 8, issue 18 item 3: the long log set of
//! `examples/replay_set.rs` (the bench's replay measurement), on a short
//! chain made by the same generator: every page record is redone, and the
//! recovered database has exactly the rows the generator meant: those of
//! its own final-state database, and as many as its row model counts.

use std::path::Path;
use std::process::Command;

use esescope::writer::replay_set::write_replay_set;
use serde_json::Value;

fn esescope(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esescope")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn export(path: &Path) -> Value {
    let (code, stdout, stderr) = esescope(&["export", s(path), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let mut v: Value = serde_json::from_slice(&stdout).unwrap();
    v.as_object_mut().unwrap().remove("file");
    v
}

/// Recovers the chain in `set` into `dir/new.edb` and checks its rows
/// against the generator's final-state database.
fn recovers_to_the_generators_rows(dir: &Path, set: &Path, made: &esescope::writer::replay_set::ReplaySet) {
    let db = set.join("database.edb");
    let out = dir.join("new.edb");
    let (code, stdout, stderr) = esescope(&["recover", s(&db), "--logs", s(set), "--out", s(&out)]);
    assert_eq!(code, 0, "{stderr}\n{}", String::from_utf8_lossy(&stdout));
    let (ours, meant) = (export(&out), export(&set.join("expected.edb")));
    assert_eq!(ours, meant, "the recovered rows are the generator's");
    let table = ours["tables"].as_array().unwrap().iter().find(|t| t["name"] == "events").unwrap();
    assert_eq!(table["rows"].as_array().unwrap().len(), made.rows, "as many rows as the row model holds");
    assert_ne!(export(&db), ours, "the database given to recovery is the old state");
}

#[test]
fn a_generated_chain_recovers_to_the_rows_the_generator_meant() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    let made = write_replay_set(&set, 20, 16, true).unwrap();
    assert!(
        made.splits > 0 && made.deletes > 0 && made.replaces > 0 && made.inserts > made.deletes,
        "{made:?}"
    );

    // the plan: every page record is redone, none skipped or stopped
    let db = set.join("database.edb");
    let (code, stdout, stderr) =
        esescope(&["recover", s(&db), "--logs", s(&set), "--plan", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_slice(&stdout).unwrap();
    let plan = if plan.get("plan").is_some() { &plan["plan"] } else { &plan };
    assert_eq!(plan["page_records"], made.page_records, "{stderr}");
    assert_eq!(plan["decisions"]["apply"], made.page_records);
    assert_eq!((plan["decisions"]["skip"].as_u64(), plan["decisions"]["stop"].as_u64()), (Some(0), Some(0)));

    recovers_to_the_generators_rows(dir.path(), &set, &made);
}

/// Generations of 16 KiB (8 KiB of records each): split macros begin in one
/// generation and end in the next, so their records are held back across
/// the boundary while the first generation is dropped.
#[test]
fn split_macros_that_cross_a_generation_boundary_are_redone() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    let made = write_replay_set(&set, 300, 4, true).unwrap();
    assert!(made.splits >= 5, "{made:?}");
    let logs = esescope::txlog::open(&set, "edb", None).unwrap();
    let mut begun = std::collections::HashMap::new();
    let mut crossing = 0;
    for (_, log) in logs.generations() {
        for r in log.unwrap().records.records {
            let procid = u16::from_le_bytes([r.bytes[1], r.bytes[2]]);
            match r.record_type.0 {
                11 => {
                    begun.insert(procid, r.lgpos.generation);
                }
                12 => crossing += usize::from(begun.remove(&procid).is_some_and(|g| g != r.lgpos.generation)),
                _ => {}
            }
        }
    }
    assert!(crossing > 0, "no macro crosses a generation boundary: the test shows nothing");
    recovers_to_the_generators_rows(dir.path(), &set, &made);
}
