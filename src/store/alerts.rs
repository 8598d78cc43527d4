//! Alert queues' memory: which ticket each alerting key is on.

use super::sql::{self, params};
use super::{Db, WriteTx, parse_opt_ts, ts};
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
        let row: Option<(i64, i64, Option<String>)> = sql::optional(
            self.sql(),
            "SELECT ticket_id, problems, recovered FROM alert_keys WHERE queue_id = ?1 AND key = ?2",
            params![queue_id, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
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
        sql::execute(
            self.sql(),
            "INSERT INTO alert_keys (queue_id, key, ticket_id, problems, last_state, last_seen, recovered) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 <> 0 THEN ?6 END) \
             ON CONFLICT (queue_id, key) DO UPDATE SET ticket_id = excluded.ticket_id, \
               problems = alert_keys.problems + excluded.problems, last_state = excluded.last_state, \
               last_seen = excluded.last_seen, recovered = COALESCE(excluded.recovered, alert_keys.recovered)",
            params![queue_id, key, ticket_id, i64::from(problem), state, now, resolved],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewTicket, Store, parse_ts};
    use crate::ticket::Status;
    use crate::user::NOBODY_ID;

    #[test]
    fn a_key_counts_its_problems_and_keeps_its_last_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let at = |m: u32| parse_ts(&format!("2026-12-01T10:{m:02}:00Z")).unwrap();
        let tx = store.begin().unwrap();
        let queue = tx.create_queue("alerts", "alerts@example.net", "", at(0)).unwrap().id;
        let ticket = |subject| {
            tx.insert_ticket(&NewTicket {
                queue_id: queue,
                subject,
                status: Status::named(Status::NEW),
                owner_id: NOBODY_ID,
                priority: 0,
                final_priority: 0,
                creator_id: NOBODY_ID,
                now: at(0),
            })
            .unwrap()
        };
        let (first, second) = (ticket("disk full"), ticket("disk full again"));
        let alert = |ticket_id, problem, resolved, m| {
            tx.record_alert(&AlertSeen {
                queue_id: queue,
                key: "host1/disk",
                ticket_id,
                problem,
                state: if problem { "PROBLEM" } else { "OK" },
                resolved,
                now: at(m),
            })
            .unwrap()
        };
        assert_eq!(tx.alert_key(queue, "host1/disk").unwrap(), None);
        alert(first, true, false, 1);
        let after_one = AlertKey {
            ticket_id: first,
            problems: 1,
            recovered: None,
        };
        assert_eq!(tx.alert_key(queue, "host1/disk").unwrap(), Some(after_one));
        alert(first, false, true, 2);
        alert(second, true, false, 3);
        let later = AlertKey {
            ticket_id: second,
            problems: 2,
            recovered: Some(at(2)),
        };
        assert_eq!(tx.alert_key(queue, "host1/disk").unwrap(), Some(later));
    }
}
