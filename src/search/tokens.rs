//! The tokens of the query language: words, quoted text, numbers, operators and
//! punctuation, each with its position for error messages.

use crate::error::Error;

/// How much of a token an error message quotes: enough to find it in the query, not a
/// page of it back.
const QUOTED_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Quoted(String),
    Number(i64),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone)]
pub(super) struct Spanned {
    pub(super) token: Token,
    /// Character offset in the query, 1-based for people.
    pub(super) at: usize,
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Spanned>, Error> {
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
                        "query: `{}…` at position {at} is not a number",
                        shorten(&digits)
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

/// A token as an error message names it.
pub(super) fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("`{}`", shorten(w)),
        Token::Quoted(q) => format!("'{}'", shorten(q)),
        Token::Number(n) => n.to_string(),
        Token::Op(o) => format!("`{o}`"),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
        Token::Comma => "`,`".into(),
    }
}

/// Text as an error message quotes it: at most [`QUOTED_CHARS`] characters.
pub(super) fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
