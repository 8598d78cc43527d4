//! Reading tickets through the rights: what `tkt show`, `search`, `raw` and `attachment`
//! may return to the acting user.

use super::access::{Access, On};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::search::Query;
use crate::store::{Db, TicketRow};
use crate::ticket::{Lifecycle, Ticket, TransactionKind};

/// A ticket with its history. Needs ShowTicket; comments are left out without
/// ShowTicketComments. A ticket the user may not see is reported as missing, so numbers
/// do not reveal which tickets exist.
pub fn ticket(db: &Db<'_>, access: &Access, id: i64) -> Result<Ticket> {
    let row = visible_row(db, access, id)?;
    let mut ticket = db.ticket(row.id, true)?;
    if !access.can(db, Right::ShowTicketComments, On::Ticket(&row))?
        && let Some(history) = ticket.transactions.as_mut()
    {
        history.retain(|x| x.kind != TransactionKind::Comment);
    }
    Ok(ticket)
}

/// The tickets matching a query that the user may see.
pub fn search(db: &Db<'_>, access: &Access, query: &Query, lifecycles: &[&Lifecycle]) -> Result<Vec<Ticket>> {
    db.search(query, Some((access.principal(), &access.visibility())), lifecycles)
}

/// The raw message of a transaction, for someone who may see that transaction.
pub fn raw_message(db: &Db<'_>, access: &Access, transaction: i64) -> Result<Vec<u8>> {
    may_see_transaction(db, access, transaction)?;
    db.raw_message_of(transaction)
}

/// An attachment's type and content, for someone who may see its transaction.
pub fn attachment(db: &Db<'_>, access: &Access, attachment: i64) -> Result<(String, Vec<u8>)> {
    may_see_transaction(db, access, db.attachment_transaction(attachment)?)?;
    db.attachment_content(attachment)
}

fn may_see_transaction(db: &Db<'_>, access: &Access, transaction: i64) -> Result<()> {
    let (ticket, kind) = db.transaction_ticket(transaction)?;
    let row = visible_row(db, access, ticket)?;
    if kind == TransactionKind::Comment {
        access.require(db, Right::ShowTicketComments, On::Ticket(&row))?;
    }
    Ok(())
}

/// The ticket's row if the user may see it; NotFound otherwise.
fn visible_row(db: &Db<'_>, access: &Access, id: i64) -> Result<TicketRow> {
    let missing = || Error::NotFound(format!("ticket {id} does not exist"));
    let effective = db.effective_ticket(id)?.ok_or_else(missing)?;
    let row = db.ticket_row(effective)?.ok_or_else(missing)?;
    if access.can(db, Right::ShowTicket, On::Ticket(&row))? {
        Ok(row)
    } else {
        Err(missing())
    }
}
