//! The configuration as it ships: etc/ticketd.toml installed unchanged does nothing
//! surprising, `ticketd --check-config` passes it and the showcase, and names a mistake
//! in one line.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::*;

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// etc/ticketd.toml, copied unchanged, runs a working ticket system whose only mail for a
/// new ticket is the autoreply to its requestor. The file's paths are the installed
/// system's (/var/lib/ticketd, /run/ticketd), so `--data-dir` and `--listen` move them into
/// the test's directory; its `mail.outbound` (smtp://localhost:25, the local MTA) is the
/// one key replaced, by `--outbound file:DIR`, so that the test reads what would have
/// been handed to the MTA, envelope and all.
#[test]
fn the_shipped_config_sends_only_the_autoreply_to_the_requestor() {
    let shipped = repo_file("etc/ticketd.toml");
    let d = Daemon::start_on_file(&shipped);
    assert_eq!(
        std::fs::read(&d.config).unwrap(),
        std::fs::read(&shipped).unwrap(),
        "the daemon runs on the file as shipped"
    );
    let message = format!(
        "From: Zoe Requestor <zoe@example.net>\nTo: general@example.com\nSubject: The printer is jammed\n\
         Message-ID: <{}>\nDate: Tue, 01 Dec 2026 09:00:00 +0000\n\nIt jams on every page.\n",
        message_id()
    );
    d.deliver("general", message.as_bytes());

    let ticket = d.show(1);
    assert_eq!(ticket["queue"], "general");
    assert_eq!(ticket["requestors"], serde_json::json!(["zoe@example.net"]));
    // the outbox rows are written with the ticket: once mailgate has returned, this is all
    let queued = d.outbox();
    assert_eq!(queued.len(), 1, "{queued:#?}");
    assert_eq!(queued[0].kind, "autoreply");
    assert_eq!(queued[0].recipients, ["zoe@example.net"]);

    let sent = d.wait_outgoing(1);
    let (text, envelope) = &sent[0];
    assert_eq!(
        envelope["forward_path"],
        serde_json::json!(["zoe@example.net"]),
        "{envelope}"
    );
    assert_eq!(envelope["reverse_path"], "tickets@example.com", "{envelope}");
    assert_eq!(header(text, "To").as_deref(), Some("zoe@example.net"), "{text}");
    assert_eq!(
        header(text, "Auto-Submitted").as_deref(),
        Some("auto-replied"),
        "{text}"
    );
    let subject = header(text, "Subject").unwrap();
    assert!(subject.contains("[example.com #1]"), "{subject}");
    assert!(subject.contains("The printer is jammed"), "{subject}");
    assert!(header(text, "Cc").is_none() && header(text, "Bcc").is_none(), "{text}");
}

fn check_config(file: &Path) -> std::process::Output {
    Command::new(TICKETD)
        .arg("--config")
        .arg(file)
        .arg("--check-config")
        .env_remove("TICKETD_CONFIG")
        .output()
        .expect("run ticketd --check-config")
}

#[test]
fn check_config_passes_the_shipped_file_and_the_showcase() {
    for file in ["etc/ticketd.toml", "docs/examples/ticketd-showcase.toml"] {
        let out = check_config(&repo_file(file));
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "configuration ok\n");
    }
}

/// The admin's first edits to the shipped file, each with a mistake `--check-config` must
/// name: exit 1 and one line that says where.
#[test]
fn check_config_names_a_mistake_in_one_line() {
    let shipped = std::fs::read_to_string(repo_file("etc/ticketd.toml")).unwrap();
    let cases = [
        (
            // a rule for a queue the file does not define
            "[[rules]]\nname = \"urgent\"\non = \"create\"\nqueues = [\"netwrk\"]\n\
             actions = [{ action = \"set_priority\", priority = 80 }]\n",
            "rule `urgent`: queues: there is no queue `netwrk` among the [[queues]] of the config (general)",
        ),
        (
            // a mistyped zone is the calendar's, not a job's or the scheduler's
            "[calendars.office]\ntime_zone = \"Europe/Berln\"\n",
            "calendar `office`: time_zone `Europe/Berln` is not an IANA time zone (such as Europe/Berlin or UTC)",
        ),
    ];
    for (added, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ticketd.toml");
        std::fs::write(&file, format!("{shipped}\n{added}")).unwrap();
        let out = check_config(&file);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert_eq!(
            stderr(&out),
            format!(
                "ticketd: while loading the configuration: {}: {expected}\n",
                file.display()
            )
        );
    }
}
