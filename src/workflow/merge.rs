//! Merging tickets, and shredding them.

use super::access::{Access, On};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{NewTransaction, ShredCount, TicketRow, WriteTx};
use crate::ticket::{Timestamp, TransactionKind};

fn row(tx: &WriteTx<'_>, id: i64) -> Result<TicketRow> {
    tx.effective_ticket(id)?
        .and_then(|e| tx.ticket_row(e).transpose())
        .transpose()?
        .ok_or_else(|| Error::NotFound(format!("ticket {id} does not exist")))
}

/// Merges ticket `from` into `into` (ModifyTicket on both): `into` keeps the history of
/// both, gets their watchers, links and time worked, and mail for `from` threads onto it
/// from now on. Returns the transaction on `into`.
pub fn merge(tx: &WriteTx<'_>, access: &Access, from: i64, into: i64, now: Timestamp) -> Result<i64> {
    let source = row(tx, from)?;
    let target = row(tx, into)?;
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
    tracing::info!(from = source.id, into = target.id, "tickets merged");
    Ok(id)
}

/// What shredding a ticket (with the tickets merged into it) removes, table by table;
/// with `apply`, removes it for good. Needs ShredTicket.
pub fn shred(tx: &WriteTx<'_>, access: &Access, ticket: i64, apply: bool) -> Result<Vec<ShredCount>> {
    let row = row(tx, ticket)?;
    access.require(tx, Right::ShredTicket, On::Ticket(&row))?;
    let group = tx.merged_group(row.id)?;
    let counts = tx.shred(&group, apply)?;
    if apply {
        tracing::warn!(ticket = row.id, tickets = ?group, by = %access.who(), "tickets shredded");
    }
    Ok(counts)
}
