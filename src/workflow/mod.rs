//! What happens when mail arrives or staff act: the store, the rules and mail together.
//!
//! Every function here runs inside one write transaction handed in by the caller, so a
//! ticket change, its history and the mail it causes commit together or not at all. Time
//! is passed in; nothing here touches sockets or threads.

mod access;
pub mod admin;
pub mod admission;
pub mod feeds;
mod fields;
mod ingest;
pub mod jobs;
pub mod lifecycle;
mod limits;
mod links;
mod merge;
mod notify;
pub mod operations;
pub mod quarantine;
pub mod rule_tools;
pub mod saved_searches;
pub mod sessions;
mod staff;
pub mod time;
pub mod view;

pub use access::{Access, On};
pub use ingest::{Delivery, ingest};
pub use merge::{merge, shred};
pub use notify::MAX_RULE_DEPTH;
pub use staff::{Message, NewFile, create, create_with_files, preview_recipients, reply, respond, update};

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::config::Config;
use crate::error::Result;
use crate::mail::SubjectTag;
use crate::rules::Rule;
use crate::template::Templates;
use crate::ticket::{CustomFieldDef, Lifecycle};

/// The parts of the configuration the workflow needs, prepared once.
#[derive(Debug)]
pub struct Settings {
    /// Where the web UI is (`<public_url><base_path>`), for links in mail; none without
    /// `[web]`.
    pub web_url: Option<String>,
    /// The system's tag (`mail.tag`): every queue's unless it has its own, and the name
    /// in our loop header.
    pub tag: SubjectTag,
    /// Compiled queue tags, by name (queues may get new tags while we run).
    queue_tags: Mutex<HashMap<String, SubjectTag>>,
    /// `mail.from`.
    pub from: String,
    /// Our own addresses, lowercased: never a recipient.
    pub own_addresses: Vec<String>,
    pub autoreply_limit_per_hour: u32,
    /// Mail about one ticket to one address per hour (`mail.notification_limit_per_hour`).
    pub notification_limit_per_hour: u32,
    /// The most of a message a notification quotes (`mail.max_quoted_bytes`).
    pub max_quoted_bytes: usize,
    /// How much of a message's files its notifications send along
    /// (`mail.max_attachment_bytes_per_notification`).
    pub max_attachment_bytes: u64,
    pub max_mime_parts: usize,
    pub undeclared_charset: Option<&'static encoding_rs::Encoding>,
    /// The language of mail to people who have chosen none (`mail.language`).
    pub mail_language: crate::i18n::Lang,
    pub rules: Vec<Rule>,
    /// Every lifecycle by name, `default` included.
    pub lifecycles: BTreeMap<String, Lifecycle>,
    pub custom_fields: Vec<CustomFieldDef>,
    /// Trusted authserv-ids for commands by mail; empty: none needed.
    pub command_authenticators: Vec<String>,
    pub templates: Templates,
    /// The queues' priorities, escalation, service levels and stalled-ticket policies.
    pub time: time::TimePolicies,
    /// The alert queues' compiled extraction rules, by lowercased queue name.
    alerts: HashMap<String, crate::alerts::Alerts>,
}

impl Settings {
    /// Prepares the settings from a loaded config; fails only where the config check would
    /// have (a template that does not compile).
    pub fn from_config(config: &Config) -> Result<Settings> {
        let rules = config.effective_rules();
        Ok(Settings {
            tag: SubjectTag::new(&config.mail.tag),
            queue_tags: Mutex::new(HashMap::new()),
            from: config.mail.from.clone(),
            own_addresses: config.own_addresses(),
            autoreply_limit_per_hour: config.mail.autoreply_limit_per_hour,
            notification_limit_per_hour: config.mail.notification_limit_per_hour,
            max_quoted_bytes: config.mail.max_quoted_bytes,
            web_url: config
                .web
                .as_ref()
                .map(|w| format!("{}{}", w.public_url.trim_end_matches('/'), w.base())),
            max_attachment_bytes: config.mail.max_attachment_bytes_per_notification,
            max_mime_parts: config.mail.max_mime_parts,
            // validated when the config was loaded
            undeclared_charset: config.undeclared_charset().unwrap_or_default(),
            mail_language: config.mail_language().unwrap_or(crate::i18n::Lang::En),
            rules,
            templates: config.templates()?,
            lifecycles: std::iter::once(Lifecycle::default_lifecycle())
                .chain(config.lifecycles.values().cloned())
                .map(|l| (l.name.clone(), l))
                .collect(),
            custom_fields: config.custom_fields.clone(),
            command_authenticators: config.mail.commands_need_authentication_by.clone(),
            time: time::TimePolicies::from_config(config)?,
            alerts: config
                .queues
                .iter()
                .filter_map(|q| q.alerts.as_ref().map(|a| (q, a)))
                .map(|(q, a)| {
                    crate::alerts::Alerts::new(a)
                        .map(|a| (q.name.to_lowercase(), a))
                        .map_err(crate::error::Error::Invalid)
                })
                .collect::<Result<_>>()?,
        })
    }

    /// The lifecycle of a queue's tickets (`default` when the queue names an unknown one,
    /// which the config check prevents).
    pub fn lifecycle(&self, queue: &crate::store::QueueRow) -> &Lifecycle {
        self.lifecycles
            .get(&queue.lifecycle)
            .unwrap_or_else(|| &self.lifecycles["default"])
    }

    /// The queue's alert reading, if it is an alert queue.
    pub fn alerts(&self, queue: &str) -> Option<&crate::alerts::Alerts> {
        self.alerts.get(&queue.to_lowercase())
    }

    /// Every lifecycle.
    pub fn all_lifecycles(&self) -> Vec<&Lifecycle> {
        self.lifecycles.values().collect()
    }

    /// The tag named `name`, compiled once.
    pub fn tag_named(&self, name: &str) -> SubjectTag {
        if name == self.tag.name() {
            return self.tag.clone();
        }
        let mut tags = self.queue_tags.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tags.entry(name.to_string())
            .or_insert_with(|| SubjectTag::new(name))
            .clone()
    }

    /// The tag of a queue: its own, or the system's.
    pub fn queue_tag(&self, queue: &crate::store::QueueRow) -> SubjectTag {
        queue
            .subject_tag
            .as_deref()
            .map_or_else(|| self.tag.clone(), |name| self.tag_named(name))
    }

    /// Parse options for inbound mail under these settings.
    pub fn parse_options<'a>(&'a self, envelope_sender: Option<&'a str>) -> crate::mail::ParseOptions<'a> {
        crate::mail::ParseOptions {
            max_mime_parts: self.max_mime_parts,
            tag: self.tag.name(),
            own_addresses: &self.own_addresses,
            envelope_sender,
            undeclared_charset: self.undeclared_charset,
        }
    }
}
