//! Merging tickets and removing them for good.

use rusqlite::params;

use super::{Db, WriteTx, cached_execute, cached_row};
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
        "?1 IS NOT NULL AND id IN (SELECT raw_message_id FROM shred_raw) \
         AND id NOT IN (SELECT raw_message_id FROM transactions WHERE raw_message_id IS NOT NULL) \
         AND id NOT IN (SELECT raw_message_id FROM quarantine)",
    ),
    // the blobs of those attachments and raw messages, unless a raw message stays
    (
        "blob_chunks",
        "?1 IS NOT NULL AND blob_id IN (SELECT blob_id FROM shred_blobs) \
         AND blob_id NOT IN (SELECT blob_id FROM raw_messages WHERE blob_id IS NOT NULL)",
    ),
    (
        "blobs",
        "?1 IS NOT NULL AND id IN (SELECT blob_id FROM shred_blobs) \
         AND id NOT IN (SELECT blob_id FROM raw_messages WHERE blob_id IS NOT NULL)",
    ),
    ("tickets", "id IN (SELECT value FROM json_each(?1))"),
];

impl Db<'_> {
    /// The ids of a ticket and of every ticket merged into it.
    pub fn merged_group(&self, ticket_id: i64) -> Result<Vec<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM tickets WHERE effective_id = ?1 OR id = ?1 ORDER BY id")?
            .query_map([ticket_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}

impl WriteTx<'_> {
    /// Merges ticket `from` (and what was merged into it) into `into`: they become one
    /// ticket, `into`, which gets their watchers, links and time worked. Their history
    /// stays theirs and shows under `into`.
    pub fn merge_tickets(&self, from: i64, into: i64) -> Result<()> {
        let conn = self.conn();
        cached_execute(
            conn,
            "UPDATE tickets SET effective_id = ?2 WHERE effective_id = ?1",
            params![from, into],
        )?;
        cached_execute(
            conn,
            "INSERT INTO ticket_roles (ticket_id, role, principal_id) \
             SELECT ?2, role, principal_id FROM ticket_roles WHERE ticket_id = ?1 ON CONFLICT DO NOTHING",
            params![from, into],
        )?;
        for side in ["base_id", "target_id"] {
            cached_execute(
                conn,
                &format!("UPDATE OR IGNORE links SET {side} = ?2 WHERE {side} = ?1"),
                params![from, into],
            )?;
        }
        // links the move made pointless: between the two, or duplicates left behind
        cached_execute(
            conn,
            "DELETE FROM links WHERE base_id = target_id OR base_id = ?1 OR target_id = ?1",
            [from],
        )?;
        let worked: i64 = cached_row(conn, "SELECT time_worked FROM tickets WHERE id = ?1", [from], |r| {
            r.get(0)
        })?;
        cached_execute(
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
        let conn = self.conn();
        cached_execute(
            conn,
            "CREATE TEMP TABLE IF NOT EXISTS shred_raw (raw_message_id INTEGER)",
            [],
        )?;
        cached_execute(conn, "DELETE FROM shred_raw", [])?;
        cached_execute(
            conn,
            "INSERT INTO shred_raw SELECT raw_message_id FROM transactions \
             WHERE ticket_id IN (SELECT value FROM json_each(?1)) AND raw_message_id IS NOT NULL \
             UNION SELECT raw_message_id FROM quarantine WHERE ticket_id IN (SELECT value FROM json_each(?1))",
            [&ids],
        )?;
        cached_execute(
            conn,
            "CREATE TEMP TABLE IF NOT EXISTS shred_blobs (blob_id INTEGER)",
            [],
        )?;
        cached_execute(conn, "DELETE FROM shred_blobs", [])?;
        cached_execute(
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
                cached_execute(conn, &format!("DELETE FROM {table} WHERE {condition}"), [&ids])? as i64
            } else if *table == "raw_messages" {
                // before the transactions go, every raw message of theirs is theirs alone
                cached_row(conn, "SELECT COUNT(DISTINCT raw_message_id) FROM shred_raw", [], |r| {
                    r.get(0)
                })?
            } else if *table == "blobs" {
                cached_row(conn, "SELECT COUNT(DISTINCT blob_id) FROM shred_blobs", [], |r| {
                    r.get(0)
                })?
            } else if *table == "blob_chunks" {
                cached_row(
                    conn,
                    "SELECT COUNT(*) FROM blob_chunks WHERE blob_id IN (SELECT blob_id FROM shred_blobs)",
                    [],
                    |r| r.get(0),
                )?
            } else {
                cached_row(
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
        cached_execute(conn, "DELETE FROM shred_raw", [])?;
        cached_execute(conn, "DELETE FROM shred_blobs", [])?;
        Ok(counts)
    }
}
