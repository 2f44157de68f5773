//! Plain-text hex dumps and bit rows, as pasted into incident reports.

use std::fmt::Write as _;

/// One 32-bit value as four groups of eight bits, most significant first.
pub fn bit_row(value: u32) -> String {
    let bits = format!("{value:032b}");
    let groups: Vec<&str> = (0..4).filter_map(|i| bits.get(i * 8..i * 8 + 8)).collect();
    groups.join(" ")
}

/// A marker under [`bit_row`] with `^` under each set bit of `mask`.
pub fn bit_marker(mask: u32) -> String {
    bit_row(mask).chars().map(|c| if c == '1' { '^' } else { ' ' }).collect::<String>().trim_end().to_string()
}

/// A byte to mark in a hex dump, with a note printed under its line.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Offset of the byte inside the dumped bytes.
    pub offset: usize,
    /// What to say about it.
    pub note: String,
}

/// Dumps `bytes` 16 per line: page offset, file offset, hex, ASCII.
/// Runs of identical all-zero lines collapse to `*`, as `hexdump` does.
/// Each marked byte gets a `^^` line under it.
pub fn hex_dump(bytes: &[u8], base_file_offset: u64, marks: &[Mark]) -> String {
    let mut out = String::new();
    let mut previous_zero = false;
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let offset = line * 16;
        let line_marks: Vec<&Mark> = marks.iter().filter(|m| m.offset / 16 == line).collect();
        let zero = chunk.iter().all(|&b| b == 0);
        if zero && previous_zero && line_marks.is_empty() && offset + 16 < bytes.len() {
            if !out.ends_with("*\n") {
                out.push_str("*\n");
            }
            continue;
        }
        previous_zero = zero;
        let _ = write!(out, "{offset:04x}  {:010x}  ", base_file_offset + offset as u64);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(
            chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '.' }),
        );
        out.push('\n');
        for mark in line_marks {
            let column = 18 + (mark.offset % 16) * 3 + usize::from(mark.offset % 16 >= 8);
            let _ = writeln!(out, "{}^^ {}", " ".repeat(column), mark.note);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rows() {
        assert_eq!(bit_row(0x8000_0001), "10000000 00000000 00000000 00000001");
        assert_eq!(bit_marker(0x0000_0008), format!("{}^", " ".repeat(31)));
    }

    #[test]
    fn dump_marks_a_byte_and_collapses_zeros() {
        let mut bytes = vec![0u8; 128];
        bytes[0x12] = 0x41;
        let dump = hex_dump(&bytes, 0x1000, &[Mark { offset: 0x12, note: "bit 0".into() }]);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "0000  0000001000  {}  {}  {}",
                "00 ".repeat(8).trim_end(),
                "00 ".repeat(8).trim_end(),
                ".".repeat(16)
            )
        );
        assert!(lines[1].starts_with("0010  0000001010  00 00 41 00"));
        assert!(lines[1].ends_with("..A............."));
        assert_eq!(lines[2], format!("{}^^ bit 0", " ".repeat(24)));
        assert!(lines[3].starts_with("0020  0000001020  00 00"));
        assert_eq!(lines[4], "*");
        assert!(lines[5].starts_with("0070"), "the last line is always shown");
        assert_eq!(lines.len(), 6);
    }
}
