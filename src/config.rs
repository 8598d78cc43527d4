//! Typed configuration: built-in defaults, then the TOML file, then command-line flags.
//!
//! With no file at all ticketd runs on the embedded default of CONTRACT.md: data in `./var`,
//! socket `./var/ticketd.sock`, outgoing mail written to `./var/outgoing/`, one queue
//! `general`. `etc/ticketd.toml` is the file an installation starts from (every key beside
//! its default, only the safe ones set); `docs/examples/ticketd-showcase.toml` sets every
//! key. Tests parse both. Relative paths are taken relative to the working directory, as a
//! shell user expects.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::error::{Error, Result};

mod check;

/// The whole configuration of the daemon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Run the built-in rules (CONTRACT.md's notifications) with `[[rules]]` merged in by
    /// name; false: `[[rules]]` is the whole list.
    #[serde(default = "yes")]
    pub default_rules: bool,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub mail: MailConfig,
    #[serde(default)]
    pub outbox: OutboxConfig,
    #[serde(default)]
    pub queues: Vec<QueueConfig>,
    /// Custom fields, each for some queues or all.
    #[serde(default)]
    pub custom_fields: Vec<crate::ticket::CustomFieldDef>,
    /// Custom lifecycles by name, beside the built-in `default`.
    #[serde(default)]
    pub lifecycles: std::collections::BTreeMap<String, crate::ticket::Lifecycle>,
    /// Rules (RT's scrips), in the order they run.
    #[serde(default)]
    pub rules: Vec<crate::rules::Rule>,
    /// Templates by name, replacing built-in ones or adding new ones for rules.
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, String>,
    /// Run the built-in jobs (`schedule::DEFAULT_JOBS`) with `[[jobs]]` merged in by name;
    /// false: `[[jobs]]` is the whole list.
    #[serde(default = "yes")]
    pub default_jobs: bool,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    /// Scheduled jobs (escalation, SLA checks, digests, stalled tickets).
    #[serde(default)]
    pub jobs: Vec<crate::schedule::Job>,
    /// Business-hours calendars by name, for service levels.
    #[serde(default)]
    pub calendars: std::collections::BTreeMap<String, crate::calendar::CalendarConfig>,
    /// Service levels by name; a queue's `service_level` applies one to its tickets.
    #[serde(default)]
    pub service_levels: std::collections::BTreeMap<String, crate::sla::ServiceLevel>,
    /// The staff web UI; without this section ticketd serves no web pages.
    #[serde(default)]
    pub web: Option<WebConfig>,
}

/// The staff web UI's listener and sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// `HOST:PORT` to serve pages on (put a TLS proxy in front of anything but localhost).
    pub listen: SocketAddr,
    /// The path every page lives under, `""` or e.g. `"/tickets"` behind a proxy.
    #[serde(default)]
    pub base_path: String,
    /// The address people reach the pages at, as in their browser's address bar: links in
    /// mail point there, and a change is accepted only from a page of this origin.
    pub public_url: String,
    /// A session unused this long ends.
    #[serde(default = "default_session_idle_minutes")]
    pub session_idle_minutes: u32,
    /// A session ends this long after the login, used or not.
    #[serde(default = "default_session_max_hours")]
    pub session_max_hours: u32,
}

fn default_session_idle_minutes() -> u32 {
    120
}

fn default_session_max_hours() -> u32 {
    12
}

impl WebConfig {
    /// The base path without a trailing slash (`""` at the root).
    pub fn base(&self) -> &str {
        self.base_path.trim_end_matches('/')
    }

    /// `scheme://host[:port]` of the public URL: the one origin changes may come from.
    pub fn origin(&self) -> std::result::Result<String, String> {
        let url = self.public_url.trim_end_matches('/');
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
            .ok_or_else(|| format!("web.public_url `{url}` must begin with http:// or https://"))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("web.public_url `{url}` names no host"));
        }
        Ok(format!("{scheme}://{host}"))
    }

    /// Whether pages are reached over TLS (the session cookie is then `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The scheduler's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// The IANA time zone the jobs' cron schedules are read in.
    pub time_zone: String,
}

impl SchedulerConfig {
    /// The zone, looked up; a bad one is named as `scheduler.time_zone`.
    pub fn zone(&self) -> Result<chrono_tz::Tz, String> {
        crate::calendar::time_zone(&self.time_zone).map_err(|e| format!("scheduler.time_zone {e}"))
    }
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            time_zone: "UTC".into(),
        }
    }
}

fn yes() -> bool {
    true
}

/// Where the daemon keeps its data and where it listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Database and anything else ticketd writes.
    pub data_dir: PathBuf,
    /// `unix:PATH` or `HOST:PORT`; empty means `unix:<data_dir>/ticketd.sock`.
    pub listen: Vec<Listen>,
    /// Permissions of Unix sockets, octal. Postfix runs pipe aliases as `nobody`, so the
    /// default lets every local user connect; only ingest is open to them, the API answers
    /// only the daemon's own user and root (checked by peer credentials).
    pub socket_mode: String,
    /// File holding the shared secret that TCP clients (a remote MTA's mailgate, tkt) must
    /// send. Required when any listener is TCP.
    pub token_file: Option<PathBuf>,
    /// The secret read from `token_file`.
    #[serde(skip)]
    pub token: Option<Secret>,
    /// The longest a shutdown takes: what still runs after it (a request, a job step, a
    /// delivery) is abandoned unanswered.
    pub shutdown_grace_secs: u64,
    /// How long one read (a search, a report) may run before it is stopped with an error
    /// that says so: no query, however costly, keeps a core busy for longer.
    pub search_time_limit_secs: u64,
    /// Where `GET /metrics` (Prometheus's text format) is served, e.g. `127.0.0.1:9187`;
    /// unset, nowhere. It asks for no login: bind it where only the monitoring reaches.
    pub metrics_listen: Option<SocketAddr>,
}

/// Where the database is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://USER:PASSWORD@HOST:PORT/DBNAME` (or `host=... dbname=...`): PostgreSQL,
    /// which several daemons may share. Unset: the SQLite file `ticketd.sqlite3` in
    /// `server.data_dir`, for one daemon.
    #[serde(deserialize_with = "secret_url")]
    pub url: Option<Secret>,
}

fn secret_url<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret))
}

/// Inbound and outbound mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The name in subject tags: `[TAG #42]`.
    pub tag: String,
    /// Envelope sender and From address of outgoing mail.
    pub from: String,
    /// `file:DIR`, `smtp://HOST:PORT` (or `smtps://`), `sendmail:/usr/sbin/sendmail`.
    pub outbound: Outbound,
    /// Messages larger than this are refused (mailgate exits 65 and the MTA bounces).
    pub max_message_bytes: u64,
    /// Messages with more MIME parts than this are quarantined instead of processed (a MIME
    /// bomb defence); raise it and `tkt quarantine retry` to take one in.
    pub max_mime_parts: usize,
    /// Autoreplies to one sender per hour; beyond it, mail from them is stored silently.
    pub autoreply_limit_per_hour: u32,
    /// Messages about one ticket to one address per hour (notifications, autoreplies,
    /// pages); beyond it mail about that ticket to that address is held back and the
    /// ticket says so. Two autoresponders that do not mark their mail cannot answer each
    /// other through a ticket for ever.
    pub notification_limit_per_hour: u32,
    /// The most of a message, in bytes, a notification quotes (`{{ message }}` in its
    /// template): beyond it the start, cut at a line end, and a line pointing to the
    /// ticket. A huge mail is not sent on to every watcher, and stays quick to answer.
    pub max_quoted_bytes: usize,
    /// The files of a reply or comment go along with its notifications (as RT sends
    /// them) up to this many bytes in all, decoded; the others are named in the body with
    /// their sizes, and stay on the ticket. 0 sends none.
    pub max_attachment_bytes_per_notification: u64,
    /// The charset of 8-bit text that declares none (raw bytes in headers, bodies without
    /// a charset): `auto` guesses it per message, as a browser would; a label such as
    /// `koi8-r` or `iso-8859-1` fixes it for sites that know their mail (RT's
    /// `@EmailInputEncodings`). Declared charsets are always honoured.
    pub undeclared_charset: String,
    /// The language of mail to people who have not chosen one (their `lang`): `en`, `de`
    /// or `fr`. Each recipient gets the built-in templates in their own language.
    pub language: String,
    /// More addresses of this system (aliases, old queue addresses) that must never be sent
    /// an autoreply or notification.
    pub own_addresses: Vec<String>,
    /// Mail from a sender who may not write there (no CreateTicket, no CommentOnTicket, a
    /// disabled user, a non-watcher where the queue refuses them): `bounce` (mailgate
    /// exits 77 with the reason) or `drop` (accepted and discarded, logged).
    pub denied_mail: DeniedMail,
    /// Commands by mail (`Status: resolved` at the top of a staff member's message) run
    /// only when an `Authentication-Results` header from one of these servers (the local
    /// MTA's authserv-id) says DMARC passed, or DKIM or SPF passed for the From domain,
    /// in mail that mailgate handed in with the MTA's secret (`server.token_file`, which
    /// this needs). Empty (the default): commands by mail are off, since a From header
    /// alone is easy to forge; the sender is told their commands were not run.
    pub commands_need_authentication_by: Vec<String>,
}

/// What happens to mail from a sender without the right to send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeniedMail {
    /// Refuse it: the MTA bounces it with mailgate's line.
    #[default]
    Bounce,
    /// Accept and discard it (no bounce to a forged sender).
    Drop,
}

/// Delivery of outgoing mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Wait before the first retry of a temporary failure; doubles with each attempt.
    pub retry_initial_secs: u64,
    /// The longest wait between retries.
    pub retry_max_secs: u64,
    /// After this many attempts a message counts as permanently failed.
    pub max_attempts: u32,
}

/// One queue: a mailbox people write to, and the tickets made from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: String,
    /// The correspond address; default `NAME@` the domain of `mail.from`.
    pub address: Option<String>,
    /// The comment address; default `NAME-comment@` the domain of `mail.from`.
    pub comment_address: Option<String>,
    #[serde(default)]
    pub description: String,
    /// This queue's subject tag name, instead of `mail.tag` (RT's per-queue SubjectTag).
    /// Mail tagged with any of the system's tags threads.
    #[serde(default)]
    pub tag: Option<String>,
    /// Watchers who get replies of every ticket in the queue.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Staff who get replies and comments of every ticket in the queue. They are made
    /// privileged users.
    #[serde(default)]
    pub admin_cc: Vec<String>,
    /// Whether a ticket may become inactive while tickets it depends on are active.
    #[serde(default)]
    pub resolve_with_open_dependencies: bool,
    /// Whether a parent (a ticket with Members) is resolved when its last child is.
    #[serde(default)]
    pub resolve_parent_with_children: bool,
    /// A requestor's reply to a ticket that has been inactive (resolved) for more days
    /// than this opens a new ticket that RefersTo the old one, instead of reopening it.
    #[serde(default)]
    pub reopen_window_days: Option<u32>,
    /// The lifecycle of the queue's tickets: `default` or one of `[lifecycles.NAME]`.
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// Mail to an existing ticket from someone who is neither its watcher nor staff:
    /// `comment` (for staff to review), `accept` (as a reply, as RT does) or `refuse`.
    #[serde(default)]
    pub non_watcher_mail: crate::queue::NonWatcherMail,
    /// This queue's own versions of templates, by name.
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, String>,
    /// The priority new tickets start at (RT's InitialPriority); default 0.
    #[serde(default)]
    pub initial_priority: Option<i64>,
    /// The priority escalation climbs towards (RT's FinalPriority); default 0.
    #[serde(default)]
    pub final_priority: Option<i64>,
    /// The `[service_levels.NAME]` its tickets are held to.
    #[serde(default)]
    pub service_level: Option<String>,
    /// How the `escalate` job raises its tickets' priority.
    #[serde(default)]
    pub escalation: Option<crate::queue::Escalation>,
    /// What the `stalled` job does with tickets stalled for long.
    #[serde(default)]
    pub stalled: Option<crate::queue::StalledPolicy>,
    /// Read mail from monitoring systems as alerts: repeats onto one ticket, recoveries
    /// resolve it.
    #[serde(default)]
    pub alerts: Option<crate::alerts::AlertConfig>,
}

/// A listening address.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Listen {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

/// How outgoing mail leaves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Outbound {
    /// Each message as `DIR/<id>.eml` with its envelope in `DIR/<id>.json`.
    File(PathBuf),
    /// An SMTP relay, as a lettre URL (`smtp://host:25`, `smtps://user:pass@host`).
    Smtp(String),
    /// A sendmail-compatible command.
    Sendmail(PathBuf),
}

/// A secret string that never appears in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Keys given on ticketd's command line, over the file's (`--data-dir`, `--listen`,
/// `--outbound`): to run a config file somewhere else than it says, such as the shipped
/// one in a scratch directory, or to try a site's file with its mail written to a
/// directory instead of sent. Defaults that follow from `data_dir` (the socket, the
/// outgoing directory) follow the flag unless the file sets them.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `server.data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Replaces `server.listen` when not empty.
    pub listen: Vec<Listen>,
    /// Replaces `mail.outbound`.
    pub outbound: Option<Outbound>,
    /// Replaces `database.url`.
    pub database_url: Option<String>,
}

impl Overrides {
    fn apply(&self, config: &mut Config) {
        if let Some(dir) = &self.data_dir {
            config.server.data_dir = dir.clone();
        }
        if !self.listen.is_empty() {
            config.server.listen = self.listen.clone();
        }
        if let Some(outbound) = &self.outbound {
            config.mail.outbound = outbound.clone();
        }
        if let Some(url) = &self.database_url {
            config.database.url = Some(Secret(url.clone()));
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from("var"),
            listen: Vec::new(),
            socket_mode: "0666".into(),
            token_file: None,
            token: None,
            shutdown_grace_secs: 30,
            search_time_limit_secs: 30,
            metrics_listen: None,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            tag: "ticketd".into(),
            from: "ticketd@localhost".into(),
            // replaced by `<data_dir>/outgoing` when the file does not set it
            outbound: Outbound::File(PathBuf::new()),
            max_message_bytes: 50 * 1024 * 1024,
            max_mime_parts: 1000,
            autoreply_limit_per_hour: 10,
            notification_limit_per_hour: 10,
            max_quoted_bytes: 64 * 1024,
            max_attachment_bytes_per_notification: 10 * 1024 * 1024,
            undeclared_charset: "auto".into(),
            language: "en".into(),
            own_addresses: Vec::new(),
            denied_mail: DeniedMail::Bounce,
            commands_need_authentication_by: Vec::new(),
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            retry_initial_secs: 60,
            retry_max_secs: 3600,
            max_attempts: 12,
        }
    }
}

impl FromStr for Listen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("listen address `unix:` needs a path".into());
            }
            return Ok(Listen::Unix(PathBuf::from(path)));
        }
        let addr = s
            .strip_prefix("tcp:")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        addr.parse()
            .map(Listen::Tcp)
            .map_err(|_| format!("listen address `{s}` is neither `unix:/path` nor `host:port` (e.g. 127.0.0.1:8025)"))
    }
}

impl TryFrom<String> for Listen {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
            Listen::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

impl FromStr for Outbound {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(dir) = s.strip_prefix("file:") {
            Ok(Outbound::File(PathBuf::from(dir)))
        } else if let Some(cmd) = s.strip_prefix("sendmail:") {
            Ok(Outbound::Sendmail(PathBuf::from(cmd)))
        } else if s.starts_with("smtp://") || s.starts_with("smtps://") {
            Ok(Outbound::Smtp(s.to_string()))
        } else {
            Err(format!(
                "mail.outbound `{s}` is not one of file:DIR, smtp://HOST:PORT, smtps://HOST, sendmail:PATH"
            ))
        }
    }
}

impl TryFrom<String> for Outbound {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl Config {
    /// The embedded default: what ticketd runs on when given no file.
    pub fn embedded_default() -> Config {
        Config::parse("", "the embedded default", &Overrides::default()).expect("the embedded default is valid")
    }

    /// Parses a config from TOML text; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config> {
        Config::parse(text, origin, &Overrides::default())
    }

    /// Loads the file at `path`, or the embedded default when there is none, with the
    /// command line's keys over it, and reads the secrets it points to.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Config> {
        let mut config = match path {
            None => Config::parse("", "the embedded default", overrides)?,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Invalid(format!("cannot read config file {}: {e}", path.display())))?;
                Config::parse(&text, &path.display().to_string(), overrides)?
            }
        };
        if let Some(file) = &config.server.token_file {
            let token = std::fs::read_to_string(file)
                .map_err(|e| Error::Invalid(format!("cannot read server.token_file {}: {e}", file.display())))?;
            let token = token.trim().to_string();
            if token.is_empty() {
                return Err(Error::Invalid(format!("server.token_file {} is empty", file.display())));
            }
            config.server.token = Some(Secret(token));
        }
        Ok(config)
    }

    /// The file's keys, the overrides over them, the defaults that follow from both, then
    /// the checks.
    fn parse(text: &str, origin: &str, overrides: &Overrides) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| Error::Invalid(format!("{origin}: {e}")))?;
        overrides.apply(&mut config);
        config.finish();
        config
            .validate()
            .map_err(|e| Error::Invalid(format!("{origin}: {e}")))?;
        Ok(config)
    }

    /// Fills the defaults that depend on other keys.
    fn finish(&mut self) {
        for (name, lifecycle) in &mut self.lifecycles {
            lifecycle.name = name.clone();
        }
        if self.server.listen.is_empty() {
            self.server.listen = vec![Listen::Unix(self.server.data_dir.join("ticketd.sock"))];
        }
        if self.mail.outbound == Outbound::File(PathBuf::new()) {
            self.mail.outbound = Outbound::File(self.server.data_dir.join("outgoing"));
        }
        if self.queues.is_empty() {
            self.queues.push(QueueConfig {
                name: "general".into(),
                address: None,
                comment_address: None,
                description: "The default queue".into(),
                tag: None,
                lifecycle: None,
                resolve_with_open_dependencies: false,
                resolve_parent_with_children: false,
                reopen_window_days: None,
                cc: Vec::new(),
                admin_cc: Vec::new(),
                non_watcher_mail: Default::default(),
                templates: Default::default(),
                initial_priority: None,
                final_priority: None,
                service_level: None,
                escalation: None,
                stalled: None,
                alerts: None,
            });
        }
        let domain = self.mail.from.rsplit_once('@').map(|(_, d)| d.to_string());
        let domain = domain.unwrap_or_else(|| "localhost".into());
        for queue in &mut self.queues {
            queue.address.get_or_insert_with(|| format!("{}@{domain}", queue.name));
            queue
                .comment_address
                .get_or_insert_with(|| format!("{}-comment@{domain}", queue.name));
        }
    }

    /// The jobs that run: the built-in ones with `[[jobs]]` merged in.
    pub fn effective_jobs(&self) -> Vec<crate::schedule::Job> {
        crate::schedule::effective_jobs(&self.jobs, self.default_jobs)
    }

    /// The Unix socket permission bits.
    pub fn socket_mode(&self) -> Result<u32, String> {
        u32::from_str_radix(self.server.socket_mode.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| {
                format!(
                    "server.socket_mode `{}` is not an octal mode like 0660",
                    self.server.socket_mode
                )
            })
    }

    /// The fixed charset for undeclared 8-bit text, or `None` to guess.
    pub fn undeclared_charset(&self) -> Result<Option<&'static encoding_rs::Encoding>, String> {
        let label = self.mail.undeclared_charset.trim();
        if label.eq_ignore_ascii_case("auto") {
            return Ok(None);
        }
        encoding_rs::Encoding::for_label(label.as_bytes())
            .map(Some)
            .ok_or_else(|| format!("mail.undeclared_charset `{label}` is not a charset name (or `auto`)"))
    }

    /// The language of mail to people who have chosen none (`mail.language`).
    pub fn mail_language(&self) -> Result<crate::i18n::Lang, String> {
        let tag = self.mail.language.trim();
        crate::i18n::Lang::from_tag(tag)
            .filter(|lang| lang.code().eq_ignore_ascii_case(tag))
            .ok_or_else(|| format!("mail.language `{tag}` is not a language ticketd ships: en, de or fr"))
    }

    /// Every template, compiled: the built-in ones, `[templates]` and the queues' own.
    pub fn templates(&self) -> Result<crate::template::Templates> {
        let per_queue = self
            .queues
            .iter()
            .filter(|q| !q.templates.is_empty())
            .map(|q| (q.name.clone(), q.templates.clone()))
            .collect();
        crate::template::Templates::new(&self.templates, &per_queue)
    }

    /// The rules that run, in order: the built-in ones with `[[rules]]` merged in.
    pub fn effective_rules(&self) -> Vec<crate::rules::Rule> {
        crate::rules::effective_rules(&self.rules, self.default_rules)
    }

    /// The queue with this name (case-insensitive).
    pub fn queue(&self, name: &str) -> Option<&QueueConfig> {
        self.queues.iter().find(|q| q.name.eq_ignore_ascii_case(name))
    }

    /// Every address that is this system itself: never a recipient of our own mail.
    pub fn own_addresses(&self) -> Vec<String> {
        let mut own = vec![self.mail.from.to_lowercase()];
        for queue in &self.queues {
            own.extend(
                queue
                    .address
                    .iter()
                    .chain(&queue.comment_address)
                    .map(|a| a.to_lowercase()),
            );
        }
        own.extend(self.mail.own_addresses.iter().map(|a| a.to_lowercase()));
        own
    }
}

impl QueueConfig {
    /// The correspond address (always set once the config is loaded).
    pub fn address(&self) -> &str {
        self.address.as_deref().unwrap_or_default()
    }

    /// The comment address (always set once the config is loaded).
    pub fn comment_address(&self) -> &str {
        self.comment_address.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_matches_the_design() {
        let c = Config::embedded_default();
        assert_eq!(c.server.data_dir, PathBuf::from("var"));
        assert_eq!(c.server.listen, vec![Listen::Unix(PathBuf::from("var/ticketd.sock"))]);
        assert_eq!(c.mail.outbound, Outbound::File(PathBuf::from("var/outgoing")));
        assert_eq!(c.queues.len(), 1);
        assert_eq!(c.queues[0].name, "general");
        assert_eq!(c.queues[0].address(), "general@localhost");
    }

    const SHOWCASE: &str = include_str!("../docs/examples/ticketd-showcase.toml");
    const SHIPPED: &str = include_str!("../etc/ticketd.toml");

    #[test]
    fn the_showcase_parses_with_every_key() {
        let c = Config::from_toml(SHOWCASE, "docs/examples/ticketd-showcase.toml").unwrap();
        assert_eq!(c.mail.tag, "tickets.example");
        assert!(c.queues.len() >= 2);
        // the database's password never reaches a log
        assert!(c.database.url.is_some());
        assert!(!format!("{c:?}").contains("PASSWORD"));
        // the built-in rules are shown as they are, examples follow
        let defaults = crate::rules::default_rules();
        assert_eq!(c.rules[..defaults.len()], defaults[..]);
        assert!(c.rules.len() > defaults.len());
        assert_eq!(c.effective_rules().len(), c.rules.len());
        // the built-in jobs are shown as they are
        assert_eq!(c.jobs, crate::schedule::default_jobs());
        assert_eq!(c.effective_jobs(), c.jobs);
        assert!(c.queue("general").unwrap().escalation.is_some());
        assert!(
            c.templates()
                .unwrap()
                .names()
                .contains(&"network/autoreply".to_string())
        );
    }

    /// The file an installation starts from sets only what is safe as it is: its own
    /// paths, the local MTA, one queue without watchers, and the built-in rules and jobs
    /// (nothing that pages, calls webhooks or mails a fixed address).
    #[test]
    fn the_shipped_file_sets_only_safe_keys() {
        let c = Config::from_toml(SHIPPED, "etc/ticketd.toml").unwrap();
        assert_eq!(c.server.data_dir, PathBuf::from("/var/lib/ticketd"));
        assert_eq!(
            c.server.listen,
            vec![Listen::Unix(PathBuf::from("/run/ticketd/ticketd.sock"))]
        );
        assert_eq!(c.server.token_file, None);
        assert_eq!(c.mail.outbound, Outbound::Smtp("smtp://localhost:25".into()));
        assert_eq!(c.mail.from, "tickets@example.com");
        assert!(c.mail.own_addresses.is_empty());
        assert!(c.mail.commands_need_authentication_by.is_empty());
        assert_eq!(c.queues.len(), 1);
        let general = &c.queues[0];
        assert_eq!(general.name, "general");
        assert!(general.cc.is_empty() && general.admin_cc.is_empty());
        assert!(general.escalation.is_none() && general.stalled.is_none() && general.alerts.is_none());
        assert!(c.rules.is_empty() && c.jobs.is_empty() && c.templates.is_empty());
        assert_eq!(c.effective_rules(), crate::rules::default_rules());
        assert_eq!(c.effective_jobs(), crate::schedule::default_jobs());
        assert!(c.custom_fields.is_empty() && c.lifecycles.is_empty());
        assert!(c.calendars.is_empty() && c.service_levels.is_empty());
    }

    /// Every key the showcase sets is written in the shipped file too (set or commented
    /// out), so a new key cannot be documented in one and forgotten in the other. Rules
    /// and jobs are left to the showcase and docs/RULES.md.
    #[test]
    fn the_shipped_file_mentions_every_key_of_the_showcase() {
        fn keys(table: &toml::Table, found: &mut std::collections::BTreeSet<String>) {
            for (key, value) in table {
                found.insert(key.clone());
                // the site's own names (templates, statuses, days, severities) are not keys
                let named = ["lifecycles", "calendars", "service_levels"].contains(&key.as_str());
                let skipped = [
                    "rules",
                    "jobs",
                    "templates",
                    "priorities",
                    "transitions",
                    "rights",
                    "hours",
                ];
                match value {
                    _ if skipped.contains(&key.as_str()) => {}
                    toml::Value::Table(t) if named => t
                        .values()
                        .filter_map(toml::Value::as_table)
                        .for_each(|t| keys(t, found)),
                    toml::Value::Table(t) => keys(t, found),
                    toml::Value::Array(items) => items
                        .iter()
                        .filter_map(toml::Value::as_table)
                        .for_each(|t| keys(t, found)),
                    _ => {}
                }
            }
        }
        let mut found = std::collections::BTreeSet::new();
        keys(&SHOWCASE.parse().unwrap(), &mut found);
        assert!(found.len() > 60, "{found:?}");
        let missing: Vec<&String> = found
            .iter()
            .filter(|key| {
                let written = regex::Regex::new(&format!(r"(?m)(^|[\s\[.])({key})(\s*=|\]|\.)")).unwrap();
                !written.is_match(SHIPPED)
            })
            .collect();
        assert!(missing.is_empty(), "etc/ticketd.toml does not mention {missing:?}");
    }

    #[test]
    fn the_command_line_moves_what_the_file_says_and_what_follows_from_it() {
        let moved = Overrides {
            data_dir: Some(PathBuf::from("/tmp/t")),
            ..Overrides::default()
        };
        // defaults that follow from data_dir follow the flag
        let c = Config::parse("[server]\ndata_dir = \"/var/lib/ticketd\"\n", "t", &moved).unwrap();
        assert_eq!(
            c.server.listen,
            vec![Listen::Unix(PathBuf::from("/tmp/t/ticketd.sock"))]
        );
        assert_eq!(c.mail.outbound, Outbound::File(PathBuf::from("/tmp/t/outgoing")));
        // keys the file sets are replaced only by their own flags
        let c = Config::parse(SHIPPED, "t", &moved).unwrap();
        assert_eq!(c.server.data_dir, PathBuf::from("/tmp/t"));
        assert_eq!(
            c.server.listen,
            vec![Listen::Unix(PathBuf::from("/run/ticketd/ticketd.sock"))]
        );
        assert_eq!(c.mail.outbound, Outbound::Smtp("smtp://localhost:25".into()));
        let all = Overrides {
            listen: vec!["unix:/tmp/t/s".parse().unwrap()],
            outbound: Some("file:/tmp/t/mail".parse().unwrap()),
            ..moved
        };
        let c = Config::parse(SHIPPED, "t", &all).unwrap();
        assert_eq!(c.server.listen, all.listen);
        assert_eq!(c.mail.outbound, Outbound::File(PathBuf::from("/tmp/t/mail")));
        assert_eq!(c.mail.from, "tickets@example.com", "the rest is the file's");
        // and they are checked like the file
        let tcp = Overrides {
            listen: vec!["127.0.0.1:8025".parse().unwrap()],
            ..Overrides::default()
        };
        assert!(
            Config::parse("", "t", &tcp)
                .unwrap_err()
                .to_string()
                .contains("token_file")
        );
    }

    #[test]
    fn tcp_listener_without_token_is_refused() {
        let e = Config::from_toml("[server]\nlisten = [\"127.0.0.1:8025\"]\n", "t").unwrap_err();
        assert!(e.to_string().contains("token_file"), "{e}");
    }

    #[test]
    fn commands_by_mail_need_the_mta_secret() {
        let e = Config::from_toml("[mail]\ncommands_need_authentication_by = [\"mx.example.org\"]\n", "t").unwrap_err();
        assert!(e.to_string().contains("server.token_file"), "{e}");
        let with = "[server]\ntoken_file = \"/etc/ticketd/token\"\n[mail]\n";
        assert!(
            Config::from_toml(
                &format!("{with}commands_need_authentication_by = [\"mx.example.org\"]"),
                "t"
            )
            .is_ok()
        );
        let e = Config::from_toml(
            &format!("{with}commands_need_authentication_by = [\"mx; dkim=pass\"]"),
            "t",
        )
        .unwrap_err();
        assert!(e.to_string().contains("authserv-id"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::from_toml("[mail]\ntga = \"x\"\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("tga"), "{e}");
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "Secret([redacted])");
    }
}
