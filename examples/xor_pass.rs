//! The raw read limit for `scripts/bench.sh`: maps a file the way esescope
//! does (`store::file::MappedFile`, read-only mmap in windows) and XORs every 64-bit
//! word, the least work a pass that looks at every byte can do. Prints the
//! XOR so the pass cannot be optimised away.
//!
//! ```text
//! cargo run --release --example xor_pass -- FILE
//! ```

use std::path::Path;
use std::process::ExitCode;

use esescope::store::file::MappedFile;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: xor_pass FILE");
        return ExitCode::from(2);
    };
    let file = match MappedFile::open(Path::new(&path), esescope::store::ReadMode::Map) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("xor_pass: {e}");
            return ExitCode::from(2);
        }
    };
    let mut acc = [0u64; 4];
    let mut tail_xor = 0u64;
    for chunk in file.chunks() {
        let bytes = match chunk {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("xor_pass: {e}");
                return ExitCode::from(2);
            }
        };
        // windows are a multiple of 8 bytes long; only the last has a tail
        let (words, tail) = bytes.as_chunks::<8>();
        for quad in words.chunks(4) {
            for (a, w) in acc.iter_mut().zip(quad) {
                *a ^= u64::from_le_bytes(*w);
            }
        }
        tail_xor = tail.iter().fold(tail_xor, |a, &b| a ^ u64::from(b));
    }
    let xor = acc.iter().fold(tail_xor, |a, b| a ^ b);
    println!("{} bytes, xor {xor:#018x}", file.len());
    ExitCode::SUCCESS
}
