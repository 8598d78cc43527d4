//! Write and read paths that let someone past their rights (issue 14, items 7, 8, 9, 10,
//! 13), each a regression test named after the hole it closes.

use std::time::Duration;

use hyper::Method;
use ticketd::client::Client;

use crate::harness::*;

/// Staff rights per team: `helpdesk` (carol) works `general`; staff in no team (sam) work
/// nothing.
fn teams(d: &Daemon) {
    d.tkt_ok(&["group", "create", "helpdesk"]);
    for staff in ["carol@tickets.test", "sam@tickets.test"] {
        d.tkt_ok(&["user", "create", staff, "--privileged"]);
    }
    d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
    d.tkt_ok(&[
        "rights",
        "preset",
        "per-queue",
        "--group",
        "helpdesk",
        "--queue",
        "general",
    ]);
    d.tkt_ok(&["rights", "preset", "per-queue", "--revoke-global"]);
}

/// The kinds of a ticket's messages, in order.
fn kinds(d: &Daemon, ticket: i64) -> Vec<String> {
    d.show(ticket)["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap().to_string())
        .filter(|kind| ["Create", "Correspond", "Comment"].contains(&kind.as_str()))
        .collect()
}

#[test]
fn staff_without_rights_on_the_queue_do_not_reach_its_requestors_by_mail() {
    let d = Daemon::start();
    teams(&d);
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let before = d.outbox().len();
    // sam is privileged, but not staff on general: his mail is a non-watcher's
    d.deliver(
        "general",
        &mail("sam@tickets.test", "Re: [tickets.test #1] Printer", "Call me.", &[]),
    );
    // carol is staff there: hers is a reply
    d.deliver(
        "general",
        &mail("carol@tickets.test", "Re: [tickets.test #1] Printer", "On it.", &[]),
    );
    assert_eq!(kinds(&d, 1), ["Create", "Comment", "Correspond"]);
    let to_zoe = d
        .outbox()
        .into_iter()
        .skip(before)
        .filter(|q| q.recipients.contains(&"zoe@example.net".to_string()))
        .count();
    assert_eq!(to_zoe, 1, "only carol's reply reaches zoe");
}

#[test]
fn replies_by_tkt_follow_the_queue_policy_as_mail_does() {
    let queues = r#"
[[queues]]
name = "general"
address = "help@tickets.test"

[[queues]]
name = "closed"
address = "closed@tickets.test"
non_watcher_mail = "refuse"
"#;
    let d = Daemon::start_with(Setup {
        queues: Some(queues.into()),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    d.deliver("closed", &mail("zoe@example.net", "Door", "x", &[]));
    // yan may see every ticket (a site's choice), but is neither staff nor a watcher
    d.tkt_ok(&["user", "create", "yan@example.net"]);
    d.tkt_ok(&["grant", "ShowTicket", "--user", "yan@example.net"]);
    let yan = d.token_for("yan@example.net");
    let out = d.tkt_as(&yan, &["reply", "1", "-m", "I know her password."]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("as a comment for staff"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(kinds(&d, 1), ["Create", "Comment"]);
    let out = d.tkt_as(&yan, &["reply", "2", "-m", "Hello?"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a watcher of ticket 2"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("closed"), "no queue name: {}", stderr(&out));
    // the same mail is refused with the same words
    let out = d.mailgate(
        &["--queue", "closed"],
        &mail("yan@example.net", "Re: [tickets.test #2] Door", "Hello?", &[]),
    );
    assert_eq!(out.status.code(), Some(77));
    assert!(
        stderr(&out).contains("is not a watcher of ticket 2"),
        "{}",
        stderr(&out)
    );
    // and without ShowTicket the ticket is not there at all
    d.tkt_ok(&["revoke", "ShowTicket", "--user", "yan@example.net"]);
    let out = d.tkt_as(&yan, &["reply", "1", "-m", "x"]);
    assert!(stderr(&out).contains("ticket 1 does not exist"), "{}", stderr(&out));
}

#[test]
fn a_requestor_creates_tickets_only_for_themselves_and_is_answered() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "First", "x", &[]));
    let zoe = d.token_for("zoe@example.net");
    for extra in [
        ["--requestor", "boss@example.com"],
        ["--priority", "99"],
        ["--owner", "zoe@example.net"],
    ] {
        let mut args = vec!["create", "--queue", "general", "--subject", "Hi", "-m", "x"];
        args.extend(extra);
        let out = d.tkt_as(&zoe, &args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&out).contains("may not"), "{extra:?}: {}", stderr(&out));
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1, "nothing made");
    let before = d.outbox().len();
    let out = d.tkt_as(
        &zoe,
        &[
            "create",
            "--queue",
            "general",
            "--subject",
            "Two\r\nBcc: x@evil.example",
            "-m",
            "x",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let t = d.show(2);
    assert_eq!(t["subject"], "Two Bcc: x@evil.example", "one line");
    assert_eq!(t["requestors"], serde_json::json!(["zoe@example.net"]));
    let sent = d.outbox().into_iter().skip(before).collect::<Vec<_>>();
    assert!(
        sent.iter()
            .any(|q| q.recipients == ["zoe@example.net"] && q.kind == "autoreply"),
        "the autoreply goes to her: {sent:?}"
    );
    // staff name others
    d.tkt_ok(&[
        "create",
        "--queue",
        "general",
        "--subject",
        "For amy",
        "-m",
        "x",
        "--requestor",
        "amy@example.net",
        "--priority",
        "70",
    ]);
    let t = d.show(3);
    assert_eq!(t["requestors"], serde_json::json!(["amy@example.net"]));
    assert_eq!(t["priority"], 70);
}

#[test]
fn users_may_not_give_themselves_an_address_they_have_not_proven() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "First", "x", &[]));
    let zoe = d.token_for("zoe@example.net");
    let out = d.tkt_as(&zoe, &["user", "set", "zoe@example.net", "email=ceo@example.net"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("may not change an email address"),
        "{}",
        stderr(&out)
    );
    // her name and digest are hers to change
    let out = d.tkt_as(&zoe, &["user", "set", "zoe@example.net", "real_name=Zoe Q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    d.tkt_ok(&["user", "set", "zoe@example.net", "email=zoe@example.org"]);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM users WHERE email = 'zoe@example.org' AND real_name = 'Zoe Q'"),
        1
    );
}

/// A staff reply by mail with commands, a file attached.
fn staff_reply_with_commands() -> Vec<u8> {
    format!(
        "Authentication-Results: mx.tickets.test; dmarc=pass header.from=tickets.test\n\
         From: staff@tickets.test\nTo: help@tickets.test\nSubject: Re: [tickets.test #1] Printer\n\
         Message-ID: <{}>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nStatus: stalled\nAddAdminCc: spy@example.net\n\nWaiting for the part.\n\
         --b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"manual.pdf\"\n\n%PDF-1.4\n\
         --b--\n",
        message_id()
    )
    .into_bytes()
}

#[test]
fn command_lines_cut_from_staff_mail_are_not_served_to_requestors() {
    // commands by mail on, so that they run: the MTA's secret, and its Authentication-Results
    let d = Daemon::start_with(Setup {
        mail: vec!["commands_need_authentication_by = [\"mx.tickets.test\"]".into()],
        mta_secret: Some("mta-s3cret".into()),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    // staff@tickets.test: network's AdminCc, privileged
    d.deliver_from_mta("general", &staff_reply_with_commands());
    assert_eq!(d.show(1)["status"], "stalled", "the commands ran");
    let reply: i64 = d.count("SELECT id FROM transactions WHERE type = 'Correspond'");
    let text: i64 = d.count(&format!(
        "SELECT id FROM attachments WHERE transaction_id = {reply} AND content_type = 'text/plain'"
    ));
    let file: i64 = d.count(&format!(
        "SELECT id FROM attachments WHERE transaction_id = {reply} AND filename = 'manual.pdf'"
    ));

    let zoe = d.token_for("zoe@example.net");
    let t: serde_json::Value = serde_json::from_slice(&d.tkt_as(&zoe, &["show", "1", "--json"]).stdout).unwrap();
    let seen = transactions_of(&t, "Correspond")[0].clone();
    assert_eq!(seen["content"].as_str().unwrap().trim(), "Waiting for the part.");
    assert_eq!(seen["has_raw_message"], false);
    let listed: Vec<i64> = seen["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [file], "only the attached file");
    let out = d.tkt_as(&zoe, &["raw", &reply.to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is for staff"), "{}", stderr(&out));
    let out = d.tkt_as(&zoe, &["attachment", &text.to_string()]);
    assert!(
        stderr(&out).contains(&format!("attachment {text} does not exist")),
        "{}",
        stderr(&out)
    );
    let out = d.tkt_as(&zoe, &["attachment", &file.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("spy@"));

    // staff read it all
    let raw = d.tkt_ok(&["raw", &reply.to_string()]);
    assert!(raw.contains("AddAdminCc: spy@example.net"));
    assert!(d.tkt_ok(&["attachment", &text.to_string()]).contains("Status: stalled"));
    assert!(
        d.tkt_ok(&["show", "1"])
            .contains("(commands by mail cut from the text)")
    );
}

/// A message with one part of each `(type, filename)`.
fn with_parts(parts: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut m = format!(
        "From: zoe@example.net\nTo: help@tickets.test\nSubject: Files\nMessage-ID: <{}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee.\n",
        message_id()
    );
    for (content_type, name, body) in parts {
        m.push_str(&format!(
            "--b\nContent-Type: {content_type}\nContent-Disposition: attachment; filename=\"{name}\"\n\n{body}\n"
        ));
    }
    m.push_str("--b--\n");
    m.into_bytes()
}

#[test]
fn attachments_are_served_as_downloads_a_browser_does_not_run() {
    let d = Daemon::start();
    d.deliver(
        "general",
        &with_parts(&[
            ("text/html", "page.html", "<script>alert(1)</script>"),
            ("image/svg+xml", "logo.svg", "<svg onload=\"alert(1)\"/>"),
            ("image/png", "shot.png", "PNG"),
            ("application/pdf", "Grüße \\\"q\\\".pdf", "%PDF"),
        ]),
    );
    let client = Client::new(&d.url(), None, Duration::from_secs(30)).unwrap();
    let get = |name: &str| {
        let id = d.count(&format!("SELECT id FROM attachments WHERE filename LIKE '{name}%'"));
        let answer = client
            .send(Method::GET, &format!("/v1/attachments/{id}"), None)
            .unwrap();
        assert_eq!(answer.status, 200);
        let header = |h: &str| answer.headers.get(h).unwrap().to_str().unwrap().to_string();
        assert_eq!(header("x-content-type-options"), "nosniff", "{name}");
        (header("content-type"), header("content-disposition"))
    };
    assert_eq!(
        get("page"),
        (
            "text/plain; charset=utf-8".to_string(),
            "attachment; filename=\"page.html\"; filename*=UTF-8''page.html".to_string()
        )
    );
    assert_eq!(get("logo").0, "application/octet-stream");
    assert!(get("logo").1.starts_with("attachment;"));
    assert_eq!(
        get("shot"),
        (
            "image/png".to_string(),
            "inline; filename=\"shot.png\"; filename*=UTF-8''shot.png".to_string()
        )
    );
    assert_eq!(
        get("Gr"),
        (
            "application/pdf".to_string(),
            "attachment; filename=\"Gr__e _q_.pdf\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22q%22.pdf".to_string()
        )
    );
    let raw = client.send(Method::GET, "/v1/transactions/1/raw", None).unwrap();
    assert_eq!(raw.headers["content-type"], "message/rfc822");
    assert_eq!(
        raw.headers["content-disposition"],
        "attachment; filename=\"transaction-1.eml\"; filename*=UTF-8''transaction-1.eml"
    );
    assert_eq!(raw.headers["x-content-type-options"], "nosniff");
}
