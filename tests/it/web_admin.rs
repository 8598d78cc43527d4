//! The admin pages of the staff web UI, through a real daemon's `[web]` listener and the
//! harness's [`Web`] client: what they change is what tkt then sees, the workflow's
//! refusals reach the page, and what a user typed reaches the browser as text.

use crate::harness::*;
use crate::web::*;

/// A staff member `address` who may log in; root grants them `rights` globally.
fn staff(d: &Daemon, address: &str, rights: &[&str]) {
    d.web_staff(address);
    for right in rights {
        d.tkt_ok(&["grant", right, "--user", address]);
    }
}

#[test]
fn a_right_granted_on_the_rights_page_is_what_tkt_rights_shows_and_revoking_takes_it_back() {
    let d = web_daemon();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    let mut boss = Web::login(&d, "boss@tickets.test");
    let explained = || d.tkt_ok(&["rights", "--user", "carol@tickets.test", "--queue", "general"]);
    assert!(
        !explained().contains("granted to user carol@tickets.test"),
        "{}",
        explained()
    );

    let form = [
        ("principal", "carol@tickets.test"),
        ("right", "AdminQueue"),
        ("queue", "general"),
    ];
    let answer = boss.post("/admin/rights/grant", &form);
    assert_eq!(answer.status, 303, "{answer:?}");
    let location = answer.location(&boss.origin);
    assert!(location.starts_with("/admin/rights?note="), "{location}");
    let text = explained();
    assert!(
        text.lines()
            .any(|l| l.contains("AdminQueue") && l.contains("granted to user carol@tickets.test on queue general")),
        "{text}"
    );

    // the grid lists it with a revoke button naming exactly it
    let page = boss.get("/admin/rights");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<table id=\"rights\">"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"data-principal="user:carol@tickets.test" data-right="AdminQueue" data-queue="general""#),
        "{}",
        page.body
    );
    let answer = boss.post(
        "/admin/rights/revoke",
        &[
            ("principal", "user:carol@tickets.test"),
            ("right", "AdminQueue"),
            ("queue", "general"),
        ],
    );
    assert_eq!(answer.status, 303, "{answer:?}");
    assert!(
        !explained().contains("granted to user carol@tickets.test"),
        "{}",
        explained()
    );

    // "who has what and why" is admin::explain's answer
    let page = boss.get("/admin/rights?user=carol%40tickets.test&queue=general");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("granted to group Privileged globally"),
        "{}",
        page.body
    );
}

#[test]
fn staff_without_admin_users_get_the_refusal_and_no_user_is_made() {
    let d = web_daemon();
    staff(&d, "junior@tickets.test", &[]);
    let mut junior = Web::login(&d, "junior@tickets.test");

    let refused = junior.post(
        "/admin/users",
        &[
            ("name", "intruder@tickets.test"),
            ("real_name", "Intruder"),
            ("privileged", "yes"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("AdminUsers"),
        "the workflow's refusal names the right: {}",
        refused.body
    );
    let users = d.tkt_ok(&["user", "list", "--all"]);
    assert!(!users.contains("intruder"), "{users}");

    assert_eq!(junior.get("/admin/users").status, 403);
    // granting needs SuperUser (or AdminQueue on the queue), as for tkt grant
    let answer = junior.post(
        "/admin/rights/grant",
        &[
            ("principal", "junior@tickets.test"),
            ("right", "SuperUser"),
            ("queue", ""),
        ],
    );
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(
        !d.tkt_ok(&["rights", "--user", "junior@tickets.test"])
            .contains("granted to user")
    );
    // the index and one's own rights stay open to them
    assert_eq!(junior.get("/admin").status, 200);
    let page = junior.get("/admin/rights?user=junior%40tickets.test");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"explained\""), "{}", page.body);
}

#[test]
fn a_real_name_with_markup_is_shown_as_text_on_the_admin_pages() {
    let d = web_daemon();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    let mut boss = Web::login(&d, "boss@tickets.test");
    let evil = "<script>alert(1)</script>";
    let answer = boss.post("/admin/users", &[("name", "mallory@tickets.test"), ("real_name", evil)]);
    assert_eq!(answer.status, 303, "{answer:?}");
    let location = answer.location(&boss.origin);
    assert!(location.starts_with("/admin/users?note="), "{location}");
    let shown = d.tkt_ok(&["user", "show", "mallory@tickets.test"]);
    assert!(shown.contains(evil), "stored as typed: {shown}");

    for path in ["/admin/users", "/admin/users/mallory@tickets.test"] {
        let page = boss.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(!page.body.contains(evil), "{path} has the markup: {}", page.body);
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{path}: {}",
            page.body
        );
    }
}

#[test]
fn an_admin_changes_users_groups_queues_and_tokens_from_the_pages() {
    let d = web_daemon();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    d.tkt_ok(&["user", "create", "dave@tickets.test"]);
    let mut boss = Web::login(&d, "boss@tickets.test");
    let see_other = |answer: Answer| {
        assert_eq!(answer.status, 303, "{}", answer.body);
    };

    see_other(boss.post(
        "/admin/users/dave@tickets.test",
        &[
            ("real_name", "Dave Jones"),
            ("email", "dave@tickets.test"),
            ("privileged", "yes"),
        ],
    ));
    let shown = d.tkt_ok(&["user", "show", "dave@tickets.test", "--json"]);
    let user: serde_json::Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(user["real_name"], "Dave Jones");
    assert_eq!(user["privileged"], true);

    see_other(boss.post("/admin/groups", &[("name", "noc"), ("description", "network people")]));
    see_other(boss.post(
        "/admin/groups/members",
        &[("group", "noc"), ("member", "dave@tickets.test"), ("action", "add")],
    ));
    let groups = d.tkt_ok(&["group", "list"]);
    assert!(
        groups
            .lines()
            .any(|l| l.contains("noc") && l.contains("dave@tickets.test")),
        "{groups}"
    );
    // a group is a grantee too, by its bare name
    see_other(boss.post(
        "/admin/rights/grant",
        &[("principal", "noc"), ("right", "AdminQueue"), ("queue", "network")],
    ));
    let text = d.tkt_ok(&["rights", "--user", "dave@tickets.test", "--queue", "network"]);
    assert!(text.contains("granted to group noc on queue network"), "{text}");

    see_other(boss.post("/admin/queues", &[("name", "sales"), ("description", "Selling")]));
    see_other(boss.post(
        "/admin/queues/sales",
        &[
            ("description", "Selling things"),
            ("address", "buy@tickets.test"),
            ("comment_address", ""),
        ],
    ));
    let queues: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["queue", "list", "--json"])).expect("json");
    let sales = queues
        .as_array()
        .and_then(|all| all.iter().find(|q| q["name"] == "sales"))
        .expect("the new queue");
    assert_eq!(sales["address"], "buy@tickets.test");
    assert_eq!(sales["comment_address"], "sales-comment@tickets.test");
    assert_eq!(sales["description"], "Selling things");
    // a queue of the config file is changed there: the workflow says so
    let refused = boss.post("/admin/queues/general", &[("description", "x")]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("config file"), "{}", refused.body);

    let made = boss.post(
        "/admin/tokens",
        &[("user", "dave@tickets.test"), ("description", "a script")],
    );
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = made
        .body
        .split("<pre id=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret, shown once")
        .to_string();
    let whoami = d.tkt_as(&secret, &["whoami"]);
    assert!(
        String::from_utf8_lossy(&whoami.stdout).contains("dave@tickets.test"),
        "{}",
        stderr(&whoami)
    );
    let tokens = boss.get("/admin/tokens");
    assert!(!tokens.body.contains(&secret), "the secret is shown once only");

    for path in [
        "/admin",
        "/admin/rules",
        "/admin/templates",
        "/admin/groups",
        "/admin/queues",
    ] {
        let page = boss.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
    let rules = boss.get("/admin/rules").body;
    assert!(
        rules.contains(r#"data-name="autoreply" data-source="built in""#),
        "{rules}"
    );
    let templates = boss.get("/admin/templates").body;
    assert!(
        templates.contains(r#"data-name="sla_warning" data-source="built in""#),
        "{templates}"
    );
}
