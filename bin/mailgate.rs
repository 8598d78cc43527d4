//! mailgate: the MTA pipes each message here; it hands it to ticketd and exits with a
//! sysexits code (see `ticketd::gate`).

use std::io::Read;

use clap::Parser;
use ticketd::gate::{self, Args, exit};

fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            std::process::exit(exit::OK);
        }
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or_default().to_string();
            eprintln!("mailgate: {}", first.trim_start_matches("error: "));
            std::process::exit(exit::USAGE);
        }
    };
    let mut message = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut message) {
        eprintln!("mailgate: cannot read the message from standard input: {e}");
        std::process::exit(exit::TEMPFAIL);
    }
    let extension = std::env::var("EXTENSION").ok();
    let sender = std::env::var("SENDER").ok();
    let verdict = gate::deliver(&args, message, extension.as_deref(), sender.as_deref());
    if let Some(line) = verdict.message {
        eprintln!("mailgate: {line}");
    }
    std::process::exit(verdict.code);
}
