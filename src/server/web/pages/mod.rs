//! The staff pages. Each handler reads or writes through the workflow as the logged-in
//! staff member ([`super::session::Me`]) and renders a template.

mod admin;
mod create;
mod home;
mod modify;
mod preferences;
mod search;
mod ticket;
mod update;

pub use ticket::attachment_of;

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;

use super::Web;
use super::session::Me;
use crate::error::Error;
use crate::ticket::{Ticket, Timestamp};

/// The routes that need a staff session.
pub fn staff_routes() -> axum::Router<Web> {
    axum::Router::new()
        .route("/", get(home::home))
        .route("/ticket/{id}", get(ticket::show))
        .route("/ticket/{id}/take", post(ticket::take))
        .route("/ticket/{id}/untake", post(ticket::untake))
        .route("/ticket/{id}/steal", post(ticket::steal))
        .route("/ticket/{id}/status", post(ticket::status))
        .route("/ticket/{id}/update", get(update::form).post(update::send))
        .route("/ticket/{id}/modify", get(modify::form).post(modify::save))
        .route("/attachment/{id}", get(ticket::attachment))
        .route("/attachment/{id}/html", get(ticket::html_part))
        .route("/transaction/{id}/raw", get(ticket::raw_message))
        .route("/create", get(create::form).post(create::create))
        .route("/search", get(search::results))
        .route("/search/build", get(search::build))
        .route("/search/save", post(search::save))
        .route("/search/delete", post(search::delete))
        .route("/search/bulk", post(search::bulk))
        .route("/preferences", get(preferences::form).post(preferences::save))
        .route("/feeds", post(super::feeds::create))
        .route("/feeds/{id}/revoke", post(super::feeds::revoke))
        .merge(admin::routes())
}

/// Any other path.
pub async fn not_found(State(web): State<Web>) -> Response {
    web.error(&Error::NotFound("there is no such page".into()), None)
}

/// A moment as pages show it, in UTC.
pub fn when(at: &Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A ticket as a row of a list.
#[derive(Debug, Serialize)]
pub struct Row {
    id: i64,
    subject: String,
    queue: String,
    status: String,
    owner: String,
    priority: i64,
    requestors: String,
    created: String,
    updated: String,
    due: String,
}

impl Row {
    pub fn of(t: &Ticket) -> Row {
        Row {
            id: t.id,
            subject: t.subject.clone(),
            queue: t.queue.clone(),
            status: t.status.to_string(),
            owner: t.owner.clone(),
            priority: t.priority,
            requestors: t.requestors.join(", "),
            created: when(&t.created),
            updated: when(&t.updated),
            due: t.due.as_ref().map(when).unwrap_or_default(),
        }
    }

    pub fn all(tickets: &[Ticket]) -> Vec<Row> {
        tickets.iter().map(Row::of).collect()
    }
}

/// Answers an error as a page for this staff member.
pub fn failed(web: &Web, me: &Me, e: &Error) -> Response {
    web.error(e, Some(me.name()))
}

/// A multipart form's text fields, in order, and its files (the `files` fields: the
/// pages' `attachment`, REST2's `Attachments`; an empty file input sends a nameless empty
/// part, which is no file).
pub(in crate::server) async fn read_multipart(
    mut multipart: axum::extract::Multipart,
    files_field: &str,
) -> crate::error::Result<(Vec<(String, String)>, Vec<crate::workflow::NewFile>)> {
    let bad = |e: axum::extract::multipart::MultipartError| Error::Invalid(format!("the form could not be read: {e}"));
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == files_field {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
            let bytes = field.bytes().await.map_err(bad)?;
            if !file_name.is_empty() || !bytes.is_empty() {
                files.push(crate::workflow::NewFile {
                    name: file_name,
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
        } else {
            fields.push((name, field.text().await.map_err(bad)?));
        }
    }
    Ok((fields, files))
}

/// The staff member, as handlers take it.
pub type Staff = Extension<Me>;
