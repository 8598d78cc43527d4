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
mod custom_fields;
mod groups;
mod jobs;
mod limits;
mod links;
mod mail;
mod outbox;
mod queues;
mod rights;
mod schema;
mod search;
mod shred;
mod tickets;
mod tokens;
mod users;

pub use alerts::{AlertKey, AlertSeen};
pub use groups::GroupInfo;
pub use jobs::{ExchangeEntry, JobRun, Touches};
pub use mail::{QuarantineEntry, Seen};
pub use outbox::{NewOutgoing, Outgoing, Webhook};
pub use queues::{QueueField, QueueRow};
pub use search::{CompiledQuery, ContentHit, SavedSearch, SeenBy, compile_query};
pub use shred::ShredCount;
pub use tickets::{DateField, NewTicket, NewTransaction, PriorityField, TicketRow, TimeField};
pub use tokens::{TokenInfo, TokenState};
pub use users::UserChange;

use std::cell::Cell;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

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
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode::{CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, OutOfMemory, SystemIoFailure};
        match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked | DiskFull | SystemIoFailure | CannotOpen | OutOfMemory) => {
                Error::Temporary(format!("database: {e}"))
            }
            _ => Error::Internal(format!("database: {e}")),
        }
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

    /// Read access on the writer's own connection (start-up checks).
    pub fn db(&self) -> Db<'_> {
        Db { conn: &self.conn }
    }

    /// A pool of read connections to the same database.
    pub fn read_pool(&self) -> ReadPool {
        ReadPool {
            path: self.path.clone(),
            idle: Mutex::new(Vec::new()),
        }
    }
}

impl<'c> WriteTx<'c> {
    /// Makes everything done in the transaction durable.
    /// If COMMIT fails the transaction is rolled back (on drop) and nothing is kept.
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
        if !keep || result.is_err() {
            cached_execute(self.db.conn, &format!("ROLLBACK TO {name}"), [])?;
        }
        cached_execute(self.db.conn, &format!("RELEASE {name}"), [])?;
        result
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
        let conn = match conn {
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
        let result = f(Db { conn: &conn });
        cached_execute(&conn, "COMMIT", [])?;
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < 8
        {
            idle.push(conn);
        }
        result
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
