//! The staff web UI over plain HTTP, for what a browser hides: a small HTTP/1.1 client that
//! keeps the session cookie and sends exactly the headers a test names, and a reading of
//! a page's tags and text as a browser would act on them (html5ever's tokenizer, the one
//! html2text already builds).

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, StartTag, TagToken, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::harness::*;

/// The Content-Security-Policy every response carries (the contract's, verbatim).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ticketd_session";

/// A daemon with the web UI on.
pub fn web_daemon() -> Daemon {
    Daemon::start_with(Setup {
        web: true,
        ..Setup::default()
    })
}

/// One answer: the status, the headers in order (names lower-cased) and the body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first header of this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Every header of this name (Set-Cookie comes once per cookie).
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The Set-Cookie line of the session cookie, if this answer sets it.
    pub fn session_cookie(&self) -> Option<&str> {
        self.headers_named("set-cookie")
            .into_iter()
            .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
    }

    /// Where a redirect points, with the origin taken off so that `/x` and
    /// `http://127.0.0.1:PORT/x` read the same.
    pub fn location(&self, origin: &str) -> String {
        let location = self
            .header("location")
            .unwrap_or_else(|| panic!("no Location: {self:?}"));
        location.strip_prefix(origin).unwrap_or(location).to_string()
    }

    /// The page's tags and text.
    pub fn page(&self) -> Page {
        Page::parse(&self.body)
    }
}

/// A user agent on the web UI: the origin it talks to and the session cookie it holds.
pub struct Web {
    pub origin: String,
    pub cookie: Option<String>,
}

impl Web {
    /// A user agent with no session yet.
    pub fn new(d: &Daemon) -> Web {
        Web {
            origin: d.web_url(),
            cookie: None,
        }
    }

    /// Logs `user` in with [`PASSWORD`] and asserts it worked.
    pub fn login(d: &Daemon, user: &str) -> Web {
        let mut web = Web::new(d);
        let answer = web.try_login(user, PASSWORD, "/");
        assert_eq!(answer.status, 303, "login as {user}: {answer:?}\n{}", d.log());
        assert!(
            web.cookie.is_some(),
            "login as {user} set no session cookie: {answer:?}"
        );
        web
    }

    /// POST /login as the form sends it.
    pub fn try_login(&mut self, user: &str, password: &str, next: &str) -> Answer {
        self.post("/login", &[("user", user), ("password", password), ("next", next)])
    }

    /// GET `path`.
    pub fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[], None, Vec::new())
    }

    /// GET `path` with extra headers (htmx's `HX-Request` and `HX-Target`, say).
    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", path, headers, None, Vec::new())
    }

    /// POST an urlencoded form from this origin (as a browser sends it from our own page).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.origin.clone();
        self.post_with(path, fields, &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")])
    }

    /// POST an urlencoded form with exactly these extra headers (no Origin unless named).
    pub fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form encoding");
        self.send(
            "POST",
            path,
            headers,
            Some("application/x-www-form-urlencoded".into()),
            body.into_bytes(),
        )
    }

    /// POST a multipart form from this origin: text fields and files (field, name, bytes).
    pub fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Answer {
        let origin = self.origin.clone();
        self.post_multipart_with(
            path,
            fields,
            files,
            &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        )
    }

    /// POST a multipart form with exactly these extra headers.
    pub fn post_multipart_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        headers: &[(&str, &str)],
    ) -> Answer {
        let boundary = "ticketd-test-boundary-7d1c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            "POST",
            path,
            headers,
            Some(format!("multipart/form-data; boundary={boundary}")),
            body,
        )
    }

    /// One request on a new connection; a session cookie in the answer replaces ours
    /// (an expired or emptied one drops it).
    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Answer {
        let answer = http(
            &self.origin,
            method,
            path,
            headers,
            self.cookie.as_deref(),
            content_type,
            body,
        );
        if let Some(line) = answer.session_cookie() {
            let value = line
                .split(';')
                .next()
                .unwrap_or_default()
                .trim_start_matches(&format!("{SESSION_COOKIE}="))
                .to_string();
            let gone = value.is_empty() || line.to_ascii_lowercase().contains("max-age=0");
            self.cookie = (!gone).then_some(value);
        }
        answer
    }
}

/// One HTTP/1.1 request to `origin` (`http://host:port`), `Connection: close`.
pub fn http(
    origin: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    cookie: Option<&str>,
    content_type: Option<String>,
    body: Vec<u8>,
) -> Answer {
    let host = origin.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect to {host}: {e}"));
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {SESSION_COOKIE}={cookie}\r\n"));
    }
    if let Some(content_type) = content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if method != "GET" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    stream.write_all(&request).expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    parse_answer(&raw).unwrap_or_else(|| panic!("not an HTTP answer: {:?}", String::from_utf8_lossy(&raw)))
}

/// Status line, headers and body (chunked or not) of a whole HTTP/1.1 answer.
fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = unchunk(&body)?;
    }
    Some(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn unchunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// A start tag: its name and attributes, as the browser reads them (entities decoded).
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the class attribute names `class`.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

/// A page as tags and text.
#[derive(Debug, Default)]
pub struct Page {
    pub tags: Vec<Tag>,
    /// Every character outside tags, entities decoded: what a reader sees.
    pub text: String,
}

impl Page {
    pub fn parse(html: &str) -> Page {
        let sink = Collect::default();
        let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from(html));
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        tokenizer.sink.page.into_inner()
    }

    /// Start tags named `name`.
    pub fn tags(&self, name: &str) -> Vec<&Tag> {
        self.tags.iter().filter(|t| t.name == name).collect()
    }

    /// The one tag with this id.
    pub fn by_id(&self, id: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.attr("id") == Some(id))
    }

    /// The first tag named `name` whose `attr` is `value` (`attr` "" for the first by name).
    pub fn find(&self, name: &str, attr: &str, value: &str) -> Option<&Tag> {
        self.tags
            .iter()
            .find(|t| t.name == name && (attr.is_empty() || t.attr(attr) == Some(value)))
    }

    /// `data-id` of every `tr.ticket`, as numbers, in order.
    pub fn ticket_rows(&self) -> Vec<i64> {
        self.tags("tr")
            .into_iter()
            .filter(|t| t.has_class("ticket"))
            .filter_map(|t| t.attr("data-id")?.parse().ok())
            .collect()
    }
}

#[derive(Default)]
struct Collect {
    page: RefCell<Page>,
}

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut page = self.page.borrow_mut();
        match token {
            TagToken(tag) if tag.kind == StartTag => page.tags.push(Tag {
                name: tag.name.to_string(),
                attrs: tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect(),
            }),
            CharacterTokens(text) => page.text.push_str(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The element with this id and what it holds, as a page of its own (up to its closing
/// tag; the pages do not nest a form in a form or a section in a section).
pub fn element(html: &str, id: &str) -> Page {
    element_with(html, &format!("id=\"{id}\""))
}

/// The first element whose start tag holds `attribute` (e.g. `class="html-mail"`) and
/// what it holds, as [`element`] reads it.
pub fn element_with(html: &str, attribute: &str) -> Page {
    let Some(at) = html.find(attribute) else {
        panic!("no element with {attribute} on the page:\n{html}");
    };
    let start = html[..at].rfind('<').expect("a tag");
    let name: String = html[start + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let rest = &html[start..];
    let end = rest.find(&format!("</{name}>")).unwrap_or(rest.len());
    Page::parse(&rest[..end])
}

/// The text of the first `p.error` on the page (where the pages say what went wrong).
pub fn error_text(html: &str) -> Option<String> {
    let page = Page::parse(html);
    page.tags.iter().find(|t| t.name == "p" && t.has_class("error"))?;
    Some(element_with(html, "class=\"error\"").text)
}

/// The tickets `tr.ticket[data-id]` inside the element with this id.
pub fn section_rows(html: &str, id: &str) -> Vec<i64> {
    element(html, id).ticket_rows()
}

/// Asserts `page` has a `name` tag with `attr`=`value` (attr "" for any), naming `what`.
pub fn has(page: &Page, what: &str, name: &str, attr: &str, value: &str) {
    assert!(
        page.find(name, attr, value).is_some(),
        "{what}: no {name}[{attr}={value}] in {:#?}",
        page.tags
    );
}
