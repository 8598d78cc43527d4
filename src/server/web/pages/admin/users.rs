//! `/admin/users`: every user, a new one, and one user's name, address, staff flag and
//! whether they may log in (`tkt user list|create|show|set`).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Note, back, given, path_segment, ticked, yes_no};
use crate::server::now;
use crate::server::web::pages::{Staff, failed};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::user::User;
use crate::wire::NewUser;
use crate::workflow::admin;

/// A user as the pages show one.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    name: &'a str,
    /// The path segment of their page.
    link: String,
    email: &'a str,
    real_name: &'a str,
    privileged: bool,
    disabled: bool,
}

fn shown(user: &User) -> Shown<'_> {
    Shown {
        name: &user.name,
        link: path_segment(&user.name),
        email: user.email.as_deref().unwrap_or_default(),
        real_name: &user.real_name,
        privileged: user.privileged,
        disabled: user.disabled,
    }
}

pub async fn list(State(web): State<Web>, me: Staff, Query(note): Query<Note>) -> Response {
    let users = match read_me(&web, &me, |db, access| admin::users(db, access, true)).await {
        Ok(users) => users,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "admin_users.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("admin-users"),
            "note": note.text(),
            "users": users.iter().map(shown).collect::<Vec<_>>(),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    privileged: Option<String>,
}

pub async fn create(State(web): State<Web>, me: Staff, Form(form): Form<CreateForm>) -> Response {
    let request = NewUser {
        name: form.name.trim().to_string(),
        email: given(&form.email),
        real_name: form.real_name.clone(),
        privileged: ticked(form.privileged.as_ref()),
    };
    let at = now();
    match write(&web, &me, move |tx, access, s| {
        admin::create_user(tx, s, access, &request, at)
    })
    .await
    {
        Ok(user) => back(
            &web,
            "/admin/users",
            &i18n::tr_with("note-user-created", &[("user", user.name.as_str().into())]),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}

pub async fn show(State(web): State<Web>, me: Staff, Path(who): Path<String>, Query(note): Query<Note>) -> Response {
    let user = match read_me(&web, &me, move |db, access| admin::show_user(db, access, &who)).await {
        Ok(user) => user,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "admin_user.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr_with("user-heading", &[("name", user.name.as_str().into())]),
            "note": note.text(),
            "user": shown(&user),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    privileged: Option<String>,
    #[serde(default)]
    disabled: Option<String>,
}

impl ChangeForm {
    /// The fields that differ from `user`, as `tkt user set` takes them: a user may send
    /// the whole form to change only their own real name, which needs no admin right.
    fn changes(&self, user: &User) -> Vec<String> {
        let mut changes = Vec::new();
        if self.real_name.trim() != user.real_name {
            changes.push(format!("real_name={}", self.real_name.trim()));
        }
        if self.email.trim() != user.email.as_deref().unwrap_or_default() {
            changes.push(format!("email={}", self.email.trim()));
        }
        let privileged = ticked(self.privileged.as_ref());
        if privileged != user.privileged {
            changes.push(format!("privileged={}", yes_no(privileged)));
        }
        let disabled = ticked(self.disabled.as_ref());
        if disabled != user.disabled {
            changes.push(format!("disabled={}", yes_no(disabled)));
        }
        changes
    }
}

pub async fn change(
    State(web): State<Web>,
    me: Staff,
    Path(who): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Response {
    let changed = write(&web, &me, move |tx, access, _| {
        let user = admin::show_user(tx, access, &who)?;
        let changes = form.changes(&user);
        if changes.is_empty() {
            return Ok((user.name, false));
        }
        Ok((admin::set_user(tx, access, &who, &changes)?.name, true))
    })
    .await;
    match changed {
        Ok((name, changed)) => back(
            &web,
            &format!("/admin/users/{}", path_segment(&name)),
            &i18n::tr(if changed { "note-saved" } else { "note-nothing-changed" }),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}
