//! What the scheduled jobs do: escalation, service-level alarms, digests and stalled
//! tickets. Each runs in one write transaction on the scheduler's clock, finds its
//! tickets with TicketSQL (the same compiler as `tkt search`), changes them through the
//! same path as people and rules (`fields::system_change`), and sends through templates
//! and the outbox.
//!
//! Each is idempotent at an instant: what it changes moves the ticket past the condition
//! that made it act (a priority reached, an alarm on record for that due date, a reminder
//! that updated the ticket), and the scheduler runs a job once per slot.

use serde::Serialize;

use super::Settings;
use super::access::Access;
use super::fields::{Cause, system_change};
use super::notify::{Happening, run_rules};
use crate::calendar::format_duration;
use crate::error::{Error, Result};
use crate::mail::compose::{self, Notice};
use crate::queue::{StalledAction, idle_step, linear_priority};
use crate::rules::FieldChange;
use crate::schedule::{DigestPeriod, Job, Task};
use crate::search::{Query, parse, quote};
use crate::sla::{self, Alarm};
use crate::store::{Db, NewOutgoing, NewTransaction, QueueRow, WriteTx, ts};
use crate::ticket::{Change, Role, Status, Ticket, Timestamp, TransactionKind};
use crate::user::SYSTEM_USER_ID;

/// Tickets one step of a job looks at: a step is one write transaction, and the writer
/// serves mail between steps, so a big job never holds up incoming mail for long.
pub const TICKETS_PER_STEP: usize = 200;

/// Recipients one step of a digest job writes to.
pub const RECIPIENTS_PER_STEP: usize = 10;

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
        Task::Escalate => escalate(tx, s, cursor, now),
        Task::Slas => check_service_levels(tx, s, cursor, now),
        Task::UntakenDigest => untaken_digest(tx, s, cursor, now),
        Task::OwnerDigest => owner_digest(tx, s, cursor, now),
        Task::ActivityDigest => activity_digest(tx, s, job.period.unwrap_or(DigestPeriod::Daily), cursor, now),
        Task::Stalled => stalled(tx, s, cursor, now),
    }
}

/// The next batch of tickets matching `filter` past `cursor`, in ticket order, and where
/// the batch after begins.
fn batch(db: &Db<'_>, s: &Settings, filter: &str, cursor: i64, now: Timestamp) -> Result<(Vec<Ticket>, Option<i64>)> {
    let ticketsql = format!("({filter}) AND id > {cursor} ORDER BY id ASC LIMIT {TICKETS_PER_STEP}");
    let tickets = find(db, s, &ticketsql, now)?;
    let next = (tickets.len() == TICKETS_PER_STEP)
        .then(|| tickets.last().map(|t| t.id))
        .flatten();
    Ok((tickets, next))
}

/// `Queue IN (...)` for the queues that have a policy, or `None` when none has.
fn queues_with(db: &Db<'_>, has: impl Fn(&str) -> bool) -> Result<Option<String>> {
    let names: Vec<String> = db
        .queues()?
        .into_iter()
        .filter(|q| has(&q.name))
        .map(|q| quote(&q.name))
        .collect();
    Ok((!names.is_empty()).then(|| format!("Queue IN ({})", names.join(", "))))
}

/// The tickets a TicketSQL query finds, without rights (the system looks at everything;
/// what is sent to whom is limited by who they are).
fn find(db: &Db<'_>, s: &Settings, ticketsql: &str, now: Timestamp) -> Result<Vec<Ticket>> {
    let query: Query = parse(ticketsql, now).map_err(|e| Error::Internal(format!("job query `{ticketsql}`: {e}")))?;
    db.search(&query, None, &s.all_lifecycles())
}

fn cause(rule: &str) -> Cause<'_> {
    Cause {
        rule,
        mail: None,
        depth: 0,
        behalf_of: None,
    }
}

/// Raises priorities per queue: linearly towards FinalPriority as Due nears (never
/// lowering what staff set), or by a step for tickets idle too long.
fn escalate(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["escalated"]);
    let escalation_of = |queue: &str| s.time.queue(queue).and_then(|p| p.escalation.as_ref());
    let Some(queues) = queues_with(tx, |q| escalation_of(q).is_some())? else {
        return Ok(Step { tally, next: None });
    };
    let (tickets, next) = batch(tx, s, &format!("{queues} AND Status = '__Active__'"), cursor, now)?;
    for ticket in tickets {
        let Some(escalation) = escalation_of(&ticket.queue) else {
            continue;
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
                let (person, system) = tx.last_touches(ticket.id)?;
                let since = [Some(ticket.created), person, system].into_iter().flatten().max();
                let idle_long_enough = since.is_some_and(|since| now - since >= idle);
                idle_long_enough
                    .then(|| idle_step(escalation, ticket.priority, ticket.final_priority))
                    .flatten()
            }
            (None, None) => None,
        };
        if let Some(priority) = target
            && system_change(tx, s, ticket.id, &Change::Priority(priority), &cause("escalate"), now)?.is_some()
        {
            tally.add("escalated", 1);
        }
    }
    Ok(Step { tally, next })
}

/// Warns before, and reports, missed service levels: each alarm once per due date, as a
/// transaction on the ticket that the `sla_warning` and `sla_breach` rules answer.
fn check_service_levels(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["warning(s)", "breach(es)"]);
    let Some(queues) = queues_with(tx, |q| s.time.service_level(q).is_some())? else {
        return Ok(Step { tally, next: None });
    };
    let filter = format!("{queues} AND Status = '__Active__' AND Due IS NOT NULL");
    let (tickets, next) = batch(tx, s, &filter, cursor, now)?;
    for ticket in tickets {
        let (Some(due), Some((name, level, calendar))) = (ticket.due, s.time.service_level(&ticket.queue)) else {
            continue;
        };
        let Some(alarm) = sla::alarm(level, calendar, due, now) else {
            continue;
        };
        if tx.sla_alarm_raised(ticket.id, alarm.as_str(), due)? {
            continue;
        }
        let content = match alarm {
            Alarm::Warning => {
                let left = match level.calendar {
                    Some(_) => format!(
                        "{} business time left",
                        format_duration(calendar.business_between(now, due))
                    ),
                    None => format!("{} left", format_duration(due - now)),
                };
                format!(
                    "Service level {name}: due {} ({left}).",
                    due.format("%Y-%m-%d %H:%M UTC")
                )
            }
            Alarm::Breach => format!(
                "Service level {name}: was due {}, {} ago.",
                due.format("%Y-%m-%d %H:%M UTC"),
                format_duration(now - due)
            ),
        };
        raise_alarm(tx, s, ticket.id, alarm, due, &content, now)?;
        tally.add(
            match alarm {
                Alarm::Warning => "warning(s)",
                Alarm::Breach => "breach(es)",
            },
            1,
        );
    }
    Ok(Step { tally, next })
}

fn raise_alarm(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    alarm: Alarm,
    due: Timestamp,
    content: &str,
    now: Timestamp,
) -> Result<()> {
    let due = ts(due);
    let transaction_id = tx.insert_transaction(&NewTransaction {
        ticket_id,
        kind: TransactionKind::Sla,
        field: Some(alarm.as_str()),
        old_value: None,
        new_value: Some(&due),
        content,
        time_taken: 0,
        creator_id: SYSTEM_USER_ID,
        now,
        raw_message_id: None,
    })?;
    let system = tx.user(SYSTEM_USER_ID)?;
    let happening = Happening {
        change: Some(FieldChange {
            field: alarm.as_str().into(),
            old: String::new(),
            new: due.clone(),
        }),
        content,
        ..Happening::new(ticket_id, transaction_id, TransactionKind::Sla, &system)
    };
    run_rules(tx, s, &happening, now)
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
    recipient: &'a str,
    /// `daily` or `weekly` for activity digests.
    period: &'a str,
    since: String,
    now: String,
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

/// Renders a digest and puts it in the outbox (a broken template sends nothing and is
/// logged, like a rule's).
fn send_digest(
    tx: &WriteTx<'_>,
    s: &Settings,
    kind: &str,
    queue: Option<&QueueRow>,
    to: &[String],
    context: &DigestContext<'_>,
    now: Timestamp,
) -> Result<bool> {
    let queue_name = queue.map_or("", |q| q.name.as_str());
    let text = match s.templates.render(kind, queue_name, context) {
        Ok(text) => text,
        Err(e) if !e.is_temporary() => {
            tracing::error!(template = kind, error = %e, "digest template failed: no mail sent");
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    let message_id = compose::new_message_id(0, &s.from);
    let notice = Notice {
        text: &text,
        autoreply: false,
        ticket_id: None,
        queue: if queue_name.is_empty() { "ticketd" } else { queue_name },
        reply_to: queue.map_or(s.from.as_str(), |q| q.address.as_str()),
        from: &s.from,
        actor: "Digest",
        to,
        cc: &[],
        in_reply_to: None,
        references: &[],
        message_id: &message_id,
        date: now,
    };
    let Some(composed) = compose::compose(&notice, &s.tag, s.tag.name())? else {
        return Ok(false);
    };
    tx.enqueue(&NewOutgoing {
        ticket_id: None,
        transaction_id: None,
        kind,
        message_id: &message_id,
        envelope_from: &composed.envelope_from,
        recipients: &composed.recipients,
        message: &composed.bytes,
        webhook: None,
        now,
    })?;
    Ok(true)
}

/// To each queue's AdminCcs: its new tickets that nobody has taken, oldest first. One
/// queue per step (the cursor is the queue's id).
fn untaken_digest(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["digest(s) sent"]);
    let mut queues: Vec<QueueRow> = tx.queues()?.into_iter().filter(|q| q.id > cursor).collect();
    queues.sort_by_key(|q| q.id);
    let Some(queue) = queues.first() else {
        return Ok(Step { tally, next: None });
    };
    let next = Some(queue.id);
    let to: Vec<String> = tx
        .queue_watchers(queue.id, Role::AdminCc)?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter_map(|u| u.email)
        .collect();
    if to.is_empty() {
        return Ok(Step { tally, next });
    }
    let untaken = format!(
        "Queue = {} AND Status = 'new' AND Owner = 'Nobody' ORDER BY Created ASC, id ASC",
        quote(&queue.name)
    );
    let tickets: Vec<DigestTicket> = find(tx, s, &untaken, now)?
        .iter()
        .map(|t| DigestTicket::of(t, now))
        .collect();
    if tickets.is_empty() {
        return Ok(Step { tally, next });
    }
    let context = DigestContext {
        queue: DigestQueue::of(queue),
        recipient: "",
        period: "daily",
        since: String::new(),
        now: ts(now),
        tickets,
    };
    if send_digest(tx, s, "untaken_digest", Some(queue), &to, &context, now)? {
        tally.add("digest(s) sent", 1);
    }
    Ok(Step { tally, next })
}

/// To each owner: their active tickets, highest priority first, then oldest. A few
/// owners per step, in user-id order (the cursor is the last one's id).
fn owner_digest(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["digest(s) sent"]);
    let owned = parse("Status = '__Active__' AND Owner != 'Nobody'", now)
        .map_err(|e| Error::Internal(format!("owner digest query: {e}")))?;
    let by_owner = crate::search::parse_grouping("Owner").map_err(|e| Error::Internal(e.to_string()))?;
    let mut owners = Vec::new();
    for (values, _) in tx.report(&owned, &[by_owner], None, &s.all_lifecycles())? {
        if let Some(owner) = values
            .first()
            .map(|name| tx.user_by_name_or_email(name))
            .transpose()?
            .flatten()
            && owner.id > cursor
        {
            owners.push(owner);
        }
    }
    owners.sort_by_key(|u| u.id);
    owners.truncate(RECIPIENTS_PER_STEP);
    let next = (owners.len() == RECIPIENTS_PER_STEP)
        .then(|| owners.last().map(|u| u.id))
        .flatten();
    for owner in owners {
        let Some(email) = owner.email.clone().filter(|_| !owner.disabled) else {
            continue;
        };
        let theirs = format!(
            "Owner = {} AND Status = '__Active__' ORDER BY Priority DESC, Created ASC, id ASC",
            quote(&owner.name)
        );
        let tickets: Vec<DigestTicket> = find(tx, s, &theirs, now)?
            .iter()
            .map(|t| DigestTicket::of(t, now))
            .collect();
        if tickets.is_empty() {
            continue;
        }
        let context = DigestContext {
            queue: DigestQueue::default(),
            recipient: &email,
            period: "daily",
            since: String::new(),
            now: ts(now),
            tickets,
        };
        if send_digest(tx, s, "owner_digest", None, std::slice::from_ref(&email), &context, now)? {
            tally.add("digest(s) sent", 1);
        }
    }
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
    for user in users {
        let Some(email) = user.email.clone() else { continue };
        let access = Access::of(tx, user.clone())?;
        let watched = format!(
            "(Watcher = {who} OR Owner = {name}) AND Updated > {since} ORDER BY Updated DESC, id ASC",
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
            tickets,
        };
        if send_digest(
            tx,
            s,
            "activity_digest",
            None,
            std::slice::from_ref(&email),
            &context,
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

/// Tickets stalled for longer than their queue allows: resolved, or their requestors
/// reminded (a reply on the ticket, which also restarts the wait).
fn stalled(tx: &WriteTx<'_>, s: &Settings, cursor: i64, now: Timestamp) -> Result<Step> {
    let mut tally = Tally::of(&["resolved", "reminded"]);
    let policy_of = |queue: &str| s.time.queue(queue).and_then(|p| p.stalled.as_ref());
    let Some(queues) = queues_with(tx, |q| policy_of(q).is_some())? else {
        return Ok(Step { tally, next: None });
    };
    let (tickets, next) = batch(tx, s, &format!("{queues} AND Status = 'stalled'"), cursor, now)?;
    for ticket in tickets {
        let Some(policy) = policy_of(&ticket.queue) else {
            continue;
        };
        let crate::calendar::SlaDuration::Wall(after) = policy.after else {
            continue;
        };
        if ticket.updated > now - after {
            continue;
        }
        match policy.action {
            StalledAction::Resolve => {
                let resolve = Change::Status(Status::named("resolved"));
                if system_change(tx, s, ticket.id, &resolve, &cause("stalled"), now)?.is_some() {
                    tally.add("resolved", 1);
                }
            }
            StalledAction::Remind => {
                let queue = tx
                    .queue_by_name(&ticket.queue)?
                    .ok_or_else(|| Error::NotFound(format!("queue {} is gone", ticket.queue)))?;
                remind(tx, s, &queue, &ticket, now)?;
                tally.add("reminded", 1);
            }
        }
    }
    Ok(Step { tally, next })
}

/// A reply from the system on a stalled ticket, asking the requestors to answer; the
/// rules send it as they send any reply.
fn remind(tx: &WriteTx<'_>, s: &Settings, queue: &QueueRow, ticket: &Ticket, now: Timestamp) -> Result<()> {
    #[derive(Serialize)]
    struct Reminder<'a> {
        since: String,
        ticket: &'a Ticket,
    }
    let context = Reminder {
        since: ticket.updated.format("%Y-%m-%d").to_string(),
        ticket,
    };
    let text = s.templates.render("stalled_reminder", &queue.name, &context)?;
    let transaction_id = tx.insert_transaction(&NewTransaction {
        ticket_id: ticket.id,
        kind: TransactionKind::Correspond,
        field: None,
        old_value: None,
        new_value: None,
        content: &text.body,
        time_taken: 0,
        creator_id: SYSTEM_USER_ID,
        now,
        raw_message_id: None,
    })?;
    let system = tx.user(SYSTEM_USER_ID)?;
    let happening = Happening {
        content: &text.body,
        ..Happening::new(ticket.id, transaction_id, TransactionKind::Correspond, &system)
    };
    run_rules(tx, s, &happening, now)
}
