//! mailgate: hand one message from the MTA to ticketd and answer with a sysexits code.
//!
//! The code tells the MTA what to do (CONTRACT.md): 0 only once the message is stored;
//! 75 to retry later whenever there is any doubt; 67, 77, 65 and 64 to bounce, with one
//! line on stderr that the bounce carries back to the sender.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::client::{Client, ClientError, query_of};
use crate::error::Error;
use crate::wire::{IngestOutcome, IngestParams};

/// sysexits(3) codes mailgate exits with.
pub mod exit {
    pub const OK: i32 = 0;
    pub const USAGE: i32 = 64;
    pub const DATAERR: i32 = 65;
    pub const NOUSER: i32 = 67;
    pub const TEMPFAIL: i32 = 75;
    pub const NOPERM: i32 = 77;
}

/// mailgate's command line.
#[derive(Debug, Parser)]
#[command(
    name = "mailgate",
    version,
    about = "Hands one message from the MTA (on standard input) to ticketd.",
    after_help = "Exit status: 0 stored; 75 try again later; 67 no such queue; 77 not allowed; \
                  65 too large or not a mail message; 64 bad command line."
)]
pub struct Args {
    /// unix:/path/to/ticketd.sock or http://host:port [default: $TICKETD_URL, else the
    /// packaged socket unix:/run/ticketd/ticketd.sock; never a socket in the working directory]
    #[arg(long)]
    pub url: Option<String>,
    /// The queue to deliver to.
    #[arg(long)]
    pub queue: Option<String>,
    /// Whether the message is a reply to the requestor or a comment for staff.
    #[arg(long, default_value = "correspond", value_parser = ["correspond", "comment"])]
    pub action: String,
    /// Take the queue, the ticket number or the action from the address extension
    /// (`help+42@`), which Postfix passes in $EXTENSION.
    #[arg(long, value_enum)]
    pub extension: Option<Extension>,
    /// Give up (exit 75, the MTA retries) after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// A file holding the MTA's shared secret (ticketd's server.token_file), needed for an
    /// http:// URL; over the socket, it lets ticketd trust the message's
    /// Authentication-Results, which commands by mail need [default: the secret itself,
    /// from $TICKETD_TOKEN].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// What the address extension carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Extension {
    Queue,
    Ticket,
    Action,
}

/// What to tell the MTA: an exit code and, for anything but success, one line.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    pub code: i32,
    pub message: Option<String>,
}

impl Verdict {
    fn fail(code: i32, message: impl Into<String>) -> Verdict {
        Verdict {
            code,
            message: Some(message.into()),
        }
    }
}

/// Delivers `message`; `extension` is $EXTENSION, `envelope_sender` is $SENDER.
pub fn deliver(args: &Args, message: Vec<u8>, extension: Option<&str>, envelope_sender: Option<&str>) -> Verdict {
    let mut queue = args.queue.clone();
    let mut action = args.action.clone();
    let mut ticket = None;
    if let (Some(kind), Some(ext)) = (args.extension, extension.filter(|e| !e.is_empty())) {
        match kind {
            Extension::Queue => queue = Some(ext.to_string()),
            Extension::Action if matches!(ext, "correspond" | "comment") => action = ext.to_string(),
            Extension::Action => {
                return Verdict::fail(exit::USAGE, format!("extension `{ext}` is not correspond or comment"));
            }
            // a number that is not a ticket is not worth a bounce: threading ignores it
            Extension::Ticket => ticket = ext.parse::<i64>().ok(),
        }
    }
    let Some(queue) = queue else {
        return Verdict::fail(exit::USAGE, "no queue: give --queue NAME (or --extension queue)");
    };
    let token = match read_token(args) {
        Ok(token) => token,
        Err(e) => return Verdict::fail(exit::TEMPFAIL, e),
    };
    let url = args.url.clone().unwrap_or_else(crate::client::default_url);
    let client = match Client::new(&url, token, Duration::from_secs(args.timeout)) {
        Ok(client) => client,
        Err(e) => return Verdict::fail(exit::USAGE, e.to_string()),
    };
    let params = IngestParams {
        queue,
        action: Some(action),
        ticket,
        sender: envelope_sender.map(str::to_string),
    };
    let path = format!("/v1/ingest?{}", query_of(&params));
    let answer = client.send(hyper::Method::POST, &path, Some(("message/rfc822", message)));
    match answer.and_then(crate::client::check) {
        Ok(answer) => match serde_json::from_slice::<IngestOutcome>(&answer.body) {
            Ok(_) => Verdict {
                code: exit::OK,
                message: None,
            },
            Err(e) => Verdict::fail(exit::TEMPFAIL, format!("unexpected answer from ticketd: {e}")),
        },
        Err(ClientError::Api(e)) => {
            let code = match &e {
                Error::NotFound(_) => exit::NOUSER,
                Error::Denied(_) => exit::NOPERM,
                Error::TooLarge(_) | Error::NotMail(_) => exit::DATAERR,
                Error::Invalid(_) => exit::USAGE,
                _ => exit::TEMPFAIL,
            };
            Verdict::fail(code, e.to_string())
        }
        Err(e) => Verdict::fail(exit::TEMPFAIL, format!("{e}; the MTA will try again")),
    }
}

fn read_token(args: &Args) -> Result<Option<String>, String> {
    if let Some(file) = &args.token_file {
        let token = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        return Ok(Some(token.trim().to_string()));
    }
    Ok(std::env::var("TICKETD_TOKEN").ok().filter(|t| !t.is_empty()))
}
