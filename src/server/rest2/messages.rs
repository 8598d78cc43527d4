//! Replies and comments (`POST /ticket/N/correspond|comment`), and reading the bodies
//! RT's clients send: JSON, a form with a `JSON` part and `Attachments` files (what
//! python-rt sends with files), or for a message plain text.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::de::DeserializeOwned;

use super::openapi::{ChangeFailure, TicketNumber};
use super::tickets::{messages_of, number};
use super::{Answer, Failure, Rest};
use crate::error::Error;
use crate::server::api::{Actor, write_as};
use crate::server::now;
use crate::server::web::pages::read_multipart;
use crate::ticket::{Action, Change, TransactionKind};
use crate::wire::rest2::{FileUpload, NewMessage, OneOrMany, Rest2Error};
use crate::workflow::{self, Message, NewFile};

/// What a request's body is, by its `Content-Type`.
enum Kind {
    Json,
    Form,
    Text,
}

fn kind_of(request: &Request) -> Option<Kind> {
    let value = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Some(Kind::Json),
        "multipart/form-data" => Some(Kind::Form),
        "text/plain" => Some(Kind::Text),
        _ => None,
    }
}

/// A JSON body, or a form's `JSON` part with its `Attachments` files. Anything else is
/// 415; JSON that does not read is 400, a body over the upload limit 413.
pub async fn read_body<T: DeserializeOwned>(request: Request) -> Result<(T, Vec<NewFile>), Failure> {
    match kind_of(&request) {
        Some(Kind::Json) => Ok((json(&bytes(request).await?)?, Vec::new())),
        Some(Kind::Form) => {
            let form = Multipart::from_request(request, &())
                .await
                .map_err(|e| Failure::Http(e.status(), e.body_text()))?;
            let (fields, files) = read_multipart(form, "Attachments").await?;
            let text = fields
                .iter()
                .find(|(name, _)| name == "JSON")
                .map(|(_, value)| value.as_str())
                .ok_or_else(|| Error::Invalid("the form has no JSON part".into()))?;
            Ok((json(text.as_bytes())?, files))
        }
        _ => Err(unsupported()),
    }
}

fn unsupported() -> Failure {
    Failure::Http(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be application/json or multipart/form-data".into(),
    )
}

async fn bytes(request: Request) -> Result<Bytes, Failure> {
    Bytes::from_request(request, &())
        .await
        .map_err(|e| Failure::Http(e.status(), e.body_text()))
}

fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| Error::Invalid(format!("the JSON body could not be read: {e}")).into())
}

/// Files sent in JSON, their base64 decoded.
pub fn decode_files(uploads: &[FileUpload]) -> Result<Vec<NewFile>, Failure> {
    uploads
        .iter()
        .map(|u| {
            let cleaned: String = u.file_content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(cleaned)
                .map_err(|e| Error::Invalid(format!("FileContent of `{}` is not base64: {e}", u.file_name)))?;
            Ok(NewFile {
                name: u.file_name.clone(),
                content_type: u.file_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
                bytes,
            })
        })
        .collect()
}

/// Refuses text and files together larger than a message ticketd takes by mail
/// (`mail.max_message_bytes`): the body's own limit is a third higher, for base64.
pub fn within_limit(rest: &Rest, content: &str, files: &[NewFile]) -> Result<(), Failure> {
    let size: usize = content.len() + files.iter().map(|f| f.bytes.len()).sum::<usize>();
    let limit = rest.app.config.mail.max_message_bytes;
    if u64::try_from(size).unwrap_or(u64::MAX) > limit {
        return Err(Error::TooLarge(format!(
            "the message and its files are {size} bytes; at most {limit} are taken (mail.max_message_bytes)"
        ))
        .into());
    }
    Ok(())
}

/// The message's text: RT's clients may send HTML (`ContentType: text/html`), which is
/// read as mail's HTML is (`mail::body::html_to_text`, on a blocking thread: it may take
/// a second on a large page).
pub async fn as_text(content: String, content_type: Option<&str>) -> Result<String, Failure> {
    let html = content_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"));
    if !html {
        return Ok(content);
    }
    tokio::task::spawn_blocking(move || crate::mail::body::html_to_text(&content))
        .await
        .map_err(|e| Error::Internal(format!("reading HTML failed: {e}")).into())
}

/// `POST /ticket/N/correspond`: a reply, which goes to the requestors.
#[utoipa::path(
    post,
    path = "/ticket/{id}/correspond",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    request_body(content((NewMessage = "application/json"), (String = "text/plain"), ("multipart/form-data")), description = "JSON (files in base64), plain text, or a form with a `JSON` part and `Attachments` files"),
    responses(
        (status = 201, description = "The reply's transaction (its `Location`), with RT's messages", body = Vec<String>),
        ChangeFailure,
        (status = 413, description = "Larger than a message ticketd takes", body = Rest2Error),
        (status = 415, description = "A body that is not JSON, text or a form", body = Rest2Error),
    )
)]
pub async fn correspond(rest: State<Rest>, actor: Extension<Actor>, id: Path<String>, request: Request) -> Answer {
    respond(rest, actor, id, request, Action::Correspond).await
}

/// `POST /ticket/N/comment`: a comment, for staff.
#[utoipa::path(
    post,
    path = "/ticket/{id}/comment",
    tag = "tickets",
    params(
        TicketNumber,
    ),
    request_body(content((NewMessage = "application/json"), (String = "text/plain"), ("multipart/form-data")), description = "As for correspond"),
    responses(
        (status = 201, description = "The comment's transaction (its `Location`), with RT's messages", body = Vec<String>),
        ChangeFailure,
        (status = 413, description = "Larger than a message ticketd takes", body = Rest2Error),
        (status = 415, description = "A body that is not JSON, text or a form", body = Rest2Error),
    )
)]
pub async fn comment(rest: State<Rest>, actor: Extension<Actor>, id: Path<String>, request: Request) -> Answer {
    respond(rest, actor, id, request, Action::Comment).await
}

/// Sends the message through the workflow's one reply path (its files stored before the
/// rules run); a `Status` with it is changed in the same transaction. 201 with the
/// transaction's `Location`.
async fn respond(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    request: Request,
    action: Action,
) -> Answer {
    let id = number(&id)?;
    let (req, mut files) = match kind_of(&request) {
        Some(Kind::Text) => {
            let text = String::from_utf8(bytes(request).await?.to_vec())
                .map_err(|_| Error::Invalid("the text is not UTF-8".into()))?;
            (
                NewMessage {
                    content: text,
                    ..NewMessage::default()
                },
                Vec::new(),
            )
        }
        _ => read_body::<NewMessage>(request).await?,
    };
    files.extend(decode_files(&req.attachments)?);
    within_limit(&rest, &req.content, &files)?;
    let content = as_text(req.content.clone(), req.content_type.as_deref()).await?;
    let minutes = match &req.time_taken {
        None => 0,
        Some(t) => t
            .text()
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::Invalid(format!("TimeTaken must be whole minutes, not `{}`", t.text())))?,
    };
    let at = now();
    let status = req
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Change::parse(&format!("Status={s}"), at))
        .transpose()?;
    // "a@x, b@y" in one string, as RT's web form sends them, or a list
    let addresses = |list: &Option<OneOrMany>| -> Vec<String> {
        list.iter()
            .flat_map(OneOrMany::texts)
            .flat_map(|t| t.split(',').map(|a| a.trim().to_string()).collect::<Vec<_>>())
            .filter(|a| !a.is_empty())
            .collect()
    };
    let (cc, bcc) = (addresses(&req.cc), addresses(&req.bcc));
    let (transaction, kind, mut messages) = write_as(&rest.app, actor, move |tx, access, s| {
        let message = Message {
            content: &content,
            minutes,
            files: &files,
            cc: &cc,
            bcc: &bcc,
        };
        let (transaction, kind) = workflow::respond(tx, s, id, action, &message, access, at)?;
        let mut messages = Vec::new();
        if let Some(status) = status {
            let made = workflow::update(tx, s, id, &[status], access, at)?;
            messages = messages_of(tx, access, id, &made, true)?;
        }
        Ok((transaction, kind, messages))
    })
    .await?;
    let added = if kind == TransactionKind::Comment {
        "Comments added"
    } else {
        "Correspondence added"
    };
    messages.insert(0, added.to_string());
    let location = rest.url(&format!("transaction/{transaction}"));
    Ok(response(location, messages))
}

fn response(location: String, messages: Vec<String>) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(messages),
    )
        .into_response()
}
