//! Output formats shared by every subcommand: text, Markdown or JSON, to
//! stdout, and with `--copy` also to the clipboard (or its fallbacks), with
//! a line on stderr saying where the copy went.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};

use crate::report::clipboard::Clipboard;
use crate::Error;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned plain text.
    Text,
    /// Markdown: tables and fenced blocks, for tickets and wikis.
    Md,
    /// One JSON document.
    Json,
}

/// `--format`, `--json` and `--copy`.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Also copy the output to the clipboard (OSC 52 and a file when there is none).
    #[arg(long)]
    pub copy: bool,
}

impl OutputArgs {
    /// Text output, no copy.
    pub fn text() -> Self {
        Self::default()
    }

    /// JSON output, no copy.
    pub fn json() -> Self {
        Self { json: true, ..Self::default() }
    }

    /// The chosen format, text when none was given.
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format.unwrap_or(Format::Text)
        }
    }

    /// The same options with Markdown as the default format.
    pub fn defaulting_to_markdown(&self) -> Self {
        let mut copy = self.clone();
        if !copy.json && copy.format.is_none() {
            copy.format = Some(Format::Md);
        }
        copy
    }
}

/// Renders a document in the chosen format to `out`, and copies the same
/// text when `--copy` was given.
///
/// # Errors
/// Writing the output fails, or every copy route fails.
pub fn emit<T: serde::Serialize>(
    out: &mut dyn Write,
    args: &OutputArgs,
    what: &str,
    document: &T,
    text: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    markdown: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut rendered = Vec::new();
    match args.format() {
        Format::Text => text(&mut rendered)?,
        Format::Md => markdown(&mut rendered)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut rendered, document).map_err(std::io::Error::from)?;
            rendered.push(b'\n');
        }
    }
    // The last guard: whatever a renderer let through, no control character
    // from the evidence reaches the terminal, the clipboard or the file.
    let rendered = safe_rendering(args.format(), rendered);
    out.write_all(&rendered)?;
    if args.copy {
        let terminal = std::io::stderr().is_terminal();
        let mut clipboard = Clipboard::new(terminal, std::env::temp_dir());
        let extension = match args.format() {
            Format::Text => "txt",
            Format::Md => "md",
            Format::Json => "json",
        };
        let name = format!("esescope-{}.{extension}", what.replace(' ', "-"));
        let destination =
            clipboard.copy(&String::from_utf8_lossy(&rendered), &name, &mut std::io::stderr())?;
        eprintln!("esescope: {}", crate::sanitize::one_line(&destination.describe(what)));
    }
    Ok(())
}

/// A rendering made safe: text and Markdown with every control character
/// other than line feed and tab shown visibly, JSON with the controls it
/// allows raw inside strings written as `\u` escapes (the same values).
pub fn safe_rendering(format: Format, rendered: Vec<u8>) -> Vec<u8> {
    if format == Format::Json {
        return crate::sanitize::json_bytes(rendered);
    }
    let text = String::from_utf8_lossy(&rendered);
    match crate::sanitize::terminal_text(&text) {
        std::borrow::Cow::Borrowed(_) if matches!(text, std::borrow::Cow::Borrowed(_)) => rendered,
        safe => safe.into_owned().into_bytes(),
    }
}

/// Refuses to go on when any of `paths` exists: esescope never overwrites a file.
///
/// # Errors
/// [`Error::OutputExists`] naming the first that does.
pub(crate) fn refuse_existing(paths: &[&std::path::Path]) -> Result<(), Error> {
    match paths.iter().find(|p| p.symlink_metadata().is_ok()) {
        Some(path) => Err(Error::OutputExists { path: path.to_path_buf() }),
        None => Ok(()),
    }
}

/// Saves a job's report beside its new file, as text and as JSON, each
/// written atomically.
///
/// # Errors
/// Writing either file fails.
pub(crate) fn save_report_files(
    text_path: &std::path::Path,
    json_path: &std::path::Path,
    text: &[u8],
    json: &str,
) -> Result<(), Error> {
    let text = safe_rendering(Format::Text, text.to_vec());
    write_file(text_path, &String::from_utf8_lossy(&text))?;
    write_file(json_path, &format!("{}\n", crate::sanitize::json_text(json)))
}

/// Writes `text` to `path` atomically; an error names the path.
///
/// # Errors
/// [`Error::Write`] when the file cannot be written (a missing directory,
/// no permission, a full disk).
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    crate::report::clipboard::write_atomically(path, text)
        .map_err(|source| Error::Write { path: path.to_path_buf(), source })
}
