//! The pages redo and undo change, in bounded memory: a cache of recently
//! written pages in front of a file they are written to in place when the
//! cache is full. For `recover` that file is the temporary output (a copy of
//! the input, so the pages land where they belong); for the dry run it is
//! an anonymous scratch file that disappears with it. Pages never changed
//! are read from the database itself.

use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::format::page::Page;
use crate::format::{PageNumber, PageSize};
use crate::writer::page::PageImage;

/// A page in the cache: as built, or as redo edits it (built when written
/// out) with its [`PageImage::data_len`].
#[derive(Debug)]
enum Cached {
    Bytes(Vec<u8>),
    Image(PageImage, usize),
}

fn decode(bytes: &[u8], pgno: u32, size: PageSize) -> Result<PageImage, String> {
    let page = Page::parse(bytes, PageNumber(pgno), size).map_err(|e| e.to_string())?;
    PageImage::from_page(&page).map_err(|e| format!("page cannot be decoded for editing: {e}"))
}

/// A page written out to `file` earlier.
fn read_page(file: &File, size: PageSize, pgno: u32) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0; size.len()];
    file.read_exact_at(&mut bytes, PageNumber(pgno).file_offset(size))
        .map(|()| bytes)
        .map_err(|e| format!("reading redone page {pgno} back from the temporary file: {e}"))
}

/// Pages kept in memory before they are written out: 32 MiB worth.
const CACHE_BYTES: usize = 32 << 20;

/// The changed pages of a recovery.
#[derive(Debug)]
pub struct PageStore {
    size: PageSize,
    file: File,
    cache: foldhash::HashMap<u32, Cached>,
    cap: usize,
    /// Every page changed so far (in the cache or in the file).
    changed: BTreeSet<u32>,
    /// The first failure writing or reading the file (redo goes on in
    /// memory-less form only through the file, so the driver stops on it).
    failure: Option<String>,
}

impl PageStore {
    /// A store writing pages of `size` into `file` at their offsets.
    pub fn new(size: PageSize, file: File) -> Self {
        let cap = (CACHE_BYTES / size.len()).max(16);
        Self { size, file, cache: foldhash::HashMap::default(), cap, changed: BTreeSet::new(), failure: None }
    }

    /// A store over an anonymous temporary file (the dry run's).
    ///
    /// # Errors
    /// The temporary file cannot be made.
    pub fn scratch(size: PageSize) -> std::io::Result<Self> {
        Ok(Self::new(size, tempfile::tempfile()?))
    }

    /// True when the page was changed.
    pub fn contains(&self, pgno: u32) -> bool {
        self.changed.contains(&pgno)
    }

    /// The changed page's bytes, or `None` when it was never changed.
    pub fn get(&self, pgno: u32) -> Option<Result<Vec<u8>, String>> {
        if !self.changed.contains(&pgno) {
            return None;
        }
        match self.cache.get(&pgno) {
            Some(Cached::Bytes(bytes)) => Some(Ok(bytes.clone())),
            Some(Cached::Image(image, _)) => Some(image.build().map_err(|e| format!("page {pgno}: {e}"))),
            None => Some(self.read(pgno)),
        }
    }

    fn read(&self, pgno: u32) -> Result<Vec<u8>, String> {
        read_page(&self.file, self.size, pgno)
    }

    /// The changed page, editable (a copy), or `None` when it was never changed.
    pub fn image(&self, pgno: u32) -> Option<Result<PageImage, String>> {
        if !self.changed.contains(&pgno) {
            return None;
        }
        Some(match self.cache.get(&pgno) {
            Some(Cached::Image(image, _)) => Ok(image.clone()),
            Some(Cached::Bytes(bytes)) => decode(bytes, pgno, self.size),
            None => self.read(pgno).and_then(|b| decode(&b, pgno, self.size)),
        })
    }

    /// The page, editable in place in the cache, with its
    /// [`PageImage::data_len`] for the caller to keep up to date as it
    /// edits; `load` gives a page never changed. The page counts as changed
    /// from here on (a redo that fails stops redo: what it left half done
    /// is never written).
    ///
    /// # Errors
    /// The page cannot be read back or decoded, or `load` fails.
    pub fn image_mut(
        &mut self,
        pgno: u32,
        load: impl FnOnce() -> Result<PageImage, String>,
    ) -> Result<(&mut PageImage, &mut usize), String> {
        use std::collections::hash_map::Entry;
        // written out first, so that the page stays in the cache
        if self.cache.len() >= self.cap && !self.cache.contains_key(&pgno) {
            self.flush();
        }
        let (size, file, changed) = (self.size, &self.file, &mut self.changed);
        // one lookup: most records edit a page already in the cache as an image
        let slot = match self.cache.entry(pgno) {
            Entry::Occupied(slot) => {
                let slot = slot.into_mut();
                if let Cached::Bytes(bytes) = slot {
                    let image = decode(bytes, pgno, size)?;
                    let len = image.data_len();
                    *slot = Cached::Image(image, len);
                }
                slot
            }
            Entry::Vacant(slot) => {
                let image = if changed.contains(&pgno) {
                    read_page(file, size, pgno).and_then(|b| decode(&b, pgno, size))?
                } else {
                    load()?
                };
                changed.insert(pgno);
                let len = image.data_len();
                slot.insert(Cached::Image(image, len))
            }
        };
        match slot {
            Cached::Image(image, len) => Ok((image, len)),
            Cached::Bytes(_) => Err(format!("page {pgno} is not in the cache of redone pages")),
        }
    }

    /// Keeps `bytes` as the page's new content.
    pub fn insert(&mut self, pgno: u32, bytes: Vec<u8>) {
        self.keep(pgno, Cached::Bytes(bytes));
    }

    /// Keeps `image`, whose [`PageImage::data_len`] is `data_len`, as its
    /// page's new content (built when written out; [`PageImage::check`] it first).
    pub fn insert_image(&mut self, image: PageImage, data_len: usize) {
        self.keep(image.pgno.0, Cached::Image(image, data_len));
    }

    fn keep(&mut self, pgno: u32, page: Cached) {
        self.changed.insert(pgno);
        self.cache.insert(pgno, page);
        if self.cache.len() > self.cap {
            self.flush();
        }
    }

    /// Writes the cached pages to the file, in page order, and empties the cache.
    pub fn flush(&mut self) {
        let mut pages: Vec<(u32, Cached)> = self.cache.drain().collect();
        pages.sort_unstable_by_key(|p| p.0);
        for (pgno, page) in pages {
            let bytes = match page {
                Cached::Bytes(bytes) => bytes,
                Cached::Image(image, _) => match image.build() {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        self.failure.get_or_insert_with(|| format!("page {pgno} does not build: {e}"));
                        continue;
                    }
                },
            };
            if let Err(e) = self.file.write_all_at(&bytes, PageNumber(pgno).file_offset(self.size)) {
                self.failure.get_or_insert_with(|| format!("writing page {pgno} to the temporary file: {e}"));
            }
        }
    }

    /// The first failure of the file, if any.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Every changed page, in page order.
    pub fn changed(&self) -> impl Iterator<Item = u32> + '_ {
        self.changed.iter().copied()
    }

    /// How many pages changed.
    pub fn len(&self) -> usize {
        self.changed.len()
    }

    /// True when no page changed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// The file, with every page written (the cache flushed first).
    pub fn into_file(mut self) -> Result<File, String> {
        self.flush();
        match self.failure {
            Some(f) => Err(f),
            None => Ok(self.file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_survive_the_cache_being_written_out() {
        let size = PageSize::K4;
        let mut store = PageStore::scratch(size).expect("temp file");
        let n = store.cap as u32 + 5;
        for pgno in 1..=n {
            store.insert(pgno, vec![(pgno % 251) as u8; size.len()]);
        }
        assert!(store.cache.len() < n as usize, "the cache was written out");
        for pgno in [1, n / 2, n] {
            let bytes = store.get(pgno).expect("changed").expect("read back");
            assert!(bytes.iter().all(|&b| b == (pgno % 251) as u8));
        }
        assert!(store.get(n + 1).is_none());
        assert_eq!(store.len(), n as usize);
    }
}
