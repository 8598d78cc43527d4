//! Field changes as staff write them: `tkt set 42 status=resolved owner=alice AdminCc+=bob@x`.

use serde::{Deserialize, Serialize};

use super::{LinkName, Role, Status, Timestamp, parse_date_at, parse_minutes};
use crate::error::Error;

/// One change to a ticket's fields or watchers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Status(Status),
    /// Give to a user (name or address), or to `Nobody`.
    Owner(String),
    /// Take, steal or untake: ownership changes for the acting user.
    Ownership(OwnerAction),
    Priority(i64),
    InitialPriority(i64),
    FinalPriority(i64),
    Subject(String),
    /// Move to the named queue.
    Queue(String),
    Watcher(WatcherChange),
    Link(LinkChange),
    /// When the ticket is due; `None` clears it.
    Due(Option<Timestamp>),
    /// When work should start; `None` clears it.
    Starts(Option<Timestamp>),
    /// The service level the ticket is held to instead of its queue's; `None`: the
    /// queue's again.
    Sla(Option<String>),
    /// Minutes.
    TimeEstimated(i64),
    /// Minutes.
    TimeLeft(i64),
    /// Minutes, the new total (replies and comments add to it as they go).
    TimeWorked(i64),
    /// A custom field's value as written (`CF.{Severity}=high`); the field's type decides
    /// how it is read (a multi-select takes a comma-separated list). Empty clears it.
    CustomField {
        name: String,
        value: String,
    },
}

/// Adding or removing a link to another ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkChange {
    pub name: LinkName,
    pub ticket: i64,
    pub add: bool,
}

/// An ownership change by the acting user for themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerAction {
    /// Become the owner of an unowned ticket.
    Take,
    /// Become the owner of a ticket someone else owns.
    Steal,
    /// Give one's ticket back to Nobody.
    Untake,
}

/// Adding or removing a watcher: a user by address, or a group by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatcherChange {
    pub role: Role,
    pub address: String,
    pub add: bool,
}

impl Change {
    /// Parses `field=value`, `Role+=address` / `Role-=address` for watchers, or one of
    /// `take`, `steal`, `untake`. Dates (`due=`, `starts=`) may be relative to `now`
    /// (`tomorrow`, `+3 days`), as in searches.
    pub fn parse(s: &str, now: Timestamp) -> Result<Change, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "take" => return Ok(Change::Ownership(OwnerAction::Take)),
            "steal" => return Ok(Change::Ownership(OwnerAction::Steal)),
            "untake" => return Ok(Change::Ownership(OwnerAction::Untake)),
            _ => {}
        }
        let (field, value) = s.split_once('=').ok_or_else(|| {
            Error::Invalid(format!(
                "`{s}` is not field=value (e.g. status=open, AdminCc+=alice@example.com)"
            ))
        })?;
        let value = value.trim();
        if let Some(name) = field.strip_suffix('+').or_else(|| field.strip_suffix('-')) {
            let add = field.ends_with('+');
            if let Ok(link) = name.parse::<LinkName>() {
                let ticket = value
                    .trim_start_matches('#')
                    .parse::<i64>()
                    .map_err(|_| Error::Invalid(format!("`{value}` is not a ticket number (in {s})")))?;
                return Ok(Change::Link(LinkChange {
                    name: link,
                    ticket,
                    add,
                }));
            }
            let role: Role = name.trim().parse()?;
            if role == Role::Owner {
                return Err(Error::Invalid("the owner is set with owner=NAME, not added".into()));
            }
            if value.is_empty() {
                return Err(Error::Invalid(format!(
                    "`{s}` names no watcher: give an address or a group"
                )));
            }
            return Ok(Change::Watcher(WatcherChange {
                role,
                address: value.to_string(),
                add: field.ends_with('+'),
            }));
        }
        let number = |what: &str| {
            value
                .parse::<i64>()
                .map_err(|_| Error::Invalid(format!("{what} must be a whole number, not `{value}`")))
        };
        match field.trim().to_ascii_lowercase().as_str() {
            "status" => Ok(Change::Status(value.parse()?)),
            "owner" => Ok(Change::Owner(value.to_string())),
            "priority" => Ok(Change::Priority(number("priority")?)),
            "initialpriority" | "initial_priority" => Ok(Change::InitialPriority(number("initial priority")?)),
            "finalpriority" | "final_priority" => Ok(Change::FinalPriority(number("final priority")?)),
            // a subject goes into mail headers: one line, no control characters
            "subject" => Ok(Change::Subject(crate::text::one_line(value))),
            "queue" => Ok(Change::Queue(value.to_string())),
            "due" => Ok(Change::Due(optional_date(value, now)?)),
            "starts" => Ok(Change::Starts(optional_date(value, now)?)),
            "sla" => Ok(Change::Sla(Some(value.trim().to_string()).filter(|v| !v.is_empty()))),
            "timeestimated" | "time_estimated" => Ok(Change::TimeEstimated(parse_minutes(value)?)),
            "timeleft" | "time_left" => Ok(Change::TimeLeft(parse_minutes(value)?)),
            "timeworked" | "time_worked" => Ok(Change::TimeWorked(parse_minutes(value)?)),
            other if other.starts_with("cf.") => {
                let name = field.trim()[3..].trim_start_matches('{').trim_end_matches('}').trim();
                if name.is_empty() {
                    return Err(Error::Invalid(format!(
                        "`{field}` names no custom field: write CF.{{Name}}=value"
                    )));
                }
                Ok(Change::CustomField {
                    name: name.to_string(),
                    value: value.to_string(),
                })
            }
            other => Err(Error::Invalid(format!(
                "`{other}` is not a field you can set; use status, owner, priority, initialpriority, \
                 finalpriority, subject, queue, due, starts, time_estimated, time_left, time_worked, \
                 CF.{{Name}}, Requestor/Cc/AdminCc+= and -=, or DependsOn/MemberOf/RefersTo (and their \
                 reverses)+= and -="
            ))),
        }
    }
}

fn optional_date(value: &str, now: Timestamp) -> Result<Option<Timestamp>, Error> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_date_at(value, now).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        crate::ticket::parse_date("2026-11-27T15:00:00Z").unwrap()
    }

    fn parse(s: &str) -> Result<Change, Error> {
        Change::parse(s, now())
    }

    #[test]
    fn parses_fields_and_watchers() {
        assert_eq!(
            parse("status=resolved").unwrap(),
            Change::Status(Status::named("resolved"))
        );
        assert_eq!(parse("Priority= 80").unwrap(), Change::Priority(80));
        assert_eq!(parse("sla=gold").unwrap(), Change::Sla(Some("gold".into())));
        assert_eq!(parse("SLA= ").unwrap(), Change::Sla(None));
        assert_eq!(parse("subject=a=b").unwrap(), Change::Subject("a=b".into()));
        assert_eq!(
            parse("AdminCc+=bob@example.com").unwrap(),
            Change::Watcher(WatcherChange {
                role: Role::AdminCc,
                address: "bob@example.com".into(),
                add: true
            })
        );
        assert_eq!(
            parse("cc-=x@y").unwrap(),
            Change::Watcher(WatcherChange {
                role: Role::Cc,
                address: "x@y".into(),
                add: false
            })
        );
    }

    #[test]
    fn links_dates_times_and_custom_fields() {
        assert_eq!(
            parse("DependsOn+=12").unwrap(),
            Change::Link(LinkChange {
                name: LinkName::DependsOn,
                ticket: 12,
                add: true
            })
        );
        assert_eq!(
            parse("members-=#4").unwrap(),
            Change::Link(LinkChange {
                name: LinkName::Members,
                ticket: 4,
                add: false
            })
        );
        assert!(matches!(parse("due=2026-12-01").unwrap(), Change::Due(Some(_))));
        assert_eq!(parse("due=").unwrap(), Change::Due(None));
        assert_eq!(
            parse("due=tomorrow").unwrap(),
            Change::Due(Some(crate::ticket::parse_date("2026-11-28").unwrap()))
        );
        assert_eq!(
            parse("starts=+3 days").unwrap(),
            Change::Starts(Some(crate::ticket::parse_date("2026-11-30T15:00:00Z").unwrap()))
        );
        assert_eq!(parse("time_estimated=1h30m").unwrap(), Change::TimeEstimated(90));
        assert_eq!(
            parse("CF.{Severity}=high").unwrap(),
            Change::CustomField {
                name: "Severity".into(),
                value: "high".into()
            }
        );
        assert!(parse("due=soon").unwrap_err().to_string().contains("not a date"));
        assert!(parse("DependsOn+=x").unwrap_err().to_string().contains("ticket number"));
    }

    #[test]
    fn ownership_words() {
        assert_eq!(parse("take").unwrap(), Change::Ownership(OwnerAction::Take));
        assert_eq!(parse(" Steal ").unwrap(), Change::Ownership(OwnerAction::Steal));
        assert_eq!(parse("untake").unwrap(), Change::Ownership(OwnerAction::Untake));
    }

    #[test]
    fn errors_say_what_to_write() {
        assert!(parse("priority=high").unwrap_err().to_string().contains("whole number"));
        assert!(parse("colour=red").unwrap_err().to_string().contains("status, owner"));
        assert!(parse("status").unwrap_err().to_string().contains("field=value"));
        assert!(parse("Owner+=a@b").is_err());
    }
}
