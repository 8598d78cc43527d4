//! Commands by mail (issue 5): pseudo-headers at the top of a staff member's message.
//! Off by default; on, they run only in mail handed in with the MTA's secret whose
//! Authentication-Results from the MTA vouch for its From (issue 14).

use crate::harness::*;

/// The MTA's authserv-id in these tests.
const MX: &str = "mx.tickets.test";

/// A daemon with commands by mail on: the MTA's secret, and `MX` trusted.
fn trusting() -> Daemon {
    Daemon::start_with(Setup {
        mail: vec![format!("commands_need_authentication_by = [\"{MX}\"]")],
        mta_secret: Some("mta-s3cret".into()),
        ..Setup::default()
    })
}

/// What the MTA writes when DMARC passed for tickets.test.
fn passed() -> String {
    format!("Authentication-Results: {MX}; dkim=pass header.d=tickets.test; dmarc=pass header.from=tickets.test")
}

/// Mail from staff, vouched for by the MTA.
fn staff_mail(from: &str, subject: &str, body: &str) -> Vec<u8> {
    mail(from, subject, body, &[&passed()])
}

/// The refusal notices queued so far.
fn refusals(d: &Daemon) -> Vec<Queued> {
    d.outbox().into_iter().filter(|m| m.kind == "command-errors").collect()
}

/// The text of each refusal notice, decoded.
fn told(d: &Daemon) -> Vec<String> {
    refusals(d).iter().map(|m| body_of(&m.message)).collect()
}

/// The decoded text of a queued message.
fn body_of(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(message.as_bytes())
        .expect("a message");
    parsed.body_text(0).expect("a text body").replace("\r\n", "\n")
}

fn field_changes(t: &serde_json::Value) -> Vec<(String, String)> {
    t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        // a message's own transaction marks its cut command lines with field Commands
        .filter(|x| !x["field"].is_null() && !matches!(x["type"].as_str(), Some("Correspond" | "Comment")))
        .map(|x| {
            (
                x["field"].as_str().unwrap().to_string(),
                x["new_value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn staff_commands_change_the_ticket_and_are_stripped() {
    let d = trusting();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let body = "Owner: bob@tickets.test\nPriority: 80\nAddCc: boss@example.net\nTimeWorked: 45\nStatus: stalled\n\nWaiting for the vendor.";
    d.deliver_from_mta(
        "general",
        &staff_mail("alice@tickets.test", "Re: [tickets.test #1] VPN down", body),
    );
    let t = d.show(1);
    assert_eq!(t["owner"], "bob@tickets.test");
    assert_eq!(t["priority"], 80);
    assert_eq!(t["status"], "stalled");
    assert_eq!(t["cc"], serde_json::json!(["boss@example.net"]));
    assert_eq!(t["time_worked"], 45);
    let changes = field_changes(&t);
    for expected in [
        ("Owner", "bob@tickets.test"),
        ("Priority", "80"),
        ("Cc", "boss@example.net"),
        ("Status", "stalled"),
    ] {
        assert!(
            changes.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not among {changes:?}"
        );
    }
    let reply = &transactions_of(&t, "Correspond")[0];
    assert_eq!(reply["content"].as_str().unwrap().trim(), "Waiting for the vendor.");
    assert_eq!(reply["creator"], "alice@tickets.test");
    // nobody is told of refusals when nothing was refused
    assert!(d.outbox().iter().all(|m| m.kind != "command-errors"));

    // Resolve shorthand, and DelCc
    d.deliver_from_mta(
        "general",
        &staff_mail(
            "bob@tickets.test",
            "Re: [tickets.test #1] VPN down",
            "DelCc: boss@example.net\nResolve\n\nFixed.",
        ),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["cc"], serde_json::json!([]));
}

#[test]
fn the_same_lines_from_a_requestor_are_plain_text() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let body = "Status: resolved\nPriority: 99\nAddCc: friend@example.net\n\nplease hurry";
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] VPN down", body, &[]),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], 0);
    assert_eq!(t["cc"], serde_json::json!([]));
    assert!(field_changes(&t).is_empty(), "{:?}", field_changes(&t));
    let reply = &transactions_of(&t, "Correspond")[0];
    assert!(reply["content"].as_str().unwrap().starts_with("Status: resolved"));
}

#[test]
fn a_command_without_the_right_is_refused_in_one_reply() {
    let d = trusting();
    d.tkt_ok(&["user", "create", "junior@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "senior@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "create", "seniors"]);
    d.tkt_ok(&["group", "add", "seniors", "senior@tickets.test"]);
    d.tkt_ok(&["revoke", "ModifyTicket", "--group", "Privileged"]);
    d.tkt_ok(&["grant", "ModifyTicket", "--group", "seniors"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let body = "Status: open\nPriority: 80\nQueue: nowhere\nColour: blue\n\nLooking into it.";
    d.deliver_from_mta(
        "general",
        &staff_mail("junior@tickets.test", "Re: [tickets.test #1] VPN down", body),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "open", "ModifyTicketStatus is enough for the status");
    assert_eq!(t["priority"], 0, "priority needs ModifyTicket");
    assert_eq!(t["queue"], "general");
    // `Colour:` is no command, so it and everything after it is text
    let reply = &transactions_of(&t, "Correspond")[0];
    assert_eq!(
        reply["content"].as_str().unwrap().trim(),
        "Colour: blue\n\nLooking into it."
    );
    let refusals = refusals(&d);
    assert_eq!(refusals.len(), 1, "one reply for all refusals");
    let m = &refusals[0];
    assert_eq!(m.recipients, ["junior@tickets.test"]);
    assert!(
        m.message.contains("Priority: 80") && m.message.contains("ModifyTicket"),
        "{}",
        m.message
    );
    assert!(m.message.contains("Queue: nowhere"), "{}", m.message);
    assert!(!m.message.contains("Status: open"), "{}", m.message);
    assert!(header(&m.message, "Subject").unwrap().contains("[tickets.test #1]"));
}

#[test]
fn commands_by_mail_are_off_by_default_and_the_sender_is_told() {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    // even with a perfect Authentication-Results: nothing is trusted until an admin says so
    d.deliver(
        "general",
        &staff_mail(
            "alice@tickets.test",
            "Re: [tickets.test #1] VPN down",
            "Status: resolved\nPriority: 80\nTimeWorked: 30\n\nShould work now.",
        ),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "open", "as any staff reply does, not resolved");
    assert_eq!((t["priority"].as_i64(), t["time_worked"].as_i64()), (Some(0), Some(0)));
    let changes = field_changes(&t);
    assert_eq!(changes, [("Status".to_string(), "open".to_string())]);
    // the lines are cut all the same: the requestor is not sent them
    let reply = &transactions_of(&t, "Correspond")[0];
    assert_eq!(reply["content"].as_str().unwrap().trim(), "Should work now.");
    let to_zoe: Vec<_> = d
        .outbox()
        .into_iter()
        .filter(|m| m.recipients == ["zoe@example.net"] && m.message.contains("Should work now."))
        .collect();
    assert_eq!(to_zoe.len(), 1, "{:?}", d.outbox());
    assert!(!to_zoe[0].message.contains("Priority: 80"), "{}", to_zoe[0].message);
    assert!(!to_zoe[0].message.contains("Status: resolved"), "{}", to_zoe[0].message);
    // and the sender learns why
    let refusals = refusals(&d);
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].recipients, ["alice@tickets.test"]);
    let text = &told(&d)[0];
    for said in [
        "Status: resolved\nPriority: 80\nTimeWorked: 30\n",
        "Why: commands by mail are off",
    ] {
        assert!(text.contains(said), "{said:?} not in {text}");
    }
    assert!(d.log().contains("commands by mail ignored"), "{}", d.log());
}

#[test]
fn commands_run_only_when_the_mta_vouches_for_the_from() {
    let d = trusting();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let subject = "Re: [tickets.test #1] VPN down";
    let from_mta = |priority: i64, headers: &[&str]| {
        let body = format!("Priority: {priority}\n\nx");
        d.deliver_from_mta("general", &mail("alice@tickets.test", subject, &body, headers));
    };
    let ignored = |why: &str| {
        assert_eq!(d.show(1)["priority"], 0);
        let told = told(&d);
        let last = told.last().expect("the sender is told");
        assert!(last.contains(why), "{why:?} not in {last}");
        told.len()
    };
    // another server's word, a failure, or another domain's signature: not a proof
    from_mta(
        50,
        &["Authentication-Results: mx.evil.test; dmarc=pass header.from=tickets.test"],
    );
    assert_eq!(ignored("no Authentication-Results from mx.tickets.test"), 1);
    from_mta(
        51,
        &[&format!(
            "Authentication-Results: {MX}; dkim=fail; spf=fail smtp.mailfrom=x@tickets.test"
        )],
    );
    from_mta(
        52,
        &[&format!(
            "Authentication-Results: {MX}; dkim=pass header.d=evil.example.net"
        )],
    );
    assert_eq!(ignored("DKIM or SPF for tickets.test"), 3);
    // a perfect result, but handed in over the socket without the MTA's secret: anyone
    // on this machine could have written it
    d.deliver(
        "general",
        &mail("alice@tickets.test", subject, "Priority: 53\n\nx", &[&passed()]),
    );
    assert_eq!(ignored("not handed in by the mail server with its secret"), 4);
    // a wrong secret is no secret, and still no reason to bounce the mail
    let wrong = d.dir.path().join("wrong-token");
    std::fs::write(&wrong, "guess\n").unwrap();
    let out = d.mailgate(
        &["--queue", "general", "--token-file", wrong.to_str().unwrap()],
        &mail("alice@tickets.test", subject, "Priority: 54\n\nx", &[&passed()]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(ignored("not handed in by the mail server with its secret"), 5);
    // a From that can be read two ways never runs commands, whichever of them counts as
    // the sender (the staff member is told once, when it is them)
    for (first, second) in [
        ("alice@tickets.test", "zoe@example.net"),
        ("zoe@example.net", "alice@tickets.test"),
    ] {
        let second = format!("From: {second}");
        d.deliver_from_mta(
            "general",
            &mail(first, subject, "Priority: 55\n\nx", &[&second, &passed()]),
        );
    }
    assert_eq!(ignored("2 From headers"), 6);
    let mut bare_cr = mail("alice@tickets.test", subject, "Priority: 56\n\nx", &[&passed()]);
    let at = bare_cr.windows(12).position(|w| w == b"\nMessage-ID:").unwrap();
    bare_cr.splice(at..at + 1, b"\r".iter().copied());
    d.deliver_from_mta("general", &bare_cr);
    assert_eq!(ignored("bare CR"), 7);
    assert_eq!(
        transactions_of(&d.show(1), "Correspond").len() + transactions_of(&d.show(1), "Comment").len(),
        8,
        "every message is stored"
    );

    // DMARC's pass (folded over lines), or DKIM aligned with the From domain: they run
    from_mta(
        70,
        &[&format!(
            "Authentication-Results: {MX};\n dmarc=pass (p=reject) header.from=tickets.test"
        )],
    );
    assert_eq!(d.show(1)["priority"], 70);
    from_mta(
        71,
        &[&format!(
            "Authentication-Results: {MX} 1; dkim=pass header.d=tickets.test"
        )],
    );
    assert_eq!(d.show(1)["priority"], 71);
    from_mta(
        72,
        &[&format!(
            "Authentication-Results: {MX}; spf=pass smtp.mailfrom=bounce@tickets.test"
        )],
    );
    assert_eq!(d.show(1)["priority"], 72);
    assert_eq!(refusals(&d).len(), 7, "nobody is told of commands that ran");
}

#[test]
fn a_quarantined_message_keeps_whether_it_came_with_the_secret() {
    let d = Daemon::start_with(Setup {
        mail: vec![
            format!("commands_need_authentication_by = [\"{MX}\"]"),
            "max_mime_parts = 3".into(),
        ],
        mta_secret: Some("mta-s3cret".into()),
        ..Setup::default()
    });
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let parts = |priority: i64| {
        format!(
            "From: alice@tickets.test\nSubject: Re: [tickets.test #1] VPN down\n{}\n\
             Content-Type: multipart/mixed; boundary=b\n\n--b\n\nPriority: {priority}\n\nx\n--b\n\ny\n--b\n\nz\n--b--\n",
            passed()
        )
    };
    d.deliver_from_mta("general", parts(60).as_bytes());
    d.deliver("general", parts(61).as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 2);
    // the admin raises the limit and retries both: only the MTA's one runs its commands
    let mut d = d;
    d.stop();
    let config = std::fs::read_to_string(&d.config)
        .unwrap()
        .replace("max_mime_parts = 3", "");
    std::fs::write(&d.config, config).unwrap();
    d.launch();
    d.tkt_ok(&["quarantine", "retry", "2"]);
    assert_eq!(d.show(1)["priority"], 0, "handed in without the secret");
    d.tkt_ok(&["quarantine", "retry", "1"]);
    assert_eq!(d.show(1)["priority"], 60, "handed in with the secret");
}
