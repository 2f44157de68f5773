//! Issue 19, items 20-23: every command renders text, Markdown and JSON
//! with the same content on the bundled samples. The Markdown parses
//! (pulldown-cmark) into headings and tables with rows, with code blocks
//! only for hex dumps and bit rows; every value of the JSON — strings,
//! numbers (decimal or hex), booleans (as a word) and 64-bit checksums
//! (hex strings, whole or as their 32-bit halves) — appears in the Markdown
//! and in the text.

use std::path::Path;
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_esescope");

/// Runs the binary; returns stdout.
fn run(args: &[String]) -> String {
    let output = Command::new(BIN).args(args).output().unwrap();
    assert!(
        output.status.code().is_some_and(|c| c < 2),
        "esescope {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every command on a bundled sample; `{out}` is replaced by a new path
/// for the commands that write a file.
fn commands() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("info", vec!["info", "sample-dbs/headers-disagree.edb"]),
        ("header", vec!["header", "sample-dbs/headers-disagree.edb"]),
        ("page", vec!["page", "sample-dbs/bitflip.edb", "30"]),
        ("verify", vec!["verify", "sample-dbs/bitflip.edb"]),
        ("report", vec!["report", "sample-dbs/dirty-with-logs/database.edb"]),
        ("repair", vec!["repair", "sample-dbs/bitflip.edb", "--out", "{out}"]),
        ("recover-plan", vec!["recover", "sample-dbs/dirty-with-logs/database.edb", "--plan"]),
        ("recover", vec!["recover", "sample-dbs/dirty-with-logs/database.edb", "--out", "{out}"]),
        ("logs", vec!["logs", "sample-dbs/checkpoint-exhaustion"]),
        ("log", vec!["log", "sample-dbs/dirty-with-logs/edb.log"]),
        ("checkpoint", vec!["checkpoint", "sample-dbs/dirty-with-logs/edb.chk"]),
        ("tables", vec!["tables", "sample-dbs/broken-siblings.edb"]),
        ("tree", vec!["tree", "sample-dbs/clean-8k.edb", "people"]),
        ("catalog", vec!["catalog", "sample-dbs/clean-8k.edb"]),
        ("export", vec!["export", "sample-dbs/clean-8k.edb", "people"]),
        ("history", vec!["history", "sample-dbs/dirty-with-logs/database.edb"]),
        ("sample", vec!["sample", "--out", "{out}"]),
    ]
}

fn with_out(args: &[&str], dir: &Path, format: &str) -> Vec<String> {
    args.iter()
        .map(|a| {
            if *a == "{out}" {
                dir.join(format!("new-{format}")).display().to_string()
            } else {
                a.to_string()
            }
        })
        .chain(["--format".to_string(), format.to_string()])
        .collect()
}

#[derive(Debug, Default)]
struct Markdown {
    headings: Vec<String>,
    /// Body rows of each table.
    tables: Vec<usize>,
    code_blocks: Vec<String>,
}

fn parse(text: &str) -> Markdown {
    let mut md = Markdown::default();
    let mut heading: Option<String> = None;
    let mut code: Option<String> = None;
    let mut rows = 0;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => md.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => rows = 0,
            Event::End(TagEnd::TableRow) => rows += 1,
            Event::End(TagEnd::Table) => md.tables.push(rows),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_) | CodeBlockKind::Indented)) => {
                code = Some(String::new())
            }
            Event::End(TagEnd::CodeBlock) => md.code_blocks.extend(code.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
                if let Some(c) = code.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    md
}

/// A hex dump line (`0000  00000fe000  00 01 …`) or a row of 32 bits.
fn is_dump(block: &str) -> bool {
    block.lines().any(|line| {
        let hex_dump =
            line.len() > 6 && line[..4].chars().all(|c| c.is_ascii_hexdigit()) && line[4..].starts_with("  ");
        let bits =
            line.split_whitespace().filter(|w| w.len() == 8 && w.chars().all(|c| c == '0' || c == '1'));
        hex_dump || bits.count() == 4
    })
}

/// The scalar values of `v`: strings, numbers and booleans, with their paths.
fn leaves(v: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, &format!("{path}.{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(x, &format!("{path}[{i}]"), out)),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push((path.to_string(), v.clone())),
        _ => {}
    }
}

/// The forms a value may take in a rendering.
fn forms(path: &str, v: &Value) -> Vec<String> {
    match v {
        Value::Number(n) => {
            let mut forms = vec![n.to_string()];
            if let Some(u) = n.as_u64() {
                forms.push(format!("{u:#x}"));
                forms.push(format!("{u:#X}"));
                forms.push(format!("{u:x}"));
                forms.push(format!("{u:X}"));
            }
            if let Some(i) = n.as_i64().filter(|i| *i < 0) {
                forms.push(format!("{:#x}", i as u32));
            }
            forms
        }
        // a boolean is shown as a word: true/false, yes/no, or its name
        // ("valid", "in chain") when true and "not …" when false
        Value::Bool(b) => {
            let key = path.rsplit('.').next().unwrap_or_default().split('[').next().unwrap_or_default();
            let name = key.replace('_', " ");
            if *b {
                vec!["true".into(), "yes".into(), name]
            } else {
                vec!["false".into(), "no".into(), format!("not {name}")]
            }
        }
        Value::String(s) => {
            let mut forms = vec![s.clone(), s.replace('|', "\\|"), s.replace('\\', "\\\\")];
            // JSON times are RFC 3339; renderings write `2024-01-02 03:04:05.000 UTC`
            if s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' {
                forms.push(format!("{} {} UTC", &s[..10], &s[11..23]));
            }
            forms
        }
        _ => Vec::new(),
    }
}

/// Values that are the same bytes as something shown another way: the
/// page's raw bytes (shown as a hex dump), raw field bytes (shown decoded),
/// signatures' raw hex (shown decoded), a tag's offset inside the data area
/// (shown as the page offset of its data); and what differs between two
/// runs of a command that writes a new file (its digest, the times in its
/// header, the time a report was made).
fn exempt(path: &str) -> bool {
    [".bytes", ".raw", ".hex", ".tag.offset", ".output.sha256", ".made_at"]
        .iter()
        .any(|end| path.ends_with(end))
        || path.contains(".header_fields[")
}

/// A 64-bit checksum string (`0x` and sixteen digits) is shown as its two
/// 32-bit halves (XOR and ECC, or the segment checksum halves) or whole.
fn halves_shown(s: &str, rendering: &str) -> bool {
    let digits = s.strip_prefix("0x").filter(|d| d.len() == 16 && d.chars().all(|c| c.is_ascii_hexdigit()));
    digits.is_some_and(|d| {
        rendering.contains(&format!("0x{}", &d[..8])) && rendering.contains(&format!("0x{}", &d[8..]))
    })
}

/// An enum tag (`xor_ecc`, `flip_bits`): the text says it in words.
fn is_tag(v: &Value) -> bool {
    matches!(v, Value::String(s) if !s.is_empty() && s.len() < 32
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// Markdown with its backslash escapes of punctuation removed (`\_` is `_`),
/// as a reader sees the text.
fn unescape_markdown(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn missing<'a>(leaves: &'a [(String, Value)], rendering: &str) -> Vec<&'a str> {
    leaves
        .iter()
        .filter(|(path, v)| {
            let shown = forms(path, v).iter().any(|f| rendering.contains(f.as_str()))
                || matches!(v, Value::String(s) if halves_shown(s, rendering))
                // a path is shown as its file name in lists of files
                || matches!(v, Value::String(s) if s.contains('/')
                    && Path::new(s).file_name().is_some_and(|n| rendering.contains(&*n.to_string_lossy())));
            !exempt(path) && !matches!(v, Value::String(s) if s.is_empty()) && !shown
        })
        .map(|(path, _)| path.as_str())
        .collect()
}

#[test]
fn every_command_renders_text_markdown_and_json_with_the_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (name, args) in commands() {
        let work = dir.path().join(name);
        std::fs::create_dir_all(&work).unwrap();
        let json_text = run(&with_out(&args, &work, "json"));
        // the three runs write three new files; their names are the same but for the format
        let md_text = run(&with_out(&args, &work, "md")).replace("new-md", "new-json");
        // strings from the evidence are backslash-escaped in Markdown so that
        // they cannot format: compare what the reader sees
        let md_text = unescape_markdown(&md_text);
        let text = run(&with_out(&args, &work, "text")).replace("new-text", "new-json");
        assert!(!text.trim().is_empty(), "{name}: text is empty");
        let json: Value = serde_json::from_str(&json_text).unwrap_or_else(|e| panic!("{name}: JSON: {e}"));
        let md = parse(&md_text);
        if md.headings.is_empty() {
            problems.push(format!("{name}: Markdown has no heading"));
        }
        if md.tables.is_empty() {
            problems.push(format!("{name}: Markdown has no table"));
        }
        if md.tables.contains(&0) {
            problems.push(format!("{name}: Markdown has an empty table"));
        }
        for block in md.code_blocks.iter().filter(|b| !is_dump(b)) {
            problems.push(format!("{name}: a code block that is not a hex dump or bit rows: {block:.80}"));
        }
        let mut all = Vec::new();
        leaves(&json, "", &mut all);
        let lost = missing(&all, &md_text);
        if !lost.is_empty() {
            problems.push(format!(
                "{name}: {} JSON values not in the Markdown: {:?}",
                lost.len(),
                &lost[..lost.len().min(8)]
            ));
        }
        let values: Vec<(String, Value)> = all.iter().filter(|(_, v)| !is_tag(v)).cloned().collect();
        // export's text form is CSV: data only, the column types and file are in its Markdown and JSON
        let values = if name == "export" { Vec::new() } else { values };
        let lost = missing(&values, &text);
        if !lost.is_empty() {
            problems.push(format!(
                "{name}: {} JSON values not in the text: {:?}",
                lost.len(),
                &lost[..lost.len().min(40)]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn json_checksums_keep_every_bit() {
    let json: Value =
        serde_json::from_str(&run(&["verify".into(), "sample-dbs/bitflip.edb".into(), "--json".into()]))
            .unwrap();
    let stored = &json["bad_pages"][0]["blocks"][0]["stored"];
    assert_eq!(stored, "0x45fb3a0409c9d249", "a string, not a number that loses its low bits");
}

#[test]
fn item28_the_logs_table_lines_up_agrees_with_log_and_calls_out_a_stuck_checkpoint() {
    let text = run(&["logs".into(), "sample-dbs/dirty-with-logs".into()]);
    let head = text.lines().find(|l| l.trim_start().starts_with("generation")).unwrap();
    let row = text.lines().find(|l| l.contains("edb00001.log")).unwrap();
    for (column, value) in [("created", "2026-"), ("version", "8.4000"), ("segments", "1 valid")] {
        assert_eq!(head.find(column), row.find(value), "{column} lines up:\n{head}\n{row}");
    }
    let log = run(&["log".into(), "sample-dbs/dirty-with-logs/edb00001.log".into()]);
    assert!(log.contains("Segments: 1 valid, 4 empty") && row.contains("1 valid, 4 empty"), "{row}\n{log}");
    let stuck = run(&["logs".into(), "sample-dbs/checkpoint-exhaustion".into()]);
    assert!(
        stuck.contains("warning: log generation 0x1 at (0x1,1,0): the checkpoint is 14 generations behind"),
        "{stuck}"
    );
    let fine = run(&["logs".into(), "sample-dbs/dirty-with-logs".into()]);
    assert!(!fine.contains("generations behind"), "{fine}");
}

#[test]
fn item25_verify_trees_names_skipped_and_zeroed_pages_and_counts_findings() {
    let verify = |file: &str| run(&["verify".into(), format!("sample-dbs/{file}"), "--trees".into()]);
    // bitflip's pages are read corrected (one bit each, located by the ECC):
    // multibit's page 51 cannot be, so the walk skips it
    let bitflip = verify("bitflip.edb");
    assert!(bitflip.contains("read with a corrected bit"), "{bitflip}");
    let multibit = verify("multibit.edb");
    assert!(!multibit.contains("in key order is 0"), "page 0 does not exist:\n{multibit}");
    assert!(
        multibit.contains("the walk reached no leaf before it in key order (page 51 was not walked"),
        "{multibit}"
    );
    let zeroed = verify("zeroed.edb");
    assert!(zeroed.contains("page 32 (from page 29) is all zero (never written, uninitialized)"), "{zeroed}");
    assert!(!zeroed.contains("fails its checksum (uninitialized)"), "{zeroed}");
    let broken = verify("broken-siblings.edb");
    assert!(broken.contains("Result: damage found (1 finding(s); no page fails its checksum)"), "{broken}");
    assert!(!broken.contains("(0 damaged pages)"), "{broken}");
}

#[test]
fn item26_an_all_zero_page_is_not_a_table_page_and_a_tree_outside_the_file_is_a_usage_error() {
    let page = run(&["page".into(), "sample-dbs/clean-8k.edb".into(), "126".into()]);
    assert!(page.contains("uninitialized page (all zero: never written)"), "{page}");
    assert!(!page.contains("table tree page") && !page.contains("MISMATCH") && !page.contains('^'), "{page}");
    let tree = Command::new(BIN).args(["tree", "sample-dbs/clean-8k.edb", "999"]).output().unwrap();
    assert_eq!(tree.status.code(), Some(2));
    assert!(tree.stdout.is_empty());
    assert!(String::from_utf8_lossy(&tree.stderr).contains("page 999 is outside the file (pages 1 to 126)"));
}

#[test]
fn item24_the_report_finds_the_logs_beside_the_database_and_says_when_replay_cannot_run() {
    let report =
        |file: &str| run(&["report".into(), format!("sample-dbs/{file}"), "--format".into(), "text".into()]);
    let missing = report("missing-log/database.edb");
    let replay = missing.lines().find(|l| l.contains("log replay (soft recovery)")).unwrap();
    assert!(replay.starts_with("  [no ]") && replay.contains("missing: 0x2"), "{replay}");
    let dirty = report("dirty-with-logs/database.edb");
    assert!(
        dirty.contains("Log set edb in sample-dbs/dirty-with-logs"),
        "the logs beside it, unasked:\n{dirty}"
    );
    assert_eq!(dirty.matches("File:").count(), 1, "File is said once:\n{dirty}");
    assert_eq!(dirty.matches("Size:").count(), 1, "Size is said once:\n{dirty}");
    let root = std::fs::canonicalize(".").unwrap();
    assert!(dirty.contains(&format!("Path:                 {}/sample-dbs/", root.display())), "{dirty}");
    assert!(dirty.lines().any(|l| l.starts_with("Made at:") && l.ends_with(" UTC")), "{dirty}");
    let multibit = report("multibit.edb");
    assert!(multibit.contains("leaf 52: pgnoPrev is 51"), "the tree findings:\n{multibit}");
}

#[test]
fn item27_usage_errors_are_one_line_naming_the_file() {
    for (args, wanted) in [
        (vec!["page", "sample-dbs/clean-8k.edb", "-1"], "'-1' is not a page: pages are numbered from 1"),
        (vec!["page", "sample-dbs/clean-8k.edb"], "not provided: <PAGE>"),
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("esescope: sample-dbs/clean-8k.edb: "), "{stderr}");
        assert!(stderr.contains(wanted) && !stderr.contains("'-- -1'"), "{stderr}");
    }
}

#[test]
fn item29_tree_keys_differ_where_they_differ_catalog_flags_have_names_and_counts_agree() {
    let tree = run(&["tree".into(), "sample-dbs/clean-8k.edb".into(), "files".into()]);
    let page = tree.lines().find(|l| l.trim_start().starts_with("page 119")).unwrap();
    let (first, last) = page.split_once("keys ").unwrap().1.split_once(" .. ").unwrap();
    assert_ne!(first, last, "{page}");
    assert!(
        tree.contains("(internal, 1 page)") && !tree.contains(" 1 pages") && !tree.contains(" 1 entries"),
        "{tree}"
    );
    let catalog = run(&["catalog".into(), "sample-dbs/clean-8k.edb".into()]);
    assert!(catalog.contains("flags 0x1 NotNull"), "{catalog}");
    assert!(catalog.contains("flags 0x10031 (Unique NoNullSeg Primary ExtendedColumns)"), "{catalog}");
}
