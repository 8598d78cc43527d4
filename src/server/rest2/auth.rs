//! Who a REST2 request acts as, in the order RT's clients send it: an API token
//! (`Authorization: token tkd_...`, the tokens `/v1` takes, checked by the same code),
//! HTTP Basic with the user's web password (throttled and checked off the writer exactly
//! as the login form's), or the web session cookie. Anything else is 401.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;

use super::{Failure, Rest};
use crate::error::Error;
use crate::server::api::Actor;
use crate::server::api::auth::token_actor;
use crate::server::peer::Peer;
use crate::server::web::session::{COOKIE, client_of, password_actor, session_actor};

/// What the `Authorization` header carries.
enum Credentials {
    Token(String),
    Basic { user: String, password: String },
}

/// Lets a request through as an [`Actor`], or answers 401 `Authorization required`.
pub async fn authenticate(
    State(rest): State<Rest>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    match actor(&rest, &peer, &jar, request.headers()).await {
        Ok(actor) => {
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        Err(failure) => failure.into_response(),
    }
}

async fn actor(rest: &Rest, peer: &Peer, jar: &CookieJar, headers: &HeaderMap) -> Result<Actor, Failure> {
    let refused = || Failure::Ticketd(Error::Unauthenticated(String::new()));
    match credentials(headers) {
        Some(Credentials::Token(token)) => Ok(token_actor(&rest.app, &token).await?),
        Some(Credentials::Basic { user, password }) => {
            // a throttled account or address is refused like a wrong password
            match password_actor(&rest.app, &user, &password, &client_of(peer)).await {
                Ok(Some(actor)) => Ok(actor),
                Ok(None) | Err(Error::Denied(_)) => Err(refused()),
                Err(e) => Err(e.into()),
            }
        }
        None => {
            let Some(secret) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
                return Err(refused());
            };
            session_actor(&rest.app, secret, rest.limits).await?.ok_or_else(refused)
        }
    }
}

fn credentials(headers: &HeaderMap) -> Option<Credentials> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "token" | "bearer" if !rest.is_empty() => Some(Credentials::Token(rest.to_string())),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (user, password) = decoded.split_once(':')?;
            Some(Credentials::Basic {
                user: user.to_string(),
                password: password.to_string(),
            })
        }
        _ => None,
    }
}
