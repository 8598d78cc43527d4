//! Mail in: a delivered message becomes a new ticket or a transaction on an existing one.
//!
//! Order of business, all in the caller's transaction: recognise a redelivery (nothing is
//! stored twice), keep the raw bytes (nothing is lost), then process in a savepoint. If
//! processing fails for a reason retrying will not fix, the savepoint is undone and the
//! raw message goes to the quarantine instead; the MTA is still told it was delivered.

use serde::{Deserialize, Serialize};

use super::Settings;
use super::access::{Access, On};
use super::fields::{Cause, system_change};
use super::links::link_as_system;
use super::notify::{Happening, MailOrigin, report_refused_commands, run_rules};
use super::staff::update;
use crate::alerts::{Alert, Alerts, OnRecovery};
use crate::error::{Error, Result};
use crate::mail::commands::{self, MailCommands};
use crate::mail::{AutoReason, Inbound, parse};
use crate::rights::Right;
use crate::store::{ALSO_ADDRESSED_TO, AlertSeen, Db, NewTicket, NewTransaction, QueueRow, RawBytes, Seen, WriteTx};
use crate::ticket::{
    Action, COMMANDS_CUT, Category, Change, LinkChange, LinkName, Role, Status, Timestamp, TransactionKind,
};
use crate::user::{NOBODY_ID, SYSTEM_USER_ID, User};
use crate::wire::{IngestOutcome, Outcome};

/// How the MTA handed a message over: mailgate's command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub queue: String,
    pub action: Action,
    /// A ticket number from the address extension (`help+42@`).
    pub ticket: Option<i64>,
    /// The envelope sender (`SENDER` from Postfix); empty for bounces.
    pub envelope_sender: Option<String>,
    /// Whether mailgate handed the message in with the MTA's shared secret
    /// (`server.token_file`). Only then did it surely come through the MTA, which removes
    /// forged `Authentication-Results` and adds its own; any local user can hand in mail
    /// over the Unix socket, with whatever headers they like.
    #[serde(default)]
    pub with_mta_secret: bool,
}

/// Stores a delivered message. `parsed` is the parse result, or the reason parsing failed
/// (a panic in the parser, too many parts); the caller parses outside the writer so that
/// parsing does not hold up other deliveries.
pub fn ingest(
    tx: &WriteTx<'_>,
    s: &Settings,
    delivery: &Delivery,
    raw: &RawBytes<'_>,
    parsed: Result<Inbound, String>,
    now: Timestamp,
) -> Result<IngestOutcome> {
    let key = match &parsed {
        Ok(inbound) => inbound.dedupe_key.clone(),
        Err(_) => format!("sha256:{}", raw.sha256),
    };
    if let Some(seen) = tx.claim_seen(&key, now)? {
        tracing::info!(%key, ticket = ?seen.ticket_id, "duplicate delivery: already stored");
        note_other_queue(tx, delivery, &seen, now)?;
        return Ok(IngestOutcome {
            outcome: Outcome::Duplicate,
            ticket: seen.ticket_id,
            transaction: seen.transaction_id,
            quarantine: seen.quarantine_id,
        });
    }
    let queue = tx
        .queue_by_name(&delivery.queue)?
        .ok_or_else(|| Error::NotFound(format!("no queue named `{}` here", delivery.queue)))?;
    let raw_id = tx.insert_raw_message(raw, &queue.name, delivery.action.as_str(), now)?;
    let result = match parsed {
        Ok(inbound) => tx.savepoint(|tx| process(tx, s, delivery, &queue, &inbound, raw_id, now)),
        Err(reason) => Err(Error::Invalid(reason)),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        // a refusal undoes everything, the raw message included: the MTA bounces it
        Err(e @ (Error::Temporary(_) | Error::Denied(_))) => return Err(e),
        Err(e) => {
            let delivery_json = serde_json::to_string(delivery).map_err(|e| Error::Internal(e.to_string()))?;
            let id = tx.insert_quarantine(raw_id, &delivery_json, &e.to_string(), now)?;
            tracing::error!(quarantine = id, error = %e, "message quarantined: `tkt quarantine show {id}`");
            IngestOutcome {
                outcome: Outcome::Quarantined,
                ticket: None,
                transaction: None,
                quarantine: Some(id),
            }
        }
    };
    let seen = Seen {
        ticket_id: outcome.ticket,
        transaction_id: outcome.transaction,
        quarantine_id: outcome.quarantine,
    };
    tx.mark_seen(&key, &seen, now)?;
    Ok(outcome)
}

/// A message addressed to two of our queues at once (To: support@, Cc: network@) is
/// delivered once to each. The first delivery makes (or finds) its ticket; the second is
/// a duplicate and stores nothing, but the ticket notes, once, that the message was also
/// addressed to the other queue: RT_System's comment with `field` [`ALSO_ADDRESSED_TO`]
/// and `new_value` the queue. No rules run on it, so nobody is mailed twice.
fn note_other_queue(tx: &WriteTx<'_>, delivery: &Delivery, seen: &Seen, now: Timestamp) -> Result<()> {
    let (Some(ticket_id), Some(transaction_id)) = (seen.ticket_id, seen.transaction_id) else {
        return Ok(());
    };
    let Some(queue) = tx.queue_by_name(&delivery.queue)? else {
        return Ok(());
    };
    let first = tx.delivered_queue(transaction_id)?;
    if first.is_none_or(|first| first.eq_ignore_ascii_case(&queue.name)) {
        return Ok(());
    }
    let Some(ticket_id) = tx.effective_ticket(ticket_id)? else {
        return Ok(());
    };
    let in_queue = tx.ticket_row(ticket_id)?.is_some_and(|t| t.queue_id == queue.id);
    if in_queue || tx.noted_other_queue(ticket_id, &queue.name)? {
        return Ok(());
    }
    let note = format!(
        "This message was also addressed to queue {} ({}); it is recorded once, on this ticket.",
        queue.name, queue.address
    );
    tx.insert_transaction(&NewTransaction {
        content: &note,
        field: Some(ALSO_ADDRESSED_TO),
        new_value: Some(&queue.name),
        ..NewTransaction::new(ticket_id, TransactionKind::Comment, SYSTEM_USER_ID, now)
    })?;
    tracing::info!(ticket = ticket_id, queue = %queue.name, "message also addressed to another queue: noted");
    Ok(())
}

/// Retries a quarantined message, after the admin fixed what made it fail (a limit, a
/// bug). On success the entry is released and names the ticket; if it fails again the
/// outcome is `Quarantined` and the entry's error says why.
pub fn retry_quarantined(tx: &WriteTx<'_>, s: &Settings, id: i64, now: Timestamp) -> Result<IngestOutcome> {
    let (raw_id, delivery_json, status) = tx.quarantined_message(id)?;
    if status != "held" {
        return Err(Error::Conflict(format!("quarantine entry {id} was already released")));
    }
    let delivery: Delivery = serde_json::from_str(&delivery_json)
        .map_err(|e| Error::Internal(format!("quarantine entry {id}: bad delivery record: {e}")))?;
    let raw = tx.raw_message(raw_id)?;
    let queue = tx.queue_by_name(&delivery.queue)?.ok_or_else(|| {
        Error::Conflict(format!(
            "queue `{}` no longer exists; add it back to retry",
            delivery.queue
        ))
    })?;
    let result = tx.savepoint(|tx| {
        let inbound = parse(&raw, &s.parse_options(delivery.envelope_sender.as_deref()))?;
        let outcome = process(tx, s, &delivery, &queue, &inbound, raw_id, now)?;
        Ok((inbound.dedupe_key, outcome))
    });
    match result {
        Ok((key, outcome)) => {
            let ticket = outcome.ticket.unwrap_or_default();
            tx.release_quarantine(id, ticket)?;
            let seen = Seen {
                ticket_id: outcome.ticket,
                transaction_id: outcome.transaction,
                quarantine_id: Some(id),
            };
            tx.mark_seen(&key, &seen, now)?;
            Ok(outcome)
        }
        Err(e) if e.is_temporary() => Err(e),
        Err(e) => {
            tx.quarantine_failed_again(id, &e.to_string())?;
            Ok(IngestOutcome {
                outcome: Outcome::Quarantined,
                ticket: None,
                transaction: None,
                quarantine: Some(id),
            })
        }
    }
}

/// Threads the message, checks the sender's rights, and records it.
fn process(
    tx: &WriteTx<'_>,
    s: &Settings,
    delivery: &Delivery,
    queue: &QueueRow,
    inbound: &Inbound,
    raw_id: i64,
    now: Timestamp,
) -> Result<IngestOutcome> {
    let actor = match &inbound.sender {
        Some(sender) => tx.ensure_user(&sender.address, &sender.name, false, now)?,
        None => tx.user(NOBODY_ID)?,
    };
    if actor.disabled {
        return Err(Error::Denied(format!(
            "mail from {} is refused: that user is disabled",
            actor.display_name()
        )));
    }
    let access = Access::of(tx, actor.clone())?;
    // a queue made by `tkt queue` is ours as much as one in the config
    let own_address = match &inbound.sender {
        Some(sender) => tx.is_queue_address(&sender.address)?,
        None => false,
    };
    // an alert queue reads monitoring mail as alerts: never answered, threaded by key
    let alert = s
        .alerts(&queue.name)
        .and_then(|alerts| alerts.read(&inbound.subject, &inbound.content).map(|a| (alerts, a)));
    let auto = if own_address {
        Some(AutoReason::OwnAddress)
    } else if alert.is_some() {
        inbound.auto.clone().or(Some(AutoReason::Monitoring))
    } else {
        inbound.auto.clone()
    };
    let commands = mail_commands(s, delivery, &actor, inbound, auto.as_ref(), now);
    let content = commands
        .as_ref()
        .map_or(inbound.content.as_str(), |c| c.found.text.as_str());
    let minutes = commands
        .as_ref()
        .filter(|c| c.ignored.is_none())
        .map_or(0, |c| c.found.time_worked);
    let message = Message {
        content,
        minutes,
        raw_id,
        commands_cut: commands.is_some(),
        alert_state: None,
    };
    let mail = MailOrigin {
        message_id: inbound.message_id.as_deref(),
        references: &inbound.references,
        auto: auto.as_ref(),
    };
    let new_ticket = |with_requestor: bool| -> Result<(i64, i64)> {
        access.require(tx, Right::CreateTicket, On::Queue(queue))?;
        let ticket_id = tx.insert_ticket(&NewTicket {
            queue_id: queue.id,
            subject: &inbound.subject,
            status: s.lifecycle(queue).default_initial().clone(),
            owner_id: NOBODY_ID,
            priority: s.time.initial_priority(&queue.name),
            final_priority: s.time.final_priority(&queue.name),
            creator_id: actor.id,
            now,
        })?;
        if with_requestor && inbound.sender.is_some() {
            tx.add_watcher(ticket_id, Role::Requestor, actor.id)?;
        }
        let transaction_id = record(tx, ticket_id, TransactionKind::Create, &actor, inbound, &message, now)?;
        tracing::info!(ticket = ticket_id, queue = %queue.name, from = %actor.display_name(), "ticket created");
        Ok((ticket_id, transaction_id))
    };
    let (outcome, ticket_id, transaction_id, kind) = match find_ticket(tx, s, delivery, inbound)? {
        Some(old) if past_reopen_window(tx, s, &access, old, delivery.action, now)? => {
            // a requestor writing again long after: a new ticket that refers to the old one
            let (ticket_id, transaction_id) = new_ticket(true)?;
            let refers = LinkChange {
                name: LinkName::RefersTo,
                ticket: old,
                add: true,
            };
            let new_row = tx
                .ticket_row(ticket_id)?
                .ok_or_else(|| Error::Internal("new ticket vanished".into()))?;
            link_as_system(tx, &new_row, &refers, now)?;
            tracing::info!(ticket = ticket_id, old, "reply after the reopen window: new ticket");
            (Outcome::Created, ticket_id, transaction_id, TransactionKind::Create)
        }
        Some(ticket_id) => {
            let ticket = tx
                .ticket_row(ticket_id)?
                .ok_or_else(|| Error::Internal(format!("ticket {ticket_id} vanished")))?;
            let kind = access.message_kind(tx, &ticket, delivery.action)?;
            let transaction_id = record(tx, ticket_id, kind, &actor, inbound, &message, now)?;
            (Outcome::Updated, ticket_id, transaction_id, kind)
        }
        None => match &alert {
            // a known alert: onto its ticket, as a comment, quietly
            Some((alerts, a)) if let Some(ticket_id) = alert_ticket(tx, s, queue, alerts, a, now)? => {
                let message = Message {
                    // marked, so that the history can show repeats in a line each
                    alert_state: Some(&a.state),
                    ..message
                };
                let transaction_id = record(tx, ticket_id, TransactionKind::Comment, &actor, inbound, &message, now)?;
                follow_alert(tx, s, queue, a, ticket_id, false, now)?;
                return Ok(IngestOutcome {
                    outcome: Outcome::Updated,
                    ticket: Some(ticket_id),
                    transaction: Some(transaction_id),
                    quarantine: None,
                });
            }
            // a new alert has no requestor to write to: the monitoring system
            Some(_) => {
                let (ticket_id, transaction_id) = new_ticket(false)?;
                (Outcome::Created, ticket_id, transaction_id, TransactionKind::Create)
            }
            None => {
                let (ticket_id, transaction_id) = new_ticket(true)?;
                (Outcome::Created, ticket_id, transaction_id, TransactionKind::Create)
            }
        },
    };
    let happening = Happening {
        content,
        mail: Some(mail),
        ..Happening::new(ticket_id, transaction_id, kind, &actor)
    };
    run_rules(tx, s, &happening, now)?;
    if let Some((_, a)) = &alert
        && kind == TransactionKind::Create
    {
        follow_alert(tx, s, queue, a, ticket_id, true, now)?;
    }
    if let Some(commands) = &commands {
        let refused = match &commands.ignored {
            None => apply_commands(tx, s, &access, ticket_id, &commands.found, now)?,
            Some(why) => vec![commands.ignored_report(why)],
        };
        if !refused.is_empty() {
            report_refused_commands(tx, s, &happening, &refused, now)?;
        }
    }
    Ok(IngestOutcome {
        outcome,
        ticket: Some(ticket_id),
        transaction: Some(transaction_id),
        quarantine: None,
    })
}

/// The ticket an alert belongs on: its key's ticket while that is active, or was
/// resolved by a recovery within the flap window; `None`: a new ticket.
fn alert_ticket(
    tx: &WriteTx<'_>,
    s: &Settings,
    queue: &QueueRow,
    alerts: &Alerts,
    alert: &Alert,
    now: Timestamp,
) -> Result<Option<i64>> {
    let Some(known) = tx.alert_key(queue.id, &alert.key)? else {
        return Ok(None);
    };
    let ticket = tx.current_ticket(known.ticket_id)?;
    let active = s.lifecycle(&tx.queue(ticket.queue_id)?).is_active(&ticket.status);
    let flapping = known
        .recovered
        .is_some_and(|at| now - at <= chrono::Duration::minutes(i64::from(alerts.flap_minutes)));
    Ok((active || !alert.problem || flapping).then_some(ticket.id))
}

/// What an alert does to its ticket once recorded: a new one gets the severity's
/// priority, a problem reopens a ticket its recovery resolved (flapping), a recovery
/// resolves it. Each is RT_System's change, which rules see. `queue` is the alert queue
/// the mail came to (the key is its, wherever the ticket went).
fn follow_alert(
    tx: &WriteTx<'_>,
    s: &Settings,
    queue: &QueueRow,
    alert: &Alert,
    ticket_id: i64,
    created: bool,
    now: Timestamp,
) -> Result<()> {
    let Some(alerts) = s.alerts(&queue.name) else {
        return Ok(());
    };
    let cause = Cause {
        rule: "alerts",
        mail: None,
        depth: 0,
        behalf_of: None,
    };
    let ticket = tx.current_ticket(ticket_id)?;
    let lifecycle = s.lifecycle(&tx.queue(ticket.queue_id)?);
    let active = lifecycle.is_active(&ticket.status);
    let mut resolved = false;
    if alert.problem {
        if created && let Some(priority) = alerts.priority(alert) {
            system_change(tx, s, ticket.id, &Change::Priority(priority), &cause, now)?;
        }
        if !active {
            system_change(tx, s, ticket.id, &Change::Status(Status::named("open")), &cause, now)?;
            tracing::info!(ticket = ticket.id, key = %alert.key, "alert flapping: ticket reopened");
        }
    } else if active && alerts.on_recovery == OnRecovery::Resolve {
        resolved = system_change(
            tx,
            s,
            ticket.id,
            &Change::Status(Status::named("resolved")),
            &cause,
            now,
        )?
        .is_some();
    }
    tx.record_alert(&AlertSeen {
        queue_id: queue.id,
        key: &alert.key,
        ticket_id: ticket.id,
        problem: alert.problem,
        state: &alert.state,
        resolved,
        now,
    })
}

/// Whether a reply by a requestor comes after the queue's reopen window: the ticket has
/// been inactive for longer than `reopen_window_days`.
fn past_reopen_window(
    tx: &WriteTx<'_>,
    s: &Settings,
    access: &Access,
    ticket_id: i64,
    action: Action,
    now: Timestamp,
) -> Result<bool> {
    let Some(ticket) = tx.ticket_row(ticket_id)? else {
        return Ok(false);
    };
    let queue = tx.queue(ticket.queue_id)?;
    let (Some(days), Some(resolved)) = (queue.reopen_window_days, ticket.resolved) else {
        return Ok(false);
    };
    let inactive = s.lifecycle(&queue).category(&ticket.status) == Some(Category::Inactive);
    Ok(action == Action::Correspond
        && inactive
        && now - resolved > chrono::Duration::days(i64::from(days))
        && access.roles(tx, &ticket)?.contains(&Role::Requestor))
}

/// The ticket a message belongs to (CONTRACT.md, Threading): one of our subject tags (the
/// system's or a queue's), else a
/// Message-ID we stored or sent in In-Reply-To/References, else the address extension.
/// A number that names no ticket falls through: the message is never rejected for it.
fn find_ticket(tx: &WriteTx<'_>, s: &Settings, delivery: &Delivery, inbound: &Inbound) -> Result<Option<i64>> {
    for id in tagged_numbers(tx, s, &inbound.subject)? {
        if let Some(effective) = tx.effective_ticket(id)? {
            return Ok(Some(effective));
        }
    }
    let mut ids: Vec<String> = inbound.in_reply_to.clone();
    ids.extend(inbound.references.iter().rev().cloned());
    if let Some(id) = tx.ticket_by_message_ids(&ids)?
        && let Some(effective) = tx.effective_ticket(id)?
    {
        return Ok(Some(effective));
    }
    match delivery.ticket {
        Some(id) => tx.effective_ticket(id),
        None => Ok(None),
    }
}

/// The ticket numbers in a subject's tags (the system's, then each queue's), in the order
/// threading tries them.
pub(crate) fn tagged_numbers(db: &Db<'_>, s: &Settings, subject: &str) -> Result<Vec<i64>> {
    let mut tags = vec![s.tag.clone()];
    tags.extend(db.queue_tags()?.iter().map(|name| s.tag_named(name)));
    Ok(tags.iter().filter_map(|tag| tag.ticket_in(subject)).collect())
}

/// What of a message is stored as its transaction.
#[derive(Clone, Copy)]
struct Message<'a> {
    /// The text, without command lines.
    content: &'a str,
    /// Time worked, from a `TimeWorked:` command.
    minutes: i64,
    raw_id: i64,
    /// Command lines were cut from the text: the transaction is marked
    /// ([`COMMANDS_CUT`]), so that its raw message and text parts go to staff only.
    commands_cut: bool,
    /// For an alert repeated onto its ticket: the state it reported (the transaction's
    /// field is then `Alert`).
    alert_state: Option<&'a str>,
}

/// Records the message as a transaction of `kind` with its MIME tree.
fn record(
    tx: &WriteTx<'_>,
    ticket_id: i64,
    kind: TransactionKind,
    actor: &User,
    inbound: &Inbound,
    message: &Message<'_>,
    now: Timestamp,
) -> Result<i64> {
    let transaction_id = tx.insert_transaction(&NewTransaction {
        content: message.content,
        time_taken: message.minutes,
        raw_message_id: Some(message.raw_id),
        field: message
            .alert_state
            .map(|_| "Alert")
            .or(message.commands_cut.then_some(COMMANDS_CUT)),
        new_value: message.alert_state,
        ..NewTransaction::new(ticket_id, kind, actor.id, now)
    })?;
    tx.insert_parts(transaction_id, &inbound.parts)?;
    if let Some(message_id) = &inbound.message_id {
        tx.record_message_id(message_id, ticket_id, Some(transaction_id), false)?;
    }
    Ok(transaction_id)
}

/// The command lines at the top of a staff member's message, and whether they run.
struct StaffCommands {
    found: MailCommands,
    /// Why they do not run (the sender is told), or `None`: they run.
    ignored: Option<String>,
}

impl StaffCommands {
    /// What the sender is told of commands that were not run: the lines, then why.
    fn ignored_report(&self, why: &str) -> String {
        let mut lines: Vec<String> = self.found.changes.iter().map(|(line, _)| line.clone()).collect();
        if self.found.time_worked != 0 {
            lines.push(format!("TimeWorked: {}", self.found.time_worked));
        }
        format!("{}\n\nWhy: {why}.", lines.join("\n"))
    }
}

/// The command lines at the top of the message, if its sender is staff and not a machine;
/// from anyone else such lines are plain text. Staff's command lines are never passed on
/// as text (a requestor is not sent `Owner: alice`), but they run only when commands by
/// mail are on and the message proves its From: see [`why_commands_are_ignored`].
fn mail_commands(
    s: &Settings,
    delivery: &Delivery,
    actor: &User,
    inbound: &Inbound,
    auto: Option<&AutoReason>,
    now: Timestamp,
) -> Option<StaffCommands> {
    if !actor.privileged || auto.is_some() {
        return None;
    }
    let found = commands::extract(&inbound.content, now);
    if found.changes.is_empty() && found.time_worked == 0 {
        return None;
    }
    let ignored = why_commands_are_ignored(s, delivery, inbound);
    if let Some(why) = &ignored {
        tracing::warn!(from = %actor.display_name(), reason = %why, "commands by mail ignored");
    }
    Some(StaffCommands { found, ignored })
}

/// Why a staff member's commands by mail may not run, or `None` when they may. A From
/// header is easy to forge, so it takes all of: commands by mail on
/// (`mail.commands_need_authentication_by` names the MTA), the message handed in with the
/// MTA's secret, a From header that can be read only one way, and an
/// `Authentication-Results` from the MTA that vouches for the From domain.
fn why_commands_are_ignored(s: &Settings, delivery: &Delivery, inbound: &Inbound) -> Option<String> {
    let trusted = &s.command_authenticators;
    if trusted.is_empty() {
        return Some(
            "commands by mail are off on this system (an admin turns them on with \
             mail.commands_need_authentication_by); make the change with tkt instead"
                .into(),
        );
    }
    if !delivery.with_mta_secret {
        return Some(
            "the message was not handed in by the mail server with its secret (mailgate --token-file), \
             so its Authentication-Results cannot be trusted"
                .into(),
        );
    }
    if let Some(doubt) = &inbound.from_doubt {
        return Some(format!("the message's From cannot be trusted: {doubt}"));
    }
    let from_domain = inbound
        .sender
        .as_ref()
        .and_then(|sender| sender.address.rsplit_once('@'))
        .map_or("", |(_, domain)| domain);
    if commands::vouch_for(&inbound.authentication_results, trusted, from_domain) {
        return None;
    }
    Some(format!(
        "no Authentication-Results from {} says that DMARC passed, or DKIM or SPF for {from_domain}",
        trusted.join(" or ")
    ))
}

/// Applies each command as the same change from `tkt` would be, each in its own
/// savepoint: one refused command does not undo the others. Returns the refused ones,
/// each with the reason.
fn apply_commands(
    tx: &WriteTx<'_>,
    s: &Settings,
    access: &Access,
    ticket_id: i64,
    commands: &MailCommands,
    now: Timestamp,
) -> Result<Vec<String>> {
    let mut refused = Vec::new();
    for (line, change) in &commands.changes {
        let result = match change {
            Ok(change) => tx.savepoint(|tx| update(tx, s, ticket_id, std::slice::from_ref(change), access, now)),
            Err(e) => Err(e.clone()),
        };
        match result {
            Ok(_) => tracing::info!(ticket = ticket_id, command = %line, "command by mail applied"),
            Err(e) if e.is_temporary() => return Err(e),
            Err(e) => {
                tracing::info!(ticket = ticket_id, command = %line, error = %e, "command by mail refused");
                refused.push(format!("{line}\n    {}", e.public_text()));
            }
        }
    }
    Ok(refused)
}
