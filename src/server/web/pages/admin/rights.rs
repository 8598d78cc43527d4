//! `/admin/rights`: the grants one may manage, granting and revoking (`tkt grant|revoke`),
//! and "who has what and why" (`tkt rights USER [--queue Q]`).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Note, back, given};
use crate::error::Error;
use crate::rights::Right;
use crate::server::web::pages::{Staff, failed};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::workflow::admin;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    note: String,
    /// Explain this user's rights ...
    #[serde(default)]
    user: String,
    /// ... on this queue (empty: globally).
    #[serde(default)]
    queue: String,
}

pub async fn page(State(web): State<Web>, me: Staff, Query(q): Query<PageQuery>) -> Response {
    let (user, queue) = (given(&q.user), given(&q.queue));
    let found = read_me(&web, &me, move |db, access| {
        // one may be refused the grid and still ask about oneself
        let grants = match admin::grants(db, access) {
            Ok(grants) => Ok(grants),
            Err(Error::Denied(why)) => Err(why),
            Err(e) => return Err(e),
        };
        let queues = admin::queues(db, access)?;
        let explained = match &user {
            Some(user) => Some(admin::explain(db, access, user, queue.as_deref())?),
            None => None,
        };
        Ok((grants, queues, explained))
    })
    .await;
    let (grants, queues, explained) = match found {
        Ok(found) => found,
        Err(e) => return failed(&web, &me, &e),
    };
    let note = Note { note: q.note.clone() };
    let (grants, refused) = match grants {
        Ok(grants) => (grants, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    web.page(
        "admin_rights.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("admin-rights"),
            "note": note.text(),
            "grants": grants,
            "refused": refused,
            "rights": Right::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "queues": queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
            "user": q.user,
            "queue": q.queue,
            "explained": explained,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    principal: String,
    #[serde(default)]
    right: String,
    /// Empty: globally.
    #[serde(default)]
    queue: String,
}

async fn change(web: Web, me: Staff, form: GrantForm, give: bool) -> Response {
    let queue = given(&form.queue);
    let scope = queue.as_deref().map_or_else(
        || i18n::tr("scope-globally"),
        |q| i18n::tr_with("scope-on-queue", &[("queue", q.into())]),
    );
    let (principal, right) = (form.principal.trim().to_string(), form.right.trim().to_string());
    let changed = {
        let (principal, right) = (principal.clone(), right.clone());
        write(&web, &me, move |tx, access, _| {
            admin::grant_named(tx, access, &principal, &right, queue.as_deref(), give)
        })
        .await
    };
    let note = match (changed, give) {
        (Err(e), _) => return failed(&web, &me, &e),
        (Ok(true), true) => "note-right-granted",
        (Ok(false), true) => "note-right-held",
        (Ok(true), false) => "note-right-revoked",
        (Ok(false), false) => "note-right-not-held",
    };
    let note = i18n::tr_with(
        note,
        &[
            ("right", right.as_str().into()),
            ("who", principal.as_str().into()),
            ("scope", scope.into()),
        ],
    );
    back(&web, "/admin/rights", &note)
}

pub async fn grant(State(web): State<Web>, me: Staff, Form(form): Form<GrantForm>) -> Response {
    change(web, me, form, true).await
}

pub async fn revoke(State(web): State<Web>, me: Staff, Form(form): Form<GrantForm>) -> Response {
    change(web, me, form, false).await
}
