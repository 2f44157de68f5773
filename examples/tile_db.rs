//! Builds a large database for `scripts/bench.sh` by tiling a real sample's
//! pages: the two header pages are copied unchanged, then page n of the
//! output is a copy of one of the sample's checksum-valid, non-empty pages,
//! re-sealed for its new number n (spec 5.6, with esescope's own
//! `format::checksum`). Every page of the result verifies.
//!
//! ```text
//! cargo run --release --example tile_db -- SAMPLE OUT SIZE[K|M|G]
//! ```

#[path = "../benches/support/seal.rs"]
mod seal;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use esescope::format::verdict::page_matches;
use esescope::store::Database;

fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (i, 'K' | 'k') => (&text[..i], 1u64 << 10),
        (i, 'M' | 'm') => (&text[..i], 1 << 20),
        (i, 'G' | 'g') => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn run(sample: PathBuf, out: PathBuf, target: u64) -> Result<(), String> {
    let db = Database::open(&sample).map_err(|e| format!("{}: {e}", sample.display()))?;
    let size = db.page_size();
    let ps = size.len() as u64;
    let sources: Vec<&[u8]> = db
        .page_numbers()
        .filter_map(|pgno| db.page_bytes(pgno).ok().map(|b| (pgno, b)))
        .filter(|(pgno, b)| b.iter().any(|&x| x != 0) && page_matches(b, *pgno, size))
        .map(|(_, b)| b)
        .collect();
    if sources.is_empty() {
        return Err(format!("{}: no checksum-valid page to tile", sample.display()));
    }
    let pages = (target / ps).checked_sub(2).filter(|&n| n > 0).ok_or("size is less than three pages")?;
    let pages = u32::try_from(pages).map_err(|_| "too many pages for 32-bit page numbers")?;
    let headers = db.range(0, 2 * size.len()).map_err(|e| e.to_string())?;
    let headers = headers.get(..2 * size.len()).ok_or("sample is shorter than its header pages")?;
    let started = Instant::now();
    let file = File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut writer = BufWriter::with_capacity(8 << 20, file);
    let write_err = |e: std::io::Error| format!("{}: {e}", out.display());
    writer.write_all(headers).map_err(write_err)?;
    let mut page = vec![0u8; size.len()];
    for n in 1..=pages {
        page.copy_from_slice(sources[(n as usize - 1) % sources.len()]);
        seal::reseal(&mut page, n, size);
        writer.write_all(&page).map_err(write_err)?;
    }
    writer.flush().map_err(write_err)?;
    eprintln!(
        "tile_db: {} = 2 header pages + {pages} pages of {} bytes tiled from {} pages of {} ({:.1} s)",
        out.display(),
        size.bytes(),
        sources.len(),
        sample.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sample, out, size] = args.as_slice() else {
        eprintln!("usage: tile_db SAMPLE OUT SIZE[K|M|G]");
        return ExitCode::from(2);
    };
    let Some(target) = parse_size(size) else {
        eprintln!("tile_db: '{size}' is not a size (e.g. 1G, 512M)");
        return ExitCode::from(2);
    };
    match run(sample.into(), out.into(), target) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tile_db: {message}");
            ExitCode::FAILURE
        }
    }
}
