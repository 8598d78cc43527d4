//! RFC 2047 encoded words as mail clients read them, rewritten where mail-parser would
//! read them wrong (see [`mend_encoded_words`]).

use std::ops::Range;
use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::bytes::Regex as BytesRegex;

use super::{clean_label, decode_declared};
use crate::mail::base64;

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
pub(super) fn mend_encoded_words(block: &[u8], fallback: &'static Encoding) -> Option<Vec<u8>> {
    let words: Vec<EncodedWord<'_>> = ENCODED_WORD
        .captures_iter(block)
        .filter_map(|c| {
            let text = &c[3];
            let bytes = if c[2].eq_ignore_ascii_case(b"b") {
                base64::decode_strict(text)?
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
        out.extend_from_slice(base64::encode(ours.as_bytes()).as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::repair::repair;

    fn mended(block: &str) -> Option<String> {
        mend_encoded_words(block.as_bytes(), encoding_rs::WINDOWS_1252).map(|b| String::from_utf8(b).unwrap())
    }

    /// What mail-parser reads from a header block once it is mended.
    fn subject(block: &[u8]) -> String {
        let fixed = repair(block, encoding_rs::WINDOWS_1252);
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
    fn base64_round_trips() {
        for bytes in [&b""[..], b"a", b"ab", b"abc", b"abcd", "Zoë – ok".as_bytes()] {
            assert_eq!(base64::decode_strict(base64::encode(bytes).as_bytes()).unwrap(), bytes);
        }
        assert_eq!(base64::decode_strict(b"w7Y").unwrap(), "ö".as_bytes());
        assert_eq!(base64::decode_strict(b"w7Y*"), None);
    }
}
