//! Several daemons on one PostgreSQL database (issue 18): the SIGKILL drill. Runs in the
//! suite's PostgreSQL run (tests/tools/postgres-suite); on SQLite, which has one daemon per
//! file, it says SKIPPED.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::*;

const SENDERS: usize = 8;
const MESSAGES: usize = 400;
const KILLS: usize = 4;

/// A job due every minute that does nothing (no service levels): both daemons race for
/// each of its slots.
const EVERY_MINUTE: &str = "\n[[jobs]]\nname = \"drill\"\ntask = \"slas\"\nschedule = \"* * * * *\"\n";

/// The MTA's view of two mail hosts: 8 senders deliver 400 messages, each to one of two
/// daemons on one database (retrying on 75), while each daemon is killed with SIGKILL
/// twice. Afterwards every message is stored once, every autoreply is on record as sent
/// once and reached the transport (the two daemons' outgoing directories together), and
/// every slot of a job both daemons run ran once. The one thing a kill may cause: the
/// message its daemon was handing over when it died (written, not yet on record) goes
/// once more, with the same Message-ID; so the transport saw at most one extra message
/// per kill.
#[test]
fn two_daemons_killed_twice_each_store_every_message_once_and_send_every_notification_once() {
    if postgres_server().is_none() {
        eprintln!("SKIPPED: several daemons share a PostgreSQL database (tests/tools/postgres-suite runs this)");
        return;
    }
    let setup = Setup {
        // every message gets its autoreply, so the kills meet the senders at work
        mail: vec![format!("autoreply_limit_per_hour = {MESSAGES}")],
        queues: Some(format!("{DEFAULT_QUEUES}{EVERY_MINUTE}")),
        ..Setup::default()
    };
    let mut a = Daemon::start_with(setup.clone());
    let mut b = Daemon::start_with(Setup {
        database_url: a.database_url.clone(),
        ..setup
    });
    let urls = [a.url(), b.url()];
    let tempfails = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..SENDERS)
        .map(|w| {
            let urls = urls.clone();
            let tempfails = tempfails.clone();
            let delivered = delivered.clone();
            std::thread::spawn(move || {
                for n in (w..MESSAGES).step_by(SENDERS) {
                    // each message to one host, and a few to both (the MTAs of two MX
                    // hosts that both got it)
                    let hosts: &[usize] = if n % 25 == 0 { &[0, 1] } else if n % 2 == 0 { &[0] } else { &[1] };
                    let message = format!(
                        "From: sender{w}@example.net\nSubject: drill {n}\nMessage-ID: <drill.{n}@example.net>\n\nmessage {n}\n"
                    );
                    for &host in hosts {
                        deliver_as_mta(&urls[host], message.as_bytes(), &tempfails);
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for round in 1..=KILLS {
        wait_until(|| delivered.load(Ordering::Relaxed) >= round * MESSAGES / 5);
        let victim = if round % 2 == 1 { &mut a } else { &mut b };
        victim.kill();
        let before = tempfails.load(Ordering::Relaxed);
        wait_until(|| tempfails.load(Ordering::Relaxed) > before);
        victim.launch();
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(tempfails.load(Ordering::Relaxed) >= 4, "the kills were noticed");

    // every message stored once, whichever daemon took it, however often
    assert_eq!(a.count("SELECT COUNT(*) FROM tickets"), MESSAGES as i64);
    assert_eq!(a.count("SELECT COUNT(DISTINCT subject) FROM tickets"), MESSAGES as i64);
    assert_eq!(a.count("SELECT COUNT(*) FROM raw_messages"), MESSAGES as i64);
    assert_eq!(a.count("SELECT COUNT(*) FROM quarantine"), 0);

    // every autoreply sent once: the outbox says so, and so do the two directories
    wait_until(|| a.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        MESSAGES as i64
    );
    let sent = |d: &Daemon| -> Vec<String> {
        std::fs::read_dir(&d.outgoing)
            .map(|dir| {
                dir.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .filter(|name| name.ends_with(".eml"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (by_a, by_b) = (sent(&a), sent(&b));
    let mut all: Vec<&String> = by_a.iter().chain(&by_b).collect();
    all.sort();
    all.dedup();
    assert_eq!(
        all.len(),
        MESSAGES,
        "{} by one, {} by the other",
        by_a.len(),
        by_b.len()
    );
    let twice: Vec<_> = by_a.iter().filter(|m| by_b.contains(m)).collect();
    // the transport's count, from the daemons' own words (their logs outlive the kills)
    let handed_over = [&a, &b]
        .iter()
        .map(|d| d.log().lines().filter(|l| l.contains(" sent outbox=")).count())
        .sum::<usize>();
    assert!(
        (MESSAGES..=MESSAGES + KILLS).contains(&handed_over) && twice.len() <= KILLS,
        "{handed_over} messages handed to the transport for {MESSAGES} autoreplies; sent by both daemons: {twice:?}"
    );
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "both daemons sent: {} and {}",
        by_a.len(),
        by_b.len()
    );

    // a slot of the job both run: once, and never a failed run for a slot already taken
    wait_until_long(|| a.count("SELECT COUNT(*) FROM job_runs WHERE job = 'drill'") > 0);
    assert_eq!(
        a.count(
            "SELECT COUNT(*) FROM (SELECT slot FROM job_runs WHERE job = 'drill' AND outcome = 'ok' \
             GROUP BY slot HAVING COUNT(*) > 1) AS twice"
        ),
        0
    );
    assert_eq!(
        a.count("SELECT COUNT(*) FROM job_runs WHERE job = 'drill' AND outcome = 'failed'"),
        0
    );
}

fn wait_until(condition: impl Fn() -> bool) {
    wait_for(Duration::from_secs(120), Duration::from_millis(5), condition);
}

/// Long enough for a minute's slot to come.
fn wait_until_long(condition: impl Fn() -> bool) {
    wait_for(Duration::from_secs(75), Duration::from_millis(200), condition);
}

/// Daemons sharing a database must agree on the queues and custom fields their configs
/// write there: one with other queues is refused while another runs (and told what
/// differs); once no daemon runs, a changed config is the admin's latest word and wins,
/// and then the old one is refused.
#[test]
fn a_daemon_with_other_queues_is_refused_while_another_runs_on_the_database() {
    if postgres_server().is_none() {
        eprintln!("SKIPPED: several daemons share a PostgreSQL database (tests/tools/postgres-suite runs this)");
        return;
    }
    let mut first = Daemon::start();
    let url = first.database_url.clone().unwrap();
    let mut second = Daemon::start_with(Setup {
        database_url: Some(url.clone()),
        ..Setup::default()
    });
    second.deliver("network", &mail("zoe@example.net", "Through the second", "x", &[]));
    assert_eq!(first.search("Queue = 'network'").len(), 1);

    second.stop();
    let changed = std::fs::read_to_string(&second.config)
        .unwrap()
        .replace("noc@tickets.test", "network@tickets.test");
    std::fs::write(&second.config, changed).unwrap();
    let refused = refused_start(&second.config, Some(&url));
    assert!(
        refused.contains("differ from those of the 1 daemon(s) running"),
        "{refused}"
    );
    assert!(
        refused.contains("they have queue network: address noc@tickets.test"),
        "{refused}"
    );
    assert!(
        refused.contains("this has queue network: address network@tickets.test"),
        "{refused}"
    );

    first.stop();
    second.launch();
    assert_eq!(
        second.count("SELECT count(*) FROM queues WHERE address = 'network@tickets.test'"),
        1
    );
    let refused = refused_start(&first.config, Some(&url));
    assert!(
        refused.contains("this has queue network: address noc@tickets.test"),
        "{refused}"
    );
}

/// A job slot claimed by a daemon that died mid-run is run by a survivor: it does not
/// move past a slot another daemon holds, and takes it once the dead daemon's claim is
/// released (its instance lock is gone, so within 15 s).
#[test]
fn a_survivor_runs_the_job_slot_a_dead_daemon_held() {
    if postgres_server().is_none() {
        eprintln!("SKIPPED: several daemons share a PostgreSQL database (tests/tools/postgres-suite runs this)");
        return;
    }
    let d = Daemon::start_with(Setup {
        queues: Some(format!("{DEFAULT_QUEUES}{EVERY_MINUTE}")),
        now: Some("2026-12-01T10:00:30Z".into()),
        ..Setup::default()
    });
    // a daemon ("ghost") claimed the 10:01 slot and was killed: nobody holds its lock
    d.execute(
        "INSERT INTO job_claims (job, slot, owner, until) \
         VALUES ('drill', '2026-12-01T10:01:00Z', 'ghost', '2026-12-01T10:30:00Z')",
    );
    let ran = |d: &Daemon| {
        d.count(
            "SELECT count(*) FROM job_runs WHERE job = 'drill' AND slot = '2026-12-01T10:01:00Z' AND outcome = 'ok'",
        )
    };
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T10:01:10Z"]);
    assert_eq!(ran(&d), 0, "the ghost's claim was still there");
    wait_for(Duration::from_secs(40), Duration::from_millis(200), || {
        d.count("SELECT count(*) FROM job_claims WHERE owner = 'ghost'") == 0
    });
    let runs = d.tkt_ok(&["admin", "clock", "set", "2026-12-01T10:01:20Z"]);
    assert_eq!(ran(&d), 1, "{runs}");
    assert!(runs.contains("drill"), "{runs}");
}
