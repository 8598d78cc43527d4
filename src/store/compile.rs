//! Compiling a parsed query to SQL over `tickets t`. Values only ever travel as
//! parameters; the SQL text is made of this module's constants.
//!
//! The SQL keeps the query's shape: an AND or OR of many conditions is one flat list, an
//! IN list one SQL IN list. With the parser's bounds that keeps every statement far from
//! SQLite's own limits (expression depth, parameters), so a query either is refused by
//! the parser with a clear error or runs.

use super::sql::{Dialect, Value as SqlValue};

use crate::rights::{Principal, Viewer, Visibility};
use crate::search::{Condition, Direction, Expr, Field, Op, Query, Value};
use crate::ticket::{Lifecycle, Role, Status};
use crate::user::NOBODY_ID;

/// At most this many results unless the query says `LIMIT` (or the API asks for a page).
const DEFAULT_LIMIT: u32 = 10_000;

/// Who runs a search: what they may see, and who `__CurrentUser__` is. `None` in the
/// store's own calls means everything, as the system.
pub type SeenBy<'a> = Option<&'a Viewer>;

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

/// Compiles a query to `SELECT t.id FROM tickets t WHERE …` (with `ordered`, its ORDER BY,
/// LIMIT and OFFSET; without, only the WHERE clause, for reports).
pub fn compile_query(
    query: &Query,
    seen_by: SeenBy<'_>,
    lifecycles: &[&Lifecycle],
    ordered: bool,
    dialect: Dialect,
) -> CompiledQuery {
    let mut params = Vec::new();
    let mut sql = String::from("t.id = t.effective_id");
    if !query.filter.as_ref().is_some_and(mentions_status) {
        sql.push_str(" AND t.status != 'deleted'");
    }
    if let Some(viewer) = seen_by
        && let Some(visible) = visible(&viewer.principal, &viewer.tickets, dialect, &mut params)
    {
        sql.push_str(&format!(" AND {visible}"));
    }
    if let Some(filter) = &query.filter {
        let context = Context {
            lifecycles,
            me: seen_by.map_or(-1, |v| v.principal.user_id),
            viewer: seen_by,
            dialect,
        };
        sql.push_str(&format!(" AND ({})", compile(filter, &context, &mut params)));
    }
    if dialect == Dialect::Postgres {
        sql = postgres_likes(&sql);
    }
    if !ordered {
        return CompiledQuery { sql, params };
    }
    let mut sql = format!("SELECT t.id FROM tickets t WHERE {sql} ORDER BY ");
    for (field, direction) in &query.order_by {
        sql.push_str(&order_column(field, &mut params));
        // SQLite's own order, said out loud: PostgreSQL puts NULL the other way round
        sql.push_str(if *direction == Direction::Desc {
            " DESC NULLS LAST, "
        } else {
            " ASC NULLS FIRST, "
        });
    }
    sql.push_str("t.id ASC LIMIT ? OFFSET ?");
    params.push(SqlValue::Integer(query.limit.unwrap_or(DEFAULT_LIMIT).into()));
    params.push(SqlValue::Integer(query.offset.unwrap_or(0).into()));
    CompiledQuery { sql, params }
}

/// What compiling a condition needs beyond the condition.
struct Context<'a> {
    lifecycles: &'a [&'a Lifecycle],
    /// `__CurrentUser__`.
    me: i64,
    /// Whose comments may be matched: `None` for the system, which sees everything.
    viewer: SeenBy<'a>,
    dialect: Dialect,
}

/// SQLite's LIKE ignores ASCII case and knows no escape character; PostgreSQL's ILIKE
/// with `ESCAPE ''` is the same (the database's ctype decides what case is). Only the
/// compiler's own text is rewritten: what the query looks for is always a parameter.
fn postgres_likes(sql: &str) -> String {
    sql.replace(" LIKE ?", " ILIKE ? ESCAPE ''")
}

/// The condition over `t` that limits tickets to what `v` allows: everything (`None`),
/// whole queues, or tickets on which the user holds a role that `v` names (through a
/// group or the queue's watchers too). `FALSE` when it allows nothing.
pub(super) fn visible(who: &Principal, v: &Visibility, dialect: Dialect, params: &mut Vec<SqlValue>) -> Option<String> {
    if v.everything {
        return None;
    }
    let mut any = Vec::new();
    if !v.queues.is_empty() {
        any.push(one_of(
            "t.queue_id",
            false,
            v.queues.iter().map(|q| SqlValue::Integer(*q)),
            params,
        ));
    }
    let mut roles: Vec<Role> = v.roles.iter().map(|(role, _)| *role).collect();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    for role in roles {
        let queues: Vec<Option<i64>> = v.roles.iter().filter(|(r, _)| *r == role).map(|(_, q)| *q).collect();
        let held = role_held(who, role, dialect, params);
        if queues.contains(&None) {
            any.push(held);
        } else {
            let queues = queues.into_iter().flatten().map(SqlValue::Integer);
            any.push(format!("({held} AND {})", one_of("t.queue_id", false, queues, params)));
        }
    }
    Some(match any.len() {
        0 => "FALSE".into(),
        1 => any.remove(0),
        _ => format!("({})", any.join(" OR ")),
    })
}

/// Whether the user holds `role` on ticket `t` (directly, through a group, or as a
/// watcher of its queue).
fn role_held(who: &Principal, role: Role, dialect: Dialect, params: &mut Vec<SqlValue>) -> String {
    if role == Role::Owner {
        params.push(SqlValue::Integer(who.user_id));
        return "t.owner_id = ?".into();
    }
    let mut ids = who.groups.clone();
    ids.push(who.user_id);
    let principals = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    params.extend([
        SqlValue::Text(role.as_str().into()),
        SqlValue::Text(principals.clone()),
        SqlValue::Text(role.as_str().into()),
        SqlValue::Text(principals),
    ]);
    // from the person's side (the (principal_id, role) index), not per ticket
    match dialect {
        Dialect::Sqlite => "(t.id IN (SELECT r.ticket_id FROM ticket_roles r WHERE r.role = ? \
           AND r.principal_id IN (SELECT value FROM json_each(?))) \
         OR t.queue_id IN (SELECT w.queue_id FROM queue_watchers w WHERE w.role = ? \
           AND w.principal_id IN (SELECT value FROM json_each(?))))"
            .into(),
        // PostgreSQL turns neither side of an OR of two IN (subquery) into a join: it read
        // every ticket and probed both (0.7 s for a requestor's own tickets over a million).
        // Each side as an array computed once is an index condition, and the two index
        // scans are ORed (22 ms).
        Dialect::Postgres => "(t.id = ANY (ARRAY(SELECT r.ticket_id FROM ticket_roles r WHERE r.role = ? \
           AND r.principal_id IN (SELECT value FROM json_each(?)))) \
         OR t.queue_id = ANY (ARRAY(SELECT w.queue_id FROM queue_watchers w WHERE w.role = ? \
           AND w.principal_id IN (SELECT value FROM json_each(?)))))"
            .into(),
    }
}

fn mentions_status(expr: &Expr) -> bool {
    match expr {
        Expr::And(all) | Expr::Or(all) => all.iter().any(mentions_status),
        Expr::Not(e) => mentions_status(e),
        Expr::Condition(c) => c.field == Field::Status,
    }
}

fn compile(expr: &Expr, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    let mut joined = |all: &[Expr], word: &str| {
        let parts: Vec<String> = all.iter().map(|e| compile(e, cx, params)).collect();
        format!("({})", parts.join(word))
    };
    match expr {
        Expr::And(all) => joined(all, " AND "),
        Expr::Or(all) => joined(all, " OR "),
        Expr::Not(e) => format!("NOT ({})", compile(e, cx, params)),
        Expr::Condition(c) => condition(c, cx, params),
    }
}

pub(super) fn order_column(field: &Field, params: &mut Vec<SqlValue>) -> String {
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

/// A value as a parameter of `=` or IN (the special values have their own SQL).
fn plain(value: &Value) -> SqlValue {
    match value {
        Value::Text(t) => SqlValue::Text(t.clone()),
        Value::Integer(n) => SqlValue::Integer(*n),
        Value::Active(_) | Value::CurrentUser | Value::Null | Value::List(_) => SqlValue::Null,
    }
}

/// The parameter of a comparison (`<`, LIKE, …): LIKE patterns as RT reads them.
fn compared(c: &Condition) -> SqlValue {
    match &c.value {
        Value::Text(t) if matches!(c.op, Op::Like | Op::NotLike) => SqlValue::Text(like_pattern(t)),
        value => plain(value),
    }
}

/// `=`, `!=`, IN and NOT IN are one question, whether the field's value is one of a list
/// (of one for `=`): whether it is negated, and the list. `None` for other operators.
fn membership(c: &Condition) -> Option<(bool, &[Value])> {
    match c.op {
        Op::Eq | Op::In => Some((false, c.values())),
        Op::Ne | Op::NotIn => Some((true, c.values())),
        _ => None,
    }
}

/// `left = ?` (`!=`) for one value, `left IN (?, …)` (`NOT IN`) for more.
fn one_of(left: &str, negate: bool, values: impl IntoIterator<Item = SqlValue>, params: &mut Vec<SqlValue>) -> String {
    let before = params.len();
    params.extend(values);
    match (params.len() - before, negate) {
        (1, false) => format!("{left} = ?"),
        (1, true) => format!("{left} != ?"),
        (n, negate) => {
            let marks = vec!["?"; n].join(", ");
            format!("{left} {}IN ({marks})", if negate { "NOT " } else { "" })
        }
    }
}

/// `NOT ` for a negative operator: watcher, owner, link and custom field conditions
/// are about "some value", so `Requestor != x` means no requestor is x.
fn not(negate: bool) -> &'static str {
    if negate { "NOT " } else { "" }
}

fn condition(c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    match &c.field {
        Field::Id => column_condition("t.id", c, params),
        Field::Priority => column_condition("t.priority", c, params),
        Field::TimeWorked => column_condition("t.time_worked", c, params),
        Field::Created => column_condition("t.created", c, params),
        Field::Updated => column_condition("t.updated", c, params),
        Field::Started => column_condition("t.started", c, params),
        Field::Starts => column_condition("t.starts", c, params),
        Field::Resolved => column_condition("t.resolved", c, params),
        Field::Due => column_condition("t.due", c, params),
        Field::Told => column_condition("t.told", c, params),
        Field::Subject => column_condition("t.subject", c, params),
        Field::Queue => queue_condition(c, params),
        Field::Status => status_condition(c, cx, params),
        Field::Owner => user_column_condition("t.owner_id", c, cx, params),
        Field::Creator => user_column_condition("t.creator_id", c, cx, params),
        Field::Content => content_condition(c, cx, params),
        Field::Link(_) => link_condition(c, params),
        Field::CustomField(name) => custom_field_condition(name, c, cx.dialect, params),
        Field::Requestor | Field::Cc | Field::AdminCc | Field::Watcher => watcher_condition(c, cx, params),
    }
}

/// A column of the ticket's own row.
fn column_condition(column: &str, c: &Condition, params: &mut Vec<SqlValue>) -> String {
    if matches!(c.op, Op::IsNull | Op::IsNotNull) {
        return format!("{column} {}", c.op.symbol());
    }
    // subjects compare as people read them; LIKE is case-blind already
    let nocase = column == "t.subject";
    if let Some((negate, values)) = membership(c) {
        let left = if nocase {
            format!("{column} COLLATE NOCASE")
        } else {
            column.to_string()
        };
        return one_of(&left, negate, values.iter().map(plain), params);
    }
    params.push(compared(c));
    let collate = if nocase && !matches!(c.op, Op::Like | Op::NotLike) {
        " COLLATE NOCASE"
    } else {
        ""
    };
    format!("{column} {} ?{collate}", c.op.symbol())
}

/// Written as `t.queue_id IN (…)` rather than a lookup per ticket, so that the
/// (queue_id, status, priority) index serves it.
fn queue_condition(c: &Condition, params: &mut Vec<SqlValue>) -> String {
    let (negate, names) = match membership(c) {
        Some((negate, values)) => (negate, one_of("name", false, values.iter().map(plain), params)),
        None => {
            params.push(compared(c));
            (c.op == Op::NotLike, "name LIKE ?".to_string())
        }
    };
    format!("t.queue_id {}IN (SELECT id FROM queues WHERE {names})", not(negate))
}

fn status_condition(c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    let Some((negate, values)) = membership(c) else {
        params.push(compared(c));
        return format!("t.status {} ?", c.op.symbol());
    };
    let actives: Vec<bool> = values
        .iter()
        .filter_map(|v| match v {
            Value::Active(active) => Some(*active),
            _ => None,
        })
        .collect();
    let named = values.iter().filter(|v| matches!(v, Value::Text(_))).map(plain);
    if actives.is_empty() {
        return one_of("t.status", negate, named, params);
    }
    let mut any = Vec::new();
    let named: Vec<SqlValue> = named.collect();
    if !named.is_empty() {
        any.push(one_of("t.status", false, named, params));
    }
    for active in actives {
        any.push(lifecycle_statuses(active, cx.lifecycles, params));
    }
    format!("{}({})", not(negate), any.join(" OR "))
}

/// `__Active__` (or `__Inactive__`): each queue's lifecycle says which of its statuses
/// are active.
///
/// The per-lifecycle conditions are led by `t.status IN (every such status)`, which says
/// nothing new but lets SQLite use its status indexes instead of reading every ticket to
/// evaluate the OR (a report of active tickets: 244 ms to 58 ms over a million).
fn lifecycle_statuses(active: bool, lifecycles: &[&Lifecycle], params: &mut Vec<SqlValue>) -> String {
    let mut union: Vec<&str> = lifecycles
        .iter()
        .flat_map(|l| {
            l.statuses()
                .filter(|st| l.is_active(st) == active)
                .map(|st| st.as_str())
        })
        .collect();
    union.sort_unstable();
    union.dedup();
    if union.is_empty() {
        return "(FALSE)".into();
    }
    let leading = one_of(
        "t.status",
        false,
        union.iter().map(|st| SqlValue::Text((*st).into())),
        params,
    );
    let mut any = vec!["FALSE".to_string()];
    for lifecycle in lifecycles {
        let statuses: Vec<&Status> = lifecycle
            .statuses()
            .filter(|st| lifecycle.is_active(st) == active)
            .collect();
        if statuses.is_empty() {
            continue;
        }
        params.push(SqlValue::Text(lifecycle.name.clone()));
        let named = one_of(
            "t.status",
            false,
            statuses.iter().map(|st| SqlValue::Text(st.as_str().into())),
            params,
        );
        any.push(format!(
            "(t.queue_id IN (SELECT id FROM queues WHERE lifecycle = ?) AND {named})"
        ));
    }
    format!("({leading} AND ({}))", any.join(" OR "))
}

/// Owner and Creator: an unowned ticket is owned by Nobody.
fn user_column_condition(column: &str, c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    if matches!(c.op, Op::IsNull | Op::IsNotNull) {
        params.push(SqlValue::Integer(NOBODY_ID));
        return format!("{column} {} ?", if c.op == Op::IsNull { "=" } else { "!=" });
    }
    is_user(column, c, cx, params)
}

/// `left` (a user id) is one of the users the condition names: by login name or
/// address, `__CurrentUser__`, or a LIKE pattern on either.
fn is_user(left: &str, c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    let Some((negate, values)) = membership(c) else {
        params.extend([compared(c), compared(c)]);
        return format!(
            "{left} {}IN (SELECT id FROM users u WHERE u.name LIKE ? OR u.email LIKE ?)",
            not(c.op == Op::NotLike)
        );
    };
    let me = values.contains(&Value::CurrentUser);
    let names: Vec<SqlValue> = values
        .iter()
        .filter(|v| matches!(v, Value::Text(_)))
        .map(plain)
        .collect();
    if names.is_empty() {
        // only `__CurrentUser__`: straight to the id, which the indexes serve best
        return one_of(left, negate, [SqlValue::Integer(cx.me)], params);
    }
    let mut any = Vec::new();
    if me {
        params.push(SqlValue::Integer(cx.me));
        any.push("u.id = ?".to_string());
    }
    any.push(one_of("u.name", false, names.clone(), params));
    any.push(one_of("u.email", false, names, params));
    format!(
        "{left} {}IN (SELECT id FROM users u WHERE {})",
        not(negate),
        any.join(" OR ")
    )
}

fn watcher_condition(c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    // constants of ours, never the query's text
    let roles = match c.field {
        Field::Requestor => "'Requestor'",
        Field::Cc => "'Cc'",
        Field::AdminCc => "'AdminCc'",
        _ => "'Requestor', 'Cc', 'AdminCc'",
    };
    if matches!(c.op, Op::IsNull | Op::IsNotNull) {
        // "is there one" per ticket
        let base = format!("SELECT 1 FROM ticket_roles r WHERE r.ticket_id = t.id AND r.role IN ({roles})");
        return format!("{}EXISTS ({base})", not(c.op == Op::IsNull));
    }
    // "whose is it" from the person's side, through the (principal_id, role) index
    let negate = matches!(c.op, Op::Ne | Op::NotLike | Op::NotIn);
    let positive = Condition {
        op: match c.op {
            Op::Ne | Op::NotIn => Op::In,
            Op::NotLike => Op::Like,
            op => op,
        },
        ..c.clone()
    };
    let held = is_user("r.principal_id", &positive, cx, params);
    format!(
        "t.id {}IN (SELECT r.ticket_id FROM ticket_roles r WHERE r.role IN ({roles}) AND {held})",
        not(negate)
    )
}

/// The text of the tickets' transactions, through the full-text index. Comments are
/// matched only on tickets whose comments the user may read.
fn content_condition(c: &Condition, cx: &Context<'_>, params: &mut Vec<SqlValue>) -> String {
    let negate = matches!(c.op, Op::Ne | Op::NotLike | Op::NotIn);
    let texts = c.values().iter().filter_map(|v| match v {
        Value::Text(t) => Some(t.as_str()),
        _ => None,
    });
    // the parser made sure there is something to look for
    let fts = SqlValue::Text(crate::search::fts_any(texts).unwrap_or_else(|_| "\"\"".into()));
    let matching = |kinds: &str| match cx.dialect {
        // a match counts for the ticket its ticket was merged into (`merged_into`, kept on
        // merge, not a join per match: 223,000 of them for a common word)
        Dialect::Sqlite => format!(
            "t.id IN (SELECT COALESCE(x.merged_into, x.ticket_id) FROM transaction_text f \
             JOIN transactions x ON x.id = f.rowid WHERE transaction_text MATCH ?{kinds})"
        ),
        Dialect::Postgres => format!(
            "t.id IN (SELECT COALESCE(x.merged_into, x.ticket_id) FROM transactions x \
             WHERE x.content_words @@ fts_query(?){kinds})"
        ),
    };
    params.push(fts.clone());
    let found = match cx.viewer {
        Some(viewer) if !viewer.comments.everything => {
            let mut found = matching(" AND x.type != 'Comment'");
            let comments = &viewer.comments;
            if !comments.queues.is_empty() || !comments.roles.is_empty() {
                let readable =
                    visible(&viewer.principal, comments, cx.dialect, params).unwrap_or_else(|| "TRUE".into());
                params.push(fts);
                found = format!("({found} OR ({readable} AND {}))", matching(" AND x.type = 'Comment'"));
            }
            found
        }
        _ => matching(""),
    };
    format!("{}{found}", not(negate))
}

fn link_condition(c: &Condition, params: &mut Vec<SqlValue>) -> String {
    let Field::Link(name) = &c.field else {
        return "FALSE".into();
    };
    let (kind, from_base) = name.stored();
    let (this, other) = if from_base {
        ("l.base_id", "l.target_id")
    } else {
        ("l.target_id", "l.base_id")
    };
    params.push(SqlValue::Text(kind.as_str().into()));
    let base = format!("SELECT 1 FROM links l WHERE l.type = ? AND {this} = t.id AND {other} IS NOT NULL");
    match membership(c) {
        Some((negate, values)) => {
            let linked = one_of(other, false, values.iter().map(plain), params);
            format!("{}EXISTS ({base} AND {linked})", not(negate))
        }
        None => format!("{}EXISTS ({base})", not(c.op == Op::IsNull)),
    }
}

fn custom_field_condition(name: &str, c: &Condition, dialect: Dialect, params: &mut Vec<SqlValue>) -> String {
    let base = "SELECT 1 FROM ticket_custom_field_values v JOIN custom_fields f \
                ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ?";
    params.push(SqlValue::Text(name.to_string()));
    if matches!(c.op, Op::IsNull | Op::IsNotNull) {
        return format!("{}EXISTS ({base})", not(c.op == Op::IsNull));
    }
    if let Some((negate, values)) = membership(c) {
        let equal = one_of("v.value", false, values.iter().map(plain), params);
        return format!("{}EXISTS ({base} AND {equal})", not(negate));
    }
    if matches!(c.op, Op::Like | Op::NotLike) {
        params.push(compared(c));
        return format!("{}EXISTS ({base} AND v.value LIKE ?)", not(c.op == Op::NotLike));
    }
    // an ordering with a number compares numbers; anything else compares text (dates
    // are stored in RFC 3339, so text order is time order)
    let number = match &c.value {
        Value::Text(t) => t.trim().parse::<i64>().ok(),
        _ => None,
    };
    // SQLite reads text that is no number as 0; PostgreSQL would stop the search
    let as_number = match dialect {
        Dialect::Sqlite => "CAST(v.value AS INTEGER)",
        Dialect::Postgres => "CASE WHEN v.value ~ '^ *-?[0-9]{1,18} *$' THEN CAST(v.value AS BIGINT) ELSE 0 END",
    };
    let (column, value) = match (number, &c.value) {
        (Some(n), _) => (as_number, SqlValue::Integer(n)),
        (None, Value::Text(t)) => (
            "v.value",
            SqlValue::Text(crate::ticket::parse_date(t).map_or_else(|_| t.clone(), super::ts)),
        ),
        (None, value) => ("v.value", plain(value)),
    };
    params.push(value);
    format!("EXISTS ({base} AND {column} {} ?)", c.op.symbol())
}
