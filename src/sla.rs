//! Service levels, as RT's SLA does them: a ticket waiting for staff to answer is due
//! `response` after the requestor wrote (counted in the level's business calendar); once
//! staff have answered it is due `resolve` after it was created (if the level has a
//! resolve time). A requestor's new message after staff answered starts a new response
//! clock; more messages while still waiting do not move it.
//!
//! Pure: the workflow feeds in the ticket's exchange (who wrote when) and writes the Due
//! date this module works out; the `slas` job warns and reports breaches against it.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, SlaDuration};
use crate::ticket::Timestamp;

/// One service level from the config (`[service_levels.NAME]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevel {
    /// A `[calendars.NAME]`; without one, business time is all the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// How soon staff must answer a requestor: "2h business", "30m".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<SlaDuration>,
    /// How soon after creation the ticket must be resolved: "3 business days".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<SlaDuration>,
    /// How long before the due date owner and AdminCcs are warned (in the same kind of
    /// time as the due date: business time for a business-time level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before: Option<SlaDuration>,
}

/// One message in a ticket's exchange: when, and whether staff wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub at: Timestamp,
    /// Staff answering (a privileged user who is not a requestor of the ticket).
    pub from_staff: bool,
}

/// Where a ticket stands against its service level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// Since when the requestor has been waiting for an answer; `None`: answered.
    pub waiting_since: Option<Timestamp>,
    pub response_due: Option<Timestamp>,
    pub resolve_due: Option<Timestamp>,
    /// What the ticket's Due date should be: the earlier of the two.
    pub due: Option<Timestamp>,
}

/// Works out the due dates from the ticket's creation and its exchange in order.
pub fn standing(level: &ServiceLevel, calendar: &Calendar, created: Timestamp, exchange: &[Message]) -> Standing {
    let mut waiting_since = None;
    for message in exchange {
        if message.from_staff {
            waiting_since = None;
        } else if waiting_since.is_none() {
            waiting_since = Some(message.at);
        }
    }
    let response_due = waiting_since
        .zip(level.response.as_ref())
        .map(|(since, response)| calendar.add(since, response));
    let resolve_due = level.resolve.as_ref().map(|resolve| calendar.add(created, resolve));
    let due = match (response_due, resolve_due) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Standing {
        waiting_since,
        response_due,
        resolve_due,
        due,
    }
}

/// What the `slas` job should say about a due date at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    /// Within `warn_before` of the due date.
    Warning,
    /// The due date has passed.
    Breach,
}

impl Alarm {
    /// How the alarm is named in a ticket's history (the transaction's field).
    pub fn as_str(self) -> &'static str {
        match self {
            Alarm::Warning => "Warning",
            Alarm::Breach => "Breach",
        }
    }
}

/// The alarm due at `now` for a ticket due at `due`, if any: a breach once it has passed,
/// a warning once `warn_before` from now (counted in the calendar, as the due date was)
/// reaches it.
pub fn alarm(level: &ServiceLevel, calendar: &Calendar, due: Timestamp, now: Timestamp) -> Option<Alarm> {
    if now >= due {
        return Some(Alarm::Breach);
    }
    let warn = level.warn_before.as_ref()?;
    (due <= calendar.add(now, warn)).then_some(Alarm::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarConfig;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn office() -> Calendar {
        Calendar::from_config(&CalendarConfig::default()).unwrap()
    }

    fn level() -> ServiceLevel {
        ServiceLevel {
            calendar: None,
            response: Some("2h business".parse().unwrap()),
            resolve: Some("3 business days".parse().unwrap()),
            warn_before: Some("30m business".parse().unwrap()),
        }
    }

    fn requestor(at_: &str) -> Message {
        Message {
            at: at(at_),
            from_staff: false,
        }
    }

    fn staff(at_: &str) -> Message {
        Message {
            at: at(at_),
            from_staff: true,
        }
    }

    #[test]
    fn a_new_ticket_is_due_for_a_response_then_for_resolution() {
        // Friday 16:00, office hours 09-17 Monday to Friday
        let created = at("2026-11-27T16:00:00Z");
        let new = standing(&level(), &office(), created, &[requestor("2026-11-27T16:00:00Z")]);
        assert_eq!(new.response_due, Some(at("2026-11-30T10:00:00Z")));
        assert_eq!(new.resolve_due, Some(at("2026-12-02T16:00:00Z")));
        assert_eq!(new.due, new.response_due);

        let answered = standing(
            &level(),
            &office(),
            created,
            &[requestor("2026-11-27T16:00:00Z"), staff("2026-11-30T09:30:00Z")],
        );
        assert_eq!(answered.waiting_since, None);
        assert_eq!(answered.due, Some(at("2026-12-02T16:00:00Z")));
    }

    #[test]
    fn only_the_first_unanswered_message_starts_the_response_clock() {
        let created = at("2026-11-30T09:00:00Z");
        let exchange = [
            requestor("2026-11-30T09:00:00Z"),
            staff("2026-11-30T10:00:00Z"),
            requestor("2026-11-30T13:00:00Z"),
            requestor("2026-11-30T14:00:00Z"),
        ];
        let s = standing(&level(), &office(), created, &exchange);
        assert_eq!(s.waiting_since, Some(at("2026-11-30T13:00:00Z")));
        assert_eq!(s.response_due, Some(at("2026-11-30T15:00:00Z")));
    }

    #[test]
    fn warnings_count_business_time_and_breaches_any_time() {
        let due = at("2026-11-30T10:00:00Z");
        // Friday 16:40: 1h20m of business time left (16:40-17:00, 09:00-10:00)
        assert_eq!(alarm(&level(), &office(), due, at("2026-11-27T16:40:00Z")), None);
        assert_eq!(
            alarm(&level(), &office(), due, at("2026-11-30T09:30:00Z")),
            Some(Alarm::Warning)
        );
        assert_eq!(alarm(&level(), &office(), due, due), Some(Alarm::Breach));
        // a day's warning in working days: the working day before, not 24 hours of work
        let a_day = ServiceLevel {
            warn_before: Some("1 business day".parse().unwrap()),
            ..level()
        };
        let wednesday = at("2026-12-02T16:00:00Z");
        assert_eq!(alarm(&a_day, &office(), wednesday, at("2026-11-30T10:00:00Z")), None);
        assert_eq!(alarm(&a_day, &office(), wednesday, at("2026-12-01T15:59:00Z")), None);
        assert_eq!(
            alarm(&a_day, &office(), wednesday, at("2026-12-01T16:00:00Z")),
            Some(Alarm::Warning)
        );
        let no_warning = ServiceLevel {
            warn_before: None,
            ..level()
        };
        assert_eq!(alarm(&no_warning, &office(), due, at("2026-11-30T09:59:00Z")), None);
    }
}
