//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/samples/real` beside the repository.
pub fn real_samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/real")
}

/// Every file under the real samples whose first header says it is a
/// database (file type 1 at offset 667 and the 0x89abcdef magic).
pub fn real_databases() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(real_samples()) else { return found };
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else { continue };
        for file in files.flatten() {
            let path = file.path();
            let Ok(bytes) = std::fs::read(&path) else { continue };
            if bytes.len() >= 671
                && bytes[4..8] == [0xef, 0xcd, 0xab, 0x89]
                && bytes[667..671] == [1, 0, 0, 0]
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
