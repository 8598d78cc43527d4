//! Rules: "when this happens on a ticket, do that" (RT's scrips), declared in the config.
//!
//! A rule is a condition (`on`), an optional filter (`when`), and actions, for every queue
//! or some. Rules are data, never code: the engine that runs them (in `workflow`) asks
//! [`Rule::matches`] and carries out the [`RuleAction`]s. The defaults of CONTRACT.md are
//! [`DEFAULT_RULES`], the same text docs/examples/ticketd-showcase.toml shows.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::ticket::{Role, Status, TransactionKind};

mod check;
pub use check::{Defined, validate};

/// The rules ticketd runs unless the config says otherwise: CONTRACT.md's notifications and
/// RT's status scrips. docs/examples/ticketd-showcase.toml carries the same (a test keeps
/// them equal).
///
/// Who is told, as RT's shipped scrips do (the person who acted never gets a copy): a new
/// ticket is answered to its requestors and told to the AdminCcs; a reply goes to the
/// requestors and Ccs, and to the owner and AdminCcs, so a requestor's reply reaches the
/// staff and a staff member's reaches the requestors with a copy for the staff; a comment
/// goes to the owner and AdminCcs only.
pub const DEFAULT_RULES: &str = r#"
[[rules]]
name = "autoreply"
on = "create"
actions = [{ action = "autoreply", template = "autoreply" }]

[[rules]]
name = "notify-admincc-on-create"
on = "create"
actions = [{ action = "notify", to = ["AdminCc"], template = "new_ticket" }]

[[rules]]
name = "reopen-on-requestor-reply"
on = "correspond"
when = { actor = "requestor", status = ["resolved", "stalled"] }
actions = [{ action = "set_status", status = "open" }]

[[rules]]
name = "open-on-staff-reply"
on = "correspond"
when = { actor = "staff", status = ["new"] }
actions = [{ action = "set_status", status = "open" }]

[[rules]]
name = "notify-requestors-and-cc"
on = "correspond"
actions = [{ action = "notify", to = ["Requestor", "Cc"], template = "correspondence" }]

[[rules]]
name = "notify-owner-and-admincc"
on = "correspond"
actions = [{ action = "notify", to = ["Owner", "AdminCc"], template = "admin_correspondence" }]

[[rules]]
name = "notify-admincc-and-owner-of-comment"
on = "comment"
actions = [{ action = "notify", to = ["AdminCc", "Owner"], as_comment = true, template = "admin_comment" }]

[[rules]]
name = "notify-new-owner"
on = "owner_change"
actions = [{ action = "notify", to = ["Owner"], template = "owner_changed" }]

[[rules]]
name = "notify-requestors-on-resolve"
on = "resolve"
actions = [{ action = "notify", to = ["Requestor"], template = "resolved" }]

[[rules]]
name = "notify-sla-warning"
on = "sla_warning"
actions = [{ action = "notify", to = ["Owner", "AdminCc"], as_comment = true, template = "sla_warning" }]

[[rules]]
name = "notify-sla-breach"
on = "sla_breach"
actions = [{ action = "notify", to = ["Owner", "AdminCc"], as_comment = true, template = "sla_breach" }]
"#;

/// The built-in rules, parsed.
pub fn default_rules() -> Vec<Rule> {
    #[derive(Deserialize)]
    struct File {
        rules: Vec<Rule>,
    }
    toml::from_str::<File>(DEFAULT_RULES)
        .expect("the built-in rules parse")
        .rules
}

/// A field change, as rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `Owner`, `Priority`, `Queue`, `CF.Severity`, ...
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What happened, and the facts filters look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: TransactionKind,
    pub status_change: Option<(Status, Status)>,
    pub change: Option<FieldChange>,
    /// Whether the person who acted is staff.
    pub actor_privileged: bool,
    /// Whether the person who acted is a requestor of the ticket.
    pub actor_is_requestor: bool,
    /// The actor's address (or login name).
    pub sender: String,
    /// The ticket's queue.
    pub queue: String,
    /// The ticket's status when the rules run.
    pub status: Status,
    pub subject: String,
    /// The transaction's text.
    pub content: String,
    /// The ticket's fields by lowercase name: status, owner, queue, priority, subject.
    pub fields: BTreeMap<String, String>,
    /// Custom field values by lowercase name (filled only when a rule filters on them).
    pub custom_fields: BTreeMap<String, Vec<String>>,
}

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Create,
    Correspond,
    Comment,
    /// A status change; `from` and `to` narrow it.
    StatusChange,
    /// A status change to `resolved`.
    Resolve,
    OwnerChange,
    /// A priority change; `reaches` makes it fire only when priority climbs to or past a
    /// threshold.
    PriorityChange,
    QueueChange,
    CustomFieldChange,
    /// The scheduler warns that a service level's due date is near.
    SlaWarning,
    /// The scheduler reports that a service level's due date has passed.
    SlaBreach,
    /// Any transaction at all.
    Any,
}

/// Whose action a rule answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    #[default]
    Anyone,
    /// Privileged users.
    Staff,
    /// Unprivileged users.
    Customer,
    /// A requestor of the ticket.
    Requestor,
}

/// A regular expression from the config, compiled when it is loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern(Regex);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Regex::new(&s)
            .map(Pattern)
            .map_err(|e| format!("bad regular expression `{s}`: {e}"))
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.0.as_str().to_string()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Pattern {}

/// What must also hold for a rule to fire. Every part given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filter {
    pub actor: Actor,
    /// The ticket has one of these statuses; empty means any.
    pub status: Vec<Status>,
    pub subject: Option<Pattern>,
    pub body: Option<Pattern>,
    /// The actor's address.
    pub sender: Option<Pattern>,
    /// Ticket fields (Status, Owner, Queue, Priority, Subject) against patterns.
    pub ticket: BTreeMap<String, Pattern>,
    /// Custom fields against patterns (a field with several values matches if one does).
    pub custom_fields: BTreeMap<String, Pattern>,
}

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Recipient {
    /// A ticket role; Cc and AdminCc include the queue's watchers.
    Role(Role),
    /// The members of a group (`group:NAME`).
    Group(String),
    /// A fixed address.
    Address(String),
}

impl TryFrom<String> for Recipient {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if let Some(group) = s.strip_prefix("group:") {
            return Ok(Recipient::Group(group.trim().to_string()));
        }
        if s.contains('@') {
            return Ok(Recipient::Address(s.trim().to_string()));
        }
        s.parse::<Role>()
            .map(Recipient::Role)
            .map_err(|_| format!("`{s}` is not a recipient: use a role, group:NAME or an address"))
    }
}

impl From<Recipient> for String {
    fn from(r: Recipient) -> String {
        r.to_string()
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Role(role) => f.write_str(role.as_str()),
            Recipient::Group(group) => write!(f, "group:{group}"),
            Recipient::Address(address) => f.write_str(address),
        }
    }
}

/// The owner a `set_owner` action gives the ticket.
pub const ACTOR: &str = "actor";

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// Answer the requestors of a new ticket; loop protection and the hourly limit apply.
    Autoreply {
        #[serde(default = "autoreply_template")]
        template: String,
    },
    /// Mail the recipients (minus the actor); as a comment, with the comment address as
    /// Reply-To.
    Notify {
        to: Vec<Recipient>,
        #[serde(default)]
        as_comment: bool,
        template: String,
    },
    /// A short message to pager or SMS gateway addresses.
    Page {
        to: Vec<String>,
        #[serde(default = "page_template")]
        template: String,
    },
    /// Give the ticket to a user; `actor` is whoever acted, if they are staff.
    SetOwner {
        owner: String,
    },
    SetStatus {
        status: Status,
    },
    SetPriority {
        priority: i64,
    },
    SetCustomField {
        field: String,
        value: String,
    },
    MoveQueue {
        queue: String,
    },
    /// Add a user (by address) or a group as a watcher.
    AddWatcher {
        role: Role,
        address: String,
    },
    /// POST the ticket, transaction, queue, actor and message as JSON to a URL. Calls go
    /// through the outbox like mail: written in the same transaction, retried with
    /// backoff, and a permanent failure is written on the ticket.
    Webhook {
        url: String,
        #[serde(default = "webhook_timeout")]
        timeout_secs: u64,
    },
}

fn webhook_timeout() -> u64 {
    10
}

fn autoreply_template() -> String {
    "autoreply".into()
}

fn page_template() -> String {
    "page".into()
}

impl RuleAction {
    /// The template the action sends mail with, if it sends any.
    pub fn template(&self) -> Option<&str> {
        match self {
            RuleAction::Autoreply { template }
            | RuleAction::Notify { template, .. }
            | RuleAction::Page { template, .. } => Some(template),
            _ => None,
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in logs and tags the outgoing mail it makes (`outbox.kind`).
    pub name: String,
    pub on: Condition,
    /// For `status_change`: the old status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
    /// For `status_change`: the new status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Status>,
    /// For `priority_change`: fire only when priority climbs from below this to it or
    /// above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaches: Option<i64>,
    /// Queues the rule is for; empty means every queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub when: Filter,
    pub actions: Vec<RuleAction>,
}

fn is_false(b: &bool) -> bool {
    !b
}

fn is_default(f: &Filter) -> bool {
    *f == Filter::default()
}

impl Rule {
    /// Whether the rule is for tickets in this queue.
    pub fn applies_to(&self, queue: &str) -> bool {
        !self.disabled && self.is_for(queue)
    }

    /// Whether the rule names the queue (or names none), enabled or not.
    pub fn is_for(&self, queue: &str) -> bool {
        self.queues.is_empty() || self.queues.iter().any(|q| q.eq_ignore_ascii_case(queue))
    }

    /// Whether the rule fires for this event.
    pub fn matches(&self, event: &Event) -> bool {
        self.applies_to(&event.queue) && self.condition_holds(event) && self.filter_holds(event)
    }

    /// Whether the rule filters on custom fields (which cost a lookup to provide).
    pub fn needs_custom_fields(&self) -> bool {
        !self.when.custom_fields.is_empty()
    }

    fn condition_holds(&self, event: &Event) -> bool {
        let field_is = |name: &str| {
            event
                .change
                .as_ref()
                .is_some_and(|c| c.field.eq_ignore_ascii_case(name))
        };
        match self.on {
            Condition::Create => event.kind == TransactionKind::Create,
            Condition::Correspond => event.kind == TransactionKind::Correspond,
            Condition::Comment => event.kind == TransactionKind::Comment,
            Condition::StatusChange => event.status_change.as_ref().is_some_and(|(old, new)| {
                self.from.as_ref().is_none_or(|from| from == old) && self.to.as_ref().is_none_or(|to| to == new)
            }),
            Condition::Resolve => event
                .status_change
                .as_ref()
                .is_some_and(|(_, new)| new.is(Status::RESOLVED)),
            Condition::OwnerChange => field_is("Owner"),
            Condition::QueueChange => field_is("Queue"),
            Condition::CustomFieldChange => event
                .change
                .as_ref()
                .is_some_and(|c| c.field.to_ascii_lowercase().starts_with("cf.")),
            Condition::PriorityChange => {
                field_is("Priority")
                    && self.reaches.is_none_or(|threshold| {
                        let change = event.change.as_ref().expect("a priority change");
                        let number = |v: &str| v.parse::<i64>().unwrap_or_default();
                        number(&change.old) < threshold && number(&change.new) >= threshold
                    })
            }
            Condition::SlaWarning => event.kind == TransactionKind::Sla && field_is("Warning"),
            Condition::SlaBreach => event.kind == TransactionKind::Sla && field_is("Breach"),
            Condition::Any => true,
        }
    }

    fn filter_holds(&self, event: &Event) -> bool {
        let f = &self.when;
        let actor = match f.actor {
            Actor::Anyone => true,
            Actor::Staff => event.actor_privileged,
            Actor::Customer => !event.actor_privileged,
            Actor::Requestor => event.actor_is_requestor,
        };
        let found = |p: &Option<Pattern>, text: &str| p.as_ref().is_none_or(|p| p.0.is_match(text));
        actor
            && (f.status.is_empty() || f.status.contains(&event.status))
            && found(&f.subject, &event.subject)
            && found(&f.body, &event.content)
            && found(&f.sender, &event.sender)
            && f.ticket.iter().all(|(name, p)| {
                let value = event.fields.get(&name.to_ascii_lowercase()).map_or("", String::as_str);
                p.0.is_match(value)
            })
            && f.custom_fields.iter().all(|(name, p)| {
                let values = event.custom_fields.get(&name.to_ascii_lowercase());
                match values {
                    Some(values) if !values.is_empty() => values.iter().any(|v| p.0.is_match(v)),
                    _ => p.0.is_match(""),
                }
            })
    }
}

/// The ticket fields a `when.ticket` filter tests: the engine fills [`Event::fields`] with
/// these, by lowercase name.
pub const TICKET_FIELDS: [&str; 5] = ["Status", "Owner", "Queue", "Priority", "Subject"];

/// Built-in rules that were renamed, as (old name, new name): a config rule under the old
/// name still replaces the built-in one (so one that turned it off keeps it off).
pub const RENAMED_RULES: &[(&str, &str)] = &[
    // it tells the owner too since 0.1 (as RT's "On Correspond Notify Owner and AdminCcs")
    ("notify-admincc", "notify-owner-and-admincc"),
];

/// Merges the config's rules into the built-in ones: a rule named like a built-in one (or
/// as it was once called, [`RENAMED_RULES`]) replaces it where it stands (so
/// `disabled = true` turns it off); other rules follow, in the config's order. With
/// `keep_defaults` false the config's rules are all there is.
pub fn effective_rules(configured: &[Rule], keep_defaults: bool) -> Vec<Rule> {
    let mut rules = if keep_defaults { default_rules() } else { Vec::new() };
    for rule in configured {
        let renamed = RENAMED_RULES
            .iter()
            .find(|(old, _)| old.eq_ignore_ascii_case(&rule.name))
            .map(|(_, new)| *new);
        let replaces = |r: &Rule| r.name.eq_ignore_ascii_case(&rule.name) || renamed.is_some_and(|new| r.name == new);
        match rules.iter_mut().find(|r| replaces(r)) {
            Some(slot) => *slot = rule.clone(),
            None => rules.push(rule.clone()),
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: TransactionKind) -> Event {
        Event {
            kind,
            status_change: None,
            change: None,
            actor_privileged: false,
            actor_is_requestor: true,
            sender: "zoe@example.net".into(),
            queue: "general".into(),
            status: Status::named("new"),
            subject: "Printer".into(),
            content: "It jams.".into(),
            fields: BTreeMap::new(),
            custom_fields: BTreeMap::new(),
        }
    }

    fn fired(rules: &[Rule], e: &Event) -> Vec<String> {
        rules.iter().filter(|r| r.matches(e)).map(|r| r.name.clone()).collect()
    }

    /// The `[[rules]]` of a config text (also for `check`'s tests).
    pub(super) fn parse(text: &str) -> Vec<Rule> {
        #[derive(Deserialize)]
        struct File {
            rules: Vec<Rule>,
        }
        toml::from_str::<File>(text).unwrap().rules
    }

    #[test]
    fn create_autoreplies_and_tells_admincc() {
        assert_eq!(
            fired(&default_rules(), &event(TransactionKind::Create)),
            ["autoreply", "notify-admincc-on-create"]
        );
    }

    /// RT's recipients: a requestor's reply reaches the owner and AdminCcs (and other
    /// requestors and Ccs), a staff reply the requestors and Ccs with a copy for the owner
    /// and AdminCcs, a comment the owner and AdminCcs only.
    #[test]
    fn replies_and_comments_tell_whom_rt_tells() {
        let rules = default_rules();
        let recipients = |kind: TransactionKind| -> Vec<String> {
            rules
                .iter()
                .filter(|r| r.matches(&event(kind)))
                .flat_map(|r| &r.actions)
                .filter_map(|a| match a {
                    RuleAction::Notify { to, .. } => Some(to.iter().map(ToString::to_string)),
                    _ => None,
                })
                .flatten()
                .collect()
        };
        assert_eq!(
            recipients(TransactionKind::Correspond),
            ["Requestor", "Cc", "Owner", "AdminCc"]
        );
        assert_eq!(recipients(TransactionKind::Comment), ["AdminCc", "Owner"]);
    }

    #[test]
    fn a_rule_under_a_built_in_rules_old_name_still_replaces_it() {
        let configured = parse(
            "[[rules]]\nname = \"notify-admincc\"\non = \"correspond\"\ndisabled = true\n\
             actions = [{ action = \"notify\", to = [\"AdminCc\"], template = \"admin_correspondence\" }]",
        );
        let rules = effective_rules(&configured, true);
        assert_eq!(rules.len(), default_rules().len());
        assert!(!rules.iter().any(|r| r.name == "notify-owner-and-admincc"));
        assert!(rules.iter().any(|r| r.name == "notify-admincc" && r.disabled));
    }

    #[test]
    fn requestor_reply_reopens_only_resolved_or_stalled() {
        let rules = default_rules();
        let mut e = event(TransactionKind::Correspond);
        assert!(!fired(&rules, &e).contains(&"reopen-on-requestor-reply".to_string()));
        e.status = Status::named("resolved");
        assert!(fired(&rules, &e).contains(&"reopen-on-requestor-reply".to_string()));
        e.status = Status::named("rejected");
        assert!(!fired(&rules, &e).contains(&"reopen-on-requestor-reply".to_string()));
    }

    #[test]
    fn resolve_notifies_requestors_and_other_changes_do_not() {
        let rules = default_rules();
        let mut e = event(TransactionKind::Status);
        e.status_change = Some((Status::named("open"), Status::named("resolved")));
        assert_eq!(fired(&rules, &e), ["notify-requestors-on-resolve"]);
        e.status_change = Some((Status::named("open"), Status::named("stalled")));
        assert!(fired(&rules, &e).is_empty());
    }

    #[test]
    fn priority_threshold_fires_on_the_crossing_only() {
        let rules = parse(
            r#"[[rules]]
name = "page"
on = "priority_change"
reaches = 90
actions = [{ action = "page", to = ["oncall@pager.test"] }]"#,
        );
        let mut e = event(TransactionKind::Set);
        let change = |old: &str, new: &str| {
            Some(FieldChange {
                field: "Priority".into(),
                old: old.into(),
                new: new.into(),
            })
        };
        e.change = change("50", "90");
        assert_eq!(fired(&rules, &e), ["page"]);
        e.change = change("90", "95");
        assert!(fired(&rules, &e).is_empty(), "already past it");
        e.change = change("95", "20");
        assert!(fired(&rules, &e).is_empty());
    }

    #[test]
    fn filters_and_queues_narrow_a_rule() {
        let rules = parse(
            r#"[[rules]]
name = "urgent-network"
on = "create"
queues = ["network"]
when = { subject = "(?i)urgent", sender = "@example\\.net$", ticket = { Owner = "^Nobody$" }, custom_fields = { Severity = "^high$" } }
actions = [{ action = "set_priority", priority = 80 }]"#,
        );
        let mut e = event(TransactionKind::Create);
        e.queue = "network".into();
        e.subject = "URGENT: core down".into();
        e.fields.insert("owner".into(), "Nobody".into());
        e.custom_fields.insert("severity".into(), vec!["high".into()]);
        assert_eq!(fired(&rules, &e), ["urgent-network"]);
        let mut other = e.clone();
        other.queue = "general".into();
        assert!(fired(&rules, &other).is_empty());
        let mut other = e.clone();
        other.custom_fields.clear();
        assert!(fired(&rules, &other).is_empty());
        let mut other = e;
        other.sender = "x@example.org".into();
        assert!(fired(&rules, &other).is_empty());
    }

    #[test]
    fn typos_in_rules_are_named() {
        #[derive(Debug, Deserialize)]
        struct File {
            #[allow(dead_code, reason = "only whether it parses matters")]
            rules: Vec<Rule>,
        }
        let parse = |text: &str| toml::from_str::<File>(text).unwrap_err().to_string();
        let e =
            parse("[[rules]]\nname = \"a\"\non = \"create\"\nactions = [{ action = \"autoreply\", templat = \"x\" }]");
        assert!(e.contains("templat"), "{e}");
        let e = parse("[[rules]]\nname = \"a\"\non = \"created\"\nactions = []");
        assert!(e.contains("created"), "{e}");
        let e = parse("[[rules]]\nname = \"a\"\non = \"create\"\nwhen = { subject = \"(\" }\nactions = []");
        assert!(e.contains("bad regular expression"), "{e}");
        let e = parse(
            "[[rules]]\nname = \"a\"\non = \"create\"\nactions = [{ action = \"notify\", to = [\"Boss\"], template = \"x\" }]",
        );
        assert!(e.contains("not a recipient"), "{e}");
    }

    #[test]
    fn config_rules_replace_built_ins_by_name_and_follow_them() {
        let configured = parse(
            r#"[[rules]]
name = "autoreply"
on = "create"
disabled = true
actions = [{ action = "autoreply" }]

[[rules]]
name = "extra"
on = "any"
actions = [{ action = "notify", to = ["group:netops", "noc@example.org", "Owner"], template = "correspondence" }]"#,
        );
        let rules = effective_rules(&configured, true);
        assert_eq!(rules[0].name, "autoreply");
        assert!(rules[0].disabled);
        assert_eq!(rules.last().unwrap().name, "extra");
        assert_eq!(
            fired(&rules, &event(TransactionKind::Create)),
            ["notify-admincc-on-create", "extra"]
        );
        assert_eq!(effective_rules(&configured, false).len(), 2);
    }
}
