//! The admin pages of the staff web UI, through a real daemon's `[web]` listener: what
//! they change is what tkt then sees, the workflow's refusals reach the page, and what a
//! user typed reaches the browser as text.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};

use crate::harness::{Daemon, Setup, stderr};

/// The password every test user logs in with.
const PASSWORD: &str = "correct horse battery";

/// A daemon with the web pages on a port of their own (the harness waits for it).
fn daemon_with_web() -> (Daemon, String) {
    let d = Daemon::start_with(Setup {
        web: true,
        ..Setup::default()
    });
    let url = d.web_url();
    (d, url)
}

/// A staff member `address` who may log in; root grants them `rights` globally.
fn staff(d: &Daemon, address: &str, rights: &[&str]) {
    d.tkt_ok(&["user", "create", address, "--privileged"]);
    let out = d.tkt_stdin(&["user", "password", address], format!("{PASSWORD}\n").as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    for right in rights {
        d.tkt_ok(&["grant", right, "--user", address]);
    }
}

/// A logged-in browser: its session cookie on every request, redirects not followed,
/// and every POST from the pages' own origin, as a browser sends it.
struct Browser {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    url: String,
    cookie: String,
}

impl Browser {
    fn login(url: &str, user: &str) -> Browser {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let answer = runtime
            .block_on(
                client
                    .post(format!("{url}/login"))
                    .header(ORIGIN, url)
                    .form(&[("user", user), ("password", PASSWORD)])
                    .send(),
            )
            .expect("log in");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{user} could not log in");
        let cookie = answer
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("ticketd_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        Browser {
            runtime,
            client,
            url: url.to_string(),
            cookie,
        }
    }

    /// The status and the page.
    fn get(&self, path: &str) -> (StatusCode, String) {
        let request = self
            .client
            .get(format!("{}{path}", self.url))
            .header(COOKIE, &self.cookie);
        self.answer(request).0
    }

    /// The status, the page and where it sends the browser.
    fn post(&self, path: &str, form: &[(&str, &str)]) -> ((StatusCode, String), Option<String>) {
        let request = self
            .client
            .post(format!("{}{path}", self.url))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.url)
            .form(form);
        self.answer(request)
    }

    fn answer(&self, request: reqwest::RequestBuilder) -> ((StatusCode, String), Option<String>) {
        self.runtime.block_on(async {
            let answer = request.send().await.expect("an answer");
            let status = answer.status();
            let location = answer
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            ((status, answer.text().await.expect("a body")), location)
        })
    }
}

#[test]
fn a_right_granted_on_the_rights_page_is_what_tkt_rights_shows_and_revoking_takes_it_back() {
    let (d, url) = daemon_with_web();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    let boss = Browser::login(&url, "boss@tickets.test");
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
    let ((status, _), location) = boss.post("/admin/rights/grant", &form);
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("back to the rights page");
    assert!(location.starts_with("/admin/rights?note="), "{location}");
    let text = explained();
    assert!(
        text.lines()
            .any(|l| l.contains("AdminQueue") && l.contains("granted to user carol@tickets.test on queue general")),
        "{text}"
    );

    // the grid lists it with a revoke button naming exactly it
    let (status, page) = boss.get("/admin/rights");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<table id=\"rights\">"), "{page}");
    assert!(
        page.contains(r#"data-principal="user:carol@tickets.test" data-right="AdminQueue" data-queue="general""#),
        "{page}"
    );
    let ((status, _), _) = boss.post(
        "/admin/rights/revoke",
        &[
            ("principal", "user:carol@tickets.test"),
            ("right", "AdminQueue"),
            ("queue", "general"),
        ],
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !explained().contains("granted to user carol@tickets.test"),
        "{}",
        explained()
    );

    // "who has what and why" is admin::explain's answer
    let (status, page) = boss.get("/admin/rights?user=carol%40tickets.test&queue=general");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("granted to group Privileged globally"), "{page}");
}

#[test]
fn staff_without_admin_users_get_the_refusal_and_no_user_is_made() {
    let (d, url) = daemon_with_web();
    staff(&d, "junior@tickets.test", &[]);
    let junior = Browser::login(&url, "junior@tickets.test");

    let ((status, page), _) = junior.post(
        "/admin/users",
        &[
            ("name", "intruder@tickets.test"),
            ("real_name", "Intruder"),
            ("privileged", "yes"),
        ],
    );
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(
        page.contains("AdminUsers"),
        "the workflow's refusal names the right: {page}"
    );
    let users = d.tkt_ok(&["user", "list", "--all"]);
    assert!(!users.contains("intruder"), "{users}");

    let (status, _) = junior.get("/admin/users");
    assert_eq!(status, StatusCode::FORBIDDEN);
    // granting needs SuperUser (or AdminQueue on the queue), as for tkt grant
    let ((status, _), _) = junior.post(
        "/admin/rights/grant",
        &[
            ("principal", "junior@tickets.test"),
            ("right", "SuperUser"),
            ("queue", ""),
        ],
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !d.tkt_ok(&["rights", "--user", "junior@tickets.test"])
            .contains("granted to user")
    );
    // the index and one's own rights stay open to them
    assert_eq!(junior.get("/admin").0, StatusCode::OK);
    let (status, page) = junior.get("/admin/rights?user=junior%40tickets.test");
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"explained\""), "{page}");
}

#[test]
fn a_real_name_with_markup_is_shown_as_text_on_the_admin_pages() {
    let (d, url) = daemon_with_web();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    let boss = Browser::login(&url, "boss@tickets.test");
    let evil = "<script>alert(1)</script>";
    let ((status, _), location) = boss.post("/admin/users", &[("name", "mallory@tickets.test"), ("real_name", evil)]);
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.is_some_and(|l| l.starts_with("/admin/users?note=")));
    let shown = d.tkt_ok(&["user", "show", "mallory@tickets.test"]);
    assert!(shown.contains(evil), "stored as typed: {shown}");

    for path in ["/admin/users", "/admin/users/mallory@tickets.test"] {
        let (status, page) = boss.get(path);
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert!(!page.contains(evil), "{path} has the markup: {page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{path}: {page}"
        );
    }
}

#[test]
fn an_admin_changes_users_groups_queues_and_tokens_from_the_pages() {
    let (d, url) = daemon_with_web();
    staff(&d, "boss@tickets.test", &["SuperUser"]);
    d.tkt_ok(&["user", "create", "dave@tickets.test"]);
    let boss = Browser::login(&url, "boss@tickets.test");
    let see_other = |answer: ((StatusCode, String), Option<String>)| {
        assert_eq!(answer.0.0, StatusCode::SEE_OTHER, "{}", answer.0.1);
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
    let ((status, page), _) = boss.post("/admin/queues/general", &[("description", "x")]);
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("config file"), "{page}");

    let ((status, page), _) = boss.post(
        "/admin/tokens",
        &[("user", "dave@tickets.test"), ("description", "a script")],
    );
    assert_eq!(status, StatusCode::OK, "{page}");
    let secret = page
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
    let (_, page) = boss.get("/admin/tokens");
    assert!(!page.contains(&secret), "the secret is shown once only");

    for path in [
        "/admin",
        "/admin/rules",
        "/admin/templates",
        "/admin/groups",
        "/admin/queues",
    ] {
        let (status, page) = boss.get(path);
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
    let (_, rules) = boss.get("/admin/rules");
    assert!(
        rules.contains(r#"data-name="autoreply" data-source="built in""#),
        "{rules}"
    );
    let (_, templates) = boss.get("/admin/templates");
    assert!(
        templates.contains(r#"data-name="sla_warning" data-source="built in""#),
        "{templates}"
    );
}
