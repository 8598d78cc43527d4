//! A message in: the ticket, its content, its parts, its raw bytes.

use crate::harness::*;

#[test]
fn new_message_creates_ticket_one_with_requestor_subject_body_and_an_autoreply() {
    let d = Daemon::start();
    let message = mail("Zoe <zoe@example.net>", "Cannot log in", "My account is locked.", &[]);
    d.deliver("general", &message);

    let t = d.show(1);
    assert_eq!(t["id"], 1);
    assert_eq!(t["queue"], "general");
    assert_eq!(t["subject"], "Cannot log in");
    assert_eq!(t["status"], "new");
    assert_eq!(t["owner"], "Nobody");
    assert_eq!(t["requestors"], serde_json::json!(["zoe@example.net"]));
    let create = &t["transactions"][0];
    assert_eq!(create["type"], "Create");
    assert_eq!(create["creator"], "zoe@example.net");
    assert_eq!(create["content"].as_str().unwrap().trim(), "My account is locked.");

    let sent = d.wait_outgoing(1);
    let (eml, envelope) = &sent[0];
    assert_eq!(
        header(eml, "Subject").unwrap(),
        format!("[{TAG} #1] AutoReply: Cannot log in")
    );
    assert_eq!(header(eml, "To").unwrap(), "zoe@example.net");
    assert_eq!(header(eml, "Auto-Submitted").unwrap(), "auto-replied");
    assert_eq!(header(eml, "X-Ticketd-Loop").unwrap(), TAG);
    assert_eq!(header(eml, "Reply-To").unwrap(), "general <help@tickets.test>");
    let original = String::from_utf8_lossy(&message)
        .lines()
        .find(|l| l.starts_with("Message-ID"))
        .unwrap()
        .to_string();
    let original_id = original.trim_start_matches("Message-ID: ");
    assert_eq!(header(eml, "In-Reply-To").unwrap(), original_id);
    assert_eq!(envelope["forward_path"], serde_json::json!(["zoe@example.net"]));
    assert_eq!(envelope["reverse_path"], "tickets@tickets.test");
}

#[test]
fn unknown_senders_become_unprivileged_users() {
    let d = Daemon::start();
    d.deliver("general", &mail("New Person <new@example.org>", "Hello", "Hi.", &[]));
    let (privileged, name): (bool, String) = d
        .db()
        .query_row(
            "SELECT privileged, real_name FROM users WHERE email = 'new@example.org'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!privileged);
    assert_eq!(name, "New Person");
}

#[test]
fn html_only_mail_is_stored_as_text_and_every_part_is_kept() {
    let d = Daemon::start();
    let message = b"From: a@example.net\nSubject: html\nMessage-ID: <h1@example.net>\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/html; charset=utf-8\n\n\
<html><body><p>The <b>printer</b> is on fire</p></body></html>\n--b1\n\
Content-Type: application/pdf; name=report.pdf\nContent-Disposition: attachment; filename=report.pdf\n\
Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n";
    d.deliver("general", message);
    let t = d.show(1);
    let create = &t["transactions"][0];
    let content = create["content"].as_str().unwrap();
    assert!(content.contains("The printer is on fire"), "{content}");
    assert!(!content.contains("<b>"), "{content}");
    let attachments = create["attachments"].as_array().unwrap();
    let types: Vec<&str> = attachments
        .iter()
        .map(|a| a["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["multipart/mixed", "text/html", "application/pdf"]);
    let pdf = &attachments[2];
    assert_eq!(pdf["filename"], "report.pdf");
    assert_eq!(pdf["size"], 9);
    assert_eq!(pdf["parent"], attachments[0]["id"]);
    let out = d.tkt(&["attachment", &pdf["id"].to_string()]);
    assert_eq!(out.stdout, b"%PDF-1.4\n");
}

#[test]
fn charsets_are_decoded_to_utf8() {
    let d = Daemon::start();
    let message = b"From: =?ISO-8859-1?Q?J=F6rg?= <jorg@example.de>\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n\
Message-ID: <cs1@example.de>\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n\
Sch\xf6ne Gr\xfc\xdfe\n";
    d.deliver("general", message);
    let t = d.show(1);
    assert_eq!(t["subject"], "Grüße");
    assert_eq!(t["transactions"][0]["content"].as_str().unwrap().trim(), "Schöne Grüße");
}

#[test]
fn the_raw_message_is_kept_byte_for_byte_mbox_line_and_all() {
    let d = Daemon::start();
    let mut message = b"From zoe@example.net  Fri Nov 27 10:49:35 2026\nReturn-Path: <zoe@example.net>\n".to_vec();
    message.extend(mail("zoe@example.net", "Raw", "bytes", &[]));
    message.extend(b"\xff\xfe binary garbage kept\r\n");
    d.deliver("general", &message);
    let t = d.show(1);
    assert_eq!(t["subject"], "Raw", "the mbox From_ line is not a header");
    assert_eq!(t["transactions"][0]["has_raw_message"], true);
    let id = t["transactions"][0]["id"].to_string();
    assert_eq!(d.tkt(&["raw", &id]).stdout, message);
}

#[test]
fn a_message_with_no_headers_at_all_is_still_stored() {
    let d = Daemon::start();
    d.deliver("general", b"just some text\nwith no header block\n");
    let t = d.show(1);
    assert_eq!(t["subject"], "");
    assert_eq!(t["requestors"], serde_json::json!([]));
    assert!(
        t["transactions"][0]["content"]
            .as_str()
            .unwrap()
            .contains("just some text")
    );
    assert!(d.outbox().is_empty(), "nobody to answer");
}

/// A broken digest whose MIME tree, as mail-parser recovers it, lists a part inside itself
/// (found by tests/it/mail_properties.rs): the daemon once walked it until it was killed.
#[test]
fn a_broken_digest_is_stored_and_the_daemon_lives_on() {
    let d = Daemon::start();
    let digest = b"Content-Type: multipart/digest; boundary=b\n\n--b\n\nContent-Type: message/rfc822\n\n\n\
                   --bContent-Type: message/rfc822\n\n\n--b--";
    let out = d.mailgate(&["--queue", "general", "--timeout", "20"], digest);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        d.count("SELECT COUNT(*) FROM transactions WHERE raw_message_id IS NOT NULL"),
        1
    );
    d.deliver("general", &mail("zoe@example.net", "After", "Still here.", &[]));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
}
