//! `tkt admin migrate`: an SQLite installation copied into PostgreSQL (issue 18). These
//! need a PostgreSQL server, so they run in the suite's PostgreSQL run and say SKIPPED
//! in the SQLite one.

use crate::harness::*;

/// A new database on the suite's PostgreSQL server, or `None` (and a SKIPPED line).
fn target(test: &str) -> Option<String> {
    let url = scratch_database();
    if url.is_none() {
        println!("SKIPPED {test}: needs PostgreSQL (tests/tools/postgres-suite)");
    }
    url
}

/// An installation with a bit of everything: the mail corpus (attachments, charsets,
/// garbage, a NUL or two), replies and comments, links, a merge, an owner, a user, a
/// token, and notifications in the outbox. Also the highest ticket number.
fn busy_installation() -> (Daemon, i64) {
    let d = Daemon::start_with(Setup {
        sqlite: true,
        ..Setup::default()
    });
    for file in corpus_files() {
        let out = d.mailgate(&["--queue", "general"], &std::fs::read(&file).unwrap());
        assert!(
            matches!(out.status.code(), Some(0 | 65)),
            "{}: {}",
            file.display(),
            stderr(&out)
        );
    }
    for subject in ["Printer on fire", "VPN down", "VPN down again"] {
        d.deliver(
            "network",
            &mail("zoe@example.net", subject, "The quokka ate the cable.", &[]),
        );
    }
    let ids = d.search("id > 0");
    let [.., a, b, c] = ids[..] else {
        panic!("too few tickets: {ids:?}")
    };
    let (a, b, c) = (a.to_string(), b.to_string(), c.to_string());
    d.tkt_ok(&["comment", &a, "-m", "Staff only: the spare key is under the marmalade."]);
    d.tkt_ok(&["reply", &a, "-m", "We are on it."]);
    d.tkt_ok(&["set", &a, "DependsOn+=1", "RefersTo+=2"]);
    d.tkt_ok(&["merge", &c, "into", &b]);
    d.tkt_ok(&["user", "create", "ann@tickets.test", "--privileged"]);
    d.tkt_ok(&["set", &b, "owner=ann@tickets.test", "status=open"]);
    d.token_for("ann@tickets.test");
    (d, *ids.iter().max().unwrap())
}

fn every_ticket(d: &Daemon) -> Vec<serde_json::Value> {
    d.search("id > 0").into_iter().map(|id| d.show(id)).collect()
}

#[test]
fn migrate_copies_an_installation_to_postgres_and_the_old_one_takes_no_more_changes() {
    let Some(url) = target("migrate_copies_an_installation_to_postgres") else {
        return;
    };
    let (mut old, last) = busy_installation();
    let before = every_ticket(&old);
    let found_before = old.search("Content LIKE 'quokka'");
    assert_eq!(found_before.len(), 2, "three tickets, one merged into another");

    let out = old.tkt_ok(&["admin", "migrate", "--to", &url]);
    assert!(out.contains("every row read back and compared"), "{out}");
    assert!(out.contains("  tickets "), "{out}");
    assert!(out.contains("Restart it with"), "{out}");

    // the old daemon still answers reads, and refuses changes for the MTA to retry
    assert_eq!(every_ticket(&old), before);
    let refused = old.mailgate(&["--queue", "general"], &mail("zoe@example.net", "Hello?", "x", &[]));
    assert_eq!(refused.status.code(), Some(75), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("moved to the PostgreSQL database"),
        "{}",
        stderr(&refused)
    );
    let status = old.tkt_ok(&["admin", "migrate"]);
    assert!(status.contains("every row read back and compared"), "{status}");
    let again = old.tkt(&["admin", "migrate", "--to", &url]);
    assert!(
        stderr(&again).contains("moved to the PostgreSQL database"),
        "{}",
        stderr(&again)
    );

    // and it does not start again on its SQLite database
    old.stop();
    let refused = refused_start(&old.config, None);
    assert!(refused.contains("MOVED-TO-POSTGRESQL"), "{refused}");

    // a daemon on the copy shows every ticket as the old one did, finds the same words,
    // and numbers the next ticket after the last
    let new = Daemon::start_with(Setup {
        database_url: Some(url),
        ..Setup::default()
    });
    assert_eq!(every_ticket(&new), before);
    assert_eq!(new.search("Content LIKE 'quokka'"), found_before);
    new.deliver("general", &mail("zoe@example.net", "After the move", "x", &[]));
    assert_eq!(new.search("Subject = 'After the move'"), [last + 1]);
    let ann = new.tkt_ok(&["user", "show", "ann@tickets.test"]);
    assert!(ann.contains("ann@tickets.test"), "{ann}");
    // the counts by queue and status, made in one statement after the copy (their
    // triggers were off during it), count every ticket, the one made since too
    let kept = new.count("SELECT CAST(sum(n) AS BIGINT) FROM ticket_counts");
    assert_eq!(kept, new.count("SELECT count(*) FROM tickets WHERE id = effective_id"));
    assert_eq!(
        new.count(
            "SELECT count(*) FROM (SELECT queue_id, status, count(*) AS n FROM tickets \
               WHERE id = effective_id GROUP BY queue_id, status) AS counted \
             FULL JOIN (SELECT queue_id, status, n FROM ticket_counts WHERE n > 0) AS kept \
               USING (queue_id, status) WHERE counted.n IS DISTINCT FROM kept.n"
        ),
        0
    );
}

#[test]
fn a_migration_into_a_database_with_tickets_is_refused_and_changes_go_on() {
    let Some(url) = target("a_migration_into_a_database_with_tickets_is_refused") else {
        return;
    };
    let used = Daemon::start_with(Setup {
        database_url: Some(url.clone()),
        ..Setup::default()
    });
    used.deliver("general", &mail("zoe@example.net", "Already here", "x", &[]));
    let d = Daemon::start_with(Setup {
        sqlite: true,
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Mine", "x", &[]));
    let out = d.tkt(&["admin", "migrate", "--to", &url]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already holds tickets (1)"), "{}", stderr(&out));
    assert!(stderr(&out).contains("takes changes again"), "{}", stderr(&out));
    d.deliver("general", &mail("zoe@example.net", "Still taking mail", "x", &[]));
    assert_eq!(d.search("id > 0").len(), 2);
    assert_eq!(used.search("id > 0").len(), 1);
}

#[test]
fn a_daemon_on_postgres_has_nothing_to_migrate() {
    let Some(url) = target("a_daemon_on_postgres_has_nothing_to_migrate") else {
        return;
    };
    let d = Daemon::start();
    let out = d.tkt(&["admin", "migrate", "--to", &url]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("runs on PostgreSQL already"), "{}", stderr(&out));
}
