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
#[command(name = "tkt", version, about = "Work with ticketd's tickets from the shell.")]
pub struct Args {
    /// unix:/path/to/ticketd.sock or http://host:port [default: $TICKETD_URL, else ./var/ticketd.sock
    /// when it exists, else the packaged socket]
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// File with your API token [default: $TICKETD_TOKEN; none: local root over the socket].
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for an answer.
    #[arg(long, global = true, default_value_t = 60)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

/// What tkt can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a ticket and its whole history.
    Show {
        id: i64,
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
        #[arg(default_value = "")]
        query: String,
        #[arg(long = "by", required = true)]
        by: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Create a ticket; the text comes from --message or standard input.
    Create {
        #[arg(long)]
        queue: String,
        #[arg(long)]
        subject: String,
        #[arg(long = "requestor")]
        requestors: Vec<String>,
        #[arg(long)]
        owner: Option<String>,
        /// Default: the queue's initial priority.
        #[arg(long)]
        priority: Option<i64>,
        #[arg(long, short)]
        message: Option<String>,
    },
    /// Reply to the requestors; the text comes from --message or standard input.
    Reply {
        id: i64,
        #[arg(long, short)]
        message: Option<String>,
        /// Time worked: 15m, 2h, 1h30m, or minutes.
        #[arg(long)]
        time: Option<String>,
    },
    /// Comment for staff only; the text comes from --message or standard input.
    Comment {
        id: i64,
        #[arg(long, short)]
        message: Option<String>,
        /// Time worked: 15m, 2h, 1h30m, or minutes.
        #[arg(long)]
        time: Option<String>,
    },
    /// Change fields: status=resolved owner=alice priority=80 subject=... queue=...
    /// Requestor+=a@b Cc-=c@d AdminCc+=e@f
    Set {
        id: i64,
        #[arg(required = true)]
        changes: Vec<String>,
    },
    /// Become the owner of an unowned ticket.
    Take { id: i64 },
    /// Become the owner of a ticket someone else owns (StealTicket).
    Steal { id: i64 },
    /// Give your ticket back to Nobody.
    Untake { id: i64 },
    /// Give a ticket to someone (they need OwnTicket).
    Give { id: i64, user: String },
    /// Merge a ticket into another: `tkt merge 12 into 9`.
    Merge {
        ticket: i64,
        #[arg(value_parser = ["into", "INTO"], hide_possible_values = true)]
        into_word: String,
        into: i64,
    },
    /// Remove a ticket and everything only it has, for good (ShredTicket). Without --yes
    /// it only lists what would go.
    Shred {
        id: i64,
        #[arg(long)]
        yes: bool,
    },
    /// Print the raw message a transaction was made from, byte for byte.
    Raw { transaction: i64 },
    /// Print an attachment's content.
    Attachment { id: i64 },
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
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Who you are to ticketd.
    Whoami {
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
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one entry.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Print the message as it arrived.
    Raw { id: i64 },
    /// Process the message again (after raising a limit or upgrading).
    Retry { id: i64 },
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
    #[arg(long, default_value_t = 50)]
    pub per_page: u32,
    #[arg(long)]
    pub json: bool,
}

/// `tkt search save|run|saved|delete`
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Save a query under a name (yours only).
    Save { name: String, query: String },
    /// Run a saved query.
    Run {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List your saved queries.
    Saved {
        #[arg(long)]
        json: bool,
    },
    /// Forget a saved query.
    Delete { name: String },
}

/// `tkt rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules in effect, in the order they run (--queue: those for one queue).
    List {
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a message (a file, or standard input) through ingest and the rules without
    /// keeping anything: which rules fire, what they would send, the ticket after.
    Test {
        #[arg(long)]
        queue: String,
        /// correspond or comment
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
        #[arg(long)]
        json: bool,
    },
}

/// `tkt template ...`
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Render a template for a ticket, as its latest message would be sent.
    Render { name: String, ticket: i64 },
}

/// Runs a command and prints its result. Errors are for one line on stderr.
pub fn run(args: Args) -> Result<(), ClientError> {
    let token = match &args.token_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| ClientError::Api(Error::Invalid(format!("cannot read {}: {e}", file.display()))))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("TICKETD_TOKEN").ok().filter(|t| !t.is_empty()),
    };
    let url = args.url.clone().unwrap_or_else(crate::client::default_staff_url);
    let client = Client::new(&url, token, Duration::from_secs(args.timeout))?;
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
        Command::Merge { ticket, into, .. } => {
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
                .ok_or_else(|| ClientError::Api(Error::NotFound(format!("you have no saved search `{name}`"))))?;
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
                    .map_err(|e| ClientError::Api(Error::Invalid(format!("cannot read {}: {e}", path.display()))))?,
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
        return Err(ClientError::Api(Error::Invalid(
            "give the text with --message or on standard input".into(),
        )));
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| ClientError::Api(Error::Invalid(format!("cannot read standard input: {e}"))))?;
    Ok(text)
}
