//! The query language: a first form of RT's TicketSQL, parsed to an AST.
//!
//! `Queue = 'general' AND Status = '__Active__' AND Subject LIKE 'printer'`
//!
//! The store compiles the AST to parameterised SQL; no text of a query is ever spliced
//! into SQL. A syntax error says where it is and what was expected.

mod parser;

pub use parser::parse;

/// A parsed query: a condition (none means every ticket), an order and a limit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filter: Option<Expr>,
    pub order_by: Vec<(Field, Direction)>,
    pub limit: Option<u32>,
}

/// A boolean combination of conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Condition(Condition),
}

/// `Field op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

/// A field a query can test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    Queue,
    Status,
    Owner,
    Requestor,
    Cc,
    AdminCc,
    Subject,
    Priority,
    Created,
    Updated,
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
}

/// What a field is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Integer(i64),
    /// `Status = '__Active__'` (true: initial and active statuses of each ticket's
    /// lifecycle) or `'__Inactive__'` (false).
    Active(bool),
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
}

impl Field {
    /// Every field, for error messages.
    pub const ALL: [Field; 11] = [
        Field::Id,
        Field::Queue,
        Field::Status,
        Field::Owner,
        Field::Requestor,
        Field::Cc,
        Field::AdminCc,
        Field::Subject,
        Field::Priority,
        Field::Created,
        Field::Updated,
    ];

    /// The name as written in queries.
    pub fn name(&self) -> String {
        let name = match self {
            Field::Id => "id",
            Field::Queue => "Queue",
            Field::Status => "Status",
            Field::Owner => "Owner",
            Field::Requestor => "Requestor",
            Field::Cc => "Cc",
            Field::AdminCc => "AdminCc",
            Field::Subject => "Subject",
            Field::Priority => "Priority",
            Field::Created => "Created",
            Field::Updated => "Updated",
            Field::CustomField(name) => return format!("CF.{{{name}}}"),
        };
        name.to_string()
    }

    /// Finds a field by name, case-insensitively; RT's aliases are accepted, and
    /// `CF.{Name}` (or `CF.Name`) names a custom field.
    pub fn from_name(name: &str) -> Option<Field> {
        if name.len() > 3 && name[..3].eq_ignore_ascii_case("cf.") {
            let field = name[3..].trim_start_matches('{').trim_end_matches('}').trim();
            return (!field.is_empty()).then(|| Field::CustomField(field.to_string()));
        }
        let lower = name.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "requestors" | "requestor.emailaddress" => "requestor",
            "lastupdated" => "updated",
            other => other,
        };
        Field::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(alias))
    }

    /// The kind of values the field holds.
    pub fn kind(&self) -> FieldKind {
        match self {
            Field::Id | Field::Priority => FieldKind::Integer,
            Field::Created | Field::Updated => FieldKind::Date,
            Field::CustomField(_) => FieldKind::Custom,
            _ => FieldKind::Text,
        }
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
        }
    }
}
