//! Telling input that is not mail at all from mail, however broken.
//!
//! ticketd stores every message, however malformed, and even text a person piped in
//! without headers (it has a sender to bounce to no more than a message with headers
//! has, but a person wrote it, and staff can read it). What it refuses is input no one
//! could read as a message: nothing at all, or binary data with no header block (an
//! image, an archive, random bytes, a program that crashed writing to the pipe). Storing
//! those made a blank ticket and told staff about it; refused, mailgate exits 65
//! (EX_DATAERR) and the MTA bounces the input to its sender with mailgate's line, so it is
//! not lost without a word (docs/CONTRACT.md).
//!
//! The rule, on the input after Postfix's `From ` line:
//! - empty, or only white space: not mail;
//! - a first non-blank line that is a header field (`Name: value`, the name starting with
//!   a letter): mail, whatever follows;
//! - otherwise (no header block) it is mail when it is text, and not mail when it is
//!   binary: it begins as a common binary format does (an image, PDF, archive, Office
//!   file), has a NUL byte, or more than one byte in 20 is a control character other than
//!   tab, line ends, form feed and escape (which ISO-2022-JP text has), in its first 64 KiB.
//!   Text in a legacy 8-bit charset (KOI8-R, Latin-1) is text: bytes above 127 do not count.

use super::repair::field_name_end;

/// How much of headerless input is looked at to tell text from binary.
const SAMPLE_BYTES: usize = 64 * 1024;

/// Why `raw` is not an email message at all, if it is not (see the module doc). `raw` is
/// the input as the MTA handed it over.
pub fn not_mail(raw: &[u8]) -> Option<String> {
    let raw = super::parse::strip_mbox_from_line(raw);
    let Some(first) = raw
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .find(|line| !line.iter().all(u8::is_ascii_whitespace))
    else {
        return Some(if raw.is_empty() {
            "it is empty".into()
        } else {
            "it holds nothing but white space".into()
        });
    };
    if field_name_end(first).is_some() {
        return None;
    }
    let sample = &raw[..raw.len().min(SAMPLE_BYTES)];
    if let Some(format) = binary_format(sample) {
        return Some(format!("it has no header block and is {format}"));
    }
    if sample.contains(&0) {
        return Some("it has no header block and holds binary data (NUL bytes)".into());
    }
    let controls = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    if controls * 20 > sample.len() {
        return Some("it has no header block and holds binary data (control characters)".into());
    }
    None
}

/// The common binary format `bytes` begin as, if they do: what people most often send by
/// mistake, or label as text.
pub(super) fn binary_format(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"%PDF-", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive or Office document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
        (b"\x1f\x8b", "gzip data"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (b"\x7fELF", "a program"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_and_white_space_are_not_mail() {
        assert_eq!(not_mail(b"").as_deref(), Some("it is empty"));
        assert!(not_mail(b" \r\n\t\n").unwrap().contains("white space"));
        assert!(not_mail(b"From MAILER-DAEMON Fri Nov 27 10:49:35 2026\n\n").is_some());
    }

    #[test]
    fn binary_without_headers_is_not_mail() {
        assert!(
            not_mail(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
                .unwrap()
                .contains("PNG image")
        );
        assert!(not_mail(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n").unwrap().contains("PDF"));
        assert!(not_mail(b"abc\0def").unwrap().contains("NUL"));
        assert!(not_mail(b"ab\x01\x02\x03cd\x04\x05\x06ef").unwrap().contains("control"));
    }

    #[test]
    fn headers_or_text_are_mail() {
        assert_eq!(not_mail(b"From: a@b\n\n\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(not_mail(b"\n  \nSubject: hi\n\nx"), None);
        assert_eq!(not_mail(b"just some text\nwith no header block\n"), None);
        assert_eq!(not_mail(b"\xd4\xc5\xd3\xd4 koi8-r text\n"), None);
        assert_eq!(not_mail(b"\x1b$B%F%9%H\x1b(B iso-2022-jp\n"), None);
        assert_eq!(not_mail(b"x"), None);
    }
}
