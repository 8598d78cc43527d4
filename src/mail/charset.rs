//! Text whose charset is missing, wrong or split: guessing the charset of undeclared
//! 8-bit bytes (chardetng, as a browser does) and joining RFC 2231 parameter
//! continuations before decoding them.

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::Regex;

/// Headers must be ASCII, but real mail carries raw 8-bit bytes in them (a KOI8-R subject,
/// a Latin-1 name). When the header block is not UTF-8, guess its charset and re-encode it
/// so the parser sees the characters that were meant. The body is left untouched.
pub(super) fn headers_in_utf8<'a>(raw: &'a [u8], fallback: &'static Encoding) -> Cow<'a, [u8]> {
    let end = header_block_end(raw);
    let headers = &raw[..end];
    if std::str::from_utf8(headers).is_ok() {
        return Cow::Borrowed(raw);
    }
    let mut fixed = decode_with(headers, fallback).into_owned().into_bytes();
    fixed.extend_from_slice(&raw[end..]);
    Cow::Owned(fixed)
}

/// Where the header block ends (the offset of the blank line), or the end of input.
fn header_block_end(raw: &[u8]) -> usize {
    let lf = raw.windows(2).position(|w| w == b"\n\n");
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n");
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    }
}

/// The charset of 8-bit text that declares none, guessed once per message so that its
/// headers and bodies agree. Raw 8-bit headers are the surest sign of what the sender's
/// software writes (attachments and declared parts cannot mislead it), so they decide
/// when there are any; otherwise the whole message does.
pub(super) fn undeclared_charset(raw: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(raw).is_ok() {
        return encoding_rs::UTF_8;
    }
    let headers = &raw[..header_block_end(raw)];
    let sample = if std::str::from_utf8(headers).is_err() {
        headers
    } else {
        raw
    };
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, true);
    detector.guess(None, false)
}

/// UTF-8 when the bytes are valid UTF-8, else decoded as `fallback`.
pub(super) fn decode_with<'a>(bytes: &'a [u8], fallback: &'static Encoding) -> Cow<'a, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(fallback.decode_without_bom_handling(bytes).0.into_owned()),
    }
}

/// Decodes bytes in an unknown charset: UTF-8 when valid, else chardetng's guess.
fn guess_decode(bytes: &[u8]) -> Cow<'_, str> {
    decode_with(bytes, undeclared_charset(bytes))
}

static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:^|;)\s*([a-z]+)\*(\d+)(\*?)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)"#).expect("valid pattern")
});

/// Joins the RFC 2231 continuations of parameter `param` in a raw header value.
pub(super) fn rfc2231_continued(header_value: &str, param: &str) -> Option<String> {
    let mut pieces: Vec<(u32, bool, &str)> = CONTINUATION
        .captures_iter(header_value)
        .filter(|c| c[1].eq_ignore_ascii_case(param))
        .filter_map(|c| Some((c[2].parse().ok()?, !c[3].is_empty(), c.get(4)?.as_str())))
        .collect();
    if pieces.is_empty() {
        return None;
    }
    pieces.sort_by_key(|p| p.0);
    let mut charset = String::new();
    let mut bytes = Vec::new();
    for (n, encoded, value) in pieces {
        let mut value = value.trim_matches('"');
        if encoded {
            if n == 0 {
                // charset'language'value
                let mut fields = value.splitn(3, '\'');
                if let (Some(cs), Some(_lang), Some(rest)) = (fields.next(), fields.next(), fields.next()) {
                    charset = cs.to_string();
                    value = rest;
                }
            }
            bytes.extend(percent_decode(value));
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    let decoded = match mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes()) {
        Some(decode) if !charset.is_empty() => decode(&bytes),
        _ => guess_decode(&bytes).into_owned(),
    };
    Some(decoded).filter(|d| !d.trim().is_empty())
}

fn percent_decode(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2231_continuations_join_before_decoding() {
        let v = "attachment;\n filename*0*=ISO-2022-JP'ja'%1b$B%3f7$7$$%25F%25%2d%259%25H%1b%28B;\n filename*1*=%20;\n filename*2*=%1b$B%25I%25%2d%25e%25a%25s%25H%1b%28B;\n filename*3=.txt";
        assert_eq!(
            rfc2231_continued(v, "filename").as_deref(),
            Some("新しいテキスト ドキュメント.txt")
        );
        assert_eq!(rfc2231_continued("attachment; filename=a.txt", "filename"), None);
    }
}
