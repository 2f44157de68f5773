//! `sample`: writes the sample databases of `sample-dbs/` (esescope's own
//! writer, deterministic to the byte) into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::writer::damage::{samples, Sample};
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
    for (sample, path) in written {
        let what = if sample.damage.is_empty() {
            "clean".to_string()
        } else {
            format!("{} damaged page(s) or header(s)", sample.damage.len())
        };
        writeln!(out, "{}  {} bytes  {what}", path.display(), sample.bytes.len())?;
    }
    Ok(ExitCode::SUCCESS)
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
