//! tkt: the staff and admin command line. It talks to ticketd's API, never to the
//! database file.

mod admin;
mod args;
mod render;
mod rights;

pub use args::{Args, Command, QuarantineCommand, RulesCommand, SearchArgs, SearchCommand, TemplateCommand};
pub use render::{render_list, render_ticket};

use std::io::{IsTerminal, Read, Write};
use std::time::Duration;

use hyper::Method;
use serde::de::DeserializeOwned;

use crate::client::{Client, ClientError, json_body, query_of, query_string};
use crate::error::Error;
use crate::wire::{
    ChangeRequest, Changes, ContentHit, Created, Explained, IngestOutcome, MergeRequest, Merged, MessageRequest,
    NamedSearch, NewTicketRequest, QuarantineEntry, Recorded, ReportRow, RuleTestParams, SaveSearch, SavedSearch,
    ShredCount, ShredRequest, Ticket, TransactionKind,
};

/// Runs a command and prints its result. Errors are for one line on stderr.
pub fn run(args: Args) -> Result<(), ClientError> {
    let token = match &args.token_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| ClientError::Usage(format!("cannot read the token file {}: {e}", file.display())))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("TICKETD_TOKEN").ok().filter(|t| !t.is_empty()),
    };
    let key = args
        .idempotency_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let client = match &args.url {
        Some(url) => Client::new(url, token, Duration::from_secs(args.timeout))?,
        None => Client::new(
            &crate::client::default_staff_url(),
            token,
            Duration::from_secs(args.timeout),
        )
        .map_err(|e| match e {
            ClientError::Usage(why) if std::env::var_os("TICKETD_URL").is_some() => {
                ClientError::Usage(format!("TICKETD_URL: {why}"))
            }
            other => other,
        })?,
    }
    .with_idempotency_key(key);
    let is_reply = matches!(args.command, Command::Reply { .. });
    match args.command {
        Command::Show { id, json } => {
            let ticket = client.json(Method::GET, &format!("/v1/tickets/{id}"), None)?;
            print_as(ticket, json, |t: Ticket| render_ticket(&t))?;
        }
        Command::Search(args) => search(&client, args)?,
        Command::Report { query, by, json } => {
            let by = by.join(",");
            let path = format!("/v1/report?{}", query_string(&[("q", &query), ("by", &by)]));
            let groups: Vec<String> = by.split(',').map(str::to_string).collect();
            print_as(client.json(Method::GET, &path, None)?, json, |rows: Vec<ReportRow>| {
                render::report(&groups, &rows)
            })?;
        }
        Command::Create {
            queue,
            subject,
            requestors,
            owner,
            priority,
            message,
        } => {
            let content = message_text(message, true)?;
            let request = NewTicketRequest {
                queue,
                subject,
                requestors,
                content,
                priority,
                owner,
            };
            let created: Created = client.post("/v1/tickets", &request)?;
            print(format!("Ticket {} created.\n", created.id));
        }
        Command::Reply { id, message, time } | Command::Comment { id, message, time } => {
            let minutes = time
                .as_deref()
                .map(crate::ticket::parse_minutes)
                .transpose()
                .map_err(ClientError::Api)?
                .unwrap_or(0);
            let request = MessageRequest {
                content: message_text(message, false)?,
                minutes,
            };
            let kind = if is_reply { "correspond" } else { "comment" };
            let done: Recorded = client.post(&format!("/v1/tickets/{id}/{kind}"), &request)?;
            let what = if is_reply { "Reply" } else { "Comment" };
            if is_reply && done.kind == TransactionKind::Comment {
                // the queue's non-watcher policy, as for mail
                print(format!(
                    "Recorded on ticket {id} as a comment for staff (transaction {}): you are not a watcher \
                     of the ticket, and its queue passes only its watchers' and staff's replies on.\n",
                    done.transaction
                ));
            } else {
                print(format!(
                    "{what} recorded on ticket {id} (transaction {}).\n",
                    done.transaction
                ));
            }
        }
        Command::Set { id, changes } => change(&client, id, &changes)?,
        Command::Take { id } => change(&client, id, &["take".into()])?,
        Command::Steal { id } => change(&client, id, &["steal".into()])?,
        Command::Untake { id } => change(&client, id, &["untake".into()])?,
        Command::Give { id, user } => change(&client, id, &[format!("owner={user}")])?,
        Command::Merge { ticket, into } => {
            let into = merge_target(&into)?;
            let _: Merged = client.post(&format!("/v1/tickets/{ticket}/merge"), &MergeRequest { into })?;
            print(format!("Ticket {ticket} merged into {into}.\n"));
        }
        Command::Shred { id, yes } => {
            let counts: Vec<ShredCount> =
                client.post(&format!("/v1/tickets/{id}/shred"), &ShredRequest { apply: yes })?;
            print(render::shred(id, &counts, yes));
        }
        Command::Raw { transaction } => write_raw(&client.bytes(&format!("/v1/transactions/{transaction}/raw"))?),
        Command::Attachment { id } => write_raw(&client.bytes(&format!("/v1/attachments/{id}"))?),
        Command::Quarantine { command } => quarantine(&client, command)?,
        Command::Rules { command } => rules(&client, command)?,
        Command::Template {
            command: TemplateCommand::Render { name, ticket },
        } => {
            let path = format!("/v1/templates/{name}/render?ticket={ticket}");
            let rendered: crate::wire::Rendered = client.json(Method::GET, &path, None)?;
            print(render::rendered_template(&rendered));
        }
        Command::Sla { id, json } => {
            let report = client.json(Method::GET, &format!("/v1/tickets/{id}/sla"), None)?;
            print_as(report, json, |r: crate::wire::SlaReport| render::sla(&r))?;
        }
        Command::Whoami { json } => {
            print_as(
                client.json(Method::GET, "/v1/whoami", None)?,
                json,
                |u: crate::wire::User| render::user(&u),
            )?;
        }
        Command::Admin(command) => admin::run(&client, command)?,
    }
    Ok(())
}

fn search(client: &Client, args: SearchArgs) -> Result<(), ClientError> {
    let run = |query: &str, json: bool| -> Result<(), ClientError> {
        let mut pairs = vec![("q", query.to_string())];
        if let Some(page) = args.page {
            pairs.push(("page", page.to_string()));
            pairs.push(("per_page", args.per_page.to_string()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let path = format!("/v1/search?{}", query_string(&pairs));
        print_as(client.json(Method::GET, &path, None)?, json, |t: Vec<Ticket>| {
            render_list(&t)
        })
    };
    match args.command {
        Some(SearchCommand::Save { name, query }) => {
            let body = json_body(&SaveSearch {
                name: name.clone(),
                query,
            })?;
            crate::client::check(client.send(Method::POST, "/v1/searches", Some(body))?)?;
            print(format!("Saved search `{name}`.\n"));
            Ok(())
        }
        Some(SearchCommand::Run { name, json }) => {
            let saved: Vec<SavedSearch> = client.json(Method::GET, "/v1/searches", None)?;
            let found = saved
                .into_iter()
                .find(|s| s.name == name)
                .ok_or_else(|| ClientError::Api(Error::NotFound(format!("you have no saved search named `{name}`"))))?;
            run(&found.query, json)
        }
        Some(SearchCommand::Saved { json }) => print_as(
            client.json(Method::GET, "/v1/searches", None)?,
            json,
            |saved: Vec<SavedSearch>| render::saved_searches(&saved),
        ),
        Some(SearchCommand::Delete { name }) => {
            let body = json_body(&NamedSearch { name: name.clone() })?;
            crate::client::check(client.send(Method::POST, "/v1/searches/delete", Some(body))?)?;
            print(format!("Forgot saved search `{name}`.\n"));
            Ok(())
        }
        None if args.sql => {
            let path = format!(
                "/v1/search?{}",
                query_string(&[("q", &args.query), ("explain", "true")])
            );
            print_as(client.json(Method::GET, &path, None)?, args.json, |e: Explained| {
                render::explained(&e)
            })
        }
        None if args.content => {
            let limit = args.per_page.to_string();
            let path = format!(
                "/v1/search/content?{}",
                query_string(&[("q", &args.query), ("limit", &limit)])
            );
            print_as(
                client.json(Method::GET, &path, None)?,
                args.json,
                |hits: Vec<ContentHit>| render::content_hits(&hits),
            )
        }
        None => run(&args.query, args.json),
    }
}

fn change(client: &Client, id: i64, changes: &[String]) -> Result<(), ClientError> {
    let request = ChangeRequest {
        changes: changes.to_vec(),
    };
    let done: Changes = client.post(&format!("/v1/tickets/{id}/changes"), &request)?;
    let count = done.transactions.len();
    print(format!("Ticket {id}: {count} change(s) recorded.\n"));
    Ok(())
}

fn quarantine(client: &Client, command: Option<QuarantineCommand>) -> Result<(), ClientError> {
    match command.unwrap_or(QuarantineCommand::List {
        all: false,
        json: false,
    }) {
        QuarantineCommand::List { all, json } => {
            let entries = client.json(Method::GET, &format!("/v1/quarantine?all={all}"), None)?;
            print_as(entries, json, |e: Vec<QuarantineEntry>| render::quarantine_list(&e))
        }
        QuarantineCommand::Show { id, json } => {
            let entry = client.json(Method::GET, &format!("/v1/quarantine/{id}"), None)?;
            print_as(entry, json, |e: QuarantineEntry| render::quarantine_entry(&e))
        }
        QuarantineCommand::Raw { id } => {
            write_raw(&client.bytes(&format!("/v1/quarantine/{id}/raw"))?);
            Ok(())
        }
        QuarantineCommand::Retry { id } => {
            let outcome: IngestOutcome = client.json(Method::POST, &format!("/v1/quarantine/{id}/retry"), None)?;
            let ticket = outcome.ticket.map_or("-".into(), |t| t.to_string());
            print(format!("Quarantine entry {id} processed: ticket {ticket}.\n"));
            Ok(())
        }
    }
}

fn rules(client: &Client, command: RulesCommand) -> Result<(), ClientError> {
    match command {
        RulesCommand::List { queue, json } => {
            let path = match &queue {
                Some(q) => format!("/v1/rules?{}", query_string(&[("queue", q)])),
                None => "/v1/rules".into(),
            };
            print_as(
                client.json(Method::GET, &path, None)?,
                json,
                |r: Vec<crate::wire::Rule>| render::rules(&r),
            )
        }
        RulesCommand::Test {
            queue,
            action,
            sender,
            file,
            full,
            json,
        } => {
            let raw = match file {
                Some(path) => std::fs::read(&path)
                    .map_err(|e| ClientError::Usage(format!("cannot read {}: {e}", path.display())))?,
                None => message_text(None, false)?.into_bytes(),
            };
            let params = RuleTestParams {
                queue,
                action: Some(action),
                sender,
                ticket: None,
            };
            let path = format!("/v1/rules/test?{}", query_of(&params));
            let answer = crate::client::check(client.send(Method::POST, &path, Some(("message/rfc822", raw)))?)?;
            let value: serde_json::Value =
                serde_json::from_slice(&answer.body).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))?;
            print_as(value, json, |t: crate::wire::RuleTest| render::rule_test(&t, full))
        }
    }
}

/// Every argument, option and subcommand of `command` (and of its subcommands) that has
/// no help text, named as typed: `tkt merge <TICKET>`. The tests of each binary keep this
/// empty, so that `--help` explains everything.
pub fn unexplained(command: &clap::Command) -> Vec<String> {
    let mut missing = Vec::new();
    unexplained_in(command, command.get_name(), &mut missing);
    missing
}

fn unexplained_in(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
    for arg in command.get_arguments() {
        // clap's own --help and --version explain themselves
        let builtin = matches!(arg.get_id().as_str(), "help" | "version");
        if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
            let name = match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => format!("<{}>", arg.get_id()),
            };
            missing.push(format!("{path} {name}"));
        }
    }
    for sub in command.get_subcommands() {
        let path = format!("{path} {}", sub.get_name());
        if sub.get_about().is_none() && sub.get_long_about().is_none() {
            missing.push(path.clone());
        }
        unexplained_in(sub, &path, missing);
    }
}

/// The ticket to merge into, from `TARGET` or `into TARGET`.
fn merge_target(words: &[String]) -> Result<i64, ClientError> {
    let target = match words {
        [target] => target,
        [word, target] if word.eq_ignore_ascii_case("into") => target,
        _ => {
            return Err(ClientError::Usage(format!(
                "`{}` is not a ticket to merge into: write `tkt merge 12 into 9` or `tkt merge 12 9`",
                words.join(" ")
            )));
        }
    };
    target.trim_start_matches('#').parse().map_err(|_| {
        ClientError::Usage(format!(
            "`{target}` is not a ticket number: write `tkt merge 12 into 9` or `tkt merge 12 9`"
        ))
    })
}

/// Prints an answer as pretty JSON (`--json`) or through its text renderer.
fn print_as<T: DeserializeOwned>(
    value: serde_json::Value,
    json: bool,
    render: impl FnOnce(T) -> String,
) -> Result<(), ClientError> {
    if json {
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        write_bytes(format!("{}\n", json_for_terminal(&text)).as_bytes());
    } else {
        let decoded = serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))?;
        print(render(decoded));
    }
    Ok(())
}

/// Prints text for people: what mail or another user wrote cannot move the cursor,
/// retitle the window or reorder text on a staff member's terminal
/// ([`crate::text::for_terminal`]).
fn print(text: String) {
    write_bytes(crate::text::for_terminal(&text).as_bytes());
}

/// Serialized JSON with every character a terminal would act on written as a `\uXXXX`
/// escape: the same JSON to a program, harmless on a terminal. serde_json escapes C0
/// controls itself; DEL, C1 controls and bidirectional overrides it leaves as they are, and
/// outside strings JSON has no such characters.
fn json_for_terminal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if crate::text::is_unsafe_for_terminal(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a raw message or attachment: byte for byte into a pipe or file, as text made
/// harmless on a terminal.
fn write_raw(bytes: &[u8]) {
    if std::io::stdout().is_terminal() {
        print(String::from_utf8_lossy(bytes).into_owned());
    } else {
        write_bytes(bytes);
    }
}

fn write_bytes(bytes: &[u8]) {
    let _ = std::io::stdout().lock().write_all(bytes);
}

/// The text of a reply, comment or new ticket: --message, else standard input (unless it
/// is a terminal).
fn message_text(message: Option<String>, may_be_empty: bool) -> Result<String, ClientError> {
    if let Some(text) = message {
        return Ok(text);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        if may_be_empty {
            return Ok(String::new());
        }
        return Err(ClientError::Usage(
            "there is no text to send: give it with --message or on standard input".into(),
        ));
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| ClientError::Usage(format!("cannot read standard input: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn every_argument_of_tkt_and_mailgate_has_a_help_line() {
        assert_eq!(unexplained(&Args::command()), Vec::<String>::new());
        assert_eq!(unexplained(&crate::gate::Args::command()), Vec::<String>::new());
    }

    #[test]
    fn the_walk_finds_an_argument_without_help() {
        #[derive(Debug, Parser)]
        #[command(name = "x")]
        struct Bare {
            /// Explained.
            #[arg(long)]
            good: bool,
            #[arg(long)]
            bad: bool,
            file: Option<String>,
        }
        assert_eq!(unexplained(&Bare::command()), ["x --bad", "x <file>"]);
    }

    #[test]
    fn merge_takes_its_target_with_or_without_into() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(merge_target(&words(&["4"])).unwrap(), 4);
        assert_eq!(merge_target(&words(&["into", "#4"])).unwrap(), 4);
        assert_eq!(merge_target(&words(&["INTO", "4"])).unwrap(), 4);
        assert!(matches!(
            merge_target(&words(&["onto", "4"])),
            Err(ClientError::Usage(_))
        ));
        assert!(matches!(merge_target(&words(&["into"])), Err(ClientError::Usage(_))));
    }
}
