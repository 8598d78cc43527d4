//! Property tests for mail in (issue 14): whatever bytes arrive (random bytes, random
//! bytes behind a plausible header, real messages from tests/corpus/ mutated), parsing
//! neither panics nor hangs and yields one clean line for subjects and names; the real
//! daemon stores each with its raw bytes (or refuses what is not mail at all with 65), and
//! lives on.
//!
//! `cargo test --test it mail_properties` runs a bounded number of cases (a few thousand
//! parses, a few dozen deliveries). For a long run, PROPTEST_CASES sets the number of
//! cases of each:
//!
//! ```sh
//! PROPTEST_CASES=200000 cargo test --release --test it mail_properties
//! ```

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sha2::{Digest, Sha256};
use ticketd::mail::{ParseOptions, parse};

use crate::harness::*;

/// The cases to run: PROPTEST_CASES, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        // the failing input is printed, shrunk; nothing is written into the repository
        failure_persistence: None,
        ..Config::default()
    })
}

/// Pieces of mail syntax that parsers trip over, for mutations to insert.
const TOKENS: &[&[u8]] = &[
    b"\r",
    b"\0",
    b"\n\n",
    b"\r\n",
    b"\n ",
    b"=?utf-8?b?",
    b"=?iso-2022-jp?q?",
    b"=?x-unknown?q?=1B=00?=",
    b"?=",
    b"--",
    b"--x--\n",
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"; charset=utf-7",
    b"; filename*0*=utf-8''%E2%80; filename*1*=%AE",
    b"From: ",
    b"From: \"a\0b\" <x@example.net>, y@example.net\n",
    b"Subject: ",
    b"Message-ID: <",
    b"Authentication-Results: mx; dmarc=pass\n",
    b"begin 644 x.bin\n",
    b"<html><body><p>",
    b"\x1b[2J",
    b"\xff\xfe\xc3",
    b"(((((((((((",
    b"\"\\",
];

/// A change to a real message.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at a position.
    Set { at: usize, byte: u8 },
    /// Insert bytes (random ones, or a token of mail syntax).
    Insert { at: usize, bytes: Vec<u8> },
    /// Delete a range.
    Delete { at: usize, len: usize },
    /// Repeat a range a number of times (deep nesting, long lines, many parts).
    Repeat { at: usize, len: usize, times: usize },
    /// Cut the message off.
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (at, proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (at, proptest::sample::select(TOKENS)).prop_map(|(at, t)| Mutation::Insert { at, bytes: t.to_vec() }),
        (at, 1..512usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (at, 1..256usize, 2..64usize).prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        at.prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// `message` with `mutations` applied; positions wrap around its length.
fn mutate(message: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut m = message.to_vec();
    for mutation in mutations {
        let at = |at: usize, m: &Vec<u8>| at % (m.len() + 1);
        match mutation {
            Mutation::Set { at: a, byte } if !m.is_empty() => {
                let i = a % m.len();
                m[i] = *byte;
            }
            Mutation::Set { .. } => {}
            Mutation::Insert { at: a, bytes } => {
                let i = at(*a, &m);
                m.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete { at: a, len } => {
                let i = at(*a, &m);
                let end = (i + len).min(m.len());
                m.drain(i..end);
            }
            Mutation::Repeat { at: a, len, times } => {
                let i = at(*a, &m);
                let end = (i + len).min(m.len());
                let piece = m[i..end].to_vec();
                // keep a message under 1 MiB: big enough to matter, small enough to be quick
                if m.len() + piece.len() * times < 1 << 20 {
                    let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
                    m.splice(end..end, repeated);
                }
            }
            Mutation::Truncate { at: a } => {
                let i = at(*a, &m);
                m.truncate(i);
            }
        }
    }
    m
}

/// Any input a mail server could hand over: random bytes, random bytes behind a header
/// block, or a corpus message mutated.
fn hostile_mail(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let random = proptest::collection::vec(any::<u8>(), 0..2048);
    let headed = proptest::collection::vec(any::<u8>(), 0..1024).prop_map(|rest| {
        let mut m = b"From: \"Eve\" <eve@example.net>\nSubject: ".to_vec();
        m.extend(rest);
        m
    });
    let mutated = (
        proptest::sample::select(corpus),
        proptest::collection::vec(mutation(), 1..8),
    )
        .prop_map(|(message, mutations)| mutate(&message, &mutations));
    prop_oneof![1 => random, 1 => headed, 4 => mutated]
}

fn corpus() -> Vec<Vec<u8>> {
    let files = corpus_files();
    assert!(files.len() >= 25, "corpus not found at {}", corpus_dir().display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

fn options(own: &[String]) -> ParseOptions<'_> {
    ParseOptions {
        max_mime_parts: 1000,
        tag: TAG,
        own_addresses: own,
        envelope_sender: None,
        undeclared_charset: None,
    }
}

/// Whether a one-line value has a line break or a control character.
fn not_one_line(text: &str) -> bool {
    text.chars().any(char::is_control)
}

#[test]
fn parsing_any_bytes_neither_panics_nor_hangs_and_gives_clean_lines() {
    let own = vec!["help@tickets.test".to_string()];
    let options = options(&own);
    let mut runner = runner(cases(2000));
    let result = runner.run(&hostile_mail(corpus()), |raw| {
        let started = Instant::now();
        let parsed = parse(&raw, &options);
        let took = started.elapsed();
        prop_assert!(took < Duration::from_secs(5), "{} bytes took {took:?}", raw.len());
        match parsed {
            Ok(m) => {
                prop_assert!(!m.dedupe_key.is_empty());
                prop_assert!(!not_one_line(&m.subject), "subject {:?}", m.subject);
                if let Some(sender) = &m.sender {
                    prop_assert!(!not_one_line(&sender.name), "name {:?}", sender.name);
                    prop_assert!(!not_one_line(&sender.address), "address {:?}", sender.address);
                }
                for part in &m.parts {
                    if let Some(name) = &part.filename {
                        prop_assert!(!not_one_line(name), "filename {name:?}");
                    }
                }
                prop_assert!(!m.parts.is_empty(), "every message has at least its top part");
            }
            // the one refusal: a MIME bomb, named, for the quarantine
            Err(e) => prop_assert!(e.to_string().contains("max_mime_parts"), "{e}"),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_daemon_stores_any_bytes_with_their_raw_original_and_lives_on() {
    let d = Daemon::start();
    let mut runner = runner(cases(50));
    let result = runner.run(&hostile_mail(corpus()), |raw| {
        let out = d.mailgate(&["--queue", "general", "--timeout", "30"], &raw);
        // input that is no mail at all (nothing, binary without headers) is bounced with
        // 65 and not stored (not_mail.rs)
        if ticketd::mail::not_mail(&raw).is_some() {
            prop_assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
            prop_assert!(!stored(&d, &raw)?, "refused input is not stored");
            return Ok(());
        }
        // 0 for anything else: stored, quarantined, or seen before; never a bounce or a
        // retry (75 would also mean it hung past the timeout)
        prop_assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        if !stored(&d, &raw)? && !seen(&d, &raw)? {
            return Err(TestCaseError::fail("neither stored nor recognised as stored"));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}\n{}", d.log());
    }
    assert!(!d.log().contains("panicked"), "{}", d.log());
    d.tkt_ok(&["quarantine", "list"]);
}

/// Whether the raw bytes are stored, on a transaction or in the quarantine.
fn stored(d: &Daemon, raw: &[u8]) -> Result<bool, TestCaseError> {
    let hash: String = Sha256::digest(raw).iter().map(|b| format!("{b:02x}")).collect();
    d.db()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM raw_messages r WHERE r.sha256 = ?1 AND r.bytes = ?2 AND \
             (EXISTS (SELECT 1 FROM transactions x WHERE x.raw_message_id = r.id) \
              OR EXISTS (SELECT 1 FROM quarantine q WHERE q.raw_message_id = r.id)))",
            ticketd::store::sql::params![hash, raw],
            |r| r.get(0),
        )
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Whether a message with the same dedupe key was stored before (a redelivery, which is
/// answered "duplicate" and not stored twice).
fn seen(d: &Daemon, raw: &[u8]) -> Result<bool, TestCaseError> {
    let own = vec!["help@tickets.test".to_string()];
    let key = match parse(raw, &options(&own)) {
        Ok(m) => m.dedupe_key,
        Err(_) => format!(
            "sha256:{}",
            Sha256::digest(raw)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
    };
    d.db()
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM seen_messages WHERE key = ?1)",
            [key],
            |r| r.get(0),
        )
        .map_err(|e| TestCaseError::fail(e.to_string()))
}
