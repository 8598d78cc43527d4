//! `/admin/groups`: the groups with their members, a new group, a member in or out
//! (`tkt group list|create|add|remove`).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Note, back};
use crate::server::web::pages::{Staff, failed};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::workflow::admin;

pub async fn list(State(web): State<Web>, me: Staff, Query(note): Query<Note>) -> Response {
    let groups = match read_me(&web, &me, admin::groups).await {
        Ok(groups) => groups,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "admin_groups.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr("admin-groups"), "note": note.text(), "groups": groups }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(web): State<Web>, me: Staff, Form(form): Form<CreateForm>) -> Response {
    let name = form.name.trim().to_string();
    let created = write(&web, &me, move |tx, access, _| {
        admin::create_group(tx, access, &form.name, &form.description)
    })
    .await;
    match created {
        Ok(_) => back(
            &web,
            "/admin/groups",
            &i18n::tr_with("note-group-created", &[("group", name.as_str().into())]),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    member: String,
    /// `add` or `remove`.
    #[serde(default)]
    action: String,
}

pub async fn member(State(web): State<Web>, me: Staff, Form(form): Form<MemberForm>) -> Response {
    let add = form.action != "remove";
    let (group, member) = (form.group.trim().to_string(), form.member.trim().to_string());
    let changed = {
        let (group, member) = (group.clone(), member.clone());
        write(&web, &me, move |tx, access, _| {
            admin::change_member(tx, access, &group, &member, add)
        })
        .await
    };
    let note = match (changed, add) {
        (Err(e), _) => return failed(&web, &me, &e),
        (Ok(true), true) => "note-member-added",
        (Ok(true), false) => "note-member-removed",
        (Ok(false), true) => "note-member-was-in",
        (Ok(false), false) => "note-member-was-not-in",
    };
    let note = i18n::tr_with(
        note,
        &[("member", member.as_str().into()), ("group", group.as_str().into())],
    );
    back(&web, "/admin/groups", &note)
}
