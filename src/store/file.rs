//! Opening a file read-only and mapping it into memory in windows: the
//! crate's only `unsafe`.
//!
//! The file is mapped a window at a time, when a page in the window is
//! first asked for, so a file larger than the address space a process may
//! use still opens. A file that another process truncates while it is
//! mapped would make every read of a mapped page past the new end raise
//! SIGBUS; [`guard`] turns that fault into a page of zeros and a note, and
//! [`shrunk_files`] tells the command that the file shrank, so it stops with
//! a finding instead of dying.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use memmap2::{Mmap, MmapOptions};

use super::special::{file_kind, forced};
use crate::Error;

/// How to read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// Map it a window at a time (the default): opens at once whatever the
    /// size, memory use independent of it.
    #[default]
    Map,
    /// Read it into memory: needs as much memory as the file is large.
    Load,
}

/// The smallest window mapped at once.
const MIN_WINDOW: u64 = 64 << 20;
/// The most windows one file is cut into (larger files get larger windows).
const MAX_WINDOWS: u64 = 256;
/// Each window maps this many bytes past its end (the largest page size),
/// so that any range up to this long lies within one window.
pub const OVERLAP: usize = 32 << 10;

#[derive(Debug)]
enum Bytes {
    Empty,
    Mapped { windows: Vec<OnceLock<Result<Window, String>>>, window: u64 },
    Loaded(Vec<u8>),
}

#[derive(Debug)]
struct Window {
    // Dropped first: the range leaves the SIGBUS table before it is unmapped.
    _slot: guard::Slot,
    map: Mmap,
}

/// A read-only view of a whole file, handed out in ranges.
#[derive(Debug)]
pub struct MappedFile {
    path: PathBuf,
    /// `None` for bytes made in memory.
    file: Option<File>,
    len: u64,
    bytes: Bytes,
}

impl MappedFile {
    /// Opens `path` read-only. An empty file gets an empty view (mapping zero
    /// bytes is not allowed on every platform). With [`ReadMode::Load`] the
    /// whole file is read now, and a file that came up short is refused.
    ///
    /// # Errors
    /// [`Error::IsDirectory`] for a directory, [`Error::NotRegular`] for a
    /// FIFO, device or socket (unless `force`), [`Error::Shrank`] when the
    /// file got shorter while it was read, [`Error::Open`] when it cannot be
    /// opened or read.
    pub fn open(path: &Path, mode: ReadMode) -> Result<Self, Error> {
        Self::open_checked(path, mode, forced())
    }

    /// As [`MappedFile::open`]; `force` reads a FIFO, device or socket too
    /// (read into memory, whatever `mode` says).
    ///
    /// # Errors
    /// As [`MappedFile::open`].
    pub fn open_checked(path: &Path, mode: ReadMode, force: bool) -> Result<Self, Error> {
        let open_error = |source: io::Error| Error::Open { path: path.to_path_buf(), source };
        let metadata = std::fs::metadata(path).map_err(open_error)?;
        if metadata.is_dir() {
            return Err(Error::IsDirectory { path: path.to_path_buf() });
        }
        let regular = metadata.is_file();
        if !regular && !force {
            return Err(Error::NotRegular { path: path.to_path_buf(), kind: file_kind(&metadata) });
        }
        let mut file = File::open(path).map_err(open_error)?;
        let len = file.metadata().map_err(open_error)?.len();
        if regular && len < metadata.len() {
            return Err(Error::Shrank { path: path.to_path_buf(), from: metadata.len(), to: len });
        }
        let bytes = match (len, mode) {
            (0, _) if regular => Bytes::Empty,
            (_, ReadMode::Map) if regular => {
                let window = (len.div_ceil(MAX_WINDOWS).div_ceil(MIN_WINDOW) * MIN_WINDOW).max(MIN_WINDOW);
                let count = usize::try_from(len.div_ceil(window)).unwrap_or(usize::MAX);
                Bytes::Mapped { windows: (0..count).map(|_| OnceLock::new()).collect(), window }
            }
            _ => {
                let mut bytes = Vec::new();
                io::Read::read_to_end(&mut file, &mut bytes).map_err(open_error)?;
                Bytes::Loaded(bytes)
            }
        };
        let len = match &bytes {
            Bytes::Loaded(read) if regular => {
                let now = file.metadata().map_err(open_error)?.len();
                if (read.len() as u64) < len || now < len {
                    let to = now.min(read.len() as u64);
                    return Err(Error::Shrank { path: path.to_path_buf(), from: len, to });
                }
                read.len() as u64
            }
            Bytes::Loaded(read) => read.len() as u64,
            _ => len,
        };
        if regular {
            watch(path, &file, len);
        }
        Ok(Self { path: path.to_path_buf(), file: Some(file), len, bytes })
    }

    /// A view of bytes made in memory (no file behind them), named `label`
    /// in messages.
    pub fn from_bytes(label: &Path, bytes: Vec<u8>) -> Self {
        let len = bytes.len() as u64;
        let bytes = if bytes.is_empty() { Bytes::Empty } else { Bytes::Loaded(bytes) };
        Self { path: label.to_path_buf(), file: None, len, bytes }
    }

    /// The file's size when it was opened (what esescope reads).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `len` bytes from `offset`, cut short at the end of the file; `None`
    /// when `offset` is past the end. A range longer than [`OVERLAP`] may be
    /// cut short at the end of a window too (with [`ReadMode::Map`]).
    ///
    /// # Errors
    /// [`Error::Open`] when the window holding `offset` cannot be mapped,
    /// [`Error::Shrank`] once a read of this file past its new end has
    /// faulted (what it reads can no longer be believed).
    pub fn range(&self, offset: u64, len: usize) -> Result<Option<&[u8]>, Error> {
        if faulted() {
            if let Some(to) = self.shrank() {
                return Err(Error::Shrank { path: self.path.clone(), from: self.len, to });
            }
        }
        if offset >= self.len {
            return Ok(None);
        }
        let end = offset.saturating_add(len as u64).min(self.len);
        match &self.bytes {
            Bytes::Empty => Ok(None),
            Bytes::Loaded(bytes) => Ok(bytes.get(to_usize(offset)..to_usize(end))),
            Bytes::Mapped { windows, window } => {
                let index = offset / window;
                let start = index * window;
                let map = self.window(windows, *window, index)?;
                let end = end.min(start + map.len() as u64);
                Ok(map.get(to_usize(offset - start)..to_usize(end - start)))
            }
        }
    }

    fn window<'a>(
        &'a self,
        windows: &'a [OnceLock<Result<Window, String>>],
        size: u64,
        index: u64,
    ) -> Result<&'a [u8], Error> {
        let slot =
            windows.get(to_usize(index)).ok_or_else(|| self.map_error("window out of range".into()))?;
        let start = index * size;
        let len = (size + OVERLAP as u64).min(self.len - start);
        let window = slot.get_or_init(|| {
            let file = self.file.as_ref().ok_or("no file behind these bytes")?;
            let map = map_read_only(file, start, to_usize(len)).map_err(|e| e.to_string())?;
            let slot = guard::Slot::register(map.as_ptr() as usize, map.len()).map_err(str::to_string)?;
            Ok(Window { _slot: slot, map })
        });
        match window {
            Ok(window) => Ok(&window.map),
            Err(reason) => Err(self.map_error(format!("bytes {start}..{}: {reason}", start + len))),
        }
    }

    fn map_error(&self, reason: String) -> Error {
        Error::Open { path: self.path.clone(), source: io::Error::other(format!("cannot map {reason}")) }
    }

    /// The whole file in consecutive pieces (each window without its overlap).
    pub fn chunks(&self) -> impl Iterator<Item = Result<&[u8], Error>> + '_ {
        let step = match &self.bytes {
            Bytes::Mapped { window, .. } => *window,
            _ => self.len.max(1),
        };
        (0..self.len.div_ceil(step)).map(move |i| {
            let start = i * step;
            let len = step.min(self.len - start);
            match &self.bytes {
                Bytes::Mapped { windows, window } => {
                    self.window(windows, *window, i).map(|w| w.get(..to_usize(len)).unwrap_or_default())
                }
                _ => self.range(start, to_usize(len)).map(Option::unwrap_or_default),
            }
        })
    }

    /// The window size (the whole file when it is not mapped): a search
    /// looks at windows of this size plus [`OVERLAP`].
    pub fn window_len(&self) -> u64 {
        match &self.bytes {
            Bytes::Mapped { window, .. } => *window,
            _ => self.len.max(1),
        }
    }

    /// The file's size on disk now, when it is smaller than when it was
    /// opened.
    pub fn shrank(&self) -> Option<u64> {
        let now = self.file.as_ref()?.metadata().map(|m| m.len()).ok()?;
        (now < self.len).then_some(now)
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Files opened in this process with their size when opened, to tell at the
/// end whether any shrank while it was read.
static WATCHED: Mutex<Vec<(PathBuf, u64, File)>> = Mutex::new(Vec::new());

fn watch(path: &Path, file: &File, len: u64) {
    let Ok(dup) = file.try_clone() else { return };
    if let Ok(mut watched) = WATCHED.lock() {
        if watched.len() < 4096 {
            watched.push((path.to_path_buf(), len, dup));
        }
    }
}

/// Every file opened in this process that is now shorter than when it was
/// opened: path, size then, size now. A command whose input shrank read
/// (part of) it as zeros and must not be believed.
pub fn shrunk_files() -> Vec<(PathBuf, u64, u64)> {
    let Ok(watched) = WATCHED.lock() else { return Vec::new() };
    let mut shrunk: Vec<(PathBuf, u64, u64)> = Vec::new();
    for (path, from, file) in watched.iter() {
        let Ok(now) = file.metadata().map(|m| m.len()) else { continue };
        if now < *from && !shrunk.iter().any(|(p, ..)| p == path) {
            shrunk.push((path.clone(), *from, now));
        }
    }
    shrunk
}

/// Maps `len` bytes of `file` from `offset` for reading.
#[allow(unsafe_code)] // the crate denies `unsafe` everywhere else
fn map_read_only(file: &File, offset: u64, len: usize) -> io::Result<Mmap> {
    guard::install();
    // SAFETY: the file is opened read-only and this process never writes to
    // it or through the map. Another process truncating the file while it is
    // mapped makes reads past the new end fault with SIGBUS: `guard` maps a
    // page of zeros there instead, and `shrunk_files` reports the shrink.
    unsafe { MmapOptions::new().offset(offset).len(len).map(file) }
}

/// Surviving SIGBUS: while a window is mapped its address range is in a
/// fixed table; a SIGBUS at an address in the table maps a private page of
/// zeros over the faulting page and returns, so the read goes on (and sees
/// zeros). Any other SIGBUS goes to the handler that was there before.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod guard {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Once, OnceLock};

    const SLOTS: usize = 4096;
    /// Start and end address of each mapped window; 0 = free.
    static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static ENDS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    /// How many faults were answered with zeros.
    pub static FAULTS: AtomicUsize = AtomicUsize::new(0);

    static INSTALL: Once = Once::new();
    /// The handler before ours, for faults that are not ours.
    static PREVIOUS: OnceLock<Previous> = OnceLock::new();
    struct Previous(libc::sigaction);

    /// A window's entry in the table, removed when dropped.
    #[derive(Debug)]
    pub struct Slot(usize);

    impl Slot {
        pub fn register(start: usize, len: usize) -> Result<Self, &'static str> {
            for (i, slot) in STARTS.iter().enumerate() {
                if slot.compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    ENDS[i].store(start + len, Ordering::Release);
                    return Ok(Self(i));
                }
            }
            Err("too many windows mapped at once")
        }
    }

    impl Drop for Slot {
        fn drop(&mut self) {
            ENDS[self.0].store(0, Ordering::Release);
            STARTS[self.0].store(0, Ordering::Release);
        }
    }

    pub fn install() {
        INSTALL.call_once(|| {
            // SAFETY: a zeroed sigaction is a valid value; the handler only
            // calls async-signal-safe system calls (mmap, sigaction, sysconf).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = handler;
                action.sa_sigaction = handler as libc::sighandler_t;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) == 0 {
                    let _ = PREVIOUS.set(Previous(previous));
                    libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
                }
            }
        });
    }

    extern "C" fn handler(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let address = unsafe { (*info).si_addr() } as usize;
        let window_end = STARTS.iter().zip(ENDS.iter()).find_map(|(s, e)| {
            let (start, end) = (s.load(Ordering::Acquire), e.load(Ordering::Acquire));
            (start != 0 && address >= start && address < end).then_some(end)
        });
        if let Some(end) = window_end {
            // SAFETY: sysconf and mmap are system calls; MAP_FIXED replaces
            // our own read-only file mapping from the faulting page to the end
            // of its window (all past the file's new end) with private zeros.
            unsafe {
                let page = usize::try_from(libc::sysconf(libc::_SC_PAGESIZE)).unwrap_or(4096).max(1);
                let at = address & !(page - 1);
                let zeros = libc::mmap(
                    at as *mut libc::c_void,
                    end - at,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                );
                if zeros != libc::MAP_FAILED {
                    FAULTS.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        // Not ours (or the page could not be replaced): put the previous
        // handler back; returning re-runs the faulting instruction under it.
        // SAFETY: PREVIOUS is set before this handler is installed.
        unsafe {
            match PREVIOUS.get() {
                Some(Previous(previous)) => libc::sigaction(signal, previous, std::ptr::null_mut()),
                None => libc::signal(signal, libc::SIG_DFL) as libc::c_int,
            };
        }
    }
}

/// Without SIGBUS there is nothing to guard against.
#[cfg(not(target_os = "linux"))]
mod guard {
    #[derive(Debug)]
    pub struct Slot;
    impl Slot {
        pub fn register(_start: usize, _len: usize) -> Result<Self, &'static str> {
            Ok(Self)
        }
    }
    pub fn install() {}
}

/// Where the file is mapped, for tests: true when a SIGBUS from a shrunk
/// file was turned into zeros in this process.
pub fn faulted() -> bool {
    #[cfg(target_os = "linux")]
    {
        guard::FAULTS.load(std::sync::atomic::Ordering::Relaxed) > 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn ranges_cross_no_window_and_load_agrees_with_map() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        tmp.write_all(&data).unwrap();
        tmp.flush().unwrap();
        for mode in [ReadMode::Map, ReadMode::Load] {
            let file = MappedFile::open(tmp.path(), mode).unwrap();
            assert_eq!(file.len(), data.len() as u64);
            assert_eq!(file.range(8192, 8192).unwrap().unwrap(), &data[8192..16384]);
            assert_eq!(file.range(199_990, 100).unwrap().unwrap(), &data[199_990..]);
            assert!(file.range(200_000, 1).unwrap().is_none());
            let joined: Vec<u8> = file.chunks().map(|c| c.unwrap().to_vec()).collect::<Vec<_>>().concat();
            assert_eq!(joined, data);
        }
    }

    #[test]
    fn shrinking_under_the_map_reads_zeros_and_is_reported() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(&vec![0xa5u8; 1 << 20]).unwrap();
        tmp.flush().unwrap();
        let file = MappedFile::open(tmp.path(), ReadMode::Map).unwrap();
        assert_eq!(file.range(0, 16).unwrap().unwrap(), &[0xa5; 16]);
        tmp.as_file().set_len(4096).unwrap();
        // Past the new end: a page of zeros instead of SIGBUS.
        let tail = file.range(512 << 10, 4096).unwrap().unwrap();
        assert!(tail.iter().all(|&b| b == 0));
        assert!(faulted());
        assert_eq!(file.shrank(), Some(4096));
        assert!(shrunk_files()
            .iter()
            .any(|(p, from, to)| p == tmp.path() && *from == 1 << 20 && *to == 4096));
    }
}
