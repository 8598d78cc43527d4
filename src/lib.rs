//! ticketd: an email-driven ticketing system in the spirit of Request Tracker.
//!
//! # Layout
//!
//! The domain core knows nothing of sockets, SMTP or SQL; adapters around it do the I/O.
//!
//! | module | job |
//! | --- | --- |
//! | [`ticket`] | tickets, statuses and the lifecycle, roles, transactions, field changes |
//! | [`user`] | users and the built-in system users; address rules |
//! | [`queue`] | queues and their mail policy |
//! | [`rights`] | rights, grants, and deciding who holds a right where |
//! | [`rules`] | "when X happens, do Y": the default notifications and status rules |
//! | [`search`] | the TicketSQL-like query language, parsed to an AST |
//! | [`text`] | people's text made safe for a header line or a terminal |
//! | [`mail`] | parsing inbound mail, threading, loop detection, composing outbound mail |
//! | [`store`] | the only module with SQL: schema, migrations, every query |
//! | [`workflow`] | what happens when mail arrives or staff act: store + rules + mail together |
//! | [`outbox`] | delivering outgoing mail: transports, retries with backoff |
//! | [`server`] | the daemon: listeners, the HTTP API, the web UI and RT's REST2 on its listener, the single writer with group commit, shutdown |
//! | [`wire`] | the API's request and response types, shared by the server and its clients |
//! | [`client`] | the small client mailgate and tkt use to talk to the daemon |
//! | [`gate`] | mailgate: one message in, a sysexits code out |
//! | [`cli`] | tkt: the staff command line and its output |
//! | [`config`] | typed configuration and the embedded default |
//! | [`error`] | the one error type and its kinds |

pub mod alerts;
pub mod calendar;
pub mod cli;
pub mod client;
pub mod config;
pub mod error;
pub mod gate;
pub mod i18n;
pub mod mail;
pub mod outbox;
pub mod queue;
pub mod rights;
pub mod rules;
pub mod schedule;
pub mod search;
pub mod server;
pub mod sla;
pub mod store;
pub mod template;
pub mod text;
pub mod ticket;
pub mod user;
pub mod wire;
pub mod workflow;

pub use error::{Error, Result};
