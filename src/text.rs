//! Text that people wrote, made safe for where it goes: one line for a mail header or a
//! column (no line breaks, no control characters), or a terminal (no escape sequences).
//!
//! Every write path (mail, tkt, the API) passes names and subjects through [`one_line`],
//! so a header built from them can never be split or smuggle a second header; every text
//! tkt prints passes through [`for_terminal`], so mail cannot move a staff member's cursor,
//! retitle their window or hide text.

/// `text` as one line: a line break with the blanks around it becomes one space (as a
/// folded header unfolds), tabs become spaces, other C0 and C1 control characters (NUL,
/// ESC, DEL, U+0080..U+009F) are dropped, and the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    let mut line = String::with_capacity(text.len());
    let mut pending_break = false;
    for c in text.chars() {
        if is_break(c) {
            pending_break = true;
            continue;
        }
        let c = if c == '\t' { ' ' } else { c };
        if c.is_control() {
            continue;
        }
        if std::mem::take(&mut pending_break) && c != ' ' && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push(c);
    }
    line.trim().to_string()
}

/// `text` as [`one_line`], with every run of blanks made one space: a header value as a
/// mail client shows it, however the sender folded or padded it.
pub fn single_spaced(text: &str) -> String {
    one_line(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `name` is one word people can type: a login, queue or group name, which ends up
/// in headers, columns and commands. Not empty, no blanks, no control characters.
pub fn is_one_word(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `c` would do something to a terminal or to the order in which it shows text:
/// a control character other than line feed and tab, or a bidirectional override.
pub fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` for a terminal: lines and tabs kept, every other control character and
/// bidirectional override shown as U+FFFD. A CR before a line feed is dropped, so CRLF text
/// reads as lines.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(if is_unsafe_for_terminal(c) { '\u{fffd}' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_has_no_breaks_and_no_controls() {
        assert_eq!(
            one_line(" Printer\r\n on fire\0\u{1b}[2J\u{9b}\t!"),
            "Printer on fire[2J !"
        );
        assert_eq!(one_line("Zoë Example"), "Zoë Example");
        assert_eq!(one_line("two\nlines"), "two lines");
        assert_eq!(one_line("spaced  out"), "spaced  out");
    }

    #[test]
    fn one_word_has_no_blanks_and_no_controls() {
        assert!(is_one_word("network-ops"));
        assert!(is_one_word("zoë@example.org"));
        for bad in ["", "two words", "tab\there", "esc\u{1b}[2J", "nul\0", "c1\u{9b}"] {
            assert!(!is_one_word(bad), "{bad:?}");
        }
    }

    #[test]
    fn terminal_text_keeps_lines_and_loses_escapes() {
        assert_eq!(
            for_terminal("a\r\nb\tc\u{1b}]0;pwned\u{7}"),
            "a\nb\tc\u{fffd}]0;pwned\u{fffd}"
        );
        assert_eq!(for_terminal("abc\u{202e}fed"), "abc\u{fffd}fed");
    }
}
