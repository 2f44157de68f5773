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
    /// The directory to write the samples into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace sample files that exist with other content (identical ones
    /// are always left as they are; without this, a different one is an
    /// error). On the command line this is the global `--force`.
    #[arg(skip)]
    pub force: bool,
    /// Output format of the list of files written.
    #[command(flatten)]
    pub output: super::output::OutputArgs,
}

/// One file or directory `sample` wrote, as every format lists it.
#[derive(Debug, serde::Serialize)]
struct Written {
    /// The file or directory.
    path: String,
    /// Its size in bytes (files) or number of files (directories).
    size: u64,
    /// "bytes" or "files".
    unit: &'static str,
    /// What it shows: the damage done, or "clean".
    shows: Vec<String>,
}

/// Writes every sample into `args.out` and lists them on `out`.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn sample(args: &SampleArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let force = args.force || crate::store::special::forced();
    let written = write_samples(&args.out, force)?;
    let logs = write_log_samples(&args.out, force)?;
    let mut list: Vec<Written> = written
        .into_iter()
        .map(|(sample, path)| Written {
            path: path.display().to_string(),
            size: sample.bytes.len() as u64,
            unit: "bytes",
            shows: if sample.damage.is_empty() {
                vec!["clean".into()]
            } else {
                sample.damage.iter().map(|d| d.describe()).collect()
            },
        })
        .collect();
    list.extend(logs.into_iter().map(|(dir, files, what)| Written {
        path: format!("{}/", dir.display()),
        size: files as u64,
        unit: "files",
        shows: vec![what.to_string()],
    }));
    let text = |w: &mut dyn Write| -> std::io::Result<()> {
        for item in &list {
            writeln!(w, "{}  {} {}", item.path, item.size, item.unit)?;
            for line in &item.shows {
                writeln!(w, "  {line}")?;
            }
        }
        Ok(())
    };
    let title = format!("Samples written to {}", args.out.display());
    super::output::emit(out, &args.output, "samples", &list, text, |w| {
        crate::report::markdown_json::render(w, &title, &list)
    })?;
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

/// One log sample directory to write: its path, its files with their
/// bytes, the file it must not have, and what it shows.
type PlannedDir = (PathBuf, Vec<(PathBuf, Vec<u8>)>, Option<PathBuf>, &'static str);

/// Writes the log samples (issue 7) into subdirectories of `dir`, built on
/// the `clean-8k.edb` written there by [`write_samples`]: each holds
/// `database.edb` in dirty shutdown, its `edb*.log` generations and
/// `edb.chk`. Files already there with the same bytes are left alone; other
/// ones are replaced only with `force`. Returns (directory, number of files,
/// what it shows).
///
/// # Errors
/// `clean-8k.edb` is not in `dir`, the scenario cannot be built on it, a
/// different file exists without `force`, or a file cannot be written.
pub fn write_log_samples(dir: &Path, force: bool) -> Result<Vec<(PathBuf, usize, &'static str)>, Error> {
    let base = crate::store::Database::open(dir.join("clean-8k.edb"))?;
    let mut planned: Vec<PlannedDir> = Vec::new();
    for &(name, kind, left_out, what) in LOG_SAMPLES {
        let scenario = build(&base, kind)
            .map_err(|reason| Error::NotDatabase { path: base.path().to_path_buf(), reason })?;
        let sub = dir.join(name);
        let mut files =
            vec![(sub.join("database.edb"), scenario.database), (sub.join("edb.chk"), scenario.checkpoint)];
        files.extend(scenario.logs.into_iter().map(|(n, b)| (sub.join(n), b)));
        files.retain(|(p, _)| left_out.is_none_or(|gone| p.file_name().is_none_or(|n| n != gone)));
        planned.push((sub.clone(), files, left_out.map(|gone| sub.join(gone)), what));
    }
    // check every file before writing any, so a refusal changes nothing
    for (_, files, gone, _) in &planned {
        if let Some(gone) = gone.as_ref().filter(|g| !force && g.exists()) {
            return Err(Error::OutputExists { path: gone.clone() });
        }
        for (path, bytes) in files {
            if !force && path.exists() && std::fs::read(path).ok().as_deref() != Some(&bytes[..]) {
                return Err(Error::OutputExists { path: path.clone() });
            }
        }
    }
    let mut written = Vec::new();
    for (sub, files, gone, what) in planned {
        std::fs::create_dir_all(&sub).map_err(|source| Error::Write { path: sub.clone(), source })?;
        for (path, bytes) in &files {
            if std::fs::read(path).ok().as_deref() != Some(&bytes[..]) {
                std::fs::write(path, bytes).map_err(|source| Error::Write { path: path.clone(), source })?;
            }
        }
        if let Some(gone) = gone.filter(|g| g.exists()) {
            std::fs::remove_file(&gone).map_err(|source| Error::Write { path: gone.clone(), source })?;
        }
        written.push((sub, files.len(), what));
    }
    Ok(written)
}

/// Writes every sample into `dir` (created if missing) and returns them
/// with their paths. A file that is already there with the same bytes is
/// left alone; one with other bytes is replaced only when `force` is set.
///
/// # Errors
/// [`Error::OutputExists`] for a different existing file without `force`;
/// the directory or a file cannot be written.
pub fn write_samples(dir: &Path, force: bool) -> Result<Vec<(Sample, PathBuf)>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    let samples = samples()?;
    let mut written = Vec::new();
    // Check every file before writing any, so a refusal changes nothing.
    for sample in &samples {
        let path = dir.join(sample.file_name);
        if !force && path.exists() && std::fs::read(&path).ok().as_deref() != Some(&sample.bytes[..]) {
            return Err(Error::OutputExists { path });
        }
    }
    for sample in samples {
        let path = dir.join(sample.file_name);
        if std::fs::read(&path).ok().as_deref() != Some(&sample.bytes[..]) {
            std::fs::write(&path, &sample.bytes)
                .map_err(|source| Error::Write { path: path.clone(), source })?;
        }
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
    bundled_sample_in(&committed, &std::env::temp_dir().join("esescope-samples"))
}

/// [`bundled_sample`] with its two places given: `committed` when it is a
/// file, else `clean-8k.edb` in `cache` (written when missing or different).
///
/// # Errors
/// The fallback file cannot be written.
pub fn bundled_sample_in(committed: &Path, cache: &Path) -> Result<PathBuf, Error> {
    if committed.is_file() {
        return Ok(committed.to_path_buf());
    }
    std::fs::create_dir_all(cache).map_err(|source| Error::Write { path: cache.to_path_buf(), source })?;
    let path = cache.join("clean-8k.edb");
    let bytes = teaching_database(CLEAN_8K)?.bytes;
    if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(&path, &bytes).map_err(|source| Error::Write { path: path.clone(), source })?;
    }
    Ok(path)
}
