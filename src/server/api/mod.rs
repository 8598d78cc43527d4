//! The HTTP API on ticketd's sockets: the ingest endpoint for mailgate and the API for
//! `tkt` (later the web UI).
//!
//! Errors are JSON, `{"error": {"kind": "not_found", "message": "..."}}`, with an HTTP
//! status to match; clients act on `kind` (see [`Error::kind`]). Every request but ingest
//! acts as a user ([`auth`]), whose rights the workflow checks.
//!
//! A handler that panics (a bug) is answered `internal` and logged, like any internal
//! error; the connection and the daemon go on. A write sent with an `Idempotency-Key`
//! is made once however often it is sent ([`idempotency`]).

mod admin;
pub(in crate::server) mod auth;
pub(in crate::server) mod download;
mod idempotency;
mod ingest;
mod jobs;
mod rules;
mod tickets;

// still re-exported by `server` (its mod.rs); the types live in `wire`
pub use crate::wire::{ChangeRequest, MessageRequest};

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::writer::Writer;
use crate::config::Config;
use crate::error::{Error, Result, panic_message};
use crate::store::{Db, ReadPool, WriteTx};
use crate::wire::{ErrorAnswer, ErrorDetail, Health};
use crate::workflow::{Access, Settings};
use idempotency::Keep;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub writer: Writer,
    pub reads: Arc<ReadPool>,
    pub settings: Arc<Settings>,
    pub config: Arc<Config>,
    /// The user ticketd runs as (the owner of its Unix sockets).
    pub daemon_uid: Option<u32>,
    pub scheduler: Arc<super::scheduler::Scheduler>,
    /// Wakes the outbox sender (when the clock moves, mail due by then goes out).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// `tkt admin migrate`'s copy to PostgreSQL, if one was asked for.
    pub migration: Arc<super::migration::Migration>,
}

/// The user a request acts as, set by [`auth::authenticate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor(pub i64);

/// The routes, with authentication in front of them and a catch for panics around all.
pub fn router(app: App) -> Router {
    let routes = routes();
    #[cfg(debug_assertions)]
    let routes = if super::faults::enabled() {
        tracing::warn!("test faults are on (TICKETD_TEST_FAULTS=1): never in production");
        routes.route("/v1/test/faults/{fault}", post(super::faults::cause))
    } else {
        routes
    };
    routes
        .layer(middleware::from_fn_with_state(app.clone(), idempotency::take_key))
        .layer(middleware::from_fn_with_state(app.clone(), auth::authenticate))
        .layer(middleware::from_fn(catch_panic))
        .layer(middleware::from_fn(|request, next| {
            super::metrics::timed("api", request, next)
        }))
        .with_state(app)
}

fn routes() -> Router<App> {
    Router::new()
        .route("/v1/health", get(|| async { Json(Health { status: "ok".into() }) }))
        .route("/v1/ingest", post(ingest::ingest))
        .route("/v1/whoami", get(admin::whoami))
        .route("/v1/tickets", post(tickets::create))
        .route("/v1/tickets/{id}", get(tickets::show))
        .route("/v1/tickets/{id}/correspond", post(tickets::correspond))
        .route("/v1/tickets/{id}/comment", post(tickets::comment))
        .route("/v1/tickets/{id}/changes", post(tickets::change))
        .route("/v1/tickets/{id}/merge", post(tickets::merge))
        .route("/v1/tickets/{id}/shred", post(tickets::shred))
        .route("/v1/search", get(tickets::search))
        .route("/v1/search/content", get(tickets::content_search))
        .route("/v1/report", get(tickets::report))
        .route("/v1/searches", get(tickets::saved_searches).post(tickets::save_search))
        .route("/v1/searches/delete", post(tickets::delete_saved_search))
        .route("/v1/transactions/{id}/raw", get(tickets::raw_message))
        .route("/v1/attachments/{id}", get(tickets::attachment))
        .route("/v1/quarantine", get(tickets::quarantine_list))
        .route("/v1/quarantine/{id}", get(tickets::quarantine_show))
        .route("/v1/quarantine/{id}/raw", get(tickets::quarantine_raw))
        .route("/v1/quarantine/{id}/retry", post(tickets::quarantine_retry))
        .route("/v1/users", get(admin::users).post(admin::create_user))
        .route("/v1/users/{who}", get(admin::show_user))
        .route("/v1/users/{who}/changes", post(admin::set_user))
        .route("/v1/groups", get(admin::groups).post(admin::create_group))
        .route("/v1/groups/{name}/members", post(admin::change_member))
        .route("/v1/queues", get(admin::queues).post(admin::create_queue))
        .route("/v1/queues/{name}/changes", post(admin::set_queue))
        .route("/v1/grants", post(admin::grant))
        .route("/v1/grants/revoke", post(admin::revoke))
        .route("/v1/grants/preset/per-queue", post(admin::per_queue_preset))
        .route("/v1/rights", get(admin::rights))
        .route("/v1/tokens", get(admin::tokens).post(admin::create_token))
        .route("/v1/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/v1/admin/init", post(admin::init))
        .route("/v1/rules", get(rules::list))
        .route("/v1/admin/jobs", get(jobs::list))
        .route("/v1/admin/jobs/{name}", get(jobs::history))
        .route("/v1/admin/jobs/{name}/run", post(jobs::run))
        .route("/v1/admin/clock", get(jobs::show_clock).post(jobs::set_clock))
        .route("/v1/admin/backup", post(jobs::backup))
        .route("/v1/admin/migrate", get(jobs::migration).post(jobs::start_migration))
        .route("/v1/tickets/{id}/sla", get(jobs::sla))
        .route("/v1/rules/test", post(rules::test))
        .route("/v1/templates/{name}/render", get(rules::render_template))
}

/// Answers a request whose handler panicked (a bug) with an internal error and logs the
/// panic; otherwise the connection would just close and the client learn nothing.
pub(in crate::server) async fn catch_panic(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    match CatchUnwind(Box::pin(next.run(request))).await {
        Ok(response) => response,
        Err(panic) => {
            let detail = format!(
                "{method} {path}: a request handler panicked (a bug): {}",
                panic_message(&*panic)
            );
            ApiError(Error::Internal(detail)).into_response()
        }
    }
}

/// A future that turns a panic while it is polled into its output.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.get_mut().0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// An error as the API sends it.
pub struct ApiError(pub(in crate::server) Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorAnswer {
            error: ErrorDetail {
                kind: self.0.kind().to_string(),
                message: public_message(&self.0),
            },
        };
        (status_of(&self.0), Json(body)).into_response()
    }
}

/// The HTTP status of an error's kind, for `/v1` and `/REST/2.0` alike.
pub(in crate::server) fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Denied(_) => StatusCode::FORBIDDEN,
        Error::Invalid(_) => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::NotMail(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Temporary(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error's text as it may be sent: an internal one's only by reference (logged).
pub(in crate::server) fn public_message(e: &Error) -> String {
    if matches!(e, Error::Temporary(_)) {
        tracing::error!(error = %e, "request failed");
    }
    e.public_text()
}

pub(in crate::server) type ApiResult<T> = std::result::Result<T, ApiError>;

/// Runs a read on the read pool, off the async threads.
pub(in crate::server) async fn read<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(Db<'_>) -> Result<T> + Send + 'static,
) -> ApiResult<T> {
    let reads = app.reads.clone();
    tokio::task::spawn_blocking(move || reads.read(f))
        .await
        // a panic (a bug): the detail goes to the log under the answer's reference
        .map_err(|e| Error::Internal(format!("a read failed: {e}")))?
        .map_err(ApiError)
}

/// Runs a read as the actor.
pub(in crate::server) async fn read_as<T: Send + 'static>(
    app: &App,
    actor: Actor,
    f: impl FnOnce(&Db<'_>, &Access) -> Result<T> + Send + 'static,
) -> ApiResult<T> {
    read(app, move |db| {
        let access = Access::load(&db, actor.0)?;
        f(&db, &access)
    })
    .await
}

/// Runs a change as the actor, in the writer. Sent with an `Idempotency-Key`, it is made
/// once: a retry gets this answer again.
pub(in crate::server) async fn write_as<T>(
    app: &App,
    actor: Actor,
    f: impl FnOnce(&WriteTx<'_>, &Access, &Settings) -> Result<T> + Send + 'static,
) -> ApiResult<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    write_keeping(app, actor, f, Keep::verbatim()).await
}

/// [`write_as`], with the answer kept for a retry as `keep` says (an answer holding a
/// secret is not kept whole).
async fn write_keeping<T: Send + 'static>(
    app: &App,
    actor: Actor,
    f: impl FnOnce(&WriteTx<'_>, &Access, &Settings) -> Result<T> + Send + 'static,
    keep: Keep<T>,
) -> ApiResult<T> {
    let settings = app.settings.clone();
    let key = idempotency::take();
    Ok(app
        .writer
        .run(move |tx| {
            let access = Access::load(tx, actor.0)?;
            idempotency::once(tx, actor.0, key.as_ref(), &keep, super::now(), || {
                f(tx, &access, &settings)
            })
        })
        .await?)
}
