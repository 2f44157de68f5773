//! Hostile evidence, item 1 of the hostile-evidence issue: a table name, a
//! column name, the header's computer name and a log file's paths holding
//! terminal escapes (OSC 52 clipboard write, clear screen), BEL, CR and LF.
//! No command's text or Markdown output carries a control character from
//! them, JSON keeps them exactly (as escapes), and a one-line error stays
//! one line.

use std::path::Path;
use std::process::Command as Process;

use clap::Parser;
use esescope::cli::{self, Cli};
use esescope::format::checksum::legacy_xor;
use esescope::format::types::{LogTime, Signature};
use esescope::format::PageSize;
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::header::signature;
use esescope::writer::sample::sample_header;
use esescope::writer::schema::{ColumnDef, ColumnType, IndexDef, TableDef, Value};
use esescope::writer::txlog::SEGMENT;

/// The escapes every hostile string carries: OSC 52 (write the clipboard),
/// BEL, CSI 2 J (clear the screen), CR and LF.
const ESCAPES: &str = "\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\r\n";
const TABLE: &str = "evil\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\r\nrows";
const COLUMN: &str = "col\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\r\nname";
/// 16 bytes at most: the computer name's room in a SIGNATURE.
const COMPUTER: &[u8] = b"\x1b]52;;x\x07\x1b[2J\r\n";

fn hostile_database(dir: &Path) -> std::path::PathBuf {
    let mut header = sample_header(PageSize::new(8192).unwrap());
    let mut sign_db: Signature = signature(0x0BAD_F00D, LogTime::from_unix(1_767_225_600, 0));
    sign_db.0[12..12 + COMPUTER.len()].copy_from_slice(COMPUTER);
    header.sign_db = sign_db;
    let table = TableDef {
        name: TABLE.to_string(),
        columns: vec![
            ColumnDef::new("id", ColumnType::LONG).not_null(),
            ColumnDef::new(COLUMN, ColumnType::TEXT),
        ],
        primary: IndexDef::new("primary", &["id"], true),
        indexes: Vec::new(),
        rows: (1..=3).map(|i| vec![Value::Long(i), Value::Text(format!("value {i}{ESCAPES}"))]).collect(),
    };
    let written = write_database(&DatabaseSpec { header, tables: vec![table], min_pages: 0 }).unwrap();
    let path = dir.join("hostile.edb");
    std::fs::write(&path, written.bytes).unwrap();
    path
}

/// One log generation whose SystemPath and LogFilePath hold the escapes,
/// its header checksum sealed again.
fn hostile_log(dir: &Path, sign_log: Signature) -> std::path::PathBuf {
    let log = crate::common::first_generation(sign_log);
    let (mut bytes, _, _) = log.finish(LogTime::from_unix(1_767_225_602, 0));
    let system = format!("C:\\sys{ESCAPES}\\");
    let logs = format!("D:\\logs{ESCAPES}\\");
    bytes[72..72 + system.len()].copy_from_slice(system.as_bytes());
    bytes[333..333 + logs.len()].copy_from_slice(logs.as_bytes());
    bytes[..4].fill(0);
    let sum = legacy_xor(&bytes[..SEGMENT]);
    bytes[..4].copy_from_slice(&sum.to_le_bytes());
    let path = dir.join("edb00001.log");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(args: &[&str]) -> (String, std::process::ExitCode) {
    let cli = Cli::try_parse_from(std::iter::once("esescope").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let mut out = Vec::new();
    let code = cli::run(cli.command.as_ref().unwrap(), &mut out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    (String::from_utf8(out).unwrap(), code)
}

/// The control characters that must not reach a terminal: C0 but line feed
/// and tab, DEL, C1.
fn first_control(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|&(_, c)| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}')
}

#[test]
fn text_and_markdown_carry_no_control_character_from_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_database(dir.path());
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let header = esescope::store::Database::open(&db).unwrap().header().cloned().unwrap();
    let log = hostile_log(&logs, header.sign_log);
    let (db, logs, log) = (db.to_str().unwrap(), logs.to_str().unwrap(), log.to_str().unwrap());
    let root = esescope::store::catalog::Catalog::read(&esescope::store::Database::open(db).unwrap())
        .table(TABLE)
        .expect("the hostile table is in the catalog")
        .pgno_fdp()
        .to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["info", db],
        vec!["header", db],
        vec!["page", db, &root],
        vec!["verify", db, "--trees"],
        vec!["report", db, "--logs", logs],
        vec!["tables", db],
        vec!["tree", db, TABLE],
        vec!["catalog", db],
        vec!["logs", logs, "--db", db],
        vec!["log", log, "--records"],
        vec!["export", db, TABLE],
        vec!["compare", db, db],
    ];
    let mut seen_names = 0;
    for command in &commands {
        for format in ["text", "md"] {
            let mut args = command.clone();
            args.extend(["--format", format]);
            let (output, _) = run(&args);
            if let Some((at, c)) = first_control(&output) {
                let context: String = output[at.saturating_sub(60)..].chars().take(80).collect();
                panic!("{args:?}: control character {c:?} at byte {at}: {context:?}");
            }
            // the names are there, visibly
            if output.contains("\\x1b]52") || output.contains("\\\\x1b\\]52") {
                seen_names += 1;
            }
        }
        // JSON keeps the value exactly
        let mut args = command.clone();
        args.extend(["--format", "json"]);
        let (output, _) = run(&args);
        assert!(first_control(&output).is_none(), "{args:?}: raw control character in JSON");
        let _: serde_json::Value = serde_json::from_str(&output).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }
    assert!(seen_names >= 10, "the hostile names should show, escaped, in most outputs ({seen_names})");
    // JSON keeps the table name exactly
    let (json, _) = run(&["tables", db, "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(doc.to_string().contains(&serde_json::to_string(TABLE).unwrap()[1..20]));
    assert!(json.contains("\\u001b]52"), "JSON escapes ESC as \\u001b");
}

#[test]
fn a_one_line_error_stays_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_database(dir.path());
    // The error lists the tables there are: the hostile name among them.
    let output = Process::new(env!("CARGO_BIN_EXE_esescope"))
        .args(["export", db.to_str().unwrap(), "nosuch", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.ends_with('\n'));
    assert!(first_control(stderr.trim_end()).is_none(), "{stderr:?}");
    assert!(stderr.contains("evil\\x1b]52;c;aGk=\\x07\\x1b[2J\\r\\nrows"), "{stderr:?}");
}

#[test]
fn csv_keeps_values_exact_into_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_database(dir.path());
    let output = Process::new(env!("CARGO_BIN_EXE_esescope"))
        .args(["export", db.to_str().unwrap(), TABLE, "--format", "csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    // data into a pipe or a file is the evidence's, byte for byte (quoted)
    assert!(stdout.contains(&format!("value 1{ESCAPES}")), "{stdout:?}");
}
