//! Shared helpers: a real `ticketd` on a temp dir and socket, the real `mailgate` and
//! `tkt` binaries, and read access to the database and the outgoing-mail directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use ticketd::store::sql;
use ticketd::store::{Location, Reader};

pub const TICKETD: &str = env!("CARGO_BIN_EXE_ticketd");
pub const MAILGATE: &str = env!("CARGO_BIN_EXE_mailgate");
pub const TKT: &str = env!("CARGO_BIN_EXE_tkt");

/// The tag every test daemon uses.
pub const TAG: &str = "tickets.test";

/// What to put in a test daemon's config beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Extra lines in `[mail]`.
    pub mail: Vec<String>,
    /// Extra lines in `[outbox]`.
    pub outbox: Vec<String>,
    /// Extra lines in `[server]`.
    pub server: Vec<String>,
    /// Replaces the default `mail.outbound` (file:<dir>/outgoing).
    pub outbound: Option<String>,
    /// Replaces the default queues.
    pub queues: Option<String>,
    /// Also listen on this TCP address, with this shared token.
    pub tcp: Option<(String, String)>,
    /// The MTA's shared secret (`server.token_file`) without a TCP listener: mail handed
    /// in with it ([`Daemon::deliver_from_mta`]) may carry a trusted Authentication-Results.
    pub mta_secret: Option<String>,
    /// Start with the clock frozen here (`ticketd --now`).
    pub now: Option<String>,
    /// More environment variables for the daemon (`TICKETD_TEST_FAULTS=1`).
    pub env: Vec<(String, String)>,
    /// Start the daemon unable to write files past this many bytes (a multiple of 512),
    /// as if the disk were full there.
    pub file_size_limit: Option<u64>,
    /// Turn on the staff web UI on a free 127.0.0.1 port ([`Daemon::web_url`]).
    pub web: bool,
    /// Extra lines in `[web]` (with `web`).
    pub web_lines: Vec<String>,
    /// Share this daemon's PostgreSQL database ([`Daemon::database_url`]) instead of
    /// getting one of its own: several daemons on one database.
    pub database_url: Option<String>,
    /// Stay on SQLite in the PostgreSQL run too: the installation a migration copies.
    pub sqlite: bool,
}

/// The password [`Daemon::web_user`] gives everyone: long enough for the web's rule.
pub const PASSWORD: &str = "correct horse battery";

/// The default queues: `general` (help@) with no staff, `network` (noc@) with an AdminCc.
pub const DEFAULT_QUEUES: &str = r#"
[[queues]]
name = "general"
address = "help@tickets.test"
comment_address = "help-comment@tickets.test"

[[queues]]
name = "network"
address = "noc@tickets.test"
comment_address = "noc-comment@tickets.test"
admin_cc = ["staff@tickets.test"]
cc = ["watcher@example.org"]
"#;

/// A running daemon in its own temp dir.
pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub config: PathBuf,
    pub outgoing: PathBuf,
    /// `--now` for the next launch.
    pub now: Option<String>,
    /// More flags for every launch, after `--config`.
    pub args: Vec<String>,
    /// More environment variables for every launch.
    pub env: Vec<(String, String)>,
    /// The file size limit for the next launch (see [`Setup::file_size_limit`]).
    pub file_size_limit: Option<u64>,
    /// The web UI's address (`http://127.0.0.1:PORT`), when [`Setup::web`] turned it on.
    pub web: Option<String>,
    /// The daemon's own PostgreSQL database, in the suite's PostgreSQL run
    /// ([`scratch_database`]).
    pub database_url: Option<String>,
    child: Option<Child>,
}

impl Daemon {
    /// Starts a daemon with the default setup.
    pub fn start() -> Daemon {
        Daemon::start_with(Setup::default())
    }

    /// Starts a daemon with extra config.
    pub fn start_with(setup: Setup) -> Daemon {
        let dir = scratch_dir();
        let socket = dir.path().join("ticketd.sock");
        let outgoing = dir.path().join("outgoing");
        let config = dir.path().join("ticketd.toml");
        let outbound = setup
            .outbound
            .clone()
            .unwrap_or_else(|| format!("file:{}", outgoing.display()));
        let mut listen = format!("\"unix:{}\"", socket.display());
        let mut server = setup.server.join("\n");
        if !server.contains("shutdown_grace_secs") {
            server.push_str("\nshutdown_grace_secs = 20");
        }
        if let Some((address, _)) = &setup.tcp {
            listen.push_str(&format!(", \"{address}\""));
        }
        if let Some(token) = setup.tcp.as_ref().map(|(_, token)| token).or(setup.mta_secret.as_ref()) {
            let token_file = dir.path().join("token");
            std::fs::write(&token_file, format!("{token}\n")).expect("write token");
            server.push_str(&format!("\ntoken_file = \"{}\"", token_file.display()));
        }
        let web = setup.web.then(|| format!("http://127.0.0.1:{}", free_port()));
        let web_section = match &web {
            Some(url) => format!(
                "\n[web]\nlisten = \"{listen}\"\npublic_url = \"{url}\"\n{lines}\n",
                listen = url.trim_start_matches("http://"),
                lines = setup.web_lines.join("\n"),
            ),
            None => String::new(),
        };
        let text = format!(
            "[server]\ndata_dir = \"{data}\"\nlisten = [{listen}]\n{server}\n\n\
             [mail]\ntag = \"{TAG}\"\nfrom = \"tickets@tickets.test\"\noutbound = \"{outbound}\"\n{mail}\n\n\
             [outbox]\n{outbox}\n{web_section}{queues}\n",
            data = dir.path().join("data").display(),
            mail = setup.mail.join("\n"),
            outbox = setup.outbox.join("\n"),
            queues = setup.queues.as_deref().unwrap_or(DEFAULT_QUEUES),
        );
        std::fs::write(&config, text).expect("write config");
        let mut daemon = Daemon {
            dir,
            socket,
            config,
            outgoing,
            now: setup.now.clone(),
            args: Vec::new(),
            env: setup.env.clone(),
            file_size_limit: setup.file_size_limit,
            web,
            database_url: match setup.sqlite {
                true => None,
                false => setup.database_url.clone().or_else(scratch_database),
            },
            child: None,
        };
        daemon.launch();
        daemon
    }

    /// Starts a daemon on a config file as it is, copied unchanged into the temp dir. Its
    /// paths are an installed system's, so `--data-dir`, `--listen` and `--outbound` move
    /// the data, the socket and the outgoing mail into the temp dir, where the other
    /// helpers look for them; every other key is the file's.
    pub fn start_on_file(file: &Path) -> Daemon {
        let dir = scratch_dir();
        let config = dir.path().join("ticketd.toml");
        std::fs::copy(file, &config).expect("copy config");
        let socket = dir.path().join("ticketd.sock");
        let outgoing = dir.path().join("outgoing");
        let args = vec![
            format!("--data-dir={}", dir.path().join("data").display()),
            format!("--listen=unix:{}", socket.display()),
            format!("--outbound=file:{}", outgoing.display()),
        ];
        let mut daemon = Daemon {
            dir,
            socket,
            config,
            outgoing,
            now: None,
            args,
            env: Vec::new(),
            file_size_limit: None,
            web: None,
            database_url: scratch_database(),
            child: None,
        };
        daemon.launch();
        daemon
    }

    /// Starts the ticketd process and waits until its socket accepts connections.
    pub fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("ticketd.log"))
            .expect("log file");
        let mut command = match self.file_size_limit {
            // the shell sets the limit (in 512-byte blocks) and becomes ticketd; a write
            // past it then fails with EFBIG, as on a full disk, instead of killing it
            Some(bytes) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"", bytes / 512))
                    .arg(TICKETD);
                sh
            }
            None => Command::new(TICKETD),
        };
        command.arg("--config").arg(&self.config).args(&self.args);
        if let Some(now) = &self.now {
            command.arg("--now").arg(now);
        }
        if let Some(url) = &self.database_url {
            command.env("TICKETD_DATABASE_URL", url);
        }
        let child = command
            .env("TICKETD_LOG", "info,ticketd=debug")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start ticketd");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let web_ready = || match &self.web {
                Some(url) => std::net::TcpStream::connect(url.trim_start_matches("http://")).is_ok(),
                None => true,
            };
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() && web_ready() {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("ticketd exited with {status} before listening:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "ticketd did not listen within 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The lines of the daemon's log that contain any of `marks`.
    fn log_lines_with(&self, marks: &[&str]) -> Vec<&'static str> {
        let log: &'static str = Box::leak(self.log().into_boxed_str());
        log.lines().filter(|l| marks.iter().any(|m| l.contains(m))).collect()
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ticketd.log")).unwrap_or_default()
    }

    /// `unix:<socket>`.
    pub fn url(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// The web UI's address, `http://127.0.0.1:PORT` (public_url); the daemon must have
    /// been started with [`Setup::web`].
    pub fn web_url(&self) -> String {
        self.web.clone().expect("the daemon was started without Setup::web")
    }

    /// Gives `user` the password [`PASSWORD`] (`tkt user password`, which reads stdin).
    pub fn set_password(&self, user: &str) {
        let out = self.tkt_stdin(&["user", "password", user], format!("{PASSWORD}\n").as_bytes());
        assert!(out.status.success(), "tkt user password {user}: {}", stderr(&out));
    }

    /// A new privileged user (staff, with the Privileged group's global rights) who can
    /// log in to the web UI with [`PASSWORD`].
    pub fn web_staff(&self, address: &str) {
        self.tkt_ok(&["user", "create", address, "--privileged"]);
        self.set_password(address);
    }

    /// Runs mailgate with `args` (the URL is added), the message on stdin.
    pub fn mailgate(&self, args: &[&str], message: &[u8]) -> Output {
        self.mailgate_env(args, message, &[])
    }

    /// Runs mailgate with extra environment variables (EXTENSION, SENDER).
    pub fn mailgate_env(&self, args: &[&str], message: &[u8], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(MAILGATE);
        for name in ["EXTENSION", "SENDER", "TICKETD_URL", "TICKETD_TOKEN"] {
            command.env_remove(name);
        }
        run_with_stdin(
            command
                .arg("--url")
                .arg(self.url())
                .args(args)
                .envs(env.iter().copied()),
            message,
        )
    }

    /// Delivers a message to a queue and asserts mailgate exited 0.
    pub fn deliver(&self, queue: &str, message: &[u8]) {
        let out = self.mailgate(&["--queue", queue], message);
        assert_eq!(
            out.status.code(),
            Some(0),
            "mailgate failed: {}\n{}",
            stderr(&out),
            self.log()
        );
    }

    /// Delivers a message as the MTA does when it holds the shared secret (mailgate
    /// `--token-file`, over the Unix socket), and asserts mailgate exited 0.
    pub fn deliver_from_mta(&self, queue: &str, message: &[u8]) {
        let token_file = self.dir.path().join("token");
        let token_file = token_file.to_str().expect("a UTF-8 temp dir");
        let out = self.mailgate(&["--queue", queue, "--token-file", token_file], message);
        assert_eq!(
            out.status.code(),
            Some(0),
            "mailgate failed: {}\n{}",
            stderr(&out),
            self.log()
        );
    }

    /// Runs tkt with `args` (the URL is added).
    pub fn tkt(&self, args: &[&str]) -> Output {
        self.tkt_stdin(args, b"")
    }

    /// Runs tkt as the owner of `token`.
    pub fn tkt_as(&self, token: &str, args: &[&str]) -> Output {
        run_with_stdin(
            Command::new(TKT)
                .arg("--url")
                .arg(self.url())
                .env("TICKETD_TOKEN", token)
                .args(args),
            b"",
        )
    }

    /// Leaves `user` (staff) able to see the tickets of `queue` alone: ShowTicket is
    /// revoked from every privileged user and granted to `user` on that queue.
    pub fn only_sees_queue(&self, user: &str, queue: &str) {
        self.tkt_ok(&["revoke", "ShowTicket", "--group", "Privileged"]);
        self.tkt_ok(&["grant", "ShowTicket", "--user", user, "--queue", queue]);
    }

    /// A new API token for `user` (made by local root, the superuser).
    pub fn token_for(&self, user: &str) -> String {
        self.tkt_ok(&["token", "create", user]).trim().to_string()
    }

    /// Runs tkt with text on standard input.
    pub fn tkt_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        run_with_stdin(
            Command::new(TKT)
                .arg("--url")
                .arg(self.url())
                .env_remove("TICKETD_TOKEN")
                .args(args),
            input,
        )
    }

    /// Runs tkt and returns its stdout, asserting success.
    pub fn tkt_ok(&self, args: &[&str]) -> String {
        let out = self.tkt(args);
        assert!(out.status.success(), "tkt {args:?} failed: {}", stderr(&out));
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// `tkt show N --json`.
    pub fn show(&self, id: i64) -> Value {
        serde_json::from_str(&self.tkt_ok(&["show", &id.to_string(), "--json"])).expect("show JSON")
    }

    /// `tkt search QUERY --json`: the ticket ids.
    pub fn search(&self, query: &str) -> Vec<i64> {
        let v: Value = serde_json::from_str(&self.tkt_ok(&["search", query, "--json"])).expect("search JSON");
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }

    /// Where the daemon's database is: its PostgreSQL database in the PostgreSQL run,
    /// else the SQLite file in its data directory.
    pub fn location(&self) -> Location {
        match &self.database_url {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::Sqlite(self.dir.path().join("data")),
        }
    }

    /// A connection of the test's own to the database (read-only on SQLite); statements
    /// go through `ticketd::store::sql`, which runs them on either backend.
    pub fn db(&self) -> Reader {
        Reader::open(&self.location()).expect("open database")
    }

    /// Runs `statements` on the database as they are, behind the daemon's back (a test
    /// that plays a crash, a clock, a broken disk).
    pub fn execute(&self, statements: &str) {
        match self.location() {
            Location::Sqlite(dir) => rusqlite::Connection::open(dir.join(ticketd::store::DATABASE_FILE))
                .and_then(|db| db.execute_batch(statements))
                .unwrap_or_else(|e| panic!("{statements}: {e}")),
            Location::Postgres(url) => on_own_thread(|| {
                postgres::Client::connect(&url, postgres::NoTls)
                    .and_then(|mut db| db.batch_execute(statements))
                    .unwrap_or_else(|e| panic!("{statements}: {e}"))
            }),
        }
    }

    /// Whether this run is on SQLite; a test of something only SQLite has says so and
    /// passes on PostgreSQL.
    pub fn on_sqlite(&self, what: &str) -> bool {
        if self.database_url.is_some() {
            eprintln!("SKIPPED on PostgreSQL: {what} is SQLite's");
        }
        self.database_url.is_none()
    }

    /// One number from the database.
    pub fn count(&self, query: &str) -> i64 {
        let location = self.location();
        on_own_thread(|| {
            let db = Reader::open(&location).expect("open database");
            sql::one(db.conn(), query, [], |r| r.get(0)).expect(query)
        })
    }

    /// Outgoing mail queued so far, oldest first. Rows are written in the same transaction
    /// as the change that causes them, so once mailgate or tkt has returned this is final.
    pub fn outbox(&self) -> Vec<Queued> {
        let location = self.location();
        on_own_thread(|| {
            let db = Reader::open(&location).expect("open database");
            Self::outbox_of(&db)
        })
    }

    fn outbox_of(db: &Reader) -> Vec<Queued> {
        sql::all(
            db.conn(),
            "SELECT kind, recipients, message, ticket_id, status FROM outbox ORDER BY id",
            [],
            |r| {
                let recipients: String = r.get(1)?;
                let message: Vec<u8> = r.get(2)?;
                Ok(Queued {
                    kind: r.get(0)?,
                    recipients: serde_json::from_str(&recipients).unwrap(),
                    message: String::from_utf8_lossy(&message).into_owned(),
                    ticket: r.get(3)?,
                    status: r.get(4)?,
                })
            },
        )
        .unwrap()
    }

    /// Checks the one reply to `requestor` carried the one-time copies the tests send
    /// (Cc `boss@example.org, Clerk@Example.COM`, Bcc `audit@example.org`): the Cc in the
    /// open, the Bcc on the envelope only.
    pub fn assert_one_time_copies(&self, requestor: &str) {
        let outbox = self.outbox();
        let to_requestor: Vec<_> = outbox
            .iter()
            .filter(|m| m.kind != "autoreply" && m.recipients.iter().any(|r| r == requestor))
            .collect();
        assert_eq!(to_requestor.len(), 1, "{outbox:#?}");
        let mail = to_requestor[0];
        for address in ["boss@example.org", "Clerk@example.com", "audit@example.org"] {
            assert!(
                mail.recipients.iter().any(|r| r == address),
                "{address}: {:?}",
                mail.recipients
            );
        }
        let headers = &mail.message[..mail.message.find("\r\n\r\n").unwrap()];
        assert!(headers.contains("Cc: boss@example.org, Clerk@example.com"), "{headers}");
        assert!(!mail.message.contains("audit@"), "the Bcc shows: {headers}");
    }

    /// Waits until the outgoing directory holds `n` messages and returns them (message
    /// text, envelope JSON), sorted by the message text.
    pub fn wait_outgoing(&self, n: usize) -> Vec<(String, Value)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let files = outgoing_files(&self.outgoing);
            if files.len() >= n {
                assert_eq!(files.len(), n, "more outgoing mail than expected");
                return files;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} outgoing messages:\n{}",
                files.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the daemon with SIGTERM and returns its exit status.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("daemon running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        child.wait().expect("wait for ticketd")
    }

    /// Waits up to `limit` for the daemon to exit by itself; its exit status, or `None`
    /// if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut().expect("daemon running");
        loop {
            if let Some(status) = child.try_wait().expect("wait for ticketd") {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One HTTP request on the daemon's socket, as local root (no token) unless
    /// `headers` carry one: the status and the body. For what tkt cannot send.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        use std::io::Read;
        let mut stream = std::os::unix::net::UnixStream::connect(&self.socket).expect("connect to ticketd");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: ticketd\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        stream.write_all(head.as_bytes()).expect("send request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("read answer");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
        (status, body)
    }

    /// Kills the daemon with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        // a failed test shows what the daemon logged of its errors (the temp dir goes)
        if std::thread::panicking() {
            let errors: Vec<&str> = self.log_lines_with(&[" ERROR ", " WARN "]);
            if !errors.is_empty() {
                eprintln!("ticketd's errors and warnings:\n{}", errors.join("\n"));
            }
        }
    }
}

/// A temp dir of its own for one daemon.
fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ticketd-test")
        .tempdir()
        .expect("temp dir")
}

/// Hands `message` to the daemon at `url` as the MTA does: mailgate, again after a
/// short backoff while it exits 75 (each such exit counted in `tempfails`), until it
/// exits 0; any other exit fails the test.
pub fn deliver_as_mta(url: &str, message: &[u8], tempfails: &std::sync::atomic::AtomicUsize) {
    loop {
        let out = run_with_stdin(
            Command::new(MAILGATE).args(["--url", url, "--queue", "general"]),
            message,
        );
        match out.status.code() {
            Some(0) => return,
            Some(75) => {
                tempfails.fetch_add(1, Ordering::Relaxed);
                // the MTA's backoff, shortened
                std::thread::sleep(Duration::from_millis(20));
            }
            other => panic!("mailgate exited {other:?}: {}", stderr(&out)),
        }
    }
}

/// Waits for `condition`, asked `every` so often, failing the test after `limit`.
pub fn wait_for(limit: Duration, every: Duration, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "condition not reached in time");
        std::thread::sleep(every);
    }
}

/// Queries on the test's own connection ([`Daemon::db`]), on either backend.
pub trait Query {
    /// The first row, made into a `T` by `f`.
    fn query_row<T>(
        &self,
        query: &str,
        params: impl sql::Params,
        f: impl FnOnce(&sql::Row<'_>) -> ticketd::error::Result<T>,
    ) -> ticketd::error::Result<T>;
    /// Every row, each made into a `T` by `f`.
    fn query_all<T>(
        &self,
        query: &str,
        params: impl sql::Params,
        f: impl FnMut(&sql::Row<'_>) -> ticketd::error::Result<T>,
    ) -> Vec<T>;
}

impl Query for Reader {
    fn query_row<T>(
        &self,
        query: &str,
        params: impl sql::Params,
        f: impl FnOnce(&sql::Row<'_>) -> ticketd::error::Result<T>,
    ) -> ticketd::error::Result<T> {
        sql::one(self.conn(), query, params, f)
    }

    fn query_all<T>(
        &self,
        query: &str,
        params: impl sql::Params,
        f: impl FnMut(&sql::Row<'_>) -> ticketd::error::Result<T>,
    ) -> Vec<T> {
        sql::all(self.conn(), query, params, f).unwrap_or_else(|e| panic!("{query}: {e}"))
    }
}

/// The PostgreSQL server of the suite's PostgreSQL run: `TICKETD_TEST_POSTGRES`, a
/// connection string (`host=... port=... user=...`) of a role that may create databases.
/// Unset, the suite runs on SQLite.
pub fn postgres_server() -> Option<String> {
    std::env::var("TICKETD_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// A new, empty database on the suite's PostgreSQL server, made as ADMIN.md says (byte
/// order text), for one daemon: its connection string. `None` in the SQLite run.
pub fn scratch_database() -> Option<String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let server = postgres_server()?;
    // the blocking client runs a runtime of its own, which an async test's thread cannot
    on_own_thread(move || create_database(&server, NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Runs `f` on a thread of its own and returns what it returned.
fn on_own_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("the helper thread panicked"))
}

fn create_database(server: &str, n: u64) -> Option<String> {
    let name = format!(
        "ticketd_test_{}_{}_{}",
        std::process::id(),
        n,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut admin = postgres::Client::connect(server, postgres::NoTls).expect("connect to TICKETD_TEST_POSTGRES");
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        ))
        .expect("create a test database");
    Some(format!("{server} dbname={name}"))
}

/// Runs ticketd on `config` expecting it to refuse to start: its output (the reason).
/// Panics if it is still running after 30 s (it started after all).
pub fn refused_start(config: &Path, database_url: Option<&str>) -> String {
    let mut command = Command::new(TICKETD);
    command
        .arg("--config")
        .arg(config)
        .env_remove("TICKETD_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.env("TICKETD_DATABASE_URL", url);
    }
    let mut child = command.spawn().expect("start ticketd");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait for ticketd").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("ticketd started although it should have refused to");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("ticketd's output");
    assert!(!out.status.success(), "ticketd exited 0 instead of refusing");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A TCP port nothing listens on now, for a listener a child process opens.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A row of the outbox.
#[derive(Debug, Clone)]
pub struct Queued {
    pub kind: String,
    pub recipients: Vec<String>,
    pub message: String,
    pub ticket: Option<i64>,
    pub status: String,
}

fn outgoing_files(dir: &Path) -> Vec<(String, Value)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Value)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .filter_map(|eml| {
            let envelope = std::fs::read_to_string(eml.with_extension("json")).ok()?;
            Some((
                std::fs::read_to_string(&eml).ok()?,
                serde_json::from_str(&envelope).ok()?,
            ))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Runs a command with `input` on stdin and collects its output.
pub fn run_with_stdin(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start process");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for process");
    let _ = writer.join();
    out
}

/// A process's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A unique Message-ID (without brackets).
pub fn message_id() -> String {
    format!(
        "test.{}.{}@example.net",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// A simple message: `headers` are extra `Name: value` lines.
pub fn mail(from: &str, subject: &str, body: &str, headers: &[&str]) -> Vec<u8> {
    mail_with("help@tickets.test", &message_id(), from, subject, body, headers)
}

/// A simple message to `to` whose Message-ID is `<id>`, for tests that thread by it.
pub fn mail_with(to: &str, id: &str, from: &str, subject: &str, body: &str, headers: &[&str]) -> Vec<u8> {
    let mut m = format!("From: {from}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{id}>\n");
    for h in headers {
        m.push_str(h);
        m.push('\n');
    }
    m.push('\n');
    m.push_str(body);
    m.push('\n');
    m.into_bytes()
}

/// The transactions of a ticket's JSON of one type.
pub fn transactions_of<'a>(ticket: &'a Value, kind: &str) -> Vec<&'a Value> {
    ticket["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == kind)
        .collect()
}

/// A header's value in a message text (first occurrence, unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut lines = message.lines().take_while(|l| !l.is_empty()).peekable();
    while let Some(line) = lines.next() {
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_string();
            while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}

/// The real-world mail fixtures (tests/corpus/, each folder's README says where from).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every message of the corpus (not the READMEs or dot-files), sorted by path.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![corpus_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus directory") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                dirs.push(path);
            } else if !name.ends_with(".md") && !name.starts_with('.') {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
