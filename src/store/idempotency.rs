//! The answers of API writes sent with an `Idempotency-Key`: a client that lost an answer
//! (a timeout, a dropped connection) sends the request again with the same key and gets
//! the first answer, without the change being made twice. The key is claimed in the same
//! transaction as the change, so it is remembered exactly when the change was made.

use super::sql::{self, params};
use super::{Db, WriteTx, ts};
use crate::error::Result;
use crate::ticket::Timestamp;

/// How long an answer is kept: a retry comes within minutes; a day covers a client that
/// retries after a night's outage.
pub const IDEMPOTENCY_KEPT: chrono::Duration = chrono::Duration::hours(24);

/// The answer kept for a key, with the request it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// What identifies the request (a hash of its method, path and body).
    pub request: String,
    /// The answer, as JSON.
    pub answer: String,
}

impl Db<'_> {
    /// The answer kept for `user`'s `key`, if it is younger than [`IDEMPOTENCY_KEPT`].
    pub fn kept_answer(&self, user: i64, key: &str, now: Timestamp) -> Result<Option<KeptAnswer>> {
        sql::optional(
            self.sql(),
            "SELECT request, answer FROM idempotency_keys WHERE user_id = ?1 AND key = ?2 AND created >= ?3",
            params![user, key, ts(now - IDEMPOTENCY_KEPT)],
            |r| {
                Ok(KeptAnswer {
                    request: r.get(0)?,
                    answer: r.get(1)?,
                })
            },
        )
    }
}

impl WriteTx<'_> {
    /// Keeps the answer to `user`'s request under `key` (replacing an expired one), and
    /// forgets answers older than [`IDEMPOTENCY_KEPT`].
    pub fn keep_answer(&self, user: i64, key: &str, kept: &KeptAnswer, now: Timestamp) -> Result<()> {
        sql::execute(
            self.sql(),
            "DELETE FROM idempotency_keys WHERE created < ?1",
            [ts(now - IDEMPOTENCY_KEPT)],
        )?;
        sql::execute(
            self.sql(),
            "INSERT INTO idempotency_keys (user_id, key, request, answer, created) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (user_id, key) DO UPDATE SET request = excluded.request, answer = excluded.answer, \
               created = excluded.created",
            params![user, key, kept.request, kept.answer, ts(now)],
        )?;
        Ok(())
    }
}
