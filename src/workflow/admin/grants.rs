//! Grants: giving and taking rights, presets, the rights page's list, and explaining
//! who holds what and why.

use serde::{Deserialize, Serialize};

use super::tokens::create_token;
use super::{user_named, visible_user};
use crate::error::{Error, Result};
use crate::rights::{EVERYONE, Grantee, PRIVILEGED, QUEUE_WORK_RIGHTS, Right, UNPRIVILEGED, default_grants};
use crate::store::{Db, QueueRow, UserChange, WriteTx};
use crate::ticket::{Role, Timestamp};
use crate::user::normalize_address;
use crate::wire::{GrantRequest, InitReport, PerQueueRequest, PresetReport, RightHeld};
use crate::workflow::access::{Access, On};
use crate::workflow::view::known_queue;

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
