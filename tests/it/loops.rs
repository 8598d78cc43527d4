//! Loop protection: machine-made mail is stored but never autoreplied to; our own mail
//! coming back causes no mail at all; headers never add recipients.

use crate::harness::*;

fn autoreplies(d: &Daemon) -> usize {
    d.outbox().iter().filter(|q| q.kind == "autoreply").count()
}

#[test]
fn autoresponders_bulk_mail_bounces_and_mailer_daemons_get_no_autoreply() {
    let d = Daemon::start();
    let cases: Vec<Vec<u8>> = vec![
        mail(
            "zoe@example.net",
            "Out of office",
            "I am away.",
            &["Auto-Submitted: auto-replied"],
        ),
        mail("list@example.net", "Newsletter", "News.", &["Precedence: bulk"]),
        mail("list@example.net", "Digest", "News.", &["Precedence: list"]),
        mail("MAILER-DAEMON@mx.example.net", "Undeliverable", "Returned.", &[]),
        mail(
            "zoe@example.net",
            "Exchange OOF",
            "Away.",
            &["X-Auto-Response-Suppress: All"],
        ),
        std::fs::read(corpus_dir().join("rt-emails/multipart-report")).unwrap(),
    ];
    for (n, message) in cases.iter().enumerate() {
        d.deliver("general", message);
        assert_eq!(
            d.count("SELECT COUNT(*) FROM tickets"),
            n as i64 + 1,
            "case {n} must be stored"
        );
    }
    assert_eq!(autoreplies(&d), 0, "{:?}", d.outbox());
    let dsn = d.show(6);
    assert!(
        dsn["transactions"][0]["content"]
            .as_str()
            .unwrap()
            .contains("The original message was received")
    );
}

#[test]
fn an_empty_envelope_sender_gets_no_autoreply() {
    let d = Daemon::start();
    let out = d.mailgate_env(
        &["--queue", "general"],
        &mail("zoe@example.net", "Bounce?", "x", &[]),
        &[("SENDER", "")],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(autoreplies(&d), 0);
    let out = d.mailgate_env(
        &["--queue", "general"],
        &mail("zoe@example.net", "Person", "x", &[]),
        &[("SENDER", "zoe@example.net")],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(autoreplies(&d), 1);
}

#[test]
fn machine_made_mail_notifies_staff_but_nobody_outside() {
    let d = Daemon::start();
    d.deliver("network", &mail("zoe@example.net", "Link down", "Down.", &[]));
    let before = d.outbox().len();
    // zoe's autoresponder answers a notification: staff hear of it, the Cc does not
    d.deliver(
        "network",
        &mail(
            "zoe@example.net",
            "Re: [tickets.test #1] Link down",
            "I am away.",
            &["Auto-Submitted: auto-replied"],
        ),
    );
    let new: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    let recipients: Vec<String> = new.iter().flat_map(|q| q.recipients.clone()).collect();
    assert_eq!(recipients, ["staff@tickets.test"]);
}

#[test]
fn our_own_mail_coming_back_causes_no_mail_at_all() {
    let d = Daemon::start();
    d.deliver(
        "network",
        &mail(
            "someone@example.net",
            "Looped",
            "x",
            &[&format!("X-Ticketd-Loop: {TAG}")],
        ),
    );
    d.deliver(
        "network",
        &mail("help@tickets.test", "From our own queue address", "x", &[]),
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 2, "both are stored");
    assert!(d.outbox().is_empty(), "{:?}", d.outbox());
    // another system's loop header is not ours
    d.deliver(
        "general",
        &mail("someone@example.net", "Other", "x", &["X-Ticketd-Loop: other.example"]),
    );
    assert_eq!(autoreplies(&d), 1);
}

#[test]
fn autoreplies_are_rate_limited_per_sender() {
    let d = Daemon::start_with(Setup {
        mail: vec!["autoreply_limit_per_hour = 3".into()],
        ..Setup::default()
    });
    for n in 0..5 {
        d.deliver(
            "general",
            &mail("spammy@example.net", &format!("Request {n}"), "x", &[]),
        );
    }
    d.deliver("general", &mail("other@example.net", "Mine", "x", &[]));
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 6);
    let to: Vec<String> = d
        .outbox()
        .iter()
        .filter(|q| q.kind == "autoreply")
        .map(|q| q.recipients.join(","))
        .collect();
    assert_eq!(
        to,
        [
            "spammy@example.net",
            "spammy@example.net",
            "spammy@example.net",
            "other@example.net"
        ]
    );
}

/// CVE-2023-41259 in RT: a header must never add recipients.
#[test]
fn headers_of_inbound_mail_cannot_add_recipients() {
    let d = Daemon::start();
    let message = std::fs::read(corpus_dir().join("rt-emails/rt-send-cc")).unwrap();
    d.deliver("general", &message);
    d.deliver(
        "general",
        &mail(
            "zoe@example.net",
            "Sneaky",
            "x",
            &[
                "Cc: victim1@example.org",
                "Bcc: victim2@example.org",
                "RT-Send-Cc: victim3@example.org",
                "Reply-To: victim4@example.org",
            ],
        ),
    );
    let everyone: Vec<String> = d.outbox().iter().flat_map(|q| q.recipients.clone()).collect();
    assert_eq!(everyone, ["rt@example.com", "zoe@example.net"]);
    for q in d.outbox() {
        assert!(!q.message.contains("victim"), "{}", q.message);
    }
}

/// Autoresponders that do not mark their mail still say what they are in the subject,
/// in the language of their owner.
#[test]
fn out_of_office_replies_in_many_languages_get_no_autoreply() {
    let d = Daemon::start();
    let subjects = [
        "Out of Office: Printer",
        "Automatic reply: Printer",
        "Autoreply: Printer",
        "Abwesenheitsnotiz: Drucker",
        "=?UTF-8?Q?R=C3=A9ponse_automatique_:?= Imprimante",
        "=?ISO-8859-1?Q?Respuesta_autom=E1tica:?= Impresora",
        "Afwezig: Printer",
        "Automatisch antwoord: Printer",
    ];
    for (n, subject) in subjects.iter().enumerate() {
        d.deliver(
            "general",
            &mail(&format!("away{n}@example.net"), subject, "I am away.", &[]),
        );
    }
    assert_eq!(
        d.count("SELECT COUNT(*) FROM tickets"),
        subjects.len() as i64,
        "all stored"
    );
    assert_eq!(autoreplies(&d), 0, "{:?}", d.outbox());
    assert_eq!(d.show(5)["subject"], "Réponse automatique : Imprimante");
    // a person who writes about absence is answered
    d.deliver(
        "general",
        &mail("person@example.net", "Question about out of office hours", "Hi.", &[]),
    );
    assert_eq!(autoreplies(&d), 1);
}

/// Two autoresponders that mark nothing, the requestor's and a Cc's, answer each other's
/// notifications: each gets at most `notification_limit_per_hour` messages about the
/// ticket, and the ticket says once per address that mail was held back.
#[test]
fn two_unmarked_autoresponders_cannot_mail_each_other_through_a_ticket_without_end() {
    let d = Daemon::start_with(Setup {
        mail: vec!["notification_limit_per_hour = 3".into()],
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["set", "1", "Cc+=bob@example.org"]);
    for _ in 0..6 {
        for from in ["zoe@example.net", "bob@example.org"] {
            d.deliver(
                "general",
                &mail(
                    from,
                    "Re: [tickets.test #1] Printer",
                    "Thank you for your message. I am away.",
                    &[],
                ),
            );
        }
    }
    assert_eq!(
        transactions_of(&d.show(1), "Correspond").len(),
        12,
        "every message is stored"
    );
    let to = |address: &str| {
        d.outbox()
            .iter()
            .filter(|q| q.recipients.iter().any(|r| r == address))
            .count()
    };
    assert_eq!(to("zoe@example.net"), 3, "{:?}", d.outbox());
    assert_eq!(to("bob@example.org"), 3, "{:?}", d.outbox());
    let ticket = d.show(1);
    let held: Vec<&str> = transactions_of(&ticket, "SystemError")
        .iter()
        .map(|t| t["content"].as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 2, "once per address: {held:?}");
    assert!(
        held[0].starts_with("Mail about this ticket to zoe@example.net is held back"),
        "{held:?}"
    );
    assert!(
        held[1].starts_with("Mail about this ticket to bob@example.org is held back"),
        "{held:?}"
    );
    assert!(held[0].contains("mail.notification_limit_per_hour = 3"), "{held:?}");
    // another ticket of the same people is not affected
    d.deliver("general", &mail("bob@example.org", "Another matter", "Hello.", &[]));
    assert_eq!(to("bob@example.org"), 4);
}
