//! Alert queues (issue 8): monitoring mail read as alerts, repeats onto one ticket.

use crate::harness::*;

const ALERT_QUEUE: &str = r#"
[[queues]]
name = "network"
address = "noc@tickets.test"
comment_address = "noc-comment@tickets.test"
admin_cc = ["staff@tickets.test"]
[queues.alerts]
flap_minutes = 30
"#;

fn nagios(kind: &str, host: &str, service: &str, state: &str) -> Vec<u8> {
    let subject = format!("** {kind} Service Alert: {host}/{service} is {state} **");
    let body =
        format!("***** Nagios *****\n\nNotification Type: {kind}\nService: {service}\nHost: {host}\nState: {state}\n");
    mail("nagios@mon.test", &subject, &body, &[])
}

fn status_of(d: &Daemon, id: i64) -> String {
    d.show(id)["status"].as_str().unwrap().to_string()
}

#[test]
fn repeats_land_on_one_ticket_per_key_and_a_recovery_resolves_only_its_own() {
    let d = Daemon::start_with(Setup {
        now: Some("2026-12-01T09:00:00Z".into()),
        queues: Some(ALERT_QUEUE.into()),
        ..Setup::default()
    });
    let keys = [
        ("web1", "HTTP", "CRITICAL"),
        ("web2", "HTTP", "WARNING"),
        ("db1", "Disk /var", "CRITICAL"),
    ];
    for n in 0..100 {
        let (host, service, state) = keys[n % 3];
        d.deliver("network", &nagios("PROBLEM", host, service, state));
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 3, "one ticket per key");
    assert_eq!(d.count("SELECT CAST(SUM(problems) AS BIGINT) FROM alert_keys"), 100);
    let (web1, web2, db1) = (1, 2, 3);
    assert_eq!(
        d.show(web1)["subject"],
        "** PROBLEM Service Alert: web1/HTTP is CRITICAL **"
    );
    assert_eq!(
        transactions_of(&d.show(web1), "Comment").len(),
        33,
        "34 alerts: the first and 33 repeats"
    );
    assert_eq!(transactions_of(&d.show(web2), "Comment").len(), 32);
    assert_eq!(d.show(web1)["priority"], 90);
    // the history shows each repeat in a line
    let shown = d.tkt_ok(&["show", "1"]);
    let repeats: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains(" Alert CRITICAL by nagios@mon.test"))
        .collect();
    assert_eq!(repeats.len(), 33, "{shown}");
    assert_eq!(
        shown.matches("***** Nagios *****").count(),
        1,
        "only the first alert in full"
    );
    assert_eq!(d.show(web2)["priority"], 50);
    assert_eq!(
        d.show(web1)["requestors"].as_array().unwrap().len(),
        0,
        "nobody to answer"
    );
    let outbox = d.outbox();
    assert!(
        outbox.iter().all(|m| m.kind != "autoreply"),
        "no autoreplies to the monitoring sender"
    );
    let told = outbox.iter().filter(|m| m.kind == "notify-admincc-on-create").count();
    assert_eq!(told, 3, "staff hear of each new problem once, not of every repeat");

    d.deliver("network", &nagios("RECOVERY", "web1", "HTTP", "OK"));
    assert_eq!(status_of(&d, web1), "resolved");
    assert_eq!(status_of(&d, web2), "new");
    assert_eq!(status_of(&d, db1), "new");
    let t = d.show(web1);
    assert_eq!(transactions_of(&t, "Status").last().unwrap()["creator"], "RT_System");
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 3);

    // ordinary mail to the queue is a ticket as always
    d.deliver(
        "network",
        &mail("zoe@example.net", "Wifi slow on floor 2", "Since lunch.", &[]),
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 4);
    assert!(d.outbox().iter().any(|m| m.kind == "autoreply" && m.ticket == Some(4)));
}

#[test]
fn a_problem_after_recovery_reopens_within_the_flap_window_and_opens_a_new_ticket_after() {
    let d = Daemon::start_with(Setup {
        now: Some("2026-12-01T09:00:00Z".into()),
        queues: Some(ALERT_QUEUE.into()),
        ..Setup::default()
    });
    d.deliver("network", &nagios("PROBLEM", "web1", "HTTP", "CRITICAL"));
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T09:05:00Z"]);
    d.deliver("network", &nagios("RECOVERY", "web1", "HTTP", "OK"));
    assert_eq!(status_of(&d, 1), "resolved");
    // flapping: back within 30 minutes of the recovery
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T09:20:00Z"]);
    d.deliver("network", &nagios("PROBLEM", "web1", "HTTP", "CRITICAL"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(status_of(&d, 1), "open", "reopened");
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T09:25:00Z"]);
    d.deliver("network", &nagios("RECOVERY", "web1", "HTTP", "OK"));
    assert_eq!(status_of(&d, 1), "resolved");
    // long after: a new problem, a new ticket
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T10:30:00Z"]);
    d.deliver("network", &nagios("PROBLEM", "web1", "HTTP", "CRITICAL"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
    assert_eq!(status_of(&d, 1), "resolved");
    assert_eq!(status_of(&d, 2), "new");
    // a recovery nobody had seen the problem of is kept, on a resolved ticket
    d.deliver("network", &nagios("RECOVERY", "mail1", "SMTP", "OK"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 3);
    assert_eq!(status_of(&d, 3), "resolved");
}

#[test]
fn a_site_pattern_reads_its_own_alerts_and_a_recovery_may_only_comment() {
    let config = r#"
[[queues]]
name = "power"
address = "power@tickets.test"
comment_address = "power-comment@tickets.test"
[queues.alerts]
presets = []
on_recovery = "comment"
priorities = { low = 20, critical = 95 }
[[queues.alerts.patterns]]
subject = '^UPS (?P<host>\S+): (?P<service>.+) is (?P<state>\w+)$'
body = '(?m)^Severity: (?P<severity>\w+)$'
"#;
    let d = Daemon::start_with(Setup {
        queues: Some(config.into()),
        ..Setup::default()
    });
    let ups = |state: &str, severity: &str| {
        mail(
            "ups@mon.test",
            &format!("UPS rack4: battery is {state}"),
            &format!("Severity: {severity}\n"),
            &[],
        )
    };
    d.deliver("power", &ups("LOW", "critical"));
    d.deliver("power", &ups("LOW", "critical"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(d.show(1)["priority"], 95, "the site's own severity map");
    d.deliver("power", &ups("OK", "low"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(status_of(&d, 1), "new", "on_recovery = comment: recorded, not resolved");
    assert_eq!(transactions_of(&d.show(1), "Comment").len(), 2);
    // the presets are off here: a Nagios subject is ordinary mail
    d.deliver("power", &nagios("PROBLEM", "web1", "HTTP", "CRITICAL"));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2);
    assert!(d.outbox().iter().any(|m| m.kind == "autoreply" && m.ticket == Some(2)));
}

#[test]
fn zabbix_and_alertmanager_severities_set_the_priority_as_the_docs_promise() {
    let d = Daemon::start_with(Setup {
        queues: Some(ALERT_QUEUE.into()),
        ..Setup::default()
    });
    let zabbix = |subject: &str, body: &str| mail("zabbix@mon.test", subject, body, &[]);
    d.deliver(
        "network",
        &zabbix(
            "Problem: High CPU load",
            "Problem started at 10:00:01 on 2026.12.01\nProblem name: High CPU load\nHost: app3\nSeverity: High\n",
        ),
    );
    d.deliver(
        "network",
        &zabbix("Problem: Disk full", "Severity: Disaster\nHost: db2\n"),
    );
    let alertmanager = |subject: &str, body: &str| mail("alertmanager@mon.test", subject, body, &[]);
    d.deliver(
        "network",
        &alertmanager("[FIRING:1] InstanceDown web1:9100 (node critical)", "1 alert"),
    );
    d.deliver(
        "network",
        &alertmanager(
            "[FIRING:2] DiskFull",
            "Labels\n alertname = DiskFull\n severity = warning\n instance = db1\n",
        ),
    );
    let priorities: Vec<i64> = (1..=4).map(|id| d.show(id)["priority"].as_i64().unwrap()).collect();
    assert_eq!(priorities, [80, 90, 90, 50]);
}
