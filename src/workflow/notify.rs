//! Running the rules for a transaction: status rules and notifications into the outbox.
//!
//! Loop protection lives here, in one place for every source: mail that a machine sent
//! gets no autoreply and only notifies staff; our own mail coming back notifies nobody.

use super::Settings;
use super::lifecycle::move_status;
use super::links::resolve_parents;
use crate::error::{Error, Result};
use crate::mail::AutoReason;
use crate::mail::compose::{self, Notice};
use crate::rules::{Event, RuleAction, Template};
use crate::store::{NewOutgoing, NewTransaction, TicketRow, WriteTx};
use crate::ticket::{Role, Status, Timestamp, TransactionKind};
use crate::user::{NOBODY_ID, SYSTEM_USER_ID, User, is_mailer_address};

/// Rules that fire because of rule actions stop at this depth, so rules cannot loop.
const MAX_RULE_DEPTH: u32 = 4;

/// The mail a transaction came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MailOrigin<'a> {
    pub message_id: Option<&'a str>,
    pub references: &'a [String],
    pub auto: Option<&'a AutoReason>,
}

/// A transaction that rules should answer.
#[derive(Debug, Clone)]
pub(crate) struct Happening<'a> {
    pub ticket_id: i64,
    pub transaction_id: i64,
    pub kind: TransactionKind,
    pub status_change: Option<(Status, Status)>,
    pub new_owner: Option<i64>,
    pub actor: &'a User,
    pub content: &'a str,
    pub mail: Option<MailOrigin<'a>>,
}

impl<'a> Happening<'a> {
    /// A transaction by `actor` that changed no field.
    pub(crate) fn new(ticket_id: i64, transaction_id: i64, kind: TransactionKind, actor: &'a User) -> Happening<'a> {
        Happening {
            ticket_id,
            transaction_id,
            kind,
            status_change: None,
            new_owner: None,
            actor,
            content: "",
            mail: None,
        }
    }
}

/// Runs every rule that matches the happening.
pub(crate) fn run_rules(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, now: Timestamp) -> Result<()> {
    run(tx, s, h, now, 0)
}

fn run(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, now: Timestamp, depth: u32) -> Result<()> {
    if depth >= MAX_RULE_DEPTH {
        tracing::warn!(
            ticket = h.ticket_id,
            depth,
            "rules triggered by rules stopped here: possible rule loop"
        );
        return Ok(());
    }
    let Some(ticket) = tx.ticket_row(h.ticket_id)? else {
        return Ok(());
    };
    let event = Event {
        kind: h.kind,
        status_change: h.status_change.clone(),
        new_owner: h.new_owner,
        actor_privileged: h.actor.privileged,
        actor_is_requestor: tx.is_watcher(ticket.id, Role::Requestor, h.actor.id)?,
        status: ticket.status.clone(),
    };
    let auto = h.mail.and_then(|m| m.auto);
    for rule in s.rules.iter().filter(|r| r.matches(&event)) {
        for action in &rule.actions {
            match action {
                RuleAction::SetStatus(status) => {
                    system_status(tx, s, h.ticket_id, status, h.mail, now, depth)?;
                }
                _ if auto.is_some_and(AutoReason::is_own) => {
                    tracing::info!(ticket = ticket.id, rule = %rule.name, "no mail: the message is our own come back");
                }
                RuleAction::Autoreply if auto.is_some() => {
                    tracing::info!(ticket = ticket.id, reason = %auto.map(ToString::to_string).unwrap_or_default(),
                        "no autoreply to machine-made mail");
                }
                RuleAction::Autoreply => autoreply(tx, s, h, &ticket, &rule.name, now)?,
                RuleAction::Notify {
                    recipients,
                    as_comment,
                    template,
                } => {
                    let mut to = Vec::new();
                    let mut cc = Vec::new();
                    for role in recipients {
                        let list = if *role == Role::Cc && recipients.contains(&Role::Requestor) {
                            &mut cc
                        } else {
                            &mut to
                        };
                        for user in watchers(tx, &ticket, *role)? {
                            // mail made by a machine reaches staff only: two autoresponders
                            // must not be able to talk to each other through a ticket
                            if auto.is_some() && !user.privileged {
                                continue;
                            }
                            if user.id != h.actor.id {
                                push_address(s, &user, list);
                            }
                        }
                    }
                    cc.retain(|a| !to.contains(a));
                    // Told: when a requestor was last sent something (requestors are `to`)
                    let told = recipients.contains(&Role::Requestor) && !to.is_empty();
                    if send(tx, s, h, &ticket, &rule.name, *template, *as_comment, &to, &cc, now)? && told {
                        tx.set_told(ticket.id, now)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The users in a role, the queue's watchers included.
fn watchers(tx: &WriteTx<'_>, ticket: &TicketRow, role: Role) -> Result<Vec<User>> {
    Ok(match role {
        Role::Owner if ticket.owner_id == NOBODY_ID => Vec::new(),
        Role::Owner => vec![tx.user(ticket.owner_id)?],
        Role::Requestor => tx.ticket_watchers(ticket.id, role)?,
        Role::Cc | Role::AdminCc => {
            let mut users = tx.ticket_watchers(ticket.id, role)?;
            users.extend(tx.queue_watchers(ticket.queue_id, role)?);
            users
        }
    })
}

/// Adds the user's address unless it must never get mail from us.
fn push_address(s: &Settings, user: &User, list: &mut Vec<String>) {
    let Some(email) = &user.email else { return };
    let lower = email.to_lowercase();
    if user.disabled || s.own_addresses.contains(&lower) || is_mailer_address(email) || list.contains(email) {
        return;
    }
    list.push(email.clone());
}

fn autoreply(
    tx: &WriteTx<'_>,
    s: &Settings,
    h: &Happening<'_>,
    ticket: &TicketRow,
    rule: &str,
    now: Timestamp,
) -> Result<()> {
    let hour_ago = now - chrono::Duration::hours(1);
    for user in tx.ticket_watchers(ticket.id, Role::Requestor)? {
        let mut to = Vec::new();
        push_address(s, &user, &mut to);
        let Some(address) = to.first() else { continue };
        if tx.autoreplies_since(address, hour_ago)? >= s.autoreply_limit_per_hour {
            tracing::warn!(ticket = ticket.id, %address, limit = s.autoreply_limit_per_hour,
                "autoreply rate limit reached: no autoreply");
            continue;
        }
        if send(tx, s, h, ticket, rule, Template::Autoreply, false, &to, &[], now)? {
            tx.log_autoreply(address, now)?;
        }
    }
    Ok(())
}

/// Tells a staff member which of the commands in their mail were refused, and why: one
/// reply for all of them.
pub(crate) fn report_refused_commands(
    tx: &WriteTx<'_>,
    s: &Settings,
    h: &Happening<'_>,
    refused: &[String],
    now: Timestamp,
) -> Result<()> {
    let Some(ticket) = tx.ticket_row(h.ticket_id)? else {
        return Ok(());
    };
    let mut to = Vec::new();
    push_address(s, h.actor, &mut to);
    let text = refused.join("\n\n");
    let report = Happening {
        content: &text,
        ..h.clone()
    };
    send(
        tx,
        s,
        &report,
        &ticket,
        "command-errors",
        Template::CommandErrors,
        false,
        &to,
        &[],
        now,
    )?;
    Ok(())
}

/// Writes one message into the outbox; false when there was nobody to send it to.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site per kind of rule action; a struct would only rename them"
)]
fn send(
    tx: &WriteTx<'_>,
    s: &Settings,
    h: &Happening<'_>,
    ticket: &TicketRow,
    rule: &str,
    template: Template,
    as_comment: bool,
    to: &[String],
    cc: &[String],
    now: Timestamp,
) -> Result<bool> {
    if to.is_empty() && cc.is_empty() {
        return Ok(false);
    }
    let queue = tx.queue(ticket.queue_id)?;
    let message_id = compose::new_message_id(ticket.id, &s.from);
    let first_message = match h.mail.and_then(|m| m.message_id) {
        Some(_) => None,
        None => tx.first_message_id(ticket.id)?,
    };
    let in_reply_to = h.mail.and_then(|m| m.message_id).or(first_message.as_deref());
    let actor = if h.actor.real_name.is_empty() {
        h.actor.display_name()
    } else {
        &h.actor.real_name
    };
    let notice = Notice {
        template,
        ticket_id: ticket.id,
        ticket_subject: &ticket.subject,
        queue: &queue.name,
        reply_to: if as_comment {
            &queue.comment_address
        } else {
            &queue.address
        },
        from: &s.from,
        actor,
        content: h.content,
        to,
        cc,
        in_reply_to,
        references: h.mail.map_or(&[], |m| m.references),
        message_id: &message_id,
        date: now,
    };
    let Some(composed) = compose::compose(&notice, &s.queue_tag(&queue), s.tag.name())? else {
        return Ok(false);
    };
    tx.enqueue(&NewOutgoing {
        ticket_id: Some(ticket.id),
        transaction_id: Some(h.transaction_id),
        kind: rule,
        message_id: &message_id,
        envelope_from: &composed.envelope_from,
        recipients: &composed.recipients,
        message: &composed.bytes,
        now,
    })?;
    tx.record_message_id(&message_id, ticket.id, Some(h.transaction_id), true)?;
    Ok(true)
}

/// A status change by the system (a rule, a parent whose last child was resolved):
/// recorded as RT_System's and answered by the rules in turn. What the ticket's lifecycle
/// does not allow (or have) is skipped. Returns whether the status changed.
pub(crate) fn system_status(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    status: &Status,
    mail: Option<MailOrigin<'_>>,
    now: Timestamp,
    depth: u32,
) -> Result<bool> {
    let Some(ticket) = tx.ticket_row(ticket_id)? else {
        return Ok(false);
    };
    match move_status(tx, s, &ticket, status, now) {
        Ok(true) => {}
        Ok(false) | Err(Error::Conflict(_) | Error::Invalid(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    let transaction_id = tx.insert_transaction(&NewTransaction {
        field: Some("Status"),
        old_value: Some(ticket.status.as_str()),
        new_value: Some(status.as_str()),
        ..NewTransaction::new(ticket.id, TransactionKind::Status, SYSTEM_USER_ID, now)
    })?;
    let system = tx.user(SYSTEM_USER_ID)?;
    let next = Happening {
        status_change: Some((ticket.status, status.clone())),
        mail,
        ..Happening::new(ticket.id, transaction_id, TransactionKind::Status, &system)
    };
    run(tx, s, &next, now, depth + 1)?;
    resolve_parents(tx, s, ticket.id, now, depth + 1)?;
    Ok(true)
}
