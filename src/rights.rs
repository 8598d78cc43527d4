//! Rights: who may do what, decided in one place for every interface.
//!
//! As in RT, a right is granted to a user, a group or a role (the Requestors, Ccs, AdminCcs
//! or Owner of a ticket), globally or on one queue. A user holds a right on a ticket when
//! some grant names them, a group they are in (nested groups count, and every user is in
//! Everyone and in Privileged or Unprivileged), or a role they hold on that ticket, and the
//! grant is global or on the ticket's queue. SuperUser implies every right.
//!
//! This module only decides; `store` loads the grants and memberships it decides from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ticket::Role;

/// The group every user is in.
pub const EVERYONE: i64 = 4;
/// The group of every privileged user (staff).
pub const PRIVILEGED: i64 = 5;
/// The group of every unprivileged user (requestors).
pub const UNPRIVILEGED: i64 = 6;

macro_rules! rights {
    ($($right:ident: $doc:literal,)*) => {
        /// A right.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Right {
            $(#[doc = $doc] $right,)*
        }

        impl Right {
            /// Every right, in the order of the table in docs/ARCHITECTURE.md.
            pub const ALL: &'static [Right] = &[$(Right::$right,)*];

            /// The name as written in grants.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Right::$right => stringify!($right),)*
                }
            }

            /// What the right allows, for `tkt rights`.
            pub fn description(self) -> &'static str {
                match self {
                    $(Right::$right => $doc,)*
                }
            }
        }
    };
}

rights! {
    SeeQueue: "see that the queue exists and list it",
    CreateTicket: "create tickets in the queue (by mail or tkt)",
    ShowTicket: "see tickets and their replies",
    ShowTicketComments: "see comments (staff-only history)",
    ReplyToTicket: "reply to tickets (correspond)",
    CommentOnTicket: "comment on tickets",
    OwnTicket: "be the owner of tickets",
    TakeTicket: "take unowned tickets",
    StealTicket: "take tickets owned by someone else",
    ModifyTicket: "change fields, watchers and owners of tickets",
    ModifyTicketStatus: "change the status of tickets",
    DeleteTicket: "set tickets to deleted",
    Watch: "add or remove oneself as a Cc",
    WatchAsAdminCc: "add or remove oneself as an AdminCc",
    AdminQueue: "create and configure queues, their watchers and their grants; see the quarantine",
    AdminUsers: "create, change and disable users; create their tokens",
    AdminGroups: "create groups and change their members",
    ShowTemplate: "see notification templates",
    ShredTicket: "remove tickets and everything of theirs for good",
    SuperUser: "do everything everywhere",
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Right {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Right::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = Right::ALL.iter().map(|r| r.as_str()).collect();
                Error::Invalid(format!("`{s}` is not a right; the rights are {}", names.join(", ")))
            })
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "id")]
pub enum Grantee {
    User(i64),
    Group(i64),
    Role(Role),
}

/// A right given to someone, globally (`queue` None) or on one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: i64,
    pub grantee: Grantee,
    pub right: Right,
    pub queue: Option<i64>,
}

/// A user as rights see them: their id and every group they are in, directly, through
/// nested groups, and the system groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub groups: Vec<i64>,
}

/// Where a right is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Not tied to any queue (administering users, global grants).
    Global,
    /// A queue, not a particular ticket in it (creating tickets).
    Queue(i64),
    /// A ticket: its queue and the roles the user holds on it (queue watchers included).
    Ticket { queue: i64, roles: Vec<Role> },
}

impl Principal {
    fn is(&self, grantee: &Grantee, roles: &[Role]) -> bool {
        match grantee {
            Grantee::User(id) => *id == self.user_id,
            Grantee::Group(id) => self.groups.contains(id),
            Grantee::Role(role) => roles.contains(role),
        }
    }
}

/// The grant that gives `who` the `right` in `scope`, if any; a SuperUser grant counts
/// for every right. `grants` may hold more than the user's own grants.
pub fn granting<'g>(grants: &'g [Grant], who: &Principal, right: Right, scope: &Scope) -> Option<&'g Grant> {
    let (queue, roles): (Option<i64>, &[Role]) = match scope {
        Scope::Global => (None, &[]),
        Scope::Queue(q) => (Some(*q), &[]),
        Scope::Ticket { queue, roles } => (Some(*queue), roles),
    };
    let applies =
        |g: &&Grant| who.is(&g.grantee, roles) && (g.queue.is_none() || (queue.is_some() && g.queue == queue));
    let direct = grants.iter().filter(applies).find(|g| g.right == right);
    direct.or_else(|| {
        grants
            .iter()
            .filter(applies)
            .find(|g| g.right == Right::SuperUser && g.queue.is_none())
    })
}

/// Whether `who` holds `right` in `scope`.
pub fn holds(grants: &[Grant], who: &Principal, right: Right, scope: &Scope) -> bool {
    granting(grants, who, right, scope).is_some()
}

/// Which tickets a user may see, for searches: everything, whole queues, or tickets on
/// which they hold a role that may see them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Visibility {
    pub everything: bool,
    /// Queues whose every ticket is visible.
    pub queues: Vec<i64>,
    /// Roles that see their tickets: in every queue (`None`) or in one.
    pub roles: Vec<(Role, Option<i64>)>,
}

/// What `who` may see with `right` (ShowTicket), from their grants.
pub fn visibility(grants: &[Grant], who: &Principal, right: Right) -> Visibility {
    let mut v = Visibility::default();
    for g in grants {
        let relevant = g.right == right || (g.right == Right::SuperUser && g.queue.is_none());
        if !relevant {
            continue;
        }
        match (&g.grantee, g.queue) {
            (Grantee::Role(role), queue) => v.roles.push((*role, queue)),
            (grantee, None) if who.is(grantee, &[]) => v.everything = true,
            (grantee, Some(queue)) if who.is(grantee, &[]) => v.queues.push(queue),
            _ => {}
        }
    }
    v.queues.sort_unstable();
    v.queues.dedup();
    v
}

/// Someone searching, as a search needs them: who they are (for `__CurrentUser__` and
/// the roles they hold), which tickets they may see (ShowTicket), and on which of those
/// the comments too (ShowTicketComments). Comment text is only matched where the second
/// allows it, so a search never tells anyone what a comment they may not read says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub principal: Principal,
    pub tickets: Visibility,
    pub comments: Visibility,
}

impl Viewer {
    /// What `principal` may see, from the grants.
    pub fn new(grants: &[Grant], principal: Principal) -> Viewer {
        Viewer {
            tickets: visibility(grants, &principal, Right::ShowTicket),
            comments: visibility(grants, &principal, Right::ShowTicketComments),
            principal,
        }
    }
}

/// The rights to work a queue's tickets day to day: see, create, answer, comment, own,
/// take over, change and watch them. Staff hold them on every queue by default (through
/// Privileged); `tkt rights preset per-queue` grants them to a team on its queues instead.
/// StealTicket is among them: ModifyTicket already lets staff give a colleague's ticket to
/// anyone, so withholding the right to take it oneself would protect nothing.
pub const QUEUE_WORK_RIGHTS: &[Right] = &[
    Right::SeeQueue,
    Right::CreateTicket,
    Right::ShowTicket,
    Right::ShowTicketComments,
    Right::ReplyToTicket,
    Right::CommentOnTicket,
    Right::OwnTicket,
    Right::TakeTicket,
    Right::StealTicket,
    Right::ModifyTicket,
    Right::ModifyTicketStatus,
    Right::Watch,
    Right::WatchAsAdminCc,
];

/// Every default grant: Everyone may create tickets and reply by mail, requestors may see
/// and reply to their own tickets, staff get [`QUEUE_WORK_RIGHTS`] everywhere and may see
/// the templates, root is the superuser. What a new database starts with and `tkt admin
/// init` restores.
pub fn default_grants() -> Vec<(Grantee, Right)> {
    let mut grants = vec![
        (Grantee::User(crate::user::ROOT_ID), Right::SuperUser),
        (Grantee::Group(EVERYONE), Right::CreateTicket),
        (Grantee::Group(EVERYONE), Right::ReplyToTicket),
        (Grantee::Role(Role::Requestor), Right::ShowTicket),
        (Grantee::Role(Role::Requestor), Right::ReplyToTicket),
    ];
    let staff = QUEUE_WORK_RIGHTS.iter().copied().chain([Right::ShowTemplate]);
    grants.extend(staff.map(|r| (Grantee::Group(PRIVILEGED), r)));
    grants
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: i64, grantee: Grantee, right: Right, queue: Option<i64>) -> Grant {
        Grant {
            id,
            grantee,
            right,
            queue,
        }
    }

    fn alice() -> Principal {
        Principal {
            user_id: 10,
            groups: vec![EVERYONE, UNPRIVILEGED, 20],
        }
    }

    #[test]
    fn users_groups_and_roles_are_matched_globally_or_per_queue() {
        let grants = vec![
            grant(1, Grantee::Group(20), Right::CommentOnTicket, Some(7)),
            grant(2, Grantee::Role(Role::Requestor), Right::ShowTicket, None),
            grant(3, Grantee::User(10), Right::OwnTicket, None),
        ];
        let on_ticket = |queue, roles: &[Role]| Scope::Ticket {
            queue,
            roles: roles.to_vec(),
        };
        assert_eq!(
            granting(&grants, &alice(), Right::CommentOnTicket, &on_ticket(7, &[])).map(|g| g.id),
            Some(1)
        );
        assert!(!holds(&grants, &alice(), Right::CommentOnTicket, &on_ticket(8, &[])));
        assert!(
            !holds(&grants, &alice(), Right::CommentOnTicket, &Scope::Global),
            "a queue grant is not global"
        );
        assert!(holds(
            &grants,
            &alice(),
            Right::ShowTicket,
            &on_ticket(8, &[Role::Requestor])
        ));
        assert!(!holds(&grants, &alice(), Right::ShowTicket, &on_ticket(8, &[Role::Cc])));
        assert!(holds(&grants, &alice(), Right::OwnTicket, &Scope::Queue(3)));
        let bob = Principal {
            user_id: 11,
            groups: vec![EVERYONE],
        };
        assert!(!holds(&grants, &bob, Right::OwnTicket, &Scope::Global));
    }

    #[test]
    fn superuser_implies_everything_but_only_globally() {
        let global = vec![grant(1, Grantee::User(10), Right::SuperUser, None)];
        assert!(
            Right::ALL
                .iter()
                .all(|r| holds(&global, &alice(), *r, &Scope::Queue(5)))
        );
        let on_queue = vec![grant(1, Grantee::User(10), Right::SuperUser, Some(5))];
        assert!(!holds(&on_queue, &alice(), Right::ShowTicket, &Scope::Queue(5)));
    }

    #[test]
    fn visibility_collects_everything_queues_and_roles() {
        let grants = vec![
            grant(1, Grantee::Group(20), Right::ShowTicket, Some(7)),
            grant(2, Grantee::Role(Role::Requestor), Right::ShowTicket, None),
            grant(3, Grantee::Group(99), Right::ShowTicket, None),
        ];
        let v = visibility(&grants, &alice(), Right::ShowTicket);
        assert_eq!(
            v,
            Visibility {
                everything: false,
                queues: vec![7],
                roles: vec![(Role::Requestor, None)]
            }
        );
        let root = Principal {
            user_id: 3,
            groups: vec![],
        };
        let su = vec![grant(4, Grantee::User(3), Right::SuperUser, None)];
        assert!(visibility(&su, &root, Right::ShowTicket).everything);
    }

    #[test]
    fn rights_parse_by_name() {
        assert_eq!("showticket".parse::<Right>().unwrap(), Right::ShowTicket);
        assert!(
            "SeeEverything"
                .parse::<Right>()
                .unwrap_err()
                .to_string()
                .contains("ShowTicket")
        );
        assert_eq!(Right::ALL.len(), 20);
    }
}
