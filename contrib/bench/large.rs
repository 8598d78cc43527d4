//! Large messages while small ones keep flowing (`--large 8M --large 40M`).
//!
//! Small messages go in through real mailgate processes, C at a time, for as long as the
//! large ones take. After a warm-up the large messages are delivered one after another,
//! each by its own mailgate. The queue has an AdminCc, so every ticket, large ones
//! included, also sends a notification that quotes the message: composing that
//! notification is what used to take minutes for a large text. Printed: how long each large
//! message took to be stored (mailgate spawn to exit 0), and the latency of the small
//! deliveries that overlapped a large one, against all small deliveries.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::{Args, Binaries, Cpu, Daemon, cpus, generate_message, pipe_through};

/// Small deliveries before the first large message, so the flow is steady when it comes.
const WARM_UP: Duration = Duration::from_secs(2);
/// The pause between two large messages and after the last one.
const BETWEEN: Duration = Duration::from_secs(1);

/// `8M`, `40M`, `512K` or plain bytes: a size in bytes (K and M are binary).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1024),
        Some((i, 'M' | 'm')) => (&text[..i], 1024 * 1024),
        _ => (text, 1),
    };
    digits
        .parse::<usize>()
        .map(|n| n * unit)
        .map_err(|_| format!("`{text}` is not a size: write bytes, or a number with K or M (8M)"))
}

/// A plain-text message of about `size` bytes: a pasted log, the worst case, since all of
/// it is text that is stored, indexed and quoted.
fn generate_large(n: usize, size: usize) -> Vec<u8> {
    let mut message = format!(
        "From: Big Sender <big@example.net>\n\
         To: help@bench.test\n\
         Subject: Large log {n} ({size} bytes)\n\
         Date: Fri, 27 Nov 2026 11:00:{n:02} +0000\n\
         Message-ID: <bench.large.{n}.{pid}@example.net>\n\
         MIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\
         Content-Transfer-Encoding: 8bit\n\
         \n\
         The whole log is below.\n\n",
        pid = std::process::id(),
    )
    .into_bytes();
    let mut line = 0usize;
    while message.len() < size {
        message.extend_from_slice(
            format!(
                "2026-11-27T10:{:02}:{:02} worker[{line}]: request served in {} ms\n",
                line / 60 % 60,
                line % 60,
                line % 997
            )
            .as_bytes(),
        );
        line += 1;
    }
    message
}

/// One delivery: when it started (from the start of the flow), how long it took, and
/// mailgate's exit code.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    start: Duration,
    took: Duration,
    code: Option<i32>,
}

impl Delivery {
    fn end(&self) -> Duration {
        self.start + self.took
    }

    fn overlaps(&self, other: &Delivery) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

/// Nearest-rank percentile of `values` (sorted) in milliseconds.
fn percentile(values: &[Duration], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1].as_secs_f64() * 1000.0
}

/// Runs the large-message measurement `args.runs` times; false when anything failed.
pub fn run(args: &Args, bins: &Binaries, sizes: &[usize]) -> Result<bool> {
    let mut all_ok = true;
    for run in 1..=args.runs {
        println!(
            "\nrun {run}/{}: large messages {} while small ones flow, concurrency {}",
            args.runs,
            sizes
                .iter()
                .map(|s| format!("{:.1} MiB", *s as f64 / 1048576.0))
                .collect::<Vec<_>>()
                .join(", "),
            args.concurrency
        );
        all_ok &= measure(args, bins, sizes)?;
    }
    Ok(all_ok)
}

/// One run: a fresh daemon, the flow, the large messages; then every message is counted.
fn measure(args: &Args, bins: &Binaries, sizes: &[usize]) -> Result<bool> {
    let large: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(n, s)| generate_large(n, *s)).collect();
    let mut daemon = Daemon::start(bins, args)?;
    let url = format!("unix:{}", daemon.socket.display());
    let timeout = args.large_timeout.to_string();
    let mailgate = || {
        let mut command = Command::new(&bins.mailgate);
        for name in ["EXTENSION", "SENDER", "TICKETD_URL", "TICKETD_TOKEN"] {
            command.env_remove(name);
        }
        command.args(["--url", &url, "--queue", "general", "--timeout", &timeout]);
        command
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  load        {} (1, 5, 15 min) before the run",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let before = Cpu::now(daemon.pid());
    let started = Instant::now();
    let (small, big) = flow(&mailgate, &large, args.concurrency, started)?;
    let elapsed = started.elapsed();
    let cpu = Cpu::since(before, daemon.pid());
    let exit = daemon.stop()?;
    let tickets = count_tickets(&daemon.data_dir)?;
    let small_ok = small.iter().filter(|d| d.code == Some(0)).count();
    let big_ok = big.iter().filter(|d| d.code == Some(0)).count();

    let mut ok = exit == Some(0) && small_ok == small.len() && big_ok == big.len();
    for (size, delivery) in sizes.iter().zip(&big) {
        let overlapping: Vec<Duration> = sorted(small.iter().filter(|s| s.overlaps(delivery)));
        println!(
            "  large       {:.1} MiB stored in {:.2} s (mailgate exit {:?}); {} small deliveries meanwhile: \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            *size as f64 / 1048576.0,
            delivery.took.as_secs_f64(),
            delivery.code,
            overlapping.len(),
            percentile(&overlapping, 50.0),
            percentile(&overlapping, 99.0),
            overlapping.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        );
    }
    let during: Vec<Duration> = sorted(small.iter().filter(|s| big.iter().any(|b| s.overlaps(b))));
    let all: Vec<Duration> = sorted(small.iter());
    println!(
        "  small       {} delivered in {:.1} s ({:.0}/s), {} failed; all: p50 {:.1} ms, p99 {:.1} ms; \
         the {} overlapping a large one: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        small.len(),
        elapsed.as_secs_f64(),
        small.len() as f64 / elapsed.as_secs_f64(),
        small.len() - small_ok,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        during.len(),
        percentile(&during, 50.0),
        percentile(&during, 99.0),
        during.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
    );
    if let Some(cpu) = cpu {
        let seconds = elapsed.as_secs_f64();
        println!(
            "  machine     {:.0}% of {} CPUs busy; ticketd {:.1} CPU-s; other processes {:.2} CPUs, steal {:.2} CPUs",
            100.0 * cpu.machine_busy / (seconds * cpus() as f64),
            cpus(),
            cpu.daemon,
            cpu.others() / seconds,
            cpu.steal / seconds
        );
    }
    let expected = (small_ok + big_ok) as i64;
    println!("  database    {tickets} tickets (expected {expected})");
    ok &= tickets == expected;
    match exit {
        Some(0) => println!("  shutdown    ticketd exited 0 on SIGTERM"),
        other => println!("  shutdown    FAILED: ticketd exited with {other:?} on SIGTERM"),
    }
    if args.keep || !ok {
        println!("  kept        {}", daemon.keep().display());
    }
    Ok(ok)
}

fn sorted<'a>(deliveries: impl Iterator<Item = &'a Delivery>) -> Vec<Duration> {
    let mut took: Vec<Duration> = deliveries.map(|d| d.took).collect();
    took.sort();
    took
}

/// Small messages from `concurrency` senders until the large ones, sent one after another
/// after a warm-up, are all in; then a pause more.
fn flow(
    mailgate: &(impl Fn() -> Command + Sync),
    large: &[Vec<u8>],
    concurrency: usize,
    t0: Instant,
) -> Result<(Vec<Delivery>, Vec<Delivery>)> {
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let small = Mutex::new(Vec::new());
    let timed = |message: &[u8]| -> Result<Delivery> {
        let start = t0.elapsed();
        let (code, stderr) = pipe_through(mailgate(), message)?;
        if code != Some(0) {
            println!(
                "  FAILED      mailgate exited {code:?}: {}",
                stderr.lines().next().unwrap_or_default()
            );
        }
        Ok(Delivery {
            start,
            took: t0.elapsed() - start,
            code,
        })
    };
    let big = std::thread::scope(|scope| -> Result<Vec<Delivery>> {
        let senders: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    let mut mine = Vec::new();
                    while !done.load(Ordering::Relaxed) {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        mine.push(timed(&generate_message(n))?);
                    }
                    small.lock().unwrap().extend(mine);
                    Ok(())
                })
            })
            .collect();
        let big = (|| -> Result<Vec<Delivery>> {
            std::thread::sleep(WARM_UP);
            let mut big = Vec::new();
            for message in large {
                big.push(timed(message)?);
                std::thread::sleep(BETWEEN);
            }
            Ok(big)
        })();
        done.store(true, Ordering::Relaxed);
        for sender in senders {
            sender.join().expect("a sender thread panicked")?;
        }
        big
    })?;
    Ok((small.into_inner().unwrap(), big))
}

fn count_tickets(data_dir: &Path) -> Result<i64> {
    let database = data_dir.join("ticketd.sqlite3");
    let db = rusqlite::Connection::open_with_flags(&database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let tickets = db.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?;
    if tickets == 0 {
        bail!("no tickets in {}", database.display());
    }
    Ok(tickets)
}
