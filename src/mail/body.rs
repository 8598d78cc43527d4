//! The text of a message, as a mail client shows it: what a ticket's transaction holds
//! as its content (shown, searched, quoted, matched by rules).
//!
//! The MIME tree is walked as a reader does, never losing readable text:
//! - `multipart/alternative`: the plain text, unless it is empty (then the HTML);
//! - `multipart/related`: its root part (the HTML beside its images);
//! - HTML is converted to text that keeps paragraphs, line breaks, list items and link
//!   targets (`html2text`), while the HTML itself stays an attachment for display;
//! - an attached message (`message/rfc822`, a `multipart/digest` member, the first piece
//!   of a `message/partial`) is shown after the text as a "Forwarded message" block with
//!   its From, Date, Subject and To, then its own text; the attachment stays as it is;
//! - a delivery report (`multipart/report`) shows its human-readable part, or its
//!   delivery-status fields when it has none (the returned message stays an attachment);
//! - a multipart with no text at all shows its preamble, where some senders write;
//! - uuencoded blocks in plain text are taken out (`uuencode`: they become attachments).
//!
//! Each text part is decoded in its declared charset, including the ones mail-parser
//! does not know (`charset::decode_declared`), and 8-bit text without a charset in the
//! message's guessed one.

use encoding_rs::Encoding;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::base64;
use super::charset::{decode_declared, decode_undeclared, decode_with, parser_decodes};
use super::parse::Source;
use super::uuencode;
use crate::text::single_spaced;

/// How many attached messages deep the text follows: a forward of a forward of a
/// forward is still read, a message nested to exhaust memory is not.
const MAX_FORWARD_DEPTH: usize = 8;

/// The text of a message, every readable part in order.
pub(super) fn body_text(message: &Message<'_>, source: &Source<'_>) -> String {
    let reader = Reader {
        fallback: source.fallback,
    };
    reader.message(message, source.buffer, 0)
}

/// A text part's content in UTF-8, decoded in its declared charset, or, when it declares
/// none and is not UTF-8, in the message's guessed one.
pub(super) fn part_text(part: &MessagePart<'_>, source: &Source<'_>) -> Option<String> {
    text_in(part, source.buffer, source.fallback)
}

/// The largest HTML laid out by `html2text`; larger HTML (whose text would pass the
/// 1 MiB cap on a ticket's text anyway) is read by mail-parser's linear tag stripper.
/// html2text takes about a second per MiB of dense tables.
const MAX_HTML_LAYOUT_BYTES: usize = 1024 * 1024;

/// The deepest element nesting laid out by `html2text`: an HTML parser's work grows with
/// the square of the depth (10,000 nested elements take a second, 100,000 a minute), and
/// real mail nests a few dozen deep.
const MAX_HTML_LAYOUT_DEPTH: usize = 1000;

/// `html` as plain text: paragraphs and line breaks kept, list items marked, tables read
/// cell by cell, link targets listed after the text; scripts and styles dropped.
pub fn html_to_text(html: &str) -> String {
    if html.len() > MAX_HTML_LAYOUT_BYTES || nesting_depth(html) > MAX_HTML_LAYOUT_DEPTH {
        return mail_parser::decoders::html::html_to_text(html);
    }
    let converted = html2text::config::plain_no_decorate()
        .link_footnotes(true)
        .raw_mode(true)
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), 78);
    match converted {
        Ok(text) => trim_line_ends(&text),
        // html2text gives up only on input it cannot lay out; fall back to the tag stripper
        Err(_) => mail_parser::decoders::html::html_to_text(html),
    }
}

/// Elements that have no end tag, or whose end tag a parser supplies when the next one
/// starts: they add no depth.
const FLAT_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "dd", "dt", "embed", "hr", "img", "input", "li", "link", "meta", "option", "p",
    "param", "source", "td", "th", "tr", "track", "wbr",
];

/// How deep the elements of `html` nest, near enough: start tags less end tags, at
/// their highest; elements in [`FLAT_ELEMENTS`] and self-closed ones do not count.
fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'<') {
        at += found + 1;
        let closing = bytes.get(at) == Some(&b'/');
        let name_start = at + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        if FLAT_ELEMENTS.contains(&name.as_str()) {
            continue;
        }
        // a tag is short; looking further for its end would make this quadratic
        let tag_end = bytes[name_start..]
            .iter()
            .take(4096)
            .position(|&b| b == b'>')
            .map(|n| name_start + n);
        if closing {
            depth = depth.saturating_sub(1);
        } else if tag_end.is_none_or(|end| bytes[end - 1] != b'/') {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// Lines without trailing blanks, and at most one empty line in a row.
fn trim_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut empty_lines = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            empty_lines += 1;
            if empty_lines > 1 || out.is_empty() {
                continue;
            }
        } else {
            empty_lines = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Walks a MIME tree for its text.
struct Reader {
    /// The charset of 8-bit text that declares none.
    fallback: &'static Encoding,
}

impl Reader {
    /// The text of a whole message, the top one or an attached one; `raw` is what its
    /// parts' offsets point into: the `raw_message` field, which for an attached message
    /// is the enclosing buffer (not `raw_message()`, the message's own bytes).
    fn message(&self, message: &Message<'_>, raw: &[u8], depth: usize) -> String {
        // mail-parser, recovering from a broken message, can list a part among its own
        // descendants: each part is read once
        let mut seen = vec![false; message.parts.len()];
        let text = self.entity(message, raw, 0, &mut seen, depth);
        if !text.trim().is_empty() {
            return text;
        }
        self.preamble(message, raw).unwrap_or_default()
    }

    /// The text of the part `id` of `message` and of everything under it.
    fn entity(&self, message: &Message<'_>, raw: &[u8], id: u32, seen: &mut [bool], depth: usize) -> String {
        let Some(part) = message.parts.get(id as usize) else {
            return String::new();
        };
        if std::mem::replace(&mut seen[id as usize], true) {
            return String::new();
        }
        match &part.body {
            PartType::Multipart(children) => match subtype(part).as_str() {
                "alternative" => self.alternative(message, raw, children, seen, depth),
                "related" => {
                    let root = related_root(message, part, children);
                    root.map(|id| self.entity(message, raw, id, seen, depth))
                        .unwrap_or_default()
                }
                "report" => self.report(message, raw, children, seen, depth),
                "digest" => join(children.iter().map(|&c| match message.parts.get(c as usize) {
                    Some(MessagePart {
                        body: PartType::Message(inner),
                        ..
                    }) if !std::mem::replace(&mut seen[c as usize], true) => {
                        self.attached(inner, "---------- Message from the digest ----------", depth)
                    }
                    _ => self.entity(message, raw, c, seen, depth),
                })),
                _ => join(children.iter().map(|&c| self.entity(message, raw, c, seen, depth))),
            },
            PartType::Text(_) | PartType::Html(_) if !is_shown_inline(part, id) => String::new(),
            PartType::Html(_) => text_in(part, raw, self.fallback)
                .map(|html| html_to_text(&html))
                .unwrap_or_default(),
            PartType::Text(_) if is_plain_text(part) => text_in(part, raw, self.fallback)
                .map(|text| uuencode::without_blocks(&text))
                .unwrap_or_default(),
            PartType::Text(_) => String::new(),
            PartType::Message(inner) => self.attached(inner, "---------- Forwarded message ----------", depth),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) if content_type(part) == "message/partial" => {
                self.partial(part, bytes, depth)
            }
            PartType::Binary(_) | PartType::InlineBinary(_) => String::new(),
        }
    }

    /// The plain text of an alternative, unless it is empty; then the richest other
    /// part that has text (an empty text/plain beside the HTML is common).
    fn alternative(
        &self,
        message: &Message<'_>,
        raw: &[u8],
        children: &[u32],
        seen: &mut [bool],
        depth: usize,
    ) -> String {
        let part = |id: &u32| message.parts.get(*id as usize);
        let plain = children
            .iter()
            .filter(|id| part(id).is_some_and(|p| matches!(p.body, PartType::Text(_)) && is_plain_text(p)));
        let other_multiparts = children
            .iter()
            .filter(|id| part(id).is_some_and(|p| matches!(p.body, PartType::Multipart(_)) && subtype(p) != "related"));
        for &id in plain.chain(other_multiparts).chain(children.iter().rev()) {
            let text = self.entity(message, raw, id, seen, depth);
            if !text.trim().is_empty() {
                return text;
            }
        }
        String::new()
    }

    /// A delivery or disposition report: its human-readable first part, else the
    /// machine-readable fields of the second. The returned message is left out: it
    /// stays an attachment.
    fn report(&self, message: &Message<'_>, raw: &[u8], children: &[u32], seen: &mut [bool], depth: usize) -> String {
        if let Some(&first) = children.first() {
            let text = self.entity(message, raw, first, seen, depth);
            if !text.trim().is_empty() {
                return text;
            }
        }
        let status = children
            .iter()
            .filter_map(|&id| message.parts.get(id as usize))
            .find(|p| {
                matches!(
                    content_type(p).as_str(),
                    "message/delivery-status"
                        | "message/global-delivery-status"
                        | "message/disposition-notification"
                        | "message/feedback-report"
                )
            });
        let Some(status) = status else {
            return String::new();
        };
        let fields = match &status.body {
            PartType::Text(text) => text.to_string(),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => decode_with(bytes, self.fallback).into_owned(),
            _ => return String::new(),
        };
        format!("---------- Delivery status ----------\n{}", fields.trim_start())
    }

    /// An attached message: a heading, its From, Date, Subject and To, then its text.
    fn attached(&self, inner: &Message<'_>, heading: &str, depth: usize) -> String {
        let mut block = format!("{heading}\n");
        let from = inner.from().map(addresses);
        let to = inner.to().map(addresses);
        let date = inner.header_raw("Date").map(single_spaced);
        let subject = inner.subject().map(single_spaced);
        for (name, value) in [("From", from), ("Date", date), ("Subject", subject), ("To", to)] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                block.push_str(&format!("{name}: {value}\n"));
            }
        }
        block.push('\n');
        if depth < MAX_FORWARD_DEPTH {
            let repaired = mime_headers_after_a_blank_line(inner);
            let text = match repaired
                .as_deref()
                .and_then(|bytes| MessageParser::default().parse(bytes))
            {
                Some(whole) => self.message(&whole, whole.raw_message.as_ref(), depth + 1),
                None => self.message(inner, inner.raw_message.as_ref(), depth + 1),
            };
            block.push_str(text.trim_end());
            block.push('\n');
        }
        block
    }

    /// One piece of a message sent in pieces (`message/partial`, RFC 2046 5.2.2): the
    /// first starts with the message's headers and is read as a message; the others
    /// carry more of its body.
    fn partial(&self, part: &MessagePart<'_>, bytes: &[u8], depth: usize) -> String {
        let ct = part.content_type();
        let number = ct.and_then(|c| c.attribute("number")).unwrap_or("?");
        let total = ct.and_then(|c| c.attribute("total")).unwrap_or("?");
        let heading = format!("---------- Piece {number} of {total} of a message sent in pieces ----------");
        if number == "1"
            && let Some(inner) = MessageParser::default().parse(bytes)
        {
            return self.attached(&inner, &heading, depth);
        }
        format!("{heading}\n{}\n", decode_with(bytes, self.fallback).trim_end())
    }

    /// The preamble of a multipart message (the text before its first part), which a few
    /// senders write their text into; the usual "This is a multi-part message in MIME
    /// format." is not text.
    fn preamble(&self, message: &Message<'_>, raw: &[u8]) -> Option<String> {
        let top = message.parts.first()?;
        let PartType::Multipart(children) = &top.body else {
            return None;
        };
        let first = message.parts.get(*children.first()? as usize)?;
        let body = raw.get(top.offset_body as usize..first.offset_header as usize)?;
        let boundary = top.content_type()?.attribute("boundary")?;
        let delimiter = format!("--{boundary}");
        let end = memchr::memmem::find(body, delimiter.as_bytes()).unwrap_or(body.len());
        let text = decode_with(&body[..end], self.fallback);
        let text = text.trim();
        let boilerplate = text.len() < 300 && text.to_ascii_lowercase().contains("mime");
        (!text.is_empty() && !boilerplate).then(|| format!("{text}\n"))
    }
}

/// A text part's content in UTF-8 (see [`part_text`]); `raw` is what its offsets point into.
fn text_in(part: &MessagePart<'_>, raw: &[u8], fallback: &'static Encoding) -> Option<String> {
    let text = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t,
        _ => return None,
    };
    let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
    if is_uuencoded(part) {
        let file = raw
            .get(part.offset_body as usize..part.offset_end as usize)
            .and_then(uuencode::decode_body)?;
        return Some(match charset {
            Some(label) => decode_declared(label, &file.bytes, fallback),
            None => decode_undeclared(&file.bytes, fallback).into_owned(),
        });
    }
    match charset {
        Some(label) if !parser_decodes(label) => {
            let bytes = transfer_decoded(part, raw)?;
            Some(decode_declared(label, &bytes, fallback))
        }
        // mail-parser reads undeclared text as UTF-8, with replacement characters where
        // it is not: decode it again in the guessed charset
        None if text.contains('\u{FFFD}') => match transfer_decoded(part, raw) {
            Some(bytes) => Some(decode_undeclared(&bytes, fallback).into_owned()),
            None => Some(text.to_string()),
        },
        _ => Some(text.to_string()),
    }
}

/// Whether a part says `Content-Transfer-Encoding: x-uuencode` (mail-parser reads it as
/// no encoding).
fn is_uuencoded(part: &MessagePart<'_>) -> bool {
    part.headers.iter().any(|h| {
        h.name().eq_ignore_ascii_case("Content-Transfer-Encoding")
            && uuencode::is_uuencode_label(h.value().as_text().unwrap_or_default())
    })
}

/// Outlook attaches some messages with an empty line between their headers and their
/// own MIME headers (`Content-Type: multipart/alternative; boundary=...`), so that a
/// reader takes the MIME structure for plain text. When an attached message has no
/// Content-Type and its body starts with one, this is the message with that line
/// removed, as it was meant.
fn mime_headers_after_a_blank_line(inner: &Message<'_>) -> Option<Vec<u8>> {
    let root = inner.parts.first()?;
    if root.content_type().is_some() || !matches!(root.body, PartType::Text(_)) {
        return None;
    }
    let raw = inner.raw_message.as_ref();
    let headers = raw.get(root.offset_header as usize..root.offset_body as usize)?;
    let body = raw.get(root.offset_body as usize..root.offset_end as usize)?;
    let body_start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let body = &body[body_start..];
    if !body
        .get(..13)
        .is_some_and(|start| start.eq_ignore_ascii_case(b"content-type:"))
    {
        return None;
    }
    let headers = headers
        .strip_suffix(b"\r\n")
        .or_else(|| headers.strip_suffix(b"\n"))
        .unwrap_or(headers);
    Some([headers, body].concat())
}

/// A part's body with its transfer encoding undone, from the raw message.
pub(super) fn transfer_decoded(part: &MessagePart<'_>, raw: &[u8]) -> Option<Vec<u8>> {
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        mail_parser::Encoding::None => Some(body.to_vec()),
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
        }
        mail_parser::Encoding::Base64 => Some(base64::decode_forgiving(body)),
    }
}

/// `type/subtype` of a part, lowercased; text/plain when it declares none.
fn content_type(part: &MessagePart<'_>) -> String {
    part.content_type().map_or_else(
        || "text/plain".to_string(),
        |ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase(),
    )
}

fn subtype(part: &MessagePart<'_>) -> String {
    part.content_type()
        .and_then(|ct| ct.subtype())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Plain text as a reader shows it inline: text/plain, or no Content-Type at all.
fn is_plain_text(part: &MessagePart<'_>) -> bool {
    part.content_type().is_none_or(|ct| {
        ct.ctype().eq_ignore_ascii_case("text") && ct.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
    })
}

/// Whether a text part is shown as the message's text rather than as a file: not
/// `Content-Disposition: attachment`, and, below the top, without a name of its own (as
/// mail-parser decides).
fn is_shown_inline(part: &MessagePart<'_>, id: u32) -> bool {
    let attachment = part.content_disposition().is_some_and(|d| d.is_attachment());
    let named = part.content_type().is_some_and(|ct| ct.has_attribute("name"));
    !attachment && (id == 0 || !named)
}

/// The root of a multipart/related: the part its `start` parameter names, else the first.
fn related_root(message: &Message<'_>, part: &MessagePart<'_>, children: &[u32]) -> Option<u32> {
    let start = part.content_type().and_then(|ct| ct.attribute("start"));
    let named = start.and_then(|start| {
        let start = start.trim().trim_matches(['<', '>']);
        children.iter().copied().find(|&id| {
            message
                .parts
                .get(id as usize)
                .and_then(|p| p.content_id())
                .map(|cid| cid.trim_matches(['<', '>']))
                == Some(start)
        })
    });
    named.or_else(|| children.first().copied())
}

/// The non-empty texts, one after another.
fn join(texts: impl Iterator<Item = String>) -> String {
    let texts: Vec<String> = texts.filter(|t| !t.trim().is_empty()).collect();
    texts.join("\n")
}

/// `Name <address>, ...` of an address header.
fn addresses(list: &mail_parser::Address<'_>) -> String {
    let names: Vec<String> = list
        .iter()
        .map(
            |a| match (a.name().map(single_spaced).filter(|n| !n.is_empty()), a.address()) {
                (Some(name), Some(address)) => format!("{name} <{}>", single_spaced(address)),
                (None, Some(address)) => single_spaced(address),
                (Some(name), None) => name,
                (None, None) => String::new(),
            },
        )
        .filter(|a| !a.is_empty())
        .collect();
    names.join(", ")
}

/// A header value as one line without control characters.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::{ParseOptions, parse};

    /// The ticket text parsing `raw` makes.
    fn content(raw: &[u8]) -> String {
        let options = ParseOptions {
            max_mime_parts: 100,
            tag: "t",
            own_addresses: &[],
            envelope_sender: None,
            undeclared_charset: None,
        };
        parse(raw, &options).unwrap().content
    }

    fn text(raw: &str) -> String {
        content(raw.as_bytes())
    }

    #[test]
    fn html_keeps_paragraphs_breaks_lists_and_links() {
        let converted = html_to_text(
            "<html><head><style>p{color:red}</style><title>T</title></head><body><p>Hello <b>Ada</b>,</p>\
             <p>line one<br>line two</p><ol><li>first</li><li>second</li></ol><ul><li>dot</li></ul>\
             <p>See <a href=\"https://example.com/x\">the page</a>.</p><script>alert(1)</script></body></html>",
        );
        assert_eq!(
            converted,
            "Hello Ada,\n\nline one\nline two\n1. first\n2. second\n* dot\n\nSee [the page][1].\n\n[1]: https://example.com/x\n"
        );
    }

    #[test]
    fn html_nested_too_deep_is_read_by_the_tag_stripper() {
        let deep = "<div>".repeat(200_000) + "deep text";
        assert!(nesting_depth(&deep) > MAX_HTML_LAYOUT_DEPTH);
        let started = std::time::Instant::now();
        assert!(html_to_text(&deep).contains("deep text"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(nesting_depth("<p>a<p>b<br><img src=x/><div><span>c</span></div>"), 2);
        assert_eq!(nesting_depth("a < b and <3 and </> <"), 0);
    }

    #[test]
    fn an_empty_plain_part_gives_way_to_the_html() {
        let raw = "From: a@b\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\n \n--x\n\
                   Content-Type: text/html\n\n<p>only <i>here</i></p>\n--x--\n";
        assert_eq!(text(raw), "only here\n");
        let both = raw.replace("\n \n--x", "\nplain words\n--x");
        assert_eq!(text(&both), "plain words");
    }

    #[test]
    fn related_parts_show_their_root() {
        let raw = "From: a@b\nContent-Type: multipart/related; boundary=r; start=\"<root@x>\"\n\n\
                   --r\nContent-Type: text/plain\nContent-ID: <other@x>\n\nnot the root\n\
                   --r\nContent-Type: text/html\nContent-ID: <root@x>\n\n<p>the root</p>\n--r--\n";
        assert_eq!(text(raw), "the root\n");
    }

    #[test]
    fn an_attached_message_is_shown_after_the_text() {
        let raw = "From: a@b\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nsee below\n\
                   --m\nContent-Type: message/rfc822\n\nFrom: \"Eve\x1b[2J\" <eve@example.net>\nTo: a@b\n\
                   Subject: the\n original\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\ninner text\n--m--\n";
        assert_eq!(
            text(raw),
            "see below\n---------- Forwarded message ----------\nFrom: Eve[2J <eve@example.net>\n\
             Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: the original\nTo: a@b\n\ninner text\n"
        );
    }

    #[test]
    fn an_attached_message_is_read_in_its_own_charset() {
        let mut raw =
            b"From: a@b\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nsee below\n\
                        --m\nContent-Type: message/rfc822\n\nFrom: c@d\nContent-Type: text/plain; charset=ibm437\n\n"
                .to_vec();
        raw.extend_from_slice(b"Gr\x81\xe1e\n--m--\n");
        let content = content(&raw);
        assert!(content.ends_with("From: c@d\n\nGrüße\n"), "{content}");
    }

    /// RT's outlook-rfc822 message: the attached message's MIME headers follow an empty
    /// line, and its text is still read.
    #[test]
    fn an_attached_message_with_its_mime_headers_after_a_blank_line_is_read() {
        let raw = "From: a@b\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nsee below\n\
                   --m\nContent-Type: message/rfc822\n\nFrom: c@d\nSubject: inner\n\n\
                   Content-Type: multipart/alternative;\n\tboundary=\"alt\"\nMIME-Version: 1.0\n\n\
                   --alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\ndGhpcyBpcyBhIHRlc3QK\n\
                   --alt\nContent-Type: text/html\n\n<p>this is a test</p>\n--alt--\n--m--\n";
        assert_eq!(
            text(raw),
            "see below\n---------- Forwarded message ----------\nFrom: c@d\nSubject: inner\n\nthis is a test\n"
        );
    }

    #[test]
    fn a_report_without_text_shows_its_status_fields() {
        let raw = "From: mailer-daemon@b\nContent-Type: multipart/report; report-type=delivery-status; boundary=d\n\n\
                   --d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; b\n\nAction: failed\nStatus: 5.1.1\n\
                   --d\nContent-Type: text/rfc822-headers\n\nSubject: returned\n--d--\n";
        let shown = text(raw);
        assert!(
            shown.starts_with("---------- Delivery status ----------\nReporting-MTA: dns; b"),
            "{shown}"
        );
        assert!(!shown.contains("returned"), "{shown}");
    }

    #[test]
    fn a_preamble_is_the_text_only_when_there_is_no_other() {
        let with = |preamble: &str, first: &str| {
            text(&format!(
                "From: a@b\nContent-Type: multipart/mixed; boundary=p\n\n{preamble}\n--p\n{first}\n--p--\n"
            ))
        };
        let pdf = "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERg==";
        assert_eq!(with("Scanned on floor 3.", pdf), "Scanned on floor 3.\n");
        assert_eq!(with("This is a multi-part message in MIME format.", pdf), "");
        assert_eq!(
            with("Scanned on floor 3.", "Content-Type: text/plain\n\nthe text"),
            "the text"
        );
    }

    #[test]
    fn charsets_the_parser_does_not_know_are_decoded() {
        let with = |charset: &str, encoding: &str, body: &[u8]| {
            let mut raw = format!(
                "From: a@b\nContent-Type: text/plain; charset=\"{charset}\"\nContent-Transfer-Encoding: {encoding}\n\n"
            )
            .into_bytes();
            raw.extend_from_slice(body);
            content(&raw)
        };
        assert_eq!(with("IBM437", "8bit", b"Gr\x81\xe1e \xc9\xcd\xbb\n"), "Grüße ╔═╗\n");
        assert_eq!(with("cp437", "base64", b"R3KB4WUK\n"), "Grüße\n");
        assert_eq!(with("unicode-1-1-utf-7", "7bit", b"Hi Mom -+Jjo--!\n"), "Hi Mom -☺-!\n");
        assert_eq!(with("x-mac-ce", "quoted-printable", b"Ji=DE=92\n"), "Jiří\n");
        assert_eq!(with("x-unknown", "8bit", "Grüße\n".as_bytes()), "Grüße\n");
    }

    #[test]
    fn a_text_part_sent_uuencoded_is_read_decoded() {
        // "Grüße\n" in Latin-1
        let raw = "From: a@b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: x-uuencode\n\n\
                   begin 644 note.txt\n&1W+\\WV4*\n`\nend\n";
        assert_eq!(text(raw), "Grüße\n");
    }

    #[test]
    fn undeclared_8bit_text_is_guessed_whatever_its_transfer_encoding() {
        // "Grüße aus Köln, schöne Grüße" in windows-1252, base64, no charset
        let raw = "From: a@b\nContent-Transfer-Encoding: base64\n\nR3L832UgYXVzIEv2bG4sIHNjaPZuZSBHcvzfZQo=\n";
        assert_eq!(text(raw), "Grüße aus Köln, schöne Grüße\n");
    }
}
