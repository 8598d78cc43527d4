//! The outbox sender: delivers due messages and records each attempt.
//!
//! It sleeps until the writer says something was committed or the next retry is due, so
//! an idle daemon does no work and a new notification leaves at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::now;
use super::writer::Writer;
use crate::config::OutboxConfig;
use crate::error::{Error, Result};
use crate::outbox::{Attempt, Transport, Webhooks, deliver, record_attempt};
use crate::store::{Outgoing, ReadPool};

/// Messages taken per round.
const BATCH: u32 = 100;
/// How long a round's claim on its messages lasts: other daemons leave them alone that
/// long, and take them again after if this daemon died.
const CLAIM: Duration = Duration::from_secs(600);
/// A message is not begun with less than this left of the claim (the rest of the round
/// is left for the next claim), so a slow relay cannot make two daemons send one message.
const CLAIM_MARGIN: Duration = Duration::from_secs(120);
/// The longest sleep when nothing is pending; a commit wakes the sender earlier.
const IDLE: Duration = Duration::from_secs(3600);

/// Where the sender sends from and through.
pub struct Sender {
    /// This run of the daemon, as the owner of its claims on messages.
    pub instance: Arc<str>,
    pub transport: Transport,
    pub webhooks: Webhooks,
    pub reads: Arc<ReadPool>,
    pub writer: Writer,
    pub config: OutboxConfig,
}

/// How often a daemon on a shared database looks for claims of daemons that are gone.
const DEAD_CLAIMS_CHECK: Duration = Duration::from_secs(15);

/// Runs until `shutdown`; a message being delivered when it comes is finished first (the
/// server aborts the task if that takes longer than the grace period).
pub async fn run(sender: Sender, wake: Arc<Notify>, shutdown: CancellationToken) {
    let Sender {
        instance,
        transport,
        webhooks,
        reads,
        writer,
        config,
    } = sender;
    let mut last_check = std::time::Instant::now();
    while !shutdown.is_cancelled() {
        if writer.sealed().is_some() {
            // the installation is moving to PostgreSQL (or has): nothing can be recorded
            // here, so nothing is sent from here
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.cancelled() => {}
            }
            continue;
        }
        if !reads.single_daemon() && last_check.elapsed() >= DEAD_CLAIMS_CHECK {
            // a daemon killed mid-round leaves its messages claimed: take them back now,
            // not when the claims run out
            last_check = std::time::Instant::now();
            let owner = instance.clone();
            match writer.run(move |tx| tx.release_dead_claims(&owner)).await {
                Ok(0) => {}
                Ok(released) => tracing::info!(released, "released the claims of a daemon that is gone"),
                Err(e) => tracing::warn!(error = %e, "cannot release the claims of daemons that are gone"),
            }
        }
        let wait = match deliver_due(&instance, &transport, &webhooks, &reads, &writer, &config, &shutdown).await {
            Ok(0) => time_to_next(&reads).await.unwrap_or(IDLE),
            Ok(_) => continue,
            Err(e) => {
                tracing::error!(error = %e, "outbox round failed; trying again shortly");
                Duration::from_secs(5)
            }
        };
        let wait = if reads.single_daemon() {
            wait
        } else {
            wait.min(DEAD_CLAIMS_CHECK)
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => {}
        }
    }
    tracing::debug!("outbox sender stopped");
}

/// Sends one round of due messages; returns how many were tried. The round's messages
/// are claimed first (committed before any is sent), so no other daemon sends them
/// meanwhile. Each result is committed before the next message goes: a message the relay
/// accepted is on record as sent before anything else happens, so a daemon killed
/// mid-round leaves at most the one message it was handing over unrecorded, which is
/// then sent once more (same Message-ID) by whichever daemon takes its claim back.
async fn deliver_due(
    instance: &Arc<str>,
    transport: &Transport,
    webhooks: &Webhooks,
    reads: &Arc<ReadPool>,
    writer: &Writer,
    config: &OutboxConfig,
    shutdown: &CancellationToken,
) -> Result<usize> {
    let pool = reads.clone();
    let claimed_at = now();
    let any = tokio::task::spawn_blocking(move || pool.read(|db| db.outbox_has_due(claimed_at)))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    if !any {
        return Ok(0);
    }
    let owner = instance.clone();
    let until = claimed_at + chrono::Duration::from_std(CLAIM).unwrap_or_default();
    let due: Vec<Outgoing> = writer
        .run(move |tx| tx.claim_outbox(&owner, claimed_at, until, BATCH))
        .await?;
    let stop_by = until - chrono::Duration::from_std(CLAIM_MARGIN).unwrap_or_default();
    let mut tried = 0;
    for message in due {
        // what is left is claimed until the claim runs out, then due again
        if shutdown.is_cancelled() || now() >= stop_by {
            break;
        }
        let attempt = deliver(transport, webhooks, &message).await;
        super::metrics::delivered(match &attempt {
            Attempt::Sent => "sent",
            Attempt::Temporary(_) if message.attempts + 1 < config.max_attempts => "retry",
            _ => "failed",
        });
        if matches!(attempt, Attempt::Sent) {
            tracing::debug!(outbox = message.id, message_id = %message.message_id, "sent");
        }
        let config = config.clone();
        writer
            .run(move |tx| record_attempt(tx, &message, &attempt, &config, now()))
            .await?;
        tried += 1;
    }
    Ok(tried)
}

/// How long until the next pending message is due.
async fn time_to_next(reads: &Arc<ReadPool>) -> Result<Duration> {
    let pool = reads.clone();
    let next = tokio::task::spawn_blocking(move || pool.read(|db| db.outbox_next_due()))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    Ok(match next {
        Some(at) => (at - now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_millis(100)),
        None => IDLE,
    })
}
