//! Base64 as mail needs it, on the `base64` crate: decoding as a forgiving mail reader
//! does, and encoding for bodies and encoded words that ticketd rewrites.

use base64::Engine;
use base64::alphabet::STANDARD as ALPHABET;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

/// Padding optional, and a last character's unused bits ignored, as mail clients read it.
const FORGIVING: GeneralPurpose = GeneralPurpose::new(
    &ALPHABET,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Whether `b` is one of base64's 64 characters (not `=`).
pub(super) fn is_alphabet(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Decodes base64 as a forgiving reader does: bytes outside the alphabet are skipped,
/// `=` ends a group early (pieces encoded one after another), and a final group without
/// padding still gives its bytes. A lone character left over carries no whole byte.
pub(super) fn decode_forgiving(data: &[u8]) -> Vec<u8> {
    let clean: Vec<u8> = data.iter().copied().filter(|&b| is_alphabet(b) || b == b'=').collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3 + 3);
    for piece in clean.split(|&b| b == b'=') {
        let usable = piece.len() - usize::from(piece.len() % 4 == 1);
        // only alphabet characters, never a length of 4n + 1: this cannot fail
        let _ = FORGIVING.decode_vec(&piece[..usable], &mut out);
    }
    out
}

/// The bytes of base64 text that must be nothing else (a `B` encoded word): padding may
/// be missing; `None` when a character is not base64.
pub(super) fn decode_strict(text: &[u8]) -> Option<Vec<u8>> {
    let data = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    data.iter().all(|&b| is_alphabet(b)).then(|| decode_forgiving(data))
}

/// `bytes` in base64, padded.
pub(super) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `bytes` in base64 lines of at most `line` characters, each ended with `eol`; one
/// `eol` for no bytes.
pub(super) fn encode_lines(bytes: &[u8], line: usize, eol: &[u8]) -> Vec<u8> {
    let encoded = encode(bytes);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / line * eol.len() + eol.len());
    for chunk in encoded.as_bytes().chunks(line) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(eol);
    }
    if out.is_empty() {
        out.extend_from_slice(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgiving_decoding_skips_junk_and_keeps_unpadded_ends() {
        assert_eq!(decode_forgiving(b"aGVs\r\nbG8*\x01"), b"hello");
        assert_eq!(decode_forgiving(b"aGVsbG8"), b"hello");
        assert_eq!(decode_forgiving(b"aGk=aGk="), b"hihi");
        assert_eq!(decode_forgiving(b"aGVsbG8x"), b"hello1");
        assert_eq!(decode_forgiving(b"aGVsbG8xa"), b"hello1");
    }

    #[test]
    fn round_trips() {
        for n in 0..40 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            let lines = encode_lines(&data, 76, b"\n");
            assert_eq!(decode_forgiving(&lines), data);
            assert_eq!(decode_strict(encode(&data).as_bytes()).unwrap(), data);
        }
        assert_eq!(decode_strict(b"w7Y").unwrap(), "ö".as_bytes());
        assert_eq!(decode_strict(b"w7Y*"), None);
    }
}
