//! Setting a password through the one-time link mailed to new staff
//! ([`crate::workflow::sessions::mail_password_link`]). The link's secret is the only
//! credential: the page needs no session.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Web, i18n};
use crate::error::Error;
use crate::server::api::read;
use crate::server::now;
use crate::workflow::{admin, sessions};

pub async fn form(State(web): State<Web>, Path(secret): Path<String>) -> Response {
    let works = read(&web.app, move |db| sessions::password_link_works(&db, &secret, now())).await;
    match works {
        Ok(true) => web.page(
            "password.html",
            None,
            serde_json::json!({ "title": i18n::tr("title-set-password"), "error": null }),
        ),
        Ok(false) => web.error(&gone(), None),
        Err(e) => web.error(&e.0, None),
    }
}

fn gone() -> Error {
    Error::NotFound("this link has expired or was used already; ask an admin for a new one".into())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

pub async fn set(State(web): State<Web>, Path(secret): Path<String>, Form(form): Form<PasswordForm>) -> Response {
    let again = |message: String| {
        web.page(
            "password.html",
            None,
            serde_json::json!({ "title": i18n::tr("title-set-password"), "error": message }),
        )
    };
    if form.password != form.again {
        return again("the two passwords differ".into());
    }
    // argon2 takes real time: on a blocking thread, not in the writer
    let password = form.password;
    let hashed = tokio::task::spawn_blocking(move || admin::hash_password(&password)).await;
    let hash = match hashed {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return again(e.public_text()),
        Err(e) => return web.error(&Error::Internal(format!("hashing a password failed: {e}")), None),
    };
    let at = now();
    match web
        .app
        .writer
        .run(move |tx| sessions::set_password_by_link(tx, &secret, hash, at))
        .await
    {
        Ok(_) => web.page(
            "login.html",
            None,
            serde_json::json!({ "title": i18n::tr("title-login"), "next": "", "error": null, "user": "",
                                "note": i18n::tr("note-password-set") }),
        ),
        Err(e) => web.error(&e, None),
    }
}
