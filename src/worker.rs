//! The background worker: runs a job (a plain function with a progress
//! callback, see [`crate::scan`]) on its own thread, forwards its progress
//! and result as [`WorkerEvent`]s, and stops it on request. Nothing else in
//! the crate knows about threads.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::scan::{Progress, VerifyReport};

/// Identifies one job, so stale events can be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// What a finished job produced.
#[derive(Debug, Clone)]
pub enum JobOutput {
    /// The page-map classification filled its shared cells.
    PageMap,
    /// A verify report.
    Verify(Box<VerifyReport>),
    /// A repair report, or why the repair could not run.
    Repair(Box<Result<crate::repair::RepairReport, String>>),
    /// A salvage report, or why salvage could not run.
    Salvage(Box<Result<crate::salvage::SalvageReport, String>>),
    /// A recovery report, or why recovery refused to run.
    Recovery(Box<Result<crate::recovery::RecoveryReport, String>>),
    /// A recovery plan (the dry run), or why it could not be made.
    Plan(Box<Result<crate::recovery::plan::Plan, String>>),
    /// The row history of the log set: its first events, what it went
    /// through, and whether events were left out.
    History(Box<(Vec<crate::history::Event>, crate::history::Summary, bool)>),
}

/// What the worker tells its owner.
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    /// The job has come this far.
    Progress(JobId, Progress),
    /// The job ended; `cancelled` when it was stopped before the end.
    Finished {
        /// Which job.
        id: JobId,
        /// Its result.
        output: JobOutput,
        /// True when it was stopped early.
        cancelled: bool,
    },
}

/// A running job: its id and the flag that stops it.
#[derive(Debug, Clone)]
pub struct JobHandle {
    /// The job's id.
    pub id: JobId,
    cancel: Arc<AtomicBool>,
}

impl JobHandle {
    /// Asks the job to stop at its next progress report.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Runs `job` on a new thread. Progress reports are passed to `sink` at
/// most every 50 ms (and always the last one); the result comes last as
/// [`WorkerEvent::Finished`].
pub fn spawn<J>(id: JobId, sink: impl Fn(WorkerEvent) + Send + 'static, job: J) -> JobHandle
where
    J: FnOnce(&mut dyn FnMut(Progress) -> ControlFlow<()>) -> JobOutput + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&cancel);
    thread::spawn(move || {
        let mut last = Instant::now() - Duration::from_secs(1);
        let mut on_progress = |progress: Progress| {
            if last.elapsed() >= Duration::from_millis(50) || progress.done == progress.total {
                last = Instant::now();
                sink(WorkerEvent::Progress(id, progress));
            }
            if stop.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let output = job(&mut on_progress);
        let cancelled = stop.load(Ordering::Relaxed);
        sink(WorkerEvent::Finished { id, output, cancelled });
    });
    JobHandle { id, cancel }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn runs_reports_and_cancels() {
        let (tx, rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let handle = spawn(
            JobId(7),
            move |e| {
                let _ = tx.send(e);
            },
            move |progress| {
                let _ = go_rx.recv();
                for done in 1..=1_000_000u64 {
                    if progress(Progress { done, total: 1_000_000 }).is_break() {
                        break;
                    }
                }
                JobOutput::PageMap
            },
        );
        handle.cancel();
        go_tx.send(()).unwrap();
        let events: Vec<WorkerEvent> = rx.iter().collect();
        let Some(WorkerEvent::Finished { id, cancelled, .. }) = events.last() else { panic!("{events:?}") };
        assert_eq!(*id, JobId(7));
        assert!(*cancelled);
        assert!(events.len() <= 2, "stopped at the first report");
    }
}
