//! Mending a message's bytes before mail-parser reads them, where mail-parser (0.11) reads
//! real-world mail differently from the mail clients its senders tested with.
//!
//! [`repair`] walks the message's MIME structure itself, line by line, and rewrites only
//! what mail-parser would misread:
//!
//! - a parameter folded right after its `=` (`boundary=\r\n\t"..."`, as Exchange Online
//!   writes long values): the fold becomes spaces, so the boundary and the filename survive;
//! - a leading white-space line before the header block, which made the whole message a
//!   body without headers: it is dropped;
//! - a header block (mostly a part's) that runs into the body with no blank line, or
//!   ends with a line of white space: the body starts at the first line that is not a
//!   header, as Python's `email` and mail clients read it, instead of losing that line (a
//!   white-space line followed by a header is an obsolete fold, and stays one);
//! - a second `Content-Type`, `Content-Transfer-Encoding` or `Content-Disposition` in one
//!   header block: the first counts, as in Python's `email` and most clients (mail-parser
//!   takes the last), so the later one is renamed `X-Duplicate-...`;
//! - a Content-Type with no `/` (`text`, `text plain`): `text plain` is `text/plain`, a
//!   lone word is `text/plain` (RFC 2045 5.2: an invalid Content-Type means text/plain);
//! - a boundary that also appears inside a line (mail-parser splits there; a boundary
//!   delimiter is only ever at the start of a line): the multipart gets a fresh boundary
//!   found nowhere in the message;
//! - a multipart whose closing delimiter is missing (the mail was cut short): one is
//!   added, so the last part's base64 is decoded instead of kept as text;
//! - base64 with a list footer or other text after it, stray control or 8-bit bytes, or
//!   a final group without its `=` padding: re-encoded from what it decodes to, the text
//!   after the data dropped and the last bytes kept; a body declared base64 that is plainly
//!   text (its first line is not base64) is encoded as it stands, so it reads as the text
//!   it is.
//!
//! The result borrows the input when nothing needed mending, which is the common case.
//! Every offset mail-parser reports is then an offset into the repaired bytes, which is
//! what `parse` reads headers and bodies from; the raw message ticketd stores is always
//! the original. Fold repairs keep the length, so the offsets of a message that needed
//! only those are also offsets into the original.

use std::borrow::Cow;
use std::ops::Range;

use encoding_rs::Encoding;

use super::base64;
use super::charset::{header_block, header_block_in_utf8};

/// How deep multiparts and attached messages are followed; deeper ones are left as they
/// are (mail-parser reads them as it can). Keeps a hostile message from exhausting the
/// stack.
const MAX_DEPTH: usize = 32;

/// The header names of which only the first in a header block counts.
const FIRST_WINS: [&str; 3] = ["content-type", "content-transfer-encoding", "content-disposition"];

/// What a later duplicate of a [`FIRST_WINS`] header is renamed to, in front of its name.
const DUPLICATE_PREFIX: &[u8] = b"X-Duplicate-";

/// Base64 lines of a re-encoded body, as long as RFC 2045 allows.
const BASE64_LINE: usize = 76;

/// The message as mail-parser should read it: `raw` itself when nothing needed mending.
/// Raw 8-bit header bytes outside encoded words are read as `fallback`.
pub(super) fn repair<'a>(raw: &'a [u8], fallback: &'static Encoding) -> Cow<'a, [u8]> {
    let mut walker = Walker {
        raw,
        fallback,
        edits: Vec::new(),
    };
    walker.entity(0, raw.len(), 0, true);
    if walker.edits.is_empty() {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(apply(raw, walker.edits))
}

/// One change: the bytes `start..end` of the input become `with` (an insertion when the
/// range is empty).
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    with: Vec<u8>,
}

/// Applies edits made in walking order. Edits at the same place keep their order (an
/// inner multipart's closing delimiter before the outer one's); an edit that overlaps an
/// earlier one would be a bug here and is left out rather than trusted.
fn apply(raw: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    edits.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut at = 0;
    for edit in edits {
        if edit.start < at || edit.end < edit.start || edit.end > raw.len() {
            continue;
        }
        out.extend_from_slice(&raw[at..edit.start]);
        out.extend_from_slice(&edit.with);
        at = edit.end;
    }
    out.extend_from_slice(&raw[at..]);
    out
}

/// A header field of a header block, by offsets into the input.
struct Field {
    /// Where its name starts.
    name_start: usize,
    /// Its name, lowercased.
    name: String,
    /// Its value: after the colon to the end of its last line, line ends included.
    value: (usize, usize),
}

/// What a multipart's Content-Type says about its boundary.
struct Boundary {
    value: Vec<u8>,
    /// Where the value stands in the input (inside its quotes, if quoted).
    at: (usize, usize),
}

/// A delimiter line of a multipart body.
struct Delimiter {
    start: usize,
    end: usize,
    closes: bool,
}

/// The walk over one message: the input, and the edits it needs so far.
struct Walker<'a> {
    raw: &'a [u8],
    /// The charset of raw 8-bit header bytes outside encoded words.
    fallback: &'static Encoding,
    edits: Vec<Edit>,
}

/// A header block: its fields, where it stands (without the blank line that ends it), and
/// where the body starts.
struct HeaderBlock {
    fields: Vec<Field>,
    range: Range<usize>,
    body: usize,
}

impl Walker<'_> {
    fn edit(&mut self, start: usize, end: usize, with: impl Into<Vec<u8>>) {
        self.edits.push(Edit {
            start,
            end,
            with: with.into(),
        });
    }

    /// A message or body part in `start..end`: its header block, then its body by type.
    /// `message` is set for a whole message (the top or an attached one), whose first
    /// line must be a header for it to have a header block at all.
    fn entity(&mut self, start: usize, end: usize, depth: usize, message: bool) {
        if depth > MAX_DEPTH {
            return;
        }
        let first_edit = self.edits.len();
        let Some(HeaderBlock { fields, range, body }) = self.header_block(start, end, message) else {
            if depth == 0 {
                // no header block, but what would be one is still read as headers
                let text = start..start + header_block(&self.raw[start..end]).len();
                self.headers_in_utf8(text, first_edit);
            }
            return;
        };
        let mut seen = [false; FIRST_WINS.len()];
        let mut content_type = None;
        let mut encoding = String::new();
        for field in &fields {
            let Some(which) = FIRST_WINS.iter().position(|n| *n == field.name) else {
                continue;
            };
            if std::mem::replace(&mut seen[which], true) {
                self.edit(field.name_start, field.name_start, DUPLICATE_PREFIX);
                continue;
            }
            match which {
                0 => {
                    self.unfold_after_equals(field);
                    content_type = Some(self.content_type(field));
                }
                1 => {
                    encoding = String::from_utf8_lossy(&self.raw[field.value.0..field.value.1])
                        .trim()
                        .to_ascii_lowercase()
                }
                _ => self.unfold_after_equals(field),
            }
        }
        self.headers_in_utf8(range, first_edit);
        let (essence, boundary) = content_type.unwrap_or_default();
        if let (true, Some(boundary)) = (essence.starts_with("multipart/"), boundary) {
            if !boundary.value.is_empty() {
                self.multipart(body, end, &boundary, depth);
            }
        } else if matches!(essence.as_str(), "message/rfc822" | "message/global")
            && !matches!(encoding.as_str(), "base64" | "quoted-printable")
        {
            self.entity(body, end, depth + 1, true);
        } else if encoding == "base64" {
            self.base64(body, end);
        }
    }

    /// The header fields of the block at `start`, and where the body starts. `None` for a
    /// message whose first line is no header: it has no header block, and is left to be
    /// read as text.
    fn header_block(&mut self, start: usize, end: usize, message: bool) -> Option<HeaderBlock> {
        let at_first_header = self.skip_leading_blank_lines(start, end);
        if message {
            field_name_end(without_eol(line_at(self.raw, at_first_header, end)))?;
        }
        let mut at = at_first_header;
        let mut fields: Vec<Field> = Vec::new();
        while at < end {
            let line = line_at(self.raw, at, end);
            let text = without_eol(line);
            if text.is_empty() {
                return Some(HeaderBlock {
                    fields,
                    range: at_first_header..at,
                    body: at + line.len(),
                });
            }
            let next = at + line.len();
            if text.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
                && field_name_end(without_eol(line_at(self.raw, next, end))).is_none()
            {
                // a separator line holding white space: it ends the block (followed by a
                // header, it is a fold of the obsolete syntax, as Python's email reads it)
                self.edit(at, at + text.len(), Vec::new());
                return Some(HeaderBlock {
                    fields,
                    range: at_first_header..at,
                    body: next,
                });
            }
            if matches!(text[0], b' ' | b'\t') && !fields.is_empty() {
                if let Some(last) = fields.last_mut() {
                    last.value.1 = at + line.len();
                }
            } else if let Some(colon) = field_name_end(text) {
                let name = String::from_utf8_lossy(&text[..colon]).trim_end().to_ascii_lowercase();
                fields.push(Field {
                    name_start: at,
                    name,
                    value: (at + colon + 1, at + line.len()),
                });
            } else if text.starts_with(b"From ") && !fields.is_empty() {
                // an mbox envelope line inside the header block: not the body
            } else {
                // the body starts here with no blank line before it: put one in
                self.edit(at, at, eol_of(line));
                return Some(HeaderBlock {
                    fields,
                    range: at_first_header..at,
                    body: at,
                });
            }
            at += line.len();
        }
        Some(HeaderBlock {
            fields,
            range: at_first_header..end,
            body: end,
        })
    }

    /// The header block in `range` with its encoded words mended and its raw 8-bit bytes
    /// in UTF-8 (`charset::header_block_in_utf8`), after the mends made to it since edit
    /// `first_edit`: when that changes anything, the block becomes one edit holding all.
    fn headers_in_utf8(&mut self, range: Range<usize>, first_edit: usize) {
        let inside = |e: &Edit| e.start >= range.start && e.start < range.end && e.end <= range.end;
        let block = &self.raw[range.clone()];
        let local: Vec<Edit> = self.edits[first_edit..]
            .iter()
            .filter(|e| inside(e))
            .map(|e| Edit {
                start: e.start - range.start,
                end: e.end - range.start,
                with: e.with.clone(),
            })
            .collect();
        let mended_block = if local.is_empty() {
            Cow::Borrowed(block)
        } else {
            Cow::Owned(apply(block, local))
        };
        let Some(in_utf8) = header_block_in_utf8(&mended_block, self.fallback) else {
            return;
        };
        let ours = self.edits.split_off(first_edit);
        self.edits.extend(ours.into_iter().filter(|e| !inside(e)));
        self.edit(range.start, range.end, in_utf8);
    }

    /// Drops white-space lines in front of the first header of a message or part, which
    /// would otherwise end its header block before it began.
    fn skip_leading_blank_lines(&mut self, start: usize, end: usize) -> usize {
        let mut at = start;
        while at < end {
            let line = line_at(self.raw, at, end);
            let text = without_eol(line);
            let blank = !text.is_empty() && text.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
            if !blank {
                break;
            }
            at += line.len();
        }
        let first = without_eol(line_at(self.raw, at, end));
        if at > start && field_name_end(first).is_some() {
            self.edit(start, at, Vec::new());
            at
        } else {
            start
        }
    }

    /// A fold right after a parameter's `=` (`name=\r\n\t"x"`) becomes spaces, which
    /// mail-parser reads; it loses the parameter otherwise. An `=` inside a quoted value
    /// is no parameter's.
    fn unfold_after_equals(&mut self, field: &Field) {
        let (start, end) = field.value;
        let value = &self.raw[start..end];
        let mut quoted = false;
        let mut i = 0;
        while i < value.len() {
            if quoted {
                match value[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        quoted = false;
                        i += 1;
                    }
                    _ => i += 1,
                }
                continue;
            }
            if value[i] != b'=' {
                quoted = value[i] == b'"';
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < value.len() && matches!(value[j], b' ' | b'\t') {
                j += 1;
            }
            let fold_start = j;
            if value.get(j) == Some(&b'\r') {
                j += 1;
            }
            if value.get(j) == Some(&b'\n') && matches!(value.get(j + 1), Some(b' ' | b'\t')) {
                let spaces = vec![b' '; j + 1 - fold_start];
                self.edit(start + fold_start, start + j + 1, spaces);
                i = j + 1;
            } else {
                i = j.max(i + 1);
            }
        }
    }

    /// The Content-Type's `type/subtype`, lowercased, and its boundary. A type without a
    /// `/` is mended (see the module doc).
    fn content_type(&mut self, field: &Field) -> (String, Option<Boundary>) {
        let (start, end) = field.value;
        // line ends as spaces: offsets in `value` are offsets in the input from `start`
        let value: Vec<u8> = self.raw[start..end]
            .iter()
            .map(|&b| if matches!(b, b'\r' | b'\n') { b' ' } else { b })
            .collect();
        let type_end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
        let kind = &value[..type_end];
        let words: Vec<&[u8]> = kind
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        let mut essence = String::from_utf8_lossy(kind).trim().to_ascii_lowercase();
        if !words.is_empty() && !kind.contains(&b'/') {
            let fixed = match words.as_slice() {
                [main, sub] => [*main, b"/", *sub].concat(),
                _ => b"text/plain".to_vec(),
            };
            let first = kind.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
            let last = kind.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
            essence = String::from_utf8_lossy(&fixed).to_ascii_lowercase();
            self.edit(start + first, start + last, fixed);
        }
        let boundary = parameter(&value, type_end, "boundary").map(|(from, to)| Boundary {
            value: value[from..to].to_vec(),
            at: (start + from, start + to),
        });
        (essence, boundary)
    }

    /// A multipart body: its parts are walked, a boundary also found inside a line is
    /// replaced, and a missing closing delimiter is added.
    fn multipart(&mut self, start: usize, end: usize, boundary: &Boundary, depth: usize) {
        let dashed = [b"--".as_slice(), &boundary.value].concat();
        let body = &self.raw[start..end];
        let mut delimiters: Vec<Delimiter> = Vec::new();
        let mut occurrences = 0;
        for found in memchr::memmem::find_iter(body, &dashed) {
            occurrences += 1;
            let at_line_start = found == 0 || body[found - 1] == b'\n';
            if !at_line_start || delimiters.last().is_some_and(|d| d.closes) {
                continue;
            }
            let line = line_at(self.raw, start + found, end);
            let rest = &line[dashed.len()..];
            let closes = rest.starts_with(b"--");
            let rest = if closes { &rest[2..] } else { rest };
            if rest.iter().all(u8::is_ascii_whitespace) {
                delimiters.push(Delimiter {
                    start: start + found,
                    end: start + found + line.len(),
                    closes,
                });
            }
        }
        let fresh = (occurrences > delimiters.len()).then(|| fresh_boundary(self.raw));
        if let Some(fresh) = &fresh {
            self.edit(boundary.at.0, boundary.at.1, fresh.clone());
            for d in &delimiters {
                self.edit(d.start + 2, d.start + dashed.len(), fresh.clone());
            }
        }
        for (i, d) in delimiters.iter().enumerate() {
            if d.closes {
                break;
            }
            let part_end = delimiters.get(i + 1).map_or(end, |next| next.start);
            self.entity(d.end, part_end, depth + 1, false);
        }
        let closed = delimiters.last().is_some_and(|d| d.closes);
        if !delimiters.is_empty() && !closed {
            let eol = eol_of(line_at(self.raw, start, end));
            let mut close = Vec::new();
            if !self.raw[..end].ends_with(b"\n") {
                close.extend_from_slice(eol);
            }
            close.extend_from_slice(b"--");
            close.extend_from_slice(fresh.as_deref().unwrap_or(&boundary.value));
            close.extend_from_slice(b"--");
            close.extend_from_slice(eol);
            self.edit(end, end, close);
        }
    }

    /// A base64 body in `start..end` (which ends with the line end before the next
    /// delimiter, if any), re-encoded when mail-parser would not decode it whole.
    fn base64(&mut self, start: usize, end: usize) {
        let body = &self.raw[start..end];
        let Some(fixed) = mended_base64(body) else {
            return;
        };
        let eol = eol_of(line_at(self.raw, start, end));
        let mut with = base64::encode_lines(&fixed, BASE64_LINE, eol);
        if !body.ends_with(b"\n") {
            // the next delimiter, if any, must stay at the start of a line
            with.truncate(with.len() - eol.len());
        }
        self.edit(start, end, with);
    }
}

/// What a base64 body holds, when it is not clean base64 that mail-parser decodes whole:
/// the decoded data (text after it and stray bytes in it left out, a final group without
/// padding kept), or the body itself when its first line is not base64 at all. `None`
/// when the body is fine as it is.
fn mended_base64(body: &[u8]) -> Option<Vec<u8>> {
    let mut data_started = false;
    let mut data_end = 0;
    let mut mended = false;
    let mut padded = false;
    // base64 characters since the last `=`, modulo 4: not 0 means a group lacks padding
    let mut pending = 0usize;
    let mut at = 0;
    for line in lines(body) {
        let start = at;
        at += line.len();
        let kind = line_kind(line);
        if kind == LineKind::Blank {
            continue;
        }
        if !data_started && kind == LineKind::Text {
            // plainly text: the body as it stands, without the line end before the
            // next delimiter
            let text = body.strip_suffix(b"\n").unwrap_or(body);
            return Some(text.strip_suffix(b"\r").unwrap_or(text).to_vec());
        }
        if padded || kind == LineKind::Text {
            // text after the end of the data (a list footer), even text of base64 letters
            mended = true;
            break;
        }
        data_started = true;
        mended |= kind == LineKind::Stray;
        let trimmed = trim_line(line);
        let (after_padding, reset) = match memchr::memrchr(b'=', trimmed) {
            Some(last) => (&trimmed[last + 1..], true),
            None => (trimmed, false),
        };
        let characters = match kind {
            LineKind::Stray => after_padding.iter().filter(|&&b| base64::is_alphabet(b)).count(),
            _ => after_padding.len(),
        };
        pending = if reset { characters } else { pending + characters };
        padded = trimmed.ends_with(b"=");
        data_end = start + line.len();
    }
    if !mended && pending.is_multiple_of(4) {
        return None;
    }
    Some(base64::decode_forgiving(&body[..data_end]))
}

#[derive(Debug, PartialEq)]
enum LineKind {
    /// Nothing but white space.
    Blank,
    /// Base64 characters and padding only.
    Data,
    /// Base64 with stray control or 8-bit bytes among it (line noise), which are skipped.
    Stray,
    /// A printable character base64 has not (a space, `:`, `@`): text, not data.
    Text,
}

/// What a line of a base64 body is (its line end and the blanks around it aside).
fn line_kind(line: &[u8]) -> LineKind {
    let line = trim_line(line);
    if line.is_empty() {
        return LineKind::Blank;
    }
    // one look-up per byte: these bodies can be tens of megabytes
    let mut seen = 0u8;
    for &b in line {
        seen |= BASE64_LINE_BYTES[b as usize];
    }
    if seen & TEXT != 0 {
        LineKind::Text
    } else if seen & STRAY != 0 {
        LineKind::Stray
    } else {
        LineKind::Data
    }
}

const TEXT: u8 = 1;
const STRAY: u8 = 2;

/// For each byte, what it makes a line of a base64 body: 0 for base64 characters and
/// `=`, [`TEXT`] for other printable characters and the space, [`STRAY`] for the rest.
static BASE64_LINE_BYTES: [u8; 256] = {
    let mut table = [STRAY; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = if (b as u8).is_ascii_alphanumeric() || matches!(b as u8, b'+' | b'/' | b'=') {
            0
        } else {
            TEXT
        };
        b += 1;
    }
    table
};

/// The lines of `bytes`, each with its line end.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |lf| at + lf + 1);
        let line = &bytes[at..end];
        at = end;
        Some(line)
    })
}

/// A line without its line end and the blanks around it.
fn trim_line(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &line[start..end]
}

/// The line starting at `at`, with its line end, not past `end`.
fn line_at(raw: &[u8], at: usize, end: usize) -> &[u8] {
    let rest = raw.get(at..end).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(lf) => &rest[..=lf],
        None => rest,
    }
}

fn without_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line end a line has (or a message would have): CRLF or LF.
fn eol_of(line: &[u8]) -> &'static [u8] {
    if line.ends_with(b"\r\n") { b"\r\n" } else { b"\n" }
}

/// Where a header line's name ends (the colon), if the line is a header field: a name of
/// printable ASCII without a colon or a space that starts with a letter, then perhaps
/// blanks (obsolete syntax that real mail has), then a colon. "Error 401: ..." and
/// "07:41:02 tunnel down" are no headers; "Subject : x" is.
pub(super) fn field_name_end(line: &[u8]) -> Option<usize> {
    if !line.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let name = line
        .iter()
        .take_while(|&&b| (0x21..0x7f).contains(&b) && b != b':')
        .count();
    let blanks = line[name..].iter().take_while(|&&b| matches!(b, b' ' | b'\t')).count();
    (line.get(name + blanks) == Some(&b':')).then_some(name + blanks)
}

/// Where the value of parameter `name` stands in a header value (from `from` on), without
/// its quotes.
fn parameter(value: &[u8], from: usize, name: &str) -> Option<(usize, usize)> {
    let mut at = from;
    while at < value.len() {
        // at a ';': the parameter's name, up to '='
        at += 1;
        let name_start = at;
        while at < value.len() && !matches!(value[at], b'=' | b';') {
            at += 1;
        }
        let this = String::from_utf8_lossy(&value[name_start..at])
            .trim()
            .to_ascii_lowercase();
        if value.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        while at < value.len() && value[at].is_ascii_whitespace() {
            at += 1;
        }
        let (start, stop) = if value.get(at) == Some(&b'"') {
            let start = at + 1;
            let mut i = start;
            while i < value.len() && value[i] != b'"' {
                i += if value[i] == b'\\' { 2 } else { 1 };
            }
            let stop = i.min(value.len());
            at = stop + 1;
            (start, stop)
        } else {
            let start = at;
            while at < value.len() && !value[at].is_ascii_whitespace() && value[at] != b';' {
                at += 1;
            }
            (start, at)
        };
        while at < value.len() && value[at] != b';' {
            at += 1;
        }
        if this == name {
            return Some((start, stop));
        }
    }
    None
}

/// A boundary found nowhere in the message.
fn fresh_boundary(raw: &[u8]) -> Vec<u8> {
    (0u32..)
        .map(|n| format!("ticketd-repaired-boundary-{n}").into_bytes())
        .find(|b| memchr::memmem::find(raw, b).is_none())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use encoding_rs::{UTF_8, WINDOWS_1252};

    use super::*;

    fn repaired(raw: &str) -> String {
        String::from_utf8(repair(raw.as_bytes(), UTF_8).into_owned()).unwrap()
    }

    #[test]
    fn a_sound_message_is_borrowed_untouched() {
        let raw = b"From: a@b\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n\
                    Content-Type: text/plain\r\n\r\nhi\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                    aGVsbG8=\r\n--x--\r\n";
        assert!(matches!(repair(raw, UTF_8), Cow::Borrowed(_)));
        assert!(matches!(repair(b"just text\nno headers\n", UTF_8), Cow::Borrowed(_)));
        assert!(matches!(repair(b"", UTF_8), Cow::Borrowed(_)));
    }

    #[test]
    fn a_fold_after_equals_becomes_spaces_of_the_same_length() {
        let raw = "Content-Type: multipart/mixed; boundary=\r\n\t\"b\"\r\n\r\n--b\r\n\
                   Content-Disposition: attachment; filename=\n \"a.pdf\"\n\nx\r\n--b--\r\n";
        let out = repaired(raw);
        assert_eq!(out.len(), raw.len());
        assert!(out.contains("boundary=  \t\"b\""), "{out}");
        assert!(out.contains("filename=  \"a.pdf\""), "{out}");
    }

    #[test]
    fn leading_white_space_lines_are_dropped_before_headers_only() {
        assert_eq!(repaired(" \r\n\t\r\nFrom: a@b\r\n\r\nx"), "From: a@b\r\n\r\nx");
        assert!(matches!(repair(b" \nno header here\n", UTF_8), Cow::Borrowed(_)));
        let out =
            repaired("Content-Type: multipart/mixed; boundary=b\n\n--b\n \nContent-Type: text/html\n\nx\n--b--\n");
        assert!(out.contains("--b\nContent-Type: text/html\n\nx"), "{out}");
    }

    #[test]
    fn an_equals_sign_in_a_quoted_value_is_left_alone() {
        let raw = "Content-Type: text/plain; name=\"=?utf-8?q?a?=\r\n =?utf-8?q?b?=\"\r\n\r\nx";
        assert!(matches!(repair(raw.as_bytes(), UTF_8), Cow::Borrowed(_)));
        for raw in [
            "Content-Type: text/plain; name=\"a\\",
            "Content-Disposition: a; b=\"\\\"=\n x\"",
        ] {
            let _ = repair(raw.as_bytes(), UTF_8);
        }
    }

    #[test]
    fn a_part_body_without_a_blank_line_gets_one() {
        let out =
            repaired("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nHello\n--b--\n");
        assert!(out.contains("text/plain\n\nHello\n"), "{out}");
        // a part with no header at all
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nHello: not a header? it is\n--b\nError 401: x\n--b--\n",
        );
        assert!(out.contains("--b\n\nError 401: x\n"), "{out}");
        assert!(out.contains("--b\nHello: not"), "{out}");
    }

    #[test]
    fn a_separator_line_of_white_space_is_emptied() {
        let out =
            repaired("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n \t\nbody\n--b--\n");
        assert!(out.contains("text/plain\n\nbody\n"), "{out}");
    }

    #[test]
    fn a_white_space_line_followed_by_a_header_is_a_fold() {
        let raw = "From: a@b\nX-Spam-Report: x\n\t\nContent-Length: 6\n\nbody\n";
        assert!(matches!(repair(raw.as_bytes(), UTF_8), Cow::Borrowed(_)));
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\t\n07:41:02 up\n--b--\n",
        );
        assert!(out.contains("text/plain\n\n07:41:02 up\n"), "{out}");
    }

    #[test]
    fn the_first_content_type_wins() {
        let out = repaired("Content-Type: text/plain\r\nSubject: s\r\nContent-Type: text/html\r\n\r\nx");
        assert_eq!(
            out,
            "Content-Type: text/plain\r\nSubject: s\r\nX-Duplicate-Content-Type: text/html\r\n\r\nx"
        );
    }

    #[test]
    fn a_content_type_without_a_slash_is_mended() {
        assert!(repaired("Content-Type: text\n\nx").starts_with("Content-Type: text/plain\n"));
        assert!(
            repaired("Content-Type: text plain; charset=utf-8\n\nx").starts_with("Content-Type: text/plain; charset")
        );
        assert!(repaired("Content-Type: bogus\n\nx").starts_with("Content-Type: text/plain\n"));
    }

    #[test]
    fn a_boundary_inside_a_line_gets_a_fresh_boundary() {
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=\"=-=\"\n\n--=-=\n\nsee --=-= here\n--=-=\n\nsecond\n--=-=--\n",
        );
        let fresh = "ticketd-repaired-boundary-0";
        assert!(out.contains(&format!("boundary=\"{fresh}\"")), "{out}");
        assert!(
            out.contains(&format!(
                "\n--{fresh}\n\nsee --=-= here\n--{fresh}\n\nsecond\n--{fresh}--\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn a_missing_closing_delimiter_is_added_inner_before_outer() {
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n\
             --i\r\n\r\nplain\r\n--o\r\n\r\nlast",
        );
        assert!(
            out.ends_with("plain\r\n--i--\r\n--o\r\n\r\nlast\r\n--o--\r\n"),
            "{out:?}"
        );
    }

    #[test]
    fn base64_is_mended_only_when_needed() {
        assert_eq!(mended_base64(b"aGVsbG8=\r\n"), None);
        assert_eq!(mended_base64(b"aGVs\r\nbG8h\r\n"), None);
        // a list footer after the data
        assert_eq!(
            mended_base64(b"aGVs\nbG8h\n___\nUsers mailing list\nhttps://lists/x\n").as_deref(),
            Some(b"hello!".as_slice())
        );
        // text after padding, even text of base64 letters
        assert_eq!(mended_base64(b"aGk=\nThanks\n").as_deref(), Some(b"hi".as_slice()));
        // no padding: the last bytes are kept
        assert_eq!(mended_base64(b"aGVsbG8\n").as_deref(), Some(b"hello".as_slice()));
        assert_eq!(mended_base64(b"aGk\n").as_deref(), Some(b"hi".as_slice()));
        // stray bytes
        assert_eq!(mended_base64(b"aGVs\x00bG8h\n").as_deref(), Some(b"hello!".as_slice()));
        // plainly text
        assert_eq!(
            mended_base64(b"\nNaam: Anna\r\nBericht: hallo\r\n").as_deref(),
            Some(b"\nNaam: Anna\r\nBericht: hallo".as_slice())
        );
    }

    #[test]
    fn a_mended_base64_body_is_re_encoded_in_place() {
        let out = repaired("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8\r\n-- \r\nfooter\r\n");
        assert_eq!(out, "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n");
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\naGk\n--b--\n",
        );
        assert!(out.contains("\n\naGk=\n--b--\n"), "{out}");
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n * 37).map(|i| (i * 7 % 256) as u8).collect();
            let encoded = base64::encode_lines(&data, BASE64_LINE, b"\n");
            assert!(encoded.split(|&b| b == b'\n').all(|l| l.len() <= BASE64_LINE));
            assert_eq!(base64::decode_forgiving(&encoded), data);
        }
    }

    #[test]
    fn attached_messages_are_mended_too() {
        let out = repaired(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n \nSubject: inner\nContent-Type: text\n\nx\n--b--\n",
        );
        assert!(
            out.contains("message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n"),
            "{out}"
        );
    }

    #[test]
    fn hostile_structures_end() {
        let mut deep = String::new();
        for i in 0..200 {
            deep.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"));
        }
        let _ = repair(deep.as_bytes(), UTF_8);
        for raw in [
            &b"Content-Type: multipart/x; boundary=\"\n\n--\n"[..],
            b"Content-Type: ;;;=\"\n\n",
            b"\n\n\n",
            b"=",
        ] {
            let _ = repair(raw, UTF_8);
        }
    }

    #[test]
    fn every_part_header_block_is_mended_and_no_body() {
        let raw = b"From: a@b\nContent-Type: multipart/mixed; boundary=\"b 1\"\n\npreamble \xfc\n--b 1\n\
                    Content-Type: text/plain; charset=iso-8859-1\n\nbody \xfc\n--b 1\n\
                    Content-Type: application/pdf; name=\"M\xe4rz.pdf\"\n\nJVBERg==\n--b 1\n\
                    Content-Type: message/rfc822\n\nSubject: =?utf-8?b?Wm/D?= =?utf-8?b?qw==?=\n\ninner \xfc\n--b 1--\n";
        let fixed = repair(raw, WINDOWS_1252);
        let text = String::from_utf8_lossy(&fixed);
        assert!(text.contains("name=\"März.pdf\""), "{text}");
        assert!(text.contains("Subject: =?utf-8?b?Wm/Dqw==?="), "{text}");
        // bodies and the preamble keep their bytes
        for body in [&b"preamble \xfc\n"[..], b"body \xfc\n", b"inner \xfc\n"] {
            assert!(fixed.windows(body.len()).any(|w| w == body), "{text}");
        }
        // a part that lacks the blank line after its headers keeps its body bytes
        let broken = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nbody \xfc\n--b--\n";
        let fixed = repair(broken, WINDOWS_1252);
        assert!(
            fixed.windows(7).any(|w| w == b"body \xfc\n"),
            "{:?}",
            String::from_utf8_lossy(&fixed)
        );
        // a header block mended as well as put in UTF-8 keeps both mends
        let both = b"Subject: caf\xe9\nContent-Type: text\nContent-Type: text/html\n\nx\n";
        assert_eq!(
            String::from_utf8(repair(both, WINDOWS_1252).into_owned()).unwrap(),
            "Subject: café\nContent-Type: text/plain\nX-Duplicate-Content-Type: text/html\n\nx\n"
        );
    }
}
