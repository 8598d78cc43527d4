//! Searches: TicketSQL or the simple form, full text, reports, and saved searches.

use serde::{Deserialize, Serialize};

/// `GET /v1/search`: tickets matching TicketSQL or the simple form
/// (`printer queue:network owner:me`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    /// 1-based; with it, `per_page` results (default 50) from that page.
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
    /// Answer what the query compiles to instead of running it.
    #[serde(default)]
    pub explain: bool,
}

/// A query as it would run for this user: the TicketSQL, the SQL and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    pub ticketsql: String,
    pub sql: String,
    pub params: Vec<serde_json::Value>,
}

/// `GET /v1/search/content`: full text, ranked, with snippets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentParams {
    pub q: String,
    /// How many hits (default 20).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One full-text hit: a ticket, the transaction that matched, and the words around the
/// match (`[` `]` mark it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentHit {
    pub ticket: i64,
    pub subject: String,
    pub transaction: i64,
    pub snippet: String,
}

/// `GET /v1/report`: ticket counts of a query, grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportParams {
    #[serde(default)]
    pub q: String,
    /// Groupings, comma-separated: `Status,CreatedMonthly`.
    pub by: String,
}

/// One row of a report: the group's values and how many tickets are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub group: Vec<String>,
    pub count: i64,
}

/// A queue with its active tickets counted by status (the home page's queue list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    pub queue: String,
    pub description: String,
    /// Each active status of the queue's lifecycle, in the lifecycle's order, with its count.
    pub active: Vec<(String, i64)>,
}

/// One of a user's feeds (Atom and iCalendar of a search). Its address is shown once,
/// when it is made; only a hash of its secret is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedInfo {
    pub id: i64,
    pub name: String,
    pub query: String,
    /// The saved search it follows, by name.
    #[serde(default)]
    pub search: Option<String>,
    pub created: crate::ticket::Timestamp,
}

/// A search saved under a name by its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    pub name: String,
    pub query: String,
}

/// Save a search under a name (replacing one of that name): a [`SavedSearch`] sent.
pub type SaveSearch = SavedSearch;

/// One of the caller's saved searches, by name (to forget it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedSearch {
    pub name: String,
}
