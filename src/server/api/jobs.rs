//! `/v1/admin/jobs`, `/v1/admin/clock` and `/v1/tickets/{id}/sla`: the scheduler's jobs,
//! ticketd's clock, and where a ticket stands against its service level.

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Actor, ApiResult, App, read_as};
use crate::server::{clock, now};
use crate::wire::{
    BackupDone, BackupRequest, Clock, ClockMoved, HistoryParams, JobRunAnswer, MigrateRequest, SetClock,
};
use crate::workflow::{operations, time};

pub async fn list(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    read_as(&app, actor, |_, access| operations::see_jobs(access)).await?;
    Ok(Json(app.scheduler.status(app.reads.clone()).await?).into_response())
}

pub async fn history(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Query(p): Query<HistoryParams>,
) -> ApiResult<Response> {
    read_as(&app, actor, |_, access| operations::see_jobs(access)).await?;
    let limit = p.limit.unwrap_or(20).clamp(1, 1000);
    Ok(Json(app.scheduler.history(app.reads.clone(), &name, limit).await?).into_response())
}

/// Runs a job now; `{"run": null}` when it already ran at this instant.
pub async fn run(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    read_as(&app, actor, operations::run_jobs).await?;
    let run = app.scheduler.run_now(&name).await?;
    Ok(Json(JobRunAnswer { run }).into_response())
}

pub async fn show_clock(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    read_as(&app, actor, |_, access| operations::see_jobs(access)).await?;
    Ok(Json(Clock {
        frozen: clock::is_frozen(),
        now: now(),
    })
    .into_response())
}

/// Moves a frozen clock and runs what became due, answering with those runs.
pub async fn set_clock(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<SetClock>,
) -> ApiResult<Response> {
    read_as(&app, actor, operations::move_clock).await?;
    let at = crate::ticket::parse_date(&req.now)?;
    let now = clock::set(at)?;
    tracing::info!(%now, "clock set");
    let runs = app.scheduler.run_due().await;
    app.scheduler.clock_moved();
    // retries that came due
    app.outbox_wake.notify_one();
    Ok(Json(ClockMoved { now, runs }).into_response())
}

/// Writes a consistent copy of the database to an absolute path on ticketd's machine
/// (SuperUser), while mail keeps flowing.
pub async fn backup(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<BackupRequest>,
) -> ApiResult<Response> {
    let path = req.path.clone();
    let target = read_as(&app, actor, move |db, access| {
        operations::backup_target(db, access, &path)
    })
    .await?;
    let database = crate::store::Location::of(&app.config);
    let started = std::time::Instant::now();
    let bytes = tokio::task::spawn_blocking(move || crate::store::backup(&database, &target))
        .await
        .map_err(|e| crate::error::Error::Internal(format!("backup task failed: {e}")))??;
    tracing::info!(path = %req.path, bytes, ms = started.elapsed().as_millis() as u64, "backup written");
    Ok(Json(BackupDone { bytes, path: req.path }).into_response())
}

pub async fn sla(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let report = read_as(&app, actor, move |db, access| {
        time::sla_report(db, &settings, access, id, now())
    })
    .await?;
    Ok(Json(report).into_response())
}

/// Starts copying this SQLite installation to PostgreSQL (see `server::migration`).
pub async fn start_migration(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Json(req): Json<MigrateRequest>,
) -> ApiResult<Response> {
    read_as(&app, actor, operations::migrate).await?;
    let status = app.migration.start(&app.writer, app.reads.location(), req.to)?;
    Ok((StatusCode::ACCEPTED, Json(status)).into_response())
}

/// Where the migration stands.
pub async fn migration(State(app): State<App>, Extension(actor): Extension<Actor>) -> ApiResult<Response> {
    read_as(&app, actor, operations::migrate).await?;
    Ok(Json(app.migration.status()).into_response())
}
