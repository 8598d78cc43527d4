//! Tickets, watchers, transactions and attachments.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, ToSql, params};

use super::{Db, WriteTx, cached_execute, cached_row, parse_opt_ts, parse_ts, ts};
use crate::error::{Error, Result};
use crate::mail::Part;
use crate::ticket::{AttachmentInfo, Role, Status, Ticket, Timestamp, Transaction, TransactionKind};
use crate::user::User;

/// A ticket's own row, with ids rather than names: what the workflow reasons about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    pub id: i64,
    pub effective_id: i64,
    pub queue_id: i64,
    pub subject: String,
    pub status: Status,
    pub owner_id: i64,
    pub priority: i64,
    pub initial_priority: i64,
    pub final_priority: i64,
    pub started: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub due: Option<Timestamp>,
    pub starts: Option<Timestamp>,
    pub time_estimated: i64,
    pub time_left: i64,
    pub time_worked: i64,
}

/// What a new ticket starts with.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub queue_id: i64,
    pub subject: &'a str,
    pub status: Status,
    pub owner_id: i64,
    pub priority: i64,
    /// Where escalation takes it (RT's FinalPriority).
    pub final_priority: i64,
    pub creator_id: i64,
    pub now: Timestamp,
}

/// A new entry in a ticket's history.
#[derive(Debug, Clone)]
pub struct NewTransaction<'a> {
    pub ticket_id: i64,
    pub kind: TransactionKind,
    pub field: Option<&'a str>,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub content: &'a str,
    pub time_taken: i64,
    pub creator_id: i64,
    pub now: Timestamp,
    pub raw_message_id: Option<i64>,
}

impl<'a> NewTransaction<'a> {
    /// A transaction of `kind` with nothing but its creator and time.
    pub fn new(ticket_id: i64, kind: TransactionKind, creator_id: i64, now: Timestamp) -> NewTransaction<'a> {
        NewTransaction {
            ticket_id,
            kind,
            field: None,
            old_value: None,
            new_value: None,
            content: "",
            time_taken: 0,
            creator_id,
            now,
            raw_message_id: None,
        }
    }
}

/// A ticket row with its dates still as stored (started, resolved, due, starts).
type RawTicketRow = (TicketRow, [Option<String>; 4]);

fn ticket_row_from(row: &Row<'_>) -> rusqlite::Result<RawTicketRow> {
    Ok((
        TicketRow {
            id: row.get(0)?,
            effective_id: row.get(1)?,
            queue_id: row.get(2)?,
            subject: row.get(3)?,
            status: Status::named(&row.get::<_, String>(4)?),
            owner_id: row.get(5)?,
            priority: row.get(6)?,
            initial_priority: row.get(7)?,
            final_priority: row.get(8)?,
            started: None,
            resolved: None,
            due: None,
            starts: None,
            time_estimated: row.get(13)?,
            time_left: row.get(14)?,
            time_worked: row.get(15)?,
        },
        [row.get(9)?, row.get(10)?, row.get(11)?, row.get(12)?],
    ))
}

/// Display name of a user in history and JSON: the address, or the login name.
const USER_DISPLAY: &str = "COALESCE(u.email, u.name)";

impl Db<'_> {
    /// The ticket's row, if it exists.
    pub fn ticket_row(&self, id: i64) -> Result<Option<TicketRow>> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT id, effective_id, queue_id, subject, status, owner_id, priority, \
                 initial_priority, final_priority, started, resolved, due, starts, time_estimated, time_left, \
                 time_worked FROM tickets WHERE id = ?1",
            )?
            .query_row([id], ticket_row_from)
            .optional()?;
        found
            .map(|(mut row, [started, resolved, due, starts])| {
                row.started = parse_opt_ts(started)?;
                row.resolved = parse_opt_ts(resolved)?;
                row.due = parse_opt_ts(due)?;
                row.starts = parse_opt_ts(starts)?;
                Ok(row)
            })
            .transpose()
    }

    /// The ticket a number refers to now: itself, or the ticket it was merged into.
    pub fn effective_ticket(&self, id: i64) -> Result<Option<i64>> {
        Ok(self.ticket_row(id)?.map(|t| t.effective_id))
    }

    /// The row of the ticket a number refers to now (a merged ticket's survivor), or
    /// `NotFound`.
    pub fn current_ticket(&self, id: i64) -> Result<TicketRow> {
        self.effective_ticket(id)?
            .and_then(|e| self.ticket_row(e).transpose())
            .transpose()?
            .ok_or_else(|| Error::NotFound(format!("ticket {id} does not exist")))
    }

    /// The users in a role of a ticket (not the Owner, which is a field), members of
    /// groups in the role included.
    pub fn ticket_watchers(&self, ticket_id: i64, role: Role) -> Result<Vec<User>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT principal_id FROM ticket_roles WHERE ticket_id = ?1 AND role = ?2 ORDER BY principal_id",
            )?
            .query_map(params![ticket_id, role.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        self.users_in(&ids)
    }

    /// Whether the user holds the role on the ticket.
    pub fn is_watcher(&self, ticket_id: i64, role: Role, user_id: i64) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM ticket_roles WHERE ticket_id = ?1 AND role = ?2 AND principal_id = ?3)",
            )?
            .query_row(params![ticket_id, role.as_str(), user_id], |r| r.get(0))?)
    }

    /// The ticket as shown to people, with its history when `with_history`.
    pub fn ticket(&self, id: i64, with_history: bool) -> Result<Ticket> {
        let mut ticket = self
            .conn
            .prepare_cached(&format!(
                "SELECT t.id, t.effective_id, q.name, t.subject, t.status, \
                   CASE WHEN t.owner_id = {nobody} THEN 'Nobody' ELSE {USER_DISPLAY} END, \
                   t.priority, t.initial_priority, t.final_priority, \
                   (SELECT COALESCE(c.email, c.name) FROM users c WHERE c.id = t.creator_id), \
                   t.created, t.updated, t.started, t.resolved, t.told, t.due, \
                   t.time_worked, t.time_estimated, t.time_left, t.starts, t.sla \
                 FROM tickets t JOIN queues q ON q.id = t.queue_id JOIN users u ON u.id = t.owner_id \
                 WHERE t.id = ?1",
                nobody = crate::user::NOBODY_ID
            ))?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    [
                        r.get::<_, i64>(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(16)?,
                        r.get(17)?,
                        r.get(18)?,
                    ],
                    r.get::<_, String>(9)?,
                    [r.get::<_, String>(10)?, r.get(11)?],
                    [
                        r.get::<_, Option<String>>(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                        r.get(19)?,
                    ],
                    r.get::<_, Option<String>>(20)?,
                ))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("ticket {id} does not exist")))
            .and_then(
                |(id, effective_id, queue, subject, status, owner, numbers, creator, times, dates, sla)| {
                    let [
                        priority,
                        initial_priority,
                        final_priority,
                        time_worked,
                        time_estimated,
                        time_left,
                    ] = numbers;
                    let [created, updated] = times;
                    let [started, resolved, told, due, starts] = dates;
                    Ok(Ticket {
                        id,
                        effective_id,
                        queue,
                        subject,
                        status: Status::named(&status),
                        owner,
                        priority,
                        initial_priority,
                        final_priority,
                        requestors: Vec::new(),
                        cc: Vec::new(),
                        admincc: Vec::new(),
                        creator,
                        created: parse_ts(&created)?,
                        updated: parse_ts(&updated)?,
                        started: parse_opt_ts(started)?,
                        resolved: parse_opt_ts(resolved)?,
                        told: parse_opt_ts(told)?,
                        due: parse_opt_ts(due)?,
                        time_worked,
                        time_estimated,
                        time_left,
                        links: Vec::new(),
                        custom_fields: Default::default(),
                        starts: parse_opt_ts(starts)?,
                        sla,
                        transactions: None,
                    })
                },
            )?;
        let addresses = |role: Role| -> Result<Vec<String>> {
            Ok(self
                .ticket_watchers(id, role)?
                .iter()
                .map(|u| u.display_name().to_string())
                .collect())
        };
        ticket.requestors = addresses(Role::Requestor)?;
        ticket.cc = addresses(Role::Cc)?;
        ticket.admincc = addresses(Role::AdminCc)?;
        ticket.links = self.links(id)?;
        ticket.custom_fields = self.custom_field_values(id)?;
        if with_history {
            ticket.transactions = Some(self.transactions(id)?);
        }
        Ok(ticket)
    }

    /// The history of a ticket and of every ticket merged into it, oldest first.
    pub fn transactions(&self, ticket_id: i64) -> Result<Vec<Transaction>> {
        let mut attachments: HashMap<i64, Vec<AttachmentInfo>> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.transaction_id, a.id, a.parent_id, a.filename, a.content_type, a.size \
             FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
             WHERE x.ticket_id IN (SELECT id FROM tickets WHERE effective_id = ?1) ORDER BY a.id",
        )?;
        let rows = stmt.query_map([ticket_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                AttachmentInfo {
                    id: r.get(1)?,
                    parent: r.get(2)?,
                    filename: r.get(3)?,
                    content_type: r.get(4)?,
                    size: r.get(5)?,
                },
            ))
        })?;
        for row in rows {
            let (transaction, info) = row?;
            attachments.entry(transaction).or_default().push(info);
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT x.id, x.ticket_id, x.type, x.field, x.old_value, x.new_value, {USER_DISPLAY}, x.created, \
               x.content, x.time_taken, x.raw_message_id IS NOT NULL \
             FROM transactions x JOIN users u ON u.id = x.creator_id \
             WHERE x.ticket_id IN (SELECT id FROM tickets WHERE effective_id = ?1) ORDER BY x.id"
        ))?;
        let rows = stmt.query_map([ticket_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                [r.get::<_, Option<String>>(3)?, r.get(4)?, r.get(5)?],
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, i64>(9)?,
                r.get::<_, bool>(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, ticket, kind, [field, old_value, new_value], creator, created, content, time_taken, has_raw) =
                row?;
            out.push(Transaction {
                id,
                ticket,
                kind: kind.parse()?,
                field,
                old_value,
                new_value,
                creator,
                created: parse_ts(&created)?,
                content,
                time_taken,
                has_raw_message: has_raw,
                attachments: attachments.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The raw message a transaction was made from, byte for byte.
    pub fn raw_message_of(&self, transaction_id: i64) -> Result<Vec<u8>> {
        let (inline, blob) = cached_row(
            self.conn,
            "SELECT r.bytes, r.blob_id FROM transactions x JOIN raw_messages r ON r.id = x.raw_message_id \
             WHERE x.id = ?1",
            [transaction_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("transaction {transaction_id} has no raw message")))?;
        self.inline_or_blob(inline, blob)
    }

    /// Where a transaction belongs and what it is: its ticket, its kind, and its field.
    pub fn transaction_place(&self, transaction_id: i64) -> Result<TransactionPlace> {
        let (ticket, kind, field): (i64, String, Option<String>) = cached_row(
            self.conn,
            "SELECT ticket_id, type, field FROM transactions WHERE id = ?1",
            [transaction_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("transaction {transaction_id} does not exist")))?;
        Ok(TransactionPlace {
            ticket,
            kind: kind.parse()?,
            field,
        })
    }

    /// The transaction an attachment belongs to, and whether it is an attached file (has
    /// a name) rather than the message's own text.
    pub fn attachment_transaction(&self, attachment_id: i64) -> Result<(i64, bool)> {
        cached_row(
            self.conn,
            "SELECT transaction_id, filename IS NOT NULL FROM attachments WHERE id = ?1",
            [attachment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("attachment {attachment_id} does not exist")))
    }

    /// The content of one attachment, with its type and name.
    pub fn attachment_content(&self, attachment_id: i64) -> Result<AttachmentContent> {
        let (mut content, blob): (AttachmentContent, Option<i64>) = cached_row(
            self.conn,
            "SELECT content_type, filename, COALESCE(content, X''), blob_id, headers, subject, message_id \
             FROM attachments WHERE id = ?1",
            [attachment_id],
            |r| {
                Ok((
                    AttachmentContent {
                        content_type: r.get(0)?,
                        filename: r.get(1)?,
                        bytes: r.get(2)?,
                        headers: r.get(4)?,
                        subject: r.get(5)?,
                        message_id: r.get(6)?,
                    },
                    r.get(3)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("attachment {attachment_id} does not exist")))?;
        content.bytes = self.inline_or_blob(std::mem::take(&mut content.bytes), blob)?;
        Ok(content)
    }
}

/// Where a transaction belongs ([`Db::transaction_place`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionPlace {
    pub ticket: i64,
    pub kind: TransactionKind,
    /// What a change changed; [`crate::ticket::COMMANDS_CUT`] on a message whose command
    /// lines were cut from its text.
    pub field: Option<String>,
}

/// One attachment as stored: what the API serves for `tkt attachment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentContent {
    /// `type/subtype`, lowercased, as the message declared it.
    pub content_type: String,
    /// The name the sender gave the file, if any.
    pub filename: Option<String>,
    /// Decoded: UTF-8 for text parts, bytes otherwise.
    pub bytes: Vec<u8>,
    /// The part's header block as it came (REST2 shows it as RT does).
    pub headers: String,
    /// A message part's subject and Message-ID, when it had them.
    pub subject: Option<String>,
    pub message_id: Option<String>,
}

impl WriteTx<'_> {
    /// Creates a ticket and returns its number.
    pub fn insert_ticket(&self, t: &NewTicket<'_>) -> Result<i64> {
        let now = ts(t.now);
        cached_execute(
            self.conn(),
            "INSERT INTO tickets (effective_id, queue_id, subject, status, owner_id, priority, \
               initial_priority, final_priority, creator_id, created, last_updated_by, updated) \
             VALUES (0, ?1, ?2, ?3, ?4, ?5, ?5, ?8, ?6, ?7, ?6, ?7)",
            params![
                t.queue_id,
                t.subject,
                t.status.as_str(),
                t.owner_id,
                t.priority,
                t.creator_id,
                now,
                t.final_priority
            ],
        )?;
        let id = self.conn().last_insert_rowid();
        self.conn()
            .execute("UPDATE tickets SET effective_id = id WHERE id = ?1", [id])?;
        Ok(id)
    }

    /// Adds a watcher; false when they already were one.
    pub fn add_watcher(&self, ticket_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(cached_execute(
            self.conn(),
            "INSERT INTO ticket_roles (ticket_id, role, principal_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![ticket_id, role.as_str(), principal_id],
        )? == 1)
    }

    /// Removes a watcher; false when they were none.
    pub fn remove_watcher(&self, ticket_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(cached_execute(
            self.conn(),
            "DELETE FROM ticket_roles WHERE ticket_id = ?1 AND role = ?2 AND principal_id = ?3",
            params![ticket_id, role.as_str(), principal_id],
        )? == 1)
    }

    /// Records a transaction; its time is added to the ticket's time worked.
    pub fn insert_transaction(&self, t: &NewTransaction<'_>) -> Result<i64> {
        self.conn()
            .prepare_cached(
                "INSERT INTO transactions (ticket_id, type, field, old_value, new_value, content, time_taken, \
                   creator_id, created, raw_message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                t.ticket_id,
                t.kind.as_str(),
                t.field,
                t.old_value,
                t.new_value,
                t.content,
                t.time_taken,
                t.creator_id,
                ts(t.now),
                t.raw_message_id
            ])?;
        let id = self.conn().last_insert_rowid();
        cached_execute(
            self.conn(),
            "UPDATE tickets SET updated = ?2, last_updated_by = ?3, time_worked = time_worked + ?4 WHERE id = ?1",
            params![t.ticket_id, ts(t.now), t.creator_id, t.time_taken],
        )?;
        Ok(id)
    }

    /// Stores a message's MIME tree under a transaction.
    pub fn insert_parts(&self, transaction_id: i64, parts: &[Part]) -> Result<()> {
        let mut ids: Vec<i64> = Vec::with_capacity(parts.len());
        let mut stmt = self.conn().prepare_cached(
            "INSERT INTO attachments (transaction_id, parent_id, message_id, subject, filename, content_type, \
               headers, content, size, blob_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for part in parts {
            let parent = part.parent.and_then(|p| ids.get(p).copied());
            let size = match part.blob {
                Some((blob, size)) => {
                    self.keep_blob(blob)?;
                    size
                }
                None => part.content.as_ref().map_or(0, Vec::len),
            } as i64;
            stmt.execute(params![
                transaction_id,
                parent,
                part.message_id,
                part.subject,
                part.filename,
                part.content_type,
                part.headers,
                part.content,
                size,
                part.blob.map(|(blob, _)| blob)
            ])?;
            ids.push(self.conn().last_insert_rowid());
        }
        Ok(())
    }

    /// Sets a ticket column. `column` comes from this module's callers, never from input.
    fn set_column(&self, ticket_id: i64, column: &'static str, value: &dyn ToSql) -> Result<()> {
        cached_execute(
            self.conn(),
            &format!("UPDATE tickets SET {column} = ?2 WHERE id = ?1"),
            params![ticket_id, value],
        )?;
        Ok(())
    }

    /// Changes the status, and the Started and Resolved dates when given (the lifecycle
    /// decides: see `workflow`).
    pub fn set_status(
        &self,
        ticket_id: i64,
        status: &Status,
        started: Option<Timestamp>,
        resolved: Option<Timestamp>,
    ) -> Result<()> {
        self.set_column(ticket_id, "status", &status.as_str())?;
        if let Some(started) = started {
            self.set_column(ticket_id, "started", &ts(started))?;
        }
        if let Some(resolved) = resolved {
            self.set_column(ticket_id, "resolved", &ts(resolved))?;
        }
        Ok(())
    }

    /// Changes the owner (Nobody for none).
    pub fn set_owner(&self, ticket_id: i64, owner_id: i64) -> Result<()> {
        self.set_column(ticket_id, "owner_id", &owner_id)
    }

    /// Changes the subject.
    pub fn set_subject(&self, ticket_id: i64, subject: &str) -> Result<()> {
        self.set_column(ticket_id, "subject", &subject)
    }

    /// Sets the ticket's own service level (`None`: its queue's).
    pub fn set_sla(&self, ticket_id: i64, level: Option<&str>) -> Result<()> {
        self.set_column(ticket_id, "sla", &level)
    }

    /// Moves the ticket to another queue.
    pub fn set_queue(&self, ticket_id: i64, queue_id: i64) -> Result<()> {
        self.set_column(ticket_id, "queue_id", &queue_id)
    }

    /// Changes one of the priorities: `priority`, `initial_priority` or `final_priority`.
    pub fn set_priority(&self, ticket_id: i64, which: PriorityField, value: i64) -> Result<()> {
        let column = match which {
            PriorityField::Current => "priority",
            PriorityField::Initial => "initial_priority",
            PriorityField::Final => "final_priority",
        };
        self.set_column(ticket_id, column, &value)
    }

    /// Sets or clears one of the planning dates: `due` or `starts`.
    pub fn set_date(&self, ticket_id: i64, which: DateField, value: Option<Timestamp>) -> Result<()> {
        let column = match which {
            DateField::Due => "due",
            DateField::Starts => "starts",
        };
        self.set_column(ticket_id, column, &value.map(ts))
    }

    /// Sets one of the time counters (minutes).
    pub fn set_time(&self, ticket_id: i64, which: TimeField, minutes: i64) -> Result<()> {
        let column = match which {
            TimeField::Estimated => "time_estimated",
            TimeField::Left => "time_left",
            TimeField::Worked => "time_worked",
        };
        self.set_column(ticket_id, column, &minutes)
    }

    /// Records that a requestor was just sent a reply.
    pub fn set_told(&self, ticket_id: i64, now: Timestamp) -> Result<()> {
        self.set_column(ticket_id, "told", &ts(now))
    }
}

/// Which planning date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    Due,
    Starts,
}

/// Which time counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    Estimated,
    Left,
    Worked,
}

/// Which of a ticket's priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorityField {
    Current,
    Initial,
    Final,
}
