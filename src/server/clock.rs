//! ticketd's clock: the system's, or one frozen at an instant (`ticketd --now`) that an
//! admin moves by hand (`tkt admin clock set`), so that tests and drills of escalation,
//! service levels and digests never wait on real time.
//!
//! It is the process's one clock, read at the edge (handlers, sender, scheduler) and
//! passed down as an argument: one daemon runs per process, and every part of it must
//! agree on the time.

use std::sync::RwLock;

use chrono::SubsecRound;

use crate::error::{Error, Result};
use crate::ticket::Timestamp;

/// `None`: the system clock; `Some`: frozen there.
static FROZEN: RwLock<Option<Timestamp>> = RwLock::new(None);

/// The current time, truncated to the second as timestamps are stored.
pub fn now() -> Timestamp {
    FROZEN
        .read()
        .map(|frozen| *frozen)
        .unwrap_or(None)
        .unwrap_or_else(|| chrono::Utc::now().trunc_subsecs(0))
}

/// Freezes the clock at `at` (`ticketd --now`), from start-up on.
pub fn freeze(at: Timestamp) {
    if let Ok(mut frozen) = FROZEN.write() {
        *frozen = Some(at.trunc_subsecs(0));
    }
}

/// Whether the clock is frozen, and so may be set.
pub fn is_frozen() -> bool {
    FROZEN.read().map(|f| f.is_some()).unwrap_or(false)
}

/// Moves a frozen clock to `at`. Refused on the system clock, and backwards: jobs and
/// history assume time only moves on.
pub fn set(at: Timestamp) -> Result<Timestamp> {
    let mut frozen = FROZEN
        .write()
        .map_err(|_| Error::Internal("the clock's lock is poisoned".into()))?;
    let Some(current) = *frozen else {
        return Err(Error::Invalid(
            "the clock is the system's; only a ticketd started with --now has a clock to set".into(),
        ));
    };
    let at = at.trunc_subsecs(0);
    if at < current {
        return Err(Error::Invalid(format!(
            "the clock is at {current}; it moves forward only"
        )));
    }
    *frozen = Some(at);
    Ok(at)
}
