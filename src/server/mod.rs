//! The daemon: opens the store, binds the listeners, serves the API, runs the writer and
//! the outbox sender, and shuts down cleanly.
//!
//! Shutdown (SIGTERM, SIGINT, or the token in tests) stops accepting connections, lets
//! requests in flight finish (each waits for its commit), stops a scheduled job at its
//! next step and the sender after the message it is delivering, drains the writer,
//! removes the sockets and returns. Nothing sleeps for a fixed time; the whole of it is
//! bounded by `server.shutdown_grace_secs`. If the writer thread dies, the daemon shuts
//! down the same way and fails.

mod api;
pub mod clock;
#[cfg(debug_assertions)]
mod faults;
mod metrics;
mod migration;
pub(crate) mod peer;
mod rest2;
pub mod scheduler;
mod sender;
mod web;
mod writer;

pub use api::{ChangeRequest, MessageRequest};
pub use writer::Writer;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, timeout_at};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Listen};
use crate::error::{Error, Result};
use crate::outbox::{Transport, Webhooks};
use crate::store::{Store, WriteTx};
use crate::workflow::Settings;
use peer::Peer;

pub use clock::now;

/// Runs the daemon until `shutdown` is cancelled. Fails (so ticketd exits non-zero and
/// its service manager restarts it) if the writer thread dies.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<()> {
    // this run of the daemon, as the owner of its claims on outbox messages and job slots
    let instance: Arc<str> = uuid::Uuid::new_v4().to_string().into();
    let store = open_store(&config, &instance).await?;
    tracing::info!(database = %store.location().describe(), "database open");
    let transport = Transport::from_config(&config.mail.outbound)?;
    let (unix, tcp) = bind(&config).await?;
    let daemon_uid = unix
        .first()
        .and_then(|(path, _)| std::fs::metadata(path).ok())
        .map(|m| m.uid());

    let reads = Arc::new(store.read_pool(Duration::from_secs(config.server.search_time_limit_secs)));
    let wake = Arc::new(Notify::new());
    let (writer, writer_thread, writer_stopped) = Writer::start(store, {
        let wake = wake.clone();
        move || wake.notify_one()
    })?;
    let settings = Arc::new(Settings::from_config(&config)?);
    let scheduler = scheduler::Scheduler::start(
        instance.clone(),
        config.effective_jobs(),
        config.scheduler.zone().map_err(Error::Invalid)?,
        writer.clone(),
        reads.clone(),
        settings.clone(),
        shutdown.clone(),
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
        migration: Arc::default(),
    };
    let socket_paths: Vec<PathBuf> = unix.iter().map(|(p, _)| p.clone()).collect();
    let web = match &config.web {
        Some(web) => Some((web::router(app.clone(), web)?, bind_tcp(&web.listen).await?)),
        None => None,
    };
    let metrics = match config.server.metrics_listen {
        Some(address) => Some((metrics::router(app.clone())?, bind_tcp(&address).await?)),
        None => None,
    };
    let mut servers = serve(api::router(app), unix, tcp, &shutdown);
    if let Some((router, listener)) = metrics {
        tracing::info!(listen = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "metrics served");
        let serve = axum::serve(listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned());
        servers.spawn(async move { serve.await });
    }
    if let Some((router, listener)) = web {
        tracing::info!(listen = %config.web.as_ref().map(|w| w.public_url.as_str()).unwrap_or_default(), "web pages served");
        let service = router.into_make_service_with_connect_info::<Peer>();
        let serve = axum::serve(listener, service).with_graceful_shutdown(shutdown.clone().cancelled_owned());
        servers.spawn(async move { serve.await });
    }
    let sender = tokio::spawn(sender::run(
        sender::Sender {
            instance,
            transport,
            webhooks: Webhooks::new()?,
            reads,
            writer,
            config: config.outbox.clone(),
        },
        wake,
        shutdown.clone(),
    ));
    let scheduling = tokio::spawn(scheduler.run());
    tracing::info!("ticketd ready");

    // Biased: once shutdown is asked for, the other tasks drop their writer handles and
    // the writer ends normally, perhaps before this task looks; that is no death.
    let writer_died = tokio::select! {
        biased;
        _ = shutdown.cancelled() => false,
        _ = writer_stopped.cancelled() => true,
    };
    if writer_died {
        tracing::error!("the writer thread died; ticketd stops, to be restarted");
        shutdown.cancel();
    }
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let tasks = Tasks {
        servers,
        scheduling,
        sender,
        writer_thread,
        writer_stopped,
    };
    tasks.stop(Instant::now() + grace).await;
    for path in socket_paths {
        let _ = std::fs::remove_file(&path);
    }
    if writer_died {
        return Err(Error::Internal(
            "the writer thread died (see the log above); ticketd stopped so that it can be restarted".into(),
        ));
    }
    tracing::info!("stopped");
    Ok(())
}

/// Opens the database and brings the queues and custom fields in line with the config.
async fn open_store(config: &Config, instance: &Arc<str>) -> Result<Store> {
    let instance = instance.clone();
    let location = crate::store::Location::of(config);
    let queues = config.queues.clone();
    let fields = config.custom_fields.clone();
    tokio::task::spawn_blocking(move || -> Result<Store> {
        let mut store = Store::open_at(&location)?;
        let single_daemon = store.single_daemon();
        let tx = store.begin()?;
        let now = now();
        tx.hold_instance(&instance)?;
        let sync = |tx: &WriteTx<'_>| -> Result<()> {
            tx.sync_queues(&queues, now)?;
            tx.sync_custom_fields(&fields)
        };
        if !single_daemon {
            refuse_other_config(&tx, sync)?;
        }
        sync(&tx)?;
        tx.prune_mail_logs(now - chrono::Duration::days(1))?;
        // one daemon per SQLite database: claims on record are this daemon's, from
        // before it stopped; on PostgreSQL, those of daemons that are gone
        let released = if single_daemon {
            tx.release_all_claims()?
        } else {
            tx.release_dead_claims(&instance)?
        };
        if released > 0 {
            tracing::info!(
                released,
                "released the claims (outbox messages, job slots) left by its last run"
            );
        }
        let orphans = tx.drop_unkept_blobs()?;
        if orphans > 0 {
            tracing::info!(orphans, "removed blobs of deliveries that never finished");
        }
        tx.commit()?;
        Ok(store)
    })
    .await
    .map_err(|e| Error::Internal(format!("start-up task failed: {e}")))?
}

/// Refuses to start with queues or custom fields other than those of the daemons already
/// running on the shared database: each writes its config's at start, so two configs
/// would undo each other, and each daemon's rules follow its own file. With none running,
/// this config is the admin's latest word and wins.
fn refuse_other_config(tx: &WriteTx<'_>, sync: impl FnOnce(&WriteTx<'_>) -> Result<()>) -> Result<()> {
    let (before, after) = tx.dry_run(|tx| {
        let before = tx.config_state()?;
        sync(tx)?;
        Ok((before, tx.config_state()?))
    })?;
    if before == after {
        return Ok(());
    }
    let others = tx.other_daemons()?;
    if others == 0 {
        tracing::info!("this config changes the queues or custom fields on the database; no other daemon runs");
        return Ok(());
    }
    let mut differences: Vec<String> = before
        .iter()
        .filter(|line| !after.contains(line))
        .map(|line| format!("they have {line}"))
        .chain(
            after
                .iter()
                .filter(|line| !before.contains(line))
                .map(|line| format!("this has {line}")),
        )
        .collect();
    let more = differences.len().saturating_sub(5);
    differences.truncate(5);
    if more > 0 {
        differences.push(format!("{more} more"));
    }
    Err(Error::Invalid(format!(
        "this config's queues or custom fields differ from those of the {others} daemon(s) running on this \
         database ({}): give every daemon the same [[queues]] and [[custom_fields]]; to change them, stop every \
         daemon and start them again with the new config",
        differences.join("; ")
    )))
}

/// The config's listeners, bound: Unix sockets (with their paths) and TCP.
async fn bind(config: &Config) -> Result<(Vec<(PathBuf, UnixListener)>, Vec<TcpListener>)> {
    let mode = config.socket_mode().map_err(Error::Invalid)?;
    let mut unix = Vec::new();
    let mut tcp = Vec::new();
    for listen in &config.server.listen {
        match listen {
            Listen::Unix(path) => unix.push((path.clone(), bind_unix(path, mode)?)),
            Listen::Tcp(addr) => tcp.push(bind_tcp(addr).await?),
        }
        tracing::info!(%listen, "listening");
    }
    Ok((unix, tcp))
}

async fn bind_tcp(addr: &std::net::SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Invalid(format!("cannot listen on {addr}: {e}")))
}

/// Serves the API on every listener until `shutdown`, then lets requests in flight finish.
fn serve(
    router: axum::Router,
    unix: Vec<(PathBuf, UnixListener)>,
    tcp: Vec<TcpListener>,
    shutdown: &CancellationToken,
) -> JoinSet<std::io::Result<()>> {
    let mut servers = JoinSet::new();
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
    servers
}

/// What runs until the shutdown, to be stopped in order.
struct Tasks {
    servers: JoinSet<std::io::Result<()>>,
    scheduling: JoinHandle<()>,
    sender: JoinHandle<()>,
    writer_thread: std::thread::JoinHandle<()>,
    writer_stopped: CancellationToken,
}

impl Tasks {
    /// Lets each part finish what it is doing, in order, all by `deadline` (the shutdown
    /// plus `server.shutdown_grace_secs`): requests in flight (each waits for its
    /// commit), the scheduler (a running job stops at its next step), the sender (the
    /// message in hand), then the writer, which stops once its queue is empty and every
    /// handle is gone. Whatever is still running at the deadline is abandoned: nothing
    /// of it was answered as done, so nothing is lost (a message stays pending, a job's
    /// slot runs again, mail is retried by the MTA).
    async fn stop(mut self, deadline: Instant) {
        tracing::info!("shutting down: finishing requests in flight");
        let drained = timeout_at(deadline, async {
            while let Some(result) = self.servers.join_next().await {
                if let Ok(Err(e)) = result {
                    tracing::error!(error = %e, "listener failed");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("requests still running at the end of the grace period; dropping them");
            self.servers.shutdown().await;
        }
        if timeout_at(deadline, &mut self.scheduling).await.is_err() {
            tracing::warn!("the scheduler did not stop in time; abandoning its job");
            self.scheduling.abort();
        }
        if timeout_at(deadline, &mut self.sender).await.is_err() {
            // a relay that hangs: drop the attempt; the message stays pending and goes out
            // after the restart (it was never accepted)
            tracing::warn!("the outbox sender did not stop in time; abandoning its delivery");
            self.sender.abort();
        }
        // every Writer handle is gone now, or soon: the writer finishes its queue and stops
        if timeout_at(deadline, self.writer_stopped.cancelled()).await.is_err() {
            tracing::warn!("the writer did not finish in time; its open batch is abandoned, unanswered");
            return;
        }
        if self.writer_thread.join().is_err() {
            tracing::error!("the writer thread panicked");
        }
    }
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
