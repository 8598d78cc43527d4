//! Users, groups, roles and rights, by mail and by tkt (issue 3).

use crate::harness::*;

/// How a tkt call as someone went.
fn ok(out: &std::process::Output) -> bool {
    out.status.success()
}

fn ids(out: &std::process::Output) -> Vec<i64> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("search JSON");
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

/// Staff rights per queue, as sites run RT: the Privileged group's global ticket rights
/// are replaced by grants to a `helpdesk` group on queue `general` only.
fn per_queue_staff(d: &Daemon) {
    for right in [
        "ShowTicket",
        "ShowTicketComments",
        "CommentOnTicket",
        "ModifyTicketStatus",
        "ModifyTicket",
    ] {
        d.tkt_ok(&["revoke", right, "--group", "Privileged"]);
        d.tkt_ok(&["grant", right, "--group", "helpdesk", "--queue", "general"]);
    }
}

#[test]
fn the_rights_matrix_holds_by_mail_and_by_tkt() {
    let d = Daemon::start();
    d.tkt_ok(&["group", "create", "helpdesk"]);
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
    per_queue_staff(&d);

    // by mail: a requestor creates and replies, may not comment
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] Printer", "Still.", &[]),
    );
    let out = d.mailgate(
        &["--queue", "general", "--action", "comment"],
        &mail("zoe@example.net", "[tickets.test #1] x", "my note", &[]),
    );
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    // another requestor's ticket, and one in a queue carol does not work
    d.deliver("general", &mail("bob@example.net", "Bob's", "Mine.", &[]));
    d.deliver("network", &mail("bob@example.net", "Link", "Down.", &[]));
    // bob writing into zoe's ticket: recorded for staff, not as a reply to zoe
    d.deliver(
        "general",
        &mail(
            "bob@example.net",
            "Re: [tickets.test #1] Printer",
            "I know her password",
            &[],
        ),
    );
    let t = d.show(1);
    assert_eq!(transactions_of(&t, "Correspond").len(), 1);
    assert_eq!(transactions_of(&t, "Comment").len(), 1);

    // by tkt, as the requestor
    let zoe = d.token_for("zoe@example.net");
    let shown = d.tkt_as(&zoe, &["show", "1", "--json"]);
    assert!(ok(&shown), "{}", stderr(&shown));
    let t: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        transactions_of(&t, "Comment").len(),
        0,
        "requestors do not see comments"
    );
    assert!(ok(&d.tkt_as(&zoe, &["reply", "1", "-m", "Any news?"])));
    let refused: [&[&str]; 5] = [
        &["show", "2"],
        &["show", "3"],
        &["comment", "1", "-m", "x"],
        &["set", "1", "status=resolved"],
        &["take", "1"],
    ];
    for args in refused {
        assert!(!ok(&d.tkt_as(&zoe, args)), "zoe: {args:?} must fail");
    }
    let create = t["transactions"][0]["id"].to_string();
    assert!(ok(&d.tkt_as(&zoe, &["raw", &create])), "her own message");
    let comment: i64 = d.count("SELECT id FROM transactions WHERE type = 'Comment'");
    assert!(
        !ok(&d.tkt_as(&zoe, &["raw", &comment.to_string()])),
        "not a comment's raw message"
    );
    let out = d.tkt_as(&zoe, &["show", "2"]);
    assert!(
        stderr(&out).contains("ticket 2 does not exist"),
        "no hint that it exists: {}",
        stderr(&out)
    );
    let out = d.tkt_as(&zoe, &["comment", "1", "-m", "x"]);
    assert!(stderr(&out).contains("CommentOnTicket"), "{}", stderr(&out));
    assert_eq!(ids(&d.tkt_as(&zoe, &["search", "", "--json"])), [1]);
    assert_eq!(
        ids(&d.tkt_as(&zoe, &["search", "Subject LIKE 'Bob'", "--json"])),
        Vec::<i64>::new()
    );

    // by tkt, as staff with the queue's rights
    let carol = d.token_for("carol@tickets.test");
    let shown = d.tkt_as(&carol, &["show", "1", "--json"]);
    let t: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(transactions_of(&t, "Comment").len(), 1, "staff see comments");
    assert!(ok(&d.tkt_as(&carol, &["comment", "1", "-m", "Toner, not paper."])));
    assert!(ok(&d.tkt_as(&carol, &["set", "1", "status=open"])));
    assert_eq!(
        ids(&d.tkt_as(&carol, &["search", "", "--json"])),
        [1, 2],
        "general only"
    );
    assert!(!ok(&d.tkt_as(&carol, &["show", "3"])), "not her queue");

    // revoking takes effect at once
    d.tkt_ok(&["revoke", "CommentOnTicket", "--group", "helpdesk", "--queue", "general"]);
    let out = d.tkt_as(&carol, &["comment", "1", "-m", "again"]);
    assert!(!ok(&out));
    assert!(stderr(&out).contains("CommentOnTicket"), "{}", stderr(&out));
}

#[test]
fn rights_explains_which_grant_gives_a_right() {
    let d = Daemon::start();
    d.tkt_ok(&["group", "create", "helpdesk"]);
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
    per_queue_staff(&d);
    let text = d.tkt_ok(&["rights", "--user", "carol@tickets.test", "--queue", "general"]);
    let line = |right: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(right))
            .unwrap()
            .to_string()
    };
    assert!(line("CommentOnTicket").starts_with("yes"), "{text}");
    assert!(
        line("CommentOnTicket").contains("group helpdesk on queue general"),
        "{text}"
    );
    assert!(line("OwnTicket").contains("group Privileged globally"), "{text}");
    assert!(line("DeleteTicket").starts_with("no"), "{text}");
    let text = d.tkt_ok(&["rights", "--user", "carol@tickets.test", "--queue", "network"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("no") && l.contains("CommentOnTicket")),
        "{text}"
    );
    let root = d.tkt_ok(&["rights", "--user", "root"]);
    assert!(root.lines().all(|l| l.starts_with("yes")), "{root}");
    assert!(root.contains("(through SuperUser)"), "{root}");
}

#[test]
fn nested_groups_and_queue_admincc_groups_get_the_comments() {
    let d = Daemon::start();
    d.tkt_ok(&["queue", "create", "ops", "--address", "ops@tickets.test"]);
    d.tkt_ok(&["user", "create", "erin@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "create", "noc"]);
    d.tkt_ok(&["group", "create", "noc-oncall"]);
    d.tkt_ok(&["group", "add", "noc-oncall", "erin@tickets.test"]);
    d.tkt_ok(&["group", "add", "noc", "noc-oncall"]);
    let out = d.tkt(&["group", "add", "noc-oncall", "noc"]);
    assert!(stderr(&out).contains("inside itself"), "{}", stderr(&out));
    d.tkt_ok(&["queue", "set", "ops", "AdminCc+=noc"]);
    d.deliver("ops", &mail("zoe@example.net", "Disk full", "/var is full", &[]));
    let before = d.outbox().len();
    d.tkt_ok(&["comment", "1", "-m", "Cleaning up logs."]);
    let sent: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].recipients,
        ["erin@tickets.test"],
        "erin is in noc through noc-oncall"
    );
    // and erin, as a watcher through her groups, may work the ticket
    let erin = d.token_for("erin@tickets.test");
    assert!(ok(&d.tkt_as(&erin, &["show", "1"])));
    // a group can be a ticket's AdminCc too
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    d.tkt_ok(&["set", "2", "AdminCc+=noc-oncall"]);
    let before = d.outbox().len();
    d.tkt_ok(&["comment", "2", "-m", "Erin knows printers."]);
    let sent: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(
        sent.iter().flat_map(|q| q.recipients.clone()).collect::<Vec<_>>(),
        ["erin@tickets.test"]
    );
    let out = d.tkt(&["set", "2", "Cc+=no-such-group"]);
    assert!(
        stderr(&out).contains("neither an email address nor a group"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn disabled_users_and_bad_tokens_are_refused() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let zoe = d.token_for("zoe@example.net");
    d.tkt_ok(&["user", "disable", "zoe@example.net"]);
    let out = d.mailgate(&["--queue", "general"], &mail("zoe@example.net", "Again", "x", &[]));
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(stderr(&out).contains("disabled"), "{}", stderr(&out));
    let out = d.tkt_as(&zoe, &["show", "1"]);
    assert!(!ok(&out));
    assert!(stderr(&out).contains("disabled"), "{}", stderr(&out));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);

    let out = d.tkt_as("tkd_0000", &["show", "1"]);
    assert!(stderr(&out).contains("not valid"), "{}", stderr(&out));
    let staff = d.token_for("root");
    assert!(ok(&d.tkt_as(&staff, &["show", "1"])));
    let listed: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["token", "list", "--json"])).unwrap();
    let id = listed.as_array().unwrap().iter().find(|t| t["user"] == "root").unwrap()["id"].to_string();
    d.tkt_ok(&["token", "revoke", &id]);
    let out = d.tkt_as(&staff, &["show", "1"]);
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
}

#[test]
fn denied_mail_can_be_dropped_quietly_instead_of_bounced() {
    let d = Daemon::start_with(Setup {
        mail: vec!["denied_mail = \"drop\"".into()],
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let out = d.mailgate(
        &["--queue", "general", "--action", "comment"],
        &mail("zoe@example.net", "[tickets.test #1]", "note", &[]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(d.count("SELECT COUNT(*) FROM transactions"), 1, "nothing stored");
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 1);
}

#[test]
fn the_non_watcher_policy_of_the_queue_decides() {
    let queues = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
non_watcher_mail = "refuse"

[[queues]]
name = "open"
address = "open@tickets.test"
non_watcher_mail = "accept"
"#;
    let d = Daemon::start_with(Setup {
        queues: Some(queues.into()),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    d.deliver("open", &mail("zoe@example.net", "Door", "x", &[]));
    let out = d.mailgate(
        &["--queue", "general"],
        &mail("bob@example.net", "Re: [tickets.test #1] Printer", "hi", &[]),
    );
    assert_eq!(out.status.code(), Some(77));
    assert!(stderr(&out).contains("not a watcher of ticket 1"), "{}", stderr(&out));
    d.deliver(
        "open",
        &mail("bob@example.net", "Re: [tickets.test #2] Door", "hi", &[]),
    );
    assert_eq!(transactions_of(&d.show(2), "Correspond").len(), 1);
}

#[test]
fn take_steal_untake_and_give() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "dave@tickets.test", "--privileged"]);
    let carol = d.token_for("carol@tickets.test");
    let dave = d.token_for("dave@tickets.test");
    // staff may steal by default; a site that protects ownership takes that back
    d.tkt_ok(&["revoke", "StealTicket", "--group", "Privileged"]);
    assert!(ok(&d.tkt_as(&carol, &["take", "1"])));
    assert_eq!(d.show(1)["owner"], "carol@tickets.test");
    let out = d.tkt_as(&dave, &["take", "1"]);
    assert!(stderr(&out).contains("tkt steal"), "{}", stderr(&out));
    let out = d.tkt_as(&dave, &["steal", "1"]);
    assert!(stderr(&out).contains("StealTicket"), "{}", stderr(&out));
    d.tkt_ok(&["grant", "StealTicket", "--user", "dave@tickets.test"]);
    assert!(ok(&d.tkt_as(&dave, &["steal", "1"])));
    assert_eq!(d.show(1)["owner"], "dave@tickets.test");
    assert!(ok(&d.tkt_as(&dave, &["untake", "1"])));
    assert_eq!(d.show(1)["owner"], "Nobody");
    let out = d.tkt_as(&carol, &["give", "1", "zoe@example.net"]);
    assert!(
        stderr(&out).contains("OwnTicket"),
        "a requestor cannot own: {}",
        stderr(&out)
    );
    assert!(ok(&d.tkt_as(&carol, &["give", "1", "dave@tickets.test"])));
    let owners: Vec<(String, String)> = transactions_of(&d.show(1), "Set")
        .iter()
        .filter(|x| x["field"] == "Owner")
        .map(|x| {
            (
                x["old_value"].as_str().unwrap().into(),
                x["new_value"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = [
        ("Nobody", "carol@tickets.test"),
        ("carol@tickets.test", "dave@tickets.test"),
        ("dave@tickets.test", "Nobody"),
        ("Nobody", "dave@tickets.test"),
    ];
    let expect: Vec<(String, String)> = expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(owners, expect);
}

#[test]
fn the_first_admin_bootstraps_from_local_root_and_others_cannot_administer() {
    let d = Daemon::start();
    let text = d.tkt_ok(&["admin", "init", "--admin", "boss@tickets.test"]);
    let token = text.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("tkd_"), "{text}");
    let out = d.tkt_as(&token, &["user", "create", "newhire@tickets.test", "--privileged"]);
    assert!(ok(&out), "{}", stderr(&out));
    let whoami = d.tkt_as(&token, &["whoami"]);
    assert!(String::from_utf8_lossy(&whoami.stdout).contains("boss@tickets.test"));
    let newhire = d.token_for("newhire@tickets.test");
    for args in [
        vec!["user", "create", "x@tickets.test"],
        vec!["grant", "SuperUser", "--user", "newhire@tickets.test"],
        vec!["group", "create", "cabal"],
        vec!["queue", "create", "secret"],
        vec!["quarantine", "list"],
    ] {
        let out = d.tkt_as(&newhire, &args);
        assert!(!ok(&out), "{args:?} must be refused");
        assert!(stderr(&out).contains("needs the right"), "{args:?}: {}", stderr(&out));
    }
    // another user's account is none of theirs: it does not exist for them
    let out = d.tkt_as(&newhire, &["token", "create", "boss@tickets.test"]);
    assert!(
        stderr(&out).contains("no user named `boss@tickets.test`"),
        "{}",
        stderr(&out)
    );
    // but their own token, and their own rights, they may see
    assert!(ok(
        &d.tkt_as(&newhire, &["token", "list", "--user", "newhire@tickets.test"])
    ));
    assert!(ok(&d.tkt_as(&newhire, &["rights", "--user", "newhire@tickets.test"])));
    // passwords are stored as argon2 hashes, never as given
    let out = d.tkt_stdin(
        &["user", "password", "newhire@tickets.test"],
        b"correct horse battery\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let hash: String = d
        .db()
        .query_row(
            "SELECT password_hash FROM users WHERE email = 'newhire@tickets.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[test]
fn mail_from_someone_without_create_ticket_bounces_with_the_reason() {
    let d = Daemon::start();
    d.tkt_ok(&["revoke", "CreateTicket", "--group", "Everyone"]);
    d.tkt_ok(&["grant", "CreateTicket", "--group", "Everyone", "--queue", "general"]);
    d.deliver("general", &mail("zoe@example.net", "Printer", "x", &[]));
    let out = d.mailgate(&["--queue", "network"], &mail("zoe@example.net", "Router", "x", &[]));
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("CreateTicket on queue network"),
        "{}",
        stderr(&out)
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    // staff still create there: the Privileged group's grant is global
    d.deliver("network", &mail("staff@tickets.test", "Router", "x", &[]));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
}

#[test]
fn the_last_superuser_grant_cannot_be_revoked() {
    let d = Daemon::start();
    let refused = d.tkt(&["revoke", "SuperUser", "--user", "root"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("the last SuperUser grant"),
        "{}",
        stderr(&refused)
    );
    let rights = d.tkt_ok(&["rights", "--user", "root"]);
    assert!(
        rights.contains("SuperUser"),
        "the refused revoke changed something: {rights}"
    );
    // with another administrator it goes
    d.tkt_ok(&["user", "create", "boss@tickets.test", "--privileged"]);
    d.tkt_ok(&["grant", "SuperUser", "--user", "boss@tickets.test"]);
    let boss = d.token_for("boss@tickets.test");
    d.tkt_ok(&["revoke", "SuperUser", "--user", "root"]);
    let refused = d.tkt_as(&boss, &["revoke", "SuperUser", "--user", "boss@tickets.test"]);
    assert!(
        stderr(&refused).contains("the last SuperUser grant"),
        "{}",
        stderr(&refused)
    );
    // a disabled administrator does not count
    for args in [
        &["user", "create", "ops@tickets.test", "--privileged"][..],
        &["grant", "SuperUser", "--user", "ops@tickets.test"],
        &["user", "set", "ops@tickets.test", "disabled=yes"],
    ] {
        let done = d.tkt_as(&boss, args);
        assert!(done.status.success(), "{args:?}: {}", stderr(&done));
    }
    let refused = d.tkt_as(&boss, &["revoke", "SuperUser", "--user", "boss@tickets.test"]);
    assert!(
        stderr(&refused).contains("the last SuperUser grant"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_token_with_an_expiry_stops_working_then() {
    let d = Daemon::start_with(Setup {
        now: Some("2026-12-01T09:00:00Z".into()),
        ..Setup::default()
    });
    d.tkt_ok(&["user", "create", "sam@tickets.test", "--privileged"]);
    let token = d
        .tkt_ok(&["token", "create", "sam@tickets.test", "--expires", "+2 hours"])
        .trim()
        .to_string();
    let listed = d.tkt_ok(&["token", "list", "--user", "sam@tickets.test"]);
    assert!(listed.contains("expires 2026-12-01T11:00:00"), "{listed}");
    assert!(d.tkt_as(&token, &["whoami"]).status.success());
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T11:00:01Z"]);
    let refused = d.tkt_as(&token, &["whoami"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("expired"), "{}", stderr(&refused));
    // an expiry in the past is a mistake, said as one
    let past = d.tkt(&["token", "create", "sam@tickets.test", "--expires", "2020-01-01"]);
    assert!(stderr(&past).contains("must be in the future"), "{}", stderr(&past));
}
