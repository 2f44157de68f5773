//! Opening a file read-only and mapping it into memory: the crate's only
//! `unsafe`.

use std::{fs::File, io, path::Path};

use memmap2::Mmap;

use crate::Error;

/// How to read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// Map it (the default): opens at once whatever the size, memory use
    /// independent of it; a truncation by another process while mapped can
    /// raise SIGBUS.
    #[default]
    Map,
    /// Read it into memory: immune to other processes changing the file,
    /// but needs as much memory as the file is large.
    Load,
}

#[derive(Debug)]
enum Bytes {
    Empty,
    Mapped(Mmap),
    Loaded(Vec<u8>),
}

/// A read-only view of a whole file.
#[derive(Debug)]
pub struct MappedFile {
    bytes: Bytes,
}

impl MappedFile {
    /// Opens `path` read-only and maps it. An empty file gets an empty view
    /// (mapping zero bytes is not allowed on every platform).
    ///
    /// # Errors
    /// [`Error::IsDirectory`] for a directory, [`Error::Open`] when the file
    /// cannot be opened or mapped.
    pub fn open(path: &Path, mode: ReadMode) -> Result<Self, Error> {
        let open_error = |source: io::Error| Error::Open { path: path.to_path_buf(), source };
        let metadata = std::fs::metadata(path).map_err(open_error)?;
        if metadata.is_dir() {
            return Err(Error::IsDirectory { path: path.to_path_buf() });
        }
        let mut file = File::open(path).map_err(open_error)?;
        let bytes = match (metadata.len(), mode) {
            (0, _) => Bytes::Empty,
            (_, ReadMode::Map) => Bytes::Mapped(map_read_only(&file).map_err(open_error)?),
            (_, ReadMode::Load) => {
                let mut bytes = Vec::new();
                io::Read::read_to_end(&mut file, &mut bytes).map_err(open_error)?;
                Bytes::Loaded(bytes)
            }
        };
        Ok(Self { bytes })
    }

    /// A view of bytes made in memory (no file behind them).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes: if bytes.is_empty() { Bytes::Empty } else { Bytes::Loaded(bytes) } }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Empty => &[],
            Bytes::Mapped(map) => map,
            Bytes::Loaded(bytes) => bytes,
        }
    }

    /// True when the bytes come from a map that the file's size on disk
    /// no longer covers: reading past the new end would raise SIGBUS.
    pub fn shrank(&self, path: &Path) -> Option<u64> {
        let Bytes::Mapped(map) = &self.bytes else { return None };
        let now = std::fs::metadata(path).map(|m| m.len()).ok()?;
        (now < map.len() as u64).then_some(now)
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
