//! Recursive-descent parser for the query language, with bounds on what one query may
//! ask, so that no query can make the parser, the compiler or SQLite work without end.
//!
//! ```text
//! query     := [expr] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}] [LIMIT n]
//! expr      := and_expr {OR and_expr}
//! and_expr  := unary {AND unary}
//! unary     := NOT unary | '(' expr ')' | Unowned | HasNoOwner | condition
//! condition := field op value | field IS [NOT] NULL | field [NOT] IN '(' value {, value} ')'
//! op        := = | != | <> | < | > | <= | >= | LIKE | NOT LIKE
//! value     := 'text' | "text" | number | word
//! ```

use super::fulltext::fts_query;
use super::tokens::{Spanned, Token, describe, shorten, tokenize};
use super::{Condition, Direction, Expr, Field, FieldKind, Op, Query, Value};
use crate::error::Error;
use crate::ticket::{Status, Timestamp};

/// The longest query, in characters. Far beyond what anyone types or saves; it keeps
/// the work of reading one query small.
pub const MAX_QUERY_CHARS: usize = 65_536;

/// How deep parentheses and NOTs may nest. Chains of AND and OR do not nest (they are
/// one list each), so this only limits queries no one writes by hand.
pub const MAX_NESTING: usize = 32;

/// The most conditions one query may hold (an IN list is one condition). SQLite refuses
/// expressions deeper than 1000; this keeps every query well inside that.
pub const MAX_CONDITIONS: usize = 256;

/// The most values one query may compare with, IN lists included. Each is an SQL
/// parameter, and SQLite takes at most 32766 of them in one statement.
pub const MAX_VALUES: usize = 2_000;

/// The longest value, in characters: no field holds more worth searching for, and
/// SQLite refuses LIKE patterns above 50000 bytes.
pub const MAX_VALUE_CHARS: usize = 1_000;

/// The most sort keys after ORDER BY.
const MAX_ORDER_KEYS: usize = 8;

/// Parses a query; relative dates count from `now`. Errors name the position and what
/// was expected there. A query larger than the bounds above (too long, nested too deep,
/// too many conditions or values) is refused with an error that says which bound.
pub fn parse(text: &str, now: Timestamp) -> Result<Query, Error> {
    let length = text.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(Error::Invalid(format!(
            "query: {length} characters is too long; a query may have at most {MAX_QUERY_CHARS}"
        )));
    }
    let mut parser = Parser {
        tokens: tokenize(text)?,
        pos: 0,
        end: length + 1,
        now,
        nesting: 0,
        conditions: 0,
        values: 0,
    };
    let mut query = Query::default();
    if !parser.at_keyword("ORDER") && !parser.at_keyword("LIMIT") && !parser.done() {
        query.filter = Some(parser.expr()?);
    }
    if parser.eat_keyword("ORDER") {
        parser.expect_keyword("BY")?;
        query.order_by = parser.order_keys()?;
    }
    if parser.eat_keyword("LIMIT") {
        match parser.next() {
            Some(Spanned {
                token: Token::Number(n),
                ..
            }) if n > 0 => {
                query.limit = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            other => return Err(parser.error_at(other.as_ref(), "a positive number after LIMIT")),
        }
    }
    if let Some(extra) = parser.next() {
        return Err(parser.error_at(Some(&extra), "AND, OR, ORDER BY, LIMIT or the end of the query"));
    }
    Ok(query)
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    end: usize,
    now: Timestamp,
    /// Parentheses and NOTs open around the current position.
    nesting: usize,
    /// Conditions and values read so far.
    conditions: usize,
    values: usize,
}

impl Parser {
    fn done(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    fn peek(&self) -> Option<&Spanned> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Spanned> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    /// Where the next token is, for errors (the end of the query after the last).
    fn here(&self) -> usize {
        self.peek().map_or(self.end, |t| t.at)
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek().is_some_and(|t| &t.token == token) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn at_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Spanned { token: Token::Word(w), .. }) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let at = self.at_keyword(word);
        if at {
            self.pos += 1;
        }
        at
    }

    fn expect_keyword(&mut self, word: &str) -> Result<(), Error> {
        if self.eat_keyword(word) {
            Ok(())
        } else {
            let found = self.peek().cloned();
            Err(self.error_at(found.as_ref(), word))
        }
    }

    fn error_at(&self, found: Option<&Spanned>, expected: &str) -> Error {
        match found {
            Some(t) => Error::Invalid(format!(
                "query: at position {}: expected {expected}, found {}",
                t.at,
                describe(&t.token)
            )),
            None => Error::Invalid(format!(
                "query: at position {}: expected {expected}, found the end",
                self.end
            )),
        }
    }

    fn too_much(&self, what: String) -> Error {
        Error::Invalid(format!("query: at position {}: {what}", self.here()))
    }

    fn expr(&mut self) -> Result<Expr, Error> {
        let mut any = vec![self.and_expr()?];
        while self.eat_keyword("OR") {
            any.push(self.and_expr()?);
        }
        Ok(joined(any, false))
    }

    fn and_expr(&mut self) -> Result<Expr, Error> {
        let mut all = vec![self.unary()?];
        while self.eat_keyword("AND") {
            all.push(self.unary()?);
        }
        Ok(joined(all, true))
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        if self.at_keyword("NOT") || self.peek().is_some_and(|t| t.token == Token::Open) {
            return self.nested();
        }
        if self.eat_keyword("Unowned") || self.eat_keyword("HasNoOwner") {
            self.count_condition()?;
            return Ok(Expr::Condition(Condition {
                field: Field::Owner,
                op: Op::Eq,
                value: Value::Text("Nobody".into()),
            }));
        }
        self.condition()
    }

    /// `NOT …` or `( … )`, one level deeper.
    fn nested(&mut self) -> Result<Expr, Error> {
        if self.nesting == MAX_NESTING {
            return Err(self.too_much(format!(
                "parentheses and NOTs nest more than {MAX_NESTING} deep; write the query with fewer levels"
            )));
        }
        self.nesting += 1;
        let inner = if self.eat_keyword("NOT") {
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else {
            self.pos += 1;
            self.expr().and_then(|inner| {
                if self.eat(&Token::Close) {
                    Ok(inner)
                } else {
                    let found = self.peek().cloned();
                    Err(self.error_at(found.as_ref(), "`)`"))
                }
            })
        };
        self.nesting -= 1;
        inner
    }

    fn count_condition(&mut self) -> Result<(), Error> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(self.too_much(format!(
                "more than {MAX_CONDITIONS} conditions; split the search, or use IN lists"
            )));
        }
        Ok(())
    }

    fn field(&mut self) -> Result<Field, Error> {
        match self.next() {
            Some(Spanned {
                token: Token::Word(w),
                at,
            }) => Field::from_name(&w).ok_or_else(|| {
                let names: Vec<_> = Field::all().iter().map(Field::name).collect();
                Error::Invalid(format!(
                    "query: at position {at}: `{}` is not a field; use one of {}",
                    shorten(&w),
                    names.join(", ")
                ))
            }),
            other => Err(self.error_at(other.as_ref(), "a field name such as Queue or Status")),
        }
    }

    fn order_keys(&mut self) -> Result<Vec<(Field, Direction)>, Error> {
        let mut keys = Vec::new();
        loop {
            if keys.len() == MAX_ORDER_KEYS {
                return Err(self.too_much(format!("more than {MAX_ORDER_KEYS} fields to sort by")));
            }
            let field = self.field()?;
            let direction = if self.eat_keyword("DESC") {
                Direction::Desc
            } else {
                self.eat_keyword("ASC");
                Direction::Asc
            };
            keys.push((field, direction));
            if !self.eat(&Token::Comma) {
                return Ok(keys);
            }
        }
    }

    fn condition(&mut self) -> Result<Expr, Error> {
        self.count_condition()?;
        let field = self.field()?;
        let op_token = self.next();
        let at = op_token.as_ref().map_or(self.end, |t| t.at);
        let word =
            |w: &str| matches!(op_token.as_ref().map(|t| &t.token), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w));
        if word("IS") {
            let op = if self.eat_keyword("NOT") {
                Op::IsNotNull
            } else {
                Op::IsNull
            };
            if !self.eat_keyword("NULL") {
                let found = self.peek().cloned();
                return Err(self.error_at(found.as_ref(), "NULL after IS (or IS NOT)"));
            }
            if !field.nullable() {
                return Err(Error::Invalid(format!(
                    "query: at position {at}: {} always has a value; IS NULL does not apply",
                    field.name()
                )));
            }
            return Ok(Expr::Condition(Condition {
                field,
                op,
                value: Value::Null,
            }));
        }
        let negated_in = word("NOT") && self.at_keyword("IN");
        if word("IN") || negated_in {
            if negated_in {
                self.pos += 1;
            }
            return self.in_list(field, negated_in, at);
        }
        let op = match op_token.as_ref().map(|t| &t.token) {
            Some(Token::Op(symbol)) => match *symbol {
                "=" => Op::Eq,
                "!=" => Op::Ne,
                "<" => Op::Lt,
                ">" => Op::Gt,
                "<=" => Op::Le,
                _ => Op::Ge,
            },
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("LIKE") => Op::Like,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("NOT") && self.eat_keyword("LIKE") => Op::NotLike,
            _ => {
                return Err(self.error_at(
                    op_token.as_ref(),
                    "an operator (=, !=, <, >, <=, >=, LIKE, NOT LIKE, IN, NOT IN, IS NULL, IS NOT NULL)",
                ));
            }
        };
        let raw = self.value()?;
        typed_condition(field, op, raw, at, self.now).map(Expr::Condition)
    }

    /// `field IN ('a', 'b')`: one condition whose value is the list, each value typed as
    /// with `=`; the store makes it an SQL IN list.
    fn in_list(&mut self, field: Field, negated: bool, at: usize) -> Result<Expr, Error> {
        if !self.eat(&Token::Open) {
            let found = self.peek().cloned();
            return Err(self.error_at(found.as_ref(), "`(` and a list of values after IN"));
        }
        let each = if negated { Op::Ne } else { Op::Eq };
        let mut values = Vec::new();
        loop {
            let raw = self.value()?;
            values.push(typed_condition(field.clone(), each, raw, at, self.now)?.value);
            if self.eat(&Token::Close) {
                break;
            }
            if !self.eat(&Token::Comma) {
                let found = self.peek().cloned();
                return Err(self.error_at(found.as_ref(), "`,` or `)` in the IN list"));
            }
        }
        Ok(Expr::Condition(Condition {
            field,
            op: if negated { Op::NotIn } else { Op::In },
            value: Value::List(values),
        }))
    }

    fn value(&mut self) -> Result<RawValue, Error> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(self.too_much(format!("more than {MAX_VALUES} values; split the search")));
        }
        let value_token = self.next();
        match value_token.as_ref().map(|t| &t.token) {
            Some(Token::Quoted(s) | Token::Word(s)) if s.chars().count() > MAX_VALUE_CHARS => {
                Err(Error::Invalid(format!(
                    "query: at position {}: the value is longer than {MAX_VALUE_CHARS} characters",
                    value_token.as_ref().map_or(self.end, |t| t.at)
                )))
            }
            Some(Token::Quoted(s) | Token::Word(s)) => Ok(RawValue::Text(s.clone())),
            Some(Token::Number(n)) => Ok(RawValue::Number(*n)),
            _ => Err(self.error_at(value_token.as_ref(), "a value ('text' or a number)")),
        }
    }
}

/// The one expression, or all of them joined by AND (`and`) or OR; a part that is itself
/// such a join (`(a AND b) AND c`) is spliced in, so a query is as flat as it can be.
fn joined(all: Vec<Expr>, and: bool) -> Expr {
    if all.len() == 1 {
        return all.into_iter().next().expect("one expression");
    }
    let mut flat = Vec::with_capacity(all.len());
    for e in all {
        match e {
            Expr::And(inner) if and => flat.extend(inner),
            Expr::Or(inner) if !and => flat.extend(inner),
            e => flat.push(e),
        }
    }
    if and { Expr::And(flat) } else { Expr::Or(flat) }
}

enum RawValue {
    Text(String),
    Number(i64),
}

/// Checks that the operator and value fit the field, and gives the value its type.
fn typed_condition(field: Field, op: Op, raw: RawValue, at: usize, now: Timestamp) -> Result<Condition, Error> {
    let wrong = |why: String| Error::Invalid(format!("query: at position {at}: {why}"));
    let text = |raw: RawValue| match raw {
        RawValue::Text(t) => t,
        RawValue::Number(n) => n.to_string(),
    };
    let value = match field.kind() {
        FieldKind::User => {
            if matches!(op, Op::Lt | Op::Gt | Op::Le | Op::Ge) {
                return Err(wrong(format!("{} is a user; use =, != or LIKE", field.name())));
            }
            match text(raw) {
                t if t.eq_ignore_ascii_case("__CurrentUser__") && !matches!(op, Op::Like | Op::NotLike) => {
                    Value::CurrentUser
                }
                t => Value::Text(t),
            }
        }
        FieldKind::FullText => {
            if !matches!(op, Op::Eq | Op::Ne | Op::Like | Op::NotLike) {
                return Err(wrong("Content is matched with LIKE (or =), NOT LIKE (or !=)".into()));
            }
            let t = text(raw);
            fts_query(&t).map_err(|e| wrong(e.to_string()))?;
            Value::Text(t)
        }
        FieldKind::Ticket => {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(wrong(format!("{} takes = or != and a ticket number", field.name())));
            }
            match raw {
                RawValue::Number(n) => Value::Integer(n),
                RawValue::Text(t) => Value::Integer(
                    t.trim()
                        .trim_start_matches('#')
                        .parse()
                        .map_err(|_| wrong(format!("{} takes a ticket number, not `{t}`", field.name())))?,
                ),
            }
        }
        FieldKind::Custom => Value::Text(match raw {
            RawValue::Text(t) => t,
            RawValue::Number(n) => n.to_string(),
        }),
        FieldKind::Integer => {
            if matches!(op, Op::Like | Op::NotLike) {
                return Err(wrong(format!("{} is a number; LIKE works on text", field.name())));
            }
            match raw {
                RawValue::Number(n) => Value::Integer(n),
                RawValue::Text(t) => Value::Integer(
                    t.trim()
                        .parse()
                        .map_err(|_| wrong(format!("{} takes a number, not `{t}`", field.name())))?,
                ),
            }
        }
        FieldKind::Date => {
            let text = match raw {
                RawValue::Text(t) => t,
                RawValue::Number(n) => n.to_string(),
            };
            if matches!(op, Op::Like | Op::NotLike) {
                return Err(wrong(format!("{} is a date; compare it with <, >, =", field.name())));
            }
            let when = crate::ticket::parse_date_at(&text, now).map_err(|e| wrong(e.to_string()))?;
            Value::Text(when.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        }
        FieldKind::Text => {
            let text = match raw {
                RawValue::Text(t) => t,
                RawValue::Number(n) => n.to_string(),
            };
            if field == Field::Status && !matches!(op, Op::Like | Op::NotLike) {
                if !matches!(op, Op::Eq | Op::Ne) {
                    return Err(wrong("Status is compared with = or != only".into()));
                }
                match text.as_str() {
                    t if t.eq_ignore_ascii_case("__Active__") => Value::Active(true),
                    t if t.eq_ignore_ascii_case("__Inactive__") => Value::Active(false),
                    t => Value::Text(
                        t.parse::<Status>()
                            .map_err(|e| wrong(e.to_string()))?
                            .as_str()
                            .to_string(),
                    ),
                }
            } else if matches!(op, Op::Lt | Op::Gt | Op::Le | Op::Ge) {
                return Err(wrong(format!("{} is text; use =, != or LIKE", field.name())));
            } else {
                Value::Text(text)
            }
        }
    };
    Ok(Condition { field, op, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Query, Error> {
        super::parse(text, now())
    }

    fn now() -> Timestamp {
        crate::ticket::parse_date("2026-11-27T15:00:00Z").unwrap()
    }

    fn cond(field: Field, op: Op, value: Value) -> Expr {
        Expr::Condition(Condition { field, op, value })
    }

    #[test]
    fn parses_the_design_example() {
        let q = parse("Queue = 'general' AND Status = '__Active__'").unwrap();
        assert_eq!(
            q.filter,
            Some(Expr::And(vec![
                cond(Field::Queue, Op::Eq, Value::Text("general".into())),
                cond(Field::Status, Op::Eq, Value::Active(true)),
            ]))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_override() {
        let q = parse("id = 1 OR id = 2 AND id = 3").unwrap();
        assert!(matches!(&q.filter, Some(Expr::Or(any)) if matches!(&any[1], Expr::And(all) if all.len() == 2)));
        let q = parse("(id = 1 OR id = 2) AND id = 3").unwrap();
        assert!(matches!(&q.filter, Some(Expr::And(all)) if matches!(&all[0], Expr::Or(_))));
        // a chain is one list, however long
        let q = parse("id = 1 AND id = 2 AND id = 3 AND id = 4").unwrap();
        assert!(matches!(&q.filter, Some(Expr::And(all)) if all.len() == 4));
    }

    #[test]
    fn order_limit_and_empty() {
        let q = parse("Priority > 10 ORDER BY Priority DESC, id LIMIT 5").unwrap();
        assert_eq!(
            q.order_by,
            vec![(Field::Priority, Direction::Desc), (Field::Id, Direction::Asc)]
        );
        assert_eq!(q.limit, Some(5));
        assert_eq!(parse("").unwrap(), Query::default());
        assert_eq!(parse("ORDER BY id DESC").unwrap().filter, None);
    }

    #[test]
    fn custom_fields_are_fields() {
        let q = parse("CF.{Users affected} > 10 AND CF.Severity = 'high'").unwrap();
        let Some(Expr::And(all)) = q.filter else { panic!() };
        let [a, b] = &all[..] else { panic!() };
        assert_eq!(
            *a,
            cond(
                Field::CustomField("Users affected".into()),
                Op::Gt,
                Value::Text("10".into())
            )
        );
        assert_eq!(
            *b,
            cond(
                Field::CustomField("Severity".into()),
                Op::Eq,
                Value::Text("high".into())
            )
        );
    }

    #[test]
    fn values_are_typed() {
        let q = parse("Subject NOT LIKE \"it's\" AND Created >= '2026-11-01'").unwrap();
        let Some(Expr::And(all)) = q.filter else { panic!() };
        let [a, b] = &all[..] else { panic!() };
        assert_eq!(*a, cond(Field::Subject, Op::NotLike, Value::Text("it's".into())));
        assert_eq!(
            *b,
            cond(Field::Created, Op::Ge, Value::Text("2026-11-01T00:00:00Z".into()))
        );
    }

    #[test]
    fn errors_say_where_and_what() {
        let cases = [
            ("Queue = ", "position 9: expected a value"),
            ("Queue 'x'", "position 7: expected an operator"),
            ("Colour = 'red'", "`Colour` is not a field"),
            ("id = 'x'", "id takes a number"),
            ("Status = 'two words'", "is not a status"),
            ("Subject > 'a'", "Subject is text"),
            ("(id = 1", "expected `)`"),
            ("id = 1 id = 2", "position 8: expected AND, OR"),
            ("Subject = 'abc", "not closed"),
            ("id = 1 LIMIT 0", "positive number"),
            ("Created < 'soon'", "not a date"),
            ("Created IS NULL", "always has a value"),
            ("Queue IN ('a' 'b')", "expected `,` or `)`"),
            ("Due IS NOTHING", "expected NULL"),
            ("Content > 'x'", "Content is matched with LIKE"),
            ("Content LIKE '***'", "no word"),
            ("DependsOn LIKE 'x'", "takes = or !="),
            ("Owner > 'a'", "Owner is a user"),
        ];
        for (query, needle) in cases {
            let e = parse(query).unwrap_err().to_string();
            assert!(e.contains(needle), "{query:?}: {e}");
        }
    }

    #[test]
    fn in_lists_null_tests_shorthands_and_current_user() {
        let q = parse("Queue IN ('a', 'b') AND Owner = '__CurrentUser__'").unwrap();
        let Some(Expr::And(all)) = q.filter else { panic!() };
        let [list, me] = &all[..] else { panic!() };
        assert_eq!(
            *list,
            cond(
                Field::Queue,
                Op::In,
                Value::List(vec![Value::Text("a".into()), Value::Text("b".into())])
            )
        );
        assert_eq!(*me, cond(Field::Owner, Op::Eq, Value::CurrentUser));
        let q = parse("Status NOT IN ('new', '__Active__') AND Owner IN ('__CurrentUser__', 'Nobody')").unwrap();
        let Some(Expr::And(all)) = q.filter else { panic!() };
        assert_eq!(
            all,
            [
                cond(
                    Field::Status,
                    Op::NotIn,
                    Value::List(vec![Value::Text("new".into()), Value::Active(true)])
                ),
                cond(
                    Field::Owner,
                    Op::In,
                    Value::List(vec![Value::CurrentUser, Value::Text("Nobody".into())])
                ),
            ]
        );
        assert_eq!(
            parse("Due IS NULL").unwrap().filter,
            Some(cond(Field::Due, Op::IsNull, Value::Null))
        );
        assert_eq!(
            parse("DependsOn IS NOT NULL").unwrap().filter,
            Some(cond(
                Field::Link(crate::ticket::LinkName::DependsOn),
                Op::IsNotNull,
                Value::Null
            ))
        );
        assert_eq!(
            parse("Unowned").unwrap().filter,
            Some(cond(Field::Owner, Op::Eq, Value::Text("Nobody".into())))
        );
        assert!(matches!(
            parse("HasNoOwner AND Priority > 5").unwrap().filter,
            Some(Expr::And(_))
        ));
    }

    #[test]
    fn queries_print_as_ticketsql_that_parses_back_the_same() {
        for text in [
            "",
            "Queue = 'general' AND Status = '__Active__'",
            "id IN (1, 2, 3) OR NOT (Priority >= 50 AND Owner = '__CurrentUser__')",
            "Status NOT IN ('__Active__', 'resolved') AND Owner IN ('__CurrentUser__', 'Nobody')",
            "(id = 1 AND id = 2) AND (id = 3 OR id = 4) OR NOT (id = 5 OR id = 6) AND NOT NOT id = 7",
            "Content IN ('toner', '\"paper jam\"') OR DependsOn NOT IN (1, 2) OR CF.{Severity} IN ('a', 'b')",
            "Subject LIKE 'it\\'s \"quoted\" \\\\ here' AND Content NOT LIKE '\"paper jam\" print*'",
            "Due IS NULL AND DependsOn IS NOT NULL AND MemberOf = 7 AND Unowned",
            "CF.{Users affected} > 10 AND Requestor NOT IN ('a@b.c', 'd@e.f')",
            "Created > '-7 days' AND Resolved < 'yesterday' ORDER BY Priority DESC, id LIMIT 20",
            "Watcher LIKE 'noc' OR Creator = 'root' OR TimeWorked <= 30 OR Told >= '2026-01-01'",
        ] {
            let first = parse(text).unwrap();
            let printed = first.to_string();
            let again = parse(&printed).unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}: {e}"));
            assert_eq!(first, again, "{text:?} printed as {printed:?}");
        }
    }

    #[test]
    fn relative_dates_count_from_now() {
        let date = |q: &str| match parse(q).unwrap().filter {
            Some(Expr::Condition(Condition {
                value: Value::Text(t), ..
            })) => t,
            other => panic!("{other:?}"),
        };
        assert_eq!(date("Created > '-7 days'"), "2026-11-20T15:00:00Z");
        assert_eq!(date("Created > '3 hours ago'"), "2026-11-27T12:00:00Z");
        assert_eq!(date("Resolved < 'yesterday'"), "2026-11-26T00:00:00Z");
        assert_eq!(date("Due < 'tomorrow'"), "2026-11-28T00:00:00Z");
        assert_eq!(date("Told < '+2 weeks'"), "2026-12-11T15:00:00Z");
        assert_eq!(date("Updated >= today"), "2026-11-27T00:00:00Z");
    }

    #[test]
    fn nesting_conditions_values_and_lengths_are_bounded() {
        let deep = |n: usize| format!("{}id = 1{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&deep(MAX_NESTING)).is_ok());
        let e = parse(&deep(MAX_NESTING + 1)).unwrap_err().to_string();
        assert!(e.contains("nest more than 32 deep"), "{e}");
        // far past any stack: refused at the bound, long before recursion could matter
        assert!(parse(&deep(1_000_000 / 2)).is_err());
        let nots = format!("{}id = 1", "NOT ".repeat(MAX_NESTING + 1));
        assert!(parse(&nots).unwrap_err().to_string().contains("nest more than"));
        assert!(parse(&format!("{}id = 1", "NOT ".repeat(MAX_NESTING))).is_ok());
        let chain = |n: usize, word: &str| vec!["id = 1"; n].join(word);
        assert!(parse(&chain(MAX_CONDITIONS, " OR ")).is_ok());
        let e = parse(&chain(MAX_CONDITIONS + 1, " AND ")).unwrap_err().to_string();
        assert!(e.contains("more than 256 conditions"), "{e}");
        let list = |n: usize| format!("id IN ({})", vec!["7"; n].join(", "));
        assert!(parse(&list(MAX_VALUES)).is_ok());
        let e = parse(&list(MAX_VALUES + 1)).unwrap_err().to_string();
        assert!(e.contains("more than 2000 values"), "{e}");
        let long = format!("Subject LIKE '{}'", "x".repeat(MAX_VALUE_CHARS + 1));
        assert!(parse(&long).unwrap_err().to_string().contains("longer than 1000"));
        let huge = format!("Subject LIKE '{}'", "x".repeat(MAX_QUERY_CHARS));
        assert!(parse(&huge).unwrap_err().to_string().contains("too long"));
        let sorted = format!("ORDER BY {}", ["id"; 9].join(", "));
        assert!(parse(&sorted).unwrap_err().to_string().contains("to sort by"));
    }

    #[test]
    fn errors_quote_a_short_piece_of_a_long_token() {
        let e = parse(&format!("{} = 1", "y".repeat(500))).unwrap_err().to_string();
        assert!(e.contains(&format!("`{}…` is not a field", "y".repeat(40))), "{e}");
        assert!(e.len() < 400, "{e}");
    }

    #[test]
    fn names_of_other_letters_and_far_dates_are_clear_errors() {
        for (query, needle) in [
            ("éé = 1", "`éé` is not a field"),
            ("ü.x = 1", "`ü.x` is not a field"),
            ("ÇF.{x} = 1", "is not a field"),
            ("日本語 LIKE 'x'", "`日本語` is not a field"),
            ("Created > '-99999999999999 days'", "out of range"),
            ("Due < '9223372036854775807 weeks'", "out of range"),
            ("Told IN ('+99999999999 years', 'today')", "out of range"),
        ] {
            let e = parse(query).unwrap_err();
            assert!(
                matches!(e, Error::Invalid(_)) && e.to_string().contains(needle),
                "{query}: {e}"
            );
        }
        assert_eq!(
            parse("CF.{Größe} = 'groß'").unwrap().filter,
            Some(cond(
                Field::CustomField("Größe".into()),
                Op::Eq,
                Value::Text("groß".into())
            ))
        );
    }

    #[test]
    fn injection_attempts_are_just_values() {
        let q = parse("Subject = 'x'' OR 1=1 --'").unwrap_err();
        assert!(q.to_string().contains("query"));
        let q = parse("Subject LIKE '); DROP TABLE tickets; --'").unwrap();
        assert_eq!(
            q.filter,
            Some(cond(
                Field::Subject,
                Op::Like,
                Value::Text("); DROP TABLE tickets; --".into())
            ))
        );
    }
}
