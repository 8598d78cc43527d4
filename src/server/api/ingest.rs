//! `POST /v1/ingest`: a message from mailgate.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::auth::MtaSecret;
use super::{ApiResult, App, read};
use crate::error::{Error, Result};
use crate::server::now;
use crate::store::{BLOB_CHUNK_BYTES, RawBytes};
use crate::ticket::Action;
use crate::wire::{IngestOutcome, IngestParams};
use crate::workflow::{self, Delivery, admission};

/// Messages up to this size are parsed on the request's own task.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// Stores a message; see `workflow::ingest`, and `workflow::admission` for what is let
/// in. Whether it came with the MTA's secret goes with it: only then may its
/// Authentication-Results be trusted.
pub async fn ingest(
    State(app): State<App>,
    Extension(secret): Extension<MtaSecret>,
    Query(p): Query<IngestParams>,
    body: Body,
) -> ApiResult<Response> {
    let started = std::time::Instant::now();
    let answer = ingest_timed(app, secret, p, body).await;
    let outcome = answer.as_ref().ok().map(|outcome| outcome.outcome);
    super::super::metrics::ingested(outcome, started);
    Ok(Json(answer?).into_response())
}

async fn ingest_timed(app: App, secret: MtaSecret, p: IngestParams, body: Body) -> ApiResult<IngestOutcome> {
    let action: Action = p.action.as_deref().unwrap_or("correspond").parse()?;
    let name = p.queue.clone();
    let queue = read(&app, move |db| admission::delivery_queue(&db, &name)).await?;
    let raw = read_limited(body, app.config.mail.max_message_bytes).await?;
    admission::refuse_what_is_not_mail(&raw, &p.queue)?;
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
        let sha256 = RawBytes::new(&raw).sha256;
        (raw, sha256, parsed)
    };
    // a typical message parses in microseconds: handing it to another thread would cost
    // more than the parse; big ones go to the blocking pool so they hold up nobody
    let (raw, sha256, mut parsed) = if raw.len() <= INLINE_PARSE_BYTES {
        parse(raw)
    } else {
        tokio::task::spawn_blocking(move || parse(raw))
            .await
            .map_err(|e| Error::Temporary(format!("parse task failed: {e}")))?
    };
    let raw = Arc::new(raw);
    let written_ahead = write_large_parts_ahead(&app, &raw, &sha256, &mut parsed).await;
    let (raw_blob, blobs) = match written_ahead {
        Ok(blobs) => blobs,
        Err(e) => return Err(e.into()),
    };
    let settings = app.settings.clone();
    let message = raw.clone();
    let result = app
        .writer
        .run(move |tx| {
            let raw = RawBytes {
                bytes: &message,
                sha256,
                blob: raw_blob,
            };
            workflow::ingest(tx, &settings, &delivery, &raw, parsed, now())
        })
        .await;
    drop_unkept(&app, blobs).await;
    Ok(admission::answer_refusal(result, app.config.mail.denied_mail)?)
}

/// Writes a large message's raw bytes and large parts ahead as blobs, a chunk per writer
/// turn (`store::blobs`), so that the message's own transaction is short and deliveries
/// behind it do not wait for it. Returns the raw message's blob and every blob written; a
/// message stored before (a redelivery) writes nothing: its own transaction answers it.
async fn write_large_parts_ahead(
    app: &App,
    raw: &Arc<Vec<u8>>,
    sha256: &str,
    parsed: &mut std::result::Result<crate::mail::Inbound, String>,
) -> Result<(Option<i64>, Vec<i64>)> {
    let key = match parsed {
        Ok(inbound) => inbound.dedupe_key.clone(),
        Err(_) => format!("sha256:{sha256}"),
    };
    let large_parts = parsed
        .as_ref()
        .is_ok_and(|inbound| inbound.parts.iter().any(|p| is_large(p.content.as_deref())));
    if !is_large(Some(raw)) && !large_parts {
        return Ok((None, Vec::new()));
    }
    if read(app, move |db| db.seen(&key)).await.map_err(|e| e.0)?.is_some() {
        return Ok((None, Vec::new()));
    }
    let mut blobs = Vec::new();
    let result = async {
        let raw_blob = if is_large(Some(raw)) {
            let blob = write_ahead(app, raw.clone(), &mut blobs).await?;
            Some(blob)
        } else {
            None
        };
        if let Ok(inbound) = parsed {
            for part in inbound.parts.iter_mut().filter(|p| is_large(p.content.as_deref())) {
                let content = Arc::new(part.content.take().unwrap_or_default());
                let size = content.len();
                part.blob = Some((write_ahead(app, content, &mut blobs).await?, size));
            }
        }
        Ok(raw_blob)
    }
    .await;
    match result {
        Ok(raw_blob) => Ok((raw_blob, blobs)),
        Err(e) => {
            drop_unkept(app, blobs).await;
            Err(e)
        }
    }
}

/// Whether content is large enough to be written ahead as a blob.
fn is_large(content: Option<&[u8]>) -> bool {
    content.is_some_and(|c| c.len() > BLOB_CHUNK_BYTES)
}

/// Writes `bytes` as a blob, one chunk per writer turn; `blobs` gets its id at once, so
/// that a failure halfway can remove it.
async fn write_ahead(app: &App, bytes: Arc<Vec<u8>>, blobs: &mut Vec<i64>) -> Result<i64> {
    let size = bytes.len();
    let blob = app.writer.run(move |tx| tx.begin_blob(size, now())).await?;
    blobs.push(blob);
    for (seq, start) in (0..size).step_by(BLOB_CHUNK_BYTES).enumerate() {
        let bytes = bytes.clone();
        let end = (start + BLOB_CHUNK_BYTES).min(size);
        app.writer
            .run(move |tx| tx.append_blob_chunk(blob, seq as i64, &bytes[start..end]))
            .await?;
    }
    Ok(blob)
}

/// Removes the blobs among `blobs` that the message's transaction did not keep (it was a
/// duplicate, refused, or failed). A failure here only leaves them for the next start.
async fn drop_unkept(app: &App, blobs: Vec<i64>) {
    if blobs.is_empty() {
        return;
    }
    let dropped = app
        .writer
        .run(move |tx| blobs.iter().try_for_each(|&blob| tx.drop_unkept_blob(blob)))
        .await;
    if let Err(e) = dropped {
        tracing::warn!(error = %e, "blobs of a message not kept are left for the next start");
    }
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
