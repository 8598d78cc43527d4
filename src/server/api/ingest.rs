//! `POST /v1/ingest`: a message from mailgate.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::auth::MtaSecret;
use super::{ApiResult, App, read};
use crate::config::DeniedMail;
use crate::error::{Error, Result};
use crate::server::now;
use crate::ticket::Action;
use crate::workflow::{self, Delivery, IngestOutcome, Outcome};

/// Messages up to this size are parsed on the request's own task.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
pub struct IngestParams {
    queue: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    ticket: Option<i64>,
    #[serde(default)]
    sender: Option<String>,
}

/// Stores a message; see `workflow::ingest`. A sender without the right to write here is
/// refused (`denied`, mailgate exits 77 and the MTA bounces), or, with
/// `mail.denied_mail = "drop"`, accepted and dropped without a trace but a log line.
/// Whether it came with the MTA's secret goes with it: only then may its
/// Authentication-Results be trusted.
pub async fn ingest(
    State(app): State<App>,
    Extension(secret): Extension<MtaSecret>,
    Query(p): Query<IngestParams>,
    body: Body,
) -> ApiResult<Response> {
    let action: Action = p.action.as_deref().unwrap_or("correspond").parse()?;
    let name = p.queue.clone();
    let queue = read(&app, move |db| db.queue_by_name(&name))
        .await?
        .ok_or_else(|| Error::NotFound(format!("no queue named `{}` here", p.queue)))?;
    let raw = read_limited(body, app.config.mail.max_message_bytes).await?;
    let delivery = Delivery {
        queue: queue.name,
        action,
        ticket: p.ticket,
        envelope_sender: p.sender,
        with_mta_secret: secret.0,
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
    let result = app
        .writer
        .run(move |tx| workflow::ingest(tx, &settings, &delivery, &raw, parsed, now()))
        .await;
    let outcome = match result {
        Err(Error::Denied(why)) if app.config.mail.denied_mail == DeniedMail::Drop => {
            tracing::warn!(reason = %why, "mail refused and dropped (mail.denied_mail = \"drop\")");
            IngestOutcome {
                outcome: Outcome::Refused,
                ticket: None,
                transaction: None,
                quarantine: None,
            }
        }
        Err(Error::Denied(why)) => {
            tracing::warn!(reason = %why, "mail refused; the MTA bounces it");
            return Err(Error::Denied(why).into());
        }
        other => other?,
    };
    Ok(Json(outcome).into_response())
}

/// Reads a request body of at most `limit` bytes. A larger body is read to its end (and
/// dropped) before the refusal, so the client gets the answer rather than a broken pipe.
pub(super) async fn read_limited(body: Body, limit: u64) -> Result<Vec<u8>> {
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
