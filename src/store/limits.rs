//! The notification log: mail sent (or held back) per ticket and address, for the
//! per-ticket rate limit that keeps two autoresponders from mailing each other through a
//! ticket without end.

use super::sql::{self, params};
use super::{Db, WriteTx, ts};
use crate::error::Result;
use crate::ticket::Timestamp;

impl Db<'_> {
    /// Mail about ticket `ticket_id` that went to `address` since `since`.
    pub fn notifications_since(&self, ticket_id: i64, address: &str, since: Timestamp) -> Result<u32> {
        sql::one(
            self.sql(),
            "SELECT COUNT(*) FROM notification_log \
             WHERE ticket_id = ?1 AND address = ?2 AND sent >= ?3 AND held = 0",
            params![ticket_id, address, ts(since)],
            |r| r.get(0),
        )
    }

    /// Whether mail about the ticket to `address` was held back since `since`.
    pub fn notification_held_since(&self, ticket_id: i64, address: &str, since: Timestamp) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM notification_log \
             WHERE ticket_id = ?1 AND address = ?2 AND sent >= ?3 AND held = 1)",
            params![ticket_id, address, ts(since)],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Counts mail about a ticket to `address` against the limit, or (`held`) notes that
    /// it was held back.
    pub fn log_notification(&self, ticket_id: i64, address: &str, held: bool, now: Timestamp) -> Result<()> {
        sql::execute(
            self.sql(),
            "INSERT INTO notification_log (ticket_id, address, sent, held) VALUES (?1, ?2, ?3, ?4)",
            params![ticket_id, address, ts(now), held],
        )?;
        Ok(())
    }

    /// Forgets the autoreplies and notifications older than `before`: they no longer count
    /// against any limit.
    pub fn prune_mail_logs(&self, before: Timestamp) -> Result<usize> {
        let autoreplies = sql::execute(self.sql(), "DELETE FROM autoreply_log WHERE sent < ?1", [ts(before)])?;
        let notifications = sql::execute(self.sql(), "DELETE FROM notification_log WHERE sent < ?1", [ts(before)])?;
        Ok(autoreplies + notifications)
    }
}
