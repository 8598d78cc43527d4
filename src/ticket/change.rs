//! Field changes as staff write them: `tkt set 42 status=resolved owner=alice AdminCc+=bob@x`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Role, Status};
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

impl FromStr for Change {
    type Err = Error;

    /// Parses `field=value`, `Role+=address` / `Role-=address` for watchers, or one of
    /// `take`, `steal`, `untake`.
    fn from_str(s: &str) -> Result<Self, Error> {
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
        if let Some(role) = field.strip_suffix('+').or_else(|| field.strip_suffix('-')) {
            let role: Role = role.trim().parse()?;
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
            "subject" => Ok(Change::Subject(value.to_string())),
            "queue" => Ok(Change::Queue(value.to_string())),
            other => Err(Error::Invalid(format!(
                "`{other}` is not a field you can set; use status, owner, priority, initialpriority, \
                 finalpriority, subject, queue, or Requestor/Cc/AdminCc+= and -="
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_watchers() {
        assert_eq!(
            "status=resolved".parse::<Change>().unwrap(),
            Change::Status(Status::named("resolved"))
        );
        assert_eq!("Priority= 80".parse::<Change>().unwrap(), Change::Priority(80));
        assert_eq!("subject=a=b".parse::<Change>().unwrap(), Change::Subject("a=b".into()));
        assert_eq!(
            "AdminCc+=bob@example.com".parse::<Change>().unwrap(),
            Change::Watcher(WatcherChange {
                role: Role::AdminCc,
                address: "bob@example.com".into(),
                add: true
            })
        );
        assert_eq!(
            "cc-=x@y".parse::<Change>().unwrap(),
            Change::Watcher(WatcherChange {
                role: Role::Cc,
                address: "x@y".into(),
                add: false
            })
        );
    }

    #[test]
    fn ownership_words() {
        assert_eq!("take".parse::<Change>().unwrap(), Change::Ownership(OwnerAction::Take));
        assert_eq!(
            " Steal ".parse::<Change>().unwrap(),
            Change::Ownership(OwnerAction::Steal)
        );
        assert_eq!(
            "untake".parse::<Change>().unwrap(),
            Change::Ownership(OwnerAction::Untake)
        );
    }

    #[test]
    fn errors_say_what_to_write() {
        assert!(
            "priority=high"
                .parse::<Change>()
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        assert!(
            "colour=red"
                .parse::<Change>()
                .unwrap_err()
                .to_string()
                .contains("status, owner")
        );
        assert!(
            "status"
                .parse::<Change>()
                .unwrap_err()
                .to_string()
                .contains("field=value")
        );
        assert!("Owner+=a@b".parse::<Change>().is_err());
    }
}
