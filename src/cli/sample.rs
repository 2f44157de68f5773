//! `sample`: writes the sample databases of `sample-dbs/` (esescope's own
//! writer, deterministic to the byte) into a directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::writer::damage::{samples, Sample};
use crate::writer::sample::{teaching_database, CLEAN_8K};
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
