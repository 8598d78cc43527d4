//! Creating a ticket by hand: queue, subject, requestors, text and files.

use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Staff, failed, read_multipart};
use crate::error::Result;
use crate::server::now;
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::wire::NewTicketRequest;
use crate::workflow::{self, NewFile, admin};

#[derive(Debug, Default, Deserialize)]
pub struct CreateQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    subject: String,
}

pub async fn form(State(web): State<Web>, me: Staff, Query(q): Query<CreateQuery>) -> Response {
    render(&web, &me, &q.queue, &q.subject, "", "", None).await
}

async fn render(
    web: &Web,
    me: &Staff,
    queue: &str,
    subject: &str,
    requestors: &str,
    content: &str,
    error: Option<String>,
) -> Response {
    let queues = match read_me(web, me, admin::queues).await {
        Ok(queues) => queues,
        Err(e) => return failed(web, me, &e),
    };
    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    web.page(
        "create.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("create-heading"),
            "queues": names,
            "queue": queue,
            "subject": subject,
            "requestors": requestors,
            "content": content,
            "error": error,
        }),
    )
}

/// What the create form sent.
#[derive(Debug, Default)]
struct CreateFields {
    queue: String,
    subject: String,
    requestors: String,
    content: String,
    files: Vec<NewFile>,
}

async fn read_form(multipart: Multipart) -> Result<CreateFields> {
    let (pairs, files) = read_multipart(multipart, "attachment").await?;
    let mut fields = CreateFields {
        files,
        ..Default::default()
    };
    for (name, value) in pairs {
        match name.as_str() {
            "queue" => fields.queue = value.trim().to_string(),
            "subject" => fields.subject = value,
            "requestors" => fields.requestors = value,
            "content" => fields.content = value,
            _ => {}
        }
    }
    Ok(fields)
}

pub async fn create(State(web): State<Web>, me: Staff, multipart: Multipart) -> Response {
    let fields = match read_form(multipart).await {
        Ok(fields) => fields,
        Err(e) => return failed(&web, &me, &e),
    };
    let request = NewTicketRequest {
        queue: fields.queue.clone(),
        subject: fields.subject.clone(),
        requestors: fields
            .requestors
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        content: fields.content.clone(),
        priority: None,
        owner: None,
    };
    let files = fields.files.clone();
    let at = now();
    let created = write(&web, &me, move |tx, access, s| {
        workflow::create_with_files(tx, s, &request, &files, access, at)
    })
    .await;
    match created {
        Ok(id) => web.redirect(&format!("/ticket/{id}")),
        Err(e) => {
            render(
                &web,
                &me,
                &fields.queue,
                &fields.subject,
                &fields.requestors,
                &fields.content,
                Some(e.public_text()),
            )
            .await
        }
    }
}
