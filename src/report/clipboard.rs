//! Where copied text goes: the system clipboard through one long-lived
//! arboard handle (X11 and Wayland drop the text when the owning handle
//! dies), else the terminal's clipboard through OSC 52 (works over SSH in
//! most terminals), and in that case also a file, because no terminal
//! confirms OSC 52. Every copy says where the text went.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

/// Where a copy went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The system clipboard.
    Clipboard,
    /// The terminal clipboard (OSC 52), with a file copy as well.
    Terminal(PathBuf),
    /// Only a file.
    File(PathBuf),
}

impl Destination {
    /// A sentence for the status line or stderr.
    pub fn describe(&self, what: &str) -> String {
        match self {
            Self::Clipboard => format!("copied {what} to the clipboard"),
            Self::Terminal(path) => format!(
                "no system clipboard: sent {what} to the terminal clipboard (OSC 52) and saved it to {}",
                path.display()
            ),
            Self::File(path) => format!("no clipboard available: saved {what} to {}", path.display()),
        }
    }
}

/// The clipboard of this process.
pub struct Clipboard {
    system: Option<arboard::Clipboard>,
    terminal: bool,
    fallback_dir: PathBuf,
}

impl std::fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clipboard")
            .field("system", &self.system.is_some())
            .field("terminal", &self.terminal)
            .finish()
    }
}

impl Clipboard {
    /// Opens the system clipboard if there is one. `terminal` says whether
    /// OSC 52 may be written to stdout; files go to `fallback_dir`.
    pub fn new(terminal: bool, fallback_dir: PathBuf) -> Self {
        let has_display = cfg!(any(target_os = "windows", target_os = "macos"))
            || std::env::var_os("DISPLAY").is_some()
            || std::env::var_os("WAYLAND_DISPLAY").is_some();
        let system = if has_display { arboard::Clipboard::new().ok() } else { None };
        Self { system, terminal, fallback_dir }
    }

    /// A clipboard that never uses the system clipboard (for tests and
    /// headless use).
    pub fn without_system(terminal: bool, fallback_dir: PathBuf) -> Self {
        Self { system: None, terminal, fallback_dir }
    }

    /// Puts `text` somewhere the user can get it, writing OSC 52 to
    /// `terminal_out` when that is the route. `name` names the file.
    ///
    /// # Errors
    /// Only when every route failed, with the last reason.
    pub fn copy(
        &mut self,
        text: &str,
        name: &str,
        terminal_out: &mut dyn Write,
    ) -> std::io::Result<Destination> {
        if let Some(system) = self.system.as_mut() {
            if system.set_text(text.to_string()).is_ok() {
                return Ok(Destination::Clipboard);
            }
        }
        let path = save_new(&self.fallback_dir, name, text)?;
        if self.terminal {
            terminal_out.write_all(osc52(text).as_bytes())?;
            terminal_out.flush()?;
            return Ok(Destination::Terminal(path));
        }
        Ok(Destination::File(path))
    }
}

/// The OSC 52 sequence that asks the terminal to set its clipboard, wrapped
/// for tmux when running inside it.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    if std::env::var_os("TMUX").is_some() {
        format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
    } else {
        sequence
    }
}

/// Writes `text` to a new file `name` in `dir` (adding `-2`, `-3`… when the
/// name is taken) through a temporary file and a rename, so a reader never
/// sees half a file. Returns its path.
///
/// # Errors
/// When the file cannot be written.
pub fn save_new(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = free_name(dir, name);
    write_atomically(&path, text)?;
    Ok(path)
}

/// Writes `text` to `path` through a temporary file in the same directory
/// and a rename. An existing file at `path` is replaced.
///
/// # Errors
/// When the file cannot be written or renamed.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp =
        dir.join(format!(".{}.esescope-tmp", path.file_name().map_or("out".into(), |n| n.to_string_lossy())));
    let _registered = crate::interrupt::register(&tmp);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn free_name(dir: &Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, ext) = name.rsplit_once('.').map_or((name, ""), |(s, e)| (s, e));
    (2..)
        .map(|n| dir.join(if ext.is_empty() { format!("{stem}-{n}") } else { format!("{stem}-{n}.{ext}") }))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headless_copy_falls_back_to_osc52_and_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut clipboard = Clipboard::without_system(true, dir.path().to_path_buf());
        let mut terminal = Vec::new();
        let dest = clipboard.copy("page dump", "esescope-page-4.txt", &mut terminal).unwrap();
        let Destination::Terminal(path) = &dest else { panic!("{dest:?}") };
        assert_eq!(std::fs::read_to_string(path).unwrap(), "page dump");
        let sent = String::from_utf8(terminal).unwrap();
        assert!(sent.contains("]52;c;cGFnZSBkdW1w"), "{sent:?}");
        assert!(dest.describe("page 4 dump").contains("OSC 52"));

        let mut no_terminal = Clipboard::without_system(false, dir.path().to_path_buf());
        let dest = no_terminal.copy("again", "esescope-page-4.txt", &mut Vec::new()).unwrap();
        assert_eq!(dest, Destination::File(dir.path().join("esescope-page-4-2.txt")));
        assert!(dest.describe("x").starts_with("no clipboard available: saved x to"));
    }
}
