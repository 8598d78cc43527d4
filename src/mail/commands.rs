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

/// Whether the `Authentication-Results` headers (RFC 8601) of a message show that its
/// From address is not forged: a result from one of the `trusted` servers (their
/// authserv-ids) saying DMARC passed for the From domain, or DKIM or SPF passed for a
/// domain aligned with it (the same domain, or one a parent of the other). A DKIM
/// signature by some other domain, or SPF for another envelope domain, proves nothing
/// about the From header, so it does not count.
pub fn vouch_for(results: &[String], trusted: &[String], from_domain: &str) -> bool {
    results.iter().any(|value| {
        let mut parts = value.split(';');
        let server = without_comments(parts.next().unwrap_or_default());
        let server = server.split_whitespace().next().unwrap_or_default();
        trusted.iter().any(|t| t.eq_ignore_ascii_case(server))
            && parts.any(|part| vouches(&without_comments(part), from_domain))
    })
}

/// Whether one result (`dkim=pass header.d=example.com`) vouches for `from_domain`.
fn vouches(result: &str, from_domain: &str) -> bool {
    let mut words = result.split_whitespace();
    let Some((method, verdict)) = words.next().and_then(|w| w.split_once('=')) else {
        return false;
    };
    if !verdict.eq_ignore_ascii_case("pass") {
        return false;
    }
    let properties: Vec<(String, &str)> = words
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim_matches('"')))
        .collect();
    let domains_of = |names: &[&str]| -> Vec<&str> {
        properties
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.rsplit_once('@').map_or(*v, |(_, d)| d))
            .collect()
    };
    match method.to_ascii_lowercase().as_str() {
        // the From domain is what DMARC checks; one it names must be ours
        "dmarc" => domains_of(&["header.from"]).iter().all(|d| aligned(d, from_domain)),
        "dkim" => domains_of(&["header.d", "header.i"])
            .iter()
            .any(|d| aligned(d, from_domain)),
        "spf" => domains_of(&["smtp.mailfrom"]).iter().any(|d| aligned(d, from_domain)),
        _ => false,
    }
}

/// DMARC's relaxed alignment, without a public suffix list: the same domain, or one a
/// parent of the other (a parent that is a public suffix cannot sign or publish SPF).
fn aligned(domain: &str, from_domain: &str) -> bool {
    let (a, b) = (
        domain.trim_end_matches('.').to_ascii_lowercase(),
        from_domain.trim_end_matches('.').to_ascii_lowercase(),
    );
    !a.is_empty() && (a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")))
}

/// `text` without RFC 5322 comments (`(1024-bit key)`), which may nest.
fn without_comments(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
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
    fn only_a_trusted_server_vouching_for_the_from_domain_counts() {
        let trusted = vec!["mx.example.org".to_string()];
        let ok = |value: &str| vouch_for(&[value.to_string()], &trusted, "example.com");
        assert!(ok("mx.example.org; dmarc=pass header.from=example.com"));
        assert!(ok("mx.example.org; dmarc=pass (p=reject) header.from=example.com"));
        assert!(ok("MX.example.org 1; dkim=pass (2048-bit key) header.d=example.com"));
        assert!(ok("mx.example.org;\n dkim=pass header.i=@mail.example.com"));
        assert!(ok("mx.example.org; spf=pass smtp.mailfrom=bounce@example.com"));
        assert!(ok(
            "mx.example.org; dkim=fail header.d=example.com; spf=pass smtp.mailfrom=example.com"
        ));
        // another domain's signature or envelope says nothing about the From header
        assert!(!ok("mx.example.org; dkim=pass header.d=evil.example.net"));
        assert!(!ok("mx.example.org; spf=pass smtp.mailfrom=a@evil.example.net"));
        assert!(!ok("mx.example.org; dkim=pass header.d=notexample.com"));
        assert!(!ok("mx.example.org; dmarc=pass header.from=evil.example.net"));
        assert!(!ok(
            "mx.example.org; dkim=fail; spf=softfail smtp.mailfrom=example.com; dmarc=fail"
        ));
        assert!(!ok("mx.example.org; dkim=pass"));
        assert!(!ok("mx.example.org (dmarc=pass); none"));
        // from anyone else, nothing counts
        assert!(!ok("evil.example.net; dmarc=pass header.from=example.com"));
        assert!(!ok(
            "mx.example.org.evil.example.net; dmarc=pass header.from=example.com"
        ));
        assert!(!vouch_for(&[], &trusted, "example.com"));
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
