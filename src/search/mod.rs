//! The query language, close to RT's TicketSQL, parsed to an AST; and the simple
//! free-text form (`printer broken queue:network owner:me`) mapped onto it.
//!
//! `Queue = 'general' AND Status = '__Active__' AND Content LIKE 'toner'`
//!
//! The store compiles the AST to parameterised SQL; no text of a query is ever spliced
//! into SQL. A syntax error says where it is and what was expected. Relative dates
//! (`'-7 days'`, `'yesterday'`) are resolved against the `now` the caller passes.

mod fulltext;
mod parser;
mod report;
mod simple;
mod tokens;

pub use fulltext::{MAX_WORDS, fts_any, fts_query};
pub use parser::{MAX_CONDITIONS, MAX_NESTING, MAX_QUERY_CHARS, MAX_VALUE_CHARS, MAX_VALUES, parse};
pub use report::{Grouping, MAX_GROUPINGS, parse_grouping, parse_groupings};
pub use simple::{looks_like_ticketsql, quote, simple_to_ticketsql};

use crate::ticket::LinkName;

/// A parsed query: a condition (none means every ticket), an order, a limit and an
/// offset (for pages).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filter: Option<Expr>,
    pub order_by: Vec<(Field, Direction)>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A boolean combination of conditions. A chain `a AND b AND c` is one `And` of three,
/// not a tree as deep as the chain is long: only parentheses and NOTs nest, and the
/// parser bounds that ([`MAX_NESTING`]), so no query makes the code that walks it recurse
/// without end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Every one of them (two or more).
    And(Vec<Expr>),
    /// Any of them (two or more).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Condition(Condition),
}

/// `Field op value`; with IN and NOT IN the value is a [`Value::List`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

impl Condition {
    /// The values compared with: a list's members, or the one value.
    pub fn values(&self) -> &[Value] {
        match &self.value {
            Value::List(values) => values,
            value => std::slice::from_ref(value),
        }
    }
}

/// A field a query can test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    Queue,
    Status,
    Owner,
    Creator,
    Requestor,
    Cc,
    AdminCc,
    /// Any of Requestor, Cc and AdminCc.
    Watcher,
    Subject,
    /// The text of every transaction, through the full-text index.
    Content,
    Priority,
    TimeWorked,
    Created,
    Updated,
    Started,
    Starts,
    Resolved,
    Due,
    Told,
    /// `DependsOn = 12`, `MemberOf IS NULL`, ...: linked tickets.
    Link(LinkName),
    /// `CF.{Name}`: a custom field.
    CustomField(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Like,
    NotLike,
    IsNull,
    IsNotNull,
    /// `field IN ('a', 'b')`: equal to one of a list (compiled to an SQL IN list).
    In,
    /// `field NOT IN ('a', 'b')`: equal to none of them.
    NotIn,
}

/// What a field is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Integer(i64),
    /// `Status = '__Active__'` (true: initial and active statuses of each ticket's
    /// lifecycle) or `'__Inactive__'` (false).
    Active(bool),
    /// `__CurrentUser__`: whoever runs the search.
    CurrentUser,
    /// With IS NULL and IS NOT NULL.
    Null,
    /// With IN and NOT IN: the values of the list, each typed as with `=`.
    List(Vec<Value>),
}

/// Sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// What kind of values a field holds, which decides the operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Integer,
    Text,
    Date,
    /// A custom field: any operator; its values decide how they compare.
    Custom,
    /// Words and phrases matched by the full-text index.
    FullText,
    /// A user: by login name or address, `Nobody`, or `__CurrentUser__`.
    User,
    /// Another ticket's number.
    Ticket,
}

impl Field {
    /// Every field but custom ones, for error messages and lookups.
    pub fn all() -> Vec<Field> {
        let mut all = vec![
            Field::Id,
            Field::Queue,
            Field::Status,
            Field::Owner,
            Field::Creator,
            Field::Requestor,
            Field::Cc,
            Field::AdminCc,
            Field::Watcher,
            Field::Subject,
            Field::Content,
            Field::Priority,
            Field::TimeWorked,
            Field::Created,
            Field::Updated,
            Field::Started,
            Field::Starts,
            Field::Resolved,
            Field::Due,
            Field::Told,
        ];
        all.extend(LinkName::ALL.into_iter().map(Field::Link));
        all
    }

    /// The name as written in queries.
    pub fn name(&self) -> String {
        let name = match self {
            Field::Id => "id",
            Field::Queue => "Queue",
            Field::Status => "Status",
            Field::Owner => "Owner",
            Field::Creator => "Creator",
            Field::Requestor => "Requestor",
            Field::Cc => "Cc",
            Field::AdminCc => "AdminCc",
            Field::Watcher => "Watcher",
            Field::Subject => "Subject",
            Field::Content => "Content",
            Field::Priority => "Priority",
            Field::TimeWorked => "TimeWorked",
            Field::Created => "Created",
            Field::Updated => "Updated",
            Field::Started => "Started",
            Field::Starts => "Starts",
            Field::Resolved => "Resolved",
            Field::Due => "Due",
            Field::Told => "Told",
            Field::Link(link) => link.as_str(),
            Field::CustomField(name) => return format!("CF.{{{name}}}"),
        };
        name.to_string()
    }

    /// Finds a field by name, case-insensitively; RT's aliases are accepted, and
    /// `CF.{Name}` (or `CF.Name`) names a custom field.
    pub fn from_name(name: &str) -> Option<Field> {
        // compared as bytes: a name of other letters (`ü.x`) has no `CF.` to cut off
        if name.len() > 3 && name.as_bytes()[..3].eq_ignore_ascii_case(b"cf.") {
            let field = name[3..].trim_start_matches('{').trim_end_matches('}').trim();
            return (!field.is_empty()).then(|| Field::CustomField(field.to_string()));
        }
        let lower = name.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "requestors" | "requestor.emailaddress" => "requestor",
            "cc.emailaddress" => "cc",
            "admincc.emailaddress" => "admincc",
            "watcher.emailaddress" => "watcher",
            "lastupdated" => "updated",
            "told" | "lastcontacted" => "told",
            "content" | "attachment.content" => "content",
            "owner.name" | "owner.emailaddress" => "owner",
            other => other,
        };
        Field::all().into_iter().find(|f| f.name().eq_ignore_ascii_case(alias))
    }

    /// The kind of values the field holds.
    pub fn kind(&self) -> FieldKind {
        match self {
            Field::Id | Field::Priority | Field::TimeWorked => FieldKind::Integer,
            Field::Created
            | Field::Updated
            | Field::Started
            | Field::Starts
            | Field::Resolved
            | Field::Due
            | Field::Told => FieldKind::Date,
            Field::Owner | Field::Creator | Field::Requestor | Field::Cc | Field::AdminCc | Field::Watcher => {
                FieldKind::User
            }
            Field::Content => FieldKind::FullText,
            Field::Link(_) => FieldKind::Ticket,
            Field::CustomField(_) => FieldKind::Custom,
            Field::Queue | Field::Status | Field::Subject => FieldKind::Text,
        }
    }

    /// Whether the field may have no value (IS NULL makes sense).
    pub fn nullable(&self) -> bool {
        matches!(
            self.kind(),
            FieldKind::Date | FieldKind::Custom | FieldKind::Ticket | FieldKind::User
        ) && !matches!(self, Field::Created | Field::Updated | Field::Creator)
    }
}

impl Op {
    /// The operator as written, which is also its SQL.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::NotLike => "NOT LIKE",
            Op::IsNull => "IS NULL",
            Op::IsNotNull => "IS NOT NULL",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
        }
    }
}

/// Queries print as TicketSQL that parses back to the same query (dates in their absolute
/// form): for showing what a search means, and for the round-trip tests.
impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(filter) = &self.filter {
            parts.push(filter.to_string());
        }
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self
                .order_by
                .iter()
                .map(|(field, direction)| {
                    let word = if *direction == Direction::Desc { "DESC" } else { "ASC" };
                    format!("{} {word}", field.name())
                })
                .collect();
            parts.push(format!("ORDER BY {}", keys.join(", ")));
        }
        if let Some(limit) = self.limit {
            parts.push(format!("LIMIT {limit}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// Parentheses only where the precedence needs them (an OR inside an AND, anything but a
/// condition after NOT), so the printed query nests no deeper than the one it came from
/// and always parses back within [`MAX_NESTING`].
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write(f, None)
    }
}

impl Expr {
    /// Writes the expression as a part of `within` (an `And`, `Or` or `Not`; `None` at
    /// the top).
    fn write(&self, f: &mut std::fmt::Formatter<'_>, within: Option<&Expr>) -> std::fmt::Result {
        let (all, word) = match self {
            Expr::Condition(c) => return write!(f, "{c}"),
            Expr::Not(e) => {
                f.write_str("NOT ")?;
                return e.write(f, Some(self));
            }
            Expr::And(all) => (all, " AND "),
            Expr::Or(all) => (all, " OR "),
        };
        let parenthesised = match within {
            Some(Expr::Not(_)) => true,
            Some(Expr::And(_)) => matches!(self, Expr::Or(_)),
            _ => false,
        };
        if parenthesised {
            f.write_str("(")?;
        }
        for (n, e) in all.iter().enumerate() {
            if n > 0 {
                f.write_str(word)?;
            }
            e.write(f, Some(self))?;
        }
        if parenthesised {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = self.field.name();
        match &self.value {
            Value::Null => write!(f, "{field} {}", self.op.symbol()),
            value => write!(f, "{field} {} {value}", self.op.symbol()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Text(t) => f.write_str(&quote(t)),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Active(true) => f.write_str("'__Active__'"),
            Value::Active(false) => f.write_str("'__Inactive__'"),
            Value::CurrentUser => f.write_str("'__CurrentUser__'"),
            Value::List(values) => {
                let parts: Vec<String> = values.iter().map(Value::to_string).collect();
                write!(f, "({})", parts.join(", "))
            }
        }
    }
}
