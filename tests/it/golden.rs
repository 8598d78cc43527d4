//! Golden parse fixtures: each corpus message parsed by `mail::parse`, compared with the
//! expected summary in `tests/golden/<name>.json`. A mismatch writes `<name>.failed`
//! beside it and names both files; a missing fixture is written and the test fails, so a
//! new one is always reviewed before it is committed.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use ticketd::mail::{ParseOptions, parse};

use crate::harness::{corpus_dir, corpus_files};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// What a parse is judged by: everything ticketd stores, content shortened.
fn summary(raw: &[u8]) -> Value {
    let own = vec!["help@tickets.test".to_string()];
    let options = ParseOptions {
        max_mime_parts: 1000,
        tag: "tickets.test",
        own_addresses: &own,
        envelope_sender: None,
        undeclared_charset: None,
    };
    let m = parse(raw, &options).expect("the corpus parses");
    let content: String = m.content.chars().take(400).collect();
    json!({
        "subject": m.subject,
        "sender": m.sender,
        "message_id": m.message_id,
        "in_reply_to": m.in_reply_to,
        "references": m.references,
        "auto": m.auto,
        "content_chars": m.content.chars().count(),
        "content_start": content,
        "parts": m.parts.iter().map(|p| json!({
            "parent": p.parent,
            "content_type": p.content_type,
            "filename": p.filename,
            "size": p.content.as_ref().map(Vec::len),
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn corpus_parses_as_the_golden_files_say() {
    let mut failures = Vec::new();
    let files = corpus_files();
    for file in files {
        let name = file
            .strip_prefix(corpus_dir())
            .unwrap()
            .to_string_lossy()
            .replace('/', "__");
        let expected_path = golden_dir().join(format!("{name}.json"));
        let failed_path = golden_dir().join(format!("{name}.failed"));
        let actual = summary(&std::fs::read(&file).unwrap());
        let pretty = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if serde_json::from_str::<Value>(&expected).ok() == Some(actual.clone()) => {
                let _ = std::fs::remove_file(&failed_path);
            }
            Ok(_) => {
                std::fs::write(&failed_path, &pretty).unwrap();
                failures.push(format!(
                    "{} differs: see {}",
                    expected_path.display(),
                    failed_path.display()
                ));
            }
            Err(_) => {
                std::fs::create_dir_all(golden_dir()).unwrap();
                std::fs::write(&expected_path, &pretty).unwrap();
                failures.push(format!(
                    "{} was missing and has been written: review it",
                    expected_path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
