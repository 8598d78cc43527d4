//! The daemon when things go wrong (issue 14, items 2, 4 and 5): a handler or the writer
//! panics, a COMMIT fails, the writer thread dies, a client gives up waiting, a shutdown
//! comes during a long scheduled job.
//!
//! Failures no input can cause are caused with the daemon's test faults (debug builds
//! only, switched on by `TICKETD_TEST_FAULTS=1`; see src/server/faults.rs); everything
//! else is the real binaries doing what they always do.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

/// A daemon that takes test faults.
fn with_faults() -> Daemon {
    Daemon::start_with(Setup {
        env: vec![("TICKETD_TEST_FAULTS".into(), "1".into())],
        ..Setup::default()
    })
}

/// Causes a test fault; its HTTP status and error body.
fn fault(d: &Daemon, name: &str) -> (u16, Value) {
    let (status, body) = d.request("POST", &format!("/v1/test/faults/{name}"), &[], "");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn tickets(d: &Daemon) -> i64 {
    d.count("SELECT COUNT(*) FROM tickets")
}

/// Polls until `done` (or fails after 60 s, saying `what`).
fn wait_for(d: &Daemon, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "waited 60 s for {what}:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn a_panic_in_a_handler_or_a_change_is_answered_as_an_internal_error_and_logged() {
    let d = with_faults();
    let (status, body) = fault(&d, "handler");
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["kind"], "internal");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("internal error (reference ") && !message.contains("test fault"),
        "no detail for the client: {message}"
    );
    let reference = &message["internal error (reference ".len()..][..8];
    assert!(
        d.log().contains(reference)
            && d.log().contains("a request handler panicked")
            && d.log().contains("test fault: a request handler panics"),
        "the detail goes to the log:\n{}",
        d.log()
    );
    let (status, body) = fault(&d, "change");
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["kind"], "internal");
    // the daemon, the connection pool and the writer go on
    d.tkt_ok(&["create", "--queue", "general", "--subject", "After", "-m", "fine"]);
    // and test faults are root's alone
    d.tkt_ok(&["user", "create", "ann@example.org", "--privileged"]);
    let token = format!("Bearer {}", d.token_for("ann@example.org"));
    let (status, body) = d.request("POST", "/v1/test/faults/handler", &[("Authorization", &token)], "");
    assert_eq!(status, 403, "{body}");
    assert_eq!(tickets(&d), 1);
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn a_panic_in_the_writer_outside_a_change_refuses_its_batch_and_the_writer_goes_on() {
    let d = with_faults();
    assert_eq!(fault(&d, "panic?after=1").0, 204);
    let message = mail("zoe@example.net", "Printer", "Jams.", &[]);
    let refused = d.mailgate(&["--queue", "general"], &message);
    assert_eq!(refused.status.code(), Some(75), "try again later: {}", stderr(&refused));
    // logged once the panic is caught, after the requests it dropped heard of it
    wait_for(&d, "the panic logged", || d.log().contains("the writer failed (a bug)"));
    assert_eq!(tickets(&d), 0, "rolled back");
    // the MTA's retry goes in
    d.deliver("general", &message);
    assert_eq!(tickets(&d), 1);
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn when_the_writer_thread_dies_the_daemon_exits_non_zero() {
    let mut d = with_faults();
    d.deliver("general", &mail("zoe@example.net", "Before", "Fine.", &[]));
    let (status, body) = fault(&d, "writer");
    assert_eq!(status, 503, "the request it took down is refused: {body}");
    let status = d
        .wait_exit(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("ticketd still runs without a writer:\n{}", d.log()));
    assert_eq!(status.code(), Some(1), "{}", d.log());
    assert!(d.log().contains("the writer thread died"), "{}", d.log());
    // restarted, it works, and what was committed before is there
    d.launch();
    d.deliver("general", &mail("zoe@example.net", "After", "Fine again.", &[]));
    assert_eq!(tickets(&d), 2);
}

/// Message-IDs of the messages stored.
fn stored_ids(d: &Daemon) -> Vec<String> {
    d.db()
        .query_all("SELECT message_id FROM message_ids WHERE direction = 'in'", [], |r| {
            r.get(0)
        })
}

/// Arms `fault` for the writer's next batch, and sends `messages` with mailgate all at
/// once while the writer stalls, so that they queue up and make that batch (or the first
/// few); mailgate's exit code for each.
fn deliver_into_a_fault(d: &Daemon, messages: &[(String, Vec<u8>)], fault_name: &str) -> Vec<(String, Option<i32>)> {
    std::thread::scope(|s| {
        let stall = s.spawn(|| fault(d, "stall?ms=1500").0);
        wait_for(d, "the writer to stall", || {
            d.log().contains("test fault: the writer stalls")
        });
        assert_eq!(fault(d, fault_name).0, 204);
        let senders: Vec<_> = messages
            .iter()
            .map(|(id, text)| s.spawn(move || (id.clone(), d.mailgate(&["--queue", "general"], text).status.code())))
            .collect();
        assert_eq!(stall.join().unwrap(), 204);
        senders.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Checks that mailgate heard "stored" (0) exactly for the messages stored and "try
/// again" (75) for the others, then has the MTA retry those: each is stored once.
fn every_answer_is_true(d: &Daemon, messages: &[(String, Vec<u8>)], outcomes: &[(String, Option<i32>)]) {
    let stored = stored_ids(d);
    for (id, code) in outcomes {
        match code {
            Some(0) => assert!(stored.contains(id), "{id} reported stored but is not:\n{}", d.log()),
            Some(75) => assert!(!stored.contains(id), "{id} refused but stored:\n{}", d.log()),
            other => panic!("mailgate exited {other:?} for {id}:\n{}", d.log()),
        }
    }
    assert!(
        outcomes.iter().any(|(_, c)| *c == Some(75)),
        "no batch failed:\n{}",
        d.log()
    );
    // nothing half-applied: every stored message has its ticket
    assert_eq!(tickets(d), stored.len() as i64);
    for (id, code) in outcomes {
        if *code == Some(75) {
            d.deliver("general", &messages.iter().find(|(m, _)| m == id).unwrap().1);
        }
    }
    assert_eq!(tickets(d), messages.len() as i64);
    assert_eq!(d.count("SELECT COUNT(*) FROM seen_messages"), messages.len() as i64);
}

fn numbered_messages(count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|n| {
            let id = message_id();
            let text = format!(
                "From: zoe{n}@example.net\nTo: help@tickets.test\nSubject: Message {n}\nMessage-ID: <{id}>\n\nBody {n}.\n"
            );
            (id, text.into_bytes())
        })
        .collect()
}

/// A message from `zoe{n}` with an attachment of `size` random-looking bytes.
fn message_with_attachment(n: usize, size: usize) -> (String, Vec<u8>) {
    let id = message_id();
    let mut text = format!(
        "From: zoe{n}@example.net\nTo: help@tickets.test\nSubject: Message {n}\nMessage-ID: <{id}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: text/plain\n\nThe log is attached.\n--b\n\
         Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
    );
    // base64 of bytes that do not compress: 76 characters a line
    let mut state: u64 = n as u64 + 1;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for line in 0..size.div_ceil(57) {
        let _ = line;
        for _ in 0..76 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            text.push(ALPHABET[(state >> 58) as usize] as char);
        }
        text.push('\n');
    }
    text.push_str("--b--\n");
    (id, text.into_bytes())
}

#[test]
fn a_full_disk_refuses_exactly_the_changes_it_did_not_keep() {
    // the daemon cannot write a file past 2 MB: its write-ahead log fills up, and SQLite
    // gives up either midway through a batch (rolling it back by itself) or at COMMIT
    let mut d = Daemon::start_with(Setup {
        file_size_limit: Some(2 * 1024 * 1024),
        ..Setup::default()
    });
    if !d.on_sqlite("a database file the daemon itself writes") {
        return;
    }
    let messages: Vec<(String, Vec<u8>)> = (0..24)
        .map(|n| match n % 6 {
            2 => message_with_attachment(n, 3 * 1024 * 1024),
            4 => message_with_attachment(n, 400 * 1024),
            _ => message_with_attachment(n, 1024),
        })
        .collect();
    // eight senders at once
    let outcomes: Vec<(String, Option<i32>)> = std::thread::scope(|s| {
        let d = &d;
        let senders: Vec<_> = messages
            .chunks(3)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(id, text)| (id.clone(), d.mailgate(&["--queue", "general"], text).status.code()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        senders.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let log = d.log();
    assert!(
        log.contains("the database rolled the batch back") || log.contains("commit failed"),
        "{log}"
    );
    let stored = stored_ids(&d);
    for (id, code) in &outcomes {
        match code {
            Some(0) => assert!(stored.contains(id), "{id} reported stored but is not:\n{log}"),
            Some(75) => assert!(!stored.contains(id), "{id} refused but stored:\n{log}"),
            other => panic!("mailgate exited {other:?} for {id}:\n{log}"),
        }
    }
    assert!(
        outcomes.iter().any(|(_, c)| *c == Some(75)),
        "nothing was refused:\n{log}"
    );
    assert_eq!(tickets(&d), stored.len() as i64, "nothing half-stored");
    // room again: the MTA's retries go in, each once
    assert!(d.stop().success(), "{}", d.log());
    d.file_size_limit = None;
    d.launch();
    for (id, code) in &outcomes {
        if *code == Some(75) {
            d.deliver("general", &messages.iter().find(|(m, _)| m == id).unwrap().1);
        }
    }
    assert_eq!(tickets(&d), 24);
    assert_eq!(d.count("SELECT COUNT(*) FROM seen_messages"), 24);
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn a_failed_commit_reports_no_change_done_and_keeps_none() {
    let d = with_faults();
    let messages = numbered_messages(24);
    let outcomes = deliver_into_a_fault(&d, &messages, "commit");
    assert!(d.log().contains("commit failed"), "{}", d.log());
    every_answer_is_true(&d, &messages, &outcomes);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM api_tokens"),
        0,
        "nothing of the fault was kept"
    );
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn a_batch_the_database_rolled_back_midway_reports_no_change_done_and_the_rest_go_on() {
    let d = with_faults();
    let messages = numbered_messages(24);
    let outcomes = deliver_into_a_fault(&d, &messages, "rollback?after=3");
    assert!(d.log().contains("the database rolled the batch back"), "{}", d.log());
    every_answer_is_true(&d, &messages, &outcomes);
}

/// The `--idempotency-key` tkt names when it lost an answer.
fn key_in(stderr: &str) -> String {
    stderr
        .split("--idempotency-key ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no key in: {stderr}"))
        .to_string()
}

#[test]
#[cfg_attr(not(debug_assertions), ignore = "test faults exist in debug builds only")]
fn a_change_whose_client_gave_up_is_not_made_later_and_its_retry_is_made_once() {
    let d = with_faults();
    let create = [
        "--timeout",
        "1",
        "create",
        "--queue",
        "general",
        "--subject",
        "Printer",
        "-m",
        "Jams.",
    ];
    let message = mail("zoe@example.net", "VPN", "Down.", &[]);
    // the writer is busy for 4 s; the clients behind it wait 1 s
    let key = std::thread::scope(|s| {
        let stall = s.spawn(|| fault(&d, "stall?ms=4000").0);
        wait_for(&d, "the writer to stall", || {
            d.log().contains("test fault: the writer stalls")
        });
        let out = d.tkt(&create);
        assert_eq!(out.status.code(), Some(1));
        let text = stderr(&out);
        assert!(
            text.contains("did not answer within 1 seconds") && text.contains("may or may not have been made"),
            "{text}"
        );
        let gave_up = d.mailgate(&["--queue", "general", "--timeout", "1"], &message);
        assert_eq!(gave_up.status.code(), Some(75), "{}", stderr(&gave_up));
        assert_eq!(stall.join().unwrap(), 204);
        key_in(&text)
    });
    // once a change sent now is done, those before it were taken: neither was made
    // behind its client's back
    assert_eq!(fault(&d, "stall?ms=0").0, 204);
    assert_eq!(tickets(&d), 0, "{}", d.log());
    assert!(d.log().contains("dropped unrun"), "{}", d.log());

    // the retry with the key makes it, once; the MTA's retry stores the mail, once
    let mut retry = vec!["--idempotency-key", key.as_str()];
    retry.extend(&create[2..]);
    assert_eq!(d.tkt_ok(&retry), "Ticket 1 created.\n");
    assert_eq!(d.tkt_ok(&retry), "Ticket 1 created.\n", "the first answer again");
    assert_eq!(tickets(&d), 1);
    d.deliver("general", &message);
    assert_eq!(tickets(&d), 2);
    // the same key with another request is a mistake, said as one
    let other = d.tkt(&[
        "--idempotency-key",
        &key,
        "create",
        "--queue",
        "general",
        "--subject",
        "Other",
        "-m",
        "x",
    ]);
    assert!(!other.status.success());
    assert!(
        stderr(&other).contains("was sent before with another request"),
        "{}",
        stderr(&other)
    );
    assert_eq!(tickets(&d), 2);
}

#[test]
fn an_api_write_sent_twice_with_one_key_is_made_once() {
    let d = Daemon::start();
    let key = [("Idempotency-Key", "create-printer-1")];
    let body = r#"{"queue": "general", "subject": "Printer", "content": "Jams.", "requestors": []}"#;
    let first = d.request("POST", "/v1/tickets", &key, body);
    let second = d.request("POST", "/v1/tickets", &key, body);
    assert_eq!(first.0, 201, "{}", first.1);
    assert_eq!(first, second, "the same answer, status and all");
    assert_eq!(tickets(&d), 1);
    // without a key, or with another, a second ticket
    assert_eq!(d.request("POST", "/v1/tickets", &[], body).0, 201);
    assert_eq!(
        d.request("POST", "/v1/tickets", &[("Idempotency-Key", "create-printer-2")], body)
            .0,
        201
    );
    assert_eq!(tickets(&d), 3);
    // a reply: the transaction once
    let reply = r#"{"content": "Restarted it."}"#;
    let key = [("Idempotency-Key", "reply-1")];
    let a = d.request("POST", "/v1/tickets/1/correspond", &key, reply);
    let b = d.request("POST", "/v1/tickets/1/correspond", &key, reply);
    assert_eq!((a.0, &a.1), (b.0, &b.1));
    assert_eq!(transactions_of(&d.show(1), "Correspond").len(), 1);
    // a token's secret is not kept: the retry says which token it made
    d.tkt_ok(&["user", "create", "ann@example.org", "--privileged"]);
    let key = [("Idempotency-Key", "token-1")];
    let token = r#"{"user": "ann@example.org"}"#;
    let made = d.request("POST", "/v1/tokens", &key, token);
    assert_eq!(made.0, 201, "{}", made.1);
    let again = d.request("POST", "/v1/tokens", &key, token);
    assert_eq!(again.0, 409, "{}", again.1);
    assert!(again.1.contains("token 1 was made by the first request"), "{}", again.1);
    assert_eq!(d.count("SELECT COUNT(*) FROM api_tokens"), 1);
    // so is the first admin's: a retry says who was made an admin
    let key = [("Idempotency-Key", "init-1")];
    let init = r#"{"admin": "boss@example.org"}"#;
    let made = d.request("POST", "/v1/admin/init", &key, init);
    assert_eq!(made.0, 200, "{}", made.1);
    assert!(made.1.contains("tkd_"), "{}", made.1);
    let again = d.request("POST", "/v1/admin/init", &key, init);
    assert_eq!(again.0, 409, "{}", again.1);
    assert!(
        again.1.contains("made boss@example.org an admin with a token"),
        "{}",
        again.1
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM api_tokens"), 2);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM idempotency_keys WHERE answer LIKE '%tkd_%'"),
        0,
        "no secret in the database"
    );
    // a user's changes are made whatever the key, and a password is never kept, not even
    // hashed with its request
    let key = [("Idempotency-Key", "password-1")];
    for password in ["correct horse battery", "another staple"] {
        let body = format!(r#"{{"changes": ["password={password}"]}}"#);
        let set = d.request("POST", "/v1/users/ann@example.org/changes", &key, &body);
        assert_eq!(set.0, 200, "{}", set.1);
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM idempotency_keys WHERE key = 'password-1'"),
        0
    );
    // a key is one request's
    let bad = d.request("POST", "/v1/tickets", &[("Idempotency-Key", "has space")], body);
    assert_eq!(bad.0, 400, "{}", bad.1);
}

/// `network` reminds requestors of tickets stalled a day, with a reminder that takes a
/// while to write (a template an admin made heavy): a job of many slow steps.
const SLOW_REMINDERS: &str = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
comment_address = "help-comment@tickets.test"

[[queues]]
name = "network"
address = "noc@tickets.test"
comment_address = "noc-comment@tickets.test"
[queues.stalled]
after = "1 day"
action = "remind"

[templates]
stalled_reminder = '{% for a in range(1500) %}{% for b in range(1000) %}{% endfor %}{% endfor %}Any news?'
"#;

/// Reminders written, per ticket.
fn reminders(d: &Daemon) -> HashMap<i64, i64> {
    d.db()
        .query_all(
            "SELECT ticket_id, COUNT(*) FROM transactions WHERE type = 'Correspond' AND creator_id = 1 \
             GROUP BY ticket_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .into_iter()
        .collect()
}

/// Runs `tkt ARGS` against `url` as local root in a thread of its own.
fn tkt_in_background(url: String, args: &[&str]) -> std::thread::JoinHandle<std::process::Output> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    std::thread::spawn(move || {
        Command::new(TKT)
            .arg("--url")
            .arg(url)
            .env_remove("TICKETD_TOKEN")
            .args(args)
            .output()
            .expect("run tkt")
    })
}

#[test]
fn a_shutdown_during_a_long_job_stops_it_between_steps_and_the_rest_runs_at_start() {
    let count = 40;
    let mut d = Daemon::start_with(Setup {
        now: Some("2026-11-30T12:00:00Z".into()),
        queues: Some(SLOW_REMINDERS.into()),
        server: vec!["shutdown_grace_secs = 20".into()],
        ..Setup::default()
    });
    for n in 1..=count {
        d.tkt_ok(&[
            "create",
            "--queue",
            "network",
            "--subject",
            &format!("Port {n}"),
            "-m",
            "down",
        ]);
        d.tkt_ok(&["set", &n.to_string(), "status=stalled"]);
    }
    // the stalled job runs at 03:00: one reminder a step, each slow (about a second here)
    let slot = "2026-12-02T03:00:00Z";
    let started = Instant::now();
    let clock = tkt_in_background(d.url(), &["admin", "clock", "set", slot]);
    wait_for(&d, "the first reminder", || !reminders(&d).is_empty());
    let first = started.elapsed();
    let stopping = Instant::now();
    assert!(d.stop().success(), "{}", d.log());
    let took = stopping.elapsed();
    let _ = clock.join();
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?}: a run must stop at its next step, not at the end of the grace period:\n{}",
        d.log()
    );
    let done = reminders(&d).len();
    assert!(
        done < count as usize / 2,
        "{done} of {count} reminded before the job stopped (the first after {first:?}): make the template slower"
    );
    let log = d.log();
    assert!(log.contains("job stopped between steps for the shutdown"), "{log}");
    assert!(
        !log.contains("did not stop in time") && !log.contains("did not finish in time"),
        "{log}"
    );

    // the next start (with a quick template, not to wait) runs the interrupted slot again,
    // for the tickets not reminded yet
    let config = std::fs::read_to_string(&d.config).unwrap();
    std::fs::write(&d.config, config.replace("range(1500)", "range(1)")).unwrap();
    d.now = Some(slot.into());
    d.launch();
    wait_for(&d, "every reminder", || reminders(&d).len() == count as usize);
    assert!(reminders(&d).values().all(|&n| n == 1), "one each: {:?}", reminders(&d));
    let history = d.tkt_ok(&["admin", "jobs", "history", "stalled"]);
    let lines: Vec<&str> = history.lines().collect();
    assert!(lines[0].starts_with("stalled ok for 2026-12-02 03:00"), "{history}");
    assert!(
        lines[1].starts_with("stalled interrupted for 2026-12-02 03:00"),
        "{history}"
    );
    assert!(lines[1].contains("stopped by a shutdown after"), "{history}");
}
