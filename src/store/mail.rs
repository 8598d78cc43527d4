//! Mail bookkeeping: raw messages, duplicate detection, Message-IDs for threading, the
//! quarantine and the autoreply rate limit.

use sha2::{Digest, Sha256};

use super::sql::{self, Dialect, params};
use super::{Db, WriteTx, parse_ts, ts};
use crate::error::{Error, Result};
use crate::mail::parse::hex;
use crate::ticket::Timestamp;
use crate::wire::QuarantineEntry;

/// What became of a message seen before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub ticket_id: Option<i64>,
    pub transaction_id: Option<i64>,
    pub quarantine_id: Option<i64>,
}

impl Db<'_> {
    /// Whether a message with this key was accepted before, and what it became.
    pub fn seen(&self, key: &str) -> Result<Option<Seen>> {
        sql::optional(
            self.sql(),
            "SELECT ticket_id, transaction_id, quarantine_id FROM seen_messages WHERE key = ?1",
            [key],
            |r| {
                Ok(Seen {
                    ticket_id: r.get(0)?,
                    transaction_id: r.get(1)?,
                    quarantine_id: r.get(2)?,
                })
            },
        )
    }

    /// The ticket of the first of these Message-IDs that ticketd stored or sent.
    pub fn ticket_by_message_ids(&self, ids: &[String]) -> Result<Option<i64>> {
        for id in ids {
            let ticket = sql::optional(
                self.sql(),
                "SELECT ticket_id FROM message_ids WHERE message_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if ticket.is_some() {
                return Ok(ticket);
            }
        }
        Ok(None)
    }

    /// The Message-ID that starts a ticket's thread: that of the mail that made the
    /// ticket, or, for a ticket made otherwise (tkt, the API), of the first mail ticketd
    /// sent about it, whose Message-ID begins with `sent_prefix`
    /// (`compose::thread_root_prefix`). Every notification's References begins with it, so
    /// that each reader's client keeps the ticket in one thread. Both are index lookups.
    pub fn thread_root(&self, ticket_id: i64, sent_prefix: &str) -> Result<Option<String>> {
        let created: Option<String> = sql::optional(
            self.sql(),
            "SELECT a.message_id FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
             WHERE x.ticket_id = ?1 AND x.type = 'Create' AND a.message_id IS NOT NULL ORDER BY a.id LIMIT 1",
            [ticket_id],
            |r| r.get(0),
        )?;
        if created.is_some() {
            return Ok(created);
        }
        // the prefix's range in the primary key: every id that begins with it
        let end = format!("{sent_prefix}\u{10ffff}");
        sql::optional(
            self.sql(),
            "SELECT message_id FROM message_ids WHERE message_id >= ?1 AND message_id < ?2 \
             AND ticket_id = ?3 AND direction = 'out' LIMIT 1",
            params![sent_prefix, end, ticket_id],
            |r| r.get(0),
        )
    }

    /// The Message-ID of the newest mail in a ticket's conversation with its requestors
    /// (the mail that made it, or a reply): what a reply written in tkt answers.
    pub fn last_correspondence_message_id(&self, ticket_id: i64) -> Result<Option<String>> {
        sql::optional(
            self.sql(),
            "SELECT a.message_id FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
             WHERE x.ticket_id = ?1 AND x.type IN ('Create', 'Correspond') AND a.message_id IS NOT NULL \
             ORDER BY a.id DESC LIMIT 1",
            [ticket_id],
            |r| r.get(0),
        )
    }

    /// The files of a transaction's message (MIME parts with a name and content), in
    /// their order: what its notifications send along.
    pub fn transaction_files(&self, transaction_id: i64) -> Result<Vec<StoredFile>> {
        sql::all(
            self.sql(),
            "SELECT id, filename, size FROM attachments WHERE transaction_id = ?1 AND filename IS NOT NULL \
             AND (content IS NOT NULL OR blob_id IS NOT NULL) ORDER BY id",
            [transaction_id],
            |r| {
                Ok(StoredFile {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    size: r.get::<i64>(2)?.max(0) as u64,
                })
            },
        )
    }

    /// Whether a ticket (or one merged into it) notes already that its message was also
    /// addressed to `queue` (see `WriteTx::note_other_queue`).
    pub fn noted_other_queue(&self, ticket_id: i64, queue: &str) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE ticket_id IN \
               (SELECT id FROM tickets WHERE effective_id = ?1) AND field = ?2 AND new_value = ?3 COLLATE NOCASE)",
            params![ticket_id, ALSO_ADDRESSED_TO, queue],
            |r| r.get(0),
        )
    }

    /// The queue a transaction's mail was delivered to, if it came from mail.
    pub fn delivered_queue(&self, transaction_id: i64) -> Result<Option<String>> {
        sql::optional(
            self.sql(),
            "SELECT r.queue FROM transactions x JOIN raw_messages r ON r.id = x.raw_message_id WHERE x.id = ?1",
            [transaction_id],
            |r| r.get(0),
        )
    }

    /// The raw message with this id.
    pub fn raw_message(&self, id: i64) -> Result<Vec<u8>> {
        let (inline, blob) = sql::optional(
            self.sql(),
            "SELECT bytes, blob_id FROM raw_messages WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or_else(|| Error::NotFound(format!("raw message {id} does not exist")))?;
        self.inline_or_blob(inline, blob)
    }

    /// Every message in quarantine, newest first; `all` includes released ones.
    pub fn quarantine_list(&self, all: bool) -> Result<Vec<QuarantineEntry>> {
        let ids: Vec<i64> = sql::all(
            self.sql(),
            "SELECT q.id FROM quarantine q WHERE ?1 <> 0 OR q.status = 'held' ORDER BY q.id DESC",
            [all],
            |r| r.get(0),
        )?;
        ids.into_iter().map(|id| self.quarantine_entry(id)).collect()
    }

    /// One quarantined message.
    pub fn quarantine_entry(&self, id: i64) -> Result<QuarantineEntry> {
        let row = sql::optional(
            self.sql(),
            "SELECT q.id, q.received, q.delivery, q.error, q.status, q.attempts, q.ticket_id, \
                   length(r.bytes), substr(r.bytes, 1, 2000), r.blob_id \
                 FROM quarantine q JOIN raw_messages r ON r.id = q.raw_message_id WHERE q.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<i64>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                    r.get::<String>(3)?,
                    r.get::<String>(4)?,
                    r.get::<i64>(5)?,
                    r.get::<Option<i64>>(6)?,
                    r.get::<i64>(7)?,
                    // NULL for the empty bytes of a blob's row
                    r.get::<Option<Vec<u8>>>(8)?.unwrap_or_default(),
                    r.get::<Option<i64>>(9)?,
                ))
            },
        )?
        .ok_or_else(|| Error::NotFound(format!("quarantine entry {id} does not exist")))?;
        let (id, received, delivery, error, status, attempts, ticket, size, head, blob) = row;
        let (size, head) = match blob {
            Some(blob) => self.blob_head(blob, 2000)?,
            None => (size, head),
        };
        let summary = String::from_utf8_lossy(&head)
            .lines()
            .filter(|l| {
                ["from:", "subject:", "date:", "message-id:"]
                    .iter()
                    .any(|h| l.to_ascii_lowercase().starts_with(h))
            })
            .collect::<Vec<_>>()
            .join("\n");
        Ok(QuarantineEntry {
            id,
            received: parse_ts(&received)?,
            delivery: serde_json::from_str(&delivery).unwrap_or(serde_json::Value::Null),
            error,
            status,
            attempts,
            ticket,
            size,
            summary,
        })
    }

    /// The raw message id and delivery JSON of a quarantined message.
    pub fn quarantined_message(&self, id: i64) -> Result<(i64, String, String)> {
        sql::optional(
            self.sql(),
            "SELECT raw_message_id, delivery, status FROM quarantine WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .ok_or_else(|| Error::NotFound(format!("quarantine entry {id} does not exist")))
    }
}

/// A file of a stored message ([`Db::transaction_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The attachment's id.
    pub id: i64,
    /// The name the sender gave it.
    pub name: String,
    /// Its size, decoded.
    pub size: u64,
}

/// The `field` of the comment that notes a message was also addressed to another queue;
/// its `new_value` names the queue.
pub const ALSO_ADDRESSED_TO: &str = "AlsoAddressedTo";

/// A delivered message's bytes as the store keeps them: inline, or written ahead as a blob
/// (a large message; see `store::blobs`). Its hash is taken once, outside the writer.
#[derive(Debug, Clone)]
pub struct RawBytes<'a> {
    pub bytes: &'a [u8],
    /// SHA-256 of `bytes`, in hex.
    pub sha256: String,
    pub blob: Option<i64>,
}

impl<'a> RawBytes<'a> {
    /// Bytes to be stored inline.
    pub fn new(bytes: &'a [u8]) -> RawBytes<'a> {
        RawBytes {
            bytes,
            sha256: hex(&Sha256::digest(bytes)),
            blob: None,
        }
    }
}

impl WriteTx<'_> {
    /// Keeps a raw message as delivered.
    pub fn insert_raw_message(&self, raw: &RawBytes<'_>, queue: &str, action: &str, now: Timestamp) -> Result<i64> {
        let inline: &[u8] = if raw.blob.is_some() { &[] } else { raw.bytes };
        if let Some(blob) = raw.blob {
            self.keep_blob(blob)?;
        }
        sql::one(
            self.sql(),
            "INSERT INTO raw_messages (received, queue, action, sha256, bytes, blob_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![ts(now), queue, action, raw.sha256, inline, raw.blob],
            |r| r.get(0),
        )
    }

    /// Claims a message's key before it is stored, so that of two deliveries of one
    /// message only one stores it, whichever daemon each reaches: `None` when the key is
    /// now this transaction's, else what the first delivery made of it. The claim is an
    /// insert under the key's unique constraint, not a check followed by an insert: a
    /// database with concurrent writers makes the second wait for the first's commit
    /// and then see its result (with one writer, as SQLite, the check could not race
    /// anyway). [`WriteTx::mark_seen`] fills the claim in, in the same transaction.
    pub fn claim_seen(&self, key: &str, now: Timestamp) -> Result<Option<Seen>> {
        let claimed = sql::execute(
            self.sql(),
            "INSERT INTO seen_messages (key, first_seen) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![key, ts(now)],
        )?;
        if claimed == 1 {
            return Ok(None);
        }
        self.seen(key)?
            .map(Some)
            .ok_or_else(|| Error::Internal(format!("message key {key} is neither claimed nor seen")))
    }

    /// Remembers that the message with this key has been accepted, and what it became.
    pub fn mark_seen(&self, key: &str, seen: &Seen, now: Timestamp) -> Result<()> {
        sql::execute(
            self.sql(),
            "INSERT INTO seen_messages (key, first_seen, ticket_id, transaction_id, quarantine_id) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET ticket_id = excluded.ticket_id, \
             transaction_id = excluded.transaction_id, quarantine_id = excluded.quarantine_id",
            params![key, ts(now), seen.ticket_id, seen.transaction_id, seen.quarantine_id],
        )?;
        Ok(())
    }

    /// Remembers a Message-ID stored (`in`) or sent (`out`) on a ticket; the first ticket to
    /// claim an id keeps it.
    pub fn record_message_id(
        &self,
        message_id: &str,
        ticket_id: i64,
        transaction_id: Option<i64>,
        outbound: bool,
    ) -> Result<()> {
        sql::execute(
            self.sql(),
            "INSERT INTO message_ids (message_id, ticket_id, transaction_id, direction) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![
                message_id,
                ticket_id,
                transaction_id,
                if outbound { "out" } else { "in" }
            ],
        )?;
        Ok(())
    }

    /// Takes one of the `limit` autoreplies an address may get in the window from
    /// `since`: its id, or `None` when the window is full. The count and the record are
    /// one statement, so no two takers both get the last one (one writer at a time per
    /// address: SQLite's single writer, PostgreSQL's lock on the address).
    pub fn take_autoreply(&self, address: &str, since: Timestamp, limit: u32, now: Timestamp) -> Result<Option<i64>> {
        // SQLite has one writer at a time; on PostgreSQL takers of one address queue up
        // here until the taker before them commits (a lock for the transaction's length)
        if self.dialect() == Dialect::Postgres {
            sql::one(
                self.sql(),
                "SELECT CAST(pg_advisory_xact_lock(hashtext(lower(?1))) AS TEXT)",
                [address],
                |_| Ok(()),
            )?;
        }
        // the log has no id column: its rowid is the id (PostgreSQL's schema names a
        // column so)
        sql::optional(
            self.sql(),
            "INSERT INTO autoreply_log (address, sent) SELECT ?1, ?2 \
             WHERE (SELECT COUNT(*) FROM autoreply_log WHERE address = ?1 AND sent >= ?3) < ?4 RETURNING rowid",
            params![address, ts(now), ts(since), limit],
            |r| r.get(0),
        )
    }

    /// Gives back an autoreply taken but not sent (nobody was left to send it to).
    pub fn return_autoreply(&self, id: i64) -> Result<()> {
        sql::execute(self.sql(), "DELETE FROM autoreply_log WHERE rowid = ?1", [id])?;
        Ok(())
    }

    /// Puts a message into quarantine.
    pub fn insert_quarantine(&self, raw_message_id: i64, delivery: &str, error: &str, now: Timestamp) -> Result<i64> {
        sql::one(
            self.sql(),
            "INSERT INTO quarantine (received, raw_message_id, delivery, error, status) \
             VALUES (?1, ?2, ?3, ?4, 'held') RETURNING id",
            params![ts(now), raw_message_id, delivery, error],
            |r| r.get(0),
        )
    }

    /// A retry of a quarantined message succeeded: it became this ticket.
    pub fn release_quarantine(&self, id: i64, ticket_id: i64) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE quarantine SET status = 'released', ticket_id = ?2, attempts = attempts + 1 WHERE id = ?1",
            params![id, ticket_id],
        )?;
        Ok(())
    }

    /// A retry of a quarantined message failed again.
    pub fn quarantine_failed_again(&self, id: i64, error: &str) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE quarantine SET error = ?2, attempts = attempts + 1 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_message_key_is_claimed_once_then_answers_what_the_first_delivery_made() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let now = parse_ts("2026-12-01T10:00:00Z").unwrap();
        let tx = store.begin().unwrap();
        assert_eq!(tx.claim_seen("mid:a@x", now).unwrap(), None);
        let quarantined = Seen {
            ticket_id: None,
            transaction_id: None,
            quarantine_id: None,
        };
        tx.mark_seen("mid:a@x", &quarantined, now).unwrap();
        tx.commit().unwrap();

        let tx = store.begin().unwrap();
        assert_eq!(tx.claim_seen("mid:a@x", now).unwrap(), Some(quarantined));
        assert_eq!(tx.claim_seen("mid:b@x", now).unwrap(), None);
        // a claim rolled back with its transaction leaves the key free
        drop(tx);
        store.roll_back_if_open().unwrap();
        let tx = store.begin().unwrap();
        assert_eq!(tx.claim_seen("mid:b@x", now).unwrap(), None);
    }

    #[test]
    fn an_address_gets_at_most_its_limit_of_autoreplies_in_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let at = |m: u32| parse_ts(&format!("2026-12-01T10:{m:02}:00Z")).unwrap();
        let tx = store.begin().unwrap();
        let first = tx.take_autoreply("zoe@example.net", at(0), 2, at(1)).unwrap();
        assert!(first.is_some());
        assert!(tx.take_autoreply("ZOE@example.net", at(0), 2, at(2)).unwrap().is_some());
        assert_eq!(tx.take_autoreply("zoe@example.net", at(0), 2, at(3)).unwrap(), None);
        // another address has its own count; one given back frees its place
        assert!(tx.take_autoreply("bob@example.net", at(0), 2, at(3)).unwrap().is_some());
        tx.return_autoreply(first.unwrap()).unwrap();
        assert!(tx.take_autoreply("zoe@example.net", at(0), 2, at(4)).unwrap().is_some());
        // later, the window has moved past the first ones
        assert_eq!(tx.take_autoreply("zoe@example.net", at(0), 2, at(5)).unwrap(), None);
        assert!(
            tx.take_autoreply("zoe@example.net", at(3), 2, at(59))
                .unwrap()
                .is_some()
        );
    }
}
