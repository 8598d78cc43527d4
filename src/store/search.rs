//! Compiling a parsed query to SQL. Values only ever travel as parameters.

use rusqlite::types::Value as SqlValue;

use super::{Db, ts};
use crate::error::Result;
use crate::rights::{Principal, Visibility};
use crate::search::{Condition, Direction, Expr, Field, Op, Query, Value};
use crate::ticket::{Lifecycle, Role, Status, Ticket};

/// More results than this need `LIMIT` (pagination comes with the full search issue).
const DEFAULT_LIMIT: u32 = 10_000;

impl Db<'_> {
    /// The tickets matching a query, without their history. Merged tickets are not listed
    /// (their survivor is), and deleted ones only when the query asks about Status, as RT.
    ///
    /// With `seen_by`, only the tickets that user may see are listed.
    /// `lifecycles` decide what `__Active__` and `__Inactive__` mean in each queue.
    pub fn search(
        &self,
        query: &Query,
        seen_by: Option<(&Principal, &Visibility)>,
        lifecycles: &[&Lifecycle],
    ) -> Result<Vec<Ticket>> {
        let mut params = Vec::new();
        let mut sql = String::from("SELECT t.id FROM tickets t WHERE t.id = t.effective_id");
        if !query.filter.as_ref().is_some_and(mentions_status) {
            sql.push_str(" AND t.status != 'deleted'");
        }
        if let Some((who, visibility)) = seen_by {
            visible_to(who, visibility, &mut sql, &mut params);
        }
        if let Some(filter) = &query.filter {
            sql.push_str(" AND (");
            compile(filter, lifecycles, &mut sql, &mut params);
            sql.push(')');
        }
        sql.push_str(" ORDER BY ");
        for (field, direction) in &query.order_by {
            sql.push_str(&order_column(field, &mut params));
            sql.push_str(if *direction == Direction::Desc {
                " DESC, "
            } else {
                " ASC, "
            });
        }
        sql.push_str("t.id ASC LIMIT ?");
        params.push(SqlValue::Integer(query.limit.unwrap_or(DEFAULT_LIMIT).into()));
        let ids: Vec<i64> = self
            .conn
            .prepare(&sql)?
            .query_map(rusqlite::params_from_iter(params), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter().map(|id| self.ticket(id, false)).collect()
    }
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
                "(EXISTS (SELECT 1 FROM ticket_roles r WHERE r.ticket_id = t.id AND r.role = ? \
                   AND r.principal_id IN (SELECT value FROM json_each(?))) \
                 OR EXISTS (SELECT 1 FROM queue_watchers w WHERE w.queue_id = t.queue_id AND w.role = ? \
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

fn compile(expr: &Expr, lifecycles: &[&Lifecycle], sql: &mut String, params: &mut Vec<SqlValue>) {
    let mut binary = |a: &Expr, op: &str, b: &Expr, sql: &mut String| {
        sql.push('(');
        compile(a, lifecycles, sql, params);
        sql.push_str(op);
        compile(b, lifecycles, sql, params);
        sql.push(')');
    };
    match expr {
        Expr::And(a, b) => binary(a, " AND ", b, sql),
        Expr::Or(a, b) => binary(a, " OR ", b, sql),
        Expr::Not(e) => {
            sql.push_str("NOT (");
            compile(e, lifecycles, sql, params);
            sql.push(')');
        }
        Expr::Condition(c) => condition(c, lifecycles, sql, params),
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
        Field::Requestor | Field::Cc | Field::AdminCc => "t.id",
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
        Value::Active(_) => SqlValue::Null,
    }
}

fn condition(c: &Condition, lifecycles: &[&Lifecycle], sql: &mut String, params: &mut Vec<SqlValue>) {
    let op = c.op.symbol();
    match &c.field {
        Field::Id | Field::Priority | Field::Created | Field::Updated | Field::Subject => {
            let column = match c.field {
                Field::Id => "t.id",
                Field::Priority => "t.priority",
                Field::Created => "t.created",
                Field::Updated => "t.updated",
                _ => "t.subject",
            };
            let collate = if c.field == Field::Subject && !matches!(c.op, Op::Like | Op::NotLike) {
                " COLLATE NOCASE"
            } else {
                ""
            };
            sql.push_str(&format!("{column} {op} ?{collate}"));
            params.push(text_param(c));
        }
        Field::Queue => {
            sql.push_str(&format!("(SELECT name FROM queues WHERE id = t.queue_id) {op} ?"));
            params.push(text_param(c));
        }
        Field::Status => match &c.value {
            Value::Active(active) => {
                // each queue's lifecycle says which of its statuses are active
                let mut any = vec!["0".to_string()];
                for lifecycle in lifecycles {
                    let statuses: Vec<&Status> = lifecycle
                        .statuses()
                        .filter(|st| lifecycle.is_active(st) == *active)
                        .collect();
                    if statuses.is_empty() {
                        continue;
                    }
                    let marks = vec!["?"; statuses.len()].join(", ");
                    any.push(format!(
                        "((SELECT lifecycle FROM queues WHERE id = t.queue_id) = ? AND t.status IN ({marks}))"
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
        Field::Owner => {
            let (negate, cmp) = positive(c.op);
            sql.push_str(&format!(
                "{negate}EXISTS (SELECT 1 FROM users u WHERE u.id = t.owner_id AND (u.name {cmp} ? OR u.email {cmp} ?))"
            ));
            params.push(text_param(c));
            params.push(text_param(c));
        }
        Field::CustomField(name) => {
            // a comparison with a number compares numbers; anything else compares text
            // (dates are stored in RFC 3339, so text order is time order)
            let (negate, cmp) = positive(c.op);
            let cmp = if matches!(c.op, Op::Lt | Op::Gt | Op::Le | Op::Ge) {
                op
            } else {
                cmp
            };
            let numeric = matches!(c.op, Op::Lt | Op::Gt | Op::Le | Op::Ge)
                && matches!(&c.value, Value::Text(t) if t.trim().parse::<i64>().is_ok());
            let column = if numeric { "CAST(v.value AS INTEGER)" } else { "v.value" };
            sql.push_str(&format!(
                "{negate}EXISTS (SELECT 1 FROM ticket_custom_field_values v JOIN custom_fields f \
                 ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ? AND {column} {cmp} ?)"
            ));
            params.push(SqlValue::Text(name.clone()));
            params.push(match &c.value {
                Value::Text(t) if numeric => SqlValue::Integer(t.trim().parse().unwrap_or_default()),
                Value::Text(t) if matches!(c.op, Op::Lt | Op::Gt | Op::Le | Op::Ge) => {
                    SqlValue::Text(crate::ticket::parse_date(t).map_or_else(|_| t.clone(), ts))
                }
                _ => text_param(c),
            });
        }
        Field::Requestor | Field::Cc | Field::AdminCc => {
            let role = match c.field {
                Field::Requestor => "Requestor",
                Field::Cc => "Cc",
                _ => "AdminCc",
            };
            let (negate, cmp) = positive(c.op);
            sql.push_str(&format!(
                "{negate}EXISTS (SELECT 1 FROM ticket_roles r JOIN users u ON u.id = r.principal_id \
                 WHERE r.ticket_id = t.id AND r.role = '{role}' AND u.email {cmp} ?)"
            ));
            params.push(text_param(c));
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
