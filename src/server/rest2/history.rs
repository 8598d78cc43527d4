//! A ticket's history and attachments: `/ticket/N/history`, `/transaction/N`,
//! `/transaction/N/attachments`, `/ticket/N/attachments`, `/attachment/N`. What a user
//! sees of them is what `tkt show` shows them (the workflow leaves out comments without
//! ShowTicketComments, and the like).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use base64::Engine;
use serde_json::{Value, json};

use super::openapi::{PageParams, ReadFailure, TicketNumber};
use super::shapes::{Paging, asked_fields, date, expand_references, with_fields};
use super::tickets::number;
use super::{Answer, Rest};
use crate::error::Error;
use crate::server::api::{Actor, read_as};
use crate::ticket::AttachmentInfo;
use crate::wire::rest2::{Collection, Filter, Rest2Error};
use crate::workflow::view;

/// `GET /ticket/N/history`: its transactions, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/ticket/{id}/history",
    tag = "history",
    params(
        TicketNumber,
        PageParams,
    ),
    responses(
        (status = 200, description = "The transactions the user sees, oldest first", body = Collection),
        ReadFailure,
    )
)]
pub async fn ticket_history(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    let id = number(&id)?;
    let ticket = read_as(&rest.app, actor, move |db, access| view::ticket(db, access, id)).await?;
    let mut history = ticket.transactions.unwrap_or_default();
    history.sort_by_key(|x| x.id);
    let total = history.len();
    let paging = Paging::from_query(&query);
    let fields = asked_fields(&query);
    let items = paging
        .slice(history)
        .iter()
        .map(|x| {
            let mut record = rest.transaction(x);
            expand_references(&mut record, &query, None);
            with_fields(rest.item("transaction", x.id), &record, &fields)
        })
        .collect();
    let path = format!("ticket/{id}/history");
    Ok(axum::Json(rest.page(&path, &query, paging, total, items)).into_response())
}

/// `GET /transaction/N`.
#[utoipa::path(
    get,
    path = "/transaction/{id}",
    tag = "history",
    params(
        ("id" = String, Path, description = "The transaction number"),
    ),
    responses(
        (status = 200, description = "The transaction", body = serde_json::Value),
        ReadFailure,
    )
)]
pub async fn transaction(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Answer {
    let id = number(&id)?;
    let x = read_as(&rest.app, actor, move |db, access| view::transaction(db, access, id)).await?;
    Ok(axum::Json(rest.transaction(&x)).into_response())
}

/// `GET /transaction/N/attachments`.
#[utoipa::path(
    get,
    path = "/transaction/{id}/attachments",
    tag = "history",
    params(
        ("id" = String, Path, description = "The transaction number"),
        PageParams,
    ),
    responses(
        (status = 200, description = "Its attachments as references", body = Collection),
        ReadFailure,
    )
)]
pub async fn transaction_attachments(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    let id = number(&id)?;
    let x = read_as(&rest.app, actor, move |db, access| view::transaction(db, access, id)).await?;
    let path = format!("transaction/{id}/attachments");
    Ok(axum::Json(attachment_page(&rest, &path, &query, x.attachments)).into_response())
}

/// `GET|POST /ticket/N/attachments`, with RT's JSON filter body
/// (`[{"field":"Filename","operator":"IS NOT","value":""}]`): the attachments of every
/// transaction the user sees.
#[utoipa::path(
    method(get, post),
    path = "/ticket/{id}/attachments",
    tag = "history",
    params(
        TicketNumber,
        PageParams,
    ),
    request_body(content = Vec<Filter>, description = "RT's filter: every condition must hold"),
    responses(
        (status = 200, description = "The attachments of every transaction the user sees", body = Collection),
        (status = 400, description = "A field or value that does not read", body = Rest2Error),
        ReadFailure,
    )
)]
pub async fn ticket_attachments(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Answer {
    let id = number(&id)?;
    let filters: Vec<Filter> = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::Invalid(format!("the filter could not be read: {e}")))?
    };
    let ticket = read_as(&rest.app, actor, move |db, access| view::ticket(db, access, id)).await?;
    let mut all = Vec::new();
    for x in ticket.transactions.unwrap_or_default() {
        all.extend(x.attachments);
    }
    all.sort_by_key(|a| a.id);
    let mut kept = Vec::new();
    for a in all {
        if passes(&a, &filters)? {
            kept.push(a);
        }
    }
    let path = format!("ticket/{id}/attachments");
    Ok(axum::Json(attachment_page(&rest, &path, &query, kept)).into_response())
}

/// Whether an attachment passes every filter; a filter on a field or with an operator
/// ticketd does not know is 400, not quietly ignored.
fn passes(a: &AttachmentInfo, filters: &[Filter]) -> Result<bool, Error> {
    for f in filters {
        let actual = match f.field.as_str() {
            "Filename" => a.filename.clone().unwrap_or_default(),
            "ContentType" => a.content_type.clone(),
            "id" => a.id.to_string(),
            other => return Err(Error::Invalid(format!("cannot filter attachments by `{other}`"))),
        };
        let wanted = f.value.as_ref().map(|v| v.text()).unwrap_or_default();
        let ok = match f.operator.trim().to_ascii_uppercase().as_str() {
            "=" | "IS" => actual == wanted,
            "!=" | "IS NOT" => actual != wanted,
            "LIKE" => actual.to_lowercase().contains(&wanted.to_lowercase()),
            other => return Err(Error::Invalid(format!("the operator `{other}` is not known"))),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn attachment_page(rest: &Rest, path: &str, query: &[(String, String)], all: Vec<AttachmentInfo>) -> Value {
    let paging = Paging::from_query(query);
    let total = all.len();
    let fields = asked_fields(query);
    let items = paging
        .slice(all)
        .iter()
        .map(|a| with_fields(rest.item("attachment", a.id), &rest.attachment_item(a), &fields))
        .collect();
    serde_json::to_value(rest.page(path, query, paging, total, items)).unwrap_or(Value::Null)
}

/// `GET /attachment/N`: `Content` is the decoded bytes in base64.
#[utoipa::path(
    get,
    path = "/attachment/{id}",
    tag = "history",
    params(
        ("id" = String, Path, description = "The attachment number"),
    ),
    responses(
        (status = 200, description = "The attachment, `Content` its bytes in base64", body = serde_json::Value),
        ReadFailure,
    )
)]
pub async fn attachment(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Answer {
    let id = number(&id)?;
    let (content, x) = read_as(&rest.app, actor, move |db, access| {
        view::attachment_with_transaction(db, access, id)
    })
    .await?;
    let info = x.attachments.iter().find(|a| a.id == id);
    let parent = info.and_then(|a| a.parent).unwrap_or(0);
    let filename = content.filename.clone().unwrap_or_default();
    let headers = content.headers.trim_end().replace("\r\n", "\n");
    Ok(axum::Json(json!({
        "id": id,
        "Content": base64::engine::general_purpose::STANDARD.encode(&content.bytes),
        "ContentType": content.content_type,
        "ContentLength": content.bytes.len().to_string(),
        "Filename": filename,
        "Headers": headers,
        "Parent": parent.to_string(),
        "Subject": content.subject.clone().unwrap_or_default(),
        "MessageId": content.message_id.clone().unwrap_or_default(),
        "TransactionId": rest.reference_json("transaction", x.id),
        "Creator": rest.user(&x.creator),
        "Created": date(Some(x.created)),
        "_hyperlinks": [rest.self_link("attachment", id)],
    }))
    .into_response())
}
