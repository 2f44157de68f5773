//! Issue 9: the Markdown parses as Markdown (tables and fenced blocks
//! where expected), the JSON validates against `schema/`, and `--copy`
//! falls back to a file with a clear message on a headless machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use esescope::cli::database::{FileArgs, PageArgs, PageSpec, ReportArgs, VerifyArgs};
use esescope::cli::output::{Format, OutputArgs};
use esescope::cli::{self, Command};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::common::{real_databases, real_samples};

fn run(command: Command) -> (ExitCode, String) {
    let mut out = Vec::new();
    let code = cli::run(&command, &mut out).expect("runs");
    (code, String::from_utf8(out).unwrap())
}

fn format(format: Format) -> OutputArgs {
    OutputArgs { format: Some(format), ..OutputArgs::default() }
}

/// A damaged copy: a single-bit page, a two-bit page and a misplaced page.
fn damaged(dir: &Path) -> (PathBuf, [u32; 3]) {
    let mut bytes = std::fs::read(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
    let page = |n: usize| (n + 1) * 4096;
    bytes[page(10) + 0x700] ^= 0x04;
    bytes[page(11) + 0x300] ^= 0x01;
    bytes[page(11) + 0x900] ^= 0x80;
    let copy = bytes[page(30)..page(30) + 4096].to_vec();
    bytes[page(12)..page(12) + 4096].copy_from_slice(&copy);
    let path = dir.join("damaged.dat");
    std::fs::write(&path, bytes).unwrap();
    (path, [10, 11, 12])
}

struct Markdown {
    tables: Vec<(usize, usize)>,        // (columns in head, body rows)
    code_blocks: Vec<(String, String)>, // (language, text)
}

fn parse_markdown(text: &str) -> Markdown {
    let mut md = Markdown { tables: Vec::new(), code_blocks: Vec::new() };
    let (mut in_head, mut columns, mut rows, mut code) = (false, 0, 0, None::<(String, String)>);
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(_)) => (columns, rows) = (0, 0),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableCell) if in_head => columns += 1,
            Event::Start(Tag::TableRow) => rows += 1,
            Event::End(TagEnd::Table) => md.tables.push((columns, rows)),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) => {
                code = Some((lang.to_string(), String::new()))
            }
            Event::Text(t) if code.is_some() => code.as_mut().unwrap().1.push_str(&t),
            Event::End(TagEnd::CodeBlock) => md.code_blocks.extend(code.take()),
            _ => {}
        }
    }
    md
}

#[test]
fn page_markdown_has_its_tables_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (path, [single, ..]) = damaged(dir.path());
    let args =
        PageArgs { file: path, page: PageSpec::Number(single), output: format(Format::Md), no_hex: false };
    let (code, text) = run(Command::Page(args));
    assert_eq!(code, ExitCode::from(1));
    let md = parse_markdown(&text);
    // summary, header fields, checksum blocks, the located bit, tags, nodes
    assert_eq!(md.tables.len(), 6, "{text}");
    assert_eq!(md.tables[0], (2, 4));
    assert_eq!(md.tables[1].0, 4);
    assert_eq!(md.tables[1].1, 10, "the ten header fields of a small page");
    assert_eq!(md.tables[2], (8, 1), "one checksum block on a small page");
    assert_eq!(md.tables[3], (9, 1), "where the flipped bit is: tag, line, part");
    assert!(text.contains("free space: no tag uses the byte"), "{text}");
    assert_eq!(md.tables[4].0, 6);
    assert_eq!(md.tables[5].0, 4, "the nodes, as text lists them");
    assert_eq!(md.code_blocks.len(), 2, "the mismatching block's bit rows, and hex");
    assert!(md.code_blocks.iter().all(|(lang, _)| lang == "text"));
    assert!(md.code_blocks[0].1.contains("correctable: single-bit error at byte 0x700 bit 2"));
    assert!(md.code_blocks[1].1.contains("^^ bit 2 flipped"), "the hex block marks the bit");
    assert!(md.code_blocks[1].1.lines().count() > 10);
}

#[test]
fn incident_report_markdown_covers_every_bad_page() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bad) = damaged(dir.path());
    let out = dir.path().join("incident.md");
    let args =
        ReportArgs { file: path.clone(), out: Some(out.clone()), logs: None, output: OutputArgs::default() };
    let (code, said) = run(Command::Report(args));
    assert_eq!(code, ExitCode::from(1));
    assert!(said.contains("wrote the incident report to"), "{said}");
    let text = std::fs::read_to_string(&out).unwrap();
    let md = parse_markdown(&text);
    for pgno in bad {
        assert!(text.contains(&format!("### Page {pgno} (file offset")), "page {pgno} has a section");
    }
    assert!(text.contains("wrong page number"));
    assert!(text.contains("| single-bit correction | **yes** |"));
    assert!(text.contains("| patch pages from a good copy | **yes** |"));
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap()))
    };
    assert!(text.contains(&sha), "the SHA-256 of the file");
    // each bad page: a context table, a checksum table and a checksum block
    assert_eq!(md.code_blocks.len(), 3);
    assert!(md.tables.iter().filter(|(cols, _)| *cols == 8).count() == 3, "{:?}", md.tables);
    // the report never overwrites a file
    let args = ReportArgs { file: path, out: Some(out), logs: None, output: OutputArgs::default() };
    let mut sink = Vec::new();
    let error = cli::run(&Command::Report(args), &mut sink).unwrap_err();
    assert!(error.to_string().contains("already exists"), "{error}");
}

fn validator(definition: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$ref"] = Value::String(format!("#/$defs/{definition}"));
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, text: &str, what: &str) {
    let value: Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn json_output_validates_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (damaged, bad) = damaged(dir.path());
    let (page, header, verify, incident) = (
        validator("page_dump"),
        validator("header_report"),
        validator("verify_report"),
        validator("incident_report"),
    );
    let mut files = real_databases();
    files.push(damaged.clone());
    for file in &files {
        let what = file.display().to_string();
        let (_, text) = run(Command::Header(FileArgs { file: file.clone(), output: OutputArgs::json() }));
        assert_valid(&header, &text, &what);
        let (_, text) = run(Command::Info(FileArgs { file: file.clone(), output: OutputArgs::json() }));
        assert_valid(&header, &text, &what);
        let (_, text) =
            run(Command::Verify(VerifyArgs { file: file.clone(), trees: false, output: OutputArgs::json() }));
        assert_valid(&verify, &text, &what);
        for pgno in [1, 4] {
            let args = PageArgs {
                file: file.clone(),
                page: PageSpec::Number(pgno),
                output: OutputArgs::json(),
                no_hex: false,
            };
            let (_, text) = run(Command::Page(args));
            assert_valid(&page, &text, &format!("{what} page {pgno}"));
        }
    }
    for pgno in bad {
        let args = PageArgs {
            file: damaged.clone(),
            page: PageSpec::Number(pgno),
            output: OutputArgs::json(),
            no_hex: true,
        };
        let (_, text) = run(Command::Page(args));
        assert_valid(&page, &text, &format!("damaged page {pgno}"));
    }
    let args = ReportArgs { file: damaged, out: None, logs: None, output: OutputArgs::json() };
    let (_, text) = run(Command::Report(args));
    assert_valid(&incident, &text, "incident report");
    // bits located in column values and in a node's key size (flipped_data)
    for (file, pgno) in [("sample-dbs/bitflip-columns.edb", 30), ("sample-dbs/bitflip.edb", 30)] {
        let args = PageArgs {
            file: Path::new(file).to_path_buf(),
            page: PageSpec::Number(pgno),
            output: OutputArgs::json(),
            no_hex: true,
        };
        let (_, text) = run(Command::Page(args));
        assert!(text.contains("\"flipped_data\""), "{text}");
        assert_valid(&page, &text, &format!("{file} page {pgno}"));
        let args = ReportArgs {
            file: Path::new(file).to_path_buf(),
            out: None,
            logs: None,
            output: OutputArgs::json(),
        };
        let (_, text) = run(Command::Report(args));
        assert_valid(&incident, &text, &format!("{file} report"));
    }
    // and the schema is not vacuous: a renamed field fails
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["verify"]["counts"]["bad"] = Value::from(1);
    assert!(!incident.is_valid(&value));
}

#[test]
fn copy_on_a_headless_machine_saves_a_file_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let file = real_samples().join("foxit-synthetic-esent/index.edb");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_esescope"))
        .args(["page", file.to_str().unwrap(), "4", "--format", "md", "--copy"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let saved = dir.path().join("esescope-page-4-dump.md");
    assert_eq!(
        stderr.trim(),
        format!("esescope: no clipboard available: saved page 4 dump to {}", saved.display())
    );
    assert_eq!(std::fs::read(&saved).unwrap(), output.stdout, "the copy is exactly what was printed");
}

#[test]
fn the_incident_report_places_the_logs() {
    let dir = real_samples().join("srum-win11-dirty-with-logs");
    let args = ReportArgs {
        file: dir.join("SRUDB.dat"),
        out: None,
        logs: Some(dir.clone()),
        output: OutputArgs::default(),
    };
    let (code, text) = run(Command::Report(args));
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(text.contains("## Transaction logs"), "{text}");
    assert!(text.contains("**Recovery:** replay would read generations 0x5C to 0x5C"), "{text}");
    assert!(text.contains("| log replay (soft recovery) | **yes** |"));
    // the log set as headings and tables, not a code block
    let logs = &text[text.find("## Transaction logs").unwrap()..];
    assert!(logs.contains("lgpos_checkpoint") && logs.contains("| (0x5C,8,0) |"), "{logs}");
    assert!(text.contains("| chain_ok | true |"), "{text}");
    let md = parse_markdown(&text);
    assert!(!md.code_blocks.iter().any(|(_, t)| t.contains("Chain: complete")));
    let args =
        ReportArgs { file: dir.join("SRUDB.dat"), out: None, logs: Some(dir), output: OutputArgs::json() };
    let (_, json) = run(Command::Report(args));
    assert_valid(&validator("incident_report"), &json, "incident report with logs");
}

#[test]
fn export_and_record_dumps_validate_against_the_schema() {
    use esescope::cli::export::{ExportArgs, ExportFormat};
    let export = validator("export");
    let record = validator("record_dump");
    let mut files = real_databases();
    files.push(Path::new("sample-dbs/clean-8k.edb").to_path_buf());
    for file in files {
        // with the flag-deleted rows; with the recovered ones (slack remnants have no tag)
        for (deleted, recovered) in [(true, false), (false, true)] {
            let args = ExportArgs {
                file: file.clone(),
                table: None,
                format: ExportFormat::Json,
                deleted,
                recovered,
            };
            let (_, text) = run(Command::Export(args));
            assert_valid(&export, &text, &file.display().to_string());
        }
    }
    // the record document the inspector copies
    let db = esescope::store::Database::open("sample-dbs/clean-8k.edb").unwrap();
    let catalog = esescope::store::catalog::Catalog::read(&db);
    for def in &catalog.tables {
        let table = esescope::store::table::Table::new(&db, &catalog, def);
        let mut first = None;
        table.rows(false, |row| {
            first.get_or_insert(row);
        });
        let dump = esescope::report::record::RecordDump::new(&table, &first.unwrap());
        let text = serde_json::to_string(&dump).unwrap();
        assert_valid(&record, &text, &def.table.name);
    }
}
