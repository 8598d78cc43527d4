//! Users.

use super::sql::{self, Row, params};
use super::{Db, WriteTx, ts};
use crate::error::{Error, Result};
use crate::schedule::DigestPeriod;
use crate::ticket::Timestamp;
use crate::user::User;

const USER_COLUMNS: &str = "u.id, u.name, u.email, u.real_name, u.privileged, p.disabled, u.digest, u.lang";

fn user_from_row(row: &Row<'_>) -> Result<User> {
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        real_name: row.get(3)?,
        privileged: row.get(4)?,
        disabled: row.get(5)?,
        digest: row
            .get::<Option<String>>(6)?
            .and_then(|d| d.parse::<DigestPeriod>().ok()),
        lang: row.get(7)?,
    })
}

impl Db<'_> {
    /// The user with this id.
    pub fn user(&self, id: i64) -> Result<User> {
        sql::optional(
            self.sql(),
            &format!("SELECT {USER_COLUMNS} FROM users u JOIN principals p ON p.id = u.id WHERE u.id = ?1"),
            [id],
            user_from_row,
        )?
        .ok_or_else(|| Error::NotFound(format!("no user with id {id}")))
    }

    /// The user with this address.
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        sql::optional(
            self.sql(),
            &format!("SELECT {USER_COLUMNS} FROM users u JOIN principals p ON p.id = u.id WHERE u.email = ?1"),
            [email],
            user_from_row,
        )
    }

    /// The user with this login name or address.
    pub fn user_by_name_or_email(&self, who: &str) -> Result<Option<User>> {
        sql::optional(
            self.sql(),
            &format!(
                "SELECT {USER_COLUMNS} FROM users u JOIN principals p ON p.id = u.id \
                     WHERE u.name = ?1 OR u.email = ?1 ORDER BY CASE WHEN u.name = ?1 THEN 1 ELSE 0 END DESC LIMIT 1"
            ),
            [who],
            user_from_row,
        )
    }
}

impl WriteTx<'_> {
    /// `user`, made privileged when `privileged` asks for it (staff named in the config),
    /// never demoted here. The name is kept: a name from mail is whatever the sender
    /// wrote, and must not rename an account (or give a staff member a name of a
    /// forger's choosing).
    fn promoted(&self, mut user: User, privileged: bool) -> Result<User> {
        if privileged && !user.privileged {
            sql::execute(self.sql(), "UPDATE users SET privileged = 1 WHERE id = ?1", [user.id])?;
            user.privileged = true;
        }
        Ok(user)
    }

    /// The user with this address, created when unknown. A new user is unprivileged unless
    /// `privileged`; an existing one is made privileged when `privileged` asks for it (staff
    /// named in the config) but never demoted here. `real_name` names a new user only.
    pub fn ensure_user(&self, email: &str, real_name: &str, privileged: bool, now: Timestamp) -> Result<User> {
        if let Some(user) = self.user_by_email(email)? {
            return self.promoted(user, privileged);
        }
        let id = self.new_user_principal()?;
        // a login name taken by someone else (rare: names are addresses) gets the id appended
        let taken: bool = sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
            [email],
            |r| r.get(0),
        )?;
        let name = if taken {
            format!("{email}#{id}")
        } else {
            email.to_string()
        };
        // an upsert rather than trusting the look-up above: a daemon beside this one may
        // make the same user meanwhile, and then that user is the one
        let made = sql::execute(
            self.sql(),
            "INSERT INTO users (id, name, email, real_name, privileged, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT DO NOTHING",
            params![id, name, email, real_name, privileged, ts(now)],
        )?;
        if made == 0 {
            sql::execute(self.sql(), "DELETE FROM principals WHERE id = ?1", [id])?;
            let user = self.user_by_email(email)?.ok_or_else(|| {
                Error::Temporary(format!("the user `{name}` was being made at the same time; try again"))
            })?;
            return self.promoted(user, privileged);
        }
        Ok(User {
            id,
            name,
            email: Some(email.to_string()),
            real_name: real_name.to_string(),
            privileged,
            disabled: false,
            digest: None,
            lang: None,
        })
    }

    /// A new principal for a user about to be made; its id.
    fn new_user_principal(&self) -> Result<i64> {
        sql::one(
            self.sql(),
            "INSERT INTO principals (kind) VALUES ('user') RETURNING id",
            [],
            |r| r.get(0),
        )
    }
}

impl Db<'_> {
    /// Every user but the built-in ones, by name; disabled ones when `all`.
    pub fn users(&self, all: bool) -> Result<Vec<User>> {
        sql::all(
            self.sql(),
            &format!(
                "SELECT {USER_COLUMNS} FROM users u JOIN principals p ON p.id = u.id \
                 WHERE u.id > 3 AND (?1 <> 0 OR p.disabled = 0) ORDER BY u.name"
            ),
            [all],
            user_from_row,
        )
    }
}

/// A field of a user that `tkt user set` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    RealName(String),
    Email(Option<String>),
    Privileged(bool),
    Disabled(bool),
    /// An argon2 hash, never the password.
    PasswordHash(Option<String>),
    /// The activity digest they asked for, if any.
    Digest(Option<DigestPeriod>),
    /// The language of their web pages (`en`, `de`, `fr`), or as their browser asks.
    Lang(Option<String>),
}

impl WriteTx<'_> {
    /// Creates a user; a name or address in use is a conflict.
    pub fn create_user(
        &self,
        name: &str,
        email: Option<&str>,
        real_name: &str,
        privileged: bool,
        now: Timestamp,
    ) -> Result<User> {
        let taken: bool = sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM users \
               WHERE name = ?1 OR email = ?1 OR (CAST(?2 AS TEXT) IS NOT NULL AND email = ?2))",
            params![name, email],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::Conflict(format!("a user `{name}` exists already")));
        }
        let id = self.new_user_principal()?;
        sql::execute(
            self.sql(),
            "INSERT INTO users (id, name, email, real_name, privileged, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, name, email, real_name, privileged, ts(now)],
        )?;
        self.user(id)
    }

    /// Changes one field of a user.
    pub fn change_user(&self, id: i64, change: &UserChange) -> Result<()> {
        let conn = self.sql();
        match change {
            UserChange::RealName(v) => {
                sql::refused_by_constraint(conn, "UPDATE users SET real_name = ?2 WHERE id = ?1", params![id, v])
            }
            UserChange::Email(v) => {
                sql::refused_by_constraint(conn, "UPDATE users SET email = ?2 WHERE id = ?1", params![id, v])
            }
            UserChange::Privileged(v) => {
                sql::refused_by_constraint(conn, "UPDATE users SET privileged = ?2 WHERE id = ?1", params![id, v])
            }
            UserChange::Disabled(v) => sql::refused_by_constraint(
                conn,
                "UPDATE principals SET disabled = ?2 WHERE id = ?1",
                params![id, v],
            ),
            UserChange::PasswordHash(v) => sql::refused_by_constraint(
                conn,
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![id, v],
            ),
            UserChange::Digest(v) => sql::refused_by_constraint(
                conn,
                "UPDATE users SET digest = ?2 WHERE id = ?1",
                params![id, v.map(DigestPeriod::as_str)],
            ),
            UserChange::Lang(v) => {
                sql::refused_by_constraint(conn, "UPDATE users SET lang = ?2 WHERE id = ?1", params![id, v])
            }
        }?
        .map_err(|()| Error::Conflict("that address belongs to another user".into()))?;
        Ok(())
    }
}
