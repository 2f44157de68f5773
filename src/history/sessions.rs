//! Transactions as the log tells them, for the history: each row event
//! waits in log order until its transaction commits to level 0, rolls
//! back, or the engine restarts, so every event leaves with its outcome
//! and the events still leave in log order. Memory: the events of the
//! transactions still open and those logged after the oldest of them.

use std::collections::{HashMap, VecDeque};

use super::{Event, Outcome};

/// The most events held back waiting for their transactions' outcome; past
/// it the oldest leaves as [`Outcome::Undecided`].
pub const MAX_WAITING: usize = 100_000;

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
        if self.queue.len() > MAX_WAITING {
            if let Some((event, resolved)) = self.queue.front_mut() {
                if !*resolved {
                    event.outcome = Outcome::Undecided;
                    *resolved = true;
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Lgpos;
    use crate::history::{Now, Operation};

    fn event(n: u16) -> Event {
        Event {
            lgpos: Lgpos { generation: 1, isec: 1, ib: n },
            file: String::new(),
            created: String::new(),
            procid: 1,
            trx: 1,
            level: 1,
            outcome: Outcome::Committed,
            operation: Operation::Insert,
            table: "t".into(),
            objid: 6,
            pgno: 1,
            iline: 0,
            key: None,
            values: None,
            before: None,
            changed: Vec::new(),
            now: Now::Unknown,
            errors: Vec::new(),
            note: None,
        }
    }

    #[test]
    fn events_wait_for_their_transaction_and_leave_in_log_order() {
        let mut s = Sessions::default();
        s.begin(1, 1);
        s.push(1, 1, event(1));
        s.begin(2, 1);
        s.push(2, 1, event(2));
        s.commit(2, 0);
        assert_eq!(s.ready().count(), 0, "the first event's transaction is still open");
        s.rollback(1, 1);
        let out: Vec<Event> = s.ready().collect();
        assert_eq!(
            out.iter().map(|e| e.outcome).collect::<Vec<_>>(),
            [Outcome::RolledBack, Outcome::Committed]
        );
        assert!(out[0].lgpos < out[1].lgpos);
    }

    #[test]
    fn a_transaction_that_never_ends_holds_back_a_bounded_number_of_events() {
        let mut s = Sessions::default();
        s.begin(1, 1);
        s.push(1, 1, event(0));
        for n in 0..MAX_WAITING as u32 + 5 {
            s.push(0, 0, event((n % 60_000) as u16));
        }
        let out: Vec<Event> = s.ready().collect();
        assert_eq!(out.first().map(|e| e.outcome), Some(Outcome::Undecided));
        assert!(s.queue.len() <= MAX_WAITING);
    }
}
