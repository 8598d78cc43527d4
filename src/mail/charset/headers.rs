//! Header blocks as mail-parser should read them: encoded words mended and raw 8-bit bytes
//! in UTF-8. `mail::repair`, which walks every header block of a message (its own, each
//! MIME part's, each attached message's), applies this to each.

use encoding_rs::Encoding;

use super::decode_with;
use super::encoded_words::mend_encoded_words;

/// The header block at the top of `raw`: up to its first empty line, or all of it.
pub(in crate::mail) fn header_block(raw: &[u8]) -> &[u8] {
    let mut end = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if line == b"\n" || line == b"\r\n" {
            break;
        }
        end += line.len();
    }
    &raw[..end]
}

/// Headers must be ASCII, but real mail carries raw 8-bit bytes in them (a KOI8-R subject,
/// a Latin-1 filename) and encoded words the parser would read wrong (see
/// [`mend_encoded_words`]). This is `block` mended and re-encoded in UTF-8, so the parser
/// sees the characters that were meant; raw 8-bit bytes outside encoded words are read as
/// `fallback`. `None` when the block is fine as it is.
pub(in crate::mail) fn header_block_in_utf8(block: &[u8], fallback: &'static Encoding) -> Option<Vec<u8>> {
    let mended = mend_encoded_words(block, fallback);
    let text = mended.as_deref().unwrap_or(block);
    if mended.is_none() && std::str::from_utf8(text).is_ok() {
        return None;
    }
    Some(decode_with(text, fallback).into_owned().into_bytes())
}
