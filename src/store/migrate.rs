//! Moving an SQLite installation into a new PostgreSQL database (`tkt admin migrate`).
//!
//! Every table PostgreSQL's schema has is copied row for row, then read back from
//! PostgreSQL and compared, value for value, with SQLite's rows, all in one PostgreSQL
//! transaction: the target ends up holding either the whole copy, verified, or nothing.
//! The copy reads SQLite through the writer's own transaction, so it is one consistent
//! moment of the installation, and nothing is written while it runs.
//!
//! The tables are taken from PostgreSQL's catalog, not from a list here, so a table added
//! to both schemas is copied without anyone remembering to; a table only one side has is
//! an error before anything is copied. Rows go in the order of their primary key and
//! tables in the order of their foreign keys, so every reference finds its row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use postgres::fallible_iterator::FallibleIterator;

use super::Db;
use super::postgres::{connect, upgrade};
use super::sql::{self, Conn, PgSession, Row, Value, ValueRef};
use crate::error::{Error, Result};

/// Where in the copy it is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Copying,
    Verifying,
}

/// Called as rows go by: `done` of `total` rows in this phase, now in `table`.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub phase: Phase,
    pub table: &'a str,
    pub done: u64,
    pub total: u64,
}

/// A table as it was copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopied {
    pub name: String,
    pub rows: u64,
}

/// A table PostgreSQL keeps by itself, through triggers on another table: not copied
/// but rebuilt in one statement once that table is in, then checked against SQLite's.
#[derive(Debug)]
struct Derived {
    table: &'static str,
    /// The rows that count in the comparison (a count down to zero stays behind as a row).
    counted: &'static str,
    /// The table whose triggers keep it.
    kept_by: &'static str,
    rebuild: &'static str,
}

/// Kept row by row during the copy, `ticket_counts` would take one update of the same
/// few hundred rows per ticket in one transaction, each walking the row's versions made
/// earlier in that transaction: quadratic (80,000 tickets 12 s; a million, hours). The
/// triggers are off while the copy runs (in its transaction, so a failed copy leaves them
/// on) and the counts are made in one statement.
const DERIVED: &[Derived] = &[Derived {
    table: "ticket_counts",
    counted: "n <> 0",
    kept_by: "tickets",
    rebuild: "INSERT INTO ticket_counts (queue_id, status, n) \
              SELECT queue_id, status, count(*) FROM tickets WHERE id = effective_id GROUP BY queue_id, status",
}];
/// PostgreSQL's own record of its schema (SQLite's is `PRAGMA user_version`).
const NOT_COPIED: &[&str] = &["schema_version"];

/// How often (in rows) the progress callback hears of a table's advance.
const PROGRESS_EVERY: u64 = 500;
/// The most rows, and the most bytes of values, one INSERT carries.
const ROWS_PER_INSERT: usize = 500;
const BYTES_PER_INSERT: usize = 8 << 20;
/// PostgreSQL's limit on parameters in one statement.
const MAX_PARAMETERS: usize = 65_535;

/// The file beside the SQLite database that says it was moved: ticketd refuses to start
/// on it (its data lives on elsewhere, and changes made here would be lost to it).
pub const MOVED_MARKER: &str = "MOVED-TO-POSTGRESQL";

/// One column to copy: its name and whether PostgreSQL stores it as text.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    text: bool,
}

/// One table to copy or check.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// The columns rows are ordered by: the primary key, else every column.
    order: Vec<Column>,
    /// For a table PostgreSQL keeps by itself: which rows to compare.
    derived: Option<&'static str>,
}

/// Copies the SQLite database `source` (the writer's transaction) into the empty
/// PostgreSQL database at `url`, creating its schema, and checks the copy. Returns each
/// table with its rows. The target may hold the schema and what a daemon's start puts
/// there (queues, the built-in users) but no tickets.
pub fn copy_to_postgres(
    source: &Db<'_>,
    url: &str,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<TableCopied>> {
    let Conn::Sqlite(sqlite) = source.conn else {
        return Err(Error::Invalid(
            "this ticketd runs on PostgreSQL already; a migration copies an SQLite installation".into(),
        ));
    };
    let session = connect(url)?;
    upgrade(&session)?;
    let target = Conn::Postgres(&session);
    let tables = plan(source.conn, target)?;
    sql::batch(target, "BEGIN")?;
    let copied = copy_all(sqlite, &session, &tables, progress);
    match copied {
        Ok(copied) => {
            sql::batch(target, "COMMIT")?;
            // the planner's statistics, as an admin would gather them after a bulk load
            if let Err(e) = sql::batch(target, "ANALYZE") {
                tracing::warn!(error = %e, "ANALYZE after the migration failed; autovacuum will do it");
            }
            Ok(copied)
        }
        Err(e) => {
            let _ = sql::batch(target, "ROLLBACK");
            Err(e)
        }
    }
}

/// Records in `data_dir` that its SQLite database now lives at `to` (described without
/// its password), so that no ticketd starts on it again by mistake.
pub fn record_move(data_dir: &Path, to: &str, at: &str) -> Result<PathBuf> {
    let marker = data_dir.join(MOVED_MARKER);
    let text = format!(
        "This installation was copied to the {to} by `tkt admin migrate` on {at}.\n\
         ticketd refuses to start on the SQLite database beside this file: run it with\n\
         [database] url pointing at PostgreSQL. To go on with SQLite after all (changes made\n\
         on PostgreSQL since are not here), delete this file.\n"
    );
    write_durably(&marker, text.as_bytes())
        .map_err(|e| Error::Temporary(format!("cannot write {}: {e}", marker.display())))?;
    Ok(marker)
}

/// Refuses an SQLite data directory whose installation was moved to PostgreSQL.
pub(crate) fn refuse_if_moved(data_dir: &Path) -> Result<()> {
    let marker = data_dir.join(MOVED_MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(text) => Err(Error::Invalid(
            format!(
                "{}: {}",
                marker.display(),
                text.lines()
                    .next()
                    .unwrap_or("this installation was moved to PostgreSQL")
            ) + " Set [database] url to run on it (see docs/ADMIN.md), or delete the file to go on with SQLite.",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Temporary(format!("cannot read {}: {e}", marker.display()))),
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The tables to copy, parents before children, and their columns; an error if the two
/// schemas do not hold the same tables and columns.
fn plan(source: Conn<'_>, target: Conn<'_>) -> Result<Vec<Table>> {
    let sqlite_tables = sqlite_tables(source)?;
    let columns = sql::all(
        target,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
                CAST(udt_name AS TEXT), CAST(is_generated AS TEXT) \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() \
           AND table_name IN (SELECT table_name FROM information_schema.tables \
                              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') \
         ORDER BY table_name, ordinal_position",
        [],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<String>(4)?,
            ))
        },
    )?;
    let mut by_table: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, column, data_type, udt, generated) in columns {
        let entry = by_table.entry(table).or_default();
        if generated == "ALWAYS" {
            continue; // computed by PostgreSQL (the full-text column)
        }
        let text = matches!(data_type.as_str(), "text" | "character varying" | "character") || udt == "citext";
        entry.push(Column { name: column, text });
    }
    for name in NOT_COPIED {
        by_table.remove(*name);
    }
    let only_sqlite: Vec<&String> = sqlite_tables.keys().filter(|t| !by_table.contains_key(*t)).collect();
    let only_postgres: Vec<&String> = by_table.keys().filter(|t| !sqlite_tables.contains_key(*t)).collect();
    if !only_sqlite.is_empty() || !only_postgres.is_empty() {
        return Err(Error::Internal(format!(
            "the schemas differ (a bug): tables only in SQLite {only_sqlite:?}, only in PostgreSQL {only_postgres:?}"
        )));
    }
    for (table, columns) in &by_table {
        let sqlite_columns = &sqlite_tables[table];
        let names: BTreeSet<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        // `rowid` is SQLite's implicit key, a column of its own in PostgreSQL
        let missing: Vec<&&str> = names
            .iter()
            .filter(|n| **n != "rowid" && !sqlite_columns.contains(**n))
            .collect();
        let extra: Vec<&String> = sqlite_columns.iter().filter(|n| !names.contains(n.as_str())).collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(Error::Internal(format!(
                "the schemas of {table} differ (a bug): columns only in PostgreSQL {missing:?}, only in SQLite {extra:?}"
            )));
        }
    }
    let keys = primary_keys(target)?;
    let order = parents_first(target, by_table.keys().cloned().collect())?;
    Ok(order
        .into_iter()
        .map(|name| {
            let columns = by_table[&name].clone();
            let order = match keys.get(&name) {
                Some(key) => key
                    .iter()
                    .filter_map(|k| columns.iter().find(|c| &c.name == k).cloned())
                    .collect(),
                None => columns.clone(),
            };
            Table {
                derived: DERIVED.iter().find(|d| d.table == name).map(|d| d.counted),
                name,
                columns,
                order,
            }
        })
        .collect())
}

/// SQLite's tables and their columns, without its own and the full-text index's.
fn sqlite_tables(source: Conn<'_>) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let virtual_tables: Vec<String> = sql::all(
        source,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'",
        [],
        |r| r.get(0),
    )?;
    let names: Vec<String> = sql::all(
        source,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        [],
        |r| r.get(0),
    )?;
    let mut tables = BTreeMap::new();
    for name in names {
        // a full-text index and its shadow tables are rebuilt by PostgreSQL
        if virtual_tables
            .iter()
            .any(|v| name == *v || name.starts_with(&format!("{v}_")))
        {
            continue;
        }
        let columns = sql::all(source, &format!("PRAGMA table_info(\"{name}\")"), [], |r| r.get(1))?;
        tables.insert(name, columns.into_iter().collect());
    }
    Ok(tables)
}

/// Each table's primary key columns, in key order.
fn primary_keys(target: Conn<'_>) -> Result<BTreeMap<String, Vec<String>>> {
    let rows = sql::all(
        target,
        "SELECT CAST(c.relname AS TEXT), CAST(a.attname AS TEXT) \
         FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE i.indisprimary \
         ORDER BY c.relname, k.position",
        [],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        keys.entry(table).or_default().push(column);
    }
    Ok(keys)
}

/// `tables` ordered so that every table comes after those its foreign keys point to.
fn parents_first(target: Conn<'_>, tables: Vec<String>) -> Result<Vec<String>> {
    let edges = sql::all(
        target,
        "SELECT CAST(child.relname AS TEXT), CAST(parent.relname AS TEXT) \
         FROM pg_constraint f \
         JOIN pg_class child ON child.oid = f.conrelid \
         JOIN pg_class parent ON parent.oid = f.confrelid \
         JOIN pg_namespace n ON n.oid = child.relnamespace AND n.nspname = current_schema() \
         WHERE f.contype = 'f' AND f.conrelid <> f.confrelid",
        [],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = tables.iter().map(|t| (t.as_str(), BTreeSet::new())).collect();
    for (child, parent) in &edges {
        if let Some(set) = parents.get_mut(child.as_str()) {
            set.insert(parent.as_str());
        }
    }
    let mut ordered: Vec<String> = Vec::with_capacity(tables.len());
    while ordered.len() < tables.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(table, of)| {
                !ordered.iter().any(|o| o == *table) && of.iter().all(|p| ordered.iter().any(|o| o == p))
            })
            .map(|(table, _)| *table)
            .collect();
        if ready.is_empty() {
            return Err(Error::Internal(
                "the foreign keys of the schema form a cycle (a bug)".into(),
            ));
        }
        ordered.extend(ready.into_iter().map(String::from));
    }
    Ok(ordered)
}

fn copy_all(
    sqlite: &rusqlite::Connection,
    session: &PgSession,
    tables: &[Table],
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<TableCopied>> {
    let source = Conn::Sqlite(sqlite);
    let target = Conn::Postgres(session);
    let tickets: i64 = sql::one(target, "SELECT count(*) FROM tickets", [], |r| r.get(0))?;
    if tickets > 0 {
        return Err(Error::Invalid(format!(
            "the PostgreSQL database already holds tickets ({tickets}): migrate into a new, empty database"
        )));
    }
    // what the schema and a daemon's start put there (built-in users, rights, queues)
    // makes way for the installation's own rows
    for table in tables.iter().rev() {
        sql::execute(target, &format!("DELETE FROM {}", table.name), [])?;
    }
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let rows: i64 = sql::one(
            source,
            &format!(
                "SELECT count(*) FROM {} WHERE {}",
                table.name,
                table.derived.unwrap_or("1 = 1")
            ),
            [],
            |r| r.get(0),
        )?;
        counts.push(TableCopied {
            name: table.name.clone(),
            rows: u64::try_from(rows).unwrap_or(0),
        });
    }
    let total: u64 = counts
        .iter()
        .zip(tables)
        .filter(|(_, t)| t.derived.is_none())
        .map(|(c, _)| c.rows)
        .sum();
    for derived in DERIVED {
        sql::batch(target, &format!("ALTER TABLE {} DISABLE TRIGGER USER", derived.kept_by))?;
    }
    let mut done = 0;
    for table in tables.iter().filter(|t| t.derived.is_none()) {
        done = copy_table(source, target, table, done, total, progress)?;
    }
    for derived in DERIVED {
        sql::batch(target, derived.rebuild)?;
        sql::batch(target, &format!("ALTER TABLE {} ENABLE TRIGGER USER", derived.kept_by))?;
    }
    restart_identities(target)?;
    let total: u64 = counts.iter().map(|c| c.rows).sum();
    let mut done = 0;
    for (table, count) in tables.iter().zip(&counts) {
        let rows = verify_table(sqlite, session, table, &mut |rows| {
            progress(Progress {
                phase: Phase::Verifying,
                table: &table.name,
                done: done + rows,
                total,
            })
        })?;
        if rows != count.rows {
            return Err(Error::Internal(format!(
                "{}: {} rows in SQLite, {rows} in PostgreSQL",
                table.name, count.rows
            )));
        }
        done += rows;
    }
    progress(Progress {
        phase: Phase::Verifying,
        table: "",
        done: total,
        total,
    });
    Ok(counts)
}

/// Copies one table in multi-row INSERTs; returns `done` advanced by its rows.
fn copy_table(
    source: Conn<'_>,
    target: Conn<'_>,
    table: &Table,
    mut done: u64,
    total: u64,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<u64> {
    let width = table.columns.len();
    let rows_per_insert = ROWS_PER_INSERT.min(MAX_PARAMETERS / width.max(1)).max(1);
    let mut pending: Vec<Value> = Vec::with_capacity(rows_per_insert * width);
    let mut bytes = 0usize;
    let flush = |pending: &mut Vec<Value>| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let rows = pending.len() / width;
        sql::execute(target, &insert_sql(table, rows), std::mem::take(pending))?;
        Ok(())
    };
    progress(Progress {
        phase: Phase::Copying,
        table: &table.name,
        done,
        total,
    });
    sql::each(source, &select_sql(table, Conn::dialect(source)), [], |row| {
        for i in 0..width {
            let value = row.value(i)?;
            bytes += match value {
                ValueRef::Text(t) => t.len(),
                ValueRef::Blob(b) => b.len(),
                _ => 8,
            };
            pending.push(value.to_owned());
        }
        done += 1;
        if pending.len() >= rows_per_insert * width || bytes >= BYTES_PER_INSERT {
            flush(&mut pending)?;
            bytes = 0;
        }
        if done.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                phase: Phase::Copying,
                table: &table.name,
                done,
                total,
            });
        }
        Ok(())
    })
    .map_err(|e| in_table(&table.name, e))?;
    flush(&mut pending).map_err(|e| in_table(&table.name, e))?;
    Ok(done)
}

fn in_table(table: &str, e: Error) -> Error {
    match e {
        Error::Internal(m) => Error::Internal(format!("copying {table}: {m}")),
        Error::Temporary(m) => Error::Temporary(format!("copying {table}: {m}")),
        other => other,
    }
}

/// `SELECT` of the table's columns in key order, the same order on both backends: text
/// byte by byte, NULLs first.
fn select_sql(table: &Table, dialect: sql::Dialect) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let order: Vec<String> = table
        .order
        .iter()
        .map(|c| match (dialect, c.text) {
            (sql::Dialect::Sqlite, _) => format!("{} COLLATE BINARY NULLS FIRST", c.name),
            (sql::Dialect::Postgres, true) => format!("CAST({} AS TEXT) COLLATE \"C\" NULLS FIRST", c.name),
            (sql::Dialect::Postgres, false) => format!("{} NULLS FIRST", c.name),
        })
        .collect();
    format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {}",
        columns.join(", "),
        table.name,
        table.derived.unwrap_or("1 = 1"),
        order.join(", ")
    )
}

fn insert_sql(table: &Table, rows: usize) -> String {
    let width = table.columns.len();
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        columns.join(", "),
        values.join(", ")
    )
}

/// Sets every identity column's next value past the highest copied, so that the next
/// ticket gets the number after the last one.
fn restart_identities(target: Conn<'_>) -> Result<()> {
    let identities = sql::all(
        target,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
        [],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
    for (table, column) in identities {
        sql::one(
            target,
            &format!(
                "SELECT setval(pg_get_serial_sequence(?1, ?2), COALESCE(max({column}), 0) + 1, false) FROM {table}"
            ),
            [&table, &column],
            |_| Ok(()),
        )?;
    }
    Ok(())
}

/// Reads the table from both databases side by side and compares every value; returns
/// how many rows PostgreSQL holds.
fn verify_table(
    sqlite: &rusqlite::Connection,
    session: &PgSession,
    table: &Table,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    progress(0);
    let mut statement = sqlite.prepare(&select_sql(table, sql::Dialect::Sqlite))?;
    let mut expected = statement.query([])?;
    let postgres_select = sql::postgres_sql(&select_sql(table, sql::Dialect::Postgres));
    let mut client = session.client();
    let mut actual = client.query_raw(
        postgres_select.as_str(),
        std::iter::empty::<&(dyn postgres::types::ToSql + Sync)>(),
    )?;
    let mut rows = 0u64;
    loop {
        let theirs = actual.next()?;
        let ours = expected.next()?;
        let (ours, theirs) = match (ours, theirs) {
            (None, None) => return Ok(rows),
            (Some(_), None) => return Err(Error::Internal(format!("{}: the copy has fewer rows", table.name))),
            (None, Some(_)) => return Err(Error::Internal(format!("{}: the copy has more rows", table.name))),
            (Some(ours), Some(theirs)) => (Row::Sqlite(ours), theirs),
        };
        let theirs = Row::Postgres(&theirs);
        for (i, column) in table.columns.iter().enumerate() {
            let want = normalized(ours.value(i)?);
            let got = theirs.value(i)?.to_owned();
            if want != got {
                return Err(Error::Internal(format!(
                    "{}: row {} differs in {}: {} in SQLite, {} in PostgreSQL",
                    table.name,
                    rows + 1,
                    column.name,
                    shown(&want),
                    shown(&got)
                )));
            }
        }
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            progress(rows);
        }
    }
}

/// A value as PostgreSQL keeps it: text cannot hold NUL there, and the store writes
/// U+FFFD instead (the raw message keeps every byte).
fn normalized(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Text(t) if t.contains('\0') => Value::Text(t.replace('\0', "\u{fffd}")),
        other => other.to_owned(),
    }
}

/// A value for an error message: short, and with nothing that could upset a terminal.
fn shown(value: &Value) -> String {
    let text = format!("{value:?}");
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}
