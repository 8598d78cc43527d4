//! The daemon: opens the store, binds the listeners, serves the API, runs the writer and
//! the outbox sender, and shuts down cleanly.
//!
//! Shutdown (SIGTERM, SIGINT, or the token in tests) stops accepting connections, lets
//! requests in flight finish (each waits for its commit), stops the sender after the
//! message it is delivering, drains the writer, removes the sockets and returns. Nothing
//! sleeps for a fixed time; the only limit is `server.shutdown_grace_secs`.

mod api;
pub mod clock;
pub(crate) mod peer;
pub mod scheduler;
mod sender;
mod writer;

pub use api::{ChangeRequest, MessageRequest};
pub use writer::Writer;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Listen};
use crate::error::{Error, Result};
use crate::outbox::{Transport, Webhooks};
use crate::store::Store;
use crate::workflow::Settings;
use peer::Peer;

pub use clock::now;

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<()> {
    let data_dir = config.server.data_dir.clone();
    let queues = config.queues.clone();
    let fields = config.custom_fields.clone();
    let store = tokio::task::spawn_blocking(move || -> Result<Store> {
        let mut store = Store::open(&data_dir)?;
        let tx = store.begin()?;
        let now = now();
        tx.sync_queues(&queues, now)?;
        tx.sync_custom_fields(&fields)?;
        tx.prune_mail_logs(now - chrono::Duration::days(1))?;
        tx.commit()?;
        Ok(store)
    })
    .await
    .map_err(|e| Error::Internal(format!("start-up task failed: {e}")))??;
    tracing::info!(database = %store.path().display(), "database open");
    let transport = Transport::from_config(&config.mail.outbound)?;
    let mode = config.socket_mode().map_err(Error::Invalid)?;
    let mut unix = Vec::new();
    let mut tcp = Vec::new();
    for listen in &config.server.listen {
        match listen {
            Listen::Unix(path) => unix.push((path.clone(), bind_unix(path, mode)?)),
            Listen::Tcp(addr) => tcp.push(
                TcpListener::bind(addr)
                    .await
                    .map_err(|e| Error::Invalid(format!("cannot listen on {addr}: {e}")))?,
            ),
        }
        tracing::info!(%listen, "listening");
    }
    let daemon_uid = unix
        .first()
        .and_then(|(path, _)| std::fs::metadata(path).ok())
        .map(|m| m.uid());

    let reads = Arc::new(store.read_pool());
    let wake = Arc::new(Notify::new());
    let (writer, writer_thread) = Writer::start(store, {
        let wake = wake.clone();
        move || wake.notify_one()
    })?;
    let settings = Arc::new(Settings::from_config(&config)?);
    let scheduler = scheduler::Scheduler::start(
        config.effective_jobs(),
        config.scheduler.zone().map_err(Error::Invalid)?,
        writer.clone(),
        reads.clone(),
        settings.clone(),
    )
    .await?;
    let app = api::App {
        writer: writer.clone(),
        reads: reads.clone(),
        settings,
        config: Arc::new(config.clone()),
        daemon_uid,
        scheduler: scheduler.clone(),
        outbox_wake: wake.clone(),
    };
    let router = api::router(app);
    let mut servers = JoinSet::new();
    let socket_paths: Vec<PathBuf> = unix.iter().map(|(p, _)| p.clone()).collect();
    for (_, listener) in unix {
        let service = router.clone().into_make_service_with_connect_info::<Peer>();
        let serve = axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned());
        servers.spawn(async move { serve.await });
    }
    for listener in tcp {
        let service = router.clone().into_make_service_with_connect_info::<Peer>();
        let serve = axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned());
        servers.spawn(async move { serve.await });
    }
    drop(router);
    let sender = tokio::spawn(sender::run(
        transport,
        Webhooks::new()?,
        reads,
        writer,
        config.outbox.clone(),
        wake,
        shutdown.clone(),
    ));
    let scheduling = tokio::spawn(scheduler.run(shutdown.clone()));
    tracing::info!("ticketd ready");

    shutdown.cancelled().await;
    tracing::info!("shutting down: finishing requests in flight");
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let drained = tokio::time::timeout(grace, async {
        while let Some(result) = servers.join_next().await {
            if let Ok(Err(e)) = result {
                tracing::error!(error = %e, "listener failed");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            seconds = grace.as_secs(),
            "requests still running after the grace period; dropping them"
        );
        servers.shutdown().await;
    }
    // the scheduler stops between jobs; a job in the writer finishes with the writer
    if let Err(e) = scheduling.await {
        tracing::error!(error = %e, "the scheduler failed");
    }
    let mut sender = sender;
    if tokio::time::timeout(grace, &mut sender).await.is_err() {
        // a relay that hangs: drop the attempt; the message stays pending and goes out
        // after the restart (it was never accepted)
        tracing::warn!("the outbox sender did not stop in time; abandoning its delivery");
        sender.abort();
        let _ = sender.await;
    }
    // every Writer handle is gone now: the writer finishes its queue and stops
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|_| Error::Internal("the writer thread panicked".into()))?;
    for path in socket_paths {
        let _ = std::fs::remove_file(&path);
    }
    tracing::info!("stopped");
    Ok(())
}

/// Binds a Unix socket, replacing a stale socket file but never a live daemon's.
fn bind_unix(path: &PathBuf, mode: u32) -> Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(Error::Conflict(format!(
                "another ticketd is already listening on {}; stop it first",
                path.display()
            )));
        }
        std::fs::remove_file(path)
            .map_err(|e| Error::Invalid(format!("cannot remove the stale socket {}: {e}", path.display())))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Invalid(format!("cannot create the socket directory {}: {e}", dir.display())))?;
    }
    let listener =
        UnixListener::bind(path).map_err(|e| Error::Invalid(format!("cannot listen on {}: {e}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::Invalid(format!("cannot set the mode of {}: {e}", path.display())))?;
    Ok(listener)
}
