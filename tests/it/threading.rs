//! Threading (CONTRACT.md): subject tag, then In-Reply-To/References, then the address
//! extension, else a new ticket. Nothing is ever rejected for naming a wrong ticket.

use crate::harness::*;

fn correspondences(d: &Daemon, id: i64) -> usize {
    transactions_of(&d.show(id), "Correspond").len()
}

fn tickets(d: &Daemon) -> i64 {
    d.count("SELECT COUNT(*) FROM tickets")
}

#[test]
fn a_reply_with_our_tag_threads_in_every_spelling() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    for subject in [
        "Re: [tickets.test #1] Printer",
        "RE: AW: [TICKETS.TEST #1] Printer",
        "SV: Fwd: [ tickets.test  #1 ] Printer",
        "Printer [tickets.test #1] again",
    ] {
        d.deliver("general", &mail("zoe@example.net", subject, "Still jams.", &[]));
    }
    assert_eq!(tickets(&d), 1);
    assert_eq!(correspondences(&d, 1), 4);
}

#[test]
fn a_foreign_tag_and_a_tag_of_no_ticket_make_new_tickets() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [other.rt #1] Printer", "x", &[]),
    );
    assert_eq!(tickets(&d), 2);
    let out = d.mailgate(
        &["--queue", "general"],
        &mail("zoe@example.net", "Re: [tickets.test #99] Lost", "y", &[]),
    );
    assert_eq!(out.status.code(), Some(0), "never rejected: {}", stderr(&out));
    assert_eq!(tickets(&d), 3);
    assert_eq!(d.show(3)["subject"], "Re: [tickets.test #99] Lost");
}

#[test]
fn a_reply_that_lost_the_tag_threads_by_in_reply_to_our_autoreply() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let autoreply = d
        .outbox()
        .into_iter()
        .find(|m| m.kind == "autoreply")
        .expect("an autoreply");
    let id = header(&autoreply.message, "Message-ID").unwrap();
    d.deliver(
        "general",
        &mail(
            "zoe@example.net",
            "Re: your mail",
            "Still jams.",
            &[&format!("In-Reply-To: {id}")],
        ),
    );
    // References alone, with an unknown id first, also threads
    d.deliver(
        "general",
        &mail(
            "zoe@example.net",
            "Re: re: your mail",
            "Now it smokes.",
            &[&format!("References: <unknown@x> {id}")],
        ),
    );
    assert_eq!(tickets(&d), 1);
    assert_eq!(correspondences(&d, 1), 2);
}

#[test]
fn a_reply_to_the_original_message_threads_too() {
    let d = Daemon::start();
    d.deliver(
        "general",
        b"From: zoe@example.net\nSubject: Printer\nMessage-ID: <orig@example.net>\n\nIt jams.\n",
    );
    d.deliver(
        "general",
        &mail(
            "bob@example.net",
            "Re: Printer",
            "Me too.",
            &["In-Reply-To: <orig@example.net>"],
        ),
    );
    assert_eq!(tickets(&d), 1);
}

#[test]
fn the_address_extension_names_the_ticket_when_asked_to() {
    let d = Daemon::start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let args = ["--queue", "general", "--extension", "ticket"];
    let out = d.mailgate_env(
        &args,
        &mail("zoe@example.net", "no tag here", "x", &[]),
        &[("EXTENSION", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tickets(&d), 1);
    assert_eq!(correspondences(&d, 1), 1);
    // a number that is no ticket makes a new one
    let out = d.mailgate_env(
        &args,
        &mail("zoe@example.net", "other", "y", &[]),
        &[("EXTENSION", "77")],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(tickets(&d), 2);
}

#[test]
fn the_extension_can_name_the_queue_or_the_action() {
    let d = Daemon::start();
    let out = d.mailgate_env(
        &["--queue", "general", "--extension", "queue"],
        &mail("zoe@example.net", "Router down", "x", &[]),
        &[("EXTENSION", "network")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(d.show(1)["queue"], "network");
    let out = d.mailgate_env(
        &["--queue", "network", "--extension", "action"],
        &mail(
            "staff@tickets.test",
            "Re: [tickets.test #1] Router down",
            "internal note",
            &[],
        ),
        &[("EXTENSION", "comment")],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(transactions_of(&d.show(1), "Comment").len(), 1);
}

#[test]
fn comment_action_records_a_comment_from_staff_and_refuses_one_from_a_requestor() {
    let d = Daemon::start();
    d.deliver("network", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let comment = |from: &str| {
        d.mailgate(
            &["--queue", "network", "--action", "comment"],
            &mail(from, "[tickets.test #1]", "note", &[]),
        )
    };
    let out = comment("staff@tickets.test");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = comment("zoe@example.net");
    assert_eq!(
        out.status.code(),
        Some(77),
        "a requestor may not comment: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("CommentOnTicket"), "{}", stderr(&out));
    let t = d.show(1);
    assert_eq!(transactions_of(&t, "Comment").len(), 1);
    assert_eq!(transactions_of(&t, "Correspond").len(), 0);
}

#[test]
fn a_requestor_reply_reopens_a_resolved_ticket_and_a_staff_reply_opens_a_new_one() {
    let d = Daemon::start();
    d.deliver("network", &mail("zoe@example.net", "Link down", "Down.", &[]));
    assert_eq!(d.show(1)["status"], "new");
    // staff@tickets.test is an AdminCc of the network queue, so privileged
    d.deliver(
        "network",
        &mail("staff@tickets.test", "Re: [tickets.test #1] Link down", "On it.", &[]),
    );
    assert_eq!(d.show(1)["status"], "open");
    d.tkt_ok(&["set", "1", "status=resolved"]);
    assert_eq!(d.show(1)["status"], "resolved");
    d.deliver(
        "network",
        &mail("zoe@example.net", "Re: [tickets.test #1] Link down", "Down again!", &[]),
    );
    let t = d.show(1);
    assert_eq!(t["status"], "open");
    let last = t["transactions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "Status");
    assert_eq!(last["old_value"], "resolved");
    assert_eq!(last["new_value"], "open");
}

#[test]
fn a_queue_with_its_own_tag_uses_it_and_every_tag_of_ours_threads() {
    let queues = r#"
[[queues]]
name = "general"
address = "help@tickets.test"

[[queues]]
name = "network"
address = "noc@tickets.test"
tag = "noc.test"
"#;
    let d = Daemon::start_with(Setup {
        queues: Some(queues.into()),
        ..Setup::default()
    });
    d.deliver("network", &mail("zoe@example.net", "Link down", "x", &[]));
    let autoreply = d.outbox().into_iter().find(|q| q.kind == "autoreply").unwrap();
    assert_eq!(
        header(&autoreply.message, "Subject").unwrap(),
        "[noc.test #1] AutoReply: Link down"
    );
    assert_eq!(
        header(&autoreply.message, "X-Ticketd-Loop").unwrap(),
        TAG,
        "the loop header names the system"
    );
    d.deliver(
        "network",
        &mail("zoe@example.net", "Re: [noc.test #1] Link down", "y", &[]),
    );
    d.deliver(
        "general",
        &mail("zoe@example.net", "Re: [tickets.test #1] Link down", "z", &[]),
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(transactions_of(&d.show(1), "Correspond").len(), 2);
    // tkt-made queues get tags too
    d.tkt_ok(&["queue", "create", "ops"]);
    d.tkt_ok(&["queue", "set", "ops", "tag=ops.test"]);
    d.deliver("general", &mail("zoe@example.net", "Re: [ops.test #1] still", "w", &[]));
    assert_eq!(transactions_of(&d.show(1), "Correspond").len(), 3);
}
