//! The schema: `schema.sql` for a new database, numbered migrations for an old one.
//!
//! `schema.sql` is the whole current schema and ends with `PRAGMA user_version = N`.
//! A database at version `v < N` gets `MIGRATIONS[v-1..]` applied in order, each in the
//! same transaction as its version bump. `schema_v1.sql` is the first released schema,
//! frozen: the tests build a version-1 database from it and check that migrating it gives
//! exactly the tables, columns and indexes `schema.sql` gives.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The whole current schema.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// `MIGRATIONS[i]` takes a database from version `i + 1` to `i + 2`.
const MIGRATIONS: &[&str] = &[
    // 1 → 2: webhooks travel through the outbox beside mail; searches by date use indexes
    "ALTER TABLE outbox ADD COLUMN webhook_url TEXT; \
     ALTER TABLE outbox ADD COLUMN webhook_timeout_secs INTEGER; \
     CREATE INDEX tickets_by_created ON tickets (created); \
     CREATE INDEX tickets_by_updated ON tickets (updated); \
     DROP INDEX tickets_by_queue_status; \
     CREATE INDEX tickets_by_queue_status ON tickets (queue_id, status, priority, effective_id);",
    // 2 → 3: the scheduler records its runs; users may ask for a digest; a ticket may have
    // its own service level
    "ALTER TABLE users ADD COLUMN digest TEXT CHECK (digest IN ('daily', 'weekly')); \
     ALTER TABLE tickets ADD COLUMN sla TEXT; \
     CREATE TABLE job_runs (id INTEGER PRIMARY KEY, job TEXT NOT NULL, slot TEXT NOT NULL, \
       started TEXT NOT NULL, duration_ms INTEGER NOT NULL, \
       outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')), detail TEXT NOT NULL DEFAULT ''); \
     CREATE UNIQUE INDEX job_runs_once ON job_runs (job, slot) WHERE outcome = 'ok'; \
     CREATE INDEX job_runs_by_job ON job_runs (job, id); \
     CREATE TABLE alert_keys (queue_id INTEGER NOT NULL REFERENCES queues(id), key TEXT NOT NULL, \
       ticket_id INTEGER NOT NULL REFERENCES tickets(id), problems INTEGER NOT NULL DEFAULT 0, \
       last_state TEXT NOT NULL, last_seen TEXT NOT NULL, recovered TEXT, PRIMARY KEY (queue_id, key)); \
     CREATE INDEX alert_keys_by_ticket ON alert_keys (ticket_id);",
    // 3 → 4: a job run stopped by a shutdown is on record as interrupted (a CHECK changes:
    // the table is rebuilt); API writes remember their answer under an Idempotency-Key;
    // mail per ticket and address, for the per-ticket notification rate limit; large
    // messages and parts kept as blobs written ahead in chunks
    "CREATE TABLE job_runs_new (id INTEGER PRIMARY KEY, job TEXT NOT NULL, slot TEXT NOT NULL, \
       started TEXT NOT NULL, duration_ms INTEGER NOT NULL, \
       outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'interrupted')), detail TEXT NOT NULL DEFAULT ''); \
     INSERT INTO job_runs_new SELECT id, job, slot, started, duration_ms, outcome, detail FROM job_runs; \
     DROP TABLE job_runs; \
     ALTER TABLE job_runs_new RENAME TO job_runs; \
     CREATE UNIQUE INDEX job_runs_once ON job_runs (job, slot) WHERE outcome = 'ok'; \
     CREATE INDEX job_runs_by_job ON job_runs (job, id); \
     CREATE TABLE idempotency_keys (user_id INTEGER NOT NULL REFERENCES users(id), key TEXT NOT NULL, \
       request TEXT NOT NULL, answer TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (user_id, key)) WITHOUT ROWID; \
     CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created); \
     CREATE TABLE notification_log (ticket_id INTEGER NOT NULL REFERENCES tickets(id), \
       address TEXT NOT NULL COLLATE NOCASE, sent TEXT NOT NULL, held INTEGER NOT NULL DEFAULT 0); \
     CREATE INDEX notification_log_by_ticket ON notification_log (ticket_id, address, sent); \
     CREATE TABLE blobs (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, created TEXT NOT NULL, \
       kept INTEGER NOT NULL DEFAULT 0); \
     CREATE TABLE blob_chunks (id INTEGER PRIMARY KEY, blob_id INTEGER NOT NULL REFERENCES blobs(id), \
       seq INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (blob_id, seq)); \
     ALTER TABLE raw_messages ADD COLUMN blob_id INTEGER REFERENCES blobs(id); \
     CREATE INDEX raw_messages_by_blob ON raw_messages (blob_id) WHERE blob_id IS NOT NULL; \
     ALTER TABLE attachments ADD COLUMN blob_id INTEGER REFERENCES blobs(id); \
     CREATE INDEX attachments_by_blob ON attachments (blob_id) WHERE blob_id IS NOT NULL;",
    // 4 → 5: web sessions, password links and failed web logins; users' UI language
    "ALTER TABLE users ADD COLUMN lang TEXT; \
     CREATE TABLE password_links (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), \
       expires TEXT NOT NULL) WITHOUT ROWID; \
     CREATE INDEX password_links_by_user ON password_links (user_id); \
     CREATE TABLE web_sessions (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, \
       user_id INTEGER NOT NULL REFERENCES users(id), created TEXT NOT NULL, last_seen TEXT NOT NULL); \
     CREATE INDEX web_sessions_by_user ON web_sessions (user_id); \
     CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL); \
     CREATE INDEX login_failures_by_key ON login_failures (key, at);",
    // 5 → 6: counts per queue and status kept by triggers; the owner index covers the
    // home page's lists; groups by member; feeds of searches; the portal's sign-in links
    // (the same statements as schema.sql, which the drift test compares)
    "CREATE TABLE feeds (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, \
       user_id INTEGER NOT NULL REFERENCES users(id), name TEXT NOT NULL, query TEXT NOT NULL, \
       created TEXT NOT NULL); \
     CREATE INDEX feeds_by_user ON feeds (user_id); \
     CREATE TABLE signin_links (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), \
       expires TEXT NOT NULL) WITHOUT ROWID; \
     CREATE INDEX signin_links_by_user ON signin_links (user_id); \
     CREATE INDEX group_members_by_member ON group_members (member_id, group_id); \
     DROP INDEX tickets_by_owner_status; \
     CREATE INDEX tickets_by_owner_status ON tickets (owner_id, status, created, queue_id, effective_id); \
     CREATE TABLE ticket_counts (queue_id INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, \
       PRIMARY KEY (queue_id, status)) WITHOUT ROWID; \
     INSERT INTO ticket_counts SELECT queue_id, status, count(*) FROM tickets WHERE id = effective_id \
       GROUP BY queue_id, status; \
     CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets WHEN NEW.id = NEW.effective_id \
     BEGIN \
         INSERT INTO ticket_counts VALUES (NEW.queue_id, NEW.status, 1) \
             ON CONFLICT DO UPDATE SET n = n + 1; \
     END; \
     CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets WHEN OLD.id = OLD.effective_id \
     BEGIN \
         UPDATE ticket_counts SET n = n - 1 WHERE queue_id = OLD.queue_id AND status = OLD.status; \
     END; \
     CREATE TRIGGER ticket_counts_update AFTER UPDATE OF queue_id, status, effective_id ON tickets \
     BEGIN \
         UPDATE ticket_counts SET n = n - 1 \
             WHERE OLD.id = OLD.effective_id AND queue_id = OLD.queue_id AND status = OLD.status; \
         INSERT INTO ticket_counts SELECT NEW.queue_id, NEW.status, 1 WHERE NEW.id = NEW.effective_id \
             ON CONFLICT DO UPDATE SET n = n + 1; \
     END;",
    // 6 → 7: a feed may be of a saved search, and follow it
    "ALTER TABLE feeds ADD COLUMN search_id INTEGER REFERENCES saved_searches(id); \
     CREATE INDEX feeds_by_search ON feeds (search_id) WHERE search_id IS NOT NULL;",
    // 7 → 8: outbox messages and job slots are claimed, for a lease, before they are sent
    // or run
    "ALTER TABLE outbox ADD COLUMN claimed_by TEXT; \
     ALTER TABLE outbox ADD COLUMN claimed_until TEXT; \
     CREATE TABLE job_claims (job TEXT NOT NULL, slot TEXT NOT NULL, owner TEXT NOT NULL, \
       until TEXT NOT NULL, PRIMARY KEY (job, slot)) WITHOUT ROWID;",
    // 8 → 9: a transaction names the ticket its ticket was merged into, so that content
    // searches find the survivor without a join per match (on PostgreSQL the indexes of
    // tickets also came to carry id, store::postgres)
    "ALTER TABLE transactions ADD COLUMN merged_into INTEGER REFERENCES tickets(id); \
     UPDATE transactions SET merged_into = (SELECT t.effective_id FROM tickets t WHERE t.id = transactions.ticket_id) \
       WHERE ticket_id IN (SELECT id FROM tickets WHERE id <> effective_id);",
    // 9 → 10: an index for a queue's tickets by last update, the commonest of searches
    "CREATE INDEX tickets_by_queue_updated ON tickets (queue_id, updated);",
];

/// The version `schema.sql` declares.
pub fn current_version() -> u32 {
    SCHEMA
        .lines()
        .rev()
        .find_map(|l| {
            l.trim()
                .strip_prefix("PRAGMA user_version = ")?
                .trim_end_matches(';')
                .trim()
                .parse()
                .ok()
        })
        .expect("schema.sql ends with PRAGMA user_version = N;")
}

/// Creates or upgrades the schema of the database behind `conn`.
pub fn upgrade(conn: &mut Connection) -> Result<()> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = current_version();
    if version > current {
        return Err(Error::Internal(format!(
            "the database is at schema version {version}, newer than this ticketd ({current}); \
             run the newer ticketd or restore a backup"
        )));
    }
    if version == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()?;
        tracing::info!(version = current, "created the database schema");
        return Ok(());
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize - 1) {
        let target = index as u32 + 2;
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", target)?;
        tx.commit()?;
        tracing::info!(version = target, "migrated the database schema");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_has_a_migration() {
        assert_eq!(current_version() as usize, MIGRATIONS.len() + 1);
    }

    #[test]
    fn schema_applies_and_reopening_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        upgrade(&mut conn).unwrap();
        let dump = |c: &Connection| {
            let mut s = c
                .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name")
                .unwrap();
            s.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
        };
        let before = dump(&conn);
        upgrade(&mut conn).unwrap();
        assert_eq!(before, dump(&conn));
        let v: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, current_version());
    }

    /// Every table's columns and every index, in a form that does not depend on how the
    /// CREATE statement was written (ALTER TABLE rewrites it).
    fn shape(conn: &Connection) -> Vec<String> {
        let mut names = conn
            .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let objects: Vec<(String, String, String)> = names
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut shape = Vec::new();
        for (kind, name, table) in objects {
            shape.push(format!("{kind} {name} on {table}"));
            if kind == "index" {
                let mut columns = conn.prepare(&format!("PRAGMA index_info({name})")).unwrap();
                let names = columns.query_map([], |r| r.get::<_, Option<String>>(2)).unwrap();
                shape.push(format!("  columns {:?}", names.map(Result::unwrap).collect::<Vec<_>>()));
            }
            if kind == "trigger" {
                let sql: String = conn
                    .query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [&name], |r| r.get(0))
                    .unwrap();
                shape.push(format!("  {}", sql.split_whitespace().collect::<Vec<_>>().join(" ")));
            }
            if kind == "table" {
                let mut columns = conn.prepare(&format!("PRAGMA table_info({name})")).unwrap();
                let rows = columns
                    .query_map([], |r| {
                        Ok(format!(
                            "  {} {} notnull={} default={:?} pk={}",
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?
                        ))
                    })
                    .unwrap();
                shape.extend(rows.map(Result::unwrap));
            }
        }
        shape
    }

    #[test]
    fn a_version_1_database_migrates_to_what_schema_sql_makes() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(include_str!("schema_v1.sql")).unwrap();
        upgrade(&mut old).unwrap();
        let mut new = Connection::open_in_memory().unwrap();
        upgrade(&mut new).unwrap();
        assert_eq!(shape(&old), shape(&new));
        let v: u32 = old.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v, current_version());
    }

    #[test]
    fn a_migrated_database_takes_interrupted_job_runs_and_idempotency_keys() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(include_str!("schema_v1.sql")).unwrap();
        upgrade(&mut old).unwrap();
        old.execute_batch(
            "INSERT INTO job_runs (job, slot, started, duration_ms, outcome) \
               VALUES ('escalate', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', 5, 'interrupted'); \
             INSERT INTO principals (id, kind) VALUES (10, 'user'); \
             INSERT INTO users (id, name, created) VALUES (10, 'ann', '2026-12-01T00:00:00Z'); \
             INSERT INTO idempotency_keys (user_id, key, request, answer, created) \
               VALUES (10, 'k', 'r', '1', '2026-12-01T00:00:00Z');",
        )
        .unwrap();
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(upgrade(&mut conn).unwrap_err().to_string().contains("newer"));
    }
}
