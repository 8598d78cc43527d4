//! The staff member's own preferences: the language of their pages and mail (saved with
//! the call `tkt user set NAME lang=...` makes, on themselves, so the workflow decides),
//! and their feeds: to make one of a saved search, or to revoke one.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Staff, failed};
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::workflow::{admin, feeds, saved_searches};

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

pub async fn form(State(web): State<Web>, me: Staff, Query(saved): Query<Saved>) -> Response {
    let listed = read_me(&web, &me, |db, access| {
        Ok((feeds::list(db, access)?, saved_searches::list(db, access)?))
    })
    .await;
    let (feeds, searches) = match listed {
        Ok(listed) => listed,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "preferences.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("preferences-heading"),
            "saved": !saved.saved.is_empty(),
            "chosen": me.user.lang.as_deref().and_then(i18n::Lang::from_tag).map(i18n::Lang::code),
            "languages": i18n::menu(),
            "feeds": feeds,
            "searches": searches,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    /// `en`, `de`, `fr`, or empty for "as the browser asks".
    #[serde(default)]
    lang: String,
}

pub async fn save(State(web): State<Web>, me: Staff, Form(form): Form<PreferencesForm>) -> Response {
    let change = format!(
        "lang={}",
        if form.lang.trim().is_empty() {
            "off"
        } else {
            form.lang.trim()
        }
    );
    let name = me.user.name.clone();
    match write(&web, &me, move |tx, access, _| {
        admin::set_user(tx, access, &name, &[change])
    })
    .await
    {
        Ok(_) => web.redirect("/preferences?saved=1"),
        Err(e) => failed(&web, &me, &e),
    }
}
