//! Links and dependencies, dates, time tracking and custom fields (issue 4).

use crate::harness::*;

fn links(d: &Daemon, id: i64) -> Vec<(String, i64)> {
    d.show(id)["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["type"].as_str().unwrap().to_string(), l["target"].as_i64().unwrap()))
        .collect()
}

fn three_tickets(setup: Setup) -> Daemon {
    let d = Daemon::start_with(setup);
    for subject in ["Parent", "Child A", "Child B"] {
        d.deliver("general", &mail("zoe@example.net", subject, "x", &[]));
    }
    d
}

#[test]
fn links_come_in_pairs_and_show_from_both_ends() {
    let d = three_tickets(Setup::default());
    d.tkt_ok(&["set", "2", "MemberOf+=1", "DependsOn+=3"]);
    d.tkt_ok(&["set", "1", "RefersTo+=3"]);
    assert_eq!(links(&d, 1), [("Members".to_string(), 2), ("RefersTo".to_string(), 3)]);
    assert_eq!(
        links(&d, 2),
        [("MemberOf".to_string(), 1), ("DependsOn".to_string(), 3)]
    );
    assert_eq!(
        links(&d, 3),
        [("ReferredToBy".to_string(), 1), ("DependedOnBy".to_string(), 2)]
    );
    let added: Vec<String> = transactions_of(&d.show(3), "AddLink")
        .iter()
        .map(|x| format!("{} {}", x["field"].as_str().unwrap(), x["new_value"].as_str().unwrap()))
        .collect();
    assert_eq!(added, ["DependedOnBy 2", "ReferredToBy 1"]);
    // a circle is refused, and so is a link to itself
    let out = d.tkt(&["set", "3", "DependsOn+=2"]);
    assert!(stderr(&out).contains("circle"), "{}", stderr(&out));
    let out = d.tkt(&["set", "3", "RefersTo+=3"]);
    assert!(stderr(&out).contains("itself"), "{}", stderr(&out));
    d.tkt_ok(&["set", "1", "RefersTo-=3"]);
    assert_eq!(links(&d, 3), [("DependedOnBy".to_string(), 2)]);
    assert_eq!(transactions_of(&d.show(1), "DeleteLink").len(), 1);
}

#[test]
fn unresolved_dependencies_block_resolving_unless_the_queue_allows_it() {
    let d = three_tickets(Setup::default());
    d.tkt_ok(&["set", "1", "DependsOn+=2", "DependsOn+=3"]);
    let out = d.tkt(&["set", "1", "status=resolved"]);
    assert!(
        stderr(&out).contains("depends on #2, #3, which are not done yet"),
        "{}",
        stderr(&out)
    );
    d.tkt_ok(&["set", "2", "status=resolved"]);
    d.tkt_ok(&["set", "3", "status=rejected"]);
    d.tkt_ok(&["set", "1", "status=resolved"]);

    let queues = DEFAULT_QUEUES.replace(
        "comment_address = \"help-comment@tickets.test\"",
        "comment_address = \"help-comment@tickets.test\"\nresolve_with_open_dependencies = true",
    );
    let d = three_tickets(Setup {
        queues: Some(queues),
        ..Setup::default()
    });
    d.tkt_ok(&["set", "1", "DependsOn+=2"]);
    d.tkt_ok(&["set", "1", "status=resolved"]);
}

#[test]
fn resolving_the_last_child_resolves_the_parent_when_configured() {
    let queues = DEFAULT_QUEUES.replace(
        "comment_address = \"help-comment@tickets.test\"",
        "comment_address = \"help-comment@tickets.test\"\nresolve_parent_with_children = true",
    );
    let d = three_tickets(Setup {
        queues: Some(queues),
        ..Setup::default()
    });
    d.tkt_ok(&["set", "1", "Members+=2", "Members+=3"]);
    d.tkt_ok(&["set", "2", "status=resolved"]);
    assert_eq!(d.show(1)["status"], "new", "one child is still open");
    d.tkt_ok(&["set", "3", "status=resolved"]);
    let parent = d.show(1);
    assert_eq!(parent["status"], "resolved");
    let last = parent["transactions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["creator"], "RT_System");
}

#[test]
fn dates_and_time_tracking() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "x", "y", &[]));
    d.tkt_ok(&[
        "set",
        "1",
        "due=2026-12-24",
        "starts=2026-12-01 09:00",
        "time_estimated=4h",
    ]);
    d.tkt_ok(&["reply", "1", "-m", "First go.", "--time", "1h"]);
    d.tkt_ok(&["comment", "1", "-m", "Second go.", "--time", "30m"]);
    d.tkt_ok(&["set", "1", "time_left=2h30m"]);
    let t = d.show(1);
    assert_eq!(t["due"], "2026-12-24T00:00:00Z");
    assert_eq!(t["starts"], "2026-12-01T09:00:00Z");
    assert_eq!(t["time_estimated"], 240);
    assert_eq!(t["time_worked"], 90, "the replies' time adds up");
    assert_eq!(t["time_left"], 150);
    let text = d.tkt_ok(&["show", "1"]);
    assert!(
        text.contains("Time worked: 90 min  estimated: 240 min  left: 150 min"),
        "{text}"
    );
    assert!(text.contains("Due: 2026-12-24"), "{text}");
    d.tkt_ok(&["set", "1", "due="]);
    assert!(d.show(1)["due"].is_null());
    let out = d.tkt(&["set", "1", "due=next week"]);
    assert!(stderr(&out).contains("not a date"), "{}", stderr(&out));
    assert_eq!(d.search("Priority = 0 AND id = 1"), [1]);
}

const FIELDS: &str = r#"
[[custom_fields]]
name = "Severity"
type = "select"
values = ["low", "medium", "high"]
queues = ["network"]

[[custom_fields]]
name = "Services"
type = "multiselect"
values = ["mail", "web", "dns"]

[[custom_fields]]
name = "Outage"
type = "date"

[[custom_fields]]
name = "Users affected"
type = "integer"
"#;

#[test]
fn custom_fields_are_validated_shown_and_searchable() {
    let queues = format!("{DEFAULT_QUEUES}\n{FIELDS}");
    let d = Daemon::start_with(Setup {
        queues: Some(queues),
        ..Setup::default()
    });
    d.deliver("network", &mail("zoe@example.net", "Mail down", "x", &[]));
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    d.tkt_ok(&[
        "set",
        "1",
        "CF.{Severity}=HIGH",
        "CF.{Services}=mail, dns",
        "CF.{Outage}=2026-11-27 08:15",
    ]);
    d.tkt_ok(&["set", "1", "CF.{Users affected}=1200"]);
    let t = d.show(1);
    assert_eq!(t["custom_fields"]["Severity"], serde_json::json!(["high"]));
    assert_eq!(t["custom_fields"]["Services"], serde_json::json!(["mail", "dns"]));
    assert_eq!(
        t["custom_fields"]["Outage"],
        serde_json::json!(["2026-11-27T08:15:00Z"])
    );
    assert_eq!(t["custom_fields"]["Users affected"], serde_json::json!(["1200"]));
    let changes = transactions_of(&t, "CustomField");
    assert_eq!(changes[0]["field"], "CF.Severity");
    assert_eq!(changes[0]["new_value"], "high");

    let cases: &[(&str, &str)] = &[
        ("CF.{Severity}=urgent", "use one of low, medium, high"),
        (
            "CF.{Services}=mail,ftp",
            "`ftp` is not a value of custom field Services",
        ),
        ("CF.{Outage}=yesterday", "takes a date"),
        ("CF.{Users affected}=many", "takes a whole number"),
        ("CF.{Colour}=red", "no custom field `Colour`"),
    ];
    for (change, needle) in cases {
        let out = d.tkt(&["set", "1", change]);
        assert!(!out.status.success(), "{change}");
        assert!(stderr(&out).contains(needle), "{change}: {}", stderr(&out));
    }
    let out = d.tkt(&["set", "2", "CF.{Severity}=low"]);
    assert!(stderr(&out).contains("not one of queue general's"), "{}", stderr(&out));

    assert_eq!(d.search("CF.{Severity} = 'high'"), [1]);
    assert_eq!(d.search("CF.{Services} = 'dns'"), [1]);
    assert_eq!(d.search("CF.{Severity} != 'high'"), [2]);
    assert_eq!(d.search("CF.{Users affected} > 1000"), [1]);
    assert_eq!(d.search("CF.{Outage} < '2026-12-01'"), [1]);
    d.tkt_ok(&["set", "1", "CF.{Severity}="]);
    assert!(d.show(1)["custom_fields"].get("Severity").is_none());
}

#[test]
fn merge_keeps_both_histories_and_mail_for_the_old_number_threads_to_the_survivor() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver("general", &mail("bob@example.net", "Printer too", "Also jams.", &[]));
    d.tkt_ok(&["reply", "1", "-m", "Looking.", "--time", "20m"]);
    d.tkt_ok(&["reply", "2", "-m", "Same problem?", "--time", "10m"]);
    d.tkt_ok(&["merge", "1", "into", "2"]);
    let t = d.show(2);
    assert_eq!(
        t["requestors"],
        serde_json::json!(["zoe@example.net", "bob@example.net"])
    );
    assert_eq!(t["time_worked"], 30);
    let contents: Vec<&str> = t["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["content"].as_str())
        .collect();
    assert!(contents.iter().any(|c| c.contains("It jams.")) && contents.iter().any(|c| c.contains("Also jams.")));
    assert_eq!(transactions_of(&t, "Merge").len(), 2, "recorded on both");
    assert_eq!(d.show(1)["id"], 2, "the old number shows the survivor");
    assert_eq!(d.search("Subject LIKE 'Printer'"), [2]);
    // mail tagged with the old number threads onto the survivor
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] Printer", "Still jams.", &[]),
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
    let replies: Vec<i64> = transactions_of(&d.show(2), "Correspond")
        .iter()
        .map(|x| x["ticket"].as_i64().unwrap())
        .collect();
    assert_eq!(replies.last(), Some(&2));
    let out = d.tkt(&["merge", "2", "into", "1"]);
    assert!(stderr(&out).contains("already one ticket"), "{}", stderr(&out));

    // the merged ticket's words find the survivor, also once the survivor is merged in
    // turn (each transaction names the ticket it now counts for)
    assert_eq!(d.search("Content LIKE 'jams'"), [2]);
    d.deliver("general", &mail("ann@example.net", "Toner", "Toner is low.", &[]));
    d.tkt_ok(&["merge", "2", "into", "3"]);
    assert_eq!(d.search("Content LIKE 'jams'"), [3]);
    assert_eq!(d.search("Content LIKE 'toner' AND Content LIKE 'looking'"), [3]);
    let ranked = d.tkt_ok(&["search", "--content", "jams", "--json"]);
    let ranked: serde_json::Value = serde_json::from_str(&ranked).expect("JSON");
    let tickets: Vec<i64> = ranked
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ticket"].as_i64().unwrap())
        .collect();
    assert_eq!(tickets, [3], "{ranked}");
    assert_eq!(
        d.count("SELECT COUNT(*) FROM transactions WHERE ticket_id <> 3 AND COALESCE(merged_into, 0) <> 3"),
        0
    );
}

/// Rows per table, for checking that shredding removes a ticket's rows and nothing else.
fn table_counts(d: &Daemon) -> std::collections::BTreeMap<String, i64> {
    let tables = [
        "tickets",
        "transactions",
        "attachments",
        "raw_messages",
        "links",
        "ticket_roles",
        "outbox",
        "message_ids",
        "seen_messages",
        "quarantine",
        "ticket_custom_field_values",
        "users",
        "queues",
        "acl",
        // SQLite's full-text index is a table of its own; PostgreSQL's a column
        if d.database_url.is_none() {
            "transaction_text"
        } else {
            "transactions"
        },
    ];
    tables
        .iter()
        .map(|t| (t.to_string(), d.count(&format!("SELECT COUNT(*) FROM {t}"))))
        .collect()
}

#[test]
fn shred_removes_every_row_of_the_ticket_and_nothing_else() {
    let d = Daemon::start();
    d.deliver("network", &mail("zoe@example.net", "Link down", "Down.", &[]));
    d.deliver(
        "network",
        &mail("zoe@example.net", "Re: [tickets.test #1] Link down", "Still down.", &[]),
    );
    d.deliver("network", &mail("bob@example.net", "Other", "Keep me.", &[]));
    d.tkt_ok(&["set", "1", "DependsOn+=2", "AdminCc+=extra@example.org"]);
    d.tkt_ok(&["comment", "1", "-m", "internal"]);
    let before = table_counts(&d);
    let text = d.tkt_ok(&["shred", "1"]);
    assert_eq!(table_counts(&d), before, "the dry run changes nothing");
    assert!(text.contains("run again with --yes"), "{text}");
    let listed: std::collections::BTreeMap<String, i64> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().parse().unwrap(),
            )
        })
        .collect();
    d.tkt_ok(&["shred", "1", "--yes"]);
    let after = table_counts(&d);
    for (table, was) in &before {
        let gone = listed.get(table).copied().unwrap_or(0)
            + if table == "transaction_text" {
                listed["transactions"]
            } else {
                0
            };
        assert_eq!(after[table], was - gone, "{table}: {was} before, {} listed", gone);
    }
    assert!(
        listed["raw_messages"] >= 2 && listed["transactions"] >= 4 && listed["links"] == 1,
        "{listed:?}"
    );
    assert!(!d.tkt(&["show", "1"]).status.success());
    assert_eq!(d.show(2)["subject"], "Other", "the other ticket is whole");
    assert!(d.show(2)["links"].as_array().unwrap().is_empty());
    // shredding needs ShredTicket, which staff do not have
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    let carol = d.token_for("carol@tickets.test");
    let out = d.tkt_as(&carol, &["shred", "2"]);
    assert!(stderr(&out).contains("ShredTicket"), "{}", stderr(&out));
}

#[test]
fn a_reply_long_after_resolving_opens_a_new_ticket_that_refers_to_the_old() {
    let queues = DEFAULT_QUEUES.replace(
        "comment_address = \"help-comment@tickets.test\"",
        "comment_address = \"help-comment@tickets.test\"\nreopen_window_days = 30",
    );
    let d = Daemon::start_with(Setup {
        queues: Some(queues),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["set", "1", "status=resolved"]);
    // within the window: reopened as always
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] Printer", "Again.", &[]),
    );
    assert_eq!(d.show(1)["status"], "open");
    d.tkt_ok(&["set", "1", "status=resolved"]);
    // forty days on (the database is told so: tests cannot wait)
    d.execute("UPDATE tickets SET resolved = '2020-01-01T00:00:00Z' WHERE id = 1");
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] Printer", "It is back!", &[]),
    );
    assert_eq!(d.show(1)["status"], "resolved", "the old ticket stays resolved");
    let new = d.show(2);
    assert_eq!(new["requestors"], serde_json::json!(["zoe@example.net"]));
    assert_eq!(new["links"], serde_json::json!([{ "type": "RefersTo", "target": 1 }]));
    assert!(
        new["transactions"][0]["content"]
            .as_str()
            .unwrap()
            .contains("It is back!")
    );
}
