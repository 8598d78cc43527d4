//! `/admin/queues`: the queues one may see, where each is managed, a new queue, and a
//! queue's description and addresses (`tkt queue list|create|set`). The workflow refuses
//! changes to a queue the config file defines.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Note, back, given};
use crate::server::now;
use crate::server::web::pages::{Staff, failed};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::wire::NewQueue;
use crate::workflow::admin;

pub async fn list(State(web): State<Web>, me: Staff, Query(note): Query<Note>) -> Response {
    let queues = match read_me(&web, &me, admin::queues).await {
        Ok(queues) => queues,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "admin_queues.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr("admin-queues"), "note": note.text(), "queues": queues }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    comment_address: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(web): State<Web>, me: Staff, Form(form): Form<CreateForm>) -> Response {
    let at = now();
    let created = write(&web, &me, move |tx, access, s| {
        // the addresses default as for `tkt queue create`: the workflow decides
        let request = NewQueue {
            name: form.name.clone(),
            address: given(&form.address),
            comment_address: given(&form.comment_address),
        };
        let queue = admin::create_queue(tx, s, access, &request, at)?;
        match given(&form.description) {
            Some(description) => admin::set_queue(tx, access, &queue.name, &[format!("description={description}")], at),
            None => Ok(queue),
        }
    })
    .await;
    match created {
        Ok(queue) => back(
            &web,
            "/admin/queues",
            &i18n::tr_with("note-queue-created", &[("queue", queue.name.as_str().into())]),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    comment_address: String,
}

impl ChangeForm {
    /// As `tkt queue set` takes them; an address left empty stays as it is.
    fn changes(&self) -> Vec<String> {
        let mut changes = vec![format!("description={}", self.description.trim())];
        if let Some(address) = given(&self.address) {
            changes.push(format!("address={address}"));
        }
        if let Some(address) = given(&self.comment_address) {
            changes.push(format!("comment_address={address}"));
        }
        changes
    }
}

pub async fn change(
    State(web): State<Web>,
    me: Staff,
    Path(name): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Response {
    let changes = form.changes();
    let at = now();
    match write(&web, &me, move |tx, access, _| {
        admin::set_queue(tx, access, &name, &changes, at)
    })
    .await
    {
        Ok(queue) => back(
            &web,
            "/admin/queues",
            &i18n::tr_with("note-queue-saved", &[("queue", queue.name.as_str().into())]),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}
