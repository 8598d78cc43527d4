//! The integration tests: the real binaries on temp dirs and sockets.

mod alerts;
mod backup;
mod commands;
mod control_characters;
mod corpus;
mod delivery;
mod golden;
mod harness;
mod ingest;
mod lifecycle;
mod loops;
mod mail_properties;
mod model;
mod notify;
mod outbound;
mod postfix;
mod realworld;
mod rights;
mod rules;
mod schedule;
mod search;
mod shipped_config;
mod staff;
mod threading;
mod words;
