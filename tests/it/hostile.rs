//! Hostile conditions around the evidence (issue 13): a file that shrinks
//! while it is read, a file larger than the address space, files that are
//! not regular files.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use esescope::store::{Database, ReadMode};

const BIN: &str = env!("CARGO_BIN_EXE_esescope");

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb")
}

/// A copy of the clean sample grown to `len` bytes (the rest reads as zeros).
fn large_copy(dir: &Path, len: u64) -> PathBuf {
    let path = dir.join("large.edb");
    std::fs::copy(sample(), &path).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len).unwrap();
    path
}

/// True once process `pid` has `path` open (Linux: /proc/PID/fd).
fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
}

/// Runs the binary with `args`, truncates `file` to `to` bytes as soon as the
/// process has it open, and returns (exit code, stderr).
fn run_and_truncate(args: &[&str], file: &Path, to: u64) -> (Option<i32>, String) {
    let mut child: Child =
        Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while !has_open(child.id(), file) {
        assert!(child.try_wait().unwrap().is_none(), "{args:?} ended before it opened the file");
        assert!(started.elapsed() < Duration::from_secs(60), "{args:?} never opened the file");
        std::thread::sleep(Duration::from_micros(200));
    }
    std::fs::OpenOptions::new().write(true).open(file).unwrap().set_len(to).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Issue 13 item 4: `verify`, `report` and `repair` on a 512 MiB file cut to
/// 8 MiB while they run, 20 times each, mapped and read into memory: never a
/// signal, always exit 1 with the finding naming both sizes.
#[test]
fn shrinking_file_is_a_finding_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (512u64 << 20, 8u64 << 20);
    for no_mmap in [false, true] {
        for command in ["verify", "report", "repair"] {
            for round in 0..20 {
                let file = large_copy(dir.path(), from);
                let out = dir.path().join(format!("out-{command}-{no_mmap}-{round}"));
                let file_arg = file.to_str().unwrap();
                let out_arg = out.to_str().unwrap();
                let mut args = vec![command, file_arg];
                if command == "repair" {
                    args.extend(["--out", out_arg]);
                }
                if no_mmap {
                    args.push("--no-mmap");
                }
                let (code, stderr) = run_and_truncate(&args, &file, to);
                assert_eq!(code, Some(1), "{args:?} round {round}: {stderr}");
                let finding = format!("the file shrank from {from} to {to} bytes while being read");
                assert!(stderr.contains(&finding), "{args:?} round {round}: {stderr}");
                assert_eq!(stderr.lines().filter(|l| l.contains(&finding)).count(), 1, "{stderr}");
                assert!(!out.exists(), "{args:?} left an output behind");
                let leftovers: Vec<_> = std::fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().contains("esescope-tmp"))
                    .collect();
                assert!(leftovers.is_empty(), "{args:?} left {leftovers:?}");
            }
        }
    }
}

/// The inspector's scan (`scan::verify`, what its worker runs) with the file
/// cut from another thread in the middle of the scan, past the pages already
/// read: the pages past the new end read as zeros (no SIGBUS) and the scan
/// stops with the finding.
#[test]
fn scan_survives_truncation_from_another_thread() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [ReadMode::Map, ReadMode::Load] {
        for _ in 0..20 {
            let file = large_copy(dir.path(), 48 << 20);
            let db = Database::open_with(&file, mode).unwrap();
            let mut cut = false;
            let report = esescope::scan::verify(&db, |_| {
                if !cut {
                    cut = true;
                    let path = file.clone();
                    std::thread::spawn(move || {
                        std::fs::OpenOptions::new().write(true).open(path).unwrap().set_len(1 << 20).unwrap()
                    })
                    .join()
                    .unwrap();
                }
                ControlFlow::Continue(())
            });
            assert!(report.cancelled, "{mode:?}");
            assert!(report.has_damage());
            let finding = format!("the file shrank from {} to {} bytes", 48 << 20, 1 << 20);
            assert!(report.findings.iter().any(|f| f.message.contains(&finding)), "{:?}", report.findings);
            // a mapped page past the new end reads as zeros instead of killing
            // the process, and once a read has faulted, as the shrink
            if mode == ReadMode::Map {
                let past = esescope::format::PageNumber(5000);
                match db.page_bytes(past) {
                    Ok(bytes) => assert!(bytes.iter().all(|&b| b == 0)),
                    Err(e) => assert!(matches!(e, esescope::Error::Shrank { .. }), "{e}"),
                }
                assert!(esescope::store::file::faulted());
                let error = db.page_bytes(past).unwrap_err();
                assert!(matches!(error, esescope::Error::Shrank { .. }), "{error}");
            }
        }
    }
}

/// Item 14: a database larger than the address space the process may use
/// opens (only the windows read are mapped).
#[test]
fn file_larger_than_the_address_space_limit_opens() {
    let dir = tempfile::tempdir().unwrap();
    let file = large_copy(dir.path(), 6 << 30);
    let output = Command::new("prlimit")
        .arg(format!("--as={}", 3u64 << 30))
        .arg(BIN)
        .args(["info", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("8192"), "{stdout}");
}

/// Item 3: SIGTERM or SIGINT while `repair` writes its temporary output
/// removes it, and the exit code is 128 + the signal.
#[test]
fn interrupted_repair_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = large_copy(dir.path(), 128 << 20);
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let out = dir.path().join(format!("new-{signal}.edb"));
        let tmp = dir.path().join(format!(".new-{signal}.edb.esescope-tmp"));
        let mut child = Command::new(BIN)
            .args(["repair", file.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !tmp.exists() {
            assert!(child.try_wait().unwrap().is_none(), "repair ended before writing its temporary file");
            assert!(started.elapsed() < Duration::from_secs(300), "no temporary file");
            std::thread::sleep(Duration::from_micros(200));
        }
        let kill =
            Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}: {status:?}");
        assert!(!tmp.exists(), "SIG{signal} left {}", tmp.display());
        assert!(!out.exists());
    }
}

/// Runs the binary with `args` and gives up (failing) after 60 s.
fn run_bounded(args: &[&str]) -> (Option<i32>, String, String) {
    let child = Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Ok(output) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        panic!("{args:?} hangs");
    };
    let output = output.unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// Items 7 and 8: a FIFO as the database or as a log or checkpoint in a log
/// directory, and /dev/zero as a log or checkpoint, end at once with an
/// error naming the path and what it is.
#[test]
fn fifos_and_devices_are_refused_and_small_files_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("db.edb");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for path in [fifo.clone(), logs.join("edb.log"), logs.join("edb.chk"), logs.join("edb00001.log")] {
        assert!(Command::new("mkfifo").arg(&path).status().unwrap().success());
    }
    let fifo_arg = fifo.to_str().unwrap();
    for command in ["info", "header", "verify", "tables", "catalog", "report", "log", "checkpoint"] {
        let (code, _, stderr) = run_bounded(&[command, fifo_arg]);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(stderr.contains(fifo_arg) && stderr.contains("FIFO"), "{command}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let (code, stdout, stderr) = run_bounded(&["logs", logs.to_str().unwrap()]);
    assert_ne!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("FIFO"), "{stdout}{stderr}");

    for (command, what) in
        [("checkpoint", "a checkpoint file can be (8192 bytes)"), ("log", "a log file can be")]
    {
        let (code, _, stderr) = run_bounded(&[command, "/dev/zero"]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("/dev/zero: is a character device"), "{stderr}");
        let (code, _, stderr) = run_bounded(&[command, "/dev/zero", "--force"]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("/dev/zero") && stderr.contains(what), "{stderr}");
    }
}

/// Item 11: `checkpoint` on (the start of) a database says what it is,
/// exit 2; a checkpoint without its shadow copy says so, exit 1.
#[test]
fn checkpoint_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db_start = dir.path().join("db-start.chk");
    std::fs::write(&db_start, &std::fs::read(sample()).unwrap()[..8192]).unwrap();
    let (code, stdout, stderr) = run_bounded(&["checkpoint", db_start.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("file type 1 at offset 667 is not a checkpoint (4) (a database"), "{stderr}");

    let chk = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/dirty-with-logs/edb.chk");
    let (code, stdout, _) = run_bounded(&["checkpoint", chk.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(!stdout.contains("DAMAGED"));
    let half = dir.path().join("half.chk");
    std::fs::write(&half, &std::fs::read(&chk).unwrap()[..4096]).unwrap();
    let (code, stdout, _) = run_bounded(&["checkpoint", half.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("the shadow copy at offset 0x1000 is missing"), "{stdout}");
}

/// Copies the clean sample to `dir/name`, lets `change` edit page `pgno`
/// and seals it again (valid checksum): a lie the checksum cannot catch.
fn with_sealed_page(dir: &Path, name: &str, pgno: u32, change: impl FnOnce(&mut [u8])) -> PathBuf {
    with_sealed_page_of(&sample(), 8192, dir, name, pgno, change)
}

fn with_sealed_page_of(
    from: &Path,
    size: u32,
    dir: &Path,
    name: &str,
    pgno: u32,
    change: impl FnOnce(&mut [u8]),
) -> PathBuf {
    use esescope::format::{PageNumber, PageSize};
    let path = dir.join(name);
    let mut bytes = std::fs::read(from).unwrap();
    let len = size as usize;
    let start = (pgno as usize + 1) * len;
    let page = &mut bytes[start..start + len];
    change(page);
    esescope::writer::page::seal_page(page, PageNumber(pgno), PageSize::new(size).unwrap());
    std::fs::write(&path, &bytes).unwrap();
    path
}

/// Item 5: the catalog root with no tags (checksum valid): the tables come
/// from the shadow catalog, and every command that reads the catalog says
/// it could not be read and exits 1.
#[test]
fn unreadable_catalog_uses_the_shadow_and_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let clean = sample();
    let (_, clean_tables, _) = run_bounded(&["tables", clean.to_str().unwrap()]);
    let file = with_sealed_page(dir.path(), "no-catalog.edb", 4, |page| {
        page[34..36].copy_from_slice(&0u16.to_le_bytes())
    });
    let file_arg = file.to_str().unwrap();
    let (code, stdout, stderr) = run_bounded(&["tables", file_arg]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("could not be read") && stdout.contains("shadow catalog"), "{stdout}");
    // every table of the clean file is still listed (from the shadow)
    for line in clean_tables.lines().skip(1).filter(|l| !l.starts_with(' ')) {
        let name = line.split_whitespace().next().unwrap();
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    for args in [
        vec!["catalog", file_arg],
        vec!["verify", "--trees", file_arg],
        vec!["report", file_arg],
        vec!["export", "--format", "json", file_arg],
        vec!["tree", file_arg, "4"],
    ] {
        let (code, stdout, stderr) = run_bounded(&args);
        assert_eq!(code, Some(1), "{args:?}: {stdout}{stderr}");
        assert!(format!("{stdout}{stderr}").contains("could not be read"), "{args:?}: {stdout}{stderr}");
    }
}

/// Item 10: repair of a file whose last page is truncated, or whose two
/// headers are both damaged, exits 1 as `verify` of its output does.
#[test]
fn repair_exit_code_follows_verify_of_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut truncated = std::fs::read(sample()).unwrap();
    truncated.extend_from_slice(&[0x5a; 100]);
    let mut headers = std::fs::read(sample()).unwrap();
    headers[100] ^= 0xff;
    headers[8192 + 100] ^= 0xff;
    for (name, bytes) in [("truncated.edb", truncated), ("headers.edb", headers)] {
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        let out = dir.path().join(format!("new-{name}"));
        let (code, stdout, stderr) =
            run_bounded(&["repair", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let (verify_code, verify_out, _) = run_bounded(&["verify", out.to_str().unwrap()]);
        assert_eq!(verify_code, Some(1), "{verify_out}");
        assert_eq!(code, Some(1), "{name}: {stdout}{stderr}");
        assert!(stdout.contains("still damaged: "), "{stdout}");
    }
}

/// Item 13: `repair --out` onto a dangling symlink is refused (the link is
/// left alone); `report --out` into a missing directory names the path;
/// a usage error is one line.
#[test]
fn output_paths_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.edb");
    std::os::unix::fs::symlink(dir.path().join("nowhere.edb"), &link).unwrap();
    let sample_arg = sample();
    let (code, _, stderr) =
        run_bounded(&["repair", sample_arg.to_str().unwrap(), "--out", link.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(!dir.path().join("nowhere.edb").exists());
    let (code, _, stderr) =
        run_bounded(&["report", sample_arg.to_str().unwrap(), "--out", link.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());

    let missing = dir.path().join("no/such/dir/r.md");
    let (code, _, stderr) =
        run_bounded(&["report", sample_arg.to_str().unwrap(), "--out", missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    for args in [vec!["verify"], vec!["page", sample_arg.to_str().unwrap(), "nope"], vec!["--bogus"]] {
        let (code, _, stderr) = run_bounded(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("esescope: "), "{stderr}");
    }
}

/// Item 11: every log of the sample log set given where a database is
/// expected is "a transaction log", exit 2 (one used to read as a database
/// of 2 KiB pages, exit 1).
#[test]
fn logs_given_as_databases_exit_2() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/dirty-with-logs");
    for name in ["edb.log", "edb00001.log", "edb00002.log"] {
        let log = dir.join(name);
        for command in ["info", "verify", "tables"] {
            let (code, _, stderr) = run_bounded(&[command, log.to_str().unwrap()]);
            assert_eq!(code, Some(2), "{command} {name}: {stderr}");
            assert!(stderr.contains("this is an ESE transaction log (file type 3)"), "{stderr}");
        }
    }
}

fn set_u16(page: &mut [u8], at: usize, value: u16) {
    page[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn or_flags(page: &mut [u8], flags: u32) {
    let old = u32::from_le_bytes(page[36..40].try_into().unwrap());
    page[36..40].copy_from_slice(&(old | flags).to_le_bytes());
}

/// Sets the space header's cpgPrimary (tag 0 of a root page, offset 0).
fn set_cpg_primary(page: &mut [u8], cpg: u32) {
    use esescope::format::{page::Page, PageNumber, PageSize};
    let range = {
        let parsed = Page::parse(page, PageNumber(78), PageSize::K8).unwrap();
        parsed.tag(0).unwrap().page_range(PageSize::K8)
    };
    page[range.start..range.start + 4].copy_from_slice(&cpg.to_le_bytes());
}

/// Item 12: each lie, sealed with a valid checksum, is a finding of
/// `verify --trees` (exit 1), and a page-local one of `page` too.
#[test]
fn sealed_lies_are_findings() {
    use esescope::format::page::PageFlags;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (file, page-local page, what verify --trees and page must say)
    let cases: Vec<(PathBuf, Option<u32>, &str)> = vec![
        (
            with_sealed_page(d, "cbfree.edb", 78, |p| set_u16(p, 28, 0xfff0)),
            Some(78),
            "cbFree 65520 is more than the data area",
        ),
        (
            with_sealed_page(d, "ibmic.edb", 78, |p| set_u16(p, 32, 0xfff0)),
            Some(78),
            "ibMicFree 65520 is past the data area",
        ),
        (
            with_sealed_page(d, "uncommitted.edb", 78, |p| set_u16(p, 30, 0x3000)),
            Some(78),
            "cbUncommittedFree 12288 is more than cbFree",
        ),
        (
            with_sealed_page(d, "table-as-index.edb", 78, |p| or_flags(p, PageFlags::INDEX.0)),
            None,
            "page 78 is flagged as a index page",
        ),
        (
            with_sealed_page(d, "catalog-as-lv.edb", 4, |p| or_flags(p, PageFlags::LONG_VALUE.0)),
            None,
            "page 4 is flagged as a long value page",
        ),
        (
            with_sealed_page(d, "owned-huge.edb", 78, |p| set_cpg_primary(p, 1_000_000_000)),
            None,
            "owned extent 78-1000000077: 1000000000 pages, more than the file's",
        ),
        (
            with_sealed_page(d, "owned-past-16tib.edb", 78, |p| set_cpg_primary(p, 0xffff_0000)),
            None,
            "reaches past page 2147483648, the last a database of 8192-byte pages can have (16 TiB)",
        ),
    ];
    // a 32 KiB page whose page-number field names another page, block 0
    // re-sealed over the lie
    let clean32 = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-32k.edb");
    let pgno_lie = with_sealed_page_of(&clean32, 32768, d, "pgno-field.edb", 4, |_| {});
    let mut bytes = std::fs::read(&pgno_lie).unwrap();
    let page = &mut bytes[5 * 32768..6 * 32768];
    page[64..68].copy_from_slice(&9u32.to_le_bytes());
    let sum = esescope::format::checksum::xe_checksum(&page[..8192], 4, true).0;
    page[..8].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&pgno_lie, &bytes).unwrap();
    let mut cases = cases;
    cases.push((
        pgno_lie,
        Some(4),
        "the page-number field (PGHDR2.pgno, offset 64) says page 9, but this is page 4",
    ));

    for (file, page, lie) in &cases {
        let file_arg = file.to_str().unwrap();
        let (code, stdout, stderr) = run_bounded(&["verify", file_arg]);
        assert_eq!(code, Some(0), "the checksums of {file_arg} are valid: {stdout}{stderr}");
        let (code, stdout, stderr) = run_bounded(&["verify", "--trees", file_arg]);
        assert_eq!(code, Some(1), "{file_arg}: {stdout}{stderr}");
        assert!(stdout.contains(lie), "{file_arg}: expected {lie:?} in\n{stdout}");
        if let Some(pgno) = page {
            let (code, stdout, stderr) = run_bounded(&["page", file_arg, &pgno.to_string()]);
            assert_eq!(code, Some(1), "{file_arg}: {stdout}{stderr}");
            assert!(stdout.contains(&format!("PROBLEM: {lie}")) || stdout.contains(lie), "{stdout}");
        }
    }

    // a file of only the two header pages
    let headers_only = d.join("headers-only.edb");
    std::fs::write(&headers_only, &std::fs::read(sample()).unwrap()[..16384]).unwrap();
    let (code, stdout, _) = run_bounded(&["verify", headers_only.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("a database has at least pages 1 to 4"), "{stdout}");
}

/// Finds in table `people` of the clean sample the first record that has
/// tagged field `fid`; returns (page, offset in the page of the record's
/// TAGFLD entry for it, offset in the page of the field's data).
fn tagged_field_in_people(fid: u32) -> (u32, usize, usize) {
    use esescope::format::page::PageFlags;
    use esescope::format::record::{Record, TaggedLayout};
    let db = Database::open(sample()).unwrap();
    let mut found = None;
    esescope::store::cursor::walk(&db, esescope::format::PageNumber(29), |page, node| {
        if found.is_some() {
            return;
        }
        let layout = TaggedLayout::for_page(false, page.header.flags.contains(PageFlags::NEW_RECORD_FORMAT));
        let record = Record::parse(node.data, layout).unwrap();
        let fields: Vec<_> = record.tagged().into_iter().flatten().collect();
        let Some(first) = fields.first() else { return };
        let base = first.offset - 4 * fields.len();
        if let Some(i) = fields.iter().position(|f| f.id == fid) {
            let record_at = node.data_offset;
            found = Some((page.pgno.0, record_at + base + 4 * i, record_at + fields[i].offset));
        }
    });
    found.expect("a people record with that tagged field")
}

/// Item 12, the values: a tagged column id the catalog does not know, an
/// encrypted value and a long value whose root says 0 bytes are findings
/// of `export` (exit 1), not silently dropped, shown as text or empty.
#[test]
fn sealed_value_lies_are_export_findings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // the last tagged field of a record (Photo, 258) renamed to id 299
    let (pgno, entry, _) = tagged_field_in_people(258);
    let unknown = with_sealed_page(d, "unknown-fid.edb", pgno, |p| set_u16(p, entry, 299));
    // the separated Notes value (257) flagged encrypted in its TAGFLD header
    let (pgno, _, data) = tagged_field_in_people(257);
    let encrypted = with_sealed_page(d, "encrypted.edb", pgno, |p| p[data] |= 0x40);
    // every long-value root node of the people LV tree (page 45 and its
    // leaves) claiming 0 bytes: the first root found is enough
    let db = Database::open(sample()).unwrap();
    let mut lv_root = None;
    esescope::store::cursor::walk(&db, esescope::format::PageNumber(45), |page, node| {
        if lv_root.is_none() && node.key.len() == 4 && node.data.len() >= 8 {
            lv_root = Some((page.pgno.0, node.data_offset + 4));
        }
    });
    let (pgno, size_at) = lv_root.expect("an LV root node");
    let empty_lv =
        with_sealed_page(d, "lv-size-0.edb", pgno, |p| p[size_at..size_at + 4].copy_from_slice(&[0; 4]));

    for (file, lie) in [
        (&unknown, "tagged column id 299"),
        (&encrypted, "the value is encrypted (TAGFLD_HEADER 0x40)"),
        (&empty_lv, "its root says 0 bytes, but a chunk at offset 0 follows"),
    ] {
        let file_arg = file.to_str().unwrap();
        let (code, _, stderr) = run_bounded(&["verify", file_arg]);
        assert_eq!(code, Some(0), "{file_arg} has valid checksums: {stderr}");
        let (code, _, stderr) = run_bounded(&["export", file_arg, "people"]);
        assert_eq!(code, Some(1), "{file_arg}: {stderr}");
        assert!(stderr.contains(lie), "{file_arg}: expected {lie:?} in\n{stderr}");
    }
}
