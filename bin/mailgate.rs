//! mailgate: the MTA pipes each message here; it hands it to ticketd and exits with a
//! sysexits code (see `ticketd::gate`).

use std::io::Read;

use clap::Parser;
use ticketd::gate::{self, Args, exit};

fn main() {
    // a bug must not bounce mail: Postfix bounces any exit status it does not know (a
    // panic's 101), while 75 keeps the message queued for a retry
    std::panic::set_hook(Box::new(|info| {
        eprintln!("mailgate: internal error, the MTA will try again: {info}");
        std::process::exit(exit::TEMPFAIL);
    }));
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
