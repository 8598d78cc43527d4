//! Administration: users, groups and queues here; grants and explaining rights in
//! [`grants`], API tokens in [`tokens`]. Every function checks the acting user's rights
//! first.

mod grants;
mod tokens;

pub use grants::{GrantShown, admin_init, explain, grant, grant_named, grants, per_queue_preset};
pub use tokens::{create_token, revoke_token, token_hash, tokens, visible_tokens};

use argon2::password_hash::{PasswordHasher, SaltString};
use rand_core::OsRng;

use super::Settings;
use super::access::{Access, On};
use super::view::known_queue;
use crate::error::{Error, Result};
use crate::queue::{NonWatcherMail, Queue};
use crate::rights::Right;
use crate::store::{Db, QueueField, QueueRow, UserChange, WriteTx};
use crate::text::{is_one_word, one_line};
use crate::ticket::{Role, Timestamp};
use crate::user::{User, normalize_address};
use crate::wire::{GroupInfo, NewQueue, NewUser};

/// A user by login name or address.
pub fn user_named(db: &Db<'_>, who: &str) -> Result<User> {
    db.user_by_name_or_email(who.trim())?
        .ok_or_else(|| Error::NotFound(format!("no user named `{who}` (a login name or an address)")))
}

/// A user by login name or address whom the actor may look at: themselves, or anyone
/// with AdminUsers. To anyone else a user who exists gets exactly the answer one who does
/// not gets, so that names do not tell who has an account.
fn visible_user(db: &Db<'_>, access: &Access, who: &str) -> Result<User> {
    let user = user_named(db, who)?;
    if user.id == access.user.id || access.can(db, Right::AdminUsers, On::Global)? {
        Ok(user)
    } else {
        Err(Error::NotFound(format!(
            "no user named `{who}` (a login name or an address)"
        )))
    }
}

/// Creates a user (AdminUsers).
/// A new staff member with an address is mailed a link to set their web password (when
/// the web UI is on).
pub fn create_user(tx: &WriteTx<'_>, s: &Settings, access: &Access, req: &NewUser, now: Timestamp) -> Result<User> {
    access.require(tx, Right::AdminUsers, On::Global)?;
    let name = req.name.trim();
    if !is_one_word(name) {
        return Err(Error::Invalid(format!(
            "`{}` is not a login name: one word without control characters, or an address",
            one_line(name)
        )));
    }
    let email = match &req.email {
        Some(e) => Some(normalize_address(e).ok_or_else(|| Error::Invalid(format!("`{e}` is not an email address")))?),
        None => normalize_address(name),
    };
    let user = tx.create_user(name, email.as_deref(), &one_line(&req.real_name), req.privileged, now)?;
    if user.privileged {
        super::sessions::mail_password_link(tx, s, &user, now)?;
    }
    Ok(user)
}

/// Every user (AdminUsers).
pub fn users(db: &Db<'_>, access: &Access, all: bool) -> Result<Vec<User>> {
    access.require(db, Right::AdminUsers, On::Global)?;
    db.users(all)
}

/// A user (themselves, or AdminUsers; to others, any other user does not exist).
pub fn show_user(db: &Db<'_>, access: &Access, who: &str) -> Result<User> {
    visible_user(db, access, who)
}

/// Changes a user: `real_name=`, `email=`, `privileged=yes|no`, `disabled=yes|no`,
/// `digest=daily|weekly|off`, or `password=` (stored as an argon2 hash). Users may change
/// their own name, digest and password; the rest needs AdminUsers. The address too: mail
/// from it acts as the user (commands by mail, replies as a watcher), so an address
/// nobody has proven to be theirs is set by an admin.
pub fn set_user(tx: &WriteTx<'_>, access: &Access, who: &str, changes: &[String]) -> Result<User> {
    let user = visible_user(tx, access, who)?;
    if user.id <= crate::user::ROOT_ID {
        return Err(Error::Invalid(format!(
            "{} is built in and cannot be changed",
            user.name
        )));
    }
    for change in changes {
        let (field, value) = change
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("`{change}` is not field=value")))?;
        let yes_no = || match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Ok(true),
            "no" | "false" | "0" => Ok(false),
            _ => Err(Error::Invalid(format!("{field} takes yes or no, not `{value}`"))),
        };
        let change = match field.trim().to_ascii_lowercase().as_str() {
            "real_name" | "realname" | "name" => UserChange::RealName(one_line(value)),
            "email" if value.trim().is_empty() => UserChange::Email(None),
            "email" => UserChange::Email(Some(
                normalize_address(value).ok_or_else(|| Error::Invalid(format!("`{value}` is not an email address")))?,
            )),
            "password" if value.is_empty() => UserChange::PasswordHash(None),
            "password" => UserChange::PasswordHash(Some(hash_password(value)?)),
            "privileged" => UserChange::Privileged(yes_no()?),
            "disabled" => UserChange::Disabled(yes_no()?),
            "digest" => UserChange::Digest(match value.trim() {
                "" | "off" | "none" | "no" => None,
                period => Some(period.parse().map_err(Error::Invalid)?),
            }),
            "lang" => UserChange::Lang(match value.trim().to_ascii_lowercase().as_str() {
                "" | "off" | "none" => None,
                lang @ ("en" | "de" | "fr") => Some(lang.to_string()),
                other => return Err(Error::Invalid(format!("lang takes en, de, fr or off, not `{other}`"))),
            }),
            other => {
                return Err(Error::Invalid(format!(
                    "`{other}` is not a user field; use real_name, email, password, privileged, disabled, digest, lang"
                )));
            }
        };
        match change {
            // visible_user let only the user themselves or an admin this far
            UserChange::RealName(_) | UserChange::PasswordHash(_) | UserChange::Digest(_) | UserChange::Lang(_) => {}
            UserChange::Email(_) => access.require_to(
                tx,
                Right::AdminUsers,
                On::Global,
                "change an email address (ask an admin: mail from the address acts as its user)",
            )?,
            _ => access.require(tx, Right::AdminUsers, On::Global)?,
        }
        tx.change_user(user.id, &change)?;
        if matches!(change, UserChange::PasswordHash(_) | UserChange::Disabled(true)) {
            // whoever knew the old password, or held the account, is logged out
            tx.end_sessions_of(user.id)?;
        }
    }
    tx.user(user.id)
}

/// An argon2id hash in PHC form. Slow by design: never call it in the writer with a
/// person waiting behind it for long (the web hashes on a blocking thread first).
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 8 {
        return Err(Error::Invalid("a password needs at least 8 characters".into()));
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("cannot hash the password: {e}")))
}

/// Creates a group (AdminGroups).
pub fn create_group(tx: &WriteTx<'_>, access: &Access, name: &str, description: &str) -> Result<i64> {
    access.require(tx, Right::AdminGroups, On::Global)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("a group needs a name: tkt group create NAME".into()));
    }
    if !is_one_word(name) {
        return Err(Error::Invalid(format!(
            "group name `{}` must be one word without control characters",
            one_line(name)
        )));
    }
    tx.create_group(name, &one_line(description))
}

/// Adds or removes a user or group (named `member`) in a group (AdminGroups). A member
/// name is looked up as a user first, then as a group.
pub fn change_member(tx: &WriteTx<'_>, access: &Access, group: &str, member: &str, add: bool) -> Result<bool> {
    access.require(tx, Right::AdminGroups, On::Global)?;
    let group_id = tx.user_group(group)?;
    let member_id = match tx.user_by_name_or_email(member.trim())? {
        Some(user) => user.id,
        None => tx
            .group_id(member.trim())?
            .ok_or_else(|| Error::NotFound(format!("no user or group named `{member}`")))?,
    };
    if add {
        tx.add_member(group_id, member_id)
    } else {
        tx.remove_member(group_id, member_id)
    }
}

/// Every group (AdminGroups).
pub fn groups(db: &Db<'_>, access: &Access) -> Result<Vec<GroupInfo>> {
    access.require(db, Right::AdminGroups, On::Global)?;
    db.groups()
}

/// Creates a queue (AdminQueue, globally). Addresses default as in the config: the
/// queue's name at `mail.from`'s domain.
pub fn create_queue(tx: &WriteTx<'_>, s: &Settings, access: &Access, req: &NewQueue, now: Timestamp) -> Result<Queue> {
    access.require(tx, Right::AdminQueue, On::Global)?;
    let domain = s.from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let (address, comment_address) = (req.address.as_deref(), req.comment_address.as_deref());
    let name = req.name.trim();
    if !is_one_word(name) {
        return Err(Error::Invalid(format!(
            "queue name `{}` must be one word without control characters",
            one_line(name)
        )));
    }
    let address = checked_address(address.map(String::from).unwrap_or_else(|| format!("{name}@{domain}")))?;
    let comment = checked_address(
        comment_address
            .map(String::from)
            .unwrap_or_else(|| format!("{name}-comment@{domain}")),
    )?;
    let row = tx.create_queue(name, &address, &comment, now)?;
    queue_info(tx, &row)
}

fn checked_address(address: String) -> Result<String> {
    normalize_address(&address).ok_or_else(|| Error::Invalid(format!("`{address}` is not an email address")))
}

/// Changes a queue made by `tkt queue create` (AdminQueue on it): `address=`,
/// `comment_address=`, `description=`, `tag=` (empty: the system's), `non_watcher_mail=accept|comment|refuse`,
/// `Cc+=`/`Cc-=`/`AdminCc+=`/`AdminCc-=` a user or group. Queues from the config file are
/// changed there.
pub fn set_queue(tx: &WriteTx<'_>, access: &Access, name: &str, changes: &[String], now: Timestamp) -> Result<Queue> {
    let queue = known_queue(tx, access, name, Right::AdminQueue)?;
    access.require(tx, Right::AdminQueue, On::Queue(&queue))?;
    if queue.from_config {
        return Err(Error::Conflict(format!(
            "queue {} is defined in the config file; change it there (it is re-read at every start)",
            queue.name
        )));
    }
    for change in changes {
        let (field, value) = change
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("`{change}` is not field=value")))?;
        let value = value.trim();
        if let Some(role) = field.strip_suffix('+').or_else(|| field.strip_suffix('-')) {
            let role: Role = role.trim().parse()?;
            if !matches!(role, Role::Cc | Role::AdminCc) {
                return Err(Error::Invalid(format!(
                    "a queue has Cc and AdminCc watchers only, not {role}"
                )));
            }
            let principal = match normalize_address(value) {
                Some(address) => tx.ensure_user(&address, "", role == Role::AdminCc, now)?.id,
                None => tx
                    .group_id(value)?
                    .ok_or_else(|| Error::NotFound(format!("no user or group named `{value}`")))?,
            };
            if field.ends_with('+') {
                tx.add_queue_watcher(queue.id, role, principal)?;
            } else {
                tx.remove_queue_watcher(queue.id, role, principal)?;
            }
            continue;
        }
        let (field, value) = match field.trim().to_ascii_lowercase().as_str() {
            "address" => (QueueField::Address, checked_address(value.to_string())?),
            "comment_address" => (QueueField::CommentAddress, checked_address(value.to_string())?),
            "description" => (QueueField::Description, one_line(value)),
            "tag" if value.contains(['[', ']', '#']) || value.chars().any(char::is_control) => {
                return Err(Error::Invalid(format!(
                    "tag `{}` must not contain [, ], # or control characters",
                    one_line(value)
                )));
            }
            "tag" => (QueueField::SubjectTag, value.to_string()),
            "non_watcher_mail" => (
                QueueField::NonWatcherMail,
                value.parse::<NonWatcherMail>()?.as_str().to_string(),
            ),
            other => {
                return Err(Error::Invalid(format!(
                    "`{other}` is not a queue field; use address, comment_address, description, tag, \
                     non_watcher_mail, or Cc/AdminCc += and -="
                )));
            }
        };
        tx.set_queue_field(queue.id, field, &value)?;
    }
    queue_info(tx, &tx.queue(queue.id)?)
}

fn queue_info(db: &Db<'_>, q: &QueueRow) -> Result<Queue> {
    let names = |role| -> Result<Vec<String>> {
        Ok(db
            .queue_watchers(q.id, role)?
            .iter()
            .map(|u| u.display_name().to_string())
            .collect())
    };
    Ok(Queue {
        id: q.id,
        name: q.name.clone(),
        address: q.address.clone(),
        comment_address: q.comment_address.clone(),
        description: q.description.clone(),
        tag: q.subject_tag.clone(),
        non_watcher_mail: q.non_watcher_mail,
        source: if q.from_config { "config".into() } else { "admin".into() },
        cc: names(Role::Cc)?,
        admincc: names(Role::AdminCc)?,
    })
}

/// The queues the user may see (SeeQueue on each).
pub fn queues(db: &Db<'_>, access: &Access) -> Result<Vec<Queue>> {
    let mut out = Vec::new();
    for q in db.queues()? {
        if access.can(db, Right::SeeQueue, On::Queue(&q))? {
            out.push(queue_info(db, &q)?);
        }
    }
    Ok(out)
}

/// The queues the user may create tickets in (CreateTicket), by name: what a requestor's
/// create form offers, whether or not they may see the queues otherwise.
pub fn creatable_queues(db: &Db<'_>, access: &Access) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for q in db.queues()? {
        if access.can(db, Right::CreateTicket, On::Queue(&q))? {
            out.push(q.name);
        }
    }
    Ok(out)
}
