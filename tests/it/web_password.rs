//! The one-time link a new staff member is mailed to set their password (issue 16): it
//! works once, checks the password twice typed, and the password it sets logs them in.

use crate::harness::*;
use crate::web::*;

/// The password link in the mail queued for `who`, as a path on the web UI.
fn password_link(d: &Daemon, who: &str) -> String {
    let origin = d.web_url();
    let pattern = regex::Regex::new(&format!(r"{}(/password/[A-Za-z0-9_\-]+)", regex::escape(&origin))).unwrap();
    let sent = d.outbox();
    sent.iter()
        .filter(|m| m.recipients.iter().any(|r| r == who))
        // quoted-printable breaks the long link across lines; a mail client joins them
        .map(|m| m.message.replace("=\r\n", "").replace("=\n", ""))
        .find_map(|text| pattern.captures(&text).map(|c| c[1].to_string()))
        .unwrap_or_else(|| panic!("no password link mailed to {who}: {sent:#?}"))
}

#[test]
fn a_new_staff_member_sets_a_password_through_the_mailed_link_once() {
    let d = web_daemon();
    d.tkt_ok(&["user", "create", "newhire@tickets.test", "--privileged"]);
    let link = password_link(&d, "newhire@tickets.test");
    let mut web = Web::new(&d);
    let form = web.get(&link);
    assert_eq!(form.status, 200, "{form:?}");
    assert!(form.page().by_id("set-password").is_some(), "{}", form.body);

    let differ = web.post(&link, &[("password", PASSWORD), ("again", "something else")]);
    assert!(
        error_text(&differ.body).is_some_and(|e| e.contains("differ")),
        "{}",
        differ.body
    );
    let short = web.post(&link, &[("password", "short"), ("again", "short")]);
    assert!(
        error_text(&short.body).is_some(),
        "a 5-letter password was taken: {}",
        short.body
    );
    assert!(
        Web::new(&d)
            .try_login("newhire@tickets.test", "short", "/")
            .session_cookie()
            .is_none()
    );

    let set = web.post(&link, &[("password", PASSWORD), ("again", PASSWORD)]);
    assert_eq!(set.status, 200, "{set:?}");
    assert!(set.page().by_id("login").is_some(), "{}", set.body);
    let mut newhire = Web::login(&d, "newhire@tickets.test");
    assert_eq!(newhire.get("/").status, 200);

    // used once: the link is gone, and a second password cannot be set with it
    let again = Web::new(&d).get(&link);
    assert_eq!(again.status, 404, "{again:?}");
    let reuse = Web::new(&d).post(
        &link,
        &[("password", "another password"), ("again", "another password")],
    );
    assert!(reuse.status >= 400, "{reuse:?}");
    assert!(
        Web::new(&d)
            .try_login("newhire@tickets.test", "another password", "/")
            .session_cookie()
            .is_none()
    );
    // a made-up link is as gone as a used one
    let made_up = Web::new(&d).get("/password/AAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        (made_up.status, error_text(&made_up.body)),
        (again.status, error_text(&again.body))
    );
}
