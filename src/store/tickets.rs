//! Tickets, watchers, transactions and attachments.

use std::collections::HashMap;

use super::rights::id_list;
use super::sql::{self, Row, ToValue, params};
use super::{Db, WriteTx, parse_opt_ts, parse_ts, ts};
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

fn ticket_row_from(row: &Row<'_>) -> Result<RawTicketRow> {
    Ok((
        TicketRow {
            id: row.get(0)?,
            effective_id: row.get(1)?,
            queue_id: row.get(2)?,
            subject: row.get(3)?,
            status: Status::named(&row.get::<String>(4)?),
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

/// The users in each role of some tickets: (ticket, role) to (user id, display name).
type RoleMembers = HashMap<(i64, Role), Vec<(i64, String)>>;

/// Display name of a user in history and JSON: the address, or the login name.
const USER_DISPLAY: &str = "COALESCE(u.email, u.name)";

impl Db<'_> {
    /// The ticket's row, if it exists.
    pub fn ticket_row(&self, id: i64) -> Result<Option<TicketRow>> {
        let found = sql::optional(
            self.sql(),
            "SELECT id, effective_id, queue_id, subject, status, owner_id, priority, \
             initial_priority, final_priority, started, resolved, due, starts, time_estimated, time_left, \
             time_worked FROM tickets WHERE id = ?1",
            [id],
            ticket_row_from,
        )?;
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
        self.role_members(&[ticket_id])?
            .remove(&(ticket_id, role))
            .unwrap_or_default()
            .into_iter()
            .map(|(id, _)| self.user(id))
            .collect()
    }

    /// The users in each role of these tickets (members of groups in a role included,
    /// through nested groups, not through disabled ones), by ticket and role, each in
    /// order of user id with their display name: one statement for a page of tickets.
    fn role_members(&self, tickets: &[i64]) -> Result<RoleMembers> {
        // joins ordered by hand, as in `users_in` (store::rights)
        let rows: Vec<(i64, String, i64, String)> = sql::all(
            self.sql(),
            &format!(
                "WITH RECURSIVE members(ticket_id, role, id) AS ( \
                   SELECT ticket_id, role, principal_id FROM ticket_roles \
                     WHERE ticket_id IN (SELECT value FROM json_each(?1)) \
                   UNION SELECT x.ticket_id, x.role, m.member_id FROM members x \
                     CROSS JOIN group_members m CROSS JOIN principals p \
                     WHERE m.group_id = x.id AND p.id = m.group_id AND p.disabled = 0 \
                 ) SELECT x.ticket_id, x.role, u.id, {USER_DISPLAY} FROM members x JOIN users u ON u.id = x.id \
                 ORDER BY x.ticket_id, x.role, u.id"
            ),
            [id_list(tickets)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut members = RoleMembers::new();
        for (ticket, role, user, display) in rows {
            members
                .entry((ticket, role.parse::<Role>()?))
                .or_default()
                .push((user, display));
        }
        Ok(members)
    }

    /// Whether the user holds the role on the ticket.
    pub fn is_watcher(&self, ticket_id: i64, role: Role, user_id: i64) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM ticket_roles WHERE ticket_id = ?1 AND role = ?2 AND principal_id = ?3) \
             THEN 1 ELSE 0 END",
            params![ticket_id, role.as_str(), user_id],
            |r| r.get(0),
        )
    }

    /// The ticket as shown to people, with its history when `with_history`.
    pub fn ticket(&self, id: i64, with_history: bool) -> Result<Ticket> {
        let mut ticket = self
            .tickets(&[id])?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("ticket {id} does not exist")))?;
        if with_history {
            ticket.transactions = Some(self.transactions(id)?);
        }
        Ok(ticket)
    }

    /// The tickets with these numbers as shown to people, without their history, in the
    /// order given (a number of no ticket is left out, as is a number given twice). Four
    /// statements however many tickets, not about ten a ticket: on PostgreSQL each is a
    /// round trip, and a page of 50 search results took 50-63 ms to load one at a time (5 ms now).
    pub fn tickets(&self, ids: &[i64]) -> Result<Vec<Ticket>> {
        let mut found: HashMap<i64, Ticket> = HashMap::new();
        sql::each(
            self.sql(),
            &format!(
                "SELECT t.id, t.effective_id, q.name, t.subject, t.status, \
                   CASE WHEN t.owner_id = {nobody} THEN 'Nobody' ELSE {USER_DISPLAY} END, \
                   t.priority, t.initial_priority, t.final_priority, \
                   (SELECT COALESCE(c.email, c.name) FROM users c WHERE c.id = t.creator_id), \
                   t.created, t.updated, t.started, t.resolved, t.told, t.due, \
                   t.time_worked, t.time_estimated, t.time_left, t.starts, t.sla \
                 FROM tickets t JOIN queues q ON q.id = t.queue_id JOIN users u ON u.id = t.owner_id \
                 WHERE t.id IN (SELECT value FROM json_each(?1))",
                nobody = crate::user::NOBODY_ID
            ),
            [id_list(ids)],
            |r| {
                let ticket = Ticket {
                    id: r.get(0)?,
                    effective_id: r.get(1)?,
                    queue: r.get(2)?,
                    subject: r.get(3)?,
                    status: Status::named(&r.get::<String>(4)?),
                    owner: r.get(5)?,
                    priority: r.get(6)?,
                    initial_priority: r.get(7)?,
                    final_priority: r.get(8)?,
                    requestors: Vec::new(),
                    cc: Vec::new(),
                    admincc: Vec::new(),
                    creator: r.get(9)?,
                    created: parse_ts(&r.get::<String>(10)?)?,
                    updated: parse_ts(&r.get::<String>(11)?)?,
                    started: parse_opt_ts(r.get(12)?)?,
                    resolved: parse_opt_ts(r.get(13)?)?,
                    told: parse_opt_ts(r.get(14)?)?,
                    due: parse_opt_ts(r.get(15)?)?,
                    time_worked: r.get(16)?,
                    time_estimated: r.get(17)?,
                    time_left: r.get(18)?,
                    links: Vec::new(),
                    custom_fields: Default::default(),
                    starts: parse_opt_ts(r.get(19)?)?,
                    sla: r.get(20)?,
                    transactions: None,
                };
                found.insert(ticket.id, ticket);
                Ok(())
            },
        )?;
        let mut members = self.role_members(ids)?;
        let mut links = self.links_of(ids)?;
        let mut fields = self.custom_field_values_of(ids)?;
        let mut names = |id: i64, role: Role| -> Vec<String> {
            let users = members.remove(&(id, role)).unwrap_or_default();
            users.into_iter().map(|(_, name)| name).collect()
        };
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(id))
            .map(|mut ticket| {
                ticket.requestors = names(ticket.id, Role::Requestor);
                ticket.cc = names(ticket.id, Role::Cc);
                ticket.admincc = names(ticket.id, Role::AdminCc);
                ticket.links = links.remove(&ticket.id).unwrap_or_default();
                ticket.custom_fields = fields.remove(&ticket.id).unwrap_or_default();
                ticket
            })
            .collect())
    }

    /// The history of a ticket and of every ticket merged into it, oldest first.
    pub fn transactions(&self, ticket_id: i64) -> Result<Vec<Transaction>> {
        let mut attachments: HashMap<i64, Vec<AttachmentInfo>> = HashMap::new();
        sql::each(
            self.sql(),
            "SELECT a.transaction_id, a.id, a.parent_id, a.filename, a.content_type, a.size \
             FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
             WHERE x.ticket_id IN (SELECT id FROM tickets WHERE effective_id = ?1) ORDER BY a.id",
            [ticket_id],
            |r| {
                let info = AttachmentInfo {
                    id: r.get(1)?,
                    parent: r.get(2)?,
                    filename: r.get(3)?,
                    content_type: r.get(4)?,
                    size: r.get(5)?,
                };
                attachments.entry(r.get::<i64>(0)?).or_default().push(info);
                Ok(())
            },
        )?;
        sql::all(
            self.sql(),
            &format!(
                "SELECT x.id, x.ticket_id, x.type, x.field, x.old_value, x.new_value, {USER_DISPLAY}, x.created, \
                   x.content, x.time_taken, CASE WHEN x.raw_message_id IS NOT NULL THEN 1 ELSE 0 END \
                 FROM transactions x JOIN users u ON u.id = x.creator_id \
                 WHERE x.ticket_id IN (SELECT id FROM tickets WHERE effective_id = ?1) ORDER BY x.id"
            ),
            [ticket_id],
            |r| {
                let id: i64 = r.get(0)?;
                Ok(Transaction {
                    id,
                    ticket: r.get(1)?,
                    kind: r.get::<String>(2)?.parse()?,
                    field: r.get(3)?,
                    old_value: r.get(4)?,
                    new_value: r.get(5)?,
                    creator: r.get(6)?,
                    created: parse_ts(&r.get::<String>(7)?)?,
                    content: r.get(8)?,
                    time_taken: r.get(9)?,
                    has_raw_message: r.get(10)?,
                    attachments: attachments.remove(&id).unwrap_or_default(),
                })
            },
        )
    }

    /// The raw message a transaction was made from, byte for byte.
    pub fn raw_message_of(&self, transaction_id: i64) -> Result<Vec<u8>> {
        let (inline, blob) = sql::optional(
            self.sql(),
            "SELECT r.bytes, r.blob_id FROM transactions x JOIN raw_messages r ON r.id = x.raw_message_id \
             WHERE x.id = ?1",
            [transaction_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or_else(|| Error::NotFound(format!("transaction {transaction_id} has no raw message")))?;
        self.inline_or_blob(inline, blob)
    }

    /// Where a transaction belongs and what it is: its ticket, its kind, and its field.
    pub fn transaction_place(&self, transaction_id: i64) -> Result<TransactionPlace> {
        let (ticket, kind, field): (i64, String, Option<String>) = sql::optional(
            self.sql(),
            "SELECT ticket_id, type, field FROM transactions WHERE id = ?1",
            [transaction_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
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
        sql::optional(
            self.sql(),
            "SELECT transaction_id, CASE WHEN filename IS NOT NULL THEN 1 ELSE 0 END FROM attachments WHERE id = ?1",
            [attachment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or_else(|| Error::NotFound(format!("attachment {attachment_id} does not exist")))
    }

    /// The content of one attachment, with its type and name.
    pub fn attachment_content(&self, attachment_id: i64) -> Result<AttachmentContent> {
        // content is NULL for a blob's part and for a multipart container: read as empty
        let (mut content, blob): (AttachmentContent, Option<i64>) = sql::optional(
            self.sql(),
            "SELECT content_type, filename, content, blob_id, headers, subject, message_id \
             FROM attachments WHERE id = ?1",
            [attachment_id],
            |r| {
                Ok((
                    AttachmentContent {
                        content_type: r.get(0)?,
                        filename: r.get(1)?,
                        bytes: r.get::<Option<Vec<u8>>>(2)?.unwrap_or_default(),
                        headers: r.get(4)?,
                        subject: r.get(5)?,
                        message_id: r.get(6)?,
                    },
                    r.get(3)?,
                ))
            },
        )?
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
        let id: i64 = sql::one(
            self.sql(),
            "INSERT INTO tickets (effective_id, queue_id, subject, status, owner_id, priority, \
               initial_priority, final_priority, creator_id, created, last_updated_by, updated) \
             VALUES (0, ?1, ?2, ?3, ?4, ?5, ?5, ?8, ?6, ?7, ?6, ?7) RETURNING id",
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
            |r| r.get(0),
        )?;
        sql::execute(self.sql(), "UPDATE tickets SET effective_id = id WHERE id = ?1", [id])?;
        Ok(id)
    }

    /// Adds a watcher; false when they already were one.
    pub fn add_watcher(&self, ticket_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO ticket_roles (ticket_id, role, principal_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![ticket_id, role.as_str(), principal_id],
        )? == 1)
    }

    /// Removes a watcher; false when they were none.
    pub fn remove_watcher(&self, ticket_id: i64, role: Role, principal_id: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM ticket_roles WHERE ticket_id = ?1 AND role = ?2 AND principal_id = ?3",
            params![ticket_id, role.as_str(), principal_id],
        )? == 1)
    }

    /// Records a transaction; its time is added to the ticket's time worked.
    pub fn insert_transaction(&self, t: &NewTransaction<'_>) -> Result<i64> {
        let id: i64 = sql::one(
            self.sql(),
            "INSERT INTO transactions (ticket_id, type, field, old_value, new_value, content, time_taken, \
               creator_id, created, raw_message_id, merged_into) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
               (SELECT NULLIF(effective_id, id) FROM tickets WHERE id = ?1)) RETURNING id",
            params![
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
            ],
            |r| r.get(0),
        )?;
        sql::execute(
            self.sql(),
            "UPDATE tickets SET updated = ?2, last_updated_by = ?3, time_worked = time_worked + ?4 WHERE id = ?1",
            params![t.ticket_id, ts(t.now), t.creator_id, t.time_taken],
        )?;
        Ok(id)
    }

    /// Stores a message's MIME tree under a transaction.
    pub fn insert_parts(&self, transaction_id: i64, parts: &[Part]) -> Result<()> {
        let mut ids: Vec<i64> = Vec::with_capacity(parts.len());
        for part in parts {
            let parent = part.parent.and_then(|p| ids.get(p).copied());
            let size = match part.blob {
                Some((blob, size)) => {
                    self.keep_blob(blob)?;
                    size
                }
                None => part.content.as_ref().map_or(0, Vec::len),
            } as i64;
            let id = sql::one(
                self.sql(),
                "INSERT INTO attachments (transaction_id, parent_id, message_id, subject, filename, content_type, \
                   headers, content, size, blob_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                params![
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
                ],
                |r| r.get(0),
            )?;
            ids.push(id);
        }
        Ok(())
    }

    /// Sets a ticket column. `column` comes from this module's callers, never from input.
    fn set_column(&self, ticket_id: i64, column: &'static str, value: &dyn ToValue) -> Result<()> {
        sql::execute(
            self.sql(),
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::Store;

    pub(in crate::store) fn at(minute: u32) -> Timestamp {
        parse_ts(&format!("2026-12-01T10:{minute:02}:00Z")).unwrap()
    }

    /// A new ticket in a queue of its own name, created by root.
    pub(in crate::store) fn a_ticket(tx: &WriteTx<'_>, queue: &str) -> i64 {
        let queue = tx
            .create_queue(
                queue,
                &format!("{queue}@example.com"),
                &format!("{queue}-comment@example.com"),
                at(0),
            )
            .unwrap();
        tx.insert_ticket(&NewTicket {
            queue_id: queue.id,
            subject: "The printer is on fire",
            status: Status::named(Status::NEW),
            owner_id: crate::user::NOBODY_ID,
            priority: 5,
            final_priority: 50,
            creator_id: 3,
            now: at(0),
        })
        .unwrap()
    }

    fn part(parent: Option<usize>, filename: Option<&str>, content: Option<&[u8]>) -> Part {
        Part {
            parent,
            content_type: if content.is_some() {
                "text/plain"
            } else {
                "multipart/mixed"
            }
            .into(),
            filename: filename.map(Into::into),
            headers: String::new(),
            content: content.map(<[u8]>::to_vec),
            blob: None,
            message_id: None,
            subject: None,
        }
    }

    #[test]
    fn a_ticket_reads_back_with_its_watchers_history_and_attachments() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let id = a_ticket(&tx, "general");
        let row = tx.ticket_row(id).unwrap().unwrap();
        assert_eq!(
            (row.effective_id, row.priority, row.initial_priority, row.final_priority),
            (id, 5, 5, 50)
        );
        assert_eq!(tx.ticket_row(id + 1).unwrap(), None);

        let mut create = NewTransaction::new(id, TransactionKind::Create, 3, at(1));
        create.time_taken = 7;
        let txn = tx.insert_transaction(&create).unwrap();
        let parts = [
            part(None, None, None),
            part(Some(0), None, Some(b"hello")),
            part(Some(0), Some("notes.txt"), Some(b"notes")),
        ];
        tx.insert_parts(txn, &parts).unwrap();
        assert!(tx.add_watcher(id, Role::Requestor, 3).unwrap());
        assert!(!tx.add_watcher(id, Role::Requestor, 3).unwrap());
        assert!(tx.is_watcher(id, Role::Requestor, 3).unwrap());
        assert!(!tx.is_watcher(id, Role::Cc, 3).unwrap());
        tx.set_date(id, DateField::Due, Some(at(30))).unwrap();
        tx.set_sla(id, Some("4h")).unwrap();

        let ticket = tx.ticket(id, true).unwrap();
        assert_eq!((ticket.owner.as_str(), ticket.requestors.len()), ("Nobody", 1));
        assert_eq!(
            (ticket.time_worked, ticket.due, ticket.sla.as_deref()),
            (7, Some(at(30)), Some("4h"))
        );
        assert_eq!(ticket.updated, at(1));
        let history = ticket.transactions.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!((history[0].id, history[0].has_raw_message), (txn, false));
        let attachments = &history[0].attachments;
        assert_eq!(attachments.len(), 3);
        assert_eq!(attachments[2].parent, Some(attachments[0].id));
        assert_eq!(attachments[2].size, 5);

        assert_eq!(tx.attachment_transaction(attachments[1].id).unwrap(), (txn, false));
        assert_eq!(tx.attachment_transaction(attachments[2].id).unwrap(), (txn, true));
        // a multipart container has no content of its own: it reads as empty
        assert_eq!(tx.attachment_content(attachments[0].id).unwrap().bytes, b"");
        assert_eq!(tx.attachment_content(attachments[2].id).unwrap().bytes, b"notes");
        assert!(tx.attachment_content(attachments[2].id + 1).is_err());
        assert!(tx.raw_message_of(txn).is_err());
        assert_eq!(tx.transaction_place(txn).unwrap().ticket, id);
    }
}
