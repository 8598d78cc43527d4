//! tkt: create, reply, comment, set, show, search.

use crate::harness::*;

#[test]
fn create_reply_comment_and_set_are_each_recorded() {
    let d = Daemon::start();
    let out = d.tkt_ok(&[
        "create",
        "--queue",
        "network",
        "--subject",
        "Switch 4 flapping",
        "--requestor",
        "ops@example.org",
        "-m",
        "Port 12 flaps every minute.",
    ]);
    assert!(out.contains("Ticket 1 created"), "{out}");
    d.tkt_ok(&["reply", "1", "-m", "Replacing the cable.", "--time", "1h30m"]);
    let out = d.tkt_stdin(&["comment", "1", "--time", "15"], b"Cable was fine; the SFP is bad.");
    assert!(out.status.success(), "{}", stderr(&out));
    d.tkt_ok(&[
        "set",
        "1",
        "priority=80",
        "subject=Switch 4 SFP",
        "AdminCc+=noc-lead@example.org",
        "Cc+=cc@example.org",
    ]);
    d.tkt_ok(&[
        "set",
        "1",
        "owner=staff@tickets.test",
        "queue=general",
        "Cc-=cc@example.org",
    ]);
    let t = d.show(1);
    assert_eq!(t["subject"], "Switch 4 SFP");
    assert_eq!(t["priority"], 80);
    assert_eq!(t["owner"], "staff@tickets.test");
    assert_eq!(t["queue"], "general");
    assert_eq!(t["status"], "open", "a staff reply opens a new ticket");
    assert_eq!(t["requestors"], serde_json::json!(["ops@example.org"]));
    assert_eq!(t["admincc"], serde_json::json!(["noc-lead@example.org"]));
    assert_eq!(t["cc"], serde_json::json!([]));
    assert_eq!(t["time_worked"], 105);
    let types: Vec<String> = t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "Create",
            "Correspond",
            "Status",
            "Comment",
            "Set",
            "Set",
            "AddWatcher",
            "AddWatcher",
            "Set",
            "Set",
            "DelWatcher"
        ]
    );
    let set_owner = t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "Owner")
        .unwrap();
    assert_eq!(set_owner["old_value"], "Nobody");
    assert_eq!(set_owner["new_value"], "staff@tickets.test");
    for key in ["created", "updated"] {
        let stamp = t[key].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok(), "{key}: {stamp}");
    }
}

#[test]
fn status_changes_follow_the_lifecycle_and_keep_its_dates() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "x", "y", &[]));
    for status in ["open", "stalled", "resolved", "rejected", "deleted", "new"] {
        d.tkt_ok(&["set", "1", &format!("status={status}")]);
        assert_eq!(d.show(1)["status"], status);
    }
    let t = d.show(1);
    assert!(t["started"].is_string());
    assert!(t["resolved"].is_string());
    assert_eq!(transactions_of(&t, "Status").len(), 6);
    // setting what is already so records nothing
    d.tkt_ok(&["set", "1", "status=new"]);
    assert_eq!(transactions_of(&d.show(1), "Status").len(), 6);
}

#[test]
fn errors_are_one_clear_line_and_change_nothing() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "x", "y", &[]));
    let cases: &[(&[&str], &str)] = &[
        (&["show", "42"], "ticket 42 does not exist"),
        (&["set", "1", "status=closed"], "not a status"),
        (&["set", "1", "priority=high"], "whole number"),
        (&["set", "1", "colour=red"], "not a field"),
        (&["set", "1", "owner=zoe@example.net"], "that needs the right OwnTicket"),
        (&["set", "1", "queue=nosuch"], "no queue named `nosuch`"),
        (&["set", "1", "subject=ok", "status=bogus"], "not a status"),
        (
            &["create", "--queue", "nosuch", "--subject", "s", "-m", "x"],
            "no queue named",
        ),
        (&["search", "Queue = "], "position"),
        (&["reply", "1", "-m", "  "], "empty"),
    ];
    for (args, needle) in cases {
        let out = d.tkt(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_eq!(d.show(1)["subject"], "x", "a failed set changes nothing");
    assert_eq!(d.show(1)["transactions"].as_array().unwrap().len(), 1);
}

#[test]
fn search_by_queue_status_requestor_subject_and_id() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer jams", "x", &[]));
    d.deliver("network", &mail("bob@example.net", "Link down", "x", &[]));
    d.deliver("general", &mail("bob@example.net", "Printer on fire", "x", &[]));
    d.tkt_ok(&["set", "3", "status=resolved", "priority=50"]);
    assert_eq!(d.search("Queue = 'general'"), [1, 3]);
    assert_eq!(d.search("Queue = 'general' AND Status = '__Active__'"), [1]);
    assert_eq!(d.search("Status = '__Inactive__'"), [3]);
    assert_eq!(d.search("Requestor = 'bob@example.net'"), [2, 3]);
    assert_eq!(d.search("Requestor != 'bob@example.net'"), [1]);
    assert_eq!(d.search("Subject LIKE 'printer'"), [1, 3]);
    assert_eq!(d.search("Subject NOT LIKE 'printer'"), [2]);
    assert_eq!(d.search("id > 1 AND id <= 3"), [2, 3]);
    assert_eq!(d.search("Priority >= 50"), [3]);
    assert_eq!(d.search("Queue = 'network' OR Priority = 50 ORDER BY id DESC"), [3, 2]);
    assert_eq!(d.search("Owner = 'Nobody' LIMIT 2"), [1, 2]);
    assert_eq!(d.search(r"Subject = 'x\' OR 1=1 --'"), Vec::<i64>::new());
    assert_eq!(d.search("Subject = '); DROP TABLE tickets; --'"), Vec::<i64>::new());
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 3);
    assert_eq!(d.search(""), [1, 2, 3]);
    let text = d.tkt_ok(&["search", "Queue = 'network'"]);
    assert!(text.contains("Link down"), "{text}");
}

/// An address another user has is refused, clearly, and the change is not half made:
/// the other fields of the same command are left as they were (PostgreSQL included, where
/// the refused statement must not take the transaction down with it).
#[test]
fn an_address_another_user_has_is_refused_and_nothing_of_the_change_is_kept() {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--privileged"]);
    let out = d.tkt(&["user", "set", "bob@tickets.test", "lang=de", "email=ALICE@tickets.test"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("belongs to another user"), "{}", stderr(&out));
    let bob = d.tkt_ok(&["user", "show", "bob@tickets.test", "--json"]);
    let bob: serde_json::Value = serde_json::from_str(&bob).unwrap();
    assert_eq!(bob["email"], "bob@tickets.test");
    assert_ne!(bob["lang"], "de", "{bob}");
    // and the next change goes through
    d.tkt_ok(&["user", "set", "bob@tickets.test", "lang=de"]);
}
