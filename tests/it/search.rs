//! Search (issue 6): every field and operator against a small known data set, the simple
//! form, full text, reports, saved searches, pages, injection attempts and rights.

use crate::harness::*;

/// Four tickets with known fields:
/// 1 general, zoe, new, unowned, due 2026-12-24, DependsOn 2, "paper jam" in the text;
/// 2 network, yan, new, alice, priority 80, Cc boss, a comment with "widget";
/// 3 network, zoe, resolved (told), "VPN throughput";
/// 4 general, yan, open, alice, 30 minutes worked (told).
fn data_set() -> Daemon {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    d.deliver(
        "general",
        &mail("zoe@example.net", "Printer jams", "The paper jam in tray 2 again.", &[]),
    );
    d.deliver(
        "network",
        &mail("yan@example.net", "Switch down", "Core switch lost power.", &[]),
    );
    d.deliver(
        "network",
        &mail(
            "zoe@example.net",
            "VPN slow",
            "VPN throughput is poor since Monday.",
            &[],
        ),
    );
    d.tkt_ok(&[
        "create",
        "--queue",
        "general",
        "--subject",
        "Toner order",
        "--requestor",
        "yan@example.net",
        "--owner",
        "alice@tickets.test",
        "-m",
        "Black toner, two boxes.",
    ]);
    d.tkt_ok(&[
        "set",
        "2",
        "owner=alice@tickets.test",
        "priority=80",
        "Cc+=boss@example.net",
    ]);
    d.tkt_ok(&["comment", "2", "-m", "The secret widget is in rack 4."]);
    d.tkt_ok(&["set", "3", "status=resolved"]);
    d.tkt_ok(&["set", "1", "DependsOn+=2", "due=2026-12-24"]);
    d.tkt_ok(&["reply", "4", "-m", "Ordered.", "--time", "30"]);
    d
}

#[test]
fn every_field_and_operator_finds_exactly_the_right_tickets() {
    let d = data_set();
    let cases: &[(&str, &[i64])] = &[
        ("", &[1, 2, 3, 4]),
        ("id = 2", &[2]),
        ("id IN (1, 3)", &[1, 3]),
        ("id NOT IN (1, 3)", &[2, 4]),
        ("id >= 3", &[3, 4]),
        ("Queue = 'network'", &[2, 3]),
        ("Queue != 'network'", &[1, 4]),
        ("Queue LIKE 'net'", &[2, 3]),
        ("Status = '__Active__'", &[1, 2, 4]),
        ("Status = '__Inactive__'", &[3]),
        ("Status = 'resolved'", &[3]),
        ("Status IN ('new', 'open')", &[1, 2, 4]),
        ("Status NOT IN ('new')", &[3, 4]),
        ("Owner = 'alice@tickets.test'", &[2, 4]),
        ("Owner != 'alice@tickets.test'", &[1, 3]),
        ("Owner = 'Nobody'", &[1, 3]),
        ("Unowned", &[1, 3]),
        ("HasNoOwner AND Queue = 'general'", &[1]),
        ("Owner IS NULL", &[1, 3]),
        ("Owner IS NOT NULL", &[2, 4]),
        ("Creator = 'zoe@example.net'", &[1, 3]),
        ("Creator LIKE 'yan'", &[2]),
        ("Requestor = 'zoe@example.net'", &[1, 3]),
        ("Requestor LIKE 'yan'", &[2, 4]),
        ("Requestor != 'zoe@example.net'", &[2, 4]),
        ("Requestor NOT LIKE 'example.net'", &[]),
        ("Cc = 'boss@example.net'", &[2]),
        ("Cc IS NULL", &[1, 3, 4]),
        ("Cc IS NOT NULL", &[2]),
        ("AdminCc IS NOT NULL", &[]),
        ("Watcher = 'boss@example.net'", &[2]),
        ("Watcher LIKE 'zoe'", &[1, 3]),
        ("Subject LIKE 'printer'", &[1]),
        ("Subject = 'vpn slow'", &[3]),
        ("Subject NOT LIKE 'o'", &[1]),
        ("Content LIKE 'paper jam'", &[1]),
        ("Content LIKE '\"paper jam\"'", &[1]),
        ("Content LIKE '\"jam paper\"'", &[]),
        ("Content LIKE 'thro*'", &[3]),
        ("Content = 'switch'", &[2]),
        ("Content NOT LIKE 'switch'", &[1, 3, 4]),
        ("Content LIKE 'widget'", &[2]),
        ("Priority > 50", &[2]),
        ("Priority = 0", &[1, 3, 4]),
        ("Priority <= 80 AND Priority > 0", &[2]),
        ("TimeWorked >= 30", &[4]),
        ("TimeWorked = 0", &[1, 2, 3]),
        ("Resolved IS NOT NULL", &[3]),
        ("Resolved > '-1 day'", &[3]),
        ("Resolved < 'yesterday'", &[]),
        ("Due IS NOT NULL", &[1]),
        ("Due > '2026-12-01'", &[1]),
        ("Due < '2026-12-01'", &[]),
        ("Created > '-1 hour'", &[1, 2, 3, 4]),
        ("Created < '2000-01-01'", &[]),
        ("LastUpdated > '2 hours ago'", &[1, 2, 3, 4]),
        ("Updated < today", &[]),
        ("Told IS NOT NULL", &[3, 4]),
        ("Told IS NULL", &[1, 2]),
        ("Starts IS NOT NULL", &[]),
        ("DependsOn = 2", &[1]),
        ("DependsOn != 2", &[2, 3, 4]),
        ("DependedOnBy = 1", &[2]),
        ("DependsOn IS NOT NULL", &[1]),
        ("MemberOf IS NULL", &[1, 2, 3, 4]),
        ("RefersTo = 9", &[]),
        ("NOT (Queue = 'network')", &[1, 4]),
        ("(Queue = 'network' OR Priority > 50) AND Status = 'new'", &[2]),
        ("Queue = 'general' OR Requestor = 'zoe@example.net'", &[1, 3, 4]),
        ("id > 0 ORDER BY Priority DESC, id", &[2, 1, 3, 4]),
        ("id > 0 ORDER BY Due DESC LIMIT 1", &[1]),
        // a date that may be unset sorts as on SQLite on both backends: unset first going up
        ("id > 0 ORDER BY Due", &[2, 3, 4, 1]),
        ("ORDER BY id DESC LIMIT 2", &[4, 3]),
    ];
    for (query, expected) in cases {
        assert_eq!(d.search(query), *expected, "{query}");
    }
    let started = d.search("Started IS NOT NULL");
    assert!(
        started.contains(&4) && !started.contains(&1) && !started.contains(&2),
        "{started:?}"
    );
    // a page at a time
    let page: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["search", "id > 0", "--page", "2", "--per-page", "2", "--json"])).unwrap();
    let ids: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 4]);
}

#[test]
fn the_simple_form_and_the_current_user() {
    let d = data_set();
    assert_eq!(d.search("printer"), [1]);
    assert_eq!(d.search("queue:network"), [2], "active tickets only by default");
    assert_eq!(d.search("queue:network status:any"), [2, 3]);
    assert_eq!(d.search("VPN status:resolved"), [3]);
    assert_eq!(d.search("#3"), [3]);
    assert_eq!(d.search("\"paper jam\""), [1]);
    assert_eq!(d.search("requestor:yan"), [2, 4]);
    let sql = d.tkt_ok(&["search", "printer queue:general", "--sql"]);
    assert!(
        sql.contains("TicketSQL: (Subject LIKE 'printer' OR Content LIKE 'printer') AND Queue = 'general'"),
        "{sql}"
    );
    // FTS5 on SQLite, a tsvector on PostgreSQL
    assert!(
        (sql.contains("MATCH ?") || sql.contains("@@ fts_query(?)")) && sql.contains(r#""\"printer\"""#),
        "{sql}"
    );
    let alice = d.token_for("alice@tickets.test");
    let ids = |out: std::process::Output| -> Vec<i64> {
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(d.tkt_as(&alice, &["search", "owner:me", "--json"])), [2, 4]);
    assert_eq!(
        ids(d.tkt_as(
            &alice,
            &["search", "Owner = '__CurrentUser__' AND Queue = 'network'", "--json"]
        )),
        [2]
    );
    // a broken TicketSQL query gets its error, not a word search
    let out = d.tkt(&["search", "Queue = "]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("position 9"), "{}", stderr(&out));
}

#[test]
fn content_search_is_ranked_with_snippets() {
    let d = data_set();
    d.deliver(
        "general",
        &mail(
            "zoe@example.net",
            "Jam again",
            "Jam, jam, jam: the printer jams with every paper jam.",
            &[],
        ),
    );
    let hits: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["search", "--content", "jam", "--json"])).unwrap();
    let hits = hits.as_array().unwrap();
    let tickets: Vec<i64> = hits.iter().map(|h| h["ticket"].as_i64().unwrap()).collect();
    assert_eq!(tickets, [5, 1], "the message with more of the word ranks first");
    assert!(
        hits[1]["snippet"].as_str().unwrap().contains("paper [jam] in tray"),
        "{hits:?}"
    );
    let text = d.tkt_ok(&["search", "--content", "paper jam"]);
    assert!(text.contains("#1 Printer jams"), "{text}");
    let none = d.tkt_ok(&["search", "--content", "nothing-like-this"]);
    assert!(none.contains("No ticket matches"), "{none}");
}

#[test]
fn reports_count_by_groups() {
    let d = data_set();
    let rows: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["report", "", "--by", "Queue", "--by", "Status", "--json"])).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            { "group": ["general", "new"], "count": 1 },
            { "group": ["general", "open"], "count": 1 },
            { "group": ["network", "new"], "count": 1 },
            { "group": ["network", "resolved"], "count": 1 },
        ])
    );
    let owners = d.tkt_ok(&["report", "Queue = 'network'", "--by", "Owner"]);
    assert!(
        owners.contains("alice@tickets.test") && owners.contains("Nobody"),
        "{owners}"
    );
    assert!(
        owners.lines().last().unwrap().starts_with("Total") && owners.trim_end().ends_with('2'),
        "{owners}"
    );
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let monthly = d.tkt_ok(&["report", "", "--by", "CreatedMonthly", "--json"]);
    assert!(
        monthly.contains(&month) && monthly.contains("\"count\": 4"),
        "{monthly}"
    );
    assert!(!d.tkt(&["report", "", "--by", "Colour"]).status.success());
}

#[test]
fn saved_searches_are_per_user() {
    let d = data_set();
    let alice = d.token_for("alice@tickets.test");
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    ok(d.tkt_as(
        &alice,
        &["search", "save", "mine", "Owner = '__CurrentUser__' ORDER BY id DESC"],
    ));
    assert!(ok(d.tkt_as(&alice, &["search", "saved"])).contains("mine: Owner = '__CurrentUser__'"));
    let run: serde_json::Value =
        serde_json::from_str(&ok(d.tkt_as(&alice, &["search", "run", "mine", "--json"]))).unwrap();
    let ids: Vec<i64> = run
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [4, 2]);
    // root has none of alice's
    assert!(!d.tkt(&["search", "run", "mine"]).status.success());
    // a query that does not parse is not saved
    assert!(
        !d.tkt_as(&alice, &["search", "save", "bad", "Queue = "])
            .status
            .success()
    );
    ok(d.tkt_as(&alice, &["search", "delete", "mine"]));
    assert!(!d.tkt_as(&alice, &["search", "run", "mine"]).status.success());
}

#[test]
fn injection_attempts_are_data() {
    let d = data_set();
    for query in [
        "Subject = 'x\\') OR 1=1 --'",
        "Queue = 'general; DROP TABLE tickets'",
        "Requestor = '\\' OR \\'1\\'=\\'1'",
        "Content LIKE 'NEAR( OR \"x'",
        "Subject LIKE '%\\' OR 1=1; --'",
        "CF.{x' OR 1=1 --} = 'y'",
    ] {
        let out = d.tkt(&["search", query, "--json"]);
        if out.status.success() {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v, serde_json::json!([]), "{query}");
        } else {
            // a syntax error, or a value read as a name that does not exist
            let err = stderr(&out);
            assert!(
                ["query", "no queue named", "no custom field"]
                    .iter()
                    .any(|n| err.contains(n)),
                "{query}: {err}"
            );
        }
    }
    // simple-form words are data too
    assert_eq!(d.search("it's'; DROP TABLE tickets --"), Vec::<i64>::new());
    assert_eq!(d.search("printer' --"), Vec::<i64>::new());
    assert_eq!(d.count("SELECT count(*) FROM tickets"), 4);
}

#[test]
fn requestors_find_only_their_own_tickets() {
    let d = data_set();
    let zoe = d.token_for("zoe@example.net");
    let yan = d.token_for("yan@example.net");
    let ids = |token: &str, args: &[&str]| -> Vec<i64> {
        let out = d.tkt_as(token, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().or(t["ticket"].as_i64()).unwrap())
            .collect()
    };
    assert_eq!(ids(&zoe, &["search", "", "--json"]), [1, 3]);
    assert_eq!(ids(&zoe, &["search", "Queue = 'network'", "--json"]), [3]);
    assert_eq!(
        ids(&zoe, &["search", "Requestor = 'yan@example.net'", "--json"]),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&zoe, &["search", "id = 2 OR id = 4", "--json"]), Vec::<i64>::new());
    assert_eq!(
        ids(&zoe, &["search", "--content", "switch", "--json"]),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&zoe, &["search", "switch status:any", "--json"]), Vec::<i64>::new());
    // yan may see ticket 2, but not the text of its staff comment
    assert_eq!(
        ids(&yan, &["search", "Content LIKE 'widget'", "--json"]),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&yan, &["search", "--content", "widget", "--json"]),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&yan, &["search", "Content LIKE 'switch'", "--json"]), [2]);
    let report: serde_json::Value =
        serde_json::from_slice(&d.tkt_as(&zoe, &["report", "", "--by", "Queue", "--json"]).stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!([{ "group": ["general"], "count": 1 }, { "group": ["network"], "count": 1 }])
    );
}
