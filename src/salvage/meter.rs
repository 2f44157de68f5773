//! Salvage's progress, in pages: the input's pages as the tree walks reach
//! them, then one unit for writing the new file and one for checking it.
//! A cancel is asked between any two pages a walk reads, so it is heard
//! within a moment on a file of any size, not only between tables.

use std::ops::ControlFlow;

use crate::scan::Progress;

/// At most this many pages between two progress calls.
const EVERY: u64 = 256;

pub(super) struct Meter<'p> {
    on_progress: &'p mut dyn FnMut(Progress) -> ControlFlow<()>,
    /// Pages the finished walks reached.
    base: u64,
    /// The input's pages: the reading part of `total`.
    pages: u64,
    /// When progress was last said.
    said: Option<u64>,
    /// Pages between two progress calls: a two-hundredth of the file, at
    /// least one and at most [`EVERY`].
    every: u64,
    /// A `Break` was given: every walk stops at its next page.
    pub cancelled: bool,
    /// The file's leaf pages by tree, scanned once (with this meter's
    /// cancel) for every tree whose leaves the chain has to bridge.
    pub leaf_pages: super::bridge::LeafPages,
}

impl<'p> Meter<'p> {
    pub fn new(pages: u64, on_progress: &'p mut dyn FnMut(Progress) -> ControlFlow<()>) -> Self {
        Self {
            on_progress,
            base: 0,
            pages,
            said: None,
            every: (pages / 200).clamp(1, EVERY),
            cancelled: false,
            leaf_pages: Default::default(),
        }
    }

    fn say(&mut self, done: u64) -> bool {
        if !self.cancelled {
            self.said = Some(done);
            let total = self.pages + 2;
            self.cancelled = (self.on_progress)(Progress { done: done.min(total), total }).is_break();
        }
        self.cancelled
    }

    /// Asked by a walk before each page, with the pages it reached so far;
    /// `true` stops it.
    pub fn walk(&mut self, reached: usize) -> bool {
        let done = (self.base + reached as u64).min(self.pages);
        let due = self.said.is_none_or(|said| done >= said + self.every || done < said);
        if due {
            self.say(done)
        } else {
            self.cancelled
        }
    }

    /// Asked by work that reads no tree pages (the leaf chain's scan of the
    /// file): progress stays where it is; `true` = cancel.
    pub fn check(&mut self) -> bool {
        let done = self.said.unwrap_or(0);
        self.say(done)
    }

    /// A walk ended, having reached `pages` pages.
    pub fn walked(&mut self, pages: usize) {
        self.base += pages as u64;
    }

    /// The reading is done (`1`: the new file written too); `true` = cancel.
    pub fn after_reading(&mut self, steps: u64) -> bool {
        self.say(self.pages + steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_said_every_256_pages_of_a_large_file_and_a_cancel_stops_every_later_walk() {
        let mut said = Vec::new();
        let mut calls = |p: Progress| {
            said.push(p.done);
            if p.done >= 600 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut meter = Meter::new(100_000, &mut calls);
        for reached in 0..300 {
            assert!(!meter.walk(reached));
        }
        meter.walked(300);
        let stopped_at = (0..700).find(|&r| meter.walk(r)).unwrap();
        assert_eq!(stopped_at, 3 * EVERY as usize - 300, "the third call after the first, at page 768");
        assert!(meter.walk(0), "a later walk stops at once");
        assert!(meter.check(), "and so does the leaf chain's scan");
        assert!(meter.cancelled);
        assert_eq!(said, [0, 256, 512, 768]);
    }

    #[test]
    fn a_small_file_says_its_progress_page_by_page() {
        let mut said = Vec::new();
        let mut calls = |p: Progress| {
            said.push((p.done, p.total));
            ControlFlow::Continue(())
        };
        let mut meter = Meter::new(30, &mut calls);
        for reached in 0..5 {
            meter.walk(reached);
        }
        meter.walked(5);
        meter.after_reading(2);
        assert_eq!(said, [(0, 32), (1, 32), (2, 32), (3, 32), (4, 32), (32, 32)]);
    }
}
