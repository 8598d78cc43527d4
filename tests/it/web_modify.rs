//! The web UI's Modify page: each submit becomes `tkt set` changes in one transaction.
//! A real daemon with its `[web]` listener, a staff member logged in with a password,
//! and the results read back with `tkt show`.

use serde_json::Value;

use crate::harness::*;

/// A daemon serving pages, and a staff member's session on them.
struct Site {
    d: Daemon,
    origin: String,
    client: reqwest::Client,
    cookie: String,
    runtime: tokio::runtime::Runtime,
}

/// An answer: status, `Location` and body.
struct Page {
    status: u16,
    location: String,
    body: String,
}

impl Site {
    /// Starts a daemon with pages on a local port and logs in as alice, a SuperUser.
    fn start() -> Site {
        Site::start_with(DEFAULT_QUEUES, None)
    }

    /// [`Site::start`] with `queues` (and whatever else follows them in the config), the
    /// clock frozen at `now` if given.
    fn start_with(queues: &str, now: Option<&str>) -> Site {
        let d = Daemon::start_with(Setup {
            queues: Some(queues.to_string()),
            now: now.map(String::from),
            web: true,
            ..Setup::default()
        });
        let origin = d.web_url();
        d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
        d.tkt_ok(&["grant", "SuperUser", "--user", "alice@tickets.test"]);
        let out = d.tkt_stdin(&["user", "password", "alice@tickets.test"], b"a long enough password\n");
        assert!(out.status.success(), "{}", stderr(&out));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut site = Site {
            d,
            origin,
            client,
            cookie: String::new(),
            runtime,
        };
        let login = site.post(
            "/login",
            &[("user", "alice@tickets.test"), ("password", "a long enough password")],
        );
        assert_eq!(login.status, 303, "login: {}", login.body);
        assert!(!site.cookie.is_empty(), "no session cookie");
        site
    }

    fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = request.header("Origin", &self.origin).header("Cookie", &self.cookie);
        let (status, location, cookie, body) = self.runtime.block_on(async {
            let answer = request.send().await.expect("request");
            let header = |name| {
                answer
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            let (location, cookie) = (header("location"), header("set-cookie"));
            (
                answer.status().as_u16(),
                location,
                cookie,
                answer.text().await.expect("body"),
            )
        });
        if let Some(pair) = cookie.split(';').next().filter(|p| p.starts_with("ticketd_session=")) {
            self.cookie = pair.to_string();
        }
        Page { status, location, body }
    }

    fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.origin));
        self.send(request)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(format!("{}{path}", self.origin)).form(form);
        self.send(request)
    }

    /// A new ticket in `general`; its number.
    fn ticket(&self, subject: &str) -> i64 {
        let out = self.d.tkt_ok(&[
            "create",
            "--queue",
            "general",
            "--subject",
            subject,
            "--requestor",
            "ann@example.com",
            "-m",
            "Please help.",
        ]);
        out.split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no ticket number in {out}"))
    }
}

fn kinds(ticket: &Value) -> Vec<String> {
    ticket["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x["type"].as_str().unwrap(),
                x["field"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn one_submit_changes_subject_priority_due_and_adds_a_cc() {
    let mut site = Site::start();
    let id = site.ticket("Printer jammed");
    let ticket_page = site.get(&format!("/ticket/{id}"));
    assert!(ticket_page.body.contains(r#"id="modify""#), "{}", ticket_page.body);
    assert!(
        ticket_page.body.contains("/modify#modify-people"),
        "Edit links to the fieldsets"
    );
    let form = site.get(&format!("/ticket/{id}/modify"));
    assert_eq!(form.status, 200, "{}", form.body);
    for fieldset in ["basics", "people", "dates", "links", "custom-fields"] {
        assert!(form.body.contains(&format!(r#"id="modify-{fieldset}""#)), "{fieldset}");
    }
    assert!(form.body.contains(r#"value="Printer jammed""#));
    let before = kinds(&site.d.show(id)).len();
    let saved = site.post(
        &format!("/ticket/{id}/modify"),
        &[
            ("subject", "Printer on fire"),
            ("status", "new"),
            ("queue", "general"),
            ("owner", "Nobody"),
            ("priority", "70"),
            ("due", "2026-12-24 09:30"),
            ("starts", ""),
            ("add_cc", "boss@example.com"),
            ("add_requestor", ""),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location, format!("/ticket/{id}"));
    let t = site.d.show(id);
    assert_eq!(t["subject"], "Printer on fire");
    assert_eq!(t["priority"], 70);
    assert!(
        t["due"].as_str().unwrap().starts_with("2026-12-24T09:30"),
        "{}",
        t["due"]
    );
    assert_eq!(t["cc"], serde_json::json!(["boss@example.com"]));
    assert_eq!(t["status"], "new", "an unchanged status is no change");
    let added = &kinds(&t)[before..];
    assert_eq!(
        added,
        ["Set Subject", "Set Priority", "Set Due", "AddWatcher Cc"],
        "only what changed"
    );
}

#[test]
fn a_bad_value_keeps_nothing_and_shows_the_form_again() {
    let mut site = Site::start();
    let id = site.ticket("Printer jammed");
    let path = format!("/ticket/{id}/modify");
    let bad = site.post(&path, &[("subject", "Renamed"), ("priority", "abc")]);
    assert_eq!(bad.status, 200, "{}", bad.body);
    assert!(bad.body.contains(r#"class="error""#), "{}", bad.body);
    assert!(bad.body.contains("whole number"), "{}", bad.body);
    assert!(bad.body.contains(r#"value="Renamed""#), "what was typed stays");
    assert!(bad.body.contains(r#"value="abc""#), "what was typed stays");
    // a refusal inside the workflow, after the subject changed: none of it is kept
    let refused = site.post(&path, &[("subject", "Renamed"), ("owner", "nobody-known@example.com")]);
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains(r#"class="error""#), "{}", refused.body);
    let t = site.d.show(id);
    assert_eq!(t["subject"], "Printer jammed");
    assert_eq!(t["owner"], "Nobody");
}

#[test]
fn links_are_added_and_removed() {
    let mut site = Site::start();
    let id = site.ticket("Printer jammed");
    let other = site.ticket("Order toner");
    let path = format!("/ticket/{id}/modify");
    let other_text = other.to_string();
    let added = site.post(&path, &[("link_DependsOn", &other_text)]);
    assert_eq!(added.status, 303, "{}", added.body);
    let t = site.d.show(id);
    assert_eq!(
        t["links"],
        serde_json::json!([{ "type": "DependsOn", "target": other }])
    );
    let form = site.get(&path);
    let key = format!("DependsOn:{other}");
    assert!(
        form.body.contains(&format!(r#"value="{key}""#)),
        "a remove box per link"
    );
    let removed = site.post(&path, &[("remove_link", &key)]);
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(site.d.show(id)["links"], serde_json::json!([]));
}

#[test]
fn merging_goes_to_the_ticket_merged_into() {
    let mut site = Site::start();
    let into = site.ticket("Printer jammed");
    let from = site.ticket("Printer still jammed");
    let into_text = format!("#{into}");
    let merged = site.post(&format!("/ticket/{from}/modify"), &[("merge_into", &into_text)]);
    assert_eq!(merged.status, 303, "{}", merged.body);
    assert_eq!(merged.location, format!("/ticket/{into}"));
    let t = site.d.show(from);
    assert_eq!(t["id"], into, "the merged ticket lives on as the other");
    assert!(kinds(&t).contains(&"Merge MergedFrom".to_string()), "{:?}", kinds(&t));
    let missing = site.post(&format!("/ticket/{into}/modify"), &[("merge_into", "999")]);
    assert!(missing.body.contains(r#"class="error""#), "{}", missing.body);
}

#[test]
fn give_to_from_the_ticket_page() {
    let mut site = Site::start();
    let id = site.ticket("Printer jammed");
    let page = site.get(&format!("/ticket/{id}"));
    assert!(page.body.contains(r#"id="give""#), "{}", page.body);
    let given = site.post(&format!("/ticket/{id}/modify"), &[("owner", "alice@tickets.test")]);
    assert_eq!(given.status, 303, "{}", given.body);
    let t = site.d.show(id);
    assert_eq!(t["owner"], "alice@tickets.test");
    assert_eq!(
        t["subject"], "Printer jammed",
        "fields the small form does not send stay"
    );
}

/// `general` held to a business-hours service level, with three custom fields.
const SLA_AND_FIELDS: &str = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
comment_address = "help-comment@tickets.test"
service_level = "standard"

[calendars.office]
time_zone = "UTC"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }

[service_levels.standard]
calendar = "office"
response = "2h business"

[[custom_fields]]
name = "Severity"
type = "select"
values = ["low", "high"]

[[custom_fields]]
name = "Tags"
type = "multiselect"
values = ["printer", "network", "urgent"]

[[custom_fields]]
name = "Asset"
type = "text"
"#;

#[test]
fn custom_fields_are_set_and_the_ticket_page_shows_the_sla() {
    // Monday 10:00: answered by Monday 12:00 business time
    let mut site = Site::start_with(SLA_AND_FIELDS, Some("2026-11-30T10:00:00Z"));
    let id = site.ticket("Printer jammed");
    let page = site.get(&format!("/ticket/{id}"));
    assert!(
        page.body
            .contains("standard: Due in 2h business time (due 2026-11-30 12:00)"),
        "{}",
        page.body
    );
    let path = format!("/ticket/{id}/modify");
    let form = site.get(&path);
    for input in [
        r#"name="cf:Severity""#,
        r#"name="cf:Tags" multiple"#,
        r#"name="cf:Asset""#,
    ] {
        assert!(form.body.contains(input), "{input}: {}", form.body);
    }
    let saved = site.post(
        &path,
        &[
            ("cf:Severity", "high"),
            ("cf:Tags", ""),
            ("cf:Tags", "printer"),
            ("cf:Tags", "urgent"),
            ("cf:Asset", "PR-0042"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let t = site.d.show(id);
    assert_eq!(
        t["custom_fields"],
        serde_json::json!({ "Asset": ["PR-0042"], "Severity": ["high"], "Tags": ["printer", "urgent"] })
    );
    let bad = site.post(&path, &[("cf:Severity", "bogus"), ("cf:Asset", "PR-0043")]);
    assert!(
        bad.body.contains("not a value of custom field Severity"),
        "{}",
        bad.body
    );
    assert_eq!(
        site.d.show(id)["custom_fields"]["Asset"],
        serde_json::json!(["PR-0042"])
    );
}
