//! Merging tickets, and shredding them.

use super::Settings;
use super::access::{Access, On};
use super::notify::Happening;
use super::view::visible_ticket;
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{NewTransaction, WriteTx};
use crate::ticket::{Timestamp, TransactionKind};
use crate::wire::ShredCount;

/// Merges ticket `from` into `into` (ModifyTicket on both): `into` keeps the history of
/// both, gets their watchers, links and time worked, and mail for `from` threads onto it
/// from now on; its service level's Due date counts the messages of both. Returns the
/// transaction on `into`.
pub fn merge(tx: &WriteTx<'_>, s: &Settings, access: &Access, from: i64, into: i64, now: Timestamp) -> Result<i64> {
    let source = visible_ticket(tx, access, from)?;
    let target = visible_ticket(tx, access, into)?;
    if source.id == target.id {
        return Err(Error::Invalid(format!(
            "tickets {from} and {into} are already one ticket ({})",
            target.id
        )));
    }
    access.require(tx, Right::ModifyTicket, On::Ticket(&source))?;
    access.require(tx, Right::ModifyTicket, On::Ticket(&target))?;
    tx.merge_tickets(source.id, target.id)?;
    let record = |on: i64, field: &str, other: i64| {
        tx.insert_transaction(&NewTransaction {
            field: Some(field),
            new_value: Some(&other.to_string()),
            ..NewTransaction::new(on, TransactionKind::Merge, access.user.id, now)
        })
    };
    record(source.id, "MergedInto", target.id)?;
    let id = record(target.id, "MergedFrom", source.id)?;
    let merged = Happening::new(target.id, id, TransactionKind::Merge, &access.user);
    super::time::follow_service_level(tx, s, &merged, now)?;
    tracing::info!(from = source.id, into = target.id, "tickets merged");
    Ok(id)
}

/// What shredding a ticket (with the tickets merged into it) removes, table by table;
/// with `apply`, removes it for good. Needs ShredTicket.
pub fn shred(tx: &WriteTx<'_>, access: &Access, ticket: i64, apply: bool) -> Result<Vec<ShredCount>> {
    let row = visible_ticket(tx, access, ticket)?;
    access.require(tx, Right::ShredTicket, On::Ticket(&row))?;
    let group = tx.merged_group(row.id)?;
    let counts = tx.shred(&group, apply)?;
    if apply {
        tracing::warn!(ticket = row.id, tickets = ?group, by = %access.who(), "tickets shredded");
    }
    Ok(counts)
}
