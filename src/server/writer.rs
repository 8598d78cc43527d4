//! The single writer: one thread owns the database's write connection and applies every
//! change, batching whatever is waiting into one transaction (group commit).
//!
//! A request is a closure run inside its own savepoint; its answer is held back until the
//! batch's COMMIT has returned, so nobody (least of all mailgate) hears "done" before the
//! change is on disk. Under load many requests share one fsync: that, not a weaker
//! `synchronous` setting, is where throughput comes from.

use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::store::{Store, WriteTx};

/// The most requests one transaction takes.
const MAX_BATCH: usize = 256;

/// A handle to send work to the writer; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

/// Work for the writer, type-erased.
trait Job: Send {
    /// Runs inside the batch transaction; returns what to do once the batch is committed.
    fn run(self: Box<Self>, tx: &WriteTx<'_>) -> Box<dyn Finish>;
    /// The batch could not even start.
    fn abandon(self: Box<Self>, error: Error);
}

/// Delivers a job's answer after the commit.
trait Finish: Send {
    fn finish(self: Box<Self>, committed: Result<()>);
}

struct Request<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T>>,
}

struct Answer<T> {
    result: Result<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for Request<T, F>
where
    T: Send + 'static,
    F: FnOnce(&WriteTx<'_>) -> Result<T> + Send,
{
    fn run(self: Box<Self>, tx: &WriteTx<'_>) -> Box<dyn Finish> {
        let Request { work, reply } = *self;
        let result = tx.savepoint(|tx| work(tx));
        Box::new(Answer { result, reply })
    }

    fn abandon(self: Box<Self>, error: Error) {
        let _ = self.reply.send(Err(error));
    }
}

impl<T: Send> Finish for Answer<T> {
    fn finish(self: Box<Self>, committed: Result<()>) {
        let _ = self.reply.send(committed.and(self.result));
    }
}

impl Writer {
    /// Starts the writer thread on `store`. `mail_queued` runs after each commit that put
    /// mail into the outbox (it wakes the outbox sender). The thread ends when every
    /// `Writer` handle is dropped and the queue is empty.
    pub fn start(store: Store, mail_queued: impl Fn() + Send + 'static) -> Result<(Writer, JoinHandle<()>)> {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let thread = std::thread::Builder::new()
            .name("ticketd-writer".into())
            .spawn(move || write_loop(store, queue, mail_queued))
            .map_err(|e| Error::Temporary(format!("cannot start the writer thread: {e}")))?;
        Ok((Writer { jobs }, thread))
    }

    /// Runs `work` in a write transaction and returns its result once it is committed.
    /// If `work` fails, only its own changes are undone.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Request { work, reply }))
            .await
            .map_err(|_| Error::Temporary("ticketd is shutting down".into()))?;
        answer
            .await
            .map_err(|_| Error::Temporary("the writer stopped before answering".into()))?
    }
}

fn write_loop(mut store: Store, mut queue: mpsc::Receiver<Box<dyn Job>>, mail_queued: impl Fn()) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len();
        let tx = match store.begin() {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "cannot begin a write transaction");
                batch.into_iter().for_each(|job| job.abandon(e.clone()));
                continue;
            }
        };
        let answers: Vec<Box<dyn Finish>> = batch.into_iter().map(|job| job.run(&tx)).collect();
        let wake = tx.queued_mail();
        let committed = tx.commit();
        match &committed {
            Ok(()) => {
                tracing::debug!(size, "batch committed");
                if wake {
                    mail_queued();
                }
            }
            Err(e) => tracing::error!(error = %e, size, "commit failed; every request of the batch is refused"),
        }
        for answer in answers {
            answer.finish(committed.clone());
        }
    }
    tracing::debug!("writer stopped");
}
