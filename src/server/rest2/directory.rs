//! Version, queues, users and groups: `/rt`, `/queues/all`, `/queue/{id|name}`,
//! `/user/{name}`, `/group/{id|name}[/members]`. Which of them a user may see is the
//! workflow's answer (SeeQueue on a queue; oneself, or every user with AdminUsers;
//! groups with AdminGroups).

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::openapi::{PageParams, ReadFailure};
use super::shapes::{Paging, asked_fields, with_fields};
use super::{Answer, Failure, Rest};
use crate::error::Error;
use crate::queue::Queue;
use crate::server::api::{Actor, read_as};
use crate::user::User;
use crate::wire::GroupInfo;
use crate::wire::rest2::{Collection, VersionInfo};
use crate::workflow::admin;

/// `GET /rt`.
#[utoipa::path(
    get,
    path = "/rt",
    tag = "rt",
    responses(
        (status = 200, description = "The server", body = VersionInfo),
    )
)]
pub async fn version() -> Answer {
    Ok(axum::Json(VersionInfo {
        version: format!("ticketd {}", env!("CARGO_PKG_VERSION")),
        plugins: Vec::new(),
    })
    .into_response())
}

/// `GET /queues/all`: the queues the user may see.
#[utoipa::path(
    get,
    path = "/queues/all",
    tag = "queues",
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "The queues the user may see, as references", body = Collection),
    )
)]
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
#[utoipa::path(
    get,
    path = "/queue/{id}",
    tag = "queues",
    params(
        ("id" = String, Path, description = "Queue number or name"),
    ),
    responses(
        (status = 200, description = "The queue", body = serde_json::Value),
        ReadFailure,
    )
)]
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
#[utoipa::path(
    get,
    path = "/user/{id}",
    tag = "users",
    params(
        ("id" = String, Path, description = "User name or email address"),
    ),
    responses(
        (status = 200, description = "The user: oneself, or anyone for AdminUsers", body = serde_json::Value),
        ReadFailure,
    )
)]
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

/// `GET /group/{id|name}` (AdminGroups, as `tkt admin groups`).
#[utoipa::path(
    get,
    path = "/group/{id}",
    tag = "groups",
    params(
        ("id" = String, Path, description = "Group number or name"),
    ),
    responses(
        (status = 200, description = "The group (AdminGroups)", body = serde_json::Value),
        ReadFailure,
    )
)]
pub async fn group(State(rest): State<Rest>, Extension(actor): Extension<Actor>, Path(id): Path<String>) -> Answer {
    let (group, _) = find_group(&rest, actor, id).await?;
    let record = json!({
        "id": group.id,
        "Name": group.name,
        "Description": group.description,
        "Domain": if group.domain == "system" { "SystemInternal" } else { "UserDefined" },
        "Disabled": "0",
        "_hyperlinks": [
            rest.self_link("group", group.id),
            { "ref": "members", "_url": rest.url(&format!("group/{}/members", group.id)) },
        ],
    });
    Ok(axum::Json(record).into_response())
}

/// `GET /group/{id|name}/members`: users, and groups in it, as references.
#[utoipa::path(
    get,
    path = "/group/{id}/members",
    tag = "groups",
    params(
        ("id" = String, Path, description = "Group number or name"),
        PageParams,
    ),
    responses(
        (status = 200, description = "Its users and groups as references", body = Collection),
        ReadFailure,
    )
)]
pub async fn group_members(
    State(rest): State<Rest>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Answer {
    let (group, all) = find_group(&rest, actor, id).await?;
    let members: Vec<Value> = group
        .members
        .iter()
        .map(|m| match all.iter().find(|g| g.name == *m) {
            Some(inner) => rest.reference_json("group", inner.id),
            None => rest.user(m),
        })
        .collect();
    let paging = Paging::from_query(&query);
    let total = members.len();
    let path = format!("group/{}/members", group.id);
    Ok(axum::Json(rest.page(&path, &query, paging, total, paging.slice(members))).into_response())
}

/// The group named by number or name, and every group (to tell member groups from users).
async fn find_group(rest: &Rest, actor: Actor, id: String) -> Result<(GroupInfo, Vec<GroupInfo>), Failure> {
    let all = read_as(&rest.app, actor, admin::groups).await?;
    let group = all
        .iter()
        .find(|g| g.id.to_string() == id || g.name.eq_ignore_ascii_case(&id))
        .cloned()
        .ok_or_else(|| Error::NotFound(format!("no group `{id}`")))?;
    Ok((group, all))
}
