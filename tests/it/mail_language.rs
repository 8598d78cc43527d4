//! Mail in its reader's language (issue 16): the built-in templates' words come from the
//! mail catalogs, each recipient reads their own `lang` (else `mail.language`), and one
//! notification to readers of two languages goes out as one copy in each.

use crate::harness::*;

/// Subject and decoded text of an outgoing message, as a mail client shows them.
fn read(message: &str) -> (String, String) {
    let parsed = mail_parser::MessageParser::default()
        .parse(message.as_bytes())
        .expect("outgoing mail parses");
    (
        parsed.subject().unwrap_or_default().to_string(),
        parsed.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
    )
}

/// The outgoing messages of `kind` to `address`.
fn mail_to(d: &Daemon, kind: &str, address: &str) -> Vec<(String, String)> {
    d.outbox()
        .iter()
        .filter(|m| m.kind == kind && m.recipients.iter().any(|r| r == address))
        .map(|m| read(&m.message))
        .collect()
}

#[test]
fn each_recipient_reads_their_own_language() {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "zoe@example.net"]);
    d.tkt_ok(&["user", "set", "zoe@example.net", "lang=de"]);
    d.tkt_ok(&["user", "set", "staff@tickets.test", "lang=fr"]);
    d.deliver("network", &mail("zoe@example.net", "Switch 4", "It is flapping.", &[]));

    let autoreply = mail_to(&d, "autoreply", "zoe@example.net");
    assert_eq!(autoreply.len(), 1);
    let (subject, text) = &autoreply[0];
    assert_eq!(subject, "[tickets.test #1] Automatische Antwort: Switch 4");
    assert!(
        text.starts_with("Guten Tag,\n\nDiese Nachricht wurde automatisch erzeugt"),
        "{text}"
    );
    assert!(text.contains("\nKennung [tickets.test #1] erhalten."), "{text}");
    assert!(text.contains("It is flapping."), "{text}");
    let notice = mail_to(&d, "notify-admincc-on-create", "staff@tickets.test");
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0]
            .1
            .starts_with("Nouveau ticket #1 dans la file network de zoe@example.net :"),
        "{}",
        notice[0].1
    );

    // a reply goes to zoe (German) and the queue's Cc (no setting: English), one copy each
    d.tkt_ok(&["reply", "1", "-m", "A new switch is on its way."]);
    d.tkt_ok(&["set", "1", "status=resolved"]);
    let resolved_de = mail_to(&d, "notify-requestors-on-resolve", "zoe@example.net");
    assert_eq!(resolved_de.len(), 1);
    assert_eq!(resolved_de[0].0, "[tickets.test #1] Erledigt: Switch 4");
    assert!(
        resolved_de[0]
            .1
            .contains("Ihr Anliegen ist nach unseren Unterlagen erledigt.")
    );
    let replies: Vec<_> = d
        .outbox()
        .into_iter()
        .filter(|m| m.kind == "notify-requestors-and-cc")
        .collect();
    assert_eq!(replies.len(), 2, "one copy per language: {replies:#?}");
    assert_eq!(replies[0].recipients, ["zoe@example.net"]);
    assert_eq!(replies[1].recipients, ["watcher@example.org"]);
}

#[test]
fn mail_language_is_the_default_for_everyone_else() {
    let d = Daemon::start_with(Setup {
        mail: vec!["language = \"fr\"".into()],
        ..Setup::default()
    });
    d.deliver(
        "general",
        &mail("bob@example.net", "Imprimante", "Bourrage papier.", &[]),
    );
    let autoreply = mail_to(&d, "autoreply", "bob@example.net");
    assert_eq!(autoreply.len(), 1);
    assert_eq!(autoreply[0].0, "[tickets.test #1] Réponse automatique : Imprimante");
    assert!(
        autoreply[0].1.contains("a reçu l'identifiant [tickets.test #1]."),
        "{}",
        autoreply[0].1
    );
    // one who chose English still reads English
    d.tkt_ok(&["user", "set", "bob@example.net", "lang=en"]);
    d.tkt_ok(&["set", "1", "status=resolved"]);
    let resolved = mail_to(&d, "notify-requestors-on-resolve", "bob@example.net");
    assert_eq!(resolved[0].0, "[tickets.test #1] Resolved: Imprimante");
}

#[test]
fn a_language_ticketd_does_not_ship_is_a_config_error() {
    let d = Daemon::start();
    let config = std::fs::read_to_string(d.config.clone()).unwrap();
    let broken = config.replace("[mail]\n", "[mail]\nlanguage = \"tlh\"\n");
    std::fs::write(d.config.clone(), broken).unwrap();
    let out = std::process::Command::new(TICKETD)
        .args(["--config", d.config.to_str().unwrap(), "--check-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("mail.language `tlh` is not a language ticketd ships"),
        "{said}"
    );
}
