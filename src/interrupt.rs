//! What happens on SIGINT or SIGTERM: the temporary files being written are
//! removed and the terminal is given back, then the process exits with
//! 128 + the signal number, as a shell expects.
//!
//! Writers [`register`] a temporary file for as long as it exists; the
//! inspector sets a [`set_restore`] hook while it owns the terminal.
//! [`install`] starts the thread that waits for the signals (the binary
//! calls it once; the library never exits the process on its own).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files that exist now.
static TEMPORARY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// What gives the terminal back, while something has taken it.
static RESTORE: Mutex<Option<fn()>> = Mutex::new(None);

/// A temporary file's registration; dropping it (once the file was renamed
/// or removed) forgets the file.
#[derive(Debug)]
pub struct Temporary(PathBuf);

/// Remembers `path` as a temporary file to remove on SIGINT/SIGTERM.
pub fn register(path: &Path) -> Temporary {
    if let Ok(mut files) = TEMPORARY.lock() {
        files.push(path.to_path_buf());
    }
    Temporary(path.to_path_buf())
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Ok(mut files) = TEMPORARY.lock() {
            if let Some(i) = files.iter().position(|p| *p == self.0) {
                files.swap_remove(i);
            }
        }
    }
}

/// Sets (or with `None` clears) what restores the terminal on a signal.
pub fn set_restore(restore: Option<fn()>) {
    if let Ok(mut hook) = RESTORE.lock() {
        *hook = restore;
    }
}

/// Restores the terminal if taken and removes every registered temporary
/// file; what the signal thread does before exiting.
pub fn clean_up() {
    if let Some(restore) = RESTORE.lock().ok().and_then(|mut hook| hook.take()) {
        restore();
    }
    if let Ok(files) = TEMPORARY.lock() {
        for path in files.iter() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Starts a thread that waits for SIGINT and SIGTERM, then [`clean_up`]s
/// and exits with 128 + the signal number.
///
/// # Errors
/// The signal handlers cannot be installed.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            clean_up();
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}
