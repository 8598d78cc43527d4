//! End to end through a real Postfix: SMTP on 127.0.0.1:25, `/etc/aliases` piping into the
//! real mailgate (run by Postfix as `nobody`, umask 0077), the real daemon behind it; and
//! ticketd's own mail leaving over SMTP through Postfix to an `smtp-sink`.
//!
//! It reconfigures the machine's Postfix, so it runs only when asked to: built under
//! `CI=true` or with `TICKETD_POSTFIX_TESTS=1` (see build.rs), where it needs root and
//! `/usr/sbin/postfix` and fails if it cannot run. Otherwise its tests are `#[ignore]`d,
//! and the test runner lists them as ignored with the reason. Postfix is a system-wide
//! singleton: each test takes a
//! file lock, configures it idempotently (`postconf -e`, an alias block between markers,
//! start or reload) and removes its aliases and queued mail when done.
//! See contrib/postfix/README.md for the same wiring on a real site.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

const POSTFIX: &str = "/usr/sbin/postfix";
const ALIASES: &str = "/etc/aliases";
const BEGIN: &str = "# BEGIN ticketd-tests";
const END: &str = "# END ticketd-tests";
/// Held while a test touches Postfix, by this and any other test process.
const LOCK: &str = "/tmp/ticketd-postfix-tests.lock";
const DEADLINE: Duration = Duration::from_secs(60);
/// The transport map that sends the test's outside domain to smtp-sink.
const TRANSPORT: &str = "/etc/postfix/ticketd-tests-transport";

/// The envelope sender of every test message; its alias is a file, so bounces can be read.
const TESTER: &str = "ticketd-tester@tickets.test";
/// The local parts this test owns in the tickets.test domain (with any `+extension`).
const OURS: [&str; 4] = ["tickets", "tickets-comment", "tickets-nosuch", "ticketd-tester"];

/// The queue the aliases deliver to, with addresses that match them; bob is staff (an
/// AdminCc), so he may comment.
const QUEUES: &str = r#"
[[queues]]
name = "general"
address = "tickets@tickets.test"
comment_address = "tickets-comment@tickets.test"
admin_cc = ["bob@example.net"]
"#;

#[test]
#[cfg_attr(
    not(postfix_tests),
    ignore = "SKIPPED: reconfigures this machine's Postfix; runs in CI (CI=true) or with TICKETD_POSTFIX_TESTS=1, as root with postfix installed"
)]
fn mail_through_postfix_makes_tickets_threads_by_extension_and_bounces_unknown_queues() {
    require_postfix();
    let (d, postfix) = start();

    let first = text_message(
        "alice@example.net",
        "tickets@tickets.test",
        "Printer on fire",
        "Smoke.\n.dot line\n",
    );
    let qid = smtp_send(TESTER, "tickets@tickets.test", &first);
    let line = postfix.wait_status(&qid, "sent", &d);
    assert!(line.contains("delivered to command:"), "{line}");
    let ticket = d.show(1);
    assert_eq!(ticket["subject"], "Printer on fire");
    assert_eq!(ticket["queue"], "general");
    // the From header, not the envelope sender of the mbox `From ` line
    assert_eq!(ticket["requestors"], serde_json::json!(["alice@example.net"]));
    let create = transactions_of(&ticket, "Create");
    assert_eq!(create.len(), 1);
    assert!(
        create[0]["content"].as_str().unwrap().contains("Smoke.\n.dot line"),
        "SMTP dot-stuffing undone: {}",
        create[0]["content"]
    );

    // the raw message is what the pipe got: Postfix's envelope line and trace headers first
    let raw = raw_message_of(&d, 1);
    let after_from_line = match raw.strip_prefix("From ") {
        Some(rest) => {
            assert!(rest.starts_with(&format!("{TESTER} ")), "mbox line: {raw}");
            rest.split_once('\n').unwrap().1
        }
        None => &raw,
    };
    assert!(
        after_from_line.starts_with(&format!("Return-Path: <{TESTER}>\n")),
        "{raw}"
    );
    assert!(raw.contains("\nDelivered-To: tickets@tickets.test\n"), "{raw}");
    assert!(raw.contains("\nX-Original-To: tickets@tickets.test\n"), "{raw}");
    let headers = top_headers(&d, 1);
    assert!(
        headers.starts_with(&format!("Return-Path: <{TESTER}>")),
        "the mbox line is not a header: {headers}"
    );
    assert!(headers.contains("Delivered-To: tickets@tickets.test"), "{headers}");

    // tickets+1@: no tag, no In-Reply-To, threaded by the extension (--extension ticket)
    let reply = text_message(
        "alice@example.net",
        "tickets+1@tickets.test",
        "Re: Printer",
        "Still smoking.",
    );
    let qid = smtp_send(TESTER, "tickets+1@tickets.test", &reply);
    postfix.wait_status(&qid, "sent", &d);
    let comment = text_message(
        "bob@example.net",
        "tickets-comment+1@tickets.test",
        "Note",
        "Call the fire brigade.",
    );
    let qid = smtp_send(TESTER, "tickets-comment+1@tickets.test", &comment);
    postfix.wait_status(&qid, "sent", &d);
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    let ticket = d.show(1);
    let replies = transactions_of(&ticket, "Correspond");
    assert_eq!(replies.len(), 1, "{ticket:#}");
    assert!(replies[0]["content"].as_str().unwrap().contains("Still smoking."));
    let comments = transactions_of(&ticket, "Comment");
    assert_eq!(comments.len(), 1, "{ticket:#}");
    assert!(comments[0]["content"].as_str().unwrap().contains("fire brigade"));

    // no such queue: mailgate exits 67, Postfix bounces with mailgate's line
    let lost = text_message(
        "alice@example.net",
        "tickets-nosuch@tickets.test",
        "Lost",
        "Nobody home.",
    );
    let qid = smtp_send(TESTER, "tickets-nosuch@tickets.test", &lost);
    let line = postfix.wait_status(&qid, "bounced", &d);
    assert!(line.contains("dsn=5.1.1"), "{line}");
    assert!(line.contains("user unknown. Command output: mailgate: "), "{line}");
    assert!(line.contains("nosuch"), "{line}");
    let said = line
        .split_once("Command output: ")
        .unwrap()
        .1
        .trim_end_matches(')')
        .trim();
    let bounce = postfix.wait_bounce(said, &d);
    assert!(
        bounce.contains("Subject: Undelivered Mail Returned to Sender"),
        "{bounce}"
    );
    assert!(bounce.contains("Action: failed"), "{bounce}");
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 3);
}

#[test]
#[cfg_attr(
    not(postfix_tests),
    ignore = "SKIPPED: reconfigures this machine's Postfix; runs in CI (CI=true) or with TICKETD_POSTFIX_TESTS=1, as root with postfix installed"
)]
fn mail_deferred_while_ticketd_is_down_is_stored_once_after_a_flush() {
    require_postfix();
    let (mut d, postfix) = start();
    assert_eq!(d.stop().code(), Some(0), "{}", d.log());

    let message = text_message(
        "carol@example.net",
        "tickets@tickets.test",
        "While you were out",
        "Hello?",
    );
    let qid = smtp_send(TESTER, "tickets@tickets.test", &message);
    let line = postfix.wait_status(&qid, "deferred", &d);
    assert!(line.contains("dsn=4.3.0"), "{line}");
    assert!(line.contains("Command output: mailgate: "), "{line}");
    // in the deferred queue (not just between attempts), so a flush retries it
    let queued = wait_for("the message in the deferred queue", &d, &postfix, || {
        queued_messages()
            .into_iter()
            .find(|m| m["queue_id"] == qid.as_str() && m["queue_name"] == "deferred")
    });
    let reason = queued["recipients"][0]["delay_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("temporary failure"), "{queued}");
    assert!(mailq().contains(&qid), "mailq does not list {qid}:\n{}", mailq());
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 0);

    d.launch();
    flush();
    postfix.wait_status(&qid, "sent", &d);
    assert_eq!(d.show(1)["subject"], "While you were out");
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(d.count("SELECT COUNT(*) FROM raw_messages"), 1);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM transactions WHERE raw_message_id IS NOT NULL"),
        1
    );
    // and it has left the queue: nothing will deliver it a second time
    let removed = format!(" {qid}: removed");
    wait_for(&removed, &d, &postfix, || {
        postfix.log().contains(&removed).then_some(())
    });
    assert!(!mailq().contains(&qid), "{qid} still queued:\n{}", mailq());
}

#[test]
#[cfg_attr(
    not(postfix_tests),
    ignore = "SKIPPED: reconfigures this machine's Postfix; runs in CI (CI=true) or with TICKETD_POSTFIX_TESTS=1, as root with postfix installed"
)]
fn replies_leave_through_postfix_and_reach_the_world() {
    require_postfix();
    let sink = Sink::start();
    // ticketd hands its mail to Postfix over SMTP; Postfix routes sink.test to the sink
    let (d, postfix) = start_with(Some("smtp://127.0.0.1:25".into()));
    let first = text_message("alice@sink.test", "tickets@tickets.test", "VPN down", "No tunnel.");
    let qid = smtp_send(TESTER, "tickets@tickets.test", &first);
    postfix.wait_status(&qid, "sent", &d);
    d.tkt_ok(&["reply", "1", "-m", "Try again now."]);
    // the sink writes a file as the message comes in: wait for both, whole
    let messages = wait_for("both messages at the sink", &d, &postfix, || {
        let messages = sink.messages();
        let whole = |text: &str| messages.iter().any(|m| m.contains(text));
        (whole("AutoReply: VPN down") && whole("Try again now.")).then_some(messages)
    });
    assert_eq!(messages.len(), 2, "{messages:#?}");
    for message in &messages {
        assert!(message.contains("X-Rcpt-Args: <alice@sink.test>"), "{message}");
        assert!(message.contains("X-Mail-Args: <tickets@tickets.test>"), "{message}");
    }
    let autoreply = messages
        .iter()
        .find(|m| m.contains("Subject: [tickets.test #1] AutoReply: VPN down"))
        .expect("the autoreply");
    assert!(autoreply.contains("Auto-Submitted: auto-replied"), "{autoreply}");
    let reply = messages
        .iter()
        .find(|m| m.contains("Try again now."))
        .expect("the reply");
    assert!(reply.contains("Subject: [tickets.test #1] VPN down"), "{reply}");
    // Postfix logs the relay once the sink has answered, which may be a moment after the
    // sink wrote the file
    wait_for("Postfix's relay line", &d, &postfix, || {
        postfix
            .log()
            .contains("to=<alice@sink.test>, relay=127.0.0.1[127.0.0.1]:2525")
            .then_some(())
    });
    // both left ticketd's outbox as delivered (the sender records that after Postfix took
    // the message, which may be after Postfix passed it on)
    wait_for("both outbox rows sent", &d, &postfix, || {
        let sent = d.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND recipients LIKE '%alice@sink.test%'");
        (sent == 2).then_some(())
    });
}

/// Postfix's smtp-sink on 127.0.0.1:2525, one file per message in a temp dir.
struct Sink {
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Sink {
    fn start() -> Sink {
        let dir = tempfile::Builder::new().prefix("ticketd-sink").tempdir().unwrap();
        let nobody = output("id", &["-u", "nobody"]).trim().parse().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(nobody), None).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let child = Command::new("/usr/sbin/smtp-sink")
            .args(["-u", "nobody", "-R"])
            .arg(dir.path())
            .args(["-d", "message.", "127.0.0.1:2525", "64"])
            .spawn()
            .expect("start smtp-sink");
        wait_until("smtp-sink on 127.0.0.1:2525", || {
            TcpStream::connect("127.0.0.1:2525").is_ok()
        });
        Sink { dir, child }
    }

    /// Every message received so far: the sink's envelope lines, then the message.
    fn messages(&self) -> Vec<String> {
        fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .filter_map(|e| fs::read_to_string(e.ok()?.path()).ok())
                    .filter(|text| text.contains("\n\n") || text.contains("\r\n\r\n"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails the test, with what to do, when this machine cannot run it: once asked for, the
/// Postfix tests either run or fail, never pass without running.
fn require_postfix() {
    let reason = if !Path::new(POSTFIX).exists() {
        format!("{POSTFIX} is not installed")
    } else if output("id", &["-u"]).trim() != "0" {
        "it must run as root to configure Postfix".to_string()
    } else {
        return;
    };
    panic!(
        "the Postfix end-to-end tests were asked for (CI=true or TICKETD_POSTFIX_TESTS=1), but {reason}: \
         install postfix (.ci/run does) and run the tests as root"
    );
}

/// A daemon the pipe user can reach, and Postfix piping the test aliases into it.
fn start() -> (Daemon, Postfix) {
    start_with(None)
}

/// The same, with the daemon's `mail.outbound` set.
fn start_with(outbound: Option<String>) -> (Daemon, Postfix) {
    let d = Daemon::start_with(Setup {
        queues: Some(QUEUES.into()),
        outbound,
        ..Setup::default()
    });
    // the pipe runs as nobody: it must reach the socket (mode 0666) through the temp dir
    fs::set_permissions(d.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        searchable_by_others(d.dir.path()),
        "{} is not reachable by the user nobody; set TMPDIR to a directory everyone can search",
        d.dir.path().display()
    );
    let mut mailgate = PathBuf::from(MAILGATE).canonicalize().unwrap();
    if !searchable_by_others(&mailgate) {
        let copy = d.dir.path().join("mailgate");
        fs::copy(&mailgate, &copy).unwrap();
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
        mailgate = copy;
    }
    // bounces to the test sender land in a file the pipe user writes
    let bounces = d.dir.path().join("bounces");
    fs::create_dir(&bounces).unwrap();
    let nobody: u32 = output("id", &["-u", "nobody"]).trim().parse().unwrap();
    let nogroup: u32 = output("id", &["-g", "nobody"]).trim().parse().unwrap();
    std::os::unix::fs::chown(&bounces, Some(nobody), Some(nogroup)).unwrap();

    let paths = [&mailgate, &d.socket, &bounces];
    assert!(
        paths.iter().all(|p| !p.to_string_lossy().contains(char::is_whitespace)),
        "paths with spaces do not fit in an alias: {paths:?}"
    );
    let gate = format!("{} --url {}", mailgate.display(), d.url());
    let aliases = [
        ("tickets", format!("\"|{gate} --queue general --extension ticket\"")),
        (
            "tickets-comment",
            format!("\"|{gate} --queue general --action comment --extension ticket\""),
        ),
        ("tickets-nosuch", format!("\"|{gate} --queue nosuch\"")),
        ("ticketd-tester", bounces.join("tester.mbox").display().to_string()),
    ];
    let postfix = Postfix::configure(&aliases, bounces.join("tester.mbox"));
    (d, postfix)
}

/// Whether the user nobody can get at `path`: every directory above it searchable by
/// others, and the path itself searchable (a directory) or readable and executable.
fn searchable_by_others(path: &Path) -> bool {
    let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode()).unwrap_or(0);
    let own = if path.is_dir() { 0o001 } else { 0o005 };
    mode(path) & own == own && path.ancestors().skip(1).all(|dir| mode(dir) & 0o001 != 0)
}

/// Postfix configured for one test; the lock is held until it is dropped.
struct Postfix {
    _lock: File,
    log_file: PathBuf,
    log_start: usize,
    /// The mailbox file of the test sender's alias.
    tester_mbox: PathBuf,
}

impl Postfix {
    /// Takes the lock, sets the parameters the test needs, installs `aliases` and makes
    /// sure Postfix runs with all of it.
    fn configure(aliases: &[(&str, String)], tester_mbox: PathBuf) -> Postfix {
        let lock = File::create(LOCK).expect("create the Postfix test lock");
        lock.lock().expect("lock the Postfix test lock");
        remove_our_queued_mail();

        let mut destinations = postconf("mydestination");
        if !destinations
            .split([',', ' '])
            .any(|d| d.eq_ignore_ascii_case("tickets.test"))
        {
            destinations = format!("{destinations}, tickets.test")
                .trim_start_matches(", ")
                .to_string();
        }
        let mut log_file = postconf("maillog_file");
        if log_file.is_empty() {
            // no syslog daemon in containers: without this, Postfix logs nowhere
            log_file = "/var/log/postfix.log".to_string();
        }
        let wanted = [
            ("mydestination", destinations),
            ("inet_interfaces", "loopback-only".to_string()),
            ("inet_protocols", "ipv4".to_string()),
            ("alias_maps", "hash:/etc/aliases".to_string()),
            ("alias_database", "hash:/etc/aliases".to_string()),
            ("recipient_delimiter", "+".to_string()),
            ("maillog_file", log_file.clone()),
            // mail to sink.test goes to the test's smtp-sink, the rest as configured
            ("transport_maps", format!("hash:{TRANSPORT}")),
        ];
        fs::write(TRANSPORT, "sink.test smtp:[127.0.0.1]:2525\n").expect("write the transport map");
        run("postmap", &[TRANSPORT]);
        let changed: Vec<String> = wanted
            .iter()
            .filter(|(name, value)| postconf(name) != *value)
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        if !changed.is_empty() {
            let args: Vec<&str> = std::iter::once("-e")
                .chain(changed.iter().map(String::as_str))
                .collect();
            run("postconf", &args);
        }

        let block: String = aliases
            .iter()
            .map(|(name, target)| format!("{name}: {target}\n"))
            .collect();
        write_alias_block(&format!(
            "{BEGIN}\n# written by tests/it/postfix.rs (ticketd), rewritten on every run\n{block}{END}\n"
        ));
        run("newaliases", &[]);

        if Path::new("/usr/lib/postfix/configure-instance.sh").exists() {
            run("/usr/lib/postfix/configure-instance.sh", &["-"]);
        }
        let running = Command::new(POSTFIX).arg("status").output().unwrap().status.success();
        if running && !changed.is_empty() {
            // inet_interfaces and inet_protocols take a restart, not a reload
            run(POSTFIX, &["stop"]);
            wait_until("Postfix stopped", || {
                !Command::new(POSTFIX).arg("status").output().unwrap().status.success()
            });
            run(POSTFIX, &["start"]);
        } else if running {
            run(POSTFIX, &["reload"]);
        } else {
            run(POSTFIX, &["start"]);
        }
        wait_until("Postfix greeting on 127.0.0.1:25", || {
            TcpStream::connect("127.0.0.1:25").is_ok_and(|s| {
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                smtp_reply(&mut BufReader::new(s)).0 == 220
            })
        });
        let log_file = PathBuf::from(log_file);
        let log_start = fs::read(&log_file).map(|l| l.len()).unwrap_or(0);
        Postfix {
            _lock: lock,
            log_file,
            log_start,
            tester_mbox,
        }
    }

    /// Postfix's log since the test configured it.
    fn log(&self) -> String {
        let log = fs::read(&self.log_file).unwrap_or_default();
        let start = if log.len() >= self.log_start { self.log_start } else { 0 };
        String::from_utf8_lossy(&log[start..]).into_owned()
    }

    /// The delivery status lines of queue ID `qid`, oldest first.
    fn status_lines(&self, qid: &str) -> Vec<String> {
        let id = format!(" {qid}: ");
        self.log()
            .lines()
            .filter(|l| l.contains(&id) && l.contains(" status="))
            .map(str::to_string)
            .collect()
    }

    /// Waits for the first `status=<status>` line of `qid` and returns it. Fails at once
    /// on a bounce that was not expected, or a delivery when a bounce was.
    fn wait_status(&self, qid: &str, status: &str, d: &Daemon) -> String {
        let wrong = if status == "bounced" {
            "status=sent"
        } else {
            "status=bounced"
        };
        let wanted = format!("status={status} ");
        wait_for(&format!("{qid} {wanted}"), d, self, || {
            let lines = self.status_lines(qid);
            if let Some(line) = lines.iter().find(|l| l.contains(wrong)) {
                panic!("{line}\n\nticketd log:\n{}", d.log());
            }
            lines.into_iter().find(|l| l.contains(&wanted))
        })
    }

    /// Waits for the bounce to the test sender that carries `said` and returns it.
    fn wait_bounce(&self, said: &str, d: &Daemon) -> String {
        wait_for(&format!("a bounce saying `{said}`"), d, self, || {
            fs::read_to_string(&self.tester_mbox)
                .ok()
                .filter(|mbox| mbox.contains(said))
        })
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        remove_our_queued_mail();
        write_alias_block("");
        let _ = Command::new("newaliases").status();
    }
}

/// Replaces the marked block at the end of /etc/aliases with `block` (or removes it).
fn write_alias_block(block: &str) {
    let current = fs::read_to_string(ALIASES).unwrap_or_default();
    let mut kept = String::new();
    let mut inside = false;
    for line in current.lines() {
        match line.trim() {
            BEGIN => inside = true,
            END if inside => inside = false,
            _ if !inside => {
                kept.push_str(line);
                kept.push('\n');
            }
            _ => {}
        }
    }
    kept.push_str(block);
    if kept != current {
        fs::write(ALIASES, kept).expect("write /etc/aliases");
    }
}

/// Deletes queued mail from or to the test's addresses, left by an earlier run.
fn remove_our_queued_mail() {
    let ours = |address: &str| {
        address.rsplit_once('@').is_some_and(|(local, domain)| {
            let base = local.split('+').next().unwrap_or_default();
            domain.eq_ignore_ascii_case("tickets.test") && OURS.iter().any(|o| o.eq_ignore_ascii_case(base))
        })
    };
    for message in queued_messages() {
        let recipients = message["recipients"].as_array().cloned().unwrap_or_default();
        if ours(message["sender"].as_str().unwrap_or_default())
            || recipients
                .iter()
                .any(|r| ours(r["address"].as_str().unwrap_or_default()))
        {
            let _ = Command::new("postsuper")
                .args(["-d", message["queue_id"].as_str().unwrap_or_default()])
                .output();
        }
    }
}

/// `postqueue -j`: one JSON object per queued message (none when Postfix is not running).
fn queued_messages() -> Vec<Value> {
    let Ok(out) = Command::new("postqueue").arg("-j").output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn mailq() -> String {
    output("mailq", &[])
}

/// `postqueue -f`: retry all deferred mail now.
fn flush() {
    run("postqueue", &["-f"]);
}

/// One main.cf parameter's value.
fn postconf(name: &str) -> String {
    output("postconf", &["-h", name]).trim().to_string()
}

/// Sends `message` (LF line ends) over SMTP to 127.0.0.1:25; returns Postfix's queue ID.
fn smtp_send(from: &str, to: &str, message: &str) -> String {
    let stream = TcpStream::connect("127.0.0.1:25").expect("connect to Postfix on 127.0.0.1:25");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut step = |line: &str, expected: u16| {
        if !line.is_empty() {
            writer.write_all(line.as_bytes()).unwrap();
        }
        let (code, text) = smtp_reply(&mut reader);
        assert_eq!(code, expected, "{} -> {code} {text}", line.trim_end());
        text
    };
    step("", 220);
    step("EHLO client.tickets.test\r\n", 250);
    step(&format!("MAIL FROM:<{from}>\r\n"), 250);
    step(&format!("RCPT TO:<{to}>\r\n"), 250);
    step("DATA\r\n", 354);
    let mut data = String::new();
    for line in message.lines() {
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    let queued = step(&data, 250);
    step("QUIT\r\n", 221);
    // "2.0.0 Ok: queued as 43170C08FB"
    queued
        .rsplit_once("queued as ")
        .map(|(_, id)| id.trim().to_string())
        .unwrap_or_else(|| panic!("no queue ID in `{queued}`"))
}

/// One SMTP reply, possibly multi-line: its code and its last line's text.
fn smtp_reply(reader: &mut impl BufRead) -> (u16, String) {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) < 4 {
            return (0, line);
        }
        if line.as_bytes()[3] != b'-' {
            let code = line[..3].parse().unwrap_or(0);
            return (code, line[4..].trim_end().to_string());
        }
    }
}

/// A plain text message with a fresh Message-ID.
fn text_message(from: &str, to: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{}>\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n\n{body}\n",
        message_id()
    )
}

/// The raw message of ticket `id`'s Create transaction, as text.
fn raw_message_of(d: &Daemon, id: i64) -> String {
    let bytes: Vec<u8> = d
        .db()
        .query_row(
            "SELECT r.bytes FROM transactions x JOIN raw_messages r ON r.id = x.raw_message_id \
             WHERE x.ticket_id = ?1 AND x.type = 'Create'",
            [id],
            |r| r.get(0),
        )
        .expect("the raw message of the Create transaction");
    String::from_utf8(bytes).unwrap()
}

/// The header block of the top MIME part of ticket `id`'s Create transaction.
fn top_headers(d: &Daemon, id: i64) -> String {
    d.db()
        .query_row(
            "SELECT a.headers FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
             WHERE x.ticket_id = ?1 AND x.type = 'Create' AND a.parent_id IS NULL",
            [id],
            |r| r.get(0),
        )
        .expect("the top part of the Create transaction")
}

/// Polls `probe` until it gives a value; fails after the deadline with both logs.
fn wait_for<T>(what: &str, d: &Daemon, postfix: &Postfix, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {DEADLINE:?}\n\nPostfix log:\n{}\nmailq:\n{}\nticketd log:\n{}",
            postfix.log(),
            mailq(),
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `done` until it holds (before there is a log to show).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "no {what} within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a command and asserts it succeeded.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

/// Runs a command and returns its standard output.
fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
