//! The staff web UI in a real browser (issue 16): what staff do in a day, each checked
//! through tkt afterwards, and a screenshot of each page in docs/screenshots/.

use crate::browser::*;
use crate::harness::*;
use crate::web::Web;

/// A web daemon with sam (staff) able to log in, and a ticket from zoe in `general`. Its
/// clock is frozen, so the dates on the pages, and so the screenshots, are the same on
/// every run.
fn staff_daemon() -> Daemon {
    let d = Daemon::start_with(Setup {
        web: true,
        now: Some("2026-03-02T09:30:00Z".into()),
        ..Setup::default()
    });
    d.web_staff("sam@tickets.test");
    d.deliver(
        "general",
        &mail(
            "Zoe Ng <zoe@example.net>",
            "Printer jams",
            "The printer jams on page 2.",
            &[],
        ),
    );
    d
}

#[test]
fn staff_log_in_and_see_their_tickets_and_the_unowned_ones() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.web_staff("carol@tickets.test");
    d.deliver("general", &mail("bob@example.net", "VPN drops", "Every hour.", &[]));
    d.deliver("network", &mail("ann@example.net", "Switch 4", "Flapping.", &[]));
    d.tkt_ok(&["set", "1", "owner=sam@tickets.test"]);
    d.tkt_ok(&["set", "3", "owner=carol@tickets.test"]);
    with_browser(&d, async |b| {
        b.goto("/").await;
        b.wait_for_path("/login").await;
        b.find("form#login input[name=user]").await;
        b.screenshot("login").await;
        b.login("sam@tickets.test").await;
        b.wait_for_path("/").await;
        b.find("section#my-tickets").await;
        assert_eq!(b.ticket_rows("section#my-tickets").await, [1]);
        assert_eq!(b.ticket_rows("section#unowned").await, [2]);
        assert!(b.has("section#unowned tr.ticket form.take button").await);
        assert!(b.find_all("section#queues tr").await.len() >= 2);
        assert!(b.has("form#quick-create select[name=queue]").await);
        b.screenshot("home").await;
        // open a ticket from the list
        b.click("section#my-tickets tr.ticket[data-id='1'] a").await;
        b.wait_for_path("/ticket/1").await;
        assert_eq!(b.text("h1#title").await, "#1: Printer jams");
        for part in ["#basics", "#people", "#dates", "#links", "#custom-fields"] {
            assert!(b.has(part).await, "{part} missing on the ticket page");
        }
        assert!(b.text("#people").await.contains("zoe@example.net"));
        let create = b.find("ol#history li.transaction[data-type=Create] div.content").await;
        assert!(create.text().await.unwrap().contains("The printer jams on page 2."));
        b.screenshot("ticket").await;
    });
}

#[test]
fn staff_reply_quoting_the_message_with_an_attachment() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    let attachment = d.dir.path().join("roller-quote.txt");
    std::fs::write(&attachment, "New roller: 42 EUR\n").unwrap();
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        b.goto("/ticket/1").await;
        b.click("ol#history li.transaction[data-type=Create] a.reply").await;
        b.wait_for_path("/ticket/1/update").await;
        let quoted = b
            .find("form#update textarea[name=content]")
            .await
            .prop("value")
            .await
            .unwrap();
        let quoted = quoted.unwrap_or_default();
        assert!(quoted.starts_with("On "), "{quoted}");
        assert!(quoted.contains("wrote:"), "{quoted}");
        assert!(quoted.contains("> The printer jams on page 2."), "{quoted}");
        b.find("form#update textarea[name=content]")
            .await
            .send_keys("\nWe ordered a new roller.\n")
            .await
            .unwrap();
        b.find("form#update input[type=file][name=attachment]")
            .await
            .send_keys(attachment.to_str().unwrap())
            .await
            .unwrap();
        // the preview replaces only its own part of the page (htmx): what was typed and
        // the file chosen stay in the form
        b.click("form#update button[name=preview][value='1']").await;
        let recipients = b.text("ul#recipients").await;
        assert!(recipients.contains("zoe@example.net"), "{recipients}");
        b.screenshot("reply").await;
        let file = b
            .find("form#update input[type=file][name=attachment]")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(
            file.ends_with("roller-quote.txt"),
            "the preview lost the file: {file:?}"
        );
        let typed = b
            .find("form#update textarea[name=content]")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(typed.contains("We ordered a new roller."), "{typed}");
        b.submit("form#update button#send").await;
        b.wait_for_path("/ticket/1").await;
        b.find("ol#history li.transaction[data-type=Correspond]").await;
        assert!(
            b.has("ol#history li.transaction[data-type=Correspond] a.attachment")
                .await
        );
    });
    let t = d.show(1);
    let replies = transactions_of(&t, "Correspond");
    assert_eq!(replies.len(), 1, "{t:#}");
    let content = replies[0]["content"].as_str().unwrap();
    assert!(content.contains("We ordered a new roller."), "{content}");
    assert!(content.contains("> The printer jams on page 2."), "{content}");
    let files: Vec<&str> = replies[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert_eq!(files, ["roller-quote.txt"], "{t:#}");
    // the reply went out to zoe with the file
    let outbox = d.outbox();
    let reply = outbox
        .iter()
        .find(|m| m.message.contains("roller-quote.txt"))
        .unwrap_or_else(|| panic!("no outgoing reply with the file: {outbox:#?}"));
    assert!(reply.recipients.iter().any(|r| r == "zoe@example.net"), "{reply:?}");
    let sent = d.wait_outgoing(outbox.len());
    assert!(
        sent.iter()
            .any(|(text, envelope)| text.contains("roller-quote.txt")
                && envelope.to_string().contains("zoe@example.net")),
        "{sent:#?}"
    );
}

#[test]
fn staff_comment_take_and_resolve() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        b.goto("/ticket/1").await;
        b.click("ol#history li.transaction[data-type=Create] a.comment").await;
        b.wait_for_path("/ticket/1/update").await;
        let action = b
            .find("form#update input[name=action]")
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(action.as_deref(), Some("comment"));
        b.fill("form#update textarea[name=content]", "Checked the logs: paper tray 2.")
            .await;
        b.submit("form#update button#send").await;
        b.wait_for_path("/ticket/1").await;
        b.find("ol#history li.transaction[data-type=Comment]").await;
        eventually("the comment is recorded", || {
            transactions_of(&d.show(1), "Comment")
                .iter()
                .any(|c| c["content"].as_str().unwrap_or_default().contains("paper tray 2"))
        })
        .await;

        b.submit("form#take button").await;
        eventually("sam owns the ticket", || d.show(1)["owner"] == "sam@tickets.test").await;
        b.goto("/ticket/1").await;
        b.submit("form.lifecycle button[name=status][value=resolved]").await;
        eventually("the ticket is resolved", || d.show(1)["status"] == "resolved").await;
        b.goto("/ticket/1").await;
        b.find("ol#history li.transaction[data-type=Status]").await;
        b.screenshot("ticket-resolved").await;
    });
    // a comment is not mail to the requestor
    assert!(
        !d.outbox()
            .iter()
            .any(|m| m.message.contains("paper tray 2") && m.recipients.iter().any(|r| r == "zoe@example.net")),
        "the comment was mailed to the requestor"
    );
}

#[test]
fn staff_create_a_ticket() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        b.goto("/create?queue=network").await;
        b.select("form#create select[name=queue]", "network").await;
        b.fill("form#create input[name=subject]", "Core switch fan noise").await;
        b.fill("form#create input[name=requestors]", "ann@example.org").await;
        b.fill("form#create textarea[name=content]", "The fan in rack 3 is loud.")
            .await;
        b.screenshot("create").await;
        b.submit("form#create button[type=submit]").await;
        b.wait_for_path("/ticket/2").await;
        assert_eq!(b.text("h1#title").await, "#2: Core switch fan noise");
        // the quick form on the home page: a queue and a subject are enough
        b.goto("/").await;
        b.select("form#quick-create select[name=queue]", "network").await;
        b.fill("form#quick-create input[name=subject]", "Spare optics").await;
        b.submit("form#quick-create button[type=submit]").await;
        b.wait_for_path("/ticket/3").await;
    });
    let quick = d.show(3);
    assert_eq!(
        (quick["queue"].as_str(), quick["subject"].as_str()),
        (Some("network"), Some("Spare optics"))
    );
    assert_eq!(
        quick["requestors"],
        serde_json::json!(["sam@tickets.test"]),
        "you, when nobody is named"
    );
    let t = d.show(2);
    assert_eq!(t["subject"], "Core switch fan noise");
    assert_eq!(t["queue"], "network");
    assert_eq!(t["requestors"], serde_json::json!(["ann@example.org"]));
    let create = &transactions_of(&t, "Create")[0];
    assert!(create["content"].as_str().unwrap().contains("rack 3"), "{t:#}");
}

#[test]
fn staff_search_save_the_search_and_find_it_on_home() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.deliver("general", &mail("bob@example.net", "Printer toner", "Empty.", &[]));
    d.deliver("general", &mail("ann@example.net", "VPN drops", "Hourly.", &[]));
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        b.goto("/search").await;
        b.fill("form#search [name=q]", "Subject LIKE 'printer'").await;
        b.submit("form#search button[type=submit]").await;
        b.find("table#results tr.ticket").await;
        let mut found = b.ticket_rows("table#results").await;
        found.sort();
        assert_eq!(found, [1, 2]);
        b.screenshot("search").await;
        // sorting swaps only the results (htmx): text typed in the search box stays
        b.fill("form#search [name=q]", "typed, not sent").await;
        b.click("table#results thead a[href*='order_by=id']").await;
        b.wait_for_path("/search").await;
        b.find("table#results thead a[href*='order_by=id'][href*='order=desc']")
            .await;
        b.click("table#results thead a[href*='order_by=id'][href*='order=desc']")
            .await;
        b.find("table#results thead a[href*='order_by=id'][href*='order=asc']")
            .await;
        assert_eq!(b.ticket_rows("table#results").await, [2, 1]);
        let typed = b.find("form#search [name=q]").await.prop("value").await.unwrap();
        assert_eq!(typed.as_deref(), Some("typed, not sent"), "the page was loaded whole");
        assert!(b.path().await.contains("order=desc"), "{}", b.path().await);
        b.fill("form#save-search input[name=name]", "Printers").await;
        b.submit("form#save-search button[type=submit]").await;
        b.goto("/").await;
        let saved = b.find("section#saved-searches a.saved-search").await;
        assert_eq!(saved.text().await.unwrap(), "Printers");
        saved.click().await.unwrap();
        b.wait_for_path("/search").await;
        b.find("table#results tr.ticket").await;
        let mut found = b.ticket_rows("table#results").await;
        found.sort();
        assert_eq!(found, [1, 2]);
    });
}

#[test]
fn staff_bulk_update_two_tickets() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.deliver("general", &mail("bob@example.net", "Printer toner", "Empty.", &[]));
    d.deliver("general", &mail("ann@example.net", "VPN drops", "Hourly.", &[]));
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        b.goto("/search?q=Queue%20%3D%20%27general%27").await;
        b.find("form#bulk input[type=checkbox][name=id]").await;
        for id in [1, 2] {
            b.click(&format!("form#bulk input[type=checkbox][name=id][value='{id}']"))
                .await;
        }
        b.select("form#bulk select[name=status]", "open").await;
        b.fill("form#bulk input[name=owner]", "sam@tickets.test").await;
        b.screenshot("bulk-update").await;
        b.submit("form#bulk button#bulk-update").await;
        eventually("tickets 1 and 2 are updated", || {
            [1, 2].iter().all(|&id| {
                let t = d.show(id);
                t["status"] == "open" && t["owner"] == "sam@tickets.test"
            })
        })
        .await;
    });
    let untouched = d.show(3);
    assert_eq!(untouched["status"], "new");
    assert_eq!(untouched["owner"], "Nobody");
}

#[test]
fn an_admin_grants_a_right_on_a_queue() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.tkt_ok(&["admin", "init", "--admin", "boss@tickets.test"]);
    d.set_password("boss@tickets.test");
    d.tkt_ok(&["user", "create", "pat@example.org"]);
    let may_see = |queue: &str| {
        let rights: serde_json::Value =
            serde_json::from_str(&d.tkt_ok(&["rights", "--user", "pat@example.org", "--queue", queue, "--json"]))
                .unwrap();
        rights
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["right"] == "ShowTicket" && r["held"] == true)
    };
    assert!(!may_see("network"));
    with_browser(&d, async |b| {
        b.login("boss@tickets.test").await;
        b.goto("/admin/rights").await;
        b.find("table#rights").await;
        b.fill("form#grant input[name=principal]", "pat@example.org").await;
        b.select("form#grant select[name=right]", "ShowTicket").await;
        b.select("form#grant select[name=queue]", "network").await;
        b.submit("form#grant button[type=submit]").await;
        eventually("pat may see network's tickets", || may_see("network")).await;
        b.find("table#rights").await;
        b.screenshot("admin-rights").await;
    });
    assert!(!may_see("general"), "the grant was for network only");
}

#[test]
fn staff_log_out_and_the_session_is_over() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    let mut old = Web::new(&d);
    with_browser(&d, async |b| {
        b.login("sam@tickets.test").await;
        old.cookie = b.session_cookie().await;
        assert!(old.cookie.is_some(), "no session cookie in the browser");
        b.submit("form#logout button").await;
        b.wait_for_path("/login").await;
        b.goto("/ticket/1").await;
        b.wait_for_path("/login").await;
        b.find("form#login").await;
        b.screenshot("logged-out").await;
    });
    // the old cookie is worth nothing now, even sent by hand
    let answer = old.get("/");
    assert_eq!(answer.status, 303, "{answer:?}");
    assert!(answer.location(&old.origin).starts_with("/login"), "{answer:?}");
}

#[test]
fn a_requestor_session_cannot_open_staff_pages() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.set_password("zoe@example.net");
    with_browser(&d, async |b| {
        b.login("zoe@example.net").await;
        for path in ["/", "/ticket/1", "/search?q=id%3E0", "/create", "/admin/rights"] {
            b.goto(path).await;
            let body = b.text("body").await;
            assert!(body.contains("staff"), "{path}: {body}");
            assert!(!b.has("h1#title").await, "{path} shows a ticket");
            assert!(!b.has("tr.ticket").await, "{path} lists tickets");
        }
        b.goto("/ticket/1").await;
        b.screenshot("requestor-refused").await;
    });
}

/// The path of the newest portal sign-in link mailed to `address`.
fn mailed_signin_link(d: &Daemon, address: &str) -> String {
    let mail = d
        .outbox()
        .into_iter()
        .rev()
        .find(|m| m.kind == "signin_link" && m.recipients.iter().any(|r| r == address))
        .expect("a sign-in mail");
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.message.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let at = text.find("/portal/signin/").expect("a link in the mail");
    text[at..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn a_requestor_signs_in_by_the_mailed_link_replies_and_creates() {
    if !chromium_installed() {
        return;
    }
    let d = staff_daemon();
    d.deliver("general", &mail("bob@example.net", "Bob's VPN", "Drops.", &[]));
    d.tkt_ok(&["comment", "1", "-m", "Internal: the vendor owes us."]);
    with_browser(&d, async |b| {
        b.goto("/portal").await;
        b.wait_for_path("/portal/login").await;
        b.fill("form#portal-login input[name=address]", "zoe@example.net").await;
        b.screenshot("portal-login").await;
        b.submit("form#portal-login button").await;
        b.find("#link-sent").await;
        let link = mailed_signin_link(&d, "zoe@example.net");
        b.goto(&link).await;
        b.submit("form#portal-signin button").await;
        b.wait_for_path("/portal").await;
        assert_eq!(b.ticket_rows("section#portal-open").await, [1]);
        b.screenshot("portal-home").await;
        b.click("section#portal-open tr.ticket[data-id='1'] a").await;
        b.wait_for_path("/portal/ticket/1").await;
        let history = b.text("ol#messages").await;
        assert!(history.contains("The printer jams on page 2."), "{history}");
        assert!(!history.contains("vendor owes"), "{history}");
        b.fill("form#portal-reply textarea[name=content]", "It works again, thanks.")
            .await;
        b.screenshot("portal-ticket").await;
        b.submit("form#portal-reply button[type=submit]").await;
        b.find("ol#messages li.message:nth-child(2)").await;
        b.goto("/portal/create").await;
        b.fill("form#portal-create input[name=subject]", "Scanner is slow")
            .await;
        b.fill("form#portal-create textarea[name=content]", "Ten minutes a page.")
            .await;
        b.submit("form#portal-create button").await;
        b.wait_for_path("/portal/ticket/3").await;
        // bob's ticket and the staff pages are not for zoe
        b.goto("/portal/ticket/2").await;
        assert!(!b.has("ol#messages").await);
        b.goto("/ticket/1").await;
        assert!(!b.has("h1#title").await);
        // the link was used: it signs nobody in again
        b.goto(&link).await;
        b.submit("form#portal-signin button").await;
        b.find("p.error").await;
    });
    let shown = d.show(1);
    let replies = transactions_of(&shown, "Correspond");
    assert!(
        replies
            .iter()
            .any(|x| x["content"].as_str().unwrap().contains("It works again"))
    );
    assert_eq!(d.show(3)["requestors"], serde_json::json!(["zoe@example.net"]));
}
