//! `sample`: writes the sample databases of `sample-dbs/` (esescope's own
//! writer, deterministic to the byte) into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::writer::damage::{samples, Sample};
use crate::writer::sample::{teaching_database, CLEAN_8K};
use crate::writer::scenario::{build, Kind};
use crate::Error;

/// `sample` arguments.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The directory to write the samples into (created if missing;
    /// existing sample files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Writes every sample into `args.out` and lists them on `out`.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn sample(args: &SampleArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let written = write_samples(&args.out)?;
    let logs = write_log_samples(&args.out)?;
    for (sample, path) in written {
        let what = if sample.damage.is_empty() {
            "clean".to_string()
        } else {
            format!("{} damaged page(s) or header(s)", sample.damage.len())
        };
        writeln!(out, "{}  {} bytes  {what}", path.display(), sample.bytes.len())?;
    }
    for (dir, files, what) in logs {
        writeln!(out, "{}/  {files} files  {what}", dir.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The log samples: (directory name, scenario, log file left out, what it shows).
const LOG_SAMPLES: &[(&str, Kind, Option<&str>, &str)] = &[
    (
        "dirty-with-logs",
        Kind::DirtyWithLogs,
        None,
        "dirty shutdown, three generations and a checkpoint: needs replay",
    ),
    (
        "missing-log",
        Kind::DirtyWithLogs,
        Some("edb00002.log"),
        "generation 2 missing: recovery refuses, naming it",
    ),
    (
        "checkpoint-exhaustion",
        Kind::CheckpointExhaustion(12),
        None,
        "an open transaction holds the checkpoint at generation 1 while the log head is at generation 15",
    ),
];

/// Writes the log samples (issue 7) into subdirectories of `dir`, built on
/// the `clean-8k.edb` written there by [`write_samples`]: each holds
/// `database.edb` in dirty shutdown, its `edb*.log` generations and `edb.chk`.
/// Returns (directory, number of files, what it shows).
///
/// # Errors
/// `clean-8k.edb` is not in `dir`, the scenario cannot be built on it, or a file cannot be written.
pub fn write_log_samples(dir: &Path) -> Result<Vec<(PathBuf, usize, &'static str)>, Error> {
    let base = crate::store::Database::open(dir.join("clean-8k.edb"))?;
    let mut written = Vec::new();
    for &(name, kind, left_out, what) in LOG_SAMPLES {
        let scenario = build(&base, kind)
            .map_err(|reason| Error::NotDatabase { path: base.path().to_path_buf(), reason })?;
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).map_err(|source| Error::Write { path: sub.clone(), source })?;
        let mut files: Vec<(String, &[u8])> =
            vec![("database.edb".into(), &scenario.database), ("edb.chk".into(), &scenario.checkpoint)];
        files.extend(scenario.logs.iter().map(|(n, b)| (n.clone(), b.as_slice())));
        files.retain(|(n, _)| Some(n.as_str()) != left_out);
        for (file, bytes) in &files {
            let path = sub.join(file);
            std::fs::write(&path, bytes).map_err(|source| Error::Write { path: path.clone(), source })?;
        }
        if let Some(gone) = left_out {
            let path = sub.join(gone);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
            }
        }
        written.push((sub, files.len(), what));
    }
    Ok(written)
}

/// Writes every sample into `dir` (created if missing) and returns them
/// with their paths.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn write_samples(dir: &Path) -> Result<Vec<(Sample, PathBuf)>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for sample in samples()? {
        let path = dir.join(sample.file_name);
        std::fs::write(&path, &sample.bytes).map_err(|source| Error::Write { path: path.clone(), source })?;
        written.push((sample, path));
    }
    Ok(written)
}

/// The database `esescope` opens when no file is given: the committed
/// `sample-dbs/clean-8k.edb` of the source tree it was built from, or, when
/// that is gone (an installed binary), the same bytes written afresh into
/// `esescope-samples` in the temporary directory.
///
/// # Errors
/// The fallback file cannot be written.
pub fn bundled_sample() -> Result<PathBuf, Error> {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join("clean-8k.edb");
    if committed.is_file() {
        return Ok(committed);
    }
    let dir = std::env::temp_dir().join("esescope-samples");
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
    let path = dir.join("clean-8k.edb");
    let bytes = teaching_database(CLEAN_8K)?.bytes;
    if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(&path, &bytes).map_err(|source| Error::Write { path: path.clone(), source })?;
    }
    Ok(path)
}
