//! Every message of tests/corpus is accepted, stored with its raw bytes, and none is
//! quarantined.

use sha2::{Digest, Sha256};

use crate::harness::*;

#[test]
fn every_corpus_message_is_accepted_and_kept_byte_for_byte() {
    let d = Daemon::start();
    let files = corpus_files();
    assert!(files.len() >= 25, "corpus not found at {}", corpus_dir().display());
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        let out = d.mailgate(&["--queue", "general"], &raw);
        assert_eq!(out.status.code(), Some(0), "{}: {}", file.display(), stderr(&out));
        let hash: String = Sha256::digest(&raw).iter().map(|b| format!("{b:02x}")).collect();
        let transaction: i64 = d
            .db()
            .query_row(
                "SELECT x.id FROM transactions x JOIN raw_messages r ON r.id = x.raw_message_id WHERE r.sha256 = ?1",
                [&hash],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{} was not stored: {e}", file.display()));
        let back = d.tkt(&["raw", &transaction.to_string()]).stdout;
        assert!(back == raw, "{}: raw bytes differ", file.display());
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 0);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), files.len() as i64);
    assert!(d.tkt_ok(&["quarantine"]).contains("empty"));
}

/// RT's own test of these files sets `@EmailInputEncodings` to KOI8-R first, as a site
/// with Russian mail would; so does this one.
#[test]
fn corpus_subjects_and_contents_decode_as_rt_expects() {
    let d = Daemon::start_with(Setup {
        mail: vec!["undeclared_charset = \"koi8-r\"".into()],
        ..Setup::default()
    });
    let expect = [
        ("rt-emails/subject-with-folding-ws", "test", "test"),
        ("rt-emails/russian-subject-no-content-type", "тест тест", "ТЕСТ"),
        (
            "rt-emails/nested-rfc-822",
            "[Jonas Liljegren] Re: [Para] Nivåer?",
            "Material för att uppdatera",
        ),
        ("rt-emails/new-ticket-from-gb18030", "测试", "测试"),
        (
            "rt-emails/multipart-alternative-with-umlaut",
            "RE: [rt-users] HTML-encoded mails with umlaute",
            "Grüßen",
        ),
        (
            "rt-emails/text-html-with-umlaut",
            "An example of mail containing text-html with an umlaut in the content",
            "Grüßen",
        ),
        ("rt-emails/new-ticket-from-iso-8859-1", "Re: rt-3.0.3pre1", "Håvard"),
        ("rt-emails/crashes-file-based-parser", "Fwd: scanning my ports", "FYI"),
        (
            "rt-emails/notes-uuencoded",
            "Test e-mail which exhibits problems with RT",
            "from Lotus Notes",
        ),
    ];
    for (n, (file, subject, content)) in expect.iter().enumerate() {
        d.deliver("general", &std::fs::read(corpus_dir().join(file)).unwrap());
        let t = d.show(n as i64 + 1);
        assert_eq!(t["subject"], *subject, "{file}");
        let text = t["transactions"][0]["content"].as_str().unwrap();
        assert!(text.contains(content), "{file}: {text}");
    }
    let t = d.show(1);
    assert_eq!(t["requestors"], serde_json::json!(["foo@example.com"]));
    // the RFC 2231 filename split over continuations in ISO-2022-JP
    d.deliver(
        "general",
        &std::fs::read(corpus_dir().join("rt-emails/rfc2231-attachment-filename-continuations")).unwrap(),
    );
    let t = d.show(expect.len() as i64 + 1);
    let names: Vec<&str> = t["transactions"][0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert_eq!(names, ["新しいテキスト ドキュメント.txt"]);
}
