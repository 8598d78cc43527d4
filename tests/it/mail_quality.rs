//! Every message of tests/corpus/mail-quality/ is read as a mail client reads it: each is
//! delivered through the real mailgate, and its ticket's subject, text and attachments are
//! compared with what Python's `email` package (policy=default) reads from the same file,
//! kept in tests/mail-quality/<name>.json by `tests/mail-quality/reference.py`.
//!
//! The comparison, field by field:
//! - subject: equal once white space is collapsed;
//! - text: the reference's words (letters and digits) appear in the ticket's text in the
//!   same order (HTML-to-text and quoting may add words around them, never lose any), and
//!   an empty reference text expects an empty ticket text;
//! - attachments: every file the reference lists is an attachment of the ticket with the
//!   same name, and for non-text files the same decoded size.
//!
//! A "ticketd" object in the JSON replaces the reference's fields where ticketd differs on
//! purpose, with a "why". The test prints how many messages matched on each field, and
//! fails naming every message that did not.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::Daemon;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/mail-quality")
}

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail-quality")
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/corpus/mail-quality")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.ends_with(".md") && !name.starts_with('.')
        })
        .collect();
    files.sort();
    files
}

/// Letters and digits, lowercased, in order.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `needle` appears in `haystack` in order (not necessarily adjacent).
fn in_order(needle: &[String], haystack: &[String]) -> Option<String> {
    let mut rest = haystack.iter();
    for (i, word) in needle.iter().enumerate() {
        if !rest.any(|w| w == word) {
            let context = needle[i.saturating_sub(3)..(i + 4).min(needle.len())].join(" ");
            return Some(format!("word {i} `{word}` (in `{context}`) is missing"));
        }
    }
    None
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The reference's value of `field`, or ticketd's deliberate one.
fn expected<'a>(spec: &'a Value, field: &str) -> &'a Value {
    spec.get("ticketd").and_then(|t| t.get(field)).unwrap_or(&spec[field])
}

/// What differs between the ticket's first message and the reference, field by field.
fn compare(spec: &Value, ticket: &Value) -> [Option<String>; 3] {
    let tx = ticket["transactions"]
        .as_array()
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or(Value::Null);
    let subject_want = collapse(expected(spec, "subject").as_str().unwrap_or(""));
    let subject_got = collapse(ticket["subject"].as_str().unwrap_or(""));
    let subject = (subject_want != subject_got).then(|| format!("subject {subject_got:?}, expected {subject_want:?}"));

    let text_want = expected(spec, "text").as_str().unwrap_or("");
    let text_got = tx["content"].as_str().unwrap_or("");
    let text = if words(text_want).is_empty() {
        (!words(text_got).is_empty()).then(|| format!("text {:.200?}, expected none", text_got))
    } else {
        in_order(&words(text_want), &words(text_got))
            .map(|why| format!("text: {why}; the ticket says {:.300?}", text_got))
    };

    let got: Vec<&Value> = tx["attachments"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut missing = Vec::new();
    for want in expected(spec, "attachments").as_array().into_iter().flatten() {
        let Some(name) = want["filename"].as_str() else {
            continue;
        };
        let found = got.iter().any(|a| {
            a["filename"].as_str() == Some(name)
                && want.get("size").is_none_or(|size| a["size"].as_i64() == size.as_i64())
        });
        if !found {
            missing.push(format!(
                "{name:?} ({} bytes)",
                want.get("size").map_or("?".into(), Value::to_string)
            ));
        }
    }
    let attachments = (!missing.is_empty()).then(|| {
        let have: Vec<String> = got
            .iter()
            .map(|a| format!("{} ({})", a["filename"], a["size"]))
            .collect();
        format!(
            "attachments {} missing; the ticket has {}",
            missing.join(", "),
            have.join(", ")
        )
    });
    [subject, text, attachments]
}

#[test]
fn mail_quality_fixtures_read_as_the_reference_reader_reads_them() {
    let files = fixtures();
    assert!(!files.is_empty(), "no fixtures in {}", fixtures_dir().display());
    let d = Daemon::start();
    let mut matched = [0usize; 3];
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let spec_path = expected_dir().join(format!("{name}.json"));
        let Ok(spec) = std::fs::read_to_string(&spec_path) else {
            failures.push(format!(
                "{name}: no {} (run python3 tests/mail-quality/reference.py)",
                spec_path.display()
            ));
            continue;
        };
        let spec: Value = serde_json::from_str(&spec).expect("reference JSON");
        let before = d.count("SELECT COALESCE(MAX(id), 0) FROM transactions");
        d.deliver("general", &std::fs::read(file).unwrap());
        let ticket = d.count(&format!(
            "SELECT ticket_id FROM transactions WHERE id > {before} AND raw_message_id IS NOT NULL ORDER BY id LIMIT 1"
        ));
        let mut shown = d.show(ticket);
        // the message's own transaction first, whichever ticket it threaded onto
        if let Some(all) = shown["transactions"].as_array_mut() {
            all.retain(|t| t["id"].as_i64().unwrap_or(0) > before);
        }
        for (field, difference) in ["subject", "text", "attachments"].iter().zip(compare(&spec, &shown)) {
            match difference {
                None => {
                    matched[["subject", "text", "attachments"]
                        .iter()
                        .position(|f| f == field)
                        .unwrap()] += 1
                }
                Some(why) => failures.push(format!("{name}: {why}")),
            }
        }
    }
    println!(
        "mail quality: {} messages; as the reference reads them: subject {}, text {}, attachments {}",
        files.len(),
        matched[0],
        matched[1],
        matched[2]
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_word_comparison_catches_lost_text() {
    let want = words("Hello, world: the 2nd line.");
    assert_eq!(in_order(&want, &words("> hello world\nthe 2nd LINE [1]")), None);
    assert!(in_order(&want, &words("hello the 2nd line")).is_some());
    assert!(in_order(&want, &words("")).is_some());
}
