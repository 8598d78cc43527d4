//! Changing a ticket's fields, watchers and owner: one code path for people (after
//! `staff` checked their rights) and for the system (rule actions, parents resolved with
//! their children), so a change is recorded and answered by the rules the same way
//! whoever makes it.

use super::Settings;
use super::lifecycle::move_status;
use super::links::resolve_parents;
use super::notify::{Happening, MailOrigin, run_rules, run_rules_at};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::rules::FieldChange;
use crate::store::{DateField, NewTransaction, PriorityField, TicketRow, TimeField, WriteTx};
use crate::ticket::{Change, Timestamp, TransactionKind, WatcherChange};
use crate::user::{NOBODY_ID, SYSTEM_USER_ID, User, normalize_address};

use super::access::{Access, On};

/// Who makes a change, and how deep in rules triggered by rules it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct By<'a> {
    pub actor: &'a User,
    /// The mail the chain of changes started from, for threading what the rules send.
    pub mail: Option<MailOrigin<'a>>,
    pub depth: u32,
    /// For the system's changes: the person whose action set them off.
    pub behalf_of: Option<i64>,
}

/// Why the system makes a change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cause<'a> {
    /// The rule (or built-in behaviour) making it, for the log.
    pub rule: &'a str,
    pub mail: Option<MailOrigin<'a>>,
    /// How many rule actions led here.
    pub depth: u32,
    /// The person whose action set the chain off: like an actor, they get no copy of the
    /// notifications it causes (a staff member made owner by a rule is not told so).
    pub behalf_of: Option<i64>,
}

/// Makes one change, already permitted, and runs the rules on it. `owner` is the new
/// owner for ownership changes. `None` when the change changed nothing (already so).
pub(crate) fn change_field(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: &TicketRow,
    change: &Change,
    owner: Option<&User>,
    by: &By<'_>,
    now: Timestamp,
) -> Result<Option<i64>> {
    let ticket_id = ticket.id;
    let mut status_change = None;
    let (kind, field, old, new): (TransactionKind, String, String, String) = match change {
        Change::Status(status) => {
            if !move_status(tx, s, ticket, status, now)? {
                return Ok(None);
            }
            status_change = Some((ticket.status.clone(), status.clone()));
            (
                TransactionKind::Status,
                "Status".into(),
                ticket.status.to_string(),
                status.to_string(),
            )
        }
        Change::Owner(_) | Change::Ownership(_) => {
            let owner = owner.ok_or_else(|| Error::Internal("an owner change without the owner".into()))?;
            if owner.id == ticket.owner_id {
                return Ok(None);
            }
            let old = tx.user(ticket.owner_id)?;
            tx.set_owner(ticket_id, owner.id)?;
            (TransactionKind::Set, "Owner".into(), old.name, owner.name.clone())
        }
        Change::Subject(subject) => {
            if *subject == ticket.subject {
                return Ok(None);
            }
            tx.set_subject(ticket_id, subject)?;
            (
                TransactionKind::Set,
                "Subject".into(),
                ticket.subject.clone(),
                subject.clone(),
            )
        }
        Change::Sla(level) => {
            let current = tx.ticket(ticket_id, false)?.sla;
            if *level == current {
                return Ok(None);
            }
            if let Some(name) = level
                && !s.time.has_level(name)
            {
                return Err(Error::Invalid(format!(
                    "there is no service level `{name}`; the config's [service_levels] name them"
                )));
            }
            tx.set_sla(ticket_id, level.as_deref())?;
            (
                TransactionKind::Set,
                "SLA".into(),
                current.unwrap_or_default(),
                level.clone().unwrap_or_default(),
            )
        }
        Change::Queue(name) => {
            let queue = tx
                .queue_by_name(name)?
                .ok_or_else(|| Error::NotFound(format!("no queue named `{name}`")))?;
            if queue.id == ticket.queue_id {
                return Ok(None);
            }
            let lifecycle = s.lifecycle(&queue);
            if lifecycle.category(&ticket.status).is_none() {
                return Err(Error::Conflict(format!(
                    "ticket {ticket_id} is {}, a status queue {} (lifecycle {}) does not have; change the status \
                     first",
                    ticket.status, queue.name, lifecycle.name
                )));
            }
            let old = tx.queue(ticket.queue_id)?;
            tx.set_queue(ticket_id, queue.id)?;
            (TransactionKind::Set, "Queue".into(), old.name, queue.name)
        }
        Change::Priority(p) | Change::InitialPriority(p) | Change::FinalPriority(p) => {
            let (which, field, old) = match change {
                Change::Priority(_) => (PriorityField::Current, "Priority", ticket.priority),
                Change::InitialPriority(_) => (PriorityField::Initial, "InitialPriority", ticket.initial_priority),
                _ => (PriorityField::Final, "FinalPriority", ticket.final_priority),
            };
            if old == *p {
                return Ok(None);
            }
            tx.set_priority(ticket_id, which, *p)?;
            (TransactionKind::Set, field.into(), old.to_string(), p.to_string())
        }
        Change::Due(when) | Change::Starts(when) => {
            let (which, field, old) = match change {
                Change::Due(_) => (DateField::Due, "Due", ticket.due),
                _ => (DateField::Starts, "Starts", ticket.starts),
            };
            if old == *when {
                return Ok(None);
            }
            tx.set_date(ticket_id, which, *when)?;
            let show = |t: Option<Timestamp>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
            (TransactionKind::Set, field.into(), show(old), show(*when))
        }
        Change::TimeEstimated(minutes) | Change::TimeLeft(minutes) | Change::TimeWorked(minutes) => {
            let (which, field, old) = match change {
                Change::TimeEstimated(_) => (TimeField::Estimated, "TimeEstimated", ticket.time_estimated),
                Change::TimeLeft(_) => (TimeField::Left, "TimeLeft", ticket.time_left),
                _ => (TimeField::Worked, "TimeWorked", ticket.time_worked),
            };
            if old == *minutes {
                return Ok(None);
            }
            tx.set_time(ticket_id, which, *minutes)?;
            (TransactionKind::Set, field.into(), old.to_string(), minutes.to_string())
        }
        Change::CustomField { name, value } => {
            let queue = tx.queue(ticket.queue_id)?;
            let def = s
                .custom_fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| Error::NotFound(format!("no custom field `{name}`")))?;
            if !def.applies_to(&queue.name) {
                return Err(Error::Invalid(format!(
                    "custom field {} is not one of queue {}'s",
                    def.name, queue.name
                )));
            }
            let values = def.parse_value(value)?;
            let id = tx
                .custom_field_id(&def.name)?
                .ok_or_else(|| Error::Internal(format!("custom field {} is not in the database", def.name)))?;
            let old = tx.custom_field_values(ticket_id)?.remove(&def.name).unwrap_or_default();
            if old == values {
                return Ok(None);
            }
            tx.set_custom_field_values(ticket_id, id, &values)?;
            let field = format!("CF.{}", def.name);
            let (old, new) = (old.join(", "), values.join(", "));
            (TransactionKind::CustomField, field, old, new)
        }
        Change::Link(_) => unreachable!("links are recorded above"),
        Change::Watcher(WatcherChange { role, address, add }) => {
            // an address is a user (made if unknown); anything else names a group
            let (principal, name) = match normalize_address(address) {
                Some(address) => (tx.ensure_user(&address, "", false, now)?.id, address),
                None => {
                    let group = tx.group_id(address.trim())?.ok_or_else(|| {
                        Error::NotFound(format!("`{address}` is neither an email address nor a group"))
                    })?;
                    (group, address.trim().to_string())
                }
            };
            let changed = if *add {
                tx.add_watcher(ticket_id, *role, principal)?
            } else {
                tx.remove_watcher(ticket_id, *role, principal)?
            };
            if !changed {
                return Ok(None);
            }
            let kind = if *add {
                TransactionKind::AddWatcher
            } else {
                TransactionKind::DelWatcher
            };
            let (old, new) = if *add {
                (String::new(), name)
            } else {
                (name, String::new())
            };
            (kind, role.as_str().into(), old, new)
        }
    };
    let id = tx.insert_transaction(&NewTransaction {
        field: Some(&field),
        old_value: Some(old.as_str()).filter(|v| !v.is_empty()),
        new_value: Some(new.as_str()).filter(|v| !v.is_empty()),
        ..NewTransaction::new(ticket_id, kind, by.actor.id, now)
    })?;
    let status_changed = status_change.is_some();
    let happening = Happening {
        status_change,
        change: Some(FieldChange { field, old, new }),
        mail: by.mail,
        behalf_of: by.behalf_of,
        ..Happening::new(ticket_id, id, kind, by.actor)
    };
    // a person's change (depth 0) runs the rules as a person's reply does, Due first
    if by.depth == 0 {
        run_rules(tx, s, &happening, now)?;
    } else {
        run_rules_at(tx, s, &happening, now, by.depth)?;
    }
    if status_changed {
        resolve_parents(tx, s, ticket_id, now, by.depth)?;
    }
    Ok(Some(id))
}

/// A change the system makes (a rule action, a parent resolved with its children),
/// recorded as RT_System's at `depth`. No rights are asked, but a new owner must still be
/// allowed to own the ticket, and the lifecycle still rules. A change that cannot be made
/// is logged and skipped, undone by its savepoint: a rule must not make the mail that
/// triggered it fail.
pub(crate) fn system_change(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    change: &Change,
    cause: &Cause<'_>,
    now: Timestamp,
) -> Result<Option<i64>> {
    let system = tx.user(SYSTEM_USER_ID)?;
    let result = tx.savepoint(|tx| {
        let ticket = tx.current_ticket(ticket_id)?;
        let owner = match change {
            Change::Owner(who) => {
                let owner = tx
                    .user_by_name_or_email(who.trim())?
                    .ok_or_else(|| Error::NotFound(format!("no user `{who}`")))?;
                if owner.id != NOBODY_ID {
                    may_own(tx, &owner, &ticket)?;
                }
                Some(owner)
            }
            Change::Ownership(_) | Change::Link(_) => {
                return Err(Error::Invalid(
                    "a rule cannot take, steal or link tickets: those are changes people make".into(),
                ));
            }
            _ => None,
        };
        let by = By {
            actor: &system,
            mail: cause.mail,
            depth: cause.depth,
            behalf_of: cause.behalf_of,
        };
        change_field(tx, s, &ticket, change, owner.as_ref(), &by, now)
    });
    match result {
        Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::NotFound(_) | Error::Denied(_))) => {
            tracing::warn!(ticket = ticket_id, rule = cause.rule, change = ?change, error = %e, "rule action skipped");
            Ok(None)
        }
        other => other,
    }
}

/// Only someone with OwnTicket on the ticket can be its owner.
pub(crate) fn may_own(tx: &WriteTx<'_>, owner: &User, ticket: &TicketRow) -> Result<()> {
    let theirs = Access::of(tx, owner.clone())
        .map_err(|_| Error::Invalid(format!("{} is disabled and cannot own tickets", owner.display_name())))?;
    if theirs.can(tx, Right::OwnTicket, On::Ticket(ticket))? {
        Ok(())
    } else {
        let queue = tx.queue(ticket.queue_id)?;
        Err(Error::Invalid(format!(
            "{} may not own tickets in queue {}: that needs the right OwnTicket",
            owner.display_name(),
            queue.name
        )))
    }
}
