//! Comment text in searches (issue 14): matched only for someone who holds
//! ShowTicketComments on that ticket's queue, whatever the search (Content LIKE, NOT
//! LIKE, IN, content search, reports); found by everyone who does; and content search
//! never names a ticket the searcher may not see, merged tickets included.

use crate::harness::*;

/// The tickets a search or content search (`--json`) names, or the report's total.
fn found(d: &Daemon, token: Option<&str>, args: &[&str]) -> Vec<i64> {
    let out = match token {
        Some(token) => d.tkt_as(token, args),
        None => d.tkt(args),
    };
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().or(t["ticket"].as_i64()).unwrap())
        .collect()
}

/// How many tickets a report counts.
fn counted(d: &Daemon, token: &str, query: &str) -> i64 {
    let out = d.tkt_as(token, &["report", query, "--by", "Status", "--json"]);
    assert!(out.status.success(), "{query}: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()).sum()
}

/// 1 general (zoe) with a comment "marmalade"; 2 network (yan) with a comment "quokka";
/// 3 network (zoe) with "tunnel" in its text and a comment "wombat", merged into 4
/// general (yan). Staff keep ShowTicket everywhere but ShowTicketComments only where
/// granted: alice on network, bob nowhere.
fn comments_set() -> Daemon {
    let d = Daemon::start();
    for user in ["alice@tickets.test", "bob@tickets.test", "carol@tickets.test"] {
        d.tkt_ok(&["user", "create", user, "--privileged"]);
    }
    d.deliver("general", &mail("zoe@example.net", "Printer jams", "It jams.", &[]));
    d.deliver("network", &mail("yan@example.net", "Switch down", "Core switch.", &[]));
    d.deliver(
        "network",
        &mail("zoe@example.net", "VPN slow", "The tunnel drops.", &[]),
    );
    d.deliver("general", &mail("yan@example.net", "Toner", "Black toner.", &[]));
    d.tkt_ok(&["comment", "1", "-m", "The spare key is under the marmalade."]);
    d.tkt_ok(&["comment", "2", "-m", "The rack code is quokka."]);
    d.tkt_ok(&["comment", "3", "-m", "Their admin is a wombat."]);
    d.tkt_ok(&["merge", "3", "into", "4"]);
    d.tkt_ok(&["revoke", "ShowTicketComments", "--group", "Privileged"]);
    d.tkt_ok(&[
        "grant",
        "ShowTicketComments",
        "--user",
        "alice@tickets.test",
        "--queue",
        "network",
    ]);
    d
}

#[test]
fn comment_text_is_matched_only_with_show_ticket_comments_on_its_queue() {
    let d = comments_set();
    let none: Vec<i64> = Vec::new();
    let alice = d.token_for("alice@tickets.test");
    let bob = d.token_for("bob@tickets.test");
    let yan = d.token_for("yan@example.net");
    // a requestor and staff without the right: nothing, and no ticket named
    for token in [&yan, &bob] {
        for word in ["quokka", "marmalade", "wombat"] {
            let like = format!("Content LIKE '{word}'");
            assert_eq!(found(&d, Some(token), &["search", &like, "--json"]), none, "{like}");
            let listed = format!("Content IN ('{word}', 'zzz')");
            assert_eq!(found(&d, Some(token), &["search", &listed, "--json"]), none, "{listed}");
            assert_eq!(found(&d, Some(token), &["search", "--content", word, "--json"]), none);
            let simple = format!("{word} status:any");
            assert_eq!(found(&d, Some(token), &["search", &simple, "--json"]), none);
            assert_eq!(counted(&d, token, &like), 0, "{like}");
            let text = String::from_utf8(d.tkt_as(token, &["search", "--content", word]).stdout).unwrap();
            assert!(text.contains("No ticket matches") && !text.contains('#'), "{text}");
        }
        // nor does NOT LIKE tell the comment apart: ticket 2 is "without" the word
        let seen = found(&d, Some(token), &["search", "Content NOT LIKE 'quokka'", "--json"]);
        assert!(seen.contains(&2), "{seen:?}");
    }
    // staff with the right on network find network comments, not general ones
    assert_eq!(
        found(&d, Some(&alice), &["search", "Content LIKE 'quokka'", "--json"]),
        [2]
    );
    assert_eq!(
        found(&d, Some(&alice), &["search", "--content", "quokka", "--json"]),
        [2]
    );
    assert_eq!(counted(&d, &alice, "Content LIKE 'quokka'"), 1);
    assert_eq!(
        found(&d, Some(&alice), &["search", "Content LIKE 'marmalade'", "--json"]),
        none
    );
    let seen = found(&d, Some(&alice), &["search", "Content NOT LIKE 'quokka'", "--json"]);
    assert!(!seen.contains(&2), "{seen:?}");
    // a merged ticket's comment is judged on the ticket it was merged into (general)
    assert_eq!(
        found(&d, Some(&alice), &["search", "Content LIKE 'wombat'", "--json"]),
        none
    );
    assert_eq!(
        found(&d, Some(&alice), &["search", "--content", "wombat", "--json"]),
        none
    );
    // the superuser finds every comment
    assert_eq!(found(&d, None, &["search", "Content LIKE 'quokka'", "--json"]), [2]);
    assert_eq!(found(&d, None, &["search", "Content LIKE 'marmalade'", "--json"]), [1]);
    assert_eq!(found(&d, None, &["search", "--content", "wombat", "--json"]), [4]);
    let hits: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["search", "--content", "quokka", "--json"])).unwrap();
    assert!(hits[0]["snippet"].as_str().unwrap().contains("[quokka]"), "{hits}");
}

#[test]
fn staff_kept_to_one_queue_find_its_comments_and_nothing_merged_away_from_it() {
    let d = comments_set();
    // carol's team works network only: no global ShowTicket, so searches are limited
    // to the queues granted, the case that once hid every comment from her
    d.tkt_ok(&["group", "create", "noc"]);
    d.tkt_ok(&["group", "add", "noc", "carol@tickets.test"]);
    d.tkt_ok(&["revoke", "ShowTicket", "--group", "Privileged"]);
    for right in ["ShowTicket", "ShowTicketComments"] {
        d.tkt_ok(&["grant", right, "--group", "noc", "--queue", "network"]);
    }
    let carol = d.token_for("carol@tickets.test");
    let none: Vec<i64> = Vec::new();
    assert_eq!(found(&d, Some(&carol), &["search", "", "--json"]), [2]);
    assert_eq!(
        found(&d, Some(&carol), &["search", "Content LIKE 'quokka'", "--json"]),
        [2]
    );
    assert_eq!(
        found(&d, Some(&carol), &["search", "--content", "quokka", "--json"]),
        [2]
    );
    // ticket 3 was in network, but it lives on as 4 in general, which carol may not see:
    // neither its text nor its comment names it
    for word in ["tunnel", "wombat", "marmalade"] {
        assert_eq!(
            found(&d, Some(&carol), &["search", "--content", word, "--json"]),
            none,
            "{word}"
        );
        let like = format!("Content LIKE '{word}'");
        assert_eq!(found(&d, Some(&carol), &["search", &like, "--json"]), none, "{like}");
        let text = String::from_utf8(d.tkt_as(&carol, &["search", "--content", word]).stdout).unwrap();
        assert!(!text.contains("Toner") && !text.contains("#4"), "{text}");
    }
    // the requestor of the survivor finds its text (not its comments)
    let yan = d.token_for("yan@example.net");
    assert_eq!(found(&d, Some(&yan), &["search", "--content", "tunnel", "--json"]), [4]);
    assert_eq!(
        found(&d, Some(&yan), &["search", "--content", "wombat", "--json"]),
        none
    );
}
