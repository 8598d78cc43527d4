//! Tickets, their watchers and their history: the records every interface shows.
//!
//! These types are the shape of `tkt show --json` (CONTRACT.md); the store fills them and the
//! server sends them as they are.

mod change;
mod custom_field;
mod link;
mod status;

pub use change::{Change, LinkChange, OwnerAction, WatcherChange};
pub use custom_field::{CustomFieldDef, FieldType};
pub use link::{Link, LinkKind, LinkName};
pub use status::{Category, Lifecycle, Status};

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A moment, in UTC, to the second.
pub type Timestamp = DateTime<Utc>;

/// A ticket with its watchers, and with its history when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    /// The ticket this one lives on as (itself unless merged).
    pub effective_id: i64,
    pub queue: String,
    pub subject: String,
    pub status: Status,
    /// The owner's name (an address for users made from mail), or `Nobody`.
    pub owner: String,
    pub priority: i64,
    pub initial_priority: i64,
    pub final_priority: i64,
    pub requestors: Vec<String>,
    pub cc: Vec<String>,
    pub admincc: Vec<String>,
    pub creator: String,
    pub created: Timestamp,
    pub updated: Timestamp,
    pub started: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub told: Option<Timestamp>,
    pub due: Option<Timestamp>,
    /// Minutes.
    pub time_worked: i64,
    pub time_estimated: i64,
    pub time_left: i64,
    pub links: Vec<Link>,
    /// Custom field values by field name.
    pub custom_fields: std::collections::BTreeMap<String, Vec<String>>,
    pub starts: Option<Timestamp>,
    /// The service level set on this ticket, instead of its queue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<Transaction>>,
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: i64,
    pub ticket: i64,
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub creator: String,
    pub created: Timestamp,
    /// The decoded text: the message body for mail, the note for other changes.
    pub content: String,
    pub time_taken: i64,
    /// Whether the raw message is kept (the transaction came from mail).
    pub has_raw_message: bool,
    pub attachments: Vec<AttachmentInfo>,
}

/// The `field` of a message's transaction (Create, Correspond, Comment) whose command
/// lines (commands by mail) were cut from its text. Its raw message and its text parts
/// still hold them, so those are for staff only.
pub const COMMANDS_CUT: &str = "Commands";

impl Transaction {
    /// Whether this transaction carries a message (its text is shown, and replied to).
    pub fn is_message(&self) -> bool {
        matches!(
            self.kind,
            TransactionKind::Create | TransactionKind::Correspond | TransactionKind::Comment
        )
    }

    /// Whether command lines were cut from this message's text.
    pub fn had_commands(&self) -> bool {
        self.field.as_deref() == Some(COMMANDS_CUT)
    }
}

/// One MIME part of a transaction's message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub parent: Option<i64>,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
}

/// A per-ticket role. The Owner is a single user; the others are sets of watchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Requestor,
    Cc,
    AdminCc,
    Owner,
}

impl Role {
    /// The name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requestor => "Requestor",
            Role::Cc => "Cc",
            Role::AdminCc => "AdminCc",
            Role::Owner => "Owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "requestor" | "requestors" => Ok(Role::Requestor),
            "cc" => Ok(Role::Cc),
            "admincc" => Ok(Role::AdminCc),
            "owner" => Ok(Role::Owner),
            _ => Err(Error::Invalid(format!(
                "`{s}` is not a role; use Requestor, Cc, AdminCc or Owner"
            ))),
        }
    }
}

/// What a transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionKind {
    /// The ticket was made; carries the first message.
    Create,
    /// A reply, which goes to the requestors.
    Correspond,
    /// A comment, which only staff see.
    Comment,
    /// The status changed.
    Status,
    /// Another field changed (`field`, `old_value`, `new_value`).
    Set,
    AddWatcher,
    DelWatcher,
    /// Something went wrong that staff must know about, such as mail that could not be
    /// delivered.
    SystemError,
    /// A link was added (`field` is its name from this ticket, `new_value` the other).
    AddLink,
    /// A link was removed (`old_value` the other ticket).
    DeleteLink,
    /// Another ticket was merged into this one, or this one into another.
    Merge,
    /// A custom field changed (`field` is `CF.Name`).
    CustomField,
    /// A service-level alarm (`field` Warning or Breach, `new_value` the due date it is
    /// about), raised by the scheduler.
    #[serde(rename = "SLA")]
    Sla,
}

impl TransactionKind {
    /// Every kind.
    pub const ALL: [TransactionKind; 13] = [
        TransactionKind::Create,
        TransactionKind::Correspond,
        TransactionKind::Comment,
        TransactionKind::Status,
        TransactionKind::Set,
        TransactionKind::AddWatcher,
        TransactionKind::DelWatcher,
        TransactionKind::SystemError,
        TransactionKind::AddLink,
        TransactionKind::DeleteLink,
        TransactionKind::Merge,
        TransactionKind::CustomField,
        TransactionKind::Sla,
    ];

    /// The name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Create => "Create",
            TransactionKind::Correspond => "Correspond",
            TransactionKind::Comment => "Comment",
            TransactionKind::Status => "Status",
            TransactionKind::Set => "Set",
            TransactionKind::AddWatcher => "AddWatcher",
            TransactionKind::DelWatcher => "DelWatcher",
            TransactionKind::SystemError => "SystemError",
            TransactionKind::AddLink => "AddLink",
            TransactionKind::DeleteLink => "DeleteLink",
            TransactionKind::Merge => "Merge",
            TransactionKind::CustomField => "CustomField",
            TransactionKind::Sla => "SLA",
        }
    }
}

impl fmt::Display for TransactionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransactionKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        TransactionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::Internal(format!("unknown transaction type `{s}` in the database")))
    }
}

/// Whether mail from users to a ticket is a reply or a comment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Correspond,
    Comment,
}

impl Action {
    /// The transaction a message with this action becomes.
    pub fn transaction_kind(self) -> TransactionKind {
        match self {
            Action::Correspond => TransactionKind::Correspond,
            Action::Comment => TransactionKind::Comment,
        }
    }

    /// The name used on mailgate's command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Correspond => "correspond",
            Action::Comment => "comment",
        }
    }
}

impl FromStr for Action {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "correspond" => Ok(Action::Correspond),
            "comment" => Ok(Action::Comment),
            _ => Err(Error::Invalid(format!(
                "`{s}` is not an action; use correspond or comment"
            ))),
        }
    }
}

/// Minutes from `15m`, `2h`, `1h30m` or a plain number of minutes.
pub fn parse_minutes(text: &str) -> Result<i64, Error> {
    let bad = || Error::Invalid(format!("`{text}` is not a time; write 15m, 2h, 1h30m or minutes"));
    let text = text.trim().to_ascii_lowercase();
    if let Ok(minutes) = text.parse::<i64>() {
        return if minutes >= 0 { Ok(minutes) } else { Err(bad()) };
    }
    let (hours, rest) = match text.split_once('h') {
        Some((h, rest)) => (h.parse::<i64>().map_err(|_| bad())?, rest),
        None => (0, text.as_str()),
    };
    let minutes = match rest.strip_suffix('m') {
        Some(m) => m.parse::<i64>().map_err(|_| bad())?,
        None if rest.is_empty() => 0,
        None => return Err(bad()),
    };
    if hours < 0 || minutes < 0 {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

/// A date as people write it: `2026-12-01` (midnight UTC), `2026-12-01 14:30`, or RFC 3339.
/// Only years 1 to 9999 are dates: stored dates are RFC 3339, which has four digits for
/// the year, and a date that could not be read back would make its ticket unreadable.
pub fn parse_date(text: &str) -> Result<Timestamp, Error> {
    let text = text.trim();
    absolute_date(text)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "`{text}` is not a date; write 2026-12-01, 2026-12-01 14:30 or RFC 3339"
            ))
        })
        .and_then(|t| in_range(text, Some(t)))
}

fn absolute_date(text: &str) -> Option<Timestamp> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t))
}

/// The date if it falls in the years 1 to 9999 (`None`: it overflowed on the way).
fn in_range(text: &str, when: Option<Timestamp>) -> Result<Timestamp, Error> {
    use chrono::Datelike;
    when.filter(|t| (1..=9999).contains(&t.year())).ok_or_else(|| {
        Error::Invalid(format!(
            "`{}` is out of range: a date must fall between the years 1 and 9999",
            text.trim()
        ))
    })
}

/// A date as people write it, absolute (any form [`parse_date`] reads) or relative to
/// `now`: `now`, `today`, `yesterday`, `tomorrow` (midnight UTC), `+3 days`, `-2 hours`,
/// `3 weeks ago`. One reading for searches (`Due < 'tomorrow'`) and changes
/// (`tkt set 42 due=tomorrow`). A relative date too far off to be a date
/// (`-99999999999999 days`) is an error that says so.
pub fn parse_date_at(text: &str, now: Timestamp) -> Result<Timestamp, Error> {
    if let Some(when) = absolute_date(text.trim()) {
        return in_range(text, Some(when));
    }
    match relative_date(text, now) {
        Some(when) => in_range(text, when),
        None => Err(Error::Invalid(format!(
            "`{}` is not a date; write 2026-12-01, 2026-12-01 14:30, RFC 3339, or a date relative to \
             now: today, tomorrow, yesterday, +3 days, -2 hours, 1 week ago",
            text.trim()
        ))),
    }
}

/// `None` when the text is not a relative date; `Some(None)` when it is one, but too far
/// off to compute.
fn relative_date(text: &str, now: Timestamp) -> Option<Option<Timestamp>> {
    let text = text.trim().to_ascii_lowercase();
    let midnight = |days: i64| {
        let day = now
            .date_naive()
            .checked_add_signed(chrono::TimeDelta::try_days(days)?)?;
        day.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
    };
    match text.as_str() {
        "now" => return Some(Some(now)),
        "today" => return Some(midnight(0)),
        "yesterday" => return Some(midnight(-1)),
        "tomorrow" => return Some(midnight(1)),
        _ => {}
    }
    let (text, ago) = match text.strip_suffix(" ago") {
        Some(rest) => (rest.trim().to_string(), true),
        None => (text, false),
    };
    let mut words = text.split_whitespace();
    let number = words.next()?.trim_start_matches('+');
    let unit = words.next()?;
    if words.next().is_some() || number.is_empty() {
        return None;
    }
    let seconds: i64 = match unit.trim_end_matches('s') {
        "second" | "sec" => 1,
        "minute" | "min" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        "year" => 365 * 86_400,
        _ => return None,
    };
    // a number of digits is a relative date, however large; only then may it be too far
    let digits = number.strip_prefix('-').unwrap_or(number);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.is_empty() {
        return None;
    }
    let Ok(number) = number.parse::<i64>() else {
        return Some(None);
    };
    let signed = if ago { number.checked_neg() } else { Some(number) };
    let delta = signed
        .and_then(|n| n.checked_mul(seconds))
        .and_then(chrono::TimeDelta::try_seconds);
    Some(delta.and_then(|d| now.checked_add_signed(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_dates_parse() {
        assert_eq!(parse_minutes("15m").unwrap(), 15);
        assert_eq!(parse_minutes("2h").unwrap(), 120);
        assert_eq!(parse_minutes("1h30m").unwrap(), 90);
        assert_eq!(parse_minutes("45").unwrap(), 45);
        assert!(parse_minutes("soon").is_err());
        assert!(parse_minutes("-5").is_err());
        assert_eq!(
            parse_date("2026-12-01").unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2026-12-01 14:30").unwrap().to_rfc3339(),
            "2026-12-01T14:30:00+00:00"
        );
        assert_eq!(
            parse_date("2026-12-01T10:00:00+02:00").unwrap().to_rfc3339(),
            "2026-12-01T08:00:00+00:00"
        );
        assert!(parse_date("tomorrow").is_err());
    }

    #[test]
    fn relative_dates_count_from_now() {
        let now = parse_date("2026-11-27T15:00:00Z").unwrap();
        let at = |text: &str| parse_date_at(text, now).unwrap().to_rfc3339();
        assert_eq!(at("-7 days"), "2026-11-20T15:00:00+00:00");
        assert_eq!(at("3 hours ago"), "2026-11-27T12:00:00+00:00");
        assert_eq!(at("yesterday"), "2026-11-26T00:00:00+00:00");
        assert_eq!(at("Tomorrow"), "2026-11-28T00:00:00+00:00");
        assert_eq!(at("+2 weeks"), "2026-12-11T15:00:00+00:00");
        assert_eq!(at("2026-12-01"), "2026-12-01T00:00:00+00:00");
        let e = parse_date_at("soon", now).unwrap_err().to_string();
        assert!(e.contains("`soon` is not a date") && e.contains("tomorrow"), "{e}");
    }

    #[test]
    fn dates_too_far_off_are_errors_not_panics() {
        let now = parse_date("2026-11-27T15:00:00Z").unwrap();
        for text in [
            "-99999999999999 days",
            "99999999999999999999 years",
            "9223372036854775807 seconds ago",
            "-9223372036854775808 seconds ago",
            "+9999999 years",
            "+12345-06-07 10:00",
        ] {
            let e = parse_date_at(text, now).unwrap_err().to_string();
            assert!(e.contains("out of range"), "{text}: {e}");
        }
        assert!(
            parse_date("+12345-06-07")
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert_eq!(
            parse_date_at("-2000 years", now).unwrap().to_rfc3339(),
            "0028-03-26T15:00:00+00:00"
        );
    }
}
