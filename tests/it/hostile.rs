//! Hostile conditions around the evidence (issue 13): a file that shrinks
//! while it is read, a file larger than the address space, files that are
//! not regular files, signals, output paths and exit codes. The sealed lies
//! are in `lies.rs`.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use esescope::store::{Database, ReadMode};

const BIN: &str = env!("CARGO_BIN_EXE_esescope");

pub(crate) fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb")
}

/// A copy of the clean sample grown to `len` bytes (the rest reads as zeros).
fn large_copy(dir: &Path, len: u64) -> PathBuf {
    large_copy_of(dir, &sample(), len)
}

/// `source` extended with zero pages to `len` bytes.
fn large_copy_of(dir: &Path, source: &Path, len: u64) -> PathBuf {
    let path = dir.join("large.edb");
    std::fs::copy(source, &path).unwrap();
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
    // pages with one flipped bit: there is something to repair, so the
    // repair writes its output (a copy identical to the input is not written)
    let bitflip = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/bitflip.edb");
    let file = large_copy_of(dir.path(), &bitflip, 128 << 20);
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
pub(crate) fn run_bounded(args: &[&str]) -> (Option<i32>, String, String) {
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
        assert_eq!(code, Some(1), "{name}: {stdout}{stderr}");
        if out.exists() {
            let (verify_code, verify_out, _) = run_bounded(&["verify", out.to_str().unwrap()]);
            assert_eq!(verify_code, Some(1), "{verify_out}");
            assert!(stdout.contains("still damaged: "), "{stdout}");
        } else {
            // nothing could be repaired: no copy identical to the input is written
            assert!(stdout.contains("No output was written"), "{stdout}");
        }
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
