//! Strings from the evidence made safe to show. Every name, path and text
//! read from a file is hostile: a table name holding `ESC ] 52` would write
//! the user's clipboard, `ESC [ 2 J` would clear the screen, a CR or LF would
//! split a one-line message in two. The text and Markdown renderers and the
//! error messages show such characters visibly (`\x1b`, `\r`, `\u{202e}`);
//! JSON keeps every value exactly, with the same characters as `\u` escapes.
//!
//! Characters made visible: C0 controls (U+0000–U+001F), DEL, C1 controls
//! (U+0080–U+009F), the bidirectional formatting characters (U+061C,
//! U+200E–U+200F, U+202A–U+202E, U+2066–U+2069, which reorder what the user
//! reads) and the line and paragraph separators U+2028–U+2029.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}')
}

/// Writes `c` in its visible form: `\n`, `\r`, `\t`, `\x1b` for the other C0
/// controls and DEL, `\u{9b}` for the rest.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{0}'..='\u{1f}' | '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A string from the evidence with every unsafe character, line breaks and
/// tabs included, shown visibly: the result is one line and holds no
/// control character.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape_where(s, is_unsafe)
}

/// Displays a string from the evidence through [`visible`].
#[derive(Debug, Clone, Copy)]
pub struct Visible<'a>(pub &'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through `pad`, so that width and alignment still apply.
        f.pad(&visible(self.0))
    }
}

/// A rendered block of text or Markdown made safe for a terminal: every
/// unsafe character except line feed and tab shown visibly. The renderers
/// already show evidence through [`visible`]; this is the last guard before
/// output, so that a string that reached a renderer raw still cannot act on
/// the terminal.
pub fn terminal_text(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// A one-line message (an error, a finding on stderr) made safe: as
/// [`visible`], so that a CR or LF in a name cannot split it.
pub fn one_line(s: &str) -> Cow<'_, str> {
    visible(s)
}

/// A serialized JSON document with the unsafe characters that JSON allows
/// raw inside strings (DEL, C1, bidirectional controls, separators) written
/// as `\uXXXX` escapes instead. The document's values are unchanged: those
/// characters can only occur inside strings, where the escape means the
/// same character.
pub fn json_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r') {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`json_text`] over serialized JSON bytes: the same bytes back when
/// nothing needed escaping (or they are not UTF-8, which serde never writes).
pub fn json_bytes(bytes: Vec<u8>) -> Vec<u8> {
    match std::str::from_utf8(&bytes).map(json_text) {
        Ok(Cow::Owned(safe)) => safe.into_bytes(),
        _ => bytes,
    }
}

/// A string from the evidence as inline Markdown text: unsafe characters
/// shown visibly and every character that Markdown could read as inline
/// markup (emphasis, code, links, HTML, entities, strike-through, headings)
/// backslash-escaped, so that a name shows as it is and never
/// formats, links or adds HTML. The pipe is left to the table-cell escaping
/// (`markdown::cell`), which every table applies.
pub fn markdown_text(s: &str) -> String {
    let shown = visible(s);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '&' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Displays a string from the evidence through [`markdown_text`].
#[derive(Debug, Clone, Copy)]
pub struct Markdown<'a>(pub &'a str);

impl fmt::Display for Markdown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&markdown_text(self.0))
    }
}

/// A writer for a terminal: whatever passes through it reaches the terminal
/// with unsafe characters other than line feed and tab shown visibly, and
/// bytes that are not UTF-8 shown as `\xNN` (a lone 0x9b is CSI to a
/// terminal that is not in UTF-8 mode). The CLI puts it in front of stdout
/// when stdout is a terminal, so that output that is data (CSV values) is
/// exact in a file or a pipe and harmless on a screen.
#[derive(Debug)]
pub struct TerminalWriter<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence cut by the end of the last write.
    pending: Vec<u8>,
}

impl<W: Write> TerminalWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self { inner, pending: Vec::new() }
    }

    fn write_valid(&mut self, text: &str) -> io::Result<()> {
        self.inner.write_all(terminal_text(text).as_bytes())
    }

    fn write_invalid(&mut self, bytes: &[u8]) -> io::Result<()> {
        for b in bytes {
            write!(self.inner, "\\x{b:02x}")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(buf);
        let mut rest: &[u8] = &data;
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.write_valid(text)?;
                    break;
                }
                Err(e) => {
                    let (valid, tail) = rest.split_at(e.valid_up_to());
                    self.write_valid(std::str::from_utf8(valid).unwrap_or_default())?;
                    match e.error_len() {
                        Some(bad) => {
                            let (invalid, after) = tail.split_at(bad.min(tail.len()));
                            self.write_invalid(invalid)?;
                            rest = after;
                        }
                        None => {
                            // a sequence cut at the end: keep it for the next write
                            self.pending = tail.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.write_invalid(&pending)?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}]52;c;aGk=\u{7}b\u{1b}[2Jc\rd\ne\u{9b}f\u{202e}g";

    #[test]
    fn visible_leaves_no_control_character() {
        let shown = visible(HOSTILE);
        assert_eq!(shown, "a\\x1b]52;c;aGk=\\x07b\\x1b[2Jc\\rd\\ne\\u{9b}f\\u{202e}g");
        assert!(!shown.chars().any(char::is_control));
        assert!(matches!(visible("plain name"), Cow::Borrowed(_)));
    }

    #[test]
    fn visible_keeps_width_and_alignment() {
        assert_eq!(format!("[{:<7}]", Visible("a\u{7}")), "[a\\x07  ]");
    }

    #[test]
    fn terminal_text_keeps_line_feeds_and_tabs_only() {
        let shown = terminal_text("x\ty\nz\r\u{1b}[0m");
        assert_eq!(shown, "x\ty\nz\\r\\x1b[0m");
    }

    #[test]
    fn json_text_is_the_same_document() {
        let value = serde_json::json!({ "name": HOSTILE, "del": "\u{7f}" });
        let raw = serde_json::to_string(&value).unwrap_or_default();
        let safe = json_text(&raw);
        assert!(!safe.chars().any(char::is_control));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn markdown_text_cannot_format() {
        assert_eq!(markdown_text("*x*_[y](z)<b>`c`&\u{1b}"), "\\*x\\*\\_\\[y\\](z)\\<b\\>\\`c\\`\\&\\\\x1b");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever the string, what is shown holds no control character,
        /// and the JSON form is the same value.
        #[test]
        fn no_control_character_survives(text in proptest::prelude::any::<String>()) {
            proptest::prop_assert!(!visible(&text).chars().any(char::is_control));
            proptest::prop_assert!(!markdown_text(&text).chars().any(char::is_control));
            proptest::prop_assert!(!terminal_text(&text).chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            let json = serde_json::to_string(&text).unwrap_or_default();
            let safe = json_text(&json);
            proptest::prop_assert!(!safe.chars().any(char::is_control));
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&safe).ok(), Some(text));
        }

        /// The writer passes any bytes through without a control byte
        /// other than line feed and tab, however the writes are cut.
        #[test]
        fn the_terminal_writer_lets_no_control_through(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), cut in 0usize..200) {
            let mut w = TerminalWriter::new(Vec::new());
            let cut = cut.min(bytes.len());
            let _ = w.write_all(&bytes[..cut]);
            let _ = w.write_all(&bytes[cut..]);
            let _ = w.flush();
            let out = String::from_utf8(w.inner).unwrap_or_default();
            proptest::prop_assert!(!out.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
        }
    }

    #[test]
    fn terminal_writer_escapes_across_writes_and_invalid_bytes() {
        let mut w = TerminalWriter::new(Vec::new());
        let c1 = "\u{9b}".as_bytes();
        let _ = w.write_all(b"ok ");
        let _ = w.write_all(&c1[..1]);
        let _ = w.write_all(&c1[1..]);
        let _ = w.write_all(b" \x1b \xff\n");
        let _ = w.flush();
        assert_eq!(String::from_utf8_lossy(&w.inner), "ok \\u{9b} \\x1b \\xff\n");
    }
}
