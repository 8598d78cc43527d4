//! Tickets: creating one, replies and comments, field changes, merging and shredding.

use serde::{Deserialize, Serialize};

/// A ticket made by hand (`POST /v1/tickets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTicketRequest {
    pub queue: String,
    pub subject: String,
    /// Addresses; made unprivileged users when unknown.
    #[serde(default)]
    pub requestors: Vec<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub priority: Option<i64>,
    /// A user name or address; unowned when absent.
    #[serde(default)]
    pub owner: Option<String>,
}

/// The number of what was made: a new ticket or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: i64,
}

/// The body of a reply or comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRequest {
    pub content: String,
    /// Minutes worked.
    #[serde(default)]
    pub minutes: i64,
}

/// A reply or comment as recorded. `kind` says which it became: a non-watcher's reply
/// may be recorded as a Comment (the queue's `non_watcher_mail`), and tkt says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub transaction: i64,
    #[serde(rename = "type")]
    pub kind: crate::ticket::TransactionKind,
}

/// Field changes, each written as `tkt set` takes them: `status=open`, `AdminCc+=x@y`,
/// `take`. Users and queues are changed the same way (`tkt user set`, `tkt queue set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    pub changes: Vec<String>,
}

/// The transactions a change request recorded, one per change that changed something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub transactions: Vec<i64>,
}

/// Merge the ticket into another (`tkt merge 12 into 9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    pub into: i64,
}

/// The merge's transaction on the surviving ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    pub transaction: i64,
}

/// Remove a ticket for good: without `apply` only count what would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShredRequest {
    #[serde(default)]
    pub apply: bool,
}

/// How many rows of one table belong to the tickets being shredded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShredCount {
    pub table: String,
    pub rows: i64,
}
