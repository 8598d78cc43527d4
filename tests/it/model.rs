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
        ("CF.{Colour}=red", "there is no custom field Colour"),
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
