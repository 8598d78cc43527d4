//! REST2's rights matrix (issue 17): every route under `/REST/2.0`, asked by four people,
//! with the status each must get and, where it tells something, the content:
//!
//! - zoe@example.net, a requestor: of ticket A, not of ticket B (both bob's and hers in
//!   `general`);
//! - sam@tickets.test, staff (privileged) with no grants at all: what Everyone may (open
//!   tickets in `general` and `network`, reply to what they see), nothing of staff's;
//! - carol@tickets.test, staff in the `helpdesk` team, which works `general` (the
//!   per-queue preset, the global staff grants taken away): the usual staff rights there
//!   (not DeleteTicket), none in `network`, where bob's ticket C is;
//! - boss@tickets.test, SuperUser.
//!
//! Without credentials every route is 401. What someone may not see is 404 `Resource does
//! not exist`, exactly as for a number or name that names nothing; a ticket they see but
//! may not change is 403 for want of the right; and a refused request changes nothing.
//! Reads run on one set of tickets; every change runs on a new ticket of its own, so that
//! no cell depends on what another did.

use std::cell::Cell;

use base64::Engine;
use regex::Regex;
use serde_json::{Value, json};

use crate::harness::*;
use crate::web::{Answer, http};

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// zoe: the requestor of A.
    Requestor,
    /// sam: staff with no grants.
    NoRights,
    /// carol: staff working `general`.
    Staff,
    /// boss: SuperUser.
    Admin,
}

use Actor::*;

/// The columns of every table, in order.
const ACTORS: [Actor; 4] = [Requestor, NoRights, Staff, Admin];

impl Actor {
    fn address(self) -> &'static str {
        match self {
            Requestor => "zoe@example.net",
            NoRights => "sam@tickets.test",
            Staff => "carol@tickets.test",
            Admin => "boss@tickets.test",
        }
    }
}

/// What a cell must get. Texts are filled in as the route is (see [`World::bind`]).
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This status (a JSON body, unless 204).
    Is(u16),
    /// This status and exactly this JSON.
    Says(u16, &'static str),
    /// 200, a page of exactly these items (their ids), in this order.
    Items(&'static [&'static str]),
    /// 200, a record whose `_hyperlinks` offer exactly these (each `ref` once).
    Links(&'static [&'static str]),
    /// 201 and a new ticket whose requestor is this one (what RT's `Location` names).
    Creates(&'static str),
    /// 403, "... may not ...": a right is missing.
    Refused,
    /// 404 `{"message":"Resource does not exist"}`, exactly as for one that does not exist.
    Hidden,
    /// This status, exactly as for one that does not exist once its name is masked.
    Unknown(u16),
}

use Expect::*;

/// One request: method, path under `/REST/2.0/`, body (JSON if it starts with `{` or
/// `[`, else a form), and what each of [`ACTORS`] gets.
///
/// `{name}` in the path, body and expectations is filled in: `{A}`, `{B}`, `{C}` the
/// tickets; `{A.create}`, `{A.reply}`, `{A.open}`, `{A.comment}`, `{B.create}`,
/// `{C.create}` their transactions (the Create, a reply with a file, the status change
/// it made, a comment with a file); `{A.mail}`, `{A.file}`, `{A.note}`, `{B.mail}`,
/// `{C.mail}` attachments (a mail's text, the reply's file, the comment's file);
/// `{general}`, `{network}`, `{ops}` queue numbers and `{q:general}` ... their names;
/// `{helpdesk}` the group's number, `{g:helpdesk}` its name; `{u:bob}`, `{u:olga}` users;
/// `{me}` the asker; `{new zoe}`, `{new bob}` (in general), `{new net}` (bob's in
/// network), `{new zoe olga}`, `{new bob olga}` (owned by olga) a new ticket for the cell.
struct Route {
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [Expect; 4],
}

const fn route(method: &'static str, path: &'static str, body: &'static str, expect: [Expect; 4]) -> Route {
    Route {
        method,
        path,
        body,
        expect,
    }
}

/// Links a ticket offers staff: reply, comment and status changes.
const STAFF_LINKS: &[&str] = &["self", "history", "correspond", "comment", "lifecycle"];
const A_HISTORY: &[&str] = &["{A.create}", "{A.reply}", "{A.open}", "{A.comment}"];
const A_PUBLIC_HISTORY: &[&str] = &["{A.create}", "{A.reply}", "{A.open}"];

/// Tickets, their history, transactions and attachments, and searches.
#[rustfmt::skip]
const TICKET_READS: &[Route] = &[
    // columns:                                                  zoe (requestor of A)                 sam (no rights)  carol (staff, general)          boss (SuperUser)
    route("GET",  "ticket/{A}", "",                             [Links(&["self", "history", "correspond"]), Hidden, Links(STAFF_LINKS),            Links(STAFF_LINKS)]),
    route("GET",  "ticket/{B}", "",                             [Hidden,                              Hidden,          Is(200),                         Is(200)]),
    route("GET",  "ticket/{C}", "",                             [Hidden,                              Hidden,          Hidden,                          Is(200)]),
    route("GET",  "ticket/{A}/history", "",                     [Items(A_PUBLIC_HISTORY),             Hidden,          Items(A_HISTORY),                Items(A_HISTORY)]),
    route("GET",  "ticket/{B}/history", "",                     [Hidden,                              Hidden,          Items(&["{B.create}"]),          Items(&["{B.create}"])]),
    route("GET",  "ticket/{C}/history", "",                     [Hidden,                              Hidden,          Hidden,                          Items(&["{C.create}"])]),
    route("GET",  "ticket/{A}/attachments", "",                 [Items(&["{A.mail}", "{A.file}"]),    Hidden,          Items(&["{A.mail}", "{A.file}", "{A.note}"]), Items(&["{A.mail}", "{A.file}", "{A.note}"])]),
    route("POST", "ticket/{A}/attachments", r#"[{"field":"Filename","operator":"IS NOT","value":""}]"#,
                                                                [Items(&["{A.file}"]),                Hidden,          Items(&["{A.file}", "{A.note}"]), Items(&["{A.file}", "{A.note}"])]),
    route("GET",  "ticket/{B}/attachments", "",                 [Hidden,                              Hidden,          Items(&["{B.mail}"]),            Items(&["{B.mail}"])]),
    route("GET",  "ticket/{C}/attachments", "",                 [Hidden,                              Hidden,          Hidden,                          Items(&["{C.mail}"])]),
    route("GET",  "transaction/{A.create}", "",                 [Is(200),                             Hidden,          Is(200),                         Is(200)]),
    route("GET",  "transaction/{A.reply}", "",                  [Is(200),                             Hidden,          Is(200),                         Is(200)]),
    route("GET",  "transaction/{A.comment}", "",                [Hidden,                              Hidden,          Is(200),                         Is(200)]),
    route("GET",  "transaction/{B.create}", "",                 [Hidden,                              Hidden,          Is(200),                         Is(200)]),
    route("GET",  "transaction/{C.create}", "",                 [Hidden,                              Hidden,          Hidden,                          Is(200)]),
    route("GET",  "transaction/{A.reply}/attachments", "",      [Items(&["{A.file}"]),                Hidden,          Items(&["{A.file}"]),            Items(&["{A.file}"])]),
    route("GET",  "transaction/{A.comment}/attachments", "",    [Hidden,                              Hidden,          Items(&["{A.note}"]),            Items(&["{A.note}"])]),
    route("GET",  "transaction/{B.create}/attachments", "",     [Hidden,                              Hidden,          Items(&["{B.mail}"]),            Items(&["{B.mail}"])]),
    route("GET",  "transaction/{C.create}/attachments", "",     [Hidden,                              Hidden,          Hidden,                          Items(&["{C.mail}"])]),
    route("GET",  "attachment/{A.mail}", "",                    [Is(200),                             Hidden,          Is(200),                         Is(200)]),
    route("GET",  "attachment/{A.file}", "",                    [Is(200),                             Hidden,          Is(200),                         Is(200)]),
    route("GET",  "attachment/{A.note}", "",                    [Hidden,                              Hidden,          Is(200),                         Is(200)]),
    route("GET",  "attachment/{B.mail}", "",                    [Hidden,                              Hidden,          Is(200),                         Is(200)]),
    route("GET",  "attachment/{C.mail}", "",                    [Hidden,                              Hidden,          Hidden,                          Is(200)]),
    route("GET",  "tickets?query=id%3E0&orderby=id", "",        [Items(&["{A}"]),                     Items(&[]),      Items(&["{A}", "{B}"]),          Items(&["{A}", "{B}", "{C}"])]),
    route("POST", "tickets", "query=id%3E0&orderby=id",         [Items(&["{A}"]),                     Items(&[]),      Items(&["{A}", "{B}"]),          Items(&["{A}", "{B}", "{C}"])]),
    route("GET",  "tickets?query=id%3D{B}", "",                 [Items(&[]),                          Items(&[]),      Items(&["{B}"]),                 Items(&["{B}"])]),
    // a word only A's comment has
    route("GET",  "tickets?query=Content%20LIKE%20'zqcomment'", "",
                                                                [Items(&[]),                          Items(&[]),      Items(&["{A}"]),                 Items(&["{A}"])]),
    // zoe knows general by her ticket there
    route("GET",  "tickets?query=Queue%3D'{q:general}'&orderby=id", "",
                                                                [Items(&["{A}"]),                     Unknown(400),    Items(&["{A}", "{B}"]),          Items(&["{A}", "{B}"])]),
    route("GET",  "tickets?query=Queue%3D'{q:network}'", "",    [Unknown(400),                        Unknown(400),    Unknown(400),                    Items(&["{C}"])]),
];

/// The version, queues, users and groups.
#[rustfmt::skip]
const DIRECTORY: &[Route] = &[
    // columns:                             zoe              sam              carol                    boss
    route("GET", "rt", "",                  [Is(200),         Is(200),         Is(200),                 Is(200)]),
    route("GET", "queues/all", "",          [Items(&[]),      Items(&[]),      Items(&["{general}"]),   Items(&["{general}", "{network}", "{ops}"])]),
    route("GET", "queue/{q:general}", "",   [Hidden,          Hidden,          Is(200),                 Is(200)]),
    route("GET", "queue/{general}", "",     [Hidden,          Hidden,          Is(200),                 Is(200)]),
    route("GET", "queue/{q:network}", "",   [Hidden,          Hidden,          Hidden,                  Is(200)]),
    route("GET", "queue/{ops}", "",         [Hidden,          Hidden,          Hidden,                  Is(200)]),
    route("GET", "user/{me}", "",           [Is(200),         Is(200),         Is(200),                 Is(200)]),
    route("GET", "user/{u:bob}", "",        [Hidden,          Hidden,          Hidden,                  Is(200)]),
    route("GET", "user/{u:olga}", "",       [Hidden,          Hidden,          Hidden,                  Is(200)]),
    // groups are AdminGroups' (as `tkt group list`): a 403 that does not tell which exist
    route("GET", "group/{g:helpdesk}", "",  [Refused,         Refused,         Refused,                 Is(200)]),
    route("GET", "group/{helpdesk}", "",    [Refused,         Refused,         Refused,                 Is(200)]),
    route("GET", "group/nosuchgroup", "",   [Refused,         Refused,         Refused,                 Hidden]),
    route("GET", "group/{helpdesk}/members", "",
                                            [Refused,         Refused,         Refused,                 Items(&["carol@tickets.test", "olga@tickets.test"])]),
];

/// Creating and changing tickets, each cell on a new ticket.
#[rustfmt::skip]
const TICKET_WRITES: &[Route] = &[
    // columns:                                                zoe               sam               carol                                  boss
    route("POST", "ticket", r#"{"Queue":"{q:general}","Subject":"Hi","Content":"x"}"#,
                                                              [Creates("{me}"),  Creates("{me}"),  Creates("{me}"),                        Creates("{me}")]),
    // the queue by its number, as RT's clients may name it
    route("POST", "ticket", r#"{"Queue":"{general}","Subject":"Hi","Content":"x"}"#,
                                                              [Creates("{me}"),  Creates("{me}"),  Creates("{me}"),                        Creates("{me}")]),
    // nobody but the admin may open tickets in ops, nor see it
    route("POST", "ticket", r#"{"Queue":"{q:ops}","Subject":"Hi","Content":"x"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Creates("{me}")]),
    route("POST", "ticket", r#"{"Queue":"{ops}","Subject":"Hi","Content":"x"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Creates("{me}")]),
    route("POST", "ticket", r#"{"Queue":"{q:general}","Subject":"Hi","Content":"x","Requestor":"amy@example.net"}"#,
                                                              [Refused,          Refused,          Creates("amy@example.net"),             Creates("amy@example.net")]),
    route("POST", "ticket", r#"{"Queue":"{q:general}","Subject":"Hi","Content":"x","Priority":90}"#,
                                                              [Refused,          Refused,          Creates("{me}"),                        Creates("{me}")]),
    route("POST", "ticket", r#"{"Queue":"{q:general}","Subject":"Hi","Content":"x","Owner":"{me}"}"#,
                                                              [Refused,          Refused,          Creates("{me}"),                        Creates("{me}")]),
    route("PUT",  "ticket/{new zoe}", r#"{"Subject":"Changed"}"#,
                                                              [Refused,          Hidden,           Says(200, SUBJECT_CHANGED),             Says(200, SUBJECT_CHANGED)]),
    route("PUT",  "ticket/{new bob}", r#"{"Subject":"Changed"}"#,
                                                              [Hidden,           Hidden,           Says(200, SUBJECT_CHANGED_BOB),         Says(200, SUBJECT_CHANGED_BOB)]),
    route("PUT",  "ticket/{new net}", r#"{"Subject":"Changed"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Says(200, SUBJECT_CHANGED_NET)]),
    route("PUT",  "ticket/{new zoe}/take", "{}",              [Refused,          Hidden,           Says(200, TAKEN),                       Says(200, TAKEN)]),
    route("PUT",  "ticket/{new bob}/take", "{}",              [Hidden,           Hidden,           Says(200, TAKEN),                       Says(200, TAKEN)]),
    route("PUT",  "ticket/{new zoe olga}/steal", "{}",        [Refused,          Hidden,           Says(200, STOLEN),                      Says(200, STOLEN)]),
    route("PUT",  "ticket/{new bob olga}/steal", "{}",        [Hidden,           Hidden,           Says(200, STOLEN),                      Says(200, STOLEN)]),
    // taking an owned ticket, stealing an unowned one: refused for the right before the
    // state is looked at, as RT does; the staff are told what is wrong with the state
    route("PUT",  "ticket/{new zoe olga}/take", "{}",         [Refused,          Hidden,           Is(409),                                Is(409)]),
    route("PUT",  "ticket/{new zoe}/steal", "{}",             [Refused,          Hidden,           Is(409),                                Is(409)]),
    route("PUT",  "ticket/{new zoe olga}/untake", "{}",       [Refused,          Hidden,           Says(200, UNTAKEN),                     Says(200, UNTAKEN)]),
    route("PUT",  "ticket/{new bob olga}/untake", "{}",       [Hidden,           Hidden,           Says(200, UNTAKEN),                     Says(200, UNTAKEN)]),
    route("POST", "ticket/{new zoe}/correspond", r#"{"Content":"hello"}"#,
                                                              [Says(201, REPLIED), Hidden,         Says(201, REPLIED),                     Says(201, REPLIED)]),
    route("POST", "ticket/{new bob}/correspond", r#"{"Content":"hello"}"#,
                                                              [Hidden,           Hidden,           Says(201, REPLIED),                     Says(201, REPLIED)]),
    route("POST", "ticket/{new zoe}/comment", r#"{"Content":"note"}"#,
                                                              [Refused,          Hidden,           Says(201, COMMENTED),                   Says(201, COMMENTED)]),
    route("POST", "ticket/{new bob}/comment", r#"{"Content":"note"}"#,
                                                              [Hidden,           Hidden,           Says(201, COMMENTED),                   Says(201, COMMENTED)]),
    route("PUT",  "ticket/{new zoe}", r#"{"Status":"resolved"}"#,
                                                              [Refused,          Hidden,           Says(200, RESOLVED),                    Says(200, RESOLVED)]),
    // a reply with a status change the asker may not make: neither is kept
    route("POST", "ticket/{new zoe}/correspond", r#"{"Content":"thanks","Status":"resolved"}"#,
                                                              [Refused,          Hidden,           Says(201, REPLIED_RESOLVED),            Says(201, REPLIED_RESOLVED)]),
    route("PUT",  "ticket/{new zoe}", r#"{"MergeInto":"{A}"}"#,
                                                              [Refused,          Hidden,           Says(200, MERGED),                      Says(200, MERGED)]),
    // into a ticket the asker may not see: it does not exist for them
    route("PUT",  "ticket/{new zoe}", r#"{"MergeInto":"{B}"}"#,
                                                              [Hidden,           Hidden,           Says(200, MERGED),                      Says(200, MERGED)]),
    route("PUT",  "ticket/{new bob}", r#"{"MergeInto":"{C}"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Says(200, MERGED)]),
    route("PUT",  "ticket/{new bob}", r#"{"AddRefersTo":"{A}"}"#,
                                                              [Hidden,           Hidden,           Says(200, LINKED_A),                    Says(200, LINKED_A)]),
    route("PUT",  "ticket/{new bob}", r#"{"AddRefersTo":"{C}"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Says(200, LINKED_C)]),
    route("PUT",  "ticket/{new zoe}", r#"{"AddRefersTo":"{A}"}"#,
                                                              [Refused,          Hidden,           Says(200, LINKED_A_ZOE),                Says(200, LINKED_A_ZOE)]),
    route("PUT",  "ticket/{new bob}", r#"{"Queue":"{q:ops}"}"#,
                                                              [Hidden,           Hidden,           Hidden,                                 Is(200)]),
    // deleting needs DeleteTicket, which the staff preset does not give
    route("DELETE", "ticket/{new zoe}", "",                   [Refused,          Hidden,           Refused,                                Is(204)]),
    route("DELETE", "ticket/{new bob}", "",                   [Hidden,           Hidden,           Refused,                                Is(204)]),
];

const SUBJECT_CHANGED: &str = r#"["Ticket {new zoe}: Subject changed from 'Matrix' to 'Changed'"]"#;
const SUBJECT_CHANGED_BOB: &str = r#"["Ticket {new bob}: Subject changed from 'Matrix' to 'Changed'"]"#;
const SUBJECT_CHANGED_NET: &str = r#"["Ticket {new net}: Subject changed from 'Matrix' to 'Changed'"]"#;
const RESOLVED: &str = r#"["Ticket {new zoe}: Status changed from 'new' to 'resolved'"]"#;
const REPLIED_RESOLVED: &str =
    r#"["Correspondence added", "Ticket {new zoe}: Status changed from 'open' to 'resolved'"]"#;
const MERGED: &str = r#"["Merge Successful"]"#;
const LINKED_A: &str = r#"["Ticket {new bob}: RefersTo ticket {A} added"]"#;
const LINKED_A_ZOE: &str = r#"["Ticket {new zoe}: RefersTo ticket {A} added"]"#;
const LINKED_C: &str = r#"["Ticket {new bob}: RefersTo ticket {C} added"]"#;
const TAKEN: &str = r#"["Owner changed from Nobody to {me}"]"#;
const STOLEN: &str = r#"["Owner changed from olga@tickets.test to {me}"]"#;
const UNTAKEN: &str = r#"["Owner changed from olga@tickets.test to Nobody"]"#;
const REPLIED: &str = r#"["Correspondence added"]"#;
const COMMENTED: &str = r#"["Comments added"]"#;

/// What stands in for a thing that does not exist.
const MISSING_NUMBER: &str = "999999";

/// A placeholder's value, and what stands in for it when it names nothing.
struct Binding {
    name: String,
    value: String,
    missing: String,
}

/// The daemon, its people and the tickets the reads look at.
struct World {
    d: Daemon,
    tokens: Vec<String>,
    fixed: Vec<Binding>,
    made: Cell<u32>,
}

/// A request to `/REST/2.0/<path>` with this `Authorization` (or none).
fn send(d: &Daemon, auth: Option<&str>, method: &str, path: &str, body: &str) -> Answer {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    let content_type = match body.trim_start().chars().next() {
        None => None,
        Some('{' | '[') => Some("application/json".to_string()),
        Some(_) => Some("application/x-www-form-urlencoded".to_string()),
    };
    http(
        &d.web_url(),
        method,
        &format!("/REST/2.0/{path}"),
        &headers,
        None,
        content_type,
        body.as_bytes().to_vec(),
    )
}

fn json_of(answer: &Answer) -> Option<Value> {
    serde_json::from_str(&answer.body).ok()
}

fn file(name: &str, text: &str) -> Value {
    json!({"FileName": name, "FileType": "text/plain",
           "FileContent": base64::engine::general_purpose::STANDARD.encode(text)})
}

impl World {
    fn new() -> World {
        let d = Daemon::start_with(Setup {
            web: true,
            // a frozen clock: no scheduled job runs while the matrix does
            now: Some("2026-03-02T10:00:00Z".into()),
            ..Setup::default()
        });
        d.tkt_ok(&["queue", "create", "ops"]);
        // anyone may open tickets in general and network, nobody in ops
        d.tkt_ok(&["revoke", "CreateTicket", "--group", "Everyone"]);
        for queue in ["general", "network"] {
            d.tkt_ok(&["grant", "CreateTicket", "--group", "Everyone", "--queue", queue]);
        }
        for staff in ["sam", "carol", "olga", "boss"] {
            d.tkt_ok(&["user", "create", &format!("{staff}@tickets.test"), "--privileged"]);
        }
        d.tkt_ok(&["group", "create", "helpdesk"]);
        for member in ["carol", "olga"] {
            d.tkt_ok(&["group", "add", "helpdesk", &format!("{member}@tickets.test")]);
        }
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
        d.tkt_ok(&["grant", "SuperUser", "--user", "boss@tickets.test"]);

        let ticket = |queue: &str, from: &str, subject: &str, text: &str| {
            d.deliver(queue, &mail(from, subject, text, &[]));
            d.count("SELECT MAX(id) FROM tickets")
        };
        let a = ticket("general", "zoe@example.net", "Zoe's printer", "It jams.");
        let b = ticket("general", "bob@example.com", "Bob's desk", "It wobbles.");
        let c = ticket("network", "bob@example.com", "Bob's network", "It is down.");
        let root = format!("token {}", d.token_for("root"));
        let reply = json!({"Content": "We are on it.", "Attachments": [file("reply.txt", "the plan")]});
        let said = send(
            &d,
            Some(&root),
            "POST",
            &format!("ticket/{a}/correspond"),
            &reply.to_string(),
        );
        assert_eq!(said.status, 201, "{said:?}");
        let note = json!({"Content": "Internal: zqcomment.", "Attachments": [file("note.txt", "staff only")]});
        let noted = send(
            &d,
            Some(&root),
            "POST",
            &format!("ticket/{a}/comment"),
            &note.to_string(),
        );
        assert_eq!(noted.status, 201, "{noted:?}");

        let mut fixed = Vec::new();
        let mut bind = |name: &str, value: String, missing: &str| {
            fixed.push(Binding {
                name: name.to_string(),
                value,
                missing: missing.to_string(),
            });
        };
        for (name, id) in [("A", a), ("B", b), ("C", c)] {
            bind(name, id.to_string(), MISSING_NUMBER);
            let shown = d.show(id);
            for x in shown["transactions"].as_array().expect("a history") {
                let kind = x["type"].as_str().unwrap_or_default();
                let label = match kind {
                    "Create" => "create",
                    "Correspond" => "reply",
                    "Comment" => "comment",
                    "Status" => "open",
                    other => panic!("ticket {name} has a {other} transaction: {shown}"),
                };
                bind(&format!("{name}.{label}"), x["id"].to_string(), MISSING_NUMBER);
                for part in x["attachments"].as_array().into_iter().flatten() {
                    let label = match (kind, part["filename"].as_str()) {
                        ("Create", None) => "mail",
                        (_, Some("reply.txt")) => "file",
                        (_, Some("note.txt")) => "note",
                        _ => panic!("ticket {name} has an attachment {part}: {shown}"),
                    };
                    bind(&format!("{name}.{label}"), part["id"].to_string(), MISSING_NUMBER);
                }
            }
        }
        for queue in ["general", "network", "ops"] {
            let id = d.count(&format!("SELECT id FROM queues WHERE name = '{queue}'"));
            bind(queue, id.to_string(), MISSING_NUMBER);
            bind(&format!("q:{queue}"), queue.to_string(), "nosuchqueue");
        }
        let helpdesk = d.count("SELECT id FROM groups WHERE name = 'helpdesk'");
        bind("helpdesk", helpdesk.to_string(), MISSING_NUMBER);
        bind("g:helpdesk", "helpdesk".to_string(), "nosuchgroup");
        bind("u:bob", "bob@example.com".to_string(), "ghost@example.com");
        bind("u:olga", "olga@tickets.test".to_string(), "ghost@tickets.test");
        let tokens = ACTORS
            .iter()
            .map(|actor| format!("token {}", d.token_for(actor.address())))
            .collect();
        World {
            d,
            tokens,
            fixed,
            made: Cell::new(0),
        }
    }

    fn token(&self, actor: Actor) -> &str {
        let column = ACTORS.iter().position(|a| *a == actor).expect("an actor");
        &self.tokens[column]
    }

    fn fixed(&self, name: &str) -> &str {
        &self
            .fixed
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no {{{name}}}"))
            .value
    }

    /// A new ticket for one cell, as `{new ...}` asks: zoe's or bob's, in general or
    /// network, owned by olga or nobody.
    fn new_ticket(&self, spec: &str) -> String {
        self.made.set(self.made.get() + 1);
        let (from, queue) = match spec.split_whitespace().nth(1) {
            Some("zoe") => ("zoe@example.net", "general"),
            Some("bob") => ("bob@example.com", "general"),
            Some("net") => ("bob@example.com", "network"),
            _ => panic!("no such new ticket: {spec}"),
        };
        self.d
            .deliver(queue, &mail(from, "Matrix", "A ticket of the matrix.", &[]));
        let id = self.d.count("SELECT MAX(id) FROM tickets").to_string();
        if spec.ends_with(" olga") {
            self.d.tkt_ok(&["give", &id, "olga@tickets.test"]);
        }
        id
    }

    /// The placeholders of a route for one asker (none: without credentials), a new
    /// ticket made for each `{new ...}` (without credentials, the fixed A or B stands in).
    fn bind(&self, route: &Route, actor: Option<Actor>) -> Vec<Binding> {
        let me = actor.unwrap_or(Requestor).address();
        let mut bindings = vec![Binding {
            name: "me".into(),
            value: me.into(),
            missing: me.into(),
        }];
        let text = format!("{} {}", route.path, route.body);
        for found in placeholder().captures_iter(&text) {
            let name = &found[1];
            if !name.starts_with("new ") || bindings.iter().any(|b| b.name == name) {
                continue;
            }
            let value = match actor {
                Some(_) => self.new_ticket(name),
                None if name.contains("zoe") => self.fixed("A").to_string(),
                None => self.fixed("B").to_string(),
            };
            bindings.push(Binding {
                name: name.to_string(),
                value,
                missing: MISSING_NUMBER.into(),
            });
        }
        bindings
    }

    /// `text` with its placeholders filled in, or with what stands in for them.
    fn fill(&self, text: &str, bindings: &[Binding], missing: bool) -> String {
        placeholder()
            .replace_all(text, |c: &regex::Captures<'_>| {
                let name = &c[1];
                let b = bindings
                    .iter()
                    .chain(&self.fixed)
                    .find(|b| b.name == name)
                    .unwrap_or_else(|| panic!("no placeholder {{{name}}}"));
                if missing { b.missing.clone() } else { b.value.clone() }
            })
            .into_owned()
    }

    /// What a refused request must not change.
    fn fingerprint(&self) -> String {
        self.d
            .db()
            .query_row(
                "SELECT (SELECT COUNT(*) FROM transactions) || ' ' || (SELECT COUNT(*) FROM attachments) || ' ' || \
                   (SELECT COUNT(*) FROM ticket_roles) || ' ' || (SELECT COUNT(*) FROM users) || ' ' || \
                   (SELECT string_agg(id || status || owner_id || queue_id || priority || subject, ';' ORDER BY id) \
                      FROM tickets)",
                [],
                |r| r.get(0),
            )
            .expect("the fingerprint")
    }

    /// The route as `actor` (none: without credentials) asks it.
    fn ask(&self, route: &Route, actor: Option<Actor>, bindings: &[Binding], missing: bool) -> Answer {
        send(
            &self.d,
            actor.map(|a| self.token(a)),
            route.method,
            &self.fill(route.path, bindings, missing),
            &self.fill(route.body, bindings, missing),
        )
    }
}

fn placeholder() -> Regex {
    Regex::new(r"\{([A-Za-z][A-Za-z0-9 .:]*)\}").expect("a regex")
}

/// What went otherwise than `expect` says, if anything.
fn judge(
    world: &World,
    route: &Route,
    actor: Actor,
    bindings: &[Binding],
    answer: &Answer,
    expect: Expect,
) -> Option<String> {
    let fill = |text: &str| world.fill(text, bindings, false);
    let body = json_of(answer);
    let status = answer.status;
    let ids = |key: &str| -> Option<Vec<String>> {
        let all = body.as_ref()?.get(key)?.as_array()?;
        Some(
            all.iter()
                .map(|v| {
                    let v = if key == "items" { &v["id"] } else { &v["ref"] };
                    v.as_str().map_or_else(|| v.to_string(), str::to_string)
                })
                .collect(),
        )
    };
    let wanted = |all: &[&str]| -> Vec<String> { all.iter().map(|s| fill(s)).collect() };
    let ok = match expect {
        Is(204) => status == 204 && answer.body.is_empty(),
        Is(s) => status == s && body.is_some(),
        Says(s, text) => {
            let said: Value = serde_json::from_str(&fill(text)).expect("the expected JSON");
            status == s && body == Some(said)
        }
        Items(all) => status == 200 && ids("items") == Some(wanted(all)),
        Links(all) => {
            let mut refs = ids("_hyperlinks").unwrap_or_default();
            refs.dedup();
            status == 200 && refs == wanted(all)
        }
        Creates(requestor) => {
            let id = body
                .as_ref()
                .and_then(|b| b["id"].as_str())
                .and_then(|id| id.parse::<i64>().ok());
            let located = answer
                .header("location")
                .is_some_and(|l| id.is_some_and(|id| l.ends_with(&format!("/REST/2.0/ticket/{id}"))));
            status == 201 && located && id.is_some_and(|id| world.d.show(id)["requestors"] == json!([fill(requestor)]))
        }
        Refused => {
            status == 403
                && body
                    .as_ref()
                    .and_then(|b| b["message"].as_str())
                    .is_some_and(|m| m.contains(" may not "))
        }
        Hidden | Unknown(_) => {
            let gone = world.ask(route, Some(actor), bindings, true);
            // only what the request names is masked
            let named = format!("{} {}", route.path, route.body);
            let used: Vec<&Binding> = bindings
                .iter()
                .chain(&world.fixed)
                .filter(|b| named.contains(&format!("{{{}}}", b.name)))
                .collect();
            let values: Vec<&str> = used.iter().map(|b| b.value.as_str()).collect();
            let stand_ins: Vec<&str> = used.iter().map(|b| b.missing.as_str()).collect();
            let alike = masked(&answer.body, &values) == masked(&gone.body, &stand_ins) && status == gone.status;
            let status_ok = match expect {
                Hidden => status == 404 && body == Some(json!({"message": "Resource does not exist"})),
                _ => matches!(expect, Unknown(s) if s == status),
            };
            if status_ok && !alike {
                return Some(format!("not as for a missing one:\n    {answer:?}\n    {gone:?}"));
            }
            status_ok
        }
    };
    (!ok).then(|| format!("expected {expect:?}, got {} {}", status, answer.body))
}

/// `text` with every value (longest first, whole words) replaced by one mark.
fn masked(text: &str, values: &[&str]) -> String {
    let mut values: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for value in values {
        let re = Regex::new(&format!(r"\b{}\b", regex::escape(value))).expect("a regex");
        out = re.replace_all(&out, "<X>").into_owned();
    }
    out
}

/// Runs every route without credentials and as each of [`ACTORS`], and fails with every
/// cell that went otherwise than its row says.
fn check(world: &World, routes: &[Route]) {
    let mut wrong = Vec::new();
    for route in routes {
        let bindings = world.bind(route, None);
        let before = world.fingerprint();
        let anonymous = world.ask(route, None, &bindings, false);
        let what = format!("{} {}", route.method, world.fill(route.path, &bindings, false));
        if anonymous.status != 401 || json_of(&anonymous) != Some(json!({"message": "Authorization required"})) {
            wrong.push(format!("{what} without credentials: expected 401, got {anonymous:?}"));
        }
        if world.fingerprint() != before {
            wrong.push(format!("{what} without credentials changed something"));
        }
        for (column, actor) in ACTORS.iter().copied().enumerate() {
            let expect = route.expect[column];
            let bindings = world.bind(route, Some(actor));
            let before = world.fingerprint();
            let answer = world.ask(route, Some(actor), &bindings, false);
            let what = format!(
                "{} {} as {actor:?}",
                route.method,
                world.fill(route.path, &bindings, false)
            );
            if let Some(problem) = judge(world, route, actor, &bindings, &answer, expect) {
                wrong.push(format!("{what}: {problem}"));
            }
            if !(200..300).contains(&answer.status) && world.fingerprint() != before {
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

#[test]
fn rest2_rights_ticket_reads() {
    let world = World::new();
    let before = world.fingerprint();
    check(&world, TICKET_READS);
    assert_eq!(world.fingerprint(), before, "a read changed something");
    // zoe by her web password gets what her token gets
    world.d.set_password("zoe@example.net");
    let password = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("zoe@example.net:{PASSWORD}"))
    );
    for path in ["A", "B"].map(|t| format!("ticket/{}/history", world.fixed(t))) {
        let by_token = send(&world.d, Some(world.token(Requestor)), "GET", &path, "");
        let by_password = send(&world.d, Some(&password), "GET", &path, "");
        assert_eq!(
            (by_password.status, by_password.body),
            (by_token.status, by_token.body),
            "{path}"
        );
    }
}

#[test]
fn rest2_rights_directory() {
    let world = World::new();
    check(&world, DIRECTORY);
}

#[test]
fn rest2_rights_ticket_writes() {
    let world = World::new();
    check(&world, TICKET_WRITES);
}
