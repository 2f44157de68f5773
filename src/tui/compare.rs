//! `esescope FILE --compare OTHER`: the inspector with a second copy of the
//! same database beside the first. The page map gets a difference colouring
//! and the page view shows OTHER's copy of each page beside it.

use std::sync::Arc;

use super::app::App;
use super::views::page::PageState;
use crate::store::Database;

impl App {
    /// Compares the open file with `other` (`--compare`): the page map gets
    /// a difference colouring and the page view shows `other`'s page beside
    /// each page. Returns a one-line summary for the status line.
    ///
    /// # Errors
    /// The files have different page sizes or database signatures (and
    /// `force` is false).
    pub fn set_compare(&mut self, other: Arc<Database>, force: bool) -> Result<String, crate::Error> {
        use super::views::pagemap::{diff_class, MapMode};
        use crate::scan::compare::{compare, PageChange};
        let report = compare(&self.db, &other, force, |_| std::ops::ControlFlow::Continue(()))?;
        let mut classes = vec![diff_class::IDENTICAL; self.db.page_count() as usize];
        for d in &report.pages {
            let class = match d.change {
                PageChange::Changed => diff_class::CHANGED,
                PageChange::ChecksumOnly => diff_class::CHECKSUM_ONLY,
                PageChange::Moved { .. } => diff_class::MOVED,
                PageChange::OnlyInA => diff_class::ONLY_HERE,
                PageChange::OnlyInB => diff_class::ONLY_THERE,
            };
            if let Some(slot) = (d.pgno.0 as usize).checked_sub(1).and_then(|i| classes.get_mut(i)) {
                *slot = class;
            }
        }
        self.map.diff = Some(classes.into());
        self.map.mode = MapMode::Difference;
        self.compare = Some(other);
        if let Some(mut page) = self.page.take() {
            self.attach_other(&mut page);
            self.page = Some(page);
        }
        let c = report.counts;
        Ok(format!(
            "compared: {} changed, {} moved, {} checksum only, {} only here, {} only there (2, m colours the map)",
            c.changed, c.moved, c.checksum_only, c.only_in_a, c.only_in_b
        ))
    }

    /// Gives the page view the compared file's copy of its page.
    pub(super) fn attach_other(&self, page: &mut PageState) {
        page.other = self.compare.as_ref().and_then(|o| o.page_bytes(page.pgno()).ok().map(<[u8]>::to_vec));
    }
}
