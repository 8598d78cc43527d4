//! Feeds: a search's tickets as Atom (for a feed reader) and as iCalendar (due dates, for
//! a calendar), at an address with a secret in it, since readers and calendars cannot log
//! in. Each feed is its user's and shows exactly what that user may see, whoever fetches
//! it; revoking it (or disabling the user) ends it. Only a hash of the secret is kept.

use rand_core::{OsRng, RngCore};

use super::access::Access;
use super::view;
use super::{Settings, admin::token_hash};
use crate::error::{Error, Result};
use crate::store::{Db, FeedRow, WriteTx};
use crate::text::one_line;
use crate::ticket::{Ticket, Timestamp};
use crate::wire::FeedInfo;

/// A feed lists at most this many tickets (the search's first, in its order).
pub const MAX_FEED_TICKETS: u32 = 200;

/// What a feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOf {
    /// A query (TicketSQL or the simple form), as it is now.
    Query(String),
    /// One of the user's saved searches, by name: the feed follows it as it is changed
    /// and ends when it is deleted.
    Saved(String),
}

/// Makes a feed named `name`: its id and its secret, the one time it is known.
pub fn create(tx: &WriteTx<'_>, access: &Access, name: &str, of: &FeedOf, now: Timestamp) -> Result<(i64, String)> {
    let name = one_line(name).trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::Invalid("a feed needs a name of 1 to 100 characters".into()));
    }
    let (query, search_id) = match of {
        FeedOf::Query(query) => (query.clone(), None),
        FeedOf::Saved(search) => {
            let (id, query) = tx
                .saved_search(access.user.id, search)?
                .ok_or_else(|| Error::NotFound(format!("you have no saved search named `{search}`")))?;
            (query, Some(id))
        }
    };
    let (ticketsql, _) = view::interpret(&query, now)?;
    if ticketsql.trim().is_empty() {
        return Err(Error::Invalid("a feed needs a search: a query for its tickets".into()));
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // a saved search's own text is kept: it is read again (as the user may have changed
    // it) each time the feed is fetched
    let kept = if search_id.is_some() { query } else { ticketsql };
    let id = tx.create_feed(&token_hash(&secret), access.user.id, &name, &kept, search_id, now)?;
    Ok((id, secret))
}

/// The user's own feeds.
pub fn list(db: &Db<'_>, access: &Access) -> Result<Vec<FeedInfo>> {
    Ok(db
        .feeds_of(access.user.id)?
        .into_iter()
        .map(|f| FeedInfo {
            id: f.id,
            name: f.name,
            query: f.query,
            search: f.search,
            created: f.created,
        })
        .collect())
}

/// Ends one of the user's own feeds. Whether there was one.
pub fn revoke(tx: &WriteTx<'_>, access: &Access, id: i64) -> Result<bool> {
    tx.delete_feed(id, access.user.id)
}

/// The feed a secret opens, with its user's access: "no such feed" for a wrong or
/// revoked secret, and for a disabled user's, alike.
pub fn open(db: &Db<'_>, secret: &str) -> Result<(FeedRow, Access)> {
    let gone = || Error::NotFound("there is no such feed (it may have been revoked)".into());
    let feed = db.feed(&token_hash(secret))?.ok_or_else(gone)?;
    let access = Access::load(db, feed.user_id).map_err(|_| gone())?;
    Ok((feed, access))
}

/// The feed's tickets, as its user may see them: the search's first
/// [`MAX_FEED_TICKETS`] in its order.
pub fn tickets(db: &Db<'_>, s: &Settings, feed: &FeedRow, access: &Access, now: Timestamp) -> Result<Vec<Ticket>> {
    let (_, mut query) = view::interpret(&feed.query, now)?;
    query.limit = Some(query.limit.unwrap_or(MAX_FEED_TICKETS).min(MAX_FEED_TICKETS));
    view::search(db, access, &query, &s.all_lifecycles())
}
