//! Moving tickets through their queue's lifecycle.

use super::Settings;
use super::links::open_dependencies;
use crate::error::{Error, Result};
use crate::store::{TicketRow, WriteTx};
use crate::ticket::{Category, Status, Timestamp};

/// Moves a ticket to `to` if its lifecycle allows it, keeping the dates as RT does:
/// Started the first time it leaves an initial status, Resolved whenever it becomes
/// inactive. Returns whether anything changed. Rights are the caller's to check.
pub(crate) fn move_status(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: &TicketRow,
    to: &Status,
    now: Timestamp,
) -> Result<bool> {
    if ticket.status == *to {
        return Ok(false);
    }
    let queue = tx.queue(ticket.queue_id)?;
    let lifecycle = s.lifecycle(&queue);
    let to = lifecycle.status(to.as_str())?;
    if !lifecycle.can_transition(&ticket.status, &to) {
        return Err(Error::Conflict(format!(
            "ticket {} cannot go from {} to {to} (lifecycle {})",
            ticket.id, ticket.status, lifecycle.name
        )));
    }
    let becomes_inactive = lifecycle.category(&to) == Some(Category::Inactive);
    if becomes_inactive && !to.is(Status::DELETED) && !queue.resolve_with_open_dependencies {
        let open = open_dependencies(tx, s, ticket.id)?;
        if !open.is_empty() {
            let list: Vec<String> = open.iter().map(|id| format!("#{id}")).collect();
            return Err(Error::Conflict(format!(
                "ticket {} depends on {}, which {} not done yet; finish {} first (or set the queue's \
                 resolve_with_open_dependencies)",
                ticket.id,
                list.join(", "),
                if open.len() == 1 { "is" } else { "are" },
                if open.len() == 1 { "it" } else { "them" },
            )));
        }
    }
    let from_initial = lifecycle.category(&ticket.status) == Some(Category::Initial);
    let to_initial = lifecycle.category(&to) == Some(Category::Initial);
    let started = (ticket.started.is_none() && from_initial && !to_initial).then_some(now);
    let resolved = becomes_inactive.then_some(now);
    tx.set_status(ticket.id, &to, started, resolved)?;
    Ok(true)
}

/// The statuses the user may move a ticket to from where it is: its lifecycle's
/// transitions for which they hold the right (the buttons of a ticket page).
pub fn moves(db: &crate::store::Db<'_>, s: &Settings, access: &super::Access, ticket: i64) -> Result<Vec<Status>> {
    let ticket = super::view::visible_ticket(db, access, ticket)?;
    let queue = db.queue(ticket.queue_id)?;
    let lifecycle = s.lifecycle(&queue);
    let mut moves = Vec::new();
    for to in lifecycle.statuses() {
        if *to != ticket.status
            && lifecycle.can_transition(&ticket.status, to)
            && access.can(db, lifecycle.right_for(&ticket.status, to), super::On::Ticket(&ticket))?
        {
            moves.push(to.clone());
        }
    }
    Ok(moves)
}
