//! Partial updates (issue 16): a request htmx makes for one element of a page (`HX-Request`
//! and `HX-Target`) is answered with just that element, from the same handler as the
//! whole page, so it shows nothing the page would not; anything else gets the whole page.

use crate::harness::*;
use crate::web::*;

fn htmx(target: &str) -> [(&'static str, String); 2] {
    [("HX-Request", "true".into()), ("HX-Target", target.to_string())]
}

fn headers<'a>(h: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    h.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn sorting_results_for_htmx_sends_only_the_results() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    for subject in ["Printer", "VPN", "Toner"] {
        d.deliver("general", &mail("zoe@example.net", subject, "Broken.", &[]));
    }
    let mut sam = Web::login(&d, "sam@tickets.test");
    let path = "/search?q=Queue%20%3D%20%27general%27&order_by=id&order=desc";
    let whole = sam.get(path);
    assert!(whole.body.contains("<html"), "{}", whole.body);
    let part = sam.get_with(path, &headers(&htmx("results-area")));
    assert_eq!(part.status, 200, "{part:?}");
    assert!(
        part.body.trim_start().starts_with("<div id=\"results-area\">"),
        "{}",
        part.body
    );
    assert!(
        !part.body.contains("<html") && !part.body.contains("form id=\"search\""),
        "{}",
        part.body
    );
    assert_eq!(Page::parse(&part.body).ticket_rows(), [3, 2, 1]);
    assert_eq!(part.header("vary"), Some("HX-Request, HX-Target"));
    // a target the page has no block for, or no HX-Request: the whole page
    for h in [
        htmx("main"),
        htmx("../layout"),
        [("HX-Target", "results-area".into()), ("X-Other", String::new())],
    ] {
        let answer = sam.get_with(path, &headers(&h));
        assert!(answer.body.contains("<html"), "{h:?}: {}", answer.body);
    }
}

#[test]
fn a_preview_for_htmx_sends_only_the_recipients_and_an_error_in_their_place() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let mut sam = Web::login(&d, "sam@tickets.test");
    let origin = sam.origin.clone();
    let asked = htmx("preview-area");
    let mut h: Vec<(&str, &str)> = headers(&asked);
    h.extend([("Origin", origin.as_str()), ("Sec-Fetch-Site", "same-origin")]);
    let fields = [
        ("action", "correspond"),
        ("content", "Soon."),
        ("cc", "boss@example.org"),
        ("preview", "1"),
    ];
    let part = sam.post_multipart_with("/ticket/1/update", &fields, &[], &h);
    assert_eq!(part.status, 200, "{part:?}");
    assert!(
        part.body.trim_start().starts_with("<div id=\"preview-area\""),
        "{}",
        part.body
    );
    assert!(!part.body.contains("<textarea"), "{}", part.body);
    let recipients = element(&part.body, "recipients").text;
    assert!(
        recipients.contains("zoe@example.net") && recipients.contains("boss@example.org"),
        "{recipients}"
    );
    let bad = [
        ("action", "correspond"),
        ("content", "Soon."),
        ("cc", "nobody"),
        ("preview", "1"),
    ];
    let refused = sam.post_multipart_with("/ticket/1/update", &bad, &[], &h);
    assert!(
        refused.body.trim_start().starts_with("<div id=\"preview-area\""),
        "{}",
        refused.body
    );
    assert!(
        error_text(&refused.body)
            .unwrap()
            .contains("`nobody` is not a mail address"),
        "{}",
        refused.body
    );
    assert_eq!(
        d.show(1)["transactions"].as_array().unwrap().len(),
        1,
        "a preview recorded something"
    );
}

#[test]
fn the_home_lists_refresh_themselves_as_fragments_that_follow_the_rights() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let mut sam = Web::login(&d, "sam@tickets.test");
    let home = Page::parse(&sam.get("/").body);
    let section = home.by_id("unowned").expect("section#unowned");
    assert_eq!(section.attr("hx-trigger"), Some("every 120s"));
    let part = sam.get_with("/", &headers(&htmx("unowned")));
    assert!(
        part.body.trim_start().starts_with("<section id=\"unowned\""),
        "{}",
        part.body
    );
    assert_eq!(Page::parse(&part.body).ticket_rows(), [1]);
    d.tkt_ok(&["set", "1", "owner=sam@tickets.test"]);
    let mine = sam.get_with("/", &headers(&htmx("my-tickets")));
    assert_eq!(Page::parse(&mine.body).ticket_rows(), [1]);
    assert!(
        Page::parse(&sam.get_with("/", &headers(&htmx("unowned"))).body)
            .ticket_rows()
            .is_empty()
    );
    // no session: the login page, never a fragment of anyone's
    let mut stranger = Web::new(&d);
    let answer = stranger.get_with("/", &headers(&htmx("unowned")));
    assert_eq!(answer.status, 303, "{answer:?}");
}
