//! End to end: the real binary in a real terminal (tmux), driven by keys.
//! They run in a plain `cargo test` whenever tmux is on the PATH and skip
//! with a message when it is not; `.ci/run` installs tmux, and sets `CI`,
//! under which a missing tmux fails instead of skipping.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use esescope::store::Database;

use crate::common::real_samples;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(binary: &Path, file: &Path) -> Self {
        Self::start_command(&format!("{} {}", binary.display(), file.display()))
    }

    /// Runs a shell command line in a new detached session.
    fn start_command(command: &str) -> Self {
        // One tmux server per session: the tests run in parallel.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("esescope-e2e-{}-{n}", std::process::id());
        let tmux = Self { socket };
        let status = tmux.cmd(&["new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", command]);
        assert!(status.status.success(), "tmux new-session: {status:?}");
        tmux
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux is installed")
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.cmd(&["send-keys", "-t", "e2e", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-t", "e2e", "-p"]).stdout).into_owned()
    }

    /// Waits (up to 20 s) until the screen contains `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "waited for `{text}`; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

/// True when tmux can be run. Without it the test is skipped with a
/// message, except under CI (`CI` set), where tmux must be installed.
fn tmux_present() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must have tmux installed (.ci/run installs it)");
        eprintln!("skipping the end-to-end test: tmux is not installed");
    }
    found
}

#[test]
fn browse_a_damaged_page_walk_siblings_verify_and_save_a_dump() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = real_samples().join("srum-win10-clean-with-logs/SRUDB.dat");
    let (pgno, next) = {
        let db = Database::open(&source).unwrap();
        db.page_numbers()
            .filter_map(|p| db.page(p).ok().map(|page| (p.0, page.header.next.0)))
            .find(|&(_, next)| next != 0)
            .unwrap()
    };
    let mut bytes = std::fs::read(&source).unwrap();
    bytes[(pgno as usize + 1) * 4096 + 0x800] ^= 0x10; // byte 0x800 bit 4
    let file = dir.path().join("SRUDB.dat");
    std::fs::write(&file, &bytes).unwrap();
    for log in std::fs::read_dir(source.parent().unwrap()).unwrap().flatten() {
        let name = log.file_name();
        if name.to_string_lossy().starts_with("SRU") && name != "SRUDB.dat" {
            std::fs::copy(log.path(), dir.path().join(name)).unwrap();
        }
    }
    let dump = dir.path().join("dump.txt");

    let tmux = Tmux::start(Path::new(env!("CARGO_BIN_EXE_esescope")), &file);
    tmux.wait_for("Header copies");
    // go to the damaged page
    tmux.keys(&["g"]);
    tmux.keys(&[&pgno.to_string(), "Enter"]);
    tmux.wait_for(&format!("Page {pgno} "));
    tmux.keys(&["4"]);
    tmux.wait_for("byte 0x800 bit 4: 0x");
    // walk to the next sibling and back
    tmux.keys(&["3", "l"]);
    tmux.wait_for(&format!("Page {next} "));
    tmux.keys(&["["]);
    tmux.wait_for(&format!("Page {pgno} "));
    // the log view: the chain beside the database, with the checkpoint marked
    tmux.keys(&["6"]);
    let screen = tmux.wait_for("chain complete");
    assert!(screen.contains(" 18  19  1A  1B  1C  1D  1E  1F  20 "), "{screen}");
    // verify in the background and wait for it
    tmux.keys(&["v", "5"]);
    let screen = tmux.wait_for("Last verify");
    assert!(screen.contains("1 correctable"), "{screen}");
    assert!(screen.contains(&format!("page {pgno} (")), "{screen}");
    // save the page dump to a file
    tmux.keys(&["3", "w"]);
    let screen = tmux.wait_for("Save to file:");
    // offered in the work folder (absolute), not beside the evidence; Ctrl-U clears it
    assert!(screen.contains("Save to file: /"), "{screen}");
    tmux.keys(&["C-u", dump.to_str().unwrap(), "Enter"]);
    tmux.wait_for("saved to");
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(text.starts_with(&format!("Page {pgno} of ")), "{text}");
    assert!(text.contains("correctable: single-bit error at byte 0x800 bit 4"), "{text}");
    tmux.keys(&["q"]);
}

#[test]
fn no_file_opens_the_bundled_sample_and_its_readme_keys_work() {
    if !tmux_present() {
        return;
    }
    // `esescope` alone opens sample-dbs/clean-8k.edb
    let binary = Path::new(env!("CARGO_BIN_EXE_esescope"));
    let tmux = Tmux::start(binary, Path::new(""));
    let screen = tmux.wait_for("Header copies");
    assert!(screen.contains("clean-8k.edb") && screen.contains("Clean Shutdown"), "{screen}");
    tmux.keys(&["7"]);
    let screen = tmux.wait_for("readings");
    assert!(screen.contains("people") && screen.contains("tags"), "{screen}");
    tmux.keys(&["q"]);
    drop(tmux);
    // sample-dbs/README.md: in bitflip.edb, `g 30` then `4` shows the flipped data bit
    let bitflip = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/bitflip.edb");
    let tmux = Tmux::start(binary, &bitflip);
    tmux.wait_for("Header copies");
    tmux.keys(&["g", "3", "0", "Enter"]);
    tmux.wait_for("Page 30 ");
    tmux.keys(&["4"]);
    tmux.wait_for("byte 0x5dc bit 4");
    tmux.keys(&["q"]);
}

/// Issue 13 item 4, the inspector: the file is cut while the inspector has
/// it open and scans it; a verify job then reports the shrink, and after
/// `q` the terminal is back (the shell's next lines are visible) with the
/// finding on stderr and exit code 1.
#[test]
fn inspector_survives_the_file_shrinking() {
    if !tmux_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.edb");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb"), &file).unwrap();
    let (from, to) = (256u64 << 20, 4u64 << 20);
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(from).unwrap();
    let command = format!(
        "sh -c '{} {} 2>{}/err; echo exit=$?; cat {}/err; sleep 60'",
        env!("CARGO_BIN_EXE_esescope"),
        file.display(),
        dir.path().display(),
        dir.path().display()
    );
    let tmux = Tmux::start_command(&command);
    tmux.wait_for("Header copies");
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(to).unwrap();
    tmux.keys(&["v", "5"]);
    tmux.wait_for("shrank");
    tmux.keys(&["q"]);
    tmux.wait_for("exit=");
    std::thread::sleep(Duration::from_millis(300));
    let screen = tmux.screen();
    assert!(screen.contains("exit=1"), "{screen}");
    // the message may wrap at the pane's width
    let joined = screen.replace('\n', "");
    assert!(
        joined.contains(&format!("the file shrank from {from} to {to} bytes while being read")),
        "{screen}"
    );
}

/// Issue 13 item 3, the inspector: SIGTERM gives the terminal back (the
/// alternate screen is left, the shell's next line shows) and exits 143.
#[test]
fn inspector_gives_the_terminal_back_on_sigterm() {
    if !tmux_present() {
        return;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/clean-8k.edb");
    let command =
        format!("sh -c '{} {}; echo after=$?; sleep 60'", env!("CARGO_BIN_EXE_esescope"), sample.display());
    let tmux = Tmux::start_command(&command);
    tmux.wait_for("Header copies");
    let shell = String::from_utf8_lossy(&tmux.cmd(&["display", "-p", "-t", "e2e", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    let children = Command::new("ps").args(["-o", "pid=", "--ppid", &shell]).output().unwrap();
    let child = String::from_utf8_lossy(&children.stdout).trim().to_string();
    assert!(!child.is_empty() && !child.contains(char::is_whitespace), "children of {shell}: {child:?}");
    assert!(Command::new("kill").args(["-TERM", &child]).status().unwrap().success());
    let screen = tmux.wait_for("after=");
    assert!(screen.contains("after=143"), "{screen}");
    assert!(!screen.contains("Header copies"), "still the inspector's screen:\n{screen}");
    let alternate =
        String::from_utf8_lossy(&tmux.cmd(&["display", "-p", "-t", "e2e", "#{alternate_on}"]).stdout)
            .trim()
            .to_string();
    assert_eq!(alternate, "0", "the alternate screen is still on");
}

/// Issue 14 item 5, end to end: in the logs view `P` runs the recovery
/// plan on the worker; the plan view lists the records, `Enter` opens the
/// page of the selected record, and the jobs view shows the finished job.
#[test]
fn the_recovery_plan_runs_as_a_job_and_opens_a_records_page() {
    if !tmux_present() {
        return;
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_esescope"));
    let dirty = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs/dirty-with-logs/database.edb");
    let tmux = Tmux::start(binary, &dirty);
    tmux.wait_for("Header copies");
    tmux.keys(&["6"]);
    tmux.wait_for("Log files");
    tmux.keys(&["P"]);
    let screen = tmux.wait_for("Recovery plan ·");
    assert!(
        screen.contains("APPLY (0x1,1,30D)") && screen.contains("page is older than this record"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("Page 32 ");
    tmux.keys(&["5"]);
    let screen = tmux.wait_for("plan ");
    assert!(screen.contains("records") && screen.contains("done in"), "{screen}");
    tmux.keys(&["q"]);
}
