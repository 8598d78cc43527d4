//! The client mailgate and tkt use to talk to ticketd: HTTP/1.1 (hyper) over the Unix
//! socket or TCP, behind a blocking interface.
//!
//! Each call runs on a current-thread tokio runtime made once per client: no worker
//! threads are started, so mailgate stays a small, quick process. Any failure to get an
//! answer (no daemon, timeout, a garbled reply) is a [`ClientError`] other than `Api`,
//! which mailgate turns into "try again later".

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::{TcpStream, UnixStream};

use crate::error::Error;
use crate::wire::ErrorAnswer;

/// Where the daemon listens, as given by `--url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
}

impl std::str::FromStr for Endpoint {
    type Err = String;
    /// `unix:/path` (any non-empty path) or `http://host:port` (a port number, nothing
    /// after it but an optional `/`). Anything else is a mistake on the command line, said
    /// as one.
    fn from_str(url: &str) -> Result<Endpoint, String> {
        let wrong = || format!("`{url}` is not a ticketd address: use unix:/path/to/ticketd.sock or http://host:port");
        if let Some(path) = url.strip_prefix("unix:") {
            if path.trim().is_empty() {
                return Err(wrong());
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(wrong());
        };
        let address = rest.strip_suffix('/').unwrap_or(rest);
        match address.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !host.contains('/') && port.parse::<u16>().is_ok() => {
                Ok(Endpoint::Tcp(address.to_string()))
            }
            _ => Err(wrong()),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "http://{addr}"),
        }
    }
}

/// Why a call did not get an answer it can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nobody listens there (daemon down, wrong path).
    #[error("ticketd is not reachable at {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("ticketd at {endpoint} did not answer within {} seconds", .timeout.as_secs())]
    Timeout { endpoint: String, timeout: Duration },
    /// The daemon answered something that is not the API.
    #[error("unexpected answer from ticketd: {0}")]
    Protocol(String),
    /// The command line or the environment is wrong (a bad `--url`, a token file that
    /// cannot be read): the user's to fix, so tkt exits with the usage code.
    #[error("{0}")]
    Usage(String),
    /// Something on this machine failed before any request was sent.
    #[error("{0}")]
    Local(String),
    /// The daemon answered with an error.
    #[error("{0}")]
    Api(Error),
    /// A change was sent but its answer never came (a timeout, a broken connection): it
    /// may or may not have been made. Sent again with the same key, it is made once.
    #[error(
        "{reason}; the change may or may not have been made: to try again without making it twice, \
         run the same command with --idempotency-key {key}"
    )]
    AnswerLost { reason: String, key: String },
}

/// The header that makes a write safe to send again (see [`Client::with_idempotency_key`]).
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The packaged socket, used when neither `--url` nor `TICKETD_URL` says otherwise.
pub const PACKAGED_SOCKET: &str = "/run/ticketd/ticketd.sock";

/// mailgate's URL when `--url` is absent: `TICKETD_URL`, else the packaged socket. Never a
/// socket that happens to be in the working directory: the MTA's mail must not go silently
/// to whatever daemon runs there.
pub fn default_url() -> String {
    match std::env::var("TICKETD_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("unix:{PACKAGED_SOCKET}"),
    }
}

/// tkt's URL when `--url` is absent: as [`default_url`], except that with `TICKETD_URL`
/// unset the embedded default's `./var/ticketd.sock` is used when it exists, so a developer
/// who ran the quick start can type `tkt show 1` in the checkout.
pub fn default_staff_url() -> String {
    let local = std::path::Path::new("var/ticketd.sock");
    if std::env::var("TICKETD_URL").is_ok_and(|url| !url.is_empty()) || !local.exists() {
        return default_url();
    }
    "unix:var/ticketd.sock".into()
}

/// A connection-per-call client.
pub struct Client {
    endpoint: Endpoint,
    token: Option<String>,
    timeout: Duration,
    runtime: tokio::runtime::Runtime,
    idempotency_key: Option<String>,
    /// POSTs sent so far: each gets a key of its own.
    posts: Cell<u32>,
}

/// A raw answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The answer's headers (a download's type and name).
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Client {
    /// A client for `url` (`unix:/path` or `http://host:port`). Over TCP the daemon wants
    /// `token`.
    pub fn new(url: &str, token: Option<String>, timeout: Duration) -> Result<Client, ClientError> {
        let endpoint = url.parse().map_err(ClientError::Usage)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| ClientError::Local(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Client {
            endpoint,
            token,
            timeout,
            runtime,
            idempotency_key: None,
            posts: Cell::new(0),
        })
    }

    /// Sends every POST with an `Idempotency-Key` made from `key` (the first POST `key`
    /// itself, the n-th `key.n`), so that the same command run again with the same key is
    /// recognised by ticketd and changes nothing twice.
    pub fn with_idempotency_key(mut self, key: String) -> Client {
        self.idempotency_key = Some(key);
        self
    }

    /// The key for the next POST, if writes carry keys.
    fn next_key(&self, method: &Method) -> Option<String> {
        if method != Method::POST {
            return None;
        }
        let key = self.idempotency_key.as_ref()?;
        let n = self.posts.get() + 1;
        self.posts.set(n);
        Some(if n == 1 { key.clone() } else { format!("{key}.{n}") })
    }

    /// Sends one request and returns the status and body, whatever the status.
    pub fn send(&self, method: Method, path: &str, body: Option<(&str, Vec<u8>)>) -> Result<Answer, ClientError> {
        let endpoint = self.endpoint.to_string();
        let key = self.next_key(&method);
        let call = self.call(method, path, body, key.as_deref());
        let answer = self.runtime.block_on(async {
            tokio::time::timeout(self.timeout, call)
                .await
                .map_err(|_| ClientError::Timeout {
                    endpoint,
                    timeout: self.timeout,
                })?
        });
        match (answer, key) {
            (Err(e @ (ClientError::Timeout { .. } | ClientError::Protocol(_))), Some(key)) => {
                Err(ClientError::AnswerLost {
                    reason: e.to_string(),
                    key,
                })
            }
            (answer, _) => answer,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        key: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let unreachable = |e: std::io::Error| ClientError::Unreachable {
            endpoint: self.endpoint.to_string(),
            reason: e.to_string(),
        };
        let protocol = |e: hyper::Error| ClientError::Protocol(e.to_string());
        let mut request = Request::builder().method(method).uri(path).header(HOST, "ticketd");
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_KEY, key);
        }
        let payload = match body {
            Some((content_type, bytes)) => {
                request = request.header(CONTENT_TYPE, content_type);
                Bytes::from(bytes)
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(payload))
            .map_err(|e| ClientError::Usage(format!("cannot make a request of `{path}`: {e}")))?;
        let response = match &self.endpoint {
            Endpoint::Unix(path) => {
                let stream = UnixStream::connect(path).await.map_err(unreachable)?;
                exchange(TokioIo::new(stream), request).await.map_err(protocol)?
            }
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect(addr).await.map_err(unreachable)?;
                exchange(TokioIo::new(stream), request).await.map_err(protocol)?
            }
        };
        Ok(response)
    }

    /// Sends a request and decodes a JSON answer; an error answer becomes
    /// [`ClientError::Api`].
    pub fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, ClientError> {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        let answer = self.send(method, path, body)?;
        let answer = check(answer)?;
        serde_json::from_slice(&answer.body).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))
    }

    /// POSTs a JSON body (a [`crate::wire`] request) and decodes the JSON answer.
    pub fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        let answer = check(self.send(Method::POST, path, Some(json_body(body)?))?)?;
        serde_json::from_slice(&answer.body).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))
    }

    /// Sends a request and returns the bytes of a successful answer.
    pub fn bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        Ok(check(self.send(Method::GET, path, None)?)?.body)
    }
}

/// A request's JSON body, ready for [`Client::send`].
pub fn json_body<B: Serialize>(body: &B) -> Result<(&'static str, Vec<u8>), ClientError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Local(format!("cannot write the request: {e}")))?;
    Ok(("application/json", bytes))
}

/// Turns an error status into [`ClientError::Api`], using the error body's kind.
pub fn check(answer: Answer) -> Result<Answer, ClientError> {
    if (200..300).contains(&answer.status) {
        return Ok(answer);
    }
    match serde_json::from_slice::<ErrorAnswer>(&answer.body) {
        Ok(body) => Err(ClientError::Api(Error::from_kind(&body.error.kind, body.error.message))),
        Err(_) => Err(ClientError::Protocol(format!(
            "HTTP {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect::<String>()
        ))),
    }
}

async fn exchange<S>(io: TokioIo<S>, request: Request<Full<Bytes>>) -> Result<Answer, hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    driver.abort();
    Ok(Answer { status, headers, body })
}

/// `key=value&...` with every value percent-encoded, for query strings.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A query string made of a [`crate::wire`] parameters type (absent values left out), so
/// that the client asks in the very type the server reads.
pub fn query_of<T: Serialize>(params: &T) -> String {
    serde_urlencoded::to_string(params).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_make_the_query_the_server_reads_and_absent_ones_are_left_out() {
        let params = crate::wire::IngestParams {
            queue: "help desk".into(),
            action: Some("comment".into()),
            ticket: None,
            sender: Some("a+b@example.org".into()),
        };
        let query = query_of(&params);
        assert_eq!(query, "queue=help+desk&action=comment&sender=a%2Bb%40example.org");
        let read: crate::wire::IngestParams = serde_urlencoded::from_str(&query).unwrap();
        assert_eq!(read, params);
    }

    #[test]
    fn addresses_parse_and_mistakes_are_usage_errors() {
        assert_eq!(
            "unix:/run/ticketd/ticketd.sock".parse(),
            Ok(Endpoint::Unix("/run/ticketd/ticketd.sock".into()))
        );
        assert_eq!(
            "http://127.0.0.1:8025/".parse(),
            Ok(Endpoint::Tcp("127.0.0.1:8025".into()))
        );
        assert_eq!("http://[::1]:8025".parse(), Ok(Endpoint::Tcp("[::1]:8025".into())));
        for bad in [
            "foo",
            "http//x",
            "http://x",
            "http://:80",
            "http://x:80/v1",
            "https://x:443",
            "unix:",
        ] {
            let e = bad.parse::<Endpoint>().unwrap_err();
            assert!(e.contains(&format!("`{bad}` is not a ticketd address")), "{bad}: {e}");
            assert!(e.contains("unix:/path/to/ticketd.sock or http://host:port"), "{e}");
        }
        let e = Client::new("foo", None, Duration::from_secs(1)).err().unwrap();
        assert!(matches!(e, ClientError::Usage(_)), "{e:?}");
        assert!(!e.to_string().contains("unexpected answer"), "{e}");
    }
}
