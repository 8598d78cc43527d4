//! Web logins and sessions: who may log in, how often one may fail, how long a session
//! lives. The web layer turns cookies and forms into these calls and decides nothing.
//!
//! Passwords are checked with argon2, which takes real time: the caller runs
//! [`password_matches`] on a blocking thread, never in the writer.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use chrono::Duration;
use rand_core::{OsRng, RngCore};

use super::admin::token_hash;
use crate::error::{Error, Result};
use crate::store::{Db, LoginRow, WriteTx};
use crate::ticket::Timestamp;

/// Failed logins to one account within [`THROTTLE_WINDOW_MINUTES`] before it is refused.
pub const FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins from one client address within the window before it is refused.
pub const FAILURES_PER_ADDRESS: i64 = 30;
/// How far back failures count.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// The same answer for a wrong password, an unknown account and a disabled one, so that
/// the form does not tell which accounts exist.
pub const WRONG_LOGIN: &str = "wrong address or password";

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// The keys failures are counted under: the account as typed and the client's address.
pub fn failure_keys(who: &str, client: &str) -> [String; 2] {
    [
        format!("account:{}", who.trim().to_lowercase()),
        format!("address:{client}"),
    ]
}

/// Refuses a login attempt once the account or the address has failed too often lately.
pub fn check_throttle(db: &Db<'_>, keys: &[String; 2], now: Timestamp) -> Result<()> {
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let account = db.login_failures(&keys[0], since)?;
    let address = db.login_failures(&keys[1], since)?;
    if account >= FAILURES_PER_ACCOUNT || address >= FAILURES_PER_ADDRESS {
        return Err(Error::Denied(format!(
            "too many failed logins; try again in {THROTTLE_WINDOW_MINUTES} minutes"
        )));
    }
    Ok(())
}

/// The account a login form names, once the throttle lets the attempt through.
pub fn account(db: &Db<'_>, who: &str, keys: &[String; 2], now: Timestamp) -> Result<Option<LoginRow>> {
    check_throttle(db, keys, now)?;
    db.login(who)
}

/// Notes that a session was used (when [`session`] says it is time to).
pub fn touch(tx: &WriteTx<'_>, id: i64, now: Timestamp) -> Result<()> {
    tx.touch_session(id, now)
}

/// A hash of a password nobody has, checked when there is no account to check.
const STAND_IN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";

/// The user the password opens, if it does. Slow by design (argon2): run it off the
/// async threads and off the writer. An unknown account costs the same time as a known
/// one, so the time taken does not tell which accounts exist.
pub fn password_matches(row: Option<&LoginRow>, password: &str) -> Option<i64> {
    let stored = row.and_then(|r| r.password_hash.as_deref()).unwrap_or(STAND_IN_HASH);
    let matches = PasswordHash::new(stored)
        .map(|hash| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false);
    let row = row?;
    (matches && row.password_hash.is_some() && !row.disabled).then_some(row.user_id)
}

/// Records a failed login under both keys.
pub fn record_failure(tx: &WriteTx<'_>, keys: &[String; 2], now: Timestamp) -> Result<()> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    tx.record_login_failure(&keys, now, now - Duration::days(1))
}

/// Starts a session for a user who gave the right password; returns the cookie's secret.
pub fn start(tx: &WriteTx<'_>, user_id: i64, keys: &[String; 2], now: Timestamp) -> Result<String> {
    let secret = new_secret();
    tx.create_session(user_id, &token_hash(&secret), now)?;
    tx.clear_login_failures(&keys[0])?;
    Ok(secret)
}

/// How long a password link works.
pub const PASSWORD_LINK_HOURS: i64 = 72;

/// Mails a user a one-time link to set their web password. Nothing without the web UI or
/// an address. Whether a mail was queued.
pub fn mail_password_link(
    tx: &WriteTx<'_>,
    s: &super::Settings,
    user: &crate::user::User,
    now: Timestamp,
) -> Result<bool> {
    let (Some(web), Some(email)) = (&s.web_url, &user.email) else {
        return Ok(false);
    };
    let secret = new_secret();
    tx.create_password_link(
        user.id,
        &token_hash(&secret),
        now + Duration::hours(PASSWORD_LINK_HOURS),
    )?;
    let context = serde_json::json!({
        "name": if user.real_name.is_empty() { user.display_name() } else { user.real_name.as_str() },
        "login": user.display_name(),
        "url": format!("{web}/password/{secret}"),
        "hours": PASSWORD_LINK_HOURS,
    });
    super::notify::send_system_notice(
        tx,
        s,
        "password_link",
        None,
        std::slice::from_ref(email),
        &context,
        "ticketd",
        now,
    )
}

/// Whether a password link still works (the page shows its form only then).
pub fn password_link_works(db: &Db<'_>, secret: &str, now: Timestamp) -> Result<bool> {
    db.password_link_valid(&token_hash(secret), now)
}

/// Sets a password through a link, which is then used up; `hash` was made by the caller
/// off the writer ([`super::admin::hash_password`]). Every session of the user ends.
pub fn set_password_by_link(tx: &WriteTx<'_>, secret: &str, hash: String, now: Timestamp) -> Result<i64> {
    let user_id = tx.take_password_link(&token_hash(secret), now)?.ok_or_else(|| {
        Error::NotFound("this link has expired or was used already; ask an admin for a new one".into())
    })?;
    tx.change_user(user_id, &crate::store::UserChange::PasswordHash(Some(hash)))?;
    tx.end_sessions_of(user_id)?;
    Ok(user_id)
}

/// How long a portal sign-in link works.
pub const SIGNIN_LINK_MINUTES: i64 = 20;

/// The keys sign-in link requests are counted under: the address asked for and the
/// client's (the same throttle as failed logins, under names of their own).
pub fn signin_request_keys(address: &str, client: &str) -> [String; 2] {
    [
        format!("signin:{}", address.trim().to_lowercase()),
        format!("signin-from:{client}"),
    ]
}

/// Mails a one-time sign-in link for the portal to `address`, if it is an enabled user's.
/// Every request counts against the throttle whatever the address, and the answer is the
/// same for an address nobody has: the form tells nobody who has an account.
pub fn request_signin_link(
    tx: &WriteTx<'_>,
    s: &super::Settings,
    address: &str,
    keys: &[String; 2],
    now: Timestamp,
) -> Result<()> {
    check_throttle(tx, keys, now)?;
    record_failure(tx, keys, now)?;
    let Some(web) = &s.web_url else {
        return Ok(());
    };
    let Some(user) = crate::user::normalize_address(address)
        .map(|a| tx.user_by_email(&a))
        .transpose()?
        .flatten()
        .filter(|u| !u.disabled && u.email.is_some())
    else {
        return Ok(());
    };
    let secret = new_secret();
    tx.create_signin_link(
        user.id,
        &token_hash(&secret),
        now + Duration::minutes(SIGNIN_LINK_MINUTES),
    )?;
    let context = serde_json::json!({
        "name": if user.real_name.is_empty() { user.display_name() } else { user.real_name.as_str() },
        "url": format!("{web}/portal/signin/{secret}"),
        "minutes": SIGNIN_LINK_MINUTES,
    });
    let to = user.email.clone().into_iter().collect::<Vec<_>>();
    super::notify::send_system_notice(tx, s, "signin_link", None, &to, &context, "ticketd", now)?;
    Ok(())
}

/// Signs in through a link, which is then used up: a new session's secret. A used,
/// expired or unknown link, or a disabled user's, is refused alike.
pub fn sign_in_by_link(tx: &WriteTx<'_>, secret: &str, now: Timestamp) -> Result<String> {
    let refused = || Error::NotFound("this sign-in link has expired or was used already; ask for a new one".into());
    let user_id = tx.take_signin_link(&token_hash(secret), now)?.ok_or_else(refused)?;
    if tx.user(user_id)?.disabled {
        return Err(refused());
    }
    let session = new_secret();
    tx.create_session(user_id, &token_hash(&session), now)?;
    Ok(session)
}

/// 32 random bytes, hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a presented session cookie is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// A live session of this user; `touch` when its last use should be moved on.
    Live { id: i64, user_id: i64, touch: bool },
    /// Unknown, or ended by time.
    Ended,
}

/// The user a session cookie's secret stands for, if the session is still alive.
pub fn session(db: &Db<'_>, secret: &str, limits: SessionLimits, now: Timestamp) -> Result<SessionState> {
    let Some(row) = db.session(&token_hash(secret))? else {
        return Ok(SessionState::Ended);
    };
    if now - row.last_seen > limits.idle || now - row.created > limits.absolute {
        return Ok(SessionState::Ended);
    }
    Ok(SessionState::Live {
        id: row.id,
        user_id: row.user_id,
        // a write per minute at most, not one per page
        touch: now - row.last_seen > Duration::minutes(1),
    })
}

/// Ends the session a cookie's secret stands for.
pub fn end(tx: &WriteTx<'_>, secret: &str) -> Result<()> {
    tx.end_session(&token_hash(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_password_of_an_enabled_account_opens_it() {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let hash = argon2::Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let row = |disabled| LoginRow {
            user_id: 7,
            password_hash: Some(hash.clone()),
            disabled,
        };
        assert_eq!(password_matches(Some(&row(false)), "correct horse"), Some(7));
        assert_eq!(password_matches(Some(&row(false)), "wrong horse"), None);
        assert_eq!(password_matches(Some(&row(true)), "correct horse"), None);
        let no_password = LoginRow {
            password_hash: None,
            ..row(false)
        };
        assert_eq!(password_matches(Some(&no_password), ""), None);
        assert_eq!(password_matches(None, "anything"), None);
    }

    #[test]
    fn the_stand_in_hash_is_a_real_argon2_hash() {
        // else an unknown account would be answered without the work a known one costs
        assert!(PasswordHash::new(STAND_IN_HASH).is_ok());
    }
}
