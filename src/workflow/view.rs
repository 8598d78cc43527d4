//! Reading tickets through the rights: what `tkt show`, `search`, `raw` and `attachment`
//! may return to the acting user.

use super::Settings;
use super::access::{Access, On};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::search::{self, Condition, Expr, Field, Grouping, Op, Query, Value};
use crate::store::{AttachmentContent, Db, QueueRow, TicketRow, compile_query};
use crate::ticket::{COMMANDS_CUT, Lifecycle, Ticket, Timestamp, Transaction, TransactionKind};
use crate::wire::{ContentHit, Explained, QueueCounts, ReportRow, SearchParams};

/// A ticket with its history. Needs ShowTicket; comments are left out without
/// ShowTicketComments, and so are the raw message and text parts of a message whose
/// commands by mail were cut from its text (the lines are still in them). A ticket the
/// user may not see is reported as missing, so numbers do not reveal which tickets exist.
pub fn ticket(db: &Db<'_>, access: &Access, id: i64) -> Result<Ticket> {
    let row = visible_ticket(db, access, id)?;
    let mut ticket = db.ticket(row.id, true)?;
    // a linked ticket the user may not see does not exist for them, here too
    let mut shown = Vec::with_capacity(ticket.links.len());
    for link in std::mem::take(&mut ticket.links) {
        match visible_ticket(db, access, link.target) {
            Ok(_) => shown.push(link),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    ticket.links = shown;
    if !access.can(db, Right::ShowTicketComments, On::Ticket(&row))?
        && let Some(history) = ticket.transactions.as_mut()
    {
        history.retain(|x| x.kind != TransactionKind::Comment);
        for x in history.iter_mut().filter(|x| x.had_commands()) {
            x.has_raw_message = false;
            x.attachments.retain(|a| a.filename.is_some());
        }
    }
    Ok(ticket)
}

/// The tickets matching a query that the user may see.
pub fn search(db: &Db<'_>, access: &Access, query: &Query, lifecycles: &[&Lifecycle]) -> Result<Vec<Ticket>> {
    check_names(db, access, query, &[], lifecycles)?;
    db.search(query, Some(&access.viewer()), lifecycles)
}

/// Refuses a query that names a queue, status or custom field that does not exist,
/// which would otherwise quietly match nothing: "no queue named `suport`". A queue is
/// known to a user who may see it (SeeQueue) or one of its tickets (a requestor's own);
/// any other gets the same answer as one that does not exist, so that queries do not
/// reveal which queues there are. LIKE patterns are not names and are not checked.
pub fn check_names(
    db: &Db<'_>,
    access: &Access,
    query: &Query,
    by: &[Grouping],
    lifecycles: &[&Lifecycle],
) -> Result<()> {
    let mut conditions = Vec::new();
    if let Some(filter) = &query.filter {
        conditions_of(filter, &mut conditions);
    }
    for c in conditions {
        if let Field::CustomField(name) = &c.field {
            custom_field_exists(db, name)?;
        }
        if !matches!(c.op, Op::Eq | Op::Ne | Op::In | Op::NotIn) {
            continue;
        }
        for value in c.values() {
            match (&c.field, value) {
                (Field::Queue, Value::Text(name)) if !knows_queue(db, access, name, lifecycles)? => {
                    return Err(Error::Invalid(format!("no queue named `{name}`")));
                }
                (Field::Status, Value::Text(name)) if !lifecycles.iter().any(|l| l.statuses().any(|s| s.is(name))) => {
                    return Err(unknown_status(name, lifecycles));
                }
                _ => {}
            }
        }
    }
    let ordered = query.order_by.iter().filter_map(|(field, _)| match field {
        Field::CustomField(name) => Some(name),
        _ => None,
    });
    let grouped = by.iter().filter_map(|g| match g {
        Grouping::CustomField(name) => Some(name),
        _ => None,
    });
    for name in ordered.chain(grouped) {
        custom_field_exists(db, name)?;
    }
    Ok(())
}

/// The queue named `name`, for a user about to do what `right` allows there: found if
/// they may know of it (see it, one of its tickets, or hold `right` there); any other
/// queue gets exactly the answer a name that names none gets, "no queue named `x`". The
/// caller then asks for `right`, whose refusal may name the queue.
pub fn known_queue(db: &Db<'_>, access: &Access, name: &str, right: Right) -> Result<QueueRow> {
    let missing = || Error::NotFound(format!("no queue named `{name}`"));
    let queue = db.queue_by_name(name.trim())?.ok_or_else(missing)?;
    if access.can(db, right, On::Queue(&queue))? || knows_queue(db, access, &queue.name, &[])? {
        Ok(queue)
    } else {
        Err(missing())
    }
}

fn unknown_status(name: &str, lifecycles: &[&Lifecycle]) -> Error {
    let mut known: Vec<&str> = lifecycles
        .iter()
        .flat_map(|l| l.statuses())
        .map(|s| s.as_str())
        .collect();
    known.sort_unstable();
    known.dedup();
    Error::Invalid(format!(
        "no status `{name}` in any lifecycle; the statuses are {}, and __Active__ or __Inactive__",
        known.join(", ")
    ))
}

/// Whether the queue exists as far as this user may tell: they may see it (SeeQueue), or
/// at least one of its tickets.
fn knows_queue(db: &Db<'_>, access: &Access, name: &str, lifecycles: &[&Lifecycle]) -> Result<bool> {
    let Some(id) = db.queue_id_for_search(name)? else {
        return Ok(false);
    };
    if access.can(db, Right::SeeQueue, On::Queue(&db.queue(id)?))? {
        return Ok(true);
    }
    let one_ticket = Query {
        filter: Some(Expr::Condition(Condition {
            field: Field::Queue,
            op: Op::Eq,
            value: Value::Text(name.to_string()),
        })),
        limit: Some(1),
        ..Query::default()
    };
    let seen = db.search_ids(&one_ticket, Some(&access.viewer()), lifecycles)?;
    Ok(!seen.is_empty())
}

fn custom_field_exists(db: &Db<'_>, name: &str) -> Result<()> {
    if db.custom_field_exists(name)? {
        Ok(())
    } else {
        Err(Error::Invalid(format!("no custom field `{name}`")))
    }
}

fn conditions_of<'q>(expr: &'q Expr, out: &mut Vec<&'q Condition>) {
    match expr {
        Expr::And(all) | Expr::Or(all) => all.iter().for_each(|e| conditions_of(e, out)),
        Expr::Not(e) => conditions_of(e, out),
        Expr::Condition(c) => out.push(c),
    }
}

/// What someone typed into a search box, as TicketSQL and parsed: TicketSQL as it is, the
/// simple form (`printer queue:network owner:me`) mapped onto it.
pub fn interpret(text: &str, now: Timestamp) -> Result<(String, Query)> {
    let ticketsql = if text.trim().is_empty() || search::looks_like_ticketsql(text, now) {
        text.to_string()
    } else {
        search::simple_to_ticketsql(text)
    };
    let query = search::parse(&ticketsql, now)?;
    Ok((ticketsql, query))
}

/// A search as asked over the API: the text interpreted ([`interpret`]) and, when a page
/// is asked, that page: 50 results unless `per_page` says, at most 1,000.
pub fn asked_search(p: &SearchParams, now: Timestamp) -> Result<(String, Query)> {
    let (ticketsql, mut query) = interpret(&p.q, now)?;
    if let Some(page) = p.page {
        let per_page = p.per_page.unwrap_or(50).clamp(1, 1000);
        query.limit = Some(per_page);
        query.offset = Some(page.max(1).saturating_sub(1).saturating_mul(per_page));
    }
    Ok((ticketsql, query))
}

/// Shows what a search compiles to (`tkt search --sql`).
pub fn explain(
    db: &Db<'_>,
    access: &Access,
    ticketsql: &str,
    query: &Query,
    lifecycles: &[&Lifecycle],
) -> Result<Explained> {
    check_names(db, access, query, &[], lifecycles)?;
    let compiled = compile_query(query, Some(&access.viewer()), lifecycles, true, db.dialect());
    let params = compiled.params_json();
    Ok(Explained {
        ticketsql: ticketsql.to_string(),
        sql: compiled.sql,
        params,
    })
}

/// Full-text search ranked by relevance, with snippets, over what the user may see: 20
/// hits unless `limit` says, at most 1,000.
pub fn content(db: &Db<'_>, access: &Access, text: &str, limit: Option<u32>) -> Result<Vec<ContentHit>> {
    let fts = search::fts_query(text)?;
    db.content_search(&fts, Some(&access.viewer()), limit.unwrap_or(20).clamp(1, 1000))
}

/// Counts the tickets of a query the user may see, grouped.
pub fn report(
    db: &Db<'_>,
    access: &Access,
    query: &Query,
    by: &[Grouping],
    lifecycles: &[&Lifecycle],
) -> Result<Vec<ReportRow>> {
    if by.is_empty() {
        return Err(Error::Invalid(
            "a report needs at least one --by: what to count by (Status, Queue, ...)".into(),
        ));
    }
    check_names(db, access, query, by, lifecycles)?;
    let rows = db.report(query, by, Some(&access.viewer()), lifecycles)?;
    Ok(rows
        .into_iter()
        .map(|(group, count)| ReportRow { group, count })
        .collect())
}

/// Each queue the user may see (SeeQueue) with its active tickets counted by status.
/// Where the user sees the whole queue (ShowTicket there or globally) the counts come from
/// the store's kept counts; where only some of its tickets (by a role), from a report of
/// just those, so the numbers never tell of tickets the user may not see.
pub fn queue_counts(db: &Db<'_>, access: &Access, settings: &Settings) -> Result<Vec<QueueCounts>> {
    let viewer = access.viewer();
    let whole = |q: &QueueRow| viewer.tickets.everything || viewer.tickets.queues.contains(&q.id);
    let mut queues = Vec::new();
    for q in db.queues()? {
        if access.can(db, Right::SeeQueue, On::Queue(&q))? {
            queues.push(q);
        }
    }
    let kept = db.ticket_counts()?;
    let partly: Vec<ReportRow> = if queues.iter().all(whole) {
        Vec::new()
    } else {
        let lifecycles = settings.all_lifecycles();
        let active = Query {
            filter: Some(Expr::Condition(Condition {
                field: Field::Status,
                op: Op::Eq,
                value: Value::Active(true),
            })),
            ..Query::default()
        };
        report(db, access, &active, &[Grouping::Queue, Grouping::Status], &lifecycles)?
    };
    Ok(queues
        .iter()
        .map(|q| {
            let count = |status: &str| {
                if whole(q) {
                    kept.iter()
                        .find(|(queue, st, _)| *queue == q.id && st == status)
                        .map_or(0, |(_, _, n)| *n)
                } else {
                    partly
                        .iter()
                        .find(|r| {
                            r.group.first() == Some(&q.name) && r.group.get(1).map(String::as_str) == Some(status)
                        })
                        .map_or(0, |r| r.count)
                }
            };
            let lifecycle = settings.lifecycle(q);
            QueueCounts {
                queue: q.name.clone(),
                description: q.description.clone(),
                active: lifecycle
                    .statuses()
                    .filter(|st| lifecycle.is_active(st))
                    .map(|st| (st.as_str().to_string(), count(st.as_str())))
                    .collect(),
            }
        })
        .collect())
}

/// The raw message of a transaction, for someone who may see that transaction. A
/// message whose commands by mail were cut from its text keeps them in its raw bytes: that
/// is for staff (ShowTicketComments).
pub fn raw_message(db: &Db<'_>, access: &Access, transaction: i64) -> Result<Vec<u8>> {
    let seen = seen_transaction(db, access, transaction)?;
    if seen.had_commands && !seen.by_staff {
        return Err(Error::Denied(format!(
            "the raw message of transaction {transaction} is for staff: it holds its sender's commands by mail \
             (`tkt show` has its text)"
        )));
    }
    db.raw_message_of(transaction)
}

/// An attachment's type, name and content, for someone who may see its transaction. An
/// attachment the user may not see (of a hidden ticket, of a comment without
/// ShowTicketComments, the text of a message that held commands by mail) does not exist
/// for them, exactly as one that does not exist.
pub fn attachment(db: &Db<'_>, access: &Access, attachment: i64) -> Result<AttachmentContent> {
    let missing = || Error::NotFound(format!("attachment {attachment} does not exist"));
    let (transaction, is_file) = db.attachment_transaction(attachment)?;
    let seen = seen_transaction(db, access, transaction).map_err(|e| match e {
        Error::NotFound(_) => missing(),
        other => other,
    })?;
    if seen.had_commands && !seen.by_staff && !is_file {
        return Err(missing());
    }
    db.attachment_content(attachment)
}

/// What a reader may see of a transaction they may see at all.
struct SeenTransaction {
    /// They hold ShowTicketComments on its ticket.
    by_staff: bool,
    /// Command lines were cut from the message's text.
    had_commands: bool,
}

/// A transaction of a ticket the user may see, and not a comment unless they hold
/// ShowTicketComments; else "transaction N does not exist", as for a number that names
/// none.
fn seen_transaction(db: &Db<'_>, access: &Access, transaction: i64) -> Result<SeenTransaction> {
    let missing = || Error::NotFound(format!("transaction {transaction} does not exist"));
    let place = db.transaction_place(transaction)?;
    let row = visible_ticket(db, access, place.ticket).map_err(|e| match e {
        Error::NotFound(_) => missing(),
        other => other,
    })?;
    let by_staff = access.can(db, Right::ShowTicketComments, On::Ticket(&row))?;
    if place.kind == TransactionKind::Comment && !by_staff {
        return Err(missing());
    }
    Ok(SeenTransaction {
        by_staff,
        had_commands: place.field.as_deref() == Some(COMMANDS_CUT),
    })
}

/// The ticket's row (a merged ticket's survivor) if the user may see it (ShowTicket);
/// otherwise `NotFound` with exactly the words a number that names no ticket gets: "ticket
/// N does not exist". Every read and change of a ticket by a person asks this first.
pub fn visible_ticket(db: &Db<'_>, access: &Access, id: i64) -> Result<TicketRow> {
    let missing = || Error::NotFound(format!("ticket {id} does not exist"));
    let effective = db.effective_ticket(id)?.ok_or_else(missing)?;
    let row = db.ticket_row(effective)?.ok_or_else(missing)?;
    if access.can(db, Right::ShowTicket, On::Ticket(&row))? {
        Ok(row)
    } else {
        Err(missing())
    }
}

/// A page of the tickets matching a query that the user may see, and how many they may
/// see in all (REST2's collections say both). `offset` and `limit` replace the query's own.
pub fn search_page(
    db: &Db<'_>,
    access: &Access,
    query: &Query,
    lifecycles: &[&Lifecycle],
    offset: u32,
    limit: u32,
) -> Result<(Vec<Ticket>, usize)> {
    check_names(db, access, query, &[], lifecycles)?;
    let viewer = access.viewer();
    let every = Query {
        limit: None,
        offset: None,
        ..query.clone()
    };
    let total = db.search_ids(&every, Some(&viewer), lifecycles)?.len();
    let page = Query {
        limit: Some(limit),
        offset: Some(offset),
        ..query.clone()
    };
    Ok((db.search(&page, Some(&viewer), lifecycles)?, total))
}

/// One transaction as its ticket's history shows it to the user ([`ticket`]: a comment
/// only with ShowTicketComments); any other is "transaction N does not exist", as for a
/// number that names none.
pub fn transaction(db: &Db<'_>, access: &Access, id: i64) -> Result<Transaction> {
    let missing = || Error::NotFound(format!("transaction {id} does not exist"));
    let place = db.transaction_place(id)?;
    let shown = ticket(db, access, place.ticket).map_err(|e| match e {
        Error::NotFound(_) => missing(),
        other => other,
    })?;
    shown
        .transactions
        .into_iter()
        .flatten()
        .find(|x| x.id == id)
        .ok_or_else(missing)
}

/// An attachment's content ([`attachment`]) with the transaction it belongs to, as the
/// user may see that ([`transaction`]).
pub fn attachment_with_transaction(db: &Db<'_>, access: &Access, id: i64) -> Result<(AttachmentContent, Transaction)> {
    let content = attachment(db, access, id)?;
    let (transaction_id, _) = db.attachment_transaction(id)?;
    let shown = transaction(db, access, transaction_id).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound(format!("attachment {id} does not exist")),
        other => other,
    })?;
    Ok((content, shown))
}

/// What the user may send on a ticket they may see: a reply (ReplyToTicket) and a
/// comment (CommentOnTicket); REST2 offers links for just those.
pub fn may_send(db: &Db<'_>, access: &Access, id: i64) -> Result<(bool, bool)> {
    let row = visible_ticket(db, access, id)?;
    let on = On::Ticket(&row);
    Ok((
        access.can(db, Right::ReplyToTicket, on)?,
        access.can(db, Right::CommentOnTicket, on)?,
    ))
}
