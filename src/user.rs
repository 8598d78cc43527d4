//! Users: staff (privileged), requestors (unprivileged), and the built-in system users.

use serde::{Deserialize, Serialize};

/// The system itself, creator of automatic changes (RT's `RT_System`).
pub const SYSTEM_USER_ID: i64 = 1;
/// The owner of unowned tickets.
pub const NOBODY_ID: i64 = 2;
/// The superuser, who `tkt` acts as until API tokens exist.
pub const ROOT_ID: i64 = 3;

/// A user as the rest of the system sees one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    /// Login name; for users made from mail, their address.
    pub name: String,
    pub email: Option<String>,
    pub real_name: String,
    pub privileged: bool,
    pub disabled: bool,
    /// The activity digest of watched tickets they asked for (`digest=daily|weekly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<crate::schedule::DigestPeriod>,
    /// The language of their web pages (`lang=de|fr|en`); none: as their browser asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

impl User {
    /// What to call the user in history and JSON: the address when there is one.
    pub fn display_name(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.name)
    }
}

/// Cleans an address as written in a header or on a command line: trims white space and
/// angle brackets. Returns `None` for anything that is not `local@domain`.
pub fn normalize_address(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>').trim();
    let (local, domain) = a.rsplit_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    valid.then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// Whether the address belongs to a mail system rather than a person: bounces come from
/// these and must never be answered.
pub fn is_mailer_address(address: &str) -> bool {
    let local = address
        .rsplit_once('@')
        .map_or(address, |(l, _)| l)
        .to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_rejects() {
        assert_eq!(
            normalize_address(" <Bob@Example.COM> ").as_deref(),
            Some("Bob@example.com")
        );
        assert_eq!(normalize_address("bob"), None);
        assert_eq!(normalize_address("@x"), None);
        assert_eq!(normalize_address("a b@x"), None);
        assert_eq!(normalize_address(""), None);
    }

    #[test]
    fn recognises_mailer_daemons() {
        assert!(is_mailer_address("MAILER-DAEMON@mx.example.com"));
        assert!(is_mailer_address("postmaster@x"));
        assert!(!is_mailer_address("alice@x"));
    }
}
