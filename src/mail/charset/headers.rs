//! Header blocks as mail-parser should read them: every block, the message's and each
//! MIME part's (found by following multipart boundaries and attached messages as a mail
//! reader does), with its encoded words mended and its raw 8-bit bytes in UTF-8.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::Regex;

use super::decode_with;
use super::encoded_words::mend_encoded_words;

/// Headers must be ASCII, but real mail carries raw 8-bit bytes in them (a KOI8-R subject,
/// a Latin-1 filename) and encoded words the parser would read wrong (see
/// [`mend_encoded_words`]). Each header block, the message's and every MIME part's, is
/// mended and re-encoded in UTF-8 so the parser sees the characters that were meant; raw
/// 8-bit bytes outside encoded words are read as `fallback`. Bodies are left untouched.
pub(in crate::mail) fn headers_in_utf8<'a>(raw: &'a [u8], fallback: &'static Encoding) -> Cow<'a, [u8]> {
    let mut fixed: Option<Vec<u8>> = None;
    let mut copied = 0;
    for block in header_blocks(raw) {
        let headers = &raw[block.clone()];
        let mended = mend_encoded_words(headers, fallback);
        let text = mended.as_deref().unwrap_or(headers);
        if mended.is_none() && std::str::from_utf8(text).is_ok() {
            continue;
        }
        let out = fixed.get_or_insert_with(|| Vec::with_capacity(raw.len() + 64));
        out.extend_from_slice(&raw[copied..block.start]);
        out.extend_from_slice(decode_with(text, fallback).as_bytes());
        copied = block.end;
    }
    match fixed {
        None => Cow::Borrowed(raw),
        Some(mut out) => {
            out.extend_from_slice(&raw[copied..]);
            Cow::Owned(out)
        }
    }
}

/// How deep [`header_blocks`] follows multiparts and attached messages; the parser gives
/// up on deeper nesting too.
const MAX_NESTING: usize = 20;

/// The header blocks of a raw message: its own and, following multipart boundaries and
/// attached messages as a mail reader would, every MIME part's. In order, not overlapping.
fn header_blocks(raw: &[u8]) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    entity_header_blocks(raw, 0..raw.len(), 0, &mut blocks);
    blocks
}

/// The header blocks of the entity (a message or a MIME part) that fills `range`.
fn entity_header_blocks(raw: &[u8], range: Range<usize>, depth: usize, blocks: &mut Vec<Range<usize>>) {
    let header_end = range.start + header_end(&raw[range.clone()], depth > 0);
    blocks.push(range.start..header_end);
    if depth >= MAX_NESTING {
        return;
    }
    let headers = &raw[range.start..header_end];
    let rest = &raw[header_end..range.end];
    let body = if rest.starts_with(b"\n") {
        header_end + 1
    } else if rest.starts_with(b"\r\n") {
        header_end + 2
    } else {
        header_end
    };
    let content_type = header_value(headers, "content-type").unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    if lower.trim_start().starts_with("multipart/") {
        if let Some(boundary) = parameter(&content_type, "boundary") {
            for part in multipart_parts(raw, body..range.end, boundary.as_bytes()) {
                entity_header_blocks(raw, part, depth + 1, blocks);
            }
        }
    } else if lower.trim_start().starts_with("message/rfc822") || lower.trim_start().starts_with("message/global") {
        let encoding = header_value(headers, "content-transfer-encoding").unwrap_or_default();
        let encoding = encoding.trim().to_ascii_lowercase();
        if !matches!(encoding.as_str(), "base64" | "quoted-printable") && body < range.end {
            entity_header_blocks(raw, body..range.end, depth + 1, blocks);
        }
    }
}

/// Where the header block of `entity` ends: at its first empty line, or, inside a
/// message (`strict`), also at the first line that is neither a header field nor the
/// fold of one, since a MIME part that lacks its blank line must not have its body taken
/// for headers. Reads only as far as the header block goes.
pub(super) fn header_end(entity: &[u8], strict: bool) -> usize {
    let mut at = 0;
    while at < entity.len() {
        let line_end = entity[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(entity.len(), |n| at + n + 1);
        let line = &entity[at..line_end];
        if matches!(line, b"\n" | b"\r\n") || strict && !is_header_line(line) {
            return at;
        }
        at = line_end;
    }
    entity.len()
}

/// `Name: value`, or the folded continuation of one.
fn is_header_line(line: &[u8]) -> bool {
    if line.starts_with(b" ") || line.starts_with(b"\t") {
        return true;
    }
    let name_len = line.iter().take_while(|&&b| b.is_ascii_graphic() && b != b':').count();
    let blanks = line[name_len..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    name_len > 0 && line.get(name_len + blanks) == Some(&b':')
}

/// The parts of a multipart body: the ranges between its `--boundary` lines, up to the
/// closing `--boundary--` (or the end, when a sender forgot it). The preamble is not a part.
fn multipart_parts(raw: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut at = body.start;
    while at < body.end {
        let line_end = raw[at..body.end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.end, |n| at + n + 1);
        let line = &raw[at..line_end];
        if let Some(rest) = line.strip_prefix(b"--").and_then(|l| l.strip_prefix(boundary)) {
            let closing = rest.starts_with(b"--");
            if rest
                .iter()
                .skip(if closing { 2 } else { 0 })
                .all(u8::is_ascii_whitespace)
            {
                if let Some(start) = open.take() {
                    // the line break before a delimiter belongs to the delimiter
                    let end = if raw[..at].ends_with(b"\r\n") {
                        at - 2
                    } else if raw[..at].ends_with(b"\n") {
                        at - 1
                    } else {
                        at
                    };
                    parts.push(start..end.max(start));
                }
                if closing {
                    return parts;
                }
                open = Some(line_end);
            }
        }
        at = line_end;
    }
    if let Some(start) = open {
        parts.push(start..body.end);
    }
    parts
}

/// The unfolded value of the first header `name` (lowercase) in a header block.
fn header_value(headers: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(headers);
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        if !field.trim_end().eq_ignore_ascii_case(name) {
            continue;
        }
        let mut value = value.trim_end_matches('\r').to_string();
        while let Some(next) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            value.push(' ');
            value.push_str(next.trim_end_matches('\r').trim_start());
        }
        return Some(value);
    }
    None
}

static PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i);\s*([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))"#).expect("valid pattern")
});

/// A parameter of a header value such as a Content-Type (`boundary`), unquoted.
fn parameter(value: &str, name: &str) -> Option<String> {
    PARAMETER.captures_iter(value).find_map(|c| {
        if !c[1].eq_ignore_ascii_case(name) {
            return None;
        }
        let quoted = c.get(2).map(|m| m.as_str().replace("\\\"", "\"").replace("\\\\", "\\"));
        quoted.or_else(|| c.get(3).map(|m| m.as_str().to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_header_block_is_mended_and_no_body() {
        let raw = b"From: a@b\nContent-Type: multipart/mixed; boundary=\"b 1\"\n\npreamble \xfc\n--b 1\n\
                    Content-Type: text/plain; charset=iso-8859-1\n\nbody \xfc\n--b 1\n\
                    Content-Type: application/pdf; name=\"M\xe4rz.pdf\"\n\nJVBERg==\n--b 1\n\
                    Content-Type: message/rfc822\n\nSubject: =?utf-8?b?Wm/D?= =?utf-8?b?qw==?=\n\ninner \xfc\n--b 1--\n";
        let fixed = headers_in_utf8(raw, encoding_rs::WINDOWS_1252);
        let text = String::from_utf8_lossy(&fixed);
        assert!(text.contains("name=\"März.pdf\""), "{text}");
        assert!(text.contains("Subject: =?utf-8?b?Wm/Dqw==?="), "{text}");
        // bodies and the preamble keep their bytes
        for body in [&b"preamble \xfc\n"[..], b"body \xfc\n", b"inner \xfc\n"] {
            assert!(fixed.windows(body.len()).any(|w| w == body), "{text}");
        }
        // a part that lacks the blank line after its headers keeps its body bytes
        let broken = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nbody \xfc\n--b--\n";
        assert_eq!(headers_in_utf8(broken, encoding_rs::WINDOWS_1252).as_ref(), &broken[..]);
        let blocks = header_blocks(b"Subject: x\n\nbody");
        assert_eq!((blocks.len(), blocks.first()), (1, Some(&(0..11))));
    }
}
