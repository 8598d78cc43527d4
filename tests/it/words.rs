//! What tkt and mailgate say (issue 13): names a search does not know, relative dates in
//! changes, both forms of merge, a bad address, the rights in `grant --help`, search
//! columns that line up, and teams kept to their queues.

use std::process::{Command, Output};

use unicode_width::UnicodeWidthChar;

use crate::harness::*;

/// tkt with nothing from the environment choosing the daemon or the user.
fn bare_tkt(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(TKT)
        .env_remove("TICKETD_URL")
        .env_remove("TICKETD_TOKEN")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run tkt")
}

/// Asserts tkt failed with exit 1 and one line saying `needle`.
fn refused(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "expected {needle:?}: {err}");
}

const SEVERITY: &str = r#"
[[custom_fields]]
name = "Severity"
type = "select"
values = ["low", "high"]
"#;

#[test]
fn searches_naming_what_does_not_exist_say_so() {
    let d = Daemon::start_with(Setup {
        queues: Some(format!("{DEFAULT_QUEUES}\n{SEVERITY}")),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.tkt_ok(&["set", "1", "CF.{Severity}=high"]);
    let cases: &[(&[&str], &str)] = &[
        (&["search", "Queue = 'suport'"], "no queue named `suport`"),
        (&["search", "printer queue:suport"], "no queue named `suport`"),
        (&["search", "Queue != 'suport' AND id > 0"], "no queue named `suport`"),
        (&["search", "Status = 'opne'"], "no status `opne` in any lifecycle"),
        (&["search", "printer status:opne"], "no status `opne` in any lifecycle"),
        (&["search", "CF.{Severty} = 'high'"], "no custom field `Severty`"),
        (&["search", "id > 0 ORDER BY CF.{Severty}"], "no custom field `Severty`"),
        (&["search", "Queue = 'suport'", "--sql"], "no queue named `suport`"),
        (
            &["report", "Queue = 'suport'", "--by", "Status"],
            "no queue named `suport`",
        ),
        (&["report", "", "--by", "CF.{Severty}"], "no custom field `Severty`"),
        (&["search", "save", "mine", "status:opne"], "no status `opne`"),
    ];
    for (args, needle) in cases {
        refused(&d.tkt(args), needle);
    }
    assert!(!d.tkt_ok(&["search", "saved"]).contains("mine"), "nothing saved");
    // names that exist still match, in any case
    assert_eq!(d.search("Queue = 'GENERAL' AND Status = 'new'"), [1]);
    assert_eq!(d.search("printer queue:general status:new"), [1]);
    assert_eq!(d.search("CF.{severity} = 'high'"), [1]);
    assert_eq!(d.search("Queue = 'network'"), Vec::<i64>::new());
    // a pattern is not a name
    assert_eq!(d.search("Queue LIKE 'sup'"), Vec::<i64>::new());
    d.tkt_ok(&["search", "save", "mine", "queue:general"]);
    let run: serde_json::Value = serde_json::from_str(&d.tkt_ok(&["search", "run", "mine", "--json"])).unwrap();
    assert_eq!(run[0]["id"], 1);
}

#[test]
fn set_takes_the_relative_dates_searches_take() {
    let d = Daemon::start_with(Setup {
        now: Some("2026-11-27T15:00:00Z".into()),
        ..Setup::default()
    });
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    let at = |field: &str| {
        let value = d.show(1)[field].as_str().unwrap().to_string();
        chrono::DateTime::parse_from_rfc3339(&value).unwrap().to_utc()
    };
    let expect = |text: &str| ticketd::ticket::parse_date(text).unwrap();
    d.tkt_ok(&["set", "1", "due=tomorrow"]);
    assert_eq!(at("due"), expect("2026-11-28"));
    assert_eq!(d.search("Due = 'tomorrow'"), [1], "the same reading as a search");
    d.tkt_ok(&["set", "1", "due=+3 days", "starts=2 hours ago"]);
    assert_eq!(at("due"), expect("2026-11-30T15:00:00Z"));
    assert_eq!(at("starts"), expect("2026-11-27T13:00:00Z"));
    d.tkt_ok(&["set", "1", "due=-1 week"]);
    assert_eq!(at("due"), expect("2026-11-20T15:00:00Z"));
    d.tkt_ok(&["set", "1", "due=2026-12-24"]);
    assert_eq!(at("due"), expect("2026-12-24"));
    refused(&d.tkt(&["set", "1", "due=someday"]), "`someday` is not a date");
}

#[test]
fn merge_takes_its_target_with_or_without_into() {
    let d = Daemon::start();
    for subject in ["One", "Two", "Three"] {
        d.deliver("general", &mail("zoe@example.net", subject, "x", &[]));
    }
    assert!(
        d.tkt_ok(&["merge", "2", "into", "1"])
            .contains("Ticket 2 merged into 1")
    );
    assert!(d.tkt_ok(&["merge", "3", "1"]).contains("Ticket 3 merged into 1"));
    assert_eq!(d.show(2)["id"], 1);
    assert_eq!(d.show(3)["id"], 1);
    for bad in [
        &["merge", "1", "onto", "2"][..],
        &["merge", "1", "into"],
        &["merge", "1", "into", "x"],
    ] {
        let out = d.tkt(bad);
        assert_eq!(out.status.code(), Some(64), "{bad:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("tkt merge 12 into 9"),
            "{bad:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_bad_address_is_a_mistake_on_the_command_line() {
    for url in [
        "foo",
        "http//x",
        "https://tickets.example:443",
        "http://tickets.example",
    ] {
        let out = bare_tkt(&["--url", url, "whoami"], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(64), "{url}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!(
                "`{url}` is not a ticketd address: use unix:/path/to/ticketd.sock or http://host:port"
            )),
            "{err}"
        );
        assert!(!err.contains("unexpected answer"), "{err}");
    }
    let out = bare_tkt(&["whoami"], &[("TICKETD_URL", "foo")]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("TICKETD_URL: `foo` is not a ticketd address"),
        "{}",
        stderr(&out)
    );
    // clap's own mistakes exit the same way
    assert_eq!(bare_tkt(&["show", "--bogus"], &[]).status.code(), Some(64));
    // an unreadable token file is the user's to fix too
    let out = bare_tkt(&["--token-file", "/nonexistent/token", "whoami"], &[]);
    assert_eq!(out.status.code(), Some(64));
    assert!(
        stderr(&out).contains("cannot read the token file /nonexistent/token"),
        "{}",
        stderr(&out)
    );

    let out = run_with_stdin(
        Command::new(MAILGATE)
            .env_remove("TICKETD_URL")
            .env_remove("TICKETD_TOKEN")
            .args(["--url", "http//x", "--queue", "general"]),
        &mail("zoe@example.net", "x", "y", &[]),
    );
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "mailgate: `http//x` is not a ticketd address: use unix:/path/to/ticketd.sock or http://host:port"
    );
}

#[test]
fn help_explains_the_rights_and_the_token() {
    let help = String::from_utf8(bare_tkt(&["grant", "--help"], &[]).stdout).unwrap();
    for right in ticketd::rights::Right::ALL {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("- {}:", right.as_str())))
            .unwrap_or_else(|| panic!("{right} is not listed:\n{help}"));
        assert!(line.contains(right.description()), "{line}");
    }
    let help = String::from_utf8(bare_tkt(&["--help"], &[]).stdout).unwrap();
    assert!(help.contains("A file holding your API token"), "{help}");
    assert!(help.contains("the token itself, from $TICKETD_TOKEN"), "{help}");
    let out = Command::new(MAILGATE).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("A file holding the MTA's shared secret"), "{help}");
    assert!(help.contains("the secret itself, from $TICKETD_TOKEN"), "{help}");
}

/// The rest of `line` from terminal column `column` (CJK characters take two); `None`
/// when the column falls inside a character.
fn from_column(line: &str, column: usize) -> Option<&str> {
    let mut at = 0;
    for (i, c) in line.char_indices() {
        if at == column {
            return Some(&line[i..]);
        }
        if at > column {
            return None;
        }
        at += c.width().unwrap_or(0);
    }
    (at == column).then_some("")
}

/// The terminal column where `word` starts in `line`.
fn column_of(line: &str, word: &str) -> usize {
    let end = line.find(word).unwrap_or_else(|| panic!("{word:?} not in {line:?}"));
    line[..end].chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[test]
fn search_columns_line_up_whatever_the_text() {
    let d = Daemon::start();
    let long_subject = format!("The printer on the third floor {}", "jams again and again ".repeat(5));
    let subjects = ["Printer", long_subject.as_str(), "打印机坏了", "Écran noir"];
    for n in 0..11 {
        let subject = subjects[n % subjects.len()];
        let queue = if n % 2 == 0 { "general" } else { "network" };
        d.deliver(queue, &mail("zoe@example.net", subject, "x", &[]));
    }
    let owner = "a.very.long.login.name.for.a.colleague@tickets.example";
    d.tkt_ok(&["user", "create", owner, "--privileged"]);
    d.tkt_ok(&["give", "3", owner]);
    // a name two columns wide per character, in a padded column
    d.tkt_ok(&["user", "create", "张伟", "--privileged"]);
    d.tkt_ok(&["give", "7", "张伟"]);
    d.tkt_ok(&["set", "10", "status=stalled"]);
    let text = d.tkt_ok(&["search", "id > 0 ORDER BY id"]);
    let listed: serde_json::Value =
        serde_json::from_str(&d.tkt_ok(&["search", "id > 0 ORDER BY id", "--json"])).unwrap();
    let tickets = listed.as_array().unwrap();
    let mut lines = text.lines();
    let heading = lines.next().unwrap();
    let columns: Vec<usize> = ["Status", "Queue", "Owner", "Subject"]
        .iter()
        .map(|h| column_of(heading, h))
        .collect();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 11, "{text}");
    for (line, ticket) in rows.iter().zip(tickets) {
        let id = ticket["id"].to_string();
        assert_eq!(
            from_column(line, columns[0] - 2 - id.len()).map(|r| r.starts_with(&format!("{id}  "))),
            Some(true),
            "the number ends where the column does:\n{text}"
        );
        for (column, field) in columns.iter().zip(["status", "queue", "owner", "subject"]) {
            let value = ticket[field].as_str().unwrap();
            let start: String = value.chars().take(8).collect();
            let rest = from_column(line, *column).unwrap_or_else(|| panic!("{field} splits a character:\n{text}"));
            assert!(
                rest.starts_with(&start),
                "{field} {value:?} not at column {column}:\n{text}"
            );
        }
    }
    let long = rows.iter().find(|l| l.contains("third floor")).unwrap();
    assert!(long.ends_with('…'), "a long subject is cut: {long}");
    assert!(!long.contains("again and again and again and again"), "{long}");
    let owned = rows.iter().find(|l| l.trim_start().starts_with("3 ")).unwrap();
    assert!(
        owned.contains("a.very.long.login.name.for.a.…"),
        "a long owner is cut: {owned}"
    );
}

#[test]
fn teams_can_be_kept_to_their_queues() {
    let d = Daemon::start();
    d.tkt_ok(&["user", "create", "carol@tickets.test", "--privileged"]);
    d.tkt_ok(&["user", "create", "dave@tickets.test", "--privileged"]);
    d.tkt_ok(&["group", "create", "helpdesk"]);
    d.tkt_ok(&["group", "add", "helpdesk", "carol@tickets.test"]);
    d.tkt_ok(&["group", "create", "noc"]);
    d.tkt_ok(&["group", "add", "noc", "dave@tickets.test"]);
    d.deliver("general", &mail("zoe@example.net", "Printer", "It jams.", &[]));
    d.deliver("network", &mail("yan@example.net", "Link down", "Again.", &[]));
    let carol = d.token_for("carol@tickets.test");
    let dave = d.token_for("dave@tickets.test");

    // by default every staff member works every queue, and may take over a ticket
    assert!(d.tkt_as(&carol, &["show", "2"]).status.success());
    assert!(d.tkt_as(&dave, &["take", "1"]).status.success());
    assert!(d.tkt_as(&carol, &["steal", "1"]).status.success());

    // the plan changes nothing
    let grants = d.count("SELECT COUNT(*) FROM acl");
    let plan = d.tkt_ok(&["rights", "preset", "per-queue"]);
    assert!(
        plan.contains("StealTicket") && plan.contains("--revoke-global"),
        "{plan}"
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM acl"), grants);

    // a staff member may not change global grants
    let out = d.tkt_as(&carol, &["rights", "preset", "per-queue", "--revoke-global"]);
    refused(
        &out,
        "carol@tickets.test may not revoke rights on every queue: that needs the right SuperUser",
    );
    refused(
        &d.tkt_as(&carol, &["grant", "ShowTicket", "--group", "helpdesk"]),
        "may not grant rights on every queue: that needs the right SuperUser",
    );

    let done = d.tkt_ok(&[
        "rights",
        "preset",
        "per-queue",
        "--group",
        "helpdesk",
        "--queue",
        "general",
    ]);
    assert!(done.contains("13 new grant(s)"), "{done}");
    d.tkt_ok(&["rights", "preset", "per-queue", "--group", "noc", "--queue", "network"]);
    let done = d.tkt_ok(&["rights", "preset", "per-queue", "--revoke-global"]);
    assert!(done.contains("lost 13 global grant(s)"), "{done}");

    // carol works general and sees nothing of network
    let out = d.tkt_as(&carol, &["show", "2"]);
    refused(&out, "ticket 2 does not exist");
    assert!(d.tkt_as(&carol, &["show", "1"]).status.success());
    assert!(d.tkt_as(&carol, &["comment", "1", "-m", "Toner."]).status.success());
    assert!(
        d.tkt_as(&carol, &["set", "1", "status=open", "due=tomorrow"])
            .status
            .success()
    );
    let found: serde_json::Value = serde_json::from_slice(&d.tkt_as(&carol, &["search", "", "--json"]).stdout).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], 1);
    // a queue she may not see is answered as one that does not exist
    refused(
        &d.tkt_as(&carol, &["search", "Queue = 'network'"]),
        "no queue named `network`",
    );
    refused(
        &d.tkt_as(&carol, &["search", "Queue = 'nosuch'"]),
        "no queue named `nosuch`",
    );
    let queues = String::from_utf8(d.tkt_as(&carol, &["queue", "list"]).stdout).unwrap();
    assert!(queues.contains("general") && !queues.contains("network"), "{queues}");

    // and dave the other way round
    refused(&d.tkt_as(&dave, &["show", "1"]), "ticket 1 does not exist");
    assert!(d.tkt_as(&dave, &["take", "2"]).status.success());
    assert_eq!(d.show(2)["owner"], "dave@tickets.test");

    // admin init gives the global grants back
    d.tkt_ok(&["admin", "init"]);
    assert!(d.tkt_as(&carol, &["show", "2"]).status.success());
}
