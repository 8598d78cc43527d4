//! The web UI's languages: the staff member's own `lang` setting first, else the
//! browser's `Accept-Language`, else English. A real daemon with its `[web]` listener and
//! a staff member logged in with a password through the harness's [`Web`] client.

use crate::harness::*;
use crate::web::*;

/// A daemon serving pages, and alice's session on them.
fn start() -> (Daemon, Web) {
    let d = web_daemon();
    d.web_staff("alice@tickets.test");
    let alice = Web::login(&d, "alice@tickets.test");
    (d, alice)
}

/// The home page, sent with `Accept-Language` if given (and none if not).
fn home(web: &mut Web, accept_language: Option<&str>) -> String {
    let answer = match accept_language {
        Some(languages) => web.get_with("/", &[("Accept-Language", languages)]),
        None => web.get("/"),
    };
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

#[test]
fn accept_language_chooses_the_pages_language_and_english_is_the_default() {
    let (d, mut alice) = start();

    let german = home(&mut alice, Some("de-CH, de;q=0.9, en;q=0.5"));
    assert!(german.contains("<html lang=\"de\">"), "{german}");
    assert!(german.contains("Auf einen Blick"), "{german}");
    assert!(german.contains("Meine gespeicherten Suchen"), "{german}");
    assert!(german.contains(">Abmelden<"), "{german}");
    assert!(!german.contains("At a glance"), "{german}");

    let french = home(&mut alice, Some("en;q=0.3, fr;q=0.8"));
    assert!(french.contains("<html lang=\"fr\">"), "{french}");
    assert!(french.contains("Mes recherches enregistrées"), "{french}");

    for unknown in [Some("ja, zh;q=0.9"), Some("*"), None] {
        let english = home(&mut alice, unknown);
        assert!(english.contains("<html lang=\"en\">"), "{unknown:?}: {english}");
        assert!(english.contains("<h1>At a glance</h1>"), "{unknown:?}: {english}");
        assert!(english.contains(">Log out<"), "{unknown:?}: {english}");
    }

    // the login form, before any session, follows the header too
    let login = Web::new(&d).get_with("/login", &[("Accept-Language", "fr")]);
    assert!(login.body.contains("Se connecter à ticketd"), "{}", login.body);
}

#[test]
fn a_users_language_wins_over_the_browsers_and_off_gives_it_back() {
    let (d, mut alice) = start();
    d.tkt_ok(&["user", "set", "alice@tickets.test", "lang=fr"]);
    let shown = d.tkt_ok(&["user", "show", "alice@tickets.test", "--json"]);
    assert!(
        shown.contains("\"lang\":\"fr\"") || shown.contains("\"lang\": \"fr\""),
        "{shown}"
    );

    let page = home(&mut alice, Some("de"));
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(page.contains("Mes recherches enregistrées"), "{page}");

    let refused = d.tkt(&["user", "set", "alice@tickets.test", "lang=xx"]);
    assert!(!refused.status.success(), "an unknown language was taken");

    // the preferences form saves through the same path, on oneself
    let saved = alice.post("/preferences", &[("lang", "de")]);
    assert_eq!(saved.status, 303, "{saved:?}");
    assert!(home(&mut alice, None).contains("Auf einen Blick"));

    let saved = alice.post("/preferences", &[("lang", "")]);
    assert_eq!(saved.status, 303, "{saved:?}");
    let shown = d.tkt_ok(&["user", "show", "alice@tickets.test", "--json"]);
    assert!(!shown.contains("\"lang\""), "{shown}");
    assert!(home(&mut alice, Some("en")).contains("At a glance"));
    assert!(home(&mut alice, Some("fr")).contains("Mes recherches enregistrées"));
}

#[test]
fn the_history_and_the_search_columns_are_in_the_pages_language_too() {
    let (d, mut alice) = start();
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["set", "1", "status=open", "Cc+=boss@example.org"]);
    d.tkt_ok(&["user", "set", "alice@tickets.test", "lang=de"]);
    let ticket = Page::parse(&alice.get("/ticket/1").body).text;
    for german in [
        "Ticket angelegt",
        "Status von 'new' auf 'open' geändert",
        "boss@example.org als Cc hinzugefügt",
    ] {
        assert!(ticket.contains(german), "{german}: {ticket}");
    }
    assert!(!ticket.contains("Ticket created"), "{ticket}");
    let results = alice.get("/search?q=Queue%20%3D%20%27general%27");
    let headings = element(&results.body, "results").text;
    assert!(headings.contains("Zuletzt geändert"), "{headings}");
}
