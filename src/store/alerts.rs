//! Alert queues' memory: which ticket each alerting key is on.

use rusqlite::{OptionalExtension, params};

use super::{Db, WriteTx, cached_execute, cached_row, parse_opt_ts, ts};
use crate::error::Result;
use crate::ticket::Timestamp;

/// The ticket an alert key is on, and its history in brief.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertKey {
    pub ticket_id: i64,
    /// How many PROBLEM messages it has had.
    pub problems: i64,
    /// When a recovery last resolved its ticket.
    pub recovered: Option<Timestamp>,
}

impl Db<'_> {
    /// The ticket this key of the queue is on, if it has alerted before.
    pub fn alert_key(&self, queue_id: i64, key: &str) -> Result<Option<AlertKey>> {
        let row: Option<(i64, i64, Option<String>)> = cached_row(
            self.conn,
            "SELECT ticket_id, problems, recovered FROM alert_keys WHERE queue_id = ?1 AND key = ?2",
            params![queue_id, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
        row.map(|(ticket_id, problems, recovered)| {
            Ok(AlertKey {
                ticket_id,
                problems,
                recovered: parse_opt_ts(recovered)?,
            })
        })
        .transpose()
    }
}

/// One alert as an alert queue took it.
#[derive(Debug, Clone, Copy)]
pub struct AlertSeen<'a> {
    pub queue_id: i64,
    pub key: &'a str,
    pub ticket_id: i64,
    pub problem: bool,
    pub state: &'a str,
    /// A recovery that resolved the ticket.
    pub resolved: bool,
    pub now: Timestamp,
}

impl WriteTx<'_> {
    /// Records an alert for a key: on its ticket from now on, one more problem (or a
    /// recovery, which resolved the ticket when `resolved`).
    pub fn record_alert(&self, seen: &AlertSeen<'_>) -> Result<()> {
        let AlertSeen {
            queue_id,
            key,
            ticket_id,
            problem,
            state,
            resolved,
            now,
        } = *seen;
        let now = ts(now);
        cached_execute(
            self.conn(),
            "INSERT INTO alert_keys (queue_id, key, ticket_id, problems, last_state, last_seen, recovered) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 THEN ?6 END) \
             ON CONFLICT (queue_id, key) DO UPDATE SET ticket_id = excluded.ticket_id, \
               problems = problems + excluded.problems, last_state = excluded.last_state, \
               last_seen = excluded.last_seen, recovered = COALESCE(excluded.recovered, recovered)",
            params![queue_id, key, ticket_id, i64::from(problem), state, now, resolved],
        )?;
        Ok(())
    }
}
