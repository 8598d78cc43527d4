//! Rules and templates from the config (issue 5).

use crate::harness::*;

/// A daemon whose config has these rules (and anything else) after the default queues.
fn with_rules(rules: &str) -> Daemon {
    Daemon::start_with(Setup {
        queues: Some(format!("{DEFAULT_QUEUES}\n{rules}")),
        ..Setup::default()
    })
}

#[test]
fn a_staff_reply_to_an_unowned_ticket_makes_them_the_owner() {
    let d = with_rules(
        r#"
[[rules]]
name = "owner-is-first-staff-to-reply"
on = "correspond"
when = { actor = "staff", ticket = { Owner = "^Nobody$" } }
actions = [{ action = "set_owner", owner = "actor" }]
"#,
    );
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--privileged"]);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] VPN down", "Still down.", &[]),
    );
    assert_eq!(d.show(1)["owner"], "Nobody", "a requestor's reply changes no owner");
    d.deliver(
        "general",
        &mail("alice@tickets.test", "Re: [tickets.test #1] VPN down", "Looking.", &[]),
    );
    let t = d.show(1);
    assert_eq!(t["owner"], "alice@tickets.test");
    let set = transactions_of(&t, "Set");
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(set[0]["field"], "Owner");
    assert_eq!(set[0]["creator"], "RT_System");
    // the rule acted for alice: she is not told she was made owner
    assert!(d.outbox().iter().all(|m| m.kind != "notify-new-owner"));
    // a second staff reply leaves the owner alone
    d.deliver(
        "general",
        &mail("bob@tickets.test", "Re: [tickets.test #1] VPN down", "Me too.", &[]),
    );
    assert_eq!(d.show(1)["owner"], "alice@tickets.test");
}

#[test]
fn priority_reaching_90_pages_oncall_once() {
    let d = with_rules(
        r#"
[[rules]]
name = "page-oncall"
on = "priority_change"
reaches = 90
actions = [{ action = "page", to = ["oncall@pager.test"] }]
"#,
    );
    d.deliver(
        "network",
        &mail("zoe@example.net", "Core router down", "All links dark.", &[]),
    );
    let pages = |d: &Daemon| -> Vec<Queued> { d.outbox().into_iter().filter(|m| m.kind == "page-oncall").collect() };
    d.tkt_ok(&["set", "1", "priority=50"]);
    assert!(pages(&d).is_empty());
    d.tkt_ok(&["set", "1", "priority=90"]);
    d.tkt_ok(&["set", "1", "priority=95"]);
    let sent = pages(&d);
    assert_eq!(sent.len(), 1, "only the crossing pages");
    assert_eq!(sent[0].recipients, ["oncall@pager.test"]);
    let subject = header(&sent[0].message, "Subject").unwrap();
    assert_eq!(subject, "[tickets.test #1] #1 P90 Core router down");
    assert!(
        sent[0]
            .message
            .contains("network #1 priority 90 new, owner Nobody: Core router down"),
        "{}",
        sent[0].message
    );
    // falling and climbing again pages again
    d.tkt_ok(&["set", "1", "priority=10"]);
    d.tkt_ok(&["set", "1", "priority=99"]);
    assert_eq!(pages(&d).len(), 2);
}

#[test]
fn a_queue_template_changes_only_that_queues_autoreply() {
    let queues = DEFAULT_QUEUES.replace(
        "cc = [\"watcher@example.org\"]\n",
        "cc = [\"watcher@example.org\"]\n[queues.templates]\nautoreply = \"\"\"\nSubject: NOC has it: {{ ticket.subject }}\nX-Noc: {{ queue.name }}\n\nThe NOC is on {{ tag }}, opened by {{ actor.email }}.\n\"\"\"\n",
    );
    let d = Daemon::start_with(Setup {
        queues: Some(queues),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver("network", &mail("zoe@example.net", "Link down", "Port 3.", &[]));
    let autoreplies: Vec<Queued> = d.outbox().into_iter().filter(|m| m.kind == "autoreply").collect();
    assert_eq!(autoreplies.len(), 2);
    let general = autoreplies.iter().find(|m| m.ticket == Some(1)).unwrap();
    let network = autoreplies.iter().find(|m| m.ticket == Some(2)).unwrap();
    assert_eq!(
        header(&general.message, "Subject").unwrap(),
        "[tickets.test #1] AutoReply: Printer"
    );
    assert!(general.message.contains("Greetings,"));
    assert_eq!(
        header(&network.message, "Subject").unwrap(),
        "[tickets.test #2] NOC has it: Link down"
    );
    assert_eq!(header(&network.message, "X-Noc").as_deref(), Some("network"));
    assert!(
        network
            .message
            .contains("The NOC is on [tickets.test #2], opened by zoe@example.net.")
    );
    assert_eq!(
        header(&network.message, "Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    // the preview shows the same
    let preview = d.tkt_ok(&["template", "render", "autoreply", "2"]);
    assert!(preview.contains("Subject: NOC has it: Link down"), "{preview}");
}

#[test]
fn a_rule_loop_stops_at_the_depth_limit() {
    let mut d = with_rules(
        r#"
[[rules]]
name = "ping"
on = "status_change"
to = "open"
actions = [{ action = "set_status", status = "stalled" }]

[[rules]]
name = "pong"
on = "status_change"
to = "stalled"
actions = [{ action = "set_status", status = "open" }]
"#,
    );
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["set", "1", "status=open"]);
    let t = d.show(1);
    let changes = transactions_of(&t, "Status");
    // the person's change, then four rule actions deep
    assert_eq!(changes.len(), 5, "{changes:?}");
    assert!(changes[1..].iter().all(|c| c["creator"] == "RT_System"));
    assert_eq!(t["status"], "open");
    d.stop();
    assert!(d.log().contains("rule loop stopped"), "{}", d.log());
}

#[test]
fn a_template_that_does_not_compile_stops_the_daemon_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ticketd.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndata_dir = \"{}\"\n[templates]\npage = \"Subject: {{{{ ticket.id \\n\\nx\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ticketd"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("template page does not compile"), "{err}");
}

#[test]
fn rules_list_and_a_dry_run_that_keeps_nothing() {
    let d = with_rules(
        r#"
[[rules]]
name = "network-urgent"
on = "create"
queues = ["network"]
when = { subject = "(?i)urgent" }
actions = [{ action = "set_priority", priority = 95 }, { action = "page", to = ["oncall@pager.test"] }]

[[rules]]
name = "notify-admincc"
on = "correspond"
disabled = true
actions = [{ action = "notify", to = ["AdminCc"], template = "admin_correspondence" }]
"#,
    );
    let all = d.tkt_ok(&["rules", "list"]);
    assert!(all.contains("# 1. autoreply\n"), "{all}");
    assert!(all.contains("notify-admincc (disabled)"), "{all}");
    assert!(all.contains("network-urgent"), "{all}");
    let general = d.tkt_ok(&["rules", "list", "--queue", "general"]);
    assert!(!general.contains("network-urgent"), "{general}");
    let json: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["rules", "list", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().last().unwrap()["name"], "network-urgent");

    let message = mail("zoe@example.net", "URGENT: core down", "All links dark.", &[]);
    let out = d.tkt_stdin(&["rules", "test", "--queue", "network"], &message);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Dry run: nothing was kept.",
        "outcome: created, ticket 1",
        "  autoreply (ticket 1",
        "  network-urgent (ticket 1",
        "autoreply: to zoe@example.net",
        "network-urgent: to oncall@pager.test",
        "notify-admincc-on-create: to staff@tickets.test",
        "priority 95",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let json = d.tkt_stdin(&["rules", "test", "--queue", "network", "--json"], &message);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ticket"]["priority"], 95);
    // nothing was kept: the same message is new again, and nothing was queued
    assert_eq!(d.count("SELECT count(*) FROM tickets"), 0);
    assert_eq!(d.count("SELECT count(*) FROM outbox"), 0);
    assert_eq!(d.count("SELECT count(*) FROM raw_messages"), 0);
    d.deliver("network", &message);
    // (PostgreSQL spends the numbers of dry runs: its sequences do not roll back)
    let id = d.search("Queue = 'network'")[0];
    assert_eq!(d.show(id)["priority"], 95);
    // requestors may not read the rules
    let token = d.token_for("zoe@example.net");
    assert!(!d.tkt_as(&token, &["rules", "list"]).status.success());
}

/// A tiny HTTP server: answers each request with the next status of `statuses` (the last
/// one repeated) and hands over the bodies it got.
fn http_sink(statuses: Vec<u16>) -> (String, std::sync::mpsc::Receiver<(String, String)>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut data = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let read = stream.read(&mut buf).unwrap_or(0);
                if read == 0 {
                    break (String::new(), String::new());
                }
                data.extend_from_slice(&buf[..read]);
                let text = String::from_utf8_lossy(&data).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break (head.to_string(), body.to_string());
                    }
                }
            };
            let status = statuses[n.min(statuses.len() - 1)];
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = tx.send((head, body));
        }
    });
    (url, rx)
}

#[test]
fn webhooks_post_json_through_the_outbox_with_retries() {
    let (good, calls) = http_sink(vec![503, 200]);
    let (gone, _) = http_sink(vec![404]);
    let d = Daemon::start_with(Setup {
        outbox: vec!["retry_initial_secs = 1".into()],
        queues: Some(format!(
            r#"{DEFAULT_QUEUES}
[[rules]]
name = "chatops"
on = "create"
actions = [{{ action = "webhook", url = "{good}", timeout_secs = 5 }}]

[[rules]]
name = "old-hook"
on = "create"
queues = ["network"]
actions = [{{ action = "webhook", url = "{gone}" }}]
"#
        )),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let timeout = std::time::Duration::from_secs(20);
    let (head, first) = calls.recv_timeout(timeout).expect("the first call");
    assert!(head.starts_with("POST /hook "), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/json"),
        "{head}"
    );
    let (_, second) = calls.recv_timeout(timeout).expect("the retry after a 503");
    assert_eq!(first, second);
    let payload: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(payload["ticket"]["id"], 1);
    assert_eq!(payload["ticket"]["subject"], "Printer");
    assert_eq!(payload["transaction"]["type"], "Create");
    assert_eq!(payload["actor"]["email"], "zoe@example.net");
    assert_eq!(payload["rule"], "chatops");
    assert_eq!(payload["message"].as_str().unwrap().trim(), "It jams.");
    let deadline = std::time::Instant::now() + timeout;
    while d.count("SELECT count(*) FROM outbox WHERE kind = 'chatops' AND status = 'sent'") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the call is never recorded as sent"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(d.count("SELECT attempts FROM outbox WHERE kind = 'chatops'"), 2);

    // a 404 will not get better: failed at once, and written on the ticket
    d.deliver("network", &mail("zoe@example.net", "Link", "Down.", &[]));
    while d.count("SELECT count(*) FROM outbox WHERE kind = 'old-hook' AND status = 'failed'") == 0 {
        assert!(
            std::time::Instant::now() < deadline + timeout,
            "the 404 is never recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let errors = transactions_of(&d.show(2), "SystemError")
        .iter()
        .map(|x| x["content"].to_string())
        .collect::<Vec<_>>();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Webhook call to") && e.contains("404")),
        "{errors:?}"
    );
}

#[test]
fn field_actions_filters_groups_and_comment_notices_work_together() {
    let d = with_rules(
        r#"
[[custom_fields]]
name = "Severity"
type = "select"
values = ["low", "high"]

[[rules]]
name = "outage-mail"
on = "create"
queues = ["general"]
when = { body = "(?i)outage", sender = "@example\\.net$" }
actions = [
    { action = "set_custom_field", field = "Severity", value = "high" },
    { action = "add_watcher", role = "AdminCc", address = "noc-lead@tickets.test" },
]

[[rules]]
name = "severe-to-network"
on = "custom_field_change"
when = { custom_fields = { Severity = "^high$" } }
actions = [{ action = "move_queue", queue = "network" }]

[[rules]]
name = "tell-oncall"
on = "queue_change"
actions = [{ action = "notify", to = ["group:oncall", "duty@pager.test"], as_comment = true, template = "admin_comment" }]
"#,
    );
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "create", "oncall"]);
    d.tkt_ok(&["group", "add", "oncall", "carol@tickets.test"]);
    d.deliver(
        "general",
        &mail("zoe@example.net", "Building 3", "Total OUTAGE since 9:00.", &[]),
    );
    // the sender filter keeps this one out
    d.deliver(
        "general",
        &mail("bob@example.org", "Building 4", "An outage here too.", &[]),
    );
    let t = d.show(1);
    assert_eq!(t["custom_fields"]["Severity"], serde_json::json!(["high"]));
    assert_eq!(t["admincc"], serde_json::json!(["noc-lead@tickets.test"]));
    assert_eq!(t["queue"], "network", "the custom field change moved it");
    let set_by_rules: Vec<_> = t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x["field"].is_null())
        .map(|x| {
            (
                x["field"].as_str().unwrap().to_string(),
                x["creator"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        set_by_rules,
        [
            ("CF.Severity".to_string(), "RT_System".to_string()),
            ("Queue".to_string(), "RT_System".to_string()),
            ("AdminCc".to_string(), "RT_System".to_string()),
        ]
    );
    let notices: Vec<Queued> = d.outbox().into_iter().filter(|m| m.kind == "tell-oncall").collect();
    assert_eq!(notices.len(), 1);
    let mut to = notices[0].recipients.clone();
    to.sort();
    assert_eq!(to, ["carol@tickets.test", "duty@pager.test"]);
    let reply_to = header(&notices[0].message, "Reply-To").unwrap();
    assert!(
        reply_to.contains("noc-comment@tickets.test"),
        "as a comment, from the new queue: {reply_to}"
    );
    let other = d.show(2);
    assert_eq!(other["queue"], "general");
    assert_eq!(other["custom_fields"], serde_json::json!({}));
}
