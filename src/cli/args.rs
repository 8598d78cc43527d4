//! tkt's command line as clap reads it: every command, argument and option, each with
//! the help line `--help` shows.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::admin;

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
    /// Send the change with this key instead of a new one: to try a change again whose
    /// answer was lost (tkt prints the key then) without making it twice.
    #[arg(long, global = true, value_name = "KEY")]
    pub idempotency_key: Option<String>,
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
