//! The web UI's Modify page: each submit becomes `tkt set` changes in one transaction.
//! A real daemon with its `[web]` listener, a staff member logged in with a password
//! through the harness's [`Web`] client, and the results read back with `tkt show`.

use serde_json::Value;

use crate::harness::*;
use crate::web::*;

/// A daemon serving pages and the session of alice, a SuperUser, on them.
fn start() -> (Daemon, Web) {
    start_with(DEFAULT_QUEUES, None)
}

/// [`start`] with `queues` (and whatever else follows them in the config), the clock
/// frozen at `now` if given.
fn start_with(queues: &str, now: Option<&str>) -> (Daemon, Web) {
    let d = Daemon::start_with(Setup {
        queues: Some(queues.to_string()),
        now: now.map(String::from),
        web: true,
        ..Setup::default()
    });
    d.web_staff("alice@tickets.test");
    d.tkt_ok(&["grant", "SuperUser", "--user", "alice@tickets.test"]);
    let alice = Web::login(&d, "alice@tickets.test");
    (d, alice)
}

/// A new ticket in `general`; its number.
fn ticket(d: &Daemon, subject: &str) -> i64 {
    let out = d.tkt_ok(&[
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
    let (d, mut alice) = start();
    let id = ticket(&d, "Printer jammed");
    let ticket_page = alice.get(&format!("/ticket/{id}"));
    assert!(ticket_page.body.contains(r#"id="modify""#), "{}", ticket_page.body);
    assert!(
        ticket_page.body.contains("/modify#modify-people"),
        "Edit links to the fieldsets"
    );
    let form = alice.get(&format!("/ticket/{id}/modify"));
    assert_eq!(form.status, 200, "{}", form.body);
    for fieldset in ["basics", "people", "dates", "links", "custom-fields"] {
        assert!(form.body.contains(&format!(r#"id="modify-{fieldset}""#)), "{fieldset}");
    }
    assert!(form.body.contains(r#"value="Printer jammed""#));
    let before = kinds(&d.show(id)).len();
    let saved = alice.post(
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
    assert_eq!(saved.location(&alice.origin), format!("/ticket/{id}"));
    let t = d.show(id);
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
    let (d, mut alice) = start();
    let id = ticket(&d, "Printer jammed");
    let path = format!("/ticket/{id}/modify");
    let bad = alice.post(&path, &[("subject", "Renamed"), ("priority", "abc")]);
    assert_eq!(bad.status, 200, "{}", bad.body);
    assert!(bad.body.contains(r#"class="error""#), "{}", bad.body);
    assert!(bad.body.contains("whole number"), "{}", bad.body);
    assert!(bad.body.contains(r#"value="Renamed""#), "what was typed stays");
    assert!(bad.body.contains(r#"value="abc""#), "what was typed stays");
    // a refusal inside the workflow, after the subject changed: none of it is kept
    let refused = alice.post(&path, &[("subject", "Renamed"), ("owner", "nobody-known@example.com")]);
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains(r#"class="error""#), "{}", refused.body);
    let t = d.show(id);
    assert_eq!(t["subject"], "Printer jammed");
    assert_eq!(t["owner"], "Nobody");
}

#[test]
fn links_are_added_and_removed() {
    let (d, mut alice) = start();
    let id = ticket(&d, "Printer jammed");
    let other = ticket(&d, "Order toner");
    let path = format!("/ticket/{id}/modify");
    let other_text = other.to_string();
    let added = alice.post(&path, &[("link_DependsOn", &other_text)]);
    assert_eq!(added.status, 303, "{}", added.body);
    let t = d.show(id);
    assert_eq!(
        t["links"],
        serde_json::json!([{ "type": "DependsOn", "target": other }])
    );
    let form = alice.get(&path);
    let key = format!("DependsOn:{other}");
    assert!(
        form.body.contains(&format!(r#"value="{key}""#)),
        "a remove box per link"
    );
    let removed = alice.post(&path, &[("remove_link", &key)]);
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(d.show(id)["links"], serde_json::json!([]));
}

#[test]
fn merging_goes_to_the_ticket_merged_into() {
    let (d, mut alice) = start();
    let into = ticket(&d, "Printer jammed");
    let from = ticket(&d, "Printer still jammed");
    let into_text = format!("#{into}");
    let merged = alice.post(&format!("/ticket/{from}/modify"), &[("merge_into", &into_text)]);
    assert_eq!(merged.status, 303, "{}", merged.body);
    assert_eq!(merged.location(&alice.origin), format!("/ticket/{into}"));
    let t = d.show(from);
    assert_eq!(t["id"], into, "the merged ticket lives on as the other");
    assert!(kinds(&t).contains(&"Merge MergedFrom".to_string()), "{:?}", kinds(&t));
    let missing = alice.post(&format!("/ticket/{into}/modify"), &[("merge_into", "999")]);
    assert!(missing.body.contains(r#"class="error""#), "{}", missing.body);
}

#[test]
fn give_to_from_the_ticket_page() {
    let (d, mut alice) = start();
    let id = ticket(&d, "Printer jammed");
    let page = alice.get(&format!("/ticket/{id}"));
    assert!(page.body.contains(r#"id="give""#), "{}", page.body);
    let given = alice.post(&format!("/ticket/{id}/modify"), &[("owner", "alice@tickets.test")]);
    assert_eq!(given.status, 303, "{}", given.body);
    let t = d.show(id);
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
    let (d, mut alice) = start_with(SLA_AND_FIELDS, Some("2026-11-30T10:00:00Z"));
    let id = ticket(&d, "Printer jammed");
    let page = alice.get(&format!("/ticket/{id}"));
    assert!(
        page.body
            .contains("standard: Due in 2h business time (due 2026-11-30 12:00)"),
        "{}",
        page.body
    );
    let path = format!("/ticket/{id}/modify");
    let form = alice.get(&path);
    for input in [
        r#"name="cf:Severity""#,
        r#"name="cf:Tags" multiple"#,
        r#"name="cf:Asset""#,
    ] {
        assert!(form.body.contains(input), "{input}: {}", form.body);
    }
    let saved = alice.post(
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
    let t = d.show(id);
    assert_eq!(
        t["custom_fields"],
        serde_json::json!({ "Asset": ["PR-0042"], "Severity": ["high"], "Tags": ["printer", "urgent"] })
    );
    let bad = alice.post(&path, &[("cf:Severity", "bogus"), ("cf:Asset", "PR-0043")]);
    assert!(
        bad.body.contains("not a value of custom field Severity"),
        "{}",
        bad.body
    );
    assert_eq!(d.show(id)["custom_fields"]["Asset"], serde_json::json!(["PR-0042"]));
}
