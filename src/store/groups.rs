//! User-defined groups and their members.

use super::sql::{self, params};
use super::{Db, WriteTx};
use crate::error::{Error, Result};
use crate::wire::GroupInfo;

impl Db<'_> {
    /// Every group with its direct members.
    pub fn groups(&self) -> Result<Vec<GroupInfo>> {
        let rows: Vec<(i64, String, String, String)> = sql::all(
            self.sql(),
            "SELECT id, name, description, domain FROM groups ORDER BY domain, name",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        rows.into_iter()
            .map(|(id, name, description, domain)| {
                let members = sql::all(
                    self.sql(),
                    "SELECT COALESCE(u.email, u.name, g.name) FROM group_members m \
                     LEFT JOIN users u ON u.id = m.member_id LEFT JOIN groups g ON g.id = m.member_id \
                     WHERE m.group_id = ?1 ORDER BY 1",
                    [id],
                    |r| r.get(0),
                )?;
                Ok(GroupInfo {
                    id,
                    name,
                    description,
                    domain,
                    members,
                })
            })
            .collect()
    }

    /// The user-defined group with this name.
    pub fn user_group(&self, name: &str) -> Result<i64> {
        let found: Option<(i64, String)> = sql::optional(
            self.sql(),
            "SELECT id, domain FROM groups WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match found {
            Some((id, domain)) if domain == "user-defined" => Ok(id),
            Some(_) => Err(Error::Invalid(format!(
                "`{name}` is a system group: its members are implied (every user, privileged or not)"
            ))),
            None => Err(Error::NotFound(format!("no group named `{name}`"))),
        }
    }

    /// Whether `group` is `member` or contains it, directly or through nested groups.
    fn contains(&self, group: i64, member: i64) -> Result<bool> {
        sql::one(
            self.sql(),
            "WITH RECURSIVE inside(id) AS (SELECT CAST(?1 AS BIGINT) UNION SELECT m.member_id FROM group_members m \
               JOIN inside i ON m.group_id = i.id) SELECT EXISTS (SELECT 1 FROM inside WHERE id = ?2)",
            params![group, member],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Creates a user-defined group.
    pub fn create_group(&self, name: &str, description: &str) -> Result<i64> {
        if self.group_id(name)?.is_some() {
            return Err(Error::Conflict(format!("a group named `{name}` exists already")));
        }
        let id: i64 = sql::one(
            self.sql(),
            "INSERT INTO principals (kind) VALUES ('group') RETURNING id",
            [],
            |r| r.get(0),
        )?;
        sql::execute(
            self.sql(),
            "INSERT INTO groups (id, name, domain, description) VALUES (?1, ?2, 'user-defined', ?3)",
            params![id, name, description],
        )?;
        Ok(id)
    }

    /// Adds a user or group to a group; false when it was a member already. A group that
    /// would end up inside itself is refused.
    pub fn add_member(&self, group: i64, member: i64) -> Result<bool> {
        if self.contains(member, group)? {
            return Err(Error::Conflict("that would put the group inside itself".into()));
        }
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO group_members (group_id, member_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![group, member],
        )? == 1)
    }

    /// Removes a direct member; false when it was none.
    pub fn remove_member(&self, group: i64, member: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM group_members WHERE group_id = ?1 AND member_id = ?2",
            params![group, member],
        )? == 1)
    }
}
