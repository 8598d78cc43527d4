//! The files of the message a notification passes on (RT sends a reply's attachments
//! with its notifications): which go along within `mail.max_attachment_bytes_per_notification`,
//! how each is written as a MIME part, and the line that names the others in the body.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, SinglePart};

use super::{crlf, header_text};

/// A file name is cut to this many characters.
const MAX_FILE_NAME_CHARS: usize = 200;

/// A file sent with a notification, as the message it came in had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFile {
    /// The name the sender gave it.
    pub name: String,
    /// `type/subtype`, as stored.
    pub content_type: String,
    /// Decoded: UTF-8 for text parts, bytes otherwise.
    pub bytes: Vec<u8>,
}

/// A file named in a notification's body instead of sent along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The name the sender gave it.
    pub name: String,
    /// Its size in bytes, decoded.
    pub size: u64,
}

/// The files of the message a notification passes on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Files<'a> {
    /// Sent along.
    pub attached: &'a [OutgoingFile],
    /// Too large to send along together: named in the body with their sizes.
    pub listed: &'a [ListedFile],
    /// `mail.max_attachment_bytes_per_notification`, which the body's note names.
    pub limit: u64,
}

/// Which files (their sizes, in order) go along with a notification: each in turn that
/// still fits within `limit` bytes in all. The others are named in the body instead.
pub fn files_within(sizes: &[u64], limit: u64) -> Vec<bool> {
    let mut total: u64 = 0;
    sizes
        .iter()
        .map(|&size| {
            let fits = total.saturating_add(size) <= limit;
            if fits {
                total += size;
            }
            fits
        })
        .collect()
}

/// The line that names the files left out, by name and size.
pub(super) fn listed_files_note(files: &Files<'_>, ticket_id: Option<i64>) -> Option<String> {
    if files.listed.is_empty() {
        return None;
    }
    let names: Vec<String> = files
        .listed
        .iter()
        .map(|file| format!("{} ({})", file_name(&file.name), human_size(file.size)))
        .collect();
    let where_ = ticket_id.map_or_else(|| "the ticket".to_string(), |id| format!("ticket #{id}"));
    Some(format!(
        "[Not attached, more than {} a message: {}. They are on {where_}.]",
        human_size(files.limit),
        names.join(", ")
    ))
}

/// A size for people: bytes, KiB or MiB.
fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes < KIB {
        format!("{bytes} bytes")
    } else if bytes < MIB {
        format!("{:.1} KiB", bytes as f64 / KIB as f64)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// A file as a MIME part: its name encoded by lettre (RFC 2231), its bytes in base64 so
/// they arrive exactly as they came. An attached mail goes as `message/rfc822` when it is
/// 7-bit text (which that type requires), else as bytes under its name.
pub(super) fn file_part(file: &OutgoingFile) -> SinglePart {
    let attachment = Attachment::new(file_name(&file.name));
    let kind = file.content_type.to_ascii_lowercase();
    if kind.starts_with("message/")
        && file.bytes.is_ascii()
        && let Ok(text) = std::str::from_utf8(&file.bytes)
        && let Ok(body) = Body::new_with_encoding(crlf(text), ContentTransferEncoding::SevenBit)
        && let Ok(message) = ContentType::parse("message/rfc822")
    {
        return attachment.body(body, message);
    }
    let content_type = file_content_type(&kind, &file.bytes);
    let body = Body::new_with_encoding(file.bytes.clone(), ContentTransferEncoding::Base64).unwrap_or_else(Body::new);
    attachment.body(body, content_type)
}

/// The Content-Type a file goes out with: its own (text in UTF-8 says so, since text
/// parts are stored decoded), or `application/octet-stream` when it is not one lettre
/// can write, or a container that cannot be sent in base64.
fn file_content_type(kind: &str, bytes: &[u8]) -> ContentType {
    let octets = || ContentType::parse("application/octet-stream").expect("a valid content type");
    if kind.starts_with("message/") || kind.starts_with("multipart/") {
        return octets();
    }
    let simple = kind.split_once('/').is_some_and(|(top, sub)| {
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        token(top) && token(sub)
    });
    if !simple {
        return octets();
    }
    let declared = if kind.starts_with("text/") && std::str::from_utf8(bytes).is_ok() {
        format!("{kind}; charset=utf-8")
    } else {
        kind.to_string()
    };
    ContentType::parse(&declared).unwrap_or_else(|_| octets())
}

/// A sender's file name as it may go out: the last path component, one line, bounded,
/// never empty.
fn file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    match header_text(last, MAX_FILE_NAME_CHARS).as_str() {
        "" | "." | ".." => "attachment".to_string(),
        name => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_along_in_order_while_they_fit() {
        assert_eq!(files_within(&[5, 6, 3, 2], 10), [true, false, true, true]);
        assert_eq!(files_within(&[1], 0), [false]);
        assert_eq!(files_within(&[0, u64::MAX, 4], 4), [true, false, true]);
        assert!(files_within(&[], 10).is_empty());
    }

    #[test]
    fn file_names_are_one_bounded_line_without_a_path() {
        assert_eq!(file_name("C:\\Users\\zoe\\report.pdf"), "report.pdf");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\r\nb.txt"), "a b.txt");
        assert_eq!(file_name(".."), "attachment");
        assert_eq!(file_name(""), "attachment");
        assert_eq!(file_name(&"x".repeat(500)).chars().count(), MAX_FILE_NAME_CHARS);
    }

    #[test]
    fn content_types_are_kept_when_lettre_can_write_them() {
        let kind = |k: &str, bytes: &[u8]| {
            let mut headers = lettre::message::header::Headers::new();
            headers.set(file_content_type(k, bytes));
            headers.get_raw("Content-Type").unwrap_or_default().to_string()
        };
        assert_eq!(kind("application/pdf", b"%PDF"), "application/pdf");
        assert_eq!(kind("text/csv", "ä;b".as_bytes()), "text/csv; charset=utf-8");
        assert_eq!(kind("text/plain", b"\xff"), "text/plain");
        assert_eq!(kind("message/rfc822", b"x"), "application/octet-stream");
        assert_eq!(kind("bad type\r\nX: y", b"x"), "application/octet-stream");
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
