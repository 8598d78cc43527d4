//! The staff web UI: server-rendered pages on `[web] listen`, on the same workflow calls
//! and rights checks as tkt (through [`super::api`]'s `read_as`/`write_as`), so no rule has
//! a second implementation here. A page handler parses its form, calls the workflow and
//! renders a template; it decides nothing.
//!
//! Safety, once for every page: a change is a POST, refused when it comes from another
//! origin (tower-http's CSRF layer checks `Sec-Fetch-Site` and `Origin` against
//! `web.public_url`); the session cookie is `HttpOnly`, `SameSite=Strict`; every answer
//! carries a Content-Security-Policy without inline script and `frame-ancestors 'none'`;
//! templates escape everything they are given (minijinja's HTML auto-escaping).

mod feeds;
pub(crate) mod i18n;
pub(in crate::server) mod pages;
mod password;
mod portal;
mod render;
pub(in crate::server) mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::api::App;
use crate::config::WebConfig;
use crate::error::{Error, Result};
use crate::workflow::sessions::SessionLimits;

pub use render::Pages;

/// What every page handler shares.
#[derive(Clone)]
pub struct Web {
    pub app: App,
    /// `""` or `/tickets`: every link is made under it.
    pub base: Arc<str>,
    pub limits: SessionLimits,
    /// The session cookie is `Secure` when pages are served over TLS.
    pub secure_cookie: bool,
    pub pages: Arc<Pages>,
}

/// The content security policy of every answer: scripts and styles only from our own
/// files, never inline; no framing; forms post only to us.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The pages, under the configured base path.
pub fn router(app: App, config: &WebConfig) -> Result<Router> {
    let origin = config.origin().map_err(Error::Invalid)?;
    let web = Web {
        base: config.base().into(),
        limits: SessionLimits {
            idle: chrono::Duration::minutes(i64::from(config.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(config.session_max_hours)),
        },
        secure_cookie: config.is_https(),
        pages: Arc::new(Pages::new()?),
        app,
    };
    // a form with files may be as large as a message ticketd accepts by mail
    let upload_limit = usize::try_from(web.app.config.mail.max_message_bytes).unwrap_or(usize::MAX);
    let staff = pages::staff_routes()
        .route_layer(middleware::from_fn_with_state(web.clone(), session::require_staff))
        .layer(DefaultBodyLimit::max(upload_limit));
    let rest = super::rest2::router(web.app.clone(), &config.public_url, web.limits);
    let portal = Router::new()
        .route("/portal", get(portal::home))
        .route("/portal/ticket/{id}", get(portal::ticket))
        .route("/portal/ticket/{id}/reply", post(portal::reply))
        .route("/portal/create", get(portal::create_form).post(portal::create))
        .route("/portal/attachment/{id}", get(portal::attachment))
        .route(
            "/portal/preferences",
            get(portal::preferences_form).post(portal::preferences),
        )
        .route_layer(middleware::from_fn_with_state(web.clone(), session::require_user))
        .layer(DefaultBodyLimit::max(upload_limit));
    let routes = Router::new()
        .nest("/REST/2.0", rest)
        .route("/portal/login", get(portal::login_form).post(portal::request_link))
        .route("/portal/signin/{secret}", get(portal::signin_form).post(portal::signin))
        .merge(portal)
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/password/{secret}", get(password::form).post(password::set))
        .route("/static/{file}", get(render::asset))
        .route("/feed/{secret}/atom", get(feeds::atom))
        .route("/feed/{secret}/ics", get(feeds::ics))
        .merge(staff)
        .fallback(pages::not_found)
        .with_state(web);
    let routes = match config.base() {
        "" => routes,
        base => Router::new().nest(base, routes),
    };
    let csrf = CsrfLayer::new()
        .add_trusted_origin(&origin)
        .map_err(|e| Error::Invalid(format!("web.public_url: {e}")))?;
    let headers: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut router = routes
        .layer(csrf)
        .layer(middleware::from_fn(render::explain_refusal))
        .layer(middleware::from_fn(render::htmx_fragment))
        .layer(middleware::from_fn(i18n::choose_from_request));
    for (name, value) in headers {
        let layer = if name == header::CACHE_CONTROL {
            // static files set their own caching
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        } else {
            SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
        };
        router = router.layer(layer);
    }
    Ok(router
        .layer(middleware::from_fn(super::api::catch_panic))
        .layer(middleware::from_fn(|request, next| {
            super::metrics::timed("web", request, next)
        })))
}
