//! Links between tickets, and what they mean for status: a ticket waits for its
//! dependencies, and a parent can follow its children.

use super::Settings;
use super::access::{Access, On};
use super::fields::{Cause, system_change};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::NewTransaction;
use crate::store::{Db, TicketRow, WriteTx};
use crate::ticket::{LinkChange, LinkKind, LinkName, Status, Timestamp, TransactionKind};

/// The tickets `ticket_id` depends on that are still active (by their own lifecycles).
pub(crate) fn open_dependencies(db: &Db<'_>, s: &Settings, ticket_id: i64) -> Result<Vec<i64>> {
    let mut open = Vec::new();
    for dependency in db.linked(ticket_id, LinkName::DependsOn)? {
        let queue = db.queue(dependency.queue_id)?;
        if s.lifecycle(&queue).is_active(&dependency.status) {
            open.push(dependency.id);
        }
    }
    Ok(open)
}

/// Adds or removes a link; each is recorded on both tickets. Needs ModifyTicket on both.
/// Dependency and parent links that would go round in a circle are refused. Returns the
/// transaction on `ticket`, or `None` when nothing changed.
pub(crate) fn change_link(
    tx: &WriteTx<'_>,
    access: &Access,
    ticket: &TicketRow,
    change: &LinkChange,
    now: Timestamp,
) -> Result<Option<i64>> {
    let other = super::view::visible_ticket(tx, access, change.ticket)?;
    if other.id == ticket.id {
        return Err(Error::Invalid(format!(
            "ticket {} cannot be linked to itself",
            ticket.id
        )));
    }
    access.require(tx, Right::ModifyTicket, On::Ticket(ticket))?;
    access.require(tx, Right::ModifyTicket, On::Ticket(&other))?;
    record_link(tx, access, ticket, change, now)
}

/// Adds or removes a link and records it on both tickets, without asking for rights.
fn record_link(
    tx: &WriteTx<'_>,
    access: &Access,
    ticket: &TicketRow,
    change: &LinkChange,
    now: Timestamp,
) -> Result<Option<i64>> {
    let other = tx.current_ticket(change.ticket)?;
    let (kind, from_base) = change.name.stored();
    let (base, target) = if from_base {
        (ticket.id, other.id)
    } else {
        (other.id, ticket.id)
    };
    if change.add && kind != LinkKind::RefersTo && tx.reaches(target, base, kind)? {
        return Err(Error::Conflict(format!(
            "ticket {base} {} ticket {target} would close a circle: {target} already leads back to {base}",
            kind.as_str()
        )));
    }
    let changed = if change.add {
        tx.add_link(base, kind, target, access.user.id, now)?
    } else {
        tx.remove_link(base, kind, target)?
    };
    if !changed {
        return Ok(None);
    }
    let record = |on: i64, name: LinkName, other: i64| {
        let other = other.to_string();
        let (kind, old, new) = if change.add {
            (TransactionKind::AddLink, None, Some(other.as_str()))
        } else {
            (TransactionKind::DeleteLink, Some(other.as_str()), None)
        };
        tx.insert_transaction(&NewTransaction {
            field: Some(name.as_str()),
            old_value: old,
            new_value: new,
            ..NewTransaction::new(on, kind, access.user.id, now)
        })
    };
    let mine = record(ticket.id, change.name, other.id)?;
    record(other.id, change.name.reverse(), ticket.id)?;
    Ok(Some(mine))
}

/// Adds a link on the system's behalf (no rights asked): for links ticketd makes itself,
/// such as a new ticket referring to the old one a late reply was meant for.
pub(crate) fn link_as_system(tx: &WriteTx<'_>, ticket: &TicketRow, change: &LinkChange, now: Timestamp) -> Result<()> {
    let system = Access::of(tx, tx.user(crate::user::SYSTEM_USER_ID)?)?;
    record_link(tx, &system, ticket, change, now).map(|_| ())
}

/// After `child` changed status: each parent whose queue resolves parents with their
/// children, and whose children are now all inactive, is resolved by the system.
pub(crate) fn resolve_parents(tx: &WriteTx<'_>, s: &Settings, child: i64, now: Timestamp, depth: u32) -> Result<()> {
    for parent in tx.linked(child, LinkName::MemberOf)? {
        let queue = tx.queue(parent.queue_id)?;
        let lifecycle = s.lifecycle(&queue);
        if !queue.resolve_parent_with_children || !lifecycle.is_active(&parent.status) {
            continue;
        }
        let mut all_done = true;
        for sibling in tx.linked(parent.id, LinkName::Members)? {
            let sibling_queue = tx.queue(sibling.queue_id)?;
            all_done &= !s.lifecycle(&sibling_queue).is_active(&sibling.status);
        }
        if all_done {
            let done = lifecycle
                .status(Status::RESOLVED)
                .unwrap_or_else(|_| lifecycle.inactive[0].clone());
            tracing::info!(
                parent = parent.id,
                child,
                "the last child is done: resolving the parent"
            );
            let resolve = crate::ticket::Change::Status(done);
            let cause = Cause {
                rule: "resolve-parent-with-children",
                mail: None,
                depth: depth + 1,
                behalf_of: None,
            };
            system_change(tx, s, parent.id, &resolve, &cause, now)?;
        }
    }
    Ok(())
}
