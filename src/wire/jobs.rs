//! The scheduler's jobs, ticketd's clock, backups, service levels, and the rule tools
//! (the rules in effect, dry runs, template previews).

use serde::{Deserialize, Serialize};

use super::IngestOutcome;
use crate::schedule::Job;
use crate::ticket::{Ticket, Timestamp};

/// A job as `tkt admin jobs` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobStatus {
    pub job: Job,
    pub next: Option<Timestamp>,
    pub last: Option<JobRun>,
}

/// One run of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRun {
    pub job: String,
    /// The scheduled instant the run is for.
    pub slot: Timestamp,
    /// When it started, on ticketd's clock.
    pub started: Timestamp,
    pub duration_ms: i64,
    /// `ok`, `failed`, or `interrupted` (stopped between steps by a shutdown; the slot
    /// runs again at start).
    pub outcome: String,
    /// What it did, or why it failed or stopped.
    pub detail: String,
}

/// `GET /v1/admin/jobs/{name}`: its latest runs (default 20).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryParams {
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A job run by hand; `None` when it already ran at this instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRunAnswer {
    pub run: Option<JobRun>,
}

/// ticketd's clock, and whether it is frozen (tests and demonstrations move it by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    #[serde(default)]
    pub frozen: bool,
    pub now: Timestamp,
}

/// Move a frozen clock to `now` (RFC 3339 or `2026-12-01 09:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetClock {
    pub now: String,
}

/// The clock moved: the new time and the runs that came due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockMoved {
    pub now: Timestamp,
    #[serde(default)]
    pub runs: Vec<JobRun>,
}

/// Write a consistent copy of the database to `path`, absolute on ticketd's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    pub path: String,
}

/// A backup written: how big, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupDone {
    pub bytes: u64,
    pub path: String,
}

/// What `tkt sla N` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlaReport {
    pub ticket: i64,
    /// The service level's name; `None`: the queue has none.
    pub level: Option<String>,
    pub calendar: Option<String>,
    pub response: Option<String>,
    pub resolve: Option<String>,
    pub waiting_since: Option<Timestamp>,
    pub response_due: Option<Timestamp>,
    pub resolve_due: Option<Timestamp>,
    /// The ticket's Due date (which staff may have moved by hand).
    pub due: Option<Timestamp>,
    /// `met` (inactive before due), `ok`, `warning`, `breached`, or `none`.
    pub state: String,
    /// Time left to Due, in the level's kind of time ("1h 20m business time"); negative
    /// past it.
    pub left: Option<String>,
    /// The alarms raised so far: (Warning|Breach, when).
    pub alarms: Vec<(String, Timestamp)>,
}

/// `GET /v1/rules`: the rules of one queue, or all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesParams {
    #[serde(default)]
    pub queue: Option<String>,
}

/// `POST /v1/rules/test`'s query: the message (the body) as if delivered so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTestParams {
    pub queue: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub ticket: Option<i64>,
}

/// What a message would do: the outcome, the rules that would fire, the mail they would
/// send, and the ticket as it would be. Nothing is kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleTest {
    pub outcome: IngestOutcome,
    #[serde(flatten)]
    pub trace: RuleTrace,
    pub ticket: Option<Ticket>,
}

/// What the rules did while traced: for `tkt rules test`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrace {
    pub fired: Vec<FiredRule>,
    pub mail: Vec<TracedMail>,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub rule: String,
    pub ticket: i64,
    pub transaction: i64,
    /// 0 for a person's change; one more for each rule action that led to it.
    pub depth: u32,
}

/// A message a rule queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedMail {
    pub rule: String,
    pub recipients: Vec<String>,
    pub message: String,
}

/// `GET /v1/templates/{name}/render`: the ticket to render it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderParams {
    pub ticket: i64,
}

/// `POST /v1/admin/migrate`: copy this SQLite installation into the new PostgreSQL
/// database at `to` (a URL or a `host=... dbname=...` string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrateRequest {
    pub to: String,
}

/// Where a migration stands (`GET /v1/admin/migrate`); `POST` answers the same at start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationStatus {
    /// `idle` (none asked for since ticketd started), `running`, `done` or `failed`.
    pub state: String,
    /// The target, described without its password.
    #[serde(default)]
    pub target: Option<String>,
    /// `copying` or `verifying`, while running.
    #[serde(default)]
    pub phase: Option<String>,
    /// The table being copied or verified.
    #[serde(default)]
    pub table: Option<String>,
    /// Rows done and to do in this phase.
    #[serde(default)]
    pub done: u64,
    #[serde(default)]
    pub total: u64,
    /// Every table with its rows, copied and verified (once done).
    #[serde(default)]
    pub tables: Vec<TableRows>,
    /// Why it failed (nothing was kept in the target; ticketd took changes again).
    #[serde(default)]
    pub error: Option<String>,
    /// The file left beside the SQLite database that keeps ticketd from starting on it.
    #[serde(default)]
    pub marker: Option<String>,
    #[serde(default)]
    pub seconds: f64,
}

/// A table and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub name: String,
    pub rows: u64,
}
