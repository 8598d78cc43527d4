//! Feeds of searches (Atom, iCalendar): found by the SHA-256 of their address's secret,
//! as API tokens and web sessions are.

use super::sql::{self, Row, params};
use super::{Db, WriteTx, parse_ts, ts};
use crate::error::Result;
use crate::ticket::Timestamp;

/// A feed: whose it is, its name and the search it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The query it runs: its saved search's as that is now, else its own.
    pub query: String,
    /// The saved search it follows, by name.
    pub search: Option<String>,
    pub created: Timestamp,
}

/// The columns every feed query reads, a feed of a saved search taking that search's
/// current query.
const FEED_COLUMNS: &str = "SELECT f.id, f.user_id, f.name, COALESCE(s.query, f.query), f.created, s.name \
     FROM feeds f LEFT JOIN saved_searches s ON s.id = f.search_id";

type FeedColumns = (i64, i64, String, String, String, Option<String>);

fn feed_from_row(r: &Row<'_>) -> Result<FeedColumns> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn feed_row((id, user_id, name, query, created, search): FeedColumns) -> Result<FeedRow> {
    Ok(FeedRow {
        id,
        user_id,
        name,
        query,
        search,
        created: parse_ts(&created)?,
    })
}

impl Db<'_> {
    /// The feed whose secret hashes to `hash`, if there is one.
    pub fn feed(&self, hash: &str) -> Result<Option<FeedRow>> {
        sql::optional(
            self.sql(),
            &format!("{FEED_COLUMNS} WHERE f.token_hash = ?1"),
            [hash],
            feed_from_row,
        )?
        .map(feed_row)
        .transpose()
    }

    /// A user's feeds, oldest first.
    pub fn feeds_of(&self, user_id: i64) -> Result<Vec<FeedRow>> {
        let rows = sql::all(
            self.sql(),
            &format!("{FEED_COLUMNS} WHERE f.user_id = ?1 ORDER BY f.id"),
            [user_id],
            feed_from_row,
        )?;
        rows.into_iter().map(feed_row).collect()
    }
}

impl WriteTx<'_> {
    /// Records a feed under the hash of its secret, of `query` or following the saved
    /// search `search_id`; its id.
    pub fn create_feed(
        &self,
        hash: &str,
        user_id: i64,
        name: &str,
        query: &str,
        search_id: Option<i64>,
        now: Timestamp,
    ) -> Result<i64> {
        sql::one(
            self.sql(),
            "INSERT INTO feeds (token_hash, user_id, name, query, created, search_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![hash, user_id, name, query, ts(now), search_id],
            |r| r.get(0),
        )
    }

    /// Deletes one of a user's feeds: its address stops working. Whether there was one.
    pub fn delete_feed(&self, id: i64, user_id: i64) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "DELETE FROM feeds WHERE id = ?1 AND user_id = ?2",
            params![id, user_id],
        )? > 0)
    }
}
