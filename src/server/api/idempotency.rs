//! `Idempotency-Key` on API writes: a client that lost the answer to a change (it timed
//! out, the connection broke) sends the same request again with the same key and gets
//! the first answer, and the change is not made twice. `tkt` sends a new key with every
//! write and prints it when an answer is lost.
//!
//! The key is taken by the first write of the request ([`super::write_as`]) and claimed
//! in the database in that write's own savepoint (`store::idempotency`), so it is kept
//! exactly when the change is: a change undone, or dropped because its client had given
//! up, leaves the key free for the retry. Keys are per user and kept a day; a key sent
//! again with another request is refused (`conflict`), not answered with the wrong answer.

use std::cell::Cell;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, App};
use crate::error::{Error, Result};
use crate::store::{KeptAnswer, WriteTx};
use crate::ticket::Timestamp;

/// The header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The longest key taken.
const MAX_KEY: usize = 200;

/// Bodies of the API's own writes are JSON of a few kilobytes; `rules test` takes a
/// whole message, up to `mail.max_message_bytes`.
const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

tokio::task_local! {
    /// The key of the request being handled, until its first write takes it.
    static REQUEST_KEY: Cell<Option<RequestKey>>;
}

/// A request's key and what identifies the request.
#[derive(Debug, Clone)]
pub struct RequestKey {
    key: String,
    /// A SHA-256 of the method, path with query, and body.
    request: String,
}

/// How a write's answer is kept under its key, and given again to a retry.
pub enum Keep<T> {
    /// Kept as `keep` writes it; a retry gets what `replay` makes of it.
    Answer {
        keep: fn(&T) -> Result<String>,
        replay: fn(&str) -> Result<T>,
    },
    /// The key is ignored: the change is the same however often it is made (fields set to
    /// values), and its request may carry a secret (a password) that must not be kept,
    /// even hashed with the request.
    Never,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Keep<T> {
    /// The answer kept as it is, as JSON.
    pub fn verbatim() -> Keep<T> {
        Keep::Answer {
            keep: |answer| to_json(answer),
            replay: |kept| from_json(kept),
        }
    }
}

/// An answer as kept.
pub fn to_json<T: serde::Serialize>(answer: &T) -> Result<String> {
    serde_json::to_string(answer).map_err(|e| Error::Internal(format!("keeping an answer: {e}")))
}

/// A kept answer.
pub fn from_json<T: serde::de::DeserializeOwned>(kept: &str) -> Result<T> {
    serde_json::from_str(kept).map_err(|e| Error::Internal(format!("a kept answer: {e}")))
}

/// Middleware: makes a POST's `Idempotency-Key` (if it has one) available to its first
/// write. Mail (`/v1/ingest`) has its own dedupe key and ignores the header.
pub async fn take_key(State(app): State<App>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.uri().path() == "/v1/ingest" {
        return next.run(request).await;
    }
    let Some(value) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    let key = match value.to_str() {
        Ok(key) if (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => key.to_string(),
        _ => {
            return ApiError(Error::Invalid(format!(
                "the Idempotency-Key header must be 1 to {MAX_KEY} printable ASCII characters without spaces"
            )))
            .into_response();
        }
    };
    let limit = usize::try_from(app.config.mail.max_message_bytes)
        .unwrap_or(usize::MAX)
        .max(MAX_JSON_BODY);
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError(Error::TooLarge(format!(
                "the request's body could not be read whole, or is over {limit} bytes"
            )))
            .into_response();
        }
    };
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b" ");
    hash.update(parts.uri.to_string());
    hash.update(b"\n");
    hash.update(&bytes);
    let key = RequestKey {
        key,
        request: format!("{:x}", hash.finalize()),
    };
    let request = Request::from_parts(parts, Body::from(bytes));
    REQUEST_KEY.scope(Cell::new(Some(key)), next.run(request)).await
}

/// The request's key, for its first write (later writes of the same request get none).
pub fn take() -> Option<RequestKey> {
    REQUEST_KEY.try_with(Cell::take).ok().flatten()
}

/// Runs `work` once per key: with no key, simply runs it; with a key already kept for
/// this user, gives the kept answer (or refuses, if the key was used for another
/// request) and runs nothing; else runs it and keeps its answer, in the caller's
/// transaction.
pub fn once<T>(
    tx: &WriteTx<'_>,
    user: i64,
    key: Option<&RequestKey>,
    keep: &Keep<T>,
    now: Timestamp,
    work: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let (Some(key), Keep::Answer { keep, replay }) = (key, keep) else {
        return work();
    };
    if let Some(kept) = tx.kept_answer(user, &key.key, now)? {
        if kept.request != key.request {
            return Err(Error::Conflict(format!(
                "the Idempotency-Key `{}` was sent before with another request; a new request needs a new key",
                key.key
            )));
        }
        tracing::info!(key = %key.key, "a repeated request gets the first answer; nothing is changed again");
        return replay(&kept.answer);
    }
    let answer = work()?;
    let kept = KeptAnswer {
        request: key.request.clone(),
        answer: keep(&answer)?,
    };
    tx.keep_answer(user, &key.key, &kept, now)?;
    Ok(answer)
}
