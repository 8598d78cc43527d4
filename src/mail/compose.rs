//! Writing outgoing mail: the text of each notification and its headers, with lettre.
//!
//! Every message carries what DESIGN.md asks of it: the subject tag, a Message-ID ticketd
//! stores, In-Reply-To and References to the message it answers, Reply-To the queue's
//! address (or its comment address), `Auto-Submitted`, `Precedence: bulk` and our loop
//! header. The texts follow RT's shipped templates; a later issue makes them configurable.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use lettre::{Address, Message};

use super::loops::LOOP_HEADER;
use super::thread::SubjectTag;
use crate::error::Error;
use crate::rules::Template;
use crate::ticket::Timestamp;

/// Everything a notification is written from.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub template: Template,
    pub ticket_id: i64,
    pub ticket_subject: &'a str,
    pub queue: &'a str,
    /// The queue's correspond or comment address.
    pub reply_to: &'a str,
    /// `mail.from`: From address and envelope sender.
    pub from: &'a str,
    /// Who acted, as shown in the From name.
    pub actor: &'a str,
    /// The transaction's text.
    pub content: &'a str,
    pub to: &'a [String],
    pub cc: &'a [String],
    /// The Message-ID of the mail this answers, if it came from mail.
    pub in_reply_to: Option<&'a str>,
    /// References of that mail, oldest first.
    pub references: &'a [String],
    pub message_id: &'a str,
    pub date: Timestamp,
}

/// A composed message with its envelope.
#[derive(Debug, Clone)]
pub struct Composed {
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
}

/// A fresh Message-ID (without angle brackets) in the domain of `from`.
pub fn new_message_id(ticket_id: i64, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    format!("ticketd.{ticket_id}.{}@{domain}", uuid::Uuid::new_v4().simple())
}

/// Writes the message, tagged with `tag` (the queue's) and with our loop header naming
/// `system` (`mail.tag`). Recipients that are not valid addresses are left out; if none
/// is left the result is `None`.
pub fn compose(notice: &Notice<'_>, tag: &SubjectTag, system: &str) -> Result<Option<Composed>, Error> {
    let invalid = |what: &str, value: &str| Error::Invalid(format!("{what} `{value}` is not a valid address"));
    let from_address: Address = notice.from.parse().map_err(|_| invalid("mail.from", notice.from))?;
    let reply_to: Address = notice
        .reply_to
        .parse()
        .map_err(|_| invalid("queue address", notice.reply_to))?;
    let to = mailboxes(notice.to);
    let cc = mailboxes(notice.cc);
    if to.is_empty() && cc.is_empty() {
        return Ok(None);
    }
    let (subject, body) = render(notice, tag);
    let display = format!("{} via {}", notice.actor, notice.queue);
    let auto_submitted = if notice.template == Template::Autoreply {
        "auto-replied"
    } else {
        "auto-generated"
    };

    let mut builder = MessageBuilder::new()
        .from(Mailbox::new(Some(display), from_address.clone()))
        .reply_to(Mailbox::new(Some(notice.queue.to_string()), reply_to))
        .subject(subject)
        .message_id(Some(format!("<{}>", notice.message_id)))
        .date(SystemTime::from(notice.date))
        .header(ContentType::TEXT_PLAIN)
        .raw_header(raw_header("Auto-Submitted", auto_submitted))
        .raw_header(raw_header("Precedence", "bulk"))
        .raw_header(raw_header(LOOP_HEADER, system))
        .raw_header(raw_header("X-Ticketd-Ticket", &notice.ticket_id.to_string()));
    if let Some(parent) = notice.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    let references: Vec<String> = notice
        .references
        .iter()
        .map(String::as_str)
        .chain(notice.in_reply_to)
        .map(|id| format!("<{id}>"))
        .collect();
    if !references.is_empty() {
        // the newest few: enough for clients to thread, short enough for any header limit
        let start = references.len().saturating_sub(10);
        builder = builder.references(references[start..].join(" "));
    }
    for mailbox in &to {
        builder = builder.to(mailbox.clone());
    }
    for mailbox in &cc {
        builder = builder.cc(mailbox.clone());
    }
    let recipients: Vec<Address> = to.iter().chain(&cc).map(|m| m.email.clone()).collect();
    let envelope = lettre::address::Envelope::new(Some(from_address), recipients.clone())
        .map_err(|e| Error::Invalid(format!("cannot build the envelope: {e}")))?;
    let message: Message = builder
        .envelope(envelope)
        .body(body)
        .map_err(|e| Error::Internal(format!("cannot build a notification: {e}")))?;
    Ok(Some(Composed {
        envelope_from: notice.from.to_string(),
        recipients: recipients.iter().map(ToString::to_string).collect(),
        bytes: message.formatted(),
    }))
}

fn mailboxes(addresses: &[String]) -> Vec<Mailbox> {
    addresses
        .iter()
        .filter_map(|a| match a.parse::<Address>() {
            Ok(address) => Some(Mailbox::new(None, address)),
            Err(_) => {
                tracing::warn!(address = %a, "leaving out a recipient that is not a valid address");
                None
            }
        })
        .collect()
}

fn raw_header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

/// Subject and body of a notification.
fn render(n: &Notice<'_>, tag: &SubjectTag) -> (String, String) {
    let id = n.ticket_id;
    let tagged = |s: &str| tag.tagged_subject(s, id);
    match n.template {
        Template::Autoreply => (
            format!("{} AutoReply: {}", tag.for_ticket(id), n.ticket_subject),
            format!(
                "Greetings,\n\n\
                 This message has been automatically generated in response to the\n\
                 creation of a ticket regarding:\n\
                 \t\"{subject}\",\n\
                 a summary of which appears below.\n\n\
                 There is no need to reply to this message right now. Your ticket has been\n\
                 assigned an ID of {tag}.\n\n\
                 Please include the string:\n\n\
                 \x20        {tag}\n\n\
                 in the subject line of all future correspondence about this issue. To do so,\n\
                 you may reply to this message.\n\n\
                 \x20                       Thank you,\n\
                 \x20                       {address}\n\n\
                 -------------------------------------------------------------------------\n\
                 {content}\n",
                subject = n.ticket_subject,
                tag = tag.for_ticket(id),
                address = n.reply_to,
                content = summary(n.content),
            ),
        ),
        Template::NewTicket => (
            tagged(n.ticket_subject),
            format!(
                "New ticket #{id} in queue {queue} from {actor}:\n\
                 Subject: {subject}\n\n{content}\n",
                queue = n.queue,
                actor = n.actor,
                subject = n.ticket_subject,
                content = n.content,
            ),
        ),
        Template::Correspondence => (tagged(n.ticket_subject), format!("{}\n", n.content)),
        Template::AdminCorrespondence => (
            tagged(n.ticket_subject),
            format!("Ticket #{id}: reply from {}\n\n{}\n", n.actor, n.content),
        ),
        Template::AdminComment => (
            format!("{} [Comment] {}", tag.for_ticket(id), n.ticket_subject),
            format!(
                "This is a comment. It is not sent to the Requestor(s):\n\n{}\n",
                n.content
            ),
        ),
        Template::OwnerChanged => (
            tagged(&format!("Ticket assigned to you: {}", n.ticket_subject)),
            format!(
                "Ticket #{id} in queue {queue} has been given to you by {actor}.\n\n\
                 Subject: {subject}\n",
                queue = n.queue,
                actor = n.actor,
                subject = n.ticket_subject,
            ),
        ),
        Template::Resolved => (
            format!("{} Resolved: {}", tag.for_ticket(id), n.ticket_subject),
            "According to our records, your request has been resolved. If you have any\n\
             further questions or concerns, please respond to this message.\n"
                .to_string(),
        ),
        Template::CommandErrors => (
            tagged(&format!("Commands refused: {}", n.ticket_subject)),
            format!(
                "Your message was added to ticket #{id}, but these commands in it were not\n\
                 carried out:\n\n{}\n\nThe other commands, if any, were.\n",
                n.content
            ),
        ),
    }
}

/// The start of a message, for quoting back to its sender: a summary, not a copy of
/// everything they sent.
fn summary(content: &str) -> String {
    const LINES: usize = 30;
    const CHARS: usize = 3000;
    let mut out: String = content.lines().take(LINES).collect::<Vec<_>>().join("\n");
    if out.chars().count() > CHARS {
        out = out.chars().take(CHARS).collect();
    }
    if out.len() < content.trim_end().len() {
        out.push_str("\n[...]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice<'a>(template: Template, to: &'a [String]) -> Notice<'a> {
        Notice {
            template,
            ticket_id: 7,
            ticket_subject: "Printer on fire",
            queue: "general",
            reply_to: "help@tickets.test",
            from: "tickets@tickets.test",
            actor: "alice@example.com",
            content: "It is really burning.",
            to,
            cc: &[],
            in_reply_to: Some("c1@example.com"),
            references: &[],
            message_id: "ticketd.7.x@tickets.test",
            date: chrono::Utc::now(),
        }
    }

    #[test]
    fn autoreply_carries_every_header_design_asks_for() {
        let to = vec!["alice@example.com".to_string()];
        let m = compose(
            &notice(Template::Autoreply, &to),
            &SubjectTag::new("tickets.test"),
            "tickets.test",
        )
        .unwrap()
        .unwrap();
        let text = String::from_utf8(m.bytes).unwrap();
        for needle in [
            "Subject: [tickets.test #7] AutoReply: Printer on fire",
            "Message-ID: <ticketd.7.x@tickets.test>",
            "In-Reply-To: <c1@example.com>",
            "References: <c1@example.com>",
            "Reply-To: general <help@tickets.test>",
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "X-Ticketd-Loop: tickets.test",
            "To: alice@example.com",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert_eq!(m.recipients, to);
        assert_eq!(m.envelope_from, "tickets@tickets.test");
    }

    #[test]
    fn the_autoreply_quotes_a_summary() {
        let long: String = (0..100).map(|n| format!("line {n}\n")).collect();
        let short = summary(&long);
        assert!(short.starts_with("line 0\nline 1"));
        assert!(short.ends_with("line 29\n[...]"), "{short}");
        assert_eq!(summary("one line\n"), "one line");
    }

    #[test]
    fn invalid_recipients_are_left_out() {
        let to = vec!["not an address".to_string()];
        assert!(
            compose(&notice(Template::Correspondence, &to), &SubjectTag::new("t"), "t")
                .unwrap()
                .is_none()
        );
    }
}
