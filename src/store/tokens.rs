//! API tokens. Only a SHA-256 of each secret is stored: a stolen database gives no
//! usable tokens.

use super::sql::{self, params};
use super::{Db, WriteTx, parse_opt_ts, parse_ts, ts};
use crate::error::Result;
use crate::ticket::Timestamp;
use crate::wire::TokenInfo;

/// A token row: id, user, description, created, expires, revoked.
type TokenRow = (i64, String, String, String, Option<String>, Option<String>);

/// What a presented token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    Valid {
        user_id: i64,
    },
    Revoked,
    Expired,
    /// The token's user is disabled: a disabled account signs in by no means.
    UserDisabled,
    Unknown,
}

impl Db<'_> {
    /// Looks a token up by the hash of its secret.
    pub fn token(&self, hash: &str, now: Timestamp) -> Result<TokenState> {
        let row: Option<(i64, Option<String>, Option<String>, bool)> = sql::optional(
            self.sql(),
            "SELECT t.user_id, t.expires, t.revoked, p.disabled FROM api_tokens t \
             JOIN principals p ON p.id = t.user_id WHERE t.token_hash = ?1",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(match row {
            None => TokenState::Unknown,
            Some((_, _, Some(_), _)) => TokenState::Revoked,
            Some((_, Some(expires), None, _)) if parse_ts(&expires)? <= now => TokenState::Expired,
            Some((_, _, None, true)) => TokenState::UserDisabled,
            Some((user_id, _, None, false)) => TokenState::Valid { user_id },
        })
    }

    /// Tokens, of one user or of all.
    pub fn tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenInfo>> {
        let rows: Vec<TokenRow> = sql::all(
            self.sql(),
            "SELECT t.id, COALESCE(u.email, u.name), t.description, t.created, t.expires, t.revoked \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE CAST(?1 AS BIGINT) IS NULL OR t.user_id = ?1 ORDER BY t.id",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )?;
        rows.into_iter()
            .map(|(id, user, description, created, expires, revoked)| {
                Ok(TokenInfo {
                    id,
                    user,
                    description,
                    created: parse_ts(&created)?,
                    expires: parse_opt_ts(expires)?,
                    revoked: parse_opt_ts(revoked)?,
                })
            })
            .collect()
    }

    /// The user a token belongs to.
    pub fn token_owner(&self, id: i64) -> Result<Option<i64>> {
        sql::optional(self.sql(), "SELECT user_id FROM api_tokens WHERE id = ?1", [id], |r| {
            r.get(0)
        })
    }
}

impl WriteTx<'_> {
    /// Stores a new token by the hash of its secret.
    pub fn create_token(
        &self,
        user_id: i64,
        hash: &str,
        description: &str,
        expires: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<i64> {
        sql::one(
            self.sql(),
            "INSERT INTO api_tokens (user_id, token_hash, description, created, expires) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            params![user_id, hash, description, ts(now), expires.map(ts)],
            |r| r.get(0),
        )
    }

    /// Revokes a token; false when it was revoked already.
    pub fn revoke_token(&self, id: i64, now: Timestamp) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "UPDATE api_tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
            params![id, ts(now)],
        )? == 1)
    }
}
