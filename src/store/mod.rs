//! Storage: the only module that speaks SQL (SQLite through rusqlite).
//!
//! One [`Store`] is the single writer; it lives on the daemon's writer thread and hands
//! out [`WriteTx`] transactions (`BEGIN IMMEDIATE` … `COMMIT`) in which many requests are
//! applied together (group commit). Readers use a [`ReadPool`] of separate connections;
//! WAL mode lets them read while the writer writes. Every connection runs with
//! `synchronous=FULL`: a COMMIT has reached the disk when it returns, which is what lets
//! mailgate tell the MTA the message is safe.
//!
//! Read queries are methods of [`Db`], available inside a write transaction too (a
//! `WriteTx` derefs to `Db`); changes are methods of [`WriteTx`]. A PostgreSQL backend will
//! be a second implementation of these same methods.

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
mod outbox;
mod postgres;
mod queues;
mod rights;
mod schema;
mod search;
mod sessions;
mod shred;
// the PostgreSQL half is wired in as the store methods move onto it
#[allow(dead_code)]
pub(crate) mod sql;
mod tickets;
mod tokens;
mod users;

pub use alerts::{AlertKey, AlertSeen};
pub use blobs::BLOB_CHUNK_BYTES;
pub use compile::{CompiledQuery, SeenBy, compile_query};
pub use feeds::FeedRow;
pub use idempotency::{IDEMPOTENCY_KEPT, KeptAnswer};
pub use jobs::{ExchangeEntry, Touches};
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

/// Compiled statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// The file name of the database inside `data_dir`.
pub const DATABASE_FILE: &str = "ticketd.sqlite3";

/// The writer's connection.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Read access: every query. Borrowed from a connection for the length of one call.
#[derive(Clone, Copy)]
pub struct Db<'c> {
    conn: &'c Connection,
}

/// A write transaction. Dropped without [`commit`](WriteTx::commit), it rolls back.
pub struct WriteTx<'c> {
    db: Db<'c>,
    finished: Cell<bool>,
    savepoints: Cell<u32>,
    queued_mail: Cell<bool>,
}

/// Connections for readers, reused between calls.
pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
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
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to
    /// date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::Temporary(format!("cannot create data directory {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        schema::upgrade(&mut conn)?;
        Ok(Store { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes a consistent copy of the database at `database` to `target` while ticketd keeps
/// running (SQLite's `VACUUM INTO`: one read transaction on its own connection, so
/// writers go on; the copy is compact and needs no WAL beside it). `target` must not
/// exist yet.
pub fn backup(database: &Path, target: &Path) -> Result<u64> {
    if target.exists() {
        return Err(Error::Conflict(format!(
            "{} exists already; a backup never overwrites a file",
            target.display()
        )));
    }
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
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
        self.conn
            .execute_batch("INSERT INTO transaction_text (transaction_text) VALUES ('optimize'); ANALYZE;")?;
        Ok(())
    }

    /// Starts a write transaction. `IMMEDIATE` takes the write lock now, so nothing inside
    /// the transaction can fail later for want of it.
    pub fn begin(&mut self) -> Result<WriteTx<'_>> {
        cached_execute(&self.conn, "BEGIN IMMEDIATE", [])?;
        Ok(WriteTx {
            db: Db { conn: &self.conn },
            finished: Cell::new(false),
            savepoints: Cell::new(0),
            queued_mail: Cell::new(false),
        })
    }

    /// Rolls back a transaction left open (after a panic, or a COMMIT that failed and
    /// left it open): the next [`begin`](Store::begin) must start clean. Nothing to do
    /// when SQLite has rolled it back already, or it was committed.
    pub fn roll_back_if_open(&self) -> Result<()> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Read access on the writer's own connection (start-up checks).
    pub fn db(&self) -> Db<'_> {
        Db { conn: &self.conn }
    }

    /// A pool of read connections to the same database; each read is stopped once it
    /// has run for `time_limit`.
    pub fn read_pool(&self, time_limit: Duration) -> ReadPool {
        ReadPool {
            path: self.path.clone(),
            idle: Mutex::new(Vec::new()),
            time_limit,
        }
    }
}

impl<'c> Db<'c> {
    /// The connection, for [`sql`]'s functions.
    pub(crate) fn sql(&self) -> sql::Conn<'c> {
        sql::Conn::Sqlite(self.conn)
    }
}

impl<'c> WriteTx<'c> {
    /// Makes everything done in the transaction durable.
    /// If COMMIT fails the transaction is rolled back (on drop, unless SQLite did so
    /// already) and nothing is kept.
    pub fn commit(self) -> Result<()> {
        cached_execute(self.db.conn, "COMMIT", [])?;
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
        cached_execute(self.db.conn, &format!("SAVEPOINT {name}"), [])?;
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
            // SQLite rolled the whole transaction back (a full disk, an I/O error), and
            // the savepoint with it: nothing of it is left, and the caller must not go on
            // as if it were (a fallback written now would commit on its own)
            let cause = result.err().map_or("".to_string(), |e| format!(": {e}"));
            return Err(Error::Temporary(format!(
                "the database rolled the transaction back{cause}"
            )));
        }
        if !keep || result.is_err() {
            cached_execute(self.db.conn, &format!("ROLLBACK TO {name}"), [])?;
        }
        cached_execute(self.db.conn, &format!("RELEASE {name}"), [])?;
        result
    }

    /// Whether the transaction is still open. SQLite rolls a whole transaction back by
    /// itself after some errors (a full disk, an I/O error): then every change made in it
    /// so far is gone, and anything run afterwards would commit on its own.
    pub fn is_open(&self) -> bool {
        !self.db.conn.is_autocommit()
    }

    /// Makes this transaction's COMMIT fail, as a full disk or a broken constraint would:
    /// a reference to nothing, checked only at COMMIT (`defer_foreign_keys`). For the
    /// test hook that proves a failed commit reports no change as done
    /// (`server::faults`); never built into a release.
    #[cfg(debug_assertions)]
    pub(crate) fn break_commit(&self) -> Result<()> {
        self.conn().execute_batch(
            "PRAGMA defer_foreign_keys = ON; \
             INSERT INTO api_tokens (user_id, token_hash, created) VALUES (-1, hex(randomblob(16)), '')",
        )?;
        Ok(())
    }

    /// Rolls the whole transaction back under its user's feet, as SQLite does by itself
    /// after a full disk or an I/O error. For the test hook that proves the writer then
    /// reports nothing of the batch as done (`server::faults`); never in a release.
    #[cfg(debug_assertions)]
    pub(crate) fn lose(&self) -> Result<()> {
        self.conn().execute_batch("ROLLBACK")?;
        Ok(())
    }

    /// Whether the transaction put mail into the outbox: the sender has work once it
    /// commits. (Counts even if a savepoint that queued it was undone; a spare wake-up is
    /// harmless.)
    pub fn queued_mail(&self) -> bool {
        self.queued_mail.get()
    }

    fn conn(&self) -> &'c Connection {
        self.db.conn
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
            && let Err(e) = self.db.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rollback failed");
        }
    }
}

impl ReadPool {
    /// Runs `f` on a read connection inside one read transaction, so that everything it
    /// reads is one consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(Db<'_>) -> Result<T>) -> Result<T> {
        let conn = self
            .idle
            .lock()
            .map_err(|_| Error::Internal("read pool poisoned".into()))?
            .pop();
        let mut conn = match conn {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                conn
            }
        };
        cached_execute(&conn, "BEGIN", [])?;
        let stopped = self.stop_after(&mut conn)?;
        let result = f(Db { conn: &conn });
        conn.progress_handler(0, None::<fn() -> bool>)?;
        if result.is_err() && stopped.load(Ordering::Relaxed) {
            cached_execute(&conn, "ROLLBACK", [])?;
            return Err(Error::Invalid(format!(
                "the search took longer than {} s and was stopped; narrow it (a queue, a status, \
                 a date range, fewer words)",
                self.time_limit.as_secs()
            )));
        }
        cached_execute(&conn, "COMMIT", [])?;
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < 8
        {
            idle.push(conn);
        }
        result
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

/// `execute` through the connection's statement cache: the same SQL is compiled once.
fn cached_execute(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// `query_row` through the connection's statement cache.
fn cached_row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
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
