//! Property tests of the query language (issue 14): random text and random well-formed
//! queries never panic or hang the parser; every query either is refused with a clear
//! `invalid` error or compiles to SQL that SQLite runs, for the system, staff and a
//! requestor; and the real daemon answers random queries and stays up.
//!
//! `cargo test --test it search_properties` runs a bounded number of cases; a long run:
//! `PROPTEST_CASES=100000 cargo test --release --test it search_properties`.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ticketd::error::Error;
use ticketd::rights::{Principal, Viewer, Visibility};
use ticketd::search::{Query, fts_query, parse, parse_grouping};
use ticketd::store::{NewTicket, NewTransaction, Store};
use ticketd::ticket::{Lifecycle, Role, Status, Timestamp, TransactionKind};

use crate::harness::*;

/// `cases` unless PROPTEST_CASES says otherwise.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn now() -> Timestamp {
    ticketd::ticket::parse_date("2026-11-27T15:00:00Z").unwrap()
}

/// The longest any one parse may take: the parser is linear, so this is generous.
const PARSE_BUDGET: Duration = Duration::from_secs(2);

/// Parses, and checks what every outcome must be: a query that prints as TicketSQL that
/// parses back to the same query, or an `invalid` error that says it is about the query.
fn parse_checked(text: &str) -> Result<Option<Query>, TestCaseError> {
    let started = Instant::now();
    let parsed = parse(text, now());
    prop_assert!(
        started.elapsed() < PARSE_BUDGET,
        "{:?} took {:?}",
        text,
        started.elapsed()
    );
    match parsed {
        Ok(query) => {
            let printed = query.to_string();
            let again = parse(&printed, now());
            prop_assert_eq!(again.as_ref().ok(), Some(&query), "{:?} printed as {:?}", text, printed);
            Ok(Some(query))
        }
        Err(Error::Invalid(message)) => {
            prop_assert!(!message.is_empty() && message.len() < 2_000, "{:?}: {}", text, message);
            Ok(None)
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "{text:?}: not an invalid-query error: {other:?}"
        ))),
    }
}

/// Pieces of TicketSQL and of things that are almost TicketSQL, for token soup.
const PIECES: &[&str] = &[
    "(",
    ")",
    "(",
    ")",
    "NOT",
    "AND",
    "OR",
    "IN",
    "LIKE",
    "IS",
    "NULL",
    ",",
    "=",
    "!=",
    "<>",
    "<",
    ">=",
    "'x'",
    "\"y z\"",
    "'",
    "\"",
    "\\",
    "'it\\'s'",
    "Queue",
    "Status",
    "Content",
    "Owner",
    "Requestor",
    "Created",
    "DependsOn",
    "CF.{x}",
    "CF.",
    "CF.{",
    "CF.{Größe}",
    "éé",
    "ü.x",
    "日本語",
    "ORDER",
    "BY",
    "DESC",
    "LIMIT",
    "-",
    "0",
    "1",
    "-1",
    "99999999999999999999",
    "-9223372036854775808",
    "'__Active__'",
    "'__CurrentUser__'",
    "'-99999999999999 days'",
    "'+3 weeks'",
    "'yesterday'",
    "Unowned",
    "{",
    "}",
    "@",
    "%",
    "_",
    "*",
    "\u{0}",
    "\u{202e}",
    "\n",
    "#1",
];

fn token_soup() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(PIECES), 0..60),
        any::<bool>(),
    )
        .prop_map(|(pieces, spaced)| pieces.join(if spaced { " " } else { "" }))
}

#[test]
fn random_text_is_a_query_or_a_clear_error_quickly() {
    let mut runner = TestRunner::new(config(2_000));
    let text = prop_oneof![any::<String>(), token_soup(), "[ -~]{0,200}"];
    runner
        .run(&text, |text| {
            parse_checked(&text)?;
            // what a search box gets: TicketSQL or the simple form written out as it
            let started = Instant::now();
            let read = ticketd::workflow::view::interpret(&text, now());
            prop_assert!(started.elapsed() < PARSE_BUDGET, "{:?}", text);
            prop_assert!(matches!(read, Ok(_) | Err(Error::Invalid(_))), "{:?}: {:?}", text, read);
            Ok(())
        })
        .unwrap();
}

/// A value as a query writes it: text, numbers, dates near and far, the special values.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 @._%-]{0,12}".prop_map(|t| format!("'{t}'")),
        any::<String>().prop_map(|t| ticketd::search::quote(&t.chars().take(40).collect::<String>())),
        any::<i64>().prop_map(|n| n.to_string()),
        (
            any::<i64>(),
            prop::sample::select(&["seconds", "days", "weeks", "years"][..]),
            any::<bool>()
        )
            .prop_map(|(n, unit, ago)| format!("'{n} {unit}{}'", if ago { " ago" } else { "" })),
        prop::sample::select(
            &[
                "'__Active__'",
                "'__Inactive__'",
                "'__CurrentUser__'",
                "'Nobody'",
                "'new'",
                "'resolved'",
                "'general'",
                "'network'",
                "'zoe@example.net'",
                "'2026-12-01'",
                "'today'",
                "'\"paper jam\" print*'",
                "'9999-12-31T23:59:59Z'",
            ][..]
        )
        .prop_map(str::to_string),
    ]
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(
            &[
                "id", "Queue", "Status", "Owner", "Creator", "Requestor", "Cc", "AdminCc", "Watcher", "Subject",
                "Content", "Priority", "TimeWorked", "Created", "Updated", "Started", "Starts", "Resolved", "Due",
                "Told", "DependsOn", "MemberOf", "RefersTo", "Members", "CF.{Severity}", "lastupdated",
            ][..]
        )
        .prop_map(str::to_string),
        1 => "CF\\.\\{[a-zA-Zé ]{1,8}\\}",
        1 => "[a-zA-Zéü日]{1,6}",
    ]
}

/// Values that fit a kind of field, mostly; now and then anything at all.
fn values_for(kind: &'static str) -> BoxedStrategy<String> {
    let words = "[a-z]{1,8}( [a-z]{1,8}){0,2}".prop_map(|w| format!("'{w}'"));
    let fitting = match kind {
        "number" => prop_oneof![
            (-5i64..100).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string())
        ]
        .boxed(),
        "date" => prop_oneof![
            (-400i64..400, prop::sample::select(&["hours", "days", "weeks"][..]))
                .prop_map(|(n, unit)| format!("'{n} {unit}'")),
            prop::sample::select(&["'today'", "'yesterday'", "'2026-12-01'", "'2026-11-27 14:30'"][..])
                .prop_map(str::to_string),
        ]
        .boxed(),
        "queue" => prop::sample::select(&["'general'", "'network'"][..])
            .prop_map(str::to_string)
            .boxed(),
        "status" => prop::sample::select(&["'new'", "'open'", "'resolved'", "'__Active__'", "'__Inactive__'"][..])
            .prop_map(str::to_string)
            .boxed(),
        "user" => prop::sample::select(
            &[
                "'zoe@example.net'",
                "'alice@tickets.test'",
                "'__CurrentUser__'",
                "'Nobody'",
                "'zoe'",
            ][..],
        )
        .prop_map(str::to_string)
        .boxed(),
        "ticket" => (1i64..5).prop_map(|n| n.to_string()).boxed(),
        _ => words.boxed(),
    };
    prop_oneof![30 => fitting, 1 => value()].boxed()
}

/// A field with the operators that fit it and the kind of its values.
fn typed_field() -> impl Strategy<Value = (&'static str, &'static [&'static str], &'static str)> {
    const ORDERED: &[&str] = &["=", "!=", "<", ">", "<=", ">="];
    const EQUAL: &[&str] = &["=", "!="];
    const TEXT: &[&str] = &["=", "!=", "LIKE", "NOT LIKE"];
    prop::sample::select(
        &[
            ("id", ORDERED, "number"),
            ("Priority", ORDERED, "number"),
            ("TimeWorked", ORDERED, "number"),
            ("Created", ORDERED, "date"),
            ("Due", ORDERED, "date"),
            ("Resolved", ORDERED, "date"),
            ("Told", ORDERED, "date"),
            ("Subject", TEXT, "text"),
            ("Content", TEXT, "text"),
            ("Queue", TEXT, "queue"),
            ("Status", EQUAL, "status"),
            ("Owner", TEXT, "user"),
            ("Creator", TEXT, "user"),
            ("Requestor", TEXT, "user"),
            ("Watcher", TEXT, "user"),
            ("AdminCc", TEXT, "user"),
            ("DependsOn", EQUAL, "ticket"),
            ("MemberOf", EQUAL, "ticket"),
            ("CF.{Severity}", ORDERED, "text"),
        ][..],
    )
}

fn typed_condition() -> impl Strategy<Value = String> {
    typed_field().prop_flat_map(|(field, ops, kind)| {
        prop_oneof![
            6 => (prop::sample::select(ops), values_for(kind)).prop_map(move |(op, v)| format!("{field} {op} {v}")),
            2 => (any::<bool>(), prop::collection::vec(values_for(kind), 1..8)).prop_map(move |(not, vs)| {
                format!("{field} {}IN ({})", if not { "NOT " } else { "" }, vs.join(", "))
            }),
            1 => any::<bool>().prop_map(move |not| format!("{field} IS {}NULL", if not { "NOT " } else { "" })),
        ]
    })
}

fn condition() -> impl Strategy<Value = String> {
    let op = prop::sample::select(&["=", "!=", "<", ">", "<=", ">=", "LIKE", "NOT LIKE"][..]);
    prop_oneof![
        40 => typed_condition(),
        2 => (field(), op, value()).prop_map(|(f, op, v)| format!("{f} {op} {v}")),
        1 => (field(), any::<bool>(), prop::collection::vec(value(), 1..6))
            .prop_map(|(f, not, vs)| format!("{f} {}IN ({})", if not { "NOT " } else { "" }, vs.join(", "))),
        1 => Just("Unowned".to_string()),
    ]
}

/// A well-formed query: conditions joined by AND and OR, NOTs and parentheses, now and
/// then nested past the bound; sometimes an order and a limit.
fn query() -> impl Strategy<Value = String> {
    let expr = condition().prop_recursive(8, 120, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..6).prop_map(|all| all.join(" AND ")),
            prop::collection::vec(inner.clone(), 2..6).prop_map(|all| all.join(" OR ")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.prop_map(|e| format!("NOT ({e})")),
        ]
    });
    let deeper = prop_oneof![6 => 0usize..3, 1 => 20usize..40];
    let order = prop::option::of((field(), any::<bool>())).prop_map(|o| {
        o.map_or(String::new(), |(f, d)| {
            format!(" ORDER BY {f}{}", if d { " DESC" } else { "" })
        })
    });
    let limit = prop::option::of(0u64..5_000_000_000).prop_map(|l| l.map_or(String::new(), |n| format!(" LIMIT {n}")));
    (expr, deeper, order, limit).prop_map(|(e, n, o, l)| format!("{}{e}{}{o}{l}", "(".repeat(n), ")".repeat(n)))
}

/// A database with two queues, a few people and tickets with text and comments.
fn store_with_tickets(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    let tx = store.begin().unwrap();
    let general = tx
        .create_queue("general", "help@tickets.test", "help-comment@tickets.test", now())
        .unwrap();
    let network = tx
        .create_queue("network", "noc@tickets.test", "noc-comment@tickets.test", now())
        .unwrap();
    let zoe = tx.ensure_user("zoe@example.net", "", false, now()).unwrap();
    let alice = tx.ensure_user("alice@tickets.test", "", true, now()).unwrap();
    for (n, queue) in [general.id, network.id, general.id].into_iter().enumerate() {
        let ticket = tx
            .insert_ticket(&NewTicket {
                queue_id: queue,
                subject: "Printer jams",
                status: Status::named(if n == 2 { "resolved" } else { "new" }),
                owner_id: if n == 1 { alice.id } else { ticketd::user::NOBODY_ID },
                priority: 10 * n as i64,
                final_priority: 0,
                creator_id: zoe.id,
                now: now(),
            })
            .unwrap();
        tx.add_watcher(ticket, Role::Requestor, zoe.id).unwrap();
        for (kind, text) in [
            (TransactionKind::Create, "The paper jam in tray 2 again."),
            (TransactionKind::Comment, "The secret widget is in rack 4."),
        ] {
            tx.insert_transaction(&NewTransaction {
                content: text,
                ..NewTransaction::new(ticket, kind, zoe.id, now())
            })
            .unwrap();
        }
    }
    tx.commit().unwrap();
    store
}

/// Everyone a search may run as: the system, staff who see all but comments in one
/// queue, and a requestor.
fn viewers() -> Vec<Option<Viewer>> {
    let staff = Viewer {
        principal: Principal {
            user_id: 5,
            groups: vec![1, 3],
        },
        tickets: Visibility {
            everything: true,
            ..Visibility::default()
        },
        comments: Visibility {
            everything: false,
            queues: vec![2],
            roles: vec![(Role::AdminCc, None), (Role::Owner, Some(1))],
        },
    };
    let requestor = Viewer {
        principal: Principal {
            user_id: 4,
            groups: vec![1, 4],
        },
        tickets: Visibility {
            everything: false,
            queues: Vec::new(),
            roles: vec![(Role::Requestor, None), (Role::Cc, Some(2))],
        },
        comments: Visibility::default(),
    };
    vec![None, Some(staff), Some(requestor)]
}

#[test]
fn random_queries_are_refused_clearly_or_run_in_sqlite_for_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_tickets(dir.path());
    let db = store.db();
    let lifecycle = Lifecycle::default_lifecycle();
    let lifecycles = [&lifecycle];
    let by = [
        parse_grouping("Status").unwrap(),
        parse_grouping("CF.{Severity}").unwrap(),
    ];
    let viewers = viewers();
    let (ran, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&query(), |text| {
            let Some(query) = parse_checked(&text)? else {
                refused.set(refused.get() + 1);
                return Ok(());
            };
            ran.set(ran.get() + 1);
            for viewer in &viewers {
                let started = Instant::now();
                let found = db.search(&query, viewer.as_ref(), &lifecycles);
                prop_assert!(found.is_ok(), "{:?} as {:?}: {:?}", text, viewer, found);
                let counted = db.report(&query, &by, viewer.as_ref(), &lifecycles);
                prop_assert!(counted.is_ok(), "{:?} as {:?}: {:?}", text, viewer, counted);
                prop_assert!(started.elapsed() < Duration::from_secs(5), "{:?}", text);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("{} random queries ran, {} were refused", ran.get(), refused.get());
    // the generator is worth its name only if a good share of its queries run
    assert!(
        ran.get() * 2 >= refused.get(),
        "{} ran, {} refused",
        ran.get(),
        refused.get()
    );
    // full text as typed into the content search box
    let mut runner = TestRunner::new(config(300));
    runner
        .run(&prop_oneof![any::<String>(), token_soup()], |text| {
            if let Ok(fts) = fts_query(&text) {
                for viewer in &viewers {
                    let hits = db.content_search(&fts, viewer.as_ref(), 20);
                    prop_assert!(hits.is_ok(), "{:?} as {:?}: {:?}", text, viewer, hits);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_daemon_answers_random_queries_and_stays_up() {
    let d = Daemon::start();
    d.deliver(
        "general",
        &mail("zoe@example.net", "Printer jams", "The paper jam in tray 2.", &[]),
    );
    d.tkt_ok(&["comment", "1", "-m", "The secret widget is in rack 4."]);
    let zoe = d.token_for("zoe@example.net");
    let mut runner = TestRunner::new(config(40));
    runner
        .run(&(query(), any::<bool>()), |(text, report)| {
            let args: Vec<&str> = if report {
                vec!["report", &text, "--by", "Status"]
            } else {
                vec!["search", &text, "--json"]
            };
            let out = d.tkt_as(&zoe, &args);
            let err = stderr(&out);
            match out.status.code() {
                Some(0) => {}
                // refused: a clear error about the query, nothing of ticketd's inside
                Some(1) => prop_assert!(!err.contains("internal error"), "{:?}: {}", text, err),
                // tkt's own refusal of a request too long for a URL
                Some(64) => prop_assert!(err.contains("uri too long"), "{:?}: {}", text, err),
                other => prop_assert!(false, "{:?}: exit {:?}: {}", text, other, err),
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(d.search("id = 1"), [1]);
    assert!(!d.log().contains("panicked"), "{}", d.log());
}
