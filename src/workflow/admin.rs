//! Administration: users, groups, queues, grants, tokens, and explaining rights. Every
//! function checks the acting user's rights first.

use argon2::password_hash::{PasswordHasher, SaltString};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Settings;
use super::access::{Access, On};
use super::view::known_queue;
use crate::error::{Error, Result};
use crate::mail::parse::hex;
use crate::queue::{NonWatcherMail, Queue};
use crate::rights::{EVERYONE, Grantee, PRIVILEGED, QUEUE_WORK_RIGHTS, Right, UNPRIVILEGED, default_grants};
use crate::store::{Db, QueueField, QueueRow, UserChange, WriteTx};
use crate::text::{is_one_word, one_line};
use crate::ticket::{Role, Timestamp};
use crate::user::{User, normalize_address};
use crate::wire::{
    GrantRequest, GroupInfo, InitReport, NewQueue, NewUser, PerQueueRequest, PresetReport, RightHeld, TokenInfo,
};

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

/// Grants (or revokes) a right. On one queue this needs AdminQueue there; globally,
/// SuperUser. Returns whether anything changed.
pub fn grant(tx: &WriteTx<'_>, access: &Access, req: &GrantRequest, give: bool) -> Result<bool> {
    let right: Right = req.right.parse()?;
    let queue = req
        .queue
        .as_deref()
        .map(|q| known_queue(tx, access, q, Right::AdminQueue))
        .transpose()?;
    may_grant(tx, access, queue.as_ref(), give)?;
    let grantee = match (&req.user, &req.group, &req.role) {
        (Some(user), None, None) => Grantee::User(user_named(tx, user)?.id),
        (None, Some(group), None) => Grantee::Group(group_named(tx, group)?),
        (None, None, Some(role)) => Grantee::Role(role.parse()?),
        _ => {
            return Err(Error::Invalid(
                "a grant is for one user, group or role: name exactly one of --user, --group or --role".into(),
            ));
        }
    };
    let queue_id = queue.map(|q| q.id);
    if give {
        return tx.add_grant(grantee, right, queue_id);
    }
    let revoked = tx.revoke_grant(grantee, right, queue_id)?;
    if revoked && right == Right::SuperUser && queue_id.is_none() && !superuser_remains(tx)? {
        return Err(Error::Conflict(
            "this is the last SuperUser grant of an enabled user: without it nobody could administer ticketd              (grant SuperUser to someone else first)"
                .into(),
        ));
    }
    Ok(revoked)
}

/// Whether an enabled user still holds SuperUser everywhere, by a grant of their own or
/// through a group. (A system group holding it counts: its members are implied.)
fn superuser_remains(db: &Db<'_>) -> Result<bool> {
    for g in db.grants()? {
        if g.right != Right::SuperUser || g.queue.is_some() {
            continue;
        }
        let holds = match g.grantee {
            Grantee::User(id) => !db.user(id)?.disabled,
            Grantee::Group(id) if [EVERYONE, PRIVILEGED, UNPRIVILEGED].contains(&id) => true,
            Grantee::Group(id) => db.users_in(&[id])?.iter().any(|u| !u.disabled),
            Grantee::Role(_) => false,
        };
        if holds {
            return Ok(true);
        }
    }
    Ok(false)
}

fn group_named(db: &Db<'_>, name: &str) -> Result<i64> {
    db.group_id(name.trim())?
        .ok_or_else(|| Error::NotFound(format!("no group named `{name}`")))
}

/// Who may grant and revoke: AdminQueue on the queue, or SuperUser for global grants.
fn may_grant(db: &Db<'_>, access: &Access, queue: Option<&QueueRow>, give: bool) -> Result<()> {
    let verb = if give { "grant" } else { "revoke" };
    match queue {
        Some(q) => access.require_to(
            db,
            Right::AdminQueue,
            On::Queue(q),
            &format!("{verb} rights on queue {}", q.name),
        ),
        None => access.require_to(
            db,
            Right::SuperUser,
            On::Global,
            &format!("{verb} rights on every queue"),
        ),
    }
}

/// Applies the per-queue preset in one transaction: the team's grants first, then (when
/// asked) the global ones go, so nobody is left unable to work in between. Each grant
/// needs what `tkt grant` would: AdminQueue on the queue, SuperUser to revoke globally.
pub fn per_queue_preset(tx: &WriteTx<'_>, access: &Access, req: &PerQueueRequest) -> Result<PresetReport> {
    let mut report = PresetReport { granted: 0, revoked: 0 };
    match (&req.group, req.queues.is_empty()) {
        (Some(group), false) => {
            let queues = req
                .queues
                .iter()
                .map(|q| known_queue(tx, access, q, Right::AdminQueue))
                .collect::<Result<Vec<_>>>()?;
            for queue in &queues {
                may_grant(tx, access, Some(queue), true)?;
            }
            let team = Grantee::Group(group_named(tx, group)?);
            for queue in &queues {
                for right in QUEUE_WORK_RIGHTS {
                    report.granted += usize::from(tx.add_grant(team, *right, Some(queue.id))?);
                }
            }
        }
        (Some(group), true) => {
            return Err(Error::Invalid(format!(
                "the preset needs the queues that group {group} works: add --queue NAME (repeat it for more)"
            )));
        }
        (None, false) => {
            return Err(Error::Invalid(
                "the preset needs the team that works these queues: add --group NAME".into(),
            ));
        }
        (None, true) if !req.revoke_global => {
            return Err(Error::Invalid(
                "the preset needs --group and --queue, or --revoke-global".into(),
            ));
        }
        (None, true) => {}
    }
    if req.revoke_global {
        may_grant(tx, access, None, false)?;
        for right in QUEUE_WORK_RIGHTS {
            report.revoked += usize::from(tx.revoke_grant(Grantee::Group(PRIVILEGED), *right, None)?);
        }
    }
    Ok(report)
}

/// Every right of a user on a queue (or globally), held or not, with the grant that gives
/// it: what admins ask when someone "cannot do X" (themselves, or AdminUsers).
pub fn explain(db: &Db<'_>, access: &Access, who: &str, queue: Option<&str>) -> Result<Vec<RightHeld>> {
    let user = visible_user(db, access, who)?;
    let theirs = Access::of(db, user)?;
    let queue = queue.map(|q| known_queue(db, access, q, Right::SeeQueue)).transpose()?;
    let on = queue.as_ref().map_or(On::Global, On::Queue);
    let mut out = Vec::new();
    for right in Right::ALL {
        let grant = theirs.granting(db, *right, on)?;
        let via = match grant {
            None => None,
            Some(g) => {
                let to = match g.grantee {
                    Grantee::User(id) => format!("user {}", db.principal_name(id)?),
                    Grantee::Group(id) => format!("group {}", db.principal_name(id)?),
                    Grantee::Role(role) => format!("role {role}"),
                };
                let scope = match g.queue {
                    Some(q) => format!("on queue {}", db.queue(q)?.name),
                    None => "globally".to_string(),
                };
                let through = if g.right == *right {
                    String::new()
                } else {
                    format!(" (through {})", g.right)
                };
                Some(format!("granted to {to} {scope}{through}"))
            }
        };
        out.push(RightHeld {
            right: *right,
            held: via.is_some(),
            via,
        });
    }
    Ok(out)
}

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

/// Restores the default grants and, when asked, makes a first admin: a privileged user
/// with SuperUser and a token (SuperUser; on a new system that is local root).
pub fn admin_init(tx: &WriteTx<'_>, access: &Access, admin: Option<&str>, now: Timestamp) -> Result<InitReport> {
    access.require_to(tx, Right::SuperUser, On::Global, "restore the default grants")?;
    let mut restored = 0;
    for (grantee, right) in default_grants() {
        if tx.add_grant(grantee, right, None)? {
            restored += 1;
        }
    }
    let (admin, token) = match admin {
        None => (None, None),
        Some(address) => {
            let address = normalize_address(address)
                .ok_or_else(|| Error::Invalid(format!("`{address}` is not an email address")))?;
            let user = tx.ensure_user(&address, "", true, now)?;
            tx.change_user(user.id, &UserChange::Disabled(false))?;
            tx.add_grant(Grantee::User(user.id), Right::SuperUser, None)?;
            let (_, secret) = create_token(tx, access, &address, "created by tkt admin init", None, now)?;
            (Some(address), Some(secret))
        }
    };
    Ok(InitReport { restored, admin, token })
}

/// One grant as the rights page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantShown {
    /// `user:ADDRESS`, `group:NAME` or `role:ROLE`: the words [`grant_named`] takes back,
    /// so a revoke button names exactly this grant.
    pub principal: String,
    pub right: Right,
    /// The queue's name; none for a global grant.
    pub queue: Option<String>,
}

/// The grants the actor may revoke: global ones with SuperUser, a queue's with AdminQueue
/// there. Someone who may manage no grant at all is refused, as `tkt grant` would refuse
/// them, rather than shown an empty table.
pub fn grants(db: &Db<'_>, access: &Access) -> Result<Vec<GrantShown>> {
    let global = access.can(db, Right::SuperUser, On::Global)?;
    let mut managed = std::collections::BTreeMap::new();
    for q in db.queues()? {
        if access.can(db, Right::AdminQueue, On::Queue(&q))? {
            managed.insert(q.id, q.name.clone());
        }
    }
    if !global && managed.is_empty() {
        access.require_to(db, Right::SuperUser, On::Global, "see the grants")?;
    }
    let mut out = Vec::new();
    for g in db.grants()? {
        let queue = match g.queue {
            None if global => None,
            None => continue,
            Some(id) => match managed.get(&id) {
                Some(name) => Some(name.clone()),
                None => continue,
            },
        };
        let principal = match g.grantee {
            Grantee::User(id) => format!("user:{}", db.principal_name(id)?),
            Grantee::Group(id) => format!("group:{}", db.principal_name(id)?),
            Grantee::Role(role) => format!("role:{role}"),
        };
        out.push(GrantShown {
            principal,
            right: g.right,
            queue,
        });
    }
    Ok(out)
}

/// Grants (or revokes) a right to a grantee named in one word, as the web's grant form
/// takes it: `user:NAME`, `group:NAME`, `role:ROLE`, or a bare word, which is a role if it
/// names one, a group if a group has that name and no user does, else a user. The rights
/// are [`grant`]'s, checked before any name is looked up.
pub fn grant_named(
    tx: &WriteTx<'_>,
    access: &Access,
    principal: &str,
    right: &str,
    queue: Option<&str>,
    give: bool,
) -> Result<bool> {
    let principal = principal.trim();
    let mut req = GrantRequest {
        right: right.to_string(),
        user: None,
        group: None,
        role: None,
        queue: queue.map(str::to_string),
    };
    if let Some(user) = principal.strip_prefix("user:") {
        req.user = Some(user.to_string());
    } else if let Some(group) = principal.strip_prefix("group:") {
        req.group = Some(group.to_string());
    } else if let Some(role) = principal.strip_prefix("role:") {
        req.role = Some(role.to_string());
    } else if principal.parse::<Role>().is_ok() {
        req.role = Some(principal.to_string());
    } else if tx.group_id(principal)?.is_some() && tx.user_by_name_or_email(principal)?.is_none() {
        req.group = Some(principal.to_string());
    } else {
        req.user = Some(principal.to_string());
    }
    grant(tx, access, &req, give)
}

/// The tokens one may manage: everyone's with AdminUsers (true), else one's own (false).
pub fn visible_tokens(db: &Db<'_>, access: &Access) -> Result<(bool, Vec<TokenInfo>)> {
    if access.can(db, Right::AdminUsers, On::Global)? {
        Ok((true, db.tokens(None)?))
    } else {
        Ok((false, db.tokens(Some(access.user.id))?))
    }
}
