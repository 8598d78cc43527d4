//! Time-driven work (issue 7): escalation, service levels, digests and stalled tickets,
//! on a clock frozen with `ticketd --now` and moved with `tkt admin clock set`, so that
//! nothing waits on real time.

use serde_json::Value;

use crate::harness::*;

/// A daemon whose clock starts frozen at `now`, with these queues (and anything else).
fn at(now: &str, config: &str) -> Daemon {
    Daemon::start_with(Setup {
        now: Some(now.into()),
        queues: Some(config.into()),
        ..Setup::default()
    })
}

fn set_clock(d: &Daemon, instant: &str) -> String {
    d.tkt_ok(&["admin", "clock", "set", instant])
}

fn sent(d: &Daemon, kind: &str) -> Vec<Queued> {
    d.outbox().into_iter().filter(|m| m.kind == kind).collect()
}

fn sla(d: &Daemon, id: i64) -> Value {
    serde_json::from_str(&d.tkt_ok(&["sla", &id.to_string(), "--json"])).unwrap()
}

/// `general` (help@) held to a business-hours service level, Monday to Friday 09-17 UTC,
/// with Monday 2026-12-07 a holiday; `lead@` is its AdminCc.
const SERVICE_LEVEL: &str = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
comment_address = "help-comment@tickets.test"
admin_cc = ["lead@tickets.test"]
service_level = "standard"

[calendars.office]
time_zone = "UTC"
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }
holidays = ["2026-12-07"]

[service_levels.standard]
calendar = "office"
response = "2h business"
resolve = "3 business days"
warn_before = "30m business"
"#;

#[test]
fn linear_escalation_climbs_over_a_week_and_pages_once_at_the_threshold() {
    let config = format!(
        r#"{DEFAULT_QUEUES}
initial_priority = 10
final_priority = 80
[queues.escalation]
linear = true

[[rules]]
name = "page-at-70"
on = "priority_change"
reaches = 70
actions = [{{ action = "page", to = ["oncall@pager.test"] }}]

[[jobs]]
name = "escalate"
task = "escalate"
schedule = "0 0 * * *"
"#
    );
    let d = at("2026-11-30T00:00:00Z", &config);
    d.deliver(
        "network",
        &mail("zoe@example.net", "Core router flaps", "Every few minutes.", &[]),
    );
    d.deliver("general", &mail("zoe@example.net", "Printer", "Jams.", &[]));
    let t = d.show(1);
    assert_eq!(
        (t["priority"].as_i64(), t["initial_priority"].as_i64()),
        (Some(10), Some(10))
    );
    assert_eq!(t["final_priority"], 80);
    d.tkt_ok(&["set", "1", "due=2026-12-07T00:00:00Z"]);
    d.tkt_ok(&["set", "2", "due=2026-12-07T00:00:00Z"]);
    let mut priorities = Vec::new();
    for day in 1..=8 {
        set_clock(&d, &format!("2026-{}T00:00:00Z", date_after("11-30", day)));
        priorities.push(d.show(1)["priority"].as_i64().unwrap());
    }
    assert_eq!(priorities, [20, 30, 40, 50, 60, 70, 80, 80]);
    let t = d.show(1);
    let raised = transactions_of(&t, "Set")
        .into_iter()
        .filter(|x| x["field"] == "Priority")
        .collect::<Vec<_>>();
    assert_eq!(raised.len(), 7, "{raised:?}");
    assert!(raised.iter().all(|x| x["creator"] == "RT_System"));
    // a queue without escalation is left alone
    assert_eq!(d.show(2)["priority"], 0);
    let pages = sent(&d, "page-at-70");
    assert_eq!(pages.len(), 1, "the climb past 70 pages once");
    assert_eq!(pages[0].recipients, ["oncall@pager.test"]);
    let jobs = d.tkt_ok(&["admin", "jobs"]);
    let line = jobs.lines().find(|l| l.starts_with("escalate")).unwrap();
    assert!(
        line.contains("0 0 * * *") && line.contains("2026-12-08 00:00 ok"),
        "{jobs}"
    );
}

/// `MM-DD` of the day `days` after `start` (`MM-DD` in 2026), for loops over dates.
fn date_after(start: &str, days: i64) -> String {
    let start = chrono::NaiveDate::parse_from_str(&format!("2026-{start}"), "%Y-%m-%d").unwrap();
    (start + chrono::Duration::days(days)).format("%m-%d").to_string()
}

#[test]
fn service_level_due_dates_skip_the_weekend_and_the_holiday() {
    // Friday 16:00: one business hour today, Monday is a holiday
    let d = at("2026-12-04T16:00:00Z", SERVICE_LEVEL);
    d.deliver("general", &mail("zoe@example.net", "VPN down", "Cannot connect.", &[]));
    let s = sla(&d, 1);
    assert_eq!(s["level"], "standard");
    assert_eq!(s["waiting_since"], "2026-12-04T16:00:00Z");
    assert_eq!(s["response_due"], "2026-12-08T10:00:00Z", "Fri 16-17 and Tue 09-10");
    assert_eq!(s["resolve_due"], "2026-12-10T16:00:00Z", "Tue, Wed, Thu");
    assert_eq!(d.show(1)["due"], "2026-12-08T10:00:00Z");
    let due_set = transactions_of(&d.show(1), "Set")
        .into_iter()
        .filter(|x| x["field"] == "Due")
        .count();
    assert_eq!(due_set, 1);

    // staff answer on Tuesday: now it is due for resolution
    set_clock(&d, "2026-12-08T09:30:00Z");
    d.tkt_ok(&["reply", "1", "-m", "Restarting the concentrator."]);
    let s = sla(&d, 1);
    assert_eq!(s["waiting_since"], Value::Null);
    assert_eq!(d.show(1)["due"], "2026-12-10T16:00:00Z");

    // the requestor writes again Wednesday 16:30: 30 minutes that day, 90 on Thursday
    set_clock(&d, "2026-12-09T16:30:00Z");
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] VPN down", "Still down.", &[]),
    );
    assert_eq!(d.show(1)["due"], "2026-12-10T10:30:00Z");
    // a second message while still waiting does not move it
    set_clock(&d, "2026-12-09T16:45:00Z");
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] VPN down", "Hello?", &[]),
    );
    assert_eq!(d.show(1)["due"], "2026-12-10T10:30:00Z");
    let text = d.tkt_ok(&["sla", "1"]);
    assert!(text.contains("service level standard (calendar office)"), "{text}");
    assert!(text.contains("Response due:   2026-12-10 10:30 UTC"), "{text}");
    assert!(text.contains("Left:           1h 45m business time"), "{text}");
}

#[test]
fn a_breach_is_reported_exactly_once_after_one_warning() {
    let d = at("2026-11-30T09:00:00Z", SERVICE_LEVEL);
    d.deliver("general", &mail("zoe@example.net", "Mail bounces", "Since 8am.", &[]));
    assert_eq!(d.show(1)["due"], "2026-11-30T11:00:00Z");
    set_clock(&d, "2026-11-30T10:00:00Z");
    assert!(sent(&d, "notify-sla-warning").is_empty());
    set_clock(&d, "2026-11-30T10:30:00Z");
    set_clock(&d, "2026-11-30T10:45:00Z");
    let warnings = sent(&d, "notify-sla-warning");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].recipients, ["lead@tickets.test"], "AdminCc; nobody owns it");
    assert!(
        warnings[0]
            .message
            .contains("Service level standard: due 2026-11-30 11:00 UTC (30m business time left)."),
        "{}",
        warnings[0].message
    );
    for instant in ["2026-11-30T11:05:00Z", "2026-11-30T12:00:00Z", "2026-12-01T09:00:00Z"] {
        set_clock(&d, instant);
    }
    // asked for by hand at an instant already run: nothing; at a new one: no new alarm
    let again = d.tkt_ok(&["admin", "jobs", "run", "slas"]);
    assert!(again.contains("already run"), "{again}");
    set_clock(&d, "2026-12-01T09:01:00Z");
    assert!(d.tkt_ok(&["admin", "jobs", "run", "slas"]).contains("ok"));
    let breaches = sent(&d, "notify-sla-breach");
    assert_eq!(breaches.len(), 1);
    assert_eq!(
        header(&breaches[0].message, "Subject").unwrap(),
        "[tickets.test #1] SLA breached: Mail bounces"
    );
    assert_eq!(sent(&d, "notify-sla-warning").len(), 1);
    let t = d.show(1);
    let alarms: Vec<&str> = transactions_of(&t, "SLA")
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(alarms, ["Warning", "Breach"]);
    assert_eq!(sla(&d, 1)["state"], "breached");
    let history = d.tkt_ok(&["admin", "jobs", "history", "slas"]);
    assert!(history.contains("1 breach(es)"), "{history}");
}

#[test]
fn the_untaken_digest_lists_exactly_the_new_unowned_tickets_and_is_sent_once_per_run() {
    let d = at("2026-11-30T07:00:00Z", DEFAULT_QUEUES);
    for subject in ["Core down", "Switch noisy", "Old outage"] {
        d.deliver("network", &mail("zoe@example.net", subject, "See subject.", &[]));
    }
    d.deliver("general", &mail("zoe@example.net", "Printer", "Jams.", &[]));
    d.deliver("network", &mail("zoe@example.net", "Fiber cut", "Street works.", &[]));
    d.deliver("network", &mail("max@example.net", "DNS slow", "Resolvers.", &[]));
    d.tkt_ok(&["set", "2", "owner=root"]);
    d.tkt_ok(&["set", "3", "status=resolved"]);
    d.tkt_ok(&["set", "5", "status=open"]);

    let first = d.tkt_ok(&["admin", "jobs", "run", "untaken-digest"]);
    assert!(first.contains("1 digest(s) sent"), "{first}");
    let second = d.tkt_ok(&["admin", "jobs", "run", "untaken-digest"]);
    assert!(second.contains("already run"), "{second}");
    let digests = sent(&d, "untaken_digest");
    assert_eq!(digests.len(), 1, "run twice at the same instant, sent once");
    let digest = &digests[0];
    assert_eq!(digest.recipients, ["staff@tickets.test"]);
    assert_eq!(digest.ticket, None);
    assert_eq!(
        header(&digest.message, "Subject").unwrap(),
        "2 new tickets nobody has taken in network"
    );
    let listed: Vec<&str> = digest.message.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(listed.len(), 2, "{}", digest.message);
    assert!(
        listed[0].starts_with("#1 ") && listed[0].ends_with("Core down"),
        "{listed:?}"
    );
    assert!(
        listed[1].starts_with("#6 ") && listed[1].ends_with("DNS slow"),
        "{listed:?}"
    );

    // the schedule's own slot is another run
    set_clock(&d, "2026-11-30T08:00:00Z");
    assert_eq!(sent(&d, "untaken_digest").len(), 2);
}

#[test]
fn the_untaken_digest_counts_each_queues_own_initial_statuses() {
    let config = format!(
        r#"{DEFAULT_QUEUES}
[[queues]]
name = "purchase"
address = "buy@tickets.test"
comment_address = "buy-comment@tickets.test"
admin_cc = ["buyer@tickets.test"]
lifecycle = "purchase"

[lifecycles.purchase]
initial = ["requested", "quoted"]
active = ["approved"]
inactive = ["delivered"]

[lifecycles.purchase.transitions]
requested = ["quoted", "approved"]
quoted = ["approved"]
approved = ["delivered"]
"#
    );
    let d = at("2026-11-30T07:00:00Z", &config);
    for subject in ["Laptop", "Monitor", "Chair", "Desk"] {
        d.deliver("purchase", &mail("zoe@example.net", subject, "Please.", &[]));
    }
    d.tkt_ok(&["set", "2", "status=quoted"]);
    d.tkt_ok(&["set", "3", "status=approved"]);
    d.tkt_ok(&["set", "4", "owner=root"]);
    d.deliver("network", &mail("zoe@example.net", "Core down", "See subject.", &[]));
    d.tkt_ok(&["admin", "jobs", "run", "untaken-digest"]);
    let digests = sent(&d, "untaken_digest");
    assert_eq!(digests.len(), 2, "one per queue with untaken tickets");
    let purchase = digests
        .iter()
        .find(|m| m.recipients == ["buyer@tickets.test"])
        .expect("the purchase queue's digest");
    assert_eq!(
        header(&purchase.message, "Subject").unwrap(),
        "2 new tickets nobody has taken in purchase"
    );
    let listed: Vec<&str> = purchase.message.lines().filter(|l| l.starts_with('#')).collect();
    assert!(
        listed.len() == 2 && listed[0].ends_with("Laptop") && listed[1].ends_with("Monitor"),
        "requested and quoted, not approved or owned: {listed:?}"
    );
}

#[test]
fn runs_missed_while_down_run_once_at_start() {
    let mut d = at("2026-11-30T07:00:00Z", DEFAULT_QUEUES);
    d.deliver("network", &mail("zoe@example.net", "Core down", "See subject.", &[]));
    set_clock(&d, "2026-11-30T08:00:00Z");
    assert_eq!(sent(&d, "untaken_digest").len(), 1);
    d.stop();
    // down Monday to Thursday morning: Tuesday's, Wednesday's and Thursday's slots missed
    d.now = Some("2026-12-03T09:00:00Z".into());
    d.launch();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while d.count("SELECT COUNT(*) FROM job_runs WHERE job = 'untaken-digest'") < 2 {
        assert!(std::time::Instant::now() < deadline, "no catch-up run:\n{}", d.log());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let slots: Vec<String> = {
        d.db().query_all(
            "SELECT slot FROM job_runs WHERE job = 'untaken-digest' ORDER BY id",
            [],
            |r| r.get(0),
        )
    };
    assert_eq!(slots, ["2026-11-30T08:00:00Z", "2026-12-03T08:00:00Z"]);
    assert_eq!(sent(&d, "untaken_digest").len(), 2);
}

#[test]
fn owners_get_their_active_tickets_by_priority() {
    let d = at("2026-11-30T07:00:00Z", DEFAULT_QUEUES);
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    for subject in ["Low thing", "Urgent thing", "Done thing", "Not hers"] {
        d.deliver("general", &mail("zoe@example.net", subject, "See subject.", &[]));
    }
    d.tkt_ok(&["set", "1", "owner=alice@tickets.test", "priority=20"]);
    d.tkt_ok(&["set", "2", "owner=alice@tickets.test", "priority=50"]);
    d.tkt_ok(&["set", "3", "owner=alice@tickets.test", "status=resolved"]);
    d.tkt_ok(&["user", "create", "bob@tickets.test", "--privileged"]);
    d.tkt_ok(&["set", "4", "owner=bob@tickets.test"]);
    d.tkt_ok(&["admin", "jobs", "run", "owner-digest"]);
    let digests = sent(&d, "owner_digest");
    assert_eq!(digests.len(), 2, "alice and bob");
    let alice = digests.iter().find(|m| m.recipients == ["alice@tickets.test"]).unwrap();
    assert_eq!(header(&alice.message, "Subject").unwrap(), "Your 2 open tickets");
    let listed: Vec<&str> = alice.message.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(listed.len(), 2, "{}", alice.message);
    assert!(listed[0].starts_with("#2  priority 50"), "{listed:?}");
    assert!(listed[1].starts_with("#1  priority 20"), "{listed:?}");
}

#[test]
fn an_activity_digest_goes_to_those_who_asked_and_shows_only_what_they_may_see() {
    let d = at("2026-11-30T07:00:00Z", DEFAULT_QUEUES);
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver("general", &mail("max@example.net", "Scanner", "Blurry.", &[]));
    // zoe opts in herself; max does not
    let zoe = d.token_for("zoe@example.net");
    let out = d.tkt_as(&zoe, &["user", "set", "zoe@example.net", "digest=daily"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = d.tkt_as(&zoe, &["user", "set", "max@example.net", "digest=daily"]);
    assert!(!out.status.success(), "nobody opts others in");
    set_clock(&d, "2026-11-30T10:00:00Z");
    d.tkt_ok(&["reply", "1", "-m", "Try the other tray."]);
    d.tkt_ok(&["comment", "1", "-m", "Internal: the fuser is worn."]);
    d.tkt_ok(&["reply", "2", "-m", "Clean the glass."]);
    set_clock(&d, "2026-12-01T07:00:00Z");
    let digests = sent(&d, "activity_digest");
    assert_eq!(digests.len(), 1, "only zoe asked");
    assert_eq!(digests[0].recipients, ["zoe@example.net"]);
    let body = &digests[0].message;
    assert!(body.contains("#1 [general] Printer"), "{body}");
    assert!(body.contains("Correspond by root"), "{body}");
    assert!(!body.contains("Comment"), "requestors see no comments: {body}");
    assert!(!body.contains("Scanner"), "not her ticket: {body}");
}

#[test]
fn long_stalled_tickets_are_resolved_or_their_requestors_reminded() {
    let config = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
comment_address = "help-comment@tickets.test"
[queues.stalled]
after = "14 days"
action = "resolve"

[[queues]]
name = "network"
address = "noc@tickets.test"
comment_address = "noc-comment@tickets.test"
[queues.stalled]
after = "7 days"
action = "remind"
# escalation changes the ticket every day: that is not activity that restarts the wait
[queues.escalation]
idle_after = "1 day"
step = 1
"#;
    let d = at("2026-11-30T12:00:00Z", config);
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver("network", &mail("zoe@example.net", "Slow link", "Since Monday.", &[]));
    d.tkt_ok(&["set", "1", "status=stalled"]);
    d.tkt_ok(&["set", "2", "status=stalled"]);
    // the stalled job runs at 03:00 each day
    set_clock(&d, "2026-12-08T03:00:00Z");
    assert_eq!(d.show(1)["status"], "stalled", "8 days: not yet");
    let reminders: Vec<Queued> = d
        .outbox()
        .into_iter()
        .filter(|m| m.ticket == Some(2) && m.kind == "notify-requestors-and-cc")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].recipients, ["zoe@example.net"]);
    assert!(
        reminders[0]
            .message
            .contains("waiting for an answer from you since 2026-11-30")
    );
    assert_eq!(d.show(2)["status"], "stalled", "a reminder keeps it stalled");
    assert!(d.show(2)["priority"].as_i64().unwrap() > 0, "escalated meanwhile");
    // the reminder restarted the wait: nothing the next day
    set_clock(&d, "2026-12-09T03:00:00Z");
    set_clock(&d, "2026-12-15T03:00:00Z");
    let t = d.show(1);
    assert_eq!(t["status"], "resolved");
    assert_eq!(transactions_of(&t, "Status").last().unwrap()["creator"], "RT_System");
    let reminders = d
        .outbox()
        .into_iter()
        .filter(|m| m.ticket == Some(2) && m.kind == "notify-requestors-and-cc")
        .count();
    assert_eq!(reminders, 2, "the second a week after the first");
}

#[test]
fn the_clock_moves_only_forward_and_only_when_frozen() {
    let d = at("2026-11-30T07:00:00Z", DEFAULT_QUEUES);
    assert!(
        d.tkt_ok(&["admin", "clock"])
            .starts_with("2026-11-30T07:00:00+00:00 (frozen)")
    );
    let back = d.tkt(&["admin", "clock", "set", "2026-11-29T07:00:00Z"]);
    assert!(!back.status.success());
    assert!(stderr(&back).contains("moves forward only"), "{}", stderr(&back));
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    assert_eq!(d.show(1)["created"], "2026-11-30T07:00:00Z");
    let staff = {
        d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
        d.token_for("alice@tickets.test")
    };
    let denied = d.tkt_as(&staff, &["admin", "clock", "set", "2026-12-01T07:00:00Z"]);
    assert!(!denied.status.success(), "moving the clock needs SuperUser");
    assert!(
        d.tkt_as(&staff, &["admin", "jobs"]).status.success(),
        "staff may list jobs"
    );

    // requestors see neither the jobs nor the service level of others' tickets
    d.deliver("general", &mail("max@example.net", "Scanner", "Blurry.", &[]));
    let max = d.token_for("max@example.net");
    assert!(!d.tkt_as(&max, &["admin", "jobs"]).status.success());
    assert!(!d.tkt_as(&max, &["sla", "1"]).status.success());
    assert!(d.tkt_as(&max, &["sla", "2"]).status.success());

    let system = Daemon::start();
    let refused = system.tkt(&["admin", "clock", "set", "2030-01-01T00:00:00Z"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("started with --now"), "{}", stderr(&refused));
}

#[test]
fn a_job_over_more_tickets_than_one_step_takes_does_them_all_in_steps() {
    let config = format!("{DEFAULT_QUEUES}\n[queues.escalation]\nidle_after = \"1 day\"\nstep = 5\n");
    let mut d = at("2026-11-30T00:00:00Z", &config);
    let count = 205;
    for n in 0..count {
        d.tkt_ok(&[
            "create",
            "--queue",
            "network",
            "--subject",
            &format!("Port {n}"),
            "-m",
            "down",
        ]);
    }
    set_clock(&d, "2026-12-01T01:00:00Z");
    let escalated = d.count("SELECT COUNT(*) FROM tickets WHERE priority = 5");
    assert_eq!(escalated, count);
    let history = d.tkt_ok(&["admin", "jobs", "history", "escalate", "--limit", "1"]);
    assert!(history.contains(&format!("{count} escalated")), "{history}");
    // the same day again: they were just raised, nothing is idle
    set_clock(&d, "2026-12-01T02:00:00Z");
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets WHERE priority = 10"), 0);
    // a digest lists the first hundred and counts the rest
    d.tkt_ok(&["admin", "jobs", "run", "untaken-digest"]);
    let digest = sent(&d, "untaken_digest").pop().unwrap();
    assert_eq!(
        header(&digest.message, "Subject").unwrap(),
        "205 new tickets nobody has taken in network"
    );
    assert_eq!(digest.message.lines().filter(|l| l.starts_with('#')).count(), 100);
    assert!(digest.message.contains("... and 105 more."), "{}", digest.message);
    d.stop();
    let log = d.log();
    let line = log
        .lines()
        .find(|l| l.contains("job=escalate") && l.contains("205 escalated"))
        .expect("the run is logged");
    let steps: usize = line
        .split("steps=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(steps >= 2, "at most 200 tickets a step: {line}");
}

/// Resolves ticket 1; on Thursday at 14:00 its requestor writes back and the built-in
/// rule reopens it. Returns the ticket then.
fn resolve_and_write_back_on_thursday(d: &Daemon) -> Value {
    d.tkt_ok(&["set", "1", "status=resolved"]);
    set_clock(d, "2026-12-03T14:00:00Z");
    d.deliver(
        "general",
        &mail(
            "zoe@example.net",
            "Re: [tickets.test #1] Mail bounces",
            "Bouncing again.",
            &[],
        ),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "open");
    t
}

#[test]
fn a_requestor_reopening_a_resolved_ticket_starts_a_new_response_clock() {
    let d = at("2026-11-30T09:00:00Z", SERVICE_LEVEL);
    d.deliver("general", &mail("zoe@example.net", "Mail bounces", "Since 8am.", &[]));
    set_clock(&d, "2026-11-30T10:00:00Z");
    d.tkt_ok(&["reply", "1", "-m", "Fixed the MX record."]);
    assert_eq!(d.show(1)["due"], "2026-12-03T09:00:00Z", "due for resolution");
    // Thursday, after the resolve date: the requestor writes back, the rule reopens it
    let t = resolve_and_write_back_on_thursday(&d);
    assert_eq!(t["due"], "2026-12-03T09:00:00Z", "the resolve date still comes first");
    // without a resolve time, the new message's response time is the due date
    let d = at(
        "2026-11-30T09:00:00Z",
        &SERVICE_LEVEL.replace("resolve = \"3 business days\"\n", ""),
    );
    d.deliver("general", &mail("zoe@example.net", "Mail bounces", "Since 8am.", &[]));
    d.tkt_ok(&["reply", "1", "-m", "Fixed the MX record."]);
    assert_eq!(d.show(1)["due"], Value::Null, "answered, nothing more due");
    let t = resolve_and_write_back_on_thursday(&d);
    assert_eq!(t["due"], "2026-12-03T16:00:00Z", "two business hours from her message");
    set_clock(&d, "2026-12-03T14:05:00Z");
    assert!(sent(&d, "notify-sla-breach").is_empty(), "no breach of an old due date");
}

#[test]
fn a_merged_ticket_is_due_by_the_messages_of_both() {
    let d = at("2026-11-30T09:00:00Z", SERVICE_LEVEL);
    d.deliver("general", &mail("zoe@example.net", "Mail bounces", "Since 8am.", &[]));
    d.tkt_ok(&["reply", "1", "-m", "Looking."]);
    assert_eq!(d.show(1)["due"], "2026-12-03T09:00:00Z", "answered: due for resolution");
    set_clock(&d, "2026-11-30T13:00:00Z");
    d.deliver("general", &mail("zoe@example.net", "Bounces again", "Still.", &[]));
    d.tkt_ok(&["merge", "2", "into", "1"]);
    let s = sla(&d, 1);
    assert_eq!(
        s["waiting_since"], "2026-11-30T13:00:00Z",
        "the merged message waits for an answer"
    );
    assert_eq!(d.show(1)["due"], "2026-11-30T15:00:00Z");
    assert_eq!(s["due"], s["response_due"]);
}

#[test]
fn a_job_that_fails_is_recorded_as_failed_and_its_slot_can_run_again() {
    let config = format!(
        "{DEFAULT_QUEUES}[queues.stalled]\nafter = \"1 day\"\n\n[templates]\nstalled_reminder = \"{{{{ ticket.subject | int }}}}\"\n"
    );
    let d = at("2026-11-30T12:00:00Z", &config);
    d.deliver("network", &mail("zoe@example.net", "Slow link", "Since Monday.", &[]));
    d.tkt_ok(&["set", "1", "status=stalled"]);
    set_clock(&d, "2026-12-02T03:00:00Z");
    let history = d.tkt_ok(&["admin", "jobs", "history", "stalled"]);
    assert!(history.starts_with("stalled failed for 2026-12-02 03:00"), "{history}");
    assert!(history.contains("stalled_reminder"), "the reason: {history}");
    assert_eq!(d.show(1)["status"], "stalled");
    assert!(
        transactions_of(&d.show(1), "Correspond").is_empty(),
        "the failed step left nothing"
    );
    // a failed slot is no successful run: asking again runs it again
    let again = d.tkt_ok(&["admin", "jobs", "run", "stalled"]);
    assert!(again.contains("stalled failed"), "{again}");
}

#[test]
fn a_ticket_may_have_its_own_service_level() {
    let config = format!("{SERVICE_LEVEL}\n[service_levels.gold]\nresponse = \"30m\"\nwarn_before = \"10m\"\n");
    let d = at("2026-11-30T09:00:00Z", &config);
    d.deliver(
        "general",
        &mail("zoe@example.net", "CEO cannot print", "Board meeting.", &[]),
    );
    assert_eq!(d.show(1)["due"], "2026-11-30T11:00:00Z", "the queue's level");
    d.tkt_ok(&["set", "1", "sla=gold"]);
    let t = d.show(1);
    assert_eq!(t["sla"], "gold");
    assert_eq!(t["due"], "2026-11-30T09:30:00Z", "gold: 30 minutes, any hour");
    let s = sla(&d, 1);
    assert_eq!(s["level"], "gold");
    assert!(d.tkt_ok(&["show", "1"]).contains("SLA: gold"));
    let refused = d.tkt(&["set", "1", "sla=platinum"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("no service level `platinum`"),
        "{}",
        stderr(&refused)
    );
    // the alarms follow the ticket's own level
    set_clock(&d, "2026-11-30T09:25:00Z");
    assert_eq!(sent(&d, "notify-sla-warning").len(), 1, "gold warns 10 minutes before");
    // back to the queue's level
    d.tkt_ok(&["set", "1", "sla="]);
    assert_eq!(d.show(1)["due"], "2026-11-30T11:00:00Z");
    assert_eq!(d.show(1)["sla"], Value::Null);
}
