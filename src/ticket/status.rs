//! Statuses and lifecycles: which statuses a queue's tickets have and how they move.
//!
//! As in RT, a lifecycle groups its statuses as initial, active and inactive, lists the
//! allowed transitions, and names the right each transition needs. `default` is RT's
//! shipped lifecycle; sites define more in the config and give them to queues.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::rights::Right;

/// A status name, lowercase: `open`, or a custom lifecycle's `waiting-for-customer`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Status(String);

/// The statuses of the default lifecycle, by name.
impl Status {
    pub const NEW: &'static str = "new";
    pub const OPEN: &'static str = "open";
    pub const STALLED: &'static str = "stalled";
    pub const RESOLVED: &'static str = "resolved";
    pub const REJECTED: &'static str = "rejected";
    pub const DELETED: &'static str = "deleted";

    /// The status called `name` (lowercased).
    pub fn named(name: &str) -> Status {
        Status(name.trim().to_ascii_lowercase())
    }

    /// The name as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the status called `name`.
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Status {
    type Err = Error;
    /// Any one word; whether a queue's lifecycle knows it is for the lifecycle to say.
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if s.is_empty() || s.contains(char::is_whitespace) || s.starts_with("__") {
            return Err(Error::Invalid(format!(
                "`{s}` is not a status name: a status is one word, such as open or resolved"
            )));
        }
        Ok(Status::named(s))
    }
}

impl TryFrom<String> for Status {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.0
    }
}

/// The three kinds of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Not yet worked on (`new`).
    Initial,
    /// Being worked on (`open`, `stalled`).
    Active,
    /// Done with (`resolved`, `rejected`, `deleted`).
    Inactive,
}

/// A lifecycle: its statuses, allowed transitions and the rights they need.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    #[serde(skip)]
    pub name: String,
    pub initial: Vec<Status>,
    pub active: Vec<Status>,
    pub inactive: Vec<Status>,
    /// From a status (or `*`, any) to the statuses it may become.
    #[serde(default)]
    pub transitions: BTreeMap<String, Vec<Status>>,
    /// `"from -> to"` (either may be `*`) to the right that transition needs; the most
    /// specific entry wins. Without one, ModifyTicketStatus.
    #[serde(default)]
    pub rights: BTreeMap<String, Right>,
}

impl Lifecycle {
    /// RT's shipped lifecycle: new; open, stalled; resolved, rejected, deleted. Every
    /// status may become every other; deleting needs DeleteTicket.
    pub fn default_lifecycle() -> Lifecycle {
        let statuses = |names: &[&str]| names.iter().map(|n| Status::named(n)).collect::<Vec<_>>();
        let all = [
            Status::NEW,
            Status::OPEN,
            Status::STALLED,
            Status::RESOLVED,
            Status::REJECTED,
            Status::DELETED,
        ];
        let transitions = all
            .iter()
            .map(|from| {
                (
                    from.to_string(),
                    statuses(&all.iter().copied().filter(|to| to != from).collect::<Vec<_>>()),
                )
            })
            .collect();
        Lifecycle {
            name: "default".into(),
            initial: statuses(&[Status::NEW]),
            active: statuses(&[Status::OPEN, Status::STALLED]),
            inactive: statuses(&[Status::RESOLVED, Status::REJECTED, Status::DELETED]),
            transitions,
            rights: BTreeMap::from([("* -> deleted".to_string(), Right::DeleteTicket)]),
        }
    }

    /// Every status, initial first.
    pub fn statuses(&self) -> impl Iterator<Item = &Status> {
        self.initial.iter().chain(&self.active).chain(&self.inactive)
    }

    /// The kind of a status, or `None` when the lifecycle has no such status.
    pub fn category(&self, status: &Status) -> Option<Category> {
        if self.initial.contains(status) {
            Some(Category::Initial)
        } else if self.active.contains(status) {
            Some(Category::Active)
        } else if self.inactive.contains(status) {
            Some(Category::Inactive)
        } else {
            None
        }
    }

    /// Still needs work (initial or active): what `__Active__` matches.
    pub fn is_active(&self, status: &Status) -> bool {
        matches!(self.category(status), Some(Category::Initial | Category::Active))
    }

    /// The status new tickets get.
    pub fn default_initial(&self) -> &Status {
        &self.initial[0]
    }

    /// A status of this lifecycle by name, or a clear error listing the ones there are.
    pub fn status(&self, name: &str) -> Result<Status, Error> {
        let status = Status::named(name);
        if self.category(&status).is_some() {
            return Ok(status);
        }
        let names: Vec<&str> = self.statuses().map(Status::as_str).collect();
        Err(Error::Invalid(format!(
            "`{name}` is not a status of lifecycle {}; use one of {}",
            self.name,
            names.join(", ")
        )))
    }

    /// Whether a ticket may go from `from` to `to`.
    pub fn can_transition(&self, from: &Status, to: &Status) -> bool {
        from != to
            && self.category(to).is_some()
            && [from.as_str(), "*"]
                .iter()
                .filter_map(|key| self.transitions.get(*key))
                .any(|targets| targets.contains(to))
    }

    /// The right a transition needs: the most specific `rights` entry, else
    /// ModifyTicketStatus.
    pub fn right_for(&self, from: &Status, to: &Status) -> Right {
        [
            format!("{from} -> {to}"),
            format!("{from} -> *"),
            format!("* -> {to}"),
            "* -> *".to_string(),
        ]
        .iter()
        .find_map(|key| self.rights.get(key).copied())
        .unwrap_or(Right::ModifyTicketStatus)
    }

    /// Checks a lifecycle read from the config.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if self.initial.is_empty() || self.inactive.is_empty() {
            return Err(format!(
                "lifecycle {name} needs at least one initial and one inactive status"
            ));
        }
        let all: Vec<&Status> = self.statuses().collect();
        for (i, status) in all.iter().enumerate() {
            if all[..i].contains(status) {
                return Err(format!("lifecycle {name} lists status {status} twice"));
            }
        }
        for (from, targets) in &self.transitions {
            if from != "*" && self.category(&Status::named(from)).is_none() {
                return Err(format!("lifecycle {name}: transitions from unknown status {from}"));
            }
            if let Some(to) = targets.iter().find(|to| self.category(to).is_none()) {
                return Err(format!(
                    "lifecycle {name}: transition from {from} to unknown status {to}"
                ));
            }
        }
        for key in self.rights.keys() {
            let Some((from, to)) = key.split_once("->") else {
                return Err(format!("lifecycle {name}: right key `{key}` is not \"from -> to\""));
            };
            for side in [from.trim(), to.trim()] {
                if side != "*" && self.category(&Status::named(side)).is_none() {
                    return Err(format!(
                        "lifecycle {name}: right key `{key}` names unknown status {side}"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Status {
        Status::named(name)
    }

    #[test]
    fn every_default_transition_but_to_itself_is_allowed() {
        let l = Lifecycle::default_lifecycle();
        let all: Vec<Status> = l.statuses().cloned().collect();
        assert_eq!(all.len(), 6);
        for from in &all {
            for to in &all {
                assert_eq!(l.can_transition(from, to), from != to, "{from} -> {to}");
            }
            assert!(!l.can_transition(from, &s("closed")));
        }
        assert_eq!(l.right_for(&s("open"), &s("deleted")), Right::DeleteTicket);
        assert_eq!(l.right_for(&s("open"), &s("resolved")), Right::ModifyTicketStatus);
        l.validate().unwrap();
    }

    #[test]
    fn categories_and_errors() {
        let l = Lifecycle::default_lifecycle();
        assert!(l.is_active(&s("new")) && l.is_active(&s("stalled")));
        assert!(!l.is_active(&s("resolved")));
        assert_eq!(l.category(&s("deleted")), Some(Category::Inactive));
        assert!(
            l.status("closed")
                .unwrap_err()
                .to_string()
                .contains("new, open, stalled, resolved")
        );
        assert_eq!(l.status("RESOLVED").unwrap(), s("resolved"));
        assert!("two words".parse::<Status>().is_err());
    }

    #[test]
    fn a_custom_lifecycle_limits_transitions_and_names_rights() {
        let mut l: Lifecycle = toml::from_str(
            r#"
            initial = ["requested"]
            active = ["approved", "ordered"]
            inactive = ["delivered", "refused"]
            [transitions]
            requested = ["approved", "refused"]
            approved = ["ordered"]
            ordered = ["delivered"]
            [rights]
            "requested -> approved" = "AdminQueue"
            "* -> refused" = "ModifyTicket"
            "#,
        )
        .unwrap();
        l.name = "purchase".into();
        l.validate().unwrap();
        assert!(l.can_transition(&s("requested"), &s("approved")));
        assert!(!l.can_transition(&s("requested"), &s("ordered")));
        assert!(!l.can_transition(&s("delivered"), &s("requested")));
        assert_eq!(l.right_for(&s("requested"), &s("approved")), Right::AdminQueue);
        assert_eq!(l.right_for(&s("approved"), &s("refused")), Right::ModifyTicket);
        assert_eq!(l.right_for(&s("approved"), &s("ordered")), Right::ModifyTicketStatus);
        l.transitions.insert("ordered".into(), vec![s("lost")]);
        assert!(l.validate().unwrap_err().contains("unknown status lost"));
    }
}
