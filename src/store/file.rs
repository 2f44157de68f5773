//! Opening a file read-only and mapping it into memory: the crate's only
//! `unsafe`.

use std::{fs::File, io, path::Path};

use memmap2::Mmap;

use crate::Error;

/// A read-only view of a whole file.
#[derive(Debug)]
pub struct MappedFile {
    map: Option<Mmap>,
}

impl MappedFile {
    /// Opens `path` read-only and maps it. An empty file gets an empty view
    /// (mapping zero bytes is not allowed on every platform).
    ///
    /// # Errors
    /// [`Error::IsDirectory`] for a directory, [`Error::Open`] when the file
    /// cannot be opened or mapped.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let open_error = |source: io::Error| Error::Open { path: path.to_path_buf(), source };
        let metadata = std::fs::metadata(path).map_err(open_error)?;
        if metadata.is_dir() {
            return Err(Error::IsDirectory { path: path.to_path_buf() });
        }
        let file = File::open(path).map_err(open_error)?;
        if metadata.len() == 0 {
            return Ok(Self { map: None });
        }
        Ok(Self { map: Some(map_read_only(&file).map_err(open_error)?) })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

/// Maps `file` into memory for reading.
#[allow(unsafe_code)] // the crate denies `unsafe` everywhere else
fn map_read_only(file: &File) -> io::Result<Mmap> {
    // SAFETY: the file is opened read-only and this process never writes to
    // it or through the map. Another process truncating the file while it is
    // mapped can still raise SIGBUS on access; the README says so.
    unsafe { Mmap::map(file) }
}
