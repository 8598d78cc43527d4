//! The scheduler's records, and the few facts about tickets its jobs need beyond search.

use super::sql::{self, Dialect, params};
use super::{Db, WriteTx, parse_opt_ts, parse_ts, ts};
use crate::error::Result;
use crate::schedule::DigestPeriod;
use crate::ticket::{Timestamp, TransactionKind};
use crate::user::{NOBODY_ID, SYSTEM_USER_ID, User};
use crate::wire::JobRun;

/// One message of a ticket's exchange with its requestors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeEntry {
    pub at: Timestamp,
    /// The ticket's creation rather than a reply.
    pub opening: bool,
    pub privileged: bool,
    pub requestor: bool,
}

/// When people and the system last acted on a ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Touches {
    /// Anyone but the system (requestors included).
    pub person: Option<Timestamp>,
    /// Staff: privileged users other than the system.
    pub staff: Option<Timestamp>,
    /// The system's last priority change (escalation, or a rule's).
    pub escalated: Option<Timestamp>,
    /// The system's last reply (a stalled-ticket reminder).
    pub reminded: Option<Timestamp>,
}

/// What asking for a job's slot got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotClaim {
    /// Ours, to run now.
    Claimed,
    /// It ran successfully already (here or elsewhere): nothing to do.
    RanAlready,
    /// Another daemon holds a live claim on it: it runs it now, or died doing so and its
    /// claim is about to be released; ask again later.
    HeldElsewhere,
}

impl WriteTx<'_> {
    /// Claims `job`'s `slot` for the daemon `owner` until `until`, or extends its own
    /// claim. The claim is an upsert under the slot's key, so of daemons asking at once
    /// one wins and the others wait for its commit and then see it.
    pub fn claim_job_slot(
        &self,
        job: &str,
        slot: Timestamp,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<SlotClaim> {
        if self.job_ran(job, slot)? {
            return Ok(SlotClaim::RanAlready);
        }
        let claimed = sql::execute(
            self.sql(),
            "INSERT INTO job_claims (job, slot, owner, until) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (job, slot) DO UPDATE SET owner = excluded.owner, until = excluded.until \
             WHERE job_claims.owner = excluded.owner OR job_claims.until <= ?5",
            params![job, ts(slot), owner, ts(until), ts(now)],
        )? == 1;
        Ok(if claimed {
            SlotClaim::Claimed
        } else {
            SlotClaim::HeldElsewhere
        })
    }

    /// Ends `owner`'s claim on a slot (its run is on record, or it gave up).
    pub fn release_job_slot(&self, job: &str, slot: Timestamp, owner: &str) -> Result<()> {
        sql::execute(
            self.sql(),
            "DELETE FROM job_claims WHERE job = ?1 AND slot = ?2 AND owner = ?3",
            params![job, ts(slot), owner],
        )?;
        Ok(())
    }

    /// Records a run; false when a successful run of the job for that slot is on record
    /// already (the run then must not have done anything).
    pub fn record_job_run(&self, run: &JobRun) -> Result<bool> {
        Ok(sql::execute(
            self.sql(),
            "INSERT INTO job_runs (job, slot, started, duration_ms, outcome, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            params![
                run.job,
                ts(run.slot),
                ts(run.started),
                run.duration_ms,
                run.outcome,
                run.detail
            ],
        )? == 1)
    }
}

impl Db<'_> {
    /// How many runs each job has on record, by outcome (ok, failed, interrupted).
    pub fn job_run_counts(&self) -> Result<Vec<(String, String, i64)>> {
        sql::all(
            self.sql(),
            "SELECT job, outcome, count(*) FROM job_runs GROUP BY job, outcome ORDER BY job, outcome",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// Whether the job ran successfully for this slot.
    pub fn job_ran(&self, job: &str, slot: Timestamp) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = ?1 AND slot = ?2 AND outcome = 'ok')",
            params![job, ts(slot)],
            |r| r.get(0),
        )
    }

    /// Where a restarted scheduler picks the job up: after the latest slot it ran for,
    /// successfully or not; but a slot a shutdown interrupted after that one runs again,
    /// so the answer is then just before it.
    pub fn job_resumes_after(&self, job: &str) -> Result<Option<Timestamp>> {
        let (finished, interrupted): (Option<String>, Option<String>) = sql::one(
            self.sql(),
            "SELECT (SELECT MAX(slot) FROM job_runs WHERE job = ?1 AND outcome != 'interrupted'), \
                    (SELECT MIN(slot) FROM job_runs WHERE job = ?1 AND outcome = 'interrupted' \
                       AND slot > COALESCE((SELECT MAX(slot) FROM job_runs \
                                            WHERE job = ?1 AND outcome != 'interrupted'), ''))",
            [job],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match parse_opt_ts(interrupted)? {
            Some(slot) => Ok(Some(slot - chrono::Duration::seconds(1))),
            None => parse_opt_ts(finished),
        }
    }

    /// The most recent runs of a job, newest first.
    pub fn job_runs(&self, job: &str, limit: u32) -> Result<Vec<JobRun>> {
        let rows = sql::all(
            self.sql(),
            "SELECT job, slot, started, duration_ms, outcome, detail FROM job_runs WHERE job = ?1 \
             ORDER BY id DESC LIMIT ?2",
            params![job, limit],
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                    r.get::<i64>(3)?,
                    r.get::<String>(4)?,
                    r.get::<String>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(job, slot, started, duration_ms, outcome, detail)| {
                Ok(JobRun {
                    job,
                    slot: parse_ts(&slot)?,
                    started: parse_ts(&started)?,
                    duration_ms,
                    outcome,
                    detail,
                })
            })
            .collect()
    }

    /// Owners (not Nobody) of tickets in any of `statuses`, by id, after `after`: whom
    /// the owner digest goes to, a few at a time.
    pub fn owners_of(&self, statuses: &[String], after: i64, limit: usize) -> Result<Vec<i64>> {
        let statuses = serde_json::to_string(statuses).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
        sql::all(
            self.sql(),
            match self.dialect() {
                Dialect::Sqlite => {
                    "SELECT DISTINCT owner_id FROM tickets \
                     WHERE owner_id > ?1 AND owner_id != ?2 AND status IN (SELECT value FROM json_each(?3)) \
                     ORDER BY owner_id LIMIT ?4"
                }
                Dialect::Postgres => {
                    "SELECT DISTINCT owner_id FROM tickets \
                     WHERE owner_id > ?1 AND owner_id != ?2 \
                       AND status IN (SELECT json_array_elements_text(CAST(?3 AS JSON))) \
                     ORDER BY owner_id LIMIT ?4"
                }
            },
            params![after, NOBODY_ID, statuses, limit as i64],
            |r| r.get(0),
        )
    }

    /// Enabled users with an address who asked for this digest.
    pub fn digest_subscribers(&self, period: DigestPeriod) -> Result<Vec<User>> {
        let ids: Vec<i64> = sql::all(
            self.sql(),
            "SELECT u.id FROM users u JOIN principals p ON p.id = u.id \
             WHERE u.digest = ?1 AND p.disabled = 0 AND u.email IS NOT NULL ORDER BY u.id",
            [period.as_str()],
            |r| r.get(0),
        )?;
        ids.into_iter().map(|id| self.user(id)).collect()
    }

    /// When people and the system last acted on a ticket (merged tickets included):
    /// what idle escalation and the stalled job measure from, since the system's own
    /// changes (escalation, alarms) must not count as activity.
    pub fn touches(&self, ticket_id: i64) -> Result<Touches> {
        let row: [Option<String>; 4] = sql::one(
            self.sql(),
            "SELECT MAX(CASE WHEN tr.creator_id != ?2 THEN tr.created END), \
                    MAX(CASE WHEN tr.creator_id != ?2 AND u.privileged <> 0 THEN tr.created END), \
                    MAX(CASE WHEN tr.creator_id = ?2 AND tr.type = 'Set' AND tr.field = 'Priority' \
                             THEN tr.created END), \
                    MAX(CASE WHEN tr.creator_id = ?2 AND tr.type = 'Correspond' THEN tr.created END) \
             FROM transactions tr JOIN tickets t ON t.id = tr.ticket_id JOIN users u ON u.id = tr.creator_id \
             WHERE t.effective_id = ?1",
            params![ticket_id, SYSTEM_USER_ID],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
        )?;
        let [person, staff, escalated, reminded] = row;
        Ok(Touches {
            person: parse_opt_ts(person)?,
            staff: parse_opt_ts(staff)?,
            escalated: parse_opt_ts(escalated)?,
            reminded: parse_opt_ts(reminded)?,
        })
    }

    /// The ticket's messages (its creation and replies) in order, with whether each
    /// came from staff and whether from a requestor. The system's own replies (reminders)
    /// are no answer and left out.
    pub fn exchange(&self, ticket_id: i64) -> Result<Vec<ExchangeEntry>> {
        let rows: Vec<(String, bool, bool, bool)> = sql::all(
            self.sql(),
            "SELECT tr.created, CASE WHEN tr.type = 'Create' THEN 1 ELSE 0 END, u.privileged, \
                    EXISTS (SELECT 1 FROM ticket_roles r WHERE r.ticket_id = t.effective_id \
                            AND r.role = 'Requestor' AND r.principal_id = tr.creator_id) \
             FROM transactions tr JOIN tickets t ON t.id = tr.ticket_id JOIN users u ON u.id = tr.creator_id \
             WHERE t.effective_id = ?1 AND tr.type IN ('Create', 'Correspond') AND tr.creator_id != ?2 \
             ORDER BY tr.created, tr.id",
            params![ticket_id, SYSTEM_USER_ID],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        rows.into_iter()
            .map(|(at, opening, privileged, requestor)| {
                Ok(ExchangeEntry {
                    at: parse_ts(&at)?,
                    opening,
                    privileged,
                    requestor,
                })
            })
            .collect()
    }

    /// Whether the ticket's history already has this service-level alarm for this due
    /// date: each is raised once per due date.
    pub fn sla_alarm_raised(&self, ticket_id: i64, alarm: &str, due: Timestamp) -> Result<bool> {
        Ok(sql::optional(
            self.sql(),
            "SELECT 1 FROM transactions WHERE ticket_id = ?1 AND type = ?2 AND field = ?3 AND new_value = ?4",
            params![ticket_id, TransactionKind::Sla.as_str(), alarm, ts(due)],
            |r| r.get::<i64>(0),
        )?
        .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn at(minute: u32) -> Timestamp {
        parse_ts(&format!("2026-12-01T10:{minute:02}:00Z")).unwrap()
    }

    #[test]
    fn a_slot_is_run_by_one_daemon_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let slot = at(0);
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "a", at(1), at(11)).unwrap(),
            SlotClaim::Claimed
        );
        // another daemon is kept out while a's claim lives; a extends its own
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "b", at(2), at(12)).unwrap(),
            SlotClaim::HeldElsewhere
        );
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "a", at(5), at(15)).unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "b", at(14), at(24)).unwrap(),
            SlotClaim::HeldElsewhere
        );
        // a different slot or job is free
        assert_eq!(
            tx.claim_job_slot("escalate", at(30), "b", at(2), at(12)).unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(
            tx.claim_job_slot("digest", slot, "b", at(2), at(12)).unwrap(),
            SlotClaim::Claimed
        );
        // a died: its claim runs out and b takes the slot over
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "b", at(15), at(25)).unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(
            tx.claim_job_slot("escalate", slot, "a", at(16), at(26)).unwrap(),
            SlotClaim::HeldElsewhere
        );
        // b's run is on record: nobody claims the slot again, b included
        tx.release_job_slot("escalate", slot, "b").unwrap();
        let run = JobRun {
            job: "escalate".into(),
            slot,
            started: at(15),
            duration_ms: 5,
            outcome: "ok".into(),
            detail: String::new(),
        };
        assert!(tx.record_job_run(&run).unwrap());
        for owner in ["a", "b", "c"] {
            assert_eq!(
                tx.claim_job_slot("escalate", slot, owner, at(40), at(50)).unwrap(),
                SlotClaim::RanAlready
            );
        }
        // a failed run leaves the slot to be claimed again
        tx.release_job_slot("digest", slot, "b").unwrap();
        let failed = JobRun {
            job: "digest".into(),
            outcome: "failed".into(),
            ..run
        };
        assert!(tx.record_job_run(&failed).unwrap());
        assert_eq!(
            tx.claim_job_slot("digest", slot, "a", at(40), at(50)).unwrap(),
            SlotClaim::Claimed
        );
    }

    #[test]
    fn the_exchange_and_touches_tell_staff_requestors_and_the_system_apart() {
        use crate::store::{NewTicket, NewTransaction};
        use crate::ticket::{Role, Status};
        use crate::user::ROOT_ID;

        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let queue = tx
            .create_queue("general", "general@test", "general-comment@test", at(0))
            .unwrap();
        let ticket = tx
            .insert_ticket(&NewTicket {
                queue_id: queue.id,
                subject: "hi",
                status: Status::named(Status::NEW),
                owner_id: NOBODY_ID,
                priority: 0,
                final_priority: 0,
                creator_id: ROOT_ID,
                now: at(0),
            })
            .unwrap();
        // Nobody (unprivileged) stands in for a requestor
        tx.add_watcher(ticket, Role::Requestor, NOBODY_ID).unwrap();
        for (kind, who, minute) in [
            (TransactionKind::Create, ROOT_ID, 0),
            (TransactionKind::Correspond, NOBODY_ID, 1),
            (TransactionKind::Correspond, SYSTEM_USER_ID, 2),
        ] {
            tx.insert_transaction(&NewTransaction::new(ticket, kind, who, at(minute)))
                .unwrap();
        }
        let entry = |minute, opening, privileged, requestor| ExchangeEntry {
            at: at(minute),
            opening,
            privileged,
            requestor,
        };
        assert_eq!(
            tx.exchange(ticket).unwrap(),
            [entry(0, true, true, false), entry(1, false, false, true)]
        );
        assert_eq!(
            tx.touches(ticket).unwrap(),
            Touches {
                person: Some(at(1)),
                staff: Some(at(0)),
                escalated: None,
                reminded: Some(at(2)),
            }
        );
    }
}
