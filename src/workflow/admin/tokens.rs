//! API tokens: made for a user (themselves, or by AdminUsers), listed, revoked; only a
//! hash of each secret is kept.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::visible_user;
use crate::error::{Error, Result};
use crate::mail::parse::hex;
use crate::rights::Right;
use crate::store::{Db, WriteTx};
use crate::text::one_line;
use crate::ticket::Timestamp;
use crate::wire::TokenInfo;
use crate::workflow::access::{Access, On};

/// Creates a token for a user (themselves, or AdminUsers) and returns its id and secret.
/// Only a hash is kept: the secret is shown this once.
pub fn create_token(
    tx: &WriteTx<'_>,
    access: &Access,
    who: &str,
    description: &str,
    expires: Option<&str>,
    now: Timestamp,
) -> Result<(i64, String)> {
    let expires = expires
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| crate::ticket::parse_date_at(e, now))
        .transpose()?;
    if expires.is_some_and(|at| at <= now) {
        return Err(Error::Invalid("a token's expiry must be in the future".into()));
    }
    let user = visible_user(tx, access, who)?;
    if user.disabled {
        return Err(Error::Invalid(format!(
            "{} is disabled, and a disabled user gets no tokens",
            user.display_name()
        )));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("tkd_{}", hex(&bytes));
    let id = tx.create_token(user.id, &token_hash(&secret), &one_line(description), expires, now)?;
    Ok((id, secret))
}

/// The hash under which a token's secret is stored.
pub fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.trim().as_bytes()))
}

/// Revokes a token (its owner, or AdminUsers; to others, someone else's token does not
/// exist).
pub fn revoke_token(tx: &WriteTx<'_>, access: &Access, id: i64, now: Timestamp) -> Result<bool> {
    let missing = || Error::NotFound(format!("there is no token {id}; `tkt token list` shows them"));
    let owner = tx.token_owner(id)?.ok_or_else(missing)?;
    if owner != access.user.id && !access.can(tx, Right::AdminUsers, On::Global)? {
        return Err(missing());
    }
    tx.revoke_token(id, now)
}

/// Tokens of a user (themselves, or AdminUsers), or of everyone (AdminUsers).
pub fn tokens(db: &Db<'_>, access: &Access, who: Option<&str>) -> Result<Vec<TokenInfo>> {
    match who {
        Some(who) => {
            let user = visible_user(db, access, who)?;
            db.tokens(Some(user.id))
        }
        None => {
            access.require(db, Right::AdminUsers, On::Global)?;
            db.tokens(None)
        }
    }
}

/// The tokens one may manage: everyone's with AdminUsers (true), else one's own (false).
pub fn visible_tokens(db: &Db<'_>, access: &Access) -> Result<(bool, Vec<TokenInfo>)> {
    if access.can(db, Right::AdminUsers, On::Global)? {
        Ok((true, db.tokens(None)?))
    } else {
        Ok((false, db.tokens(Some(access.user.id))?))
    }
}
