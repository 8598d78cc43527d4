//! The outbox: outgoing mail, written in the same transaction as the change that causes it
//! and delivered afterwards by the sender task.

use super::sql::{self, Dialect, params};
use super::{Db, WriteTx, parse_ts, ts};
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

/// The advisory lock space (PostgreSQL's two-key form) of daemon runs' instance locks.
const INSTANCE_LOCKS: i32 = 0x7464;

impl Db<'_> {
    /// How many outbox rows are pending, sent and failed.
    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        sql::all(
            self.sql(),
            "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Whether a pending message is due by `now` and not claimed: a read that spares the
    /// writer a claim when there is nothing to send (each commit wakes the sender).
    pub fn outbox_has_due(&self, now: Timestamp) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt <= ?1 \
               AND (claimed_until IS NULL OR claimed_until <= ?1))",
            [ts(now)],
            |r| r.get(0),
        )
    }

    /// When the next pending message is due, if any is pending.
    pub fn outbox_next_due(&self) -> Result<Option<Timestamp>> {
        // a message another daemon has claimed is due again when its claim runs out
        let next: Option<String> = sql::optional(
            self.sql(),
            "SELECT MIN(CASE WHEN claimed_until > next_attempt THEN claimed_until ELSE next_attempt END) \
             FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?
        .flatten();
        next.as_deref().map(parse_ts).transpose()
    }
}

impl WriteTx<'_> {
    /// Claims up to `limit` pending messages due by `now` for `owner` until `until`, and
    /// returns them, oldest first. A message under another live claim is left alone, so
    /// of several daemons sending from one database each message goes out through one;
    /// a claim whose daemon died runs out and the message is taken again.
    pub fn claim_outbox(&self, owner: &str, now: Timestamp, until: Timestamp, limit: u32) -> Result<Vec<Outgoing>> {
        // on PostgreSQL two daemons may pick at once: a row one of them has locked is
        // skipped by the other, not waited for and then claimed a second time
        let lock = match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let mut claimed = sql::all(
            self.sql(),
            &format!(
                "UPDATE outbox SET claimed_by = ?3, claimed_until = ?4 WHERE id IN \
                   (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt <= ?1 \
                      AND (claimed_until IS NULL OR claimed_until <= ?1) \
                    ORDER BY next_attempt, id LIMIT ?2{lock}) \
                 RETURNING id, ticket_id, message_id, envelope_from, recipients, message, attempts, webhook_url, \
                   webhook_timeout_secs, next_attempt"
            ),
            params![ts(now), limit, owner, ts(until)],
            |r| {
                Ok((
                    (
                        r.get::<i64>(0)?,
                        r.get::<Option<i64>>(1)?,
                        r.get::<String>(2)?,
                        r.get::<String>(3)?,
                        r.get::<String>(4)?,
                        r.get::<Vec<u8>>(5)?,
                        r.get::<u32>(6)?,
                        (r.get::<Option<String>>(7)?, r.get::<Option<i64>>(8)?),
                    ),
                    r.get::<String>(9)?,
                ))
            },
        )?;
        // RETURNING gives no order: the oldest due first, as they were chosen
        claimed.sort_by(|(a, a_due), (b, b_due)| (a_due, a.0).cmp(&(b_due, b.0)));
        claimed
            .into_iter()
            .map(|(row, _)| {
                let (id, ticket_id, message_id, envelope_from, recipients, message, attempts, (url, timeout)) = row;
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

    /// Ends every claim on outbox messages and job slots: for a daemon that is the only
    /// one on its database (SQLite), at start, any claim on record is its own from
    /// before a crash, and waiting for it to run out would only delay mail.
    pub fn release_all_claims(&self) -> Result<usize> {
        let messages = sql::execute(
            self.sql(),
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL",
            [],
        )?;
        let slots = sql::execute(self.sql(), "DELETE FROM job_claims", [])?;
        Ok(messages + slots)
    }

    /// Marks this daemon run (`instance`, the owner of its claims) alive for as long as
    /// the writer's connection lives. On PostgreSQL a session lock on the instance, which
    /// the server drops with the connection, a killed daemon's too; so other daemons can
    /// tell its claims are dead ([`release_dead_claims`](Self::release_dead_claims)).
    /// Nothing to do on SQLite, where the only daemon releases every claim at start.
    pub fn hold_instance(&self, instance: &str) -> Result<()> {
        if self.dialect() == Dialect::Postgres {
            sql::one(
                self.sql(),
                "SELECT CAST(pg_advisory_lock(?1, hashtext(?2)) AS TEXT)",
                params![INSTANCE_LOCKS, instance],
                |_| Ok(()),
            )?;
        }
        Ok(())
    }

    /// How many other daemons run on this database now: those holding an instance lock
    /// ([`hold_instance`](Self::hold_instance)). Always 0 on SQLite.
    pub fn other_daemons(&self) -> Result<i64> {
        if self.dialect() != Dialect::Postgres {
            return Ok(0);
        }
        sql::one(
            self.sql(),
            "SELECT count(DISTINCT pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND CAST(classid AS BIGINT) = ?1 AND objsubid = 2 AND granted \
               AND pid <> pg_backend_pid() \
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [i64::from(INSTANCE_LOCKS)],
            |r| r.get(0),
        )
    }

    /// Ends the claims (outbox messages, job slots) of daemon runs that are gone: those
    /// whose instance lock nobody holds. Never this run's own (`instance`). How many
    /// claims were ended. On SQLite, see [`release_all_claims`](Self::release_all_claims).
    pub fn release_dead_claims(&self, instance: &str) -> Result<usize> {
        if self.dialect() != Dialect::Postgres {
            return Ok(0);
        }
        let owners: Vec<String> = sql::all(
            self.sql(),
            "SELECT claimed_by FROM outbox WHERE claimed_by IS NOT NULL AND claimed_by <> ?1 \
             UNION SELECT owner FROM job_claims WHERE owner <> ?1",
            [instance],
            |r| r.get(0),
        )?;
        let mut released = 0;
        for owner in owners {
            // taken (for this transaction only) when nobody holds it: its daemon is gone
            let dead: bool = sql::one(
                self.sql(),
                "SELECT pg_try_advisory_xact_lock(?1, hashtext(?2))",
                params![INSTANCE_LOCKS, owner],
                |r| r.get(0),
            )?;
            if dead {
                released += sql::execute(
                    self.sql(),
                    "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?1",
                    [&owner],
                )?;
                released += sql::execute(self.sql(), "DELETE FROM job_claims WHERE owner = ?1", [&owner])?;
            }
        }
        Ok(released)
    }

    /// Queues a message for delivery now.
    pub fn enqueue(&self, m: &NewOutgoing<'_>) -> Result<i64> {
        let recipients = serde_json::to_string(m.recipients).map_err(|e| Error::Internal(e.to_string()))?;
        let id = sql::one(
            self.sql(),
            "INSERT INTO outbox (ticket_id, transaction_id, kind, message_id, envelope_from, recipients, message, \
               status, next_attempt, created, webhook_url, webhook_timeout_secs) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?9, ?10) RETURNING id",
            params![
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
            ],
            |r| r.get(0),
        )?;
        self.queued_mail.set(true);
        Ok(id)
    }

    /// The message was handed to the transport.
    pub fn outbox_sent(&self, id: i64, now: Timestamp) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE outbox SET status = 'sent', sent = ?2, attempts = attempts + 1, last_error = NULL, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// A temporary failure: try again at `next`.
    pub fn outbox_retry(&self, id: i64, next: Timestamp, error: &str) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
            params![id, ts(next), error],
        )?;
        Ok(())
    }

    /// A permanent failure: the message will not be sent.
    pub fn outbox_failed(&self, id: i64, error: &str) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn at(minute: u32) -> Timestamp {
        parse_ts(&format!("2026-12-01T10:{minute:02}:00Z")).unwrap()
    }

    #[test]
    fn a_claimed_message_is_left_to_its_claimant_until_the_claim_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let recipients = ["zoe@example.net".to_string()];
        let mut made = Vec::new();
        for n in 0..3 {
            let id = tx
                .enqueue(&NewOutgoing {
                    ticket_id: None,
                    transaction_id: None,
                    kind: "test",
                    message_id: &format!("<{n}@test>"),
                    envelope_from: "ticketd@test",
                    recipients: &recipients,
                    message: b"Subject: hi\r\n\r\nhi\r\n",
                    webhook: None,
                    now: at(0),
                })
                .unwrap();
            made.push(id);
        }
        let ids = |m: Vec<Outgoing>| m.into_iter().map(|m| m.message_id).collect::<Vec<_>>();
        assert_eq!(
            ids(tx.claim_outbox("a", at(1), at(11), 2).unwrap()),
            ["<0@test>", "<1@test>"]
        );
        // another daemon gets only what is not claimed
        assert_eq!(ids(tx.claim_outbox("b", at(2), at(12), 10).unwrap()), ["<2@test>"]);
        assert!(tx.claim_outbox("c", at(3), at(13), 10).unwrap().is_empty());
        // the next due of a claimed message is its claim's end
        assert_eq!(tx.outbox_next_due().unwrap(), Some(at(11)));
        // sent: no claim can take it again; a claim that ran out is taken over
        tx.outbox_sent(made[0], at(4)).unwrap();
        assert_eq!(ids(tx.claim_outbox("c", at(11), at(21), 10).unwrap()), ["<1@test>"]);
        // a retry ends the claim; the message is due at its next attempt
        tx.outbox_retry(made[2], at(30), "421 try later").unwrap();
        assert!(tx.claim_outbox("c", at(20), at(30), 10).unwrap().is_empty());
        // (and c's claim on <1> has run out by then too)
        assert_eq!(
            ids(tx.claim_outbox("c", at(30), at(40), 10).unwrap()),
            ["<1@test>", "<2@test>"]
        );
        // at start, the only daemon on the file releases what it held before
        assert_eq!(tx.release_all_claims().unwrap(), 2);
        assert_eq!(tx.claim_outbox("d", at(31), at(41), 10).unwrap().len(), 2);
    }
}
