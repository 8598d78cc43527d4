//! The default lifecycle: statuses and the transitions between them.
//!
//! The same statuses and transitions as RT's shipped `default` lifecycle. Per-queue custom
//! lifecycles are a later issue; they will replace [`Status::can_become`] with a table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Stalled,
    Resolved,
    Rejected,
    Deleted,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Open,
        Status::Stalled,
        Status::Resolved,
        Status::Rejected,
        Status::Deleted,
    ];

    /// The name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Stalled => "stalled",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
            Status::Deleted => "deleted",
        }
    }

    /// Still needs work: what `__Active__` matches in searches.
    pub fn is_active(self) -> bool {
        matches!(self, Status::New | Status::Open | Status::Stalled)
    }

    /// Done with, one way or another: what `__Inactive__` matches.
    pub fn is_inactive(self) -> bool {
        !self.is_active()
    }

    /// Whether the default lifecycle allows moving from `self` to `to`. As in RT's default
    /// lifecycle every status can reach every other; staying put is not a change.
    pub fn can_become(self, to: Status) -> bool {
        self != to
    }

    /// The active statuses, for queries.
    pub fn active() -> Vec<Status> {
        Status::ALL.into_iter().filter(|s| s.is_active()).collect()
    }

    /// The inactive statuses, for queries.
    pub fn inactive() -> Vec<Status> {
        Status::ALL.into_iter().filter(|s| s.is_inactive()).collect()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "`{s}` is not a status; use one of new, open, stalled, resolved, rejected, deleted"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        assert_eq!("RESOLVED".parse::<Status>().unwrap(), Status::Resolved);
        assert!("closed".parse::<Status>().unwrap_err().to_string().contains("resolved"));
    }

    #[test]
    fn every_transition_but_to_itself_is_allowed() {
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_become(to), from != to, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn active_and_inactive_split_the_statuses() {
        assert_eq!(Status::active(), vec![Status::New, Status::Open, Status::Stalled]);
        assert_eq!(
            Status::inactive(),
            vec![Status::Resolved, Status::Rejected, Status::Deleted]
        );
    }
}
