//! A database with one large table, for `scripts/bench.sh`'s export
//! comparison: written by esescope's own writer (`writer::write_database`,
//! the same code as `esescope sample`), so every page, B+-tree and catalog
//! row is real and every reader can walk the table. Tiling a sample copies
//! pages but links no trees, so it cannot make a large table.
//!
//! The table `events` has ROWS rows (ids 1..=ROWS) of seven columns — fixed
//! (Long, DateTime, UnsignedShort, IEEEDouble), variable (Text, Binary) and
//! a tagged Text set on every third row — about 110 bytes of record each,
//! on 8 KiB pages. Values come from a fixed-seed generator: the same ROWS
//! always gives the same file.
//!
//! ```text
//! cargo run --release --example big_table -- OUT ROWS
//! ```

use std::process::ExitCode;
use std::time::Instant;

use esescope::format::PageSize;
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::sample::{sample_header, SplitMix};
use esescope::writer::schema::{ColumnDef, ColumnType as T, IndexDef, TableDef, Value};

fn table(rows: u32) -> TableDef {
    let mut rng = SplitMix::new(0xB16_7AB1E);
    let columns = vec![
        ColumnDef::new("Id", T::LONG).not_null(),
        ColumnDef::new("At", T::DATE_TIME),
        ColumnDef::new("Kind", T::UNSIGNED_SHORT),
        ColumnDef::new("Score", T::IEEE_DOUBLE),
        ColumnDef::new("Name", T::TEXT),
        ColumnDef::new("Payload", T::BINARY),
        ColumnDef::new("Note", T::TEXT).tagged(),
    ];
    let rows = (1..=rows)
        .map(|id| {
            let name = format!("{} {} {}", rng.word(), rng.word(), rng.word());
            let payload: Vec<u8> = (0..24 + rng.below(24)).map(|_| rng.below(256) as u8).collect();
            vec![
                Value::Long(id as i32),
                Value::DateTime(40_000.0 + f64::from(id) / 86_400.0),
                Value::UnsignedShort(rng.below(64) as u16),
                Value::Double(rng.below(1_000_000) as f64 / 1000.0),
                Value::Text(name),
                Value::Binary(payload),
                if id % 3 == 0 { Value::Text(format!("note {id} {}", rng.word())) } else { Value::Null },
            ]
        })
        .collect();
    TableDef {
        name: "events".into(),
        columns,
        primary: IndexDef::new("PrimaryKey", &["Id"], true),
        indexes: vec![],
        rows,
    }
}

fn run(out: &str, rows: u32) -> Result<(), String> {
    let start = Instant::now();
    let spec = DatabaseSpec { header: sample_header(PageSize::K8), tables: vec![table(rows)], min_pages: 0 };
    let written = write_database(&spec).map_err(|e| e.to_string())?;
    drop(spec);
    std::fs::write(out, &written.bytes).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "big_table: {out}: {rows} rows, {} bytes in {:.1} s",
        written.bytes.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(out), Some(rows)) = (args.next(), args.next().and_then(|r| r.parse::<u32>().ok())) else {
        eprintln!("usage: big_table OUT ROWS");
        return ExitCode::from(2);
    };
    match run(&out, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("big_table: {e}");
            ExitCode::from(2)
        }
    }
}
