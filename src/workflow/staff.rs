//! What staff do from `tkt` (and later the web UI and REST API): create tickets, reply,
//! comment, change fields. Each change is a transaction, answered by the rules.

use serde::{Deserialize, Serialize};

use super::Settings;
use super::notify::{Happening, run_rules};
use crate::error::{Error, Result};
use crate::store::{NewTicket, NewTransaction, PriorityField, WriteTx};
use crate::ticket::{Action, Change, Role, Status, Timestamp, TransactionKind, WatcherChange};
use crate::user::{NOBODY_ID, User, normalize_address};

/// A ticket made by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTicketRequest {
    pub queue: String,
    pub subject: String,
    /// Addresses; made unprivileged users when unknown.
    #[serde(default)]
    pub requestors: Vec<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub priority: i64,
    /// A user name or address; unowned when absent.
    #[serde(default)]
    pub owner: Option<String>,
}

/// Creates a ticket and returns its number.
pub fn create(tx: &WriteTx<'_>, s: &Settings, req: &NewTicketRequest, actor: &User, now: Timestamp) -> Result<i64> {
    let queue = tx
        .queue_by_name(&req.queue)?
        .ok_or_else(|| Error::NotFound(format!("no queue named `{}`", req.queue)))?;
    let mut requestors = Vec::new();
    for address in &req.requestors {
        let address = normalize_address(address)
            .ok_or_else(|| Error::Invalid(format!("requestor `{address}` is not an email address")))?;
        requestors.push(tx.ensure_user(&address, "", false, now)?);
    }
    let owner = match &req.owner {
        Some(who) => owner_named(tx, who)?,
        None => tx.user(NOBODY_ID)?,
    };
    let ticket_id = tx.insert_ticket(&NewTicket {
        queue_id: queue.id,
        subject: req.subject.trim(),
        status: if owner.id == NOBODY_ID {
            Status::New
        } else {
            Status::Open
        },
        owner_id: owner.id,
        priority: req.priority,
        creator_id: actor.id,
        now,
    })?;
    for requestor in &requestors {
        tx.add_watcher(ticket_id, Role::Requestor, requestor.id)?;
    }
    let transaction_id = tx.insert_transaction(&NewTransaction {
        content: &req.content,
        ..NewTransaction::new(ticket_id, TransactionKind::Create, actor.id, now)
    })?;
    let happening = Happening {
        content: &req.content,
        ..Happening::new(ticket_id, transaction_id, TransactionKind::Create, actor)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(ticket_id)
}

/// Replies to (correspond) or comments on a ticket; returns the transaction id.
#[allow(clippy::too_many_arguments, reason = "mirrors the API request one to one")]
pub fn reply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    action: Action,
    content: &str,
    minutes: i64,
    actor: &User,
    now: Timestamp,
) -> Result<i64> {
    let ticket_id = existing(tx, ticket)?;
    if content.trim().is_empty() {
        return Err(Error::Invalid(
            "the message is empty; give the text with --message or on standard input".into(),
        ));
    }
    if minutes < 0 {
        return Err(Error::Invalid("time worked cannot be negative".into()));
    }
    let kind = action.transaction_kind();
    let transaction_id = tx.insert_transaction(&NewTransaction {
        content,
        time_taken: minutes,
        ..NewTransaction::new(ticket_id, kind, actor.id, now)
    })?;
    let happening = Happening {
        content,
        ..Happening::new(ticket_id, transaction_id, kind, actor)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(transaction_id)
}

/// Applies changes in order, each its own transaction; all or none are kept (the caller's
/// transaction). Returns the transaction ids.
pub fn update(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    changes: &[Change],
    actor: &User,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let ticket_id = existing(tx, ticket)?;
    if changes.is_empty() {
        return Err(Error::Invalid("nothing to change: give field=value pairs".into()));
    }
    let mut transactions = Vec::new();
    for change in changes {
        if let Some(id) = apply(tx, s, ticket_id, change, actor, now)? {
            transactions.push(id);
        }
    }
    Ok(transactions)
}

fn existing(tx: &WriteTx<'_>, ticket: i64) -> Result<i64> {
    tx.effective_ticket(ticket)?
        .ok_or_else(|| Error::NotFound(format!("ticket {ticket} does not exist")))
}

/// The user a ticket can be given to: staff, or Nobody.
fn owner_named(tx: &WriteTx<'_>, who: &str) -> Result<User> {
    let user = tx
        .user_by_name_or_email(who.trim())?
        .ok_or_else(|| Error::NotFound(format!("no user `{who}` (use a login name or address, or Nobody)")))?;
    if user.id != NOBODY_ID && (!user.privileged || user.disabled) {
        return Err(Error::Invalid(format!(
            "`{who}` is not enabled staff; only privileged users can own tickets"
        )));
    }
    Ok(user)
}

/// One change; `None` when it changed nothing (already so).
fn apply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    change: &Change,
    actor: &User,
    now: Timestamp,
) -> Result<Option<i64>> {
    let ticket = tx
        .ticket_row(ticket_id)?
        .ok_or_else(|| Error::NotFound(format!("ticket {ticket_id} does not exist")))?;
    let mut status_change = None;
    let mut new_owner = None;
    let (kind, field, old, new): (TransactionKind, &str, String, String) = match change {
        Change::Status(status) => {
            if ticket.status == *status {
                return Ok(None);
            }
            if !ticket.status.can_become(*status) {
                return Err(Error::Conflict(format!(
                    "ticket {ticket_id} cannot go from {} to {status}",
                    ticket.status
                )));
            }
            tx.set_status(&ticket, *status, now)?;
            status_change = Some((ticket.status, *status));
            (
                TransactionKind::Status,
                "Status",
                ticket.status.to_string(),
                status.to_string(),
            )
        }
        Change::Owner(who) => {
            let owner = owner_named(tx, who)?;
            if owner.id == ticket.owner_id {
                return Ok(None);
            }
            let old = tx.user(ticket.owner_id)?;
            tx.set_owner(ticket_id, owner.id)?;
            new_owner = (owner.id != NOBODY_ID).then_some(owner.id);
            (TransactionKind::Set, "Owner", old.name, owner.name)
        }
        Change::Subject(subject) => {
            if *subject == ticket.subject {
                return Ok(None);
            }
            tx.set_subject(ticket_id, subject)?;
            (TransactionKind::Set, "Subject", ticket.subject.clone(), subject.clone())
        }
        Change::Queue(name) => {
            let queue = tx
                .queue_by_name(name)?
                .ok_or_else(|| Error::NotFound(format!("no queue named `{name}`")))?;
            if queue.id == ticket.queue_id {
                return Ok(None);
            }
            let old = tx.queue(ticket.queue_id)?;
            tx.set_queue(ticket_id, queue.id)?;
            (TransactionKind::Set, "Queue", old.name, queue.name)
        }
        Change::Priority(p) | Change::InitialPriority(p) | Change::FinalPriority(p) => {
            let (which, field, old) = match change {
                Change::Priority(_) => (PriorityField::Current, "Priority", ticket.priority),
                Change::InitialPriority(_) => (PriorityField::Initial, "InitialPriority", ticket.initial_priority),
                _ => (PriorityField::Final, "FinalPriority", ticket.final_priority),
            };
            if old == *p {
                return Ok(None);
            }
            tx.set_priority(ticket_id, which, *p)?;
            (TransactionKind::Set, field, old.to_string(), p.to_string())
        }
        Change::Watcher(WatcherChange { role, address, add }) => {
            let address = normalize_address(address)
                .ok_or_else(|| Error::Invalid(format!("`{address}` is not an email address")))?;
            let user = tx.ensure_user(&address, "", false, now)?;
            let changed = if *add {
                tx.add_watcher(ticket_id, *role, user.id)?
            } else {
                tx.remove_watcher(ticket_id, *role, user.id)?
            };
            if !changed {
                return Ok(None);
            }
            let kind = if *add {
                TransactionKind::AddWatcher
            } else {
                TransactionKind::DelWatcher
            };
            let (old, new) = if *add {
                (String::new(), address)
            } else {
                (address, String::new())
            };
            (kind, role.as_str(), old, new)
        }
    };
    let transaction_id = tx.insert_transaction(&NewTransaction {
        field: Some(field),
        old_value: Some(&old).filter(|v| !v.is_empty()).map(String::as_str),
        new_value: Some(&new).filter(|v| !v.is_empty()).map(String::as_str),
        ..NewTransaction::new(ticket_id, kind, actor.id, now)
    })?;
    let happening = Happening {
        status_change,
        new_owner,
        ..Happening::new(ticket_id, transaction_id, kind, actor)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(Some(transaction_id))
}
