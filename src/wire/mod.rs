//! The request and response types of the `/v1` API: what crosses the socket, and nothing
//! else does.
//!
//! The server answers with these types, and `tkt`, mailgate (through [`crate::client`])
//! and the web read them back; none of them reaches into `store`, `workflow` or `server`
//! for a type. So a row, a store handle or a workflow detail can change without changing
//! what a client sees, and what a client sees (`tkt --json`, CONTRACT.md) changes only
//! here. A type here is serde data: it depends on nothing but serde, chrono and the domain
//! core's records ([`Ticket`], [`User`], [`Queue`], [`Rule`], ...), which are the public
//! record shape themselves and are re-exported as they are.
//!
//! Answers that were once built ad hoc (`{"id": 7}`) are named types too. Their fields
//! keep the order the ad-hoc JSON had (serde_json's maps are sorted by key), so that the
//! bytes on the wire did not change when they got names.

mod admin;
mod ingest;
mod jobs;
pub mod rest2;
mod search;
mod tickets;

pub use admin::{
    Changed, GrantRequest, GroupInfo, InitReport, InitRequest, ListParams, MemberChange, NewGroup, NewQueue, NewToken,
    NewUser, PerQueueRequest, PresetReport, RightHeld, RightsParams, TokenCreated, TokenInfo, TokenParams,
};
pub use ingest::{IngestOutcome, IngestParams, Outcome, QuarantineEntry, QuarantineParams};
pub use jobs::{
    BackupDone, BackupRequest, Clock, ClockMoved, FiredRule, HistoryParams, JobRun, JobRunAnswer, JobStatus,
    MigrateRequest, MigrationStatus, RenderParams, RuleTest, RuleTestParams, RuleTrace, RulesParams, SetClock,
    SlaReport, TableRows, TracedMail,
};
pub use search::{
    ContentHit, ContentParams, Explained, FeedInfo, NamedSearch, QueueCounts, ReportParams, ReportRow, SaveSearch,
    SavedSearch, SearchParams,
};
pub use tickets::{
    ChangeRequest, Changes, Created, MergeRequest, Merged, MessageRequest, NewTicketRequest, Recorded, ShredCount,
    ShredRequest,
};

/// An error as the API answers it, with an HTTP status to match: `{"error": {"kind",
/// "message"}}`. Clients act on `kind` (`crate::error::Error::kind`); unknown kinds count as
/// temporary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorAnswer {
    pub error: ErrorDetail,
}

/// What went wrong: its kind and one line for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorDetail {
    pub kind: String,
    pub message: String,
}

/// `GET /v1/health`: the daemon answers (`"ok"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Health {
    pub status: String,
}

// The domain core's records travel as they are (CONTRACT.md's shapes).
pub use crate::queue::Queue;
pub use crate::rules::Rule;
pub use crate::schedule::Job;
pub use crate::template::Rendered;
pub use crate::ticket::{Ticket, Timestamp, Transaction, TransactionKind};
pub use crate::user::User;
