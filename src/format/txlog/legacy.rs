//! The legacy body of 7.3704.x logs: records laid back to back across
//! 512-byte sectors, protected by a chain of LRCHECKSUM records whose
//! ranges are XOR-checksummed. Spec 4.3.

use serde::Serialize;

use super::record::{record_size, Body, BodyProblem, Collector, RecordType};
use super::LogHeader;
use crate::format::types::{le_u32, Lgpos};

/// Size of an LRCHECKSUM record.
const LRCHECKSUM_LEN: usize = 22;
const SEED: u32 = 0xFEED_BEAF;
const SHORT_SEED: u32 = 0xDEAD_C0DE;
const SHADOW: u32 = 0x5AD0_5EC7;

/// One LRCHECKSUM record and the range it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChecksumRange {
    /// Position of the LRCHECKSUM record.
    pub lgpos: Lgpos,
    /// File offset where the covered range starts.
    pub start: u64,
    /// File offset where it ends.
    pub end: u64,
    /// True when the range checksum matched.
    pub ok: bool,
}

/// The result of walking the LRCHECKSUM chain.
#[derive(Debug, Clone, Serialize)]
pub struct LegacyScan {
    /// The validated ranges, in order.
    pub ranges: Vec<ChecksumRange>,
    /// End of valid data ("Last Lgpos").
    pub end: Lgpos,
    /// File offset of the end of valid data.
    pub end_offset: u64,
    /// Damage found.
    pub problems: Vec<BodyProblem>,
}

/// XOR of a byte range read as little-endian u32 words from its own start,
/// the last partial word zero-padded.
fn xor_range(bytes: &[u8]) -> u32 {
    bytes.chunks(4).fold(0, |acc, w| {
        let word = w.iter().enumerate().fold(0u32, |v, (k, &b)| v | (u32::from(b) << (8 * k)));
        acc ^ word
    })
}

fn position(header: &LogHeader, offset: usize) -> Lgpos {
    let sec = usize::from(header.cb_sec.max(1));
    Lgpos { generation: header.generation, isec: (offset / sec) as u16, ib: (offset % sec) as u16 }
}

/// Walks the LRCHECKSUM chain from the first data sector.
pub fn scan(bytes: &[u8], header: &LogHeader) -> LegacyScan {
    let sec = usize::from(header.cb_sec.max(1));
    let file_end = bytes.len().min(usize::try_from(header.expected_len()).unwrap_or(usize::MAX));
    let mut at = usize::from(header.csec_header) * sec;
    let mut ranges = Vec::new();
    let mut problems = Vec::new();
    let mut end = at;
    let gen = header.generation as u32;
    for _ in 0..file_end / sec + 1 {
        let lgpos = position(header, at);
        let mut problem = |message: String| problems.push(BodyProblem { lgpos, message });
        let Some(record) = bytes.get(at..at + LRCHECKSUM_LEN) else {
            problem("the checksum chain runs past the end of the file".into());
            break;
        };
        if record.first() != Some(&RecordType::CHECKSUM.0) {
            problem(format!(
                "expected an LRCHECKSUM record, found type {}",
                record.first().copied().unwrap_or(0)
            ));
            break;
        }
        let field = |o: usize| le_u32(record, o).unwrap_or(0) as usize;
        let (backwards, forwards, next) = (field(1), field(5), field(9));
        let stored = le_u32(record, 13).unwrap_or(0);
        let short_stored = le_u32(record, 17).unwrap_or(0);
        let use_short = record.get(21).copied().unwrap_or(0);
        let ib = at % sec;
        if backwards > sec - LRCHECKSUM_LEN
            || (backwards != 0 && backwards != ib)
            || !matches!(use_short, 0x9A | 0xD1)
        {
            problem(format!("LRCHECKSUM fields are inconsistent (backwards {backwards}, short-checksum flag {use_short:#x})"));
            break;
        }
        let before = bytes.get(at - backwards..at).unwrap_or_default();
        let after_end = at + LRCHECKSUM_LEN + forwards;
        let Some(after) = bytes.get(at + LRCHECKSUM_LEN..after_end).filter(|_| after_end <= file_end) else {
            problem(format!("LRCHECKSUM covers {forwards} bytes past the end of the file"));
            break;
        };
        let mix = backwards as u32 ^ forwards as u32 ^ next as u32 ^ u32::from(use_short) ^ gen;
        let computed = SEED ^ xor_range(before) ^ xor_range(after) ^ mix;
        if use_short == 0x9A {
            let sector_end = (at / sec + 1) * sec;
            let in_sector = bytes.get(at + LRCHECKSUM_LEN..sector_end.min(file_end)).unwrap_or_default();
            let short = SHORT_SEED ^ xor_range(before) ^ xor_range(in_sector) ^ mix;
            if short != short_stored {
                problem(format!(
                    "short checksum mismatch: stored {short_stored:#010x}, computed {short:#010x}"
                ));
                break;
            }
        }
        if computed != stored {
            if computed ^ SHADOW == stored {
                problem(
                    "shadow sector: the last sector was torn; recovery would patch it from the shadow".into(),
                );
            } else {
                problem(format!("range checksum mismatch: stored {stored:#010x}, computed {computed:#010x} (-501 JET_errLogFileCorrupt)"));
            }
            break;
        }
        ranges.push(ChecksumRange { lgpos, start: (at - backwards) as u64, end: after_end as u64, ok: true });
        end = after_end;
        if next == 0 {
            break;
        }
        at = at + LRCHECKSUM_LEN + next;
    }
    LegacyScan { ranges, end: position(header, end), end_offset: end as u64, problems }
}

/// Decodes the records back to back from the first data sector to the end
/// of valid data. The LGPOS of a legacy record is its physical position.
pub(crate) fn records(bytes: &[u8], header: &LogHeader, scan: &LegacyScan, walk: &mut Collector<'_>) {
    let sec = usize::from(header.cb_sec.max(1));
    let mut at = usize::from(header.csec_header) * sec;
    let end = usize::try_from(scan.end_offset).unwrap_or(0).min(bytes.len());
    while at < end {
        let Some(rest) = bytes.get(at..end) else { break };
        if rest.first() == Some(&0) {
            at += 1;
            continue;
        }
        match record_size(rest) {
            Ok(n) if n <= rest.len() => {
                walk.record(
                    position(header, at),
                    at as u64,
                    RecordType(rest.first().copied().unwrap_or(0)),
                    Body::InFile(at, n),
                );
                at += n;
            }
            Ok(n) => {
                walk.problem(BodyProblem {
                    lgpos: position(header, at),
                    message: format!("record of {n} bytes runs past the end of valid data"),
                });
                break;
            }
            Err(e) => {
                walk.problem(BodyProblem { lgpos: position(header, at), message: e.to_string() });
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_range_pads_the_last_word() {
        assert_eq!(xor_range(&[1, 0, 0, 0, 2]), 3);
        assert_eq!(xor_range(&[0, 1]), 0x100);
    }
}
