//! Tickets: show, search, create, reply, comment, change; raw messages and attachments;
//! the quarantine.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::download::download;
use super::{Actor, ApiResult, App, read_as, write_as};
use crate::error::Result;
use crate::server::now;
use crate::ticket::{Action, Change};
use crate::wire::{
    ChangeRequest, Changes, ContentParams, Created, MergeRequest, Merged, MessageRequest, NamedSearch,
    NewTicketRequest, QuarantineParams, Recorded, ReportParams, SaveSearch, SearchParams, ShredRequest,
};
use crate::workflow::{self, quarantine, view};

pub async fn show(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(Json(read_as(&app, actor, move |db, access| view::ticket(db, access, id)).await?).into_response())
}

/// Tickets matching TicketSQL or the simple form (`printer queue:network owner:me`).
pub async fn search(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Response> {
    let (ticketsql, query) = view::asked_search(&p, now())?;
    let settings = app.settings.clone();
    if p.explain {
        let explained = read_as(&app, actor, move |db, access| {
            view::explain(db, access, &ticketsql, &query, &settings.all_lifecycles())
        })
        .await?;
        return Ok(Json(explained).into_response());
    }
    let tickets = read_as(&app, actor, move |db, access| {
        view::search(db, access, &query, &settings.all_lifecycles())
    })
    .await?;
    Ok(Json(tickets).into_response())
}

/// Full text, ranked, with snippets.
pub async fn content_search(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<ContentParams>,
) -> ApiResult<Response> {
    let hits = read_as(&app, actor, move |db, access| view::content(db, access, &p.q, p.limit)).await?;
    Ok(Json(hits).into_response())
}

/// Ticket counts of a query, grouped.
pub async fn report(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<ReportParams>,
) -> ApiResult<Response> {
    let (_, query) = view::interpret(&p.q, now())?;
    let by = crate::search::parse_groupings(&p.by)?;
    let settings = app.settings.clone();
    let rows = read_as(&app, actor, move |db, access| {
        view::report(db, access, &query, &by, &settings.all_lifecycles())
    })
    .await?;
    Ok(Json(rows).into_response())
}

/// The caller's saved searches.
pub async fn saved_searches(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    let saved = read_as(&app, actor, workflow::saved_searches::list).await?;
    Ok(Json(saved).into_response())
}

/// Saves a search under a name (replacing one of that name); the query must parse.
pub async fn save_search(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<SaveSearch>,
) -> ApiResult<Response> {
    let now = now();
    write_as(&app, actor, move |tx, access, s| {
        workflow::saved_searches::save(tx, access, &req.name, &req.query, &s.all_lifecycles(), now)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Forgets one of the caller's saved searches.
pub async fn delete_saved_search(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NamedSearch>,
) -> ApiResult<Response> {
    write_as(&app, actor, move |tx, access, _| {
        workflow::saved_searches::delete(tx, access, &req.name)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn create(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<NewTicketRequest>,
) -> ApiResult<Response> {
    let id = write_as(&app, actor, move |tx, access, s| {
        workflow::create(tx, s, &req, access, now())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

pub async fn correspond(
    state: State<App>,
    actor: Extension<Actor>,
    id: Path<i64>,
    body: Json<MessageRequest>,
) -> ApiResult<Response> {
    respond(state, actor, id, body, Action::Correspond).await
}

pub async fn comment(
    state: State<App>,
    actor: Extension<Actor>,
    id: Path<i64>,
    body: Json<MessageRequest>,
) -> ApiResult<Response> {
    respond(state, actor, id, body, Action::Comment).await
}

async fn respond(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    Json(req): Json<MessageRequest>,
    action: Action,
) -> ApiResult<Response> {
    let (transaction, kind) = write_as(&app, actor, move |tx, access, s| {
        workflow::reply(tx, s, id, action, &req.content, req.minutes, access, now())
    })
    .await?;
    Ok(Json(Recorded { transaction, kind }).into_response())
}

pub async fn change(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    Json(req): Json<ChangeRequest>,
) -> ApiResult<Response> {
    let at = now();
    let changes = req
        .changes
        .iter()
        .map(|c| Change::parse(c, at))
        .collect::<Result<Vec<_>>>()?;
    let transactions = write_as(&app, actor, move |tx, access, s| {
        workflow::update(tx, s, id, &changes, access, at)
    })
    .await?;
    Ok(Json(Changes { transactions }).into_response())
}

pub async fn merge(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    Json(req): Json<MergeRequest>,
) -> ApiResult<Response> {
    let transaction = write_as(&app, actor, move |tx, access, s| {
        workflow::merge(tx, s, access, id, req.into, now())
    })
    .await?;
    Ok(Json(Merged { transaction }).into_response())
}

pub async fn shred(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    Json(req): Json<ShredRequest>,
) -> ApiResult<Response> {
    let counts = write_as(&app, actor, move |tx, access, _| {
        workflow::shred(tx, access, id, req.apply)
    })
    .await?;
    Ok(Json(counts).into_response())
}

pub async fn raw_message(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let bytes = read_as(&app, actor, move |db, access| view::raw_message(db, access, id)).await?;
    Ok(download(
        "message/rfc822",
        None,
        &format!("transaction-{id}.eml"),
        bytes,
    ))
}

pub async fn attachment(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let part = read_as(&app, actor, move |db, access| view::attachment(db, access, id)).await?;
    Ok(download(
        &part.content_type,
        part.filename.as_deref(),
        &format!("attachment-{id}"),
        part.bytes,
    ))
}

pub async fn quarantine_list(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<QuarantineParams>,
) -> ApiResult<Response> {
    let entries = read_as(&app, actor, move |db, access| quarantine::list(db, access, p.all)).await?;
    Ok(Json(entries).into_response())
}

pub async fn quarantine_show(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let entry = read_as(&app, actor, move |db, access| quarantine::entry(db, access, id)).await?;
    Ok(Json(entry).into_response())
}

pub async fn quarantine_raw(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let bytes = read_as(&app, actor, move |db, access| quarantine::raw(db, access, id)).await?;
    Ok(download("message/rfc822", None, &format!("quarantine-{id}.eml"), bytes))
}

pub async fn quarantine_retry(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    // the retry is kept (one more attempt, its error) even when it fails again
    let outcome = write_as(&app, actor, move |tx, access, s| {
        quarantine::retry(tx, s, access, id, now())
    })
    .await?;
    let outcome = read_as(&app, actor, move |db, _| quarantine::retry_answer(db, id, outcome)).await?;
    Ok(Json(outcome).into_response())
}
