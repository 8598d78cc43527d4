//! Saved searches: a user's queries kept under names, each parsed (and so within the
//! query bounds) and checked against the names that exist before it is kept.

use super::access::Access;
use super::view;
use crate::error::{Error, Result};
use crate::store::{Db, WriteTx};
use crate::ticket::{Lifecycle, Timestamp};
use crate::wire::SavedSearch;

/// The most searches one user may keep: enough for any desk, and a bound on what one
/// account (a requestor's too) can store.
pub const MAX_SAVED_SEARCHES: usize = 100;

/// The longest name of a saved search, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Saves (or replaces) the actor's search `name`. The query must parse and name only
/// queues, statuses and custom fields that exist; a new name needs room under
/// [`MAX_SAVED_SEARCHES`].
pub fn save(
    tx: &WriteTx<'_>,
    access: &Access,
    name: &str,
    text: &str,
    lifecycles: &[&Lifecycle],
    now: Timestamp,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Invalid(
            "a saved search needs a name: tkt search save NAME QUERY".into(),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "a saved search's name is one line of at most {MAX_NAME_CHARS} characters"
        )));
    }
    let (_, query) = view::interpret(text, now)?;
    view::check_names(tx, access, &query, &[], lifecycles)?;
    let saved = tx.saved_searches(access.user.id)?;
    if saved.len() >= MAX_SAVED_SEARCHES && !saved.iter().any(|s| s.name == name) {
        return Err(Error::Invalid(format!(
            "you have {MAX_SAVED_SEARCHES} saved searches, the most one may keep; delete one first \
             (tkt search delete NAME)"
        )));
    }
    tx.save_search(access.user.id, name, text)
}

/// The actor's saved searches, by name.
pub fn list(db: &Db<'_>, access: &Access) -> Result<Vec<SavedSearch>> {
    db.saved_searches(access.user.id)
}

/// Forgets the actor's search `name`; one they do not have is not found.
pub fn delete(tx: &WriteTx<'_>, access: &Access, name: &str) -> Result<()> {
    if tx.delete_saved_search(access.user.id, name)? {
        Ok(())
    } else {
        Err(Error::NotFound(format!("you have no saved search named `{name}`")))
    }
}
