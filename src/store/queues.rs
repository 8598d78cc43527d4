//! Queues and their watchers.

use rusqlite::{OptionalExtension, Row, params};

use super::{Db, WriteTx, cached_execute, cached_row, ts};
use crate::config::QueueConfig;
use crate::error::{Error, Result};
use crate::ticket::{Role, Timestamp};
use crate::user::User;

/// A queue as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub comment_address: String,
}

fn queue_from_row(row: &Row<'_>) -> rusqlite::Result<QueueRow> {
    Ok(QueueRow {
        id: row.get(0)?,
        name: row.get(1)?,
        address: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
        comment_address: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
    })
}

const QUEUE_COLUMNS: &str = "id, name, address, comment_address";

impl Db<'_> {
    /// The enabled queue with this name (case-insensitive).
    pub fn queue_by_name(&self, name: &str) -> Result<Option<QueueRow>> {
        Ok(cached_row(
            self.conn,
            &format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE name = ?1 AND disabled = 0"),
            [name],
            queue_from_row,
        )
        .optional()?)
    }

    /// The queue with this id.
    pub fn queue(&self, id: i64) -> Result<QueueRow> {
        cached_row(
            self.conn,
            &format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE id = ?1"),
            [id],
            queue_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no queue with id {id}")))
    }

    /// The users watching every ticket of a queue in `role` (Cc or AdminCc).
    pub fn queue_watchers(&self, queue_id: i64, role: Role) -> Result<Vec<User>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT w.principal_id FROM queue_watchers w JOIN users u ON u.id = w.principal_id \
                 WHERE w.queue_id = ?1 AND w.role = ?2 ORDER BY w.principal_id",
            )?
            .query_map(params![queue_id, role.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| self.user(id)).collect()
    }
}

impl WriteTx<'_> {
    /// Makes the queues table match the config: creates new queues, updates addresses and
    /// replaces the queue watchers. Queues no longer configured are disabled, never deleted,
    /// so their tickets keep their history.
    pub fn sync_queues(&self, queues: &[QueueConfig], now: Timestamp) -> Result<()> {
        cached_execute(self.conn(), "UPDATE queues SET disabled = 1", [])?;
        for q in queues {
            cached_execute(
                self.conn(),
                "INSERT INTO queues (name, address, comment_address, description, created) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (name) DO UPDATE SET address = excluded.address, \
                   comment_address = excluded.comment_address, description = excluded.description, disabled = 0",
                params![q.name, q.address(), q.comment_address(), q.description, ts(now)],
            )?;
            let id: i64 = self
                .conn()
                .query_row("SELECT id FROM queues WHERE name = ?1", [&q.name], |r| r.get(0))?;
            self.conn()
                .execute("DELETE FROM queue_watchers WHERE queue_id = ?1", [id])?;
            for (role, addresses, privileged) in [(Role::Cc, &q.cc, false), (Role::AdminCc, &q.admin_cc, true)] {
                for address in addresses {
                    let user = self.ensure_user(address, "", privileged, now)?;
                    cached_execute(
                        self.conn(),
                        "INSERT OR IGNORE INTO queue_watchers (queue_id, role, principal_id) VALUES (?1, ?2, ?3)",
                        params![id, role.as_str(), user.id],
                    )?;
                }
            }
        }
        Ok(())
    }
}
