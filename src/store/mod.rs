//! Storage: the only module that speaks SQL, to SQLite (rusqlite) or PostgreSQL.
//!
//! One [`Store`] is a daemon's single writer; it lives on the daemon's writer thread and
//! hands out [`WriteTx`] transactions (`BEGIN IMMEDIATE` … `COMMIT` on SQLite, `BEGIN` …
//! `COMMIT` on PostgreSQL) in which many requests are applied together (group commit).
//! Readers use a [`ReadPool`] of separate connections. On SQLite, WAL mode lets them read
//! while the writer writes, and every connection runs with `synchronous=FULL`: a COMMIT
//! has reached the disk when it returns, which is what lets mailgate tell the MTA the
//! message is safe. PostgreSQL's COMMIT gives the same promise (`synchronous_commit`), and
//! several daemons may write at once: what must happen once is claimed in SQL
//! (ARCHITECTURE.md, "Guarantees in SQL").
//!
//! Read queries are methods of [`Db`], available inside a write transaction too (a
//! `WriteTx` derefs to `Db`); changes are methods of [`WriteTx`]. Each method is written
//! once, on [`sql`]'s functions, for both backends.

mod alerts;
mod blobs;
mod compile;
mod custom_fields;
mod feeds;
mod groups;
mod idempotency;
mod jobs;
mod limits;
mod links;
mod mail;
pub mod migrate;
mod outbox;
mod postgres;
mod queues;
mod rights;
mod schema;
mod search;
mod sessions;
mod shred;
pub mod sql;
mod tickets;
mod tokens;
mod users;

pub use alerts::{AlertKey, AlertSeen};
pub use blobs::BLOB_CHUNK_BYTES;
pub use compile::{CompiledQuery, SeenBy, compile_query};
pub use feeds::FeedRow;
pub use idempotency::{IDEMPOTENCY_KEPT, KeptAnswer};
pub use jobs::{ExchangeEntry, SlotClaim, Touches};
pub use mail::{ALSO_ADDRESSED_TO, RawBytes, Seen, StoredFile};
pub use outbox::{NewOutgoing, Outgoing, Webhook};
pub use postgres::{check_url as check_database_url, describe as describe_database_url};
pub use queues::{QueueField, QueueRow};
pub use sessions::{LoginRow, SessionRow};
pub use tickets::{
    AttachmentContent, DateField, NewTicket, NewTransaction, PriorityField, TicketRow, TimeField, TransactionPlace,
};
pub use tokens::TokenState;
pub use users::UserChange;

use std::cell::Cell;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::ticket::Timestamp;
pub use sql::Dialect;
use sql::{Conn, PgSession};

/// Compiled statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// The file name of the database inside `data_dir`.
pub const DATABASE_FILE: &str = "ticketd.sqlite3";

/// Idle read connections kept for the next read.
const IDLE_READERS: usize = 8;

/// Where the database is: the config's `database.url`, else the SQLite file in
/// `server.data_dir`.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The SQLite file `ticketd.sqlite3` in this directory: one daemon.
    Sqlite(PathBuf),
    /// A PostgreSQL URL: any number of daemons.
    Postgres(String),
}

impl Location {
    /// Where `config` says the database is.
    pub fn of(config: &crate::config::Config) -> Location {
        match &config.database.url {
            Some(url) => Location::Postgres(url.0.clone()),
            None => Location::Sqlite(config.server.data_dir.clone()),
        }
    }

    /// For messages and the log (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(dir) => dir.join(DATABASE_FILE).display().to_string(),
            Location::Postgres(url) => postgres::describe(url),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// An open connection, either backend's.
enum Backend {
    Sqlite(Connection),
    Postgres(Box<PgSession>),
}

impl Backend {
    fn conn(&self) -> Conn<'_> {
        match self {
            Backend::Sqlite(c) => Conn::Sqlite(c),
            Backend::Postgres(s) => Conn::Postgres(s),
        }
    }
}

/// A connection of its own to a database, outside any store: for tools and tests that
/// read it as it is (SQLite's file read-only). Statements go through [`sql`].
pub struct Reader(Backend);

impl Reader {
    /// Connects to the database at `location`, which must exist.
    pub fn open(location: &Location) -> Result<Reader> {
        Ok(Reader(match location {
            Location::Sqlite(dir) => Backend::Sqlite(Connection::open_with_flags(
                dir.join(DATABASE_FILE),
                OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?),
            Location::Postgres(url) => Backend::Postgres(Box::new(postgres::connect(url)?)),
        }))
    }

    /// The connection, for [`sql`]'s functions.
    pub fn conn(&self) -> Conn<'_> {
        self.0.conn()
    }
}

/// The writer's connection.
pub struct Store {
    backend: Backend,
    location: Location,
}

/// Read access: every query. Borrowed from a connection for the length of one call.
#[derive(Clone, Copy)]
pub struct Db<'c> {
    conn: Conn<'c>,
}

/// A write transaction. Dropped without [`commit`](WriteTx::commit), it rolls back.
pub struct WriteTx<'c> {
    db: Db<'c>,
    finished: Cell<bool>,
    savepoints: Cell<u32>,
    queued_mail: Cell<bool>,
    /// PostgreSQL never ends a transaction by itself while its connection lives; this
    /// says whether the test hook [`WriteTx::lose`] ended it.
    lost: Cell<bool>,
}

/// Connections for readers, reused between calls.
pub struct ReadPool {
    location: Location,
    idle: Mutex<Vec<Backend>>,
    time_limit: Duration,
}

/// A database error in the library's terms. SQLite's own text is kept for the log
/// (in `Internal`, which the API never shows) but not put into a `Temporary`, whose text
/// clients see: they get what happened and what to do, in ticketd's words.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode::{CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, OutOfMemory, SystemIoFailure};
        let temporary = match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => "the database is busy; try again shortly",
            Some(DiskFull) => "the disk of ticketd's database is full; try again once the admin has made room",
            Some(SystemIoFailure | CannotOpen) => "ticketd cannot read or write its database; try again later",
            Some(OutOfMemory) => "ticketd is out of memory; try again later",
            _ => return Error::Internal(format!("database: {e}")),
        };
        tracing::warn!(error = %e, "database unavailable");
        Error::Temporary(temporary.into())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // every statement of the hot path stays compiled (rusqlite keeps 16 by default)
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // savepoints need a statement journal; a file for it per batch costs more than the
    // write itself, and it is useless after a crash anyway
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `data_dir` and brings its schema
    /// up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_at(&Location::Sqlite(data_dir.to_path_buf()))
    }

    /// Opens (creating if needed) the database at `location` and brings its schema up to
    /// date.
    pub fn open_at(location: &Location) -> Result<Store> {
        let backend = match location {
            Location::Sqlite(data_dir) => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    Error::Temporary(format!("cannot create data directory {}: {e}", data_dir.display()))
                })?;
                migrate::refuse_if_moved(data_dir)?;
                let mut conn = Connection::open(data_dir.join(DATABASE_FILE))?;
                configure(&conn)?;
                schema::upgrade(&mut conn)?;
                Backend::Sqlite(conn)
            }
            Location::Postgres(url) => {
                let session = postgres::connect(url)?;
                postgres::upgrade(&session)?;
                Backend::Postgres(Box::new(session))
            }
        };
        Ok(Store {
            backend,
            location: location.clone(),
        })
    }

    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Whether this daemon is the database's only one (SQLite): then claims on record
    /// at start are its own, left from before it stopped.
    pub fn single_daemon(&self) -> bool {
        matches!(self.location, Location::Sqlite(_))
    }
}

/// Writes a consistent copy of the SQLite database at `location` to `target` while
/// ticketd keeps running (SQLite's `VACUUM INTO`: one read transaction on its own
/// connection, so writers go on; the copy is compact and needs no WAL beside it).
/// `target` must not exist yet. PostgreSQL has its own tools for this.
pub fn backup(location: &Location, target: &Path) -> Result<u64> {
    let Location::Sqlite(data_dir) = location else {
        return Err(Error::Invalid(
            "the database is PostgreSQL: back it up with pg_dump or PostgreSQL's own replication \
             (docs/ADMIN.md, \"Back up\")"
                .into(),
        ));
    };
    let database = data_dir.join(DATABASE_FILE);
    if target.exists() {
        return Err(Error::Conflict(format!(
            "{} exists already; a backup never overwrites a file",
            target.display()
        )));
    }
    let conn = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let text = target
        .to_str()
        .ok_or_else(|| Error::Invalid(format!("{} is not a UTF-8 path", target.display())))?;
    conn.execute("VACUUM INTO ?1", [text])
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::CannotOpen) => Error::Invalid(format!("cannot write {}: {e}", target.display())),
            _ => e.into(),
        })?;
    std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| Error::Temporary(format!("the backup {} cannot be read back: {e}", target.display())))
}

impl Store {
    /// Merges the full-text index's segments and refreshes the planner's statistics:
    /// worth running after a bulk load (the search benchmark does).
    pub fn optimize(&mut self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                conn.execute_batch("INSERT INTO transaction_text (transaction_text) VALUES ('optimize'); ANALYZE;")?
            }
            Backend::Postgres(_) => sql::batch(self.backend.conn(), "VACUUM ANALYZE")?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite `IMMEDIATE` takes the write lock now, so
    /// nothing inside the transaction can fail later for want of it; PostgreSQL's rows
    /// are locked as they are written (READ COMMITTED).
    pub fn begin(&mut self) -> Result<WriteTx<'_>> {
        let conn = self.backend.conn();
        let begin = match conn {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        };
        sql::execute(conn, begin, [])?;
        Ok(WriteTx {
            db: Db { conn },
            finished: Cell::new(false),
            savepoints: Cell::new(0),
            queued_mail: Cell::new(false),
            lost: Cell::new(false),
        })
    }

    /// Rolls back a transaction left open (after a panic, or a COMMIT that failed and
    /// left it open): the next [`begin`](Store::begin) must start clean. Nothing to do
    /// when the database has rolled it back already, or it was committed.
    pub fn roll_back_if_open(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) if !conn.is_autocommit() => conn.execute_batch("ROLLBACK")?,
            Backend::Sqlite(_) => {}
            // a failed COMMIT ends PostgreSQL's transaction, and a transaction dropped
            // (after a panic too) rolled itself back
            Backend::Postgres(_) => {}
        }
        Ok(())
    }

    /// Read access on the writer's own connection (start-up checks).
    pub fn db(&self) -> Db<'_> {
        Db {
            conn: self.backend.conn(),
        }
    }

    /// A pool of read connections to the same database; each read is stopped once it
    /// has run for `time_limit`.
    pub fn read_pool(&self, time_limit: Duration) -> ReadPool {
        ReadPool {
            location: self.location.clone(),
            idle: Mutex::new(Vec::new()),
            time_limit,
        }
    }
}

impl<'c> Db<'c> {
    /// The connection, for [`sql`]'s functions.
    pub(crate) fn sql(&self) -> Conn<'c> {
        self.conn
    }

    /// The SQL the database speaks (for compiling a search).
    pub fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }
}

impl<'c> WriteTx<'c> {
    /// Makes everything done in the transaction durable.
    /// If COMMIT fails the transaction is rolled back (on drop, unless the database did so
    /// already) and nothing is kept.
    pub fn commit(self) -> Result<()> {
        if let Conn::Postgres(_) = self.db.conn {
            // COMMIT of a transaction a failed statement aborted answers "ROLLBACK", not
            // an error: ask first, so that a lost batch is never reported as kept
            sql::one(self.db.conn, "SELECT 1", [], |_| Ok(()))?;
        }
        sql::execute(self.db.conn, "COMMIT", [])?;
        self.finished.set(true);
        Ok(())
    }

    /// Runs `f` inside a savepoint: if it fails, only its own changes are undone and the
    /// transaction goes on. This is how one bad message in a batch leaves the others alone.
    pub fn savepoint<T>(&self, f: impl FnOnce(&WriteTx<'c>) -> Result<T>) -> Result<T> {
        self.in_savepoint(f, true)
    }

    /// Runs `f` inside a savepoint that is always undone, and returns what it returned:
    /// for what-if questions such as `tkt rules test`.
    pub fn dry_run<T>(&self, f: impl FnOnce(&WriteTx<'c>) -> Result<T>) -> Result<T> {
        self.in_savepoint(f, false)
    }

    fn in_savepoint<T>(&self, f: impl FnOnce(&WriteTx<'c>) -> Result<T>, keep: bool) -> Result<T> {
        let depth = self.savepoints.get();
        let name = format!("sp{depth}");
        sql::execute(self.db.conn, &format!("SAVEPOINT {name}"), [])?;
        self.savepoints.set(depth + 1);
        // a panic (a bug) must not leave the savepoint open: undo it and report it
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))).unwrap_or_else(|panic| {
            Err(Error::Internal(format!(
                "bug: {}",
                crate::error::panic_message(&*panic)
            )))
        });
        self.savepoints.set(depth);
        if !self.is_open() {
            // the database rolled the whole transaction back (SQLite after a full disk or
            // an I/O error, PostgreSQL with its connection), and the savepoint with it:
            // nothing of it is left, and the caller must not go on as if it were (a
            // fallback written now would commit on its own)
            let cause = result.err().map_or("".to_string(), |e| format!(": {e}"));
            return Err(Error::Temporary(format!(
                "the database rolled the transaction back{cause}"
            )));
        }
        if !keep || result.is_err() {
            sql::execute(self.db.conn, &format!("ROLLBACK TO {name}"), [])?;
        }
        sql::execute(self.db.conn, &format!("RELEASE {name}"), [])?;
        result
    }

    /// Whether the transaction is still open. SQLite rolls a whole transaction back by
    /// itself after some errors (a full disk, an I/O error), PostgreSQL when the
    /// connection is lost: then every change made in it so far is gone, and anything run
    /// afterwards would commit on its own.
    pub fn is_open(&self) -> bool {
        match self.db.conn {
            Conn::Sqlite(conn) => !conn.is_autocommit(),
            Conn::Postgres(session) => !self.lost.get() && !session.client().is_closed(),
        }
    }

    /// Makes this transaction's COMMIT fail, as a full disk or a broken constraint would:
    /// a constraint checked only at COMMIT. For the test hook that proves a failed commit
    /// reports no change as done (`server::faults`); never built into a release.
    #[cfg(debug_assertions)]
    pub(crate) fn break_commit(&self) -> Result<()> {
        let broken = match self.db.conn {
            Conn::Sqlite(_) => {
                "PRAGMA defer_foreign_keys = ON; \
                 INSERT INTO api_tokens (user_id, token_hash, created) VALUES (-1, hex(randomblob(16)), '')"
            }
            Conn::Postgres(_) => {
                "CREATE TEMPORARY TABLE commit_breaker (n INTEGER UNIQUE DEFERRABLE INITIALLY DEFERRED) \
                   ON COMMIT DROP; \
                 INSERT INTO commit_breaker VALUES (1), (1)"
            }
        };
        sql::batch(self.db.conn, broken)
    }

    /// Rolls the whole transaction back under its user's feet, as SQLite does by itself
    /// after a full disk or an I/O error. For the test hook that proves the writer then
    /// reports nothing of the batch as done (`server::faults`); never in a release.
    #[cfg(debug_assertions)]
    pub(crate) fn lose(&self) -> Result<()> {
        sql::batch(self.db.conn, "ROLLBACK")?;
        self.lost.set(true);
        Ok(())
    }

    /// Whether the transaction put mail into the outbox: the sender has work once it
    /// commits. (Counts even if a savepoint that queued it was undone; a spare wake-up is
    /// harmless.)
    pub fn queued_mail(&self) -> bool {
        self.queued_mail.get()
    }
}

impl<'c> Deref for WriteTx<'c> {
    type Target = Db<'c>;
    fn deref(&self) -> &Db<'c> {
        &self.db
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if !self.finished.get()
            && self.is_open()
            && let Err(e) = sql::batch(self.db.conn, "ROLLBACK")
        {
            tracing::error!(error = %e, "rollback failed");
        }
    }
}

impl ReadPool {
    /// Runs `f` on a read connection inside one read transaction, so that everything it
    /// reads is one consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| Error::Internal("read pool poisoned".into()))?
            .pop();
        let mut backend = match idle {
            Some(backend) => backend,
            None => self.connect()?,
        };
        let result = match &mut backend {
            Backend::Sqlite(conn) => self.read_sqlite(conn, f),
            Backend::Postgres(session) => self.read_postgres(session, f),
        };
        let healthy = match &backend {
            Backend::Sqlite(_) => true,
            Backend::Postgres(session) => !session.client().is_closed(),
        };
        if healthy
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_READERS
        {
            idle.push(backend);
        }
        result
    }

    /// Whether the database is the one daemon's (SQLite).
    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn single_daemon(&self) -> bool {
        matches!(self.location, Location::Sqlite(_))
    }

    fn connect(&self) -> Result<Backend> {
        Ok(match &self.location {
            Location::Sqlite(data_dir) => {
                let conn = Connection::open_with_flags(
                    data_dir.join(DATABASE_FILE),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Backend::Sqlite(conn)
            }
            Location::Postgres(url) => Backend::Postgres(Box::new(postgres::connect(url)?)),
        })
    }

    fn read_sqlite<T>(&self, conn: &mut Connection, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        sql::execute(Conn::Sqlite(conn), "BEGIN", [])?;
        let stopped = self.stop_after(conn)?;
        let result = f(Db {
            conn: Conn::Sqlite(conn),
        });
        conn.progress_handler(0, None::<fn() -> bool>)?;
        if result.is_err() && stopped.load(Ordering::Relaxed) {
            sql::execute(Conn::Sqlite(conn), "ROLLBACK", [])?;
            return Err(self.too_long());
        }
        sql::execute(Conn::Sqlite(conn), "COMMIT", [])?;
        result
    }

    /// PostgreSQL stops a statement itself after `statement_timeout` (SQLSTATE 57014).
    fn read_postgres<T>(&self, session: &PgSession, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        let conn = Conn::Postgres(session);
        sql::batch(
            conn,
            &format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = {}",
                self.time_limit.as_millis()
            ),
        )?;
        let result = f(Db { conn });
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sql::batch(conn, end)?;
        match result {
            Err(Error::Internal(text)) if text.contains(sql::QUERY_CANCELED) => Err(self.too_long()),
            other => other,
        }
    }

    fn too_long(&self) -> Error {
        Error::Invalid(format!(
            "the search took longer than {} s and was stopped; narrow it (a queue, a status, \
             a date range, fewer words)",
            self.time_limit.as_secs()
        ))
    }
}

impl ReadPool {
    /// Has SQLite stop whatever `conn` runs once the pool's time limit has passed (checked
    /// every few thousand steps of its virtual machine); the flag says whether it did.
    fn stop_after(&self, conn: &mut Connection) -> Result<Arc<AtomicBool>> {
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = stopped.clone();
        let deadline = Instant::now() + self.time_limit;
        conn.progress_handler(
            10_000,
            Some(move || {
                let late = Instant::now() >= deadline;
                if late {
                    flag.store(true, Ordering::Relaxed);
                }
                late
            }),
        )?;
        Ok(stopped)
    }
}

/// A timestamp as stored: RFC 3339, UTC, seconds.
pub(crate) fn ts(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads a stored timestamp.
pub(crate) fn parse_ts(text: &str) -> Result<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| Error::Internal(format!("bad timestamp `{text}` in the database: {e}")))
}

fn parse_opt_ts(text: Option<String>) -> Result<Option<Timestamp>> {
    text.as_deref().map(parse_ts).transpose()
}
