//! Issue 2 acceptance: every real database verifies, headers agree with the
//! independent facts in SOURCES.md, and damage made in temporary copies is
//! reported exactly (page, byte, bit, verdict).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use esescope::cli::database::{FileArgs, PageArgs, PageSpec, VerifyArgs};
use esescope::cli::output::OutputArgs;
use esescope::cli::{self, Command};
use serde_json::Value;

use crate::common::{real_databases, real_samples};

/// Runs a subcommand in-process; returns (exit code, stdout).
fn run(command: Command) -> (ExitCode, String) {
    let mut out = Vec::new();
    let code = cli::run(&command, &mut out).expect("command runs");
    (code, String::from_utf8(out).expect("utf-8 output"))
}

fn verify_json(path: &Path) -> (ExitCode, Value) {
    let (code, text) = run(Command::Verify(VerifyArgs {
        file: path.to_path_buf(),
        trees: false,
        output: OutputArgs::json(),
    }));
    (code, serde_json::from_str(&text).expect("verify --json is JSON"))
}

fn page_json(path: &Path, pgno: u32) -> Value {
    let args = PageArgs {
        file: path.to_path_buf(),
        page: PageSpec::Number(pgno),
        output: OutputArgs::json(),
        no_hex: false,
    };
    let (_, text) = run(Command::Page(args));
    serde_json::from_str(&text).expect("page --json is JSON")
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

/// Facts about each database from SOURCES.md: (page size, version, revision, state name).
fn sources_facts() -> Vec<(String, u32, u32, u32, String)> {
    let text = std::fs::read_to_string(real_samples().join("SOURCES.md")).expect("SOURCES.md");
    let mut facts = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | folder | file | repo | path | license | size | page | version | state | ...
        let (Some(folder), Some(file), Some(page), Some(version), Some(state)) =
            (cells.get(1), cells.get(2), cells.get(7), cells.get(8), cells.get(9))
        else {
            continue;
        };
        let mut words = version.split_whitespace();
        let (Some(v), Some("rev"), Some(rev)) = (words.next(), words.next(), words.next()) else { continue };
        let parse = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        let (Some(v), Some(rev), Ok(page)) = (parse(v), parse(rev), page.parse::<u32>()) else { continue };
        let state = state.split_whitespace().next().unwrap_or_default().to_string();
        facts.push((format!("{folder}/{file}"), page, v, rev, state));
    }
    facts
}

#[test]
fn every_real_database_verifies_and_its_header_agrees_with_sources() {
    let databases = real_databases();
    assert!(databases.len() >= 10, "expected the real samples beside the repo, found {}", databases.len());
    let facts = sources_facts();
    for path in &databases {
        let name = path.strip_prefix(real_samples()).unwrap().to_string_lossy().replace('\\', "/");
        let (code, report) = verify_json(path);
        assert_eq!(code, ExitCode::SUCCESS, "{name}: {report:#}");
        let counts = &report["counts"];
        for key in ["correctable", "wrong_page_number", "uncorrectable"] {
            assert_eq!(counts[key], 0, "{name}: {key}");
        }
        let temporary = report["temporary"].as_bool().unwrap();
        assert_eq!(temporary, name.ends_with("temp.edb"), "{name}: temporary database detection");
        if !temporary {
            assert!(counts["ok"].as_u64().unwrap() > 10, "{name}: ok pages");
        }

        let (code, text) = run(Command::Header(FileArgs { file: path.clone(), output: OutputArgs::json() }));
        assert_eq!(code, ExitCode::SUCCESS, "{name}");
        let header: Value = serde_json::from_str(&text).unwrap();
        let (_, page, version, revision, state) =
            facts.iter().find(|f| f.0 == name).unwrap_or_else(|| panic!("{name} is not in SOURCES.md"));
        assert_eq!(header["page_size"], *page, "{name}");
        let elected = &header["header"];
        assert_eq!(elected["version"], *version, "{name}");
        assert_eq!(elected["update_major"], *revision, "{name}");
        let state_code = match state.as_str() {
            "JustCreated" => 1,
            "DirtyShutdown" => 2,
            "CleanShutdown" => 3,
            other => panic!("{name}: unexpected state {other}"),
        };
        assert_eq!(elected["state"], state_code, "{name}");
        let raw = std::fs::read(path).unwrap();
        let dbtime = u64::from_le_bytes(raw[16..24].try_into().unwrap());
        assert_eq!(elected["dbtime_dirtied"], dbtime, "{name}");
        assert!(header["differences"].as_array().unwrap().is_empty(), "{name}: copies differ");
        assert_eq!(header["copies"].as_array().unwrap().len(), 2);
    }
}

/// A writable copy of a real database in a temporary directory.
struct Copy {
    _dir: tempfile::TempDir,
    path: PathBuf,
    bytes: Vec<u8>,
    page_size: usize,
}

impl Copy {
    fn of(relative: &str) -> Self {
        let source = real_samples().join(relative);
        let bytes = std::fs::read(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(source.file_name().unwrap());
        let page_size = match u32_at(&bytes, 236) {
            0 => 4096,
            n => n as usize,
        };
        Self { _dir: dir, path, bytes, page_size }
    }

    fn page(&self, pgno: u32) -> &[u8] {
        let start = (pgno as usize + 1) * self.page_size;
        &self.bytes[start..start + self.page_size]
    }

    /// Pages that are written (not all zero).
    fn written_pages(&self) -> Vec<u32> {
        let count = (self.bytes.len() / self.page_size - 2) as u32;
        (1..=count).filter(|&p| self.page(p).iter().any(|&b| b != 0)).collect()
    }

    fn flip(&mut self, pgno: u32, page_bit: usize) {
        let at = (pgno as usize + 1) * self.page_size + page_bit / 8;
        self.bytes[at] ^= 1 << (page_bit % 8);
    }

    fn save(&self) -> &Path {
        std::fs::write(&self.path, &self.bytes).unwrap();
        &self.path
    }
}

/// Flips one bit and checks that verify names the page, byte, bit and
/// "correctable", in JSON and in text.
fn assert_single_flip_located(copy: &mut Copy, pgno: u32, page_bit: usize) {
    let original = copy.bytes.clone();
    copy.flip(pgno, page_bit);
    let path = copy.save().to_path_buf();
    let (code, report) = verify_json(&path);
    let what = format!("{} page {pgno} bit {page_bit}", path.display());
    assert_eq!(code, ExitCode::from(1), "{what}");
    let bad = report["bad_pages"].as_array().unwrap();
    assert_eq!(bad.len(), 1, "{what}: {report:#}");
    assert_eq!(bad[0]["pgno"], pgno, "{what}");
    assert_eq!(bad[0]["verdict"]["verdict"], "correctable", "{what}: {:#}", bad[0]);
    let bits = bad[0]["verdict"]["bits"].as_array().unwrap();
    assert_eq!(bits.len(), 1, "{what}");
    assert_eq!(bits[0]["offset"], page_bit / 8, "{what}");
    assert_eq!(bits[0]["bit"], page_bit % 8, "{what}");
    let (_, text) =
        run(Command::Verify(VerifyArgs { file: path.clone(), trees: false, output: OutputArgs::text() }));
    let file_offset = (pgno as usize + 1) * copy.page_size;
    let expected = format!(
        "page {pgno} (offset {file_offset:#x}): correctable: single-bit error at byte {:#x} bit {}",
        page_bit / 8,
        page_bit % 8
    );
    assert!(text.contains(&expected), "{what}: expected `{expected}` in:\n{text}");
    copy.bytes = original;
}

#[test]
fn single_bit_flips_are_located_on_real_pages() {
    let mut rng = fastrand::Rng::with_seed(0x1018);
    for sample in [
        "foxit-synthetic-esent/index.edb",
        "strozfriedberg-synthetic-8k-compressed/decompress_test2.edb",
        "bits-qmgr-win11-16k-dirty/qmgr.db",
        "windows-search-win10-clean-32k/Windows.edb",
    ] {
        let mut copy = Copy::of(sample);
        let pages = copy.written_pages();
        let size = copy.page_size;
        let header_len = if size > 8192 { 80 } else { 40 };
        for round in 0..3 {
            let pgno = pages[rng.usize(..pages.len())];
            // the page header (after the stored checksum), the data area, and
            // the stored checksum itself
            assert_single_flip_located(&mut copy, pgno, rng.usize(64..header_len * 8));
            assert_single_flip_located(&mut copy, pgno, rng.usize(header_len * 8..size * 8));
            assert_single_flip_located(&mut copy, pgno, rng.usize(32..64) - 32 * (round % 2));
        }
    }
}

#[test]
fn a_flip_in_each_block_of_a_32k_page_is_located() {
    let mut copy = Copy::of("windows-search-win10-clean-32k/Windows.edb");
    let mut rng = fastrand::Rng::with_seed(32);
    let pages = copy.written_pages();
    for block in 0..4 {
        let pgno = pages[rng.usize(..pages.len())];
        let bit = block * 8192 * 8 + rng.usize(if block == 0 { 64 } else { 0 }..8192 * 8);
        assert_single_flip_located(&mut copy, pgno, bit);
    }
    // the stored checksums of blocks 1-3 live in block 0 (rgChecksum)
    let pgno = pages[0];
    for byte in [40, 48, 56, 63] {
        assert_single_flip_located(&mut copy, pgno, byte * 8 + rng.usize(..8));
    }
}

#[test]
fn two_flipped_bits_are_never_correctable() {
    let mut rng = fastrand::Rng::with_seed(2);
    for sample in ["foxit-synthetic-esent/text.edb", "windows-search-win10-clean-32k/Windows.edb"] {
        let mut copy = Copy::of(sample);
        let pages = copy.written_pages();
        let block = copy.page_size.min(8192);
        for _ in 0..10 {
            let pgno = pages[rng.usize(..pages.len())];
            let original = copy.bytes.clone();
            let a = rng.usize(64..block * 8);
            let mut b = rng.usize(64..block * 8);
            while b == a {
                b = rng.usize(64..block * 8);
            }
            copy.flip(pgno, a);
            copy.flip(pgno, b);
            let (code, report) = verify_json(copy.save());
            assert_eq!(code, ExitCode::from(1));
            let bad = &report["bad_pages"][0];
            assert_eq!(bad["pgno"], pgno);
            assert_eq!(bad["verdict"]["verdict"], "uncorrectable", "{sample} bits {a} {b}: {bad:#}");
            copy.bytes = original;
        }
    }
}

#[test]
fn a_page_written_at_the_wrong_place_names_its_number() {
    for sample in ["srum-win10-clean-with-logs/SRUDB.dat", "windows-search-win10-clean-32k/Windows.edb"] {
        let mut copy = Copy::of(sample);
        let pages = copy.written_pages();
        // far apart, and neighbours (4 and 5 differ in one bit of their number)
        for (from, to) in [(pages[pages.len() - 1], pages[2]), (4, 5)] {
            let original = copy.bytes.clone();
            let page = copy.page(from).to_vec();
            let start = (to as usize + 1) * copy.page_size;
            copy.bytes[start..start + copy.page_size].copy_from_slice(&page);
            let (code, report) = verify_json(copy.save());
            assert_eq!(code, ExitCode::from(1));
            let bad = &report["bad_pages"][0];
            assert_eq!(bad["pgno"], to, "{sample}");
            assert_eq!(bad["verdict"]["verdict"], "wrong_page_number", "{sample} {from}->{to}: {bad:#}");
            assert_eq!(bad["verdict"]["stored_pgno"], from, "{sample}");
            let (_, text) = run(Command::Verify(VerifyArgs {
                file: copy.path.clone(),
                trees: false,
                output: OutputArgs::text(),
            }));
            assert!(text.contains(&format!("perhaps this is page {from}")), "{text}");
            copy.bytes = original;
        }
    }
}

#[test]
fn a_zeroed_page_is_uninitialized() {
    let mut copy = Copy::of("catroot2-catalog-win81/Catalog1.edb");
    let (_, before) = verify_json(copy.save());
    let pgno = copy.written_pages()[5];
    let start = (pgno as usize + 1) * copy.page_size;
    copy.bytes[start..start + copy.page_size].fill(0);
    let path = copy.save().to_path_buf();
    let dump = page_json(&path, pgno);
    assert_eq!(dump["checksum"]["verdict"]["verdict"], "uninitialized");
    let (_, after) = verify_json(&path);
    let count = |r: &Value, k: &str| r["counts"][k].as_u64().unwrap();
    assert_eq!(count(&after, "uninitialized"), count(&before, "uninitialized") + 1);
    assert_eq!(count(&after, "ok"), count(&before, "ok") - 1);
    let args =
        PageArgs { file: path, page: PageSpec::Number(pgno), output: OutputArgs::text(), no_hex: true };
    let (_, text) = run(Command::Page(args));
    assert!(text.contains("uninitialized") && text.contains("-1019 JET_errPageNotInitialized"), "{text}");
}

#[test]
fn a_damaged_primary_header_falls_back_to_the_shadow() {
    let mut copy = Copy::of("srum-win11-dirty-with-logs/SRUDB.dat");
    copy.bytes[100] ^= 0x10;
    let path = copy.save().to_path_buf();
    let (code, text) = run(Command::Info(FileArgs { file: path.clone(), output: OutputArgs::json() }));
    assert_eq!(code, ExitCode::from(1), "a damaged header copy is damage");
    let info: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["source"], "shadow");
    assert_eq!(info["page_size"], 4096);
    assert_eq!(info["header"]["state"], 2);
    assert!(info["warnings"][0]["message"].as_str().unwrap().contains("primary header is damaged"));
    let (code, report) = verify_json(&path);
    assert_eq!(code, ExitCode::from(1));
    assert_eq!(report["counts"]["uncorrectable"], 0, "pages are fine");
}

#[test]
fn both_headers_damaged_still_opens_with_the_detected_page_size() {
    for (sample, size) in [
        ("strozfriedberg-synthetic-8k-compressed/decompress_test2.edb", 8192),
        ("bits-qmgr-win11-16k-dirty/qmgr.db", 16384),
    ] {
        let mut copy = Copy::of(sample);
        copy.bytes[..2 * size].iter_mut().step_by(7).for_each(|b| *b ^= 0x5a);
        let path = copy.save().to_path_buf();
        let (code, text) = run(Command::Info(FileArgs { file: path.clone(), output: OutputArgs::json() }));
        assert_eq!(code, ExitCode::from(1));
        let info: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(info["source"], "detected_from_pages", "{sample}");
        assert_eq!(info["page_size"], size, "{sample}");
        assert!(info["header"].is_null());
        let (_, report) = verify_json(&path);
        assert_eq!(report["counts"]["uncorrectable"], 0, "{sample}: pages still verify");
    }
}

#[test]
fn the_input_file_is_never_modified() {
    let mut copy = Copy::of("ual-server2012r2/Current.mdb");
    copy.flip(3, 9000);
    let path = copy.save().to_path_buf();
    let before = std::fs::read(&path).unwrap();
    let _ = verify_json(&path);
    let _ = page_json(&path, 3);
    let _ = run(Command::Header(FileArgs { file: path.clone(), output: OutputArgs::text() }));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// Runs the real binary; returns (exit code, stdout, stderr).
fn binary(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_esescope")).args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr))
}

#[test]
fn bad_input_gets_a_one_line_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.edb");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is not a database at all\n".repeat(500)).unwrap();
    let short = dir.path().join("short.edb");
    let real = std::fs::read(real_samples().join("foxit-synthetic-esent/multi.edb")).unwrap();
    std::fs::write(&short, &real[..4096 + 100]).unwrap();
    let missing = dir.path().join("missing.edb");
    let log = real_samples().join("srum-win10-clean-with-logs/SRU.log");
    let cases: [(&Path, &str); 6] = [
        (&empty, "empty file"),
        (&text, "not an ESE database"),
        (&short, "truncated"),
        (&missing, "cannot open"),
        (dir.path(), "is a directory"),
        (&log, "transaction log"),
    ];
    for (path, expected) in cases {
        for command in ["info", "header", "verify"] {
            let (code, stdout, stderr) = binary(&[command, path.to_str().unwrap()]);
            assert_eq!(code, 2, "{command} {}: {stderr}", path.display());
            assert!(stdout.is_empty(), "{stdout}");
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            assert!(stderr.contains(&*path.to_string_lossy()), "names the file: {stderr}");
            assert!(stderr.contains(expected), "{command}: expected '{expected}' in {stderr}");
        }
    }
    let (code, _, stderr) =
        binary(&["page", real_samples().join("foxit-synthetic-esent/multi.edb").to_str().unwrap(), "9999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("page 9999 is outside the file (pages 1 to 254)"), "{stderr}");
}

#[test]
fn a_truncated_last_page_is_reported_and_the_rest_still_verifies() {
    let mut copy = Copy::of("foxit-synthetic-esent/multi.edb");
    let keep = copy.bytes.len() - 1000;
    copy.bytes.truncate(keep);
    let (code, report) = verify_json(copy.save());
    assert_eq!(code, ExitCode::from(1));
    assert_eq!(report["counts"]["pages"], 253);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("file ends 3096 bytes into page 254"), "{message}");
}

#[test]
fn page_accepts_a_file_offset_and_prints_both_forms() {
    let path = real_samples().join("foxit-synthetic-esent/index.edb");
    let args =
        PageArgs { file: path, page: PageSpec::Offset(0x5123), output: OutputArgs::text(), no_hex: false };
    let (code, text) = run(Command::Page(args));
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(text.starts_with("Page 4 of "), "{text}");
    assert!(text.contains("file offset 0x5000 (20480)"));
    assert!(text.contains("verdict: ok"));
    assert!(text.contains("0000  0000005000  "), "hex dump shows page and file offsets");
}

#[test]
fn no_mmap_reads_the_same_and_a_shrinking_file_is_caught() {
    use esescope::store::{Database, ReadMode};
    let mut copy = Copy::of("srum-win11-dirty-with-logs/SRUDB.dat");
    copy.flip(20, 4000);
    let path = copy.save().to_path_buf();
    let mapped = esescope::scan::verify(&Database::open_with(&path, ReadMode::Map).unwrap(), |_| {
        std::ops::ControlFlow::Continue(())
    });
    let loaded = esescope::scan::verify(&Database::open_with(&path, ReadMode::Load).unwrap(), |_| {
        std::ops::ControlFlow::Continue(())
    });
    assert_eq!(mapped.counts, loaded.counts);
    assert_eq!(mapped.bad_pages, loaded.bad_pages);
    assert_eq!(loaded.counts.correctable, 1);
    let (code, _, stderr) = binary(&["verify", "--no-mmap", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");

    // another process truncates the file while it is mapped: verify stops
    // before touching the missing pages instead of dying of SIGBUS
    let db = Database::open(&path).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(100 * 4096).unwrap();
    let report = esescope::scan::verify(&db, |_| std::ops::ControlFlow::Continue(()));
    assert!(report.cancelled);
    let message = &report.findings.last().unwrap().message;
    assert!(message.contains("the file shrank from 2490368 to 409600 bytes"), "{message}");
    assert!(message.contains("--no-mmap"));
}
