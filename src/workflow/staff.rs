//! What people do from `tkt` (and later the web UI and REST API): create tickets, reply,
//! comment, change fields and owners. Each change is checked against the actor's rights,
//! recorded as a transaction and answered by the rules.

use serde::{Deserialize, Serialize};

use super::Settings;
use super::access::{Access, On};
use super::lifecycle::move_status;
use super::links::{change_link, resolve_parents};
use super::notify::{Happening, run_rules};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{DateField, NewTicket, NewTransaction, PriorityField, TicketRow, TimeField, WriteTx};
use crate::ticket::{Action, Change, OwnerAction, Role, Timestamp, TransactionKind, WatcherChange};
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

/// Creates a ticket and returns its number. Needs CreateTicket on the queue; naming an
/// owner other than oneself needs ModifyTicket there too.
pub fn create(tx: &WriteTx<'_>, s: &Settings, req: &NewTicketRequest, access: &Access, now: Timestamp) -> Result<i64> {
    let queue = tx
        .queue_by_name(&req.queue)?
        .ok_or_else(|| Error::NotFound(format!("no queue named `{}`", req.queue)))?;
    access.require(tx, Right::CreateTicket, On::Queue(&queue))?;
    let mut requestors = Vec::new();
    for address in &req.requestors {
        let address = normalize_address(address)
            .ok_or_else(|| Error::Invalid(format!("requestor `{address}` is not an email address")))?;
        requestors.push(tx.ensure_user(&address, "", false, now)?);
    }
    let owner = match &req.owner {
        Some(who) => {
            let owner = user_named(tx, who)?;
            if owner.id != access.user.id {
                access.require(tx, Right::ModifyTicket, On::Queue(&queue))?;
            }
            owner
        }
        None => tx.user(NOBODY_ID)?,
    };
    let ticket_id = tx.insert_ticket(&NewTicket {
        queue_id: queue.id,
        subject: req.subject.trim(),
        status: s.lifecycle(&queue).default_initial().clone(),
        owner_id: owner.id,
        priority: req.priority,
        creator_id: access.user.id,
        now,
    })?;
    for requestor in &requestors {
        tx.add_watcher(ticket_id, Role::Requestor, requestor.id)?;
    }
    if owner.id != NOBODY_ID {
        let ticket = tx.current_ticket(ticket_id)?;
        may_own(tx, &owner, &ticket)?;
    }
    let transaction_id = tx.insert_transaction(&NewTransaction {
        content: &req.content,
        ..NewTransaction::new(ticket_id, TransactionKind::Create, access.user.id, now)
    })?;
    let happening = Happening {
        content: &req.content,
        ..Happening::new(ticket_id, transaction_id, TransactionKind::Create, &access.user)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(ticket_id)
}

/// Replies to (correspond: ReplyToTicket) or comments on (CommentOnTicket) a ticket;
/// returns the transaction id.
#[allow(clippy::too_many_arguments, reason = "mirrors the API request one to one")]
pub fn reply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    action: Action,
    content: &str,
    minutes: i64,
    access: &Access,
    now: Timestamp,
) -> Result<i64> {
    let ticket = tx.current_ticket(ticket)?;
    let right = match action {
        Action::Correspond => Right::ReplyToTicket,
        Action::Comment => Right::CommentOnTicket,
    };
    access.require(tx, right, On::Ticket(&ticket))?;
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
        ..NewTransaction::new(ticket.id, kind, access.user.id, now)
    })?;
    let happening = Happening {
        content,
        ..Happening::new(ticket.id, transaction_id, kind, &access.user)
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
    access: &Access,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let ticket_id = tx.current_ticket(ticket)?.id;
    if changes.is_empty() {
        return Err(Error::Invalid("nothing to change: give field=value pairs".into()));
    }
    let mut transactions = Vec::new();
    for change in changes {
        if let Some(id) = apply(tx, s, ticket_id, change, access, now)? {
            transactions.push(id);
        }
    }
    Ok(transactions)
}

/// A user by login name or address, or Nobody.
fn user_named(tx: &WriteTx<'_>, who: &str) -> Result<User> {
    tx.user_by_name_or_email(who.trim())?
        .ok_or_else(|| Error::NotFound(format!("no user `{who}` (use a login name or address, or Nobody)")))
}

/// Only someone with OwnTicket on the ticket can be its owner.
fn may_own(tx: &WriteTx<'_>, owner: &User, ticket: &TicketRow) -> Result<()> {
    let theirs = Access::of(tx, owner.clone())
        .map_err(|_| Error::Invalid(format!("{} is disabled and cannot own tickets", owner.display_name())))?;
    if theirs.can(tx, Right::OwnTicket, On::Ticket(ticket))? {
        Ok(())
    } else {
        let queue = tx.queue(ticket.queue_id)?;
        Err(Error::Invalid(format!(
            "{} may not own tickets in queue {}: that needs the right OwnTicket",
            owner.display_name(),
            queue.name
        )))
    }
}

/// The new owner an ownership change asks for, after checking it is allowed: take an
/// unowned ticket (TakeTicket or ModifyTicket), steal one owned by someone else
/// (StealTicket), untake one's own (its owner may), give to someone (ModifyTicket).
fn new_owner(tx: &WriteTx<'_>, access: &Access, ticket: &TicketRow, change: &Change) -> Result<User> {
    let me = access.user.id;
    let on = On::Ticket(ticket);
    let owner = match change {
        Change::Ownership(OwnerAction::Take) => {
            if ticket.owner_id != NOBODY_ID && ticket.owner_id != me {
                let current = tx.user(ticket.owner_id)?;
                return Err(Error::Conflict(format!(
                    "ticket {} is owned by {}; `tkt steal` takes it from them",
                    ticket.id,
                    current.display_name()
                )));
            }
            access.require_any(tx, &[Right::TakeTicket, Right::ModifyTicket], on)?;
            access.user.clone()
        }
        Change::Ownership(OwnerAction::Steal) => {
            if ticket.owner_id == NOBODY_ID {
                return Err(Error::Conflict(format!(
                    "ticket {} is unowned; `tkt take` takes it",
                    ticket.id
                )));
            }
            if ticket.owner_id != me {
                access.require(tx, Right::StealTicket, on)?;
            }
            access.user.clone()
        }
        Change::Ownership(OwnerAction::Untake) => {
            if ticket.owner_id != me {
                access.require(tx, Right::ModifyTicket, on)?;
            }
            tx.user(NOBODY_ID)?
        }
        Change::Owner(who) => {
            let owner = user_named(tx, who)?;
            let take = owner.id == me && ticket.owner_id == NOBODY_ID;
            let untake = owner.id == NOBODY_ID && ticket.owner_id == me;
            if take {
                access.require_any(tx, &[Right::TakeTicket, Right::ModifyTicket], on)?;
            } else if owner.id == me && ticket.owner_id != me {
                access.require(tx, Right::StealTicket, on)?;
            } else if !untake {
                access.require(tx, Right::ModifyTicket, on)?;
            }
            owner
        }
        _ => unreachable!("only ownership changes come here"),
    };
    if owner.id != NOBODY_ID {
        may_own(tx, &owner, ticket)?;
    }
    Ok(owner)
}

/// The rights a change needs, beyond those `new_owner` checks. A status change needs what
/// the ticket's lifecycle names for that transition.
fn check_change(tx: &WriteTx<'_>, s: &Settings, access: &Access, ticket: &TicketRow, change: &Change) -> Result<()> {
    let on = On::Ticket(ticket);
    match change {
        Change::Status(to) => {
            // the lifecycle names the right; ModifyTicket covers the ordinary one
            let right = s.lifecycle(&tx.queue(ticket.queue_id)?).right_for(&ticket.status, to);
            if right == Right::ModifyTicketStatus {
                access.require_any(tx, &[Right::ModifyTicketStatus, Right::ModifyTicket], on)
            } else {
                access.require(tx, right, on)
            }
        }
        Change::Owner(_) | Change::Ownership(_) => Ok(()),
        Change::Watcher(WatcherChange { role, address, .. }) => {
            let own = access
                .user
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(address.trim()));
            match role {
                Role::Cc if own => access.require_any(tx, &[Right::Watch, Right::ModifyTicket], on),
                Role::AdminCc if own => access.require_any(tx, &[Right::WatchAsAdminCc, Right::ModifyTicket], on),
                _ => access.require(tx, Right::ModifyTicket, on),
            }
        }
        _ => access.require(tx, Right::ModifyTicket, on),
    }
}

/// One change; `None` when it changed nothing (already so).
fn apply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    change: &Change,
    access: &Access,
    now: Timestamp,
) -> Result<Option<i64>> {
    let ticket = tx.current_ticket(ticket_id)?;
    if let Change::Link(link) = change {
        // a link is recorded on both tickets; the rules have nothing to say about it yet
        return change_link(tx, access, &ticket, link, now);
    }
    check_change(tx, s, access, &ticket, change)?;
    let mut status_change = None;
    let mut new_owner_id = None;
    let (kind, field, old, new): (TransactionKind, &str, String, String) = match change {
        Change::Status(status) => {
            if !move_status(tx, s, &ticket, status, now)? {
                return Ok(None);
            }
            status_change = Some((ticket.status.clone(), status.clone()));
            (
                TransactionKind::Status,
                "Status",
                ticket.status.to_string(),
                status.to_string(),
            )
        }
        Change::Owner(_) | Change::Ownership(_) => {
            let owner = new_owner(tx, access, &ticket, change)?;
            if owner.id == ticket.owner_id {
                return Ok(None);
            }
            let old = tx.user(ticket.owner_id)?;
            tx.set_owner(ticket_id, owner.id)?;
            new_owner_id = (owner.id != NOBODY_ID).then_some(owner.id);
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
            access.require(tx, Right::CreateTicket, On::Queue(&queue))?;
            let lifecycle = s.lifecycle(&queue);
            if lifecycle.category(&ticket.status).is_none() {
                return Err(Error::Conflict(format!(
                    "ticket {ticket_id} is {}, a status queue {} (lifecycle {}) does not have; change the status \
                     first",
                    ticket.status, queue.name, lifecycle.name
                )));
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
        Change::Due(when) | Change::Starts(when) => {
            let (which, field, old) = match change {
                Change::Due(_) => (DateField::Due, "Due", ticket.due),
                _ => (DateField::Starts, "Starts", ticket.starts),
            };
            if old == *when {
                return Ok(None);
            }
            tx.set_date(ticket_id, which, *when)?;
            let show = |t: Option<Timestamp>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
            (TransactionKind::Set, field, show(old), show(*when))
        }
        Change::TimeEstimated(minutes) | Change::TimeLeft(minutes) | Change::TimeWorked(minutes) => {
            let (which, field, old) = match change {
                Change::TimeEstimated(_) => (TimeField::Estimated, "TimeEstimated", ticket.time_estimated),
                Change::TimeLeft(_) => (TimeField::Left, "TimeLeft", ticket.time_left),
                _ => (TimeField::Worked, "TimeWorked", ticket.time_worked),
            };
            if old == *minutes {
                return Ok(None);
            }
            tx.set_time(ticket_id, which, *minutes)?;
            (TransactionKind::Set, field, old.to_string(), minutes.to_string())
        }
        Change::CustomField { name, value } => {
            let queue = tx.queue(ticket.queue_id)?;
            let def = s
                .custom_fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| Error::NotFound(format!("there is no custom field {name}")))?;
            if !def.applies_to(&queue.name) {
                return Err(Error::Invalid(format!(
                    "custom field {} is not one of queue {}'s",
                    def.name, queue.name
                )));
            }
            let values = def.parse_value(value)?;
            let id = tx
                .custom_field_id(&def.name)?
                .ok_or_else(|| Error::Internal(format!("custom field {} is not in the database", def.name)))?;
            let old = tx.custom_field_values(ticket_id)?.remove(&def.name).unwrap_or_default();
            if old == values {
                return Ok(None);
            }
            tx.set_custom_field_values(ticket_id, id, &values)?;
            let field = format!("CF.{}", def.name);
            let (old, new) = (old.join(", "), values.join(", "));
            return record_change(
                tx,
                access,
                ticket_id,
                TransactionKind::CustomField,
                &field,
                &old,
                &new,
                now,
            )
            .map(Some);
        }
        Change::Link(_) => unreachable!("links are recorded above"),
        Change::Watcher(WatcherChange { role, address, add }) => {
            // an address is a user (made if unknown); anything else names a group
            let (principal, name) = match normalize_address(address) {
                Some(address) => (tx.ensure_user(&address, "", false, now)?.id, address),
                None => {
                    let group = tx.group_id(address.trim())?.ok_or_else(|| {
                        Error::NotFound(format!("`{address}` is neither an email address nor a group"))
                    })?;
                    (group, address.trim().to_string())
                }
            };
            let changed = if *add {
                tx.add_watcher(ticket_id, *role, principal)?
            } else {
                tx.remove_watcher(ticket_id, *role, principal)?
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
                (String::new(), name)
            } else {
                (name, String::new())
            };
            (kind, role.as_str(), old, new)
        }
    };
    let id = record_change(tx, access, ticket_id, kind, field, &old, &new, now)?;
    let status_changed = status_change.is_some();
    let happening = Happening {
        status_change,
        new_owner: new_owner_id,
        ..Happening::new(ticket_id, id, kind, &access.user)
    };
    run_rules(tx, s, &happening, now)?;
    if status_changed {
        resolve_parents(tx, s, ticket_id, now, 0)?;
    }
    Ok(Some(id))
}

/// Records a field change as a transaction (empty values as none). The rules are run by
/// the caller, which knows what changed.
#[allow(clippy::too_many_arguments, reason = "a transaction's columns, named")]
fn record_change(
    tx: &WriteTx<'_>,
    access: &Access,
    ticket_id: i64,
    kind: TransactionKind,
    field: &str,
    old: &str,
    new: &str,
    now: Timestamp,
) -> Result<i64> {
    tx.insert_transaction(&NewTransaction {
        field: Some(field),
        old_value: Some(old).filter(|v| !v.is_empty()),
        new_value: Some(new).filter(|v| !v.is_empty()),
        ..NewTransaction::new(ticket_id, kind, access.user.id, now)
    })
}
