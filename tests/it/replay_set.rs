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

    let out = dir.path().join("new.edb");
    let (code, stdout, stderr) = esescope(&["recover", s(&db), "--logs", s(&set), "--out", s(&out)]);
    assert_eq!(code, 0, "{stderr}\n{}", String::from_utf8_lossy(&stdout));
    let (ours, meant) = (export(&out), export(&set.join("expected.edb")));
    assert_eq!(ours, meant, "the recovered rows are the generator's");
    let table = ours["tables"].as_array().unwrap().iter().find(|t| t["name"] == "events").unwrap();
    assert_eq!(table["rows"].as_array().unwrap().len(), made.rows, "as many rows as the row model holds");
    let before = export(&db);
    assert_ne!(before, ours, "the database given to recovery is the old state");
}
