//! Web sessions and failed logins. A session is found by the SHA-256 of its cookie's
//! secret, as an API token is: a copy of the database opens no session.

use super::sql::{self, params};
use super::{Db, WriteTx, parse_ts, ts};
use crate::error::Result;
use crate::ticket::Timestamp;

/// The one-time links mailed to users, each kind in a table of its own (same columns).
#[derive(Debug, Clone, Copy)]
enum Link {
    /// Sets a staff member's password (`password_links`).
    Password,
    /// Signs a requestor in to the portal (`signin_links`).
    SignIn,
}

impl Link {
    fn table(self) -> &'static str {
        match self {
            Link::Password => "password_links",
            Link::SignIn => "signin_links",
        }
    }
}

/// A live session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub created: Timestamp,
    pub last_seen: Timestamp,
}

/// What the login form checks a password against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRow {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

impl Db<'_> {
    /// The session whose secret hashes to `hash`, if there is one.
    pub fn session(&self, hash: &str) -> Result<Option<SessionRow>> {
        let row: Option<(i64, i64, String, String)> = sql::optional(
            self.sql(),
            "SELECT id, user_id, created, last_seen FROM web_sessions WHERE token_hash = ?1",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        row.map(|(id, user_id, created, last_seen)| {
            Ok(SessionRow {
                id,
                user_id,
                created: parse_ts(&created)?,
                last_seen: parse_ts(&last_seen)?,
            })
        })
        .transpose()
    }

    /// The account a login name or address names, with its password hash.
    pub fn login(&self, who: &str) -> Result<Option<LoginRow>> {
        sql::optional(
            self.sql(),
            "SELECT u.id, u.password_hash, p.disabled FROM users u JOIN principals p ON p.id = u.id \
             WHERE u.name = ?1 OR u.email = ?1 ORDER BY CASE WHEN u.email = ?1 THEN 1 ELSE 0 END DESC LIMIT 1",
            [who],
            |r| {
                Ok(LoginRow {
                    user_id: r.get(0)?,
                    password_hash: r.get(1)?,
                    disabled: r.get(2)?,
                })
            },
        )
    }

    /// Whether a password link is known and not expired (the form is shown only then).
    pub fn password_link_valid(&self, hash: &str, now: Timestamp) -> Result<bool> {
        let expires: Option<String> = sql::optional(
            self.sql(),
            "SELECT expires FROM password_links WHERE token_hash = ?1",
            [hash],
            |r| r.get(0),
        )?;
        Ok(match expires {
            Some(expires) => parse_ts(&expires)? > now,
            None => false,
        })
    }

    /// Failed logins under `key` since `since`.
    pub fn login_failures(&self, key: &str, since: Timestamp) -> Result<i64> {
        sql::one(
            self.sql(),
            "SELECT count(*) FROM login_failures WHERE key = ?1 AND at >= ?2",
            params![key, ts(since)],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Starts a session for a user.
    pub fn create_session(&self, user_id: i64, hash: &str, now: Timestamp) -> Result<i64> {
        sql::one(
            self.sql(),
            "INSERT INTO web_sessions (token_hash, user_id, created, last_seen) VALUES (?1, ?2, ?3, ?3) RETURNING id",
            params![hash, user_id, ts(now)],
            |r| r.get(0),
        )
    }

    /// Notes that a session was used.
    pub fn touch_session(&self, id: i64, now: Timestamp) -> Result<()> {
        sql::execute(
            self.sql(),
            "UPDATE web_sessions SET last_seen = ?2 WHERE id = ?1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// Ends a session (logout, or found expired).
    pub fn end_session(&self, hash: &str) -> Result<()> {
        sql::execute(self.sql(), "DELETE FROM web_sessions WHERE token_hash = ?1", [hash])?;
        Ok(())
    }

    /// Ends every session of a user (a password change, a disabled account).
    pub fn end_sessions_of(&self, user_id: i64) -> Result<()> {
        sql::execute(self.sql(), "DELETE FROM web_sessions WHERE user_id = ?1", [user_id])?;
        Ok(())
    }

    /// Records a failed login under each key, and forgets failures older than `forget_before`.
    pub fn record_login_failure(&self, keys: &[&str], now: Timestamp, forget_before: Timestamp) -> Result<()> {
        for key in keys {
            sql::execute(
                self.sql(),
                "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                params![key, ts(now)],
            )?;
        }
        sql::execute(
            self.sql(),
            "DELETE FROM login_failures WHERE at < ?1",
            [ts(forget_before)],
        )?;
        Ok(())
    }

    /// Keeps a one-time password link; a user's earlier links stop working.
    pub fn create_password_link(&self, user_id: i64, hash: &str, expires: Timestamp) -> Result<()> {
        self.create_link(Link::Password, user_id, hash, expires)
    }

    /// Uses up a password link: the user it is for, if it is known and not expired.
    pub fn take_password_link(&self, hash: &str, now: Timestamp) -> Result<Option<i64>> {
        self.take_link(Link::Password, hash, now)
    }

    /// Keeps a one-time sign-in link for the portal; a user's earlier links stop working.
    pub fn create_signin_link(&self, user_id: i64, hash: &str, expires: Timestamp) -> Result<()> {
        self.create_link(Link::SignIn, user_id, hash, expires)
    }

    /// Uses up a sign-in link: the user it is for, if it is known and not expired.
    pub fn take_signin_link(&self, hash: &str, now: Timestamp) -> Result<Option<i64>> {
        self.take_link(Link::SignIn, hash, now)
    }

    fn create_link(&self, link: Link, user_id: i64, hash: &str, expires: Timestamp) -> Result<()> {
        let table = link.table();
        sql::execute(
            self.sql(),
            &format!("DELETE FROM {table} WHERE user_id = ?1"),
            [user_id],
        )?;
        sql::execute(
            self.sql(),
            &format!("INSERT INTO {table} (token_hash, user_id, expires) VALUES (?1, ?2, ?3)"),
            params![hash, user_id, ts(expires)],
        )?;
        Ok(())
    }

    fn take_link(&self, link: Link, hash: &str, now: Timestamp) -> Result<Option<i64>> {
        let row: Option<(i64, String)> = sql::optional(
            self.sql(),
            &format!(
                "DELETE FROM {} WHERE token_hash = ?1 RETURNING user_id, expires",
                link.table()
            ),
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match row {
            Some((user_id, expires)) if parse_ts(&expires)? > now => Ok(Some(user_id)),
            _ => Ok(None),
        }
    }

    /// Forgets the failures under `key` (after a good login to that account).
    pub fn clear_login_failures(&self, key: &str) -> Result<()> {
        sql::execute(self.sql(), "DELETE FROM login_failures WHERE key = ?1", [key])?;
        Ok(())
    }
}
