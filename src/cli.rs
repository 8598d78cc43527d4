//! tkt: the staff and admin command line. It talks to ticketd's API, never to the
//! database file.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use hyper::Method;
use serde_json::json;

use crate::client::{Client, ClientError, query_string};
use crate::error::Error;
use crate::store::QuarantineEntry;
use crate::ticket::{Ticket, Transaction, TransactionKind};
use crate::workflow::IngestOutcome;

/// tkt's command line.
#[derive(Debug, Parser)]
#[command(name = "tkt", version, about = "Work with ticketd's tickets from the shell.")]
pub struct Args {
    /// unix:/path/to/ticketd.sock or http://host:port [default: $TICKETD_URL, else ./var/ticketd.sock
    /// when it exists, else the packaged socket]
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// File with the token for a TCP URL [default: $TICKETD_TOKEN].
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
    /// Find tickets: `tkt search "Queue = 'general' AND Status = '__Active__'"`.
    Search {
        #[arg(default_value = "")]
        query: String,
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
        #[arg(long, default_value_t = 0)]
        priority: i64,
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
    /// Print the raw message a transaction was made from, byte for byte.
    Raw { transaction: i64 },
    /// Print an attachment's content.
    Attachment { id: i64 },
    /// Messages whose processing failed.
    Quarantine {
        #[command(subcommand)]
        command: Option<QuarantineCommand>,
    },
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
    let url = args.url.clone().unwrap_or_else(crate::client::default_url);
    let client = Client::new(&url, token, Duration::from_secs(args.timeout))?;
    let mut out = std::io::stdout().lock();
    let print = |out: &mut dyn Write, text: String| {
        let _ = out.write_all(text.as_bytes());
    };
    let is_reply = matches!(args.command, Command::Reply { .. });
    match args.command {
        Command::Show { id, json } => {
            let ticket: serde_json::Value = client.json(Method::GET, &format!("/v1/tickets/{id}"), None)?;
            if json {
                print(&mut out, pretty(&ticket));
            } else {
                let ticket: Ticket = decode(ticket)?;
                print(&mut out, render_ticket(&ticket));
            }
        }
        Command::Search { query, json } => {
            let path = format!("/v1/search?{}", query_string(&[("q", &query)]));
            let tickets: serde_json::Value = client.json(Method::GET, &path, None)?;
            if json {
                print(&mut out, pretty(&tickets));
            } else {
                let tickets: Vec<Ticket> = decode(tickets)?;
                print(&mut out, render_list(&tickets));
            }
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
            print(&mut out, format!("Ticket {} created.\n", created["id"]));
        }
        Command::Reply { id, message, time } | Command::Comment { id, message, time } => {
            let minutes = time.as_deref().map(parse_minutes).transpose()?.unwrap_or(0);
            let body = json!({ "content": message_text(message, false)?, "minutes": minutes });
            let kind = if is_reply { "correspond" } else { "comment" };
            let done: serde_json::Value =
                client.json(Method::POST, &format!("/v1/tickets/{id}/{kind}"), Some(&body))?;
            let what = if is_reply { "Reply" } else { "Comment" };
            print(
                &mut out,
                format!(
                    "{what} recorded on ticket {id} (transaction {}).\n",
                    done["transaction"]
                ),
            );
        }
        Command::Set { id, changes } => {
            let body = json!({ "changes": changes });
            let done: serde_json::Value =
                client.json(Method::POST, &format!("/v1/tickets/{id}/changes"), Some(&body))?;
            let count = done["transactions"].as_array().map_or(0, Vec::len);
            print(&mut out, format!("Ticket {id}: {count} change(s) recorded.\n"));
        }
        Command::Raw { transaction } => {
            let _ = out.write_all(&client.bytes(&format!("/v1/transactions/{transaction}/raw"))?);
        }
        Command::Attachment { id } => {
            let _ = out.write_all(&client.bytes(&format!("/v1/attachments/{id}"))?);
        }
        Command::Quarantine { command } => match command.unwrap_or(QuarantineCommand::List {
            all: false,
            json: false,
        }) {
            QuarantineCommand::List { all, json } => {
                let path = format!("/v1/quarantine?all={all}");
                let entries: serde_json::Value = client.json(Method::GET, &path, None)?;
                if json {
                    print(&mut out, pretty(&entries));
                } else {
                    let entries: Vec<QuarantineEntry> = decode(entries)?;
                    if entries.is_empty() {
                        print(&mut out, "The quarantine is empty.\n".into());
                    }
                    for e in entries {
                        print(
                            &mut out,
                            format!("{:>5}  {}  {}  {}\n", e.id, e.received.to_rfc3339(), e.status, e.error),
                        );
                    }
                }
            }
            QuarantineCommand::Show { id, json } => {
                let entry: serde_json::Value = client.json(Method::GET, &format!("/v1/quarantine/{id}"), None)?;
                if json {
                    print(&mut out, pretty(&entry));
                } else {
                    let e: QuarantineEntry = decode(entry)?;
                    print(
                        &mut out,
                        format!(
                            "Quarantine entry {}\nReceived: {}\nStatus: {}\nAttempts: {}\nTicket: {}\n\
                             Delivery: {}\nSize: {} bytes\nError: {}\n\n{}\n",
                            e.id,
                            e.received.to_rfc3339(),
                            e.status,
                            e.attempts,
                            e.ticket.map_or("-".into(), |t| t.to_string()),
                            e.delivery,
                            e.size,
                            e.error,
                            e.summary
                        ),
                    );
                }
            }
            QuarantineCommand::Raw { id } => {
                let _ = out.write_all(&client.bytes(&format!("/v1/quarantine/{id}/raw"))?);
            }
            QuarantineCommand::Retry { id } => {
                let outcome: IngestOutcome = client.json(Method::POST, &format!("/v1/quarantine/{id}/retry"), None)?;
                let ticket = outcome.ticket.map_or("-".into(), |t| t.to_string());
                print(&mut out, format!("Quarantine entry {id} processed: ticket {ticket}.\n"));
            }
        },
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ClientError> {
    serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("bad JSON: {e}")))
}

fn pretty(value: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default())
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

/// Minutes from `15m`, `2h`, `1h30m` or a plain number of minutes.
pub fn parse_minutes(text: &str) -> Result<i64, ClientError> {
    let bad = || {
        ClientError::Api(Error::Invalid(format!(
            "`{text}` is not a time; write 15m, 2h, 1h30m or minutes"
        )))
    };
    let text = text.trim().to_ascii_lowercase();
    if let Ok(minutes) = text.parse::<i64>() {
        return if minutes >= 0 { Ok(minutes) } else { Err(bad()) };
    }
    let (hours, rest) = match text.split_once('h') {
        Some((h, rest)) => (h.parse::<i64>().map_err(|_| bad())?, rest),
        None => (0, text.as_str()),
    };
    let minutes = match rest.strip_suffix('m') {
        Some(m) => m.parse::<i64>().map_err(|_| bad())?,
        None if rest.is_empty() => 0,
        None => return Err(bad()),
    };
    Ok(hours * 60 + minutes)
}

/// A ticket as RT's CLI shows it.
pub fn render_ticket(t: &Ticket) -> String {
    let mut s = format!(
        "Ticket #{}: {}\nQueue: {}  Status: {}  Owner: {}  Priority: {}\n\
         Requestors: {}\nCc: {}\nAdminCc: {}\nCreated: {}  Updated: {}\nTime worked: {} min\n",
        t.id,
        t.subject,
        t.queue,
        t.status,
        t.owner,
        t.priority,
        t.requestors.join(", "),
        t.cc.join(", "),
        t.admincc.join(", "),
        t.created.to_rfc3339(),
        t.updated.to_rfc3339(),
        t.time_worked,
    );
    for x in t.transactions.iter().flatten() {
        s.push_str(&render_transaction(x));
    }
    s
}

fn render_transaction(x: &Transaction) -> String {
    let what = match (&x.field, &x.old_value, &x.new_value) {
        (Some(field), old, new) if matches!(x.kind, TransactionKind::Set | TransactionKind::Status) => format!(
            "{field}: {} -> {}",
            old.as_deref().unwrap_or("(none)"),
            new.as_deref().unwrap_or("(none)")
        ),
        (Some(field), old, new) => {
            format!(
                "{} {field} {}",
                x.kind,
                new.as_deref().or(old.as_deref()).unwrap_or_default()
            )
        }
        _ => x.kind.to_string(),
    };
    let mut s = format!(
        "\n--- #{} {what} by {} at {}\n",
        x.id,
        x.creator,
        x.created.to_rfc3339()
    );
    if !x.content.is_empty() {
        s.push_str(x.content.trim_end());
        s.push('\n');
    }
    for a in &x.attachments {
        let name = a.filename.as_deref().map(|f| format!(" {f}")).unwrap_or_default();
        s.push_str(&format!(
            "  [attachment {}:{name} {} {} bytes]\n",
            a.id, a.content_type, a.size
        ));
    }
    s
}

/// Search results, one line each.
pub fn render_list(tickets: &[Ticket]) -> String {
    let mut s = String::new();
    for t in tickets {
        s.push_str(&format!(
            "{:>6}  {:<9} {:<12} {:<24} {}\n",
            t.id, t.status, t.queue, t.owner, t.subject
        ));
    }
    if tickets.is_empty() {
        s.push_str("No matching tickets.\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_parse() {
        assert_eq!(parse_minutes("15m").unwrap(), 15);
        assert_eq!(parse_minutes("2h").unwrap(), 120);
        assert_eq!(parse_minutes("1h30m").unwrap(), 90);
        assert_eq!(parse_minutes("45").unwrap(), 45);
        assert!(parse_minutes("soon").is_err());
        assert!(parse_minutes("-5").is_err());
    }
}
