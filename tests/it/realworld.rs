//! Real-world mail that users and alerting systems send (issue 8): Japanese in
//! ISO-2022-JP, Windows-1252 in quoted-printable, an Outlook reply with `AW:` and a
//! winmail.dat, and a message forwarded as an attachment.

use crate::harness::*;

fn first_content(d: &Daemon, id: i64, kind: &str) -> String {
    let t = d.show(id);
    transactions_of(&t, kind)[0]["content"].as_str().unwrap().to_string()
}

#[test]
fn iso_2022_jp_subjects_and_bodies_are_read() {
    let d = Daemon::start();
    let mut message = b"From: tanaka@example.jp\r\nTo: help@tickets.test\r\n\
Subject: =?ISO-2022-JP?B?GyRCJVclaiVzJT8hPCQsMnUkbCReJDckPxsoQg==?=\r\n\
Message-ID: <jp1@example.jp>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        .to_vec();
    message.extend_from_slice(b"\x1b$B0u:~$G$-$^$;$s\x1b(B\r\n");
    d.deliver("general", &message);
    assert_eq!(d.show(1)["subject"], "プリンターが壊れました");
    assert!(first_content(&d, 1, "Create").contains("印刷できません"));
    assert_eq!(
        d.tkt_ok(&["raw", &d.show(1)["transactions"][0]["id"].to_string()])
            .len(),
        message.len()
    );
}

#[test]
fn windows_1252_in_quoted_printable_is_read() {
    let d = Daemon::start();
    let message = "From: marie@example.fr\r\nTo: help@tickets.test\r\nSubject: =?windows-1252?Q?Caf=E9?=\r\n\
Message-ID: <fr1@example.fr>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Le caf=E9 co=FBte 5 =80 =96 un peu na=EFf, non=3F Une tr=E8s longue ligne qui est coup=\r\n\
=E9e en deux.\r\n";
    d.deliver("general", message.as_bytes());
    assert_eq!(d.show(1)["subject"], "Café");
    let content = first_content(&d, 1, "Create");
    assert!(content.contains("Le café coûte 5 € – un peu naïf, non?"), "{content}");
    assert!(
        content.contains("coupée en deux."),
        "soft line breaks joined: {content}"
    );
}

#[test]
fn an_outlook_reply_threads_and_keeps_its_winmail_dat() {
    let d = Daemon::start();
    d.deliver(
        "general",
        &mail("hans@example.de", "Drucker defekt", "Der Drucker druckt nicht.", &[]),
    );
    let reply = "From: Hans <hans@example.de>\r\nTo: help@tickets.test\r\n\
Subject: AW: [tickets.test #1] Drucker defekt\r\nMessage-ID: <aw1@example.de>\r\n\
Thread-Topic: Drucker defekt\r\nThread-Index: AQHZ3Jx5\r\nX-MS-Has-Attach: yes\r\nX-MS-TNEF-Correlator: <aw1@example.de>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"_b_\"\r\n\r\n\
--_b_\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Immer noch kaputt, Gr=FC=DFe\r\n\r\n\
-----Urspr=FCngliche Nachricht-----\r\nVon: help@tickets.test\r\n\r\n\
--_b_\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n\
Content-Disposition: attachment; filename=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
eJ8+IgEAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAAEIgAcAGAAAAElQTS5NaWNy\r\n\
--_b_--\r\n";
    d.deliver("general", reply.as_bytes());
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1, "AW: with the tag threads");
    let t = d.show(1);
    let correspond = transactions_of(&t, "Correspond");
    assert_eq!(correspond.len(), 1);
    assert!(
        correspond[0]["content"]
            .as_str()
            .unwrap()
            .contains("Immer noch kaputt, Grüße")
    );
    let attachments = correspond[0]["attachments"].as_array().unwrap();
    let winmail = attachments
        .iter()
        .find(|a| a["filename"] == "winmail.dat")
        .expect("winmail.dat kept as an attachment");
    assert_eq!(winmail["content_type"], "application/ms-tnef");
    let bytes = d.tkt(&["attachment", &winmail["id"].to_string()]).stdout;
    assert_eq!(
        &bytes[..4],
        &[0x78, 0x9f, 0x3e, 0x22],
        "the TNEF signature, byte for byte"
    );
}

#[test]
fn a_message_forwarded_as_an_attachment_is_kept_whole() {
    let d = Daemon::start();
    let message = "From: lea@example.org\r\nTo: help@tickets.test\r\nSubject: Fwd: phishing?\r\n\
Message-ID: <fwd1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIs this one real? See attached.\r\n\
--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"original.eml\"\r\n\r\n\
From: \"Your Bank\" <security@bank.example>\r\nTo: lea@example.org\r\nSubject: Verify your account\r\n\
Message-ID: <phish@bank.example>\r\n\r\nClick here to verify.\r\n\
--outer--\r\n";
    d.deliver("general", message.as_bytes());
    assert_eq!(
        d.count("SELECT COUNT(*) FROM tickets"),
        1,
        "the inner Message-ID threads nothing"
    );
    let t = d.show(1);
    assert_eq!(t["subject"], "Fwd: phishing?");
    let create = &transactions_of(&t, "Create")[0];
    assert!(create["content"].as_str().unwrap().contains("Is this one real?"));
    let types: Vec<&str> = create["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["content_type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"message/rfc822"), "{types:?}");
    // the requestor is the forwarder, not the forwarded message's sender
    assert_eq!(t["requestors"][0], "lea@example.org");
}
