//! Tickets: show, create, change (fields, take, untake, steal) and search.

use axum::Extension;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::messages::{as_text, decode_files, read_body, within_limit};
use super::openapi::{ChangeFailure, OwnershipFailure, PageParams, ReadFailure, TicketNumber};
use super::shapes::{Paging, TicketLinks, asked_fields, expand_references, with_fields};
use super::{Answer, Failure, Rest};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::server::api::{Actor, read_as, write_as};
use crate::server::now;
use crate::store::Db;
use crate::ticket::{Change, LinkName, OwnerAction, Ticket, Timestamp, TransactionKind};
use crate::wire::NewTicketRequest;
use crate::wire::rest2::{Collection, NewTicket, OneOrMany, Reference, Rest2Error};
use crate::workflow::{self, Access, Settings, lifecycle, view};

/// A ticket number from the path; anything else names no ticket.
pub fn number(id: &str) -> std::result::Result<i64, Failure> {
    id.trim()
        .parse::<i64>()
        .map_err(|_| Failure::Ticketd(Error::NotFound(format!("no ticket `{id}`"))))
}

/// `GET /ticket/N`, with `ETag` the newest transaction the user sees.
#[utoipa::path(
    get,
    path = "/ticket/{id}",
    tag = "tickets",
    params(
        TicketNumber,
        ("fields" = Option<String>, Query, description = "Only these fields (comma-separated)"),
    ),
    responses(
        (status = 200, description = "The ticket, with `_hyperlinks` to what the user may do; `ETag` its newest transaction", body = serde_json::Value),
        ReadFailure,
    )
)]
pub async fn show(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    let id = number(&id)?;
    let settings = rest.app.settings.clone();
    let (ticket, queue, links) = read_as(&rest.app, actor, move |db, access| {
        let ticket = view::ticket(db, access, id)?;
        let (queue, links) = ticket_context(db, access, &settings, &ticket)?;
        Ok((ticket, queue, links))
    })
    .await?;
    let mut record = rest.ticket(&ticket, queue.0, &links);
    expand_references(&mut record, &query, Some(&queue.1));
    let etag = format!("\"{}\"", newest_transaction(&ticket));
    Ok((
        [
            (header::ETAG, etag),
            (header::LAST_MODIFIED, super::shapes::date(Some(ticket.updated))),
        ],
        axum::Json(record),
    )
        .into_response())
}

/// The ticket's queue (number and name) and what its `_hyperlinks` offer the user.
fn ticket_context(
    db: &Db<'_>,
    access: &Access,
    settings: &Settings,
    ticket: &Ticket,
) -> Result<((i64, String), TicketLinks)> {
    let queue = view::known_queue(db, access, &ticket.queue, Right::ShowTicket)?;
    let moves = lifecycle::moves(db, settings, access, ticket.id)?;
    let (may_reply, may_comment) = view::may_send(db, access, ticket.id)?;
    Ok((
        (queue.id, queue.name),
        TicketLinks {
            may_reply,
            may_comment,
            moves,
        },
    ))
}

fn newest_transaction(ticket: &Ticket) -> i64 {
    ticket.transactions.iter().flatten().map(|x| x.id).max().unwrap_or(0)
}

/// `POST /ticket`: JSON, or a form with a `JSON` part and `Attachments` files. The
/// ticket is made and the fields creation does not take (Cc, AdminCc, Status, Due,
/// custom fields) set right after, in the same transaction: all or nothing.
#[utoipa::path(
    post,
    path = "/ticket",
    tag = "tickets",
    request_body(content((NewTicket = "application/json"), ("multipart/form-data")), description = "JSON, or a form with a `JSON` part and `Attachments` files"),
    responses(
        (status = 201, description = "The new ticket as a reference", body = Reference),
        (status = 400, description = "A field or value that does not read", body = Rest2Error),
        (status = 403, description = "The user may see it but not do this", body = Rest2Error),
        (status = 415, description = "Not JSON or a form", body = Rest2Error),
    )
)]
pub async fn create(State(rest): State<Rest>, Extension(actor): Extension<Actor>, request: Request) -> Answer {
    let (req, mut files) = read_body::<NewTicket>(request).await?;
    files.extend(decode_files(&req.attachments)?);
    within_limit(&rest, req.content.as_deref().unwrap_or_default(), &files)?;
    let at = now();
    let priority = req
        .priority
        .as_ref()
        .map(|p| {
            p.text()
                .trim()
                .parse::<i64>()
                .map_err(|_| Error::Invalid(format!("Priority must be a whole number, not `{}`", p.text())))
        })
        .transpose()?;
    let new = NewTicketRequest {
        queue: req.queue.text(),
        subject: req.subject.clone().unwrap_or_default(),
        requestors: req.requestor.as_ref().map(OneOrMany::texts).unwrap_or_default(),
        content: as_text(req.content.clone().unwrap_or_default(), req.content_type.as_deref()).await?,
        priority,
        owner: req.owner.clone().filter(|o| !o.trim().is_empty()),
    };
    let after = creation_changes(&req, at)?;
    let id = write_as(&rest.app, actor, move |tx, access, s| {
        let new = NewTicketRequest {
            queue: queue_name(tx, access, &new.queue)?,
            ..new
        };
        let id = workflow::create_with_files(tx, s, &new, &files, access, at)?;
        if !after.is_empty() {
            workflow::update(tx, s, id, &after, access, at)?;
        }
        Ok(id)
    })
    .await?;
    let url = rest.url(&format!("ticket/{id}"));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, url)],
        axum::Json(rest.reference("ticket", id)),
    )
        .into_response())
}

/// A queue given by number (as RT's clients may) named, for a user who may know of it as
/// by its name (see it, one of its tickets, or create tickets there: a requestor may open
/// tickets in a queue they may not list); to anyone else the number names nothing.
fn queue_name(db: &Db<'_>, access: &Access, given: &str) -> Result<String> {
    let Ok(id) = given.trim().parse::<i64>() else {
        return Ok(given.to_string());
    };
    let Some(queue) = db.queues()?.into_iter().find(|q| q.id == id) else {
        return Ok(given.to_string());
    };
    match view::known_queue(db, access, &queue.name, Right::CreateTicket) {
        Ok(queue) => Ok(queue.name),
        Err(Error::NotFound(_)) => Ok(given.to_string()),
        Err(e) => Err(e),
    }
}

/// What a new ticket asks beyond what creating one takes, as `tkt set` changes.
fn creation_changes(req: &NewTicket, at: Timestamp) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for (role, list) in [("Cc", &req.cc), ("AdminCc", &req.admin_cc)] {
        for address in list.iter().flat_map(OneOrMany::texts) {
            changes.push(Change::parse(&format!("{role}+={address}"), at)?);
        }
    }
    if let Some(status) = req.status.as_deref().filter(|s| !s.trim().is_empty()) {
        changes.push(Change::parse(&format!("Status={status}"), at)?);
    }
    if let Some(due) = req.due.as_deref().filter(|s| !s.trim().is_empty()) {
        changes.push(Change::parse(&format!("Due={due}"), at)?);
    }
    for (name, values) in &req.custom_fields {
        changes.push(custom_field(name, values));
    }
    Ok(changes)
}

fn custom_field(name: &str, values: &OneOrMany) -> Change {
    Change::CustomField {
        name: name.to_string(),
        value: values.texts().join(","),
    }
}

/// What a PUT did, or that the ticket changed since the `If-Match` the client sent.
#[derive(Debug, Serialize, Deserialize)]
enum Put {
    Stale,
    Done(Vec<String>),
}

/// `PUT /ticket/N`: RT's fields as `tkt set` changes, made in one workflow call;
/// answers RT's "Ticket N: Field changed from 'a' to 'b'" for each change. A stale
/// `If-Match` (the `ETag` of `GET`) is 412 and changes nothing.
#[utoipa::path(
    put,
    path = "/ticket/{id}",
    tag = "tickets",
    params(
        TicketNumber,
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the ticket as last read"),
    ),
    request_body(content = serde_json::Value, description = "RT's fields (`Subject`, `Status`, `Owner`, `Requestor`, `CustomFields`, `AddDependsOn`, `MergeInto`, ...)"),
    responses(
        (status = 200, description = "RT's message for each change", body = Vec<String>),
        ChangeFailure,
        (status = 412, description = "The ticket changed since `If-Match`", body = Rest2Error),
    )
)]
pub async fn update(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: std::result::Result<axum::Json<Map<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Answer {
    let id = number(&id)?;
    let axum::Json(fields) = body?;
    let if_match = if_match(&headers);
    let at = now();
    let done = write_as(&rest.app, actor, move |tx, access, s| {
        let before = view::ticket(tx, access, id)?;
        if let Some(expected) = if_match
            && expected != newest_transaction(&before).to_string()
        {
            return Ok(Put::Stale);
        }
        if let Some(into) = fields.get("MergeInto") {
            let into = texts(into).join("");
            let into = into
                .trim()
                .trim_start_matches('#')
                .parse::<i64>()
                .map_err(|_| Error::Invalid(format!("MergeInto takes a ticket number, not `{into}`")))?;
            workflow::merge(tx, s, access, id, into, at)?;
            return Ok(Put::Done(vec!["Merge Successful".to_string()]));
        }
        let changes = field_changes(&fields, &before, at)?;
        if changes.is_empty() {
            return Ok(Put::Done(Vec::new()));
        }
        let made = workflow::update(tx, s, id, &changes, access, at)?;
        Ok(Put::Done(messages_of(tx, access, before.id, &made, true)?))
    })
    .await?;
    match done {
        Put::Stale => Err(Failure::Http(
            StatusCode::PRECONDITION_FAILED,
            "The ticket has changed since the ETag given in If-Match".into(),
        )),
        Put::Done(messages) => Ok(axum::Json(messages).into_response()),
    }
}

/// The entity tag `If-Match` names (`"36"`, `W/"36"`), none for `*` or no header.
fn if_match(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::IF_MATCH)?.to_str().ok()?.trim();
    if value == "*" {
        return None;
    }
    Some(value.trim_start_matches("W/").trim_matches('"').to_string())
}

/// RT's fields as changes. Requestor, Cc and AdminCc name the whole new list, so they
/// become the additions and removals that make it so.
fn field_changes(fields: &Map<String, Value>, current: &Ticket, at: Timestamp) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for (field, value) in fields {
        let list = match field.as_str() {
            "Requestor" | "Requestors" => Some(("Requestor", &current.requestors)),
            "Cc" => Some(("Cc", &current.cc)),
            "AdminCc" => Some(("AdminCc", &current.admincc)),
            _ => None,
        };
        if let Some((role, now_on)) = list {
            let wanted = texts(value);
            for gone in now_on
                .iter()
                .filter(|a| !wanted.iter().any(|w| w.eq_ignore_ascii_case(a)))
            {
                changes.push(Change::parse(&format!("{role}-={gone}"), at)?);
            }
            for new in wanted
                .iter()
                .filter(|w| !now_on.iter().any(|a| a.eq_ignore_ascii_case(w)))
            {
                changes.push(Change::parse(&format!("{role}+={new}"), at)?);
            }
        } else if let Some((link, add)) = link_field(field) {
            for other in texts(value) {
                let sign = if add { '+' } else { '-' };
                changes.push(Change::parse(&format!("{}{sign}={other}", link.as_str()), at)?);
            }
        } else if field == "CustomFields" {
            let Value::Object(named) = value else {
                return Err(Error::Invalid(
                    "CustomFields must be an object of names and values".into(),
                ));
            };
            for (name, values) in named {
                changes.push(Change::CustomField {
                    name: name.clone(),
                    value: texts(values).join(","),
                });
            }
        } else {
            changes.push(Change::parse(&format!("{field}={}", texts(value).join(",")), at)?);
        }
    }
    Ok(changes)
}

/// RT's `AddDependsOn`, `DeleteParent`, ...: the link's name and whether it is added.
fn link_field(field: &str) -> Option<(LinkName, bool)> {
    let (name, add) = match field.strip_prefix("Add") {
        Some(name) => (name, true),
        None => (field.strip_prefix("Delete")?, false),
    };
    Some((name.parse().ok()?, add))
}

/// A JSON value as the texts it holds: a string or number, a list of them, null as none.
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(all) => all.iter().flat_map(texts).collect(),
        other => vec![other.to_string()],
    }
}

/// RT's messages for the transactions a change made: "Ticket N: Priority changed from
/// '0' to '5'" (`prefixed`), or for ownership "Owner changed from Nobody to alice".
pub(super) fn messages_of(
    db: &Db<'_>,
    access: &Access,
    ticket: i64,
    made: &[i64],
    prefixed: bool,
) -> Result<Vec<String>> {
    let after = view::ticket(db, access, ticket)?;
    let history = after.transactions.unwrap_or_default();
    Ok(made
        .iter()
        .filter_map(|id| history.iter().find(|x| x.id == *id))
        .map(|x| {
            let old = x.old_value.as_deref().unwrap_or_default();
            let new = x.new_value.as_deref().unwrap_or_default();
            let field = x.field.as_deref().unwrap_or_default();
            let text = match x.kind {
                TransactionKind::AddWatcher => format!("Added {new} as {field}"),
                TransactionKind::DelWatcher => format!("Removed {old} as {field}"),
                TransactionKind::AddLink => format!("{field} ticket {new} added"),
                TransactionKind::DeleteLink => format!("{field} ticket {old} deleted"),
                _ if !prefixed => format!("{field} changed from {old} to {new}"),
                _ => format!("{field} changed from '{old}' to '{new}'"),
            };
            if prefixed {
                format!("Ticket {ticket}: {text}")
            } else {
                text
            }
        })
        .collect())
}

/// `PUT /ticket/N/take`: the caller becomes the owner of an unowned ticket.
#[utoipa::path(
    put,
    path = "/ticket/{id}/take",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    responses(
        (status = 200, description = "RT's message", body = Vec<String>),
        OwnershipFailure,
    )
)]
pub async fn take(rest: State<Rest>, actor: Extension<Actor>, id: Path<String>, headers: HeaderMap) -> Answer {
    ownership(rest, actor, id, headers, OwnerAction::Take).await
}

/// `PUT /ticket/N/untake`: the owner gives the ticket back to Nobody.
#[utoipa::path(
    put,
    path = "/ticket/{id}/untake",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    responses(
        (status = 200, description = "RT's message", body = Vec<String>),
        OwnershipFailure,
    )
)]
pub async fn untake(rest: State<Rest>, actor: Extension<Actor>, id: Path<String>, headers: HeaderMap) -> Answer {
    ownership(rest, actor, id, headers, OwnerAction::Untake).await
}

/// `PUT /ticket/N/steal`: the caller takes a ticket someone else owns.
#[utoipa::path(
    put,
    path = "/ticket/{id}/steal",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    responses(
        (status = 200, description = "RT's message", body = Vec<String>),
        OwnershipFailure,
    )
)]
pub async fn steal(rest: State<Rest>, actor: Extension<Actor>, id: Path<String>, headers: HeaderMap) -> Answer {
    ownership(rest, actor, id, headers, OwnerAction::Steal).await
}

/// `PUT /ticket/N/take|untake|steal`: RT asks for a JSON content type (415 otherwise)
/// and answers one message, "Owner changed from Nobody to alice".
async fn ownership(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    headers: HeaderMap,
    action: OwnerAction,
) -> Answer {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(Failure::Http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json".into(),
        ));
    }
    let id = number(&id)?;
    let at = now();
    let messages = write_as(&rest.app, actor, move |tx, access, s| {
        let made = workflow::update(tx, s, id, &[Change::Ownership(action)], access, at)?;
        let messages = messages_of(tx, access, id, &made, false)?;
        Ok(if messages.is_empty() {
            vec!["That is already the current value".to_string()]
        } else {
            messages
        })
    })
    .await?;
    Ok(axum::Json(messages).into_response())
}

/// `GET|POST /tickets?query=TicketSQL[&simple=1][&orderby&order][&page&per_page][&fields]`;
/// a POST may send the same parameters as a form body instead.
#[utoipa::path(
    method(get, post),
    path = "/tickets",
    tag = "tickets",
    params(
        ("query" = String, Query, description = "TicketSQL, or the simple search with `simple=1`"),
        ("simple" = Option<u8>, Query, description = "1: `query` is the simple search"),
        ("orderby" = Option<String>, Query, description = "A field to sort by"),
        ("order" = Option<String>, Query, description = "ASC or DESC"),
        PageParams,
        ("fields" = Option<String>, Query, description = "Fields of each ticket (comma-separated); `fields[Queue]=Name` expands a reference"),
    ),
    responses(
        (status = 200, description = "The tickets the user may see, a page at a time", body = Collection),
        (status = 400, description = "A field or value that does not read", body = Rest2Error),
    )
)]
pub async fn search(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Query(mut query): Query<Vec<(String, String)>>,
    form: axum::body::Bytes,
) -> Answer {
    if !form.iter().all(u8::is_ascii_whitespace) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&form)
            .map_err(|e| Error::Invalid(format!("the form could not be read: {e}")))?;
        query.extend(pairs);
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let at = now();
    let text = if param("simple") == "1" {
        crate::search::simple_to_ticketsql(&param("query"))
    } else {
        param("query")
    };
    let (_, mut parsed) = view::interpret(&text, at)?;
    let order_by = param("orderby");
    if !order_by.is_empty() {
        let known = order_by
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.{}".contains(c));
        let direction = if param("order").eq_ignore_ascii_case("desc") {
            "DESC"
        } else {
            "ASC"
        };
        if !known {
            return Err(Error::Invalid(format!("cannot order by `{order_by}`")).into());
        }
        parsed.order_by = crate::search::parse(&format!("ORDER BY {order_by} {direction}"), at)?.order_by;
    }
    let paging = Paging::from_query(&query);
    let settings = rest.app.settings.clone();
    let (found, total) = read_as(&rest.app, actor, move |db, access| {
        let (tickets, total) = view::search_page(
            db,
            access,
            &parsed,
            &settings.all_lifecycles(),
            paging.offset(),
            paging.per_page,
        )?;
        let mut found = Vec::new();
        for ticket in tickets {
            let queue = view::known_queue(db, access, &ticket.queue, Right::ShowTicket)?;
            found.push((ticket, (queue.id, queue.name)));
        }
        Ok((found, total))
    })
    .await?;
    let fields = asked_fields(&query);
    let items = found
        .iter()
        .map(|(ticket, queue)| {
            let mut record = rest.ticket(ticket, queue.0, &TicketLinks::default());
            expand_references(&mut record, &query, Some(&queue.1));
            record.remove("id");
            with_fields(rest.item("ticket", ticket.id), &record, &fields)
        })
        .collect();
    Ok(axum::Json(rest.page("tickets", &query, paging, total, items)).into_response())
}

/// `DELETE /ticket/N`: RT moves the ticket to `deleted` (a status change like any other,
/// with its right); 204.
#[utoipa::path(
    delete,
    path = "/ticket/{id}",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    responses(
        (status = 204, description = "The ticket is now `deleted`"),
        (status = 403, description = "The user may see it but not do this", body = Rest2Error),
        ReadFailure,
    )
)]
pub async fn delete(State(rest): State<Rest>, Extension(actor): Extension<Actor>, Path(id): Path<String>) -> Answer {
    let id = number(&id)?;
    let at = now();
    let deleted = Change::parse("Status=deleted", at)?;
    write_as(&rest.app, actor, move |tx, access, s| {
        workflow::update(tx, s, id, &[deleted], access, at)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
