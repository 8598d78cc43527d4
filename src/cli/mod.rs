//! tkt: the staff and admin command line. It talks to ticketd's API, never to the
//! database file.

mod admin;
mod render;

pub use render::{render_list, render_ticket};

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use hyper::Method;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::client::{Client, ClientError, query_string};
use crate::error::Error;
use crate::store::{ContentHit, QuarantineEntry, SavedSearch};
use crate::ticket::Ticket;
use crate::workflow::IngestOutcome;
use crate::workflow::view::{Explained, ReportRow};

/// tkt's command line.
#[derive(Debug, Parser)]
#[command(
    name = "tkt",
    version,
    about = "Work with ticketd's tickets from the shell.",
    after_help = "Exit status: 0 done; 1 ticketd refused the request or could not be reached; \
                  64 a mistake on the command line."
)]
pub struct Args {
    /// Where ticketd listens: unix:/path/to/ticketd.sock or http://host:port [default:
    /// $TICKETD_URL, else ./var/ticketd.sock when it exists, else the packaged socket]
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// A file holding your API token (from `tkt token create`) [default: the token itself,
    /// from $TICKETD_TOKEN; with neither, over the socket local root acts as root]
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for ticketd's answer.
    #[arg(long, global = true, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

/// What tkt can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a ticket and its whole history.
    Show {
        /// The ticket's number.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Find tickets with TicketSQL (`tkt search "Queue = 'general' AND Status = '__Active__'"`)
    /// or the simple form (`tkt search 'printer queue:network owner:me'`); save and run
    /// searches by name.
    Search(SearchArgs),
    /// Count the tickets of a query by Status, Queue, Owner, Creator, Priority, CF.{Name}
    /// or a date per day, month or year: `tkt report "Queue = 'network'" --by Status
    /// --by CreatedMonthly`.
    Report {
        /// The tickets to count, as for `tkt search` (default: every ticket).
        #[arg(default_value = "")]
        query: String,
        /// What to count by: Status, Queue, Owner, Creator, Priority, CF.{Name}, or
        /// Created, Resolved, Due, Updated or Started with Daily, Monthly or Yearly
        /// (CreatedMonthly). Repeat it for rows within rows.
        #[arg(long = "by", required = true, value_name = "GROUPING")]
        by: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Create a ticket; the text comes from --message or standard input.
    Create {
        /// The queue to create it in.
        #[arg(long)]
        queue: String,
        /// The ticket's subject.
        #[arg(long)]
        subject: String,
        /// A requestor's address; repeat for more.
        #[arg(long = "requestor", value_name = "ADDRESS")]
        requestors: Vec<String>,
        /// Who owns it from the start (a login name or address).
        #[arg(long, value_name = "USER")]
        owner: Option<String>,
        /// Its priority [default: the queue's initial priority].
        #[arg(long)]
        priority: Option<i64>,
        /// The text of the first message [default: standard input].
        #[arg(long, short)]
        message: Option<String>,
    },
    /// Reply to the requestors; the text comes from --message or standard input.
    Reply {
        /// The ticket's number.
        id: i64,
        /// The text of the reply [default: standard input].
        #[arg(long, short)]
        message: Option<String>,
        /// Time worked: 15m, 2h, 1h30m, or minutes.
        #[arg(long)]
        time: Option<String>,
    },
    /// Comment for staff only; the text comes from --message or standard input.
    Comment {
        /// The ticket's number.
        id: i64,
        /// The text of the comment [default: standard input].
        #[arg(long, short)]
        message: Option<String>,
        /// Time worked: 15m, 2h, 1h30m, or minutes.
        #[arg(long)]
        time: Option<String>,
    },
    /// Change fields: status=resolved owner=alice priority=80 subject=... queue=...
    /// due=tomorrow Requestor+=a@b Cc-=c@d AdminCc+=e@f
    Set {
        /// The ticket's number.
        id: i64,
        /// field=value (due and starts also take `tomorrow`, `+3 days`, `2 hours ago`, as
        /// searches do), Role+=address or Role-=address, DependsOn+=N, CF.{Name}=value.
        #[arg(required = true, value_name = "CHANGE")]
        changes: Vec<String>,
    },
    /// Become the owner of an unowned ticket.
    Take {
        /// The ticket's number.
        id: i64,
    },
    /// Become the owner of a ticket someone else owns (StealTicket).
    Steal {
        /// The ticket's number.
        id: i64,
    },
    /// Give your ticket back to Nobody.
    Untake {
        /// The ticket's number.
        id: i64,
    },
    /// Give a ticket to someone (they need OwnTicket).
    Give {
        /// The ticket's number.
        id: i64,
        /// The new owner: a login name or address.
        user: String,
    },
    /// Merge a ticket into another: `tkt merge 12 into 9` or `tkt merge 12 9`.
    #[command(override_usage = "tkt merge <TICKET> [into] <TARGET>")]
    Merge {
        /// The ticket that is merged away.
        ticket: i64,
        /// The ticket it is merged into, after an optional word `into`.
        #[arg(value_name = "[into] TARGET", num_args = 1..=2, required = true, allow_hyphen_values = true)]
        into: Vec<String>,
    },
    /// Remove a ticket and everything only it has, for good (ShredTicket). Without --yes
    /// it only lists what would go.
    Shred {
        /// The ticket's number.
        id: i64,
        /// Do it, rather than list what would go.
        #[arg(long)]
        yes: bool,
    },
    /// Print the raw message a transaction was made from, byte for byte.
    Raw {
        /// The transaction's number (`tkt show` lists them as #N).
        transaction: i64,
    },
    /// Print an attachment's content.
    Attachment {
        /// The attachment's number (`tkt show` lists them).
        id: i64,
    },
    /// Messages whose processing failed.
    Quarantine {
        #[command(subcommand)]
        command: Option<QuarantineCommand>,
    },
    /// The rules in effect, and dry runs of a message against them.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Mail templates.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// Where a ticket stands against its queue's service level: due dates, time left,
    /// warnings and breaches.
    Sla {
        /// The ticket's number.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Who you are to ticketd.
    Whoami {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Admin(admin::AdminCommand),
}

/// `tkt quarantine ...`
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List held messages (--all: released ones too).
    List {
        /// Released messages too.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry.
    Show {
        /// The entry's number.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the message as it arrived.
    Raw {
        /// The entry's number.
        id: i64,
    },
    /// Process the message again (after raising a limit or upgrading).
    Retry {
        /// The entry's number.
        id: i64,
    },
}

/// `tkt search ...`
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SearchArgs {
    #[command(subcommand)]
    pub command: Option<SearchCommand>,
    /// TicketSQL, or words with queue:, status:, owner: (me), requestor:, #N.
    #[arg(default_value = "")]
    pub query: String,
    /// Show the TicketSQL and SQL the query compiles to instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// Full-text search of every message, ranked, with snippets.
    #[arg(long)]
    pub content: bool,
    /// Show this page of results (1-based), --per-page at a time.
    #[arg(long)]
    pub page: Option<u32>,
    /// Results per page with --page; with --content, how many hits.
    #[arg(long, default_value_t = 50)]
    pub per_page: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `tkt search save|run|saved|delete`
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Save a query under a name (yours only).
    Save {
        /// The name to run it by.
        name: String,
        /// The query, as for `tkt search`.
        query: String,
    },
    /// Run a saved query.
    Run {
        /// The name it was saved under.
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List your saved queries.
    Saved {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Forget a saved query.
    Delete {
        /// The name it was saved under.
        name: String,
    },
}

/// `tkt rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules in effect, in the order they run (--queue: those for one queue).
    List {
        /// Only the rules that run for this queue.
        #[arg(long)]
        queue: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a message (a file, or standard input) through ingest and the rules without
    /// keeping anything: which rules fire, what they would send, the ticket after.
    Test {
        /// The queue the message is delivered to.
        #[arg(long)]
        queue: String,
        /// correspond or comment, as mailgate's --action.
        #[arg(long, default_value = "correspond")]
        action: String,
        /// The envelope sender, as the MTA would pass it.
        #[arg(long)]
        sender: Option<String>,
        /// The message file; standard input when absent.
        file: Option<PathBuf>,
        /// Print every message in full.
        #[arg(long)]
        full: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `tkt template ...`
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Render a template for a ticket, as its latest message would be sent.
    Render {
        /// The template's name (`tkt rules list` shows which rules use which).
        name: String,
        /// The ticket's number.
        ticket: i64,
    },
}

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
    let client = match &args.url {
        Some(url) => Client::new(url, token, Duration::from_secs(args.timeout))?,
        None => {
            Client::new(&crate::client::default_url(), token, Duration::from_secs(args.timeout)).map_err(
                |e| match e {
                    ClientError::Usage(why) if std::env::var_os("TICKETD_URL").is_some() => {
                        ClientError::Usage(format!("TICKETD_URL: {why}"))
                    }
                    other => other,
                },
            )?
        }
    };
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
            let body = json!({ "queue": queue, "subject": subject, "requestors": requestors,
                               "owner": owner, "priority": priority, "content": content });
            let created: serde_json::Value = client.json(Method::POST, "/v1/tickets", Some(&body))?;
            print(format!("Ticket {} created.\n", created["id"]));
        }
        Command::Reply { id, message, time } | Command::Comment { id, message, time } => {
            let minutes = time
                .as_deref()
                .map(crate::ticket::parse_minutes)
                .transpose()
                .map_err(ClientError::Api)?
                .unwrap_or(0);
            let body = json!({ "content": message_text(message, false)?, "minutes": minutes });
            let kind = if is_reply { "correspond" } else { "comment" };
            let done: serde_json::Value =
                client.json(Method::POST, &format!("/v1/tickets/{id}/{kind}"), Some(&body))?;
            let what = if is_reply { "Reply" } else { "Comment" };
            print(format!(
                "{what} recorded on ticket {id} (transaction {}).\n",
                done["transaction"]
            ));
        }
        Command::Set { id, changes } => change(&client, id, &changes)?,
        Command::Take { id } => change(&client, id, &["take".into()])?,
        Command::Steal { id } => change(&client, id, &["steal".into()])?,
        Command::Untake { id } => change(&client, id, &["untake".into()])?,
        Command::Give { id, user } => change(&client, id, &[format!("owner={user}")])?,
        Command::Merge { ticket, into } => {
            let into = merge_target(&into)?;
            let _: serde_json::Value = client.json(
                Method::POST,
                &format!("/v1/tickets/{ticket}/merge"),
                Some(&json!({ "into": into })),
            )?;
            print(format!("Ticket {ticket} merged into {into}.\n"));
        }
        Command::Shred { id, yes } => {
            let counts: Vec<crate::store::ShredCount> = client.json(
                Method::POST,
                &format!("/v1/tickets/{id}/shred"),
                Some(&json!({ "apply": yes })),
            )?;
            print(render::shred(id, &counts, yes));
        }
        Command::Raw { transaction } => write_bytes(&client.bytes(&format!("/v1/transactions/{transaction}/raw"))?),
        Command::Attachment { id } => write_bytes(&client.bytes(&format!("/v1/attachments/{id}"))?),
        Command::Quarantine { command } => quarantine(&client, command)?,
        Command::Rules { command } => rules(&client, command)?,
        Command::Template {
            command: TemplateCommand::Render { name, ticket },
        } => {
            let path = format!("/v1/templates/{name}/render?ticket={ticket}");
            let rendered: crate::template::Rendered = client.json(Method::GET, &path, None)?;
            print(render::rendered_template(&rendered));
        }
        Command::Sla { id, json } => {
            let report = client.json(Method::GET, &format!("/v1/tickets/{id}/sla"), None)?;
            print_as(report, json, |r: crate::workflow::time::SlaReport| render::sla(&r))?;
        }
        Command::Whoami { json } => {
            print_as(
                client.json(Method::GET, "/v1/whoami", None)?,
                json,
                |u: crate::user::User| render::user(&u),
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
            let body = json!({ "name": name, "query": query });
            crate::client::check(client.send(
                Method::POST,
                "/v1/searches",
                Some(("application/json", body.to_string().into_bytes())),
            )?)?;
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
            let body = json!({ "name": name }).to_string().into_bytes();
            crate::client::check(client.send(
                Method::POST,
                "/v1/searches/delete",
                Some(("application/json", body)),
            )?)?;
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
    let body = json!({ "changes": changes });
    let done: serde_json::Value = client.json(Method::POST, &format!("/v1/tickets/{id}/changes"), Some(&body))?;
    let count = done["transactions"].as_array().map_or(0, Vec::len);
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
            write_bytes(&client.bytes(&format!("/v1/quarantine/{id}/raw"))?);
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
                |r: Vec<crate::rules::Rule>| render::rules(&r),
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
            let mut pairs = vec![("queue", queue.as_str()), ("action", action.as_str())];
            if let Some(sender) = &sender {
                pairs.push(("sender", sender));
            }
            let path = format!("/v1/rules/test?{}", query_string(&pairs));
            let answer = crate::client::check(client.send(Method::POST, &path, Some(("message/rfc822", raw)))?)?;
            let value: serde_json::Value =
                serde_json::from_slice(&answer.body).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))?;
            print_as(value, json, |t: crate::workflow::rule_tools::RuleTest| {
                render::rule_test(&t, full)
            })
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
        print(format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        ));
    } else {
        let decoded = serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))?;
        print(render(decoded));
    }
    Ok(())
}

fn print(text: String) {
    write_bytes(text.as_bytes());
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
    use clap::CommandFactory;

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
