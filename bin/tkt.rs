//! tkt: the staff and admin command line (see `ticketd::cli`).

use clap::Parser;

fn main() {
    let args = ticketd::cli::Args::parse();
    if let Err(e) = ticketd::cli::run(args) {
        eprintln!("tkt: {e}");
        std::process::exit(1);
    }
}
