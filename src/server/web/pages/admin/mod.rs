//! The admin pages: users, groups, queues, rights, tokens, and the rules and templates in
//! effect. Each calls the workflow function `tkt` calls for the same job, as the
//! logged-in staff member, so the workflow decides who may do what; a refusal is its
//! error page. A change is a POST answered by a 303 back to its page with a note.

mod config;
mod groups;
mod queues;
mod rights;
mod tokens;
mod users;

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::Staff;
use crate::server::web::{Web, i18n};

/// The admin routes (they need a staff session, as every page under `staff_routes`).
pub fn routes() -> axum::Router<Web> {
    axum::Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{who}", get(users::show).post(users::change))
        .route("/admin/groups", get(groups::list).post(groups::create))
        .route("/admin/groups/members", post(groups::member))
        .route("/admin/queues", get(queues::list).post(queues::create))
        .route("/admin/queues/{name}", post(queues::change))
        .route("/admin/rights", get(rights::page))
        .route("/admin/rights/grant", post(rights::grant))
        .route("/admin/rights/revoke", post(rights::revoke))
        .route("/admin/tokens", get(tokens::list).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/rules", get(config::rules))
        .route("/admin/templates", get(config::templates))
}

/// The index: a link to each admin page. Every one refuses by itself what one may not do.
pub async fn index(State(web): State<Web>, me: Staff) -> Response {
    web.page(
        "admin.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr("nav-admin") }),
    )
}

/// What a page says about the change that led back to it (`?note=`).
#[derive(Debug, Default, Deserialize)]
pub struct Note {
    #[serde(default)]
    note: String,
}

impl Note {
    /// The note, shortened: it is only ever our own few words, so a long one is no note.
    fn text(&self) -> Option<&str> {
        let note = self.note.trim();
        (!note.is_empty() && note.chars().count() <= 300).then_some(note)
    }
}

/// A 303 back to `path` with a note saying what was done.
fn back(web: &Web, path: &str, note: &str) -> Response {
    let query = serde_urlencoded::to_string([("note", note)]).unwrap_or_default();
    web.redirect(&format!("{path}?{query}"))
}

/// A name as one segment of a path (`/admin/users/{who}`): every byte but the unreserved
/// ones percent-encoded, so `/`, `?` or `#` in a name stay part of it.
fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A checkbox's field: present (whatever its value) when ticked.
fn ticked(field: Option<&String>) -> bool {
    field.is_some()
}

/// "yes" or "no", as the workflow's yes/no fields take them.
fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A form's optional text: `None` when left empty.
fn given(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_segment_keeps_slashes_and_marks_inside_the_name() {
        assert_eq!(path_segment("zoe@example.net"), "zoe@example.net");
        assert_eq!(path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(path_segment("é"), "%C3%A9");
    }
}
