//! Links between tickets: dependencies, parents and children, references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A link as stored: from a base ticket to a target ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkKind {
    /// The base cannot be resolved before the target.
    DependsOn,
    /// The base is a child of the target.
    MemberOf,
    /// The base mentions the target.
    RefersTo,
}

impl LinkKind {
    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::DependsOn => "DependsOn",
            LinkKind::MemberOf => "MemberOf",
            LinkKind::RefersTo => "RefersTo",
        }
    }
}

impl FromStr for LinkKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "DependsOn" => Ok(LinkKind::DependsOn),
            "MemberOf" => Ok(LinkKind::MemberOf),
            "RefersTo" => Ok(LinkKind::RefersTo),
            _ => Err(Error::Internal(format!("unknown link type `{s}` in the database"))),
        }
    }
}

/// A link as one ticket sees it: the stored kind from either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkName {
    DependsOn,
    DependedOnBy,
    MemberOf,
    Members,
    RefersTo,
    ReferredToBy,
}

impl LinkName {
    /// Every name.
    pub const ALL: [LinkName; 6] = [
        LinkName::DependsOn,
        LinkName::DependedOnBy,
        LinkName::MemberOf,
        LinkName::Members,
        LinkName::RefersTo,
        LinkName::ReferredToBy,
    ];

    /// The stored kind, and whether the ticket that sees this name is the link's base.
    pub fn stored(self) -> (LinkKind, bool) {
        match self {
            LinkName::DependsOn => (LinkKind::DependsOn, true),
            LinkName::DependedOnBy => (LinkKind::DependsOn, false),
            LinkName::MemberOf => (LinkKind::MemberOf, true),
            LinkName::Members => (LinkKind::MemberOf, false),
            LinkName::RefersTo => (LinkKind::RefersTo, true),
            LinkName::ReferredToBy => (LinkKind::RefersTo, false),
        }
    }

    /// The name the same link has from the base's (`from_base`) or the target's end.
    pub fn of(kind: LinkKind, from_base: bool) -> LinkName {
        LinkName::ALL
            .into_iter()
            .find(|n| n.stored() == (kind, from_base))
            .expect("every kind has both names")
    }

    /// The name the other ticket sees.
    pub fn reverse(self) -> LinkName {
        let (kind, base) = self.stored();
        LinkName::of(kind, !base)
    }

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkName::DependsOn => "DependsOn",
            LinkName::DependedOnBy => "DependedOnBy",
            LinkName::MemberOf => "MemberOf",
            LinkName::Members => "Members",
            LinkName::RefersTo => "RefersTo",
            LinkName::ReferredToBy => "ReferredToBy",
        }
    }
}

impl fmt::Display for LinkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let alias = match s.to_ascii_lowercase().as_str() {
            "parent" => "MemberOf",
            "child" | "children" => "Members",
            "memberof" => "MemberOf",
            _ => s,
        };
        LinkName::ALL
            .into_iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(alias))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "`{s}` is not a link; use DependsOn, DependedOnBy, MemberOf, Members, RefersTo or ReferredToBy"
                ))
            })
    }
}

/// A link as a ticket shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    #[serde(rename = "type")]
    pub name: LinkName,
    /// The other ticket.
    pub target: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pair_up() {
        for name in LinkName::ALL {
            assert_eq!(name.reverse().reverse(), name);
            assert_ne!(name.reverse(), name);
            assert_eq!(name.as_str().parse::<LinkName>().unwrap(), name);
        }
        assert_eq!(LinkName::DependsOn.reverse(), LinkName::DependedOnBy);
        assert_eq!("parent".parse::<LinkName>().unwrap(), LinkName::MemberOf);
        assert!(
            "Blocks"
                .parse::<LinkName>()
                .unwrap_err()
                .to_string()
                .contains("DependsOn")
        );
    }
}
