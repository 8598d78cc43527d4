//! RT's simple search: `printer broken queue:network owner:me #42`, mapped onto the query
//! language so that one compiler (and one set of rights checks) serves both.

use crate::ticket::Timestamp;

/// Whether text is meant as TicketSQL: it parses as such, or it uses the language's
/// operators (so that a mistyped TicketSQL query gets its syntax error, not a full-text
/// search for its words).
pub fn looks_like_ticketsql(text: &str, now: Timestamp) -> bool {
    if super::parse(text, now).is_ok() {
        return true;
    }
    let upper = text.to_ascii_uppercase();
    text.contains(['=', '<', '>', '(', ')'])
        || [
            " LIKE ",
            " IS NULL",
            " IS NOT NULL",
            " IN (",
            " AND ",
            " OR ",
            "ORDER BY",
        ]
        .iter()
        .any(|k| upper.contains(k))
}

/// The TicketSQL for a simple search. Words (and "quoted phrases") must each be in the
/// subject or the text; `queue:`, `status:`, `owner:` (`me`, `nobody`), `requestor:`,
/// `cc:`, `admincc:`, `watcher:`, `creator:` and `subject:` narrow it; `#42` or `42` is a
/// ticket number. Without a status or a number only active tickets are found, as in RT.
pub fn simple_to_ticketsql(text: &str) -> String {
    let mut conditions = Vec::new();
    let mut status_given = false;
    let mut number_given = false;
    for term in terms(text) {
        let (key, value) = match term.split_once(':') {
            Some((key, value)) if !term.starts_with('"') && !value.is_empty() => (key.to_ascii_lowercase(), value),
            _ => (String::new(), term.as_str()),
        };
        let value_unquoted = value.trim_matches('"');
        let quoted = quote(value_unquoted);
        let condition = match key.as_str() {
            "queue" => format!("Queue = {quoted}"),
            "status" => {
                status_given = true;
                match value_unquoted.to_ascii_lowercase().as_str() {
                    "active" => "Status = '__Active__'".into(),
                    "inactive" => "Status = '__Inactive__'".into(),
                    "any" | "all" => continue,
                    _ => format!("Status = {quoted}"),
                }
            }
            "owner" => match value_unquoted.to_ascii_lowercase().as_str() {
                "me" => "Owner = '__CurrentUser__'".into(),
                "nobody" | "none" => "Owner = 'Nobody'".into(),
                _ => format!("Owner = {quoted}"),
            },
            "requestor" | "cc" | "admincc" | "watcher" | "creator" => {
                let field = match key.as_str() {
                    "requestor" => "Requestor",
                    "cc" => "Cc",
                    "admincc" => "AdminCc",
                    "watcher" => "Watcher",
                    _ => "Creator",
                };
                if value_unquoted.eq_ignore_ascii_case("me") {
                    format!("{field} = '__CurrentUser__'")
                } else {
                    format!("{field} LIKE {quoted}")
                }
            }
            "subject" => format!("Subject LIKE {quoted}"),
            _ => {
                let number = value_unquoted.trim_start_matches('#');
                if !value.starts_with('"') && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
                    number_given = true;
                    format!("id = {number}")
                } else {
                    let words = if value.starts_with('"') {
                        format!("\"{value_unquoted}\"")
                    } else {
                        value_unquoted.to_string()
                    };
                    // punctuation alone is nothing to look for; too many words is the
                    // parser's error to give
                    if !words.chars().any(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    format!("(Subject LIKE {quoted} OR Content LIKE {})", quote(&words))
                }
            }
        };
        conditions.push(condition);
    }
    if !status_given && !number_given {
        conditions.push("Status = '__Active__'".into());
    }
    conditions.join(" AND ")
}

/// Splits on white space, keeping `"quoted phrases"` (and `key:"quoted value"`) whole.
fn terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        terms.push(current);
    }
    terms
}

/// A TicketSQL string literal: single quotes, with `\` and `'` escaped.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        crate::ticket::parse_date("2026-11-27T15:00:00Z").unwrap()
    }

    #[test]
    fn tokens_map_onto_the_language() {
        assert_eq!(
            simple_to_ticketsql("printer queue:network owner:me"),
            "(Subject LIKE 'printer' OR Content LIKE 'printer') AND Queue = 'network' AND \
             Owner = '__CurrentUser__' AND Status = '__Active__'"
        );
        assert_eq!(simple_to_ticketsql("#123"), "id = 123");
        assert_eq!(
            simple_to_ticketsql("status:resolved requestor:bob@x.org"),
            "Status = 'resolved' AND Requestor LIKE 'bob@x.org'"
        );
        assert_eq!(
            simple_to_ticketsql("\"paper jam\" status:any"),
            "(Subject LIKE 'paper jam' OR Content LIKE '\"paper jam\"')"
        );
    }

    #[test]
    fn what_it_makes_always_parses_even_from_hostile_text() {
        for text in [
            "it's broken",
            "') OR 1=1 --",
            "queue:\"x' OR '1\"",
            "\\ \\' \"",
            "owner:me status:active #7 \"a b\" c*",
        ] {
            let sql = simple_to_ticketsql(text);
            assert!(crate::search::parse(&sql, now()).is_ok(), "{text:?} → {sql}");
        }
    }

    #[test]
    fn ticketsql_is_recognised() {
        assert!(looks_like_ticketsql("Queue = 'general'", now()));
        assert!(looks_like_ticketsql("Unowned", now()));
        assert!(looks_like_ticketsql("Queue = 'unclosed", now()));
        assert!(!looks_like_ticketsql("printer broken", now()));
        assert!(!looks_like_ticketsql("queue:network owner:me", now()));
    }
}
