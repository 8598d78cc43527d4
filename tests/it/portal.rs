//! The self-service portal (issue 17): a requestor signs in with a one-time link mailed to
//! them, sees only their own tickets and never a comment, replies and creates; a used or
//! expired link, another requestor's ticket and the staff pages are refused.

use crate::harness::*;
use crate::web::*;

/// A web daemon with a frozen clock, zoe's ticket #1 (with a staff comment and reply) and
/// bob's #2.
fn portal_daemon() -> Daemon {
    let d = Daemon::start_with(Setup {
        web: true,
        now: Some("2026-12-01T09:00:00Z".into()),
        ..Setup::default()
    });
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer jams", "On page 2.", &[]));
    d.deliver("general", &mail("bob@example.net", "Bob's VPN", "Drops.", &[]));
    d.tkt_ok(&["comment", "1", "-m", "Internal: the vendor owes us."]);
    d.tkt_ok(&["reply", "1", "-m", "A new roller is on its way."]);
    d
}

/// Asks for a sign-in link for `address`: the page's answer, and the link's path if a mail
/// went out.
fn ask_link(d: &Daemon, address: &str) -> (Answer, Option<String>) {
    let before = d.outbox().len();
    let mut web = Web::new(d);
    let answer = web.post("/portal/login", &[("address", address)]);
    let link = d
        .outbox()
        .into_iter()
        .skip(before)
        .find(|m| m.kind == "signin_link")
        .map(|m| {
            let parsed = mail_parser::MessageParser::default()
                .parse(m.message.as_bytes())
                .unwrap();
            let text = parsed.body_text(0).unwrap().to_string();
            let at = text.find("/portal/signin/").expect("a link in the mail");
            text[at..].split_whitespace().next().unwrap().to_string()
        });
    (answer, link)
}

/// Signs in through a link: the portal session.
fn sign_in(d: &Daemon, link: &str) -> Web {
    let mut web = Web::new(d);
    let page = web.get(link);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        Page::parse(&page.body).by_id("portal-signin").is_some(),
        "{}",
        page.body
    );
    assert!(
        web.cookie.is_none(),
        "opening the link signed in (a mail scanner would use it up)"
    );
    let done = web.post(link, &[]);
    assert_eq!(done.status, 303, "{done:?}");
    assert_eq!(done.location(&web.origin), "/portal");
    assert!(web.cookie.is_some());
    web
}

#[test]
fn a_requestor_signs_in_by_mail_and_sees_only_their_own_correspondence() {
    let d = portal_daemon();
    // the same answer, and no mail, for an address nobody has
    let (unknown, no_mail) = ask_link(&d, "nobody@example.net");
    assert!(no_mail.is_none());
    let (known, link) = ask_link(&d, "zoe@example.net");
    assert_eq!(Page::parse(&unknown.body).text, Page::parse(&known.body).text);
    assert!(Page::parse(&known.body).by_id("link-sent").is_some(), "{}", known.body);
    let link = link.expect("a sign-in mail to zoe");
    let mut zoe = sign_in(&d, &link);

    let home = zoe.get("/portal");
    assert_eq!(home.status, 200, "{home:?}");
    assert_eq!(section_rows(&home.body, "portal-open"), [1]);
    let ticket = zoe.get("/portal/ticket/1");
    let text = Page::parse(&ticket.body).text;
    assert!(
        text.contains("On page 2.") && text.contains("A new roller is on its way."),
        "{text}"
    );
    assert!(!text.contains("vendor owes"), "a comment reached the portal: {text}");
    // bob's ticket does not exist for zoe, as one that does not exist at all
    let bobs = zoe.get("/portal/ticket/2");
    let missing = zoe.get("/portal/ticket/99");
    assert_eq!((bobs.status, missing.status), (404, 404));
    assert_eq!(
        error_text(&bobs.body).map(|t| t.replace('2', "N")),
        error_text(&missing.body).map(|t| t.replace("99", "N"))
    );
    // staff pages stay closed
    assert_eq!(zoe.get("/").status, 403);
    assert_eq!(zoe.get("/ticket/1").status, 403);

    // a reply with a file, and a new request
    let sent = zoe.post_multipart(
        "/portal/ticket/1/reply",
        &[("content", "Thanks, it works now.")],
        &[("attachment", "photo.txt", b"fixed")],
    );
    assert_eq!(sent.status, 303, "{sent:?}");
    let shown = d.show(1);
    let replies = transactions_of(&shown, "Correspond");
    let last = replies.last().unwrap();
    assert_eq!(last["creator"], "zoe@example.net");
    assert!(last["content"].as_str().unwrap().contains("it works now"));
    let made = zoe.post_multipart(
        "/portal/create",
        &[("queue", "general"), ("subject", "Scanner"), ("content", "It is slow.")],
        &[],
    );
    assert_eq!(made.status, 303, "{made:?}");
    assert_eq!(made.location(&zoe.origin), "/portal/ticket/3");
    assert_eq!(d.show(3)["requestors"], serde_json::json!(["zoe@example.net"]));

    // her own file comes back; a file on a staff comment does not exist for her
    let file_id = |t: &serde_json::Value, kind: &str| {
        transactions_of(t, kind)
            .iter()
            .flat_map(|x| x["attachments"].as_array().unwrap().clone())
            .find(|a| a["filename"].is_string())
            .map(|a| a["id"].as_i64().unwrap())
            .unwrap()
    };
    let hers = file_id(&d.show(1), "Correspond");
    let download = zoe.get(&format!("/portal/attachment/{hers}"));
    assert_eq!((download.status, download.body.as_str()), (200, "fixed"));
    d.tkt_ok(&["comment", "1", "-m", "See the quote."]);
    let mut sam = Web::login(&d, "sam@tickets.test");
    let staff_file = sam.post_multipart(
        "/ticket/1/update",
        &[("action", "comment"), ("content", "The vendor's quote.")],
        &[("attachment", "quote.txt", b"42 EUR")],
    );
    assert_eq!(staff_file.status, 303, "{staff_file:?}");
    let theirs = file_id(&d.show(1), "Comment");
    assert_eq!(zoe.get(&format!("/portal/attachment/{theirs}")).status, 404);

    // her preferences: name, language (pages and mail) and digest, on herself only
    let saved = zoe.post(
        "/portal/preferences",
        &[("real_name", "Zoe Ng"), ("lang", "de"), ("digest", "weekly")],
    );
    assert_eq!(saved.status, 303, "{saved:?}");
    let shown: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["user", "show", "zoe@example.net", "--json"])).unwrap();
    assert_eq!(
        (&shown["real_name"], &shown["lang"], &shown["digest"]),
        (
            &serde_json::json!("Zoe Ng"),
            &serde_json::json!("de"),
            &serde_json::json!("weekly")
        ),
        "{shown}"
    );
    assert!(zoe.get("/portal").body.contains("Ihre Anfragen"));
}

#[test]
fn a_used_or_expired_link_is_refused() {
    let d = portal_daemon();
    let (_, link) = ask_link(&d, "zoe@example.net");
    let link = link.unwrap();
    sign_in(&d, &link);
    let mut again = Web::new(&d);
    let used = again.post(&link, &[]);
    assert_eq!(used.status, 404, "{used:?}");
    assert!(again.cookie.is_none());

    let (_, link) = ask_link(&d, "zoe@example.net");
    d.tkt_ok(&["admin", "clock", "set", "2026-12-01T09:21:00Z"]);
    let late = Web::new(&d).post(&link.unwrap(), &[]);
    assert_eq!(late.status, 404, "{late:?}");
    assert!(error_text(&late.body).unwrap().contains("expired or was used already"));
}

#[test]
fn asking_for_links_is_throttled_whatever_the_address() {
    let d = portal_daemon();
    for _ in 0..5 {
        let (answer, _) = ask_link(&d, "zoe@example.net");
        assert!(Page::parse(&answer.body).by_id("link-sent").is_some());
    }
    let (answer, link) = ask_link(&d, "zoe@example.net");
    assert!(link.is_none(), "a sixth link in 15 minutes");
    assert!(
        error_text(&answer.body).unwrap().contains("too many"),
        "{}",
        answer.body
    );
}

#[test]
fn a_requestor_with_a_password_logs_in_to_the_portal() {
    let d = portal_daemon();
    d.set_password("zoe@example.net");
    let mut zoe = Web::new(&d);
    let answer = zoe.try_login("zoe@example.net", PASSWORD, "");
    assert_eq!(answer.status, 303, "{answer:?}");
    assert_eq!(answer.location(&zoe.origin), "/portal");
    assert_eq!(section_rows(&zoe.get("/portal").body, "portal-open"), [1]);
}
