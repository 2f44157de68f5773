//! A database in dirty shutdown with a long log set, for `scripts/bench.sh`'s
//! memory measurement of `esescope logs` and `recover --plan`: written by
//! esescope's own writer (`writer::txlog`), so every segment checksum,
//! accumulated checksum and time link of the chain is real.
//!
//! DIR receives `database.edb` (8 KiB pages, one small table, dirty
//! shutdown needing generations 1..=GENERATIONS), `edb00001.log` …, the
//! newest generation as `edb.log`, and `edb.chk` (checkpoint at the start
//! of generation 1). Every generation is full: committed Begin0/Commit0
//! pairs fill its SEGMENTS segments of 4 KiB (256 = 1 MiB logs), so a
//! reader of the set decodes every record of every generation. Each file is
//! written as soon as it is full: the generator's memory is one generation.
//!
//! ```text
//! cargo run --release --example log_set -- DIR GENERATIONS [SEGMENTS]
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use esescope::format::{Lgpos, LogTime, PageSize};
use esescope::writer::database::{write_database, DatabaseSpec};
use esescope::writer::header::{signature, HeaderSpec};
use esescope::writer::log_record as lr;
use esescope::writer::txlog::{attached_database, checkpoint, GenerationSpec, LogBuilder, StreamSpec};
use esescope::writer::wide::wide_table;

const TIME: u64 = 1_767_225_600; // 2026-01-01 00:00:00 UTC: deterministic

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(dir: &Path, generations: i32, segments: u16) -> Result<(), String> {
    let start = Instant::now();
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let created = |generation: i32| LogTime::from_unix(TIME + generation as u64, 0);
    let sign_log = signature(0x0106_5E75, created(0));
    let sign_db = signature(0x0DB5_E7DB, created(0));
    let attach_lgpos = Lgpos { generation: 1, isec: 1, ib: 0 };
    let header =
        HeaderSpec::dirty(PageSize::K8, sign_db, sign_log, (attach_lgpos, created(1)), (1, generations));
    let spec = DatabaseSpec { header, tables: vec![wide_table("events", 8, 8, 200)], min_pages: 0 };
    let database = write_database(&spec).map_err(|e| e.to_string())?;
    write(&dir.join("database.edb"), &database.bytes)?;
    let path = "C:\\esescope\\log-set\\database.edb";
    let attached = vec![attached_database(sign_db, attach_lgpos, path)];
    write(&dir.join("edb.chk"), &checkpoint(sign_log, attach_lgpos, &attached))?;
    let stream = StreamSpec { sign_log, page_size: 8192, segments, version: (8, 4000, 90, 200) };
    let mut previous_checksum = 0;
    let mut trx = 0u32;
    let mut bytes = 0u64;
    for generation in 1..=generations {
        let mut log = LogBuilder::new(
            stream.clone(),
            GenerationSpec {
                generation,
                created: created(generation),
                previous_created: if generation == 1 { LogTime::default() } else { created(generation - 1) },
                checkpoint: attach_lgpos,
                previous_checksum,
                attached: if generation == 1 { Vec::new() } else { attached.clone() },
            },
        );
        if generation == 1 {
            log.append(&lr::init2(created(1))).map_err(|e| e.to_string())?;
            log.append(&lr::attach_db(0, 1, Lgpos::default(), sign_db, sign_log, path))
                .map_err(|e| e.to_string())?;
        }
        // committed transactions until the generation is full
        loop {
            trx += 1;
            if log.append(&lr::begin0(1, trx)).is_err() || log.append(&lr::commit0(1, trx)).is_err() {
                break;
            }
        }
        let (file, _, accumulated) = log.finish(created(generation + 1));
        previous_checksum = accumulated;
        let name = if generation == generations {
            "edb.log".to_string()
        } else {
            format!("edb{generation:05X}.log")
        };
        write(&dir.join(name), &file)?;
        bytes += file.len() as u64;
    }
    eprintln!(
        "log_set: {}: {generations} generations of {} KiB ({bytes} bytes) in {:.1} s",
        dir.display(),
        usize::from(segments) * 4,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let generations =
        args.get(1).and_then(|g| g.parse::<i32>().ok()).filter(|&g| (1..=0xF_FFFF).contains(&g));
    let segments = args.get(2).map_or(Some(256), |s| s.parse::<u16>().ok()).filter(|&s| s >= 4);
    let (Some(dir), Some(generations), Some(segments)) = (args.first(), generations, segments) else {
        eprintln!("usage: log_set DIR GENERATIONS [SEGMENTS]  (GENERATIONS 1..=0xFFFFF, SEGMENTS >= 4)");
        return ExitCode::from(2);
    };
    match run(Path::new(dir), generations, segments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("log_set: {e}");
            ExitCode::from(2)
        }
    }
}
