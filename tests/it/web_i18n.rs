//! The web UI's languages: the staff member's own `lang` setting first, else the
//! browser's `Accept-Language`, else English. A real daemon with its `[web]` listener and
//! a staff member logged in with a password.

use crate::harness::*;

/// A daemon serving pages, and alice's session on them.
struct Site {
    d: Daemon,
    origin: String,
    client: reqwest::Client,
    cookie: String,
    runtime: tokio::runtime::Runtime,
}

impl Site {
    fn start() -> Site {
        let d = Daemon::start_with(Setup {
            web: true,
            ..Setup::default()
        });
        let origin = d.web_url();
        d.tkt_ok(&["user", "create", "alice@tickets.test", "--privileged"]);
        let out = d.tkt_stdin(&["user", "password", "alice@tickets.test"], b"a long enough password\n");
        assert!(out.status.success(), "{}", stderr(&out));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut site = Site {
            d,
            origin,
            client,
            cookie: String::new(),
            runtime,
        };
        let (status, _) = site.post(
            "/login",
            &[("user", "alice@tickets.test"), ("password", "a long enough password")],
        );
        assert_eq!(status, 303, "login failed");
        assert!(!site.cookie.is_empty(), "no session cookie");
        site
    }

    /// The status and body of `request`, sent with the session and `Accept-Language`.
    fn send(&mut self, request: reqwest::RequestBuilder, accept_language: Option<&str>) -> (u16, String) {
        let mut request = request.header("Origin", &self.origin).header("Cookie", &self.cookie);
        if let Some(languages) = accept_language {
            request = request.header("Accept-Language", languages);
        }
        let (status, cookie, body) = self.runtime.block_on(async {
            let answer = request.send().await.expect("request");
            let cookie = answer
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            (answer.status().as_u16(), cookie, answer.text().await.expect("body"))
        });
        if let Some(pair) = cookie.split(';').next().filter(|p| p.starts_with("ticketd_session=")) {
            self.cookie = pair.to_string();
        }
        (status, body)
    }

    fn home(&mut self, accept_language: Option<&str>) -> String {
        let request = self.client.get(format!("{}/", self.origin));
        let (status, body) = self.send(request, accept_language);
        assert_eq!(status, 200, "{body}");
        body
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let request = self.client.post(format!("{}{path}", self.origin)).form(form);
        self.send(request, None)
    }
}

#[test]
fn accept_language_chooses_the_pages_language_and_english_is_the_default() {
    let mut site = Site::start();

    let german = site.home(Some("de-CH, de;q=0.9, en;q=0.5"));
    assert!(german.contains("<html lang=\"de\">"), "{german}");
    assert!(german.contains("Auf einen Blick"), "{german}");
    assert!(german.contains("Meine gespeicherten Suchen"), "{german}");
    assert!(german.contains(">Abmelden<"), "{german}");
    assert!(!german.contains("At a glance"), "{german}");

    let french = site.home(Some("en;q=0.3, fr;q=0.8"));
    assert!(french.contains("<html lang=\"fr\">"), "{french}");
    assert!(french.contains("Mes recherches enregistrées"), "{french}");

    for unknown in [Some("ja, zh;q=0.9"), Some("*"), None] {
        let english = site.home(unknown);
        assert!(english.contains("<html lang=\"en\">"), "{unknown:?}: {english}");
        assert!(english.contains("<h1>At a glance</h1>"), "{unknown:?}: {english}");
        assert!(english.contains(">Log out<"), "{unknown:?}: {english}");
    }

    // the login form, before any session, follows the header too
    let request = site.client.get(format!("{}/login", site.origin));
    let (_, login) = site.send(request, Some("fr"));
    assert!(login.contains("Se connecter à ticketd"), "{login}");
}

#[test]
fn a_users_language_wins_over_the_browsers_and_off_gives_it_back() {
    let mut site = Site::start();
    site.d.tkt_ok(&["user", "set", "alice@tickets.test", "lang=fr"]);
    let shown = site.d.tkt_ok(&["user", "show", "alice@tickets.test", "--json"]);
    assert!(
        shown.contains("\"lang\":\"fr\"") || shown.contains("\"lang\": \"fr\""),
        "{shown}"
    );

    let page = site.home(Some("de"));
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(page.contains("Mes recherches enregistrées"), "{page}");

    let refused = site.d.tkt(&["user", "set", "alice@tickets.test", "lang=xx"]);
    assert!(!refused.status.success(), "an unknown language was taken");

    // the preferences form saves through the same path, on oneself
    let (status, _) = site.post("/preferences", &[("lang", "de")]);
    assert_eq!(status, 303);
    assert!(site.home(None).contains("Auf einen Blick"));

    let (status, _) = site.post("/preferences", &[("lang", "")]);
    assert_eq!(status, 303);
    let shown = site.d.tkt_ok(&["user", "show", "alice@tickets.test", "--json"]);
    assert!(!shown.contains("\"lang\""), "{shown}");
    assert!(site.home(Some("en")).contains("At a glance"));
    assert!(site.home(Some("fr")).contains("Mes recherches enregistrées"));
}
