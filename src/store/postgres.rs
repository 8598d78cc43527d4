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
        sql::batch(conn, "BEGIN")?;
        let created = sql::batch(conn, SCHEMA);
        match created {
            Ok(()) => sql::batch(conn, "COMMIT")?,
            Err(e) => {
                sql::batch(conn, "ROLLBACK")?;
                return Err(e);
            }
        }
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
        sql::batch(conn, "BEGIN")?;
        let step = sql::batch(conn, migration)
            .and_then(|()| sql::execute(conn, "UPDATE schema_version SET version = ?1", [target]).map(drop));
        match step {
            Ok(()) => sql::batch(conn, "COMMIT")?,
            Err(e) => {
                sql::batch(conn, "ROLLBACK")?;
                return Err(e);
            }
        }
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

    #[test]
    fn a_url_is_described_without_its_password() {
        let text = describe("postgres://ticketd:s3cret@db.example:5433/tickets");
        assert_eq!(text, "PostgreSQL database tickets on db.example:5433");
        assert!(check_url("mysql://x").is_err());
    }
}
