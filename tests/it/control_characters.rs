//! Control characters (issue 14, item 6): names, subjects and other one-line values lose
//! their C0/C1 controls on every way in (mail, tkt, the API), a NUL never makes a message
//! unprocessable, a name from mail never renames an account, and nothing tkt prints can
//! drive a staff member's terminal.

use serde_json::Value;

use crate::harness::*;

/// Whether `text` has a character a terminal would act on (or a header would break on).
fn has_controls(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// The user's record as tkt shows it in JSON.
fn user(d: &Daemon, who: &str) -> Value {
    serde_json::from_str(&d.tkt_ok(&["user", "show", who, "--json"])).unwrap()
}

#[test]
fn controls_in_a_senders_name_and_subject_are_dropped_and_the_mail_is_processed() {
    let d = Daemon::start();
    // raw bytes: a NUL and an escape sequence in the name, a BEL and OSC in the subject
    let raw = b"From: \"Eve\x00 \x1b[31mSupport\" <eve@example.net>\nTo: help@tickets.test\n\
                Subject: Printer\x07 down\x1b]0;owned\x07\nMessage-ID: <nul-1@example.net>\n\nIt is down.\n";
    d.deliver("general", raw);
    // encoded words: a NUL, and a CRLF that would start a header of its own
    let encoded = b"From: =?utf-8?q?Mallory=00=0D=0ABcc=3A_all=40example=2Enet?= <mallory@example.net>\n\
                    To: help@tickets.test\nSubject: =?utf-8?q?VPN=0D=0AX-Injected=3A_1=1B=5B2J?=\n\
                    Message-ID: <nul-2@example.net>\n\nVPN is down.\n";
    d.deliver("general", encoded);
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 0, "{}", d.log());
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);

    let first = d.show(1);
    assert_eq!(first["subject"], "Printer down]0;owned");
    let eve = user(&d, "eve@example.net");
    assert_eq!(eve["real_name"], "Eve [31mSupport");
    let second = d.show(2);
    assert_eq!(second["subject"], "VPN X-Injected: 1[2J");
    let mallory = user(&d, "mallory@example.net");
    assert_eq!(mallory["real_name"], "Mallory Bcc: all@example.net");

    // each got its autoreply, and no header of it carries a control or a second line
    let autoreplies: Vec<Queued> = d.outbox().into_iter().filter(|m| m.kind == "autoreply").collect();
    assert_eq!(autoreplies.len(), 2, "{}", d.log());
    for m in &autoreplies {
        let head = m.message.split("\r\n\r\n").next().unwrap();
        assert!(
            !head.chars().any(|c| c.is_control() && c != '\r' && c != '\n'),
            "{head}"
        );
        for line in head.lines() {
            assert!(!line.starts_with("X-Injected") && !line.starts_with("Bcc"), "{head}");
        }
    }
    let names: Vec<String> = d.db().query_all("SELECT real_name FROM users", [], |r| r.get(0));
    assert!(names.iter().all(|n| !has_controls(n)), "{names:?}");
}

#[test]
fn a_name_from_mail_never_renames_an_account() {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--real-name", "Bob Builder"]);
    d.deliver(
        "general",
        &mail("\"IT Security (urgent)\" <alice@tickets.test>", "Hello", "x", &[]),
    );
    d.deliver(
        "general",
        &mail("\"Bobby Tables\" <bob@tickets.test>", "Hello", "y", &[]),
    );
    assert_eq!(
        user(&d, "alice@tickets.test")["real_name"],
        "",
        "an empty name stays empty"
    );
    assert_eq!(user(&d, "bob@tickets.test")["real_name"], "Bob Builder");
    // a new sender is named by their mail, as before
    d.deliver("general", &mail("\"Carol Q\" <carol@example.net>", "Hello", "z", &[]));
    assert_eq!(user(&d, "carol@example.net")["real_name"], "Carol Q");
}

#[test]
fn tkt_and_the_api_store_names_and_subjects_as_one_clean_line() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    d.tkt_ok(&["set", "1", "subject=VPN\u{1b}[2J down\r\nBcc: all@example.net\u{9b}"]);
    assert_eq!(d.show(1)["subject"], "VPN[2J down Bcc: all@example.net");
    d.tkt_ok(&[
        "user",
        "create",
        "dan@tickets.test",
        "--real-name",
        "Dan\u{1b}]0;pwned\u{7}\nRoot",
    ]);
    assert_eq!(user(&d, "dan@tickets.test")["real_name"], "Dan]0;pwned Root");
    // a NUL cannot be a command-line argument, but it can be in the API's JSON
    let api = ticketd::client::Client::new(&d.url(), None, std::time::Duration::from_secs(10)).unwrap();
    let changed: Value = api
        .json(
            hyper::Method::POST,
            "/v1/users/dan@tickets.test/changes",
            Some(&serde_json::json!({ "changes": ["real_name=Dan\u{0}\u{85}D."] })),
        )
        .unwrap();
    assert_eq!(changed["real_name"], "Dan D.");
    let changed: Value = api
        .json(
            hyper::Method::POST,
            "/v1/tickets/1/changes",
            Some(&serde_json::json!({ "changes": ["subject=Nul\u{0}led\u{1b}"] })),
        )
        .unwrap();
    assert!(changed.is_object() || changed.is_array(), "{changed}");
    assert_eq!(d.show(1)["subject"], "Nulled");
    // names people type are one word, without controls
    for command in [
        vec!["user", "create", "ev\u{1b}il"],
        vec!["group", "create", "ops\u{7}"],
        vec!["queue", "create", "sales\u{1b}[0m"],
    ] {
        let out = d.tkt(&command);
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert!(stderr(&out).contains("control characters"), "{}", stderr(&out));
        assert!(!has_controls(&stderr(&out)), "{:?}", stderr(&out));
    }
}

#[test]
fn nothing_tkt_prints_can_drive_a_terminal() {
    let d = Daemon::start();
    // the text of a message keeps its lines, and its controls, as they came
    let body = "Look:\n\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\nabc\u{202e}fed";
    let subject = "Printer \u{202e}gnp.exe";
    d.deliver(
        "general",
        &mail("\"Zoe \u{202e}\" <zoe@example.net>", subject, body, &[]),
    );
    let shown = d.tkt_ok(&["show", "1"]);
    assert!(!has_controls(&shown), "{shown:?}");
    assert!(shown.contains("Look:\n"), "{shown}");
    for args in [vec!["search", "Printer"], vec!["user", "show", "zoe@example.net"]] {
        let out = d.tkt_ok(&args);
        assert!(!has_controls(&out), "{args:?}: {out:?}");
    }
    // JSON is escaped, and is still the same JSON
    let json = d.tkt_ok(&["show", "1", "--json"]);
    assert!(!has_controls(&json), "{json:?}");
    let ticket: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(ticket["subject"], subject);
    let content = transactions_of(&ticket, "Create")[0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.contains("\u{1b}]0;owned"), "{content:?}");
    // an error that quotes what someone wrote is made harmless too
    let out = d.tkt(&["set", "1", "status=\u{1b}[2Jgone"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!has_controls(&stderr(&out)), "{:?}", stderr(&out));
    // into a pipe, raw stays byte for byte
    let raw_id = transactions_of(&ticket, "Create")[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let raw = d.tkt(&["raw", &raw_id]).stdout;
    assert!(String::from_utf8_lossy(&raw).contains("\u{1b}]0;owned"));
}
