//! Search: the simple box and TicketSQL, a query builder that writes TicketSQL the user
//! can read and edit, sortable paged results with chosen columns, saving a search, and
//! bulk update of the selected tickets.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{Row, Staff, failed};
use crate::error::Result;
use crate::search::quote;
use crate::server::now;
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::ticket::{Action, Change};
use crate::workflow::{self, Message, admin, view};

/// Results per page.
const PER_PAGE: u32 = 50;

/// The columns one may choose, as `columns=` names them, with their headings' keys in
/// the catalogs.
const COLUMNS: &[(&str, &str)] = &[
    ("id", "col-number"),
    ("subject", "col-subject"),
    ("queue", "col-queue"),
    ("status", "col-status"),
    ("owner", "col-owner"),
    ("priority", "col-priority"),
    ("requestors", "col-requestors"),
    ("created", "date-created"),
    ("updated", "col-last-updated"),
    ("due", "date-due"),
];

/// The TicketSQL field each sortable column sorts by.
const SORTS: &[(&str, &str)] = &[
    ("id", "id"),
    ("subject", "Subject"),
    ("queue", "Queue"),
    ("status", "Status"),
    ("owner", "Owner"),
    ("priority", "Priority"),
    ("created", "Created"),
    ("updated", "LastUpdated"),
    ("due", "Due"),
];

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    order_by: Option<String>,
    #[serde(default)]
    order: Option<String>,
    #[serde(default)]
    columns: Option<String>,
    /// After a bulk update that went through: the tickets it updated (the page says so).
    #[serde(default)]
    updated: Option<String>,
    /// After saving: the name the search was saved under.
    #[serde(default)]
    saved: Option<String>,
}

pub async fn results(State(web): State<Web>, me: Staff, Query(q): Query<SearchQuery>) -> Response {
    let mut notes = Vec::new();
    if let Some(ids) = q.updated.as_deref().filter(|ids| !ids.is_empty()) {
        let ids: Vec<String> = ids
            .split(',')
            .filter_map(|id| id.trim().parse::<i64>().ok())
            .map(|id| format!("#{id}"))
            .collect();
        notes.push(i18n::tr_with("bulk-updated", &[("tickets", ids.join(", ").into())]));
    }
    if let Some(name) = q.saved.as_deref().filter(|name| !name.is_empty()) {
        notes.push(i18n::tr_with("search-saved", &[("name", name.into())]));
    }
    show(&web, &me, &q, notes).await
}

/// Back to the results of `q` after a change went through (post, redirect, get: a reload
/// does not make it again), with `note` (`updated=…`, `saved=…`) for the page to tell.
fn back_to_results(web: &Web, q: &str, note: (&str, &str)) -> Response {
    let query = serde_urlencoded::to_string([("q", q), note]).unwrap_or_default();
    web.redirect(&format!("/search?{query}"))
}

/// The results page of `q`, with `notes` (what a bulk update did) above it.
async fn show(web: &Web, me: &Staff, q: &SearchQuery, notes: Vec<String>) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let sort = q
        .order_by
        .as_deref()
        .and_then(|key| SORTS.iter().find(|(k, _)| *k == key))
        .map(|(key, field)| {
            let descending = q.order.as_deref() == Some("desc");
            (*key, *field, descending)
        });
    let columns: Vec<(&str, &str)> = match &q.columns {
        Some(chosen) => {
            let chosen: Vec<&str> = chosen.split(',').map(str::trim).collect();
            COLUMNS.iter().copied().filter(|(k, _)| chosen.contains(k)).collect()
        }
        None => COLUMNS.to_vec(),
    };
    let text = q.q.clone();
    let settings = web.app.settings.clone();
    let at = now();
    let found = read_me(web, me, move |db, access| {
        if text.trim().is_empty() {
            return Ok((String::new(), Vec::new(), false));
        }
        let (ticketsql, mut query) = view::interpret(&text, at)?;
        if let Some((_, field, descending)) = sort {
            let by = crate::search::parse(
                &format!("ORDER BY {field} {}", if descending { "DESC" } else { "ASC" }),
                at,
            )?;
            query.order_by = by.order_by;
        }
        let limit = query.limit.unwrap_or(u32::MAX);
        let offset = (page - 1) * PER_PAGE;
        // one more than a page, to know whether there is a next one
        query.offset = Some(offset);
        query.limit = Some(limit.saturating_sub(offset).min(PER_PAGE + 1));
        let mut tickets = view::search(db, access, &query, &settings.all_lifecycles())?;
        let more = tickets.len() > PER_PAGE as usize;
        tickets.truncate(PER_PAGE as usize);
        Ok((ticketsql, tickets, more))
    })
    .await;
    let (ticketsql, tickets, more, error) = match found {
        Ok((ticketsql, tickets, more)) => (ticketsql, tickets, more, None),
        Err(e @ crate::error::Error::Invalid(_)) => (q.q.clone(), Vec::new(), false, Some(e.public_text())),
        Err(e) => return failed(web, me, &e),
    };
    let queues = read_me(web, me, admin::queues).await.unwrap_or_default();
    web.page(
        "search.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("search-heading"),
            "q": q.q,
            "ticketsql": ticketsql,
            "rows": Row::all(&tickets),
            "columns": columns.iter().map(|(k, h)| serde_json::json!({"key": k, "heading": i18n::tr(h), "sortable": SORTS.iter().any(|(s, _)| s == k)})).collect::<Vec<_>>(),
            "chosen": q.columns,
            "sort": sort.map(|(key, _, descending)| serde_json::json!({"key": key, "desc": descending})),
            "page": page,
            "more": more,
            "error": error,
            "notes": notes,
            "queues": queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
            "statuses": ["new", "open", "stalled", "resolved", "rejected", "deleted"],
            "searched": !q.q.trim().is_empty(),
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct BuildQuery {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    requestor: String,
}

/// The query builder: its fields become TicketSQL, shown in the search box to run or edit.
pub async fn build(State(web): State<Web>, me: Staff, Query(b): Query<BuildQuery>) -> Response {
    let ticketsql = ticketsql_of(&b);
    if ticketsql.is_empty() {
        return show(&web, &me, &SearchQuery::default(), Vec::new()).await;
    }
    let query = serde_urlencoded::to_string([("q", ticketsql.as_str())]).unwrap_or_default();
    web.redirect(&format!("/search?{query}"))
}

/// The builder's fields as TicketSQL, each value quoted.
fn ticketsql_of(b: &BuildQuery) -> String {
    let mut terms = Vec::new();
    if !b.queue.trim().is_empty() {
        terms.push(format!("Queue = {}", quote(b.queue.trim())));
    }
    match b.status.trim() {
        "" => {}
        "active" => terms.push("Status = '__Active__'".to_string()),
        "inactive" => terms.push("Status = '__Inactive__'".to_string()),
        status => terms.push(format!("Status = {}", quote(status))),
    }
    match b.owner.trim() {
        "" => {}
        "me" => terms.push("Owner = '__CurrentUser__'".to_string()),
        owner => terms.push(format!("Owner = {}", quote(owner))),
    }
    if !b.requestor.trim().is_empty() {
        terms.push(format!("Requestor.EmailAddress LIKE {}", quote(b.requestor.trim())));
    }
    if !b.subject.trim().is_empty() {
        terms.push(format!("Subject LIKE {}", quote(b.subject.trim())));
    }
    terms.join(" AND ")
}

#[derive(Debug, Deserialize)]
pub struct SaveForm {
    name: String,
    q: String,
}

pub async fn save(State(web): State<Web>, me: Staff, Form(form): Form<SaveForm>) -> Response {
    let at = now();
    let (name, q) = (form.name.clone(), form.q.clone());
    let saved = write(&web, &me, move |tx, access, s| {
        workflow::saved_searches::save(tx, access, &name, &q, &s.all_lifecycles(), at)
    })
    .await;
    let notes = match saved {
        Ok(()) => return back_to_results(&web, &form.q, ("saved", form.name.trim())),
        Err(e) => vec![e.public_text()],
    };
    let q = SearchQuery {
        q: form.q,
        ..SearchQuery::default()
    };
    show(&web, &me, &q, notes).await
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    name: String,
}

/// `POST /search/delete`: forgets one of one's saved searches (and the feeds that follow
/// it), back to the home page that lists them.
pub async fn delete(State(web): State<Web>, me: Staff, Form(form): Form<DeleteForm>) -> Response {
    let name = form.name;
    match write(&web, &me, move |tx, access, _| {
        workflow::saved_searches::delete(tx, access, &name)
    })
    .await
    {
        Ok(()) => web.redirect("/"),
        Err(e) => failed(&web, &me, &e),
    }
}

/// Bulk update: each selected ticket gets the same changes and message, each in its own
/// transaction. When every one went through the browser is sent back to the results
/// (post, redirect, get); otherwise the page says what happened to each, and why.
pub async fn bulk(State(web): State<Web>, me: Staff, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let ids: Vec<i64> = fields
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let at = now();
    let changes = bulk_changes(&value, at);
    let message = value("message");
    let content = fields
        .iter()
        .find(|(k, _)| k == "content")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut notes = Vec::new();
    let mut updated = Vec::new();
    let mut failed_any = false;
    match changes {
        Err(e) => notes.push(e.public_text()),
        Ok(_) if ids.is_empty() => notes.push(i18n::tr("bulk-none-selected")),
        Ok(changes) => {
            for id in ids {
                let changes = changes.clone();
                let (message, content) = (message.clone(), content.clone());
                let done = write(&web, &me, move |tx, access, s| {
                    if !changes.is_empty() {
                        workflow::update(tx, s, id, &changes, access, at)?;
                    }
                    let action = match message.as_str() {
                        "correspond" => Some(Action::Correspond),
                        "comment" => Some(Action::Comment),
                        _ => None,
                    };
                    if let Some(action) = action.filter(|_| !content.trim().is_empty()) {
                        let message = Message {
                            content: &content,
                            ..Message::default()
                        };
                        workflow::respond(tx, s, id, action, &message, access, at)?;
                    }
                    Ok(())
                })
                .await;
                match done {
                    Ok(()) => {
                        updated.push(id.to_string());
                        notes.push(i18n::tr_with("bulk-ticket-updated", &[("id", id.into())]));
                    }
                    Err(e) => {
                        failed_any = true;
                        notes.push(i18n::tr_with(
                            "bulk-ticket-failed",
                            &[("id", id.into()), ("reason", e.public_text().into())],
                        ));
                    }
                }
            }
            if !failed_any {
                return back_to_results(&web, &value("q"), ("updated", &updated.join(",")));
            }
        }
    }
    let q = SearchQuery {
        q: value("q"),
        ..SearchQuery::default()
    };
    show(&web, &me, &q, notes).await
}

/// The changes a bulk form asks for, as `tkt set` takes them.
fn bulk_changes(value: &dyn Fn(&str) -> String, at: crate::ticket::Timestamp) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for field in ["status", "owner", "queue", "priority"] {
        let v = value(field);
        if !v.is_empty() {
            changes.push(Change::parse(&format!("{field}={v}"), at)?);
        }
    }
    let cc = value("add_cc");
    if !cc.is_empty() {
        changes.push(Change::parse(&format!("Cc+={cc}"), at)?);
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_quotes_what_people_type() {
        let b = BuildQuery {
            queue: "general".into(),
            status: "active".into(),
            owner: "me".into(),
            subject: "it's down".into(),
            requestor: String::new(),
        };
        assert_eq!(
            ticketsql_of(&b),
            "Queue = 'general' AND Status = '__Active__' AND Owner = '__CurrentUser__' AND Subject LIKE 'it\\'s down'"
        );
        assert_eq!(ticketsql_of(&BuildQuery::default()), "");
    }
}
