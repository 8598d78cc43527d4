//! Administration: users, groups, queues, grants and rights, tokens, `admin init`.

use serde::{Deserialize, Serialize};

use crate::rights::Right;
use crate::ticket::Timestamp;

/// `GET /v1/users`: enabled users, or with `all` the disabled ones too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub all: bool,
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Login name; an address is used as both name and email.
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub real_name: String,
    #[serde(default)]
    pub privileged: bool,
}

/// A new group (`POST /v1/groups`); answered with its number ([`super::Created`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroup {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A group with its direct members, as `tkt group list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `system` (Everyone, Privileged, Unprivileged: membership is implied) or
    /// `user-defined`.
    pub domain: String,
    /// Users by address or name, groups by name.
    pub members: Vec<String>,
}

/// A user or group to add to a group, or with `add: false` to take out of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChange {
    pub member: String,
    pub add: bool,
}

/// Whether a membership, grant or token changed: `false` when it was so already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    pub changed: bool,
}

/// A queue made by tkt (`POST /v1/queues`); its addresses default to ones made of its
/// name and `mail.from`'s domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewQueue {
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub comment_address: Option<String>,
}

/// Who a grant is for, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    pub right: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// A queue name; global when absent.
    #[serde(default)]
    pub queue: Option<String>,
}

/// `tkt rights preset per-queue`: a team (a group) gets the rights to work the tickets of
/// its queues, and with `revoke_global` staff lose those rights everywhere, so that each
/// team sees and works only its own queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerQueueRequest {
    /// The team; with it, at least one queue.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub queues: Vec<String>,
    /// Take [`crate::rights::QUEUE_WORK_RIGHTS`] from Privileged globally (the default
    /// grants).
    #[serde(default)]
    pub revoke_global: bool,
}

/// What a preset changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetReport {
    /// Grants that were not there before.
    pub granted: usize,
    /// Global staff grants taken back.
    pub revoked: usize,
}

/// `GET /v1/rights`: a user's rights, globally or on one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsParams {
    pub user: String,
    #[serde(default)]
    pub queue: Option<String>,
}

/// One right of a user, held or not, and the grant that gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightHeld {
    pub right: Right,
    pub held: bool,
    /// The grant, in words: "granted to group noc on queue network".
    pub via: Option<String>,
}

/// `GET /v1/tokens`: one user's tokens; the caller's own when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenParams {
    #[serde(default)]
    pub user: Option<String>,
}

/// A new API token for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub user: String,
    #[serde(default)]
    pub description: String,
    /// When it stops working, as `tkt set due=` takes dates (`2027-01-31`, `+90 days`);
    /// never when absent.
    #[serde(default)]
    pub expires: Option<String>,
}

/// A new token: its number and its secret, shown this once and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub id: i64,
    pub token: String,
}

/// A token as `tkt token list` shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user: String,
    pub description: String,
    pub created: Timestamp,
    pub expires: Option<Timestamp>,
    pub revoked: Option<Timestamp>,
}

/// `tkt admin init`: restore the default grants, and make `admin` the first admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitRequest {
    #[serde(default)]
    pub admin: Option<String>,
}

/// What `tkt admin init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitReport {
    /// Default grants that were missing and are back.
    pub restored: usize,
    /// The first admin, with their new token, when one was asked for.
    pub admin: Option<String>,
    pub token: Option<String>,
}
