//! What a log set keeps of each log file: its header and what the scan of
//! its body found (segments, end of valid data, damage, whether it closed
//! normally), but not its records. The records of a generation are read
//! again from the file when a command needs them ([`LogEntry::load`],
//! [`LogSet::generations`]), used and dropped, so that the memory of a
//! command over a log set does not grow with the number of generations.

use crate::format::txlog::record::BodyProblem;
use crate::format::txlog::{LogFile, LogHeader};
use crate::format::Lgpos;

use super::{LogEntry, LogSet, MAX_LOG_LEN};

/// A log file without its records.
#[derive(Debug, Clone)]
pub struct LogSummary {
    /// The header (without its raw bytes: [`LogHeader::fields`] of it is
    /// empty; [`LogEntry::load`] gives the whole file).
    pub header: LogHeader,
    /// What makes the file unusable on its own (checksum, version, size).
    pub header_problems: Vec<String>,
    /// Damage in the body (segments, checksum ranges, records).
    pub body_problems: Vec<BodyProblem>,
    /// (valid, total) data segments or sectors.
    pub valid_segments: (usize, usize),
    /// The first record's LGPOS, if any.
    pub first: Option<Lgpos>,
    /// End of valid data ("Last Lgpos").
    pub end: Lgpos,
    /// XOR of the stored checksums of the valid segments (segment format).
    pub accumulated_checksum: Option<u64>,
    /// The last record that is not filler closes the log.
    pub closed_normally: bool,
    /// How many records the file holds up to the end of valid data.
    pub record_count: usize,
    /// Its segments by state in words ("1 valid, 4 empty").
    pub segments_in_words: String,
    /// False when only the header was read ([`super::Depth::Headers`]):
    /// then nothing above but the header and its problems is known, and the
    /// body is checked when the generation is loaded.
    pub body_read: bool,
}

/// The segments of a log by state, in the words `log` uses: "1 valid, 4 empty".
fn segments_in_words(log: &LogFile) -> String {
    use crate::format::txlog::segment::SegmentState;
    match (&log.segments, &log.legacy) {
        (Some(scan), _) => {
            let count = |s: SegmentState| scan.segments.iter().filter(|x| x.state == s).count();
            let mut parts = vec![format!("{} valid", count(SegmentState::Valid))];
            for (state, word) in [
                (SegmentState::Empty, "empty"),
                (SegmentState::Stale, "stale"),
                (SegmentState::Shadow, "shadow"),
                (SegmentState::Corrupt, "corrupt"),
                (SegmentState::BadLgpos, "bad lgpos"),
            ] {
                if count(state) > 0 {
                    parts.push(format!("{} {word}", count(state)));
                }
            }
            parts.join(", ")
        }
        (None, Some(legacy)) => format!("{} ranges", legacy.ranges.len()),
        (None, None) => "-".into(),
    }
}

impl LogSummary {
    /// The summary of a decoded log file.
    pub fn of(log: &LogFile) -> Self {
        Self {
            // not the header's raw bytes: 4 KiB a generation
            header: log.header.without_bytes(),
            header_problems: log.header_problems.clone(),
            body_problems: log.body_problems().into_iter().cloned().collect(),
            valid_segments: log.valid_segments(),
            first: log.first(),
            end: log.end(),
            accumulated_checksum: log.segments.as_ref().map(|s| s.accumulated_checksum),
            closed_normally: log.records.closed_normally,
            record_count: log.records.count,
            segments_in_words: segments_in_words(log),
            body_read: true,
        }
    }

    /// The summary of a file of which only the header was read
    /// (`file_len` is the file's size): its body is unknown.
    pub fn of_header(header: &LogHeader, file_len: u64) -> Self {
        Self {
            header: header.without_bytes(),
            header_problems: crate::format::txlog::header_problems(header, file_len),
            body_problems: Vec::new(),
            valid_segments: (0, 0),
            first: None,
            end: Lgpos { generation: header.generation, isec: header.csec_header, ib: 0 },
            accumulated_checksum: None,
            closed_normally: false,
            record_count: 0,
            segments_in_words: "not read".into(),
            body_read: false,
        }
    }

    /// Damage in the body.
    pub fn body_problems(&self) -> &[BodyProblem] {
        &self.body_problems
    }

    /// (valid, total) data segments or sectors.
    pub fn valid_segments(&self) -> (usize, usize) {
        self.valid_segments
    }

    /// The first record's LGPOS, if any.
    pub fn first(&self) -> Option<Lgpos> {
        self.first
    }

    /// End of valid data.
    pub fn end(&self) -> Lgpos {
        self.end
    }
}

impl LogEntry {
    /// Reads and decodes the file again, records included.
    ///
    /// # Errors
    /// The file can no longer be read or decoded, or it is not the file
    /// the set was built from (its generation or signature changed).
    pub fn load(&self) -> Result<LogFile, String> {
        let path = self.path.display();
        let size = std::fs::metadata(&self.path).map_err(|e| format!("{path}: cannot read: {e}"))?.len();
        if size > MAX_LOG_LEN {
            return Err(format!("{path}: {size} bytes is larger than any log file ({MAX_LOG_LEN})"));
        }
        let bytes = std::fs::read(&self.path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        let log = LogFile::from_bytes(bytes.into()).map_err(|e| format!("{path}: {e}"))?;
        if let Some(summary) = &self.log {
            let (was, now) = (&summary.header, &log.header);
            if was.generation != now.generation || was.sign_log != now.sign_log || was.created != now.created
            {
                return Err(format!("{path}: the file changed since the log set was read"));
            }
        }
        Ok(log)
    }
}

impl LogSet {
    /// The generations of the chain in order, each read from its file when
    /// the iterator reaches it: one decoded log in memory at a time.
    pub fn generations(&self) -> impl Iterator<Item = (&LogEntry, Result<LogFile, String>)> {
        self.logs.iter().filter(|e| e.in_chain && e.log.is_some()).map(|e| (e, e.load()))
    }
}
