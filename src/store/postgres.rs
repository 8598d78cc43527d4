//! PostgreSQL: connecting, the schema, and what only PostgreSQL does.
//!
//! The store's methods are the same on both backends (see [`super::sql`]); this module
//! holds what differs in kind: a connection from a URL, the schema (`schema_postgres.sql`,
//! created once under an advisory lock however many daemons start together), and the
//! settings each connection runs with.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;

use super::sql::{self, Conn, PgSession};
use crate::error::{Error, Result};

/// The whole current schema in PostgreSQL's words.
pub const SCHEMA: &str = include_str!("schema_postgres.sql");

/// The advisory lock held while the schema is created or migrated ("ticketd" in ASCII).
const SCHEMA_LOCK: i64 = 0x0074_6963_6b65_7464;

/// `MIGRATIONS[i]` takes a PostgreSQL database from version `FIRST + i` to `FIRST + i + 1`,
/// where `FIRST` is 8, the first version on PostgreSQL (`schema_postgres_v8.sql`, frozen:
/// the drift test migrates a database made from it).
const MIGRATIONS: &[&str] = &[
    // 8 → 9: searches over a million tickets (docs/BENCHMARKS.md). The planner takes
    // json_ids for 10 rows, not 1000; the indexes of tickets carry id, as SQLite's carry
    // the rowid, so that a search reads its ids from the index alone; a transaction names
    // the ticket its ticket was merged into (as on SQLite). Rebuilding the indexes takes a
    // while on a large installation (docs/ADMIN.md).
    "ALTER FUNCTION json_ids(TEXT) ROWS 10; \
     ALTER TABLE transactions ADD COLUMN merged_into BIGINT REFERENCES tickets(id); \
     UPDATE transactions SET merged_into = (SELECT t.effective_id FROM tickets t WHERE t.id = transactions.ticket_id) \
       WHERE ticket_id IN (SELECT id FROM tickets WHERE id <> effective_id); \
     DROP INDEX tickets_by_queue_status; \
     CREATE INDEX tickets_by_queue_status ON tickets (queue_id, status, priority, effective_id) INCLUDE (id); \
     DROP INDEX tickets_by_owner_status; \
     CREATE INDEX tickets_by_owner_status ON tickets (owner_id, status, created, queue_id, effective_id) INCLUDE (id); \
     DROP INDEX tickets_by_effective_id; \
     CREATE INDEX tickets_by_effective_id ON tickets (effective_id) INCLUDE (id); \
     DROP INDEX tickets_by_created; \
     CREATE INDEX tickets_by_created ON tickets (created) INCLUDE (id); \
     DROP INDEX tickets_by_updated; \
     CREATE INDEX tickets_by_updated ON tickets (updated) INCLUDE (id);",
    // 9 → 10: an index for a queue's tickets by last update (schema_postgres.sql says why)
    "CREATE INDEX tickets_by_queue_updated ON tickets (queue_id, updated) INCLUDE (id, status, effective_id);",
];

/// Where a database URL points, without its password: for messages and the log.
pub fn describe(url: &str) -> String {
    match parse(url) {
        Ok((config, tls)) => {
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
            let over = if tls == Tls::Plain { "" } else { " over TLS" };
            format!("PostgreSQL database {db} on {host}:{port}{over}")
        }
        Err(_) => "a PostgreSQL database (the URL does not parse)".into(),
    }
}

/// Checks a database URL without connecting: for the config check.
pub fn check_url(url: &str) -> Result<()> {
    parse(url).map(drop)
}

/// How a connection is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tls {
    /// In the clear: a Unix socket, or a private network (`sslmode` other than `require`).
    Plain,
    /// TLS with the server's certificate checked, chain and name (libpq's `verify-full`),
    /// against the CAs in `sslrootcert`, else the system's.
    Verified { roots: Option<PathBuf> },
}

/// A database URL read: the `postgres` crate's settings and the TLS to use. libpq's
/// `sslrootcert` and `sslmode=verify-ca|verify-full`, which the crate does not know, are
/// taken out first, so a libpq URL an admin already has works as it is.
fn parse(url: &str) -> Result<(postgres::Config, Tls)> {
    static ROOT_CERT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?:(?:^|\s+)sslrootcert\s*=\s*('[^']*'|\S+))|(?:[?&]sslrootcert=([^&]*))")
            .expect("a valid pattern")
    });
    static VERIFY: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"sslmode(\s*)=(\s*)'?verify-(?:full|ca)'?").expect("a valid pattern"));
    let invalid = |e: &dyn std::fmt::Display| Error::Invalid(format!("database.url is not a PostgreSQL URL: {e}"));
    let roots = ROOT_CERT.captures(url).map(|c| match (c.get(1), c.get(2)) {
        (Some(keyword), _) => PathBuf::from(keyword.as_str().trim_matches('\'')),
        (_, Some(query)) => PathBuf::from(
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={}", query.as_str()))
                .ok()
                .and_then(|v| v.into_iter().next())
                .map_or_else(|| query.as_str().to_string(), |(_, v)| v),
        ),
        _ => PathBuf::new(),
    });
    let rest = ROOT_CERT.replace(url, |c: &regex::Captures<'_>| {
        // `?a=1&sslrootcert=x&b=2`: keep the separator of what follows
        if c.get(2).is_some() && c[0].starts_with('?') {
            "?".to_string()
        } else {
            String::new()
        }
    });
    let rest = rest.replace("?&", "?");
    let rest = VERIFY.replace(&rest, "sslmode${1}=${2}require");
    let config = postgres::Config::from_str(&rest).map_err(|e| invalid(&e))?;
    let tls = match config.get_ssl_mode() {
        postgres::config::SslMode::Require => Tls::Verified { roots },
        _ if roots.is_some() => {
            return Err(Error::Invalid(
                "database.url names an sslrootcert but not sslmode=verify-full (or require): \
                 ticketd would not use TLS"
                    .into(),
            ));
        }
        _ => Tls::Plain,
    };
    Ok((config, tls))
}

/// The rustls settings for a verified connection: the CAs in `roots`, else the system's.
fn tls_config(roots: Option<&Path>) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Some(file) => {
            let certs = CertificateDer::pem_file_iter(file)
                .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| Error::Invalid(format!("cannot read sslrootcert {}: {e}", file.display())))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Error::Invalid(format!(
                    "sslrootcert {} holds no CA certificate",
                    file.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "a system CA certificate cannot be read");
            }
            store.add_parsable_certificates(found.certs);
        }
    }
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(store).with_no_client_auth())
        .map_err(|e| Error::Internal(format!("TLS settings: {e}")))
}

/// Connects to the database at `url`.
pub(crate) fn connect(url: &str) -> Result<PgSession> {
    let (config, tls) = parse(url)?;
    let connected = match &tls {
        Tls::Plain => config.connect(postgres::NoTls),
        Tls::Verified { roots } => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(
            roots.as_deref(),
        )?)),
    };
    let client = connected.map_err(|e| {
        // the server's certificate refused, among others: rustls's reason is the cause
        let cause = std::error::Error::source(&e)
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        tracing::warn!(error = %e, cause = %cause, database = %describe(url), "cannot connect");
        Error::Temporary(format!("ticketd cannot connect to the {}: {e}{cause}", describe(url)))
    })?;
    let session = PgSession::new(client);
    // ticketd's statements are short, and run a great many times: compiling one with the
    // JIT (PostgreSQL's default once a plan looks costly) took far longer than running it
    sql::batch(Conn::Postgres(&session), "SET jit = off")?;
    Ok(session)
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

    #[test]
    fn libpq_tls_settings_are_read_in_either_form_of_url() {
        let verified = |roots: &str| Tls::Verified {
            roots: Some(PathBuf::from(roots)),
        };
        for (url, tls, db) in [
            ("host=db port=5432 dbname=t", Tls::Plain, "t"),
            ("host=db sslmode=require dbname=t", Tls::Verified { roots: None }, "t"),
            (
                "host=db sslmode=verify-full sslrootcert=/etc/ca.pem dbname=t",
                verified("/etc/ca.pem"),
                "t",
            ),
            (
                "sslrootcert = '/etc/ca.pem' host=db sslmode = 'verify-ca' dbname=t",
                verified("/etc/ca.pem"),
                "t",
            ),
            (
                "postgres://u:p@db/t?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
                verified("/etc/ca.pem"),
                "t",
            ),
            (
                "postgresql://u@db/t?sslrootcert=/etc/ca.pem&sslmode=verify-full",
                verified("/etc/ca.pem"),
                "t",
            ),
        ] {
            let (config, got) = parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(got, tls, "{url}");
            assert_eq!(config.get_dbname(), Some(db), "{url}");
        }
        let refused = parse("host=db sslrootcert=/etc/ca.pem dbname=t").unwrap_err();
        assert!(refused.to_string().contains("not sslmode=verify-full"), "{refused}");
        assert!(parse("host=db sslmode=bogus").is_err());
        assert!(describe("host=db sslmode=verify-full sslrootcert=/x dbname=t").ends_with("over TLS"));
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

    /// Fails unless both lists are equal, naming the lines only one of them has.
    fn assert_same((a_name, a): (&str, &[String]), (b_name, b): (&str, &[String])) {
        let only = |x: &[String], y: &[String]| x.iter().filter(|l| !y.contains(l)).cloned().collect::<Vec<_>>();
        assert!(
            a == b,
            "only {a_name}: {:#?}\nonly {b_name}: {:#?}",
            only(a, b),
            only(b, a)
        );
    }

    /// The schema version PostgreSQL records.
    fn schema_version(conn: Conn<'_>) -> i64 {
        sql::one(
            conn,
            "SELECT CAST(max(version) AS BIGINT) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .unwrap()
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
        assert_same(("in SQLite", &sqlite), ("in PostgreSQL", &postgres));
    }

    /// Everything the drift test between versions compares: the shape, every index's and
    /// trigger's definition, and the functions with their row estimates.
    fn postgres_definitions(conn: Conn<'_>) -> Vec<String> {
        let mut definitions = postgres_shape(conn);
        for query in [
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname",
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = 'public' AND p.prokind = 'f' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
             ORDER BY p.proname",
        ] {
            definitions.extend(sql::all(conn, query, [], |r| r.get::<String>(0)).unwrap());
        }
        definitions
    }

    #[test]
    fn a_version_8_database_migrates_to_what_schema_postgres_sql_makes() {
        let (Some(old_url), Some(new_url)) = (scratch_database("migration drift"), scratch_database("migration drift"))
        else {
            return;
        };
        let old = connect(&old_url).unwrap();
        let conn = Conn::Postgres(&old);
        in_transaction(conn, || sql::batch(conn, include_str!("schema_postgres_v8.sql"))).unwrap();
        assert_eq!(schema_version(conn), 8);
        upgrade(&old).unwrap();
        let new = connect(&new_url).unwrap();
        upgrade(&new).unwrap();
        let (migrated, made) = (postgres_definitions(conn), postgres_definitions(Conn::Postgres(&new)));
        assert_same(("when migrated", &migrated), ("when made new", &made));
        assert_eq!(schema_version(conn), i64::from(current_version()));
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
