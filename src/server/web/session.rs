//! Logging in and out, and the session every staff page needs.
//!
//! The workflow decides (throttling, the password, how long a session lives); this file
//! carries cookies and forms to it. The password is checked on a blocking thread (argon2
//! takes real time), never in the writer.

use axum::Form;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::{Web, i18n};
use crate::error::Error;
use crate::server::api::{Actor, App, read, read_as, write_as};
use crate::server::now;
use crate::server::peer::Peer;
use crate::user::User;
use crate::workflow::sessions::{self, SessionLimits, SessionState, WRONG_LOGIN};

/// The session cookie's name.
pub const COOKIE: &str = "ticketd_session";

/// The staff member a page is for, set by [`require_staff`].
#[derive(Debug, Clone)]
pub struct Me {
    pub actor: Actor,
    pub user: User,
}

impl Me {
    /// How pages name them.
    pub fn name(&self) -> &str {
        self.user.display_name()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Next_ {
    #[serde(default)]
    next: String,
}

pub async fn login_form(State(web): State<Web>, Query(q): Query<Next_>) -> Response {
    web.page(
        "login.html",
        None,
        serde_json::json!({ "title": i18n::tr("title-login"), "next": local_path(&q.next), "error": null, "user": "" }),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Checks the password and starts a session; a failure answers the form again with one
/// message whatever the reason, so it tells nobody which accounts exist.
pub async fn login(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(&form.next);
    let again = |message: &str| {
        web.page(
            "login.html",
            None,
            serde_json::json!({ "title": i18n::tr("title-login"), "next": next, "error": message, "user": form.user }),
        )
    };
    let client = client_of(&peer);
    let user_id = match password_actor(&web.app, &form.user, &form.password, &client).await {
        Ok(Some(actor)) => actor.0,
        Ok(None) => return again(WRONG_LOGIN),
        Err(e) => return again(&e.public_text()),
    };
    let keys = sessions::failure_keys(&form.user, &client);
    let at = now();
    let started = web
        .app
        .writer
        .run(move |tx| {
            let secret = sessions::start(tx, user_id, &keys, at)?;
            Ok((secret, tx.user(user_id)?.privileged))
        })
        .await;
    match started {
        // a requestor with a password lands in the portal, not on the staff pages
        Ok((secret, privileged)) => (
            jar.add(session_cookie(&web, secret)),
            web.redirect(match (next.is_empty(), privileged) {
                (false, _) => &next,
                (true, true) => "/",
                (true, false) => "/portal",
            }),
        )
            .into_response(),
        Err(e) => web.error(&e, None),
    }
}

/// The session's cookie: for the whole site under its base path, out of script's reach,
/// sent only with requests from the site itself, and only over https when it is https.
pub fn session_cookie(web: &Web, secret: String) -> Cookie<'static> {
    Cookie::build((COOKIE, secret))
        .path(if web.base.is_empty() {
            "/".to_string()
        } else {
            web.base.to_string()
        })
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(web.secure_cookie)
        .build()
}

/// How failed logins from this client are counted: its address, or "local".
pub(in crate::server) fn client_of(peer: &Peer) -> String {
    match peer {
        Peer::Remote(address) => address.ip().to_string(),
        Peer::Local { .. } => "local".to_string(),
    }
}

/// The user a name and password open, checked as the login form checks them (the
/// throttle first, argon2 on a blocking thread, never in the writer; a failure recorded):
/// `None` for a wrong password, an unknown or a disabled account alike. The login form
/// and REST2's HTTP Basic both ask this.
pub(in crate::server) async fn password_actor(
    app: &App,
    who: &str,
    password: &str,
    client: &str,
) -> Result<Option<Actor>, Error> {
    let keys = sessions::failure_keys(who, client);
    let row = {
        let keys = keys.clone();
        let who = who.trim().to_string();
        read(app, move |db| sessions::account(&db, &who, &keys, now()))
            .await
            .map_err(|e| e.0)?
    };
    let password = password.to_string();
    let user_id = tokio::task::spawn_blocking(move || sessions::password_matches(row.as_ref(), &password))
        .await
        .ok()
        .flatten();
    if let Some(user_id) = user_id {
        return Ok(Some(Actor(user_id)));
    }
    let at = now();
    if let Err(e) = app.writer.run(move |tx| sessions::record_failure(tx, &keys, at)).await {
        tracing::warn!(error = %e, "could not record a failed login");
    }
    Ok(None)
}

/// The user whose live session the cookie's secret names (its use noted now and then), or
/// `None` for no session or an ended one. Staff pages and REST2 both ask this.
pub(in crate::server) async fn session_actor(
    app: &App,
    secret: String,
    limits: SessionLimits,
) -> Result<Option<Actor>, Error> {
    let state = read(app, move |db| sessions::session(&db, &secret, limits, now()))
        .await
        .map_err(|e| e.0)?;
    let (session, user_id, touch) = match state {
        SessionState::Live { id, user_id, touch } => (id, user_id, touch),
        SessionState::Ended => return Ok(None),
    };
    if touch {
        let at = now();
        if let Err(e) = app.writer.run(move |tx| sessions::touch(tx, session, at)).await {
            tracing::warn!(error = %e, "could not note a session's use");
        }
    }
    Ok(Some(Actor(user_id)))
}

/// Ends the session and forgets the cookie.
pub async fn logout(State(web): State<Web>, jar: CookieJar) -> Response {
    if let Some(secret) = jar.get(COOKIE).map(|c| c.value().to_string()) {
        let ended = web.app.writer.run(move |tx| sessions::end(tx, &secret)).await;
        if let Err(e) = ended {
            return web.error(&e, None);
        }
    }
    let gone = Cookie::build((COOKIE, "")).path(if web.base.is_empty() {
        "/".to_string()
    } else {
        web.base.to_string()
    });
    (jar.remove(gone), web.redirect("/login")).into_response()
}

/// Lets a request through as the staff member whose session it carries: no session (or an
/// ended one) goes to the login form, a requestor's session is refused, since these pages
/// are for staff.
pub async fn require_staff(State(web): State<Web>, jar: CookieJar, request: Request, next: Next) -> Response {
    let user = match session_user(&web, &jar, wanted(&web, &request), "/login").await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    if !user.privileged {
        let denied = Error::Denied(format!(
            "{} may not open these pages: they are for staff",
            user.display_name()
        ));
        return web.refuse_requestor(&denied, user.display_name());
    }
    let_through(user, request, next).await
}

/// Lets a request through as the user whose session it carries, staff or requestor (the
/// self-service portal); no session goes to the portal's sign-in form.
pub async fn require_user(State(web): State<Web>, jar: CookieJar, request: Request, next: Next) -> Response {
    match session_user(&web, &jar, wanted(&web, &request), "/portal/login").await {
        Ok(user) => let_through(user, request, next).await,
        Err(answer) => answer,
    }
}

/// The page a request wants, under the base path: where to go back after logging in.
fn wanted(web: &Web, request: &Request) -> String {
    let wanted = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    wanted.strip_prefix(web.base.as_ref()).unwrap_or(wanted).to_string()
}

/// The request, carrying `user` as [`Me`], answered in their language.
async fn let_through(user: User, mut request: Request, next: Next) -> Response {
    let lang = i18n::of_user(user.lang.as_deref()).unwrap_or_else(i18n::current);
    request.extensions_mut().insert(Me {
        actor: Actor(user.id),
        user,
    });
    i18n::answer_in(lang, request, next).await
}

/// The enabled user whose live session the request carries, or the answer that sends the
/// browser to `login` (with the page it wanted as `next`).
async fn session_user(web: &Web, jar: &CookieJar, wanted: String, login: &str) -> Result<User, Response> {
    let to_login = || {
        let query = serde_urlencoded::to_string([("next", wanted.as_str())]).unwrap_or_default();
        web.redirect(&format!("{login}?{query}"))
    };
    let Some(secret) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
        return Err(to_login());
    };
    let user_id = match session_actor(&web.app, secret, web.limits).await {
        Ok(Some(actor)) => actor.0,
        Ok(None) => return Err(to_login()),
        Err(e) => return Err(web.error(&e, None)),
    };
    // a disabled account: its sessions end with it
    read_as(&web.app, Actor(user_id), |_, access| Ok(access.user.clone()))
        .await
        .map_err(|_| to_login())
}

/// `next` if it is a path on this site (`/ticket/4`), else nothing: a login link must
/// not send anyone elsewhere.
fn local_path(next: &str) -> String {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']);
    if ok { next.to_string() } else { String::new() }
}

/// Writes as the staff member: the same call `tkt` makes.
pub async fn write<T>(
    web: &Web,
    me: &Me,
    f: impl FnOnce(
        &crate::store::WriteTx<'_>,
        &crate::workflow::Access,
        &crate::workflow::Settings,
    ) -> crate::error::Result<T>
    + Send
    + 'static,
) -> Result<T, Error>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    write_as(&web.app, me.actor, f).await.map_err(|e| e.0)
}

/// Reads as the staff member.
pub async fn read_me<T: Send + 'static>(
    web: &Web,
    me: &Me,
    f: impl FnOnce(&crate::store::Db<'_>, &crate::workflow::Access) -> crate::error::Result<T> + Send + 'static,
) -> Result<T, Error> {
    read_as(&web.app, me.actor, f).await.map_err(|e| e.0)
}
