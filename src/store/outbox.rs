//! The outbox: outgoing mail, written in the same transaction as the change that causes it
//! and delivered afterwards by the sender task.

use rusqlite::{OptionalExtension, params};

use super::{Db, WriteTx, cached_execute, cached_row, parse_ts, ts};
use crate::error::{Error, Result};
use crate::ticket::Timestamp;

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewOutgoing<'a> {
    pub ticket_id: Option<i64>,
    pub transaction_id: Option<i64>,
    /// The rule that made it.
    pub kind: &'a str,
    pub message_id: &'a str,
    pub envelope_from: &'a str,
    pub recipients: &'a [String],
    pub message: &'a [u8],
    /// For a webhook: where `message` (JSON) is POSTed; `None` for mail.
    pub webhook: Option<&'a Webhook>,
    pub now: Timestamp,
}

/// A webhook call waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub timeout_secs: u64,
}

/// A queued message due for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub message: Vec<u8>,
    pub attempts: u32,
    /// Set for webhook calls, whose `message` is the JSON body.
    pub webhook: Option<Webhook>,
}

impl Db<'_> {
    /// How many outbox rows are pending, sent and failed.
    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Pending messages whose next attempt is due by `now`, oldest first.
    pub fn outbox_due(&self, now: Timestamp, limit: u32) -> Result<Vec<Outgoing>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, ticket_id, message_id, envelope_from, recipients, message, attempts, webhook_url, \
               webhook_timeout_secs FROM outbox \
             WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![ts(now), limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, u32>(6)?,
                (r.get::<_, Option<String>>(7)?, r.get::<_, Option<i64>>(8)?),
            ))
        })?;
        rows.map(|row| {
            let (id, ticket_id, message_id, envelope_from, recipients, message, attempts, (url, timeout)) = row?;
            let recipients = serde_json::from_str(&recipients)
                .map_err(|e| Error::Internal(format!("outbox {id}: bad recipients: {e}")))?;
            Ok(Outgoing {
                id,
                ticket_id,
                message_id,
                envelope_from,
                recipients,
                message,
                attempts,
                webhook: url.map(|url| Webhook {
                    url,
                    timeout_secs: timeout.and_then(|t| u64::try_from(t).ok()).unwrap_or(10),
                }),
            })
        })
        .collect()
    }

    /// When the next pending message is due, if any is pending.
    pub fn outbox_next_due(&self) -> Result<Option<Timestamp>> {
        let next: Option<String> = cached_row(
            self.conn,
            "SELECT MIN(next_attempt) FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
        next.as_deref().map(parse_ts).transpose()
    }
}

impl WriteTx<'_> {
    /// Queues a message for delivery now.
    pub fn enqueue(&self, m: &NewOutgoing<'_>) -> Result<i64> {
        let recipients = serde_json::to_string(m.recipients).map_err(|e| Error::Internal(e.to_string()))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO outbox (ticket_id, transaction_id, kind, message_id, envelope_from, recipients, message, \
                   status, next_attempt, created, webhook_url, webhook_timeout_secs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?9, ?10)",
            )?
            .execute(params![
                m.ticket_id,
                m.transaction_id,
                m.kind,
                m.message_id,
                m.envelope_from,
                recipients,
                m.message,
                ts(m.now),
                m.webhook.map(|w| &w.url),
                m.webhook.map(|w| i64::try_from(w.timeout_secs).unwrap_or(i64::MAX)),
            ])?;
        self.queued_mail.set(true);
        Ok(self.conn().last_insert_rowid())
    }

    /// The message was handed to the transport.
    pub fn outbox_sent(&self, id: i64, now: Timestamp) -> Result<()> {
        cached_execute(
            self.conn(),
            "UPDATE outbox SET status = 'sent', sent = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// A temporary failure: try again at `next`.
    pub fn outbox_retry(&self, id: i64, next: Timestamp, error: &str) -> Result<()> {
        cached_execute(
            self.conn(),
            "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1",
            params![id, ts(next), error],
        )?;
        Ok(())
    }

    /// A permanent failure: the message will not be sent.
    pub fn outbox_failed(&self, id: i64, error: &str) -> Result<()> {
        cached_execute(
            self.conn(),
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}
