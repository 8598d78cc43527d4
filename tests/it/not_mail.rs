//! Input that is not mail at all (issue 15): nothing, white space, an image, random
//! bytes. mailgate exits 65 with one line naming why, nothing is stored and no one is told
//! of a blank ticket; the MTA bounces the input to its sender. Text without headers and
//! mail with a binary body are still stored: only what no one could read as a message is
//! refused (`ticketd::mail::not_mail`).

use crate::harness::*;

/// A small PNG (a 1x1 image), as someone might pipe into the gateway by mistake.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn input_that_is_not_mail_is_refused_with_65_and_one_line() {
    let d = Daemon::start();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "it is empty"),
        ("white space", b" \r\n\r\n\t\n".to_vec(), "white space"),
        (
            "an mbox From line and nothing else",
            b"From zoe@example.net  Fri Nov 27 10:49:35 2026\n".to_vec(),
            "it is empty",
        ),
        ("a PNG image", PNG.to_vec(), "PNG image"),
        ("random bytes", random_bytes(64 * 1024), "binary data"),
        ("NUL bytes", vec![0u8; 1000], "binary data"),
    ];
    for (what, input, why) in &cases {
        let out = d.mailgate(&["--queue", "general"], input);
        assert_eq!(out.status.code(), Some(65), "{what}: {}", stderr(&out));
        let line = stderr(&out);
        assert_eq!(line.lines().count(), 1, "{what}: one line: {line}");
        assert!(line.starts_with("mailgate: not a mail message: "), "{what}: {line}");
        assert!(line.contains(why) && line.contains("not stored"), "{what}: {line}");
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 0);
    assert!(d.outbox().is_empty(), "no one is told of a blank ticket");
    assert!(
        d.log().contains("not a mail message"),
        "the admin sees the refusals in the log"
    );
}

/// The refusal is the queue's second question: a queue that does not exist is still 67.
#[test]
fn an_unknown_queue_is_still_67() {
    let d = Daemon::start();
    let out = d.mailgate(&["--queue", "nosuchqueue"], b"");
    assert_eq!(out.status.code(), Some(67), "{}", stderr(&out));
}

#[test]
fn headerless_text_and_mail_with_a_binary_body_are_stored() {
    let d = Daemon::start();
    let mut png_mail = b"From: zoe@example.net\nSubject: the picture\n\n".to_vec();
    png_mail.extend_from_slice(PNG);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text without headers", b"printer 3 is jammed again\n-- Zoe\n".to_vec()),
        ("KOI8-R text without headers", b"\xd4\xc5\xd3\xd4\n".to_vec()),
        (
            "a white-space line, then headers",
            b" \nFrom: zoe@example.net\nSubject: s\n\nx\n".to_vec(),
        ),
        ("headers, then a PNG as the body", png_mail),
    ];
    for (n, (what, input)) in cases.iter().enumerate() {
        let out = d.mailgate(&["--queue", "general"], input);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), n as i64 + 1, "{what}");
    }
    assert_eq!(d.show(3)["subject"], "s");
}
