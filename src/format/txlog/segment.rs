//! The segment body of 8.4000.x logs: 4 KiB segments, each with a 40-byte
//! header and an ECC+XOR checksum computed with `pgno = isec`. Classifies
//! every segment, finds the end of valid data, accumulates the segment
//! checksum and walks the records (fragments reassembled). Spec 4.2.

use serde::Serialize;

use super::record::{record_size, Body, BodyProblem, Collector, RecordType};
use super::LogHeader;
use crate::format::checksum::xe_checksum;
use crate::format::field::lgpos_at;
use crate::format::types::{le_u16, le_u32, le_u64, Lgpos};

/// Segment size of the segment format.
pub const SEGMENT: usize = 4096;
/// Segment header size.
pub const SEGMENT_HEADER: usize = 40;

/// What a segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentState {
    /// Checksum and position match: data of this generation.
    Valid,
    /// All zero: never written.
    Empty,
    /// Checksum matches but the position is of an older generation: left over.
    Stale,
    /// A copy of the previous segment (torn-write protection).
    Shadow,
    /// Checksum matches but the position is later than the segment: corruption.
    BadLgpos,
    /// Nothing matches.
    Corrupt,
}

/// One segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SegmentInfo {
    /// Its index in the file.
    pub isec: u16,
    /// What it holds.
    pub state: SegmentState,
    /// The stored checksum (a hex string in JSON).
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub stored: u64,
    /// The checksum computed with `pgno = isec`.
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub computed: u64,
    /// `lgposSegment` from its header.
    pub lgpos: Lgpos,
}

/// The result of scanning a segment-format body.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentScan {
    /// Every segment after the header, in order.
    pub segments: Vec<SegmentInfo>,
    /// The last valid data segment, if any.
    pub last_valid: Option<u16>,
    /// End of valid data ("Last Lgpos").
    pub end: Lgpos,
    /// XOR of the stored checksums of all valid segments (a hex string in JSON).
    #[serde(serialize_with = "crate::format::hex64::serialize")]
    pub accumulated_checksum: u64,
    /// Damage found.
    pub problems: Vec<BodyProblem>,
}

fn segment(bytes: &[u8], isec: u16) -> Option<&[u8]> {
    let start = usize::from(isec) * SEGMENT;
    bytes.get(start..start + SEGMENT)
}

/// Classifies every segment of a segment-format log.
pub fn scan(bytes: &[u8], header: &LogHeader) -> SegmentScan {
    let gen = header.generation;
    let count = header.csec_lg_file;
    let mut segments = Vec::new();
    for isec in 1..count {
        let Some(seg) = segment(bytes, isec) else { break };
        let stored = le_u64(seg, 0).unwrap_or(0);
        let lgpos = lgpos_at(seg, 8).unwrap_or_default();
        let computed = xe_checksum(seg, u32::from(isec), true).0;
        let here = Lgpos { generation: gen, isec, ib: 0 };
        let state = if seg.iter().all(|&b| b == 0) {
            SegmentState::Empty
        } else if stored == computed {
            match lgpos.cmp(&here) {
                core::cmp::Ordering::Equal => SegmentState::Valid,
                core::cmp::Ordering::Less => SegmentState::Stale,
                core::cmp::Ordering::Greater => SegmentState::BadLgpos,
            }
        } else if isec > 1 && xe_checksum(seg, u32::from(isec - 1), true).0 == stored {
            // a copy of the previous segment: this generation's shadow, or
            // one left over from an older use of the file
            let previous = Lgpos { generation: gen, isec: isec - 1, ib: 0 };
            match lgpos.cmp(&previous) {
                core::cmp::Ordering::Equal => SegmentState::Shadow,
                core::cmp::Ordering::Less => SegmentState::Stale,
                core::cmp::Ordering::Greater => SegmentState::BadLgpos,
            }
        } else {
            SegmentState::Corrupt
        };
        segments.push(SegmentInfo { isec, state, stored, computed, lgpos });
    }
    let mut problems = Vec::new();
    let mut last_valid = None;
    let mut ended = false;
    let mut accumulated = 0u64;
    let data_segments = count.saturating_sub(2);
    for (i, info) in segments.iter().enumerate() {
        if info.isec > data_segments {
            // the last segment is reserved for shadows and never holds data
            continue;
        }
        let at = Lgpos { generation: gen, isec: info.isec, ib: 0 };
        let next = segments.get(i + 1);
        match info.state {
            SegmentState::Valid if !ended => {
                last_valid = Some(info.isec);
                accumulated ^= info.stored;
            }
            SegmentState::Valid => problems.push(BodyProblem {
                lgpos: at,
                message: "valid segment after the end of data (-501 JET_errLogFileCorrupt)".into(),
            }),
            SegmentState::Corrupt if !ended && next.is_some_and(|n| n.state == SegmentState::Shadow) => {
                problems.push(BodyProblem {
                    lgpos: at,
                    message: "torn write: the last partial segment is damaged, its shadow copy in the next segment is intact"
                        .into(),
                });
                ended = true;
            }
            SegmentState::Corrupt if !ended => {
                problems.push(BodyProblem {
                    lgpos: at,
                    message: format!(
                        "segment checksum mismatch: stored {:#018x}, computed {:#018x} (-501 JET_errLogFileCorrupt)",
                        info.stored, info.computed
                    ),
                });
                ended = true;
            }
            SegmentState::BadLgpos => problems.push(BodyProblem {
                lgpos: at,
                message: format!(
                    "segment header says {} although it is segment {:#X}",
                    info.lgpos, info.isec
                ),
            }),
            _ => ended = true,
        }
    }
    let end_isec = last_valid.map_or(header.csec_header, |l| l + 1);
    SegmentScan {
        segments,
        last_valid,
        end: Lgpos { generation: gen, isec: end_isec, ib: 0 },
        accumulated_checksum: accumulated,
        problems,
    }
}

fn position(gen: i32, offset: usize) -> Lgpos {
    Lgpos { generation: gen, isec: (offset / SEGMENT) as u16, ib: (offset % SEGMENT) as u16 }
}

/// Walks the records of the valid segments into `walk`.
pub(crate) fn records(bytes: &[u8], header: &LogHeader, scan: &SegmentScan, walk: &mut Collector<'_>) {
    let gen = header.generation;
    let Some(last) = scan.last_valid else { return };
    let first = usize::from(header.csec_header.max(1));
    let end = (usize::from(last) + 1) * SEGMENT;
    let mut pos = first * SEGMENT; // entry position of the next record
    let mut cur = pos;
    let mut fragments: Option<(Lgpos, u64, usize, Vec<u8>)> = None; // (lgpos, offset, total, bytes)
    while cur < end {
        if cur.is_multiple_of(SEGMENT) {
            cur += SEGMENT_HEADER;
        }
        let segment_end = (cur / SEGMENT + 1) * SEGMENT;
        let Some(&t) = bytes.get(cur) else { break };
        let rest = bytes.get(cur..segment_end).unwrap_or_default();
        if t == 0 {
            cur += rest.iter().take_while(|&&b| b == 0).count().max(1);
            continue;
        }
        let here = cur;
        let problem = |message: String| BodyProblem { lgpos: position(gen, here), message };
        match RecordType(t) {
            RecordType::FRAGMENT_BEGIN => {
                let (Some(total), Some(size)) = (le_u32(rest, 1), le_u16(rest, 5)) else {
                    walk.problem(problem("fragment header does not fit in the segment".into()));
                    break;
                };
                let Some(piece) = rest.get(7..7 + usize::from(size)) else {
                    walk.problem(problem("fragment runs past the segment".into()));
                    break;
                };
                if fragments.is_some() {
                    walk.problem(problem("a new fragmented record starts before the last one ended".into()));
                }
                let total = (total as usize).min(16 << 20);
                fragments = Some((position(gen, pos), cur as u64, total, piece.to_vec()));
                cur += 7 + usize::from(size);
            }
            RecordType::FRAGMENT => {
                let Some(size) = le_u16(rest, 1) else { break };
                let Some(piece) = rest.get(3..3 + usize::from(size)) else {
                    walk.problem(problem("fragment runs past the segment".into()));
                    break;
                };
                cur += 3 + usize::from(size);
                match fragments.take() {
                    None => walk.problem(problem("continuation fragment without a beginning".into())),
                    Some((lgpos, offset, total, mut buf)) => {
                        buf.extend_from_slice(piece);
                        if buf.len() < total {
                            fragments = Some((lgpos, offset, total, buf));
                            continue;
                        }
                        match record_size(&buf) {
                            Ok(n) if n == total && n == buf.len() => walk.record(
                                lgpos,
                                offset,
                                RecordType(buf.first().copied().unwrap_or(0)),
                                Body::Reassembled(buf),
                            ),
                            Ok(n) => walk.problem(BodyProblem {
                                lgpos,
                                message: format!("reassembled record is {} bytes, its type says {n}, the fragments said {total}", buf.len()),
                            }),
                            Err(e) => walk.problem(BodyProblem { lgpos, message: e.to_string() }),
                        }
                        pos = cur;
                    }
                }
            }
            _ => {
                if fragments.take().is_some() {
                    walk.problem(problem("an unfinished fragmented record was dropped (torn write)".into()));
                }
                match record_size(rest) {
                    Ok(n) if n <= rest.len() => {
                        walk.record(position(gen, pos), cur as u64, RecordType(t), Body::InFile(cur, n));
                        cur += n;
                        pos = cur;
                    }
                    Ok(n) => {
                        walk.problem(problem(format!(
                            "{} record of {n} bytes runs past the end of its segment ({} bytes left)",
                            RecordType(t).name(),
                            rest.len()
                        )));
                        cur = segment_end;
                        pos = cur;
                    }
                    Err(e) => {
                        walk.problem(problem(e.to_string()));
                        cur = segment_end;
                        pos = cur;
                    }
                }
            }
        }
    }
    // A fragmented record left unfinished at the end of data is what a crash
    // leaves behind (spec 9); recovery ignores it, and so does the walk.
}
