//! The outbox sender: delivers due messages and records each attempt.
//!
//! It sleeps until the writer says something was committed or the next retry is due, so
//! an idle daemon does no work and a new notification leaves at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::now;
use super::writer::Writer;
use crate::config::OutboxConfig;
use crate::error::{Error, Result};
use crate::outbox::{Attempt, Transport, Webhooks, deliver, record_attempt};
use crate::store::{Outgoing, ReadPool};

/// Messages taken per round.
const BATCH: u32 = 100;
/// The longest sleep when nothing is pending; a commit wakes the sender earlier.
const IDLE: Duration = Duration::from_secs(3600);

/// Runs until `shutdown`; a message being delivered when it comes is finished first (the
/// server aborts the task if that takes longer than the grace period).
pub async fn run(
    transport: Transport,
    webhooks: Webhooks,
    reads: Arc<ReadPool>,
    writer: Writer,
    config: OutboxConfig,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        let wait = match deliver_due(&transport, &webhooks, &reads, &writer, &config, &shutdown).await {
            Ok(0) => time_to_next(&reads).await.unwrap_or(IDLE),
            Ok(_) => continue,
            Err(e) => {
                tracing::error!(error = %e, "outbox round failed; trying again shortly");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.cancelled() => {}
        }
    }
    tracing::debug!("outbox sender stopped");
}

/// Sends one round of due messages; returns how many were tried. Each result goes to the
/// writer as soon as its attempt ends, without waiting for the commit before the next
/// attempt: a message the relay accepted is recorded as sent within one commit, so a
/// crash later in the round does not send it again.
async fn deliver_due(
    transport: &Transport,
    webhooks: &Webhooks,
    reads: &Arc<ReadPool>,
    writer: &Writer,
    config: &OutboxConfig,
    shutdown: &CancellationToken,
) -> Result<usize> {
    let pool = reads.clone();
    let due: Vec<Outgoing> = tokio::task::spawn_blocking(move || pool.read(|db| db.outbox_due(now(), BATCH)))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let mut records = JoinSet::new();
    for message in due {
        if shutdown.is_cancelled() {
            break;
        }
        let attempt = deliver(transport, webhooks, &message).await;
        super::metrics::delivered(match &attempt {
            Attempt::Sent => "sent",
            Attempt::Temporary(_) if message.attempts + 1 < config.max_attempts => "retry",
            _ => "failed",
        });
        let writer = writer.clone();
        let config = config.clone();
        records.spawn(async move {
            writer
                .run(move |tx| record_attempt(tx, &message, &attempt, &config, now()))
                .await
        });
    }
    let tried = records.len();
    while let Some(recorded) = records.join_next().await {
        recorded.map_err(|e| Error::Internal(format!("recording a delivery failed: {e}")))??;
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
