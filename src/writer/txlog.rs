//! Transaction log files and checkpoints written from records (spec 3,
//! 4.2, 5): the 4 KiB log header, 4 KiB segments with their header and
//! ECC+XOR checksum, records packed into segments (NOP padding under 32
//! bytes, FragmentBegin/Fragment pieces otherwise), the entry LGPOS of each
//! record as the engine hands it out, the accumulated segment checksum for
//! the next generation, and the two-copy checkpoint file. Pure: values in,
//! file bytes out.

use crate::format::checksum::{legacy_xor, xe_checksum};
use crate::format::txlog::attach::AttachInfo;
use crate::format::{Lgpos, LogTime, Signature};
use crate::writer::header::lgpos_bytes;
use crate::writer::log_record::attach_list;

/// Segment (and sector) size of the current log format.
pub const SEGMENT: usize = 4096;
const SEGMENT_HEADER: usize = 40;
/// Below this many bytes left in a segment a record is not fragmented (`LOG_MIN_FRAGMENT_SIZE`).
const MIN_FRAGMENT: usize = 32;

/// What every generation of a stream shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// `signLog`.
    pub sign_log: Signature,
    /// `cbPageSize` of the instance's databases.
    pub page_size: u16,
    /// `csecLGFile`: segments per file, header and shadow segment included (at least 4).
    pub segments: u16,
    /// Version: major, minor, update major, update minor (8.4000.x.y for this body format).
    pub version: (u32, u32, u32, u32),
}

/// One generation to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationSpec {
    /// `lGeneration`.
    pub generation: i32,
    /// `tmCreate`.
    pub created: LogTime,
    /// `tmPrevGen`: the previous generation's `tmCreate`.
    pub previous_created: LogTime,
    /// `lgposCheckpoint` when the file was created.
    pub checkpoint: Lgpos,
    /// `checksumPrevLogAllSegments`: the previous generation's accumulated checksum.
    pub previous_checksum: u64,
    /// Databases attached when the file was created.
    pub attached: Vec<AttachInfo>,
}

/// The log is full: the record does not fit in this generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("generation {generation:#X} is full: a {len}-byte record does not fit in its {segments} segments")]
pub struct LogFull {
    /// The generation.
    pub generation: i32,
    /// The record's size.
    pub len: usize,
    /// Segments in the file.
    pub segments: u16,
}

/// One generation being filled with records.
#[derive(Debug, Clone)]
pub struct LogBuilder {
    stream: StreamSpec,
    spec: GenerationSpec,
    /// The data segments' bytes (segment 1 first), without their headers' checksums yet.
    body: Vec<u8>,
    /// Write offset inside `body`, header of segment 1 at 0.
    at: usize,
    /// Entry position of the next record (file offset).
    entry: usize,
}

impl LogBuilder {
    /// An empty generation.
    pub fn new(stream: StreamSpec, spec: GenerationSpec) -> Self {
        Self { stream, spec, body: Vec::new(), at: 0, entry: SEGMENT }
    }

    fn data_segments(&self) -> usize {
        usize::from(self.stream.segments.saturating_sub(2))
    }

    fn lgpos_of(&self, file_offset: usize) -> Lgpos {
        Lgpos {
            generation: self.spec.generation,
            isec: (file_offset / SEGMENT) as u16,
            ib: (file_offset % SEGMENT) as u16,
        }
    }

    /// Sets the previous generation's accumulated segment checksum (known
    /// only once that generation is finished).
    pub fn set_previous_checksum(&mut self, checksum: u64) {
        self.spec.previous_checksum = checksum;
    }

    /// The LGPOS the next record will get.
    pub fn position(&self) -> Lgpos {
        self.lgpos_of(self.entry)
    }

    /// The generation.
    pub fn generation(&self) -> i32 {
        self.spec.generation
    }

    fn ensure_segment(&mut self) -> bool {
        if self.at.is_multiple_of(SEGMENT) {
            if self.at / SEGMENT >= self.data_segments() {
                return false;
            }
            self.body.resize(self.at + SEGMENT, 0);
            self.at += SEGMENT_HEADER;
        }
        true
    }

    fn room(&self) -> usize {
        SEGMENT - self.at % SEGMENT
    }

    fn put(&mut self, bytes: &[u8]) {
        if let Some(slot) = self.body.get_mut(self.at..self.at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }

    /// True when a record of `len` bytes fits in the rest of the generation.
    fn fits(&self, len: usize) -> bool {
        let mut at = self.at;
        let mut left = len;
        let mut first = true;
        loop {
            if at.is_multiple_of(SEGMENT) {
                if at / SEGMENT >= self.data_segments() {
                    return false;
                }
                at += SEGMENT_HEADER;
            }
            let room = SEGMENT - at % SEGMENT;
            if first && left <= room {
                return true;
            }
            if first && room < MIN_FRAGMENT {
                at += room;
                continue;
            }
            let head = if first { 7 } else { 3 };
            let piece = room.saturating_sub(head).min(left);
            left -= piece;
            at += head + piece;
            first = false;
            if left == 0 {
                return true;
            }
            at = at.div_ceil(SEGMENT) * SEGMENT;
        }
    }

    /// Appends one record; returns its LGPOS (the entry position before it).
    ///
    /// # Errors
    /// [`LogFull`] when it does not fit in the rest of the generation.
    pub fn append(&mut self, record: &[u8]) -> Result<Lgpos, LogFull> {
        let full =
            LogFull { generation: self.spec.generation, len: record.len(), segments: self.stream.segments };
        if !self.fits(record.len()) {
            return Err(full);
        }
        let lgpos = self.position();
        if !self.ensure_segment() {
            return Err(full);
        }
        if record.len() <= self.room() {
            self.put(record);
        } else {
            if self.room() < MIN_FRAGMENT {
                // NOP padding: the bytes are already zero
                self.at += self.room();
                if !self.ensure_segment() {
                    return Err(full);
                }
            }
            if record.len() <= self.room() {
                self.put(record);
            } else {
                let mut rest = record;
                let mut first = true;
                while !rest.is_empty() {
                    if !self.ensure_segment() {
                        return Err(full);
                    }
                    let head = if first { 7 } else { 3 };
                    let piece = (self.room() - head).min(rest.len());
                    let (now, later) = rest.split_at(piece);
                    if first {
                        let mut h = vec![76];
                        h.extend_from_slice(&(record.len() as u32).to_le_bytes());
                        h.extend_from_slice(&(piece as u16).to_le_bytes());
                        self.put(&h);
                    } else {
                        let mut h = vec![77];
                        h.extend_from_slice(&(piece as u16).to_le_bytes());
                        self.put(&h);
                    }
                    self.put(now);
                    rest = later;
                    first = false;
                    if !rest.is_empty() {
                        self.at = self.at.div_ceil(SEGMENT) * SEGMENT;
                    }
                }
            }
        }
        self.entry = SEGMENT + self.at;
        Ok(lgpos)
    }

    /// The file bytes, the end of its valid data and its accumulated
    /// segment checksum (for the next generation's header).
    pub fn finish(self, segment_time: LogTime) -> (Vec<u8>, Lgpos, u64) {
        let segments = usize::from(self.stream.segments);
        let mut file = vec![0u8; segments * SEGMENT];
        let header = self.header();
        if let Some(slot) = file.get_mut(..SEGMENT) {
            slot.copy_from_slice(&header);
        }
        let used = self.body.len() / SEGMENT;
        let mut accumulated = 0u64;
        for i in 0..used {
            let isec = i + 1;
            let Some(seg) = self.body.get(i * SEGMENT..(i + 1) * SEGMENT) else { continue };
            let mut seg = seg.to_vec();
            let lgpos = Lgpos { generation: self.spec.generation, isec: isec as u16, ib: 0 };
            seg[8..16].copy_from_slice(&lgpos_bytes(lgpos));
            seg[16..24].copy_from_slice(&segment_time.0);
            seg[36..40].copy_from_slice(&0x2000u32.to_le_bytes());
            let sum = xe_checksum(&seg, isec as u32, true).0;
            seg[..8].copy_from_slice(&sum.to_le_bytes());
            accumulated ^= sum;
            if let Some(slot) = file.get_mut(isec * SEGMENT..(isec + 1) * SEGMENT) {
                slot.copy_from_slice(&seg);
            }
        }
        let end = Lgpos { generation: self.spec.generation, isec: (used + 1) as u16, ib: 0 };
        (file, end, accumulated)
    }

    fn header(&self) -> Vec<u8> {
        let mut h = vec![0u8; SEGMENT];
        let (s, g) = (&self.stream, &self.spec);
        let mut put = |at: usize, bytes: &[u8]| {
            if let Some(slot) = h.get_mut(at..at + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
        };
        put(4, &g.generation.to_le_bytes());
        put(8, &(SEGMENT as u16).to_le_bytes());
        put(10, &1u16.to_le_bytes());
        put(12, &s.segments.to_le_bytes());
        put(14, &s.page_size.to_le_bytes());
        put(16, &g.created.0);
        put(24, &g.previous_created.0);
        put(32, &s.version.0.to_le_bytes());
        put(36, &s.version.1.to_le_bytes());
        put(40, &s.version.2.to_le_bytes());
        put(44, &s.sign_log.0);
        put(72 + 543, &u32::from(s.segments).to_le_bytes());
        put(640, &lgpos_bytes(g.checkpoint));
        put(648, &s.version.3.to_le_bytes());
        put(652, &[1]);
        put(653, &g.previous_checksum.to_le_bytes());
        put(667, &3u32.to_le_bytes());
        put(671, &attach_list(&g.attached));
        let sum = legacy_xor(&h);
        h[..4].copy_from_slice(&sum.to_le_bytes());
        h
    }
}

/// The attach entry of database 1 (`path`, UTF-16 names) attached at
/// `lgpos_attach` with no dbtime, objid or consistent position recorded:
/// what the writer's log sets give their checkpoint.
pub fn attached_database(sign_db: Signature, lgpos_attach: Lgpos, path: &str) -> AttachInfo {
    AttachInfo {
        dbid: 1,
        flags: 0x20,
        dbtime: 0,
        objid_last: 0,
        max_pages: 0,
        lgpos_attach,
        lgpos_consistent: Lgpos::default(),
        sign_db,
        path: path.to_string(),
    }
}

/// The checkpoint file (spec 5.1): two identical sealed copies, with the
/// attach list valid (`fVersion` 1) and `lgposDbConsistency` at the checkpoint.
pub fn checkpoint(sign_log: Signature, lgpos_checkpoint: Lgpos, attached: &[AttachInfo]) -> Vec<u8> {
    let mut copy = vec![0u8; 4096];
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(slot) = copy.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    };
    put(12, &lgpos_bytes(lgpos_checkpoint));
    put(20, &sign_log.0);
    put(647, &[1]);
    put(648, &lgpos_bytes(lgpos_checkpoint));
    put(667, &4u32.to_le_bytes());
    put(679, &attach_list(attached));
    let sum = legacy_xor(&copy);
    copy[..4].copy_from_slice(&sum.to_le_bytes());
    let mut file = copy.clone();
    file.extend_from_slice(&copy);
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::checkpoint::Checkpoint;
    use crate::format::txlog::LogFile;

    fn stream() -> StreamSpec {
        StreamSpec { sign_log: Signature([7; 28]), page_size: 4096, segments: 8, version: (8, 4000, 90, 200) }
    }

    fn spec(generation: i32) -> GenerationSpec {
        GenerationSpec {
            generation,
            created: LogTime::from_unix(1_700_000_000 + generation as u64, 0),
            previous_created: LogTime::from_unix(1_700_000_000 + generation as u64 - 1, 0),
            checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
            previous_checksum: 0,
            attached: Vec::new(),
        }
    }

    #[test]
    fn records_read_back_with_their_positions_fragments_and_padding() {
        let mut log = LogBuilder::new(stream(), spec(3));
        let mut written = Vec::new();
        // sizes that fill segments exactly, leave under 32 bytes, and need fragments
        for (i, len) in [8usize, 4000, 40, 3000, 2500, 44, 5000, 13, 4056 - 8].iter().enumerate() {
            let mut r = vec![0u8; *len];
            r[0] = 71; // NOP2-shaped: 5 + u32 cb
            r[1..5].copy_from_slice(&((*len - 5) as u32).to_le_bytes());
            r[5..].iter_mut().enumerate().for_each(|(j, b)| *b = (i + j) as u8 | 1);
            let lgpos = log.append(&r).unwrap();
            written.push((lgpos, r));
        }
        assert!(log.append(&vec![0u8; 30_000]).is_err());
        let (file, end, accumulated) = log.finish(LogTime::from_unix(1_700_000_100, 0));
        let parsed = LogFile::parse(&file).unwrap();
        assert!(parsed.header_problems.is_empty(), "{:?}", parsed.header_problems);
        assert!(parsed.body_problems().is_empty(), "{:?}", parsed.body_problems());
        assert_eq!(parsed.end(), end);
        assert_eq!(parsed.segments.as_ref().unwrap().accumulated_checksum, accumulated);
        let read: Vec<_> = parsed.records.records.iter().map(|r| (r.lgpos, r.bytes.to_vec())).collect();
        assert_eq!(read, written);
        assert!(parsed.records.records.iter().any(|r| r.fragmented));
    }

    #[test]
    fn checkpoint_reads_back() {
        let at = Lgpos { generation: 4, isec: 2, ib: 0x30 };
        let c = Checkpoint::parse(&checkpoint(Signature([7; 28]), at, &[])).unwrap();
        let current = c.current().unwrap();
        assert_eq!(current.lgpos_checkpoint, at);
        assert_eq!(current.sign_log, Signature([7; 28]));
        assert!(!c.copies_differ);
    }
}
