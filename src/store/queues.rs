//! Queues and their watchers.

use super::sql::{self, Row, params};
use super::{Db, WriteTx, ts};
use crate::config::QueueConfig;
use crate::error::{Error, Result};
use crate::queue::NonWatcherMail;
use crate::ticket::{Role, Timestamp};
use crate::user::User;

/// A queue as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub comment_address: String,
    pub description: String,
    /// The queue's own subject tag name, if it has one.
    pub subject_tag: Option<String>,
    /// The name of its tickets' lifecycle.
    pub lifecycle: String,
    pub resolve_with_open_dependencies: bool,
    pub resolve_parent_with_children: bool,
    pub reopen_window_days: Option<u32>,
    pub non_watcher_mail: NonWatcherMail,
    /// Defined in the config file (which wins at every start), not by `tkt queue`.
    pub from_config: bool,
}

fn queue_from_row(row: &Row<'_>) -> Result<QueueRow> {
    let policy: String = row.get(5)?;
    Ok(QueueRow {
        id: row.get(0)?,
        name: row.get(1)?,
        address: row.get::<Option<String>>(2)?.unwrap_or_default(),
        comment_address: row.get::<Option<String>>(3)?.unwrap_or_default(),
        description: row.get(4)?,
        non_watcher_mail: policy.parse().unwrap_or_default(),
        from_config: row.get::<String>(6)? == "config",
        subject_tag: row.get(7)?,
        lifecycle: row.get(8)?,
        resolve_with_open_dependencies: row.get(9)?,
        resolve_parent_with_children: row.get(10)?,
        reopen_window_days: row.get(11)?,
    })
}

const QUEUE_COLUMNS: &str = "id, name, address, comment_address, description, non_watcher_mail, source, subject_tag, lifecycle, \
     resolve_with_open_dependencies, resolve_parent_with_children, reopen_window_days";

impl Db<'_> {
    /// The enabled queue with this name (case-insensitive).
    pub fn queue_by_name(&self, name: &str) -> Result<Option<QueueRow>> {
        sql::optional(
            self.sql(),
            &format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE name = ?1 AND disabled = 0"),
            [name],
            queue_from_row,
        )
    }

    /// The queue with this id.
    pub fn queue(&self, id: i64) -> Result<QueueRow> {
        sql::optional(
            self.sql(),
            &format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE id = ?1"),
            [id],
            queue_from_row,
        )?
        .ok_or_else(|| Error::NotFound(format!("no queue with id {id}")))
    }

    /// The users watching every ticket of a queue in `role` (Cc or AdminCc), members of
    /// watching groups included.
    pub fn queue_watchers(&self, queue_id: i64, role: Role) -> Result<Vec<User>> {
        let ids: Vec<i64> = sql::all(
            self.sql(),
            "SELECT principal_id FROM queue_watchers WHERE queue_id = ?1 AND role = ?2 ORDER BY principal_id",
            params![queue_id, role.as_str()],
            |r| r.get(0),
        )?;
        self.users_in(&ids)
    }
}

impl Db<'_> {
    /// How many tickets each queue holds in each status, merged tickets left out: read
    /// from `ticket_counts`, which triggers keep, so it costs nothing however many
    /// tickets there are. Ignores rights: the workflow shows it only for whole queues a
    /// user may see.
    pub fn ticket_counts(&self) -> Result<Vec<(i64, String, i64)>> {
        sql::all(
            self.sql(),
            "SELECT queue_id, status, n FROM ticket_counts WHERE n > 0 ORDER BY queue_id, status",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// [`Db::ticket_counts`] by queue name, disabled queues too: what metrics report.
    pub fn ticket_counts_by_queue_name(&self) -> Result<Vec<(String, String, i64)>> {
        sql::all(
            self.sql(),
            "SELECT q.name, c.status, c.n FROM ticket_counts c JOIN queues q ON q.id = c.queue_id \
             ORDER BY q.name, c.status",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// Every enabled queue, by name.
    pub fn queues(&self) -> Result<Vec<QueueRow>> {
        sql::all(
            self.sql(),
            &format!("SELECT {QUEUE_COLUMNS} FROM queues WHERE disabled = 0 ORDER BY name"),
            [],
            queue_from_row,
        )
    }

    /// The queues' own subject tag names.
    pub fn queue_tags(&self) -> Result<Vec<String>> {
        sql::all(
            self.sql(),
            "SELECT DISTINCT subject_tag FROM queues WHERE subject_tag IS NOT NULL ORDER BY 1",
            [],
            |r| r.get(0),
        )
    }

    /// What the config decides in the database, one line per thing, sorted: its queues
    /// (with their settings and watchers) and the custom fields. Daemons sharing a
    /// database must agree on it, since each writes its own config's at start.
    pub fn config_state(&self) -> Result<Vec<String>> {
        let mut lines = sql::all(
            self.sql(),
            "SELECT 'queue ' || name || ': address ' || COALESCE(address, '-') \
                    || ', comment address ' || COALESCE(comment_address, '-') \
                    || ', description ' || description || ', tag ' || COALESCE(subject_tag, '-') \
                    || ', lifecycle ' || lifecycle || ', non-watcher mail ' || non_watcher_mail \
                    || ', resolve with open dependencies ' || resolve_with_open_dependencies \
                    || ', resolve parent with children ' || resolve_parent_with_children \
                    || ', reopen window ' || COALESCE(CAST(reopen_window_days AS TEXT), '-') \
                    || CASE WHEN disabled = 1 THEN ', disabled' ELSE '' END \
             FROM queues WHERE source = 'config' \
             UNION ALL \
             SELECT 'queue ' || q.name || ': ' || w.role || ' ' || COALESCE(u.email, u.name) \
             FROM queue_watchers w JOIN queues q ON q.id = w.queue_id JOIN users u ON u.id = w.principal_id \
             WHERE q.source = 'config' \
             UNION ALL \
             SELECT 'custom field ' || name || ': ' || type || ' ' || COALESCE(allowed, '') \
                    || CASE WHEN disabled = 1 THEN ', disabled' ELSE '' END \
             FROM custom_fields WHERE queue_id IS NULL",
            [],
            |r| r.get::<String>(0),
        )?;
        lines.sort();
        Ok(lines)
    }

    /// Whether the address is one of a queue's: mail from it is our own.
    pub fn is_queue_address(&self, address: &str) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM queues WHERE address = ?1 COLLATE NOCASE \
               OR comment_address = ?1 COLLATE NOCASE)",
            [address],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Makes the queues the config defines match it: creates them, updates their
    /// addresses, policy and watchers. Queues the config no longer defines are disabled,
    /// never deleted, so their tickets keep their history. Queues made by `tkt queue`
    /// are left alone.
    pub fn sync_queues(&self, queues: &[QueueConfig], now: Timestamp) -> Result<()> {
        sql::execute(self.sql(), "UPDATE queues SET disabled = 1 WHERE source = 'config'", [])?;
        for q in queues {
            sql::execute(
                self.sql(),
                "INSERT INTO queues (name, address, comment_address, description, non_watcher_mail, subject_tag, \
                   lifecycle, resolve_with_open_dependencies, resolve_parent_with_children, reopen_window_days, \
                   source, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9, ?10, ?11, 'config', ?7) \
                 ON CONFLICT (name) DO UPDATE SET address = excluded.address, \
                   comment_address = excluded.comment_address, description = excluded.description, \
                   non_watcher_mail = excluded.non_watcher_mail, subject_tag = excluded.subject_tag, \
                   lifecycle = excluded.lifecycle, \
                   resolve_with_open_dependencies = excluded.resolve_with_open_dependencies, \
                   resolve_parent_with_children = excluded.resolve_parent_with_children, \
                   reopen_window_days = excluded.reopen_window_days, source = 'config', disabled = 0",
                params![
                    q.name,
                    q.address(),
                    q.comment_address(),
                    q.description,
                    q.non_watcher_mail.as_str(),
                    q.tag,
                    ts(now),
                    q.lifecycle.as_deref().unwrap_or("default"),
                    q.resolve_with_open_dependencies,
                    q.resolve_parent_with_children,
                    q.reopen_window_days
                ],
            )?;
            let id: i64 = sql::one(self.sql(), "SELECT id FROM queues WHERE name = ?1", [&q.name], |r| {
                r.get(0)
            })?;
            sql::execute(self.sql(), "DELETE FROM queue_watchers WHERE queue_id = ?1", [id])?;
            for (role, addresses, privileged) in [(Role::Cc, &q.cc, false), (Role::AdminCc, &q.admin_cc, true)] {
                for address in addresses {
                    let user = self.ensure_user(address, "", privileged, now)?;
                    self.add_queue_watcher(id, role, user.id)?;
                }
            }
        }
        Ok(())
    }

    /// Creates a queue managed by `tkt queue`.
    pub fn create_queue(&self, name: &str, address: &str, comment_address: &str, now: Timestamp) -> Result<QueueRow> {
        let exists: bool = sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM queues WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::Conflict(format!("a queue named `{name}` exists already")));
        }
        let id: i64 = sql::one(
            self.sql(),
            "INSERT INTO queues (name, address, comment_address, source, created) \
             VALUES (?1, ?2, ?3, 'admin', ?4) RETURNING id",
            params![name, address, comment_address, ts(now)],
            |r| r.get(0),
        )?;
        self.queue(id)
    }

    /// Changes a queue's field: `address`, `comment_address`, `description`,
    /// `non_watcher_mail` or `subject_tag`.
    pub fn set_queue_field(&self, queue_id: i64, field: QueueField, value: &str) -> Result<()> {
        let column = match field {
            QueueField::Address => "address",
            QueueField::CommentAddress => "comment_address",
            QueueField::Description => "description",
            QueueField::NonWatcherMail => "non_watcher_mail",
            QueueField::SubjectTag => "subject_tag",
        };
        // an empty tag means "use mail.tag"; other fields may be empty
        let value = Some(value).filter(|v| !v.is_empty() || field != QueueField::SubjectTag);
        sql::execute(
            self.sql(),
            &format!("UPDATE queues SET {column} = ?2 WHERE id = ?1"),
            params![queue_id, value],
        )?;
        Ok(())
    }

    /// Adds a watcher of every ticket of a queue; false when they were one already.
    pub fn add_queue_watcher(&self, queue_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO queue_watchers (queue_id, role, principal_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![queue_id, role.as_str(), principal_id],
        )? == 1)
    }

    /// Removes a queue watcher; false when they were none.
    pub fn remove_queue_watcher(&self, queue_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM queue_watchers WHERE queue_id = ?1 AND role = ?2 AND principal_id = ?3",
            params![queue_id, role.as_str(), principal_id],
        )? == 1)
    }
}

/// A field of a queue that `tkt queue set` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueField {
    Address,
    CommentAddress,
    Description,
    NonWatcherMail,
    /// Empty clears it.
    SubjectTag,
}
