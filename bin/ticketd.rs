//! ticketd: the daemon. `ticketd [--config FILE]`; with no config it runs on the embedded
//! default (data in ./var). `--data-dir`, `--listen` and `--outbound` replace the file's
//! keys, to run a file elsewhere than it says.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use tokio_util::sync::CancellationToken;

/// The ticketd daemon.
#[derive(Debug, Parser)]
#[command(name = "ticketd", version, about = "The ticketd daemon: mail in, tickets out.")]
struct Args {
    /// The config file; without one, the embedded default (data in ./var).
    #[arg(long, env = "TICKETD_CONFIG")]
    config: Option<PathBuf>,
    /// Check the config and exit.
    #[arg(long)]
    check_config: bool,
    /// Keep the data here instead of the config's server.data_dir.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Listen here (unix:PATH or HOST:PORT; repeat for more) instead of the config's
    /// server.listen.
    #[arg(long, value_name = "ADDRESS")]
    listen: Vec<ticketd::config::Listen>,
    /// Send mail this way (file:DIR, smtp://HOST:PORT, sendmail:PATH) instead of the
    /// config's mail.outbound; file:DIR tries a config without mailing anyone.
    #[arg(long, value_name = "HOW")]
    outbound: Option<ticketd::config::Outbound>,
    /// Use this PostgreSQL database (postgres://USER:PASSWORD@HOST/DBNAME) instead of the
    /// config's database.url.
    #[arg(long, value_name = "URL", env = "TICKETD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Freeze the clock at this instant (RFC 3339, e.g. 2026-12-01T09:00:00Z) instead of
    /// following the system's; `tkt admin clock set` moves it. For tests and drills of
    /// escalation, service levels and digests.
    #[arg(long, value_name = "INSTANT")]
    now: Option<String>,
}

fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TICKETD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run(args) {
        eprintln!("ticketd: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let overrides = ticketd::config::Overrides {
        data_dir: args.data_dir,
        listen: args.listen,
        outbound: args.outbound,
        database_url: args.database_url,
    };
    let config =
        ticketd::config::Config::load(args.config.as_deref(), &overrides).context("while loading the configuration")?;
    if args.check_config {
        println!("configuration ok");
        return Ok(());
    }
    if let Some(instant) = &args.now {
        let at = ticketd::ticket::parse_date(instant).context("--now")?;
        ticketd::server::clock::freeze(at);
        tracing::warn!(now = %at, "the clock is frozen (--now); it moves only with tkt admin clock set");
    }
    let runtime = tokio::runtime::Runtime::new().context("while starting the async runtime")?;
    let result = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            signals.cancel();
        });
        ticketd::server::run(config, shutdown)
            .await
            .context("while running the daemon")
    });
    // the shutdown is bounded by its grace period: what is still running then (a read
    // in the blocking pool) is not waited for
    runtime.shutdown_background();
    result
}

/// SIGTERM (service managers) or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_argument_has_a_help_line() {
        assert_eq!(ticketd::cli::unexplained(&super::Args::command()), Vec::<String>::new());
    }
}
