//! What people do from `tkt` (and later the web UI and REST API): create tickets, reply,
//! comment, change fields and owners. Each change is checked against the actor's rights,
//! recorded as a transaction and answered by the rules.

use serde::{Deserialize, Serialize};

use super::Settings;
use super::access::{Access, On};
use super::fields::{By, change_field, may_own};
use super::links::change_link;
use super::notify::{Happening, record_and_run, run_rules};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{NewTicket, NewTransaction, TicketRow, WriteTx};
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
    pub priority: Option<i64>,
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
        // not given: the queue's InitialPriority
        priority: req.priority.unwrap_or_else(|| s.time.initial_priority(&queue.name)),
        final_priority: s.time.final_priority(&queue.name),
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
    let transaction = NewTransaction {
        content,
        time_taken: minutes,
        ..NewTransaction::new(ticket.id, action.transaction_kind(), access.user.id, now)
    };
    record_and_run(tx, s, &transaction, &access.user, None, now)
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
        Change::Queue(name) => {
            access.require(tx, Right::ModifyTicket, on)?;
            // moving a ticket into a queue is creating one there
            match tx.queue_by_name(name)? {
                Some(queue) => access.require(tx, Right::CreateTicket, On::Queue(&queue)),
                None => Err(Error::NotFound(format!("no queue named `{name}`"))),
            }
        }
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

/// One change, after checking the actor may make it; `None` when it changed nothing.
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
    let owner = match change {
        Change::Owner(_) | Change::Ownership(_) => Some(new_owner(tx, access, &ticket, change)?),
        _ => None,
    };
    let by = By {
        actor: &access.user,
        mail: None,
        depth: 0,
        behalf_of: None,
    };
    change_field(tx, s, &ticket, change, owner.as_ref(), &by, now)
}
