//! From raw bytes to an [`Inbound`] message: decoded text, sender, threading headers and
//! the MIME tree, all owned and in UTF-8.
//!
//! Parsing never rejects a message: whatever arrives is turned into something storable.
//! mail-parser does the MIME work, on bytes `repair` has mended where mail-parser would
//! misread real-world structure; this module mends what it leaves for us: 8-bit header
//! bytes in no declared charset (guessed with chardetng, as a browser would), 8-bit bodies
//! without a charset, RFC 2231 filenames split over several parameters in a stateful
//! charset, the first of two Subject or From headers (mail-parser takes the last), binary
//! files labelled text/* (kept byte for byte), and input that has no header block at all.

use encoding_rs::Encoding;
use mail_parser::{HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::body::{body_text, part_text, transfer_decoded};
use super::charset::{decode_with, header_block, rfc2231_continued, undeclared_charset};
use super::loops::{self, AutoReason, LoopSignals};
use super::repair::repair;
use super::sniff::binary_format;
use super::thread::clean_message_id;
use super::uuencode;
use crate::error::Error;
use crate::user::normalize_address;

/// A message as ticketd uses it, independent of the parser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// Recognises a second delivery of the same message: its Message-ID together with a
    /// hash of its stable content (originator headers and body, not the trace headers an
    /// MTA adds). The hash alone when there is no Message-ID. Message-ID alone would not
    /// do: real mail has distinct messages sharing one (RT's own test corpus does).
    pub dedupe_key: String,
    /// Decoded, unfolded; empty when there is none.
    pub subject: String,
    pub sender: Option<Sender>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Set when the message was made by a machine (loop protection).
    pub auto: Option<AutoReason>,
    /// The decoded text: text/plain parts, or HTML converted to text.
    pub content: String,
    /// Every `Authentication-Results` header, as the MTA added them.
    #[serde(default)]
    pub authentication_results: Vec<String>,
    /// Why the From header cannot stand for the sender when commands by mail are
    /// weighed, if it cannot: there is none, there is more than one From header or
    /// address, or the header block has a bare CR (which mail programs split into lines
    /// differently, so that the From a DKIM verifier checked may not be the one read
    /// here). Such a message is stored as any other; it never runs commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_doubt: Option<String>,
    /// Every MIME part, parents before children.
    pub parts: Vec<Part>,
}

/// Who sent a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub address: String,
    /// The display name, possibly empty.
    pub name: String,
}

/// One MIME part, as stored in the attachments table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Index of the enclosing multipart in [`Inbound::parts`].
    pub parent: Option<usize>,
    /// `type/subtype`, lowercased.
    pub content_type: String,
    pub filename: Option<String>,
    /// The part's own header block, decoded to UTF-8.
    pub headers: String,
    /// Decoded content: UTF-8 for text, bytes otherwise, the whole message for an
    /// attached message/rfc822; `None` for multipart containers.
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
    /// Set, as (blob id, size), once `content` has been written ahead as a blob and taken
    /// out: large parts are, so that storing the message holds up no one (`store::blobs`).
    #[serde(skip)]
    pub blob: Option<(i64, usize)>,
    /// Only on the top part.
    pub message_id: Option<String>,
    /// Only on the top part.
    pub subject: Option<String>,
}

/// Limits and context for parsing.
#[derive(Debug, Clone)]
pub struct ParseOptions<'a> {
    /// More MIME parts than this is an error (the message goes to quarantine).
    pub max_mime_parts: usize,
    /// Our subject tag name, to recognise our own loop header.
    pub tag: &'a str,
    /// Our own addresses, lowercased.
    pub own_addresses: &'a [String],
    /// The envelope sender from the MTA, when known.
    pub envelope_sender: Option<&'a str>,
    /// The charset of undeclared 8-bit text; `None` guesses it per message.
    pub undeclared_charset: Option<&'static Encoding>,
}

/// Parses a raw message as delivered by the MTA. Fails only for messages over the limits
/// of `options`, which are then quarantined rather than processed.
pub fn parse(raw: &[u8], options: &ParseOptions<'_>) -> Result<Inbound, Error> {
    let raw = strip_mbox_from_line(raw);
    let fallback = options.undeclared_charset.unwrap_or_else(|| undeclared_charset(raw));
    let buffer = repair(raw, fallback);
    let Some(mut message) = MessageParser::default().parse(buffer.as_ref()) else {
        return Ok(headerless(raw, fallback));
    };
    let binary = binary_text_parts(&message, &buffer);
    message.text_body.retain(|id| !binary.contains_key(id));
    message.html_body.retain(|id| !binary.contains_key(id));
    let source = Source {
        buffer: &buffer,
        fallback,
    };
    if message.parts.len() > options.max_mime_parts {
        return Err(Error::Invalid(format!(
            "the message has {} MIME parts, more than mail.max_mime_parts = {}",
            message.parts.len(),
            options.max_mime_parts
        )));
    }
    let sender = sender_of(&message);
    let from_doubt = from_doubt(&message, raw);
    let subject = first_subject(&message)
        .map(crate::text::single_spaced)
        .unwrap_or_default();
    let message_id = message.message_id().and_then(clean_message_id);
    let mut parts = mime_tree(&message, &source, &binary, message_id.clone(), &subject);
    uuencode::mend_parts(&mut parts);
    let content = bounded_text(body_text(&message, &source));
    let header_pairs: Vec<(&str, &str)> = message
        .headers()
        .iter()
        .map(|h| (h.name(), raw_value(&buffer, h.offset_start, h.offset_end)))
        .collect();
    let auto = loops::classify(
        &LoopSignals {
            headers: header_pairs,
            content_type: parts.first().map(|p| p.content_type.clone()).unwrap_or_default(),
            sender: sender.as_ref().map(|s| s.address.as_str()),
            envelope_sender: options.envelope_sender,
            subject: &subject,
        },
        options.tag,
        options.own_addresses,
    );
    let hash = content_hash(&message, &buffer);
    let dedupe_key = match &message_id {
        Some(id) => format!("mid:{id} sha256:{hash}"),
        None => format!("sha256:{hash}"),
    };
    Ok(Inbound {
        message_id,
        dedupe_key,
        subject,
        sender,
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        auto,
        content,
        parts,
        authentication_results: message
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("Authentication-Results"))
            .map(|h| crate::text::single_spaced(raw_value(&buffer, h.offset_start, h.offset_end)))
            .collect(),
        from_doubt,
    })
}

/// Postfix's local delivery puts an mbox `From sender date` line in front of the message.
pub(super) fn strip_mbox_from_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(end) => &raw[end + 1..],
            None => raw,
        }
    } else {
        raw
    }
}

/// The message as the parser saw it, and the charset for 8-bit text that declares none.
pub(super) struct Source<'a> {
    pub(super) buffer: &'a [u8],
    pub(super) fallback: &'static Encoding,
}

/// Input that is not a message at all (no header block): kept as one text part.
fn headerless(raw: &[u8], fallback: &'static Encoding) -> Inbound {
    let text = decode_with(raw, fallback).into_owned();
    Inbound {
        message_id: None,
        dedupe_key: format!("sha256:{}", hex(&Sha256::digest(raw))),
        subject: String::new(),
        sender: None,
        in_reply_to: Vec::new(),
        references: Vec::new(),
        auto: None,
        authentication_results: Vec::new(),
        from_doubt: Some("it has no header block".into()),
        content: bounded_text(text.clone()),
        parts: vec![Part {
            parent: None,
            content_type: "text/plain".into(),
            filename: None,
            headers: String::new(),
            content: Some(text.into_bytes()),
            blob: None,
            message_id: None,
            subject: None,
        }],
    }
}

/// The first Subject header's text. mail-parser answers the last; Python's `email`, DMARC
/// and most mail clients read the first, and so does ticketd.
fn first_subject<'a>(message: &'a Message<'_>) -> Option<&'a str> {
    first_header(message, &HeaderName::Subject).and_then(HeaderValue::as_text)
}

/// The value of the first header called `name` in the message's own header block.
fn first_header<'a, 'x>(message: &'a Message<'x>, name: &HeaderName<'_>) -> Option<&'a HeaderValue<'x>> {
    message.headers().iter().find(|h| h.name == *name).map(|h| &h.value)
}

/// The sender: the first address of the first From header (a message with two is
/// recorded with the first, as DMARC reads it; [`from_doubt`] says it has two), else of
/// the first Sender header, else the return path.
fn sender_of(message: &Message<'_>) -> Option<Sender> {
    let from_header = [HeaderName::From, HeaderName::Sender]
        .iter()
        .filter_map(|name| first_header(message, name)?.as_address())
        .find_map(|list| {
            list.iter().find_map(|a| {
                let address = normalize_address(a.address()?)?;
                Some(Sender {
                    address,
                    name: a.name().map(crate::text::single_spaced).unwrap_or_default(),
                })
            })
        });
    from_header.or_else(|| {
        let address = normalize_address(message.return_address()?)?;
        Some(Sender {
            address,
            name: String::new(),
        })
    })
}

/// Why the From header cannot stand for the sender, if it cannot (see
/// [`Inbound::from_doubt`]).
fn from_doubt(message: &Message<'_>, raw: &[u8]) -> Option<String> {
    let headers = message
        .headers()
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case("From"))
        .count();
    let addresses = message.from().map_or(0, |from| from.iter().count());
    let valid = message
        .from()
        .and_then(|from| from.first())
        .and_then(|a| a.address())
        .and_then(normalize_address)
        .is_some();
    let doubt = if headers == 0 {
        "it has no From header".to_string()
    } else if headers > 1 {
        format!("it has {headers} From headers")
    } else if addresses != 1 {
        format!("its From header names {addresses} addresses")
    } else if !valid {
        "its From address is not valid".to_string()
    } else if has_bare_cr(header_block(raw)) {
        "its header block has a carriage return that ends no line (a bare CR)".to_string()
    } else {
        return None;
    };
    Some(doubt)
}

/// Whether `bytes` has a CR not followed by LF.
fn has_bare_cr(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Collapses folded white space and trims, and drops control characters: what a header
/// says, as one line that is safe to put in another header (see [`crate::text::one_line`]).
fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => clean_message_id(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| clean_message_id(id)).collect(),
        _ => Vec::new(),
    }
}

fn raw_value(buffer: &[u8], start: u32, end: u32) -> &str {
    let slice = buffer.get(start as usize..end as usize).unwrap_or_default();
    std::str::from_utf8(slice).unwrap_or_default()
}

/// The most of a message's text a transaction keeps as its content (shown, searched,
/// matched by rules, quoted). A longer text (a pasted log) is cut there; the whole of it
/// stays in the message's parts and raw message.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// `text`, cut at a line end before [`MAX_TEXT_BYTES`] with a note of what was left out.
pub fn bounded_text(text: String) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(line_end) = text[..end].rfind('\n').filter(|&at| at > MAX_TEXT_BYTES / 2) {
        end = line_end + 1;
    }
    let rest = text.len() - end;
    let mut cut = text;
    cut.truncate(end);
    cut.push_str(&format!(
        "\n[ticketd: {rest} more bytes of text are not shown here; the whole message is kept in its attachments and raw message]\n"
    ));
    cut
}

/// The MIME tree, parents before children. Attached messages stay one opaque part, as RT
/// keeps them, so a forwarded mail is one attachment and not a dozen. Each part is taken
/// once: mail-parser, recovering from a broken message, can list a part among its own
/// descendants, and following that would never end.
fn mime_tree(
    message: &Message<'_>,
    source: &Source<'_>,
    binary: &BinaryParts,
    message_id: Option<String>,
    subject: &str,
) -> Vec<Part> {
    let buffer = source.buffer;
    let mut parts = Vec::new();
    let mut taken = vec![false; message.parts.len()];
    let mut stack = vec![(0u32, None)];
    while let Some((id, parent)) = stack.pop() {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if std::mem::replace(&mut taken[id as usize], true) {
            continue;
        }
        let index = parts.len();
        let header_end = if id == 0 {
            part.offset_body
        } else {
            part.offset_body.min(part.offset_end)
        };
        let headers = String::from_utf8_lossy(
            buffer
                .get(part.offset_header as usize..header_end as usize)
                .unwrap_or_default(),
        )
        .trim_end()
        .to_string();
        let content = match &part.body {
            PartType::Text(_) | PartType::Html(_) => match binary.get(&id) {
                Some(bytes) => Some(bytes.clone()),
                None => part_text(part, source).map(String::into_bytes),
            },
            PartType::Binary(b) | PartType::InlineBinary(b) => Some(b.to_vec()),
            PartType::Message(_) => Some(
                buffer
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default()
                    .to_vec(),
            ),
            PartType::Multipart(children) => {
                // pushed in reverse so they come out in order
                stack.extend(children.iter().rev().map(|&c| (c, Some(index))));
                None
            }
        };
        // an attached mail without a name is named after its subject, as RT and mail
        // clients do, so staff can tell attachments apart
        let filename = filename_of(part, buffer).or_else(|| match &part.body {
            PartType::Message(inner) => inner
                .subject()
                .map(crate::text::single_spaced)
                .filter(|s| !s.is_empty())
                .map(|s| format!("{s}.eml")),
            _ => None,
        });
        parts.push(Part {
            parent,
            content_type: content_type_of(part),
            filename,
            headers,
            content,
            blob: None,
            message_id: if id == 0 { message_id.clone() } else { None },
            subject: (id == 0).then(|| subject.to_string()),
        });
    }
    parts
}

fn content_type_of(part: &mail_parser::MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match &part.body {
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            PartType::Binary(_) | PartType::InlineBinary(_) => "application/octet-stream".into(),
            _ => "text/plain".into(),
        },
    }
}

/// The part's filename: Content-Disposition's `filename` where there is one, else
/// Content-Type's `name` (when the two disagree, the first is the name the sender's
/// program gave the file, as Python's `email` and mail clients read it). RFC 2231
/// continuations (`filename*0*=...; filename*1*=...`) are joined as bytes before the
/// charset is applied: mail-parser decodes each piece alone, which breaks stateful
/// charsets such as ISO-2022-JP.
fn filename_of(part: &mail_parser::MessagePart<'_>, buffer: &[u8]) -> Option<String> {
    let named = |header_name: &str, param: &str| {
        let header = part
            .headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(header_name))?;
        let value = raw_value(buffer, header.offset_start, header.offset_end);
        let name = match rfc2231_continued(value, param) {
            Some(joined) => crate::text::one_line(&joined),
            None => crate::text::single_spaced(header.value.as_content_type()?.attribute(param)?),
        };
        Some(name).filter(|n| !n.is_empty())
    };
    named("Content-Disposition", "filename").or_else(|| named("Content-Type", "name"))
}

/// Text parts (by id) whose content is binary: a PNG labelled text/rtf, a PDF labelled
/// text/plain. mail-parser turns them into text, replacing every byte that is not in
/// the charset; they are kept byte for byte instead, decoded from their transfer
/// encoding only, and are not shown as the message's text.
type BinaryParts = std::collections::HashMap<u32, Vec<u8>>;

fn binary_text_parts(message: &Message<'_>, buffer: &[u8]) -> BinaryParts {
    let mut binary = BinaryParts::new();
    for (id, part) in message.parts.iter().enumerate() {
        let (PartType::Text(text) | PartType::Html(text)) = &part.body else {
            continue;
        };
        // a binary file read as text has bytes no charset has, or NULs
        if !text.contains(['\u{FFFD}', '\0']) {
            continue;
        }
        let wide = part
            .content_type()
            .and_then(|ct| ct.attribute("charset"))
            .is_some_and(|cs| {
                cs.to_ascii_lowercase().starts_with("utf-16") || cs.to_ascii_lowercase().starts_with("utf-32")
            });
        if let Some(bytes) = transfer_decoded(part, buffer).filter(|b| is_binary(b, wide)) {
            binary.insert(id as u32, bytes);
        }
    }
    binary
}

/// Whether bytes are a binary file rather than text: they begin as a common binary format
/// does, or hold a NUL (which text in a charset of one or more bytes a character has not;
/// UTF-16 and UTF-32 text, `wide`, has them).
fn is_binary(bytes: &[u8], wide: bool) -> bool {
    binary_format(bytes).is_some() || (!wide && bytes.contains(&0))
}

/// The headers that make a message what it is, wherever it is delivered: the
/// originator's, and the MIME headers that say how its body decodes (two messages whose
/// bodies are the same bytes but decode differently are different messages).
const STABLE_HEADERS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
];

/// A hash of what stays the same when the MTA delivers a message twice or to two queues:
/// the [`STABLE_HEADERS`] and the body, not the trace headers the MTA adds.
fn content_hash(message: &Message<'_>, buffer: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut stable = 0;
    for header in message.headers() {
        let name = header.name();
        if STABLE_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            hasher.update(name.to_ascii_lowercase().as_bytes());
            hasher.update(
                raw_value(buffer, header.offset_start, header.offset_end)
                    .trim()
                    .as_bytes(),
            );
            hasher.update(b"\n");
            stable += 1;
        }
    }
    if stable == 0 {
        // not a message one can tell apart by its headers: all of it counts
        return hex(&Sha256::digest(buffer));
    }
    let body_start = message.parts.first().map_or(0, |p| p.offset_body as usize);
    hasher.update(buffer.get(body_start..).unwrap_or_default());
    hex(&hasher.finalize())
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions<'static> {
        ParseOptions {
            max_mime_parts: 100,
            tag: "t",
            own_addresses: &[],
            envelope_sender: None,
            undeclared_charset: None,
        }
    }

    #[test]
    fn strips_the_mbox_from_line() {
        let m = parse(
            b"From a@b  Fri Nov 27 10:49:35 2026\nFrom: a@b\nSubject: hi\n\nbody\n",
            &opts(),
        )
        .unwrap();
        assert_eq!(m.subject, "hi");
        assert_eq!(m.sender.unwrap().address, "a@b");
    }

    #[test]
    fn a_configured_charset_wins_over_the_guess() {
        let mut o = opts();
        o.undeclared_charset = Some(encoding_rs::KOI8_R);
        let m = parse(b"From: x@y\nSubject: \xd4\xc5\xd3\xd4\n\n\xd4\xc5\xd3\xd4\n", &o).unwrap();
        assert_eq!(m.subject, "тест");
        assert_eq!(m.content.trim(), "тест");
    }

    #[test]
    fn raw_8bit_headers_are_guessed() {
        let m = parse(
            b"From: x@y\nSubject: \xd4\xc5\xd3\xd4 \xd4\xc5\xd3\xd4\n\n\xd4\xc5\xd3\xd4\n",
            &opts(),
        )
        .unwrap();
        assert_eq!(m.subject, "тест тест");
        assert_eq!(m.content.trim(), "тест");
    }

    #[test]
    fn no_message_id_gives_a_stable_content_key() {
        let a = parse(b"Delivered-To: a@x\nFrom: a@b\nSubject: s\n\nbody\n", &opts()).unwrap();
        let b = parse(
            b"Delivered-To: b@x\nReceived: by mx\nFrom: a@b\nSubject: s\n\nbody\n",
            &opts(),
        )
        .unwrap();
        let c = parse(b"From: a@b\nSubject: s\n\nother body\n", &opts()).unwrap();
        assert!(a.dedupe_key.starts_with("sha256:"));
        assert_eq!(a.dedupe_key, b.dedupe_key);
        assert_ne!(a.dedupe_key, c.dedupe_key);
    }

    #[test]
    fn same_message_id_with_other_content_is_another_message() {
        let a = parse(b"From: a@b\nMessage-ID: <x@y>\nSubject: s\n\none\n", &opts()).unwrap();
        let b = parse(
            b"Received: by mx\nFrom: a@b\nMessage-ID: <x@y>\nSubject: s\n\none\n",
            &opts(),
        )
        .unwrap();
        let c = parse(b"From: a@b\nMessage-ID: <x@y>\nSubject: s\n\ntwo\n", &opts()).unwrap();
        assert!(a.dedupe_key.starts_with("mid:x@y sha256:"));
        assert_eq!(a.dedupe_key, b.dedupe_key);
        assert_ne!(a.dedupe_key, c.dedupe_key);
    }

    #[test]
    fn messages_that_decode_differently_are_different_messages() {
        let with = |mime: &str| {
            let raw = format!("From: a@b\nMessage-ID: <x@y>\nSubject: s\n{mime}\nb25l\n");
            parse(raw.as_bytes(), &opts()).unwrap().dedupe_key
        };
        let plain = with("");
        let base64 = with("Content-Transfer-Encoding: base64\n");
        let latin1 = with("Content-Type: text/plain; charset=iso-8859-1\n");
        let koi8 = with("Content-Type: text/plain; charset=koi8-r\n");
        assert_ne!(plain, base64);
        assert_ne!(latin1, koi8);
        assert_ne!(plain, latin1);
        assert_eq!(koi8, with("Content-Type: text/plain; charset=koi8-r\n"));
    }

    #[test]
    fn a_from_that_may_not_be_what_it_seems_is_doubted() {
        let doubt = |raw: &[u8]| parse(raw, &opts()).unwrap().from_doubt;
        assert_eq!(doubt(b"From: a@b\r\nSubject: s\r\n\r\nbody\r\n"), None);
        assert_eq!(doubt(b"From: a@b\nSubject: s\n\nbody\rwith a CR\n"), None);
        let two = doubt(b"From: a@b\nFrom: boss@b\nSubject: s\n\nx\n").unwrap();
        assert!(two.contains("2 From headers"), "{two}");
        let list = doubt(b"From: a@b, boss@b\nSubject: s\n\nx\n").unwrap();
        assert!(list.contains("2 addresses"), "{list}");
        let cr = doubt(b"From: a@b\rFrom: boss@b\nSubject: s\n\nx\n").unwrap();
        assert!(cr.contains("CR") || cr.contains("From"), "{cr}");
        let cr = doubt(b"Subject: s\r X-Hidden: 1\nFrom: a@b\n\nx\n").unwrap();
        assert!(cr.contains("bare CR"), "{cr}");
        assert!(doubt(b"Sender: a@b\nSubject: s\n\nx\n").unwrap().contains("no From"));
        assert!(doubt(b"no headers at all").is_some());
    }

    #[test]
    fn names_subjects_and_filenames_are_one_line_without_controls() {
        let m = parse(
            b"From: \"Eve\x00 \x1b[31mAdmin\" <eve@example.net>\nSubject: hi\x07 there\x1b]0;x\x07\n\
              Content-Type: text/plain; name=\"a\x1bb.txt\"\n\nbody\n",
            &opts(),
        )
        .unwrap();
        let sender = m.sender.unwrap();
        assert_eq!(sender.address, "eve@example.net");
        assert!(!sender.name.chars().any(char::is_control), "{:?}", sender.name);
        assert!(!m.subject.chars().any(char::is_control), "{:?}", m.subject);
        assert!(m.subject.starts_with("hi there"), "{:?}", m.subject);
        let encoded = parse(
            b"From: =?utf-8?q?Bob=0D=0AX-Evil=3A_1?= <bob@example.net>\nSubject: =?utf-8?q?a=0Ab=00c?=\n\nx\n",
            &opts(),
        )
        .unwrap();
        assert_eq!(encoded.sender.unwrap().name, "Bob X-Evil: 1");
        assert_eq!(encoded.subject, "a bc");
    }

    /// Found by the property test (tests/it/mail_properties.rs): mail-parser, recovering
    /// from this digest, lists a part among its own descendants, and walking the tree
    /// took memory until the daemon was killed.
    #[test]
    fn a_part_listed_inside_itself_is_taken_once() {
        let raw = b"Content-Type: multipart/digest; boundary=b\n\n--b\n\nContent-Type: message/rfc822\n\n\n\
                    --bContent-Type: message/rfc822\n\n\n--b--";
        let m = parse(raw, &opts()).unwrap();
        assert!(m.parts.len() <= 5, "{:?}", m.parts.len());
    }

    #[test]
    fn the_first_subject_and_from_count_and_two_froms_stay_doubted() {
        let m = parse(
            b"From: Klaas <klaas@example.net>\nSubject: first\nFrom: boss@example.net\nSubject: second\n\nx\n",
            &opts(),
        )
        .unwrap();
        assert_eq!(m.subject, "first");
        assert_eq!(m.sender.unwrap().address, "klaas@example.net");
        assert!(m.from_doubt.unwrap().contains("2 From headers"));
    }

    #[test]
    fn the_disposition_filename_wins_over_a_continued_type_name() {
        let m = parse(
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
              Content-Type: application/pdf; name*0*=utf-8''old%20name; name*1*=.pdf\n\
              Content-Disposition: attachment; filename=\"new name.pdf\"\n\nx\n--b\n\
              Content-Type: application/pdf; name*0=only; name*1=-type.pdf\n\n\nx\n--b--\n",
            &opts(),
        )
        .unwrap();
        let names: Vec<_> = m.parts.iter().filter_map(|p| p.filename.as_deref()).collect();
        assert_eq!(names, ["new name.pdf", "only-type.pdf"]);
    }

    #[test]
    fn binary_content_labelled_text_is_kept_byte_for_byte() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe";
        let encoded = "iVBORw0KGgoAAAANSUhEUv/+";
        let raw = format!(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the file\n--b\n\
             Content-Type: text/rtf; name=a.png\nContent-Transfer-Encoding: base64\n\n{encoded}\n--b\n\
             Content-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n\naABpAA==\n--b--\n"
        );
        let m = parse(raw.as_bytes(), &opts()).unwrap();
        assert_eq!(m.parts[2].content_type, "text/rtf");
        assert_eq!(m.parts[2].content.as_deref(), Some(png.as_slice()));
        // UTF-16 text has NULs and is still text, in UTF-8
        assert_eq!(m.parts[3].content.as_deref(), Some(b"hi".as_slice()));
        assert_eq!(m.content.trim(), "see the file\nhi");
    }

    #[test]
    fn too_many_parts_is_an_error() {
        let mut o = opts();
        o.max_mime_parts = 2;
        let raw = b"From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--x\n\ntwo\n--x--\n";
        assert!(parse(raw, &o).unwrap_err().to_string().contains("max_mime_parts"));
    }
}
