//! The scheduler: runs each job when its cron slot comes on ticketd's clock, in the
//! writer (so a job's changes, its mail and the record of its run commit together).
//!
//! Each job remembers the last slot it ran for (from `job_runs`, so a restart picks up
//! where the last run left off): when the clock passes one or more slots, the latest
//! runs once; missed runs after downtime run once at start. A successful run of a slot
//! is on record at most once, so a slot asked for twice does its work once.
//!
//! With a frozen clock (`ticketd --now`) nothing happens on its own: moving the clock
//! (`tkt admin clock set`) runs what became due before it answers.
//!
//! A shutdown stops a run between two steps (however long the job, it waits for one step
//! at most); the run is on record as interrupted, and its slot runs again at the next
//! start (each job is idempotent per ticket, so what was done is not done twice).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use super::clock;
use super::writer::Writer;
use crate::error::{Error, Result};
use crate::schedule::{Job, Schedule};
use crate::store::{ReadPool, SlotClaim};
use crate::ticket::Timestamp;
use crate::wire::{JobRun, JobStatus};
use crate::workflow::{Settings, jobs};

/// The longest the scheduler sleeps on the system clock before it looks again (the
/// system clock may jump; a frozen one wakes it when moved).
const LONGEST_NAP: Duration = Duration::from_secs(60);

/// How long the scheduler waits before trying a slot again that failed to run (the
/// database busy or full).
const RETRY_NAP: Duration = Duration::from_secs(15);

/// The jobs, their schedules, and the slot each last ran for.
pub struct Scheduler {
    /// This run of the daemon, as the owner of its claims on slots.
    instance: Arc<str>,
    jobs: Vec<(Job, Schedule)>,
    writer: Writer,
    settings: Arc<Settings>,
    /// Per job: the instant after which its next slot is due. Held while running, so
    /// runs never overlap.
    since: Mutex<HashMap<String, Timestamp>>,
    clock_moved: Notify,
    /// Cancelled when ticketd begins to stop: runs stop at their next step.
    shutdown: CancellationToken,
}

/// How long a claim on a slot lasts from each step: a step is a bounded batch, far
/// shorter; a daemon that died mid-run leaves the slot to others after this.
const CLAIM: chrono::Duration = chrono::Duration::minutes(10);

/// `JobRun::outcome` of a run a shutdown stopped.
const INTERRUPTED: &str = "interrupted";

impl Scheduler {
    /// Reads the jobs' last slots; a job never run starts counting from now. Runs stop
    /// between steps once `shutdown` is cancelled.
    pub async fn start(
        instance: Arc<str>,
        jobs: Vec<Job>,
        zone: chrono_tz::Tz,
        writer: Writer,
        reads: Arc<ReadPool>,
        settings: Arc<Settings>,
        shutdown: CancellationToken,
    ) -> Result<Arc<Scheduler>> {
        let jobs = jobs
            .into_iter()
            .map(|job| {
                let schedule = Schedule::parse(&job.schedule, zone)
                    .map_err(|e| Error::Invalid(format!("job `{}`: {e}", job.name)))?;
                Ok((job, schedule))
            })
            .collect::<Result<Vec<_>>>()?;
        let names: Vec<String> = jobs.iter().map(|(j, _)| j.name.clone()).collect();
        let now = clock::now();
        let since = tokio::task::spawn_blocking(move || {
            reads.read(|db| {
                names
                    .into_iter()
                    .map(|name| Ok((name.clone(), db.job_resumes_after(&name)?.unwrap_or(now))))
                    .collect::<Result<HashMap<_, _>>>()
            })
        })
        .await
        .map_err(|e| Error::Internal(format!("scheduler start-up task failed: {e}")))??;
        Ok(Arc::new(Scheduler {
            instance,
            jobs,
            writer,
            settings,
            since: Mutex::new(since),
            clock_moved: Notify::new(),
            shutdown,
        }))
    }

    /// Runs every job whose slot has come since it last ran, the latest slot of each once.
    pub async fn run_due(&self) -> Vec<JobRun> {
        let mut since = self.since.lock().await;
        let now = clock::now();
        let mut runs = Vec::new();
        if self.writer.sealed().is_some() {
            // moving to PostgreSQL: no run could be recorded; the slots stay due there
            return runs;
        }
        for (job, schedule) in &self.jobs {
            if self.shutdown.is_cancelled() {
                break;
            }
            let after = since.get(&job.name).copied().unwrap_or(now);
            let Some(slot) = schedule.due(after, now) else {
                continue;
            };
            match self.run_slot(job, slot).await {
                // not done: the slot stays due, for the next start
                Ok(Some(run)) if run.outcome == INTERRUPTED => {
                    runs.push(run);
                    break;
                }
                Ok(run) => runs.extend(run),
                // another daemon runs it (or died doing so, and its claim is released
                // within seconds): `since` stays, so the slot is looked at again, and
                // then either on record or ours
                Err(Error::Conflict(e)) => {
                    tracing::debug!(job = %job.name, %slot, reason = %e, "slot held by another daemon; looking again");
                    continue;
                }
                Err(e) => {
                    // not recorded, and `since` stays: the slot is tried again on the next
                    // look (within a minute, or when a frozen clock moves)
                    tracing::error!(job = %job.name, error = %e, "job could not run; trying again");
                    continue;
                }
            }
            since.insert(job.name.clone(), slot);
        }
        runs
    }

    /// Runs a job now, for the slot `now` (asked for by hand). `None` when it has already
    /// run successfully at this instant.
    pub async fn run_now(&self, name: &str) -> Result<Option<JobRun>> {
        let _running = self.since.lock().await;
        let (job, _) = self
            .jobs
            .iter()
            .find(|(j, _)| j.name == name)
            .ok_or_else(|| Error::NotFound(format!("there is no job `{name}`; see tkt admin jobs")))?;
        self.run_slot(job, clock::now()).await
    }

    /// Every job with its next slot and last run.
    pub async fn status(&self, reads: Arc<ReadPool>) -> Result<Vec<JobStatus>> {
        let since = self.since.lock().await.clone();
        let jobs: Vec<(Job, Option<Timestamp>)> = self
            .jobs
            .iter()
            .map(|(job, schedule)| (job.clone(), next_slot(job, schedule, &since)))
            .collect();
        tokio::task::spawn_blocking(move || {
            reads.read(|db| {
                jobs.into_iter()
                    .map(|(job, next)| {
                        let last = db.job_runs(&job.name, 1)?.pop();
                        Ok(JobStatus { job, next, last })
                    })
                    .collect()
            })
        })
        .await
        .map_err(|e| Error::Internal(format!("job status task failed: {e}")))?
    }

    /// The last `limit` runs of a job.
    pub async fn history(&self, reads: Arc<ReadPool>, name: &str, limit: u32) -> Result<Vec<JobRun>> {
        if !self.jobs.iter().any(|(j, _)| j.name == name) {
            return Err(Error::NotFound(format!("there is no job `{name}`; see tkt admin jobs")));
        }
        let name = name.to_string();
        tokio::task::spawn_blocking(move || reads.read(|db| db.job_runs(&name, limit)))
            .await
            .map_err(|e| Error::Internal(format!("job history task failed: {e}")))?
    }

    /// Tells the loop that the frozen clock moved.
    pub fn clock_moved(&self) {
        self.clock_moved.notify_one();
    }

    /// One run of `job` for `slot`, recorded with its outcome; `None` if that slot has
    /// run successfully before. The work goes to the writer a step at a time (a bounded
    /// batch of tickets or recipients each), so mail is taken in between; the run is
    /// recorded after the last step, or as interrupted when a shutdown comes between
    /// two.
    async fn run_slot(&self, job: &Job, slot: Timestamp) -> Result<Option<JobRun>> {
        if self.shutdown.is_cancelled() {
            return Err(Error::Temporary(format!(
                "ticketd is shutting down: job `{}` did not start; it runs when ticketd is back",
                job.name
            )));
        }
        let now = clock::now();
        let name = job.name.clone();
        let started = Instant::now();
        let mut tally = jobs::Tally::default();
        let mut cursor = 0;
        let mut steps = 0;
        let mut interrupted = false;
        let failure = loop {
            if steps > 0 && self.shutdown.is_cancelled() {
                interrupted = true;
                break None;
            }
            let job = job.clone();
            let settings = self.settings.clone();
            let owner = self.instance.clone();
            let step = self
                .writer
                .run(move |tx| {
                    // each step claims the slot (the first) or extends the claim: another
                    // daemon neither runs it meanwhile nor, once it is on record, again
                    let at = clock::now();
                    match tx.claim_job_slot(&job.name, slot, &owner, at, at + CLAIM)? {
                        SlotClaim::Claimed => jobs::run_step(tx, &settings, &job, cursor, now).map(Ok),
                        other => Ok(Err(other)),
                    }
                })
                .await;
            steps += 1;
            match step {
                Ok(Err(SlotClaim::HeldElsewhere)) => return Err(held_elsewhere(&name)),
                Ok(Err(_)) => return Ok(None),
                Ok(Ok(step)) => {
                    tally.merge(&step.tally);
                    match step.next {
                        Some(next) => cursor = next,
                        None => break None,
                    }
                }
                // a busy disk or a full one: the caller tries the slot again
                Err(e) if e.is_temporary() => return Err(e),
                Err(e) => break Some(format!("{e} (after {tally})")),
            }
        };
        let run = JobRun {
            job: name.clone(),
            slot,
            started: now,
            duration_ms: started.elapsed().as_millis().try_into().unwrap_or(i64::MAX),
            outcome: match (&failure, interrupted) {
                (Some(_), _) => "failed",
                (None, true) => INTERRUPTED,
                (None, false) => "ok",
            }
            .into(),
            detail: match failure {
                Some(failure) => failure,
                None if interrupted => format!("stopped by a shutdown after {tally}; the slot runs again at start"),
                None => tally.to_string(),
            },
        };
        let record = run.clone();
        let owner = self.instance.clone();
        self.writer
            .run(move |tx| {
                tx.release_job_slot(&record.job, record.slot, &owner)?;
                tx.record_job_run(&record)
            })
            .await?;
        match run.outcome.as_str() {
            "ok" => {
                tracing::info!(job = %name, slot = %run.slot, detail = %run.detail, steps, ms = run.duration_ms, "job ran")
            }
            INTERRUPTED => {
                tracing::warn!(job = %name, slot = %run.slot, detail = %run.detail, steps, "job stopped between steps for the shutdown")
            }
            _ => tracing::error!(job = %name, slot = %run.slot, error = %run.detail, "job failed"),
        }
        Ok(Some(run))
    }

    /// Runs due jobs until the shutdown: at start (missed runs), then at each slot.
    pub async fn run(self: Arc<Self>) {
        let shutdown = self.shutdown.clone();
        loop {
            self.run_due().await;
            let nap = if clock::is_frozen() {
                None
            } else {
                let since = self.since.lock().await.clone();
                let now = clock::now();
                let next = self
                    .jobs
                    .iter()
                    .filter_map(|(job, schedule)| next_slot(job, schedule, &since))
                    .min();
                Some(match next {
                    // a slot that could not run: try again after a pause
                    Some(next) if next <= now => RETRY_NAP,
                    Some(next) => (next - now).to_std().unwrap_or(RETRY_NAP).min(LONGEST_NAP),
                    None => LONGEST_NAP,
                })
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.clock_moved.notified() => {}
                _ = async {
                    match nap {
                        Some(nap) => tokio::time::sleep(nap).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        }
    }
}

/// What a slot another daemon holds answers: a conflict, for `tkt admin jobs run` too.
fn held_elsewhere(job: &str) -> Error {
    Error::Conflict(format!(
        "another ticketd is running job `{job}` for this slot now; it is on record once it is done"
    ))
}

/// A job's next slot after the one it last ran for.
fn next_slot(job: &Job, schedule: &Schedule, since: &HashMap<String, Timestamp>) -> Option<Timestamp> {
    schedule.next_after(since.get(&job.name).copied().unwrap_or_else(clock::now))
}
