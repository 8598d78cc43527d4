//! What people do from `tkt` (and later the web UI and REST API): create tickets, reply,
//! comment, change fields and owners. Each change is checked against the actor's rights,
//! recorded as a transaction and answered by the rules.

use super::Settings;
use super::access::{Access, On};
use super::fields::{By, change_field, may_own};
use super::links::change_link;
use super::notify::{Happening, OneTime, run_rules, send_one_time_copy};
use super::view::{known_queue, visible_ticket};
use crate::error::{Error, Result};
use crate::rights::Right;
use crate::store::{NewTicket, NewTransaction, TicketRow, WriteTx};
use crate::text::one_line;
use crate::ticket::{Action, Change, OwnerAction, Role, Timestamp, TransactionKind, WatcherChange};
use crate::user::{NOBODY_ID, User, normalize_address};
use crate::wire::NewTicketRequest;

/// Creates a ticket and returns its number. Needs CreateTicket on the queue. The creator
/// is the requestor unless others are named, and gets the autoreply as mail's sender
/// would. Beyond that, what the request asks needs the rights the same change would need
/// right after (`tkt set`): other requestors and a priority other than the queue's need
/// ModifyTicket, owning it oneself TakeTicket, giving it to someone ModifyTicket. So a
/// requestor creates tickets only as a mail would.
pub fn create(tx: &WriteTx<'_>, s: &Settings, req: &NewTicketRequest, access: &Access, now: Timestamp) -> Result<i64> {
    create_with_files(tx, s, req, &[], access, now)
}

/// [`create`] with files, kept with the first message before the rules run (so the
/// autoreply and notifications see them).
pub fn create_with_files(
    tx: &WriteTx<'_>,
    s: &Settings,
    req: &NewTicketRequest,
    files: &[NewFile],
    access: &Access,
    now: Timestamp,
) -> Result<i64> {
    let queue = known_queue(tx, access, &req.queue, Right::CreateTicket)?;
    let on = On::Queue(&queue);
    access.require(tx, Right::CreateTicket, on)?;
    let requestors = requestors_at_creation(tx, access, on, &req.requestors, now)?;
    let owner = match &req.owner {
        Some(who) => user_named(tx, who)?,
        None => tx.user(NOBODY_ID)?,
    };
    let rights = owner_rights(access.user.id, NOBODY_ID, owner.id);
    if owner.id != NOBODY_ID && !rights.is_empty() {
        access.require_any(tx, rights, on)?;
    }
    // not given: the queue's InitialPriority
    let initial_priority = s.time.initial_priority(&queue.name);
    let priority = req.priority.unwrap_or(initial_priority);
    if priority != initial_priority {
        access.require(tx, Right::ModifyTicket, on)?;
    }
    let subject = one_line(&req.subject);
    let ticket_id = tx.insert_ticket(&NewTicket {
        queue_id: queue.id,
        subject: &subject,
        status: s.lifecycle(&queue).default_initial().clone(),
        owner_id: owner.id,
        priority,
        final_priority: s.time.final_priority(&queue.name),
        creator_id: access.user.id,
        now,
    })?;
    for requestor in &requestors {
        tx.add_watcher(ticket_id, Role::Requestor, requestor.id)?;
    }
    if owner.id != NOBODY_ID {
        let ticket = tx.current_ticket(ticket_id)?;
        may_own(tx, &owner, &ticket)?;
    }
    let transaction_id = tx.insert_transaction(&NewTransaction {
        content: &req.content,
        ..NewTransaction::new(ticket_id, TransactionKind::Create, access.user.id, now)
    })?;
    if !files.is_empty() {
        tx.insert_parts(transaction_id, &file_parts(files))?;
    }
    let happening = Happening {
        content: &req.content,
        ..Happening::new(ticket_id, transaction_id, TransactionKind::Create, &access.user)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(ticket_id)
}

/// The requestors of a new ticket: those named, each made a user if unknown (anyone but
/// oneself needs what `Requestor+=` would: ModifyTicket on the queue), or else the creator.
fn requestors_at_creation(
    tx: &WriteTx<'_>,
    access: &Access,
    on: On<'_>,
    addresses: &[String],
    now: Timestamp,
) -> Result<Vec<User>> {
    if addresses.is_empty() {
        return Ok(access
            .user
            .email
            .is_some()
            .then(|| access.user.clone())
            .into_iter()
            .collect());
    }
    let mut requestors = Vec::new();
    for address in addresses {
        let address = normalize_address(address)
            .ok_or_else(|| Error::Invalid(format!("requestor `{address}` is not an email address")))?;
        if !is_own_address(access, &address) {
            access.require_any(tx, watcher_rights(access, Role::Requestor, &address), on)?;
        }
        requestors.push(tx.ensure_user(&address, "", false, now)?);
    }
    Ok(requestors)
}

/// Replies to (correspond) or comments on a ticket; returns the transaction id and what
/// it was recorded as. The ticket must be one the actor may see (else it "does not
/// exist"); then the one policy mail follows too ([`Access::message_kind`]) decides: a
/// comment needs CommentOnTicket, a reply ReplyToTicket, and a reply from someone neither
/// staff on the queue nor a watcher follows the queue's `non_watcher_mail`.
#[allow(clippy::too_many_arguments, reason = "mirrors the API request one to one")]
pub fn reply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    action: Action,
    content: &str,
    minutes: i64,
    access: &Access,
    now: Timestamp,
) -> Result<(i64, TransactionKind)> {
    let message = Message {
        content,
        minutes,
        ..Message::default()
    };
    respond(tx, s, ticket, action, &message, access, now)
}

/// A reply or comment as a form sends it: text, time worked, files and the one-time
/// Cc and Bcc.
#[derive(Debug, Clone, Copy, Default)]
pub struct Message<'a> {
    pub content: &'a str,
    /// Minutes worked.
    pub minutes: i64,
    pub files: &'a [NewFile],
    /// Copied on this message only: on the requestors' mail for a reply, on the staff's
    /// for a comment (RT's one-time Cc and Bcc).
    pub cc: &'a [String],
    pub bcc: &'a [String],
}

/// At most this many one-time recipients per message: enough for any real copy list, too
/// few to make ticketd a way to send bulk mail.
pub const MAX_ONE_TIME_RECIPIENTS: usize = 20;

/// The one-time Cc and Bcc, each a valid address (cleaned as a header's would be), or a
/// clear refusal naming the first that is not.
fn one_time(message: &Message<'_>) -> Result<OneTime> {
    if message.cc.len() + message.bcc.len() > MAX_ONE_TIME_RECIPIENTS {
        return Err(Error::Invalid(format!(
            "at most {MAX_ONE_TIME_RECIPIENTS} one-time Cc and Bcc addresses may be given with a message"
        )));
    }
    let clean = |list: &[String]| -> Result<Vec<String>> {
        list.iter()
            .map(|a| {
                normalize_address(a)
                    .ok_or_else(|| Error::Invalid(format!("`{}` is not a mail address", crate::text::single_spaced(a))))
            })
            .collect()
    };
    Ok(OneTime::new(clean(message.cc)?, clean(message.bcc)?))
}

/// A file attached by hand (the web form), kept as a mail's attachment would be and sent
/// on with the notifications as those are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub name: String,
    /// `type/subtype` as the browser said; anything else is kept as
    /// `application/octet-stream`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// [`reply`] with files: the same checks, the files stored with the transaction before the
/// rules run, so that the notifications carry them.
pub fn respond(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    action: Action,
    message: &Message<'_>,
    access: &Access,
    now: Timestamp,
) -> Result<(i64, TransactionKind)> {
    let ticket = visible_ticket(tx, access, ticket)?;
    let kind = access.message_kind(tx, &ticket, action)?;
    if message.content.trim().is_empty() {
        return Err(Error::Invalid(
            "the message is empty; give the text with --message or on standard input".into(),
        ));
    }
    if message.minutes < 0 {
        return Err(Error::Invalid("time worked cannot be negative".into()));
    }
    let one_time = one_time(message)?;
    let transaction = NewTransaction {
        content: message.content,
        time_taken: message.minutes,
        ..NewTransaction::new(ticket.id, kind, access.user.id, now)
    };
    let id = tx.insert_transaction(&transaction)?;
    if !message.files.is_empty() {
        tx.insert_parts(id, &file_parts(message.files))?;
    }
    let happening = Happening {
        content: message.content,
        one_time: Some(&one_time),
        ..Happening::new(ticket.id, id, kind, &access.user)
    };
    run_rules(tx, s, &happening, now)?;
    send_one_time_copy(tx, s, &happening, now)?;
    Ok((id, kind))
}

/// Who would get mail if `message` were sent with `changes`: the rules' dry run, undone.
#[allow(clippy::too_many_arguments, reason = "the reply form's fields")]
pub fn preview_recipients(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    action: Action,
    message: &Message<'_>,
    changes: &[Change],
    access: &Access,
    now: Timestamp,
) -> Result<Vec<String>> {
    tx.dry_run(|tx| {
        let (done, trace) = super::notify::traced(|| -> Result<()> {
            respond(tx, s, ticket, action, message, access, now)?;
            if !changes.is_empty() {
                update(tx, s, ticket, changes, access, now)?;
            }
            Ok(())
        });
        done?;
        let mut recipients: Vec<String> = trace.mail.into_iter().flat_map(|m| m.recipients).collect();
        recipients.sort_by_key(|a| a.to_lowercase());
        recipients.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Ok(recipients)
    })
}

/// Files as the MIME parts a transaction keeps.
fn file_parts(files: &[NewFile]) -> Vec<crate::mail::Part> {
    files
        .iter()
        .map(|file| {
            let name = crate::text::single_spaced(file.name.rsplit(['/', '\\']).next().unwrap_or_default());
            let name = if name.is_empty() { "file".to_string() } else { name };
            let content_type = Some(file.content_type.trim().to_ascii_lowercase())
                .filter(|t| {
                    t.split_once('/').is_some_and(|(a, b)| {
                        let token = |s: &str| {
                            !s.is_empty()
                                && s.bytes()
                                    .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
                        };
                        token(a) && token(b)
                    })
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            crate::mail::Part {
                parent: None,
                headers: format!("Content-Type: {content_type}\nContent-Disposition: attachment\n"),
                content_type,
                filename: Some(name),
                content: Some(file.bytes.clone()),
                blob: None,
                message_id: None,
                subject: None,
            }
        })
        .collect()
}

/// Applies changes in order, each its own transaction; all or none are kept (the caller's
/// transaction). Returns the transaction ids.
pub fn update(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket: i64,
    changes: &[Change],
    access: &Access,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let ticket_id = visible_ticket(tx, access, ticket)?.id;
    if changes.is_empty() {
        return Err(Error::Invalid("nothing to change: give field=value pairs".into()));
    }
    let mut transactions = Vec::new();
    for change in changes {
        if let Some(id) = apply(tx, s, ticket_id, change, access, now)? {
            transactions.push(id);
        }
    }
    Ok(transactions)
}

/// A user by login name or address, or Nobody.
fn user_named(tx: &WriteTx<'_>, who: &str) -> Result<User> {
    tx.user_by_name_or_email(who.trim())?
        .ok_or_else(|| Error::NotFound(format!("no user `{who}` (use a login name or address, or Nobody)")))
}

/// The new owner an ownership change asks for, after checking it is allowed: take an
/// unowned ticket (TakeTicket or ModifyTicket), steal one owned by someone else
/// (StealTicket), untake one's own (its owner may), give to someone (ModifyTicket). As in
/// RT, someone without the right is refused for it before the owner is looked at: only
/// those who could take or steal are told the ticket is owned, or unowned, already.
fn new_owner(tx: &WriteTx<'_>, access: &Access, ticket: &TicketRow, change: &Change) -> Result<User> {
    let me = access.user.id;
    let on = On::Ticket(ticket);
    let owner = match change {
        Change::Ownership(OwnerAction::Take) => {
            access.require_any(tx, &[Right::TakeTicket, Right::ModifyTicket], on)?;
            if ticket.owner_id != NOBODY_ID && ticket.owner_id != me {
                let current = tx.user(ticket.owner_id)?;
                return Err(Error::Conflict(format!(
                    "ticket {} is owned by {}; `tkt steal` takes it from them",
                    ticket.id,
                    current.display_name()
                )));
            }
            access.user.clone()
        }
        Change::Ownership(OwnerAction::Steal) => {
            if ticket.owner_id != me {
                access.require(tx, Right::StealTicket, on)?;
            }
            if ticket.owner_id == NOBODY_ID {
                return Err(Error::Conflict(format!(
                    "ticket {} is unowned; `tkt take` takes it",
                    ticket.id
                )));
            }
            access.user.clone()
        }
        Change::Ownership(OwnerAction::Untake) => {
            if ticket.owner_id != me {
                access.require(tx, Right::ModifyTicket, on)?;
            }
            tx.user(NOBODY_ID)?
        }
        Change::Owner(who) => {
            let owner = user_named(tx, who)?;
            let rights = owner_rights(me, ticket.owner_id, owner.id);
            if !rights.is_empty() {
                access.require_any(tx, rights, on)?;
            }
            owner
        }
        _ => unreachable!("only ownership changes come here"),
    };
    if owner.id != NOBODY_ID {
        may_own(tx, &owner, ticket)?;
    }
    Ok(owner)
}

/// The rights of which one lets `me` give a ticket owned by `current` to `new`: taking
/// an unowned ticket (TakeTicket or ModifyTicket), stealing one (StealTicket), giving
/// one's own back (none), anything else (ModifyTicket).
fn owner_rights(me: i64, current: i64, new: i64) -> &'static [Right] {
    if new == me && current == NOBODY_ID {
        &[Right::TakeTicket, Right::ModifyTicket]
    } else if new == me && current != me {
        &[Right::StealTicket]
    } else if new == NOBODY_ID && current == me {
        &[]
    } else {
        &[Right::ModifyTicket]
    }
}

/// Whether `address` is the actor's own.
fn is_own_address(access: &Access, address: &str) -> bool {
    access
        .user
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(address.trim()))
}

/// The rights of which one lets the actor add or remove `address` as a watcher in `role`:
/// themselves as Cc (Watch) or AdminCc (WatchAsAdminCc), or ModifyTicket; anyone else in
/// any role, ModifyTicket.
fn watcher_rights(access: &Access, role: Role, address: &str) -> &'static [Right] {
    match role {
        Role::Cc if is_own_address(access, address) => &[Right::Watch, Right::ModifyTicket],
        Role::AdminCc if is_own_address(access, address) => &[Right::WatchAsAdminCc, Right::ModifyTicket],
        _ => &[Right::ModifyTicket],
    }
}

/// The rights a change needs, beyond those `new_owner` checks. A status change needs what
/// the ticket's lifecycle names for that transition.
fn check_change(tx: &WriteTx<'_>, s: &Settings, access: &Access, ticket: &TicketRow, change: &Change) -> Result<()> {
    let on = On::Ticket(ticket);
    match change {
        Change::Status(to) => {
            // the lifecycle names the right; ModifyTicket covers the ordinary one
            let right = s.lifecycle(&tx.queue(ticket.queue_id)?).right_for(&ticket.status, to);
            if right == Right::ModifyTicketStatus {
                access.require_any(tx, &[Right::ModifyTicketStatus, Right::ModifyTicket], on)
            } else {
                access.require(tx, right, on)
            }
        }
        Change::Owner(_) | Change::Ownership(_) => Ok(()),
        Change::Queue(name) => {
            access.require(tx, Right::ModifyTicket, on)?;
            // moving a ticket into a queue is creating one there
            let queue = known_queue(tx, access, name, Right::CreateTicket)?;
            access.require(tx, Right::CreateTicket, On::Queue(&queue))
        }
        Change::Watcher(WatcherChange { role, address, .. }) => {
            access.require_any(tx, watcher_rights(access, *role, address), on)
        }
        _ => access.require(tx, Right::ModifyTicket, on),
    }
}

/// One change, after checking the actor may make it; `None` when it changed nothing.
fn apply(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    change: &Change,
    access: &Access,
    now: Timestamp,
) -> Result<Option<i64>> {
    let ticket = tx.current_ticket(ticket_id)?;
    if let Change::Link(link) = change {
        // a link is recorded on both tickets; the rules have nothing to say about it yet
        return change_link(tx, access, &ticket, link, now);
    }
    check_change(tx, s, access, &ticket, change)?;
    let owner = match change {
        Change::Owner(_) | Change::Ownership(_) => Some(new_owner(tx, access, &ticket, change)?),
        _ => None,
    };
    let by = By {
        actor: &access.user,
        mail: None,
        depth: 0,
        behalf_of: None,
    };
    change_field(tx, s, &ticket, change, owner.as_ref(), &by, now)
}
