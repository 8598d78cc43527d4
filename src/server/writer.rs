//! The single writer: one thread owns the database's write connection and applies every
//! change, batching whatever is waiting into one transaction (group commit).
//!
//! A request is a closure run inside its own savepoint; its answer is held back until the
//! batch's COMMIT has returned, so nobody (least of all mailgate) hears "done" before the
//! change is on disk. Under load many requests share one fsync: that, not a weaker
//! `synchronous` setting, is where throughput comes from.
//!
//! What can go wrong, and what each request then hears:
//! - its own work fails or panics: its savepoint is undone, it gets the error, the rest of
//!   the batch goes on;
//! - the batch's transaction is lost (SQLite rolls it back by itself after a full disk or
//!   an I/O error), a panic escapes a savepoint, or COMMIT fails: the batch is aborted and
//!   rolled back; every request that ran in it gets a temporary error (its work is gone),
//!   those not yet run go into the next batch. No request hears "done" of work that was
//!   not committed, nor an error of work that was;
//! - its client stopped waiting (mailgate timed out, tkt was interrupted; the answer
//!   channel is closed) before its turn: it is dropped unrun, so a request given up is not
//!   carried out behind its client's back. One that ran before its client left is kept;
//!   the retry is recognised (mail by its dedupe key, API writes by their
//!   `Idempotency-Key`);
//! - the thread itself dies: [`Writer::start`]'s token is cancelled and the daemon exits
//!   non-zero, for the service manager to restart it, instead of refusing every change.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result, panic_message};
use crate::store::{Store, WriteTx};

/// The most requests one transaction takes.
const MAX_BATCH: usize = 256;

/// A handle to send work to the writer; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    seal: Seal,
}

/// Why every change is refused for now, if it is: while the installation is copied to
/// PostgreSQL, and after (its data lives on there). Shared by the handles and the thread.
#[derive(Clone, Default)]
struct Seal(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl Seal {
    fn reason(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, reason: Option<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = reason;
    }
}

/// Work for the writer, type-erased.
trait Job: Send {
    /// Runs inside the batch transaction; returns what to do once the batch is committed.
    fn run(self: Box<Self>, tx: &WriteTx<'_>) -> Box<dyn Finish>;
    /// The batch could not even start.
    fn abandon(self: Box<Self>, error: Error);
    /// Whether nobody waits for the answer any more.
    fn given_up(&self) -> bool;
    /// Whether it runs even while changes are refused (it is what they wait for).
    fn passes_seal(&self) -> bool;
}

/// Delivers a job's answer after the commit.
trait Finish: Send {
    fn finish(self: Box<Self>, committed: Result<()>);
    /// The job's own error, if it failed.
    fn error(&self) -> Option<&Error>;
}

struct Request<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T>>,
    passes_seal: bool,
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
        let Request { work, reply, .. } = *self;
        let result = tx.savepoint(|tx| work(tx));
        Box::new(Answer { result, reply })
    }

    fn abandon(self: Box<Self>, error: Error) {
        let _ = self.reply.send(Err(error));
    }

    fn given_up(&self) -> bool {
        self.reply.is_closed()
    }

    fn passes_seal(&self) -> bool {
        self.passes_seal
    }
}

impl<T: Send> Finish for Answer<T> {
    fn finish(self: Box<Self>, committed: Result<()>) {
        let _ = self.reply.send(committed.and(self.result));
    }

    fn error(&self) -> Option<&Error> {
        self.result.as_ref().err()
    }
}

impl Writer {
    /// Starts the writer thread on `store`. `mail_queued` runs after each commit that put
    /// mail into the outbox (it wakes the outbox sender). The thread ends when every
    /// `Writer` handle is dropped and the queue is empty; the token is cancelled when it
    /// ends, however it ends (before the handles are gone, it died).
    pub fn start(
        store: Store,
        mail_queued: impl Fn() + Send + 'static,
    ) -> Result<(Writer, JoinHandle<()>, CancellationToken)> {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let seal = Seal::default();
        let stopped = CancellationToken::new();
        let guard = stopped.clone().drop_guard();
        let sealed = seal.clone();
        let thread = std::thread::Builder::new()
            .name("ticketd-writer".into())
            .spawn(move || {
                let _stopped = guard;
                write_loop(store, queue, &sealed, mail_queued)
            })
            .map_err(|e| Error::Temporary(format!("cannot start the writer thread: {e}")))?;
        Ok((Writer { jobs, seal }, thread, stopped))
    }

    /// How many changes wait in the writer's queue (those waiting for room in it, when it
    /// is full, not counted).
    pub fn queued(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Runs `work` in a write transaction and returns its result once it is committed.
    /// If `work` fails, only its own changes are undone. Dropping the returned future
    /// before `work` has begun cancels it.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        if let Some(reason) = self.seal.reason() {
            return Err(Error::Temporary(reason));
        }
        self.submit(work, false).await
    }

    /// Refuses every change from now on with `reason` (a temporary error: mailgate has
    /// the MTA try again later), until [`unseal`](Writer::unseal).
    pub fn seal(&self, reason: impl Into<String>) {
        self.seal.set(Some(reason.into()));
    }

    /// Why changes are refused, if they are.
    pub fn sealed(&self) -> Option<String> {
        self.seal.reason()
    }

    /// Takes changes again.
    pub fn unseal(&self) {
        self.seal.set(None);
    }

    /// Runs `work` although changes are refused: after every change sent before the seal
    /// (those already in the queue that ran before it are saved, those after it refused),
    /// in the writer's transaction, so that it sees one settled state of the database.
    pub async fn run_sealed<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        self.submit(work, true).await
    }

    async fn submit<T, F>(&self, work: F, passes_seal: bool) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.send(Box::new(Request {
            work,
            reply,
            passes_seal,
        }))
        .await?;
        answer.await.map_err(|_| {
            Error::Temporary("the change was not saved: ticketd's writer failed (see its log); try again".into())
        })?
    }

    async fn send(&self, job: Box<dyn Job>) -> Result<()> {
        self.jobs
            .send(job)
            .await
            .map_err(|_| Error::Temporary("ticketd is shutting down, or its writer has stopped; try again".into()))
    }
}

/// What a batch left: requests it did not get to, and whether it queued mail.
#[derive(Default)]
struct Leftover {
    jobs: Vec<Box<dyn Job>>,
    mail: bool,
}

fn write_loop(mut store: Store, mut queue: mpsc::Receiver<Box<dyn Job>>, seal: &Seal, mail_queued: impl Fn()) {
    let mut waiting: VecDeque<Box<dyn Job>> = VecDeque::new();
    while let Some(batch) = next_batch(&mut queue, &mut waiting) {
        #[cfg(debug_assertions)]
        super::faults::writer_dies_if_asked();
        let size = batch.len();
        match std::panic::catch_unwind(AssertUnwindSafe(|| run_batch(&mut store, batch, seal))) {
            Ok(left) => {
                waiting.extend(left.jobs);
                if left.mail {
                    mail_queued();
                }
            }
            // the transaction was rolled back as it unwound; the requests it held were
            // dropped, so their callers hear that nothing was saved
            Err(panic) => tracing::error!(
                error = %panic_message(&*panic),
                size,
                "the writer failed (a bug); the batch is rolled back and every request in it refused"
            ),
        }
        // whatever happened, the next batch starts without a transaction open
        if let Err(e) = store.roll_back_if_open() {
            tracing::error!(error = %e, "the writer cannot roll back; it stops");
            return;
        }
    }
    tracing::debug!("writer stopped");
}

/// The requests carried over from an aborted batch first, then whatever is waiting, up
/// to [`MAX_BATCH`]. `None` once every handle is gone and nothing is left.
fn next_batch(
    queue: &mut mpsc::Receiver<Box<dyn Job>>,
    waiting: &mut VecDeque<Box<dyn Job>>,
) -> Option<Vec<Box<dyn Job>>> {
    let mut batch: Vec<Box<dyn Job>> = waiting.drain(..waiting.len().min(MAX_BATCH)).collect();
    if batch.is_empty() {
        batch.push(queue.blocking_recv()?);
    }
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Runs one batch in one transaction and answers every request in it that ran.
fn run_batch(store: &mut Store, batch: Vec<Box<dyn Job>>, seal: &Seal) -> Leftover {
    let size = batch.len();
    let tx = match store.begin() {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "cannot begin a write transaction");
            batch.into_iter().for_each(|job| job.abandon(e.clone()));
            return Leftover::default();
        }
    };
    #[cfg(debug_assertions)]
    let fault = super::faults::take_armed();
    let mut answers: Vec<Box<dyn Finish>> = Vec::with_capacity(size);
    let mut jobs = batch.into_iter();
    let mut lost = false;
    for job in jobs.by_ref() {
        if job.given_up() {
            tracing::info!("a change whose client stopped waiting is dropped unrun");
            continue;
        }
        if !job.passes_seal()
            && let Some(reason) = seal.reason()
        {
            job.abandon(Error::Temporary(reason));
            continue;
        }
        answers.push(job.run(&tx));
        #[cfg(debug_assertions)]
        super::faults::after_request(fault, answers.len(), &tx);
        if !tx.is_open() {
            lost = true;
            break;
        }
    }
    let left: Vec<Box<dyn Job>> = jobs.collect();
    let mail = tx.queued_mail();
    let committed = if lost {
        let cause = answers.last().and_then(|a| a.error()).map(ToString::to_string);
        tracing::error!(
            error = cause.as_deref().unwrap_or("none given"),
            size = answers.len(),
            carried = left.len(),
            "the database rolled the batch back; its requests are refused, the rest go on"
        );
        drop(tx);
        Err(not_saved())
    } else {
        #[cfg(debug_assertions)]
        super::faults::before_commit(fault, &tx);
        tx.commit().map_err(|e| {
            tracing::error!(error = %e, size = answers.len(), "commit failed; every request of the batch is refused");
            not_saved()
        })
    };
    let done = committed.is_ok();
    if done {
        tracing::debug!(size = answers.len(), "batch committed");
    }
    for answer in answers {
        answer.finish(committed.clone());
    }
    Leftover {
        jobs: left,
        mail: done && mail,
    }
}

/// What a request of a batch that was not committed hears. The database's own words go
/// to the log; retrying is safe (mail is deduplicated, API writes carry a key).
fn not_saved() -> Error {
    Error::Temporary(
        "ticketd could not save the change (a database error, see its log); nothing was changed; try again".into(),
    )
}
