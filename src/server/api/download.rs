//! Bytes someone else wrote, served so that a browser never runs them: attachments and
//! raw messages come from mail, that is from anyone. The web UI to come will link to
//! these URLs from its own origin, so an HTML or SVG attachment rendered in place would
//! run its scripts with the reader's session.
//!
//! Every answer says `X-Content-Type-Options: nosniff` (the browser believes the type we
//! send) and a `Content-Security-Policy` that runs nothing; it is a download
//! (`Content-Disposition: attachment`) unless it is one of a few image types that cannot
//! carry script ([`INLINE_TYPES`]); and no type a browser would run or render as a page
//! (HTML, XML, SVG, script) is ever sent as such: text becomes `text/plain`, the rest
//! `application/octet-stream`.

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Image types shown in place (`inline`): raster formats, which carry no script.
/// SVG is XML that may hold script and is never among them.
pub const INLINE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The answer for stored bytes: `declared` is the type the message gave the part, `name`
/// the file name its sender gave it (or none), `fallback` the name to use without one.
pub fn download(declared: &str, name: Option<&str>, fallback: &str, bytes: Vec<u8>) -> Response {
    let served = served_type(declared);
    let disposition = disposition(INLINE_TYPES.contains(&served.as_str()), name, fallback);
    let header =
        |value: &str| HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, header(&served)),
            (header::CONTENT_DISPOSITION, header(&disposition)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        Bytes::from(bytes),
    )
        .into_response()
}

/// The Content-Type to send for a part declared as `declared`: text as UTF-8 plain text
/// (text parts are stored decoded to UTF-8), a type a browser would run or render as a
/// page as opaque bytes, anything else as declared when it is a well-formed `type/subtype`.
pub fn served_type(declared: &str) -> String {
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return "application/octet-stream".into();
    };
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    if !token(kind) || !token(subtype) {
        return "application/octet-stream".into();
    }
    let runnable = subtype.contains("html")
        || subtype.contains("xml")
        || subtype.contains("script")
        || subtype.contains("svg")
        || kind == "multipart";
    match kind {
        "text" => "text/plain; charset=utf-8".into(),
        _ if runnable => "application/octet-stream".into(),
        _ => essence,
    }
}

/// `attachment` (or `inline`) with the file's name, RFC 6266: a plain ASCII `filename`
/// for old clients and the exact name as `filename*` (RFC 8187, UTF-8 percent-encoded).
/// Only the last path component of a name counts, and control characters are dropped.
pub fn disposition(inline: bool, name: Option<&str>, fallback: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let name: String = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let name = match name.trim() {
        "" | "." | ".." => fallback.to_string(),
        trimmed => trimmed.to_string(),
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encoded(&name)
    )
}

/// RFC 8187's `value-chars`: every byte but `attr-char` as `%XX`.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_a_browser_runs_keeps_its_type() {
        for declared in [
            "text/html",
            "TEXT/HTML; charset=iso-8859-1",
            "text/xml",
            "text/javascript",
            "text/css",
        ] {
            assert_eq!(served_type(declared), "text/plain; charset=utf-8", "{declared}");
        }
        for declared in [
            "image/svg+xml",
            "application/xhtml+xml",
            "application/xml",
            "application/javascript",
            "application/ecmascript",
            "multipart/mixed",
            "",
            "html",
            "text/ html",
            "application/x\"y",
        ] {
            assert_eq!(served_type(declared), "application/octet-stream", "{declared}");
        }
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(served_type("image/PNG"), "image/png");
        assert_eq!(served_type("message/rfc822"), "message/rfc822");
    }

    #[test]
    fn names_are_quoted_safely_and_kept_exactly_in_filename_star() {
        assert_eq!(
            disposition(false, Some("report.pdf"), "x"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            disposition(false, Some("Grüße \"2024\".txt"), "x"),
            "attachment; filename=\"Gr__e _2024_.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%222024%22.txt"
        );
        assert_eq!(
            disposition(true, Some("../../etc/passwd"), "x"),
            "inline; filename=\"passwd\"; filename*=UTF-8''passwd"
        );
        assert_eq!(
            disposition(false, Some("C:\\evil\\a\r\nb;c.exe"), "x"),
            "attachment; filename=\"ab;c.exe\"; filename*=UTF-8''ab%3Bc.exe"
        );
        assert_eq!(
            disposition(false, None, "attachment-7"),
            "attachment; filename=\"attachment-7\"; filename*=UTF-8''attachment-7"
        );
        assert_eq!(
            disposition(false, Some(".."), "attachment-7"),
            "attachment; filename=\"attachment-7\"; filename*=UTF-8''attachment-7"
        );
    }

    #[test]
    fn only_raster_images_are_shown_in_place() {
        let inline = |declared: &str| INLINE_TYPES.contains(&served_type(declared).as_str());
        assert!(inline("image/png") && inline("image/jpeg") && inline("image/gif"));
        assert!(!inline("image/svg+xml") && !inline("text/html") && !inline("application/pdf"));
    }
}
