//! Issue 3: `export` as a user runs it — CSV and JSON of real tables, the
//! deleted-record switch, and clear errors for what cannot be exported.

use std::process::ExitCode;

use esescope::cli::export::{ExportArgs, ExportFormat};
use esescope::cli::{run, Command};
use esescope::store::catalog::Catalog;
use esescope::store::cursor::walk;
use esescope::store::Database;

use crate::common::real_samples;

fn export(file: &str, table: Option<&str>, format: ExportFormat, deleted: bool) -> (u8, Vec<u8>) {
    let args = ExportArgs {
        file: real_samples().join(file),
        table: table.map(str::to_string),
        format,
        deleted,
        recovered: false,
    };
    let mut out = Vec::new();
    let code = run(&Command::Export(args), &mut out).unwrap();
    (u8::from(code != ExitCode::SUCCESS), out)
}

#[test]
fn csv_has_a_header_and_one_line_per_record() {
    let file = "srum-win10-clean-with-logs/SRUDB.dat";
    let db = Database::open(real_samples().join(file)).unwrap();
    let catalog = Catalog::read(&db);
    for def in catalog.tables.iter().filter(|t| !t.table.name.starts_with("MSys")) {
        let (damaged, out) = export(file, Some(&def.table.name), ExportFormat::Csv, false);
        assert_eq!(damaged, 0, "{}", def.table.name);
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let names: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(header, names, "{}", def.table.name);
        let rows = reader.records().map(Result::unwrap).count() as u64;
        assert_eq!(rows, walk(&db, def.pgno_fdp(), |_, _| {}).entries, "{}", def.table.name);
    }
}

#[test]
fn json_of_every_table_parses_and_counts_rows() {
    let file = "foxit-synthetic-esent/multi.edb";
    let (damaged, out) = export(file, None, ExportFormat::Json, false);
    assert_eq!(damaged, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let tables = doc["tables"].as_array().unwrap();
    let multi = tables.iter().find(|t| t["name"] == "multi").unwrap();
    let rows = multi["rows"].as_array().unwrap();
    assert_eq!(multi["row_count"].as_u64().unwrap(), rows.len() as u64);
    // multi-valued columns come out as arrays
    assert!(rows[0]["Long"].is_array(), "{}", rows[0]["Long"]);
    assert!(multi["columns"].as_array().unwrap().iter().any(|c| c["multivalued"] == true));
}

#[test]
fn deleted_records_appear_only_when_asked_for() {
    // The Windows 11 SRUM copy has flag-deleted catalog records.
    let file = "srum-win11-clean-repaired/SRUDB.dat";
    let (_, plain) = export(file, Some("MSysObjects"), ExportFormat::Json, false);
    let (_, all) = export(file, Some("MSysObjects"), ExportFormat::Json, true);
    let rows = |out: &[u8]| -> Vec<serde_json::Value> {
        let doc: serde_json::Value = serde_json::from_slice(out).unwrap();
        doc["tables"][0]["rows"].as_array().unwrap().clone()
    };
    let (plain, all) = (rows(&plain), rows(&all));
    assert!(plain.iter().all(|r| r.get("_deleted").is_none()));
    let deleted = all.iter().filter(|r| r["_deleted"] == true).count();
    assert!(deleted > 0, "no flag-deleted catalog rows found");
    assert_eq!(all.len(), plain.len() + deleted);
}

#[test]
fn unknown_tables_and_csv_of_everything_are_refused_clearly() {
    let args = ExportArgs {
        file: real_samples().join("foxit-synthetic-esent/text.edb"),
        table: Some("nope".into()),
        format: ExportFormat::Csv,
        deleted: false,
        recovered: false,
    };
    let err = run(&Command::Export(args), &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("no table named nope") && err.contains("MSysObjects"), "{err}");
    let args = ExportArgs {
        file: real_samples().join("foxit-synthetic-esent/text.edb"),
        table: None,
        format: ExportFormat::Csv,
        deleted: false,
        recovered: false,
    };
    let err = run(&Command::Export(args), &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("--format json"), "{err}");
}

/// Issue 7: `export` of the teaching databases gives exactly the rows the
/// writer was asked to write, value for value, every column type included.
#[test]
fn export_of_the_clean_samples_is_what_the_writer_meant() {
    use esescope::writer::sample::{sample_tables, CLEAN_32K, CLEAN_8K};
    for (file, size) in [("sample-dbs/clean-8k.edb", CLEAN_8K), ("sample-dbs/clean-32k.edb", CLEAN_32K)] {
        let args = ExportArgs {
            file: std::path::PathBuf::from(file),
            table: None,
            format: ExportFormat::Json,
            deleted: false,
            recovered: false,
        };
        let mut out = Vec::new();
        assert_eq!(run(&Command::Export(args), &mut out).unwrap(), ExitCode::SUCCESS, "{file}");
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        for table in sample_tables(size) {
            let exported =
                doc["tables"].as_array().unwrap().iter().find(|t| t["name"] == table.name.as_str());
            let exported = exported.unwrap_or_else(|| panic!("{file}: no table {}", table.name));
            // each row as its JSON text, values keyed by column name
            let mut want: Vec<String> = table
                .rows
                .iter()
                .map(|row| {
                    let map: serde_json::Map<String, serde_json::Value> = table
                        .columns
                        .iter()
                        .zip(row)
                        // through the JSON text, as export writes it (an f32 prints as itself)
                        .map(|(c, v)| {
                            (
                                c.name.clone(),
                                serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap(),
                            )
                        })
                        .collect();
                    serde_json::Value::Object(map).to_string()
                })
                .collect();
            let mut got: Vec<String> = exported["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let map: serde_json::Map<String, serde_json::Value> =
                        r.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    serde_json::Value::Object(map).to_string()
                })
                .collect();
            want.sort();
            got.sort();
            assert_eq!(got.len(), want.len(), "{file} {}: rows", table.name);
            if let Some((a, b)) = got.iter().zip(&want).find(|(a, b)| a != b) {
                let diff: Vec<_> = a.split(",\"").zip(b.split(",\"")).filter(|(x, y)| x != y).collect();
                panic!("{file} {}: exported {diff:?}", table.name);
            }
        }
    }
}
