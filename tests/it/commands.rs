//! Commands by mail (issue 5): pseudo-headers at the top of a staff member's message.

use crate::harness::*;

fn field_changes(t: &serde_json::Value) -> Vec<(String, String)> {
    t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x["field"].is_null())
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
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let body = "Owner: bob@tickets.test\nPriority: 80\nAddCc: boss@example.net\nTimeWorked: 45\nStatus: stalled\n\nWaiting for the vendor.";
    d.deliver(
        "general",
        &mail("alice@tickets.test", "Re: [tickets.test #1] VPN down", body, &[]),
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
    d.deliver(
        "general",
        &mail(
            "bob@tickets.test",
            "Re: [tickets.test #1] VPN down",
            "DelCc: boss@example.net\nResolve\n\nFixed.",
            &[],
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
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "junior@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "senior@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "create", "seniors"]);
    d.tkt_ok(&["group", "add", "seniors", "senior@tickets.test"]);
    d.tkt_ok(&["revoke", "ModifyTicket", "--group", "Privileged"]);
    d.tkt_ok(&["grant", "ModifyTicket", "--group", "seniors"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let body = "Status: open\nPriority: 80\nQueue: nowhere\nColour: blue\n\nLooking into it.";
    d.deliver(
        "general",
        &mail("junior@tickets.test", "Re: [tickets.test #1] VPN down", body, &[]),
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
    let refusals: Vec<_> = d.outbox().into_iter().filter(|m| m.kind == "command-errors").collect();
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
fn commands_can_require_a_trusted_authentication_result() {
    let d = Daemon::start_with(Setup {
        mail: vec!["commands_need_authentication_by = [\"mx.tickets.test\"]".into()],
        ..Setup::default()
    });
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let subject = "Re: [tickets.test #1] VPN down";
    // a forged From: no passing result from our MX
    let forged = ["Authentication-Results: mx.evil.test; dkim=pass header.d=tickets.test"];
    d.deliver(
        "general",
        &mail("alice@tickets.test", subject, "Priority: 50\n\nx", &forged),
    );
    assert_eq!(d.show(1)["priority"], 0);
    let fails = ["Authentication-Results: mx.tickets.test; dkim=fail; spf=fail smtp.mailfrom=x"];
    d.deliver(
        "general",
        &mail("alice@tickets.test", subject, "Priority: 60\n\nx", &fails),
    );
    assert_eq!(d.show(1)["priority"], 0);
    let good = ["Authentication-Results: mx.tickets.test;\n dkim=pass header.d=tickets.test"];
    d.deliver(
        "general",
        &mail("alice@tickets.test", subject, "Priority: 70\n\nx", &good),
    );
    assert_eq!(d.show(1)["priority"], 70);
}
