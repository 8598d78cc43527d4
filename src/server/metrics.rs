//! `GET /metrics` in Prometheus's text format, on `server.metrics_listen`.
//!
//! Counters and histograms are recorded where things happen (`metrics` macros: ingest,
//! HTTP requests, deliveries); what the database knows (tickets by queue and status,
//! the outbox, job runs) and the writer's queue are read at each scrape, so they are
//! right after a restart too. Base units (seconds), `_total` counters, and labels with few
//! values only (outcome, interface, status class, queue, status, job). Without
//! `metrics_listen` no recorder is installed and the macros cost next to nothing.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::api::{App, read};
use crate::error::{Error, Result};
use crate::wire::Outcome;
use crate::workflow::operations;

/// Buckets of the latency histograms, in seconds: a millisecond to ten seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder: one per process, whatever number of daemons it runs.
static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder (once) and says what each metric is.
fn recorder() -> Result<PrometheusHandle> {
    if let Some(handle) = RECORDER.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .map_err(|e| Error::Internal(format!("metrics buckets: {e}")))?
        .install_recorder()
        .map_err(|e| Error::Internal(format!("cannot install the metrics recorder: {e}")))?;
    metrics::describe_counter!(
        "ticketd_messages_ingested_total",
        "Messages handed in by mailgate, by outcome (created, updated, duplicate, quarantined, refused, failed)"
    );
    metrics::describe_histogram!(
        "ticketd_ingest_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a message's arrival to its answer"
    );
    metrics::describe_histogram!(
        "ticketd_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP requests by interface (api, web) and status class"
    );
    metrics::describe_counter!(
        "ticketd_outbox_deliveries_total",
        "Delivery attempts of outgoing mail and webhooks, by result (sent, retry, failed)"
    );
    metrics::describe_gauge!(
        "ticketd_outbox_messages",
        "Outbox rows by status (pending, sent, failed)"
    );
    metrics::describe_gauge!("ticketd_writer_queue_depth", "Changes waiting for the writer thread");
    metrics::describe_gauge!("ticketd_tickets", "Tickets by queue and status (merged ones left out)");
    metrics::describe_counter!(
        "ticketd_job_runs_total",
        "Scheduled job runs on record, by job and outcome"
    );
    Ok(RECORDER.get_or_init(|| handle).clone())
}

/// The metrics router, for `server.metrics_listen`.
pub fn router(app: App) -> Result<axum::Router> {
    let handle = recorder()?;
    Ok(axum::Router::new()
        .route("/metrics", get(scrape))
        .with_state((app, handle)))
}

/// One scrape: the counts read now, then everything rendered.
async fn scrape(State((app, handle)): State<(App, PrometheusHandle)>) -> Response {
    let counts = match read(&app, |db| operations::counts(&db)).await {
        Ok(counts) => counts,
        Err(e) => {
            tracing::error!(error = %e.0, "metrics: the database could not be read");
            return (StatusCode::SERVICE_UNAVAILABLE, "the database could not be read\n").into_response();
        }
    };
    for (queue, status, n) in counts.tickets {
        metrics::gauge!("ticketd_tickets", "queue" => queue, "status" => status).set(n as f64);
    }
    for status in ["pending", "sent", "failed"] {
        let n = counts.outbox.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        metrics::gauge!("ticketd_outbox_messages", "status" => status).set(n as f64);
    }
    for (job, outcome, n) in counts.job_runs {
        metrics::counter!("ticketd_job_runs_total", "job" => job, "outcome" => outcome).absolute(n as u64);
    }
    metrics::gauge!("ticketd_writer_queue_depth").set(app.writer.queued() as f64);
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}

/// Notes one handed-in message: its outcome and how long it took.
pub fn ingested(outcome: Option<Outcome>, started: Instant) {
    let outcome = match outcome {
        Some(Outcome::Created) => "created",
        Some(Outcome::Updated) => "updated",
        Some(Outcome::Duplicate) => "duplicate",
        Some(Outcome::Quarantined) => "quarantined",
        Some(Outcome::Refused) => "refused",
        None => "failed",
    };
    metrics::counter!("ticketd_messages_ingested_total", "outcome" => outcome).increment(1);
    metrics::histogram!("ticketd_ingest_duration_seconds").record(started.elapsed().as_secs_f64());
}

/// Notes one delivery attempt's result: `sent`, `retry` or `failed`.
pub fn delivered(result: &'static str) {
    metrics::counter!("ticketd_outbox_deliveries_total", "result" => result).increment(1);
}

/// Middleware: times each request of `interface` (`api`, `web`) by status class.
pub async fn timed(interface: &'static str, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::histogram!("ticketd_http_request_duration_seconds", "interface" => interface, "status" => class)
        .record(started.elapsed().as_secs_f64());
    response
}
