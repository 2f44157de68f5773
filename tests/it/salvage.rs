//! Issue 16 (salvage): a sound database out of each damaged sample without
//! a clean copy. The new file verifies with `verify --trees`, two
//! independent readers read it (and dissect.esedb's reads through each
//! secondary index agree with the table), and its rows are the clean
//! sample's rows minus exactly the rows of the pages that cannot be read,
//! which the report counts. The input is never changed; a cancel leaves no
//! file.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};

use esescope::cli::database::VerifyArgs;
use esescope::cli::output::OutputArgs;
use esescope::cli::salvage::SalvageArgs;
use esescope::cli::{self, Command};
use esescope::format::LogTime;
use esescope::salvage::Options;
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use serde_json::Value;

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs")
}

pub fn salvage(file: &Path, out: &Path, from: Option<&Path>) -> (ExitCode, Value) {
    let args = SalvageArgs {
        file: file.to_path_buf(),
        out: out.to_path_buf(),
        from: from.map(Path::to_path_buf),
        include_recovered: false,
        output: OutputArgs::json(),
    };
    let mut stdout = Vec::new();
    let code = cli::run(&Command::Salvage(args), &mut stdout).unwrap();
    (code, serde_json::from_slice(&stdout).unwrap())
}

pub fn sha256(path: &Path) -> String {
    Database::open(path).unwrap().sha256().unwrap()
}

/// Every live row of every user table: (table, primary key) → values as JSON.
pub fn rows(path: &Path) -> BTreeMap<(String, Vec<u8>), String> {
    let db = Database::open(path).unwrap();
    let catalog = Catalog::read(&db);
    let mut rows = BTreeMap::new();
    for def in catalog.tables.iter().filter(|t| !t.table.name.starts_with("MSys")) {
        let table = Table::new(&db, &catalog, def);
        table.keyed_rows(false, |key, row| {
            let values = serde_json::to_string(&row.values).unwrap();
            rows.insert((def.table.name.clone(), key.to_vec()), values);
        });
    }
    rows
}

pub fn verify_trees_exit(path: &Path) -> ExitCode {
    let args = VerifyArgs { file: path.to_path_buf(), trees: true, output: OutputArgs::json() };
    cli::run(&Command::Verify(args), &mut Vec::new()).unwrap()
}

/// Runs a reader script; `None` when python3 or the reader is missing
/// outside CI (under CI that is a failure).
pub fn script(name: &str, args: &[&Path]) -> Option<(bool, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name);
    let ci = std::env::var_os("CI").is_some();
    let output = match Process::new("python3").arg(&path).args(args).output() {
        Ok(o) => o,
        Err(e) if !ci => {
            eprintln!("skipped: python3 cannot run ({e})");
            return None;
        }
        Err(e) => panic!("python3 cannot run: {e}"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    if stderr.contains("ModuleNotFoundError") && !ci {
        eprintln!("skipped: {stderr}");
        return None;
    }
    Some((output.status.success(), String::from_utf8_lossy(&output.stdout).to_string() + &stderr))
}

/// pyesedb and dissect.esedb read every row of every user table of `path`
/// (`counts`: rows per table), and every secondary index agrees with its table.
pub fn readers_read(path: &Path, counts: &BTreeMap<String, usize>) {
    for (table, count) in counts {
        let t = Path::new(table.as_str());
        if let Some((ok, out)) = script("pyesedb_read.py", &[path, t]) {
            assert!(ok, "pyesedb on {}: {out}", path.display());
            assert_eq!(
                out.split_whitespace().next(),
                Some(count.to_string().as_str()),
                "pyesedb {table}: {out}"
            );
            assert_eq!(out.split_whitespace().nth(1), Some("0"), "pyesedb {table} failed values: {out}");
        }
        if let Some((ok, out)) = script("dissect_read_table.py", &[path, t]) {
            assert!(ok, "dissect.esedb on {}: {out}", path.display());
            assert_eq!(out.trim(), count.to_string(), "dissect.esedb {table}");
        }
    }
    if let Some((ok, out)) = script("dissect_index_check.py", &[path]) {
        assert!(ok, "dissect.esedb index reads on {}: {out}", path.display());
        for line in out.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            // every index of the teaching schema has an entry for every row
            assert_eq!(words.get(2), words.get(3), "index entries vs rows: {line}");
        }
    }
}

/// The key ranges of the unreadable pages of table `table` in the report.
fn lost_ranges(report: &Value, table: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    report["unreadable_pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["tree"] == format!("table {table}"))
        .map(|p| {
            let key = |k: &str| hex::decode(p[k].as_str().unwrap()).unwrap();
            (key("lower_key"), key("upper_key"))
        })
        .collect()
}

fn in_range(key: &[u8], (lower, upper): &(Vec<u8>, Vec<u8>)) -> bool {
    key >= lower.as_slice() && (upper.is_empty() || key < upper.as_slice())
}

#[test]
fn every_damaged_sample_salvages_to_the_clean_rows_minus_the_unreadable_pages() {
    let dir = tempfile::tempdir().unwrap();
    let clean = rows(&samples().join("clean-4k.edb"));
    for name in ["bitflip", "multibit", "misplaced", "zeroed", "torn", "broken-siblings", "headers-disagree"]
    {
        let input = samples().join(format!("{name}.edb"));
        let before = sha256(&input);
        let out = dir.path().join(format!("{name}-salvaged.edb"));
        let (code, report) = salvage(&input, &out, None);
        assert_eq!(sha256(&input), before, "{name}: the input changed");
        assert_eq!(report["input"]["sha256"], before);
        assert_eq!(report["output"]["sha256"].as_str().unwrap(), sha256(&out));
        assert!(Path::new(&format!("{}.salvage.txt", out.display())).exists());
        assert!(Path::new(&format!("{}.salvage.json", out.display())).exists());

        assert_eq!(verify_trees_exit(&out), ExitCode::SUCCESS, "{name}: verify --trees of the new file");
        assert_eq!(report["verify_after"], serde_json::json!([]), "{name}");

        let new = rows(&out);
        for (key, values) in &new {
            assert_eq!(
                clean.get(key),
                Some(values),
                "{name}: a row of the new file is not the clean one: {key:?}"
            );
        }
        let lost: Vec<&(String, Vec<u8>)> = clean.keys().filter(|k| !new.contains_key(*k)).collect();
        let mut total = 0;
        for table in report["tables"].as_array().unwrap() {
            let tname = table["name"].as_str().unwrap();
            let lost_here: BTreeSet<&[u8]> =
                lost.iter().filter(|(t, _)| t == tname).map(|(_, k)| k.as_slice()).collect();
            assert_eq!(table["rows_lost"].as_u64().unwrap() as usize, lost_here.len(), "{name} {tname}");
            assert_eq!(table["rows_lost_exact"], true, "{name} {tname}");
            let ranges = lost_ranges(&report, tname);
            // lost = exactly the clean rows whose keys lie on an unreadable page
            for (t, key) in clean.keys().filter(|(t, _)| t == tname).map(|(t, k)| (t, k.as_slice())) {
                let on_lost_page = ranges.iter().any(|r| in_range(key, r));
                assert_eq!(on_lost_page, lost_here.contains(key), "{name}: {t} row {}", hex::encode(key));
            }
            total += lost_here.len();
        }
        assert_eq!(code, ExitCode::from(u8::from(total > 0)), "{name}: exit code");
        if name == "bitflip" {
            assert_eq!(total, 0, "bitflip.edb loses nothing");
            assert_eq!(report["corrected_pages"].as_array().unwrap().len(), 3);
        }
        if ["multibit", "misplaced", "zeroed", "torn"].contains(&name) {
            assert!(total > 0, "{name}: its unreadable leaf costs rows");
        }
        for index in report["indexes"].as_array().unwrap() {
            assert_eq!(index["complete"], true, "{name}: {index}");
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (t, _) in new.keys() {
            *counts.entry(t.clone()).or_default() += 1;
        }
        readers_read(&out, &counts);
    }
}

#[test]
fn a_copy_supplies_the_unreadable_page_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("from-copy.edb");
    let clean = samples().join("clean-4k.edb");
    let (code, report) = salvage(&samples().join("zeroed.edb"), &out, Some(&clean));
    assert_eq!(code, ExitCode::SUCCESS, "{report}");
    assert_eq!(report["pages_from_copy"], serde_json::json!([32]));
    assert_eq!(rows(&out), rows(&clean));
}

#[test]
fn salvage_refuses_an_existing_output_and_a_cancel_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("exists.edb");
    std::fs::write(&existing, b"keep me").unwrap();
    let args = SalvageArgs {
        file: samples().join("torn.edb"),
        out: existing.clone(),
        from: None,
        include_recovered: false,
        output: OutputArgs::json(),
    };
    assert!(cli::run(&Command::Salvage(args), &mut Vec::new()).is_err());
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");

    let db = Database::open(samples().join("torn.edb")).unwrap();
    let options = Options { from: None, include_recovered: false, now: LogTime::default() };
    for stop_at in [1, 3, 6] {
        let out = dir.path().join(format!("cancelled-{stop_at}.edb"));
        let mut calls = 0;
        let report = esescope::salvage::salvage(&db, &out, options, |_| {
            calls += 1;
            if calls >= stop_at {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert!(report.cancelled, "stopped at call {stop_at}");
        assert!(report.output.is_none());
        assert!(!out.exists());
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("exists.edb")], "no temporary file is left");
}

#[test]
fn the_new_header_is_clean_with_the_repair_counted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("header.edb");
    salvage(&samples().join("torn.edb"), &out, None);
    let before = Database::open(samples().join("torn.edb")).unwrap();
    let after = Database::open(&out).unwrap();
    let (b, a) = (before.header().unwrap(), after.header().unwrap());
    assert_eq!(a.sign_db, b.sign_db);
    assert_eq!(a.version, b.version);
    assert_eq!(a.update_major, b.update_major);
    assert_eq!(after.page_size(), before.page_size());
    assert_eq!(a.state, esescope::format::header::DbState::CLEAN_SHUTDOWN);
    assert_eq!(a.repair_count, b.repair_count + 1);
    assert!(after.header_copies().iter().all(|c| c.valid));
}

/// `S` in the inspector's jobs view asks where to write, offers a path in
/// the work folder, and the job's report fills the jobs view.
#[test]
fn the_inspector_salvages_from_the_jobs_view() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use esescope::tui::action::{Action, Effect, Prompt, ViewId};
    use esescope::tui::app::App;
    use esescope::tui::theme::Theme;
    use esescope::worker::{JobOutput, WorkerEvent};
    use ratatui::layout::Rect;
    use std::sync::Arc;

    let key = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
    let action = esescope::tui::keymap::action_for(ViewId::Jobs, key);
    assert_eq!(action, Some(Action::Prompt(Prompt::SalvageTo)));

    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(samples().join("torn.edb")).unwrap());
    let mut app = App::new(Arc::clone(&db), Theme { no_color: true }, Rect::new(0, 0, 120, 40));
    app.update(Action::Show(ViewId::Jobs));
    app.update(action.unwrap());
    let (prompt, initial) = app.prompt.clone().unwrap();
    assert_eq!(prompt, Prompt::SalvageTo);
    assert!(initial.ends_with("torn.edb.salvaged"), "{initial}");
    assert!(!Path::new(&initial).starts_with(samples()), "not beside the evidence: {initial}");
    for _ in 0..initial.chars().count() {
        app.update(Action::Backspace);
    }
    let out = dir.path().join("torn.salvaged");
    for c in out.display().to_string().chars() {
        app.update(Action::Input(c));
    }
    let Some(Effect::StartSalvage { out }) = app.update(Action::Enter) else { panic!("no salvage effect") };
    let id = app.start_salvage();
    let result =
        esescope::tui::outputs::run_salvage(&db, &out, LogTime::default(), |_| ControlFlow::Continue(()));
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Salvage(Box::new(result)),
        cancelled: false,
    });
    assert!(out.exists());
    assert!(dir.path().join("torn.salvaged.salvage.txt").exists());
    assert!(dir.path().join("torn.salvaged.salvage.json").exists());
    let text = app.jobs.repair_text.clone().unwrap();
    assert!(text.contains("people: 69 rows kept, 21 lost"), "{text}");
    assert!(text.contains("Report saved to"), "{text}");
}

/// A flag-deleted record is not a row of the table: salvage leaves it out,
/// and `--include-recovered` writes it back, counted in the report.
#[test]
fn include_recovered_writes_flag_deleted_rows_back_and_counts_them() {
    use esescope::format::page::Page;
    use esescope::format::tag::NodeFlags;
    use esescope::format::{PageNumber, PageSize};
    use esescope::writer::page::PageImage;

    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(samples().join("clean-4k.edb")).unwrap();
    let (size, pgno) = (PageSize::K4, PageNumber(30));
    let at = (pgno.0 as usize + 1) * size.len();
    let mut image =
        PageImage::from_page(&Page::parse(&bytes[at..at + size.len()], pgno, size).unwrap()).unwrap();
    image.nodes[0].flags = NodeFlags::DELETED;
    let deleted_key = image.nodes[0].key.clone();
    bytes[at..at + size.len()].copy_from_slice(&image.build().unwrap());
    let input = dir.path().join("deleted.edb");
    std::fs::write(&input, &bytes).unwrap();

    let (code, report) = salvage(&input, &dir.path().join("without.edb"), None);
    assert_eq!(code, ExitCode::SUCCESS, "a deleted record is not a lost row: {report}");
    let without = rows(&dir.path().join("without.edb"));
    assert!(!without.contains_key(&("people".to_string(), deleted_key.clone())));

    let out = dir.path().join("with.edb");
    let args = SalvageArgs {
        file: input.clone(),
        out: out.clone(),
        from: None,
        include_recovered: true,
        output: OutputArgs::json(),
    };
    let mut stdout = Vec::new();
    cli::run(&Command::Salvage(args), &mut stdout).unwrap();
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    let people = report["tables"].as_array().unwrap().iter().find(|t| t["name"] == "people").unwrap();
    assert_eq!(people["rows_recovered"], 1);
    assert_eq!(people["rows_kept"], 90);
    let with = rows(&out);
    let clean = rows(&samples().join("clean-4k.edb"));
    let key = ("people".to_string(), deleted_key);
    assert_eq!(with.get(&key), clean.get(&key), "the deleted record comes back with its values");
    assert_eq!(verify_trees_exit(&out), ExitCode::SUCCESS);
}

/// The JSON report (stdout and NEW.salvage.json) follows
/// `schema/esescope.schema.json#/$defs/salvage_report`, and the Markdown
/// rendering names the tables.
#[test]
fn the_report_follows_the_schema_and_renders_as_markdown() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$ref"] = Value::String("#/$defs/salvage_report".into());
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let dir = tempfile::tempdir().unwrap();
    for name in ["torn", "bitflip", "headers-disagree"] {
        let out = dir.path().join(format!("{name}.edb"));
        let (_, report) = salvage(&samples().join(format!("{name}.edb")), &out, None);
        let errors: Vec<String> =
            validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let saved: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{}.salvage.json", out.display())).unwrap(),
        )
        .unwrap();
        assert_eq!(saved, report, "NEW.salvage.json is the document printed");
    }
    let args = SalvageArgs {
        file: samples().join("zeroed.edb"),
        out: dir.path().join("md.edb"),
        from: None,
        include_recovered: false,
        output: OutputArgs { format: Some(esescope::cli::output::Format::Md), ..OutputArgs::text() },
    };
    let mut stdout = Vec::new();
    cli::run(&Command::Salvage(args), &mut stdout).unwrap();
    let md = String::from_utf8(stdout).unwrap();
    assert!(md.starts_with("## Salvage of") || md.starts_with("# Salvage of"), "{md}");
    assert!(md.contains("people") && md.contains("rows_lost"), "{md}");
}

/// A lost internal page costs no row: its leaves are read along the leaf
/// chain. A stale copy of one of those leaves elsewhere in the file (the
/// content a freed page keeps), with other values, is not taken: nothing in
/// the chain links to it.
#[test]
fn a_lost_internal_page_costs_no_row_and_a_stale_leaf_is_refused() {
    use esescope::format::page::Page;
    use esescope::format::{PageNumber, PageSize};
    use esescope::store::cursor::walk;
    use esescope::writer::page::PageImage;

    let clean_path = samples().join("clean-8k.edb");
    let clean_db = Database::open(&clean_path).unwrap();
    let catalog = Catalog::read(&clean_db);
    let files = catalog.table("files").unwrap().pgno_fdp();
    let tree = walk(&clean_db, files, |_, _| {});
    let internal = tree.pages.iter().find(|p| p.depth == 1 && !p.leaf).unwrap().pgno;
    let leaf = tree.pages.iter().find(|p| p.leaf).unwrap().pgno;
    let zero_page = clean_db.page_numbers().find(|&p| clean_db.page(p).unwrap().is_zeroed()).unwrap();
    drop(clean_db);

    let size = PageSize::K8;
    let at = |p: PageNumber| (p.0 as usize + 1) * size.len();
    let mut bytes = std::fs::read(&clean_path).unwrap();
    // the stale copy: the first leaf's content at an unused page, one value changed
    let page = Page::parse(&bytes[at(leaf)..at(leaf) + size.len()], leaf, size).unwrap();
    let mut stale = PageImage::from_page(&page).unwrap();
    stale.pgno = zero_page;
    let last = stale.nodes[0].data.len() - 1;
    stale.nodes[0].data[last] ^= 0x20;
    let stale = stale.build().unwrap();
    bytes[at(zero_page)..at(zero_page) + size.len()].copy_from_slice(&stale);
    bytes[at(internal)..at(internal) + size.len()].fill(0);
    let (_dir, out, code, report) = salvage_bytes(&bytes);
    assert_eq!(code, ExitCode::SUCCESS, "nothing was lost: {report}");
    let lost: Vec<u64> =
        report["unreadable_pages"].as_array().unwrap().iter().map(|p| p["pgno"].as_u64().unwrap()).collect();
    assert_eq!(lost, vec![u64::from(internal.0)]);
    let bridged = report["bridged_pages"].as_array().unwrap();
    assert!(bridged.iter().any(|b| b[1] == leaf.0), "the leaf under the lost page is read along the chain");
    assert!(!bridged.iter().any(|b| b[1] == zero_page.0), "the stale copy is not taken");
    assert_eq!(rows(&out), rows(&clean_path), "every row, with its own values");
    assert_eq!(verify_trees_exit(&out), ExitCode::SUCCESS);
}

/// `bytes` written to a file in a new directory and salvaged there:
/// the directory (kept while the test looks), the new file, the exit code
/// and the JSON report.
fn salvage_bytes(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, ExitCode, Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("damaged.edb");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("salvaged.edb");
    let (code, report) = salvage(&input, &out, None);
    (dir, out, code, report)
}

/// Two trees whose internal pages are lost: both are read back along
/// their leaf chains, the second from the same scan of the file's page
/// headers as the first (`bridge::LeafPages`), and no row is lost.
#[test]
fn two_trees_with_lost_internal_pages_both_read_back_along_their_chains() {
    use esescope::format::PageSize;
    use esescope::store::cursor::walk;

    let clean_path = samples().join("clean-8k.edb");
    let clean_db = Database::open(&clean_path).unwrap();
    let catalog = Catalog::read(&clean_db);
    // every table's tree with an internal page: its first internal page
    let mut lost = Vec::new();
    let mut leaves = Vec::new();
    for def in &catalog.tables {
        let tree = walk(&clean_db, def.pgno_fdp(), |_, _| {});
        if let Some(internal) = tree.pages.iter().find(|p| !p.leaf) {
            lost.push(internal.pgno);
            leaves.push(tree.pages.iter().find(|p| p.leaf).unwrap().pgno);
        }
    }
    drop(clean_db);
    assert!(lost.len() >= 2, "the sample has two tables of more than one level: {lost:?}");

    let size = PageSize::K8;
    let mut bytes = std::fs::read(&clean_path).unwrap();
    for pgno in &lost {
        let at = (pgno.0 as usize + 1) * size.len();
        bytes[at..at + size.len()].fill(0);
    }
    let (_dir, out, code, report) = salvage_bytes(&bytes);
    assert_eq!(code, ExitCode::SUCCESS, "nothing was lost: {report}");
    let bridged = report["bridged_pages"].as_array().unwrap();
    for leaf in &leaves {
        assert!(bridged.iter().any(|b| b[1] == leaf.0), "leaf {leaf} is read along its chain: {bridged:?}");
    }
    assert_eq!(rows(&out), rows(&clean_path), "every row, with its own values");
    assert_eq!(verify_trees_exit(&out), ExitCode::SUCCESS);
}
