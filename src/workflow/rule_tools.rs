//! The admin's view of the rules: the rules in effect, template previews, and dry runs of
//! a message (`tkt rules list|test`, `tkt template render`).

use super::access::Access;
use super::ingest::{Delivery, ingest, tagged_numbers};
use super::notify::{Happening, template_context, traced};
use super::{Settings, view};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::mail::parse;
use crate::rules::Rule;
use crate::store::{Db, RawBytes, WriteTx};
use crate::template::{BUILT_IN, Rendered};
use crate::ticket::{Ticket, Timestamp, TransactionKind};
use crate::wire::RuleTest;
use serde::{Deserialize, Serialize};

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

/// A rule in effect and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleShown {
    pub rule: Rule,
    /// `built in` (one of [`crate::rules::DEFAULT_RULES`], unchanged) or `config`.
    pub source: String,
}

/// The rules in effect, in the order they run, each with where it comes from: what an
/// admin asks before changing one.
pub fn rules_shown(s: &Settings, access: &Access) -> Result<Vec<RuleShown>> {
    let built_in = crate::rules::default_rules();
    Ok(rules(s, access, None)?
        .into_iter()
        .map(|rule| RuleShown {
            source: if built_in.contains(&rule) { "built in" } else { "config" }.to_string(),
            rule,
        })
        .collect())
}

/// A template and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateShown {
    pub name: String,
    /// The queue whose own version this is; none for the global one.
    pub queue: Option<String>,
    /// `built in` or `config`.
    pub source: String,
    pub text: String,
}

/// Every template: the built-in ones the config leaves alone, the config's global ones,
/// and each queue's own, by name.
pub fn templates(config: &Config, access: &Access) -> Result<Vec<TemplateShown>> {
    staff_only(access, "read the templates")?;
    let shown = |name: &str, queue: Option<&str>, source: &str, text: &str| TemplateShown {
        name: name.to_string(),
        queue: queue.map(str::to_string),
        source: source.to_string(),
        text: text.to_string(),
    };
    let mut out: Vec<TemplateShown> = BUILT_IN
        .iter()
        .filter(|(name, _)| !config.templates.contains_key(*name))
        .map(|(name, text)| shown(name, None, "built in", text))
        .collect();
    out.extend(
        config
            .templates
            .iter()
            .map(|(name, text)| shown(name, None, "config", text)),
    );
    for queue in &config.queues {
        out.extend(
            queue
                .templates
                .iter()
                .map(|(name, text)| shown(name, Some(&queue.name), "config", text)),
        );
    }
    out.sort_by(|a, b| (&a.name, &a.queue).cmp(&(&b.name, &b.queue)));
    Ok(out)
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
    s.templates.render(name, &queue.name, s.mail_language, &context)
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
