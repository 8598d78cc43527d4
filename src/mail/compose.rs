//! Writing outgoing mail: a rendered template (see `template`) made a message, with lettre.
//!
//! Every message carries what CONTRACT.md asks of it: the subject tag, a Message-ID ticketd
//! stores, In-Reply-To and References to the message it answers, Reply-To the queue's
//! address (or its comment address), `Auto-Submitted`, `Precedence: bulk` and our loop
//! header. The subject and body come from the template; the headers above are ours.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use lettre::{Address, Message};

use super::loops::LOOP_HEADER;
use super::thread::SubjectTag;
use crate::error::Error;
use crate::template::Rendered;
use crate::ticket::Timestamp;

/// Everything a notification is written from.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// Subject, extra headers and body, from the template.
    pub text: &'a Rendered,
    /// An answer to a requestor's new ticket (`Auto-Submitted: auto-replied`) rather than
    /// a notification (`auto-generated`).
    pub autoreply: bool,
    /// The ticket it is about; `None` for digests, which cover many.
    pub ticket_id: Option<i64>,
    pub queue: &'a str,
    /// The queue's correspond or comment address.
    pub reply_to: &'a str,
    /// `mail.from`: From address and envelope sender.
    pub from: &'a str,
    /// Who acted, as shown in the From name.
    pub actor: &'a str,
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
    let subject = match notice.ticket_id {
        Some(id) => tag.tagged_subject(&notice.text.subject, id),
        None => notice.text.subject.clone(),
    };
    let body = notice.text.body.clone();
    let display = format!("{} via {}", notice.actor, notice.queue);
    let auto_submitted = if notice.autoreply {
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
        .raw_header(raw_header(LOOP_HEADER, system));
    if let Some(id) = notice.ticket_id {
        builder = builder.raw_header(raw_header("X-Ticketd-Ticket", &id.to_string()));
    }
    for (name, value) in &notice.text.headers {
        let Ok(name) = HeaderName::new_from_ascii(name.clone()) else {
            tracing::warn!(header = %name, "leaving out a template header with a bad name");
            continue;
        };
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Rendered {
        Rendered {
            subject: "AutoReply: Printer on fire".into(),
            headers: vec![("X-Custom".into(), "yes".into())],
            body: "It is really burning.\n".into(),
        }
    }

    fn notice<'a>(text: &'a Rendered, to: &'a [String]) -> Notice<'a> {
        Notice {
            text,
            autoreply: true,
            ticket_id: Some(7),
            queue: "general",
            reply_to: "help@tickets.test",
            from: "tickets@tickets.test",
            actor: "alice@example.com",
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
        let m = compose(&notice(&text(), &to), &SubjectTag::new("tickets.test"), "tickets.test")
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
            "X-Custom: yes",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert_eq!(m.recipients, to);
        assert_eq!(m.envelope_from, "tickets@tickets.test");
    }

    #[test]
    fn invalid_recipients_are_left_out() {
        let to = vec!["not an address".to_string()];
        assert!(
            compose(&notice(&text(), &to), &SubjectTag::new("t"), "t")
                .unwrap()
                .is_none()
        );
    }
}
