//! Text whose charset is missing, wrong, split or unusual: guessing the charset of
//! undeclared 8-bit bytes (chardetng, as a browser does), decoding the charsets real mail
//! declares that the parser does not know (the Encoding Standard's labels, UTF-7, DOS code
//! pages such as IBM437, the old Mac charsets), mending encoded words before the parser
//! reads them, and joining RFC 2231 parameter continuations before decoding them.

mod encoded_words;
mod headers;
mod mac;

pub(super) use headers::{header_block, header_block_in_utf8};

use std::borrow::Cow;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::Regex;

/// The charset of 8-bit text that declares none, guessed once per message so that its
/// headers and bodies agree. Raw 8-bit headers are the surest sign of what the sender's
/// software writes (attachments and declared parts cannot mislead it), so they decide
/// when there are any; otherwise the whole message does.
pub(super) fn undeclared_charset(raw: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(raw).is_ok() {
        return encoding_rs::UTF_8;
    }
    let headers = header_block(raw);
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
    fn rfc2231_continuations_join_before_decoding() {
        let v = "attachment;\n filename*0*=ISO-2022-JP'ja'%1b$B%3f7$7$$%25F%25%2d%259%25H%1b%28B;\n filename*1*=%20;\n filename*2*=%1b$B%25I%25%2d%25e%25a%25s%25H%1b%28B;\n filename*3=.txt";
        assert_eq!(
            rfc2231_continued(v, "filename").as_deref(),
            Some("新しいテキスト ドキュメント.txt")
        );
        assert_eq!(rfc2231_continued("attachment; filename=a.txt", "filename"), None);
    }
}
