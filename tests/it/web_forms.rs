//! What the web UI's forms do, over plain HTTP and checked through tkt (issue 16): a
//! preview sends nothing, one update carries a reply, a status, an owner, time and several
//! files, bulk messages reach each ticket, and take, steal and untake move the owner, and one-time Cc and Bcc reach whom they name.

use crate::harness::*;
use crate::web::*;

/// A web daemon with sam (staff) logged in and a ticket from zoe in `general`.
fn sam_and_a_ticket() -> (Daemon, Web) {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer jams", "On page 2.", &[]));
    let sam = Web::login(&d, "sam@tickets.test");
    (d, sam)
}

fn transaction_count(d: &Daemon, id: i64) -> usize {
    d.show(id)["transactions"].as_array().unwrap().len()
}

#[test]
fn a_preview_shows_the_recipients_and_sends_nothing() {
    let (d, mut sam) = sam_and_a_ticket();
    let before = (transaction_count(&d, 1), d.outbox().len());
    let preview = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "correspond"),
            ("content", "Not yet."),
            ("status", "resolved"),
            ("preview", "1"),
        ],
        &[("attachment", "notes.txt", b"draft")],
    );
    assert_eq!(preview.status, 200, "{preview:?}");
    let recipients = element(&preview.body, "recipients").text;
    assert!(recipients.contains("zoe@example.net"), "{recipients}");
    // what was typed is kept for the real send
    let form = element(&preview.body, "update");
    assert!(form.text.contains("Not yet."), "{}", preview.body);
    assert_eq!(
        (transaction_count(&d, 1), d.outbox().len()),
        before,
        "a preview changed something"
    );
    assert_eq!(d.show(1)["status"], "new");
}

#[test]
fn one_update_records_a_reply_status_owner_time_and_every_file() {
    let (d, mut sam) = sam_and_a_ticket();
    let answer = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "correspond"),
            ("content", "A new roller is on its way."),
            ("status", "stalled"),
            ("owner", "sam@tickets.test"),
            ("minutes", "15"),
        ],
        &[
            ("attachment", "quote.txt", b"42 EUR"),
            ("attachment", "photo.bin", &[0, 1, 2, 255]),
        ],
    );
    assert_eq!(answer.status, 303, "{answer:?}");
    assert_eq!(answer.location(&sam.origin), "/ticket/1");
    let t = d.show(1);
    assert_eq!(t["status"], "stalled", "{t:#}");
    assert_eq!(t["owner"], "sam@tickets.test");
    assert_eq!(t["time_worked"], 15);
    let replies = transactions_of(&t, "Correspond");
    assert_eq!(replies.len(), 1, "{t:#}");
    assert!(replies[0]["content"].as_str().unwrap().contains("roller is on its way"));
    let mut files: Vec<&str> = replies[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    files.sort();
    assert_eq!(files, ["photo.bin", "quote.txt"], "{t:#}");
    let mailed = d.outbox();
    assert!(
        mailed
            .iter()
            .any(|m| m.recipients.iter().any(|r| r == "zoe@example.net")
                && m.message.contains("quote.txt")
                && m.message.contains("photo.bin")),
        "{mailed:#?}"
    );
}

#[test]
fn a_bulk_comment_reaches_each_chosen_ticket_and_no_requestor() {
    let (d, mut sam) = sam_and_a_ticket();
    d.deliver("general", &mail("bob@example.net", "Toner", "Empty.", &[]));
    d.deliver("general", &mail("ann@example.net", "VPN", "Drops.", &[]));
    let mailed_before = d.outbox().len();
    let answer = sam.post(
        "/search/bulk",
        &[
            ("q", "Queue = 'general'"),
            ("id", "1"),
            ("id", "3"),
            ("status", ""),
            ("owner", ""),
            ("queue", ""),
            ("priority", "70"),
            ("add_cc", "lead@example.org"),
            ("message", "comment"),
            ("content", "Vendor call at 3pm."),
        ],
    );
    // every ticket went through: back to the results (a reload makes nothing again),
    // which say what was updated
    assert_eq!(answer.status, 303, "{answer:?}");
    let back = answer.location(&sam.origin);
    assert!(
        back.starts_with("/search?q=Queue") && back.ends_with("&updated=1%2C3"),
        "{back}"
    );
    let results = sam.get(&back);
    let notes = element_with(&results.body, "class=\"note\"").text;
    assert_eq!(notes, "Updated: #1, #3.", "{}", results.body);
    for id in [1, 3] {
        let t = d.show(id);
        assert_eq!(t["priority"], 70, "#{id}: {t:#}");
        assert_eq!(t["cc"], serde_json::json!(["lead@example.org"]), "#{id}");
        let comments = transactions_of(&t, "Comment");
        assert_eq!(comments.len(), 1, "#{id}: {t:#}");
        assert!(comments[0]["content"].as_str().unwrap().contains("Vendor call"));
    }
    let untouched = d.show(2);
    assert_eq!(untouched["priority"], 0);
    assert!(transactions_of(&untouched, "Comment").is_empty());
    assert!(
        !d.outbox()[mailed_before..]
            .iter()
            .any(|m| m.recipients.iter().any(|r| r.ends_with("@example.net"))),
        "a comment was mailed to a requestor"
    );
}

#[test]
fn take_steal_and_untake_move_the_owner() {
    let (d, mut sam) = sam_and_a_ticket();
    d.web_staff("carol@tickets.test");
    let mut carol = Web::login(&d, "carol@tickets.test");
    assert_eq!(carol.post("/ticket/1/take", &[]).status, 303);
    assert_eq!(d.show(1)["owner"], "carol@tickets.test");
    // sam sees Steal, not Take, on carol's ticket
    let page = sam.get("/ticket/1").page();
    assert!(page.by_id("steal").is_some() && page.by_id("take").is_none());
    assert_eq!(sam.post("/ticket/1/steal", &[]).status, 303);
    assert_eq!(d.show(1)["owner"], "sam@tickets.test");
    let page = sam.get("/ticket/1").page();
    assert!(page.by_id("untake").is_some(), "no Untake on my own ticket");
    assert_eq!(sam.post("/ticket/1/untake", &[]).status, 303);
    assert_eq!(d.show(1)["owner"], "Nobody");
}

#[test]
fn search_results_sort_both_ways() {
    let (d, mut sam) = sam_and_a_ticket();
    d.deliver("general", &mail("bob@example.net", "Toner", "Empty.", &[]));
    d.deliver("general", &mail("ann@example.net", "VPN", "Drops.", &[]));
    let q = "q=Queue%20%3D%20%27general%27";
    let rows = |web: &mut Web, order: &str| {
        let answer = web.get(&format!("/search?{q}&order_by=id&order={order}"));
        assert_eq!(answer.status, 200, "{answer:?}");
        section_rows(&answer.body, "results")
    };
    assert_eq!(rows(&mut sam, "asc"), [1, 2, 3]);
    assert_eq!(rows(&mut sam, "desc"), [3, 2, 1]);
}

#[test]
fn the_update_form_has_one_time_cc_and_bcc_and_the_preview_names_them() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let mut sam = Web::login(&d, "sam@tickets.test");
    let update = sam.get("/ticket/1/update?action=correspond");
    assert_eq!(update.status, 200, "{update:?}");
    let form = element(&update.body, "update");
    for field in ["cc", "bcc"] {
        assert!(
            form.find("input", "name", field).is_some(),
            "form#update: no input[name={field}]"
        );
    }
    // a Cc given with a reply is told: it is among the recipients of the preview
    let preview = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "correspond"),
            ("content", "x"),
            ("cc", "boss@example.org"),
            ("preview", "1"),
        ],
        &[],
    );
    assert!(
        element(&preview.body, "recipients").text.contains("boss@example.org"),
        "{}",
        preview.body
    );
}

#[test]
fn a_reply_copies_the_one_time_cc_in_the_open_and_the_bcc_on_the_envelope_only() {
    let (d, mut sam) = sam_and_a_ticket();
    let sent = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "correspond"),
            ("content", "The roller is ordered."),
            ("cc", "boss@example.org, Clerk@Example.COM"),
            ("bcc", "audit@example.org"),
        ],
        &[],
    );
    assert_eq!(sent.status, 303, "{sent:?}");
    d.assert_one_time_copies("zoe@example.net");
    // one time only: the next reply goes to the requestor alone
    d.tkt_ok(&["reply", "1", "-m", "It has arrived."]);
    let last = d.outbox().pop().unwrap();
    assert_eq!(last.recipients, ["zoe@example.net"]);
}

#[test]
fn a_comment_copies_its_one_time_cc_and_a_bad_address_is_refused() {
    let (d, mut sam) = sam_and_a_ticket();
    let refused = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "comment"),
            ("content", "Ask the vendor."),
            ("cc", "not an address"),
        ],
        &[],
    );
    assert_eq!(refused.status, 200, "{refused:?}");
    assert!(
        error_text(&refused.body).unwrap().contains("is not a mail address"),
        "{}",
        refused.body
    );
    assert_eq!(transaction_count(&d, 1), 1, "a refused message was recorded");
    let before = d.outbox().len();
    let sent = sam.post_multipart(
        "/ticket/1/update",
        &[
            ("action", "comment"),
            ("content", "Ask the vendor."),
            ("cc", "vendor@example.org"),
        ],
        &[],
    );
    assert_eq!(sent.status, 303, "{sent:?}");
    // general has no AdminCc and the ticket no owner: no rule mails the comment, so the
    // one-time Cc gets a copy of its own, as a comment (Reply-To the comment address)
    let new: Vec<_> = d.outbox().into_iter().skip(before).collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0].recipients, ["vendor@example.org"]);
    assert!(new[0].message.contains("Ask the vendor."), "{}", new[0].message);
    assert!(!new[0].message.contains("zoe@example.net"), "{}", new[0].message);
}

#[test]
fn a_bulk_update_that_fails_for_one_ticket_says_which_and_why() {
    let (d, mut sam) = sam_and_a_ticket();
    // a ticket gone since the page was shown
    let answer = sam.post(
        "/search/bulk",
        &[
            ("q", "Queue = 'general'"),
            ("id", "1"),
            ("id", "99"),
            ("status", "stalled"),
        ],
    );
    // not every ticket went through: the page itself, each ticket's outcome on it
    assert_eq!(answer.status, 200, "{answer:?}");
    let page = Page::parse(&answer.body);
    assert!(page.text.contains("Ticket 1: updated."), "{}", page.text);
    assert!(
        page.text.contains("Ticket 99: ticket 99 does not exist"),
        "{}",
        page.text
    );
    assert_eq!(d.show(1)["status"], "stalled");
}
