//! `GET /metrics` (issue 17): Prometheus's text format, read back with a Prometheus text
//! parser; a delivered message is counted, and what the database knows is right.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use prometheus_parse::{Scrape, Value};

use crate::harness::*;
use crate::web::http;

/// A daemon with metrics on a free port, and the port's origin.
fn metrics_daemon() -> (Daemon, String) {
    let origin = format!("127.0.0.1:{}", free_port());
    let d = Daemon::start_with(Setup {
        server: vec![format!("metrics_listen = \"{origin}\"")],
        ..Setup::default()
    });
    (d, format!("http://{origin}"))
}

/// One scrape, parsed; waits a little for the listener to be up.
fn scrape(origin: &str) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(origin.trim_start_matches("http://")).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {origin}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let answer = http(origin, "GET", "/metrics", &[], None, None, Vec::new());
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain; version=0.0.4"),
        "{answer:?}"
    );
    Scrape::parse(answer.body.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

/// The value of `name` whose labels include `labels`, if it is there.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
}

#[test]
fn a_delivered_message_is_counted_and_the_tickets_are_by_queue_and_status() {
    let (d, origin) = metrics_daemon();
    let message = mail("zoe@example.net", "Printer", "It jams.", &[]);
    d.deliver("general", &message);
    d.deliver("general", &message);
    d.deliver("network", &mail("bob@example.net", "Switch", "Down.", &[]));
    d.tkt_ok(&["set", "2", "status=open"]);
    let s = scrape(&origin);
    assert_eq!(
        value(&s, "ticketd_messages_ingested_total", &[("outcome", "created")]),
        Some(2.0)
    );
    assert_eq!(
        value(&s, "ticketd_messages_ingested_total", &[("outcome", "duplicate")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "ticketd_tickets", &[("queue", "general"), ("status", "new")]),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "ticketd_tickets", &[("queue", "network"), ("status", "open")]),
        Some(1.0)
    );
    // three deliveries timed; the API's requests by status class
    assert_eq!(value(&s, "ticketd_ingest_duration_seconds_count", &[]), Some(3.0));
    assert!(
        value(
            &s,
            "ticketd_http_request_duration_seconds_count",
            &[("interface", "api"), ("status", "2xx")]
        )
        .unwrap_or(0.0)
            >= 4.0
    );
    let outbox: BTreeMap<&str, f64> = ["pending", "sent", "failed"]
        .into_iter()
        .map(|status| {
            (
                status,
                value(&s, "ticketd_outbox_messages", &[("status", status)]).expect(status),
            )
        })
        .collect();
    assert!(
        outbox["pending"] + outbox["sent"] >= 2.0,
        "two autoreplies at least: {outbox:?}"
    );
    assert!(value(&s, "ticketd_writer_queue_depth", &[]).is_some());
    // the outbox sends: deliveries are counted
    let queued = d.outbox().len();
    d.wait_outgoing(queued);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = scrape(&origin);
        if value(&s, "ticketd_outbox_deliveries_total", &[("result", "sent")]).unwrap_or(0.0) >= queued as f64 {
            break;
        }
        assert!(Instant::now() < deadline, "no delivery counted");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_grafana_dashboard_asks_only_for_metrics_ticketd_serves() {
    let (d, origin) = metrics_daemon();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["admin", "jobs", "run", "slas"]);
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/grafana/ticketd-dashboard.json"
    ))
    .expect("the dashboard");
    let asked = regex::Regex::new(r"ticketd_[a-z_]+").unwrap();
    // the parser reads a histogram's buckets as one sample under the histogram's name
    let mut names: Vec<&str> = asked
        .find_iter(&dashboard)
        .map(|m| m.as_str().strip_suffix("_bucket").unwrap_or(m.as_str()))
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() >= 8, "{names:?}");
    // deliveries are counted once the sender has sent the autoreply
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let served: Vec<String> = scrape(&origin).samples.into_iter().map(|s| s.metric).collect();
        let missing: Vec<&&str> = names.iter().filter(|n| !served.iter().any(|s| s == **n)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dashboard asks for {missing:?}, not served: {served:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
