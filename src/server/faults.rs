//! Test faults: failures no input can cause (a bug's panic, a COMMIT that fails, a
//! transaction SQLite rolls back by itself, the writer thread dying), caused on purpose
//! so that the integration tests prove, through the real binaries, what ticketd does
//! then.
//!
//! Only in debug builds (`cfg(debug_assertions)`: a release build has none of this), and
//! only when the daemon starts with `TICKETD_TEST_FAULTS=1` in its environment. Then
//! `POST /v1/test/faults/{fault}`, for root only (local root or ticketd's own user over
//! the socket), causes:
//! - `handler`: this request's handler panics;
//! - `change`: this request's change panics inside its savepoint;
//! - `stall?ms=N`: the writer works on this request for N ms, so that others queue
//!   behind it; it logs "test fault: the writer stalls" first and "test fault: stall
//!   done" after;
//! - `writer`: the writer thread dies (at the start of its next batch);
//!
//! and, for the writer's next batch (the one after the batch running now, if any):
//! - `panic?after=N`: the writer panics after the N-th request, outside any savepoint;
//! - `rollback?after=N`: the transaction is rolled back after the N-th request, as SQLite
//!   does by itself after a full disk or an I/O error;
//! - `commit`: its COMMIT fails (a reference to nothing, checked at COMMIT).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{Actor, ApiResult, App};
use crate::error::Error;
use crate::store::WriteTx;
use crate::user::ROOT_ID;

/// The environment variable that turns the faults on.
const SWITCH: &str = "TICKETD_TEST_FAULTS";

/// Whether this daemon takes test faults.
pub fn enabled() -> bool {
    std::env::var(SWITCH).is_ok_and(|v| v == "1")
}

/// A fault waiting for the writer's next batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFault {
    /// A panic after this many requests, outside any savepoint.
    Panic(usize),
    /// The transaction rolled back under the batch after this many requests.
    Rollback(usize),
    /// A COMMIT that fails.
    Commit,
}

static ARMED: Mutex<Option<BatchFault>> = Mutex::new(None);

/// Set by the `writer` fault; read by the writer before each batch.
static WRITER_DIES: AtomicBool = AtomicBool::new(false);

/// Called by the writer before each batch: panics, outside anything that catches it, if
/// the `writer` fault was asked for.
pub fn writer_dies_if_asked() {
    if WRITER_DIES.load(Ordering::SeqCst) {
        panic!("test fault: the writer thread dies");
    }
}

/// Called by the writer as a batch begins: the fault for this batch, if one was asked for.
pub fn take_armed() -> Option<BatchFault> {
    ARMED.lock().ok()?.take()
}

/// Called by the writer after the `done`-th request of a batch.
pub fn after_request(fault: Option<BatchFault>, done: usize, tx: &WriteTx<'_>) {
    match fault {
        Some(BatchFault::Panic(n)) if n == done => {
            panic!("test fault: the writer panics outside any request's savepoint")
        }
        Some(BatchFault::Rollback(n)) if n == done => {
            if let Err(e) = tx.lose() {
                tracing::error!(error = %e, "test fault: the rollback failed");
            }
        }
        _ => {}
    }
}

/// Called by the writer before a batch's COMMIT.
pub fn before_commit(fault: Option<BatchFault>, tx: &WriteTx<'_>) {
    if fault == Some(BatchFault::Commit)
        && let Err(e) = tx.break_commit()
    {
        tracing::error!(error = %e, "test fault: breaking the commit failed");
    }
}

#[derive(Debug, Deserialize)]
pub struct FaultParams {
    #[serde(default)]
    ms: u64,
    #[serde(default)]
    after: usize,
}

/// `POST /v1/test/faults/{fault}`.
pub async fn cause(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(fault): Path<String>,
    Query(p): Query<FaultParams>,
) -> ApiResult<Response> {
    if actor.0 != ROOT_ID {
        return Err(Error::Denied("test faults are for root only".into()).into());
    }
    let arm = |fault| {
        *ARMED.lock().expect("test faults lock") = Some(fault);
        tracing::warn!(?fault, "test fault armed for the next batch");
    };
    match fault.as_str() {
        "handler" => panic!("test fault: a request handler panics"),
        "change" => {
            app.writer
                .run(|_| -> crate::error::Result<()> { panic!("test fault: a change panics") })
                .await?
        }
        "stall" => {
            app.writer
                .run(move |_| {
                    tracing::warn!(ms = p.ms, "test fault: the writer stalls");
                    std::thread::sleep(Duration::from_millis(p.ms));
                    tracing::warn!("test fault: stall done");
                    Ok(())
                })
                .await?
        }
        "writer" => {
            WRITER_DIES.store(true, Ordering::SeqCst);
            app.writer.run(|_| Ok(())).await?
        }
        "panic" => arm(BatchFault::Panic(p.after.max(1))),
        "rollback" => arm(BatchFault::Rollback(p.after.max(1))),
        "commit" => arm(BatchFault::Commit),
        other => return Err(Error::NotFound(format!("there is no test fault `{other}`")).into()),
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
