//! Rules: "when this happens on a ticket, do that" (RT's scrips).
//!
//! The rules here are the defaults of DESIGN.md, close to RT's shipped scrips. They are
//! plain data so that a later issue can load them per queue from the config; the engine
//! that runs them (in `workflow`) only asks [`Rule::matches`] and reads the actions.

use crate::ticket::{Role, Status, TransactionKind};

/// What happened, as far as rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: TransactionKind,
    /// For status changes: from and to.
    pub status_change: Option<(Status, Status)>,
    /// For owner changes: the new owner's user id.
    pub new_owner: Option<i64>,
    /// Whether the person who acted is staff.
    pub actor_privileged: bool,
    /// Whether the person who acted is a requestor of the ticket.
    pub actor_is_requestor: bool,
    /// The ticket's status when the rules run.
    pub status: Status,
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    OnCreate,
    OnCorrespond,
    OnComment,
    /// A status change, to the given status or to any.
    OnStatusChange {
        to: Option<Status>,
    },
    OnOwnerChange,
}

/// Whose action a rule answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Anyone,
    /// Privileged users.
    Staff,
    /// A requestor of the ticket.
    Requestor,
}

/// The text a notification is written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// To the requestor of a new ticket: "your ticket has been assigned an ID".
    Autoreply,
    /// A new ticket, to staff.
    NewTicket,
    /// A reply, to requestors and Ccs.
    Correspondence,
    /// A reply, to staff.
    AdminCorrespondence,
    /// A comment, to staff.
    AdminComment,
    /// To the new owner.
    OwnerChanged,
    /// To the requestors of a resolved ticket.
    Resolved,
    /// To a staff member: the commands in their mail that were refused.
    CommandErrors,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// Answer the requestors of a new ticket; loop protection applies.
    Autoreply,
    /// Mail the given roles (minus the actor); as a comment, with the comment address as
    /// Reply-To.
    Notify {
        recipients: Vec<Role>,
        as_comment: bool,
        template: Template,
    },
    /// Change the ticket's status.
    SetStatus(Status),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Shown in logs and tags the outgoing mail it makes (`outbox.kind`).
    pub name: String,
    pub condition: Condition,
    pub actor: Actor,
    /// Fire only while the ticket has one of these statuses; empty means any.
    pub when_status: Vec<Status>,
    pub actions: Vec<RuleAction>,
}

impl Rule {
    fn new(name: &str, condition: Condition, actions: Vec<RuleAction>) -> Rule {
        Rule {
            name: name.into(),
            condition,
            actor: Actor::Anyone,
            when_status: Vec::new(),
            actions,
        }
    }

    /// Whether the rule fires for this event.
    pub fn matches(&self, event: &Event) -> bool {
        let condition = match &self.condition {
            Condition::OnCreate => event.kind == TransactionKind::Create,
            Condition::OnCorrespond => event.kind == TransactionKind::Correspond,
            Condition::OnComment => event.kind == TransactionKind::Comment,
            Condition::OnStatusChange { to } => event
                .status_change
                .as_ref()
                .is_some_and(|(_, new)| to.as_ref().is_none_or(|to| to == new)),
            Condition::OnOwnerChange => event.new_owner.is_some(),
        };
        let actor = match self.actor {
            Actor::Anyone => true,
            Actor::Staff => event.actor_privileged,
            Actor::Requestor => event.actor_is_requestor,
        };
        condition && actor && (self.when_status.is_empty() || self.when_status.contains(&event.status))
    }
}

/// The default rules of DESIGN.md, in the order they run.
pub fn default_rules() -> Vec<Rule> {
    use RuleAction::{Autoreply, Notify, SetStatus};
    let notify = |recipients: &[Role], as_comment, template| Notify {
        recipients: recipients.to_vec(),
        as_comment,
        template,
    };
    vec![
        Rule::new("autoreply", Condition::OnCreate, vec![Autoreply]),
        Rule::new(
            "notify-admincc-on-create",
            Condition::OnCreate,
            vec![notify(&[Role::AdminCc], false, Template::NewTicket)],
        ),
        Rule {
            actor: Actor::Requestor,
            when_status: vec![Status::named(Status::RESOLVED), Status::named(Status::STALLED)],
            ..Rule::new(
                "reopen-on-requestor-reply",
                Condition::OnCorrespond,
                vec![SetStatus(Status::named(Status::OPEN))],
            )
        },
        Rule {
            actor: Actor::Staff,
            when_status: vec![Status::named(Status::NEW)],
            ..Rule::new(
                "open-on-staff-reply",
                Condition::OnCorrespond,
                vec![SetStatus(Status::named(Status::OPEN))],
            )
        },
        Rule::new(
            "notify-requestors-and-cc",
            Condition::OnCorrespond,
            vec![notify(&[Role::Requestor, Role::Cc], false, Template::Correspondence)],
        ),
        Rule::new(
            "notify-admincc",
            Condition::OnCorrespond,
            vec![notify(&[Role::AdminCc], false, Template::AdminCorrespondence)],
        ),
        Rule::new(
            "notify-admincc-and-owner-of-comment",
            Condition::OnComment,
            vec![notify(&[Role::AdminCc, Role::Owner], true, Template::AdminComment)],
        ),
        Rule::new(
            "notify-new-owner",
            Condition::OnOwnerChange,
            vec![notify(&[Role::Owner], false, Template::OwnerChanged)],
        ),
        Rule::new(
            "notify-requestors-on-resolve",
            Condition::OnStatusChange {
                to: Some(Status::named(Status::RESOLVED)),
            },
            vec![notify(&[Role::Requestor], false, Template::Resolved)],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: TransactionKind) -> Event {
        Event {
            kind,
            status_change: None,
            new_owner: None,
            actor_privileged: false,
            actor_is_requestor: true,
            status: Status::named("new"),
        }
    }

    fn fired(e: &Event) -> Vec<String> {
        default_rules()
            .into_iter()
            .filter(|r| r.matches(e))
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn create_autoreplies_and_tells_admincc() {
        assert_eq!(
            fired(&event(TransactionKind::Create)),
            ["autoreply", "notify-admincc-on-create"]
        );
    }

    #[test]
    fn requestor_reply_reopens_only_resolved_or_stalled() {
        let mut e = event(TransactionKind::Correspond);
        assert!(!fired(&e).contains(&"reopen-on-requestor-reply".to_string()));
        e.status = Status::named("resolved");
        assert!(fired(&e).contains(&"reopen-on-requestor-reply".to_string()));
        e.status = Status::named("rejected");
        assert!(!fired(&e).contains(&"reopen-on-requestor-reply".to_string()));
    }

    #[test]
    fn staff_reply_opens_a_new_ticket() {
        let mut e = event(TransactionKind::Correspond);
        e.actor_privileged = true;
        e.actor_is_requestor = false;
        assert!(fired(&e).contains(&"open-on-staff-reply".to_string()));
        e.status = Status::named("open");
        assert!(!fired(&e).contains(&"open-on-staff-reply".to_string()));
    }

    #[test]
    fn resolve_notifies_requestors_and_other_changes_do_not() {
        let mut e = event(TransactionKind::Status);
        e.status_change = Some((Status::named("open"), Status::named("resolved")));
        assert_eq!(fired(&e), ["notify-requestors-on-resolve"]);
        e.status_change = Some((Status::named("open"), Status::named("stalled")));
        assert!(fired(&e).is_empty());
    }
}
