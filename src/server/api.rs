//! The HTTP API on ticketd's sockets: the ingest endpoint for mailgate and the API for
//! `tkt` (later the web UI).
//!
//! Errors are JSON, `{"error": {"kind": "not_found", "message": "..."}}`, with an HTTP
//! status to match; clients act on `kind` (see [`Error::kind`]).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::now;
use super::peer::Peer;
use super::writer::Writer;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::ReadPool;
use crate::ticket::{Action, Change};
use crate::user::ROOT_ID;
use crate::workflow::{self, Delivery, NewTicketRequest, Settings};

/// Messages up to this size are parsed on the request's own task.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub writer: Writer,
    pub reads: Arc<ReadPool>,
    pub settings: Arc<Settings>,
    pub config: Arc<Config>,
    /// The user ticketd runs as (the owner of its Unix sockets).
    pub daemon_uid: Option<u32>,
}

/// The routes, with authentication in front of them.
pub fn router(app: App) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/v1/ingest", post(ingest))
        .route("/v1/tickets", post(create_ticket))
        .route("/v1/tickets/{id}", get(show_ticket))
        .route("/v1/tickets/{id}/correspond", post(correspond))
        .route("/v1/tickets/{id}/comment", post(comment))
        .route("/v1/tickets/{id}/changes", post(change_ticket))
        .route("/v1/search", get(search))
        .route("/v1/transactions/{id}/raw", get(raw_message))
        .route("/v1/attachments/{id}", get(attachment))
        .route("/v1/quarantine", get(quarantine_list))
        .route("/v1/quarantine/{id}", get(quarantine_show))
        .route("/v1/quarantine/{id}/raw", get(quarantine_raw))
        .route("/v1/quarantine/{id}/retry", post(quarantine_retry))
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .with_state(app)
}

/// An error as the API sends it.
pub struct ApiError(Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Denied(_) => StatusCode::FORBIDDEN,
            Error::Invalid(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Temporary(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        }
        let body = serde_json::json!({ "error": { "kind": self.0.kind(), "message": self.0.to_string() } });
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

/// Who may use what: over the Unix socket anyone may hand in mail (it is what sending mail
/// to the queue does anyway) and the API answers only the daemon's own user and root; over
/// TCP every request needs the shared secret. Per-user tokens come with the rights issue.
async fn authenticate(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
    next: Next,
) -> std::result::Result<Response, ApiError> {
    let ingest = request.uri().path() == "/v1/ingest";
    let allowed = match peer {
        Peer::Local { uid } => ingest || uid.is_some_and(|uid| uid == 0 || Some(uid) == app.daemon_uid),
        Peer::Remote(_) => token_matches(&app.config, request.headers()),
    };
    if allowed {
        Ok(next.run(request).await)
    } else if matches!(peer, Peer::Remote(_)) {
        Err(Error::Unauthenticated("a valid token is required (--token-file or TICKETD_TOKEN)".into()).into())
    } else {
        Err(
            Error::Unauthenticated("only the user ticketd runs as, and root, may use the API on this socket".into())
                .into(),
        )
    }
}

fn token_matches(config: &Config, headers: &HeaderMap) -> bool {
    let Some(expected) = &config.server.token else {
        return false;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // compare digests: equal length, so the comparison time says nothing about the secret
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.0.as_bytes())
}

async fn read<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(crate::store::Db<'_>) -> Result<T> + Send + 'static,
) -> ApiResult<T> {
    let reads = app.reads.clone();
    tokio::task::spawn_blocking(move || reads.read(f))
        .await
        .map_err(|e| Error::Internal(format!("read task failed: {e}")))?
        .map_err(ApiError)
}

#[derive(Debug, Deserialize)]
struct IngestParams {
    queue: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    ticket: Option<i64>,
    #[serde(default)]
    sender: Option<String>,
}

async fn ingest(State(app): State<App>, Query(p): Query<IngestParams>, body: Body) -> ApiResult<Response> {
    let action: Action = p.action.as_deref().unwrap_or("correspond").parse()?;
    let queue = app
        .config
        .queue(&p.queue)
        .ok_or_else(|| Error::NotFound(format!("no queue named `{}` here", p.queue)))?
        .name
        .clone();
    let raw = read_limited(body, app.config.mail.max_message_bytes).await?;
    let delivery = Delivery {
        queue,
        action,
        ticket: p.ticket,
        envelope_sender: p.sender,
    };
    let settings = app.settings.clone();
    let sender = delivery.envelope_sender.clone();
    let parse = move |raw: Vec<u8>| {
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::mail::parse(&raw, &settings.parse_options(sender.as_deref()))
        }));
        let parsed = match parsed {
            Ok(Ok(inbound)) => Ok(inbound),
            Ok(Err(e)) => Err(e.to_string()),
            Err(panic) => Err(format!(
                "the parser failed (a bug): {}",
                crate::error::panic_message(&*panic)
            )),
        };
        (raw, parsed)
    };
    // a typical message parses in microseconds: handing it to another thread would cost
    // more than the parse; big ones go to the blocking pool so they hold up nobody
    let (raw, parsed) = if raw.len() <= INLINE_PARSE_BYTES {
        parse(raw)
    } else {
        tokio::task::spawn_blocking(move || parse(raw))
            .await
            .map_err(|e| Error::Temporary(format!("parse task failed: {e}")))?
    };
    let settings = app.settings.clone();
    let outcome = app
        .writer
        .run(move |tx| workflow::ingest(tx, &settings, &delivery, &raw, parsed, now()))
        .await?;
    Ok(Json(outcome).into_response())
}

/// Reads a request body of at most `limit` bytes. A larger body is read to its end (and
/// dropped) before the refusal, so the client gets the answer rather than a broken pipe.
async fn read_limited(body: Body, limit: u64) -> Result<Vec<u8>> {
    let mut body = body;
    let mut data = Vec::new();
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::Temporary(format!("reading the message: {e}")))?;
        if let Some(chunk) = frame.data_ref() {
            total += chunk.len() as u64;
            if total <= limit {
                data.extend_from_slice(chunk);
            } else {
                data = Vec::new();
            }
        }
    }
    if total > limit {
        return Err(Error::TooLarge(format!(
            "message of {total} bytes is over this system's limit of {limit} bytes"
        )));
    }
    Ok(data)
}

async fn show_ticket(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    let ticket = read(&app, move |db| {
        let effective = db
            .effective_ticket(id)?
            .ok_or_else(|| Error::NotFound(format!("ticket {id} does not exist")))?;
        db.ticket(effective, true)
    })
    .await?;
    Ok(Json(ticket).into_response())
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
}

async fn search(State(app): State<App>, Query(p): Query<SearchParams>) -> ApiResult<Response> {
    let query = crate::search::parse(&p.q)?;
    let tickets = read(&app, move |db| db.search(&query)).await?;
    Ok(Json(tickets).into_response())
}

async fn create_ticket(State(app): State<App>, Json(req): Json<NewTicketRequest>) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let id = app
        .writer
        .run(move |tx| {
            let actor = tx.user(ROOT_ID)?;
            workflow::create(tx, &settings, &req, &actor, now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

/// The body of a reply or comment.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageRequest {
    pub content: String,
    /// Minutes worked.
    #[serde(default)]
    pub minutes: i64,
}

async fn correspond(state: State<App>, id: Path<i64>, body: Json<MessageRequest>) -> ApiResult<Response> {
    respond(state, id, body, Action::Correspond).await
}

async fn comment(state: State<App>, id: Path<i64>, body: Json<MessageRequest>) -> ApiResult<Response> {
    respond(state, id, body, Action::Comment).await
}

async fn respond(
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(req): Json<MessageRequest>,
    action: Action,
) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let transaction = app
        .writer
        .run(move |tx| {
            let actor = tx.user(ROOT_ID)?;
            workflow::reply(tx, &settings, id, action, &req.content, req.minutes, &actor, now())
        })
        .await?;
    Ok(Json(serde_json::json!({ "transaction": transaction })).into_response())
}

/// Field changes, each written as `tkt set` takes them: `status=open`, `AdminCc+=x@y`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub changes: Vec<String>,
}

async fn change_ticket(
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(req): Json<ChangeRequest>,
) -> ApiResult<Response> {
    let changes = req
        .changes
        .iter()
        .map(|c| c.parse::<Change>())
        .collect::<Result<Vec<_>>>()?;
    let settings = app.settings.clone();
    let transactions = app
        .writer
        .run(move |tx| {
            let actor = tx.user(ROOT_ID)?;
            workflow::update(tx, &settings, id, &changes, &actor, now())
        })
        .await?;
    Ok(Json(serde_json::json!({ "transactions": transactions })).into_response())
}

fn bytes_response(content_type: &str, bytes: Vec<u8>) -> Response {
    let content_type = header::HeaderValue::from_str(content_type)
        .unwrap_or(header::HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], Bytes::from(bytes)).into_response()
}

async fn raw_message(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    let bytes = read(&app, move |db| db.raw_message_of(id)).await?;
    Ok(bytes_response("message/rfc822", bytes))
}

async fn attachment(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    let (content_type, bytes) = read(&app, move |db| db.attachment_content(id)).await?;
    Ok(bytes_response(&content_type, bytes))
}

#[derive(Debug, Deserialize)]
struct QuarantineParams {
    #[serde(default)]
    all: bool,
}

async fn quarantine_list(State(app): State<App>, Query(p): Query<QuarantineParams>) -> ApiResult<Response> {
    Ok(Json(read(&app, move |db| db.quarantine_list(p.all)).await?).into_response())
}

async fn quarantine_show(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    Ok(Json(read(&app, move |db| db.quarantine_entry(id)).await?).into_response())
}

async fn quarantine_raw(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    let bytes = read(&app, move |db| {
        let (raw_id, _, _) = db.quarantined_message(id)?;
        db.raw_message(raw_id)
    })
    .await?;
    Ok(bytes_response("message/rfc822", bytes))
}

async fn quarantine_retry(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let outcome = app
        .writer
        .run(move |tx| workflow::retry_quarantined(tx, &settings, id, now()))
        .await?;
    if outcome.outcome == workflow::Outcome::Quarantined {
        let entry = read(&app, move |db| db.quarantine_entry(id)).await?;
        return Err(Error::Conflict(format!("quarantine entry {id} still fails: {}", entry.error)).into());
    }
    Ok(Json(outcome).into_response())
}
