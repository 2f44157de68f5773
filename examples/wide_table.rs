//! A database with a wide table and a narrow one, for `scripts/bench.sh`'s
//! export comparison and the time per cell of record decoding: written by
//! esescope's own writer (`writer::wide::wide_table`), 32 KiB pages.
//!
//! - `wide`: ROWS rows, a Long key and COLUMNS tagged columns (Long, Text,
//!   Binary in turn), SET of them holding a value in each row;
//! - `narrow`: the same kinds of values, 12 tagged columns all set, 25 ×
//!   ROWS rows (the same number of values as a wide table with SET = 300).
//!
//! ```text
//! cargo run --release --example wide_table -- OUT [ROWS [COLUMNS [SET]]]
//! ```
//! (defaults: 1000 rows, 10000 columns, 300 set)

use std::process::ExitCode;
use std::time::Instant;

use esescope::format::PageSize;
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::sample::sample_header;
use esescope::writer::wide::wide_table;

fn run(out: &str, rows: u32, columns: u32, set: u32) -> Result<(), String> {
    let start = Instant::now();
    let tables =
        vec![wide_table("wide", columns, set, rows), wide_table("narrow", 12, 12, rows.saturating_mul(25))];
    let spec = DatabaseSpec { header: sample_header(PageSize::K32), tables, min_pages: 0 };
    let written = write_database(&spec).map_err(|e| e.to_string())?;
    drop(spec);
    std::fs::write(out, &written.bytes).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "wide_table: {out}: {rows} rows of {columns} tagged columns ({set} set), {} bytes in {:.1} s",
        written.bytes.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u32| args.get(i).map_or(Some(default), |a| a.parse::<u32>().ok());
    let (Some(out), Some(rows), Some(columns), Some(set)) =
        (args.first(), number(1, 1000), number(2, 10_000), number(3, 300))
    else {
        eprintln!("usage: wide_table OUT [ROWS [COLUMNS [SET]]]");
        return ExitCode::from(2);
    };
    if columns == 0 || columns > 65_000 {
        eprintln!("wide_table: COLUMNS must be 1..=65000");
        return ExitCode::from(2);
    }
    match run(out, rows, columns, set) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wide_table: {e}");
            ExitCode::from(2)
        }
    }
}
