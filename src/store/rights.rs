//! Grants, group membership and ticket roles: what `rights` decides from.

use super::sql::{self, Row, params};
use super::{Db, TicketRow, WriteTx};
use crate::error::{Error, Result};
use crate::rights::{EVERYONE, Grant, Grantee, PRIVILEGED, Principal, Right, UNPRIVILEGED};
use crate::ticket::Role;
use crate::user::User;

/// An acl row: id, principal, role, right, queue, whether the principal is a group.
type AclRow = (i64, Option<i64>, Option<String>, String, Option<i64>, bool);

fn grant_from_row(row: &Row<'_>) -> Result<AclRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

/// A JSON array of ids, for `IN (SELECT value FROM json_each(?))`.
pub(super) fn id_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

impl Db<'_> {
    /// The user with every group they are in: direct and nested memberships, Everyone, and
    /// Privileged or Unprivileged. Disabled groups give nothing.
    ///
    /// Asked on every request, so the joins are ordered by hand (CROSS JOIN): from the
    /// groups found so far through the members index to each group's row. Left to
    /// itself SQLite built a throwaway index over every principal each time (50 ms with
    /// 100,000 users).
    pub fn principal(&self, user: &User) -> Result<Principal> {
        let system = if user.privileged { PRIVILEGED } else { UNPRIVILEGED };
        // the join conditions are in WHERE, not ON: PostgreSQL takes no ON after CROSS
        // JOIN, and SQLite plans an inner join's ON and WHERE alike (same plan)
        let groups: Vec<i64> = sql::all(
            self.sql(),
            "WITH RECURSIVE member_of(id) AS ( \
               SELECT CAST(?1 AS BIGINT) UNION SELECT CAST(?2 AS BIGINT) UNION SELECT CAST(?3 AS BIGINT) \
               UNION SELECT m.group_id FROM member_of o \
                 CROSS JOIN group_members m CROSS JOIN principals p \
                 WHERE m.member_id = o.id AND p.id = m.group_id AND p.disabled = 0 \
             ) SELECT id FROM member_of WHERE id != ?1 ORDER BY id",
            params![user.id, EVERYONE, system],
            |r| r.get(0),
        )?;
        Ok(Principal {
            user_id: user.id,
            groups,
        })
    }

    /// Every grant. The table is small (grants are made by hand), so rights are decided
    /// in memory from all of it.
    pub fn grants(&self) -> Result<Vec<Grant>> {
        let rows = sql::all(
            self.sql(),
            "SELECT a.id, a.principal_id, a.role, a.right_name, a.queue_id, \
               CASE WHEN p.kind = 'group' THEN 1 ELSE 0 END \
             FROM acl a LEFT JOIN principals p ON p.id = a.principal_id ORDER BY a.id",
            [],
            grant_from_row,
        )?;
        let mut grants = Vec::with_capacity(rows.len());
        for (id, principal, role, right, queue, is_group) in rows {
            let grantee = match (principal, role) {
                (Some(p), _) if is_group => Grantee::Group(p),
                (Some(p), _) => Grantee::User(p),
                (None, Some(role)) => Grantee::Role(role.parse()?),
                (None, None) => continue,
            };
            // a right this version does not know (from a newer one) grants nothing
            let Ok(right) = right.parse::<Right>() else { continue };
            grants.push(Grant {
                id,
                grantee,
                right,
                queue,
            });
        }
        Ok(grants)
    }

    /// The roles `who` holds on a ticket: as a watcher of it (themselves or through a
    /// group), as a watcher of its queue, or as its owner.
    pub fn roles_on_ticket(&self, ticket: &TicketRow, who: &Principal) -> Result<Vec<Role>> {
        let mut ids = who.groups.clone();
        ids.push(who.user_id);
        let names: Vec<String> = sql::all(
            self.sql(),
            "SELECT role FROM ticket_roles WHERE ticket_id = ?1 \
               AND principal_id IN (SELECT value FROM json_each(?3)) \
             UNION SELECT role FROM queue_watchers WHERE queue_id = ?2 \
               AND principal_id IN (SELECT value FROM json_each(?3))",
            params![ticket.id, ticket.queue_id, id_list(&ids)],
            |r| r.get(0),
        )?;
        let mut roles = names.iter().map(|n| n.parse()).collect::<Result<Vec<Role>>>()?;
        if ticket.owner_id == who.user_id {
            roles.push(Role::Owner);
        }
        Ok(roles)
    }

    /// The users among `principals`, with the members of the groups among them, through
    /// nested groups (disabled groups give none). System groups are not expanded: their
    /// membership is implied, not listed.
    pub fn users_in(&self, principals: &[i64]) -> Result<Vec<User>> {
        // joins ordered by hand, as in `principal`
        let ids: Vec<i64> = sql::all(
            self.sql(),
            "WITH RECURSIVE members(id) AS ( \
               SELECT value FROM json_each(?1) \
               UNION SELECT m.member_id FROM members x \
                 CROSS JOIN group_members m CROSS JOIN principals p \
                 WHERE m.group_id = x.id AND p.id = m.group_id AND p.disabled = 0 \
             ) SELECT u.id FROM members JOIN users u ON u.id = members.id ORDER BY u.id",
            [id_list(principals)],
            |r| r.get(0),
        )?;
        ids.into_iter().map(|id| self.user(id)).collect()
    }

    /// The id of a group by name.
    pub fn group_id(&self, name: &str) -> Result<Option<i64>> {
        sql::optional(self.sql(), "SELECT id FROM groups WHERE name = ?1", [name], |r| {
            r.get(0)
        })
    }

    /// A principal's display name: a user's address or name, or a group's name.
    pub fn principal_name(&self, id: i64) -> Result<String> {
        sql::optional(
            self.sql(),
            "SELECT COALESCE(u.email, u.name, g.name) FROM principals p \
             LEFT JOIN users u ON u.id = p.id LEFT JOIN groups g ON g.id = p.id WHERE p.id = ?1",
            [id],
            |r| r.get(0),
        )?
        .ok_or_else(|| Error::NotFound(format!("no user or group with id {id}")))
    }
}

impl WriteTx<'_> {
    /// Grants a right; false when it was granted already.
    pub fn add_grant(&self, grantee: Grantee, right: Right, queue: Option<i64>) -> Result<bool> {
        let (principal, role) = match grantee {
            Grantee::User(id) | Grantee::Group(id) => (Some(id), None),
            Grantee::Role(role) => (None, Some(role.as_str())),
        };
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO acl (principal_id, role, right_name, queue_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![principal, role, right.as_str(), queue],
        )? == 1)
    }

    /// Revokes a grant; false when there was none.
    pub fn revoke_grant(&self, grantee: Grantee, right: Right, queue: Option<i64>) -> Result<bool> {
        let (principal, role) = match grantee {
            Grantee::User(id) | Grantee::Group(id) => (Some(id), None),
            Grantee::Role(role) => (None, Some(role.as_str())),
        };
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM acl WHERE principal_id IS NOT DISTINCT FROM ?1 AND role IS NOT DISTINCT FROM ?2 \
             AND right_name = ?3 AND queue_id IS NOT DISTINCT FROM ?4",
            params![principal, role, right.as_str(), queue],
        )? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::default_grants;
    use crate::store::Store;

    #[test]
    fn a_new_database_holds_exactly_the_default_grants() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut seeded: Vec<(Grantee, Right)> = store
            .db()
            .grants()
            .unwrap()
            .into_iter()
            .map(|g| (g.grantee, g.right))
            .collect();
        let mut defaults = default_grants();
        let key = |(g, r): &(Grantee, Right)| (format!("{g:?}"), *r);
        seeded.sort_by_key(key);
        defaults.sort_by_key(key);
        assert_eq!(seeded, defaults);
    }
}
