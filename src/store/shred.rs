//! Merging tickets and removing them for good.

use super::sql::{self, params};
use super::{Db, WriteTx};
use crate::error::Result;
use crate::wire::ShredCount;

/// Every table that holds rows of a ticket, with the condition that picks them (`?1` is
/// a JSON array of ticket ids), in an order that deletes children before their parents.
const SHRED_TABLES: &[(&str, &str)] = &[
    ("seen_messages", "ticket_id IN (SELECT value FROM json_each(?1))"),
    ("alert_keys", "ticket_id IN (SELECT value FROM json_each(?1))"),
    ("message_ids", "ticket_id IN (SELECT value FROM json_each(?1))"),
    ("outbox", "ticket_id IN (SELECT value FROM json_each(?1))"),
    ("notification_log", "ticket_id IN (SELECT value FROM json_each(?1))"),
    ("quarantine", "ticket_id IN (SELECT value FROM json_each(?1))"),
    (
        "attachments",
        "transaction_id IN (SELECT id FROM transactions WHERE ticket_id IN (SELECT value FROM json_each(?1)))",
    ),
    (
        "links",
        "base_id IN (SELECT value FROM json_each(?1)) OR target_id IN (SELECT value FROM json_each(?1))",
    ),
    ("ticket_roles", "ticket_id IN (SELECT value FROM json_each(?1))"),
    (
        "ticket_custom_field_values",
        "ticket_id IN (SELECT value FROM json_each(?1))",
    ),
    ("transactions", "ticket_id IN (SELECT value FROM json_each(?1))"),
    // the raw messages of those transactions, once nothing else refers to them
    (
        "raw_messages",
        "CAST(?1 AS TEXT) IS NOT NULL AND id IN (SELECT raw_message_id FROM shred_raw) \
         AND id NOT IN (SELECT raw_message_id FROM transactions WHERE raw_message_id IS NOT NULL) \
         AND id NOT IN (SELECT raw_message_id FROM quarantine)",
    ),
    // the blobs of those attachments and raw messages, unless a raw message stays
    (
        "blob_chunks",
        "CAST(?1 AS TEXT) IS NOT NULL AND blob_id IN (SELECT blob_id FROM shred_blobs) \
         AND blob_id NOT IN (SELECT blob_id FROM raw_messages WHERE blob_id IS NOT NULL)",
    ),
    (
        "blobs",
        "CAST(?1 AS TEXT) IS NOT NULL AND id IN (SELECT blob_id FROM shred_blobs) \
         AND id NOT IN (SELECT blob_id FROM raw_messages WHERE blob_id IS NOT NULL)",
    ),
    ("tickets", "id IN (SELECT value FROM json_each(?1))"),
];

impl Db<'_> {
    /// The ids of a ticket and of every ticket merged into it.
    pub fn merged_group(&self, ticket_id: i64) -> Result<Vec<i64>> {
        sql::all(
            self.sql(),
            "SELECT id FROM tickets WHERE effective_id = ?1 OR id = ?1 ORDER BY id",
            [ticket_id],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Merges ticket `from` (and what was merged into it) into `into`: they become one
    /// ticket, `into`, which gets their watchers, links and time worked. Their history
    /// stays theirs and shows under `into`.
    pub fn merge_tickets(&self, from: i64, into: i64) -> Result<()> {
        let conn = self.sql();
        sql::execute(
            conn,
            "UPDATE tickets SET effective_id = ?2 WHERE effective_id = ?1",
            params![from, into],
        )?;
        // the history of every ticket now merged into `into` counts for it in searches
        sql::execute(
            conn,
            "UPDATE transactions SET merged_into = ?1 WHERE ticket_id IN \
               (SELECT id FROM tickets WHERE effective_id = ?1 AND id <> ?1) AND COALESCE(merged_into, 0) <> ?1",
            [into],
        )?;
        sql::execute(
            conn,
            "INSERT INTO ticket_roles (ticket_id, role, principal_id) \
             SELECT ?2, role, principal_id FROM ticket_roles WHERE ticket_id = ?1 ON CONFLICT DO NOTHING",
            params![from, into],
        )?;
        // a link the target has already stays behind (and goes below), as UPDATE OR
        // IGNORE would leave it: links_unique is (base_id, type, target_id)
        for (side, other) in [("base_id", "target_id"), ("target_id", "base_id")] {
            sql::execute(
                conn,
                &format!(
                    "UPDATE links SET {side} = ?2 WHERE {side} = ?1 AND NOT EXISTS \
                       (SELECT 1 FROM links o WHERE o.{side} = ?2 AND o.type = links.type AND o.{other} = links.{other})"
                ),
                params![from, into],
            )?;
        }
        // links the move made pointless: between the two, or duplicates left behind
        sql::execute(
            conn,
            "DELETE FROM links WHERE base_id = target_id OR base_id = ?1 OR target_id = ?1",
            [from],
        )?;
        let worked: i64 = sql::one(conn, "SELECT time_worked FROM tickets WHERE id = ?1", [from], |r| {
            r.get(0)
        })?;
        sql::execute(
            conn,
            "UPDATE tickets SET time_worked = time_worked + ?2 WHERE id = ?1",
            params![into, worked],
        )?;
        Ok(())
    }

    /// What shredding these tickets removes, or (`apply`) removes it. Nothing else is
    /// touched: users, queues and other tickets stay.
    pub fn shred(&self, tickets: &[i64], apply: bool) -> Result<Vec<ShredCount>> {
        let ids = serde_json::to_string(tickets).unwrap_or_else(|_| "[]".into());
        let conn = self.sql();
        sql::execute(
            conn,
            "CREATE TEMP TABLE IF NOT EXISTS shred_raw (raw_message_id INTEGER)",
            [],
        )?;
        sql::execute(conn, "DELETE FROM shred_raw", [])?;
        sql::execute(
            conn,
            "INSERT INTO shred_raw SELECT raw_message_id FROM transactions \
             WHERE ticket_id IN (SELECT value FROM json_each(?1)) AND raw_message_id IS NOT NULL \
             UNION SELECT raw_message_id FROM quarantine WHERE ticket_id IN (SELECT value FROM json_each(?1))",
            [&ids],
        )?;
        sql::execute(
            conn,
            "CREATE TEMP TABLE IF NOT EXISTS shred_blobs (blob_id INTEGER)",
            [],
        )?;
        sql::execute(conn, "DELETE FROM shred_blobs", [])?;
        sql::execute(
            conn,
            "INSERT INTO shred_blobs SELECT blob_id FROM attachments WHERE blob_id IS NOT NULL AND transaction_id IN \
               (SELECT id FROM transactions WHERE ticket_id IN (SELECT value FROM json_each(?1))) \
             UNION SELECT blob_id FROM raw_messages WHERE blob_id IS NOT NULL \
               AND id IN (SELECT raw_message_id FROM shred_raw)",
            [&ids],
        )?;
        let mut counts = Vec::new();
        for (table, condition) in SHRED_TABLES {
            let rows = if apply {
                sql::execute(conn, &format!("DELETE FROM {table} WHERE {condition}"), [&ids])? as i64
            } else if *table == "raw_messages" {
                // before the transactions go, every raw message of theirs is theirs alone
                sql::one(conn, "SELECT COUNT(DISTINCT raw_message_id) FROM shred_raw", [], |r| {
                    r.get(0)
                })?
            } else if *table == "blobs" {
                sql::one(conn, "SELECT COUNT(DISTINCT blob_id) FROM shred_blobs", [], |r| {
                    r.get(0)
                })?
            } else if *table == "blob_chunks" {
                sql::one(
                    conn,
                    "SELECT COUNT(*) FROM blob_chunks WHERE blob_id IN (SELECT blob_id FROM shred_blobs)",
                    [],
                    |r| r.get(0),
                )?
            } else {
                sql::one(
                    conn,
                    &format!("SELECT COUNT(*) FROM {table} WHERE {condition}"),
                    [&ids],
                    |r| r.get(0),
                )?
            };
            counts.push(ShredCount {
                table: table.to_string(),
                rows,
            });
        }
        sql::execute(conn, "DELETE FROM shred_raw", [])?;
        sql::execute(conn, "DELETE FROM shred_blobs", [])?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{NewTicket, NewTransaction, Store, TimeField, parse_ts};
    use crate::ticket::{LinkKind, Status, Timestamp, TransactionKind};
    use crate::user::{NOBODY_ID, ROOT_ID};

    fn now() -> Timestamp {
        parse_ts("2026-12-01T10:00:00Z").unwrap()
    }

    fn counted(counts: &[crate::wire::ShredCount], table: &str) -> i64 {
        counts.iter().find(|c| c.table == table).map_or(-1, |c| c.rows)
    }

    #[test]
    fn a_merged_group_is_counted_then_shredded_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let queue = tx
            .create_queue("general", "general@test", "general-comment@test", now())
            .unwrap();
        let ticket = |subject| {
            let id = tx
                .insert_ticket(&NewTicket {
                    queue_id: queue.id,
                    subject,
                    status: Status::named(Status::NEW),
                    owner_id: NOBODY_ID,
                    priority: 0,
                    final_priority: 0,
                    creator_id: ROOT_ID,
                    now: now(),
                })
                .unwrap();
            tx.insert_transaction(&NewTransaction {
                content: "hello",
                ..NewTransaction::new(id, TransactionKind::Create, ROOT_ID, now())
            })
            .unwrap();
            id
        };
        let (into, from, other) = (ticket("into"), ticket("from"), ticket("other"));
        tx.set_time(into, TimeField::Worked, 5).unwrap();
        tx.set_time(from, TimeField::Worked, 7).unwrap();
        tx.add_link(from, LinkKind::RefersTo, into, ROOT_ID, now()).unwrap();
        tx.add_link(from, LinkKind::RefersTo, other, ROOT_ID, now()).unwrap();
        tx.add_link(into, LinkKind::RefersTo, other, ROOT_ID, now()).unwrap();

        tx.merge_tickets(from, into).unwrap();
        assert_eq!(tx.merged_group(into).unwrap(), [into, from]);
        assert_eq!(tx.ticket_row(into).unwrap().unwrap().time_worked, 12);
        // the link between the two is gone, the duplicate to `other` is one link
        assert_eq!(tx.links(into).unwrap().len(), 1);

        let group = tx.merged_group(into).unwrap();
        let planned = tx.shred(&group, false).unwrap();
        assert_eq!(counted(&planned, "tickets"), 2);
        assert_eq!(counted(&planned, "transactions"), 2);
        assert_eq!(counted(&planned, "links"), 1);
        assert_eq!(tx.shred(&group, true).unwrap(), planned);
        assert_eq!(tx.ticket_row(into).unwrap(), None);
        assert!(tx.ticket_row(other).unwrap().is_some());
        assert!(tx.shred(&group, false).unwrap().iter().all(|c| c.rows == 0));
    }
}
