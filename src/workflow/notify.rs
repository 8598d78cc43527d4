//! Running the rules for a transaction: field changes, and mail into the outbox.
//!
//! Loop protection lives here, in one place for every source: mail that a machine sent
//! gets no autoreply and only notifies staff; our own mail coming back sends nothing; and
//! rules triggered by rule actions stop at [`MAX_RULE_DEPTH`].

use std::cell::{Cell, RefCell};

use serde::Serialize;

use super::Settings;
use super::fields::{Cause, system_change};
use super::limits;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::mail::AutoReason;
use crate::mail::SubjectTag;
use crate::mail::compose::{self, Composed, Notice};
use crate::rules::{ACTOR, Event, FieldChange, Recipient, Rule, RuleAction};
use crate::store::{Db, NewOutgoing, NewTransaction, QueueRow, TicketRow, Webhook, WriteTx};
use crate::template::{ActorVars, Context, QueueVars, Rendered, TicketVars, TransactionVars};
use crate::ticket::{Change, Role, Status, Timestamp, TransactionKind, WatcherChange};
use crate::user::{NOBODY_ID, SYSTEM_USER_ID, User, is_mailer_address};
use crate::wire::{FiredRule, RuleTrace, TracedMail};

mod outgoing;
use outgoing::{Outgoing, Sent};

/// Rules that fire because of rule actions stop at this depth, so rules cannot loop.
pub const MAX_RULE_DEPTH: u32 = 4;

thread_local! {
    /// Set while `traced` runs. The writer runs every change on one thread, so a
    /// thread-local sees exactly the rules of the change being traced.
    static TRACE: RefCell<Option<RuleTrace>> = const { RefCell::new(None) };
}

/// Runs `f` and returns, beside its result, what the rules did meanwhile.
pub(crate) fn traced<T>(f: impl FnOnce() -> T) -> (T, RuleTrace) {
    TRACE.with(|t| *t.borrow_mut() = Some(RuleTrace::default()));
    let result = f();
    let trace = TRACE.with(|t| t.borrow_mut().take()).unwrap_or_default();
    (result, trace)
}

fn trace(record: impl FnOnce(&mut RuleTrace)) {
    TRACE.with(|t| {
        if let Some(trace) = t.borrow_mut().as_mut() {
            record(trace);
        }
    });
}

/// The mail a transaction came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MailOrigin<'a> {
    pub message_id: Option<&'a str>,
    pub references: &'a [String],
    pub auto: Option<&'a AutoReason>,
}

/// The one-time Cc and Bcc a staff member gave with a reply or comment (the web form's,
/// RT's "One-time Cc/Bcc"): copied on the mail that carries the message to its audience,
/// the requestors' for a reply and the staff's for a comment, and on no other mail.
#[derive(Debug, Default)]
pub(crate) struct OneTime {
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    /// Whether a rule's mail took them along; if none did, they get a copy of their own.
    taken: Cell<bool>,
}

impl OneTime {
    pub(crate) fn new(cc: Vec<String>, bcc: Vec<String>) -> OneTime {
        OneTime {
            cc,
            bcc,
            taken: Cell::new(false),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cc.is_empty() && self.bcc.is_empty()
    }
}

/// A transaction that rules should answer.
#[derive(Debug, Clone)]
pub(crate) struct Happening<'a> {
    pub ticket_id: i64,
    pub transaction_id: i64,
    pub kind: TransactionKind,
    pub status_change: Option<(Status, Status)>,
    /// The field it changed, if it changed one.
    pub change: Option<FieldChange>,
    pub actor: &'a User,
    /// For the system's changes: the person whose action set them off, who (like the
    /// actor) gets no copy.
    pub behalf_of: Option<i64>,
    pub content: &'a str,
    pub mail: Option<MailOrigin<'a>>,
    pub one_time: Option<&'a OneTime>,
}

impl<'a> Happening<'a> {
    /// A transaction by `actor` that changed no field.
    pub(crate) fn new(ticket_id: i64, transaction_id: i64, kind: TransactionKind, actor: &'a User) -> Happening<'a> {
        Happening {
            ticket_id,
            transaction_id,
            kind,
            status_change: None,
            change: None,
            actor,
            behalf_of: None,
            content: "",
            mail: None,
            one_time: None,
        }
    }
}

/// Runs every rule that matches a transaction someone made. The service level's Due
/// date is brought up to date before (so what the rules send shows it) and after (a rule
/// may have reopened the ticket).
pub(crate) fn run_rules(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, now: Timestamp) -> Result<()> {
    let changed = |field: &str| h.change.as_ref().is_some_and(|c| c.field == field);
    let moves_due = h.actor.id != SYSTEM_USER_ID
        && match h.kind {
            TransactionKind::Create | TransactionKind::Correspond | TransactionKind::Status => true,
            TransactionKind::Set => changed("SLA") || changed("Queue"),
            _ => false,
        };
    if moves_due {
        super::time::follow_service_level(tx, s, h, now)?;
    }
    run_rules_at(tx, s, h, now, 0)?;
    if moves_due {
        super::time::follow_service_level(tx, s, h, now)?;
    }
    Ok(())
}

/// Records a transaction that carries a message or an alarm and runs the rules on it:
/// staff replies, the scheduler's reminders and service-level alarms alike.
pub(crate) fn record_and_run(
    tx: &WriteTx<'_>,
    s: &Settings,
    transaction: &NewTransaction<'_>,
    actor: &User,
    change: Option<FieldChange>,
    now: Timestamp,
) -> Result<i64> {
    let transaction_id = tx.insert_transaction(transaction)?;
    let happening = Happening {
        content: transaction.content,
        change,
        ..Happening::new(transaction.ticket_id, transaction_id, transaction.kind, actor)
    };
    run_rules(tx, s, &happening, now)?;
    Ok(transaction_id)
}

/// Runs the rules at `depth`: how many rule actions led to this transaction.
pub(crate) fn run_rules_at(
    tx: &WriteTx<'_>,
    s: &Settings,
    h: &Happening<'_>,
    now: Timestamp,
    depth: u32,
) -> Result<()> {
    if depth >= MAX_RULE_DEPTH {
        tracing::warn!(
            ticket = h.ticket_id,
            transaction = h.transaction_id,
            depth,
            "rule loop stopped: rules set off by rule actions {depth} deep; the rules are not run for this \
             transaction (check rules whose actions trigger each other)"
        );
        return Ok(());
    }
    let Some(ticket) = tx.ticket_row(h.ticket_id)? else {
        return Ok(());
    };
    let queue = tx.queue(ticket.queue_id)?;
    let event = event(tx, s, h, &ticket, &queue)?;
    for rule in s.rules.iter().filter(|r| r.matches(&event)) {
        tracing::debug!(ticket = ticket.id, rule = %rule.name, depth, "rule fires");
        trace(|t| {
            t.fired.push(FiredRule {
                rule: rule.name.clone(),
                ticket: ticket.id,
                transaction: h.transaction_id,
                depth,
            });
        });
        let run = RuleRun {
            tx,
            s,
            h,
            ticket: &ticket,
            queue: &queue,
            now,
            depth,
        };
        for action in &rule.actions {
            run.perform(rule, action)?;
        }
    }
    Ok(())
}

/// The facts the rules look at.
fn event(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, ticket: &TicketRow, queue: &QueueRow) -> Result<Event> {
    let owner = owner_name(tx, ticket)?;
    let fields = [
        ("status", ticket.status.to_string()),
        ("owner", owner),
        ("queue", queue.name.clone()),
        ("priority", ticket.priority.to_string()),
        ("subject", ticket.subject.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // custom fields cost a lookup: only when some rule filters on them
    let custom_fields = if s.rules.iter().any(Rule::needs_custom_fields) {
        tx.custom_field_values(ticket.id)?
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect()
    } else {
        Default::default()
    };
    Ok(Event {
        kind: h.kind,
        status_change: h.status_change.clone(),
        change: h.change.clone(),
        actor_privileged: h.actor.privileged,
        actor_is_requestor: tx.is_watcher(ticket.id, Role::Requestor, h.actor.id)?,
        sender: h.actor.email.clone().unwrap_or_else(|| h.actor.name.clone()),
        queue: queue.name.clone(),
        status: ticket.status.clone(),
        subject: ticket.subject.clone(),
        content: h.content.to_string(),
        fields,
        custom_fields,
    })
}

fn owner_name(tx: &Db<'_>, ticket: &TicketRow) -> Result<String> {
    Ok(if ticket.owner_id == NOBODY_ID {
        "Nobody".into()
    } else {
        tx.user(ticket.owner_id)?.name
    })
}

/// One run of the rules on a transaction: what every action of every rule needs.
#[derive(Clone, Copy)]
struct RuleRun<'r, 'c> {
    tx: &'r WriteTx<'c>,
    s: &'r Settings,
    h: &'r Happening<'r>,
    ticket: &'r TicketRow,
    queue: &'r QueueRow,
    now: Timestamp,
    depth: u32,
}

impl RuleRun<'_, '_> {
    /// Carries out one action of a rule that fired.
    fn perform(&self, rule: &Rule, action: &RuleAction) -> Result<()> {
        let RuleRun {
            tx,
            s,
            h,
            ticket,
            now,
            depth,
            ..
        } = *self;
        let auto = h.mail.and_then(|m| m.auto);
        let cause = Cause {
            rule: &rule.name,
            mail: h.mail,
            depth: depth + 1,
            behalf_of: h.behalf_of.or(Some(h.actor.id)),
        };
        let change = |change: Change| system_change(tx, s, ticket.id, &change, &cause, now);
        match action {
            RuleAction::SetStatus { status } => change(Change::Status(status.clone())).map(drop),
            RuleAction::SetPriority { priority } => change(Change::Priority(*priority)).map(drop),
            RuleAction::SetCustomField { field, value } => change(Change::CustomField {
                name: field.clone(),
                value: value.clone(),
            })
            .map(drop),
            RuleAction::MoveQueue { queue } => change(Change::Queue(queue.clone())).map(drop),
            RuleAction::AddWatcher { role, address } => change(Change::Watcher(WatcherChange {
                role: *role,
                address: address.clone(),
                add: true,
            }))
            .map(drop),
            RuleAction::SetOwner { owner } if owner == ACTOR => {
                if !h.actor.privileged {
                    tracing::debug!(ticket = ticket.id, rule = %rule.name, "set_owner: the actor is not staff");
                    return Ok(());
                }
                change(Change::Owner(h.actor.name.clone())).map(drop)
            }
            RuleAction::SetOwner { owner } => change(Change::Owner(owner.clone())).map(drop),
            // not mail: machines calling machines is what webhooks are for
            RuleAction::Webhook { url, timeout_secs } => {
                let hook = Webhook {
                    url: url.clone(),
                    timeout_secs: *timeout_secs,
                };
                self.webhook(&rule.name, &hook)
            }
            _ if auto.is_some_and(AutoReason::is_own) => {
                tracing::info!(ticket = ticket.id, rule = %rule.name, "no mail: the message is our own come back");
                Ok(())
            }
            RuleAction::Autoreply { .. } if auto.is_some() => {
                tracing::info!(ticket = ticket.id, reason = %auto.map(ToString::to_string).unwrap_or_default(),
                "no autoreply to machine-made mail");
                Ok(())
            }
            RuleAction::Autoreply { template } => self.autoreply(&rule.name, template),
            RuleAction::Page { to, template } => {
                let mut list = Vec::new();
                for address in to {
                    push_fixed(s, address, &mut list);
                }
                let out = Outgoing {
                    sent: Sent::Page,
                    ..Outgoing::notice(&rule.name, template, &list, &[])
                };
                self.send(&out).map(drop)
            }
            RuleAction::Notify {
                to: recipients,
                as_comment,
                template,
            } => {
                let mut to = Vec::new();
                let mut cc = Vec::new();
                let with_requestors = recipients.contains(&Recipient::Role(Role::Requestor));
                for recipient in recipients {
                    // Ccs are copied on what goes to the requestors
                    let list = if *recipient == Recipient::Role(Role::Cc) && with_requestors {
                        &mut cc
                    } else {
                        &mut to
                    };
                    if let Recipient::Address(address) = recipient {
                        push_fixed(s, address, list);
                        continue;
                    }
                    for user in users_of(tx, ticket, recipient)? {
                        // mail made by a machine reaches staff only: two autoresponders
                        // must not be able to talk to each other through a ticket
                        if auto.is_some() && !user.privileged {
                            continue;
                        }
                        if user.id != h.actor.id && Some(user.id) != h.behalf_of {
                            push_address(s, &user, list);
                        }
                    }
                }
                let mut bcc = Vec::new();
                let audience = match h.kind {
                    TransactionKind::Correspond => with_requestors,
                    TransactionKind::Comment => *as_comment,
                    _ => false,
                };
                if let Some(one_time) = h.one_time.filter(|_| audience) {
                    one_time.taken.set(true);
                    for address in &one_time.cc {
                        push_fixed(s, address, &mut cc);
                    }
                    for address in &one_time.bcc {
                        push_fixed(s, address, &mut bcc);
                    }
                }
                cc.retain(|a| !to.contains(a));
                bcc.retain(|a| !to.contains(a) && !cc.contains(a));
                // Told: when a requestor was last sent something (requestors are `to`)
                let told = with_requestors && !to.is_empty();
                let out = Outgoing {
                    as_comment: *as_comment,
                    bcc: &bcc,
                    ..Outgoing::notice(&rule.name, template, &to, &cc)
                };
                if self.send(&out)? && told {
                    tx.set_told(ticket.id, now)?;
                }
                Ok(())
            }
        }
    }
}

/// The users a recipient names: a role's watchers (the queue's included), or a group's
/// members.
fn users_of(tx: &WriteTx<'_>, ticket: &TicketRow, recipient: &Recipient) -> Result<Vec<User>> {
    Ok(match recipient {
        Recipient::Role(Role::Owner) if ticket.owner_id == NOBODY_ID => Vec::new(),
        Recipient::Role(Role::Owner) => vec![tx.user(ticket.owner_id)?],
        Recipient::Role(Role::Requestor) => tx.ticket_watchers(ticket.id, Role::Requestor)?,
        Recipient::Role(role) => {
            let mut users = tx.ticket_watchers(ticket.id, *role)?;
            users.extend(tx.queue_watchers(ticket.queue_id, *role)?);
            users
        }
        Recipient::Group(name) => match tx.group_id(name)? {
            Some(group) => tx.users_in(&[group])?,
            None => {
                tracing::warn!(group = %name, "a rule notifies a group that does not exist");
                Vec::new()
            }
        },
        Recipient::Address(_) => Vec::new(),
    })
}

/// Adds the user's address unless it must never get mail from us.
fn push_address(s: &Settings, user: &User, list: &mut Vec<String>) {
    if user.disabled {
        return;
    }
    if let Some(email) = &user.email {
        push_fixed(s, email, list);
    }
}

/// Adds an address unless it is ours or a mailer's (or already there).
fn push_fixed(s: &Settings, address: &str, list: &mut Vec<String>) {
    let lower = address.to_lowercase();
    if s.own_addresses.contains(&lower) || is_mailer_address(address) || list.iter().any(|a| a.to_lowercase() == lower)
    {
        return;
    }
    list.push(address.to_string());
}

impl RuleRun<'_, '_> {
    /// Answers each requestor of a new ticket, within the hourly limit per address.
    fn autoreply(&self, rule: &str, template: &str) -> Result<()> {
        let RuleRun { tx, s, ticket, now, .. } = *self;
        let hour_ago = now - chrono::Duration::hours(1);
        for user in tx.ticket_watchers(ticket.id, Role::Requestor)? {
            let mut to = Vec::new();
            push_address(s, &user, &mut to);
            let Some(address) = to.first() else { continue };
            let Some(taken) = tx.take_autoreply(address, hour_ago, s.autoreply_limit_per_hour, now)? else {
                tracing::warn!(ticket = ticket.id, %address, limit = s.autoreply_limit_per_hour,
                "autoreply rate limit reached: no autoreply");
                continue;
            };
            let out = Outgoing {
                sent: Sent::Autoreply,
                ..Outgoing::notice(rule, template, &to, &[])
            };
            if !self.send(&out)? {
                tx.return_autoreply(taken)?;
            }
        }
        Ok(())
    }
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
    let queue = tx.queue(ticket.queue_id)?;
    let mut to = Vec::new();
    push_address(s, h.actor, &mut to);
    let text = refused.join("\n\n");
    let report = Happening {
        content: &text,
        ..h.clone()
    };
    let out = Outgoing {
        sent: Sent::Report,
        ..Outgoing::notice("command-errors", "command_errors", &to, &[])
    };
    let run = RuleRun {
        tx,
        s,
        h: &report,
        ticket: &ticket,
        queue: &queue,
        now,
        depth: 0,
    };
    run.send(&out).map(drop)
}

/// Sends the one-time Cc and Bcc of a reply or comment their own copy when no rule's mail
/// took them along (no rule tells the requestors, or the staff of a comment): the built-in
/// rules' template for that message, from the queue as any notification.
pub(crate) fn send_one_time_copy(tx: &WriteTx<'_>, s: &Settings, h: &Happening<'_>, now: Timestamp) -> Result<()> {
    let Some(one_time) = h.one_time.filter(|o| !o.is_empty() && !o.taken.get()) else {
        return Ok(());
    };
    let Some(ticket) = tx.ticket_row(h.ticket_id)? else {
        return Ok(());
    };
    let queue = tx.queue(ticket.queue_id)?;
    let (template, as_comment) = match h.kind {
        TransactionKind::Comment => ("admin_comment", true),
        _ => ("correspondence", false),
    };
    let mut cc = Vec::new();
    let mut bcc = Vec::new();
    for address in &one_time.cc {
        push_fixed(s, address, &mut cc);
    }
    for address in &one_time.bcc {
        push_fixed(s, address, &mut bcc);
    }
    bcc.retain(|a| !cc.contains(a));
    let out = Outgoing {
        as_comment,
        bcc: &bcc,
        ..Outgoing::notice("one-time-recipients", template, &[], &cc)
    };
    let run = RuleRun {
        tx,
        s,
        h,
        ticket: &ticket,
        queue: &queue,
        now,
        depth: 0,
    };
    run.send(&out).map(drop)
}

/// The language mail to `address` is written in: its user's own choice (`lang`), else
/// `mail.language`.
pub(crate) fn language_of(tx: &Db<'_>, s: &Settings, address: &str) -> Result<Lang> {
    Ok(tx
        .user_by_email(address)?
        .and_then(|user| user.lang.as_deref().and_then(Lang::from_tag))
        .unwrap_or(s.mail_language))
}

/// Renders a template for mail. One that fails to render sends nothing and is logged:
/// a broken template must not fail the change (or quarantine the mail) it reports.
pub(crate) fn render_for_mail(
    s: &Settings,
    template: &str,
    queue: &str,
    lang: Lang,
    context: &impl Serialize,
    ticket: Option<i64>,
) -> Result<Option<Rendered>> {
    match s.templates.render(template, queue, lang, context) {
        Ok(text) => Ok(Some(text)),
        Err(e) if !e.is_temporary() => {
            tracing::error!(?ticket, template, error = %e, "template failed: no mail sent");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Renders a template and puts the mail it makes in the outbox, from ticketd itself (a
/// digest, a password link): no ticket, `Auto-Submitted: auto-generated`. A broken
/// template sends nothing and is logged, like a rule's. Whether a mail was queued.
#[allow(clippy::too_many_arguments, reason = "a notice's parts, each different")]
pub(crate) fn send_system_notice(
    tx: &WriteTx<'_>,
    s: &Settings,
    template: &str,
    queue: Option<&QueueRow>,
    to: &[String],
    context: &impl Serialize,
    actor: &str,
    now: Timestamp,
) -> Result<bool> {
    let queue_name = queue.map_or("", |q| q.name.as_str());
    let lang = match to.first() {
        Some(address) => language_of(tx, s, address)?,
        None => s.mail_language,
    };
    let Some(text) = render_for_mail(s, template, queue_name, lang, context, None)? else {
        return Ok(false);
    };
    let message_id = compose::new_message_id(0, &s.from);
    let notice = Notice {
        text: &text,
        submitted: compose::Submitted::AutoGenerated,
        ticket_id: None,
        queue: if queue_name.is_empty() { "ticketd" } else { queue_name },
        reply_to: queue.map_or(s.from.as_str(), |q| q.address.as_str()),
        from: &s.from,
        actor: Some(actor),
        to,
        cc: &[],
        bcc: &[],
        in_reply_to: None,
        references: &[],
        message_id: &message_id,
        date: now,
        files: compose::Files::default(),
    };
    Ok(queue_notice(tx, s, &notice, &s.tag, template, None)?.is_some())
}

/// Composes a notice (tagged with `tag`) and puts it in the outbox as `kind`, on the
/// notice's ticket and `transaction` if any: what rules and digests send alike. `None`
/// when none of its recipients is a valid address, or when it cannot be composed: like a
/// template that fails, that is logged and sends nothing, and never fails the change (or
/// quarantines the mail) it reports.
pub(crate) fn queue_notice(
    tx: &WriteTx<'_>,
    s: &Settings,
    notice: &Notice<'_>,
    tag: &SubjectTag,
    kind: &str,
    transaction: Option<i64>,
) -> Result<Option<Composed>> {
    let composed = match compose::compose(notice, tag, s.tag.name()) {
        Ok(Some(composed)) => composed,
        Ok(None) => return Ok(None),
        Err(e) if !e.is_temporary() => {
            tracing::error!(ticket = ?notice.ticket_id, kind, error = %e, "composing mail failed: no mail sent");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    tx.enqueue(&NewOutgoing {
        ticket_id: notice.ticket_id,
        transaction_id: transaction,
        kind,
        message_id: notice.message_id,
        envelope_from: &composed.envelope_from,
        recipients: &composed.recipients,
        message: &composed.bytes,
        webhook: None,
        now: notice.date,
    })?;
    Ok(Some(composed))
}

impl RuleRun<'_, '_> {
    /// The template variables for what `rule` sends.
    fn context(&self, rule: &str) -> Result<Context> {
        template_context(self.tx, self.s, self.h, self.ticket, self.queue, rule, self.now)
    }

    /// Queues a webhook call: the template variables as JSON.
    fn webhook(&self, rule: &str, hook: &Webhook) -> Result<()> {
        let RuleRun { tx, h, ticket, now, .. } = *self;
        let context = self.context(rule)?;
        let body = serde_json::to_vec(&context).map_err(|e| Error::Internal(format!("webhook payload: {e}")))?;
        tx.enqueue(&NewOutgoing {
            ticket_id: Some(ticket.id),
            transaction_id: Some(h.transaction_id),
            kind: rule,
            message_id: &format!("webhook.{}", uuid::Uuid::new_v4().simple()),
            envelope_from: "",
            recipients: std::slice::from_ref(&hook.url),
            message: &body,
            webhook: Some(hook),
            now,
        })?;
        trace(|t| {
            t.mail.push(TracedMail {
                rule: rule.to_string(),
                recipients: vec![hook.url.clone()],
                message: String::from_utf8_lossy(&body).into_owned(),
            });
        });
        Ok(())
    }
}

/// Everything a template may use, as the ticket stands now.
pub(crate) fn template_context(
    tx: &Db<'_>,
    s: &Settings,
    h: &Happening<'_>,
    ticket: &TicketRow,
    queue: &QueueRow,
    rule: &str,
    now: Timestamp,
) -> Result<Context> {
    let emails = |role| -> Result<Vec<String>> {
        Ok(tx
            .ticket_watchers(ticket.id, role)?
            .into_iter()
            .filter_map(|u| u.email)
            .collect())
    };
    let custom_fields = tx
        .custom_field_values(ticket.id)?
        .into_iter()
        .map(|(k, v)| (k, v.join(", ")))
        .collect();
    let change = h.change.as_ref();
    Ok(Context {
        ticket: TicketVars {
            id: ticket.id,
            subject: ticket.subject.clone(),
            status: ticket.status.to_string(),
            priority: ticket.priority,
            owner: owner_name(tx, ticket)?,
            queue: queue.name.clone(),
            requestors: emails(Role::Requestor)?,
            cc: emails(Role::Cc)?,
            admincc: emails(Role::AdminCc)?,
            due: ticket.due.map(|d| d.to_rfc3339()),
            time_worked: ticket.time_worked,
            custom_fields,
            url: s.web_url.as_ref().map(|web| format!("{web}/ticket/{}", ticket.id)),
            portal_url: s
                .web_url
                .as_ref()
                .map(|web| format!("{web}/portal/ticket/{}", ticket.id)),
        },
        transaction: TransactionVars {
            id: h.transaction_id,
            kind: h.kind.as_str().to_string(),
            field: change.map(|c| c.field.clone()),
            old_value: change.map(|c| c.old.clone()),
            new_value: change.map(|c| c.new.clone()),
            created: now.to_rfc3339(),
        },
        queue: QueueVars {
            name: queue.name.clone(),
            address: queue.address.clone(),
            comment_address: queue.comment_address.clone(),
        },
        actor: ActorVars {
            name: if h.actor.real_name.is_empty() {
                h.actor.display_name().to_string()
            } else {
                h.actor.real_name.clone()
            },
            email: h.actor.email.clone().unwrap_or_default(),
            privileged: h.actor.privileged,
        },
        message: crate::template::excerpt(h.content, s.max_quoted_bytes, ticket.id),
        tag: s.queue_tag(queue).for_ticket(ticket.id),
        rule: rule.to_string(),
    })
}
