//! Which time-driven jobs run, and when: the `[[jobs]]` of the config on top of the
//! built-in ones, each with a cron schedule (read by the `croner` crate) in the
//! scheduler's time zone.
//!
//! Pure: the scheduler (`server::scheduler`) asks which slots are due on its clock, the
//! workflow (`workflow::jobs`) does the work. A job's run is identified by its slot, the
//! scheduled instant it is for, so running a slot twice does nothing the second time.

use std::str::FromStr;

use chrono::TimeZone;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ticket::Timestamp;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Raises priorities: linearly towards FinalPriority as Due nears, or by a step for
    /// idle tickets (per queue, `[queues.escalation]`).
    Escalate,
    /// Warns before a service level's due date passes and reports the breach.
    Slas,
    /// To each queue's AdminCcs: the new tickets nobody has taken.
    UntakenDigest,
    /// To each owner: their active tickets by priority and age.
    OwnerDigest,
    /// To each user who asked for one (`digest=daily|weekly`): what happened on the
    /// tickets they watch.
    ActivityDigest,
    /// Resolves, or reminds the requestors of, tickets stalled for long (per queue,
    /// `[queues.stalled]`).
    Stalled,
}

/// The period an activity digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestPeriod {
    Daily,
    Weekly,
}

impl DigestPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestPeriod::Daily => "daily",
            DigestPeriod::Weekly => "weekly",
        }
    }

    /// How far back the digest looks.
    pub fn span(self) -> chrono::Duration {
        match self {
            DigestPeriod::Daily => chrono::Duration::days(1),
            DigestPeriod::Weekly => chrono::Duration::weeks(1),
        }
    }
}

impl FromStr for DigestPeriod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(DigestPeriod::Daily),
            "weekly" => Ok(DigestPeriod::Weekly),
            other => Err(format!("`{other}` is not a digest period; use daily or weekly")),
        }
    }
}

/// One scheduled job, as written in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub name: String,
    /// Five-field cron (`minute hour day month weekday`), or `@hourly`, `@daily`, …
    pub schedule: String,
    pub task: Task,
    /// For `activity_digest`: which users' digests this run sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<DigestPeriod>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// The built-in jobs. A config job of the same name replaces one (`disabled = true`
/// turns it off); the config's other jobs are added. Jobs with nothing configured to act
/// on (no escalating queue, no service level, no one who asked for a digest) do nothing.
pub const DEFAULT_JOBS: &str = r#"
[[jobs]]
name = "escalate"
task = "escalate"
schedule = "0 * * * *"

[[jobs]]
name = "slas"
task = "slas"
schedule = "*/5 * * * *"

[[jobs]]
name = "untaken-digest"
task = "untaken_digest"
schedule = "0 8 * * mon-fri"

[[jobs]]
name = "owner-digest"
task = "owner_digest"
schedule = "0 8 * * mon-fri"

[[jobs]]
name = "daily-digest"
task = "activity_digest"
period = "daily"
schedule = "0 7 * * *"

[[jobs]]
name = "weekly-digest"
task = "activity_digest"
period = "weekly"
schedule = "0 7 * * mon"

[[jobs]]
name = "stalled"
task = "stalled"
schedule = "0 3 * * *"
"#;

/// The built-in jobs, parsed.
pub fn default_jobs() -> Vec<Job> {
    #[derive(Deserialize)]
    struct Jobs {
        jobs: Vec<Job>,
    }
    toml::from_str::<Jobs>(DEFAULT_JOBS)
        .expect("the built-in jobs parse")
        .jobs
}

/// The built-in jobs (unless `with_defaults` is false) with the config's merged in by
/// name, disabled ones left out.
pub fn effective_jobs(configured: &[Job], with_defaults: bool) -> Vec<Job> {
    let mut jobs = if with_defaults { default_jobs() } else { Vec::new() };
    for job in configured {
        match jobs.iter_mut().find(|j| j.name == job.name) {
            Some(slot) => *slot = job.clone(),
            None => jobs.push(job.clone()),
        }
    }
    jobs.retain(|j| !j.disabled);
    jobs
}

/// Checks what serde cannot: names, schedules, periods. The zone is the scheduler's,
/// already looked up (a bad one is `[scheduler]`'s mistake, not a job's).
pub fn validate(jobs: &[Job], zone: Tz) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for job in jobs {
        if job.name.trim().is_empty() {
            return Err("a job needs a name".into());
        }
        if !seen.insert(job.name.as_str()) {
            return Err(format!("job `{}` is defined twice", job.name));
        }
        Schedule::parse(&job.schedule, zone).map_err(|e| format!("job `{}`: {e}", job.name))?;
        match (job.task, job.period) {
            (Task::ActivityDigest, None) => {
                return Err(format!(
                    "job `{}`: activity_digest needs period = \"daily\" or \"weekly\"",
                    job.name
                ));
            }
            (Task::ActivityDigest, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(format!("job `{}`: only activity_digest takes a period", job.name)),
        }
    }
    Ok(())
}

/// A cron schedule read in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: croner::Cron,
    zone: Tz,
}

impl Schedule {
    /// Parses a five-field cron line (or `@daily` and friends) to be read in `zone`.
    pub fn parse(text: &str, zone: Tz) -> Result<Schedule, String> {
        let cron = croner::Cron::from_str(text.trim())
            .map_err(|e| format!("`{text}` is not a cron schedule (minute hour day month weekday): {e}"))?;
        Ok(Schedule { cron, zone })
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let local = self.zone.from_utc_datetime(&t.naive_utc());
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    }

    /// The latest slot in `(after, until]`: the one run that is due when the clock moves
    /// from `after` to `until`, however many slots it skipped (missed runs run once).
    pub fn due(&self, after: Timestamp, until: Timestamp) -> Option<Timestamp> {
        let local = self.zone.from_utc_datetime(&until.naive_utc());
        let latest = self
            .cron
            .find_previous_occurrence(&local, true)
            .ok()?
            .with_timezone(&chrono::Utc);
        (latest > after).then_some(latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_built_in_jobs_are_valid() {
        validate(&default_jobs(), Tz::UTC).unwrap();
    }

    #[test]
    fn config_jobs_replace_built_ins_by_name_and_add_the_rest() {
        let configured = vec![
            Job {
                name: "stalled".into(),
                schedule: "0 4 * * *".into(),
                task: Task::Stalled,
                period: None,
                disabled: false,
            },
            Job {
                name: "owner-digest".into(),
                schedule: "0 8 * * *".into(),
                task: Task::OwnerDigest,
                period: None,
                disabled: true,
            },
            Job {
                name: "night-escalation".into(),
                schedule: "30 2 * * *".into(),
                task: Task::Escalate,
                period: None,
                disabled: false,
            },
        ];
        let jobs = effective_jobs(&configured, true);
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "escalate",
                "slas",
                "untaken-digest",
                "daily-digest",
                "weekly-digest",
                "stalled",
                "night-escalation"
            ]
        );
        assert_eq!(jobs[5].schedule, "0 4 * * *");
        assert_eq!(effective_jobs(&configured, false).len(), 2);
    }

    #[test]
    fn bad_jobs_are_named() {
        let mut job = default_jobs().remove(0);
        job.schedule = "every hour".into();
        assert!(validate(&[job.clone()], Tz::UTC).unwrap_err().contains("`escalate`"));
        job.schedule = "0 * * * *".into();
        job.period = Some(DigestPeriod::Daily);
        assert!(
            validate(&[job.clone()], Tz::UTC)
                .unwrap_err()
                .contains("only activity_digest")
        );
        job.period = None;
        assert!(validate(&[job.clone(), job], Tz::UTC).unwrap_err().contains("twice"));
    }

    #[test]
    fn slots_in_a_time_zone() {
        let daily = Schedule::parse("0 8 * * mon-fri", Tz::Europe__Berlin).unwrap();
        // Friday 2026-11-27 08:00 in Berlin is 07:00 UTC; the next is Monday
        assert_eq!(
            daily.next_after(at("2026-11-27T06:00:00Z")),
            Some(at("2026-11-27T07:00:00Z"))
        );
        assert_eq!(
            daily.next_after(at("2026-11-27T07:00:00Z")),
            Some(at("2026-11-30T07:00:00Z"))
        );
    }

    #[test]
    fn daylight_saving_changes_neither_skip_nor_double_a_daily_job() {
        // 02:30 Berlin does not exist on 2026-03-29 and exists twice on 2026-10-25
        let nightly = Schedule::parse("30 2 * * *", Tz::Europe__Berlin).unwrap();
        let spring: Vec<Timestamp> =
            std::iter::successors(Some(at("2026-03-27T12:00:00Z")), |t| nightly.next_after(*t))
                .skip(1)
                .take(3)
                .collect();
        assert_eq!(spring.len(), 3);
        assert_eq!(spring[0], at("2026-03-28T01:30:00Z"), "CET");
        assert_eq!(spring[2], at("2026-03-30T00:30:00Z"), "CEST");
        assert!(
            spring[1] > spring[0] && spring[1] < spring[2],
            "once on the day of the change"
        );
        let autumn: Vec<Timestamp> =
            std::iter::successors(Some(at("2026-10-24T12:00:00Z")), |t| nightly.next_after(*t))
                .skip(1)
                .take(2)
                .collect();
        assert_eq!(
            autumn[1],
            at("2026-10-26T01:30:00Z"),
            "CET again, and the doubled hour ran once"
        );
        assert!(autumn[0] >= at("2026-10-25T00:30:00Z") && autumn[0] <= at("2026-10-25T01:30:00Z"));
    }

    #[test]
    fn a_clock_that_jumps_runs_the_latest_missed_slot_once() {
        let hourly = Schedule::parse("0 * * * *", Tz::UTC).unwrap();
        let start = at("2026-12-01T09:00:00Z");
        assert_eq!(hourly.due(start, at("2026-12-01T09:59:59Z")), None);
        assert_eq!(
            hourly.due(start, at("2026-12-01T10:00:00Z")),
            Some(at("2026-12-01T10:00:00Z"))
        );
        assert_eq!(
            hourly.due(start, at("2026-12-03T17:30:00Z")),
            Some(at("2026-12-03T17:00:00Z"))
        );
        // the slot already run is not due again
        let last = at("2026-12-03T17:00:00Z");
        assert_eq!(hourly.due(last, at("2026-12-03T17:30:00Z")), None);
    }
}
