//! A ticket's page: basics, people, dates, links, custom fields and the history, with the
//! buttons for what one may do to it; and the downloads it links to.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Staff, failed, when};
use crate::server::api::download::download;
use crate::server::now;
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::ticket::{Change, Ticket, Transaction, TransactionKind};
use crate::wire::SlaReport;
use crate::workflow::time;
use crate::workflow::{self, lifecycle, view};

/// Quoted lines in a row beyond this many are folded away (RT folds long quotes too).
const FOLD_QUOTE_LINES: usize = 4;

/// A stretch of a message's text: quoted (`> `) or not, so that long quotes can be folded.
#[derive(Debug, Serialize)]
struct Block {
    quoted: bool,
    fold: bool,
    text: String,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.trim_end().lines() {
        let quoted = line.starts_with('>');
        match blocks.last_mut() {
            Some(block) if block.quoted == quoted => {
                block.text.push('\n');
                block.text.push_str(line);
            }
            _ => blocks.push(Block {
                quoted,
                fold: false,
                text: line.to_string(),
            }),
        }
    }
    for block in &mut blocks {
        block.fold = block.quoted && block.text.lines().count() > FOLD_QUOTE_LINES;
    }
    blocks
}

/// One history entry as the page shows it.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    id: i64,
    kind: String,
    summary: String,
    creator: &'a str,
    created: String,
    message: bool,
    blocks: Vec<Block>,
    raw: bool,
    /// The message's HTML part, to be shown cleaned.
    html: Option<i64>,
    time_taken: i64,
    attachments: Vec<serde_json::Value>,
}

/// What a transaction did, in words, in the page's language: "Status changed from 'new'
/// to 'open'", "bob@example.net added as AdminCc".
fn history_line(x: &Transaction) -> String {
    let none = i18n::tr("value-none");
    let old = x.old_value.as_deref().unwrap_or(&none);
    let new = x.new_value.as_deref().unwrap_or(&none);
    let field = x.field.as_deref().unwrap_or_default();
    let (key, args): (&str, Vec<(&str, &str)>) = match x.kind {
        TransactionKind::Create => ("history-created", vec![]),
        TransactionKind::Correspond => ("history-correspond", vec![]),
        TransactionKind::Comment if field == "Alert" => ("history-alert-repeated", vec![("new", new)]),
        TransactionKind::Comment => ("history-comment", vec![]),
        TransactionKind::Status => ("history-status", vec![("old", old), ("new", new)]),
        TransactionKind::Set | TransactionKind::CustomField => {
            ("history-set", vec![("field", field), ("old", old), ("new", new)])
        }
        TransactionKind::AddWatcher => ("history-watcher-added", vec![("who", new), ("role", field)]),
        TransactionKind::DelWatcher => ("history-watcher-removed", vec![("who", old), ("role", field)]),
        TransactionKind::SystemError => ("history-system-error", vec![]),
        TransactionKind::AddLink => ("history-link-added", vec![("link", field), ("ticket", new)]),
        TransactionKind::DeleteLink => ("history-link-removed", vec![("link", field), ("ticket", old)]),
        TransactionKind::Merge => (
            "history-merged",
            vec![(
                "ticket",
                x.new_value.as_deref().or(x.old_value.as_deref()).unwrap_or_default(),
            )],
        ),
        TransactionKind::Sla => ("history-sla", vec![("event", field), ("due", new)]),
    };
    let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = args.into_iter().map(|(k, v)| (k, v.into())).collect();
    i18n::tr_with(key, &args)
}

fn entry(x: &Transaction) -> Entry<'_> {
    Entry {
        id: x.id,
        kind: serde_json::to_value(x.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        summary: history_line(x),
        creator: &x.creator,
        created: when(&x.created),
        message: x.is_message(),
        blocks: if x.is_message() || !x.content.is_empty() {
            blocks(&x.content)
        } else {
            Vec::new()
        },
        raw: x.has_raw_message,
        html: x
            .attachments
            .iter()
            .find(|a| a.content_type == "text/html" && a.filename.is_none())
            .map(|a| a.id),
        time_taken: x.time_taken,
        attachments: x
            .attachments
            .iter()
            .filter(|a| a.filename.is_some())
            .map(|a| serde_json::json!({ "id": a.id, "name": a.filename, "type": a.content_type, "size": a.size }))
            .collect(),
    }
}

pub async fn show(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    let settings = web.app.settings.clone();
    let found = read_me(&web, &me, move |db, access| {
        let ticket = view::ticket(db, access, id)?;
        let moves = lifecycle::moves(db, &settings, access, ticket.id)?;
        let sla = time::sla_report(db, &settings, access, ticket.id, now())?;
        Ok((ticket, moves, sla))
    })
    .await;
    let (ticket, moves, sla) = match found {
        Ok(found) => found,
        Err(e) => return failed(&web, &me, &e),
    };
    if ticket.id != id {
        // merged: its history lives on the ticket it was merged into
        return web.redirect(&format!("/ticket/{}", ticket.id));
    }
    let history: Vec<Entry<'_>> = ticket.transactions.iter().flatten().map(entry).collect();
    let context = serde_json::json!({
        "title": format!("#{}: {}", ticket.id, ticket.subject),
        "t": basics(&ticket),
        "history": history,
        "moves": moves.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "sla": sla_line(&sla),
        "mine": ticket.owner == me.user.name || Some(&ticket.owner) == me.user.email.as_ref(),
        "unowned": ticket.owner == "Nobody",
    });
    web.page("ticket.html", Some(me.name()), context)
}

/// Where the ticket stands against its service level, in words ("Due in 3h 20m
/// business time", "Overdue by 1h 5m"), from the same report as `tkt sla`; `None`
/// without a service level.
fn sla_line(report: &SlaReport) -> Option<serde_json::Value> {
    let level = report.level.as_deref()?;
    let standing = match (&report.left, report.due) {
        (Some(left), _) => match left.strip_prefix('-') {
            Some(over) => i18n::tr_with("sla-overdue-by", &[("time", over.into())]),
            None => i18n::tr_with("sla-due-in", &[("time", left.as_str().into())]),
        },
        (None, Some(_)) if report.state == "breached" => i18n::tr("sla-missed"),
        (None, Some(_)) => i18n::tr("sla-met"),
        (None, None) => i18n::tr("sla-no-due-date"),
    };
    Some(serde_json::json!({
        "level": level,
        "due": report.due.as_ref().map(when),
        "standing": standing,
        "state": report.state,
    }))
}

fn basics(t: &Ticket) -> serde_json::Value {
    let date = |d: &Option<crate::ticket::Timestamp>| d.as_ref().map(when).unwrap_or_else(|| i18n::tr("date-not-set"));
    serde_json::json!({
        "id": t.id,
        "subject": t.subject,
        "queue": t.queue,
        "status": t.status.as_str(),
        "owner": t.owner,
        "priority": t.priority,
        "time_worked": t.time_worked,
        "time_estimated": t.time_estimated,
        "time_left": t.time_left,
        "sla": t.sla,
        "requestors": t.requestors,
        "cc": t.cc,
        "admincc": t.admincc,
        "created": when(&t.created),
        "updated": when(&t.updated),
        "started": date(&t.started),
        "starts": date(&t.starts),
        "due": date(&t.due),
        "resolved": date(&t.resolved),
        "told": date(&t.told),
        "links": t.links,
        "custom_fields": t.custom_fields,
    })
}

/// Applies one change as `tkt set` would and goes back to the ticket.
async fn change(web: Web, me: Staff, id: i64, change: String) -> Response {
    let at = now();
    let done = match Change::parse(&change, at) {
        Ok(change) => {
            write(&web, &me, move |tx, access, s| {
                workflow::update(tx, s, id, &[change], access, at)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => web.redirect(&format!("/ticket/{id}")),
        Err(e) => failed(&web, &me, &e),
    }
}

pub async fn take(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    change(web, me, id, "take".into()).await
}

pub async fn untake(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    change(web, me, id, "untake".into()).await
}

pub async fn steal(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    change(web, me, id, "steal".into()).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn status(State(web): State<Web>, me: Staff, Path(id): Path<i64>, Form(form): Form<StatusForm>) -> Response {
    change(web, me, id, format!("status={}", form.status.trim())).await
}

pub async fn attachment(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    attachment_of(&web, &me, id)
        .await
        .unwrap_or_else(|e| failed(&web, &me, &e))
}

/// A part the user may see, served as the API serves it; the error for the caller to
/// show its own way (the staff pages and the portal differ).
pub async fn attachment_of(web: &Web, me: &Staff, id: i64) -> crate::error::Result<Response> {
    let part = read_me(web, me, move |db, access| view::attachment(db, access, id)).await?;
    Ok(download(
        &part.content_type,
        part.filename.as_deref(),
        &format!("attachment-{id}"),
        part.bytes,
    ))
}

/// An HTML part shown in a page, cleaned: no script, no event handlers, no forms or
/// frames, links only to http, https and mailto (and opening without a referrer). The
/// page's CSP stops what cleaning might miss and any remote image.
pub async fn html_part(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    let part = match read_me(&web, &me, move |db, access| view::attachment(db, access, id)).await {
        Ok(part) => part,
        Err(e) => return failed(&web, &me, &e),
    };
    if part.content_type != "text/html" {
        return web.redirect(&format!("/attachment/{id}"));
    }
    let html = String::from_utf8_lossy(&part.bytes);
    let cleaned = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        // a remote image tells the sender who read the mail, and when
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !value.starts_with("data:") {
                None
            } else {
                Some(value.into())
            }
        })
        .clean(&html)
        .to_string();
    web.page(
        "html_part.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr_with("title-message-part", &[("id", id.into())]), "id": id, "cleaned": cleaned }),
    )
}

pub async fn raw_message(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    match read_me(&web, &me, move |db, access| view::raw_message(db, access, id)).await {
        Ok(bytes) => download("message/rfc822", None, &format!("transaction-{id}.eml"), bytes),
        Err(e) => failed(&web, &me, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(left: Option<&str>, state: &str) -> SlaReport {
        SlaReport {
            ticket: 1,
            level: Some("gold".into()),
            calendar: None,
            response: None,
            resolve: None,
            waiting_since: None,
            response_due: None,
            resolve_due: None,
            due: Some(crate::ticket::parse_date("2026-12-01T10:00:00Z").unwrap()),
            state: state.into(),
            left: left.map(String::from),
            alarms: Vec::new(),
        }
    }

    #[test]
    fn the_sla_line_says_time_left_or_overdue() {
        let line = |left, state| sla_line(&report(left, state)).unwrap()["standing"].clone();
        assert_eq!(line(Some("3h 20m business time"), "ok"), "Due in 3h 20m business time");
        assert_eq!(line(Some("-1h 5m"), "breached"), "Overdue by 1h 5m");
        assert_eq!(line(None, "met"), "Met");
        let none = SlaReport {
            level: None,
            ..report(None, "none")
        };
        assert!(sla_line(&none).is_none());
    }

    #[test]
    fn long_quotes_fold_and_short_ones_do_not() {
        let text = "Hello\n> a\n> b\n> c\n> d\n> e\nThanks\n> one\n";
        let b = blocks(text);
        assert_eq!(b.len(), 4);
        assert!(!b[0].quoted && b[1].quoted && b[1].fold && !b[2].quoted && b[3].quoted && !b[3].fold);
    }
}
