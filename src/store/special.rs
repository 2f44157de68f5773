//! Files that are not what they seem: a FIFO, device or socket given where
//! a database, log or checkpoint is expected (reading one may block or never
//! end), refused unless `--force`; and the bounded read of the small files
//! (logs, checkpoints), which never reads more than the format allows.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Error;

/// Whether `--force` was given: FIFOs, devices and sockets are read too.
static FORCED: AtomicBool = AtomicBool::new(false);

/// Sets the process-wide `--force` (the binary does, from its flag).
pub fn set_forced(force: bool) {
    FORCED.store(force, Ordering::Relaxed);
}

/// True when `--force` was given.
pub fn forced() -> bool {
    FORCED.load(Ordering::Relaxed)
}

/// Reads a whole small file (a log, a checkpoint) of at most `limit` bytes,
/// `what` naming what it should be. A FIFO, device or socket is refused
/// unless [`forced`]; a file longer than `limit` is refused without reading
/// more than `limit` + 1 bytes of it.
///
/// # Errors
/// [`Error::IsDirectory`], [`Error::NotRegular`], [`Error::Open`] when it
/// cannot be read, [`Error::NotDatabase`] when it is too long.
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let open_error = |source: io::Error| Error::Open { path: path.to_path_buf(), source };
    let metadata = regular(path)?;
    let too_long = |len: String| Error::NotDatabase {
        path: path.to_path_buf(),
        reason: format!("{len} bytes is longer than {what} can be ({limit} bytes)"),
    };
    if metadata.is_file() && metadata.len() > limit {
        return Err(too_long(metadata.len().to_string()));
    }
    let file = File::open(path).map_err(open_error)?;
    // sized once from the metadata (read_to_end through `take` would grow it step by step)
    let expected = usize::try_from(metadata.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    io::Read::read_to_end(&mut io::Read::take(file, limit + 1), &mut bytes).map_err(open_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_long(format!("more than {limit}")));
    }
    Ok(bytes)
}

/// The metadata of `path`, refused as [`read_bounded`] refuses a directory,
/// FIFO, device or socket.
fn regular(path: &Path) -> Result<Metadata, Error> {
    let metadata =
        std::fs::metadata(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    if metadata.is_dir() {
        return Err(Error::IsDirectory { path: path.to_path_buf() });
    }
    if !metadata.is_file() && !forced() {
        return Err(Error::NotRegular { path: path.to_path_buf(), kind: file_kind(&metadata) });
    }
    Ok(metadata)
}

/// The first `len` bytes of a file (fewer when it is shorter), refused as
/// [`read_bounded`] refuses a directory, FIFO, device or socket.
///
/// # Errors
/// [`Error::IsDirectory`], [`Error::NotRegular`], [`Error::Open`] when it cannot be read.
pub fn read_prefix(path: &Path, len: usize) -> Result<Vec<u8>, Error> {
    let open_error = |source: io::Error| Error::Open { path: path.to_path_buf(), source };
    regular(path)?;
    let file = File::open(path).map_err(open_error)?;
    let mut bytes = Vec::with_capacity(len);
    io::Read::read_to_end(&mut io::Read::take(file, len as u64), &mut bytes).map_err(open_error)?;
    Ok(bytes)
}

/// What kind of file that is not regular `metadata` describes, in words.
pub fn file_kind(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}
