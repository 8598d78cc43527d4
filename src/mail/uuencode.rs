//! uuencoded files: the `begin 644 name` ... `end` blocks that Lotus Notes, old Outlook
//! Express and Unix `uuencode | mail` put inside a text body, and whole parts sent with
//! `Content-Transfer-Encoding: x-uuencode`. A mail client shows such a block as an
//! attachment and not as a page of line noise; so does ticketd. `begin-base64` blocks
//! (`uuencode -m`) are read too.

use std::ops::Range;

use super::base64;
use super::charset::decode_undeclared;
use super::parse::Part;

/// A file found uuencoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UuFile {
    /// The name from the `begin` line, without any directory.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One uuencoded block in a text: where it is (its lines, from `begin` through `end`)
/// and what it holds.
struct Block {
    span: Range<usize>,
    file: UuFile,
}

/// The text without its uuencoded blocks, and the files they held; `None` when it has
/// none. A block leaves one empty line where it was.
pub(super) fn extract(text: &str) -> Option<(String, Vec<UuFile>)> {
    let blocks = blocks(text);
    if blocks.is_empty() {
        return None;
    }
    let mut rest = String::with_capacity(text.len());
    let mut copied = 0;
    let mut files = Vec::with_capacity(blocks.len());
    for block in blocks {
        rest.push_str(&text[copied..block.span.start]);
        copied = block.span.end;
        files.push(block.file);
    }
    rest.push_str(&text[copied..]);
    Some((rest, files))
}

/// The text without its uuencoded blocks (what [`extract`] keeps), without decoding them.
pub(super) fn without_blocks(text: &str) -> String {
    extract(text).map_or_else(|| text.to_string(), |(rest, _)| rest)
}

/// A whole body sent as `Content-Transfer-Encoding: x-uuencode` (or `uuencode`, `x-uue`):
/// its first block, decoded.
pub(super) fn decode_body(body: &[u8]) -> Option<UuFile> {
    let text = String::from_utf8_lossy(body);
    blocks(&text).into_iter().next().map(|b| b.file)
}

/// Whether a part's own header block says its body is uuencoded.
pub(super) fn is_uuencoded_part(headers: &str) -> bool {
    headers.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-transfer-encoding") && is_uuencode_label(value)
        })
    })
}

/// Whether a Content-Transfer-Encoding value names uuencode.
pub(super) fn is_uuencode_label(encoding: &str) -> bool {
    matches!(
        encoding.trim().to_ascii_lowercase().as_str(),
        "x-uuencode" | "uuencode" | "x-uue" | "uue"
    )
}

/// Mends the MIME tree for uuencoded content: a part sent as x-uuencode gets its decoded
/// bytes (and the name from its `begin` line when it has none), and each uuencoded block
/// in a text/plain body becomes an attachment of its own beside that part, the body
/// keeping the text around it, as RT (MIME-tools' `extract_uuencode`) and mail clients
/// show it.
pub(super) fn mend_parts(parts: &mut Vec<Part>) {
    let mut found = Vec::new();
    for part in parts.iter_mut() {
        let Some(content) = &part.content else {
            continue;
        };
        if is_uuencoded_part(&part.headers) {
            if let Some(file) = decode_body(content) {
                if part.filename.is_none() {
                    part.filename = Some(file.name);
                }
                if part.content_type.starts_with("text/") {
                    // text parts are kept in UTF-8
                    let text = decode_undeclared(&file.bytes, encoding_rs::UTF_8);
                    part.content = Some(text.into_owned().into_bytes());
                } else {
                    part.content = Some(file.bytes);
                }
            }
            continue;
        }
        if part.content_type != "text/plain" || part.filename.is_some() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(content) else {
            continue;
        };
        if let Some((rest, files)) = extract(text) {
            part.content = Some(rest.into_bytes());
            found.extend(files.into_iter().map(|file| (part.parent, file)));
        }
    }
    for (parent, file) in found {
        parts.push(Part {
            parent,
            content_type: content_type_for(&file.name).into(),
            headers: format!(
                "Content-Type: {}\nContent-Disposition: attachment\nContent-Description: uuencoded in the text of the message",
                content_type_for(&file.name)
            ),
            filename: Some(file.name),
            content: Some(file.bytes),
            blob: None,
            message_id: None,
            subject: None,
        });
    }
}

/// The content type a file's name suggests, for the common kinds; else
/// `application/octet-stream`.
fn content_type_for(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "ppt" => "application/vnd.ms-powerpoint",
        "rtf" => "application/rtf",
        _ => "application/octet-stream",
    }
}

/// The uuencoded blocks of a text, in order.
fn blocks(text: &str) -> Vec<Block> {
    let mut found = Vec::new();
    if !text.contains("begin") {
        return found;
    }
    let mut offset = 0;
    let mut lines = Vec::new();
    for line in text.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        match begin_line(line) {
            Some((base64, name)) => match block_body(&lines[i + 1..], base64) {
                Some((bytes, used)) => {
                    let (end_offset, end_line) = lines[i + used];
                    found.push(Block {
                        span: start..end_offset + end_line.len(),
                        file: UuFile { name, bytes },
                    });
                    i += used + 1;
                }
                None => i += 1,
            },
            None => i += 1,
        }
    }
    found
}

/// `begin 644 name` (or `begin-base64 644 name`): whether it is base64, and the name.
fn begin_line(line: &str) -> Option<(bool, String)> {
    let line = line.trim_end();
    let (base64, rest) = if let Some(rest) = line.strip_prefix("begin-base64 ") {
        (true, rest)
    } else {
        (false, line.strip_prefix("begin ")?)
    };
    let (mode, name) = rest.trim_start().split_once(' ')?;
    if !(3..=4).contains(&mode.len()) || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let name = name.trim().rsplit(['/', '\\']).next().unwrap_or_default();
    let name = crate::text::one_line(name);
    let name = if name.trim().is_empty() {
        "uuencoded".to_string()
    } else {
        name
    };
    Some((base64, name))
}

/// The bytes of a block's data lines (after its `begin` line), and how many lines it
/// used through its `end` (`====` for base64). `None` if the lines are not one.
fn block_body(lines: &[(usize, &str)], base64: bool) -> Option<(Vec<u8>, usize)> {
    let mut bytes = Vec::new();
    let mut has_data = false;
    for (n, &(_, line)) in lines.iter().enumerate() {
        let line = line.trim_end_matches(['\r', '\n']);
        if base64 {
            if line == "====" {
                return Some((bytes, n + 1));
            }
            bytes.extend(base64_line(line)?);
        } else {
            if line.trim_end() == "end" {
                return has_data.then_some((bytes, n + 1));
            }
            bytes.extend(uu_line(line)?);
        }
        has_data |= !line.trim().is_empty();
    }
    None
}

/// One uuencoded line: a length character, then groups of four characters for three
/// bytes, each `0x20 + six bits` (a backtick for zero). Encoders that strip trailing
/// blanks leave lines short; the missing characters are zeros.
fn uu_line(line: &str) -> Option<Vec<u8>> {
    let bytes = line.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return Some(Vec::new());
    };
    if !(b' '..=b'`').contains(&first) || !rest.iter().all(|b| (b' '..=b'`').contains(b)) {
        return None;
    }
    let length = usize::from((first - b' ') & 0x3f);
    let needed = length.div_ceil(3) * 4;
    // a line longer than its length says is not uuencode (a little slack: some encoders
    // pad the last group or add a checksum character)
    if rest.len() > needed + 2 {
        return None;
    }
    let value = |i: usize| u32::from(rest.get(i).map_or(0, |&c| (c - b' ') & 0x3f));
    let mut out = Vec::with_capacity(length);
    for group in 0..needed / 4 {
        let n = (value(group * 4) << 18)
            | (value(group * 4 + 1) << 12)
            | (value(group * 4 + 2) << 6)
            | value(group * 4 + 3);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    out.truncate(length);
    Some(out)
}

/// One line of a `begin-base64` block.
fn base64_line(line: &str) -> Option<Vec<u8>> {
    base64::decode_strict(line.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf 'Hello, uuencode!\n' | uuencode hello.txt`
    const HELLO: &str = "begin 644 hello.txt\n12&5L;&\\L('5U96YC;V1E(0H`\n`\nend\n";

    #[test]
    fn a_block_in_text_becomes_a_file_and_leaves_the_text() {
        let text = format!("Hi,\n\nthe file:\n\n{HELLO}\nBye\n");
        let (rest, files) = extract(&text).unwrap();
        assert_eq!(rest, "Hi,\n\nthe file:\n\n\nBye\n");
        assert_eq!(
            files,
            [UuFile {
                name: "hello.txt".into(),
                bytes: b"Hello, uuencode!\n".to_vec()
            }]
        );
    }

    #[test]
    fn text_that_only_looks_like_a_block_is_left_alone() {
        for text in [
            "begin 644 notes.txt\nwe begin at nine\nend\n",
            "begin 644 x\nM\n",
            "begin 644 x\n\nend\n",
            "Let us begin 644 tasks\n",
            "begin now\n`\nend\n",
        ] {
            assert!(extract(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn names_lose_their_directories_and_control_characters() {
        let text = HELLO.replace("hello.txt", "C:\\temp\\ev\u{1b}il.txt");
        assert_eq!(extract(&text).unwrap().1[0].name, "evil.txt");
    }

    #[test]
    fn short_lines_and_base64_blocks_decode() {
        // the trailing blanks of a line stripped by a mail system
        assert_eq!(uu_line("#86)C").unwrap(), b"abc");
        assert_eq!(uu_line("\"86(").unwrap(), b"ab");
        let base64 = "begin-base64 644 hi.txt\nSGVsbG8K\n====\n";
        assert_eq!(decode_body(base64.as_bytes()).unwrap().bytes, b"Hello\n");
    }

    #[test]
    fn uuencoded_parts_are_recognised_by_their_header() {
        assert!(is_uuencoded_part(
            "Content-Type: application/octet-stream\nContent-Transfer-Encoding: X-UUencode"
        ));
        assert!(!is_uuencoded_part("Content-Transfer-Encoding: base64"));
    }
}
