//! tkt: the staff and admin command line (see `ticketd::cli`).

use clap::Parser;
use ticketd::client::ClientError;

/// A mistake on the command line (sysexits' EX_USAGE), as mailgate exits for one.
const USAGE: i32 = 64;

fn main() {
    let args = match ticketd::cli::Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => {
            let _ = e.print();
            std::process::exit(USAGE);
        }
    };
    if let Err(e) = ticketd::cli::run(args) {
        // the message may quote what someone wrote (a subject, a name)
        eprintln!("tkt: {}", ticketd::text::for_terminal(&e.to_string()));
        std::process::exit(match e {
            ClientError::Usage(_) => USAGE,
            _ => 1,
        });
    }
}
