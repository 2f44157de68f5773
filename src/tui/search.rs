//! Searching the file for bytes: a hex string (`4d 53 79 73`) or text,
//! which is looked for both as ASCII and as UTF-16LE.

use memchr::memmem;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needles {
    /// Byte strings to look for; the earliest match of any wins.
    pub patterns: Vec<Vec<u8>>,
    /// How the query was read, for the message.
    pub described: String,
}

/// Reads a query: hex digits (spaces allowed, even count) are bytes;
/// anything else, or text in double quotes, is text (ASCII and UTF-16LE).
pub fn parse_query(query: &str) -> Option<Needles> {
    let trimmed = query.trim();
    if trimmed.is_empty() {
        return None;
    }
    let quoted = trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
    let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    if quoted.is_none() && compact.len().is_multiple_of(2) && compact.chars().all(|c| c.is_ascii_hexdigit()) {
        let bytes = hex::decode(&compact).ok()?;
        return Some(Needles { described: format!("bytes {}", hex::encode(&bytes)), patterns: vec![bytes] });
    }
    let text = quoted.unwrap_or(trimmed);
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Some(Needles {
        described: format!("text \"{text}\" (ASCII or UTF-16LE)"),
        patterns: vec![text.as_bytes().to_vec(), utf16],
    })
}

/// The first match at or after `from`, wrapping around to the start;
/// returns the offset and whether it wrapped.
pub fn find(haystack: &[u8], needles: &Needles, from: usize) -> Option<(usize, bool)> {
    let first_in = |range: &[u8]| needles.patterns.iter().filter_map(|p| memmem::find(range, p)).min();
    let from = from.min(haystack.len());
    if let Some(found) = haystack.get(from..).and_then(first_in) {
        return Some((from + found, false));
    }
    haystack.get(..from).and_then(first_in).map(|found| (found, true))
}

/// As [`find`] over a file handed out in windows: `window(i)` is the bytes
/// from `i * step`, `step` of them plus some overlap into the next window, so
/// that a match starting in a window is found whole (patterns no longer than
/// the overlap). `len` is the file's size.
pub fn find_windowed<'a>(
    len: u64,
    step: u64,
    window: impl Fn(u64) -> Option<&'a [u8]>,
    needles: &Needles,
    from: u64,
) -> Option<(u64, bool)> {
    let step = step.max(1);
    let from = from.min(len);
    // matches starting in [lo, hi), searched window by window
    let search = |lo: u64, hi: u64| -> Option<u64> {
        let mut i = lo / step;
        while i * step < hi {
            let start = i * step;
            let bytes = window(i)?;
            let skip = usize::try_from(lo.saturating_sub(start)).ok()?;
            let found = bytes
                .get(skip..)
                .and_then(|rest| needles.patterns.iter().filter_map(|p| memchr::memmem::find(rest, p)).min());
            if let Some(at) = found.map(|f| start + (skip + f) as u64) {
                if at < hi.min(start + step) {
                    return Some(at);
                }
            }
            i += 1;
        }
        None
    };
    if let Some(at) = search(from, len) {
        return Some((at, false));
    }
    search(0, from).map(|at| (at, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_text_queries() {
        assert_eq!(parse_query("4d 53").unwrap().patterns, vec![vec![0x4d, 0x53]]);
        let text = parse_query("MS").unwrap();
        assert_eq!(text.patterns, vec![b"MS".to_vec(), vec![b'M', 0, b'S', 0]]);
        assert_eq!(parse_query("\"ab\"").unwrap().patterns[0], b"ab".to_vec());
        assert!(parse_query("  ").is_none());
    }

    #[test]
    fn finds_forward_then_wraps() {
        let hay = b"xxABxxxxABxx";
        let needles = parse_query("\"AB\"").unwrap();
        assert_eq!(find(hay, &needles, 0), Some((2, false)));
        assert_eq!(find(hay, &needles, 3), Some((8, false)));
        assert_eq!(find(hay, &needles, 9), Some((2, true)));
        // "AB" would be read as the hex byte 0xab; "MZ" is text
        assert_eq!(parse_query("AB").unwrap().patterns, vec![vec![0xab]]);
        let utf16 = parse_query("MZ").unwrap();
        assert_eq!(find(b"..M\0Z\0..", &utf16, 0), Some((2, false)));
    }

    #[test]
    fn windowed_search_agrees_with_whole_search() {
        let hay: Vec<u8> = b"xxABxxxxABxxxAxB".repeat(5);
        let needles = parse_query("\"AB\"").unwrap();
        for step in [3u64, 4, 7, 100] {
            let window =
                |i: u64| hay.get((i * step) as usize..).map(|w| &w[..w.len().min(step as usize + 2)]);
            for from in 0..hay.len() {
                let whole = find(&hay, &needles, from).map(|(at, w)| (at as u64, w));
                assert_eq!(
                    find_windowed(hay.len() as u64, step, window, &needles, from as u64),
                    whole,
                    "{step} {from}"
                );
            }
        }
    }
}
