//! Tokenizer and recursive-descent parser for the query language.
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

use super::{Condition, Direction, Expr, Field, FieldKind, Op, Query, Value};
use crate::error::Error;
use crate::ticket::{Status, Timestamp};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Number(i64),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone)]
struct Spanned {
    token: Token,
    /// Character offset in the query, 1-based for people.
    at: usize,
}

/// Parses a query; relative dates count from `now`. Errors name the position and what
/// was expected there.
pub fn parse(text: &str, now: Timestamp) -> Result<Query, Error> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: text.chars().count() + 1,
        now,
    };
    let mut query = Query::default();
    if !parser.at_keyword("ORDER") && !parser.at_keyword("LIMIT") && !parser.done() {
        query.filter = Some(parser.expr()?);
    }
    if parser.eat_keyword("ORDER") {
        parser.expect_keyword("BY")?;
        loop {
            let field = parser.field()?;
            let direction = if parser.eat_keyword("DESC") {
                Direction::Desc
            } else {
                parser.eat_keyword("ASC");
                Direction::Asc
            };
            query.order_by.push((field, direction));
            if !parser.eat(&Token::Comma) {
                break;
            }
        }
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

fn tokenize(text: &str) -> Result<Vec<Spanned>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let push = |tokens: &mut Vec<Spanned>, token| tokens.push(Spanned { token, at });
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                push(&mut tokens, Token::Open);
                i += 1;
            }
            ')' => {
                push(&mut tokens, Token::Close);
                i += 1;
            }
            ',' => {
                push(&mut tokens, Token::Comma);
                i += 1;
            }
            '\'' | '"' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(Error::Invalid(format!(
                                "query: the string that starts at position {at} is not closed with {quote}"
                            )));
                        }
                        Some('\\') if chars.get(i + 1).is_some() => {
                            value.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            value.push(ch);
                            i += 1;
                        }
                    }
                }
                push(&mut tokens, Token::Quoted(value));
            }
            '=' => {
                push(&mut tokens, Token::Op("="));
                i += 1;
            }
            '!' | '<' | '>' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = match two.as_str() {
                    "!=" => "!=",
                    "<>" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ if c == '<' => "<",
                    _ if c == '>' => ">",
                    _ => {
                        return Err(Error::Invalid(format!(
                            "query: `!` at position {at} must be followed by `=`"
                        )));
                    }
                };
                i += if op.len() == 2 || two == "<>" { 2 } else { 1 };
                push(&mut tokens, Token::Op(op));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(char::is_ascii_digit) {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().collect();
                if chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                    return Err(Error::Invalid(format!(
                        "query: `{digits}…` at position {at} is not a number"
                    )));
                }
                let n = digits
                    .parse()
                    .map_err(|_| Error::Invalid(format!("query: the number at position {at} is too large")))?;
                push(&mut tokens, Token::Number(n));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '@' | '-') => {
                let start = i;
                let mut braced = false;
                while let Some(&c) = chars.get(i) {
                    // `CF.{Users affected}`: inside braces a name may hold spaces
                    match c {
                        '{' => braced = true,
                        '}' => braced = false,
                        c if braced || c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-') => {}
                        _ => break,
                    }
                    i += 1;
                }
                push(&mut tokens, Token::Word(chars[start..i].iter().collect()));
            }
            other => {
                return Err(Error::Invalid(format!("query: unexpected `{other}` at position {at}")));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    end: usize,
    now: Timestamp,
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

    fn expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("OR") {
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, Error> {
        let mut left = self.unary()?;
        while self.eat_keyword("AND") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat(&Token::Open) {
            let inner = self.expr()?;
            if !self.eat(&Token::Close) {
                let found = self.peek().cloned();
                return Err(self.error_at(found.as_ref(), "`)`"));
            }
            return Ok(inner);
        }
        if self.eat_keyword("Unowned") || self.eat_keyword("HasNoOwner") {
            return Ok(Expr::Condition(Condition {
                field: Field::Owner,
                op: Op::Eq,
                value: Value::Text("Nobody".into()),
            }));
        }
        self.condition()
    }

    fn field(&mut self) -> Result<Field, Error> {
        match self.next() {
            Some(Spanned {
                token: Token::Word(w),
                at,
            }) => Field::from_name(&w).ok_or_else(|| {
                let names: Vec<_> = Field::all().iter().map(Field::name).collect();
                Error::Invalid(format!(
                    "query: at position {at}: `{w}` is not a field; use one of {}",
                    names.join(", ")
                ))
            }),
            other => Err(self.error_at(other.as_ref(), "a field name such as Queue or Status")),
        }
    }

    fn condition(&mut self) -> Result<Expr, Error> {
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

    /// `field IN ('a', 'b')` is `field = 'a' OR field = 'b'`; NOT IN is the AND of `!=`.
    fn in_list(&mut self, field: Field, negated: bool, at: usize) -> Result<Expr, Error> {
        if !self.eat(&Token::Open) {
            let found = self.peek().cloned();
            return Err(self.error_at(found.as_ref(), "`(` and a list of values after IN"));
        }
        let op = if negated { Op::Ne } else { Op::Eq };
        let mut expr: Option<Expr> = None;
        loop {
            let raw = self.value()?;
            let one = Expr::Condition(typed_condition(field.clone(), op, raw, at, self.now)?);
            expr = Some(match expr {
                None => one,
                Some(e) if negated => Expr::And(Box::new(e), Box::new(one)),
                Some(e) => Expr::Or(Box::new(e), Box::new(one)),
            });
            if self.eat(&Token::Close) {
                break;
            }
            if !self.eat(&Token::Comma) {
                let found = self.peek().cloned();
                return Err(self.error_at(found.as_ref(), "`,` or `)` in the IN list"));
            }
        }
        Ok(expr.expect("an IN list has a value"))
    }

    fn value(&mut self) -> Result<RawValue, Error> {
        let value_token = self.next();
        match value_token.as_ref().map(|t| &t.token) {
            Some(Token::Quoted(s) | Token::Word(s)) => Ok(RawValue::Text(s.clone())),
            Some(Token::Number(n)) => Ok(RawValue::Number(*n)),
            _ => Err(self.error_at(value_token.as_ref(), "a value ('text' or a number)")),
        }
    }
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
            if fts_query(&t).is_none() {
                return Err(wrong(format!("`{t}` has no word to look for")));
            }
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

/// The full-text query for what someone typed: every word must occur (`printer toner`),
/// `"a phrase"` as written, `word*` as a prefix. Anything else FTS5 would read as syntax
/// is dropped, so no text can be a syntax error or reach another column. `None` when no
/// word is left.
pub fn fts_query(text: &str) -> Option<String> {
    let mut terms = Vec::new();
    for (n, part) in text.split('"').enumerate() {
        let phrase = n % 2 == 1;
        let words: Vec<String> = part
            .split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '_'))
            .filter_map(|w| {
                let prefix = w.ends_with('*') && !phrase;
                let word: String = w.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
                (!word.is_empty()).then(|| format!("\"{word}\"{}", if prefix { "*" } else { "" }))
            })
            .collect();
        if words.is_empty() {
            continue;
        }
        if phrase {
            let inner: Vec<String> = words.iter().map(|w| w.trim_matches('"').to_string()).collect();
            terms.push(format!("\"{}\"", inner.join(" ")));
        } else {
            terms.extend(words);
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("`{w}`"),
        Token::Quoted(q) => format!("'{q}'"),
        Token::Number(n) => n.to_string(),
        Token::Op(o) => format!("`{o}`"),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
        Token::Comma => "`,`".into(),
    }
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
            Some(Expr::And(
                Box::new(cond(Field::Queue, Op::Eq, Value::Text("general".into()))),
                Box::new(cond(Field::Status, Op::Eq, Value::Active(true))),
            ))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_override() {
        let q = parse("id = 1 OR id = 2 AND id = 3").unwrap();
        assert!(matches!(q.filter, Some(Expr::Or(_, _))));
        let q = parse("(id = 1 OR id = 2) AND id = 3").unwrap();
        assert!(matches!(q.filter, Some(Expr::And(_, _))));
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
        let Some(Expr::And(a, b)) = q.filter else { panic!() };
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
        let Some(Expr::And(a, b)) = q.filter else { panic!() };
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
        let Some(Expr::And(list, me)) = q.filter else { panic!() };
        assert_eq!(
            *list,
            Expr::Or(
                Box::new(cond(Field::Queue, Op::Eq, Value::Text("a".into()))),
                Box::new(cond(Field::Queue, Op::Eq, Value::Text("b".into())))
            )
        );
        assert_eq!(*me, cond(Field::Owner, Op::Eq, Value::CurrentUser));
        let q = parse("Status NOT IN ('new', 'open')").unwrap();
        assert!(matches!(q.filter, Some(Expr::And(_, _))));
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
            Some(Expr::And(_, _))
        ));
    }

    #[test]
    fn queries_print_as_ticketsql_that_parses_back_the_same() {
        for text in [
            "",
            "Queue = 'general' AND Status = '__Active__'",
            "id IN (1, 2, 3) OR NOT (Priority >= 50 AND Owner = '__CurrentUser__')",
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
    fn full_text_queries_are_words_phrases_and_prefixes_only() {
        assert_eq!(fts_query("printer toner").unwrap(), "\"printer\" AND \"toner\"");
        assert_eq!(
            fts_query("\"paper jam\" print*").unwrap(),
            "\"paper jam\" AND \"print\"*"
        );
        assert_eq!(
            fts_query("a OR b) NEAR(").unwrap(),
            "\"a\" AND \"OR\" AND \"b\" AND \"NEAR\""
        );
        assert_eq!(fts_query("'); DROP --"), Some("\"DROP\"".into()));
        assert_eq!(fts_query("*** --"), None);
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
