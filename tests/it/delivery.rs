//! What the MTA relies on: exit codes, nothing stored twice, nothing lost, quarantine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ticketd::outbox::file_name as outgoing_file_name;

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
    // one message, and a note that it was also addressed to the second queue
    assert_eq!(d.count("SELECT COUNT(*) FROM transactions WHERE type = 'Create'"), 1);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM transactions WHERE field = 'AlsoAddressedTo' AND new_value = 'network'"),
        1
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM transactions"), 2);
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
fn messages_whose_bodies_decode_differently_are_never_merged_as_duplicates() {
    let d = Daemon::start();
    // the same headers and body bytes, but a charset or transfer encoding of their own
    let with = |mime: &str| {
        format!("From: a@example.net\nMessage-ID: <mime@x>\nSubject: Invoice\n{mime}\n\u{e9}t\u{e9} b25l\n")
            .into_bytes()
    };
    let variants = [
        "",
        "Content-Transfer-Encoding: base64\n",
        "Content-Type: text/plain; charset=koi8-r\n",
        "Content-Type: text/plain; charset=iso-8859-1\n",
    ];
    for mime in variants {
        d.deliver("general", &with(mime));
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 4);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 4);
    // a true redelivery of any of them still is one
    d.deliver("general", &with(variants[1]));
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 4);
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
/// killed with SIGKILL twice. Afterwards every message is stored exactly once, and every
/// autoreply left exactly once: one message file and one envelope per outbox row, named
/// after its Message-ID, and no envelope without its message.
#[test]
fn killing_the_daemon_mid_delivery_loses_nothing_and_stores_nothing_twice() {
    const SENDERS: usize = 8;
    const MESSAGES: usize = 500;
    let mut d = Daemon::start_with(Setup {
        // every message gets its autoreply, so the kills meet the outbox sender at work
        mail: vec![format!("autoreply_limit_per_hour = {MESSAGES}")],
        ..Setup::default()
    });
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
                    deliver_as_mta(&url, message.as_bytes(), &tempfails);
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

    // the outgoing mail: the restarted sender finishes what the kills interrupted
    wait_until(|| d.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        MESSAGES as i64
    );
    let files = OutgoingFiles::read(&d.outgoing);
    assert!(
        files.other.is_empty(),
        "left-overs in the outgoing directory: {:?}",
        files.other
    );
    let orphans: Vec<_> = files.envelopes.difference(&files.messages).collect();
    assert!(orphans.is_empty(), "envelopes without their message: {orphans:?}");
    let unenveloped: Vec<_> = files.messages.difference(&files.envelopes).collect();
    assert!(
        unenveloped.is_empty(),
        "messages without their envelope: {unenveloped:?}"
    );
    let queued: std::collections::BTreeSet<String> = d
        .db()
        .query_all("SELECT message_id FROM outbox", [], |r| r.get::<String>(0))
        .iter()
        .map(|id| outgoing_file_name(id))
        .collect();
    assert_eq!(queued.len(), MESSAGES, "one Message-ID per outbox row");
    let extra: Vec<_> = files.messages.difference(&queued).take(10).collect();
    let missing: Vec<_> = queued.difference(&files.messages).take(10).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{} message files for {} outbox rows; files that are no row's (duplicates): {extra:?}; rows without a \
         file: {missing:?}",
        files.messages.len(),
        queued.len()
    );
    for name in &files.messages {
        let text = std::fs::read_to_string(d.outgoing.join(format!("{name}.eml"))).unwrap();
        let id = header(&text, "Message-ID").unwrap();
        assert_eq!(outgoing_file_name(id.trim_matches(['<', '>'])), *name, "{text}");
    }
}

/// What an outgoing directory holds: the names (without extension) of the message files
/// and of the envelopes, and any other file.
struct OutgoingFiles {
    messages: std::collections::BTreeSet<String>,
    envelopes: std::collections::BTreeSet<String>,
    other: Vec<String>,
}

impl OutgoingFiles {
    fn read(dir: &std::path::Path) -> OutgoingFiles {
        let mut files = OutgoingFiles {
            messages: Default::default(),
            envelopes: Default::default(),
            other: Vec::new(),
        };
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".eml") {
                files.messages.insert(stem.to_string());
            } else if let Some(stem) = name.strip_suffix(".json") {
                files.envelopes.insert(stem.to_string());
            } else {
                files.other.push(name);
            }
        }
        files
    }
}

fn wait_until(condition: impl Fn() -> bool) {
    wait_for(Duration::from_secs(120), Duration::from_millis(5), condition);
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

/// A free TCP port on loopback (bound and released; the daemon binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_mta_on_another_host_delivers_over_tcp_with_the_shared_token() {
    let address = format!("127.0.0.1:{}", free_port());
    let d = Daemon::start_with(Setup {
        tcp: Some((address.clone(), "s3cret".into())),
        ..Setup::default()
    });
    let url = format!("http://{address}");
    let message = mail("zoe@example.net", "Over TCP", "x", &[]);
    let gate = |token: Option<&str>| {
        let mut command = std::process::Command::new(MAILGATE);
        command
            .args(["--url", &url, "--queue", "general"])
            .env_remove("TICKETD_TOKEN");
        if let Some(token) = token {
            command.env("TICKETD_TOKEN", token);
        }
        run_with_stdin(&mut command, &message)
    };
    // a missing or wrong token is a set-up mistake: the MTA keeps the message and retries
    for token in [None, Some("wrong")] {
        let out = gate(token);
        assert_eq!(out.status.code(), Some(75), "{token:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("token"), "{}", stderr(&out));
    }
    let out = gate(Some("s3cret"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // tkt over TCP acts as the owner of a user token; the MTA's secret opens nothing else
    let tkt = |args: &[&str]| {
        std::process::Command::new(TKT)
            .args(["--url", &url])
            .args(args)
            .env_remove("TICKETD_TOKEN")
            .output()
            .unwrap()
    };
    let mta_secret = d.dir.path().join("token");
    let out = tkt(&["--token-file", mta_secret.to_str().unwrap(), "show", "1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("only delivers mail"), "{}", stderr(&out));
    let out = tkt(&["show", "1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("token"), "{}", stderr(&out));
    let secret = d.tkt_ok(&["token", "create", "root"]);
    let user_token = d.dir.path().join("root.token");
    std::fs::write(&user_token, secret).unwrap();
    let out = tkt(&["--token-file", user_token.to_str().unwrap(), "show", "1"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Over TCP"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_daemon_that_does_not_answer_makes_mailgate_give_up_with_75_after_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("hung.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // accepts connections and never answers
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let out = run_with_stdin(
        std::process::Command::new(MAILGATE).args([
            "--url",
            &format!("unix:{}", socket.display()),
            "--queue",
            "general",
            "--timeout",
            "1",
        ]),
        &mail("zoe@example.net", "x", "y", &[]),
    );
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("did not answer within 1 seconds"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn garbage_in_is_stored_never_rejected() {
    let d = Daemon::start();
    let mut random = Vec::with_capacity(64 * 1024);
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..64 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random.push((x >> 24) as u8);
    }
    // behind a header block, anything is a message; with none, binary bytes are not (see
    // not_mail.rs)
    let mut headed_random = b"From: a@example.net\nSubject: noise\n\n".to_vec();
    headed_random.extend(random);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes behind headers", headed_random),
        ("headers only, no blank line", b"From: a@example.net\nSubject: no body".to_vec()),
        (
            "unclosed multipart",
            b"From: a@example.net\nSubject: cut\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nhalf a mess"
                .to_vec(),
        ),
        (
            "unknown charset",
            b"From: a@example.net\nSubject: =?x-klingon?Q?qapla=E9?=\nContent-Type: text/plain; charset=x-klingon\n\nqapla\xe9\n"
                .to_vec(),
        ),
        (
            "bad base64",
            b"From: a@example.net\nSubject: b64\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n!!!not base64@@@\n"
                .to_vec(),
        ),
        ("a huge header line", format!("From: a@example.net\nSubject: {}\n\nbody\n", "x".repeat(200_000)).into_bytes()),
    ];
    for (n, (what, message)) in cases.iter().enumerate() {
        let out = d.mailgate(&["--queue", "general"], message);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert_eq!(
            d.count("SELECT COUNT(*) FROM raw_messages"),
            n as i64 + 1,
            "{what} stored"
        );
        let raw: Vec<u8> = d
            .db()
            .query_row("SELECT bytes FROM raw_messages ORDER BY id DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(raw == *message, "{what}: raw bytes kept");
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), cases.len() as i64);
    let klingon = d.show(4);
    assert!(
        klingon["transactions"][0]["content"]
            .as_str()
            .unwrap()
            .contains("qapla"),
        "{klingon}"
    );
}

#[test]
fn a_large_attachment_is_stored_whole() {
    let d = Daemon::start();
    let payload: Vec<u8> = (0..12 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let encoded = base64_lines(&payload);
    let message = format!(
        "From: a@example.net\nSubject: big\nMessage-ID: <big@example.net>\nContent-Type: multipart/mixed; boundary=b\n\n\
         --b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream; name=dump.bin\n\
         Content-Disposition: attachment; filename=dump.bin\nContent-Transfer-Encoding: base64\n\n{encoded}--b--\n"
    );
    d.deliver("general", message.as_bytes());
    let t = d.show(1);
    let dump = t["transactions"][0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "dump.bin")
        .unwrap()
        .clone();
    assert_eq!(dump["size"], payload.len());
    let back = d.tkt(&["attachment", &dump["id"].to_string()]).stdout;
    assert!(back == payload, "the attachment comes back byte for byte");
}

/// Base64 in 76-character lines, as mail has it.
fn base64_lines(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 + 4);
    for line in data.chunks(57) {
        for chunk in line.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// mailgate without `--url` never picks up a socket from the directory it runs in (that is
/// tkt's developer convenience): mail goes to `$TICKETD_URL` or the packaged socket, else
/// the MTA is told to try again.
#[test]
fn mailgate_without_url_ignores_a_socket_in_the_working_directory() {
    let d = Daemon::start();
    let cwd = d.dir.path().join("checkout");
    std::fs::create_dir_all(cwd.join("var")).unwrap();
    std::os::unix::fs::symlink(&d.socket, cwd.join("var/ticketd.sock")).unwrap();
    let message = mail("zoe@example.net", "Wrong daemon?", "Hello.", &[]);
    let run = |url: Option<String>| {
        let mut command = std::process::Command::new(MAILGATE);
        command.current_dir(&cwd).args(["--queue", "general", "--timeout", "5"]);
        for name in ["EXTENSION", "SENDER", "TICKETD_URL", "TICKETD_TOKEN"] {
            command.env_remove(name);
        }
        if let Some(url) = url {
            command.env("TICKETD_URL", url);
        }
        run_with_stdin(&mut command, &message)
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("/run/ticketd/ticketd.sock"), "{}", stderr(&out));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 0);
    let out = run(Some(d.url()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    // tkt, run by a person in the checkout, does use ./var/ticketd.sock
    let mut tkt = std::process::Command::new(TKT);
    tkt.current_dir(&cwd)
        .env_remove("TICKETD_URL")
        .env_remove("TICKETD_TOKEN");
    let out = tkt.args(["show", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Wrong daemon?"));
}
