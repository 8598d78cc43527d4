//! Links between tickets.

use std::collections::HashMap;

use super::rights::id_list;
use super::sql::{self, params};
use super::{Db, TicketRow, WriteTx, ts};
use crate::error::Result;
use crate::ticket::{Link, LinkKind, LinkName, Timestamp};

impl Db<'_> {
    /// Every link of a ticket, named from its side, by the other ticket's number.
    pub fn links(&self, ticket_id: i64) -> Result<Vec<Link>> {
        Ok(self.links_of(&[ticket_id])?.remove(&ticket_id).unwrap_or_default())
    }

    /// [`links`](Db::links) of several tickets in one statement (a page of search
    /// results), by ticket; a ticket without links is not in the map.
    pub fn links_of(&self, tickets: &[i64]) -> Result<HashMap<i64, Vec<Link>>> {
        let rows: Vec<(i64, String, i64, bool)> = sql::all(
            self.sql(),
            "SELECT base_id, type, target_id, 1 FROM links \
               WHERE base_id IN (SELECT value FROM json_each(?1)) AND target_id IS NOT NULL \
             UNION ALL SELECT target_id, type, base_id, 0 FROM links \
               WHERE target_id IN (SELECT value FROM json_each(?1)) \
             ORDER BY 1, 3, 2",
            [id_list(tickets)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut links: HashMap<i64, Vec<Link>> = HashMap::new();
        for (ticket, kind, other, from_base) in rows {
            links.entry(ticket).or_default().push(Link {
                name: LinkName::of(kind.parse::<LinkKind>()?, from_base),
                target: other,
            });
        }
        Ok(links)
    }

    /// The tickets at the other end of a ticket's links of one name (its dependencies,
    /// its children, ...).
    pub fn linked(&self, ticket_id: i64, name: LinkName) -> Result<Vec<TicketRow>> {
        let (kind, from_base) = name.stored();
        let sql = if from_base {
            "SELECT target_id FROM links WHERE base_id = ?1 AND type = ?2 AND target_id IS NOT NULL ORDER BY target_id"
        } else {
            "SELECT base_id FROM links WHERE target_id = ?1 AND type = ?2 ORDER BY base_id"
        };
        let ids: Vec<i64> = sql::all(self.sql(), sql, params![ticket_id, kind.as_str()], |r| r.get(0))?;
        ids.into_iter()
            .filter_map(|id| self.ticket_row(id).transpose())
            .collect()
    }

    /// Whether `from` reaches `to` through links of `kind`, directly or in steps: adding
    /// `to -> from` would close a circle.
    pub fn reaches(&self, from: i64, to: i64, kind: LinkKind) -> Result<bool> {
        // the start is cast: PostgreSQL cannot type a parameter that only a SELECT list uses
        sql::one(
            self.sql(),
            "WITH RECURSIVE reach(id) AS (SELECT CAST(?1 AS BIGINT) UNION SELECT l.target_id FROM links l \
               JOIN reach r ON l.base_id = r.id WHERE l.type = ?3 AND l.target_id IS NOT NULL) \
             SELECT CASE WHEN EXISTS (SELECT 1 FROM reach WHERE id = ?2) THEN 1 ELSE 0 END",
            params![from, to, kind.as_str()],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Adds a link; false when it existed.
    pub fn add_link(&self, base: i64, kind: LinkKind, target: i64, creator: i64, now: Timestamp) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO links (base_id, type, target_id, creator_id, created) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![base, kind.as_str(), target, creator, ts(now)],
        )? == 1)
    }

    /// Removes a link; false when there was none.
    pub fn remove_link(&self, base: i64, kind: LinkKind, target: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM links WHERE base_id = ?1 AND type = ?2 AND target_id = ?3",
            params![base, kind.as_str(), target],
        )? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tickets::tests::{a_ticket, at};
    use crate::store::Store;
    use crate::ticket::{Link, LinkKind, LinkName};

    #[test]
    fn links_read_from_both_ends_and_a_circle_is_seen_coming() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let [a, b, c] = ["a", "b", "c"].map(|q| a_ticket(&tx, q));
        assert!(tx.add_link(a, LinkKind::DependsOn, b, 3, at(1)).unwrap());
        assert!(!tx.add_link(a, LinkKind::DependsOn, b, 3, at(1)).unwrap());
        assert!(tx.add_link(b, LinkKind::DependsOn, c, 3, at(1)).unwrap());
        assert!(tx.add_link(c, LinkKind::RefersTo, a, 3, at(1)).unwrap());

        assert_eq!(
            tx.links(b).unwrap(),
            [
                Link {
                    name: LinkName::DependedOnBy,
                    target: a
                },
                Link {
                    name: LinkName::DependsOn,
                    target: c
                },
            ]
        );
        let ids = |rows: Vec<crate::store::TicketRow>| rows.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(tx.linked(b, LinkName::DependsOn).unwrap()), [c]);
        assert_eq!(ids(tx.linked(b, LinkName::DependedOnBy).unwrap()), [a]);

        assert!(tx.reaches(a, c, LinkKind::DependsOn).unwrap());
        assert!(tx.reaches(a, a, LinkKind::DependsOn).unwrap());
        assert!(!tx.reaches(c, a, LinkKind::DependsOn).unwrap());
        assert!(!tx.reaches(a, c, LinkKind::MemberOf).unwrap());

        assert!(tx.remove_link(a, LinkKind::DependsOn, b).unwrap());
        assert!(!tx.remove_link(a, LinkKind::DependsOn, b).unwrap());
        assert!(!tx.reaches(a, c, LinkKind::DependsOn).unwrap());
    }
}
