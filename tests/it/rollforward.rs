//! Issue 14: roll a restored copy forward through real engine logs. The
//! older copy `srum-server2022-snapshot-before/SRUDB.dat` replayed through
//! the logs of `srum-server2022-clean-with-logs` (generations 2-5, the
//! tmp log holding generation 2) must become that folder's later
//! `SRUDB.dat`: the same rows in every table, the same header dbtime and
//! objidLast, and every page the logs touched the same, apart from the
//! differences named below with their reasons. Inputs are copied into a
//! temporary directory and their SHA-256 checked after every run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use esescope::format::page::Page;
use esescope::format::{PageNumber, PageSize};
use esescope::store::Database;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::real_samples;

/// The page flags' flush-type bits (`fPageFlushType`), which record the
/// engine's write of the page, not its content.
const FLUSH_TYPE: u32 = 0x18000;

struct Inputs {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    logs: PathBuf,
    out: PathBuf,
    digests: BTreeMap<PathBuf, String>,
}

fn sha(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn later() -> PathBuf {
    real_samples().join("srum-server2022-clean-with-logs/SRUDB.dat")
}

/// Copies of the older database (in `db/`) and of the later folder's logs,
/// tmp log and checkpoint (in `logs/`), with their digests.
fn inputs() -> Inputs {
    inputs_with(|_, _| {})
}

/// As [`inputs`], with `change` applied to the copies (database, log
/// directory) before their digests are taken.
fn inputs_with(change: impl FnOnce(&Path, &Path)) -> Inputs {
    let tmp = tempfile::tempdir().unwrap();
    let (dbdir, logs) = (tmp.path().join("db"), tmp.path().join("logs"));
    std::fs::create_dir_all(&dbdir).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    let db = dbdir.join("SRUDB.dat");
    std::fs::copy(real_samples().join("srum-server2022-snapshot-before/SRUDB.dat"), &db).unwrap();
    for file in std::fs::read_dir(real_samples().join("srum-server2022-clean-with-logs")).unwrap().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if name.ends_with(".log") || name.ends_with(".chk") {
            std::fs::copy(file.path(), logs.join(&name)).unwrap();
        }
    }
    for dir in [&dbdir, &logs] {
        for file in std::fs::read_dir(dir).unwrap().flatten() {
            let mut perms = std::fs::metadata(file.path()).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(file.path(), perms).unwrap();
        }
    }
    change(&db, &logs);
    let mut digests = BTreeMap::new();
    for dir in [&dbdir, &logs] {
        for file in std::fs::read_dir(dir).unwrap().flatten() {
            digests.insert(file.path(), sha(&file.path()));
        }
    }
    let out = tmp.path().join("out").join("NEW.dat");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    Inputs { _tmp: tmp, db, logs, out, digests }
}

impl Inputs {
    fn unchanged(&self) {
        for (path, digest) in &self.digests {
            assert_eq!(&sha(path), digest, "{} changed", path.display());
        }
    }
}

fn esescope(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_esescope")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn plan_of_the_older_copy_through_the_later_logs_has_no_stop() {
    let i = inputs();
    let (code, stdout, stderr) =
        esescope(&["recover", s(&i.db), "--logs", s(&i.logs), "--plan", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_slice(&stdout).unwrap();
    // replay starts at the copy's own position, not at the later checkpoint (0x5,6,0)
    assert_eq!(plan["start"]["generation"], 2);
    assert_eq!((plan["start"]["isec"].as_u64(), plan["start"]["ib"].as_u64()), (Some(1), Some(0x606)));
    let why = plan["start_reason"].as_str().unwrap();
    assert!(why.contains("lgposConsistent") && why.contains("checkpoint (0x5,6,0) is later"), "{why}");
    let entries = plan["entries"].as_array().unwrap();
    assert!(entries.len() > 1000, "{}", entries.len());
    for e in entries {
        assert!(e["decision"] == "apply" || e["decision"] == "skip", "{e}");
        assert!(e["reason"].is_string());
    }
    let count = |name: &str| {
        plan["types"].as_array().unwrap().iter().find(|t| t["name"] == name).map(|t| t["apply"].clone())
    };
    assert_eq!(count("CreateSingleExtentFDP"), Some(Value::from(18)));
    assert_eq!(count("ConvertFDP2"), Some(Value::from(3)));
    assert!(plan["unsupported"].as_array().unwrap().is_empty());
    i.unchanged();
    // `logs --db` says the same about where replay starts
    let (code, stdout, _) = esescope(&["logs", s(&i.logs), "--db", s(&i.db)]);
    assert_eq!(code, 0);
    let text = String::from_utf8(stdout).unwrap();
    assert!(
        text.contains("replay would read generations 0x2 to 0x5 (from the database's lgposConsistent"),
        "{text}"
    );
    // the text form says the same, in ESE's words
    let (code, stdout, _) = esescope(&["recover", s(&i.db), "--logs", s(&i.logs), "--plan"]);
    assert_eq!(code, 0);
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.contains(", 0 stop)"), "{text}");
    assert!(text.contains("page 47: dbtime past the end of the file, record's dbtime before none: new page"));
    assert!(text.contains("page is older than this record"));
    // no internal names in the words
    for internal in ["NeedsRedo", "Current", "TooOld", "BeyondEnd", "nil"] {
        assert!(!text.contains(internal), "{internal} in the plan's text");
    }
    i.unchanged();
}

/// A node's key, data and flags (tag 0 as a node with no key).
type Node = (Vec<u8>, Vec<u8>, u8);

/// The decoded content of a page: header fields that are content (not
/// checksum, flush type or where free space starts), tag 0 and every node
/// as (key, data, flags without the compressed bit).
fn content(bytes: &[u8], pgno: u32) -> (Vec<u64>, Vec<Node>) {
    let page = Page::parse(bytes, PageNumber(pgno), PageSize::K4).unwrap();
    let image = esescope::writer::page::PageImage::from_page(&page).unwrap();
    let h = &page.header;
    let fields = vec![
        h.dbtime_dirtied.0,
        u64::from(h.prev.0),
        u64::from(h.next.0),
        u64::from(h.objid_fdp.0),
        u64::from(h.cb_free),
        u64::from(h.cb_uncommitted_free),
        u64::from(h.tag_count),
        u64::from(h.flags.0 & !FLUSH_TYPE),
    ];
    let mut nodes = vec![(Vec::new(), image.external_header.clone(), 0)];
    nodes.extend(image.nodes.iter().map(|n| (n.key.clone(), n.data.clone(), n.flags.0 & 0x3)));
    (fields, nodes)
}

/// The page's bytes without the checksum (0..8) and the flush-type bits.
fn masked(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes[8..].to_vec();
    let flags = u32::from_le_bytes(bytes[36..40].try_into().unwrap()) & !FLUSH_TYPE;
    b[28..32].copy_from_slice(&flags.to_le_bytes());
    b
}

#[test]
fn the_older_copy_rolled_forward_is_the_later_database() {
    let i = inputs();
    let (code, stdout, stderr) =
        esescope(&["recover", s(&i.db), "--logs", s(&i.logs), "--out", s(&i.out), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    i.unchanged();
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(report["output"]["sha256"].as_str().unwrap(), sha(&i.out));
    // nothing but the output and its two report files; no temporary left
    let mut names: Vec<String> = std::fs::read_dir(i.out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["NEW.dat", "NEW.dat.recovery.json", "NEW.dat.recovery.txt"]);

    // verify --trees finds no damage
    let (code, stdout, stderr) = esescope(&["verify", "--trees", s(&i.out)]);
    assert_eq!(code, 0, "{stderr}\n{}", String::from_utf8_lossy(&stdout));

    // every table, row for row and value for value
    let export = |path: &Path| -> Value {
        let (code, stdout, stderr) = esescope(&["export", s(path), "--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let mut v: Value = serde_json::from_slice(&stdout).unwrap();
        v.as_object_mut().unwrap().remove("file");
        v
    };
    let (ours, theirs) = (export(&i.out), export(&later()));
    assert_eq!(ours["tables"].as_array().unwrap().len(), 12);
    assert_eq!(ours, theirs);

    // the header: dbtime, objidLast and state as the later file's
    let (new, old) = (Database::open(&i.out).unwrap(), Database::open(later()).unwrap());
    let (a, b) = (new.header().unwrap(), old.header().unwrap());
    assert_eq!(a.dbtime_dirtied, b.dbtime_dirtied);
    assert_eq!(a.objid_last, b.objid_last);
    assert_eq!(a.state, b.state);

    // every page the logs touched, against the later file
    let touched: Vec<u32> =
        report["pages"].as_array().unwrap().iter().map(|p| p["pgno"].as_u64().unwrap() as u32).collect();
    assert!(touched.len() > 60, "{}", touched.len());
    let (mut same, mut layout, mut key_form) = (Vec::new(), Vec::new(), Vec::new());
    for &pgno in &touched {
        let (x, y) = (new.page_bytes(PageNumber(pgno)).unwrap(), old.page_bytes(PageNumber(pgno)).unwrap());
        if masked(x) == masked(y) {
            same.push(pgno);
            continue;
        }
        let (cx, cy) = (content(x, pgno), content(y, pgno));
        assert_eq!(cx, cy, "page {pgno}: the content differs, not only its layout");
        // Difference 1 (layout): esescope builds each page it redoes
        // compacted, node data in line order from the header on; the engine
        // edits in place, so deleted or replaced data leaves holes and data
        // moved by a split or a reorganisation sits elsewhere. Same tags,
        // same nodes, same cbFree; ibMicFree and the data offsets differ.
        // Difference 2 (key form): Split2 redo stores a moved node's key
        // compressed against the new page's prefix; the engine kept the
        // form the node had (page 75, line 0: 3-byte key stored whole, 10
        // bytes either way).
        let compression = |b: &[u8]| {
            let p = Page::parse(b, PageNumber(pgno), PageSize::K4).unwrap();
            (1..p.header.tag_count).map(|t| p.tag(t).map(|t| t.flags).ok()).collect::<Vec<_>>()
        };
        if compression(x) == compression(y) {
            layout.push(pgno);
        } else {
            key_form.push(pgno);
        }
    }
    // the new trees' roots (CreateSingleExtentFDP) and ConvertFDP2's space trees are byte for byte the engine's
    for pgno in [47, 48, 49, 63, 64, 65, 95, 96, 97, 111, 112, 113, 127, 128, 129] {
        assert!(same.contains(&pgno), "page {pgno} differs");
    }
    assert_eq!(key_form, [75], "pages whose node key form differs");
    assert!(same.len() > layout.len(), "same {same:?} layout {layout:?}");

    // Difference 3 (file size): the last ExtendDB of the logs makes page
    // 142 the last (0x8E at (0x4,2,303)); the later file is 16 pages longer,
    // all zero: the engine grew it without logging it.
    assert_eq!(new.page_count(), 142);
    assert_eq!(old.page_count(), 158);
    for pgno in 143..=158 {
        assert!(old.page_bytes(PageNumber(pgno)).unwrap().iter().all(|&b| b == 0), "page {pgno}");
    }
    // pages the logs did not touch are the older copy's, which are the later file's too
    for pgno in 1..=142 {
        if touched.contains(&pgno) {
            continue;
        }
        let x = new.page_bytes(PageNumber(pgno)).unwrap();
        let y = old.page_bytes(PageNumber(pgno)).unwrap();
        assert_eq!(masked(x), masked(y), "untouched page {pgno}");
    }

    // independent readers find the later file's row counts
    if let Some((ours, theirs)) = reader_counts(&i.out).zip(reader_counts(&later())) {
        assert_eq!(ours, theirs);
    }
    i.unchanged();
}

/// Rows per table as dissect.esedb and pyesedb count them; `None` (and a
/// note) when python3 lacks them outside CI.
fn reader_counts(path: &Path) -> Option<String> {
    let script = "import sys, json, pyesedb\nfrom dissect.esedb import EseDB\n\
        f = pyesedb.open(sys.argv[1])\n\
        a = {f.get_table(i).get_name(): f.get_table(i).get_number_of_records() for i in range(f.get_number_of_tables())}\n\
        b = {t.name: sum(1 for _ in t.records()) for t in EseDB(open(sys.argv[1], 'rb')).tables()}\n\
        print(json.dumps([sorted(a.items()), sorted(b.items())]))";
    let out = Command::new("python3").arg("-c").arg(script).arg(path).output().ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("ModuleNotFoundError") && std::env::var_os("CI").is_none(),
            "the readers failed on {}: {err}",
            path.display()
        );
        eprintln!("skipping the reader check: python3 lacks dissect.esedb or pyesedb");
        return None;
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Runs `recover --out` and `recover --plan` on the changed inputs: both
/// refused with exit 2 and one line naming what `expect` says, no output
/// file, inputs unchanged.
fn refused(change: impl FnOnce(&Path, &Path), expect: &[&str]) {
    let i = inputs_with(change);
    for plan in [false, true] {
        let mode = if plan { vec!["--plan"] } else { vec!["--out", s(&i.out)] };
        let mut args = vec!["recover", s(&i.db), "--logs", s(&i.logs)];
        args.extend(mode);
        let (code, _, stderr) = esescope(&args);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        for word in expect {
            assert!(stderr.contains(word), "{word} not in {stderr}");
        }
        assert_eq!(std::fs::read_dir(i.out.parent().unwrap()).unwrap().count(), 0, "something was written");
        i.unchanged();
    }
}

#[test]
fn a_missing_middle_generation_is_named() {
    refused(
        |_, logs| std::fs::remove_file(logs.join("SRU00003.log")).unwrap(),
        &["generation 0x3 ", "missing"],
    );
}

#[test]
fn a_log_of_another_stream_is_named() {
    refused(
        |_, logs| {
            let other = real_samples().join("srum-win10-clean-with-logs/SRU0001A.log");
            std::fs::copy(other, logs.join("SRU00003.log")).unwrap();
        },
        &["generation 0x3", "SRU00003.log", "another log stream"],
    );
}

#[test]
fn a_truncated_last_log_is_named() {
    refused(
        |_, logs| {
            let path = logs.join("SRU.log");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..4 * 4096]).unwrap();
        },
        &["generation 0x5", "SRU.log", "truncated"],
    );
}

#[test]
fn a_corrupt_segment_in_the_middle_is_named() {
    refused(
        |_, logs| {
            let path = logs.join("SRU00003.log");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[5 * 4096 + 100] ^= 0xFF;
            std::fs::write(&path, bytes).unwrap();
        },
        &["generation 0x3", "SRU00003.log", "damaged", "checksum"],
    );
}

#[test]
fn a_database_newer_than_the_logs_is_refused() {
    refused(
        |db, logs| {
            std::fs::copy(later(), db).unwrap();
            for file in std::fs::read_dir(logs).unwrap().flatten() {
                std::fs::remove_file(file.path()).unwrap();
            }
            for name in ["SRU00001.log", "SRU.log", "SRU.chk"] {
                let from = real_samples().join("srum-server2022-snapshot-before").join(name);
                std::fs::copy(from, logs.join(name)).unwrap();
            }
        },
        &["newer than the logs", "(0x5,3,1D5)", "SRU.log"],
    );
}

/// Issue 14, item 3: the older folder's logs start at the database's
/// creation; with its SRUDB.dat removed, `recover --logs DIR --out NEW`
/// rebuilds it, every table row for row.
#[test]
fn a_database_is_rebuilt_from_logs_that_start_at_its_creation() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let before = real_samples().join("srum-server2022-snapshot-before");
    for file in std::fs::read_dir(&before).unwrap().flatten() {
        if file.file_name() != "SRUDB.dat" {
            std::fs::copy(file.path(), logs.join(file.file_name())).unwrap();
        }
    }
    let digests: Vec<(PathBuf, String)> =
        std::fs::read_dir(&logs).unwrap().flatten().map(|f| (f.path(), sha(&f.path()))).collect();
    let out = tmp.path().join("out").join("SRUDB.dat");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (code, stdout, stderr) = esescope(&["recover", "--logs", s(&logs), "--plan", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!((plan["start"]["generation"].as_u64(), plan["start"]["isec"].as_u64()), (Some(1), Some(1)));
    assert!(plan["entries"].as_array().unwrap().iter().all(|e| e["decision"] == "apply"));
    let (code, _, stderr) = esescope(&["recover", "--logs", s(&logs), "--out", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = esescope(&["verify", "--trees", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    let export = |path: &Path| -> Value {
        let (code, stdout, stderr) = esescope(&["export", s(path), "--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let mut v: Value = serde_json::from_slice(&stdout).unwrap();
        v.as_object_mut().unwrap().remove("file");
        v
    };
    let theirs = export(&before.join("SRUDB.dat"));
    assert_eq!(theirs["tables"].as_array().unwrap().len(), 6);
    assert_eq!(export(&out), theirs);
    for (path, digest) in &digests {
        assert_eq!(&sha(path), digest, "{} changed", path.display());
    }
    if let Some((ours, theirs)) = reader_counts(&out).zip(reader_counts(&before.join("SRUDB.dat"))) {
        assert_eq!(ours, theirs);
    }
}

#[test]
fn without_a_database_logs_that_do_not_start_at_its_creation_are_refused() {
    let i = inputs();
    let (code, _, stderr) = esescope(&["recover", "--logs", s(&i.logs), "--out", s(&i.out)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("generation 0x2 does not start with a CreateDB record"), "{stderr}");
    assert_eq!(std::fs::read_dir(i.out.parent().unwrap()).unwrap().count(), 0);
    i.unchanged();
}
