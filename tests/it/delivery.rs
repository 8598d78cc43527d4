//! What the MTA relies on: exit codes, nothing stored twice, nothing lost, quarantine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::*;

#[test]
fn the_same_message_delivered_twice_or_to_two_queues_gives_one_ticket() {
    let d = Daemon::start();
    let message = mail("zoe@example.net", "Printer", "It jams.", &[]);
    d.deliver("general", &message);
    d.deliver("general", &message);
    // the second queue alias gets the same message with other trace headers in front
    let mut other_alias = b"Delivered-To: noc@tickets.test\nX-Original-To: noc@tickets.test\n".to_vec();
    other_alias.extend(&message);
    d.deliver("network", &other_alias);
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(d.count("SELECT COUNT(*) FROM transactions"), 1);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 1);
    let reply = mail("zoe@example.net", "Re: [tickets.test #1] Printer", "Still.", &[]);
    d.deliver("general", &reply);
    d.deliver("general", &reply);
    assert_eq!(transactions_of(&d.show(1), "Correspond").len(), 1);
}

#[test]
fn a_message_without_message_id_is_recognised_by_its_content() {
    let d = Daemon::start();
    let message = b"From: zoe@example.net\nSubject: No id\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\nbody\n";
    d.deliver("general", message);
    let mut redelivered = b"Received: from mx2 by mx1; Fri, 27 Nov 2026 10:05:00 +0000\n".to_vec();
    redelivered.extend(message);
    d.deliver("general", &redelivered);
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    // other content is another message, even with the same Message-ID
    d.deliver(
        "general",
        b"From: a@example.net\nMessage-ID: <same@x>\nSubject: one\n\nfirst\n",
    );
    d.deliver(
        "general",
        b"From: a@example.net\nMessage-ID: <same@x>\nSubject: two\n\nsecond\n",
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 3);
}

#[test]
fn exit_codes_tell_the_mta_what_to_do() {
    let d = Daemon::start_with(Setup {
        mail: vec!["max_message_bytes = 1000".into()],
        ..Setup::default()
    });
    let message = mail("zoe@example.net", "x", "y", &[]);

    let out = d.mailgate(&["--queue", "nosuch"], &message);
    assert_eq!(out.status.code(), Some(67), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(stderr(&out).contains("nosuch"), "{}", stderr(&out));

    let big = mail("zoe@example.net", "big", &"x".repeat(5000), &[]);
    let out = d.mailgate(&["--queue", "general"], &big);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("limit of 1000 bytes"), "{}", stderr(&out));

    for bad in [
        vec!["--queue", "general", "--action", "bogus"],
        vec![],
        vec!["--queue", "general", "--nonsense"],
    ] {
        let out = d.mailgate(&bad, &message);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{bad:?}: {}", stderr(&out));
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 0);
}

#[test]
fn with_the_daemon_down_mailgate_exits_75_at_once() {
    let mut d = Daemon::start();
    d.stop();
    let started = Instant::now();
    let out = d.mailgate(
        &["--queue", "general", "--timeout", "30"],
        &mail("zoe@example.net", "x", "y", &[]),
    );
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(stderr(&out).contains("not reachable"), "{}", stderr(&out));
}

#[test]
fn sigterm_stops_cleanly_and_removes_the_socket() {
    let mut d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "x", "y", &[]));
    let status = d.stop();
    assert_eq!(status.code(), Some(0), "{}", d.log());
    assert!(!d.socket.exists());
    // and it comes back with everything in place
    d.launch();
    assert_eq!(d.show(1)["subject"], "x");
}

#[test]
fn a_second_daemon_on_the_same_socket_is_refused() {
    let d = Daemon::start();
    let out = std::process::Command::new(TICKETD)
        .arg("--config")
        .arg(&d.config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already listening"), "{}", stderr(&out));
    assert_eq!(d.show_ok(), 0);
}

impl Daemon {
    /// The number of tickets, through tkt: proves the daemon still answers.
    fn show_ok(&self) -> usize {
        self.search("").len()
    }
}

/// The MTA's view: 8 senders deliver 500 messages, retrying on 75, while the daemon is
/// killed with SIGKILL twice. Afterwards every message is stored exactly once.
#[test]
fn killing_the_daemon_mid_delivery_loses_nothing_and_stores_nothing_twice() {
    const SENDERS: usize = 8;
    const MESSAGES: usize = 500;
    let mut d = Daemon::start();
    let url = d.url();
    let tempfails = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..SENDERS)
        .map(|w| {
            let url = url.clone();
            let tempfails = tempfails.clone();
            let delivered = delivered.clone();
            std::thread::spawn(move || {
                for n in (w..MESSAGES).step_by(SENDERS) {
                    let message = format!(
                        "From: sender{w}@example.net\nSubject: crash test {n}\nMessage-ID: <crash.{n}@example.net>\n\nmessage {n}\n"
                    );
                    loop {
                        let out = run_with_stdin(
                            std::process::Command::new(MAILGATE).args(["--url", &url, "--queue", "general"]),
                            message.as_bytes(),
                        );
                        match out.status.code() {
                            Some(0) => break,
                            Some(75) => {
                                tempfails.fetch_add(1, Ordering::Relaxed);
                                // the MTA's backoff, shortened
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            other => panic!("mailgate exited {other:?}: {}", stderr(&out)),
                        }
                    }
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for round in 1..=2 {
        wait_until(|| delivered.load(Ordering::Relaxed) >= round * MESSAGES / 3);
        d.kill();
        let before = tempfails.load(Ordering::Relaxed);
        wait_until(|| tempfails.load(Ordering::Relaxed) >= before + SENDERS);
        d.launch();
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(
        tempfails.load(Ordering::Relaxed) >= 2 * SENDERS,
        "the kills were noticed"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), MESSAGES as i64);
    assert_eq!(d.count("SELECT COUNT(DISTINCT subject) FROM tickets"), MESSAGES as i64);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), MESSAGES as i64);
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 0);
}

fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not reached in time");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_message_that_cannot_be_processed_is_quarantined_and_can_be_retried() {
    let mut d = Daemon::start_with(Setup {
        mail: vec!["max_mime_parts = 3".into()],
        ..Setup::default()
    });
    let mut message = String::from(
        "From: zoe@example.net\nSubject: Many parts\nMessage-ID: <parts@example.net>\nContent-Type: multipart/mixed; boundary=b\n\n",
    );
    for n in 0..5 {
        message.push_str(&format!("--b\nContent-Type: text/plain\n\npart {n}\n"));
    }
    message.push_str("--b--\n");
    let out = d.mailgate(&["--queue", "general"], message.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "the MTA is told it is safe: {}",
        stderr(&out)
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 0);
    let held: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["quarantine", "list", "--json"])).unwrap();
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert!(held[0]["error"].as_str().unwrap().contains("max_mime_parts"), "{held}");
    assert!(held[0]["summary"].as_str().unwrap().contains("Subject: Many parts"));
    assert_eq!(d.tkt(&["quarantine", "raw", "1"]).stdout, message.as_bytes());
    // a redelivery is recognised, not quarantined twice
    d.deliver("general", message.as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM quarantine"), 1);
    // retrying with the limit unchanged fails and says why
    let out = d.tkt(&["quarantine", "retry", "1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("still fails"), "{}", stderr(&out));

    // the admin raises the limit and retries
    d.stop();
    let config = std::fs::read_to_string(&d.config)
        .unwrap()
        .replace("max_mime_parts = 3", "max_mime_parts = 100");
    std::fs::write(&d.config, config).unwrap();
    d.launch();
    assert!(d.tkt_ok(&["quarantine", "retry", "1"]).contains("ticket 1"));
    assert_eq!(d.show(1)["subject"], "Many parts");
    assert!(d.tkt_ok(&["quarantine"]).contains("empty"));
    let all: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["quarantine", "list", "--all", "--json"])).unwrap();
    assert_eq!(all[0]["status"], "released");
    assert_eq!(all[0]["ticket"], 1);
    // and the message is now a duplicate of the ticket
    d.deliver("general", message.as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
}
