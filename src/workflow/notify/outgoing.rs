//! The mail rules send: what each message is ([`Sent`]), who it speaks for, the thread it
//! joins and the files it carries, composed and put in the outbox in the rule's
//! transaction.

use super::{RuleRun, language_of, limits, queue_notice, render_for_mail, trace};
use crate::error::Result;
use crate::i18n::Lang;
use crate::mail::compose::{self, Files, ListedFile, Notice, OutgoingFile, Submitted};
use crate::ticket::TransactionKind;
use crate::user::{NOBODY_ID, SYSTEM_USER_ID};
use crate::wire::TracedMail;

/// One message a rule sends.
pub(super) struct Outgoing<'a> {
    pub(super) rule: &'a str,
    pub(super) template: &'a str,
    /// With the comment address as Reply-To.
    pub(super) as_comment: bool,
    pub(super) sent: Sent,
    pub(super) to: &'a [String],
    pub(super) cc: &'a [String],
    /// On the envelope only: a one-time Bcc.
    pub(super) bcc: &'a [String],
}

/// What a message a rule sends is: decides its `Auto-Submitted`, the name in its From
/// and whether the files of the message it passes on go along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    /// The answer to a new ticket's requestors: from the queue, `auto-replied`.
    Autoreply,
    /// A staff member's refused commands by mail, back to them: from the queue,
    /// `auto-replied`.
    Report,
    /// What happened on the ticket (the `notify` action): a person's message passed on
    /// as theirs, with its files; anything else `auto-generated`.
    Notification,
    /// A short message to a pager: `auto-generated`.
    Page,
}

impl<'a> Outgoing<'a> {
    /// A notification with the queue's correspond address as Reply-To.
    pub(super) fn notice(rule: &'a str, template: &'a str, to: &'a [String], cc: &'a [String]) -> Outgoing<'a> {
        Outgoing {
            rule,
            template,
            as_comment: false,
            sent: Sent::Notification,
            to,
            cc,
            bcc: &[],
        }
    }
}

/// Where a message joins the ticket's thread.
struct Thread {
    /// The ticket's first Message-ID (`Db::thread_root`), if it has one yet; without one
    /// the message about to be sent becomes it.
    root: Option<String>,
    /// The message it answers.
    in_reply_to: Option<String>,
    /// The thread, oldest first, the root first: every reader's client keeps the ticket
    /// in one thread by it. `compose` cuts it to its first and newest entries.
    references: Vec<String>,
}

impl RuleRun<'_, '_> {
    /// Writes the message into the outbox, one copy per language its recipients read
    /// (each in their own); false when there was nobody to send it to.
    pub(super) fn send(&self, out: &Outgoing<'_>) -> Result<bool> {
        let RuleRun { tx, s, ticket, now, .. } = *self;
        if out.to.is_empty() && out.cc.is_empty() && out.bcc.is_empty() {
            return Ok(false);
        }
        let to = limits::within_limit(tx, s, ticket.id, out.to, now)?;
        let cc = limits::within_limit(tx, s, ticket.id, out.cc, now)?;
        let bcc = limits::within_limit(tx, s, ticket.id, out.bcc, now)?;
        let mut languages: Vec<(String, Lang)> = Vec::new();
        for address in to.iter().chain(&cc).chain(&bcc) {
            languages.push((address.clone(), language_of(tx, s, address)?));
        }
        let mut order: Vec<Lang> = Vec::new();
        for (_, lang) in &languages {
            if !order.contains(lang) {
                order.push(*lang);
            }
        }
        let mut sent = false;
        for lang in order {
            let reads = |address: &String| languages.iter().any(|(a, l)| a == address && *l == lang);
            let pick = |list: &[String]| list.iter().filter(|a| reads(a)).cloned().collect::<Vec<_>>();
            sent |= self.send_in(out, lang, &pick(&to), &pick(&cc), &pick(&bcc))?;
        }
        Ok(sent)
    }

    /// One copy of the message, in `lang`, to these recipients (within their limits).
    fn send_in(&self, out: &Outgoing<'_>, lang: Lang, to: &[String], cc: &[String], bcc: &[String]) -> Result<bool> {
        let RuleRun {
            tx,
            s,
            h,
            ticket,
            queue,
            now,
            ..
        } = *self;
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            return Ok(false);
        }
        let context = self.context(out.rule)?;
        let Some(text) = render_for_mail(s, out.template, &queue.name, lang, &context, Some(ticket.id))? else {
            return Ok(false);
        };
        let thread = self.thread()?;
        // the first mail about a ticket no mail made starts its thread
        let message_id = if thread.root.is_none() {
            compose::new_thread_root_id(ticket.id, &s.from)
        } else {
            compose::new_message_id(ticket.id, &s.from)
        };
        let by_person = self.passes_on_a_persons_message();
        let submitted = match out.sent {
            Sent::Autoreply | Sent::Report => Submitted::AutoReplied,
            Sent::Notification if by_person => Submitted::ByPerson,
            Sent::Notification | Sent::Page => Submitted::AutoGenerated,
        };
        // the system speaks as the queue; people (staff, a requestor to staff) as themselves
        let actor = match out.sent {
            Sent::Autoreply | Sent::Report => None,
            _ if [SYSTEM_USER_ID, NOBODY_ID].contains(&h.actor.id) => None,
            _ => Some(context.actor.name.as_str()),
        };
        let (attached, listed) = if submitted == Submitted::ByPerson {
            self.files()?
        } else {
            Default::default()
        };
        let notice = Notice {
            text: &text,
            submitted,
            ticket_id: Some(ticket.id),
            queue: &queue.name,
            reply_to: if out.as_comment {
                &queue.comment_address
            } else {
                &queue.address
            },
            from: &s.from,
            actor,
            to,
            cc,
            bcc,
            in_reply_to: thread.in_reply_to.as_deref(),
            references: &thread.references,
            message_id: &message_id,
            date: now,
            files: Files {
                attached: &attached,
                listed: &listed,
                limit: s.max_attachment_bytes,
            },
        };
        let Some(composed) = queue_notice(tx, s, &notice, &s.queue_tag(queue), out.rule, Some(h.transaction_id))?
        else {
            return Ok(false);
        };
        tx.record_message_id(&message_id, ticket.id, Some(h.transaction_id), true)?;
        limits::count_sent(tx, ticket.id, &composed.recipients, now)?;
        trace(|t| {
            t.mail.push(TracedMail {
                rule: out.rule.to_string(),
                recipients: composed.recipients.clone(),
                message: String::from_utf8_lossy(&composed.bytes).into_owned(),
            });
        });
        Ok(true)
    }

    /// Whether the transaction is a message a person wrote (a new ticket, a reply, a
    /// comment, by mail or tkt), which notifications pass on as that person's mail. Mail
    /// a machine made, and whatever the system does, is not.
    fn passes_on_a_persons_message(&self) -> bool {
        let h = self.h;
        matches!(
            h.kind,
            TransactionKind::Create | TransactionKind::Correspond | TransactionKind::Comment
        ) && ![SYSTEM_USER_ID, NOBODY_ID].contains(&h.actor.id)
            && h.mail.and_then(|m| m.auto).is_none()
    }

    /// What a message about this transaction answers, and the thread it belongs to: mail
    /// answers the message it came from, within that message's thread; anything else (a
    /// reply written in tkt, a change) answers the ticket's newest message in the
    /// conversation with its requestors, or its first.
    fn thread(&self) -> Result<Thread> {
        let RuleRun { tx, h, ticket, .. } = *self;
        let root = tx.thread_root(ticket.id, &compose::thread_root_prefix(ticket.id))?;
        let mut references: Vec<String> = root.iter().cloned().collect();
        let in_reply_to = match h.mail.and_then(|m| m.message_id.map(|id| (id, m.references))) {
            Some((id, theirs)) => {
                references.extend(theirs.iter().cloned());
                Some(id.to_string())
            }
            None => tx.last_correspondence_message_id(ticket.id)?.or_else(|| root.clone()),
        };
        Ok(Thread {
            root,
            in_reply_to,
            references,
        })
    }

    /// The files of the transaction's message: those that go along within
    /// `mail.max_attachment_bytes_per_notification` (in order, each that still fits),
    /// and the others by name and size, for the body to name.
    fn files(&self) -> Result<(Vec<OutgoingFile>, Vec<ListedFile>)> {
        let RuleRun { tx, s, h, .. } = *self;
        let stored = tx.transaction_files(h.transaction_id)?;
        let sizes: Vec<u64> = stored.iter().map(|f| f.size).collect();
        let mut attached = Vec::new();
        let mut listed = Vec::new();
        for (file, fits) in stored
            .into_iter()
            .zip(compose::files_within(&sizes, s.max_attachment_bytes))
        {
            if fits {
                let content = tx.attachment_content(file.id)?;
                attached.push(OutgoingFile {
                    name: file.name,
                    content_type: content.content_type,
                    bytes: content.bytes,
                });
            } else {
                listed.push(ListedFile {
                    name: file.name,
                    size: file.size,
                });
            }
        }
        Ok((attached, listed))
    }
}
