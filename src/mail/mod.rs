//! Mail in and out: parsing, threading, loop detection and composing notifications.
//!
//! This is the one ingest path for every source of mail (mailgate today; IMAP or an API
//! upload later): whatever arrives becomes an [`Inbound`] here.

mod base64;
pub mod body;
mod charset;
pub mod commands;
pub mod compose;
pub mod loops;
pub mod parse;
mod repair;
mod sniff;
pub mod thread;
mod uuencode;

pub use loops::AutoReason;
pub use parse::{Inbound, ParseOptions, Part, Sender, parse};
pub use sniff::not_mail;
pub use thread::SubjectTag;
