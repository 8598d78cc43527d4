//! `/REST/2.0` on the web listener: RT 5's REST2 for RT's clients (python-rt and scripts
//! written for RT). Thin like the pages: a handler turns RT's request into the workflow
//! call tkt's API makes, as the same user, and the answer into RT's shapes (references,
//! `_hyperlinks`, pages); every right is decided in the workflow, so a ticket the user may
//! not see is 404 exactly like a missing one.
//!
//! Who the caller is ([`auth`]): an API token (`Authorization: token ...`), HTTP Basic
//! with the web password (throttled as the login form is), or the web session cookie.

mod auth;
mod directory;
mod history;
mod messages;
mod openapi;
mod shapes;
mod tickets;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::server::Server;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::App;
use crate::error::Error;
use crate::wire::rest2::Rest2Error;
use crate::workflow::sessions::SessionLimits;

/// What every REST2 handler shares.
#[derive(Clone)]
pub struct Rest {
    pub app: App,
    /// `https://host/base/REST/2.0`: every `_url` is made under it.
    pub root: Arc<str>,
    /// For the web session cookie.
    pub limits: SessionLimits,
}

/// The routes under `/REST/2.0`, with authentication in front of them. `public_url` is
/// the web UI's address, `limits` its sessions'.
pub fn router<S: Clone + Send + Sync + 'static>(app: App, public_url: &str, limits: SessionLimits) -> Router<S> {
    // a message with files may be as large as a message ticketd accepts by mail, and
    // base64 in JSON a third larger
    let limit = usize::try_from(app.config.mail.max_message_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(4)
        / 3;
    let rest = Rest {
        root: format!("{}/REST/2.0", public_url.trim_end_matches('/')).into(),
        limits,
        app,
    };
    let (routes, mut document) = OpenApiRouter::with_openapi(openapi::Description::openapi())
        .routes(routes!(directory::version))
        .routes(routes!(tickets::create))
        .routes(routes!(tickets::show, tickets::update, tickets::delete))
        .routes(routes!(tickets::take))
        .routes(routes!(tickets::untake))
        .routes(routes!(tickets::steal))
        .routes(routes!(messages::correspond))
        .routes(routes!(messages::comment))
        .routes(routes!(history::ticket_history))
        .routes(routes!(history::ticket_attachments))
        .routes(routes!(tickets::search))
        .routes(routes!(history::transaction))
        .routes(routes!(history::transaction_attachments))
        .routes(routes!(history::attachment))
        .routes(routes!(directory::queues))
        .routes(routes!(directory::queue))
        .routes(routes!(directory::user))
        .routes(routes!(directory::group))
        .routes(routes!(directory::group_members))
        .split_for_parts();
    document.servers = Some(vec![Server::new(rest.root.to_string())]);
    let document: Arc<str> = document
        .to_pretty_json()
        .expect("the OpenAPI document is plain data")
        .into();
    routes
        .fallback(|| async { Failure::not_found() })
        .route_layer(middleware::from_fn_with_state(rest.clone(), auth::authenticate))
        // the description of the API is public: it tells nothing of any ticket
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document.to_string()) }
            }),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(rest)
}

/// Why a request failed, answered as RT does: `{"message": ...}` with a status.
#[derive(Debug)]
pub enum Failure {
    /// A workflow error: its kind gives the status.
    Ticketd(Error),
    /// A failure of REST2's own (415, 412, 401).
    Http(StatusCode, String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Ticketd(e)
    }
}

impl From<super::api::ApiError> for Failure {
    fn from(e: super::api::ApiError) -> Failure {
        Failure::Ticketd(e.0)
    }
}

impl From<JsonRejection> for Failure {
    fn from(e: JsonRejection) -> Failure {
        let status = match &e {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // over the upload limit: 413
            JsonRejection::BytesRejection(b) => b.status(),
            _ => StatusCode::BAD_REQUEST,
        };
        Failure::Http(status, format!("the JSON body could not be read: {}", e.body_text()))
    }
}

impl Failure {
    fn not_found() -> Failure {
        Failure::Ticketd(Error::NotFound(String::new()))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::Http(status, message) => (status, message),
            // RT's words for both a missing record and one the user may not see
            Failure::Ticketd(Error::NotFound(_)) => (StatusCode::NOT_FOUND, "Resource does not exist".into()),
            Failure::Ticketd(Error::Unauthenticated(_)) => {
                // the challenge clients that send a password only when asked wait for
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Basic realm=\"ticketd REST2\"")],
                    message_json("Authorization required"),
                )
                    .into_response();
            }
            Failure::Ticketd(e) => (super::api::status_of(&e), super::api::public_message(&e)),
        };
        (status, message_json(&message)).into_response()
    }
}

fn message_json(message: &str) -> axum::Json<Rest2Error> {
    axum::Json(Rest2Error {
        message: message.to_string(),
    })
}

/// What handlers return.
pub type Answer = Result<Response, Failure>;
