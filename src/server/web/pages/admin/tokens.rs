//! `/admin/tokens`: API tokens (everyone's for an admin, else one's own), a new one whose
//! secret is shown once, and revoking (`tkt token list|create|revoke`).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Note, back, given};
use crate::server::now;
use crate::server::web::pages::{Staff, failed, when};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::workflow::admin;

pub async fn list(State(web): State<Web>, me: Staff, Query(note): Query<Note>) -> Response {
    render(&web, &me, note.text(), None).await
}

/// The page, with a new token's secret when one was just made.
async fn render(web: &Web, me: &Staff, note: Option<&str>, secret: Option<(i64, String)>) -> Response {
    let (everyone, tokens) = match read_me(web, me, admin::visible_tokens).await {
        Ok(found) => found,
        Err(e) => return failed(web, me, &e),
    };
    let rows: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "user": t.user,
                "description": t.description,
                "created": when(&t.created),
                "expires": t.expires.as_ref().map(when),
                "revoked": t.revoked.as_ref().map(when),
            })
        })
        .collect();
    web.page(
        "admin_tokens.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("admin-tokens"),
            "note": note,
            "everyone": everyone,
            "tokens": rows,
            "created": secret.map(|(id, secret)| serde_json::json!({ "id": id, "secret": secret })),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    /// Whose token; empty: mine.
    #[serde(default)]
    user: String,
    #[serde(default)]
    description: String,
    /// When it stops working (a date, or `+90 days`); empty: never.
    #[serde(default)]
    expires: String,
}

/// Makes a token and answers the page itself (no redirect): the secret is shown this
/// once, never stored, so it may not travel in a URL.
pub async fn create(State(web): State<Web>, me: Staff, Form(form): Form<CreateForm>) -> Response {
    let user = given(&form.user).unwrap_or_else(|| me.user.name.clone());
    let at = now();
    let created = write(&web, &me, move |tx, access, _| {
        admin::create_token(tx, access, &user, &form.description, Some(&form.expires), at)
    })
    .await;
    match created {
        Ok((id, secret)) => render(&web, &me, None, Some((id, secret))).await,
        Err(e) => failed(&web, &me, &e),
    }
}

pub async fn revoke(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    let at = now();
    match write(&web, &me, move |tx, access, _| admin::revoke_token(tx, access, id, at)).await {
        Ok(true) => back(
            &web,
            "/admin/tokens",
            &i18n::tr_with("note-token-revoked", &[("id", id.into())]),
        ),
        Ok(false) => back(
            &web,
            "/admin/tokens",
            &i18n::tr_with("note-token-revoked-already", &[("id", id.into())]),
        ),
        Err(e) => failed(&web, &me, &e),
    }
}
