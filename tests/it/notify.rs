//! Who gets mail: the default notifications of CONTRACT.md.

use crate::harness::*;

/// A ticket in `network` (AdminCc staff@, queue Cc watcher@example.org) from zoe.
fn network_ticket() -> Daemon {
    let d = Daemon::start();
    d.deliver(
        "network",
        &mail("Zoe <zoe@example.net>", "Link down", "The uplink is down.", &[]),
    );
    d
}

fn kinds(queued: &[Queued]) -> Vec<(String, Vec<String>)> {
    queued.iter().map(|q| (q.kind.clone(), q.recipients.clone())).collect()
}

#[test]
fn create_autoreplies_to_the_requestor_and_notifies_admincc() {
    let d = network_ticket();
    assert!(d.outbox().iter().all(|q| q.ticket == Some(1)));
    assert_eq!(
        kinds(&d.outbox()),
        [
            ("autoreply".to_string(), vec!["zoe@example.net".to_string()]),
            (
                "notify-admincc-on-create".to_string(),
                vec!["staff@tickets.test".to_string()]
            ),
        ]
    );
}

#[test]
fn a_comment_reaches_admincc_only_never_the_requestor() {
    let d = network_ticket();
    let before = d.outbox().len();
    d.tkt_ok(&[
        "comment",
        "1",
        "-m",
        "The ISP is at fault; do not tell the customer yet.",
    ]);
    let new: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(
        kinds(&new),
        [(
            "notify-admincc-and-owner-of-comment".to_string(),
            vec!["staff@tickets.test".to_string()]
        )]
    );
    let m = &new[0].message;
    assert!(!m.contains("zoe@example.net"), "the requestor must not appear:\n{m}");
    assert_eq!(header(m, "Reply-To").unwrap(), "network <noc-comment@tickets.test>");
    assert!(header(m, "Subject").unwrap().contains("[Comment]"));
    // a comment by mail from staff: the actor gets no copy of their own comment
    let before = d.outbox().len();
    d.mailgate(
        &["--queue", "network", "--action", "comment"],
        &mail("staff@tickets.test", "[tickets.test #1] note", "Called the ISP.", &[]),
    );
    assert_eq!(d.outbox().len(), before);
}

#[test]
fn a_reply_goes_to_requestors_and_ccs_and_separately_to_admincc() {
    let d = network_ticket();
    let before = d.outbox().len();
    d.tkt_ok(&["reply", "1", "-m", "We are on it."]);
    let new: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(
        kinds(&new),
        [
            (
                "notify-requestors-and-cc".to_string(),
                vec!["zoe@example.net".to_string(), "watcher@example.org".to_string()]
            ),
            (
                "notify-owner-and-admincc".to_string(),
                vec!["staff@tickets.test".to_string()]
            ),
        ]
    );
    let to_requestor = &new[0].message;
    assert_eq!(header(to_requestor, "To").unwrap(), "zoe@example.net");
    assert_eq!(header(to_requestor, "Cc").unwrap(), "watcher@example.org");
    assert_eq!(header(to_requestor, "Subject").unwrap(), "[tickets.test #1] Link down");
    // a reply a person wrote goes on as their mail, not as machine mail
    assert_eq!(header(to_requestor, "Auto-Submitted"), None);
    assert!(to_requestor.contains("We are on it."));
    assert!(
        d.show(1)["told"].is_string(),
        "Told is set when a requestor is sent a reply"
    );
}

#[test]
fn the_requestor_does_not_get_their_own_reply_back() {
    let d = network_ticket();
    let before = d.outbox().len();
    d.deliver(
        "network",
        &mail("zoe@example.net", "Re: [tickets.test #1] Link down", "Any news?", &[]),
    );
    let new: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(
        kinds(&new),
        [
            (
                "notify-requestors-and-cc".to_string(),
                vec!["watcher@example.org".to_string()]
            ),
            (
                "notify-owner-and-admincc".to_string(),
                vec!["staff@tickets.test".to_string()]
            ),
        ]
    );
    assert!(d.show(1)["told"].is_null(), "nothing was sent to a requestor");
}

#[test]
fn owner_change_and_resolve_notify() {
    let d = network_ticket();
    let before = d.outbox().len();
    d.tkt_ok(&["set", "1", "owner=staff@tickets.test"]);
    d.tkt_ok(&["set", "1", "status=resolved"]);
    let new: Vec<Queued> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(
        kinds(&new),
        [
            ("notify-new-owner".to_string(), vec!["staff@tickets.test".to_string()]),
            (
                "notify-requestors-on-resolve".to_string(),
                vec!["zoe@example.net".to_string()]
            ),
        ]
    );
    assert!(
        header(&new[1].message, "Subject")
            .unwrap()
            .contains("Resolved: Link down")
    );
}

#[test]
fn queued_mail_is_delivered_to_the_outgoing_directory() {
    let d = network_ticket();
    let sent = d.wait_outgoing(2);
    let mut recipients: Vec<String> = sent
        .iter()
        .map(|(_, env)| env["forward_path"][0].as_str().unwrap().to_string())
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["staff@tickets.test", "zoe@example.net"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while d.outbox().iter().any(|q| q.status != "sent") {
        assert!(std::time::Instant::now() < deadline, "outbox rows not marked sent");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
