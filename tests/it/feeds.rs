//! Feeds of a search (issue 17): Atom and iCalendar at a secret address, listing exactly
//! what the feed's user may see, until revoked.

use crate::harness::*;
use crate::web::*;

/// Makes a feed of `q` named `name` as `web`'s user: its Atom and iCalendar paths.
fn make_feed(web: &mut Web, name: &str, q: &str) -> (String, String) {
    let made = web.post("/feeds", &[("name", name), ("q", q)]);
    assert_eq!(made.status, 200, "{made:?}");
    let path = |id: &str| {
        let url = element(&made.body, id).text;
        let path = url
            .split_once("/feed/")
            .map(|(_, rest)| format!("/feed/{rest}"))
            .unwrap();
        assert!(url.starts_with(&web.origin), "{url}");
        path
    };
    (path("feed-atom"), path("feed-ics"))
}

/// The ticket numbers of an Atom feed, read with an Atom parser.
fn atom_tickets(d: &Daemon, path: &str) -> (atom_syndication::Feed, Vec<i64>) {
    let answer = Web::new(d).get(path);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let feed = atom_syndication::Feed::read_from(answer.body.as_bytes()).expect("Atom");
    let mut ids: Vec<i64> = feed
        .entries()
        .iter()
        .map(|e| e.id().rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    ids.sort();
    (feed, ids)
}

#[test]
fn a_feed_lists_its_search_as_its_user_sees_it_until_revoked() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.web_staff("pat@tickets.test");
    for subject in ["Printer <script>alert(1)</script>", "VPN", "Toner"] {
        d.deliver("general", &mail("zoe@example.net", subject, "Broken.", &[]));
    }
    d.deliver("network", &mail("bob@example.net", "Switch", "Down.", &[]));
    d.tkt_ok(&["set", "2", "owner=pat@tickets.test", "due=2026-12-24 10:00"]);
    let mut sam = Web::login(&d, "sam@tickets.test");
    let (atom, ics) = make_feed(&mut sam, "General", "Queue = 'general'");
    let (feed, ids) = atom_tickets(&d, &atom);
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(feed.title().as_str(), "General");
    // a hostile subject is text in the feed, as any Atom reader reads it
    let first = feed.entries().iter().find(|e| e.id().ends_with(":1")).unwrap();
    assert_eq!(first.title().as_str(), "#1: Printer <script>alert(1)</script>");
    assert!(first.links()[0].href().ends_with("/ticket/1"));

    // iCalendar: the tickets with a due date, as events at it
    let calendar = Web::new(&d).get(&ics);
    assert_eq!(calendar.status, 200, "{calendar:?}");
    assert_eq!(calendar.header("content-type"), Some("text/calendar; charset=utf-8"));
    let text = calendar.body.replace("\r\n ", "");
    assert!(text.starts_with("BEGIN:VCALENDAR"), "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1, "{text}");
    assert!(text.contains("SUMMARY:#2: VPN"), "{text}");
    assert!(text.contains("DTSTART:20261224T100000Z"), "{text}");

    // pat sees only what pat owns: pat's feed of the same search lists that only
    d.tkt_ok(&["revoke", "ShowTicket", "--group", "Privileged"]);
    d.tkt_ok(&["grant", "ShowTicket", "--user", "sam@tickets.test"]);
    d.tkt_ok(&["grant", "ShowTicket", "--role", "Owner"]);
    let mut pat = Web::login(&d, "pat@tickets.test");
    let (pats, _) = make_feed(&mut pat, "Mine", "Queue = 'general'");
    assert_eq!(atom_tickets(&d, &pats).1, [2]);

    // revoked from the preferences page: the address is gone, as a wrong one is
    let prefs = sam.get("/preferences");
    let id = Page::parse(&prefs.body)
        .tags("li")
        .into_iter()
        .find(|t| t.has_class("feed"))
        .and_then(|t| t.attr("data-id").map(str::to_string))
        .expect("the feed on the preferences page");
    assert_eq!(sam.post(&format!("/feeds/{id}/revoke"), &[]).status, 303);
    for path in [atom.clone(), ics, "/feed/0123abcd/atom".to_string()] {
        let gone = Web::new(&d).get(&path);
        assert_eq!(gone.status, 404, "{path}: {gone:?}");
    }
    // another user cannot revoke pat's feed
    let pats_id = Page::parse(&pat.get("/preferences").body)
        .tags("li")
        .into_iter()
        .find(|t| t.has_class("feed"))
        .and_then(|t| t.attr("data-id").map(str::to_string))
        .unwrap();
    sam.post(&format!("/feeds/{pats_id}/revoke"), &[]);
    assert_eq!(atom_tickets(&d, &pats).1, [2]);
}

#[test]
fn a_feed_needs_a_name_and_a_search_that_parses() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    let mut sam = Web::login(&d, "sam@tickets.test");
    for (name, q) in [("", "Queue = 'general'"), ("Bad", "Queue = = 'x'"), ("Empty", "  ")] {
        let refused = sam.post("/feeds", &[("name", name), ("q", q)]);
        assert_eq!(refused.status, 400, "{name:?} {q:?}: {refused:?}");
    }
}

#[test]
fn a_feed_of_a_saved_search_follows_it_and_ends_with_it() {
    let d = web_daemon();
    d.web_staff("sam@tickets.test");
    d.web_staff("pat@tickets.test");
    for subject in ["Printer", "VPN", "Toner"] {
        d.deliver("general", &mail("zoe@example.net", subject, "Broken.", &[]));
    }
    d.deliver("network", &mail("bob@example.net", "Switch", "Down.", &[]));
    d.tkt_ok(&["set", "3", "owner=sam@tickets.test"]);
    // sam may see general only: the saved search's feed lists what sam sees of it
    d.only_sees_queue("sam@tickets.test", "general");
    let mut sam = Web::login(&d, "sam@tickets.test");
    let saved = sam.post("/search/save", &[("name", "Open"), ("q", "Status = 'new'")]);
    assert_eq!(saved.status, 303, "{saved:?}");

    // the preferences page offers sam's saved searches (and only sam's) for a feed
    let prefs = sam.get("/preferences");
    let offered: Vec<String> = Page::parse(&prefs.body)
        .tags("option")
        .into_iter()
        .filter_map(|t| t.attr("value").map(str::to_string))
        .filter(|v| v == "Open")
        .collect();
    assert_eq!(offered, ["Open"], "{}", prefs.body);
    let made = sam.post("/feeds", &[("name", "New ones"), ("search", "Open")]);
    assert_eq!(made.status, 200, "{made:?}");
    let url = element(&made.body, "feed-atom").text;
    let atom = format!("/feed/{}", url.split_once("/feed/").unwrap().1);
    assert_eq!(atom_tickets(&d, &atom).1, [1, 2, 3]);

    // the search changes: the feed follows it
    let changed = sam.post("/search/save", &[("name", "Open"), ("q", "Owner = 'sam@tickets.test'")]);
    assert_eq!(changed.status, 303, "{changed:?}");
    assert_eq!(atom_tickets(&d, &atom).1, [3]);
    assert!(sam.get("/preferences").body.contains("follows the saved search “Open”"));

    // someone else's saved search of that name is no search of pat's
    let mut pat = Web::login(&d, "pat@tickets.test");
    let refused = pat.post("/feeds", &[("name", "Theirs"), ("search", "Open")]);
    assert_eq!(refused.status, 404, "{refused:?}");

    // pat cannot delete sam's search; sam deletes it from the home page, which ends its feed
    assert_eq!(pat.post("/search/delete", &[("name", "Open")]).status, 404);
    assert_eq!(atom_tickets(&d, &atom).1, [3]);
    let home = sam.get("/");
    assert!(home.body.contains("action=\"/search/delete\""), "{}", home.body);
    let deleted = sam.post("/search/delete", &[("name", "Open")]);
    assert_eq!(deleted.status, 303, "{deleted:?}");
    let home = sam.get("/");
    assert!(
        Page::parse(&home.body)
            .tags("a")
            .iter()
            .all(|a| !a.has_class("saved-search")),
        "{}",
        home.body
    );
    assert_eq!(Web::new(&d).get(&atom).status, 404);
    let token = d.token_for("sam@tickets.test");
    let listed = d.tkt_as(&token, &["search", "list"]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("Open"), "{listed:?}");
}
