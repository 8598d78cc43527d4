//! The home page's queue counts (issue 16): kept by the database's triggers as tickets are
//! created, moved, resolved, merged and shredded, they must always equal what a report of
//! the same user's active tickets counts; and a user who sees a queue's tickets only
//! through a role is told only of those.

use std::collections::BTreeMap;

use crate::harness::*;
use crate::web::*;

/// The home page's counts: queue name to (new, open, stalled, other).
fn home_counts(web: &mut Web) -> BTreeMap<String, [i64; 4]> {
    let home = web.get("/");
    assert_eq!(home.status, 200, "{home:?}");
    let section = element(&home.body, "queues");
    let mut counts = BTreeMap::new();
    for row in section.tags("tr").iter().filter(|t| t.has_class("queue")) {
        let name = row.attr("data-queue").unwrap().to_string();
        let at = home.body.find(&format!("data-queue=\"{name}\"")).unwrap();
        let row_html = &home.body[at..at + home.body[at..].find("</tr>").unwrap()];
        let cells: Vec<i64> = row_html
            .split("</td>")
            .filter_map(|cell| Page::parse(cell).text.trim().parse().ok())
            .collect();
        assert_eq!(cells.len(), 4, "{name}: {cells:?}");
        counts.insert(name, [cells[0], cells[1], cells[2], cells[3]]);
    }
    counts
}

/// The same counts from `tkt report` as the user of `token` (root when `None`).
fn report_counts(d: &Daemon, token: Option<&str>) -> BTreeMap<String, [i64; 4]> {
    let args = [
        "report",
        "Status = '__Active__'",
        "--by",
        "Queue",
        "--by",
        "Status",
        "--json",
    ];
    let out = match token {
        Some(token) => d.tkt_as(token, &args),
        None => d.tkt(&args),
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut counts: BTreeMap<String, [i64; 4]> =
        ["general", "network"].iter().map(|q| (q.to_string(), [0; 4])).collect();
    for row in rows.as_array().unwrap() {
        let queue = row["group"][0].as_str().unwrap().to_string();
        let column = match row["group"][1].as_str().unwrap() {
            "new" => 0,
            "open" => 1,
            "stalled" => 2,
            _ => 3,
        };
        counts.entry(queue).or_default()[column] += row["count"].as_i64().unwrap();
    }
    counts
}

#[test]
fn the_queue_counts_follow_every_change_and_match_a_report() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let mut sam = Web::login(&d, "sam@tickets.test");
    for n in 1..=6 {
        d.deliver(
            "general",
            &mail("zoe@example.net", &format!("Printer {n}"), "Jammed.", &[]),
        );
    }
    d.deliver("network", &mail("zoe@example.net", "Link down", "Since noon.", &[]));
    assert_eq!(home_counts(&mut sam)["general"], [6, 0, 0, 0]);
    d.tkt_ok(&["set", "1", "status=open"]);
    d.tkt_ok(&["set", "2", "status=stalled"]);
    d.tkt_ok(&["set", "3", "status=resolved"]);
    d.tkt_ok(&["set", "4", "queue=network"]);
    d.tkt_ok(&["merge", "5", "into", "6"]);
    d.tkt_ok(&["shred", "7", "--yes"]);
    let home = home_counts(&mut sam);
    assert_eq!(home["general"], [1, 1, 1, 0], "{home:?}");
    assert_eq!(home["network"], [1, 0, 0, 0], "{home:?}");
    assert_eq!(home, report_counts(&d, None));
}

#[test]
fn a_user_who_sees_only_their_own_tickets_is_told_only_of_those() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.web_staff("pat@tickets.test");
    for n in 1..=3 {
        d.deliver(
            "general",
            &mail("zoe@example.net", &format!("Printer {n}"), "Jammed.", &[]),
        );
    }
    // staff see every ticket through Privileged; pat instead only the ones pat owns
    d.tkt_ok(&["set", "2", "owner=pat@tickets.test"]);
    d.tkt_ok(&["revoke", "ShowTicket", "--group", "Privileged"]);
    d.tkt_ok(&["grant", "ShowTicket", "--user", "sam@tickets.test"]);
    d.tkt_ok(&["grant", "ShowTicket", "--role", "Owner"]);
    let mut pat = Web::login(&d, "pat@tickets.test");
    let home = home_counts(&mut pat);
    assert_eq!(home["general"], [1, 0, 0, 0], "{home:?}");
    let pat_token = d.token_for("pat@tickets.test");
    assert_eq!(home, report_counts(&d, Some(&pat_token)));
    let mut sam = Web::login(&d, "sam@tickets.test");
    assert_eq!(home_counts(&mut sam)["general"], [3, 0, 0, 0]);
}
