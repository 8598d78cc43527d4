//! The ingest benchmark: N generated messages through real `mailgate` processes into a real
//! `ticketd`, C senders at a time, as an MTA would deliver them.
//!
//! ```text
//! cargo bench --bench ingest -- --messages 2000 --concurrency 8
//! ```
//!
//! `cargo bench` builds `ticketd` and `mailgate` in the bench profile (= release) together
//! with this target and passes their paths in `CARGO_BIN_EXE_*`; `--bin-dir` runs other
//! builds. Every run gets a fresh data directory and daemon. It prints messages per second,
//! the latency of each mailgate process (spawn to exit) and, as a baseline, the same number
//! of `/bin/true` processes spawned the same way, so the share of bare process start-up is
//! visible. Afterwards it stops the daemon with SIGTERM and counts the tickets in the
//! database: every message must have become a ticket. See docs/BENCHMARKS.md.
//!
//! With `--database-url URL` the daemons run on PostgreSQL: each run creates a fresh
//! database on that server and drops it afterwards; `--daemons N` starts N daemons on it,
//! each with its own data directory and socket, and the senders are spread over them.
//!
//! With `--large 8M --large 40M` it measures something else: large messages delivered
//! while small ones keep flowing (see `large`).

mod large;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use ticketd::store::{Location, Reader, sql};

/// The bench's command line (after `cargo bench --bench ingest --`).
#[derive(Debug, Parser)]
#[command(
    name = "ingest",
    bin_name = "cargo bench --bench ingest --",
    about = "Pipes generated messages through real mailgate processes into a real ticketd."
)]
struct Args {
    /// How many messages (each a new ticket) [default: 2000 under `cargo bench`; a smoke
    /// run of 50 otherwise, e.g. under `cargo test --benches`].
    #[arg(long, short = 'n')]
    messages: Option<usize>,
    /// How many senders run mailgate at the same time.
    #[arg(long, short = 'c', default_value_t = 8)]
    concurrency: usize,
    /// Repeat the whole measurement, each time with a fresh daemon and database.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// The directory holding `ticketd` and `mailgate` [default: the ones cargo built with
    /// this bench, e.g. target/release].
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Where the temporary data directory goes; it must be on the disk you want to measure,
    /// since every commit is an fsync [default: $TMPDIR or /tmp].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The daemon's `mail.outbound`: every new ticket sends an autoreply through it
    /// [default: file:<temp dir>/outgoing].
    #[arg(long)]
    outbound: Option<String>,
    /// TICKETD_LOG for the daemon; the writer's per-commit debug line is always added.
    #[arg(long, default_value = "info")]
    log: String,
    /// Keep the data directory and the daemon's log (the path is printed).
    #[arg(long)]
    keep: bool,
    /// Skip the `/bin/true` baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Instead of N messages: deliver a plain-text message of this size (8M, 40M, 512K)
    /// while small messages flow, C senders at a time, until it is stored; repeat for more
    /// sizes, one after another. The queue gets an AdminCc, so each message is also quoted
    /// in a notification.
    #[arg(long, value_parser = large::parse_size)]
    large: Vec<usize>,
    /// How long mailgate waits for a large message to be stored (`--timeout`).
    #[arg(long, default_value_t = 600)]
    large_timeout: u64,
    /// Run the daemons on PostgreSQL, on the server this URL reaches (`host=... port=...
    /// user=...` or `postgres://...`; its dbname, if any, is not used). Each run creates a
    /// database of its own there (`ticketd_bench_ingest_<pid>_<run>`, C collation, made
    /// through the server's `postgres` database) and drops it afterwards unless `--keep`.
    /// The user must be allowed to create databases.
    #[arg(long)]
    database_url: Option<String>,
    /// How many daemons share the database (more than one: PostgreSQL only). Each has its
    /// own data directory, socket and log; sender i delivers to daemon i mod N.
    #[arg(long, default_value_t = 1)]
    daemons: usize,
    /// Passed by `cargo bench` (not by `cargo test`) to every `harness = false` target.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Args {
    /// The number of messages to send.
    fn messages(&self) -> usize {
        self.messages.unwrap_or(if self.bench { 2000 } else { 50 })
    }
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("ingest bench: {e:#}");
            std::process::exit(2);
        }
    }
}

/// Runs every measurement; `Ok(false)` when any of them saw a failure.
fn run(args: &Args) -> Result<bool> {
    if args.messages() == 0 || args.concurrency == 0 || args.runs == 0 || args.daemons == 0 {
        bail!("--messages, --concurrency, --runs and --daemons must be at least 1");
    }
    if args.daemons > 1 && args.database_url.is_none() {
        bail!("several daemons need a shared database: give --database-url (SQLite is one daemon's)");
    }
    if !args.large.is_empty() && (args.database_url.is_some() || args.daemons > 1) {
        bail!("--large measures one daemon on SQLite; leave out --database-url and --daemons");
    }
    let bins = Binaries::find(args.bin_dir.as_deref())?;
    clock_ticks(); // runs getconf now rather than inside a measurement
    println!("ticketd   {}", bins.ticketd.display());
    println!("mailgate  {}", bins.mailgate.display());
    if bins.mailgate.components().any(|c| c.as_os_str() == "debug") {
        println!("warning: these look like debug builds; the numbers will not be representative");
    }
    println!("machine   {} CPUs, {}", cpus(), kernel());
    if !args.large.is_empty() {
        return large::run(args, &bins, &args.large);
    }
    let work_dir = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    println!("data in   {} (a fresh temporary directory per run)", work_dir.display());
    match &args.database_url {
        None => println!("database  SQLite, ticketd.sqlite3 in the data directory"),
        Some(url) => {
            let server = PgServer::connect(url)?;
            let described = ticketd::store::describe_database_url(&with_dbname(url, "postgres"));
            println!(
                "database  PostgreSQL {} on {}, a fresh database per run; server CPU {}",
                server.version,
                described.rsplit(" on ").next().unwrap_or_default(),
                match server.pid {
                    Some(pid) => format!("measured (postmaster pid {pid})"),
                    None => "not measured (not on this machine, or its data directory is not readable)".into(),
                }
            )
        }
    }
    println!(
        "daemons   {}{}",
        args.daemons,
        if args.daemons > 1 {
            ", sender i to daemon i mod N"
        } else {
            ""
        }
    );
    println!(
        "outbound  {}",
        args.outbound
            .as_deref()
            .unwrap_or("file:<temporary directory>/outgoing")
    );
    if args.messages.is_none() && !args.bench {
        println!(
            "smoke run: not under `cargo bench`, so {} messages unless --messages says otherwise",
            args.messages()
        );
    }
    let messages: Vec<Vec<u8>> = (0..args.messages()).map(generate_message).collect();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    println!(
        "messages  {} generated, {:.1} KiB on average",
        messages.len(),
        bytes as f64 / messages.len() as f64 / 1024.0
    );

    let mut reports = Vec::new();
    let mut all_ok = true;
    for run in 1..=args.runs {
        println!(
            "\nrun {run}/{}: {} messages, concurrency {}",
            args.runs,
            args.messages(),
            args.concurrency
        );
        let report = measure(args, &bins, &messages, run)?;
        report.print();
        all_ok &= report.ok();
        reports.push(report);
    }
    summary(args, &reports);
    if !all_ok {
        println!("\nFAILED: see the failures above");
    }
    Ok(all_ok)
}

/// The programs under test.
struct Binaries {
    ticketd: PathBuf,
    mailgate: PathBuf,
}

impl Binaries {
    fn find(bin_dir: Option<&Path>) -> Result<Binaries> {
        let (ticketd, mailgate) = match bin_dir {
            Some(dir) => (dir.join("ticketd"), dir.join("mailgate")),
            // cargo builds every bin target of the package for a bench, in the same profile
            None => (
                PathBuf::from(env!("CARGO_BIN_EXE_ticketd")),
                PathBuf::from(env!("CARGO_BIN_EXE_mailgate")),
            ),
        };
        for path in [&ticketd, &mailgate] {
            if !path.is_file() {
                bail!(
                    "{} is missing: run `cargo build --release` first, or `cargo bench --bench ingest`, \
                     or point --bin-dir at a directory with ticketd and mailgate",
                    path.display()
                );
            }
        }
        Ok(Binaries { ticketd, mailgate })
    }
}

/// What one run measured.
struct Report {
    ingest: Drive,
    baseline: Option<Drive>,
    /// CPU used during the baseline, if /proc tells.
    baseline_cpu: Option<Cpu>,
    /// CPU used while the messages went in, if /proc tells.
    ingest_cpu: Option<Cpu>,
    tickets: i64,
    outbox: i64,
    database_bytes: u64,
    batches: Vec<usize>,
    /// Each daemon's exit code on SIGTERM.
    daemon_exits: Vec<Option<i32>>,
    expected: usize,
    kept: Vec<PathBuf>,
}

/// The outcome of running one command per message, `concurrency` at a time.
struct Drive {
    elapsed: Duration,
    /// Per process, spawn to exit, sorted.
    latencies: Vec<Duration>,
    /// (message number, exit code, first line of stderr) of every process that did not exit 0.
    failures: Vec<(usize, Option<i32>, String)>,
}

impl Drive {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[index].as_secs_f64() * 1000.0
    }

    fn max(&self) -> f64 {
        self.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

impl Report {
    fn ok(&self) -> bool {
        self.ingest.failures.is_empty()
            && self.tickets == self.expected as i64
            && self.daemon_exits.iter().all(|e| *e == Some(0))
    }

    fn print(&self) {
        let i = &self.ingest;
        println!(
            "  ingest      {} messages in {:.3} s = {:.1} messages/s, {} failed",
            i.latencies.len(),
            i.elapsed.as_secs_f64(),
            i.rate(),
            i.failures.len()
        );
        println!(
            "  mailgate    p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            i.percentile(50.0),
            i.percentile(90.0),
            i.percentile(99.0),
            i.max()
        );
        if let Some(b) = &self.baseline {
            println!(
                "  /bin/true   {} spawns in {:.3} s = {:.1} /s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                b.latencies.len(),
                b.elapsed.as_secs_f64(),
                b.rate(),
                b.percentile(50.0),
                b.percentile(99.0),
                b.max()
            );
            println!(
                "  ratio       ingest takes {:.1}x the wall time of bare spawns ({:.0}% of it is spawning)",
                i.elapsed.as_secs_f64() / b.elapsed.as_secs_f64(),
                100.0 * b.elapsed.as_secs_f64() / i.elapsed.as_secs_f64()
            );
        }
        let per_message = 1000.0 / i.latencies.len().max(1) as f64;
        if let Some(cpu) = &self.ingest_cpu {
            println!(
                "  cpu         per message: mailgate {:.2} ms, ticketd {:.2} ms{}, this bench {:.2} ms{}",
                cpu.children * per_message,
                cpu.daemon * per_message,
                cpu.database.map_or(String::new(), |d| format!(
                    ", PostgreSQL server {:.2} ms",
                    d * per_message
                )),
                cpu.bench * per_message,
                self.baseline_cpu.as_ref().map_or(String::new(), |b| format!(
                    "; /bin/true {:.2} ms per spawn",
                    b.children * per_message
                ))
            );
            let capacity = i.elapsed.as_secs_f64() * cpus() as f64;
            println!(
                "  machine     {:.0}% of {} CPUs busy during the ingest; \
                 other processes {:.2} CPU-s, steal {:.2} CPU-s",
                100.0 * cpu.machine_busy / capacity,
                cpus(),
                cpu.others(),
                cpu.steal
            );
        }
        if !self.batches.is_empty() {
            let commits = self.batches.len();
            let requests: usize = self.batches.iter().sum();
            println!(
                "  commits     {commits} ({:.1} commits/s), {:.2} requests per commit on average, at most {}",
                commits as f64 / i.elapsed.as_secs_f64(),
                requests as f64 / commits as f64,
                self.batches.iter().max().copied().unwrap_or_default()
            );
        }
        println!(
            "  database    {} tickets (expected {}), {} outbox rows, {:.1} MiB ({:.1} KiB per ticket)",
            self.tickets,
            self.expected,
            self.outbox,
            self.database_bytes as f64 / (1024.0 * 1024.0),
            self.database_bytes as f64 / 1024.0 / self.tickets.max(1) as f64
        );
        for (n, exit) in self.daemon_exits.iter().enumerate() {
            let which = if self.daemon_exits.len() > 1 {
                format!(" {}", n + 1)
            } else {
                String::new()
            };
            match exit {
                Some(0) => println!("  shutdown    ticketd{which} exited 0 on SIGTERM"),
                other => println!("  shutdown    FAILED: ticketd{which} exited with {other:?} on SIGTERM"),
            }
        }
        for (n, code, line) in i.failures.iter().take(10) {
            println!("  FAILED      message {n}: mailgate exited {code:?}: {line}");
        }
        if i.failures.len() > 10 {
            println!("  FAILED      ... and {} more", i.failures.len() - 10);
        }
        for kept in &self.kept {
            println!("  kept        {}", kept.display());
        }
    }
}

/// One run: the baseline, then fresh daemons (and on PostgreSQL a fresh database) fed
/// every message.
fn measure(args: &Args, bins: &Binaries, messages: &[Vec<u8>], run: usize) -> Result<Report> {
    let (baseline, baseline_cpu) = if args.no_baseline {
        (None, None)
    } else {
        let before = Cpu::now(None);
        let baseline = drive(messages, args.concurrency, |_| Command::new("/bin/true"))?;
        (Some(baseline), Cpu::since(before, None))
    };

    let database = match &args.database_url {
        Some(url) => Some(PgServer::connect(url)?.create_database(run)?),
        None => None,
    };
    let mut daemons = Vec::with_capacity(args.daemons);
    for _ in 0..args.daemons {
        // one after another: each has created or found the schema before the next starts
        daemons.push(Daemon::start_on(bins, args, database.as_ref().map(|d| d.url.as_str()))?);
    }
    let pids: Vec<u32> = daemons.iter().filter_map(Daemon::pid).collect();
    let server = database.as_ref().and_then(|d| d.server_pid);
    let urls: Vec<String> = daemons.iter().map(|d| format!("unix:{}", d.socket.display())).collect();
    let before = Cpu::now_of(&pids, server);
    let ingest = drive(messages, args.concurrency, |sender| {
        let mut command = Command::new(&bins.mailgate);
        for name in ["EXTENSION", "SENDER", "TICKETD_URL", "TICKETD_TOKEN"] {
            command.env_remove(name);
        }
        command.args(["--url", &urls[sender % urls.len()], "--queue", "general"]);
        command
    })?;
    let ingest_cpu = Cpu::since_of(before, &pids, server);
    let daemon_exits = daemons.iter_mut().map(Daemon::stop).collect::<Result<Vec<_>>>()?;

    let location = match &database {
        Some(db) => Location::Postgres(db.url.clone()),
        None => Location::Sqlite(daemons[0].data_dir.clone()),
    };
    let reader = Reader::open(&location).with_context(|| format!("opening {location:?}"))?;
    let count = |query: &str| -> Result<i64> {
        sql::one(reader.conn(), query, [], |r| r.get(0)).with_context(|| query.to_string())
    };
    let tickets = count("SELECT count(*) FROM tickets")?;
    let outbox = count("SELECT count(*) FROM outbox")?;
    let database_bytes = match &location {
        // the whole database, catalogs and indexes included (its WAL is the server's)
        Location::Postgres(_) => count("SELECT pg_database_size(current_database())")? as u64,
        Location::Sqlite(dir) => {
            let file = dir.join(ticketd::store::DATABASE_FILE);
            ["", "-wal", "-shm"]
                .iter()
                .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", file.display())).ok())
                .map(|m| m.len())
                .sum()
        }
    };
    drop(reader);
    let batches = daemons.iter().flat_map(|d| batch_sizes(&d.log())).collect();
    let failed = daemon_exits.iter().any(|e| *e != Some(0)) || tickets != messages.len() as i64;
    let mut kept = Vec::new();
    if args.keep || failed {
        kept.extend(daemons.iter_mut().map(Daemon::keep));
    }
    if let Some(db) = database {
        if args.keep || failed {
            kept.push(PathBuf::from(format!("PostgreSQL database {}", db.name)));
        } else {
            db.drop_database()?;
        }
    }
    Ok(Report {
        ingest,
        baseline,
        baseline_cpu,
        ingest_cpu,
        tickets,
        outbox,
        database_bytes,
        batches,
        daemon_exits,
        expected: messages.len(),
        kept,
    })
}

/// The PostgreSQL server the daemons run on, reached through its `postgres` database.
struct PgServer {
    admin: postgres::Client,
    /// The URL as given: a run's database URL is made from it.
    url: String,
    version: String,
    /// The postmaster's pid, when the server runs on this machine and says where its data
    /// directory is: its CPU (and its children's, the backends) is then measured.
    pid: Option<u32>,
}

/// A database made for one run.
struct PgDatabase {
    admin: postgres::Client,
    name: String,
    url: String,
    server_pid: Option<u32>,
}

impl PgServer {
    fn connect(url: &str) -> Result<PgServer> {
        let admin_url = with_dbname(url, "postgres");
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .with_context(|| format!("connecting to {}", ticketd::store::describe_database_url(&admin_url)))?;
        let version: String = admin.query_one("SHOW server_version", &[])?.get(0);
        // superusers (and pg_read_all_settings) may read it; the pid file is the server's own
        let pid = admin
            .query_one("SHOW data_directory", &[])
            .ok()
            .map(|row| row.get::<_, String>(0))
            .and_then(|dir| std::fs::read_to_string(Path::new(&dir).join("postmaster.pid")).ok())
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .filter(|pid: &u32| Path::new(&format!("/proc/{pid}")).exists());
        Ok(PgServer {
            admin,
            url: url.to_string(),
            version,
            pid,
        })
    }

    /// A fresh, empty database for run `run` (an old one of the same name is dropped).
    fn create_database(mut self, run: usize) -> Result<PgDatabase> {
        let name = format!("ticketd_bench_ingest_{}_{run}", std::process::id());
        // one statement per call: several would make one transaction, which these refuse
        self.admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .with_context(|| format!("dropping an old database {name}"))?;
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
            ))
            .with_context(|| format!("creating the database {name}"))?;
        Ok(PgDatabase {
            url: with_dbname(&self.url, &name),
            admin: self.admin,
            name,
            server_pid: self.pid,
        })
    }
}

impl PgDatabase {
    fn drop_database(mut self) -> Result<()> {
        self.admin
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .with_context(|| format!("dropping the database {}", self.name))
    }
}

/// `url` with its database name replaced: libpq's `key=value` form (a later key wins) or
/// a `postgres://` URL (its path is the name).
fn with_dbname(url: &str, name: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (base, query) = rest.split_once('?').map_or((rest, None), |(b, q)| (b, Some(q)));
            let authority = base.split_once('/').map_or(base, |(a, _)| a);
            return format!(
                "{scheme}{authority}/{name}{}",
                query.map_or(String::new(), |q| format!("?{q}"))
            );
        }
    }
    format!("{url} dbname={name}")
}

/// Runs `command(sender)` once per message, the message on its stdin, `concurrency`
/// senders (numbered from 0) at a time, and times each process from spawn to exit.
fn drive(messages: &[Vec<u8>], concurrency: usize, command: impl Fn(usize) -> Command + Sync) -> Result<Drive> {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(messages.len()));
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..concurrency)
            .map(|sender| {
                let (next, latencies, failures, command) = (&next, &latencies, &failures, &command);
                scope.spawn(move || -> Result<()> {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(message) = messages.get(n) else { break };
                        let start = Instant::now();
                        let (code, stderr) = pipe_through(command(sender), message)?;
                        mine.push(start.elapsed());
                        if code != Some(0) {
                            let line = stderr.lines().next().unwrap_or_default().to_string();
                            failures.lock().unwrap().push((n, code, line));
                        }
                    }
                    latencies.lock().unwrap().extend(mine);
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a sender thread panicked")?;
        }
        Ok(())
    })?;
    let elapsed = started.elapsed();
    let mut latencies = latencies.into_inner().unwrap();
    latencies.sort();
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    Ok(Drive {
        elapsed,
        latencies,
        failures,
    })
}

/// Spawns `command` with `input` on stdin and waits for it: the exit code and stderr.
fn pipe_through(mut command: Command, input: &[u8]) -> Result<(Option<i32>, String)> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // A message fits in the pipe buffer, so this does not wait for the child to read it.
    // /bin/true exits without reading: a broken pipe is expected there, and for mailgate
    // its exit code tells.
    let _ = stdin.write_all(input);
    drop(stdin);
    let output = child.wait_with_output().context("waiting for a child process")?;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// A ticketd on a fresh data directory.
struct Daemon {
    child: Option<Child>,
    dir: Option<tempfile::TempDir>,
    socket: PathBuf,
    data_dir: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// A daemon on SQLite (in its data directory).
    fn start(bins: &Binaries, args: &Args) -> Result<Daemon> {
        Daemon::start_on(bins, args, None)
    }

    /// A daemon on the PostgreSQL database at `database_url`, or on SQLite without one.
    fn start_on(bins: &Binaries, args: &Args, database_url: Option<&str>) -> Result<Daemon> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("ticketd-bench");
        let dir = match &args.work_dir {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        }
        .context("creating the temporary directory")?;
        let socket = dir.path().join("ticketd.sock");
        let data_dir = dir.path().join("data");
        let outgoing = dir.path().join("outgoing");
        let config = dir.path().join("ticketd.toml");
        let log = dir.path().join("ticketd.log");
        // with large messages, staff are told of every ticket with the message quoted
        let admin_cc = if args.large.is_empty() {
            ""
        } else {
            "admin_cc = [\"staff@bench.test\"]\n"
        };
        let database = database_url.map_or(String::new(), |url| {
            format!("[database]\nurl = {}\n\n", toml_string(url))
        });
        let text = format!(
            "[server]\ndata_dir = {data}\nlisten = [{listen}]\n\n{database}\
             [mail]\ntag = \"bench.test\"\nfrom = \"tickets@bench.test\"\noutbound = {outbound}\n\n\
             [[queues]]\nname = \"general\"\naddress = \"help@bench.test\"\n\
             comment_address = \"help-comment@bench.test\"\n{admin_cc}",
            data = toml_string(&data_dir.display().to_string()),
            listen = toml_string(&format!("unix:{}", socket.display())),
            outbound = toml_string(
                &args
                    .outbound
                    .clone()
                    .unwrap_or_else(|| format!("file:{}", outgoing.display()))
            ),
        );
        std::fs::write(&config, text).context("writing the config")?;
        let log_file = std::fs::File::create(&log).context("creating the log file")?;
        let child = Command::new(&bins.ticketd)
            .arg("--config")
            .arg(&config)
            .env("TICKETD_LOG", format!("{},ticketd::server::writer=debug", args.log))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", bins.ticketd.display()))?;
        let mut daemon = Daemon {
            child: Some(child),
            dir: Some(dir),
            socket,
            data_dir,
            log,
        };
        daemon.wait_ready()?;
        Ok(daemon)
    }

    /// Waits until the socket accepts connections.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("ticketd exited with {status} before listening:\n{}", self.log());
            }
            if Instant::now() > deadline {
                bail!("ticketd did not listen within 30 s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGTERM, then waits: the exit code.
    fn stop(&mut self) -> Result<Option<i32>> {
        let Some(mut child) = self.child.take() else {
            bail!("ticketd is not running");
        };
        let kill = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .context("running kill")?;
        if !kill.success() {
            bail!("kill -TERM {} failed", child.id());
        }
        Ok(child.wait().context("waiting for ticketd")?.code())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Leaves the temporary directory behind; returns its path.
    fn keep(&mut self) -> PathBuf {
        self.dir.take().map(tempfile::TempDir::keep).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The sizes of the writer's batches, from its `batch committed size=N` debug lines.
fn batch_sizes(log: &str) -> Vec<usize> {
    log.lines()
        .filter(|line| line.contains("batch committed"))
        .filter_map(|line| line.split("size=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The median of the runs, and a Markdown table row per run for docs/BENCHMARKS.md.
fn summary(args: &Args, reports: &[Report]) {
    let median = |mut values: Vec<f64>| -> f64 {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let backend = match args.database_url {
        Some(_) => "PostgreSQL",
        None => "SQLite",
    };
    println!(
        "\n| database | daemons | N | C | run | messages/s | p50 ms | p90 ms | p99 ms | max ms | /bin/true spawns/s \
         | ingest time / spawn time | CPU ms/msg mailgate | ticketd | PostgreSQL | other load (CPUs) | steal (CPUs) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (run, r) in reports.iter().enumerate() {
        let i = &r.ingest;
        let (spawns, ratio) = match &r.baseline {
            Some(b) => (
                format!("{:.0}", b.rate()),
                format!("{:.1}x", i.elapsed.as_secs_f64() / b.elapsed.as_secs_f64()),
            ),
            None => ("-".into(), "-".into()),
        };
        let seconds = i.elapsed.as_secs_f64();
        let per_message = 1000.0 / i.latencies.len().max(1) as f64;
        let dash = || "-".to_string();
        let (others, steal, mailgate, daemon, database) = r.ingest_cpu.map_or_else(
            || (dash(), dash(), dash(), dash(), dash()),
            |cpu| {
                (
                    format!("{:.2}", cpu.others() / seconds),
                    format!("{:.2}", cpu.steal / seconds),
                    format!("{:.2}", cpu.children * per_message),
                    format!("{:.2}", cpu.daemon * per_message),
                    cpu.database.map_or_else(dash, |d| format!("{:.2}", d * per_message)),
                )
            },
        );
        println!(
            "| {backend} | {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {spawns} | {ratio} \
             | {mailgate} | {daemon} | {database} | {others} | {steal} |",
            args.daemons,
            args.messages(),
            args.concurrency,
            run + 1,
            i.rate(),
            i.percentile(50.0),
            i.percentile(90.0),
            i.percentile(99.0),
            i.max()
        );
    }
    if reports.len() > 1 {
        let of = |f: &dyn Fn(&Drive) -> f64| median(reports.iter().map(|r| f(&r.ingest)).collect());
        println!(
            "\nmedian of {} runs: {:.0} messages/s, p50 {:.1} ms, p99 {:.1} ms",
            reports.len(),
            of(&Drive::rate),
            of(&|d| d.percentile(50.0)),
            of(&|d| d.percentile(99.0))
        );
    }
}

/// A deterministic, unique, plausible support request of 1-3 KB, about 2 KB on average.
fn generate_message(n: usize) -> Vec<u8> {
    const WORDS: &str = "the printer on floor three is again not working and I have tried to restart it twice but \
         nothing changed since yesterday morning our team cannot access shared drive VPN connection \
         drops every few minutes when we open large files password reset link expired before could \
         use please help with this urgent invoice attached error message says timeout server laptop \
         screen flickers after update meeting room projector account locked out of email";
    const TOPICS: &[&str] = &[
        "Printer jammed",
        "VPN keeps disconnecting",
        "Password reset does not work",
        "Cannot open the shared drive",
        "Laptop screen flickers",
        "Invoice question",
        "Projector in room 4",
        "Account locked",
    ];
    // xorshift64*, seeded by the message number: the same messages every run
    let mut state = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut random = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let customer = n % 500;
    let target = 1024 + (random() % 2048) as usize;
    let mut body = String::with_capacity(target + 80);
    body.push_str("Hello,\n\n");
    let mut line = 0;
    while body.len() < target {
        let word = words[(random() % words.len() as u64) as usize];
        if line + word.len() > 72 {
            body.push('\n');
            line = 0;
            if random() % 6 == 0 {
                body.push('\n');
            }
        } else if line > 0 {
            body.push(' ');
            line += 1;
        }
        body.push_str(word);
        line += word.len();
    }
    body.push_str(&format!("\n\nThanks,\nCustomer {customer}\n"));
    let topic = TOPICS[n % TOPICS.len()];
    let minute = n / 60 % 60;
    let second = n % 60;
    format!(
        "Return-Path: <customer{customer}@example.net>\n\
         Received: from mail.example.net (mail.example.net [192.0.2.{host}])\n\
         \tby mx.bench.test (Postfix) with ESMTPS id {n:08X}\n\
         \tfor <help@bench.test>; Fri, 27 Nov 2026 10:{minute:02}:{second:02} +0000 (UTC)\n\
         From: Customer {customer} <customer{customer}@example.net>\n\
         To: help@bench.test\n\
         Subject: {topic} (request {n})\n\
         Date: Fri, 27 Nov 2026 10:{minute:02}:{second:02} +0000\n\
         Message-ID: <bench.{n}.{pid}@example.net>\n\
         MIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: 8bit\n\
         \n\
         {body}",
        host = n % 250 + 1,
        pid = std::process::id(),
    )
    .into_bytes()
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string())
}

/// CPU seconds (user + system) from /proc, or their growth over a phase.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    /// This process, every thread.
    bench: f64,
    /// Its waited-for children: the mailgate (or /bin/true) processes.
    children: f64,
    /// The daemons, every thread.
    daemon: f64,
    /// The PostgreSQL server: the postmaster, its live children (backends, WAL writer,
    /// checkpointer, ...) and the ones it has reaped.
    database: Option<f64>,
    /// The whole machine, not idle (steal not included).
    machine_busy: f64,
    /// Time the hypervisor gave to other guests while this one wanted to run.
    steal: f64,
}

impl Cpu {
    /// The counters now; `daemon` is the daemon's pid.
    fn now(daemon: Option<u32>) -> Option<Cpu> {
        Cpu::now_of(daemon.as_slice(), None)
    }

    /// What was used since `before`.
    fn since(before: Option<Cpu>, daemon: Option<u32>) -> Option<Cpu> {
        Cpu::since_of(before, daemon.as_slice(), None)
    }

    /// The counters now, of the daemons `daemons` and the PostgreSQL server whose
    /// postmaster is `server`.
    fn now_of(daemons: &[u32], server: Option<u32>) -> Option<Cpu> {
        let ticks = clock_ticks();
        let me = proc_stat("self")?;
        let mut daemon = 0.0;
        for pid in daemons {
            let fields = proc_stat(&pid.to_string())?;
            daemon += (fields.get(11)? + fields.get(12)?) as f64 / ticks;
        }
        // cpu  user nice system idle iowait irq softirq steal ...
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let machine: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let busy = machine.get(..7)?.iter().sum::<u64>() - machine[3] - machine[4];
        Some(Cpu {
            // stat(5): utime and stime are fields 14 and 15, cutime and cstime 16 and 17;
            // `me` starts at field 3
            bench: (me.get(11)? + me.get(12)?) as f64 / ticks,
            children: (me.get(13)? + me.get(14)?) as f64 / ticks,
            daemon,
            database: server.and_then(|pid| Some(server_ticks(pid)? as f64 / ticks)),
            machine_busy: busy as f64 / ticks,
            steal: *machine.get(7)? as f64 / ticks,
        })
    }

    /// What was used since `before`.
    fn since_of(before: Option<Cpu>, daemons: &[u32], server: Option<u32>) -> Option<Cpu> {
        let (before, after) = (before?, Cpu::now_of(daemons, server)?);
        Some(Cpu {
            bench: after.bench - before.bench,
            children: after.children - before.children,
            daemon: after.daemon - before.daemon,
            database: after.database.zip(before.database).map(|(a, b)| a - b),
            machine_busy: after.machine_busy - before.machine_busy,
            steal: after.steal - before.steal,
        })
    }

    /// CPU the machine spent on anything but the daemons, the database server, the
    /// children and this bench.
    fn others(&self) -> f64 {
        (self.machine_busy - self.bench - self.children - self.daemon - self.database.unwrap_or(0.0)).max(0.0)
    }
}

/// Clock ticks used by a server process and its children, live or reaped: the postmaster's
/// own and waited-for children's times, plus the times of each child still running.
fn server_ticks(postmaster: u32) -> Option<u64> {
    let own = proc_stat(&postmaster.to_string())?;
    let mut total = own.get(11)? + own.get(12)? + own.get(13)? + own.get(14)?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        // field 4 is the parent's pid
        if let Some(fields) = proc_stat(pid)
            && fields.get(1) == Some(&u64::from(postmaster))
        {
            total += fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0);
        }
    }
    Some(total)
}

/// Clock ticks per second of /proc times (`getconf CLK_TCK`, asked once).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The fields of /proc/PID/stat after the command name (which may hold spaces): field 3 on.
fn proc_stat(pid: &str) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = text.rsplit_once(')')?.1;
    // the state letter is not a number; keep the positions by mapping it to 0
    Some(rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}
