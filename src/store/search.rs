//! Compiling a parsed query to SQL. Values only ever travel as parameters.

use rusqlite::types::Value as SqlValue;

use serde::{Deserialize, Serialize};

use rusqlite::OptionalExtension;

use super::{Db, cached_row, ts};
use crate::error::Result;
use crate::rights::{Principal, Visibility};
use crate::search::{Condition, Direction, Expr, Field, Grouping, Op, Query, Value};
use crate::ticket::{Lifecycle, Role, Status, Ticket};
use crate::user::NOBODY_ID;

/// At most this many results unless the query says `LIMIT` (or the API asks for a page).
const DEFAULT_LIMIT: u32 = 10_000;

/// Who runs a search: what they may see, and who `__CurrentUser__` is. `None` in the
/// store's own calls means everything, as the system.
pub type SeenBy<'a> = Option<(&'a Principal, &'a Visibility)>;

/// A query compiled to SQL: the WHERE clause over `tickets t` and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl CompiledQuery {
    /// The parameters as JSON, for showing a query (`tkt search --sql`).
    pub fn params_json(&self) -> Vec<serde_json::Value> {
        self.params
            .iter()
            .map(|p| match p {
                SqlValue::Integer(i) => serde_json::json!(i),
                SqlValue::Text(t) => serde_json::json!(t),
                SqlValue::Real(f) => serde_json::json!(f),
                SqlValue::Null | SqlValue::Blob(_) => serde_json::Value::Null,
            })
            .collect()
    }
}

/// One full-text hit: a ticket, the transaction that matched, and the words around the
/// match (`[` `]` mark it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentHit {
    pub ticket: i64,
    pub subject: String,
    pub transaction: i64,
    pub snippet: String,
}

impl Db<'_> {
    /// The id of the queue a query names, disabled queues included (their tickets are
    /// still there to find).
    pub fn queue_id_for_search(&self, name: &str) -> Result<Option<i64>> {
        Ok(cached_row(self.conn, "SELECT id FROM queues WHERE name = ?1", [name], |r| r.get(0)).optional()?)
    }

    /// Whether a custom field of this name was ever defined (values of one the config no
    /// longer defines are kept, and can be searched).
    pub fn custom_field_exists(&self, name: &str) -> Result<bool> {
        Ok(cached_row(
            self.conn,
            "SELECT EXISTS (SELECT 1 FROM custom_fields WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?)
    }

    /// The tickets matching a query, without their history. Merged tickets are not listed
    /// (their survivor is), and deleted ones only when the query asks about Status, as RT.
    ///
    /// With `seen_by`, only the tickets that user may see are listed.
    /// `lifecycles` decide what `__Active__` and `__Inactive__` mean in each queue.
    pub fn search(&self, query: &Query, seen_by: SeenBy<'_>, lifecycles: &[&Lifecycle]) -> Result<Vec<Ticket>> {
        self.search_ids(query, seen_by, lifecycles)?
            .into_iter()
            .map(|id| self.ticket(id, false))
            .collect()
    }

    /// The numbers of the tickets matching a query, in its order: for work that loads
    /// tickets one at a time.
    pub fn search_ids(&self, query: &Query, seen_by: SeenBy<'_>, lifecycles: &[&Lifecycle]) -> Result<Vec<i64>> {
        let compiled = compile_query(query, seen_by, lifecycles, true);
        Ok(self
            .conn
            .prepare(&compiled.sql)?
            .query_map(rusqlite::params_from_iter(compiled.params), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Counts the tickets matching a query, grouped by `by` (one or more groupings):
    /// each row the group's values and its count, in the groups' order.
    pub fn report(
        &self,
        query: &Query,
        by: &[Grouping],
        seen_by: SeenBy<'_>,
        lifecycles: &[&Lifecycle],
    ) -> Result<Vec<(Vec<String>, i64)>> {
        let unordered = Query {
            order_by: Vec::new(),
            limit: None,
            offset: None,
            ..query.clone()
        };
        let compiled = compile_query(&unordered, seen_by, lifecycles, false);
        // group by the tickets' own columns (ids, not names), then name the groups: the
        // names are looked up once per group instead of once per ticket
        let mut params = Vec::new();
        let (keys, names): (Vec<String>, Vec<String>) = by
            .iter()
            .enumerate()
            .map(|(n, g)| group_column(g, &format!("g{n}"), &mut params))
            .unzip();
        params.extend(compiled.params);
        let keys: Vec<String> = keys.iter().enumerate().map(|(n, k)| format!("{k} AS g{n}")).collect();
        let groups: Vec<String> = (1..=by.len()).map(|n| n.to_string()).collect();
        let sql = format!(
            "SELECT {}, n FROM (SELECT {}, count(*) AS n FROM tickets t WHERE {} GROUP BY {}) ORDER BY {}",
            names.join(", "),
            keys.join(", "),
            compiled.sql,
            groups.join(", "),
            groups.join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            let mut values = Vec::with_capacity(by.len());
            for n in 0..by.len() {
                let value: Option<SqlValue> = r.get(n)?;
                values.push(match value {
                    Some(SqlValue::Text(t)) => t,
                    Some(SqlValue::Integer(i)) => i.to_string(),
                    Some(SqlValue::Real(f)) => f.to_string(),
                    _ => "(none)".into(),
                });
            }
            Ok((values, r.get(by.len())?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The best full-text matches for `fts` (a query from `search::fts_query`) among the
    /// tickets the user may see, best first, one hit per ticket, with snippets.
    pub fn content_search(&self, fts: &str, seen_by: SeenBy<'_>, limit: u32) -> Result<Vec<ContentHit>> {
        let mut params = vec![SqlValue::Text(fts.to_string())];
        let mut sql = String::from(
            "SELECT t.effective_id, x.id, snippet(transaction_text, 0, '[', ']', ' … ', 16) \
             FROM transaction_text JOIN transactions x ON x.id = transaction_text.rowid \
             JOIN tickets t ON t.id = x.ticket_id \
             WHERE transaction_text MATCH ? AND t.status != 'deleted'",
        );
        if let Some((who, visibility)) = seen_by {
            visible_to(who, visibility, &mut sql, &mut params);
            if hides_comments(seen_by) {
                sql.push_str(" AND x.type != 'Comment'");
            }
        }
        // more rows than tickets wanted: several hits of one ticket make one result
        sql.push_str(" ORDER BY bm25(transaction_text) LIMIT ?");
        params.push(SqlValue::Integer(i64::from(limit.saturating_mul(4))));
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut hits: Vec<ContentHit> = Vec::new();
        for row in rows {
            let (ticket, transaction, snippet) = row?;
            if hits.iter().any(|h| h.ticket == ticket) {
                continue;
            }
            if hits.len() == limit as usize {
                break;
            }
            let subject = self.ticket_row(ticket)?.map(|t| t.subject).unwrap_or_default();
            hits.push(ContentHit {
                ticket,
                subject,
                transaction,
                snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
        Ok(hits)
    }
}

/// Compiles a query to `SELECT t.id FROM tickets t WHERE …` (with `ordered`, its ORDER BY,
/// LIMIT and OFFSET; without, only the WHERE clause, for reports).
pub fn compile_query(query: &Query, seen_by: SeenBy<'_>, lifecycles: &[&Lifecycle], ordered: bool) -> CompiledQuery {
    let mut params = Vec::new();
    let mut sql = String::from("t.id = t.effective_id");
    if !query.filter.as_ref().is_some_and(mentions_status) {
        sql.push_str(" AND t.status != 'deleted'");
    }
    if let Some((who, visibility)) = seen_by {
        visible_to(who, visibility, &mut sql, &mut params);
    }
    if let Some(filter) = &query.filter {
        let context = Context {
            lifecycles,
            me: seen_by.map_or(-1, |(who, _)| who.user_id),
            hide_comments: hides_comments(seen_by),
        };
        sql.push_str(" AND (");
        compile(filter, &context, &mut sql, &mut params);
        sql.push(')');
    }
    if !ordered {
        return CompiledQuery { sql, params };
    }
    let mut sql = format!("SELECT t.id FROM tickets t WHERE {sql} ORDER BY ");
    for (field, direction) in &query.order_by {
        sql.push_str(&order_column(field, &mut params));
        sql.push_str(if *direction == Direction::Desc {
            " DESC, "
        } else {
            " ASC, "
        });
    }
    sql.push_str("t.id ASC LIMIT ? OFFSET ?");
    params.push(SqlValue::Integer(query.limit.unwrap_or(DEFAULT_LIMIT).into()));
    params.push(SqlValue::Integer(query.offset.unwrap_or(0).into()));
    CompiledQuery { sql, params }
}

/// Someone who cannot see everything does not find tickets by the text of comments,
/// which they may not be allowed to read.
fn hides_comments(seen_by: SeenBy<'_>) -> bool {
    seen_by.is_some_and(|(_, v)| !v.everything)
}

/// What compiling a condition needs beyond the condition.
struct Context<'a> {
    lifecycles: &'a [&'a Lifecycle],
    /// `__CurrentUser__`.
    me: i64,
    hide_comments: bool,
}

/// Limits a search to the tickets a user may see: everything, whole queues, or tickets
/// on which they hold a role that sees its tickets (through a group or the queue's
/// watchers too).
fn visible_to(who: &Principal, v: &Visibility, sql: &mut String, params: &mut Vec<SqlValue>) {
    if v.everything {
        return;
    }
    let mut ids = who.groups.clone();
    ids.push(who.user_id);
    let principals = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let mut any = vec!["0".to_string()];
    for queue in &v.queues {
        any.push("t.queue_id = ?".into());
        params.push(SqlValue::Integer(*queue));
    }
    for (role, queue) in &v.roles {
        let held = match role {
            Role::Owner => {
                params.push(SqlValue::Integer(who.user_id));
                "t.owner_id = ?".to_string()
            }
            _ => {
                params.extend([
                    SqlValue::Text(role.as_str().into()),
                    SqlValue::Text(principals.clone()),
                    SqlValue::Text(role.as_str().into()),
                    SqlValue::Text(principals.clone()),
                ]);
                // from the person's side (the (principal_id, role) index), not per ticket
                "(t.id IN (SELECT r.ticket_id FROM ticket_roles r WHERE r.role = ? \
                   AND r.principal_id IN (SELECT value FROM json_each(?))) \
                 OR t.queue_id IN (SELECT w.queue_id FROM queue_watchers w WHERE w.role = ? \
                   AND w.principal_id IN (SELECT value FROM json_each(?))))"
                    .to_string()
            }
        };
        match queue {
            Some(queue) => {
                any.push(format!("({held} AND t.queue_id = ?)"));
                params.push(SqlValue::Integer(*queue));
            }
            None => any.push(held),
        }
    }
    sql.push_str(&format!(" AND ({})", any.join(" OR ")));
}

fn mentions_status(expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => mentions_status(a) || mentions_status(b),
        Expr::Not(e) => mentions_status(e),
        Expr::Condition(c) => c.field == Field::Status,
    }
}

fn compile(expr: &Expr, cx: &Context<'_>, sql: &mut String, params: &mut Vec<SqlValue>) {
    let mut binary = |a: &Expr, op: &str, b: &Expr, sql: &mut String| {
        sql.push('(');
        compile(a, cx, sql, params);
        sql.push_str(op);
        compile(b, cx, sql, params);
        sql.push(')');
    };
    match expr {
        Expr::And(a, b) => binary(a, " AND ", b, sql),
        Expr::Or(a, b) => binary(a, " OR ", b, sql),
        Expr::Not(e) => {
            sql.push_str("NOT (");
            compile(e, cx, sql, params);
            sql.push(')');
        }
        Expr::Condition(c) => condition(c, cx, sql, params),
    }
}

fn order_column(field: &Field, params: &mut Vec<SqlValue>) -> String {
    let column = match field {
        Field::Id => "t.id",
        Field::Queue => "(SELECT name FROM queues WHERE id = t.queue_id)",
        Field::Status => "t.status",
        Field::Owner => "(SELECT COALESCE(email, name) FROM users WHERE id = t.owner_id)",
        Field::Subject => "t.subject",
        Field::Priority => "t.priority",
        Field::Created => "t.created",
        Field::Updated => "t.updated",
        Field::Started => "t.started",
        Field::Starts => "t.starts",
        Field::Resolved => "t.resolved",
        Field::Due => "t.due",
        Field::Told => "t.told",
        Field::TimeWorked => "t.time_worked",
        Field::Creator => "(SELECT COALESCE(email, name) FROM users WHERE id = t.creator_id)",
        Field::Requestor | Field::Cc | Field::AdminCc | Field::Watcher | Field::Content | Field::Link(_) => "t.id",
        Field::CustomField(name) => {
            params.push(SqlValue::Text(name.clone()));
            "(SELECT MIN(v.value) FROM ticket_custom_field_values v JOIN custom_fields f \
              ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ?)"
        }
    };
    column.to_string()
}

/// RT's LIKE matches substrings: a value without wildcards is wrapped in `%`.
fn like_pattern(value: &str) -> String {
    if value.contains('%') || value.contains('_') {
        value.to_string()
    } else {
        format!("%{value}%")
    }
}

fn text_param(c: &Condition) -> SqlValue {
    match &c.value {
        Value::Text(t) if matches!(c.op, Op::Like | Op::NotLike) => SqlValue::Text(like_pattern(t)),
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::Integer(n) => SqlValue::Integer(*n),
        Value::Active(_) | Value::CurrentUser | Value::Null => SqlValue::Null,
    }
}

fn condition(c: &Condition, cx: &Context<'_>, sql: &mut String, params: &mut Vec<SqlValue>) {
    let op = c.op.symbol();
    let null_test = matches!(c.op, Op::IsNull | Op::IsNotNull);
    // "some value exists" conditions: IS NULL is NOT EXISTS, IS NOT NULL is EXISTS
    let (exists, _) = positive(c.op);
    let exists_for_null = if c.op == Op::IsNull { "NOT " } else { "" };
    match &c.field {
        Field::Id
        | Field::Priority
        | Field::TimeWorked
        | Field::Created
        | Field::Updated
        | Field::Started
        | Field::Starts
        | Field::Resolved
        | Field::Due
        | Field::Told
        | Field::Subject => {
            let column = match c.field {
                Field::Id => "t.id",
                Field::Priority => "t.priority",
                Field::TimeWorked => "t.time_worked",
                Field::Created => "t.created",
                Field::Updated => "t.updated",
                Field::Started => "t.started",
                Field::Starts => "t.starts",
                Field::Resolved => "t.resolved",
                Field::Due => "t.due",
                Field::Told => "t.told",
                _ => "t.subject",
            };
            if null_test {
                sql.push_str(&format!("{column} {op}"));
                return;
            }
            let collate = if c.field == Field::Subject && !matches!(c.op, Op::Like | Op::NotLike) {
                " COLLATE NOCASE"
            } else {
                ""
            };
            sql.push_str(&format!("{column} {op} ?{collate}"));
            params.push(text_param(c));
        }
        // written as `t.queue_id IN (…)` rather than a lookup per ticket, so that the
        // (queue_id, status, priority) index serves it
        Field::Queue => {
            let (negate, cmp) = positive(c.op);
            sql.push_str(&format!(
                "t.queue_id {negate}IN (SELECT id FROM queues WHERE name {cmp} ?)"
            ));
            params.push(text_param(c));
        }
        Field::Status => match &c.value {
            Value::Active(active) => {
                // each queue's lifecycle says which of its statuses are active
                let mut any = vec!["0".to_string()];
                for lifecycle in cx.lifecycles {
                    let statuses: Vec<&Status> = lifecycle
                        .statuses()
                        .filter(|st| lifecycle.is_active(st) == *active)
                        .collect();
                    if statuses.is_empty() {
                        continue;
                    }
                    let marks = vec!["?"; statuses.len()].join(", ");
                    any.push(format!(
                        "(t.queue_id IN (SELECT id FROM queues WHERE lifecycle = ?) AND t.status IN ({marks}))"
                    ));
                    params.push(SqlValue::Text(lifecycle.name.clone()));
                    params.extend(statuses.iter().map(|st| SqlValue::Text(st.as_str().into())));
                }
                let negate = if c.op == Op::Ne { "NOT " } else { "" };
                sql.push_str(&format!("{negate}({})", any.join(" OR ")));
            }
            _ => {
                sql.push_str(&format!("t.status {op} ?"));
                params.push(text_param(c));
            }
        },
        Field::Owner | Field::Creator => {
            let column = if c.field == Field::Owner {
                "t.owner_id"
            } else {
                "t.creator_id"
            };
            match (&c.value, c.op) {
                // an unowned ticket is owned by Nobody
                (_, Op::IsNull | Op::IsNotNull) => {
                    let cmp = if c.op == Op::IsNull { "=" } else { "!=" };
                    sql.push_str(&format!("{column} {cmp} ?"));
                    params.push(SqlValue::Integer(NOBODY_ID));
                }
                (Value::CurrentUser, _) => {
                    let cmp = if c.op == Op::Ne { "!=" } else { "=" };
                    sql.push_str(&format!("{column} {cmp} ?"));
                    params.push(SqlValue::Integer(cx.me));
                }
                _ => {
                    let (negate, cmp) = positive(c.op);
                    sql.push_str(&format!(
                        "{column} {negate}IN (SELECT id FROM users u WHERE u.name {cmp} ? OR u.email {cmp} ?)"
                    ));
                    params.push(text_param(c));
                    params.push(text_param(c));
                }
            }
        }
        Field::Content => {
            // the parser made sure there is something to look for
            let fts = crate::search::fts_query(match &c.value {
                Value::Text(t) => t,
                _ => "",
            })
            .unwrap_or_else(|| "\"\"".into());
            let (negate, _) = positive(c.op);
            let comments = if cx.hide_comments {
                " AND x.type != 'Comment'"
            } else {
                ""
            };
            sql.push_str(&format!(
                "t.id {negate}IN (SELECT m.effective_id FROM transaction_text f \
                 JOIN transactions x ON x.id = f.rowid JOIN tickets m ON m.id = x.ticket_id \
                 WHERE transaction_text MATCH ?{comments})"
            ));
            params.push(SqlValue::Text(fts));
        }
        Field::Link(name) => {
            let (kind, from_base) = name.stored();
            let (this, other) = if from_base {
                ("l.base_id", "l.target_id")
            } else {
                ("l.target_id", "l.base_id")
            };
            let base = format!("SELECT 1 FROM links l WHERE l.type = ? AND {this} = t.id AND {other} IS NOT NULL");
            params.push(SqlValue::Text(kind.as_str().into()));
            if null_test {
                sql.push_str(&format!("{exists_for_null}EXISTS ({base})"));
            } else {
                sql.push_str(&format!("{exists}EXISTS ({base} AND {other} = ?)"));
                params.push(text_param(c));
            }
        }
        Field::CustomField(name) => {
            let base = "SELECT 1 FROM ticket_custom_field_values v JOIN custom_fields f \
                        ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ?";
            params.push(SqlValue::Text(name.clone()));
            if null_test {
                sql.push_str(&format!("{exists_for_null}EXISTS ({base})"));
                return;
            }
            // a comparison with a number compares numbers; anything else compares text
            // (dates are stored in RFC 3339, so text order is time order)
            let (negate, cmp) = positive(c.op);
            let ordering = matches!(c.op, Op::Lt | Op::Gt | Op::Le | Op::Ge);
            let cmp = if ordering { op } else { cmp };
            let numeric = ordering && matches!(&c.value, Value::Text(t) if t.trim().parse::<i64>().is_ok());
            let column = if numeric { "CAST(v.value AS INTEGER)" } else { "v.value" };
            sql.push_str(&format!("{negate}EXISTS ({base} AND {column} {cmp} ?)"));
            params.push(match &c.value {
                Value::Text(t) if numeric => SqlValue::Integer(t.trim().parse().unwrap_or_default()),
                Value::Text(t) if ordering => {
                    SqlValue::Text(crate::ticket::parse_date(t).map_or_else(|_| t.clone(), ts))
                }
                _ => text_param(c),
            });
        }
        Field::Requestor | Field::Cc | Field::AdminCc | Field::Watcher => {
            // constants of ours, never the query's text
            let roles = match c.field {
                Field::Requestor => "'Requestor'",
                Field::Cc => "'Cc'",
                Field::AdminCc => "'AdminCc'",
                _ => "'Requestor', 'Cc', 'AdminCc'",
            };
            // "is there one" per ticket; "whose is it" from the person's side, through
            // the (principal_id, role) index
            let base = format!("SELECT 1 FROM ticket_roles r WHERE r.ticket_id = t.id AND r.role IN ({roles})");
            let held = format!("SELECT r.ticket_id FROM ticket_roles r WHERE r.role IN ({roles}) AND r.principal_id");
            match &c.value {
                _ if null_test => sql.push_str(&format!("{exists_for_null}EXISTS ({base})")),
                Value::CurrentUser => {
                    sql.push_str(&format!("t.id {exists}IN ({held} = ?)"));
                    params.push(SqlValue::Integer(cx.me));
                }
                _ => {
                    let (negate, cmp) = positive(c.op);
                    sql.push_str(&format!(
                        "t.id {negate}IN ({held} IN (SELECT id FROM users u WHERE u.email {cmp} ? OR u.name {cmp} ?))"
                    ));
                    params.push(text_param(c));
                    params.push(text_param(c));
                }
            }
        }
    }
}

/// A report grouping as the key to group tickets by, and the expression that names a
/// group from its key (`key` is the key's column in the grouped rows).
fn group_column(g: &Grouping, key: &str, params: &mut Vec<SqlValue>) -> (String, String) {
    // `+column`: a plain table scan with a sort beats walking an index of the grouping
    // column that does not cover the query, fetching every ticket's row in index order;
    // the (queue_id, status, priority, effective_id) index does cover status and queue
    let user = |column: &str| {
        (
            format!("+{column}"),
            format!("(SELECT COALESCE(email, name) FROM users WHERE id = {key})"),
        )
    };
    match g {
        Grouping::Status => ("t.status".into(), key.into()),
        Grouping::Queue => (
            "t.queue_id".into(),
            format!("(SELECT name FROM queues WHERE id = {key})"),
        ),
        Grouping::Owner => user("t.owner_id"),
        Grouping::Creator => user("t.creator_id"),
        Grouping::Priority => ("+t.priority".into(), key.into()),
        Grouping::Date { field, length } => {
            let column = match field {
                Field::Resolved => "t.resolved",
                Field::Due => "t.due",
                Field::Updated => "t.updated",
                Field::Started => "t.started",
                _ => "t.created",
            };
            (format!("substr({column}, 1, {length})"), key.into())
        }
        Grouping::CustomField(name) => {
            params.push(SqlValue::Text(name.clone()));
            (
                "(SELECT MIN(v.value) FROM ticket_custom_field_values v JOIN custom_fields f \
                  ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ?)"
                    .into(),
                key.into(),
            )
        }
    }
}

/// Watcher conditions are about "some watcher": `Requestor != x` means no requestor is x,
/// so negative operators become `NOT EXISTS` of the positive one.
fn positive(op: Op) -> (&'static str, &'static str) {
    match op {
        Op::Ne => ("NOT ", "="),
        Op::NotLike => ("NOT ", "LIKE"),
        Op::Like => ("", "LIKE"),
        _ => ("", "="),
    }
}

/// A search saved under a name by its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    pub name: String,
    pub query: String,
}

impl Db<'_> {
    /// A user's saved searches, by name.
    pub fn saved_searches(&self, owner: i64) -> Result<Vec<SavedSearch>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, query FROM saved_searches WHERE owner_id = ?1 ORDER BY name")?;
        let rows = stmt.query_map([owner], |r| {
            Ok(SavedSearch {
                name: r.get(0)?,
                query: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl super::WriteTx<'_> {
    /// Saves (or replaces) a user's search under a name.
    pub fn save_search(&self, owner: i64, name: &str, query: &str) -> Result<()> {
        super::cached_execute(
            self.conn(),
            "INSERT INTO saved_searches (owner_id, name, query) VALUES (?1, ?2, ?3) \
             ON CONFLICT (owner_id, name) DO UPDATE SET query = excluded.query",
            rusqlite::params![owner, name, query],
        )?;
        Ok(())
    }

    /// Forgets a saved search; false when there was none of that name.
    pub fn delete_saved_search(&self, owner: i64, name: &str) -> Result<bool> {
        let n = super::cached_execute(
            self.conn(),
            "DELETE FROM saved_searches WHERE owner_id = ?1 AND name = ?2",
            rusqlite::params![owner, name],
        )?;
        Ok(n > 0)
    }
}
