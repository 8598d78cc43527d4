//! Version, queues and users: `/rt`, `/queues/all`, `/queue/{id|name}`,
//! `/user/{id|name}`. Which of them a user may see is the workflow's answer (SeeQueue on a
//! queue; oneself, or every user with AdminUsers).

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::shapes::{Paging, asked_fields, with_fields};
use super::{Answer, Rest};
use crate::error::Error;
use crate::queue::Queue;
use crate::server::api::{Actor, read_as};
use crate::user::User;
use crate::wire::rest2::VersionInfo;
use crate::workflow::admin;

/// `GET /rt`.
pub async fn version() -> Answer {
    Ok(axum::Json(VersionInfo {
        version: format!("ticketd {}", env!("CARGO_PKG_VERSION")),
        plugins: Vec::new(),
    })
    .into_response())
}

/// `GET /queues/all`: the queues the user may see.
pub async fn queues(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    let all = read_as(&rest.app, actor, admin::queues).await?;
    let paging = Paging::from_query(&query);
    let fields = asked_fields(&query);
    let total = all.len();
    let items = paging
        .slice(all)
        .iter()
        .map(|q| with_fields(rest.item("queue", q.id), &queue_record(&rest, q), &fields))
        .collect();
    Ok(axum::Json(rest.page("queues/all", &query, paging, total, items)).into_response())
}

/// `GET /queue/{id|name}`: one the user may see; any other does not exist.
pub async fn queue(State(rest): State<Rest>, Extension(actor): Extension<Actor>, Path(id): Path<String>) -> Answer {
    let all = read_as(&rest.app, actor, admin::queues).await?;
    let found = all
        .iter()
        .find(|q| q.id.to_string() == id || q.name.eq_ignore_ascii_case(&id))
        .ok_or_else(|| Error::NotFound(format!("no queue `{id}`")))?;
    Ok(axum::Json(queue_record(&rest, found)).into_response())
}

fn queue_record(rest: &Rest, q: &Queue) -> Map<String, Value> {
    let users = |names: &[String]| Value::Array(names.iter().map(|n| rest.user(n)).collect());
    let record = json!({
        "id": q.id,
        "Name": q.name,
        "Description": q.description,
        "CorrespondAddress": q.address,
        "CommentAddress": q.comment_address,
        "Lifecycle": "default",
        "Disabled": "0",
        "Cc": users(&q.cc),
        "AdminCc": users(&q.admincc),
        "InitialPriority": "",
        "FinalPriority": "",
        "DefaultDueIn": "",
        "CustomFields": [],
        "TicketCustomFields": [],
        "TicketTransactionCustomFields": [],
        "_hyperlinks": [
            rest.self_link("queue", q.id),
            { "ref": "create", "type": "ticket", "_url": rest.url(&format!("ticket?Queue={}", q.id)) },
        ],
    });
    match record {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `GET /user/{name|address}`: oneself, or anyone for a user with AdminUsers.
pub async fn user(State(rest): State<Rest>, Extension(actor): Extension<Actor>, Path(who): Path<String>) -> Answer {
    let user = read_as(&rest.app, actor, move |db, access| admin::show_user(db, access, &who)).await?;
    Ok(axum::Json(user_record(&rest, &user)).into_response())
}

fn user_record(rest: &Rest, u: &User) -> Value {
    json!({
        "id": u.id,
        "Name": u.name,
        "EmailAddress": u.email.clone().unwrap_or_default(),
        "RealName": u.real_name,
        "Privileged": i32::from(u.privileged),
        "Disabled": if u.disabled { "1" } else { "0" },
        "Lang": u.lang.clone().unwrap_or_default(),
        "_hyperlinks": [rest.self_link("user", u.id)],
    })
}
