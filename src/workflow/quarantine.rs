//! The quarantine: mail that could not be processed, held for an admin to look at and
//! retry. It holds mail nobody has read yet, so all of it is for queue admins (AdminQueue,
//! globally).

use super::Settings;
use super::access::{Access, On};
use super::ingest::retry_quarantined;
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{Db, WriteTx};
use crate::ticket::Timestamp;
use crate::wire::{IngestOutcome, Outcome, QuarantineEntry};

fn require_admin(db: &Db<'_>, access: &Access) -> Result<()> {
    access.require(db, Right::AdminQueue, On::Global)
}

/// The held messages; with `all`, the released ones too.
pub fn list(db: &Db<'_>, access: &Access, all: bool) -> Result<Vec<QuarantineEntry>> {
    require_admin(db, access)?;
    db.quarantine_list(all)
}

/// One entry.
pub fn entry(db: &Db<'_>, access: &Access, id: i64) -> Result<QuarantineEntry> {
    require_admin(db, access)?;
    db.quarantine_entry(id)
}

/// An entry's message as it came.
pub fn raw(db: &Db<'_>, access: &Access, id: i64) -> Result<Vec<u8>> {
    require_admin(db, access)?;
    let (raw_id, _, _) = db.quarantined_message(id)?;
    db.raw_message(raw_id)
}

/// Processes a held message again (after the config or the code was fixed). A message
/// that fails again stays held, with the attempt counted and its new error: see
/// [`retry_answer`].
pub fn retry(tx: &WriteTx<'_>, s: &Settings, access: &Access, id: i64, now: Timestamp) -> Result<IngestOutcome> {
    require_admin(tx, access)?;
    retry_quarantined(tx, s, id, now)
}

/// The answer to a [`retry`], read after it was kept: a message that still fails is a
/// conflict that says why, so that the admin does not take it for done.
pub fn retry_answer(db: &Db<'_>, id: i64, outcome: IngestOutcome) -> Result<IngestOutcome> {
    if outcome.outcome != Outcome::Quarantined {
        return Ok(outcome);
    }
    let entry = db.quarantine_entry(id)?;
    Err(Error::Conflict(format!(
        "quarantine entry {id} still fails: {}",
        entry.error
    )))
}
