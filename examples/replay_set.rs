//! A long log set whose every page record recovery must redo, for
//! `scripts/bench.sh`'s replay measurement: written by esescope's own
//! writer (`writer::replay_set`): one table in a root over its leaves,
//! generation after generation of committed transactions that insert,
//! replace and delete rows and split leaves, on 16 KiB pages. DIR receives
//! `database.edb` (the table before the first record, dirty shutdown),
//! `edb00001.log` … `edb.log`, `edb.chk`, and with `--expected` the final
//! state as the generator means it, `expected.edb`.
//!
//! ```text
//! cargo run --release --example replay_set -- DIR GENERATIONS [SEGMENTS] [--expected]
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use esescope::writer::replay_set::write_replay_set;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let expected = args.iter().any(|a| a == "--expected");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--expected").collect();
    let generations =
        args.get(1).and_then(|g| g.parse::<i32>().ok()).filter(|&g| (1..=0xF_FFFF).contains(&g));
    let segments = args.get(2).map_or(Some(256), |s| s.parse::<u16>().ok()).filter(|&s| s >= 4);
    let (Some(dir), Some(generations), Some(segments)) = (args.first(), generations, segments) else {
        eprintln!("usage: replay_set DIR GENERATIONS [SEGMENTS] [--expected]  (GENERATIONS 1..=0xFFFFF, SEGMENTS >= 4)");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    match write_replay_set(Path::new(dir.as_str()), generations, segments, expected) {
        Ok(s) => {
            eprintln!(
                "replay_set: {dir}: {} generations of {} KiB, {} records ({} page records: {} inserts, {} replaces, {} deletes, {} splits), {} rows in {} leaves at the end, in {:.1} s",
                s.generations,
                usize::from(segments) * 4,
                s.records,
                s.page_records,
                s.inserts,
                s.replaces,
                s.deletes,
                s.splits,
                s.rows,
                s.leaves,
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("replay_set: {e}");
            ExitCode::from(2)
        }
    }
}
