//! TLS to PostgreSQL (issue 18): `sslmode=verify-full` with libpq's `sslrootcert`. Needs
//! the suite's PostgreSQL run with its TLS listener (tests/tools/postgres-suite makes a CA
//! and a server certificate when openssl is there); otherwise SKIPPED.

use ticketd::store::sql;
use ticketd::store::{Location, Reader};

use crate::harness::*;

#[test]
fn a_daemon_talks_to_postgres_over_tls_and_refuses_a_server_it_cannot_verify() {
    let (Ok(tls_server), Ok(other_ca)) = (
        std::env::var("TICKETD_TEST_POSTGRES_TLS"),
        std::env::var("TICKETD_TEST_POSTGRES_OTHER_CA"),
    ) else {
        println!("SKIPPED: needs the PostgreSQL run's TLS listener (tests/tools/postgres-suite with openssl)");
        return;
    };
    let plain = scratch_database().expect("the PostgreSQL run");
    let dbname = plain.rsplit("dbname=").next().unwrap().to_string();
    let url = format!("{tls_server} dbname={dbname}");
    let mut d = Daemon::start_with(Setup {
        database_url: Some(url.clone()),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Over TLS", "x", &[]));
    assert_eq!(d.search("Subject = 'Over TLS'").len(), 1);
    // seen from the server: the daemon's connections are encrypted, all of them
    let admin = Reader::open(&Location::Postgres(plain)).unwrap();
    let (encrypted, clear): (i64, i64) = sql::one(
        admin.conn(),
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = ?1 AND a.pid <> pg_backend_pid()",
        [&dbname],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap();
    assert!(encrypted >= 1, "no encrypted connection");
    assert_eq!(clear, 0);
    d.stop();

    // a server whose certificate another CA signed is refused, and the reason told
    let sslrootcert = tls_server
        .split("sslrootcert=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let refused = refused_start(&d.config, Some(&url.replace(sslrootcert, &other_ca)));
    assert!(refused.contains("cannot connect"), "{refused}");
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
    // and a daemon with the right CA starts again
    d.launch();
    assert_eq!(d.search("Subject = 'Over TLS'").len(), 1);
}
