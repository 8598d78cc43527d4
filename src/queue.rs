//! Queues: where tickets live and what their mail policy is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What to do with mail to an existing ticket from someone who is neither a watcher of it
/// (requestor, Cc, AdminCc, owner, directly, by group or by queue) nor staff. Knowing a
/// ticket number must not be enough to write to its requestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonWatcherMail {
    /// Record it as a reply, as RT does.
    Accept,
    /// Record it as a comment, for staff to review (the default).
    #[default]
    Comment,
    /// Refuse it: the MTA bounces it (exit 77).
    Refuse,
}

impl NonWatcherMail {
    /// The name as stored and configured.
    pub fn as_str(self) -> &'static str {
        match self {
            NonWatcherMail::Accept => "accept",
            NonWatcherMail::Comment => "comment",
            NonWatcherMail::Refuse => "refuse",
        }
    }
}

impl fmt::Display for NonWatcherMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NonWatcherMail {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "accept" => Ok(NonWatcherMail::Accept),
            "comment" => Ok(NonWatcherMail::Comment),
            "refuse" => Ok(NonWatcherMail::Refuse),
            _ => Err(Error::Invalid(format!(
                "`{s}` is not a non-watcher mail policy; use accept, comment or refuse"
            ))),
        }
    }
}

/// A queue as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub comment_address: String,
    pub description: String,
    /// The queue's own subject tag name, when it has one.
    pub tag: Option<String>,
    pub non_watcher_mail: NonWatcherMail,
    /// `config` (the config file manages it) or `admin` (tkt does).
    pub source: String,
    pub cc: Vec<String>,
    pub admincc: Vec<String>,
}

/// How the `escalate` job raises a queue's tickets' priority (`[queues.escalation]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// RT's LinearEscalate: priority moves from InitialPriority to FinalPriority as a ticket
    /// goes from its creation to its Due date. Tickets without a Due date are left alone.
    #[serde(default)]
    pub linear: bool,
    /// Tickets no staff member has touched for this long (a requestor asking for news
    /// does not count) climb by `step`, and again each time this much more time passes
    /// (wall-clock time: "2 days").
    #[serde(default)]
    pub idle_after: Option<crate::calendar::SlaDuration>,
    /// How much an idle ticket climbs at a time.
    #[serde(default = "ten")]
    pub step: i64,
    /// The highest priority idle steps reach; default the ticket's FinalPriority, or 100
    /// when that is 0.
    #[serde(default)]
    pub max: Option<i64>,
}

fn ten() -> i64 {
    10
}

impl Escalation {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if !self.linear && self.idle_after.is_none() {
            return Err("escalation needs linear = true or idle_after".into());
        }
        if let Some(idle) = &self.idle_after
            && !matches!(idle, crate::calendar::SlaDuration::Wall(_))
        {
            return Err(format!(
                "escalation idle_after `{idle}` must be wall-clock time, such as \"2 days\""
            ));
        }
        if self.step <= 0 {
            return Err("escalation step must be above 0".into());
        }
        Ok(())
    }

    /// The idle period, as a duration.
    pub fn idle_period(&self) -> Option<chrono::Duration> {
        match self.idle_after {
            Some(crate::calendar::SlaDuration::Wall(d)) => Some(d),
            _ => None,
        }
    }
}

/// What LinearEscalate makes a ticket's priority at `now`: InitialPriority at creation,
/// FinalPriority at (and after) Due, in proportion between, rounded down.
pub fn linear_priority(
    initial: i64,
    final_priority: i64,
    created: crate::ticket::Timestamp,
    due: crate::ticket::Timestamp,
    now: crate::ticket::Timestamp,
) -> i64 {
    let span = (due - created).num_seconds();
    let elapsed = (now - created).num_seconds().max(0);
    if span <= 0 || elapsed >= span {
        return final_priority;
    }
    initial + ((final_priority - initial) as i128 * elapsed as i128 / span as i128) as i64
}

/// The priority an idle ticket climbs to in one step, or `None` when it is already at
/// the top.
pub fn idle_step(escalation: &Escalation, priority: i64, final_priority: i64) -> Option<i64> {
    let top = escalation
        .max
        .unwrap_or(if final_priority > 0 { final_priority } else { 100 });
    (priority < top).then(|| (priority + escalation.step).min(top))
}

/// What the `stalled` job does with a queue's long-stalled tickets (`[queues.stalled]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StalledPolicy {
    /// How long a ticket stays stalled without activity before the action ("14 days").
    pub after: crate::calendar::SlaDuration,
    #[serde(default)]
    pub action: StalledAction,
}

/// Resolve a long-stalled ticket, or remind its requestors that it waits for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StalledAction {
    #[default]
    Remind,
    Resolve,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> crate::ticket::Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn linear_escalation_climbs_in_proportion_and_stops_at_the_final_priority() {
        let created = at("2026-11-30T00:00:00Z");
        let due = at("2026-12-07T00:00:00Z");
        let day = |n: i64| created + chrono::Duration::days(n);
        let values: Vec<i64> = (0..=8).map(|n| linear_priority(10, 80, created, due, day(n))).collect();
        assert_eq!(values, [10, 20, 30, 40, 50, 60, 70, 80, 80]);
        // half a day in: rounded down
        assert_eq!(
            linear_priority(10, 80, created, due, created + chrono::Duration::hours(12)),
            15
        );
        // due before creation: the final priority at once
        assert_eq!(linear_priority(10, 80, due, created, due), 80);
    }

    #[test]
    fn idle_steps_stop_at_the_top() {
        let escalation = Escalation {
            linear: false,
            idle_after: Some("2 days".parse().unwrap()),
            step: 30,
            max: None,
        };
        assert_eq!(idle_step(&escalation, 0, 50), Some(30));
        assert_eq!(idle_step(&escalation, 30, 50), Some(50));
        assert_eq!(idle_step(&escalation, 50, 50), None);
        assert_eq!(idle_step(&escalation, 80, 0), Some(100));
        assert_eq!(idle_step(&escalation, 100, 0), None);
        let capped = Escalation {
            max: Some(60),
            ..escalation
        };
        assert_eq!(idle_step(&capped, 50, 0), Some(60));
        assert_eq!(idle_step(&capped, 60, 0), None);
    }

    #[test]
    fn escalation_settings_are_checked() {
        let none = Escalation {
            linear: false,
            idle_after: None,
            step: 10,
            max: None,
        };
        assert!(none.validate().is_err());
        let business = Escalation {
            idle_after: Some("2h business".parse().unwrap()),
            ..none
        };
        assert!(business.validate().unwrap_err().contains("wall-clock"));
    }
}
