//! Text whose charset is missing, wrong, split or unusual: guessing the charset of
//! undeclared 8-bit bytes (chardetng, as a browser does), decoding the charsets real mail
//! declares that the parser does not know (the Encoding Standard's labels, UTF-7, DOS code
//! pages such as IBM437, the old Mac charsets), mending encoded words before the parser
//! reads them, and joining RFC 2231 parameter continuations before decoding them.

mod mac;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::Regex;
use regex::bytes::Regex as BytesRegex;

/// Headers must be ASCII, but real mail carries raw 8-bit bytes in them (a KOI8-R subject,
/// a Latin-1 filename) and encoded words the parser would read wrong (see
/// [`mend_encoded_words`]). Each header block, the message's and every MIME part's, is
/// mended and re-encoded in UTF-8 so the parser sees the characters that were meant; raw
/// 8-bit bytes outside encoded words are read as `fallback`. Bodies are left untouched.
pub(super) fn headers_in_utf8<'a>(raw: &'a [u8], fallback: &'static Encoding) -> Cow<'a, [u8]> {
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
fn header_end(entity: &[u8], strict: bool) -> usize {
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

/// Text that declares no charset: UTF-8 when valid, else `fallback`, the message's guess,
/// unless that guess is UTF-8 (the rest of the message was): then these bytes' own.
pub(super) fn decode_undeclared<'a>(bytes: &'a [u8], fallback: &'static Encoding) -> Cow<'a, str> {
    if fallback == encoding_rs::UTF_8 {
        guess_decode(bytes)
    } else {
        decode_with(bytes, fallback)
    }
}

/// Decodes bytes in an unknown charset: UTF-8 when valid, else chardetng's guess.
fn guess_decode(bytes: &[u8]) -> Cow<'_, str> {
    decode_with(bytes, undeclared_charset(bytes))
}

/// A charset label as it is compared: no quotes or blanks, lowercase, no `*language`.
fn clean_label(label: &str) -> String {
    let label = label.trim().trim_matches(['"', '\'']).trim();
    let label = label.split('*').next().unwrap_or_default();
    label.to_ascii_lowercase()
}

/// Whether mail-parser decodes text declared as `label` right by itself: it knows the
/// label, or the label means UTF-8 (which it assumes for labels it does not know).
pub(super) fn parser_decodes(label: &str) -> bool {
    let label = clean_label(label);
    mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()).is_some()
        || Encoding::for_label(label.as_bytes()) == Some(encoding_rs::UTF_8)
}

/// Decodes text declared as `label` the way a mail client does: the Encoding Standard's
/// labels and UTF-7 (the `charset` crate, from encoding_rs's author, as Thunderbird
/// decodes), DOS code pages by their names (`ibm437`, `cp852`, `437`: `oem_cp`), the old
/// Mac charsets (`x-mac-ce`, ...), then whatever mail-parser knows. A label none of them
/// knows is treated as no label: UTF-8 when valid, else `fallback`.
pub(super) fn decode_declared(label: &str, bytes: &[u8], fallback: &'static Encoding) -> String {
    let label = clean_label(label);
    if let Some(charset) = charset::Charset::for_label_no_replacement(label.as_bytes()) {
        return charset.decode_with_bom_removal(bytes).0.into_owned();
    }
    if let Some(table) = dos_code_page(&label) {
        return table.decode_string_lossy(bytes);
    }
    if let Some(table) = mac_charset(&label) {
        return bytes
            .iter()
            .map(|&b| {
                if b < 0x80 {
                    char::from(b)
                } else {
                    table[usize::from(b - 0x80)]
                }
            })
            .collect();
    }
    if let Some(decode) = mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()) {
        return decode(bytes);
    }
    decode_undeclared(bytes, fallback).into_owned()
}

/// The DOS (OEM) code page a label names: `ibm437`, `cp437`, `437`, `cspc8codepage437`,
/// `x-ibm437`, `ibm-852`, ...
fn dos_code_page(label: &str) -> Option<&'static oem_cp::code_table_type::TableType> {
    let number = ["cspc8codepage", "cspc", "x-ibm", "ibm-", "ibm", "cp-", "cp", "oem"]
        .iter()
        .find_map(|prefix| label.strip_prefix(prefix))
        .unwrap_or(label);
    let number: u16 = number.parse().ok()?;
    oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&number)
}

/// The old Mac charset a label names (the ones the Encoding Standard has are decoded
/// before this is asked).
fn mac_charset(label: &str) -> Option<&'static [char; 128]> {
    let name = label.strip_prefix("x-").unwrap_or(label);
    let name = name.strip_prefix("mac-").or_else(|| name.strip_prefix("mac"))?;
    Some(match name {
        "ce" | "centraleurope" | "centeuro" | "latin2" => &mac::MAC_CENTRAL_EUROPE,
        "greek" => &mac::MAC_GREEK,
        "turkish" => &mac::MAC_TURKISH,
        "icelandic" | "iceland" => &mac::MAC_ICELANDIC,
        "croatian" => &mac::MAC_CROATIAN,
        "romanian" => &mac::MAC_ROMANIAN,
        _ => return None,
    })
}

static ENCODED_WORD: LazyLock<BytesRegex> =
    LazyLock::new(|| BytesRegex::new(r"(?-u)=\?([^?\s]{1,75})\?([QqBb])\?([^?\s]*)\?=").expect("valid pattern"));

/// One RFC 2047 encoded word of a header block.
struct EncodedWord<'a> {
    span: Range<usize>,
    charset: &'a [u8],
    /// The bytes it stands for, before the charset is applied.
    bytes: Vec<u8>,
    /// Whether raw 8-bit bytes stand inside it (against the RFC, but real).
    raw_8bit: bool,
}

/// Rewrites the encoded words of a header block that mail-parser would read wrong, each
/// run of them as one UTF-8 encoded word, as a mail client reads them: adjacent words in
/// one charset are joined before decoding (a character split across two words then
/// comes out whole), raw 8-bit bytes inside a word are read in its charset, and charsets
/// mail-parser does not know are decoded by [`decode_declared`]. `None` when nothing
/// needed it; words it cannot decode are left as they are.
fn mend_encoded_words(block: &[u8], fallback: &'static Encoding) -> Option<Vec<u8>> {
    let words: Vec<EncodedWord<'_>> = ENCODED_WORD
        .captures_iter(block)
        .filter_map(|c| {
            let text = &c[3];
            let bytes = if c[2].eq_ignore_ascii_case(b"b") {
                base64_word(text)?
            } else {
                q_word(text)
            };
            Some(EncodedWord {
                span: c.get(0)?.range(),
                charset: c.get(1)?.as_bytes(),
                bytes,
                raw_8bit: !text.is_ascii(),
            })
        })
        .collect();
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut run_start = 0;
    for i in 0..words.len() {
        let continues = words
            .get(i + 1)
            .is_some_and(|next| only_folding(&block[words[i].span.end..next.span.start]));
        if continues {
            continue;
        }
        let run = &words[run_start..=i];
        run_start = i + 1;
        let ours = decode_run(run, fallback);
        let theirs: String = run.iter().map(parser_reading).collect();
        if !run.iter().any(|w| w.raw_8bit) && ours == theirs {
            continue;
        }
        let out = out.get_or_insert_with(|| Vec::with_capacity(block.len() + 32));
        out.extend_from_slice(&block[copied..run[0].span.start]);
        out.extend_from_slice(b"=?utf-8?b?");
        out.extend_from_slice(base64_encode(ours.as_bytes()).as_bytes());
        out.extend_from_slice(b"?=");
        copied = run[run.len() - 1].span.end;
    }
    out.map(|mut out| {
        out.extend_from_slice(&block[copied..]);
        out
    })
}

/// Whether the bytes between two encoded words are only white space and line folds,
/// which RFC 2047 says to drop (a line break not followed by a blank starts a new
/// header, so it is not a fold).
fn only_folding(gap: &[u8]) -> bool {
    gap.iter().enumerate().all(|(i, &b)| match b {
        b' ' | b'\t' | b'\r' => true,
        b'\n' => matches!(gap.get(i + 1), Some(b' ' | b'\t')),
        _ => false,
    })
}

/// A run of adjacent encoded words, decoded as a mail client does: the bytes of
/// consecutive words in the same charset joined, then decoded.
fn decode_run(run: &[EncodedWord<'_>], fallback: &'static Encoding) -> String {
    let mut text = String::new();
    let mut at = 0;
    while at < run.len() {
        let charset = run[at].charset;
        let label = clean_label(&String::from_utf8_lossy(charset));
        let mut bytes = Vec::new();
        while at < run.len() && clean_label(&String::from_utf8_lossy(run[at].charset)) == label {
            bytes.extend_from_slice(&run[at].bytes);
            at += 1;
        }
        text.push_str(&decode_declared(&label, &bytes, fallback));
    }
    text
}

/// What mail-parser makes of one encoded word on its own.
fn parser_reading(word: &EncodedWord<'_>) -> String {
    let label = clean_label(&String::from_utf8_lossy(word.charset));
    match mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()) {
        Some(decode) => decode(&word.bytes),
        None => String::from_utf8_lossy(&word.bytes).into_owned(),
    }
}

/// The bytes of a `Q` encoded word: `_` is a space, `=XX` a byte.
fn q_word(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' if let Some(byte) = text.get(i + 1..i + 3).and_then(hex_byte) => {
                out.push(byte);
                i += 3;
                continue;
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The bytes of a `B` encoded word; padding may be missing. `None` for anything else.
fn base64_word(text: &[u8]) -> Option<Vec<u8>> {
    let text = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in text {
        let value = BASE64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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
    let decoded = if charset.is_empty() {
        guess_decode(&bytes).into_owned()
    } else {
        decode_declared(&charset, &bytes, undeclared_charset(&bytes))
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

    fn mended(block: &str) -> Option<String> {
        mend_encoded_words(block.as_bytes(), encoding_rs::WINDOWS_1252).map(|b| String::from_utf8(b).unwrap())
    }

    /// What mail-parser reads from a header block once it is mended.
    fn subject(block: &[u8]) -> String {
        let fixed = headers_in_utf8(block, encoding_rs::WINDOWS_1252);
        let message = mail_parser::MessageParser::default().parse(fixed.as_ref()).unwrap();
        message.subject().unwrap_or_default().to_string()
    }

    #[test]
    fn a_character_split_across_encoded_words_is_joined() {
        // "Zoë" with the two bytes of ë in two words
        assert_eq!(subject(b"Subject: =?utf-8?b?Wm/D?= =?UTF-8?B?qw==?=\n\nx\n"), "Zoë");
        // folded onto the next line, Q and B mixed
        assert_eq!(
            subject(b"Subject: =?utf-8?q?Zo=C3?=\n =?utf-8?b?qw==?= ok\n\nx\n"),
            "Zoë ok"
        );
        // words in different charsets are decoded each in its own
        assert_eq!(
            subject(b"Subject: =?iso-8859-1?q?K=F6ln?= =?utf-8?q?_K=C3=B6ln?=\n\nx\n"),
            "Köln Köln"
        );
    }

    #[test]
    fn raw_8bit_bytes_inside_a_word_are_read_in_its_charset() {
        assert_eq!(subject(b"Subject: =?iso-8859-1?q?Gr\xfc\xdfe?=\n\nx\n"), "Grüße");
        assert_eq!(subject(b"Subject: =?koi8-r?q?\xd4\xc5\xd3\xd4?= ok\n\nx\n"), "тест ok");
    }

    #[test]
    fn legacy_charsets_in_words_are_decoded() {
        assert_eq!(subject(b"Subject: =?IBM437?Q?St=94rung?=\n\nx\n"), "Störung");
        assert_eq!(subject(b"Subject: =?x-mac-ce?Q?Ji=DE=92?=\n\nx\n"), "Jiří");
        assert_eq!(subject(b"Subject: =?unicode-1-1-utf-7?Q?Hi_+Jjo-?=\n\nx\n"), "Hi ☺");
    }

    #[test]
    fn words_mail_parser_reads_right_are_left_alone() {
        assert_eq!(mended("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?w7Y=?="), None);
        assert_eq!(mended("Subject: =?iso-8859-1?q?Gr=FC=DFe?="), None);
        assert_eq!(mended("Subject: plain words ?= =? no words"), None);
        // a line break that is not a fold ends the run: the next header is not joined
        let two = "Subject: =?utf-8?b?Wm/D?=\nX-Other: =?utf-8?b?qw==?=";
        assert_eq!(mended(two), None);
    }

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

    #[test]
    fn labels_name_the_charsets_mail_clients_know() {
        let latin1 = encoding_rs::WINDOWS_1252;
        assert_eq!(decode_declared("ibm437", b"\x81\xc9", latin1), "ü╔");
        assert_eq!(decode_declared("\"CP437\"", b"\x81", latin1), "ü");
        assert_eq!(decode_declared("437", b"\x81", latin1), "ü");
        assert_eq!(decode_declared("cspc8codepage437", b"\x81", latin1), "ü");
        assert_eq!(decode_declared("ibm852", b"\xa5", latin1), "ą");
        assert_eq!(decode_declared("x-mac-greek", b"\xe1", latin1), "α");
        assert_eq!(decode_declared("x-mac-roman", b"\x8a", latin1), "ä");
        assert_eq!(decode_declared("x-unicode-2-0-utf-7", b"+AOQ-", latin1), "ä");
        assert_eq!(decode_declared("iso-8859-2*cs", b"\xb9", latin1), "š");
        assert_eq!(decode_declared("no-such-charset", b"\xe4", latin1), "ä");
        assert!(!parser_decodes("ibm437") && !parser_decodes("x-mac-ce") && !parser_decodes("unicode-1-1-utf-7"));
        assert!(parser_decodes("utf-8") && parser_decodes("ISO-8859-1") && parser_decodes("x-mac-cyrillic"));
    }

    #[test]
    fn base64_round_trips() {
        for bytes in [&b""[..], b"a", b"ab", b"abc", b"abcd", "Zoë – ok".as_bytes()] {
            assert_eq!(base64_word(base64_encode(bytes).as_bytes()).unwrap(), bytes);
        }
        assert_eq!(base64_word(b"w7Y").unwrap(), "ö".as_bytes());
        assert_eq!(base64_word(b"w7Y*"), None);
    }

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
