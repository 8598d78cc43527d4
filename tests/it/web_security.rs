//! The staff web UI's defences, over plain HTTP (issue 16): the session cookie, login
//! answers that do not tell users apart, throttling, the security headers, cross-site
//! POSTs, and who may see which page.

use crate::harness::*;
use crate::web::*;

/// A ticket in `general` from zoe, and its number.
fn zoes_ticket(d: &Daemon, subject: &str) -> i64 {
    d.deliver("general", &mail("zoe@example.net", subject, "The printer jams.", &[]));
    d.count("SELECT MAX(id) FROM tickets")
}

/// What a request can change on a ticket, for "nothing changed".
fn state(d: &Daemon, id: i64) -> (String, String, usize) {
    let t = d.show(id);
    (
        t["owner"].as_str().unwrap_or_default().to_string(),
        t["status"].as_str().unwrap_or_default().to_string(),
        t["transactions"].as_array().map_or(0, Vec::len),
    )
}

#[test]
fn login_sets_an_http_only_strict_session_cookie_and_goes_to_a_local_next() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let id = zoes_ticket(&d, "Printer");
    let mut web = Web::new(&d);
    let answer = web.try_login("sam@tickets.test", PASSWORD, &format!("/ticket/{id}"));
    assert_eq!(answer.status, 303, "{answer:?}\n{}", d.log());
    assert_eq!(answer.location(&web.origin), format!("/ticket/{id}"));
    let cookie = answer.session_cookie().expect("a session cookie").to_ascii_lowercase();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for wanted in ["httponly", "samesite=strict", "path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} missing: {cookie}");
    }
    let page = web.get(&format!("/ticket/{id}"));
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.page().by_id("title").is_some(), "{}", page.body);

    // `next` elsewhere never leaves the site
    for next in ["http://evil.example/x", "//evil.example/x", "https:evil.example"] {
        let answer = Web::new(&d).try_login("sam@tickets.test", PASSWORD, next);
        assert_eq!(answer.status, 303, "{answer:?}");
        let location = answer.location(&web.origin);
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "next={next} sent the browser to {location}"
        );
    }
}

#[test]
fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let wrong = Web::new(&d).try_login("sam@tickets.test", "not the password", "/");
    let unknown = Web::new(&d).try_login("nobody@tickets.test", "not the password", "/");
    for answer in [&wrong, &unknown] {
        assert!(answer.session_cookie().is_none(), "{answer:?}");
        assert!(answer.status != 303, "{answer:?}");
        assert_eq!(
            error_text(&answer.body).as_deref(),
            Some("wrong address or password"),
            "{}",
            answer.body
        );
    }
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(
        wrong.body.replace("sam@tickets.test", "USER"),
        unknown.body.replace("nobody@tickets.test", "USER")
    );
}

#[test]
fn repeated_failures_are_throttled_even_for_the_right_password() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let mut attempts = 0;
    loop {
        attempts += 1;
        let answer = Web::new(&d).try_login("sam@tickets.test", "guess", "/");
        assert!(answer.session_cookie().is_none(), "{answer:?}");
        if error_text(&answer.body).is_some_and(|e| e.contains("too many")) {
            break;
        }
        assert!(attempts < 30, "30 wrong passwords in a row and no throttling");
    }
    let answer = Web::new(&d).try_login("sam@tickets.test", PASSWORD, "/");
    assert!(
        answer.session_cookie().is_none(),
        "throttled, yet logged in: {answer:?}"
    );
    assert!(
        error_text(&answer.body).is_some_and(|e| e.contains("too many")),
        "{}",
        answer.body
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let admin = d.tkt_ok(&["admin", "init", "--admin", "boss@tickets.test"]);
    assert!(!admin.is_empty());
    d.set_password("boss@tickets.test");
    let id = zoes_ticket(&d, "Printer");
    let mut anonymous = Web::new(&d);
    let mut sam = Web::login(&d, "sam@tickets.test");
    let mut boss = Web::login(&d, "boss@tickets.test");
    let origin = sam.origin.clone();
    let mut answers = vec![
        ("GET /login", anonymous.get("/login")),
        ("GET / without a session", anonymous.get("/")),
        ("a failed login", anonymous.try_login("sam@tickets.test", "nope", "/")),
        ("GET /static/ticketd.css", anonymous.get("/static/ticketd.css")),
        ("GET /static/ticketd.js", anonymous.get("/static/ticketd.js")),
        ("GET /static/htmx.min.js", anonymous.get("/static/htmx.min.js")),
    ];
    for path in [
        "/".to_string(),
        format!("/ticket/{id}"),
        format!("/ticket/{id}/update?action=comment"),
        "/ticket/999".into(),
        "/create?queue=general".into(),
        "/search?q=id%3E0".into(),
        "/search/build".into(),
    ] {
        let answer = sam.get(&path);
        answers.push(("GET as staff", answer));
    }
    answers.push(("GET /admin/rights", boss.get("/admin/rights")));
    answers.push((
        "a cross-site POST",
        sam.post_with(&format!("/ticket/{id}/take"), &[], &[("Origin", "http://evil.example")]),
    ));
    answers.push(("POST take", sam.post(&format!("/ticket/{id}/take"), &[])));
    answers.push(("POST /logout", sam.post("/logout", &[])));
    for (what, answer) in &answers {
        let context = format!("{what} (status {}): {:?}", answer.status, answer.headers);
        assert_eq!(answer.header("content-security-policy"), Some(CSP), "{context}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{context}");
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{context}");
        assert_eq!(answer.header("referrer-policy"), Some("same-origin"), "{context}");
    }
    for (what, answer) in &answers[3..6] {
        assert_eq!(answer.status, 200, "{what}");
    }
    assert!(origin.starts_with("http://127.0.0.1:"));
}

#[test]
fn a_post_from_another_origin_is_refused_and_changes_nothing() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let id = zoes_ticket(&d, "Printer");
    let mut sam = Web::login(&d, "sam@tickets.test");
    let tickets = d.count("SELECT COUNT(*) FROM tickets");
    let before = state(&d, id);
    let cross_site: [&[(&str, &str)]; 2] = [
        &[("Origin", "http://evil.example")],
        &[("Sec-Fetch-Site", "cross-site")],
    ];
    let take = format!("/ticket/{id}/take");
    let status = format!("/ticket/{id}/status");
    let update = format!("/ticket/{id}/update");
    for headers in cross_site {
        let mut answers = vec![
            sam.post_with(&take, &[], headers),
            sam.post_with(&status, &[("status", "resolved")], headers),
            sam.post_with("/logout", &[], headers),
            sam.post_with(
                "/search/bulk",
                &[("id", &id.to_string()), ("status", "resolved")],
                headers,
            ),
            Web::new(&d).post_with(
                "/login",
                &[("user", "sam@tickets.test"), ("password", PASSWORD), ("next", "/")],
                headers,
            ),
        ];
        answers.push(sam.post_multipart_with(&update, &[("action", "comment"), ("content", "forged")], &[], headers));
        answers.push(sam.post_multipart_with(
            "/create",
            &[("queue", "general"), ("subject", "forged"), ("content", "forged")],
            &[],
            headers,
        ));
        for answer in answers {
            assert_eq!(answer.status, 403, "{headers:?}: {answer:?}");
            assert!(answer.body.contains("cross-site request refused"), "{}", answer.body);
            assert!(answer.session_cookie().is_none(), "{answer:?}");
        }
    }
    assert_eq!(state(&d, id), before, "a refused POST changed the ticket");
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), tickets);
    // the session survived the forged logout, and the same POST from our own page works
    assert_eq!(sam.get("/").status, 200);
    let taken = sam.post(&take, &[]);
    assert_eq!(taken.status, 303, "{taken:?}");
    assert_eq!(d.show(id)["owner"], "sam@tickets.test");
}

#[test]
fn without_a_session_every_page_sends_you_to_login() {
    let d = web_daemon();
    let id = zoes_ticket(&d, "Printer");
    let before = state(&d, id);
    let mut anonymous = Web::new(&d);
    let mut forged = Web::new(&d);
    forged.cookie = Some("0123456789abcdef".into());
    for web in [&mut anonymous, &mut forged] {
        for path in [
            "/".to_string(),
            format!("/ticket/{id}"),
            format!("/ticket/{id}/update?action=correspond"),
            "/search?q=id%3E0".into(),
            "/create".into(),
            "/admin/rights".into(),
        ] {
            let answer = web.get(&path);
            assert_eq!(answer.status, 303, "GET {path}: {answer:?}");
            let location = answer.location(&web.origin);
            let (to, query) = location.split_once('?').unwrap_or((&location, ""));
            assert_eq!(to, "/login", "GET {path}");
            let query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
            assert_eq!(query, [("next".to_string(), path.clone())], "GET {path}");
        }
        let answer = web.post(&format!("/ticket/{id}/take"), &[]);
        assert!(matches!(answer.status, 303 | 401 | 403), "{answer:?}");
    }
    assert_eq!(state(&d, id), before);
    let login = anonymous.get("/login?next=%2Fticket%2F1");
    assert_eq!(login.status, 200);
    let page = login.page();
    let form = page.by_id("login").expect("form#login");
    assert_eq!(form.name, "form");
    let next = page
        .tags("input")
        .into_iter()
        .find(|t| t.attr("name") == Some("next"))
        .expect("input[name=next]");
    assert_eq!(next.attr("type"), Some("hidden"));
    assert_eq!(next.attr("value"), Some("/ticket/1"));
}

#[test]
fn a_requestor_may_log_in_but_gets_403_on_staff_pages() {
    let d = web_daemon();
    let id = zoes_ticket(&d, "Printer");
    d.set_password("zoe@example.net");
    let before = state(&d, id);
    let mut zoe = Web::login(&d, "zoe@example.net");
    for path in [
        "/".to_string(),
        format!("/ticket/{id}"),
        format!("/ticket/{id}/update?action=correspond"),
        "/search?q=id%3E0".into(),
        "/create".into(),
        "/admin/rights".into(),
    ] {
        let answer = zoe.get(&path);
        assert_eq!(answer.status, 403, "GET {path}: {answer:?}");
        assert!(answer.page().text.contains("staff"), "GET {path}: {}", answer.body);
    }
    let answers = [
        zoe.post_multipart(
            &format!("/ticket/{id}/update"),
            &[("action", "correspond"), ("content", "from the web")],
            &[],
        ),
        zoe.post(&format!("/ticket/{id}/take"), &[]),
        zoe.post(&format!("/ticket/{id}/status"), &[("status", "resolved")]),
    ];
    for answer in answers {
        assert_eq!(answer.status, 403, "{answer:?}");
    }
    assert_eq!(state(&d, id), before);
}

#[test]
fn a_hidden_ticket_answers_exactly_as_one_that_does_not_exist() {
    let d = web_daemon();
    // carol's team works `general` only (the per-queue preset, global staff rights taken)
    d.tkt_ok(&["group", "create", "helpdesk"]);
    d.web_staff("carol@tickets.test");
    d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
    d.tkt_ok(&[
        "rights",
        "preset",
        "per-queue",
        "--group",
        "helpdesk",
        "--queue",
        "general",
    ]);
    d.tkt_ok(&["rights", "preset", "per-queue", "--revoke-global"]);
    let visible = zoes_ticket(&d, "Printer");
    d.deliver("network", &mail("bob@example.net", "Link down", "Since noon.", &[]));
    let hidden = d.count("SELECT MAX(id) FROM tickets");
    let missing = hidden + 100;
    let before = state(&d, hidden);
    let mut carol = Web::login(&d, "carol@tickets.test");
    assert_eq!(carol.get(&format!("/ticket/{visible}")).status, 200);

    let masked = |answer: Answer, id: i64| {
        let number = regex::Regex::new(&format!(r"\b{id}\b")).unwrap();
        (answer.status, number.replace_all(&answer.body, "N").into_owned())
    };
    let requests: [(&str, &str); 5] = [
        ("GET", "/ticket/{}"),
        ("GET", "/ticket/{}/update?action=comment"),
        ("POST", "/ticket/{}/take"),
        ("POST", "/ticket/{}/status"),
        ("POST", "/ticket/{}/update"),
    ];
    for (method, path) in requests {
        let mut ask = |id: i64| {
            let path = path.replace("{}", &id.to_string());
            let answer = match (method, path.ends_with("/update")) {
                ("GET", _) => carol.get(&path),
                (_, true) => carol.post_multipart(&path, &[("action", "comment"), ("content", "x")], &[]),
                _ => carol.post(&path, &[("status", "resolved")]),
            };
            masked(answer, id)
        };
        let (hidden_answer, missing_answer) = (ask(hidden), ask(missing));
        assert_eq!(hidden_answer, missing_answer, "{method} {path}");
        if method == "GET" {
            assert_eq!(
                hidden_answer.0, 404,
                "{method} {path} on a hidden ticket: {hidden_answer:?}"
            );
            assert!(
                missing_answer.1.contains("ticket N does not exist"),
                "{method} {path}: {}",
                missing_answer.1
            );
        }
    }
    assert_eq!(state(&d, hidden), before);
    // nor does it show up on the home page or in a search
    let home = carol.get("/");
    assert_eq!(home.status, 200);
    assert!(!home.page().ticket_rows().contains(&hidden), "{}", home.body);
    assert!(home.page().ticket_rows().contains(&visible), "{}", home.body);
    let found = carol.get("/search?q=id%3E0");
    assert_eq!(found.page().ticket_rows(), [visible], "{}", found.body);
}

/// Restarts `d` with its clock frozen at `now`.
fn restart_at(d: &mut Daemon, now: &str) {
    d.stop();
    d.now = Some(now.into());
    d.launch();
}

#[test]
fn a_session_ends_after_its_idle_time_and_after_its_longest_life() {
    let mut d = Daemon::start_with(Setup {
        web: true,
        web_lines: vec!["session_idle_minutes = 30".into(), "session_max_hours = 1".into()],
        now: Some("2026-03-02T09:00:00Z".into()),
        ..Setup::default()
    });
    d.web_staff("sam@tickets.test");
    let mut sam = Web::login(&d, "sam@tickets.test");
    // in use every 25 minutes, it lives on (across restarts: sessions are in the database)
    restart_at(&mut d, "2026-03-02T09:25:00Z");
    assert_eq!(sam.get("/").status, 200);
    restart_at(&mut d, "2026-03-02T09:50:00Z");
    assert_eq!(sam.get("/").status, 200);
    // but not past its longest life, however busy
    restart_at(&mut d, "2026-03-02T10:01:00Z");
    let answer = sam.get("/");
    assert_eq!(answer.status, 303, "a session older than session_max_hours: {answer:?}");

    let mut sam = Web::login(&d, "sam@tickets.test");
    restart_at(&mut d, "2026-03-02T10:30:00Z");
    assert_eq!(sam.get("/").status, 200, "29 minutes idle");
    restart_at(&mut d, "2026-03-02T11:01:00Z");
    let answer = sam.get("/");
    assert_eq!(answer.status, 303, "31 minutes idle: {answer:?}");
    assert!(answer.location(&sam.origin).starts_with("/login"), "{answer:?}");
}
