//! Mail in: mailgate's delivery and its answer, and the quarantine.

use serde::{Deserialize, Serialize};

use crate::ticket::Timestamp;

/// `POST /v1/ingest`'s query: how the MTA handed the message over (mailgate's command
/// line). The body is the raw message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestParams {
    pub queue: String,
    /// `correspond` (the default) or `comment`.
    #[serde(default)]
    pub action: Option<String>,
    /// A ticket number from the address extension (`help+42@`).
    #[serde(default)]
    pub ticket: Option<i64>,
    /// The envelope sender (`SENDER` from Postfix); empty for bounces.
    #[serde(default)]
    pub sender: Option<String>,
}

/// What became of a delivered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    /// Seen before: nothing stored again.
    Duplicate,
    /// Processing failed; the message waits in quarantine.
    Quarantined,
    /// The sender may not write here and `mail.denied_mail` drops such mail: nothing was
    /// stored.
    Refused,
}

/// The answer to mailgate (and to a quarantine retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    pub outcome: Outcome,
    pub ticket: Option<i64>,
    pub transaction: Option<i64>,
    pub quarantine: Option<i64>,
}

/// `GET /v1/quarantine`: held messages, or with `all` the released ones too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineParams {
    #[serde(default)]
    pub all: bool,
}

/// A message held in quarantine, as `tkt quarantine` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub id: i64,
    pub received: Timestamp,
    /// How it was delivered (queue, action, ticket hint), as JSON.
    pub delivery: serde_json::Value,
    pub error: String,
    /// `held`, or `released` once a retry made it a ticket.
    pub status: String,
    pub attempts: i64,
    pub ticket: Option<i64>,
    pub size: i64,
    /// The first lines of the message's headers, for recognising it.
    pub summary: String,
}
