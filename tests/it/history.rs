//! Issue 17: the history of the rows from the transaction logs. Checked
//! against what the database files say: a clean Windows 10 SRUM database
//! with the logs that wrote its last rows, the Server 2022 pair (an older
//! copy and the later one, with the logs between them), and the writer's
//! dirty sample against its recovered copy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use esescope::cli::history::{HistoryArgs, HistoryFormat};
use esescope::cli::{self, Command};
use esescope::format::value::Value;
use esescope::history::{self, Event, Filter, Now, Operation, Outcome, Summary};
use esescope::store::catalog::Catalog;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::txlog::LogSet;

use crate::common::real_samples;

fn log_set(db: &Database, dir: &Path) -> LogSet {
    let header = db.header().map(|h| (db.path(), h));
    let bases = esescope::txlog::bases(dir).unwrap();
    bases
        .iter()
        .filter_map(|b| esescope::txlog::open(dir, b, header).ok())
        .find(|s| s.database.as_ref().is_some_and(|d| d.same_stream))
        .expect("the database's log set")
}

fn run(db: &Database, dir: &Path) -> (Vec<Event>, Summary) {
    let set = log_set(db, dir);
    let mut events = Vec::new();
    let summary = history::history(db, &set, &Filter::default(), &mut |e| events.push(e), &mut |_| {
        ControlFlow::Continue(())
    });
    (events, summary)
}

/// Every live row of every table of `db`: (table, key hex) -> values.
fn rows(db: &Database) -> BTreeMap<(String, String), Vec<Value>> {
    let catalog = Catalog::read(db);
    let mut all = BTreeMap::new();
    for def in &catalog.tables {
        let table = Table::new(db, &catalog, def);
        table.keyed_rows(false, |key, row| {
            all.insert((def.table.name.clone(), hex::encode(key)), row.values);
        });
    }
    all
}

fn values(event: &Event) -> Vec<Value> {
    event.values.as_ref().map(|v| v.0.iter().map(|(_, v)| v.clone()).collect()).unwrap_or_default()
}

/// The events after which no later event touches the same row.
fn last_per_row(events: &[Event]) -> HashMap<(String, String), usize> {
    let mut last = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(key) = &e.key {
            last.insert((e.table.clone(), key.clone()), i);
        }
    }
    last
}

#[test]
fn every_insert_of_the_windows_10_srum_logs_is_the_databases_row() {
    let dir = real_samples().join("srum-win10-clean-with-logs");
    let db = Database::open(dir.join("SRUDB.dat")).unwrap();
    let (events, summary) = run(&db, &dir);
    assert!(summary.findings.is_empty(), "{:?}", summary.findings);
    assert_eq!(summary.generations.len(), 9, "nine generations (the tmp log among them)");
    let inserts: Vec<&Event> = events.iter().filter(|e| e.operation == Operation::Insert).collect();
    assert!(inserts.len() > 900, "{} inserts", inserts.len());
    // every Insert, Replace and Delete is a row of a named table, decoded without error
    for e in &events {
        assert!(!e.table.is_empty(), "{e:?}");
        assert!(e.errors.is_empty(), "{}: {:?}", e.lgpos, e.errors);
    }
    let now = rows(&db);
    let last = last_per_row(&events);
    let mut checked = 0;
    let mut absent = 0;
    for (i, e) in events.iter().enumerate() {
        let key = (e.table.clone(), e.key.clone().expect("an insert's key is in its record"));
        match now.get(&key) {
            Some(row) if last.get(&key) == Some(&i) && e.operation == Operation::Insert => {
                assert_eq!(&values(e), row, "{} {}", e.lgpos, e.table);
                assert_eq!(e.now, Now::AsLogged);
                checked += 1;
            }
            Some(_) => {}
            None => {
                assert_eq!(e.now, Now::Absent, "{}", e.lgpos);
                absent += 1;
            }
        }
    }
    assert_eq!(checked, inserts.len(), "every insert is still in the database and checked value by value");
    assert_eq!(absent, summary.absent);
    assert_eq!(absent, 0, "a clean database holds every committed insert of its last logs");
}

/// The older Server 2022 SRUM copy and the later logs: the rows the later
/// database has and the older one lacks are exactly the log's inserts,
/// the six tables the logs create included (their catalog rows are in
/// the log, not in the older copy).
#[test]
fn the_rows_the_later_server_2022_copy_gained_are_the_logs_inserts() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for file in std::fs::read_dir(real_samples().join("srum-server2022-clean-with-logs")).unwrap().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.ends_with(".log") || name.ends_with(".chk") {
            std::fs::copy(file.path(), logs.join(&name)).unwrap();
        }
    }
    let earlier_path = tmp.path().join("SRUDB.dat");
    std::fs::copy(real_samples().join("srum-server2022-snapshot-before/SRUDB.dat"), &earlier_path).unwrap();
    let earlier = Database::open(&earlier_path).unwrap();
    let later = Database::open(real_samples().join("srum-server2022-clean-with-logs/SRUDB.dat")).unwrap();
    let (events, summary) = run(&earlier, &logs);
    assert!(summary.findings.is_empty(), "{:?}", summary.findings);
    assert_eq!(summary.decoding_errors, 0);
    let (before, after) = (rows(&earlier), rows(&later));
    let gained: BTreeSet<(String, String)> =
        after.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
    let gone: BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| matches!(e.operation, Operation::Delete | Operation::FlagDelete))
        .filter_map(|e| e.key.clone().map(|k| (e.table.clone(), k)))
        .collect();
    let inserted: BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| e.operation == Operation::Insert && e.outcome == Outcome::Committed)
        .filter_map(|e| e.key.clone().map(|k| (e.table.clone(), k)))
        .filter(|k| !gone.contains(k) && !before.contains_key(k))
        .collect();
    assert_eq!(inserted, gained, "the rows gained are exactly the inserts");
    // each inserted row's values are the later database's
    for e in events.iter().filter(|e| e.operation == Operation::Insert) {
        let key = (e.table.clone(), e.key.clone().unwrap());
        if let Some(row) = after.get(&key) {
            assert_eq!(&values(e), row, "{} {}", e.lgpos, e.table);
        }
    }
    let earlier_tables: BTreeSet<String> =
        Catalog::read(&earlier).tables.into_iter().map(|t| t.table.name).collect();
    let new_tables: BTreeSet<&str> =
        events.iter().map(|e| e.table.as_str()).filter(|t| !earlier_tables.contains(*t)).collect();
    assert_eq!(new_tables.len(), 6, "the six tables the logs create: {new_tables:?}");
    let catalog_rows = inserted.iter().filter(|(table, _)| table == "MSysObjects").count();
    assert_eq!(catalog_rows, 161 - 86, "MSysObjects grows from 86 to 161 rows");
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(name)
}

/// The writer's dirty sample: committed events leave the rows recovery
/// reaches, the open transaction's are open at the end and undone.
#[test]
fn the_dirty_samples_history_matches_its_recovered_copy() {
    let tmp = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(sample("dirty-with-logs")).unwrap().flatten() {
        std::fs::copy(file.path(), tmp.path().join(file.file_name())).unwrap();
    }
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    let (events, summary) = run(&db, tmp.path());
    assert!(summary.findings.is_empty(), "{:?}", summary.findings);
    let out = tmp.path().join("recovered.edb");
    let set = log_set(&db, tmp.path());
    esescope::recovery::recover(
        &db,
        &set,
        esescope::recovery::StartAt::Recovery,
        &out,
        esescope::format::LogTime::default(),
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let recovered = rows(&Database::open(&out).unwrap());
    let ops: BTreeSet<Operation> = events.iter().map(|e| e.operation).collect();
    for op in [
        Operation::Insert,
        Operation::Replace,
        Operation::ReplaceDiff,
        Operation::FlagDelete,
        Operation::Delete,
    ] {
        assert!(ops.contains(&op), "{op:?} in {ops:?}");
    }
    let open: Vec<&Event> = events.iter().filter(|e| e.outcome == Outcome::OpenAtEnd).collect();
    assert_eq!(open.len(), 4, "the transaction open at the crash: {open:?}");
    assert!(open.iter().all(|e| e.procid == open[0].procid));
    for e in &open {
        if e.operation == Operation::Insert {
            let key = (e.table.clone(), e.key.clone().unwrap());
            assert!(
                !recovered.contains_key(&key),
                "an insert of the open transaction is undone: {}",
                e.lgpos
            );
        }
    }
    let last = last_per_row(&events);
    let mut checked = 0;
    for (i, e) in events.iter().enumerate() {
        let Some(key) = e.key.clone().map(|k| (e.table.clone(), k)) else { continue };
        if e.outcome != Outcome::Committed || last.get(&key) != Some(&i) {
            continue;
        }
        match e.operation {
            Operation::Insert | Operation::Replace | Operation::ReplaceDiff => {
                assert_eq!(recovered.get(&key), Some(&values(e)), "{} {:?}", e.lgpos, e.operation);
                checked += 1;
            }
            Operation::Delete | Operation::FlagDelete => {
                assert!(!recovered.contains_key(&key), "{} deleted", e.lgpos);
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked >= 5, "{checked} events checked against the recovered rows");
    // a Replace whose page is followed shows its old and new values
    let replace = events.iter().find(|e| e.operation == Operation::Replace && e.before.is_some()).unwrap();
    assert!(!replace.changed.is_empty());
}

fn cli_history(db: &Path, logs: Option<&Path>, table: Option<&str>, format: HistoryFormat) -> (u8, String) {
    let args = HistoryArgs {
        file: db.to_path_buf(),
        table: table.map(String::from),
        logs: logs.map(Path::to_path_buf),
        base: None,
        from: None,
        to: None,
        format,
    };
    let mut out = Vec::new();
    let code = cli::run(&Command::History(args), &mut out).unwrap();
    let code = if code == std::process::ExitCode::SUCCESS { 0 } else { 1 };
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn every_format_of_the_history_says_the_same() {
    let db = sample("dirty-with-logs/database.edb");
    let (code, text) = cli_history(&db, None, None, HistoryFormat::Text);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("flag-delete · committed · table people"), "{text}");
    assert!(text.contains("open at the end of the log"), "{text}");
    let (_, json) = cli_history(&db, None, None, HistoryFormat::Json);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), doc["summary"]["events"].as_u64().unwrap() as usize);
    assert_eq!(events.len(), text.lines().filter(|l| l.starts_with("(0x")).count());
    for event in events {
        let lgpos = event["lgpos"]["generation"].as_i64().unwrap();
        assert!(lgpos >= 1);
        assert!(
            text.contains(event["operation"].as_str().unwrap().replace('_', "-").split('-').next().unwrap())
        );
    }
    let (_, jsonl) = cli_history(&db, None, None, HistoryFormat::Jsonl);
    let lines: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), events.len() + 1, "an object per event, then the summary");
    let (_, md) = cli_history(&db, None, None, HistoryFormat::Md);
    assert!(md.starts_with("# History of "), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| (0x")).count(), events.len());
    let (_, csv) = cli_history(&db, None, Some("people"), HistoryFormat::Csv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert!(header.iter().any(|h| h == "Name") && header.iter().any(|h| h == "operation"), "{header:?}");
    assert_eq!(reader.records().count(), events.len());
}

/// A generation missing from the middle ends the history there, with a
/// finding naming it; what came before is still shown; exit 1.
#[test]
fn a_missing_generation_ends_the_history_with_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(sample("dirty-with-logs")).unwrap().flatten() {
        if file.file_name() != "edb00002.log" {
            std::fs::copy(file.path(), tmp.path().join(file.file_name())).unwrap();
        }
    }
    let (code, text) = cli_history(&tmp.path().join("database.edb"), None, None, HistoryFormat::Text);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("generation 0x2 is missing"), "{text}");
    assert!(text.contains("the history ends at (0x1,"), "the position it ends at: {text}");
    assert!(text.contains("edb.log is generation 0x3"), "the file found instead: {text}");
    assert!(text.contains("(0x1,1,30D)"), "the first generation's events are shown:\n{text}");
    assert!(!text.contains("(0x3,"), "nothing past the gap:\n{text}");
}

/// A damaged segment in the middle ends the history at its position.
#[test]
fn a_damaged_segment_ends_the_history_at_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(sample("dirty-with-logs")).unwrap().flatten() {
        std::fs::copy(file.path(), tmp.path().join(file.file_name())).unwrap();
    }
    let log = tmp.path().join("edb00002.log");
    let mut bytes = std::fs::read(&log).unwrap();
    // a byte in the first segment's records (segments start after the 4 KiB header)
    bytes[4096 + 0x200] ^= 0xFF;
    bytes[4096 + 0x201] ^= 0x55;
    std::fs::write(&log, &bytes).unwrap();
    let (code, text) = cli_history(&tmp.path().join("database.edb"), None, None, HistoryFormat::Text);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("the history ends at"), "{text}");
    assert!(text.contains("edb00002.log"), "{text}");
    assert!(text.contains("(0x1,1,30D)"), "{text}");
}

/// Issue 17 item 3: in the inspector `H` makes the history in the
/// background; the history view lists the events, `t` keeps one table,
/// `f` one row, `Enter` opens a row the database still has in the records
/// view (selected) or the page of one it lacks; the logs view's record
/// list then names each row operation's table and row.
#[test]
fn the_inspector_shows_the_history_and_opens_its_rows() {
    use esescope::tui::action::{Action, Effect, ViewId};
    use esescope::tui::app::App;
    use esescope::worker::{JobOutput, WorkerEvent};
    let dir = sample("dirty-with-logs");
    let db = std::sync::Arc::new(Database::open(dir.join("database.edb")).unwrap());
    let mut app = App::new(
        std::sync::Arc::clone(&db),
        esescope::tui::theme::Theme { no_color: true },
        ratatui::layout::Rect::new(0, 0, 80, 24),
    );
    app.load_logs(None).unwrap();
    app.update(Action::Show(ViewId::Logs));
    assert_eq!(app.update(Action::StartHistory), Some(Effect::StartHistory));
    let id = app.start_history();
    let (events, summary) = run(&db, &dir);
    let count = events.len();
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::History(Box::new((events.clone(), summary, false))),
        cancelled: false,
    });
    let screen = |app: &App| {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(app.size.width, app.size.height))
                .unwrap();
        terminal.draw(|frame| frame.render_widget(app, frame.area())).unwrap();
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content()
            .chunks(usize::from(buffer.area.width))
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>().trim_end().to_string() + "\n")
            .collect::<String>()
    };
    let text = screen(&app);
    insta::assert_snapshot!("80x24-history", text);
    assert!(text.contains(&format!("History: {count} events")), "{text}");
    // the first event the database still has, opened in the records view
    let target = events.iter().position(|e| e.now == Now::AsLogged).expect("an event as logged");
    for _ in 0..target {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Records);
    let records = app.records.as_ref().unwrap();
    let dump = records.dump.as_ref().expect("the selected row");
    let name =
        events[target].values.as_ref().unwrap().0.iter().find(|(n, _)| n == "Name").unwrap().1.to_text();
    assert!(
        dump.columns.iter().any(|c| c.name == "Name" && c.value.to_text() == name),
        "{name}: {:?}",
        dump.columns
    );
    // back in the history, t keeps the table; f keeps the row
    app.update(Action::Back);
    assert_eq!(app.view, ViewId::Logs);
    app.update(Action::HistoryRow);
    let text = screen(&app);
    assert!(text.contains("one row"), "{text}");
    app.update(Action::HistoryRow);
    app.update(Action::Escape);
    // the log's record list names the table and row of each row operation
    app.update(Action::Enter);
    let text = screen(&app);
    assert!(text.contains("Insert   · people insert Id=1 ·"), "{text}");
    assert!(!text.contains("Event"), "the record list alone:\n{text}");
    // H shows the history made before; y copies the selected event
    app.update(Action::Escape);
    assert_eq!(app.update(Action::StartHistory), None);
    let (copied, what) = app.selection_text();
    assert_eq!(what, "history event");
    let selected = &events[target];
    assert!(copied.starts_with(&format!("{} {}", selected.lgpos, selected.file)), "{copied}");
    assert!(copied.contains("now: in the database as logged"), "{copied}");
}

/// `history --format json` and every `--format jsonl` line validate
/// against `schema/esescope.schema.json`.
#[test]
fn the_history_json_validates_against_the_schema() {
    use serde_json::Value as Json;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let check = |definition: &str, value: &Json| {
        let mut s = schema.clone();
        s["$ref"] = Json::String(format!("#/$defs/{definition}"));
        let validator = jsonschema::validator_for(&s).expect("the schema compiles");
        let errors: Vec<String> =
            validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{definition}: {errors:#?}");
    };
    let db = sample("dirty-with-logs/database.edb");
    let (_, json) = cli_history(&db, None, None, HistoryFormat::Json);
    check("history", &serde_json::from_str(&json).unwrap());
    let (_, jsonl) = cli_history(&db, None, None, HistoryFormat::Jsonl);
    let lines: Vec<Json> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (summary, events) = lines.split_last().unwrap();
    for event in events {
        check("history_event", event);
    }
    check("history_summary", &summary["summary"]);
}

/// A separated value the database does not have is read from the
/// long-value nodes a log inserted (issue 17: long values written in the
/// logs are reassembled). Made from the clean sample: a record's LID is
/// changed to one its tree lacks, and its value's nodes given under it.
#[test]
fn a_long_value_only_in_the_logs_is_reassembled() {
    use esescope::format::record::{Cell, Record, Stored, TaggedLayout};
    use esescope::store::cursor::walk;
    use esescope::store::long_value::LooseNodes;
    let db = Database::open(sample("clean-8k.edb")).unwrap();
    let catalog = Catalog::read(&db);
    let def = catalog.table("people").unwrap();
    let layout = TaggedLayout::for_page(false, true);
    // the first record with a separated value
    let mut found: Option<(Vec<u8>, esescope::format::record::Lid)> = None;
    walk(&db, def.pgno_fdp(), |_, node| {
        if found.is_some() {
            return;
        }
        let Ok(record) = Record::parse(node.data, layout) else { return };
        for field in record.tagged().into_iter().flatten() {
            if let Cell::Single(Stored::Separated(lid)) = field.cell {
                found = Some((node.data.to_vec(), lid));
                return;
            }
        }
    });
    let (data, lid) = found.expect("a separated value in the sample");
    let lv_root = esescope::format::PageNumber(def.long_value.as_ref().unwrap().coltyp_or_pgno_fdp);
    let mut nodes = LooseNodes::new();
    let old_key = lid.key();
    let new_lid = esescope::format::record::Lid { value: 0x7FFF_FF00, width: lid.width };
    walk(&db, lv_root, |_, node| {
        if node.key.starts_with(&old_key) {
            let mut key = new_lid.key();
            key.extend_from_slice(&node.key[old_key.len()..]);
            nodes.insert(key, node.data.to_vec());
        }
    });
    assert!(nodes.len() >= 2, "the value's root and at least one chunk");
    let stored = (lid.value as u32).to_le_bytes();
    let at = data.windows(4).rposition(|w| w == stored).expect("the LID in the record");
    let mut moved = data.clone();
    moved[at..at + 4].copy_from_slice(&(new_lid.value as u32).to_le_bytes());
    let mut table = Table::new(&db, &catalog, def);
    let page = esescope::format::PageNumber(1);
    let original = table.decode(&data, layout, page, 0, false);
    let without = table.decode(&moved, layout, page, 0, false);
    assert!(!without.errors.is_empty(), "the tree does not have the moved value");
    table.set_loose_long_values(Some(std::sync::Arc::new(nodes)));
    let with = table.decode(&moved, layout, page, 0, false);
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert_eq!(with.values, original.values);
}
