//! The web UI's language for each request; the catalogs themselves are [`crate::i18n`]'s.
//!
//! The language is the staff member's own setting (`tkt user set NAME lang=de`, or the
//! Preferences page) when they have one, else the first language of the browser's
//! `Accept-Language` that we ship (q-values honoured, `de-CH` is German), else English.
//! [`choose_from_request`] sets it for the whole request as a task-local value, and
//! `session::require_staff` narrows it to the user's setting, so
//! every page, error page and title made while answering reads the same one without each
//! handler passing it along.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::{FluentArgs, FluentValue};

use crate::i18n::message;
pub use crate::i18n::{Lang, template_function};

tokio::task_local! {
    /// The language of the request being answered.
    static REQUEST_LANG: Lang;
}

/// The language of the request being answered (English outside one).
pub fn current() -> Lang {
    REQUEST_LANG.try_with(|lang| *lang).unwrap_or(Lang::En)
}

/// The message `key` in the request's language.
pub fn tr(key: &str) -> String {
    message(current(), key, None)
}

/// The message `key` in the request's language, with named arguments.
pub fn tr_with(key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        fluent.set(*name, value.clone());
    }
    message(current(), key, Some(&fluent))
}

/// Answers `next` in `lang`.
pub async fn answer_in(lang: Lang, request: Request, next: Next) -> Response {
    REQUEST_LANG.scope(lang, next.run(request)).await
}

/// Sets the request's language from its `Accept-Language` (the user's own setting,
/// known only after the session is read, narrows it in `require_staff`).
pub async fn choose_from_request(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language);
    answer_in(lang, request, next).await
}

/// The languages a preferences form offers: each one's code and its name in itself.
pub fn menu() -> Vec<serde_json::Value> {
    Lang::ALL
        .into_iter()
        .map(|lang| serde_json::json!({ "code": lang.code(), "name": lang.own_name() }))
        .collect()
}

/// The language a user chose (`lang` on their account), if it is one we ship.
pub fn of_user(setting: Option<&str>) -> Option<Lang> {
    setting.and_then(Lang::from_tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_setting_names_a_shipped_language_or_nothing() {
        assert_eq!(of_user(Some("fr")), Some(Lang::Fr));
        assert_eq!(of_user(Some("de-AT")), Some(Lang::De));
        assert_eq!(of_user(Some("xx")), None);
        assert_eq!(of_user(None), None);
    }

    #[tokio::test]
    async fn outside_a_request_the_language_is_english() {
        assert_eq!(current(), Lang::En);
        let inside = REQUEST_LANG.scope(Lang::Fr, async { tr("nav-search") }).await;
        assert_eq!(inside, "Rechercher");
    }
}
