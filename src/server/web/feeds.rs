//! Feeds of a search at a secret address: Atom for feed readers (`/feed/SECRET/atom`) and
//! iCalendar for calendars (`/feed/SECRET/ics`, the tickets with a due date), made and
//! revoked by their user on the search and preferences pages. Readers and calendars
//! cannot log in, so the secret is the key; what a feed lists is decided by
//! `workflow::feeds` with its user's rights, exactly as their search would.

use atom_syndication::{Entry, Feed, Link, Text};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::Deserialize;

use super::pages::{Staff, failed};
use super::session::write;
use super::{Web, i18n};
use crate::server::api::read;
use crate::server::now;
use crate::ticket::{Ticket, Timestamp};
use crate::workflow::feeds::{self, FeedOf};

/// A feed's tickets, for the reader at `secret`: the feed's name and tickets, or the
/// plain "no such feed" for a wrong, revoked or disabled one.
async fn tickets_of(web: &Web, secret: String) -> Result<(String, i64, Vec<Ticket>), Response> {
    let settings = web.app.settings.clone();
    let at = now();
    let found = read(&web.app, move |db| {
        let (feed, access) = feeds::open(&db, &secret)?;
        let tickets = feeds::tickets(&db, &settings, &feed, &access, at)?;
        Ok((feed.name, feed.id, tickets))
    })
    .await;
    found.map_err(|e| {
        let status = match e.0 {
            crate::error::Error::NotFound(_) => StatusCode::NOT_FOUND,
            crate::error::Error::Invalid(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, format!("{}\n", e.0.public_text())).into_response()
    })
}

/// Where a ticket's page is, if the web UI has a public address.
fn ticket_url(web: &Web, id: i64) -> Option<String> {
    web.app
        .settings
        .web_url
        .as_ref()
        .map(|base| format!("{}/ticket/{id}", base.trim_end_matches('/')))
}

fn fixed(t: &Timestamp) -> atom_syndication::FixedDateTime {
    t.fixed_offset()
}

/// `GET /feed/{secret}/atom`
pub async fn atom(State(web): State<Web>, Path(secret): Path<String>) -> Response {
    let (name, id, tickets) = match tickets_of(&web, secret).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let tag = web.app.settings.tag.name().to_string();
    let mut feed = Feed::default();
    feed.set_title(Text::plain(name));
    feed.set_id(format!("urn:ticketd:{tag}:feed:{id}"));
    feed.set_updated(fixed(&tickets.iter().map(|t| t.updated).max().unwrap_or_else(now)));
    feed.set_entries(
        tickets
            .iter()
            .map(|t| {
                let mut entry = Entry::default();
                entry.set_title(Text::plain(format!("#{}: {}", t.id, t.subject)));
                entry.set_id(format!("urn:ticketd:{tag}:ticket:{}", t.id));
                entry.set_updated(fixed(&t.updated));
                entry.set_published(Some(fixed(&t.created)));
                entry.set_summary(Some(Text::plain(i18n::tr_with(
                    "feed-entry",
                    &[
                        ("queue", t.queue.as_str().into()),
                        ("status", t.status.as_str().into()),
                        ("owner", t.owner.as_str().into()),
                        ("priority", t.priority.into()),
                    ],
                ))));
                if let Some(url) = ticket_url(&web, t.id) {
                    let mut link = Link::default();
                    link.set_href(url);
                    entry.set_links(vec![link]);
                }
                entry
            })
            .collect::<Vec<_>>(),
    );
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response()
}

/// `GET /feed/{secret}/ics`: each ticket with a due date as an event at that time.
pub async fn ics(State(web): State<Web>, Path(secret): Path<String>) -> Response {
    let (name, _, tickets) = match tickets_of(&web, secret).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let tag = web.app.settings.tag.name().to_string();
    let mut calendar = Calendar::new();
    calendar.name(&name);
    for t in &tickets {
        let Some(due) = t.due else { continue };
        let mut event = Event::new();
        event
            .uid(&format!("ticket-{}@{tag}", t.id))
            .summary(&format!("#{}: {}", t.id, t.subject))
            .description(&i18n::tr_with(
                "feed-entry",
                &[
                    ("queue", t.queue.as_str().into()),
                    ("status", t.status.as_str().into()),
                    ("owner", t.owner.as_str().into()),
                    ("priority", t.priority.into()),
                ],
            ))
            .starts(due)
            .ends(due + chrono::Duration::minutes(15))
            .timestamp(t.updated);
        if let Some(url) = ticket_url(&web, t.id) {
            event.url(&url);
        }
        calendar.push(event.done());
    }
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        calendar.done().to_string(),
    )
        .into_response()
}

/// A feed of a query (`q`, from the search page) or of a saved search (`search`, from the
/// preferences).
#[derive(Debug, Deserialize)]
pub struct NewFeed {
    name: String,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    search: Option<String>,
}

/// `POST /feeds`: makes a feed of the search and shows its addresses, the one time they
/// are known.
pub async fn create(State(web): State<Web>, me: Staff, Form(form): Form<NewFeed>) -> Response {
    let at = now();
    let of = match (form.search.filter(|s| !s.is_empty()), form.q) {
        (Some(search), _) => FeedOf::Saved(search),
        (None, q) => FeedOf::Query(q.unwrap_or_default()),
    };
    let name = form.name.clone();
    let made = write(&web, &me, move |tx, access, _| {
        feeds::create(tx, access, &name, &of, at)
    })
    .await;
    let (_, secret) = match made {
        Ok(made) => made,
        Err(e) => return failed(&web, &me, &e),
    };
    let base = web
        .app
        .settings
        .web_url
        .clone()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    web.page(
        "feed_made.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("feed-made-heading"),
            "name": form.name.trim(),
            "atom": format!("{base}/feed/{secret}/atom"),
            "ics": format!("{base}/feed/{secret}/ics"),
        }),
    )
}

/// `POST /feeds/{id}/revoke`: ends one of one's own feeds, back to the preferences.
pub async fn revoke(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    match write(&web, &me, move |tx, access, _| feeds::revoke(tx, access, id)).await {
        Ok(_) => web.redirect("/preferences?saved=1"),
        Err(e) => failed(&web, &me, &e),
    }
}
