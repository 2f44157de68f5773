//! The planner's dbtime of each page (spec 6.4: the dbtime rule compares
//! it with each page record's): read from the database the first time a
//! record touches the page, then the dbtime its planned redo gives it.
//! Looked up and set for every page record, so the pages a database of
//! ordinary size has are kept by page number; a page number past those
//! (the log names any page it likes) goes to a map.

/// Pages kept by page number: a database of 256 Ki pages (4 GiB of 16 KiB
/// pages) or fewer, 4 MiB of slots at most.
const DENSE_PAGES: u32 = 1 << 18;

/// The dbtimes known so far: `Some(None)` for a page with no dbtime to
/// trust (past the end of the file, or failing its checksum).
#[derive(Debug, Default)]
pub(super) struct Dbtimes {
    /// By page number below `dense_last`, grown as pages are touched:
    /// `None` = not met yet.
    dense: Vec<Option<Option<u64>>>,
    /// The pages at or past `dense_last`.
    sparse: foldhash::HashMap<u32, Option<u64>>,
    /// The first page number kept in `sparse`.
    dense_last: u32,
}

impl Dbtimes {
    /// Pages below `page_count` (the database file's, at most
    /// [`DENSE_PAGES`]) are kept by page number.
    pub(super) fn new(page_count: u32) -> Self {
        Self {
            dense: Vec::new(),
            sparse: foldhash::HashMap::default(),
            dense_last: page_count.min(DENSE_PAGES),
        }
    }

    /// The page's dbtime, when it was met.
    pub(super) fn get(&self, pgno: u32) -> Option<Option<u64>> {
        if pgno < self.dense_last {
            self.dense.get(pgno as usize).copied().flatten()
        } else {
            self.sparse.get(&pgno).copied()
        }
    }

    /// Sets the page's dbtime.
    pub(super) fn insert(&mut self, pgno: u32, dbtime: Option<u64>) {
        if pgno < self.dense_last {
            let at = pgno as usize;
            if self.dense.len() <= at {
                self.dense.resize(at + 1, None);
            }
            if let Some(slot) = self.dense.get_mut(at) {
                *slot = Some(dbtime);
            }
        } else {
            self.sparse.insert(pgno, dbtime);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_inside_and_past_the_file_keep_their_dbtime() {
        let mut d = Dbtimes::new(10);
        assert_eq!(d.get(3), None);
        d.insert(3, Some(7));
        d.insert(9, None);
        d.insert(10, Some(8));
        d.insert(u32::MAX, Some(9));
        assert_eq!(
            (d.get(3), d.get(9), d.get(10), d.get(u32::MAX)),
            (Some(Some(7)), Some(None), Some(Some(8)), Some(Some(9)))
        );
        assert_eq!(d.get(4), None);
        d.insert(3, Some(11));
        assert_eq!(d.get(3), Some(Some(11)));
        assert!(d.dense.len() <= 10 && d.sparse.len() == 2);
    }
}
