//! The queues' time policies (priorities, escalation, service level, stalled tickets),
//! and the service level followed as mail comes and goes: the Due date set when a ticket
//! is created, moved when a requestor writes and when staff answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use super::Settings;
use super::access::Access;
use super::fields::{Cause, system_change};
use super::notify::Happening;
use crate::calendar::{Calendar, format_duration};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::queue::{Escalation, StalledPolicy};
use crate::sla::{self, ServiceLevel};
use crate::store::{Db, WriteTx};
use crate::ticket::{Change, Timestamp, TransactionKind};
use crate::wire::SlaReport;

/// A queue's time policies, from its `[[queues]]` entry.
#[derive(Debug, Clone, Default)]
pub struct QueuePolicy {
    pub initial_priority: i64,
    pub final_priority: i64,
    pub service_level: Option<String>,
    pub escalation: Option<Escalation>,
    pub stalled: Option<StalledPolicy>,
}

/// Every queue's time policies, the service levels and their calendars.
#[derive(Debug, Default)]
pub struct TimePolicies {
    calendars: BTreeMap<String, Calendar>,
    levels: BTreeMap<String, ServiceLevel>,
    /// By lowercased queue name.
    queues: HashMap<String, QueuePolicy>,
}

/// A service level without a calendar counts every hour.
static ALWAYS_OPEN: LazyLock<Calendar> = LazyLock::new(Calendar::always);

impl TimePolicies {
    /// From a config that passed its checks.
    pub fn from_config(config: &Config) -> Result<TimePolicies> {
        let calendars = config
            .calendars
            .iter()
            .map(|(name, c)| {
                Calendar::from_config(c)
                    .map(|c| (name.clone(), c))
                    .map_err(|e| Error::Invalid(format!("calendar `{name}`: {e}")))
            })
            .collect::<Result<_>>()?;
        let queues = config
            .queues
            .iter()
            .map(|q| {
                let policy = QueuePolicy {
                    initial_priority: q.initial_priority.unwrap_or(0),
                    final_priority: q.final_priority.unwrap_or(0),
                    service_level: q.service_level.clone(),
                    escalation: q.escalation.clone(),
                    stalled: q.stalled.clone(),
                };
                (q.name.to_lowercase(), policy)
            })
            .collect();
        Ok(TimePolicies {
            calendars,
            levels: config.service_levels.clone(),
            queues,
        })
    }

    /// The queue's policies; `None` for queues made by `tkt` (policies live in the config).
    pub fn queue(&self, name: &str) -> Option<&QueuePolicy> {
        self.queues.get(&name.to_lowercase())
    }

    pub fn initial_priority(&self, queue: &str) -> i64 {
        self.queue(queue).map_or(0, |p| p.initial_priority)
    }

    pub fn final_priority(&self, queue: &str) -> i64 {
        self.queue(queue).map_or(0, |p| p.final_priority)
    }

    /// Whether a service level of this name is configured.
    pub fn has_level(&self, name: &str) -> bool {
        self.levels.contains_key(name)
    }

    /// Whether any service level is configured.
    pub fn has_levels(&self) -> bool {
        !self.levels.is_empty()
    }

    /// The service level a ticket is held to, with its name and calendar: its own
    /// (`ticket_level`), else its queue's.
    pub fn service_level(&self, ticket_level: Option<&str>, queue: &str) -> Option<(&str, &ServiceLevel, &Calendar)> {
        let name = match ticket_level {
            Some(name) => name,
            None => self.queue(queue)?.service_level.as_deref()?,
        };
        let (name, level) = self.levels.get_key_value(name)?;
        let calendar = match &level.calendar {
            Some(c) => self.calendars.get(c)?,
            None => &ALWAYS_OPEN,
        };
        Some((name, level, calendar))
    }
}

/// After a ticket's creation or a reply: sets its Due date to what its service level
/// asks now (RT_System's change, which rules see like any other).
pub(crate) fn follow_service_level(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, now: Timestamp) -> Result<()> {
    // most sites have no service levels: then this costs nothing per message
    if !s.time.has_levels() {
        return Ok(());
    }
    let Some(row) = tx.ticket_row(h.ticket_id)? else {
        return Ok(());
    };
    let ticket = tx.ticket(row.id, false)?;
    let Some((_, level, calendar)) = s.time.service_level(ticket.sla.as_deref(), &ticket.queue) else {
        return Ok(());
    };
    if !s.lifecycle(&tx.queue(row.queue_id)?).is_active(&ticket.status) {
        return Ok(());
    }
    let standing = standing(tx, level, calendar, ticket.id, ticket.created)?;
    if standing.due == ticket.due {
        return Ok(());
    }
    let cause = Cause {
        rule: "service level",
        mail: h.mail,
        depth: 0,
        behalf_of: Some(h.actor.id),
    };
    system_change(tx, s, ticket.id, &Change::Due(standing.due), &cause, now)?;
    Ok(())
}

/// Where the ticket stands against `level`, from its history.
fn standing(
    db: &Db<'_>,
    level: &ServiceLevel,
    calendar: &Calendar,
    ticket_id: i64,
    created: Timestamp,
) -> Result<sla::Standing> {
    let exchange: Vec<sla::Message> = db
        .exchange(ticket_id)?
        .into_iter()
        .map(|m| sla::Message {
            at: m.at,
            // a new ticket always waits for an answer, whoever opened it
            from_staff: !m.opening && m.privileged && !m.requestor,
        })
        .collect();
    Ok(sla::standing(level, calendar, created, &exchange))
}

/// Where a ticket stands against its service level (ShowTicket).
pub fn sla_report(db: &Db<'_>, s: &Settings, access: &Access, id: i64, now: Timestamp) -> Result<SlaReport> {
    let row = super::view::visible_ticket(db, access, id)?;
    let ticket = db.ticket(row.id, true)?;
    let queue = db.queue(row.queue_id)?;
    let alarms = ticket
        .transactions
        .iter()
        .flatten()
        .filter(|t| t.kind == TransactionKind::Sla)
        .map(|t| (t.field.clone().unwrap_or_default(), t.created))
        .collect();
    let mut report = SlaReport {
        ticket: row.id,
        level: None,
        calendar: None,
        response: None,
        resolve: None,
        waiting_since: None,
        response_due: None,
        resolve_due: None,
        due: row.due,
        state: "none".into(),
        left: None,
        alarms,
    };
    let Some((name, level, calendar)) = s.time.service_level(ticket.sla.as_deref(), &queue.name) else {
        return Ok(report);
    };
    let standing = standing(db, level, calendar, row.id, ticket.created)?;
    report.level = Some(name.to_string());
    report.calendar = level.calendar.clone();
    report.response = level.response.map(|d| d.to_string());
    report.resolve = level.resolve.map(|d| d.to_string());
    report.waiting_since = standing.waiting_since;
    report.response_due = standing.response_due;
    report.resolve_due = standing.resolve_due;
    let active = s.lifecycle(&queue).is_active(&row.status);
    report.state = match (row.due, active) {
        (_, false) => match (row.due, ticket.resolved) {
            (Some(due), Some(resolved)) if resolved > due => "breached".into(),
            _ => "met".into(),
        },
        (None, true) => "ok".into(),
        (Some(due), true) => match sla::alarm(level, calendar, due, now) {
            Some(sla::Alarm::Breach) => "breached".into(),
            Some(sla::Alarm::Warning) => "warning".into(),
            None => "ok".into(),
        },
    };
    report.left = row
        .due
        .filter(|_| active)
        .map(|due| time_left(level, calendar, due, now));
    Ok(report)
}

/// The time from `now` to `due` as the level counts it: "1h 20m business time" for a
/// level with a calendar, wall-clock time otherwise; past it, negative wall-clock time.
pub(crate) fn time_left(level: &ServiceLevel, calendar: &Calendar, due: Timestamp, now: Timestamp) -> String {
    match level.calendar {
        _ if due < now => format_duration(due - now),
        Some(_) => format!("{} business time", format_duration(calendar.business_between(now, due))),
        None => format_duration(due - now),
    }
}
