//! A real Chromium on the staff web UI: Debian's chromedriver on a free port and one
//! headless session per test, both stopped when the test ends, passed or not (Drop).
//!
//! Without /usr/bin/chromium or /usr/bin/chromedriver a test prints "SKIPPED: chromium not
//! installed" and passes, so a developer without them can still run `cargo test`; under CI
//! (`CI=true`, as for the Postfix tests) their absence is a failure, so CI never skips them silently.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::harness::*;
use crate::web;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a page may take to show what a test waits for.
const PAGE_WAIT: Duration = Duration::from_secs(15);

/// Whether the browser tests can run here; false (after saying so) means skip.
pub fn chromium_installed() -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing: install chromium chromium-driver"
    );
    println!("SKIPPED: chromium not installed");
    false
}

/// Runs `test` with a logged-out browser on `d`'s web UI, on a runtime of its own.
pub fn with_browser(d: &Daemon, test: impl AsyncFnOnce(&Browser)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let browser = Browser::start(d).await;
        test(&browser).await;
        browser.close().await;
    });
}

/// chromedriver and its one session.
pub struct Browser {
    pub client: Client,
    /// The web UI's origin, `http://127.0.0.1:PORT`.
    pub origin: String,
    driver: Child,
    driver_url: String,
    session: Option<String>,
}

impl Browser {
    async fn start(d: &Daemon) -> Browser {
        let origin = d.web_url();
        let port = free_port();
        let driver_url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(d.dir.path().join("chromedriver.log")).expect("driver log");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start chromedriver");
        let mut driver_guard = DriverGuard(Some(driver));
        wait_until_listening(&driver_url);
        let capabilities: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            },
        }))
        .unwrap();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session: {e}"));
        // from here Drop ends the session: killing chromedriver alone leaves Chromium running
        let mut browser = Browser {
            client,
            origin,
            driver: driver_guard.0.take().unwrap(),
            driver_url,
            session: None,
        };
        browser.session = browser.client.session_id().await.expect("session id");
        browser
    }

    /// Ends the session cleanly (the browser quits) before Drop stops chromedriver.
    async fn close(mut self) {
        let client = self.client.clone();
        if client.close().await.is_ok() {
            self.session = None;
        }
    }

    /// Opens `path` on the web UI.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.origin))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}\n{}", self.path().await, self.source().await),
        }
    }

    /// Every element matching `css` now (after the first has appeared).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.find(css).await;
        self.client.find_all(Locator::Css(css)).await.expect(css)
    }

    /// Whether an element matches `css` now, without waiting.
    pub async fn has(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.expect(css).is_empty()
    }

    /// Types `text` into the field matching `css`, after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Chooses the option whose value is `value` in the select matching `css` (an option
    /// without a value attribute has its text as value, so no CSS selector finds it).
    pub async fn select(&self, css: &str, value: &str) {
        let select = self.find(css).await;
        let options = select.find_all(Locator::Css("option")).await.expect("options");
        let mut values = Vec::new();
        for option in options {
            let this = option.prop("value").await.expect("option value").unwrap_or_default();
            if this == value {
                option
                    .click()
                    .await
                    .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
                return;
            }
            values.push(this);
        }
        panic!("no option {value} in {css}: {values:?}");
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the submit button matching `css` and waits until the page it was on is
    /// gone: a full load or htmx's swap of the body both detach the button. Without the
    /// wait, the next `goto` could cancel the request before the server has it.
    pub async fn submit(&self, css: &str) {
        let button = self.find(css).await;
        button.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
        let deadline = Instant::now() + PAGE_WAIT;
        while button.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} was clicked but the page stayed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// `data-id` of every `tr.ticket` under `css` (waits for none: an empty list is an answer).
    pub async fn ticket_rows(&self, css: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        for row in self
            .client
            .find_all(Locator::Css(&format!("{css} tr.ticket")))
            .await
            .expect(css)
        {
            let id = row.attr("data-id").await.expect("data-id").unwrap_or_default();
            ids.push(id.parse().unwrap_or_else(|_| panic!("tr.ticket[data-id={id}]")));
        }
        ids
    }

    /// The path (and query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the page shown is `path` (query left out).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let now = self.path().await;
            if now.split('?').next() == Some(path) {
                return;
            }
            assert!(Instant::now() < deadline, "still on {now}, not {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's HTML as the browser has it now.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap_or_default()
    }

    /// Logs `user` in with [`PASSWORD`] through the login form and waits for the page after.
    pub async fn login(&self, user: &str) {
        self.goto("/login").await;
        self.fill("form#login input[name=user]", user).await;
        self.fill("form#login input[name=password]", PASSWORD).await;
        self.submit("form#login button[type=submit]").await;
        let deadline = Instant::now() + PAGE_WAIT;
        while self.path().await.starts_with("/login") {
            assert!(
                Instant::now() < deadline,
                "login as {user} stayed on the login page:\n{}",
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The session cookie's value, as the browser holds it.
    pub async fn session_cookie(&self) -> Option<String> {
        let cookie = self.client.get_named_cookie(web::SESSION_COOKIE).await.ok()?;
        Some(cookie.value().to_string())
    }

    /// Saves what the window shows to docs/screenshots/NAME.png (overwriting it), for the
    /// documentation and for a person looking at a failure.
    pub async fn screenshot(&self, name: &str) {
        // a blinking caret would make each run's picture differ: take the focus away
        // (WebDriver's script is not the page's, so the CSP does not stop it)
        self.client
            .execute(
                "if (document.activeElement) { document.activeElement.blur(); }",
                Vec::new(),
            )
            .await
            .expect("blur before the screenshot");
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshots_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // a failed test never reached close(): end the session so Chromium quits with it
        if let Some(session) = self.session.take() {
            end_session(&self.driver_url, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// DELETE /session/ID on chromedriver, ignoring every error: it runs in Drop, maybe while
/// a failed test unwinds, where a panic would abort the whole test binary.
fn end_session(driver_url: &str, session: &str) {
    use std::io::{Read, Write};
    let address = driver_url.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // the answer comes once Chromium has quit; chromedriver may keep the connection open
    let mut answer = Vec::new();
    let mut buffer = [0; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Stops chromedriver if the session never came up.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut driver) = self.0.take() {
            let _ = driver.kill();
            let _ = driver.wait();
        }
    }
}

/// Waits until chromedriver answers /status.
fn wait_until_listening(driver_url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let address = driver_url.trim_start_matches("http://");
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {address} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// docs/screenshots/ in the source tree.
fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    dir
}

/// Polls `done` (a check through tkt or the database) until it holds.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PAGE_WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
