//! What the scheduled jobs do: escalation, service-level alarms, digests and stalled
//! tickets. They find tickets with TicketSQL (the same compiler as `tkt search`), change
//! them through the path people and rules use (`fields::system_change`), and send through
//! templates and the outbox.
//!
//! A job runs in steps, each one write transaction: a bounded batch of tickets (or a few
//! recipients of digests) past a cursor, cut short once it has taken [`STEP_BUDGET`], so
//! the writer takes mail between steps however big the job.
//!
//! Each is idempotent at an instant: what it changes moves the ticket past the condition
//! that made it act (a priority reached, an alarm on record for that due date, a reminder
//! that restarts the wait), and the scheduler runs a job once per slot.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::Settings;
use super::access::Access;
use super::fields::{Cause, system_change};
use super::notify::{record_and_run, send_system_notice};
use super::time::time_left;
use crate::calendar::format_duration;
use crate::error::{Error, Result};
use crate::queue::{StalledAction, idle_step, linear_priority};
use crate::rules::FieldChange;
use crate::schedule::{DigestPeriod, Job, Task};
use crate::search::{Query, parse, quote};
use crate::sla::{self, Alarm};
use crate::store::{Db, NewTransaction, QueueRow, WriteTx, ts};
use crate::ticket::{Change, Role, Status, Ticket, Timestamp, TransactionKind};
use crate::user::SYSTEM_USER_ID;

/// The most tickets one step looks at.
pub const TICKETS_PER_STEP: usize = 200;

/// The most recipients one step of a digest job writes to.
pub const RECIPIENTS_PER_STEP: usize = 10;

/// The most tickets a digest lists (it counts the rest): a longer list is read by nobody,
/// and costs the writer time.
pub const DIGEST_LISTS: usize = 100;

/// Once a step has worked this long it stops after the ticket in hand: mail waiting for
/// the writer waits at most about this long for a job.
pub const STEP_BUDGET: Duration = Duration::from_millis(50);

/// What one step of a job did, and where the next begins (`None`: the job is done).
#[derive(Debug, Default)]
pub struct Step {
    pub tally: Tally,
    pub next: Option<i64>,
}

/// Counts of what a job did, in the order first counted: "3 escalated".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally(Vec<(&'static str, u64)>);

impl Tally {
    fn of(labels: &[&'static str]) -> Tally {
        Tally(labels.iter().map(|l| (*l, 0)).collect())
    }

    fn add(&mut self, label: &'static str, n: u64) {
        match self.0.iter_mut().find(|(l, _)| *l == label) {
            Some((_, count)) => *count += n,
            None => self.0.push((label, n)),
        }
    }

    /// Adds another step's counts.
    pub fn merge(&mut self, other: &Tally) {
        for (label, n) in &other.0 {
            self.add(label, *n);
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(l, n)| format!("{n} {l}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// Does one step of a job's work at `now`, from `cursor` (0 to begin; then the `next` of
/// the step before). The scheduler calls it until `next` is `None`.
pub fn run_step(tx: &WriteTx<'_>, s: &Settings, job: &Job, cursor: i64, now: Timestamp) -> Result<Step> {
    match job.task {
        Task::Escalate => per_ticket(tx, s, cursor, now, &Escalate),
        Task::Slas => per_ticket(tx, s, cursor, now, &ServiceLevels),
        Task::Stalled => per_ticket(tx, s, cursor, now, &Stalled),
        Task::UntakenDigest => untaken_digest(tx, s, cursor, now),
        Task::OwnerDigest => owner_digest(tx, s, cursor, now),
        Task::ActivityDigest => activity_digest(tx, s, job.period.unwrap_or(DigestPeriod::Daily), cursor, now),
    }
}

/// A job that acts on tickets one at a time.
trait TicketJob {
    /// What it counts, in order.
    const COUNTS: &'static [&'static str];
    /// Whether the queue has the policy this job applies.
    fn applies_to(&self, s: &Settings, queue: &str) -> bool;
    /// The tickets it looks at (TicketSQL), within the queues it applies to.
    fn filter(&self) -> &'static str;
    /// Acts on one ticket; returns what to count, if anything.
    fn act(&self, tx: &WriteTx<'_>, s: &Settings, ticket: &Ticket, now: Timestamp) -> Result<Option<&'static str>>;
}

/// Runs a ticket job over the next batch past `cursor`, within the step's budget.
fn per_ticket<J: TicketJob>(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp, job: &J) -> Result<Step> {
    let started = Instant::now();
    let mut step = Step {
        tally: Tally::of(J::COUNTS),
        next: None,
    };
    let queues: Vec<String> = tx
        .queues()?
        .into_iter()
        .filter(|q| job.applies_to(s, &q.name))
        .map(|q| quote(&q.name))
        .collect();
    if queues.is_empty() {
        return Ok(step);
    }
    let ticketsql = format!(
        "Queue IN ({}) AND ({}) AND id > {cursor} ORDER BY id ASC LIMIT {TICKETS_PER_STEP}",
        queues.join(", "),
        job.filter()
    );
    let ids = ids_of(tx, s, &ticketsql, now)?;
    for &id in &ids {
        // loaded one at a time: a step cut short by its budget loads no more than it used
        let ticket = tx.ticket(id, false)?;
        if let Some(counted) = job.act(tx, s, &ticket, now)? {
            step.tally.add(counted, 1);
        }
        if started.elapsed() >= STEP_BUDGET {
            step.next = Some(id);
            return Ok(step);
        }
    }
    step.next = (ids.len() == TICKETS_PER_STEP).then(|| ids.last().copied()).flatten();
    Ok(step)
}

/// The numbers of the tickets a TicketSQL query finds, without rights (the system looks
/// at everything; what is sent to whom is limited by who they are).
fn ids_of(db: &Db<'_>, s: &Settings, ticketsql: &str, now: Timestamp) -> Result<Vec<i64>> {
    let query: Query = parse(ticketsql, now).map_err(|e| Error::Internal(format!("job query `{ticketsql}`: {e}")))?;
    db.search_ids(&query, None, &s.all_lifecycles())
}

fn cause(rule: &str) -> Cause<'_> {
    Cause {
        rule,
        mail: None,
        depth: 0,
        behalf_of: None,
    }
}

/// Raises priorities per queue (`[queues.escalation]`): linearly towards FinalPriority as
/// Due nears (never lowering what staff set), or by a step for tickets no staff member has
/// touched for `idle_after` (a requestor asking for news does not make a ticket less
/// forgotten).
struct Escalate;

impl TicketJob for Escalate {
    const COUNTS: &'static [&'static str] = &["escalated"];

    fn applies_to(&self, s: &Settings, queue: &str) -> bool {
        s.time.queue(queue).is_some_and(|p| p.escalation.is_some())
    }

    fn filter(&self) -> &'static str {
        "Status = '__Active__'"
    }

    fn act(&self, tx: &WriteTx<'_>, s: &Settings, ticket: &Ticket, now: Timestamp) -> Result<Option<&'static str>> {
        let Some(escalation) = s.time.queue(&ticket.queue).and_then(|p| p.escalation.as_ref()) else {
            return Ok(None);
        };
        let linear = match ticket.due {
            Some(due) if escalation.linear && ticket.final_priority != ticket.initial_priority => Some(
                linear_priority(ticket.initial_priority, ticket.final_priority, ticket.created, due, now),
            ),
            _ => None,
        };
        let target = match (linear, escalation.idle_period()) {
            (Some(priority), _) => Some(priority).filter(|p| *p > ticket.priority),
            (None, Some(idle)) => {
                let touches = tx.touches(ticket.id)?;
                let since = [Some(ticket.created), touches.staff, touches.escalated]
                    .into_iter()
                    .flatten()
                    .max();
                let idle_long_enough = since.is_some_and(|since| now - since >= idle);
                idle_long_enough
                    .then(|| idle_step(escalation, ticket.priority, ticket.final_priority))
                    .flatten()
            }
            (None, None) => None,
        };
        let Some(priority) = target else { return Ok(None) };
        let changed = system_change(tx, s, ticket.id, &Change::Priority(priority), &cause("escalate"), now)?;
        Ok(changed.map(|_| "escalated"))
    }
}

/// Warns before, and reports, missed service levels: each alarm once per due date, as an
/// SLA transaction on the ticket that the `sla_warning` and `sla_breach` rules answer.
struct ServiceLevels;

impl TicketJob for ServiceLevels {
    const COUNTS: &'static [&'static str] = &["warning(s)", "breach(es)"];

    fn applies_to(&self, s: &Settings, queue: &str) -> bool {
        // a ticket may have a level of its own in a queue without one
        s.time.has_levels() && !queue.is_empty()
    }

    fn filter(&self) -> &'static str {
        "Status = '__Active__' AND Due IS NOT NULL"
    }

    fn act(&self, tx: &WriteTx<'_>, s: &Settings, ticket: &Ticket, now: Timestamp) -> Result<Option<&'static str>> {
        let (Some(due), Some((name, level, calendar))) =
            (ticket.due, s.time.service_level(ticket.sla.as_deref(), &ticket.queue))
        else {
            return Ok(None);
        };
        let Some(alarm) = sla::alarm(level, calendar, due, now) else {
            return Ok(None);
        };
        if tx.sla_alarm_raised(ticket.id, alarm.as_str(), due)? {
            return Ok(None);
        }
        let due_text = due.format("%Y-%m-%d %H:%M UTC");
        let content = match alarm {
            Alarm::Warning => format!(
                "Service level {name}: due {due_text} ({} left).",
                time_left(level, calendar, due, now)
            ),
            Alarm::Breach => format!(
                "Service level {name}: was due {due_text}, {} ago.",
                format_duration(now - due)
            ),
        };
        let due = ts(due);
        let transaction = NewTransaction {
            field: Some(alarm.as_str()),
            new_value: Some(&due),
            content: &content,
            ..NewTransaction::new(ticket.id, TransactionKind::Sla, SYSTEM_USER_ID, now)
        };
        let change = FieldChange {
            field: alarm.as_str().into(),
            old: String::new(),
            new: due.clone(),
        };
        record_and_run(tx, s, &transaction, &tx.user(SYSTEM_USER_ID)?, Some(change), now)?;
        Ok(Some(match alarm {
            Alarm::Warning => "warning(s)",
            Alarm::Breach => "breach(es)",
        }))
    }
}

/// Tickets stalled with no one but the system acting on them for longer than their queue
/// allows (`[queues.stalled]`): resolved, or their requestors reminded (a reply on the
/// ticket, from which the wait starts again).
struct Stalled;

impl TicketJob for Stalled {
    const COUNTS: &'static [&'static str] = &["resolved", "reminded"];

    fn applies_to(&self, s: &Settings, queue: &str) -> bool {
        s.time.queue(queue).is_some_and(|p| p.stalled.is_some())
    }

    fn filter(&self) -> &'static str {
        "Status = 'stalled'"
    }

    fn act(&self, tx: &WriteTx<'_>, s: &Settings, ticket: &Ticket, now: Timestamp) -> Result<Option<&'static str>> {
        let Some(policy) = s.time.queue(&ticket.queue).and_then(|p| p.stalled.as_ref()) else {
            return Ok(None);
        };
        let crate::calendar::SlaDuration::Wall(after) = policy.after else {
            return Ok(None);
        };
        let touches = tx.touches(ticket.id)?;
        let since = [Some(ticket.created), touches.person, touches.reminded]
            .into_iter()
            .flatten()
            .max();
        if since.is_some_and(|since| now - since < after) {
            return Ok(None);
        }
        match policy.action {
            StalledAction::Resolve => {
                let resolve = Change::Status(Status::named("resolved"));
                let changed = system_change(tx, s, ticket.id, &resolve, &cause("stalled"), now)?;
                Ok(changed.map(|_| "resolved"))
            }
            StalledAction::Remind => {
                remind(tx, s, ticket, since.unwrap_or(ticket.created), now)?;
                Ok(Some("reminded"))
            }
        }
    }
}

/// A reply from the system on a stalled ticket, asking the requestors to answer; the
/// rules send it as they send any reply.
fn remind(tx: &WriteTx<'_>, s: &Settings, ticket: &Ticket, since: Timestamp, now: Timestamp) -> Result<()> {
    #[derive(Serialize)]
    struct Reminder<'a> {
        since: String,
        ticket: &'a Ticket,
    }
    let context = Reminder {
        since: since.format("%Y-%m-%d").to_string(),
        ticket,
    };
    // the reminder is one text on the ticket: in its first requestor's language
    let lang = match ticket.requestors.first() {
        Some(address) => super::notify::language_of(tx, s, address)?,
        None => s.mail_language,
    };
    let text = s.templates.render("stalled_reminder", &ticket.queue, lang, &context)?;
    let transaction = NewTransaction {
        content: &text.body,
        ..NewTransaction::new(ticket.id, TransactionKind::Correspond, SYSTEM_USER_ID, now)
    };
    record_and_run(tx, s, &transaction, &tx.user(SYSTEM_USER_ID)?, None, now)?;
    Ok(())
}

/// A ticket as digests list it.
#[derive(Debug, Serialize)]
struct DigestTicket {
    id: i64,
    subject: String,
    status: String,
    priority: i64,
    queue: String,
    owner: String,
    requestors: Vec<String>,
    created: String,
    /// "3d 2h": how long since it was created.
    age: String,
    due: Option<String>,
    /// For activity digests: one line per thing that happened.
    events: Vec<String>,
}

impl DigestTicket {
    fn of(ticket: &Ticket, now: Timestamp) -> DigestTicket {
        DigestTicket {
            id: ticket.id,
            subject: ticket.subject.clone(),
            status: ticket.status.to_string(),
            priority: ticket.priority,
            queue: ticket.queue.clone(),
            owner: ticket.owner.clone(),
            requestors: ticket.requestors.clone(),
            created: ts(ticket.created),
            age: format_duration(now - ticket.created),
            due: ticket.due.map(ts),
            events: Vec::new(),
        }
    }
}

/// What a digest template gets.
#[derive(Debug, Serialize)]
struct DigestContext<'a> {
    /// The queue it is about, if one.
    queue: DigestQueue,
    /// The one address it goes to, when it goes to one.
    recipient: &'a str,
    /// `daily` or `weekly` for activity digests.
    period: &'a str,
    since: String,
    now: String,
    /// How many tickets the digest is about; `tickets` lists the first of them.
    total: usize,
    /// How many are not listed.
    more: usize,
    tickets: Vec<DigestTicket>,
}

#[derive(Debug, Default, Serialize)]
struct DigestQueue {
    name: String,
    address: String,
}

impl DigestQueue {
    fn of(queue: &QueueRow) -> DigestQueue {
        DigestQueue {
            name: queue.name.clone(),
            address: queue.address.clone(),
        }
    }
}

/// Sends one digest of the tickets `ticketsql` finds, unless it finds none. It lists
/// the first [`DIGEST_LISTS`] and counts the rest.
fn digest_of(
    tx: &WriteTx<'_>,
    s: &Settings,
    template: &str,
    ticketsql: &str,
    queue: Option<&QueueRow>,
    to: &[String],
    now: Timestamp,
) -> Result<bool> {
    let ids = ids_of(tx, s, ticketsql, now)?;
    if ids.is_empty() {
        return Ok(false);
    }
    let tickets = tx
        .tickets(&ids[..ids.len().min(DIGEST_LISTS)])?
        .iter()
        .map(|ticket| DigestTicket::of(ticket, now))
        .collect::<Vec<_>>();
    let context = DigestContext {
        queue: queue.map(DigestQueue::of).unwrap_or_default(),
        recipient: match to {
            [one] => one,
            _ => "",
        },
        period: "daily",
        since: String::new(),
        now: ts(now),
        total: ids.len(),
        more: ids.len() - tickets.len(),
        tickets,
    };
    send_system_notice(tx, s, template, queue, to, &context, "Digest", now)
}

/// To each queue's AdminCcs: its new tickets (in any initial status of the queue's
/// lifecycle) that nobody has taken, oldest first. One queue per step (the cursor is the
/// queue's id).
fn untaken_digest(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["digest(s) sent"]);
    let Some(queue) = tx.queues()?.into_iter().filter(|q| q.id > cursor).min_by_key(|q| q.id) else {
        return Ok(Step { tally, next: None });
    };
    let to: Vec<String> = tx
        .queue_watchers(queue.id, Role::AdminCc)?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter_map(|u| u.email)
        .collect();
    let initial: Vec<String> = s
        .lifecycle(&queue)
        .initial
        .iter()
        .map(|status| quote(&status.to_string()))
        .collect();
    let untaken = format!(
        "Queue = {} AND Status IN ({}) AND Owner = 'Nobody' ORDER BY Created ASC, id ASC",
        quote(&queue.name),
        initial.join(", ")
    );
    if !to.is_empty() && digest_of(tx, s, "untaken_digest", &untaken, Some(&queue), &to, now)? {
        tally.add("digest(s) sent", 1);
    }
    Ok(Step {
        tally,
        next: Some(queue.id),
    })
}

/// To each owner: their active tickets, highest priority first, then oldest. Owners in
/// user-id order (the cursor is the last one's id), as many per step as its budget allows.
fn owner_digest(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let started = Instant::now();
    let mut tally = Tally::of(&["digest(s) sent"]);
    let active: Vec<String> = s
        .all_lifecycles()
        .iter()
        .flat_map(|l| l.initial.iter().chain(&l.active))
        .map(|status| status.to_string())
        .collect();
    let owners = tx.owners_of(&active, cursor, RECIPIENTS_PER_STEP)?;
    for &id in &owners {
        let owner = tx.user(id)?;
        if let Some(email) = owner.email.clone().filter(|_| !owner.disabled) {
            let theirs = format!(
                "Owner = {} AND Status = '__Active__' ORDER BY Priority DESC, Created ASC, id ASC",
                quote(&owner.name)
            );
            if digest_of(tx, s, "owner_digest", &theirs, None, std::slice::from_ref(&email), now)? {
                tally.add("digest(s) sent", 1);
            }
        }
        if started.elapsed() >= STEP_BUDGET {
            return Ok(Step { tally, next: Some(id) });
        }
    }
    let next = (owners.len() == RECIPIENTS_PER_STEP)
        .then(|| owners.last().copied())
        .flatten();
    Ok(Step { tally, next })
}

/// To each user who asked for this period's digest: what happened on the tickets they
/// watch or own, as far as they may see it. A few users per step, in id order.
fn activity_digest(tx: &WriteTx<'_>, s: &Settings, period: DigestPeriod, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["digest(s) sent"]);
    let since = now - period.span();
    let mut users: Vec<_> = tx
        .digest_subscribers(period)?
        .into_iter()
        .filter(|u| u.id > cursor)
        .collect();
    users.truncate(RECIPIENTS_PER_STEP);
    let next = (users.len() == RECIPIENTS_PER_STEP)
        .then(|| users.last().map(|u| u.id))
        .flatten();
    let started = Instant::now();
    for user in users {
        if started.elapsed() >= STEP_BUDGET {
            return Ok(Step {
                tally,
                next: Some(user.id - 1),
            });
        }
        let Some(email) = user.email.clone() else { continue };
        let access = Access::of(tx, user.clone())?;
        let watched = format!(
            "(Watcher = {who} OR Owner = {name}) AND Updated > {since} ORDER BY Updated DESC, id ASC \
             LIMIT {DIGEST_LISTS}",
            who = quote(&email),
            name = quote(&user.name),
            since = quote(&ts(since)),
        );
        let query = parse(&watched, now).map_err(|e| Error::Internal(format!("activity digest query: {e}")))?;
        let mut tickets = Vec::new();
        for found in super::view::search(tx, &access, &query, &s.all_lifecycles())? {
            // the history as this user may see it (no comments for requestors)
            let ticket = super::view::ticket(tx, &access, found.id)?;
            let mut listed = DigestTicket::of(&ticket, now);
            listed.events = ticket
                .transactions
                .iter()
                .flatten()
                .filter(|t| t.created > since)
                .map(describe)
                .collect();
            if !listed.events.is_empty() {
                tickets.push(listed);
            }
        }
        if tickets.is_empty() {
            continue;
        }
        let context = DigestContext {
            queue: DigestQueue::default(),
            recipient: &email,
            period: period.as_str(),
            since: ts(since),
            now: ts(now),
            total: tickets.len(),
            more: 0,
            tickets,
        };
        if send_system_notice(
            tx,
            s,
            "activity_digest",
            None,
            std::slice::from_ref(&email),
            &context,
            "Digest",
            now,
        )? {
            tally.add("digest(s) sent", 1);
        }
    }
    Ok(Step { tally, next })
}

/// One line for a transaction in an activity digest: when, what, who.
fn describe(t: &crate::ticket::Transaction) -> String {
    let when = t.created.format("%Y-%m-%d %H:%M");
    let what = match (t.kind, &t.field, &t.old_value, &t.new_value) {
        (TransactionKind::Status | TransactionKind::Set, Some(field), old, Some(new)) => {
            format!("{field}: {} -> {new}", old.as_deref().unwrap_or("-"))
        }
        (kind, Some(field), _, Some(new)) => format!("{kind} {field} {new}"),
        (kind, _, _, _) => kind.to_string(),
    };
    format!("{when}  {what} by {}", t.creator)
}
