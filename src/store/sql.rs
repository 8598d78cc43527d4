//! The store's one way to run a statement, on SQLite or on PostgreSQL.
//!
//! Every store method is written once, against [`Conn`]: its SQL in the subset both
//! databases speak (numbered `?1` parameters, `RETURNING`, `ON CONFLICT`, `COALESCE`,
//! integers for flags, RFC 3339 text for times), its parameters as [`ToValue`]s, its
//! rows read through [`Row::get`]. Where the dialects differ (full-text search, a few
//! functions) a method asks [`Conn::dialect`] and says both forms side by side.
//!
//! On PostgreSQL the `?N` parameters become `$N` and each statement is prepared once per
//! connection; a parameter takes whatever type the server inferred for it, so an
//! integer can fill a `BIGINT`, an `INTEGER` or a `BOOLEAN` alike.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::error::{Error, Result};

/// One connection, either backend's; `Copy`, borrowed for the length of a transaction.
#[derive(Clone, Copy)]
pub enum Conn<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(&'c PgSession),
}

/// Which SQL a statement must be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A PostgreSQL connection with its prepared statements. `RefCell`: a [`Conn`] is shared
/// by every method of one transaction, but runs one statement at a time.
pub struct PgSession {
    /// `None` only while the session is dropped.
    client: RefCell<Option<postgres::Client>>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

/// A value going into or coming out of a statement, as SQLite types them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A borrowed [`Value`]: parameters are bound without copying them (a raw message may be
/// tens of megabytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Integer(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(t.to_string()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// What can be a statement's parameter.
pub trait ToValue {
    fn to_value(&self) -> ValueRef<'_>;
}

impl ToValue for Value {
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

impl ToValue for ValueRef<'_> {
    fn to_value(&self) -> ValueRef<'_> {
        *self
    }
}

macro_rules! integer_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> ValueRef<'_> {
                ValueRef::Integer(i64::from(*self))
            }
        }
    )*};
}
integer_to_value!(i64, i32, u32, u16, u8, i16, bool);

impl ToValue for usize {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for u64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> ValueRef<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> ValueRef<'_> {
        self.as_ref().map_or(ValueRef::Null, ToValue::to_value)
    }
}

/// What a column can be read as.
pub trait FromValue: Sized {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String>;
}

fn wrong(want: &str, got: ValueRef<'_>) -> String {
    format!("{} where {want} was expected", got.kind())
}

impl FromValue for i64 {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Integer(i) => Ok(i),
            other => Err(wrong("an integer", other)),
        }
    }
}

macro_rules! narrow_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
                let wide = i64::from_value(value)?;
                <$t>::try_from(wide).map_err(|_| format!("{wide} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
narrow_from_value!(i32, u32, u16, u8, u64, usize);

impl FromValue for bool {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(i64::from_value(value)? != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(wrong("a number", other)),
        }
    }
}

impl FromValue for String {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Text(t) => Ok(t.to_string()),
            other => Err(wrong("text", other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(t) => Ok(t.as_bytes().to_vec()),
            other => Err(wrong("a blob", other)),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(value.to_owned())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: ValueRef<'_>) -> std::result::Result<Self, String> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A statement's parameters: `params![a, b]`, an array `[a]`, `[]`, or a `Vec<Value>`
/// built up by a query compiler.
pub trait Params {
    fn values(&self) -> Vec<ValueRef<'_>>;
}

impl Params for [&dyn ToValue] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for [&dyn ToValue; 0] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        Vec::new()
    }
}

impl Params for Vec<Value> {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Params for &Vec<Value> {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

impl Params for &[Value] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(ToValue::to_value).collect()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Vec<ValueRef<'_>> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters of mixed types: `params![id, name, ts(now)]`.
#[macro_export]
#[doc(hidden)]
macro_rules! sql_params {
    () => { [] as [&dyn $crate::store::sql::ToValue; 0] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::sql::ToValue),+] as &[&dyn $crate::store::sql::ToValue] };
}
pub use crate::sql_params as params;

/// One row of a result, either backend's.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` (from 0) as a `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let value = self.value(i)?;
        T::from_value(value).map_err(|e| Error::Internal(format!("database column {i}: {e}")))
    }

    /// Column `i` as it is.
    pub fn value(&self, i: usize) -> Result<ValueRef<'_>> {
        match self {
            Row::Sqlite(row) => Ok(match row.get_ref(i)? {
                rusqlite::types::ValueRef::Null => ValueRef::Null,
                rusqlite::types::ValueRef::Integer(n) => ValueRef::Integer(n),
                rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                rusqlite::types::ValueRef::Text(t) => ValueRef::Text(
                    std::str::from_utf8(t)
                        .map_err(|e| Error::Internal(format!("database column {i} is not UTF-8: {e}")))?,
                ),
                rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
            }),
            Row::Postgres(row) => postgres_value(row, i),
        }
    }
}

fn postgres_value<'r>(row: &'r postgres::Row, i: usize) -> Result<ValueRef<'r>> {
    use postgres::types::Type;
    let column = row
        .columns()
        .get(i)
        .ok_or_else(|| Error::Internal(format!("no database column {i}")))?;
    let ty = column.type_().clone();
    let bad = |e: postgres::Error| Error::Internal(format!("database column {i} ({ty}): {e}"));
    Ok(match column.type_() {
        &Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, |b| ValueRef::Integer(b.into())),
        &Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, |n| ValueRef::Integer(n.into())),
        &Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, |n| ValueRef::Integer(n.into())),
        &Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, ValueRef::Integer),
        &Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, |f| ValueRef::Real(f.into())),
        &Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, ValueRef::Real),
        &Type::BYTEA => row
            .try_get::<_, Option<&[u8]>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, ValueRef::Blob),
        ty if is_text(ty) => row
            .try_get::<_, Option<&str>>(i)
            .map_err(bad)?
            .map_or(ValueRef::Null, ValueRef::Text),
        other => {
            return Err(Error::Internal(format!(
                "database column {i} has type {other}, which the store does not read (cast it in the query)"
            )));
        }
    })
}

impl<'c> Conn<'c> {
    /// The SQL this connection speaks.
    pub fn dialect(self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Whether PostgreSQL sends `ty` as text; names and addresses are the citext extension's
/// type, text on the wire.
fn is_text(ty: &postgres::types::Type) -> bool {
    use postgres::types::Type;
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    ) || ty.name() == "citext"
}

/// Runs a statement; how many rows it changed.
pub fn execute(conn: Conn<'_>, sql: &str, params: impl Params) -> Result<usize> {
    let values = params.values();
    match conn {
        Conn::Sqlite(c) => Ok(c
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(values.iter()))?),
        Conn::Postgres(s) => {
            let n = s.with_statement(sql, |client, stmt| client.execute(stmt, &pg_params(&values)))?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        }
    }
}

/// Runs statements without parameters, one after the other (`BEGIN`, DDL, maintenance).
pub fn batch(conn: Conn<'_>, sql: &str) -> Result<()> {
    match conn {
        Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
        Conn::Postgres(s) => Ok(s.client().batch_execute(sql)?),
    }
}

/// Calls `f` on each row of a query, in order.
pub fn each(conn: Conn<'_>, sql: &str, params: impl Params, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
    let values = params.values();
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
            while let Some(row) = rows.next()? {
                f(&Row::Sqlite(row))?;
            }
            Ok(())
        }
        Conn::Postgres(s) => {
            let rows = s.with_statement(sql, |client, stmt| client.query(stmt, &pg_params(&values)))?;
            rows.iter().try_for_each(|row| f(&Row::Postgres(row)))
        }
    }
}

/// Every row of a query, each made into a `T` by `f`.
pub fn all<T>(
    conn: Conn<'_>,
    sql: &str,
    params: impl Params,
    mut f: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    each(conn, sql, params, |row| {
        out.push(f(row)?);
        Ok(())
    })?;
    Ok(out)
}

/// The first row of a query, if there is one.
pub fn optional<T>(
    conn: Conn<'_>,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let values = params.values();
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt = c.prepare_cached(sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
            match rows.next()? {
                Some(row) => f(&Row::Sqlite(row)).map(Some),
                None => Ok(None),
            }
        }
        Conn::Postgres(s) => {
            let row = s.with_statement(sql, |client, stmt| client.query_opt(stmt, &pg_params(&values)))?;
            row.as_ref().map(|row| f(&Row::Postgres(row))).transpose()
        }
    }
}

/// The first row of a query that always has one (an aggregate, a row just written).
pub fn one<T>(conn: Conn<'_>, sql: &str, params: impl Params, f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
    optional(conn, sql, params, f)?.ok_or_else(|| Error::Internal(format!("the database returned no row for `{sql}`")))
}

/// Runs a write and tells a unique or foreign-key constraint refusing it (`Err(())`)
/// from other errors, on either backend (checked before it is turned into an
/// [`Error`]). A refusal leaves the transaction usable on both: PostgreSQL would abort
/// the whole transaction, so there the statement runs in a savepoint of its own.
pub fn refused_by_constraint(conn: Conn<'_>, sql: &str, params: impl Params) -> Result<std::result::Result<usize, ()>> {
    let values = params.values();
    match conn {
        Conn::Sqlite(c) => match c
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(values.iter()))
        {
            Ok(n) => Ok(Ok(n)),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => Ok(Err(())),
            Err(e) => Err(e.into()),
        },
        Conn::Postgres(s) => {
            s.client().batch_execute("SAVEPOINT refused_by_constraint")?;
            let outcome = s.with_statement(sql, |client, stmt| client.execute(stmt, &pg_params(&values)));
            let end = match &outcome {
                Ok(_) => "RELEASE refused_by_constraint",
                Err(_) => "ROLLBACK TO refused_by_constraint; RELEASE refused_by_constraint",
            };
            s.client().batch_execute(end)?;
            match outcome {
                Ok(n) => Ok(Ok(usize::try_from(n).unwrap_or(usize::MAX))),
                Err(e) if e.code().is_some_and(|c| c.code().starts_with("23")) => Ok(Err(())),
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn pg_params<'a>(values: &'a [ValueRef<'a>]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl PgSession {
    /// Wraps a connected client.
    pub fn new(client: postgres::Client) -> PgSession {
        PgSession {
            client: RefCell::new(Some(client)),
            statements: RefCell::new(HashMap::new()),
        }
    }

    /// The client itself, for what the store does outside statements (`COPY`, closing).
    pub fn client(&self) -> std::cell::RefMut<'_, postgres::Client> {
        std::cell::RefMut::map(self.client.borrow_mut(), |c| {
            c.as_mut().expect("a session has its client until it is dropped")
        })
    }

    /// Runs `f` with the statement for `sql` (in `?N` form), prepared once per connection.
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut postgres::Client, &postgres::Statement) -> std::result::Result<T, postgres::Error>,
    ) -> std::result::Result<T, postgres::Error> {
        let mut client = self.client();
        let cached = self.statements.borrow().get(sql).cloned();
        let stmt = match cached {
            Some(stmt) => stmt,
            None => {
                let stmt = client.prepare(&postgres_sql(sql))?;
                let mut statements = self.statements.borrow_mut();
                if statements.len() >= PG_STATEMENT_CACHE {
                    statements.clear();
                }
                statements.insert(sql.to_string(), stmt.clone());
                stmt
            }
        };
        f(&mut client, &stmt)
    }
}

/// A statement in PostgreSQL's words: a list of ids passed as JSON text
/// (`json_each(?N)`, SQLite's) read with the schema's `json_ids`, and the parameters
/// numbered the PostgreSQL way.
pub(crate) fn postgres_sql(sql: &str) -> String {
    static JSON_EACH: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"json_each\((\?\d*)\)").expect("a valid pattern"));
    dollar_parameters(&JSON_EACH.replace_all(sql, "json_ids(CAST($1 AS TEXT)) AS value"))
}

/// The blocking client closes its connection on a runtime of its own, which panics on a
/// thread that runs an async runtime already (a pool dropped at shutdown): it is closed
/// on a thread of its own instead.
impl Drop for PgSession {
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            let closing = std::thread::Builder::new()
                .name("postgres-close".into())
                .spawn(move || drop(client));
            if let Err(e) = closing {
                tracing::warn!(error = %e, "cannot close a database connection");
            }
        }
    }
}

/// `?1`, `?2`, `?` written as PostgreSQL's `$1`, `$2`, `$3`; a bare `?` takes the number
/// after the largest so far, as SQLite numbers it. Question marks inside quoted text or
/// names are left alone.
fn dollar_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quote: Option<char> = None;
    let mut largest = 0u32;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let number = digits.parse().unwrap_or(largest + 1);
                largest = largest.max(number);
                out.push('$');
                out.push_str(&number.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

impl rusqlite::ToSql for ValueRef<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as Sqlite};
        Ok(ToSqlOutput::Borrowed(match *self {
            ValueRef::Null => Sqlite::Null,
            ValueRef::Integer(i) => Sqlite::Integer(i),
            ValueRef::Real(f) => Sqlite::Real(f),
            ValueRef::Text(t) => Sqlite::Text(t.as_bytes()),
            ValueRef::Blob(b) => Sqlite::Blob(b),
        }))
    }
}

impl postgres::types::ToSql for ValueRef<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
            format!("{} cannot fill a parameter of type {ty}", self.kind()).into()
        };
        match (*self, ty) {
            (ValueRef::Null, _) => Ok(IsNull::Yes),
            (ValueRef::Integer(i), &Type::INT8) => i.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::INT4) => i32::try_from(i)?.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::INT2) => i16::try_from(i)?.to_sql(ty, out),
            (ValueRef::Integer(i), &Type::BOOL) => (i != 0).to_sql(ty, out),
            (ValueRef::Integer(i), &Type::FLOAT8) => (i as f64).to_sql(ty, out),
            (ValueRef::Integer(i), &Type::TEXT | &Type::VARCHAR | &Type::UNKNOWN) => i.to_string().to_sql(ty, out),
            (ValueRef::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (ValueRef::Real(f), &Type::FLOAT4) => (f as f32).to_sql(ty, out),
            (ValueRef::Real(f), &Type::TEXT | &Type::VARCHAR | &Type::UNKNOWN) => f.to_string().to_sql(ty, out),
            // PostgreSQL's text holds no NUL (SQLite's does): what a mail client would show
            (ValueRef::Text(t), ty) if is_text(ty) && t.contains('\0') => t.replace('\0', "\u{fffd}").to_sql(ty, out),
            (ValueRef::Text(t), ty) if is_text(ty) => t.to_sql(ty, out),
            (ValueRef::Text(t), &Type::JSON) => {
                out.extend_from_slice(t.as_bytes());
                Ok(IsNull::No)
            }
            (ValueRef::Text(t), &Type::JSONB) => {
                out.extend_from_slice(&[1]);
                out.extend_from_slice(t.as_bytes());
                Ok(IsNull::No)
            }
            (ValueRef::Text(t), &Type::INT8) => t.trim().parse::<i64>().map_err(|_| mismatch())?.to_sql(ty, out),
            (ValueRef::Text(t), &Type::INT4) => t.trim().parse::<i32>().map_err(|_| mismatch())?.to_sql(ty, out),
            (ValueRef::Text(t), &Type::BYTEA) => t.as_bytes().to_sql(ty, out),
            (ValueRef::Blob(b), &Type::BYTEA) => b.to_sql(ty, out),
            _ => Err(mismatch()),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A PostgreSQL error in the library's terms, as [`From<rusqlite::Error>`] does for
/// SQLite: what a client may retry is `Temporary`, in ticketd's words; the server's own
/// text goes to the log.
impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
        let temporary = match code.as_str() {
            "40001" | "40P01" | "55P03" => "the database is busy; try again shortly",
            "53100" => "the disk of ticketd's database is full; try again once the admin has made room",
            "53200" | "53300" => "the database is out of resources; try again later",
            "57P01" | "57P02" | "57P03" => "the database is restarting; try again shortly",
            c if c.starts_with("08") => "ticketd cannot reach its database; try again later",
            "" if e.is_closed() => "ticketd lost its connection to the database; try again later",
            "" if std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) => {
                "ticketd cannot reach its database; try again later"
            }
            "57014" => return Error::Internal(format!("{QUERY_CANCELED}: {e}")),
            _ => {
                let cause = std::error::Error::source(&e)
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default();
                return Error::Internal(format!("database: {e}{cause}"));
            }
        };
        tracing::warn!(error = %e, "database unavailable");
        Error::Temporary(temporary.into())
    }
}

/// What a PostgreSQL statement stopped by `statement_timeout` turns into; the read pool
/// makes it the same "narrow your search" answer SQLite's time limit gives.
pub(crate) const QUERY_CANCELED: &str = "the statement ran past its time limit";

/// Prepared statements kept per PostgreSQL connection; searches are built per query, so
/// the cache is emptied when it is full rather than grown for ever.
const PG_STATEMENT_CACHE: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_and_bare_parameters_become_dollars_outside_quotes() {
        assert_eq!(dollar_parameters("SELECT ?1, ?2, ?1"), "SELECT $1, $2, $1");
        assert_eq!(dollar_parameters("a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(
            dollar_parameters("f(?1) AND b = ? AND c = ?1 LIMIT ?"),
            "f($1) AND b = $2 AND c = $1 LIMIT $3"
        );
        assert_eq!(
            dollar_parameters("x = '?1' AND \"odd?\" = ?3"),
            "x = '?1' AND \"odd?\" = $3"
        );
    }

    #[test]
    fn rows_read_back_what_was_bound_on_sqlite() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let conn = Conn::Sqlite(&db);
        batch(
            conn,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER, data BLOB)",
        )
        .unwrap();
        let id: i64 = one(
            conn,
            "INSERT INTO t (name, flag, data) VALUES (?1, ?2, ?3) RETURNING id",
            params!["a", true, vec![1u8, 2]],
            |r| r.get(0),
        )
        .unwrap();
        let got: (String, bool, Vec<u8>, Option<String>) =
            one(conn, "SELECT name, flag, data, NULL FROM t WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(got, ("a".into(), true, vec![1, 2], None));
        assert_eq!(
            optional(conn, "SELECT id FROM t WHERE id = ?1", [id + 1], |r| r.get::<i64>(0)).unwrap(),
            None
        );
        assert!(one(conn, "SELECT name FROM t", [], |r| r.get::<i64>(0)).is_err());
    }
}
