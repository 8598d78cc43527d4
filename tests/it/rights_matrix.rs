//! The rights matrix (issue 14): every tkt command and every API route that touches a
//! ticket, transaction, attachment, user, group, queue, token or quarantined message, run
//! by four people on their own things and on other people's:
//!
//! - zoe@example.net, a requestor (of her own tickets in `general`);
//! - sam@tickets.test, staff (privileged) in no team: no rights on any queue;
//! - carol@tickets.test, staff in the `helpdesk` team, which works `general` (the
//!   per-queue preset, with the global staff grants taken away);
//! - boss@tickets.test, the admin (SuperUser).
//!
//! Each row is one command or route with what each column must get. Whatever someone may
//! not see must fail exactly as a thing that does not exist: the same exit code, stdout
//! and stderr from tkt, the same status and body from the API, once the number or name
//! is masked; and a refused request changes nothing.

use std::cell::Cell;
use std::time::Duration;

use hyper::Method;
use regex::Regex;
use ticketd::client::Client;

use crate::harness::*;

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// zoe: a requestor.
    Requestor,
    /// sam: staff with no rights on any queue.
    Outsider,
    /// carol: staff whose team works `general`.
    Team,
    /// boss: SuperUser.
    Admin,
}

/// Whose thing the command is run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    /// The actor's own: zoe's ticket, the actor's account or token, queue `general`.
    Own,
    /// Someone else's: bob's ticket in `general`, another user, queue `ops` (made by tkt,
    /// nobody's but the admin's).
    Others,
    /// Someone else's in the other queue: bob's ticket in `network`, queue `network`.
    OtherQueue,
}

use Actor::*;
use Whose::*;

/// The columns of every row, in order.
const COLUMNS: [(Actor, Whose); 6] = [
    (Requestor, Own),
    (Requestor, Others),
    (Outsider, Others),
    (Team, Others),
    (Team, OtherQueue),
    (Admin, Others),
];

/// What `{}` in a row stands for: a new one for each column (see [`World::object`]),
/// and what stands in for it when it does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No object: the row is run as it is.
    Nothing,
    /// A new ticket (zoe's, or bob's in general or network).
    Ticket,
    /// A new ticket's Create transaction.
    Transaction,
    /// A comment on a new ticket.
    Comment,
    /// The attachment of a new ticket's message.
    Attachment,
    /// The actor, or a new user.
    User,
    /// `general`, `ops` or `network`.
    Queue,
    /// `helpdesk`.
    Group,
    /// A new token of the actor, or of bob.
    Token,
    /// The one quarantined message.
    Quarantine,
}

/// What a column must get.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Success.
    Works,
    /// Failure, exactly as for one that does not exist.
    Gone,
    /// Success, exactly as for one that does not exist (a search that finds nothing).
    Blank,
    /// Refused for want of a right ("... may not ...").
    Denied,
    /// Failure with these words.
    Fails(&'static str),
}

use Expect::*;

/// One tkt command: its arguments split at blanks (after ` <<< `, what goes on stdin).
/// `{}` is the target; `{word}` a word only the target ticket's text has; `{2}` another
/// new ticket like it; `{g}` a new ticket of bob's in general; `{me}` the actor's
/// address; `{user}` a new user; `{n}` a number never used before.
struct Command {
    line: &'static str,
    target: Target,
    expect: [Expect; 6],
}

const fn tkt(line: &'static str, target: Target, expect: [Expect; 6]) -> Command {
    Command { line, target, expect }
}

/// The tkt commands. Columns: zoe on her own / on bob's (general), sam on bob's, carol on
/// bob's in general / in network, boss on bob's.
#[rustfmt::skip]
const COMMANDS: &[Command] = &[
    tkt("show {}",                                     Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("show {} --json",                              Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("sla {}",                                      Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("reply {} -m hello",                           Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("comment {} -m note",                          Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} status=open",                          Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} priority=50",                          Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} subject=Changed",                      Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} Requestor+=amy@example.net",           Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} Cc+={me}",                             Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {} queue=network",                        Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("set {g} DependsOn+={}",                       Target::Ticket,      [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    tkt("take {}",                                     Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("steal {}",                                    Target::Ticket,      [Denied, Gone,   Gone,   Fails("unowned"), Gone, Fails("unowned")]),
    tkt("untake {}",                                   Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("give {} carol@tickets.test",                  Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("merge {} into {2}",                           Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    tkt("merge {g} into {}",                           Target::Ticket,      [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    tkt("shred {}",                                    Target::Ticket,      [Denied, Gone,   Gone,   Denied, Gone,   Works]),
    tkt("raw {}",                                      Target::Transaction, [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("raw {}",                                      Target::Comment,     [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    tkt("attachment {}",                               Target::Attachment,  [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    tkt("template render autoreply {}",                Target::Ticket,      [Denied, Denied, Gone,   Works,  Gone,   Works]),
    tkt("rules test --queue general <<< From: bob@example.net\nSubject: Re: [tickets.test #{}] x\n\nmore\n",
                                                       Target::Ticket,      [Denied, Denied, Gone,   Works,  Gone,   Works]),
    tkt("search #{}",                                  Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    tkt("search --content {word}",                     Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    tkt("report #{} --by Status",                      Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    tkt("search --sql Queue='{}'",                     Target::Queue,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("search save s{n} Queue='{}'",                 Target::Queue,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("queue set {} description=Changed",            Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("grant ShowTicket --user bob@example.net --queue {}",
                                                       Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("revoke ShowTicket --user bob@example.net --queue {}",
                                                       Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("rights preset per-queue --group ghosts --queue {}",
                                                       Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("rights --user {me} --queue {}",               Target::Queue,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    // carol may open tickets in network (everyone may), and then knows it as their requestor
    tkt("create --queue {} --subject Hello -m text",   Target::Queue,       [Works,  Gone,   Gone,   Gone,   Works,  Works]),
    tkt("user show {}",                                Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("user set {} real_name=Someone",               Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("user set {} email=new{n}@example.net",        Target::User,        [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("user set {} privileged=yes",                  Target::User,        [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("user disable {}",                             Target::User,        [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("user password {} <<< correct horse battery\n",
                                                       Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("token create {}",                             Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("token list --user {}",                        Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("rights --user {}",                            Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("token revoke {}",                             Target::Token,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    tkt("group add {} {user}",                         Target::Group,       [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("group remove {} {user}",                      Target::Group,       [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("create --queue general --subject Hi -m x --requestor amy@example.net",
                                                       Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    tkt("create --queue general --subject Hi -m x --priority 90",
                                                       Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    tkt("create --queue general --subject Hi -m x --owner {me}",
                                                       Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    tkt("user create new{n}@example.net",              Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("user list",                                   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("group create g{n}",                           Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("group list",                                  Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("queue create q{n}",                           Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("queue list",                                  Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    tkt("search saved",                                Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    tkt("whoami",                                      Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    tkt("quarantine list",                             Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("quarantine show {}",                          Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("quarantine raw {}",                           Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Works]),
    tkt("quarantine retry {}",                         Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Fails("still fails")]),
    // restores the default grants, which gives sam and carol every queue: last
    tkt("admin init",                                  Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
];

/// One API route: method, path and body with the placeholders of [`Command`]. A body
/// that is not JSON is sent as a mail message.
struct Route {
    method: &'static str,
    path: &'static str,
    body: &'static str,
    target: Target,
    expect: [Expect; 6],
}

const fn api(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    target: Target,
    expect: [Expect; 6],
) -> Route {
    Route {
        method,
        path,
        body,
        target,
        expect,
    }
}

/// The API routes, columns as for [`COMMANDS`].
#[rustfmt::skip]
const ROUTES: &[Route] = &[
    api("GET",  "/v1/tickets/{}",                       "",                                   Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    api("GET",  "/v1/tickets/{}/sla",                   "",                                   Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/correspond",            r#"{"content":"hello"}"#,             Target::Ticket,      [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/comment",               r#"{"content":"note"}"#,              Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/changes",               r#"{"changes":["status=open"]}"#,     Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/changes",               r#"{"changes":["take"]}"#,            Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{g}/changes",              r#"{"changes":["RefersTo+={}"]}"#,    Target::Ticket,      [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/merge",                 r#"{"into":{2}}"#,                    Target::Ticket,      [Denied, Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{g}/merge",                r#"{"into":{}}"#,                     Target::Ticket,      [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/tickets/{}/shred",                 r#"{"apply":false}"#,                 Target::Ticket,      [Denied, Gone,   Gone,   Denied, Gone,   Works]),
    api("GET",  "/v1/transactions/{}/raw",              "",                                   Target::Transaction, [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    api("GET",  "/v1/transactions/{}/raw",              "",                                   Target::Comment,     [Gone,   Gone,   Gone,   Works,  Gone,   Works]),
    api("GET",  "/v1/attachments/{}",                   "",                                   Target::Attachment,  [Works,  Gone,   Gone,   Works,  Gone,   Works]),
    api("GET",  "/v1/templates/autoreply/render?ticket={}", "",                               Target::Ticket,      [Denied, Denied, Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/rules/test?queue=general&ticket={}", "From: bob@example.net\nSubject: x\n\nmore\n",
                                                                                              Target::Ticket,      [Denied, Denied, Gone,   Works,  Gone,   Works]),
    api("POST", "/v1/rules/test?queue=general",         "From: bob@example.net\nSubject: [tickets.test #{}]\n\nmore\n",
                                                                                              Target::Ticket,      [Denied, Denied, Gone,   Works,  Gone,   Works]),
    api("GET",  "/v1/search?q=%23{}",                   "",                                   Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    api("GET",  "/v1/search?q=id%3D{}&explain=true",    "",                                   Target::Ticket,      [Blank,  Blank,  Blank,  Blank,  Blank,  Blank]),
    api("GET",  "/v1/search/content?q={word}",          "",                                   Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    api("GET",  "/v1/report?q=%23{}&by=Status",         "",                                   Target::Ticket,      [Works,  Blank,  Blank,  Works,  Blank,  Works]),
    api("POST", "/v1/searches",                         r#"{"name":"s{n}","query":"Queue = '{}'"}"#,
                                                                                              Target::Queue,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("GET",  "/v1/rights?user={me}&queue={}",        "",                                   Target::Queue,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/queues/{}/changes",                r#"{"changes":["description=x"]}"#,   Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/grants",                           r#"{"right":"ShowTicket","user":"bob@example.net","queue":"{}"}"#,
                                                                                              Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/grants/revoke",                    r#"{"right":"ShowTicket","user":"bob@example.net","queue":"{}"}"#,
                                                                                              Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/grants/preset/per-queue",          r#"{"group":"ghosts","queues":["{}"]}"#,
                                                                                              Target::Queue,       [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    // carol may open tickets in network (everyone may), and then knows it as their requestor
    api("POST", "/v1/tickets",                          r#"{"queue":"{}","subject":"s","content":"x"}"#,
                                                                                              Target::Queue,       [Works,  Gone,   Gone,   Gone,   Works,  Works]),
    api("GET",  "/v1/users/{}",                         "",                                   Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/users/{}/changes",                 r#"{"changes":["real_name=X"]}"#,     Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/users/{}/changes",                 r#"{"changes":["email=new{n}@example.net"]}"#,
                                                                                              Target::User,        [Denied, Gone,   Gone,   Gone,   Gone,   Works]),
    api("GET",  "/v1/rights?user={}",                   "",                                   Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("GET",  "/v1/tokens?user={}",                   "",                                   Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/tokens",                           r#"{"user":"{}"}"#,                   Target::User,        [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/tokens/{}/revoke",                 "",                                   Target::Token,       [Works,  Gone,   Gone,   Gone,   Gone,   Works]),
    api("POST", "/v1/groups/{}/members",                r#"{"member":"{user}","add":true}"#,  Target::Group,       [Denied, Denied, Denied, Denied, Denied, Works]),
    api("POST", "/v1/tickets",                          r#"{"queue":"general","subject":"s","content":"x","requestors":["amy@example.net"]}"#,
                                                                                              Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    api("POST", "/v1/tickets",                          r#"{"queue":"general","subject":"s","content":"x","priority":90}"#,
                                                                                              Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    api("POST", "/v1/tickets",                          r#"{"queue":"general","subject":"s","content":"x","owner":"{me}"}"#,
                                                                                              Target::Nothing,     [Denied, Denied, Denied, Works,  Works,  Works]),
    api("GET",  "/v1/searches",                         "",                                   Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    api("GET",  "/v1/users",                            "",                                   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("POST", "/v1/users",                            r#"{"name":"new{n}@example.net"}"#,   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/groups",                           "",                                   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("POST", "/v1/groups",                           r#"{"name":"g{n}"}"#,                 Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/queues",                           "",                                   Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    api("POST", "/v1/queues",                           r#"{"name":"q{n}"}"#,                 Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/tokens",                           "",                                   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/whoami",                           "",                                   Target::Nothing,     [Works,  Works,  Works,  Works,  Works,  Works]),
    api("GET",  "/v1/quarantine",                       "",                                   Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/quarantine/{}",                    "",                                   Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Works]),
    api("GET",  "/v1/quarantine/{}/raw",                "",                                   Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Works]),
    api("POST", "/v1/quarantine/{}/retry",              "",                                   Target::Quarantine,  [Denied, Denied, Denied, Denied, Denied, Fails("still fails")]),
    // restores the default grants, which gives sam and carol every queue: last
    api("POST", "/v1/admin/init",                       r#"{ }"#,                             Target::Nothing,     [Denied, Denied, Denied, Denied, Denied, Works]),
];

/// What stands in for a target that does not exist.
fn missing(target: Target) -> &'static str {
    match target {
        Target::Nothing => "",
        Target::Ticket | Target::Transaction | Target::Comment | Target::Attachment => "990001",
        Target::Token | Target::Quarantine => "990002",
        Target::User => "ghost@example.net",
        Target::Queue => "nosuchq",
        Target::Group => "nosuchgroup",
    }
}

/// The daemon and its people.
struct World {
    d: Daemon,
    tokens: Vec<(Actor, String)>,
    quarantined: i64,
    next: Cell<u64>,
}

/// A message with more MIME parts than the test daemon takes: it goes to quarantine.
fn too_many_parts() -> Vec<u8> {
    let mut m = format!(
        "From: bob@example.net\nTo: help@tickets.test\nSubject: Parts\nMessage-ID: <{}>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n",
        message_id()
    );
    for i in 0..6 {
        m.push_str(&format!("--b\nContent-Type: text/plain\n\npart {i}\n"));
    }
    m.push_str("--b--\n");
    m.into_bytes()
}

impl World {
    fn new() -> World {
        let d = Daemon::start_with(Setup {
            mail: vec!["max_mime_parts = 4".into()],
            // a frozen clock: no scheduled job runs while the matrix does
            now: Some("2026-03-02T10:00:00Z".into()),
            ..Setup::default()
        });
        let boss = d.tkt_ok(&["admin", "init", "--admin", "boss@tickets.test"]);
        let boss = boss.lines().last().unwrap().trim().to_string();
        d.tkt_ok(&["queue", "create", "ops"]);
        // anyone may open tickets in general and network by mail, nobody in ops
        d.tkt_ok(&["revoke", "CreateTicket", "--group", "Everyone"]);
        for queue in ["general", "network"] {
            d.tkt_ok(&["grant", "CreateTicket", "--group", "Everyone", "--queue", queue]);
        }
        for group in ["helpdesk", "ghosts"] {
            d.tkt_ok(&["group", "create", group]);
        }
        for staff in ["carol@tickets.test", "sam@tickets.test"] {
            d.tkt_ok(&["user", "create", staff, "--privileged"]);
        }
        d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
        d.tkt_ok(&[
            "rights",
            "preset",
            "per-queue",
            "--group",
            "helpdesk",
            "--queue",
            "general",
        ]);
        d.tkt_ok(&["rights", "preset", "per-queue", "--revoke-global"]);
        d.deliver("general", &mail("zoe@example.net", "Zoe's first", "x", &[]));
        d.deliver("general", &mail("bob@example.net", "Bob's first", "x", &[]));
        d.deliver("general", &too_many_parts());
        let quarantined = d.count("SELECT MAX(id) FROM quarantine");
        let tokens = vec![
            (Requestor, d.token_for("zoe@example.net")),
            (Outsider, d.token_for("sam@tickets.test")),
            (Team, d.token_for("carol@tickets.test")),
            (Admin, boss),
        ];
        World {
            d,
            tokens,
            quarantined,
            next: Cell::new(1),
        }
    }

    fn token(&self, actor: Actor) -> &str {
        &self.tokens.iter().find(|(a, _)| *a == actor).unwrap().1
    }

    fn address(actor: Actor) -> &'static str {
        match actor {
            Requestor => "zoe@example.net",
            Outsider => "sam@tickets.test",
            Team => "carol@tickets.test",
            Admin => "boss@tickets.test",
        }
    }

    /// A number never used before.
    fn n(&self) -> u64 {
        let n = self.next.get();
        self.next.set(n + 1);
        n
    }

    /// A new ticket, and a word only its text has.
    fn ticket(&self, whose: Whose) -> (i64, String) {
        let word = format!("zq{}", self.n());
        let (from, queue) = match whose {
            Own => ("zoe@example.net", "general"),
            Others => ("bob@example.net", "general"),
            OtherQueue => ("bob@example.net", "network"),
        };
        self.d
            .deliver(queue, &mail(from, "Matrix", &format!("Text with {word} in it."), &[]));
        (self.d.count("SELECT MAX(id) FROM tickets"), word)
    }

    /// A new user nobody acts as.
    fn user(&self) -> String {
        let address = format!("u{}@example.net", self.n());
        self.d.tkt_ok(&["user", "create", &address]);
        address
    }

    /// The target for a column, and a word only its ticket's text has (for `{word}`).
    fn object(&self, target: Target, actor: Actor, whose: Whose) -> (String, String) {
        let of_ticket = |sql: &str| {
            let (id, word) = self.ticket(whose);
            let found: i64 = self.d.db().query_row(sql, [id], |r| r.get(0)).expect(sql);
            (found.to_string(), word)
        };
        let plain = |s: &str| (s.to_string(), String::new());
        match target {
            Target::Nothing => plain(""),
            Target::Ticket => {
                let (id, word) = self.ticket(whose);
                (id.to_string(), word)
            }
            Target::Transaction => of_ticket("SELECT id FROM transactions WHERE ticket_id = ?1 AND type = 'Create'"),
            Target::Attachment => of_ticket(
                "SELECT MIN(a.id) FROM attachments a JOIN transactions x ON x.id = a.transaction_id \
                 WHERE x.ticket_id = ?1",
            ),
            Target::Comment => {
                // by mail, so that it has a raw message
                let (id, word) = self.ticket(whose);
                let note = mail(
                    "boss@tickets.test",
                    &format!("[tickets.test #{id}]"),
                    "Staff only.",
                    &[],
                );
                let out = self.d.mailgate(&["--queue", "general", "--action", "comment"], &note);
                assert!(out.status.success(), "{}", stderr(&out));
                (self.d.count("SELECT MAX(id) FROM transactions").to_string(), word)
            }
            Target::User if whose == Own => plain(World::address(actor)),
            Target::User => plain(&self.user()),
            Target::Queue => plain(match whose {
                Own => "general",
                Others => "ops",
                OtherQueue => "network",
            }),
            Target::Group => plain("helpdesk"),
            Target::Token => {
                let owner = if whose == Own {
                    World::address(actor)
                } else {
                    "bob@example.net"
                };
                self.d.token_for(owner);
                plain(&self.d.count("SELECT MAX(id) FROM api_tokens").to_string())
            }
            Target::Quarantine => plain(&self.quarantined.to_string()),
        }
    }

    /// A template with everything but `{}` and `{word}` filled in (each new thing made
    /// once, the same for the target and its missing stand-in).
    fn prepare(&self, template: &str, actor: Actor, whose: Whose) -> String {
        let mut text = template.replace("{me}", World::address(actor));
        if text.contains("{n}") {
            text = text.replace("{n}", &self.n().to_string());
        }
        if text.contains("{2}") {
            text = text.replace("{2}", &self.ticket(whose).0.to_string());
        }
        if text.contains("{g}") {
            text = text.replace("{g}", &self.ticket(Others).0.to_string());
        }
        if text.contains("{user}") {
            text = text.replace("{user}", &self.user());
        }
        text
    }

    /// What the database holds that a refused request must not change.
    fn fingerprint(&self) -> String {
        self.d
            .db()
            .query_row(
                "SELECT (SELECT COUNT(*) FROM transactions) || ' ' || (SELECT COUNT(*) FROM acl) || ' ' || \
                   (SELECT COUNT(*) FROM group_members) || ' ' || (SELECT COUNT(*) FROM groups) || ' ' || \
                   (SELECT COUNT(*) FROM saved_searches) || ' ' || (SELECT COUNT(*) FROM queues) || ' ' || \
                   (SELECT COUNT(*) FROM api_tokens WHERE revoked IS NULL) || ' ' || \
                   (SELECT COUNT(*) FROM api_tokens) || ' ' || (SELECT SUM(disabled) FROM principals) || ' ' || \
                   (SELECT string_agg(id || status || owner_id || queue_id || effective_id || priority || subject, ',' ORDER BY id) \
                      FROM tickets) || ' ' || \
                   (SELECT string_agg(name || COALESCE(email, '') || real_name || privileged || \
                      COALESCE(password_hash, ''), ',' ORDER BY id) FROM users) || ' ' || \
                   (SELECT string_agg(description, ',' ORDER BY id) FROM queues) || ' ' || \
                   (SELECT string_agg(status, ',' ORDER BY id) FROM quarantine)",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// `text` with every whole-word occurrence of each of `values` replaced by one mark.
fn masked(text: &str, values: &[&str]) -> String {
    let mut out = text.to_string();
    for value in values.iter().filter(|v| !v.is_empty()) {
        let re = Regex::new(&format!(r"\b{}\b", regex::escape(value))).unwrap();
        out = re.replace_all(&out, "<X>").into_owned();
    }
    out
}

/// How one run went: success, and everything it said.
#[derive(Debug, PartialEq)]
struct Answer {
    success: bool,
    text: String,
}

/// Runs every row in every column, and fails with the list of everything that went
/// otherwise than the row says.
fn check<R>(world: &World, rows: &[R], run: impl Fn(&R, Actor, &str) -> Answer, name: impl Fn(&R) -> String)
where
    R: Row,
{
    let mut wrong = Vec::new();
    for row in rows {
        for (column, (actor, whose)) in COLUMNS.iter().copied().enumerate() {
            let expect = row.expect()[column];
            let (object, word) = world.object(row.target(), actor, whose);
            let template = world.prepare(&row.template(), actor, whose);
            let fill = |object: &str, word: &str| template.replace("{word}", word).replace("{}", object);
            let before = world.fingerprint();
            let answer = run(row, actor, &fill(&object, &word));
            let what = format!("{} as {actor:?} on {whose:?} {object}", name(row));
            let refused_alike = |answer: &Answer, wrong: &mut Vec<String>| {
                let gone = run(row, actor, &fill(missing(row.target()), "zqmissing"));
                let ours = masked(&answer.text, &[&object, &word]);
                let theirs = masked(&gone.text, &[missing(row.target()), "zqmissing"]);
                if answer.success != gone.success || ours != theirs {
                    wrong.push(format!("{what}: not as for a missing one:\n  {ours}\n  {theirs}"));
                }
            };
            match expect {
                Works if !answer.success => wrong.push(format!("{what}: must work, got {}", answer.text)),
                Works => {}
                Gone | Blank if answer.success != matches!(expect, Blank) => {
                    wrong.push(format!("{what}: expected {expect:?}, got {}", answer.text));
                }
                Gone | Blank => refused_alike(&answer, &mut wrong),
                Denied if answer.success || !answer.text.contains("may not") => {
                    wrong.push(format!("{what}: must be refused for a right, got {}", answer.text));
                }
                Fails(words) if answer.success || !answer.text.contains(words) => {
                    wrong.push(format!("{what}: must fail with `{words}`, got {}", answer.text));
                }
                Denied | Fails(_) => {}
            }
            if !answer.success && world.fingerprint() != before {
                wrong.push(format!("{what}: refused, yet something changed"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of the matrix's cells are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// What [`check`] needs of a row.
trait Row {
    fn target(&self) -> Target;
    /// The text the placeholders are filled into.
    fn template(&self) -> String;
    fn expect(&self) -> [Expect; 6];
}

impl Row for Command {
    fn target(&self) -> Target {
        self.target
    }
    fn template(&self) -> String {
        self.line.to_string()
    }
    fn expect(&self) -> [Expect; 6] {
        self.expect
    }
}

impl Row for Route {
    fn target(&self) -> Target {
        self.target
    }
    fn template(&self) -> String {
        // the path and the body, filled in together, split at a NUL that neither has
        format!("{}\u{0}{}", self.path, self.body)
    }
    fn expect(&self) -> [Expect; 6] {
        self.expect
    }
}

#[test]
fn every_tkt_command_asks_the_same_questions() {
    let world = World::new();
    check(
        &world,
        COMMANDS,
        |_, actor, line| {
            let (args, stdin) = line.split_once(" <<< ").unwrap_or((line, ""));
            let args: Vec<&str> = args.split_whitespace().collect();
            let out = run_with_stdin(
                std::process::Command::new(TKT)
                    .arg("--url")
                    .arg(world.d.url())
                    .env("TICKETD_TOKEN", world.token(actor))
                    .args(&args),
                stdin.as_bytes(),
            );
            Answer {
                success: out.status.success(),
                text: format!(
                    "exit {:?}; stdout {:?}; stderr {:?}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout),
                    stderr(&out)
                ),
            }
        },
        |row| format!("`tkt {}`", row.line.split(" <<< ").next().unwrap()),
    );
}

#[test]
fn every_api_route_asks_the_same_questions() {
    let world = World::new();
    let clients: Vec<(Actor, Client)> = [Requestor, Outsider, Team, Admin]
        .into_iter()
        .map(|actor| {
            let client = Client::new(
                &world.d.url(),
                Some(world.token(actor).to_string()),
                Duration::from_secs(30),
            )
            .unwrap();
            (actor, client)
        })
        .collect();
    check(
        &world,
        ROUTES,
        |row, actor, filled| {
            let (path, body) = filled.split_once('\u{0}').unwrap();
            let client = &clients.iter().find(|(a, _)| *a == actor).unwrap().1;
            let body = match body {
                "" => None,
                json if json.starts_with('{') => Some(("application/json", json.as_bytes().to_vec())),
                message => Some(("message/rfc822", message.as_bytes().to_vec())),
            };
            let method = Method::from_bytes(row.method.as_bytes()).unwrap();
            let answer = client.send(method, path, body).unwrap();
            Answer {
                success: (200..300).contains(&answer.status),
                text: format!("{} {}", answer.status, String::from_utf8_lossy(&answer.body)),
            }
        },
        |row| format!("{} {}", row.method, row.path),
    );
}
