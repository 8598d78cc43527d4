//! Who a request acts as.
//!
//! - Mail (`/v1/ingest`): anyone over the Unix socket (it is what sending mail to the
//!   queue does anyway; Postfix runs pipes as `nobody`); over TCP only with the MTA's
//!   shared secret (`server.token_file`), which opens nothing else. Only mail handed in
//!   with that secret ([`MtaSecret`]) may have its `Authentication-Results` trusted: any
//!   local user can write those headers into a message of their own.
//! - Everything else acts as a user: the owner of an API token (`Authorization: Bearer`),
//!   or, over the Unix socket without a token, root for local root and for the user
//!   ticketd runs as (SO_PEERCRED), so the first admin can bootstrap.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::{Actor, ApiError, App, read};
use crate::config::Config;
use crate::error::Error;
use crate::server::now;
use crate::server::peer::Peer;
use crate::store::TokenState;
use crate::user::ROOT_ID;
use crate::workflow::admin::token_hash;

/// Whether a delivery came with the MTA's shared secret: the one sign that it came
/// through the MTA and not from any local user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtaSecret(pub bool);

/// Lets a request through as an [`Actor`], or refuses it with `unauthenticated`.
pub async fn authenticate(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let bearer = bearer(request.headers());
    if request.uri().path() == "/v1/ingest" {
        let allowed = match peer {
            Peer::Local { .. } => true,
            Peer::Remote(_) => bearer.as_deref().is_some_and(|t| is_mta_secret(&app.config, t)),
        };
        if !allowed {
            return Err(Error::Unauthenticated(
                "mail over TCP needs the MTA's shared secret (server.token_file): give mailgate --token-file \
                 FILE, or the secret itself in TICKETD_TOKEN"
                    .into(),
            )
            .into());
        }
        let with_secret = bearer.as_deref().is_some_and(|t| is_mta_secret(&app.config, t));
        if bearer.is_some() && !with_secret {
            tracing::warn!(
                "mail handed in with a token that is not the MTA's secret (server.token_file): \
                 accepted, but its Authentication-Results are not trusted"
            );
        }
        request.extensions_mut().insert(MtaSecret(with_secret));
        return Ok(next.run(request).await);
    }
    let actor = match bearer {
        Some(token) if is_mta_secret(&app.config, &token) => {
            return Err(Error::Unauthenticated(
                "the MTA's shared secret only delivers mail; tkt needs a user's token (`tkt token create`)".into(),
            )
            .into());
        }
        Some(token) => token_actor(&app, &token).await?,
        None => match peer {
            Peer::Local { uid: Some(uid) } if uid == 0 || Some(uid) == app.daemon_uid => Actor(ROOT_ID),
            _ => {
                return Err(Error::Unauthenticated(
                    "a token is needed: ask an admin for `tkt token create YOU`, then put the token itself \
                     in TICKETD_TOKEN, or save it in a file and pass --token-file FILE"
                        .into(),
                )
                .into());
            }
        },
    };
    request.extensions_mut().insert(actor);
    Ok(next.run(request).await)
}

/// The user an API token (`tkt token create`) acts as: the one check `/v1` and
/// `/REST/2.0` share, so a revoked or expired token is refused the same way by both.
pub(in crate::server) async fn token_actor(app: &App, token: &str) -> Result<Actor, ApiError> {
    let hash = token_hash(token);
    match read(app, move |db| db.token(&hash, now())).await? {
        TokenState::Valid { user_id } => Ok(Actor(user_id)),
        TokenState::Revoked => Err(Error::Unauthenticated("the token was revoked".into()).into()),
        TokenState::Expired => Err(Error::Unauthenticated("the token has expired".into()).into()),
        TokenState::UserDisabled => Err(Error::Unauthenticated("the token's user is disabled".into()).into()),
        TokenState::Unknown => Err(Error::Unauthenticated("the token is not valid (wrong or deleted)".into()).into()),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn is_mta_secret(config: &Config, given: &str) -> bool {
    let Some(expected) = &config.server.token else {
        return false;
    };
    // compare digests: equal length, so the comparison time says nothing about the secret
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.0.as_bytes())
}
