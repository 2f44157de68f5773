//! Transactions as the log tells them, for the history: each row event
//! waits in log order until its transaction commits to level 0, rolls
//! back, or the engine restarts, so every event leaves with its outcome
//! and the events still leave in log order. Memory: the events of the
//! transactions still open and those logged after the oldest of them.

use std::collections::{HashMap, VecDeque};

use super::{Event, Outcome};

#[derive(Debug, Default)]
struct Session {
    /// The transaction level now.
    level: u8,
    /// Queue numbers of its operations not yet resolved, with their level.
    ops: Vec<(u64, u8)>,
}

/// Sessions and the queue of events waiting for their outcome.
#[derive(Debug, Default)]
pub struct Sessions {
    sessions: HashMap<u16, Session>,
    queue: VecDeque<(Event, bool)>,
    /// Queue number of the queue's front.
    front: u64,
}

impl Sessions {
    /// Adds an event logged by `procid` at transaction `level`: level 0
    /// (or an event that is not a transaction's operation) is resolved as
    /// it is; others wait for their session.
    pub fn push(&mut self, procid: u16, level: u8, event: Event) {
        let seq = self.front + self.queue.len() as u64;
        let resolved = level == 0 || event.outcome != Outcome::Committed;
        if !resolved {
            let session = self.sessions.entry(procid).or_default();
            session.level = session.level.max(level);
            session.ops.push((seq, level));
        }
        self.queue.push_back((event, resolved));
    }

    fn resolve(&mut self, seq: u64, outcome: Outcome) {
        if let Some((event, resolved)) =
            seq.checked_sub(self.front).and_then(|i| self.queue.get_mut(i as usize))
        {
            event.outcome = outcome;
            *resolved = true;
        }
    }

    /// `procid` began levels up to `to`.
    pub fn begin(&mut self, procid: u16, to: u8) {
        self.sessions.entry(procid).or_default().level = to;
    }

    /// `procid` committed to level `to`: at 0 its operations are committed.
    pub fn commit(&mut self, procid: u16, to: u8) {
        let session = self.sessions.entry(procid).or_default();
        session.level = to;
        if to == 0 {
            let ops = std::mem::take(&mut session.ops);
            for (seq, _) in ops {
                self.resolve(seq, Outcome::Committed);
            }
        } else {
            for op in session.ops.iter_mut().filter(|(_, level)| *level > to) {
                op.1 = to;
            }
        }
    }

    /// `procid` rolled back `levels` levels: the operations above the new
    /// level are rolled back.
    pub fn rollback(&mut self, procid: u16, levels: u8) {
        let session = self.sessions.entry(procid).or_default();
        let to = session.level.saturating_sub(levels);
        session.level = to;
        let (gone, kept): (Vec<_>, Vec<_>) = session.ops.drain(..).partition(|(_, level)| *level > to);
        session.ops = kept;
        for (seq, _) in gone {
            self.resolve(seq, Outcome::RolledBack);
        }
    }

    /// The engine restarted or stopped (Init, Term…): every open
    /// transaction ended without its commit, so the engine rolled it back.
    pub fn restart(&mut self) {
        self.end_all(Outcome::EndedByRestart);
    }

    /// The end of the log: the transactions still open.
    pub fn finish(&mut self) {
        self.end_all(Outcome::OpenAtEnd);
    }

    fn end_all(&mut self, outcome: Outcome) {
        let seqs: Vec<u64> =
            self.sessions.drain().flat_map(|(_, s)| s.ops.into_iter().map(|(q, _)| q)).collect();
        for seq in seqs {
            self.resolve(seq, outcome);
        }
    }

    /// The events at the queue's front whose outcome is known, in log order.
    pub fn ready(&mut self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(move || match self.queue.front() {
            Some((_, true)) => {
                self.front += 1;
                self.queue.pop_front().map(|(e, _)| e)
            }
            _ => None,
        })
    }
}
