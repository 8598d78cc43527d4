//! Templates, error pages and the static files.
//!
//! One minijinja environment holds every page template, embedded in the binary; the
//! `.html` names turn HTML auto-escaping on, so whatever a page is given (a subject, a
//! name, a mail's text) reaches the browser as text, never as markup.

use axum::extract::{Path, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::Environment;
use serde::Serialize;
use tower_http::csrf::ProtectionError;

use super::{Web, i18n};
use crate::error::{Error, Result};

/// The page templates, by file name.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("login.html", include_str!("templates/login.html")),
    ("error.html", include_str!("templates/error.html")),
    ("home.html", include_str!("templates/home.html")),
    ("tickets.html", include_str!("templates/tickets.html")),
    ("ticket.html", include_str!("templates/ticket.html")),
    ("update.html", include_str!("templates/update.html")),
    ("modify.html", include_str!("templates/modify.html")),
    ("create.html", include_str!("templates/create.html")),
    ("search.html", include_str!("templates/search.html")),
    ("html_part.html", include_str!("templates/html_part.html")),
    ("password.html", include_str!("templates/password.html")),
    ("preferences.html", include_str!("templates/preferences.html")),
    ("feed_made.html", include_str!("templates/feed_made.html")),
    ("portal_login.html", include_str!("templates/portal_login.html")),
    ("portal_signin.html", include_str!("templates/portal_signin.html")),
    ("portal_home.html", include_str!("templates/portal_home.html")),
    ("portal_ticket.html", include_str!("templates/portal_ticket.html")),
    ("portal_create.html", include_str!("templates/portal_create.html")),
    (
        "portal_preferences.html",
        include_str!("templates/portal_preferences.html"),
    ),
    ("admin.html", include_str!("templates/admin.html")),
    ("admin_users.html", include_str!("templates/admin_users.html")),
    ("admin_user.html", include_str!("templates/admin_user.html")),
    ("admin_groups.html", include_str!("templates/admin_groups.html")),
    ("admin_queues.html", include_str!("templates/admin_queues.html")),
    ("admin_rights.html", include_str!("templates/admin_rights.html")),
    ("admin_tokens.html", include_str!("templates/admin_tokens.html")),
    ("admin_rules.html", include_str!("templates/admin_rules.html")),
    ("admin_templates.html", include_str!("templates/admin_templates.html")),
];

/// The static files: htmx (vendored, pinned: see static/README.md), our stylesheet and
/// our script.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("htmx.min.js", "text/javascript", include_bytes!("static/htmx.min.js")),
    ("ticketd.css", "text/css", include_bytes!("static/ticketd.css")),
    ("ticketd.js", "text/javascript", include_bytes!("static/ticketd.js")),
];

/// The compiled templates.
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub fn new() -> Result<Pages> {
        let mut env = Environment::new();
        env.add_function("tr", i18n::template_function);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| Error::Internal(format!("web template {name}: {e}")))?;
        }
        Ok(Pages { env })
    }

    /// A template rendered with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| Error::Internal(format!("rendering {name}: {e:#}")))
    }

    /// Only the block `block` of a template, or `None` when the template has no such block
    /// (the caller then sends the whole page).
    fn render_block(&self, name: &str, block: &str, context: impl Serialize) -> Result<Option<String>> {
        let fail = |e: minijinja::Error| Error::Internal(format!("rendering {name}#{block}: {e:#}"));
        let template = self.env.get_template(name).map_err(fail)?;
        // evaluated once into nothing, for the blocks' state; then the one block
        let mut captured = template.render_captured_to(context, std::io::sink()).map_err(fail)?;
        match captured.with_state_mut(|state| state.render_block(block)) {
            Ok(html) => Ok(Some(html)),
            Err(e) if e.kind() == minijinja::ErrorKind::UnknownBlock => Ok(None),
            Err(e) => Err(fail(e)),
        }
    }
}

/// Whether `html` is the element with this id (its first tag carries the id), as htmx
/// swaps it in for the old one.
fn is_element(html: &str, id: &str) -> bool {
    let html = html.trim_start();
    html.starts_with('<') && html[..html.find('>').unwrap_or(html.len())].contains(&format!(" id=\"{id}\""))
}

tokio::task_local! {
    /// The block an htmx request asked for (its `HX-Target`), if any.
    static FRAGMENT: Option<String>;
}

/// Partial updates: a request htmx makes for one element (`HX-Request` with `HX-Target`,
/// the element's id) is answered with just the template block of that name (`-` read as
/// `_`), when the page has one and the block is that element; the handler is the same as
/// for the whole page, so the fragment can never say anything the page would not. Any
/// other request, and a target without such a block, gets the whole page.
pub async fn htmx_fragment(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let target = headers
        .get("hx-request")
        .filter(|v| v.as_bytes() == b"true")
        .and_then(|_| headers.get("hx-target"))
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_string);
    let mut response = FRAGMENT.scope(target, next.run(request)).await;
    response
        .headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("HX-Request, HX-Target"));
    response
}

impl Web {
    /// A page: the template with the layout's common values (`base`, `me`, and `lang`, the
    /// request's language that `tr` reads) beside `context`.
    pub fn page(&self, name: &str, me: Option<&str>, context: serde_json::Value) -> Response {
        self.page_with_status(StatusCode::OK, name, me, context)
    }

    fn page_with_status(
        &self,
        status: StatusCode,
        name: &str,
        me: Option<&str>,
        context: serde_json::Value,
    ) -> Response {
        let mut context = context;
        if let Some(map) = context.as_object_mut() {
            map.insert("base".into(), self.base.as_ref().into());
            map.insert("me".into(), me.into());
            map.insert("lang".into(), i18n::current().code().into());
        }
        let fragment = FRAGMENT.try_with(Clone::clone).ok().flatten();
        let rendered = match fragment {
            Some(id) => self
                .pages
                .render_block(name, &id.replace('-', "_"), &context)
                .transpose()
                .filter(|html| html.as_ref().map_or(true, |html| is_element(html, &id)))
                .unwrap_or_else(|| self.pages.render(name, &context)),
            None => self.pages.render(name, &context),
        };
        match rendered {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => self.error(&e, me),
        }
    }

    /// An error as a page: "does not exist" for what one may not see, the reason for
    /// what one may not do, a reference for an internal error (its detail is logged).
    pub fn error(&self, e: &Error, me: Option<&str>) -> Response {
        self.error_page(e, me, false)
    }

    /// The refusal a requestor's session gets on a staff page: without the staff menu.
    pub fn refuse_requestor(&self, e: &Error, me: &str) -> Response {
        self.error_page(e, Some(me), true)
    }

    fn error_page(&self, e: &Error, me: Option<&str>, requestor: bool) -> Response {
        let status = match e {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::Denied(_) => StatusCode::FORBIDDEN,
            Error::Invalid(_) | Error::NotMail(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Temporary(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let context = serde_json::json!({ "title": i18n::tr("title-error"), "message": e.public_text(),
            "base": self.base.as_ref(), "me": me, "requestor": requestor, "lang": i18n::current().code() });
        match self.pages.render("error.html", &context) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, e.public_text()).into_response(),
        }
    }

    /// A redirect to a path under the base.
    pub fn redirect(&self, path: &str) -> Response {
        Redirect::to(&format!("{}{path}", self.base)).into_response()
    }
}

/// A static file, cached by the browser for a day (the names change with their content
/// only on an upgrade).
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// Gives the CSRF layer's bare 403 a reason a person can read.
pub async fn explain_refusal(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.extensions().get::<ProtectionError>().is_some() {
        return (
            StatusCode::FORBIDDEN,
            "cross-site request refused: changes are only accepted from ticketd's own pages",
        )
            .into_response();
    }
    response
}
