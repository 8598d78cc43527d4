//! What a ticket shows of a message's text, and that the parts the text was made from
//! stay attachments one can download: the HTML of an HTML-only mail, the files of
//! uuencoded blocks, an attached message (see `src/mail/body.rs`).

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::*;

fn mail_quality(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join("mail-quality").join(name)).unwrap()
}

/// The attachments of ticket `id`'s first transaction.
fn attachments(d: &Daemon, id: i64) -> Vec<Value> {
    d.show(id)["transactions"][0]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn html_only_mail_reads_as_text_and_keeps_its_html_to_download() {
    let d = Daemon::start();
    d.deliver("general", &mail_quality("text-html-only.eml"));
    let content = d.show(1)["transactions"][0]["content"].as_str().unwrap().to_string();
    assert!(
        content.contains("since Monday.\nRooms affected:\n* C-101 (12°C)\n* C-204 & C-205\n"),
        "{content}"
    );
    assert!(
        content.contains("1. reset the thermostat\n2. called the caretaker"),
        "{content}"
    );
    assert!(!content.contains('<') && !content.contains("MsoNormal"), "{content}");
    let html = attachments(&d, 1)
        .into_iter()
        .find(|a| a["content_type"] == "text/html")
        .expect("the HTML part is an attachment");
    let out = d.tkt(&["attachment", &html["id"].to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let downloaded = String::from_utf8(out.stdout).unwrap();
    assert!(downloaded.contains("<li>reset the thermostat</li>"), "{downloaded}");
}

/// RT's own Lotus Notes message: the JPEG that came uuencoded in its text is an
/// attachment with the very bytes that were sent, and the text no longer carries 144 KB
/// of line noise.
#[test]
fn uuencoded_blocks_become_attachments_with_their_bytes() {
    let d = Daemon::start();
    d.deliver(
        "general",
        &std::fs::read(corpus_dir().join("rt-emails/notes-uuencoded")).unwrap(),
    );
    let content = d.show(1)["transactions"][0]["content"].as_str().unwrap().to_string();
    assert!(content.contains("from Lotus Notes"), "{content}");
    assert!(!content.contains("begin 644") && content.len() < 1000, "{content}");
    let jpeg = attachments(&d, 1)
        .into_iter()
        .find(|a| a["filename"] == "Naz_Head.jpg")
        .expect("the uuencoded JPEG is an attachment");
    assert_eq!(jpeg["content_type"], "image/jpeg");
    let bytes = d.tkt(&["attachment", &jpeg["id"].to_string()]).stdout;
    // what Python's binascii.a2b_uu makes of the block
    assert_eq!(bytes.len(), 104_846);
    assert_eq!(
        sha256(&bytes),
        "90c705683c1f17d642a74367738f8c10f2884b2180c3316f9a5359134391af8d"
    );

    d.deliver("general", &mail_quality("text-uuencode-transfer-encoding.eml"));
    let export = attachments(&d, 2)
        .into_iter()
        .find(|a| a["filename"] == "export.bin")
        .expect("the x-uuencode part");
    let bytes = d.tkt(&["attachment", &export["id"].to_string()]).stdout;
    let sent: Vec<u8> = (0..=255u8)
        .cycle()
        .take(768)
        .chain(*b"end of the test payload\n")
        .collect();
    assert_eq!(bytes, sent);
}

/// A forwarded message is read in the ticket's text, found by search, and kept whole as
/// an attachment.
#[test]
fn a_forwarded_message_is_text_and_stays_an_attachment() {
    let d = Daemon::start();
    d.deliver("general", &mail_quality("text-forwarded-rfc822.eml"));
    let content = d.show(1)["transactions"][0]["content"].as_str().unwrap().to_string();
    assert!(
        content.starts_with("Please have a look, the customer cannot log in.\n"),
        "{content}"
    );
    assert!(
        content.contains("---------- Forwarded message ----------\nFrom: Maria Lopez <maria@customer.example.net>\n"),
        "{content}"
    );
    assert!(content.contains("Could you unlock it?"), "{content}");
    assert_eq!(d.search("Content LIKE 'unlock'"), [1]);
    let attached = attachments(&d, 1)
        .into_iter()
        .find(|a| a["content_type"] == "message/rfc822")
        .expect("the attached message");
    assert_eq!(attached["filename"], "Login fails since this morning.eml");
    let bytes = d.tkt(&["attachment", &attached["id"].to_string()]).stdout;
    assert!(bytes.starts_with(b"Return-Path: <maria@customer.example.net>\n"));
}
