//! Commands by mail: pseudo-header lines at the top of a staff member's message,
//! `Status: resolved`, `Owner: alice`, `AddCc: x@y`, `Resolve`, ... (RT's
//! CommandByMail). This module only reads them; the workflow checks the sender's rights
//! and applies them like the same change from `tkt`.

use crate::error::Error;
use crate::ticket::{Change, Timestamp, parse_minutes};

/// The commands found at the top of a message, and the text without them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailCommands {
    /// Each command line as written, with the change it asks for or why it cannot be read.
    pub changes: Vec<(String, Result<Change, Error>)>,
    /// Minutes from `TimeWorked:` lines, added to the message's own transaction.
    pub time_worked: i64,
    /// The message text with the command lines (and the blank line after them) removed.
    pub text: String,
}

/// Reads the command lines at the top of `content`: from the first non-blank line, as
/// long as each line is a known command. The first line that is not one ends them; a
/// message that starts with prose has none. Dates may be relative to `now`
/// (`Due: tomorrow`).
pub fn extract(content: &str, now: Timestamp) -> MailCommands {
    let mut commands = MailCommands::default();
    let mut lines = content.lines().peekable();
    while lines.peek().is_some_and(|l| l.trim().is_empty()) {
        lines.next();
    }
    let mut consumed = 0;
    for line in lines.clone() {
        match command(line.trim(), now) {
            Some(Parsed::Change(change)) => commands.changes.push((line.trim().to_string(), change)),
            Some(Parsed::Time(Ok(minutes))) => commands.time_worked += minutes,
            Some(Parsed::Time(Err(e))) => commands.changes.push((line.trim().to_string(), Err(e))),
            None => break,
        }
        consumed += 1;
    }
    if consumed == 0 {
        commands.text = content.to_string();
        return commands;
    }
    let mut rest = lines.skip(consumed).peekable();
    if rest.peek().is_some_and(|l| l.trim().is_empty()) {
        rest.next();
    }
    commands.text = rest.collect::<Vec<_>>().join("\n");
    if content.ends_with('\n') && !commands.text.is_empty() {
        commands.text.push('\n');
    }
    commands
}

/// Whether an `Authentication-Results` header value (RFC 8601) from one of the `trusted`
/// servers says the message passed DKIM, SPF or DMARC: proof enough that the From is not
/// forged, for sites that ask for it before honouring commands.
pub fn authenticated(value: &str, trusted: &[String]) -> bool {
    let mut parts = value.split(';');
    let server = parts
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default();
    trusted.iter().any(|t| t.eq_ignore_ascii_case(server))
        && parts.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            ["dkim=pass", "spf=pass", "dmarc=pass"]
                .iter()
                .any(|ok| p.starts_with(ok))
        })
}

enum Parsed {
    Change(Result<Change, Error>),
    Time(Result<i64, Error>),
}

/// One command line, or `None` when the line is not a command.
fn command(line: &str, now: Timestamp) -> Option<Parsed> {
    let change = |text: String| Some(Parsed::Change(Change::parse(&text, now)));
    match line.to_ascii_lowercase().as_str() {
        "resolve" => return change("status=resolved".into()),
        "take" | "steal" | "untake" => return change(line.to_ascii_lowercase()),
        _ => {}
    }
    let (name, value) = line.split_once(':')?;
    let value = value.trim();
    let key = name.trim().to_ascii_lowercase();
    if key.starts_with("cf.") {
        return change(format!("{}={value}", name.trim()));
    }
    let watcher = |role: &str, add: bool| change(format!("{role}{}={value}", if add { "+" } else { "-" }));
    match key.as_str() {
        "status" | "owner" | "priority" | "initialpriority" | "finalpriority" | "queue" | "subject" | "due"
        | "starts" | "timeestimated" | "timeleft" | "sla" => change(format!("{key}={value}")),
        "timeworked" => Some(Parsed::Time(parse_minutes(value))),
        "addcc" => watcher("Cc", true),
        "delcc" => watcher("Cc", false),
        "addadmincc" => watcher("AdminCc", true),
        "deladmincc" => watcher("AdminCc", false),
        "addrequestor" => watcher("Requestor", true),
        "delrequestor" => watcher("Requestor", false),
        "dependson" | "dependedonby" | "memberof" | "members" | "refersto" | "referredtoby" => {
            change(format!("{}+={value}", name.trim()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract_now(content: &str) -> MailCommands {
        extract(content, crate::ticket::parse_date("2026-11-27T15:00:00Z").unwrap())
    }
    use crate::ticket::{LinkChange, LinkName, Status};

    #[test]
    fn commands_at_the_top_are_read_and_removed() {
        let m = extract_now(
            "\nStatus: open\nPriority: 80\nAddCc: bob@example.com\nTimeWorked: 30\n\nThe fix is in.\nOwner: not a command here\n",
        );
        let changes: Vec<Change> = m.changes.into_iter().map(|(_, c)| c.unwrap()).collect();
        assert_eq!(changes[0], Change::Status(Status::named("open")));
        assert_eq!(changes[1], Change::Priority(80));
        assert_eq!(changes.len(), 3);
        assert_eq!(m.time_worked, 30);
        assert_eq!(m.text, "The fix is in.\nOwner: not a command here\n");
    }

    #[test]
    fn authentication_results_from_a_trusted_server_count() {
        let trusted = vec!["mx.example.org".to_string()];
        assert!(authenticated(
            "mx.example.org; dkim=pass header.d=example.com",
            &trusted
        ));
        assert!(authenticated("mx.example.org 1; spf=pass smtp.mailfrom=a@b", &trusted));
        assert!(!authenticated("mx.example.org; dkim=fail; spf=softfail", &trusted));
        assert!(!authenticated("evil.example.net; dkim=pass", &trusted));
    }

    #[test]
    fn prose_first_means_no_commands() {
        let m = extract_now("Hello,\nStatus: resolved\n");
        assert!(m.changes.is_empty());
        assert_eq!(m.text, "Hello,\nStatus: resolved\n");
    }

    #[test]
    fn shorthands_links_custom_fields_and_errors() {
        let m = extract_now("Resolve\nDependsOn: 12\nCF.{Severity}: high\nStatus: closed\nReady?\n");
        assert_eq!(m.changes[0].1, Ok(Change::Status(Status::named("resolved"))));
        assert_eq!(
            m.changes[1].1,
            Ok(Change::Link(LinkChange {
                name: LinkName::DependsOn,
                ticket: 12,
                add: true
            }))
        );
        assert_eq!(
            m.changes[2].1,
            Ok(Change::CustomField {
                name: "Severity".into(),
                value: "high".into()
            })
        );
        assert!(
            m.changes[3].1.is_ok(),
            "whether `closed` exists is for the lifecycle to say"
        );
        assert_eq!(m.text, "Ready?\n");
        let m = extract_now("Priority: high\n\nbody");
        assert!(
            m.changes[0]
                .1
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
    }
}
