//! The reply and comment form: the text (quoting the message replied to), status and
//! owner in the same submit, time worked, files, and a preview of who will get mail.

use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Staff, failed, read_multipart, when};
use crate::error::{Error, Result};
use crate::server::now;
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::ticket::{Action, Change};
use crate::workflow::{self, Message, NewFile, view};

#[derive(Debug, Deserialize)]
pub struct UpdateQuery {
    #[serde(default)]
    action: Option<String>,
    /// The transaction to quote.
    #[serde(default)]
    quote: Option<i64>,
}

fn action_named(name: Option<&str>) -> Action {
    match name {
        Some("comment") => Action::Comment,
        _ => Action::Correspond,
    }
}

/// "On <date>, <name> wrote:" and the text, each line quoted, as mail clients quote.
fn quoted(creator: &str, at: &str, text: &str) -> String {
    let mut out = format!("On {at}, {creator} wrote:\n");
    for line in text.trim_end().lines() {
        out.push_str(if line.starts_with('>') { ">" } else { "> " });
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

pub async fn form(State(web): State<Web>, me: Staff, Path(id): Path<i64>, Query(q): Query<UpdateQuery>) -> Response {
    let action = action_named(q.action.as_deref());
    let settings = web.app.settings.clone();
    let found = read_me(&web, &me, move |db, access| {
        let ticket = view::ticket(db, access, id)?;
        let moves = workflow::lifecycle::moves(db, &settings, access, ticket.id)?;
        Ok((ticket, moves))
    })
    .await;
    let (ticket, moves) = match found {
        Ok(found) => found,
        Err(e) => return failed(&web, &me, &e),
    };
    let content = q
        .quote
        .and_then(|tx| {
            ticket
                .transactions
                .iter()
                .flatten()
                .find(|x| x.id == tx && x.is_message())
        })
        .map(|x| quoted(&x.creator, &when(&x.created), &x.content))
        .unwrap_or_default();
    let fields = UpdateFields {
        action,
        content,
        ..UpdateFields::default()
    };
    render(&web, &me, &ticket, &moves, &fields, None, None)
}

/// What the form sent.
#[derive(Debug, Default)]
struct UpdateFields {
    action: Action,
    content: String,
    status: String,
    owner: String,
    minutes: String,
    /// The one-time Cc and Bcc as typed: addresses separated by commas.
    cc: String,
    bcc: String,
    preview: bool,
    files: Vec<NewFile>,
}

async fn read_form(multipart: Multipart) -> Result<UpdateFields> {
    let (pairs, files) = read_multipart(multipart, "attachment").await?;
    let mut fields = UpdateFields {
        files,
        ..Default::default()
    };
    for (name, value) in pairs {
        match name.as_str() {
            "action" => fields.action = action_named(Some(value.as_str())),
            "content" => fields.content = value,
            "status" => fields.status = value.trim().to_string(),
            "owner" => fields.owner = value.trim().to_string(),
            "minutes" => fields.minutes = value.trim().to_string(),
            "cc" => fields.cc = value.trim().to_string(),
            "bcc" => fields.bcc = value.trim().to_string(),
            "preview" => fields.preview = true,
            _ => {}
        }
    }
    Ok(fields)
}

impl UpdateFields {
    /// The status and owner changes, as `tkt set` takes them.
    fn changes(&self) -> Result<Vec<Change>> {
        let at = now();
        let mut changes = Vec::new();
        if !self.status.is_empty() {
            changes.push(Change::parse(&format!("status={}", self.status), at)?);
        }
        if !self.owner.is_empty() {
            changes.push(Change::parse(&format!("owner={}", self.owner), at)?);
        }
        Ok(changes)
    }

    /// The one-time Cc and Bcc lists: addresses separated by commas, semicolons or
    /// spaces, as mail clients take them.
    fn one_time(&self) -> (Vec<String>, Vec<String>) {
        let list = |typed: &str| {
            typed
                .split([',', ';', ' ', '\n', '\r', '\t'])
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        };
        (list(&self.cc), list(&self.bcc))
    }

    fn minutes(&self) -> Result<i64> {
        if self.minutes.is_empty() {
            return Ok(0);
        }
        self.minutes
            .parse()
            .map_err(|_| Error::Invalid(format!("time worked `{}` is not a number of minutes", self.minutes)))
    }
}

pub async fn send(State(web): State<Web>, me: Staff, Path(id): Path<i64>, multipart: Multipart) -> Response {
    let fields = match read_form(multipart).await {
        Ok(fields) => fields,
        Err(e) => return failed(&web, &me, &e),
    };
    let checked = fields.changes().and_then(|c| Ok((c, fields.minutes()?)));
    let (changes, minutes) = match checked {
        Ok(checked) => checked,
        Err(e) => return again(&web, &me, id, &fields, Some(e.public_text()), None).await,
    };
    let at = now();
    let action = fields.action;
    let content = fields.content.clone();
    let files = fields.files.clone();
    let (cc, bcc) = fields.one_time();
    if fields.preview {
        let previewed = web
            .app
            .writer
            .run({
                let me = me.actor;
                let settings = web.app.settings.clone();
                move |tx| {
                    let access = workflow::Access::load(tx, me.0)?;
                    let message = Message {
                        content: &content,
                        minutes,
                        files: &files,
                        cc: &cc,
                        bcc: &bcc,
                    };
                    workflow::preview_recipients(tx, &settings, id, action, &message, &changes, &access, at)
                }
            })
            .await;
        return match previewed {
            Ok(recipients) => again(&web, &me, id, &fields, None, Some(recipients)).await,
            Err(e) => again(&web, &me, id, &fields, Some(e.public_text()), None).await,
        };
    }
    let sent = write(&web, &me, move |tx, access, s| {
        let message = Message {
            content: &content,
            minutes,
            files: &files,
            cc: &cc,
            bcc: &bcc,
        };
        let (transaction, _) = workflow::respond(tx, s, id, action, &message, access, at)?;
        if !changes.is_empty() {
            workflow::update(tx, s, id, &changes, access, at)?;
        }
        Ok(transaction)
    })
    .await;
    match sent {
        Ok(_) => web.redirect(&format!("/ticket/{id}")),
        Err(e @ (Error::NotFound(_) | Error::Internal(_))) => failed(&web, &me, &e),
        Err(e) => again(&web, &me, id, &fields, Some(e.public_text()), None).await,
    }
}

/// The form again, as it was sent, with an error or the preview.
async fn again(
    web: &Web,
    me: &Staff,
    id: i64,
    fields: &UpdateFields,
    error: Option<String>,
    recipients: Option<Vec<String>>,
) -> Response {
    let settings = web.app.settings.clone();
    let found = read_me(web, me, move |db, access| {
        let ticket = view::ticket(db, access, id)?;
        let moves = workflow::lifecycle::moves(db, &settings, access, ticket.id)?;
        Ok((ticket, moves))
    })
    .await;
    match found {
        Ok((ticket, moves)) => render(web, me, &ticket, &moves, fields, error, recipients),
        Err(e) => failed(web, me, &e),
    }
}

fn render(
    web: &Web,
    me: &Staff,
    ticket: &crate::ticket::Ticket,
    moves: &[crate::ticket::Status],
    fields: &UpdateFields,
    error: Option<String>,
    recipients: Option<Vec<String>>,
) -> Response {
    let comment = fields.action == Action::Comment;
    web.page(
        "update.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr_with(
                if comment { "title-update-comment" } else { "title-update-reply" },
                &[("id", ticket.id.into()), ("subject", ticket.subject.as_str().into())],
            ),
            "id": ticket.id,
            "subject": ticket.subject,
            "action": if comment { "comment" } else { "correspond" },
            "content": fields.content,
            "status": fields.status,
            "owner": fields.owner,
            "minutes": fields.minutes,
            "cc": fields.cc,
            "bcc": fields.bcc,
            "moves": moves.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "error": error,
            "recipients": recipients,
            "files_dropped": !fields.files.is_empty() && (error.is_some() || recipients.is_some()),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_marks_every_line_and_names_the_writer() {
        assert_eq!(
            quoted("zoe@example.net", "2026-12-01 10:00", "Hi\n> earlier\n\nBye\n"),
            "On 2026-12-01 10:00, zoe@example.net wrote:\n> Hi\n>> earlier\n> \n> Bye\n\n"
        );
    }
}
