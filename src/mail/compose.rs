//! Writing outgoing mail: a rendered template (see `template`) made a message, with lettre.
//!
//! Every message carries what CONTRACT.md asks of it: the subject tag, a Message-ID ticketd
//! stores, In-Reply-To and References to the message it answers, Reply-To the queue's
//! address (or its comment address), `Auto-Submitted`, `Precedence: bulk` and our loop
//! header. The subject and body come from the template; the headers above are ours.
//!
//! Whatever a sender put in a subject or a name, what goes out is well-formed: header
//! values are one line without control characters (`text::one_line`), cut to a bounded
//! length, and folded by lettre, so no line passes 998 characters (RFC 5322); Message-IDs
//! that could not be one are left out. The body gets CRLF line endings here, in one pass:
//! lettre would insert each CR with `String::insert`, quadratic in the size of the text.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use lettre::{Address, Message};

use super::loops::LOOP_HEADER;
use super::thread::SubjectTag;
use crate::error::Error;
use crate::template::Rendered;
use crate::text::one_line;
use crate::ticket::Timestamp;

/// The longest line a message may have (RFC 5322 2.1.1), without its CRLF.
pub const MAX_LINE: usize = 998;
/// A subject is cut to this many characters: enough for any real one, and with the tag
/// still far from [`MAX_LINE`] when lettre cannot fold it (one long word).
const MAX_SUBJECT_CHARS: usize = 250;
/// A name in From (the actor's, the queue's) is cut to this many characters.
const MAX_NAME_CHARS: usize = 100;
/// A template's extra header value is cut to this many characters.
const MAX_HEADER_CHARS: usize = 500;
/// A Message-ID longer than this is left out of In-Reply-To and References.
const MAX_MESSAGE_ID: usize = 250;

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
    let to = addresses(notice.to);
    let cc = addresses(notice.cc);
    if to.is_empty() && cc.is_empty() {
        return Ok(None);
    }
    let subject = header_text(&notice.text.subject, MAX_SUBJECT_CHARS);
    let subject = match notice.ticket_id {
        Some(id) => tag.tagged_subject(&subject, id),
        None => subject,
    };
    let body = crlf(&notice.text.body);
    let display = format!(
        "{} via {}",
        header_text(notice.actor, MAX_NAME_CHARS),
        header_text(notice.queue, MAX_NAME_CHARS)
    );
    let auto_submitted = if notice.autoreply {
        "auto-replied"
    } else {
        "auto-generated"
    };

    let mut builder = MessageBuilder::new()
        .from(Mailbox::new(Some(display), from_address.clone()))
        .reply_to(Mailbox::new(Some(header_text(notice.queue, MAX_NAME_CHARS)), reply_to))
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
        // a name longer than a folded line could not start one
        let valid = HeaderName::new_from_ascii(name.clone())
            .ok()
            .filter(|_| name.len() <= 76);
        let Some(name) = valid else {
            tracing::warn!(header = %name, "leaving out a template header with a bad name");
            continue;
        };
        builder = builder.raw_header(HeaderValue::new(name, header_text(value, MAX_HEADER_CHARS)));
    }
    let in_reply_to = notice.in_reply_to.filter(|id| usable_message_id(id));
    if let Some(parent) = in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    let references: Vec<String> = notice
        .references
        .iter()
        .map(String::as_str)
        .filter(|id| usable_message_id(id))
        .chain(in_reply_to)
        .map(|id| format!("<{id}>"))
        .collect();
    if !references.is_empty() {
        // the newest few: enough for clients to thread, short enough for any header limit
        let start = references.len().saturating_sub(10);
        builder = builder.references(references[start..].join(" "));
    }
    if !to.is_empty() {
        builder = builder.raw_header(address_list("To", &to));
    }
    if !cc.is_empty() {
        builder = builder.raw_header(address_list("Cc", &cc));
    }
    let recipients: Vec<Address> = to.iter().chain(&cc).cloned().collect();
    let envelope = lettre::address::Envelope::new(Some(from_address), recipients.clone())
        .map_err(|e| Error::Invalid(format!("cannot build the envelope: {e}")))?;
    let message: Message = builder
        .envelope(envelope)
        .body(body)
        .map_err(|e| Error::Internal(format!("cannot build a notification: {e}")))?;
    let bytes = message.formatted();
    if let Some(line) = bytes.split(|b| *b == b'\n').find(|line| line.len() > MAX_LINE + 1) {
        return Err(Error::Internal(format!(
            "a line of the notification is {} bytes long, more than mail allows: {}...",
            line.len(),
            String::from_utf8_lossy(&line[..60])
        )));
    }
    Ok(Some(Composed {
        envelope_from: notice.from.to_string(),
        recipients: recipients.iter().map(ToString::to_string).collect(),
        bytes,
    }))
}

/// A value for a header: one line without control characters, cut to `max` characters
/// (with an ellipsis).
fn header_text(value: &str, max: usize) -> String {
    let line = one_line(value);
    match line.char_indices().nth(max) {
        None => line,
        Some(_) => {
            let cut: String = line.chars().take(max - 1).collect();
            format!("{}…", cut.trim_end())
        }
    }
}

/// Whether a Message-ID can go in a header as it is: not too long, and nothing in it that
/// would end or split the `<...>`.
fn usable_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID
        && !id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>'))
}

/// `text` with every line ending (LF, CR or CRLF) made CRLF, in one pass.
fn crlf(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 32 + 2);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push_str(&text[start..i]);
                out.push_str("\r\n");
                start = i + 1;
            }
            b'\r' => {
                out.push_str(&text[start..i]);
                out.push_str("\r\n");
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[start..]);
    out
}

fn addresses(addresses: &[String]) -> Vec<Address> {
    addresses
        .iter()
        .filter_map(|a| match a.parse::<Address>() {
            Ok(address) => Some(address),
            Err(_) => {
                tracing::warn!(address = %a, "leaving out a recipient that is not a valid address");
                None
            }
        })
        .collect()
}

/// An address header (To, Cc), folded between addresses: lettre writes a list on one
/// line, which passes [`MAX_LINE`] with a few dozen recipients.
fn address_list(name: &'static str, addresses: &[Address]) -> HeaderValue {
    let mut folded = String::new();
    let mut line = name.len() + ": ".len();
    for (i, address) in addresses.iter().map(AsRef::<str>::as_ref).enumerate() {
        if i > 0 {
            folded.push(',');
            if line + 2 + address.len() > 78 {
                folded.push_str("\r\n ");
                line = 1;
            } else {
                folded.push(' ');
                line += 2;
            }
        }
        folded.push_str(address);
        line += address.len();
    }
    let raw = addresses
        .iter()
        .map(AsRef::<str>::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    // each address was checked by lettre (no line breaks, no controls), so the folded
    // text is a valid header value as it is
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), raw, folded)
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

    /// Every line of `bytes`, without its CRLF, is at most [`MAX_LINE`] long.
    fn assert_short_lines(bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        for line in text.split("\r\n") {
            assert!(line.len() <= MAX_LINE, "a line of {} bytes: {line:.80}...", line.len());
        }
    }

    #[test]
    fn hostile_subjects_names_and_ids_give_short_lines() {
        let long_word = "x".repeat(5000);
        let long_words = "word ".repeat(2000);
        let long_umlauts = "Ä".repeat(3000);
        let long_id = format!("{}@example.com", "i".repeat(2000));
        let references = vec![long_id.clone(), "ok@example.com".to_string()];
        for subject in [&long_word, &long_words, &long_umlauts] {
            let mut rendered = text();
            rendered.subject = format!("Re: {subject}\r\nBcc: evil@example.net");
            rendered.headers = vec![("X-Long".into(), long_word.clone())];
            let to = vec!["alice@example.com".to_string()];
            let n = Notice {
                actor: &long_word,
                in_reply_to: Some(&long_id),
                references: &references,
                ..notice(&rendered, &to)
            };
            let m = compose(&n, &SubjectTag::new("tickets.test"), "tickets.test")
                .unwrap()
                .unwrap();
            assert_short_lines(&m.bytes);
            let text = String::from_utf8(m.bytes).unwrap();
            assert!(!text.contains("\r\nBcc:"), "{text:.2000}");
            assert!(text.contains("References: <ok@example.com>\r\n"), "{text:.3000}");
            assert!(!text.contains("In-Reply-To"), "{text:.3000}");
        }
    }

    #[test]
    fn many_recipients_are_folded() {
        let to: Vec<String> = (0..300).map(|n| format!("person{n}@example.com")).collect();
        let m = compose(&notice(&text(), &to), &SubjectTag::new("t"), "t")
            .unwrap()
            .unwrap();
        assert_short_lines(&m.bytes);
        assert_eq!(m.recipients.len(), 300);
        let parsed = mail_parser::MessageParser::default().parse(&m.bytes).unwrap();
        let listed: Vec<&str> = parsed.to().unwrap().iter().filter_map(|a| a.address()).collect();
        assert_eq!(listed, to, "every recipient in To, in order");
    }

    #[test]
    fn a_body_with_long_lines_and_any_line_endings_goes_out_with_crlf() {
        let mut rendered = text();
        rendered.body = format!("unix\nmac\rdos\r\n{}\nend", "y".repeat(5000));
        let to = vec!["alice@example.com".to_string()];
        let m = compose(&notice(&rendered, &to), &SubjectTag::new("t"), "t")
            .unwrap()
            .unwrap();
        assert_short_lines(&m.bytes);
        let text = String::from_utf8(m.bytes).unwrap();
        assert!(text.contains("unix\r\nmac\r\ndos\r\n"), "{text:.2000}");
        assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "a bare CR or LF");
    }

    #[test]
    fn crlf_makes_every_line_ending_one() {
        assert_eq!(crlf("a\nb\r\nc\rd\n\n"), "a\r\nb\r\nc\r\nd\r\n\r\n");
        assert_eq!(crlf("Zoë\r"), "Zoë\r\n");
        assert_eq!(crlf(""), "");
    }

    #[test]
    fn header_text_is_one_bounded_line() {
        assert_eq!(header_text("a\r\nb\0c", 10), "a bc");
        assert_eq!(header_text("abcdefghijkl", 5), "abcd…");
        assert_eq!(header_text("ÄÖÜßé", 5), "ÄÖÜßé");
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
