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

/// Issue 18: `--format jsonl` is the JSON export's rows, one object a
/// line, null and absent columns left out, `_table` naming the table when
/// every table is exported; every line validates against the schema's
/// `export_jsonl_row`.
#[test]
fn jsonl_is_the_json_rows_without_nulls_one_a_line() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$ref"] = "#/$defs/export_jsonl_row".into();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let files = ["srum-win10-clean-with-logs/SRUDB.dat", "foxit-synthetic-esent/multi.edb"];
    for file in files {
        for deleted in [false, true] {
            let (json_damage, json) = export(file, None, ExportFormat::Json, deleted);
            let (jsonl_damage, jsonl) = export(file, None, ExportFormat::Jsonl, deleted);
            assert_eq!(json_damage, jsonl_damage, "{file}");
            let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let mut want = Vec::new();
            for table in doc["tables"].as_array().unwrap() {
                for row in table["rows"].as_array().unwrap() {
                    let mut object = serde_json::Map::new();
                    object.insert("_table".into(), table["name"].clone());
                    for (name, value) in row.as_object().unwrap() {
                        if !value.is_null() {
                            object.insert(name.clone(), value.clone());
                        }
                    }
                    want.push(serde_json::Value::Object(object));
                }
            }
            let text = String::from_utf8(jsonl).unwrap();
            let got: Vec<serde_json::Value> =
                text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert!(!got.is_empty(), "{file}");
            for line in &got {
                if let Some(e) = validator.iter_errors(line).next() {
                    panic!("{file}: {e} in {line}");
                }
            }
            assert_eq!(got, want, "{file}, deleted {deleted}");
        }
    }
    // one named table: no `_table`, and a null member fails the schema
    let (_, one) = export("foxit-synthetic-esent/multi.edb", Some("multi"), ExportFormat::Jsonl, false);
    let first: serde_json::Value =
        serde_json::from_slice(one.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(first.get("_table").is_none() && !first.as_object().unwrap().is_empty(), "{first}");
    assert!(!validator.is_valid(&serde_json::json!({ "Long": null })));
}

/// Issue 18: the export cut into pieces decoded on several threads gives
/// the rows of a one-thread walk of the tree, in the same order: checked
/// on a table of 37 leaf pages of 32 KiB (five pieces) and on every table
/// of the Windows 10 SRUM database.
#[test]
fn parallel_export_keeps_key_order() {
    for (file, only) in [
        ("windows-search-win10-clean-32k/Windows.edb", Some("SystemIndex_PropertyStore")),
        ("srum-win10-clean-with-logs/SRUDB.dat", None),
    ] {
        let db = Database::open(real_samples().join(file)).unwrap();
        let catalog = Catalog::read(&db);
        let (_, out) = export(file, only, ExportFormat::Json, true);
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let tables = doc["tables"].as_array().unwrap();
        let defs: Vec<_> = catalog.tables.iter().filter(|t| only.is_none_or(|o| t.table.name == o)).collect();
        assert_eq!(tables.len(), defs.len(), "{file}");
        for (def, exported) in defs.iter().zip(tables) {
            let table = esescope::store::table::Table::new(&db, &catalog, def);
            let (leaves, _) = table.leaves();
            if only.is_some() {
                assert!(leaves.len() > 8, "{file}: {} leaf pages", leaves.len());
            }
            let mut want = Vec::new();
            table.rows(true, |row| want.push(serde_json::to_value(&row.values).unwrap()));
            let got: Vec<serde_json::Value> = exported["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let values: Vec<serde_json::Value> =
                        table.columns.iter().map(|c| r[c.name.as_str()].clone()).collect();
                    serde_json::Value::Array(values)
                })
                .collect();
            assert_eq!(got, want, "{file}: {}", def.table.name);
        }
    }
}
