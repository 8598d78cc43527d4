//! The acting user and what they may do: the one place every interface asks.

use crate::error::{Error, Result};
use crate::queue::NonWatcherMail;
use crate::rights::{self, Grant, Principal, Right, Scope, Viewer};
use crate::store::{Db, QueueRow, TicketRow};
use crate::ticket::{Action, Role, TransactionKind};
use crate::user::User;

/// Someone acting, with their groups and the grants that decide for them.
#[derive(Debug, Clone)]
pub struct Access {
    pub user: User,
    principal: Principal,
    grants: Vec<Grant>,
}

/// What a right is asked on.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    /// Nothing in particular (administration, global grants).
    Global,
    Queue(&'a QueueRow),
    Ticket(&'a TicketRow),
}

impl Access {
    /// The user with this id, ready to be asked about. A disabled user may do nothing.
    pub fn load(db: &Db<'_>, user_id: i64) -> Result<Access> {
        Access::of(db, db.user(user_id)?)
    }

    /// The given user, ready to be asked about.
    pub fn of(db: &Db<'_>, user: User) -> Result<Access> {
        if user.disabled {
            return Err(Error::Denied(format!(
                "{} is disabled and may do nothing (`tkt user set NAME disabled=no` enables them)",
                user.display_name()
            )));
        }
        let principal = db.principal(&user)?;
        Ok(Access {
            user,
            principal,
            grants: db.grants()?,
        })
    }

    /// Who is acting, as messages name them.
    pub fn who(&self) -> &str {
        self.user.display_name()
    }

    /// The roles the user holds on a ticket (queue watchers and groups included).
    pub fn roles(&self, db: &Db<'_>, ticket: &TicketRow) -> Result<Vec<Role>> {
        db.roles_on_ticket(ticket, &self.principal)
    }

    fn scope(&self, db: &Db<'_>, on: On<'_>) -> Result<Scope> {
        Ok(match on {
            On::Global => Scope::Global,
            On::Queue(queue) => Scope::Queue(queue.id),
            On::Ticket(ticket) => Scope::Ticket {
                queue: ticket.queue_id,
                roles: self.roles(db, ticket)?,
            },
        })
    }

    /// The grant that gives the user `right` on `on`, if any.
    pub fn granting(&self, db: &Db<'_>, right: Right, on: On<'_>) -> Result<Option<Grant>> {
        let scope = self.scope(db, on)?;
        Ok(rights::granting(&self.grants, &self.principal, right, &scope).cloned())
    }

    /// Whether the user holds `right` on `on`.
    pub fn can(&self, db: &Db<'_>, right: Right, on: On<'_>) -> Result<bool> {
        Ok(self.granting(db, right, on)?.is_some())
    }

    /// Fails with a clear `Denied` unless the user holds `right` on `on`.
    pub fn require(&self, db: &Db<'_>, right: Right, on: On<'_>) -> Result<()> {
        self.require_to(db, right, on, right.description())
    }

    /// As [`require`](Self::require), with the refusal naming what the user tried
    /// (`"grant rights on every queue"`) rather than what the right allows.
    pub fn require_to(&self, db: &Db<'_>, right: Right, on: On<'_>, doing: &str) -> Result<()> {
        if self.can(db, right, on)? {
            return Ok(());
        }
        Err(self.refusal(right, on, doing))
    }

    /// Fails unless the user holds at least one of `rights` on `on`.
    pub fn require_any(&self, db: &Db<'_>, rights: &[Right], on: On<'_>) -> Result<()> {
        for right in rights {
            if self.can(db, *right, on)? {
                return Ok(());
            }
        }
        Err(self.denied(rights[0], on))
    }

    /// The error for a missing right: "alice may not comment on tickets: that needs the
    /// right CommentOnTicket on ticket 4". A ticket's queue is not named: the refusal may
    /// go to someone who may not see the ticket (a bounce to a stranger's mail).
    pub fn denied(&self, right: Right, on: On<'_>) -> Error {
        self.refusal(right, on, right.description())
    }

    fn refusal(&self, right: Right, on: On<'_>, doing: &str) -> Error {
        let target = match on {
            On::Global => String::new(),
            On::Queue(queue) => format!(" on queue {}", queue.name),
            On::Ticket(ticket) => format!(" on ticket {}", ticket.id),
        };
        Error::Denied(format!(
            "{} may not {doing}: that needs the right {right}{target}",
            self.who(),
            right = right.as_str()
        ))
    }

    /// Whether the user is staff on a queue: they may read its internal discussion
    /// (ShowTicketComments there, through a grant to them or a group, globally or on the
    /// queue). The privileged flag alone does not make someone staff on a queue whose
    /// rights are granted per team.
    pub fn is_staff_on(&self, db: &Db<'_>, queue: &QueueRow) -> Result<bool> {
        self.can(db, Right::ShowTicketComments, On::Queue(queue))
    }

    /// What a message to an existing ticket becomes, if the user may send it: the one
    /// policy for mail, tkt and the API. A comment needs CommentOnTicket. A reply needs
    /// ReplyToTicket, and from someone who is neither staff on the ticket's queue
    /// ([`is_staff_on`](Self::is_staff_on)) nor one of its watchers it follows the queue's
    /// `non_watcher_mail`: knowing a ticket number is not enough to write to its
    /// requestor. Whether the user may see the ticket is the caller's question (mail may
    /// come from anyone; tkt and the API ask first).
    pub fn message_kind(&self, db: &Db<'_>, ticket: &TicketRow, action: Action) -> Result<TransactionKind> {
        let on = On::Ticket(ticket);
        if action == Action::Comment {
            self.require(db, Right::CommentOnTicket, on)?;
            return Ok(TransactionKind::Comment);
        }
        let queue = db.queue(ticket.queue_id)?;
        if self.is_staff_on(db, &queue)? || !self.roles(db, ticket)?.is_empty() {
            self.require(db, Right::ReplyToTicket, on)?;
            return Ok(TransactionKind::Correspond);
        }
        match queue.non_watcher_mail {
            NonWatcherMail::Accept => {
                self.require(db, Right::ReplyToTicket, on)?;
                Ok(TransactionKind::Correspond)
            }
            NonWatcherMail::Comment => {
                tracing::info!(ticket = ticket.id, from = %self.who(), "a message from a non-watcher recorded as a comment");
                Ok(TransactionKind::Comment)
            }
            NonWatcherMail::Refuse => Err(Error::Denied(format!(
                "{} is not a watcher of ticket {}, which takes messages only from its watchers and staff",
                self.who(),
                ticket.id
            ))),
        }
    }

    /// The user with their groups.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Which tickets, and which tickets' comments, the user may see: what limits their
    /// searches.
    pub fn viewer(&self) -> Viewer {
        Viewer::new(&self.grants, self.principal.clone())
    }
}
