//! Issue 9 acceptance: golden files (insta) of the text, Markdown and JSON
//! renderings users paste into incident reports — pages clean, single-bit,
//! multi-bit and misplaced, a dirty database's header, and whole reports —
//! all made from esescope's own `sample-dbs/`, so no third-party bytes are
//! pinned. For a real Windows sample, only the report's structure (its
//! headings and JSON field names, no values) is pinned.

use clap::Parser;
use esescope::cli::{self, Cli};

/// Runs the command line `args` and returns what it printed.
fn run(args: &[&str]) -> String {
    let cli = Cli::try_parse_from(std::iter::once("esescope").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    cli::run(cli.command.as_ref().unwrap(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn three_formats(name: &str, args: &[&str]) {
    for format in ["text", "md", "json"] {
        let mut all = args.to_vec();
        all.extend(["--format", format]);
        // a report names the time it was made and the file's absolute path
        let repo = format!("{}/", env!("CARGO_MANIFEST_DIR"));
        insta::with_settings!({ filters => vec![
            (repo.as_str(), "[repo]/"),
            (r"(Made at: +)\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC", "$1[time]"),
            (r"at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC without", "at [time] without"),
            (r#""made_at": "[^"]*""#, r#""made_at": "[time]""#),
        ]}, {
            insta::assert_snapshot!(format!("{name}.{format}"), run(&all));
        });
    }
}

#[test]
fn clean_page() {
    three_formats("page-clean-8k-29", &["page", "sample-dbs/clean-8k.edb", "29"]);
}

#[test]
fn single_bit_page() {
    three_formats("page-bitflip-30", &["page", "sample-dbs/bitflip.edb", "30"]);
}

#[test]
fn single_bit_in_a_column_value() {
    three_formats("page-bitflip-columns-31", &["page", "sample-dbs/bitflip-columns.edb", "31", "--no-hex"]);
    three_formats("report-bitflip-columns", &["report", "sample-dbs/bitflip-columns.edb"]);
}

#[test]
fn multi_bit_page() {
    three_formats("page-multibit-51", &["page", "sample-dbs/multibit.edb", "51"]);
}

#[test]
fn misplaced_page() {
    three_formats("page-misplaced-33", &["page", "sample-dbs/misplaced.edb", "33"]);
}

#[test]
fn report_of_the_bitflip_sample() {
    three_formats("report-bitflip", &["report", "sample-dbs/bitflip.edb"]);
}

/// Markdown headings with numbers replaced by N, and the sorted set of
/// JSON field paths: the report's shape, without the file's content.
fn skeleton(markdown: &str, json: &serde_json::Value) -> String {
    fn paths(value: &serde_json::Value, prefix: String, out: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    out.insert(path.clone());
                    paths(v, path, out);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    paths(item, format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut text = String::new();
    for line in markdown.lines().filter(|l| l.starts_with('#')) {
        let line: String = line.chars().map(|c| if c.is_ascii_digit() { 'N' } else { c }).collect();
        let line = line.split(" (").next().unwrap_or(&line);
        // paths and names in backticks are the machine's and the file's, not the shape
        let line: String = line
            .split('`')
            .enumerate()
            .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
            .collect::<Vec<_>>()
            .join("`");
        // a log set's folder is the machine's too
        let line = match line.split_once(" in /") {
            Some((head, _)) if head.starts_with("## Log set ") => format!("{head} in …"),
            _ => line,
        };
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("\nJSON fields:\n");
    let mut set = std::collections::BTreeSet::new();
    paths(json, String::new(), &mut set);
    for path in set {
        text.push_str(&path);
        text.push('\n');
    }
    text
}

#[test]
fn report_of_a_real_windows_database_has_the_same_shape() {
    let path = crate::common::real_samples().join("srum-win11-dirty-with-logs/SRUDB.dat");
    let path = path.to_str().unwrap();
    let logs = crate::common::real_samples().join("srum-win11-dirty-with-logs");
    let logs = logs.to_str().unwrap();
    let markdown = run(&["report", path, "--logs", logs]);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["report", path, "--logs", logs, "--json"])).unwrap();
    insta::assert_snapshot!("report-real-srum-win11-dirty-skeleton", skeleton(&markdown, &json));
}

#[test]
fn header_of_a_dirty_database() {
    three_formats("header-dirty-with-logs", &["header", "sample-dbs/dirty-with-logs/database.edb"]);
}

#[test]
fn report_of_a_dirty_database_with_its_logs() {
    three_formats(
        "report-dirty-with-logs",
        &["report", "sample-dbs/dirty-with-logs/database.edb", "--logs", "sample-dbs/dirty-with-logs"],
    );
}
