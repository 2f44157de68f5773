//! The teaching database of `sample-dbs/`: a few small tables that use
//! every column type but UnsignedLongLong (which libesedb cannot read),
//! secondary indexes (unique and not, ascending and descending), long
//! values kept in the record and separated into the long-value tree, and
//! enough rows for trees of two and three levels.
//!
//! Everything is deterministic: values come from a fixed-seed generator and
//! all times are fixed, so the same call always gives the same bytes.

use crate::format::{Lgpos, LogTime, PageSize};

use super::database::{write_database, DatabaseSpec, WrittenDatabase};
use super::header::{signature, HeaderSpec};
use super::schema::{ColumnDef, ColumnType, IndexDef, TableDef, Value};
use super::WriteError;

/// The fixed creation time of every sample: 2024-01-02 03:04:05 UTC.
pub const SAMPLE_UNIX_TIME: u64 = 1_704_164_645;

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64().checked_rem(bound).unwrap_or(0)
    }

    /// A word from a small vocabulary, for readable text values.
    pub fn word(&mut self) -> &'static str {
        const WORDS: [&str; 16] = [
            "amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "inlet", "juniper",
            "kestrel", "larch", "meadow", "nectar", "orchid", "pebble",
        ];
        WORDS[self.below(WORDS.len() as u64) as usize]
    }
}

/// How big the teaching database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSize {
    /// The page size.
    pub page_size: PageSize,
    /// Rows of the `people` table.
    pub people: u32,
    /// Rows of the `readings` table.
    pub readings: u32,
    /// Bytes of each person's `Notes` (kept in the record).
    pub notes_len: usize,
    /// Rows of the `files` table (long keys: enough rows give a tree with
    /// internal pages below the root).
    pub files: u32,
    /// The file has at least this many pages.
    pub min_pages: u32,
}

/// The header of every sample: clean shutdown, detached at generation 1,
/// fixed signatures and times.
pub fn sample_header(page_size: PageSize) -> HeaderSpec {
    let time = LogTime::from_unix(SAMPLE_UNIX_TIME, 0);
    let lgpos = Lgpos { generation: 1, isec: 0x10, ib: 0 };
    HeaderSpec::clean(page_size, signature(0x5EE5_C09E, time), signature(0x10C5_1A7E, time), lgpos, time)
}

/// The tables of the teaching database.
pub fn sample_tables(size: SampleSize) -> Vec<TableDef> {
    let mut rng = SplitMix::new(0x0E5E_5C09E);
    vec![people(size, &mut rng), readings(size, &mut rng), tags(&mut rng), files(size, &mut rng)]
}

/// `people`: fixed, variable, tagged and long-value columns; a
/// non-unique index on a text column and a unique one with a descending
/// segment.
fn people(size: SampleSize, rng: &mut SplitMix) -> TableDef {
    use ColumnType as T;
    let columns = vec![
        ColumnDef::new("Id", T::LONG).not_null(),
        ColumnDef::new("Name", T::TEXT).not_null(),
        ColumnDef::new("Born", T::DATE_TIME),
        ColumnDef::new("Active", T::BIT),
        ColumnDef::new("Height", T::IEEE_SINGLE),
        ColumnDef::new("Email", T::TEXT),
        ColumnDef::new("Nickname", T::TEXT).tagged(),
        ColumnDef::new("Notes", T::LONG_TEXT),
        ColumnDef::new("Photo", T::LONG_BINARY),
    ];
    let rows = (1..=size.people)
        .map(|id| {
            let first = rng.word();
            let last = rng.word();
            let notes: String = format!("{first} {last}: ").chars().cycle().take(size.notes_len).collect();
            let photo_len =
                if id % 7 == 0 { 1500 + rng.below(3000) as usize } else { 16 + rng.below(48) as usize };
            // A PNG signature, then bytes that never look like the header of
            // a compressed chunk (first byte 0x08-0x3f): libesedb guesses
            // compression from the first byte of every long-value chunk.
            let mut photo = b"\x89PNG\r\n\x1a\n".to_vec();
            photo.extend((0..photo_len).map(|i| 0x80 | (i as u64 * 31 + u64::from(id)) as u8));
            vec![
                Value::Long(id as i32),
                Value::Text(format!("{first} {last}")),
                Value::DateTime(25_000.0 + rng.below(20_000) as f64 + 0.25),
                if id % 5 == 0 { Value::Null } else { Value::Bit(id % 2 == 0) },
                Value::Single(1.5 + (rng.below(60) as f32) / 100.0),
                if id % 3 == 0 { Value::Null } else { Value::Text(format!("{first}.{id}@example.org")) },
                if id % 4 == 0 { Value::Text(format!("{last}{id}")) } else { Value::Null },
                if id % 6 == 0 { Value::Null } else { Value::Text(notes) },
                Value::Binary(photo),
            ]
        })
        .collect();
    TableDef {
        name: "people".into(),
        columns,
        primary: IndexDef::new("PrimaryKey", &["Id"], true),
        indexes: vec![
            IndexDef::new("ByName", &["Name"], false),
            IndexDef {
                name: "ByBornDesc".into(),
                segments: vec![("Born".into(), true), ("Id".into(), false)],
                unique: true,
            },
        ],
        rows,
    }
}

/// `readings`: the remaining fixed-size types, a Binary column and a
/// UTF-16 text column; keyed by a 64-bit id. UnsignedLongLong (type 18) is
/// left out: libesedb (pyesedb 20260704) refuses tables that have one.
fn readings(size: SampleSize, rng: &mut SplitMix) -> TableDef {
    use ColumnType as T;
    let columns = vec![
        ColumnDef::new("Id", T::LONG_LONG).not_null(),
        ColumnDef::new("Sensor", T::UNSIGNED_SHORT).not_null(),
        ColumnDef::new("Level", T::UNSIGNED_BYTE),
        ColumnDef::new("Delta", T::SHORT),
        ColumnDef::new("Value", T::IEEE_DOUBLE),
        ColumnDef::new("Counter", T::UNSIGNED_LONG),
        ColumnDef::new("Price", T::CURRENCY),
        ColumnDef::new("Device", T::GUID),
        ColumnDef::new("Raw", T::BINARY),
        ColumnDef::new("Label", T::TEXT).code_page(1200),
    ];
    let rows = (0..size.readings)
        .map(|i| {
            let mut guid = [0u8; 16];
            guid.iter_mut().for_each(|b| *b = rng.below(256) as u8);
            vec![
                Value::LongLong(1_000_000_000_000 + i64::from(i) * 17),
                Value::UnsignedShort(rng.below(8) as u16),
                Value::UnsignedByte(rng.below(256) as u8),
                Value::Short(rng.below(2000) as i16 - 1000),
                Value::Double((rng.below(100_000) as f64) / 64.0 - 500.0),
                Value::UnsignedLong(rng.next_u64() as u32),
                Value::Currency(rng.below(10_000_000) as i64 - 5_000_000),
                if i % 9 == 0 { Value::Null } else { Value::Guid(guid) },
                Value::Binary((0..rng.below(24)).map(|_| rng.below(256) as u8).collect()),
                Value::Text(format!("Kanal {} – {}", i % 8, rng.word())),
            ]
        })
        .collect();
    TableDef {
        name: "readings".into(),
        columns,
        primary: IndexDef::new("PrimaryKey", &["Id"], true),
        indexes: vec![IndexDef {
            name: "BySensorValue".into(),
            segments: vec![("Sensor".into(), false), ("Value".into(), true)],
            unique: false,
        }],
        rows,
    }
}

/// `tags`: a tiny table keyed by text, with tagged fixed-size columns.
fn tags(rng: &mut SplitMix) -> TableDef {
    use ColumnType as T;
    let columns = vec![
        ColumnDef::new("Tag", T::TEXT).not_null(),
        ColumnDef::new("Uses", T::LONG).tagged(),
        ColumnDef::new("Weight", T::IEEE_DOUBLE).tagged(),
        ColumnDef::new("Hidden", T::BIT).tagged(),
    ];
    let mut names: Vec<&str> = (0..12).map(|_| rng.word()).collect();
    names.sort_unstable();
    names.dedup();
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            vec![
                Value::Text((*name).to_string()),
                Value::Long(rng.below(500) as i32),
                if i % 3 == 0 { Value::Null } else { Value::Double(i as f64 * 0.5) },
                Value::Bit(i % 4 == 0),
            ]
        })
        .collect();
    TableDef {
        name: "tags".into(),
        columns,
        primary: IndexDef::new("PrimaryKey", &["Tag"], true),
        indexes: vec![],
        rows,
    }
}

/// `files`: keyed by long paths in one deep folder. Neighbouring keys
/// share all but their last characters, so separators are long, few fit
/// in a page, and the tree gets a level of internal pages below the root.
fn files(size: SampleSize, rng: &mut SplitMix) -> TableDef {
    use ColumnType as T;
    const FOLDER: &str = "C:\\ProgramData\\Microsoft\\Windows\\WER\\ReportArchive\\\
        AppCrash_esescope.exe_5ee5c09e10c51a7e0a1b2c3d4e5f6071_cab_8293a4b5\\teaching\\sample-dbs\\\
        clean-8k\\the-folder-names-are-long-so-that-the-separator-keys-are-long-too\\files\\";
    let columns = vec![
        ColumnDef::new("Path", T::TEXT).not_null(),
        ColumnDef::new("Size", T::LONG_LONG),
        ColumnDef::new("Modified", T::DATE_TIME),
    ];
    let rows = (0..size.files)
        .map(|i| {
            vec![
                Value::Text(format!("{FOLDER}{i:05}-{}.log", rng.word())),
                Value::LongLong(rng.below(1 << 30) as i64),
                Value::DateTime(45_000.0 + f64::from(i) / 64.0),
            ]
        })
        .collect();
    TableDef {
        name: "files".into(),
        columns,
        primary: IndexDef::new("PrimaryKey", &["Path"], true),
        indexes: vec![],
        rows,
    }
}

/// The teaching database of the given size.
///
/// # Errors
/// Only if the definition above were wrong; the writer checks everything.
pub fn teaching_database(size: SampleSize) -> Result<WrittenDatabase, WriteError> {
    write_database(&DatabaseSpec {
        header: sample_header(size.page_size),
        tables: sample_tables(size),
        min_pages: size.min_pages,
    })
}

/// `clean-8k`: 8 KiB pages, a 1 MiB file.
pub const CLEAN_8K: SampleSize = SampleSize {
    page_size: PageSize::K8,
    people: 300,
    readings: 400,
    notes_len: 120,
    files: 800,
    min_pages: 126,
};
/// `clean-32k`: 32 KiB pages; long notes so the `people` tree has branch pages.
pub const CLEAN_32K: SampleSize = SampleSize {
    page_size: PageSize::K32,
    people: 120,
    readings: 300,
    notes_len: 900,
    files: 60,
    min_pages: 0,
};
/// The base of the damaged samples: 4 KiB pages, small.
pub const DAMAGE_BASE: SampleSize =
    SampleSize { page_size: PageSize::K4, people: 90, readings: 60, notes_len: 40, files: 12, min_pages: 0 };
