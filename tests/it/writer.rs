//! The writer (issue #7): the committed `sample-dbs/` are what the writer
//! produces, byte for byte; clean samples read fully with esescope and with
//! two independent readers (dissect.esedb, pyesedb). The damaged samples
//! are in `writer_damage`, random tables in `writer_roundtrip`.

use std::path::{Path, PathBuf};
use std::process::Command;

use esescope::format::page::PageFlags;
use esescope::format::{PageNumber, PageSize};
use esescope::scan::verify;
use esescope::store::catalog::Catalog;
use esescope::store::cursor::walk;
use esescope::store::table::Table;
use esescope::store::Database;
use esescope::writer::damage::{samples, Sample};
use esescope::writer::database::{write_database, DatabaseSpec, WrittenDatabase};
use esescope::writer::key::stored_bytes;
use esescope::writer::sample::{sample_tables, teaching_database, SampleSize, CLEAN_32K, CLEAN_8K};
use esescope::writer::schema::{Storage, TableDef, Value};
use serde_json::json;

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs")
}

pub fn open(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> Database {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    Database::open(&path).unwrap()
}

pub fn all_samples() -> Vec<Sample> {
    samples().expect("the sample definitions write")
}

#[test]
fn committed_samples_are_what_the_writer_produces() {
    let dir = sample_dir();
    let mut total = 0;
    for sample in all_samples() {
        let committed = std::fs::read(dir.join(sample.file_name)).unwrap_or_else(|e| {
            panic!("sample-dbs/{} is missing ({e}); run `esescope sample --out sample-dbs`", sample.file_name)
        });
        assert!(
            committed == sample.bytes,
            "sample-dbs/{} differs from the writer's output; if the writer changed on purpose, run `esescope sample --out sample-dbs --force`",
            sample.file_name
        );
        total += committed.len();
    }
    assert!(total < 6 << 20, "sample-dbs/ is {total} bytes; keep it a few MiB");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for sample in all_samples() {
        assert!(readme.contains(sample.file_name), "README.md does not describe {}", sample.file_name);
    }
}

#[test]
fn sample_command_writes_the_same_bytes_every_time() {
    let out = tempfile::tempdir().unwrap();
    let args = esescope::cli::sample::SampleArgs {
        out: out.path().join("new"),
        force: false,
        output: Default::default(),
    };
    let mut text = Vec::new();
    let code = esescope::cli::run(&esescope::cli::Command::Sample(args), &mut text).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let listing = String::from_utf8(text).unwrap();
    for sample in all_samples() {
        let written = std::fs::read(out.path().join("new").join(sample.file_name)).unwrap();
        assert!(written == sample.bytes, "{} is not deterministic", sample.file_name);
        assert!(listing.contains(sample.file_name));
    }
    // Again into the same directory: identical files are fine.
    let again = esescope::cli::sample::SampleArgs {
        out: out.path().join("new"),
        force: false,
        output: Default::default(),
    };
    esescope::cli::run(&esescope::cli::Command::Sample(again), &mut Vec::new()).unwrap();
    // A different file of the same name is not overwritten without --force.
    let torn = out.path().join("new").join("torn.edb");
    std::fs::write(&torn, b"not a sample").unwrap();
    let refuse = esescope::cli::sample::SampleArgs {
        out: out.path().join("new"),
        force: false,
        output: Default::default(),
    };
    let error = esescope::cli::run(&esescope::cli::Command::Sample(refuse), &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("already exists"), "{error}");
    assert_eq!(std::fs::read(&torn).unwrap(), b"not a sample");
    let force = esescope::cli::sample::SampleArgs {
        out: out.path().join("new"),
        force: true,
        output: Default::default(),
    };
    esescope::cli::run(&esescope::cli::Command::Sample(force), &mut Vec::new()).unwrap();
    assert!(
        std::fs::read(&torn).unwrap()
            == all_samples().iter().find(|s| s.file_name == "torn.edb").unwrap().bytes
    );
}

/// What the writer meant, for `tests/readers/check_readers.py`: columns
/// with type codes, key columns, indexes, and every cell as the hex of its
/// stored bytes (null for NULL).
fn expected_json(tables: &[TableDef]) -> serde_json::Value {
    let tables: Vec<_> = tables
        .iter()
        .map(|t| {
            let columns: Vec<_> = t
                .columns
                .iter()
                .map(|c| json!({"name": c.name, "coltyp": c.coltyp.0, "code_page": c.code_page, "fixed": c.storage() == Storage::Fixed}))
                .collect();
            let indexes: Vec<_> = std::iter::once(&t.primary)
                .chain(&t.indexes)
                .map(|i| json!({"name": i.name, "columns": i.segments.iter().map(|s| &s.0).collect::<Vec<_>>(), "ascending": i.segments.iter().all(|s| !s.1)}))
                .collect();
            let rows: Vec<Vec<Option<String>>> = t
                .rows
                .iter()
                .map(|row| row.iter().zip(&t.columns).map(|(v, c)| stored_bytes(c.coltyp, c.code_page, v).unwrap().map(hex::encode)).collect())
                .collect();
            json!({"name": t.name, "columns": columns, "primary": t.primary.segments.iter().map(|s| &s.0).collect::<Vec<_>>(), "indexes": indexes, "rows": rows})
        })
        .collect();
    serde_json::Value::Array(tables)
}

/// Runs the reader check script on `db` with the definition `tables`.
/// Without python3 or the readers the check is skipped, except under CI,
/// where that is a failure.
pub fn check_with_readers(dir: &Path, name: &str, bytes: &[u8], tables: &[TableDef]) {
    let db = dir.join(name);
    std::fs::write(&db, bytes).unwrap();
    let expected = dir.join(format!("{name}.json"));
    std::fs::write(&expected, serde_json::to_vec(&expected_json(tables)).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readers/check_readers.py");
    let ci = std::env::var_os("CI").is_some();
    let output = match Command::new("python3").arg(&script).arg(&expected).arg(&db).output() {
        Ok(output) => output,
        Err(e) if !ci => return eprintln!("skipped: python3 cannot run ({e}); CI makes this a failure"),
        Err(e) => panic!("python3 cannot run: {e} (CI needs python3 with dissect.esedb and libesedb-python)"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.code() == Some(2) && stdout.starts_with("missing reader") && !ci {
        return eprintln!("skipped: {stdout}");
    }
    assert!(
        output.status.success(),
        "{name}: the independent readers disagree with the writer:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.trim_end().ends_with("ok"), "{stdout}");
}

#[test]
fn clean_samples_read_fully_with_dissect_and_pyesedb() {
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("clean-8k.edb", CLEAN_8K), ("clean-32k.edb", CLEAN_32K)] {
        let written = teaching_database(size).unwrap();
        check_with_readers(dir.path(), name, &written.bytes, &sample_tables(size));
    }
}

/// The teaching database at every page size.
fn every_page_size() -> Vec<(SampleSize, WrittenDatabase)> {
    [PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32]
        .into_iter()
        .map(|page_size| {
            let size = SampleSize {
                page_size,
                people: 150,
                readings: 200,
                notes_len: 300,
                files: 200,
                min_pages: 0,
            };
            (size, teaching_database(size).unwrap())
        })
        .collect()
}

#[test]
fn every_page_size_reads_with_the_independent_readers() {
    let dir = tempfile::tempdir().unwrap();
    for (size, written) in every_page_size() {
        let name = format!("teaching-{}k.edb", size.page_size.bytes() / 1024);
        check_with_readers(dir.path(), &name, &written.bytes, &sample_tables(size));
    }
}

#[test]
fn esescope_reads_back_what_the_writer_meant() {
    let dir = tempfile::tempdir().unwrap();
    for (size, written) in every_page_size() {
        let label = format!("{} KiB", size.page_size.bytes() / 1024);
        let db = open(&dir, "db.edb", &written.bytes);
        let report = verify(&db, |_| std::ops::ControlFlow::Continue(()));
        assert!(!report.has_damage(), "{label}: {:?}", report.findings);
        assert_eq!(report.counts.ok + report.counts.uninitialized, report.counts.pages, "{label}");
        let header = db.header().unwrap();
        assert_eq!(header.state.0, 3);
        assert_eq!(header.page_size_bytes(), size.page_size.bytes());
        assert_eq!(db.header_copies()[0].header, db.header_copies()[1].header);
        let catalog = Catalog::read(&db);
        assert!(catalog.walk.findings.is_empty(), "{label}: {:?}", catalog.walk.findings);
        let tables = sample_tables(size);
        let names: Vec<_> = catalog.tables.iter().map(|t| t.table.name.as_str()).collect();
        assert_eq!(names[..2], ["MSysObjects", "MSysObjectsShadow"]);
        for table in &tables {
            let found =
                catalog.table(&table.name).unwrap_or_else(|| panic!("{label}: no table {}", table.name));
            let columns: Vec<_> =
                found.columns.iter().map(|c| (c.name.as_str(), c.coltyp_or_pgno_fdp)).collect();
            let meant: Vec<_> = table.columns.iter().map(|c| (c.name.as_str(), c.coltyp.0)).collect();
            let mut columns_sorted = columns.clone();
            columns_sorted.sort();
            let mut meant_sorted = meant.clone();
            meant_sorted.sort();
            assert_eq!(columns_sorted, meant_sorted, "{label} {}", table.name);
            let index_names: Vec<_> = found.indexes.iter().map(|i| i.name.as_str()).collect();
            assert_eq!(index_names.len(), 1 + table.indexes.len());
            assert!(index_names.contains(&table.primary.name.as_str()));
            let tree = walk(&db, found.pgno_fdp(), |_, _| {});
            assert!(tree.findings.is_empty(), "{label} {}: {:?}", table.name, tree.findings);
            assert_eq!(tree.entries, table.rows.len() as u64, "{label} {}", table.name);
            // the record reader gives back every value written, row for row
            let reader = Table::new(&db, &catalog, found);
            let order: Vec<usize> = reader
                .columns
                .iter()
                .map(|c| table.columns.iter().position(|d| d.name == c.name).unwrap())
                .collect();
            let mut read = Vec::new();
            reader.rows(false, |row| read.push(row));
            let mut meant: Vec<Vec<Value>> =
                table.rows.iter().map(|r| order.iter().map(|&i| r[i].clone()).collect()).collect();
            for row in read {
                assert!(row.errors.is_empty(), "{label}: {:?}", row.errors);
                let at = meant
                    .iter()
                    .position(|m| *m == row.values)
                    .unwrap_or_else(|| panic!("{label}: read {:?}", row.values));
                meant.remove(at);
            }
            assert!(meant.is_empty(), "{label} {}: {} rows not read back", table.name, meant.len());
            // every secondary index and the LV tree walk cleanly too
            for (what, root) in catalog.trees() {
                let tree = walk(&db, root, |_, _| {});
                assert!(tree.findings.is_empty(), "{label} {what}: {:?}", tree.findings);
            }
        }
        // the people table has branch pages at every page size
        let people = written.tree("people").unwrap();
        assert!(people.leaves.len() > 1, "{label}: people has {} leaves", people.leaves.len());
        let root = db.page(people.root).unwrap();
        assert!(!root.header.flags.contains(PageFlags::LEAF), "{label}");
        // the shadow catalog holds the same rows as the catalog
        let main = walk(&db, PageNumber(4), |_, _| {});
        let shadow = walk(&db, PageNumber(24), |_, _| {});
        assert_eq!(main.entries, shadow.entries);
    }
}

#[test]
fn a_dirty_database_carries_the_recovery_fields() {
    use esescope::format::{Lgpos, LogTime};
    use esescope::writer::header::{signature, HeaderSpec};
    let time = LogTime::from_unix(1_704_164_645, 0);
    let attach = Lgpos { generation: 4, isec: 0x20, ib: 0 };
    let header =
        HeaderSpec::dirty(PageSize::K8, signature(1, time), signature(0xABCD, time), (attach, time), (4, 6));
    let written = write_database(&DatabaseSpec { header, tables: vec![], min_pages: 40 }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, "dirty.edb", &written.bytes);
    let h = db.header().unwrap();
    assert_eq!(h.state.0, 2);
    assert_eq!((h.gen_min_required, h.gen_max_required, h.lgpos_attach), (4, 6, attach));
    assert!(h.lgpos_consistent.is_zero());
    assert_eq!(h.sign_log.random(), 0xABCD);
    assert_eq!(Catalog::read(&db).tables.len(), 2);
}

#[test]
fn bad_definitions_are_clear_errors_not_panics() {
    use esescope::writer::schema::{ColumnDef, ColumnType, IndexDef};
    use esescope::writer::WriteError;
    let table = |rows: Vec<Vec<Value>>, index: &str| TableDef {
        name: "t".into(),
        columns: vec![
            ColumnDef::new("Id", ColumnType::LONG).not_null(),
            ColumnDef::new("Name", ColumnType::TEXT),
        ],
        primary: IndexDef::new("Primary", &[index], true),
        indexes: vec![],
        rows,
    };
    let write = |tables: Vec<TableDef>, size: PageSize| {
        write_database(&DatabaseSpec {
            header: esescope::writer::sample::sample_header(size),
            tables,
            min_pages: 0,
        })
    };
    let row = |id: i32| vec![Value::Long(id), Value::Text("x".into())];
    let cases: Vec<(Vec<TableDef>, PageSize, &str)> = vec![
        (vec![table(vec![row(1), row(1)], "Id")], PageSize::K8, "same primary key"),
        (vec![table(vec![row(1)], "Nope")], PageSize::K8, "column the table lacks"),
        (
            vec![table(vec![vec![Value::Short(1), Value::Null]], "Id")],
            PageSize::K8,
            "does not match the column type",
        ),
        (vec![table(vec![vec![Value::Null, Value::Null]], "Id")], PageSize::K8, "NOT NULL"),
        (vec![table(vec![vec![Value::Long(1)]], "Id")], PageSize::K8, "one value per column"),
        (vec![table(vec![], "Id"), table(vec![], "Id")], PageSize::K8, "same name"),
        (
            vec![TableDef {
                columns: vec![
                    ColumnDef::new("Id", ColumnType::LONG),
                    ColumnDef::new("ID", ColumnType::SHORT),
                ],
                ..table(vec![], "Id")
            }],
            PageSize::K8,
            "same name",
        ),
        (vec![TableDef { name: "x".repeat(65), ..table(vec![], "Id") }], PageSize::K8, "64 ASCII"),
        (
            vec![table(vec![vec![Value::Long(1), Value::Text("y".repeat(300))]], "Id")],
            PageSize::K8,
            "longer than its column",
        ),
        (vec![table(vec![], "Id")], PageSize::K2, "not written"),
    ];
    for (tables, size, message) in cases {
        let error = write(tables, size).expect_err(message);
        assert!(error.to_string().contains(message), "{error} (wanted {message:?})");
    }
    // A record larger than a page.
    let mut big = table(vec![], "Id");
    big.columns.extend((0..5).map(|i| ColumnDef::new(&format!("Notes{i}"), ColumnType::LONG_TEXT)));
    let notes = Value::Text("n".repeat(1000)); // kept in the record: 5 KB on a 4 KiB page
    big.rows = vec![[vec![Value::Long(1), Value::Null], vec![notes; 5]].concat()];
    assert!(matches!(write(vec![big], PageSize::K4), Err(WriteError::NodeTooLarge { .. })));
}

#[test]
fn clean_8k_has_a_tree_with_internal_pages_below_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let written = teaching_database(CLEAN_8K).unwrap();
    let db = open(&dir, "clean-8k.edb", &written.bytes);
    let files = written.tree("files").unwrap();
    let tree = walk(&db, files.root, |_, _| {});
    let levels = tree.levels();
    assert_eq!(levels.len(), 3, "files: {} levels", levels.len());
    for page in &levels[1] {
        let flags = db.page(page.pgno).unwrap().header.flags;
        assert!(flags.contains(PageFlags::PARENT_OF_LEAF) && !flags.contains(PageFlags::ROOT), "{flags:?}");
    }
    assert!(tree.findings.is_empty(), "{:?}", tree.findings);
    assert_eq!(tree.entries, 800);
}

/// Runs an esescope command line and returns its exit code and JSON output.
pub fn esescope_json(args: &[&str]) -> (std::process::ExitCode, serde_json::Value) {
    use clap::Parser;
    let cli =
        esescope::cli::Cli::try_parse_from(std::iter::once("esescope").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    let code = esescope::cli::run(cli.command.as_ref().unwrap(), &mut out).unwrap();
    (code, serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{args:?}: {e}")))
}

#[test]
fn verify_tables_tree_and_catalog_commands_agree_with_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("clean-8k.edb", CLEAN_8K), ("clean-32k.edb", CLEAN_32K)] {
        let written = teaching_database(size).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &written.bytes).unwrap();
        let file = path.to_str().unwrap();
        let tables = sample_tables(size);

        let (code, verify) = esescope_json(&["verify", file, "--trees", "--json"]);
        assert_eq!(code, std::process::ExitCode::SUCCESS, "{verify}");
        let counts = &verify["counts"];
        assert_eq!(
            counts["ok"].as_u64().unwrap() + counts["uninitialized"].as_u64().unwrap(),
            counts["pages"].as_u64().unwrap()
        );
        assert_eq!(verify["bad_pages"], json!([]));

        let (_, listed) = esescope_json(&["tables", file, "--json"]);
        let listed = listed.as_array().unwrap();
        let names: Vec<&str> = listed.iter().map(|t| t["name"].as_str().unwrap()).collect();
        let mut meant = vec!["MSysObjects", "MSysObjectsShadow"];
        meant.extend(tables.iter().map(|t| t.name.as_str()));
        assert_eq!(names, meant);
        for table in &tables {
            let row = listed.iter().find(|t| t["name"] == table.name.as_str()).unwrap();
            assert_eq!(row["records"], json!(table.rows.len()), "{name} {}", table.name);
            assert_eq!(row["findings"], json!([]));
            let (_, tree) = esescope_json(&["tree", file, &table.name, "--json"]);
            assert_eq!(tree["entries"], json!(table.rows.len()));
            assert_eq!(
                tree["pages"].as_array().unwrap().len(),
                written.tree(&table.name).unwrap().pages.len()
            );
            assert_eq!(tree["findings"], json!([]));
        }

        let (_, catalog) = esescope_json(&["catalog", file, "--json"]);
        for table in &tables {
            let found = catalog["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["table"]["name"] == table.name.as_str())
                .unwrap();
            let mut columns: Vec<(String, u64)> = found["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["name"].as_str().unwrap().to_string(), c["coltyp_or_pgno_fdp"].as_u64().unwrap()))
                .collect();
            let mut want: Vec<(String, u64)> =
                table.columns.iter().map(|c| (c.name.clone(), u64::from(c.coltyp.0))).collect();
            columns.sort();
            want.sort();
            assert_eq!(columns, want, "{name} {}", table.name);
            let mut indexes: Vec<&str> =
                found["indexes"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
            let mut want: Vec<&str> =
                std::iter::once(&table.primary).chain(&table.indexes).map(|i| i.name.as_str()).collect();
            indexes.sort_unstable();
            want.sort_unstable();
            assert_eq!(indexes, want);
            let has_lv = written.tree(&format!("{}/LV", table.name)).is_some();
            assert_eq!(!found["long_value"].is_null(), has_lv, "{}", table.name);
        }
    }
}

#[test]
fn the_bundled_sample_is_the_committed_one_or_written_afresh() {
    use esescope::cli::sample::{bundled_sample, bundled_sample_in};
    assert_eq!(bundled_sample().unwrap(), sample_dir().join("clean-8k.edb"));
    let cache = tempfile::tempdir().unwrap();
    let missing = cache.path().join("no-such-checkout/clean-8k.edb");
    let path = bundled_sample_in(&missing, &cache.path().join("cache")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(sample_dir().join("clean-8k.edb")).unwrap());
    assert!(Database::open(&path).unwrap().header().is_some());
}
