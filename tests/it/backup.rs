//! `tkt admin backup FILE`: a consistent copy of the database while ticketd runs (issue 8).

use crate::harness::*;

#[test]
fn a_backup_is_a_whole_database_that_opens_on_its_own() {
    let d = Daemon::start();
    for n in 0..5 {
        d.deliver(
            "general",
            &mail("zoe@example.net", &format!("Printer {n}"), "It jams.", &[]),
        );
    }
    let target = d.dir.path().join("backups").join("ticketd-backup.sqlite3");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    if !d.on_sqlite("tkt admin backup") {
        // PostgreSQL is backed up with its own tools, and ticketd says so
        let out = d.tkt(&["admin", "backup", target.to_str().unwrap()]);
        assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
        return;
    }
    let out = d.tkt_ok(&["admin", "backup", target.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("Backup written to {}", target.display())),
        "{out}"
    );
    // mail goes on after it
    d.deliver("general", &mail("zoe@example.net", "Scanner", "Blurry.", &[]));

    let copy = rusqlite::Connection::open(&target).unwrap();
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let tickets: i64 = copy
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tickets, 5, "the copy is the database as it was");
    let raw: i64 = copy
        .query_row("SELECT COUNT(*) FROM raw_messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(raw, 5, "with the raw originals");
    let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert!(version >= 3);

    // never over an existing file, never a path ticketd cannot place
    let again = d.tkt(&["admin", "backup", target.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
    // a relative path is taken from where tkt runs
    let relative = std::process::Command::new(TKT)
        .current_dir(d.dir.path())
        .args(["--url", &d.url(), "admin", "backup", "relative.sqlite3"])
        .output()
        .unwrap();
    assert!(relative.status.success(), "{}", stderr(&relative));
    assert!(d.dir.path().join("relative.sqlite3").exists());
    // SuperUser only
    d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
    let alice = d.token_for("alice@tickets.test");
    let other = d.dir.path().join("alice.sqlite3");
    let denied = d.tkt_as(&alice, &["admin", "backup", other.to_str().unwrap()]);
    assert!(!denied.status.success());
    assert!(!other.exists());
}
