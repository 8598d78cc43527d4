//! Size: a large message is stored at once and its notifications quote a bounded
//! excerpt; whatever is in a subject, outgoing mail has no line over 998 characters; a
//! notification that cannot be composed is skipped, not the message that caused it.

use crate::harness::*;

/// Every line of an outgoing message, without its line ending, is at most 998 bytes.
fn assert_short_lines(message: &str) {
    for line in message.split('\n') {
        let line = line.trim_end_matches('\r');
        assert!(line.len() <= 998, "a line of {} bytes: {:.100}...", line.len(), line);
    }
}

/// The decoded text of an outgoing message.
fn body(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default().parse(message.as_bytes()).unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

/// A plain-text message of `size` bytes to the `network` queue, whose AdminCc is told of
/// every new ticket with the message quoted.
fn large_message(size: usize, subject: &str) -> Vec<u8> {
    let mut message = format!(
        "From: zoe@example.net\nTo: noc@tickets.test\nSubject: {subject}\nMessage-ID: <{}>\n\
         Content-Type: text/plain; charset=utf-8\n\nThe log:\n",
        message_id()
    )
    .into_bytes();
    let mut n = 0;
    while message.len() < size {
        message.extend_from_slice(
            format!("2026-11-27T10:00:00 worker[{n}]: request served in {} ms\n", n % 997).as_bytes(),
        );
        n += 1;
    }
    message
}

/// Composing the AdminCc's notification used to be quadratic in the message's size (a
/// 10 MB mail kept the writer, and every other delivery, busy for a minute or more, past
/// mailgate's 60 s timeout).
#[test]
fn a_ten_megabyte_message_is_stored_and_notified_with_an_excerpt() {
    let d = Daemon::start();
    let message = large_message(10 * 1024 * 1024, "Disk full on db1");
    d.deliver("network", &message);
    // the ticket shows and searches the first MiB of text; the whole message stays
    let stored: i64 = d.count("SELECT length(content) FROM transactions WHERE ticket_id = 1 AND type = 'Create'");
    assert!(
        (1_000_000..1_100_000).contains(&stored),
        "a MiB of text on the ticket: {stored}"
    );
    let ticket = d.show(1);
    let create = &transactions_of(&ticket, "Create")[0];
    assert!(create["content"].as_str().unwrap().trim_end().ends_with(
        "more bytes of text are not shown here; the whole message is kept in its attachments and raw message]"
    ));
    let raw = d.tkt(&["raw", &create["id"].to_string()]);
    assert!(
        raw.status.success() && raw.stdout == message,
        "tkt raw gives the message byte for byte"
    );
    let text_part = create["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["content_type"] == "text/plain")
        .expect("the text part");
    let part = d.tkt(&["attachment", &text_part["id"].to_string()]);
    assert!(part.stdout.len() > 10_000_000 && message.ends_with(&part.stdout));
    // both were written ahead in chunks, and kept
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs WHERE kept = 1"), 2);
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs WHERE kept = 0"), 0);
    let outbox = d.outbox();
    let notice = outbox
        .iter()
        .find(|q| q.recipients == ["staff@tickets.test"])
        .expect("the AdminCc is told");
    assert!(
        notice.message.len() < 64 * 1024 + 8 * 1024,
        "{} bytes",
        notice.message.len()
    );
    let text = body(&notice.message);
    assert!(
        text.trim_end()
            .ends_with("more bytes, not quoted: the whole message is on ticket #1]"),
        "{:.3000}",
        notice.message
    );
    assert!(text.contains("worker[0]: request served in 0 ms"), "{text:.3000}");
    assert_short_lines(&notice.message);
    // and a small message right after goes through as usual
    d.deliver("general", &mail("bob@example.org", "Small", "Hello.", &[]));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
}

#[test]
fn how_much_a_notification_quotes_is_configurable() {
    let d = Daemon::start_with(Setup {
        mail: vec!["max_quoted_bytes = 200".into()],
        ..Setup::default()
    });
    d.deliver("network", &large_message(5000, "Disk full on db2"));
    let outbox = d.outbox();
    let notice = outbox.iter().find(|q| q.recipients == ["staff@tickets.test"]).unwrap();
    let text = body(&notice.message);
    let quoted = text.split("The log:").nth(1).expect("the message is quoted");
    let (excerpt, rest) = quoted.split_once("[... ").expect("and says it is cut");
    assert!(excerpt.len() <= 200, "{excerpt}");
    assert!(
        rest.contains("more bytes, not quoted: the whole message is on ticket #1]"),
        "{rest}"
    );
}

/// Subjects come from senders: a long one, one long word, control characters, a line
/// break meant to start a header of its own.
#[test]
fn hostile_subjects_give_well_formed_notifications() {
    let d = Daemon::start();
    let subjects = [
        "Disk ".repeat(1000),
        "x".repeat(3000),
        "=?UTF-8?B?".to_string() + &"w6TDtsO8".repeat(300) + "?=",
        "Printer\u{1b}[2J on fire\u{7}".to_string(),
    ];
    for subject in &subjects {
        d.deliver("network", &large_message(1000, subject));
    }
    // the requestor's autoreply and the AdminCc's notice for each
    let outbox = d.outbox();
    assert_eq!(outbox.len(), 2 * subjects.len(), "{outbox:?}");
    for (n, queued) in outbox.iter().enumerate() {
        assert_short_lines(&queued.message);
        let subject = header(&queued.message, "Subject").unwrap();
        let ticket = n / 2 + 1;
        assert!(subject.contains(&format!("[tickets.test #{ticket}]")), "{subject}");
        assert!(subject.len() < 1000, "{subject}");
        assert!(!subject.contains(['\u{1b}', '\u{7}']), "{subject}");
    }
    let fourth = header(&outbox[7].message, "Subject").unwrap();
    assert_eq!(fourth, "[tickets.test #4] Printer[2J on fire");
}

/// A notification that cannot be composed (here: a queue address lettre refuses) is
/// logged and left out, like a template that fails; the message is still a ticket.
#[test]
fn a_notification_that_cannot_be_composed_is_skipped_not_the_message() {
    let d = Daemon::start_with(Setup {
        queues: Some(
            r#"
[[queues]]
name = "general"
address = "help desk@tickets.test"
comment_address = "help-comment@tickets.test"
"#
            .into(),
        ),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    assert_eq!(d.show(1)["subject"], "Printer");
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 0);
    assert!(d.outbox().is_empty());
    assert!(d.log().contains("composing mail failed: no mail sent"), "{}", d.log());
}

/// A message over a MiB is written ahead as blobs, a chunk per writer turn; a redelivery
/// writes nothing again, and shredding its ticket removes its blobs too.
#[test]
fn a_large_message_redelivered_or_shredded_leaves_no_blob_behind() {
    let d = Daemon::start();
    let message = large_message(3 * 1024 * 1024, "Big log");
    d.deliver("network", &message);
    d.deliver("network", &message);
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM blobs"),
        2,
        "the raw message and its text part"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs WHERE kept = 0"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM blob_chunks"), 2 * 3 + 1);
    d.tkt_ok(&["shred", "1", "--yes"]);
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM blob_chunks"), 0);
}

/// A large message that cannot be processed is kept in the quarantine with its raw bytes
/// as a blob, and reads back whole.
#[test]
fn a_large_quarantined_message_reads_back_whole() {
    let d = Daemon::start_with(Setup {
        mail: vec!["max_mime_parts = 2".into()],
        ..Setup::default()
    });
    let mut message = String::from(
        "From: zoe@example.net\nSubject: Many big parts\nMessage-ID: <big-parts@example.net>\n\
         Content-Type: multipart/mixed; boundary=b\n\n",
    );
    for n in 0..3 {
        message.push_str(&format!(
            "--b\nContent-Type: text/plain\n\npart {n}\n{}\n",
            "x".repeat(600_000)
        ));
    }
    message.push_str("--b--\n");
    d.deliver("general", message.as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 1);
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs WHERE kept = 1"), 1);
    let out = d.tkt(&["quarantine", "show", "1", "--json"]);
    assert!(out.status.success(), "{}", d.log());
    let held: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(held["size"], message.len());
    assert!(
        held["summary"].as_str().unwrap().contains("Subject: Many big parts"),
        "{held}"
    );
    assert!(d.tkt(&["quarantine", "raw", "1"]).stdout == message.as_bytes());
}

/// Blobs of deliveries that never finished (ticketd stopped halfway) go at the next start.
#[test]
fn blobs_never_kept_are_removed_at_start() {
    let mut d = Daemon::start();
    d.deliver("network", &large_message(2 * 1024 * 1024, "Kept"));
    d.stop();
    {
        let bytes = if d.database_url.is_some() {
            "'\\x010203'"
        } else {
            "X'010203'"
        };
        d.execute(&format!(
            "INSERT INTO blobs (id, size, created) VALUES (99, 3, '2026-11-30T00:00:00Z'); \
             INSERT INTO blob_chunks (blob_id, seq, data) VALUES (99, 0, {bytes});"
        ));
    }
    d.launch();
    assert_eq!(d.count("SELECT COUNT(*) FROM blobs WHERE id = 99"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM blob_chunks WHERE blob_id = 99"), 0);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM blobs WHERE kept = 1"),
        2,
        "kept blobs stay"
    );
    let ticket = d.show(1);
    let create = &transactions_of(&ticket, "Create")[0];
    assert!(d.tkt(&["raw", &create["id"].to_string()]).stdout.len() > 2 * 1024 * 1024);
}
