//! Mail that every client threads and shows right: what ticketd sends, read back by a
//! second parser (Python's `email` package, tests/tools/parse_mail.py) as a mail client
//! would. MIME-Version and To on every message; `Auto-Submitted` only on what the system
//! writes by itself; From names the person who wrote (via the queue), or the queue alone;
//! References that start with the ticket's first message, whether staff answer in tkt or
//! by mail; a reply's files sent along within the limit and named beyond it; RT's
//! recipients; one ticket for a message to two queues.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::*;

/// A message ticketd queued, as Python reads it back.
#[derive(Debug)]
struct Sent {
    /// The rule that sent it.
    kind: String,
    recipients: Vec<String>,
    mail: Value,
}

/// Every message queued so far, oldest first, each read back from the outgoing directory
/// by tests/tools/parse_mail.py. Outbox rows are final once mailgate or tkt has returned.
fn sent(d: &Daemon) -> Vec<Sent> {
    let rows: Vec<(String, String, String)> =
        d.db()
            .query_all("SELECT kind, recipients, message_id FROM outbox ORDER BY id", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            });
    d.wait_outgoing(rows.len());
    let mut parsed: HashMap<String, Value> = read_back(&d.outgoing)
        .into_iter()
        .map(|m| (m["message_id"].as_str().unwrap().to_string(), m))
        .collect();
    rows.into_iter()
        .map(|(kind, recipients, message_id)| Sent {
            kind,
            recipients: serde_json::from_str(&recipients).unwrap(),
            mail: parsed
                .remove(&message_id)
                .unwrap_or_else(|| panic!("no outgoing file for {message_id}")),
        })
        .collect()
}

/// The mail in `dir` as Python's `email` package reads it. Without python3 the test fails
/// and says what to install.
fn read_back(dir: &Path) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/parse_mail.py");
    let out = match Command::new("python3").arg(&script).arg(dir).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "these tests read outgoing mail back with python3, which could not be run ({e}): \
             install it (apt-get install python3)"
        ),
    };
    assert!(
        out.status.success(),
        "tests/tools/parse_mail.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parse_mail.py prints JSON")
}

/// What every message must be, whoever it is for: MIME, with a To, well-formed to a
/// strict parser, no line too long, our loop header.
fn assert_well_formed(m: &Value) {
    assert_eq!(m["mime_version"], "1.0", "{m:#}");
    assert!(!m["to"].as_array().unwrap().is_empty(), "no To: {m:#}");
    assert_eq!(m["defects"], serde_json::json!([]), "{m:#}");
    assert!(m["longest_line"].as_u64().unwrap() <= 998, "{m:#}");
    assert_eq!(m["loop"], TAG, "our loop header is on everything: {m:#}");
}

/// The display name in From.
fn from_name(m: &Value) -> &str {
    m["from"][0]["name"].as_str().unwrap()
}

fn ids<'a>(m: &'a Value, key: &str) -> Vec<&'a str> {
    m[key].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()
}

/// A message with this Message-ID and extra header lines.
fn message(from: &str, subject: &str, id: &str, headers: &[String], body: &str) -> Vec<u8> {
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    mail_with("noc@tickets.test", id, from, subject, body, &headers)
}

/// The one message among `new` that `kind` sent.
fn only<'a>(new: &'a [Sent], kind: &str) -> &'a Value {
    let found: Vec<&Sent> = new.iter().filter(|s| s.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} expected: {new:#?}");
    &found[0].mail
}

/// A network ticket (AdminCc staff@, Cc watcher@) from Zoe, with Sam Staff's token.
fn network_ticket(setup: Setup, first: &[u8]) -> (Daemon, String) {
    let d = Daemon::start_with(setup);
    d.tkt_ok(&["user", "set", "staff@tickets.test", "real_name=Sam Staff"]);
    let staff = d.token_for("staff@tickets.test");
    d.deliver("network", first);
    (d, staff)
}

#[test]
fn a_conversation_threads_under_the_first_message_and_says_who_wrote_each_part() {
    let original = message_id();
    let (d, staff) = network_ticket(
        Setup::default(),
        &message(
            "Zoe Customer <zoe@example.net>",
            "Printer on fire",
            &original,
            &[],
            "It burns.",
        ),
    );
    let created = sent(&d);
    created.iter().for_each(|s| assert_well_formed(&s.mail));

    // the autoreply comes from the queue, never in the customer's own name
    let autoreply = only(&created, "autoreply");
    assert_eq!(from_name(autoreply), "network", "{autoreply:#}");
    assert_eq!(autoreply["from"][0]["address"], "tickets@tickets.test");
    assert_eq!(autoreply["auto_submitted"], "auto-replied");
    assert_eq!(autoreply["precedence"], "bulk");
    assert_eq!(ids(autoreply, "in_reply_to"), [original.as_str()]);
    assert_eq!(ids(autoreply, "references"), [original.as_str()]);
    // the new ticket passed on to staff is Zoe's message, not machine mail
    let to_staff = only(&created, "notify-admincc-on-create");
    assert_eq!(from_name(to_staff), "Zoe Customer via network");
    assert!(to_staff["auto_submitted"].is_null(), "{to_staff:#}");
    assert_eq!(ids(to_staff, "references"), [original.as_str()]);

    // a reply written in tkt: Sam's mail, threaded under Zoe's first message
    let out = d.tkt_as(&staff, &["reply", "1", "-m", "We are on it."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let new: Vec<Sent> = sent(&d).into_iter().skip(created.len()).collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    let reply = only(&new, "notify-requestors-and-cc");
    assert_well_formed(reply);
    assert_eq!(from_name(reply), "Sam Staff via network");
    assert_eq!(reply["reply_to"][0]["address"], "noc@tickets.test");
    assert!(reply["auto_submitted"].is_null(), "a person's reply: {reply:#}");
    assert!(reply["precedence"].is_null(), "a person's reply: {reply:#}");
    assert_eq!(reply["to"][0]["address"], "zoe@example.net");
    assert_eq!(reply["cc"][0]["address"], "watcher@example.org");
    assert_eq!(ids(reply, "in_reply_to"), [original.as_str()]);
    assert_eq!(ids(reply, "references"), [original.as_str()]);
    assert!(reply["body"].as_str().unwrap().contains("We are on it."));
    let reply_id = reply["message_id"].as_str().unwrap().to_string();

    // Zoe answers it: the Cc's copy has To the queue (it is sent to the Cc alone)
    let before = sent(&d).len();
    let answer = message_id();
    d.deliver(
        "network",
        &message(
            "Zoe Customer <zoe@example.net>",
            "Re: [tickets.test #1] Printer on fire",
            &answer,
            &[
                format!("In-Reply-To: <{reply_id}>"),
                format!("References: <{original}> <{reply_id}>"),
            ],
            "Still burning.",
        ),
    );
    let new: Vec<Sent> = sent(&d).into_iter().skip(before).collect();
    new.iter().for_each(|s| assert_well_formed(&s.mail));
    let to_cc = new.iter().find(|s| s.kind == "notify-requestors-and-cc").unwrap();
    assert_eq!(to_cc.recipients, ["watcher@example.org"]);
    assert_eq!(to_cc.mail["envelope_to"], serde_json::json!(["watcher@example.org"]));
    assert_eq!(
        to_cc.mail["to"],
        serde_json::json!([{"name": "network", "address": "noc@tickets.test"}])
    );
    assert_eq!(to_cc.mail["cc"][0]["address"], "watcher@example.org");
    let to_staff = only(&new, "notify-owner-and-admincc");
    assert_eq!(from_name(to_staff), "Zoe Customer via network");
    assert_eq!(ids(to_staff, "in_reply_to"), [answer.as_str()]);
    assert_eq!(
        ids(to_staff, "references"),
        [original.as_str(), reply_id.as_str(), answer.as_str()]
    );
    let notice_id = to_staff["message_id"].as_str().unwrap().to_string();

    // Sam answers by mail, replying to his notification: Zoe's copy still threads under
    // her first message, and is Sam's mail
    let before = sent(&d).len();
    let by_mail = message_id();
    d.deliver(
        "network",
        &message(
            "Sam Staff <staff@tickets.test>",
            "Re: [tickets.test #1] Printer on fire",
            &by_mail,
            &[
                format!("In-Reply-To: <{notice_id}>"),
                format!("References: <{reply_id}> <{answer}> <{notice_id}>"),
            ],
            "Unplug it now.",
        ),
    );
    let new: Vec<Sent> = sent(&d).into_iter().skip(before).collect();
    let reply = only(&new, "notify-requestors-and-cc");
    assert_well_formed(reply);
    assert_eq!(from_name(reply), "Sam Staff via network");
    assert!(reply["auto_submitted"].is_null(), "{reply:#}");
    assert_eq!(ids(reply, "in_reply_to"), [by_mail.as_str()]);
    assert_eq!(
        ids(reply, "references"),
        [
            original.as_str(),
            reply_id.as_str(),
            answer.as_str(),
            notice_id.as_str(),
            by_mail.as_str()
        ]
    );

    // a change is told by the system: auto-generated, in the name of who made it
    let before = sent(&d).len();
    let out = d.tkt_as(&staff, &["set", "1", "status=resolved"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let new: Vec<Sent> = sent(&d).into_iter().skip(before).collect();
    let resolved = only(&new, "notify-requestors-on-resolve");
    assert_well_formed(resolved);
    assert_eq!(resolved["auto_submitted"], "auto-generated");
    assert_eq!(from_name(resolved), "Sam Staff via network");
    assert_eq!(ids(resolved, "references")[0], original);
}

/// A ticket made in tkt has no first mail of its own: the first mail sent about it (the
/// autoreply) starts its thread, and a reply written in tkt follows it.
#[test]
fn a_ticket_made_in_tkt_threads_under_the_first_mail_sent_about_it() {
    let d = Daemon::start();
    d.tkt_ok(&[
        "create",
        "--queue",
        "general",
        "--subject",
        "Call me back",
        "--requestor",
        "zoe@example.net",
        "-m",
        "Zoe phoned about her printer.",
    ]);
    let created = sent(&d);
    let autoreply = only(&created, "autoreply");
    assert_well_formed(autoreply);
    assert_eq!(from_name(autoreply), "general");
    assert_eq!(autoreply["auto_submitted"], "auto-replied");
    assert!(ids(autoreply, "references").is_empty());
    let first = autoreply["message_id"].as_str().unwrap().to_string();

    d.tkt_ok(&["reply", "1", "-m", "We will call you at three."]);
    let new: Vec<Sent> = sent(&d).into_iter().skip(created.len()).collect();
    let reply = only(&new, "notify-requestors-and-cc");
    assert_well_formed(reply);
    assert!(reply["auto_submitted"].is_null(), "{reply:#}");
    assert_eq!(ids(reply, "in_reply_to"), [first.as_str()]);
    assert_eq!(ids(reply, "references"), [first.as_str()]);
}

/// RT's recipients, each case: a requestor's reply reaches the owner and AdminCcs (and
/// the Ccs); a staff reply the requestors and Ccs, with a copy for the owner and AdminCcs;
/// a comment the owner and AdminCcs only. Nobody gets their own message.
#[test]
fn replies_and_comments_tell_whom_rt_tells() {
    let original = message_id();
    let (d, staff) = network_ticket(
        Setup::default(),
        &message("zoe@example.net", "Link down", &original, &[], "The uplink is down."),
    );
    d.tkt_ok(&["user", "create", "olive@tickets.test", "--privileged"]);
    d.tkt_ok(&["set", "1", "owner=olive@tickets.test"]);
    let olive = d.token_for("olive@tickets.test");
    let told = |act: &dyn Fn()| -> Vec<(String, Vec<String>)> {
        let before = d.outbox().len();
        act();
        d.outbox()
            .into_iter()
            .skip(before)
            .map(|q| (q.kind, q.recipients))
            .collect()
    };
    let pair = |kind: &str, to: &[&str]| (kind.to_string(), to.iter().map(ToString::to_string).collect());

    let requestor_reply = told(&|| {
        d.deliver(
            "network",
            &mail("zoe@example.net", "Re: [tickets.test #1] Link down", "Any news?", &[]),
        )
    });
    assert_eq!(
        requestor_reply,
        [
            pair("notify-requestors-and-cc", &["watcher@example.org"]),
            pair(
                "notify-owner-and-admincc",
                &["olive@tickets.test", "staff@tickets.test"]
            ),
        ]
    );

    let admincc_reply = told(&|| assert!(d.tkt_as(&staff, &["reply", "1", "-m", "Looking."]).status.success()));
    assert_eq!(
        admincc_reply,
        [
            pair("notify-requestors-and-cc", &["zoe@example.net", "watcher@example.org"]),
            pair("notify-owner-and-admincc", &["olive@tickets.test"]),
        ]
    );

    let owner_reply = told(&|| assert!(d.tkt_as(&olive, &["reply", "1", "-m", "Fixed."]).status.success()));
    assert_eq!(
        owner_reply,
        [
            pair("notify-requestors-and-cc", &["zoe@example.net", "watcher@example.org"]),
            pair("notify-owner-and-admincc", &["staff@tickets.test"]),
        ]
    );

    let comment = told(&|| {
        d.tkt_ok(&["comment", "1", "-m", "The ISP was at fault."]);
    });
    assert_eq!(
        comment,
        [pair(
            "notify-admincc-and-owner-of-comment",
            &["staff@tickets.test", "olive@tickets.test"]
        )]
    );
}

/// A multipart message: `text`, then each file as (name, content type, bytes) in base64
/// with its name in RFC 2231 form.
fn with_files(from: &str, subject: &str, headers: &[String], text: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\nTo: noc@tickets.test\nSubject: {subject}\nMessage-ID: <{}>\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b0\"\n",
        message_id()
    );
    for h in headers {
        m.push_str(h);
        m.push('\n');
    }
    m.push_str(&format!("\n--b0\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"));
    for (name, content_type, bytes) in files {
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = base64(bytes);
        m.push_str(&format!(
            "--b0\nContent-Type: {content_type}\nContent-Disposition: attachment; filename*=utf-8''{encoded}\n\
             Content-Transfer-Encoding: base64\n\n{body}\n"
        ));
    }
    m.push_str("--b0--\n");
    m.into_bytes()
}

/// Base64 in lines of 76 characters (RFC 2045).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (j, b)| n | u32::from(*b) << (16 - 8 * j));
        for j in 0..4 {
            out.push(if j <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * j) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The files a message carries, as (name, size, sha256).
fn files_of(m: &Value) -> Vec<(String, u64, String)> {
    m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap().to_string(),
                a["size"].as_u64().unwrap(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_files_of_a_message_go_along_within_the_limit_and_the_rest_are_named() {
    let csv = "Gerät;Stück\nDrucker;1\n".as_bytes();
    let photo: Vec<u8> = (0..3000u32).map(|n| (n * 7 % 256) as u8).collect();
    let big: Vec<u8> = vec![0xA5; 8000];
    let first = with_files(
        "Zoe Customer <zoe@example.net>",
        "Printer on fire",
        &[],
        "Photos attached.",
        &[
            ("Übersicht \"Q3\".csv", "text/csv; charset=utf-8", csv),
            ("photo.jpg", "image/jpeg", &photo),
            ("big.bin", "application/octet-stream", &big),
        ],
    );
    let (d, _) = network_ticket(
        Setup {
            mail: vec!["max_attachment_bytes_per_notification = 5000".into()],
            ..Setup::default()
        },
        &first,
    );
    let created = sent(&d);
    created.iter().for_each(|s| assert_well_formed(&s.mail));
    // the requestor's own files are not sent back to her
    assert!(files_of(only(&created, "autoreply")).is_empty());
    let to_staff = only(&created, "notify-admincc-on-create");
    assert_eq!(to_staff["content_type"], "multipart/mixed");
    assert_eq!(
        files_of(to_staff),
        [
            ("Übersicht \"Q3\".csv".to_string(), csv.len() as u64, sha256(csv)),
            ("photo.jpg".to_string(), 3000, sha256(&photo)),
        ]
    );
    let body = to_staff["body"].as_str().unwrap();
    assert!(body.contains("Photos attached."), "{body}");
    assert!(
        body.contains("[Not attached, more than 4.9 KiB a message: big.bin (7.8 KiB). They are on ticket #1.]"),
        "{body}"
    );

    // a comment's files go to the owner; a staff reply's to the requestor and the Cc
    d.tkt_ok(&["user", "create", "olive@tickets.test", "--privileged"]);
    d.tkt_ok(&["set", "1", "owner=olive@tickets.test"]);
    let before = sent(&d).len();
    let trace = b"hop 1\nhop 2\n";
    let comment = with_files(
        "Sam Staff <staff@tickets.test>",
        "[tickets.test #1] trace",
        &[],
        "The trace.",
        &[("trace.txt", "text/plain", trace)],
    );
    let out = d.mailgate(&["--queue", "network", "--action", "comment"], &comment);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let new: Vec<Sent> = sent(&d).into_iter().skip(before).collect();
    let to_owner = only(&new, "notify-admincc-and-owner-of-comment");
    assert_eq!(new[0].recipients, ["olive@tickets.test"]);
    assert!(to_owner["auto_submitted"].is_null(), "{to_owner:#}");
    assert_eq!(files_of(to_owner), [("trace.txt".to_string(), 12, sha256(trace))]);

    let before = sent(&d).len();
    let manual: Vec<u8> = (0..4000u32).map(|n| (n % 251) as u8).collect();
    let reply = with_files(
        "Sam Staff <staff@tickets.test>",
        "Re: [tickets.test #1] Printer on fire",
        &[],
        "The manual, page 12.",
        &[
            ("manual.pdf", "application/pdf", &manual),
            ("big.bin", "application/octet-stream", &big),
        ],
    );
    d.deliver("network", &reply);
    let new: Vec<Sent> = sent(&d).into_iter().skip(before).collect();
    let to_requestor = only(&new, "notify-requestors-and-cc");
    assert_well_formed(to_requestor);
    assert_eq!(
        files_of(to_requestor),
        [("manual.pdf".to_string(), 4000, sha256(&manual))]
    );
    assert!(
        to_requestor["body"]
            .as_str()
            .unwrap()
            .contains("[Not attached, more than 4.9 KiB a message: big.bin (7.8 KiB). They are on ticket #1.]")
    );
}

/// One message to two queue addresses (To: help@, Cc: noc@) is delivered once to each:
/// one ticket, in the queue of the first delivery, which notes the other queue once.
#[test]
fn a_message_to_two_queues_makes_one_ticket_that_names_the_other() {
    let d = Daemon::start();
    let id = message_id();
    let both = format!(
        "From: zoe@example.net\nTo: help@tickets.test\nCc: noc@tickets.test\nSubject: Both teams\n\
         Message-ID: <{id}>\n\nPrinter and network are down.\n"
    );
    d.deliver("general", both.as_bytes());
    let after_first = d.outbox().len();
    d.deliver("network", both.as_bytes());
    // the MTA retrying the second delivery changes nothing more
    d.deliver("network", both.as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    let ticket = d.show(1);
    assert_eq!(ticket["queue"], "general");
    let notes: Vec<&Value> = transactions_of(&ticket, "Comment")
        .into_iter()
        .filter(|x| x["field"] == "AlsoAddressedTo")
        .collect();
    assert_eq!(notes.len(), 1, "{ticket:#}");
    assert_eq!(notes[0]["new_value"], "network");
    assert_eq!(notes[0]["creator"], "RT_System");
    assert!(
        notes[0]["content"]
            .as_str()
            .unwrap()
            .contains("also addressed to queue network (noc@tickets.test)"),
        "{ticket:#}"
    );
    assert_eq!(d.outbox().len(), after_first, "the note mails nobody");
    assert_eq!(transactions_of(&ticket, "Create").len(), 1);
}
