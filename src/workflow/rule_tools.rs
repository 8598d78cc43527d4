//! The admin's view of the rules: the rules in effect, template previews, and dry runs of
//! a message (`tkt rules list|test`, `tkt template render`).

use super::access::Access;
use super::ingest::{Delivery, ingest, tagged_numbers};
use super::notify::{Happening, template_context, traced};
use super::{Settings, view};
use crate::error::{Error, Result};
use crate::mail::parse;
use crate::rules::Rule;
use crate::store::{Db, RawBytes, WriteTx};
use crate::template::Rendered;
use crate::ticket::{Ticket, Timestamp, TransactionKind};
use crate::wire::RuleTest;

/// Rules, templates and jobs are the site's configuration: staff may read them.
pub fn staff_only(access: &Access, what: &str) -> Result<()> {
    if access.user.privileged {
        Ok(())
    } else {
        Err(Error::Denied(format!(
            "{} may not {what}: that is for staff",
            access.who()
        )))
    }
}

/// The rules in effect, in the order they run: for one queue, or all of them.
pub fn rules(s: &Settings, access: &Access, queue: Option<&str>) -> Result<Vec<Rule>> {
    staff_only(access, "read the rules")?;
    Ok(s.rules
        .iter()
        .filter(|r| queue.is_none_or(|q| r.is_for(q)))
        .cloned()
        .collect())
}

/// A template rendered for a ticket (its queue's version, if it has one), as its latest
/// message would be sent, with the previewing user as the actor.
pub fn render_template(
    db: &Db<'_>,
    s: &Settings,
    access: &Access,
    name: &str,
    ticket_id: i64,
    now: Timestamp,
) -> Result<Rendered> {
    staff_only(access, "preview templates")?;
    let shown: Ticket = view::ticket(db, access, ticket_id)?;
    let ticket = db.current_ticket(shown.id)?;
    let queue = db.queue(ticket.queue_id)?;
    let latest = shown.transactions.iter().flatten().rev().find(|x| {
        matches!(
            x.kind,
            TransactionKind::Create | TransactionKind::Correspond | TransactionKind::Comment
        )
    });
    let (transaction, kind, content) =
        latest.map_or((0, TransactionKind::Create, ""), |x| (x.id, x.kind, x.content.as_str()));
    let happening = Happening {
        content,
        ..Happening::new(ticket.id, transaction, kind, &access.user)
    };
    let context = template_context(db, s, &happening, &ticket, &queue, "preview", now)?;
    s.templates.render(name, &queue.name, &context)
}

/// Runs a message through ingest and the rules in a savepoint that is undone.
pub fn test_rules(
    tx: &WriteTx<'_>,
    s: &Settings,
    access: &Access,
    delivery: &Delivery,
    raw: &[u8],
    now: Timestamp,
) -> Result<RuleTest> {
    staff_only(access, "test the rules")?;
    let parsed = parse(raw, &s.parse_options(delivery.envelope_sender.as_deref())).map_err(|e| e.to_string());
    // A dry run onto a ticket the tester may not see would show its watchers and text.
    // Every number the message names must be one they may see; a number that names no
    // ticket gets the same answer, so that the dry run does not tell which exist.
    let subject = parsed.as_ref().map_or("", |inbound| inbound.subject.as_str());
    for number in tagged_numbers(tx, s, subject)?.into_iter().chain(delivery.ticket) {
        view::visible_ticket(tx, access, number)?;
    }
    tx.dry_run(|tx| {
        let (outcome, trace) = traced(|| ingest(tx, s, delivery, &RawBytes::new(raw), parsed, now));
        let outcome = outcome?;
        let ticket = match outcome.ticket {
            Some(id) => Some(view::ticket(tx, access, id)?),
            None => None,
        };
        Ok(RuleTest { outcome, trace, ticket })
    })
}
