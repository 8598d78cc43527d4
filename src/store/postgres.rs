//! PostgreSQL: connecting, the schema, and what only PostgreSQL does.
//!
//! The store's methods are the same on both backends (see [`super::sql`]); this module
//! holds what differs in kind: a connection from a URL, the schema (`schema_postgres.sql`,
//! created once under an advisory lock however many daemons start together), and the
//! settings each connection runs with.

use std::str::FromStr;

use super::sql::{self, Conn, PgSession};
use crate::error::{Error, Result};

/// The whole current schema in PostgreSQL's words.
pub const SCHEMA: &str = include_str!("schema_postgres.sql");

/// The advisory lock held while the schema is created or migrated ("ticketd" in ASCII).
const SCHEMA_LOCK: i64 = 0x0074_6963_6b65_7464;

/// `MIGRATIONS[i]` takes a PostgreSQL database from version `FIRST + i` to `FIRST + i + 1`.
/// None yet: PostgreSQL databases start at the version `schema_postgres.sql` declares.
const MIGRATIONS: &[&str] = &[];

/// Where a database URL points, without its password: for messages and the log.
pub fn describe(url: &str) -> String {
    match postgres::Config::from_str(url) {
        Ok(config) => {
            let host = config
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .unwrap_or_else(|| "localhost".into());
            let port = config.get_ports().first().copied().unwrap_or(5432);
            let db = config.get_dbname().or(config.get_user()).unwrap_or("postgres");
            format!("PostgreSQL database {db} on {host}:{port}")
        }
        Err(_) => "a PostgreSQL database (the URL does not parse)".into(),
    }
}

/// Checks a database URL without connecting: for the config check.
pub fn check_url(url: &str) -> Result<()> {
    postgres::Config::from_str(url)
        .map(|_| ())
        .map_err(|e| Error::Invalid(format!("database.url is not a PostgreSQL URL: {e}")))
}

/// Connects to the database at `url`.
pub(crate) fn connect(url: &str) -> Result<PgSession> {
    let config = postgres::Config::from_str(url)
        .map_err(|e| Error::Invalid(format!("database.url is not a PostgreSQL URL: {e}")))?;
    let client = config.connect(postgres::NoTls).map_err(|e| {
        tracing::warn!(error = %e, database = %describe(url), "cannot connect");
        Error::Temporary(format!("ticketd cannot connect to the {}: {e}", describe(url)))
    })?;
    Ok(PgSession::new(client))
}

/// Runs `f` in a transaction of its own: committed if it succeeds, rolled back if not.
fn in_transaction(conn: Conn<'_>, f: impl FnOnce() -> Result<()>) -> Result<()> {
    sql::batch(conn, "BEGIN")?;
    match f() {
        Ok(()) => sql::batch(conn, "COMMIT"),
        Err(e) => {
            sql::batch(conn, "ROLLBACK")?;
            Err(e)
        }
    }
}

/// Refuses a database whose text does not sort byte by byte: times, claims and
/// Message-IDs are compared as text, and SQLite compares them so.
fn check_collation(conn: Conn<'_>) -> Result<()> {
    let collation: String = sql::one(
        conn,
        "SELECT CAST(datcollate AS TEXT) FROM pg_database WHERE datname = current_database()",
        [],
        |r| r.get(0),
    )?;
    if matches!(collation.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8") {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "the database's collation is {collation}; ticketd needs text sorted byte by byte: create the \
         database with `createdb --template=template0 --locale=C.UTF-8 --encoding=UTF8 NAME`"
    )))
}

/// The version `schema_postgres.sql` declares.
pub fn current_version() -> u32 {
    SCHEMA
        .lines()
        .rev()
        .find_map(|l| {
            l.trim()
                .strip_prefix("INSERT INTO schema_version (version) VALUES (")?
                .trim_end_matches(';')
                .trim_end_matches(')')
                .parse()
                .ok()
        })
        .expect("schema_postgres.sql ends with INSERT INTO schema_version (version) VALUES (N);")
}

/// Creates or upgrades the schema, once, whichever daemon gets there first.
pub(crate) fn upgrade(session: &PgSession) -> Result<()> {
    let conn = Conn::Postgres(session);
    sql::one(conn, "SELECT pg_advisory_lock(?1)", [SCHEMA_LOCK], |_| Ok(()))?;
    let result = upgrade_locked(conn);
    let unlocked = sql::one(conn, "SELECT pg_advisory_unlock(?1)", [SCHEMA_LOCK], |_| Ok(()));
    result.and(unlocked)
}

fn upgrade_locked(conn: Conn<'_>) -> Result<()> {
    let current = current_version();
    let exists: bool = sql::one(
        conn,
        "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE 1 END",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        check_collation(conn)?;
        in_transaction(conn, || sql::batch(conn, SCHEMA))?;
        tracing::info!(version = current, "created the database schema");
        return Ok(());
    }
    let version: u32 = sql::one(
        conn,
        "SELECT CAST(max(version) AS BIGINT) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if version > current {
        return Err(Error::Internal(format!(
            "the database is at schema version {version}, newer than this ticketd ({current}); \
             run the newer ticketd or restore a backup"
        )));
    }
    let first = current as usize - MIGRATIONS.len();
    for (index, migration) in MIGRATIONS
        .iter()
        .enumerate()
        .skip((version as usize).saturating_sub(first))
    {
        let target = (first + index + 1) as i64;
        in_transaction(conn, || {
            sql::batch(conn, migration)?;
            sql::execute(conn, "UPDATE schema_version SET version = ?1", [target]).map(drop)
        })?;
        tracing::info!(version = target, "migrated the database schema");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemas_declare_the_same_version() {
        assert_eq!(current_version(), super::super::schema::current_version());
    }

    /// A new database on the test PostgreSQL server (`TICKETD_TEST_POSTGRES`), made as
    /// ADMIN.md says; `None` (the test says SKIPPED) without one.
    fn scratch_database(test: &str) -> Option<String> {
        let Some(server) = std::env::var("TICKETD_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) else {
            eprintln!("{test}: SKIPPED (no TICKETD_TEST_POSTGRES; tests/tools/postgres-suite sets it)");
            return None;
        };
        let name = format!("ticketd_unit_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect");
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .expect("create a database");
        Some(format!("{server} dbname={name}"))
    }

    /// Tables with their columns (name, type, NOT NULL), indexes and triggers, in words
    /// both backends share: what the drift test compares.
    fn sqlite_shape() -> Vec<String> {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::upgrade(&mut conn).unwrap();
        let conn = Conn::Sqlite(&conn);
        let mut shape = Vec::new();
        let tables: Vec<String> = sql::all(
            conn,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
               AND name NOT LIKE 'transaction_text%' ORDER BY name",
            [],
            |r| r.get(0),
        )
        .unwrap();
        for table in tables {
            shape.push(format!("table {table}"));
            let columns = sql::all(
                conn,
                "SELECT name, type, \"notnull\" + pk FROM pragma_table_info(?1) ORDER BY cid",
                [&table],
                |r| {
                    let kind = match r.get::<String>(1)?.as_str() {
                        "INTEGER" => "integer",
                        "BLOB" => "bytes",
                        _ => "text",
                    };
                    Ok(format!(
                        "  {} {kind} required={}",
                        r.get::<String>(0)?,
                        r.get::<i64>(2)? > 0
                    ))
                },
            )
            .unwrap();
            shape.extend(columns);
        }
        let named = |kind: &str| {
            sql::all(
                conn,
                "SELECT name FROM sqlite_master WHERE type = ?1 AND sql IS NOT NULL \
                   AND name NOT LIKE 'transactions_text_%' ORDER BY name",
                [kind],
                |r| Ok(format!("{kind} {}", r.get::<String>(0)?)),
            )
            .unwrap()
        };
        shape.extend(named("index"));
        shape.extend(named("trigger"));
        shape
    }

    fn postgres_shape(conn: Conn<'_>) -> Vec<String> {
        let mut shape = Vec::new();
        let tables: Vec<String> = sql::all(
            conn,
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name <> 'schema_version' ORDER BY 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
        for table in tables {
            shape.push(format!("table {table}"));
            let columns = sql::all(
                conn,
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), CAST(is_nullable AS TEXT) \
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?1 \
                   AND NOT (table_name = 'transactions' AND column_name = 'content_words') \
                   AND NOT (table_name = 'autoreply_log' AND column_name = 'rowid') \
                 ORDER BY ordinal_position",
                [&table],
                |r| {
                    let kind = match r.get::<String>(1)?.as_str() {
                        "bigint" => "integer",
                        "bytea" => "bytes",
                        _ => "text",
                    };
                    Ok(format!(
                        "  {} {kind} required={}",
                        r.get::<String>(0)?,
                        r.get::<String>(2)? == "NO"
                    ))
                },
            )
            .unwrap();
            shape.extend(columns);
        }
        shape.extend(
            sql::all(
                conn,
                "SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' \
                   AND indexname NOT IN (SELECT conname FROM pg_constraint) \
                   AND indexname <> 'transactions_text' ORDER BY indexname",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        );
        shape.extend(
            sql::all(
                conn,
                "SELECT DISTINCT 'trigger ' || CAST(trigger_name AS TEXT) FROM information_schema.triggers \
                 ORDER BY 1",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        );
        shape
    }

    #[test]
    fn the_postgres_schema_has_the_tables_columns_indexes_and_triggers_of_the_sqlite_one() {
        let Some(url) = scratch_database("schema drift") else {
            return;
        };
        let session = connect(&url).unwrap();
        upgrade(&session).unwrap();
        // a second daemon starting on it finds the schema made and changes nothing
        upgrade(&session).unwrap();
        let postgres = postgres_shape(Conn::Postgres(&session));
        let sqlite = sqlite_shape();
        let only = |a: &[String], b: &[String]| a.iter().filter(|l| !b.contains(l)).cloned().collect::<Vec<_>>();
        assert!(
            postgres == sqlite,
            "only in SQLite: {:#?}\nonly in PostgreSQL: {:#?}",
            only(&sqlite, &postgres),
            only(&postgres, &sqlite)
        );
    }

    #[test]
    fn a_database_sorting_text_by_language_is_refused() {
        let Some(server) = std::env::var("TICKETD_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) else {
            eprintln!("collation check: SKIPPED (no TICKETD_TEST_POSTGRES)");
            return;
        };
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        let name = format!("ticketd_unit_en_{}", uuid::Uuid::new_v4().simple());
        let created = admin.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'C.UTF-8'"
        ));
        if created.is_err() {
            eprintln!("collation check: SKIPPED (the server has no en_US.UTF-8 locale)");
            return;
        }
        let session = connect(&format!("{server} dbname={name}")).unwrap();
        let refused = upgrade(&session).unwrap_err().to_string();
        assert!(refused.contains("--locale=C.UTF-8"), "{refused}");
    }

    #[test]
    fn a_url_is_described_without_its_password() {
        let text = describe("postgres://ticketd:s3cret@db.example:5433/tickets");
        assert_eq!(text, "PostgreSQL database tickets on db.example:5433");
        assert!(check_url("mysql://x").is_err());
    }
}
