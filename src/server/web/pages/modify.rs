//! Modifying a ticket: RT's Basics, People, Dates, Links and Custom fields screens on one
//! page. The form is turned into the `tkt set` words for what changed (`subject=...`,
//! `Cc+=...`, `DependsOn+=12`, `CF.{Severity}=high`), parsed by [`Change::parse`] and
//! given to the one [`workflow::update`] in one writer transaction, so a bad value
//! anywhere keeps nothing. "Merge into" is [`workflow::merge`] in the same transaction.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;

use super::{Staff, failed, when};
use crate::error::{Error, Result};
use crate::server::now;
use crate::server::web::session::{read_me, write};
use crate::server::web::{Web, i18n};
use crate::ticket::{Change, CustomFieldDef, FieldType, LinkName, Role, Status, Ticket, Timestamp};
use crate::workflow::{self, admin, lifecycle, view};

/// The watcher roles the People fieldset edits, with the suffix of their inputs'
/// names (`add_cc`, `remove_cc`).
const ROLES: [(Role, &str); 3] = [
    (Role::Requestor, "requestor"),
    (Role::Cc, "cc"),
    (Role::AdminCc, "admincc"),
];

/// What the form holds: the ticket's values when it is first shown, what the user typed
/// when it comes back with an error. A field the form did not send is `None` and changes
/// nothing, so a smaller form (the ticket page's "Give to") posts here too.
#[derive(Debug, Default, Clone, Serialize)]
struct Fields {
    subject: Option<String>,
    status: Option<String>,
    queue: Option<String>,
    owner: Option<String>,
    priority: Option<String>,
    time_estimated: Option<String>,
    time_worked: Option<String>,
    time_left: Option<String>,
    starts: Option<String>,
    due: Option<String>,
    /// Watchers ticked for removal, by role suffix (`cc`).
    remove: BTreeMap<String, Vec<String>>,
    /// Addresses or groups to add, by role suffix, as typed (comma-separated).
    add: BTreeMap<String, String>,
    /// Links ticked for removal, as `DependsOn:12`.
    remove_links: Vec<String>,
    /// Ticket numbers to link, by link name, as typed.
    add_links: BTreeMap<String, String>,
    merge_into: String,
    /// Custom field values by field name; several for a multiselect.
    custom_fields: BTreeMap<String, Vec<String>>,
}

/// A date as the form shows it; empty when not set.
fn date_text(at: Option<&Timestamp>) -> String {
    at.map(when).unwrap_or_default()
}

impl Fields {
    /// The form filled with the ticket as it is.
    fn of(t: &Ticket) -> Fields {
        Fields {
            subject: Some(t.subject.clone()),
            status: Some(t.status.as_str().to_string()),
            queue: Some(t.queue.clone()),
            owner: Some(t.owner.clone()),
            priority: Some(t.priority.to_string()),
            time_estimated: Some(t.time_estimated.to_string()),
            time_worked: Some(t.time_worked.to_string()),
            time_left: Some(t.time_left.to_string()),
            starts: Some(date_text(t.starts.as_ref())),
            due: Some(date_text(t.due.as_ref())),
            custom_fields: t.custom_fields.clone(),
            ..Fields::default()
        }
    }

    /// The form's pairs, in order (a multiselect sends its name once per value).
    fn read(pairs: Vec<(String, String)>) -> Fields {
        let mut f = Fields::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "subject" => &mut f.subject,
                "status" => &mut f.status,
                "queue" => &mut f.queue,
                "owner" => &mut f.owner,
                "priority" => &mut f.priority,
                "time_estimated" => &mut f.time_estimated,
                "time_worked" => &mut f.time_worked,
                "time_left" => &mut f.time_left,
                "starts" => &mut f.starts,
                "due" => &mut f.due,
                "merge_into" => {
                    f.merge_into = value;
                    continue;
                }
                "remove_link" => {
                    f.remove_links.push(value);
                    continue;
                }
                other => {
                    if let Some(role) = other.strip_prefix("remove_") {
                        f.remove.entry(role.to_string()).or_default().push(value);
                    } else if let Some(role) = other.strip_prefix("add_") {
                        f.add.insert(role.to_string(), value);
                    } else if let Some(link) = other.strip_prefix("link_") {
                        f.add_links.insert(link.to_string(), value);
                    } else if let Some(field) = other.strip_prefix("cf:") {
                        // a multiselect's hidden empty value says the field was on the form
                        let values = f.custom_fields.entry(field.to_string()).or_default();
                        values.extend(value.lines().map(str::trim).filter(|v| !v.is_empty()).map(String::from));
                    }
                    continue;
                }
            };
            *slot = Some(value);
        }
        f
    }

    /// What was sent over the ticket's values: for showing the form again as typed.
    fn over(self, current: Fields) -> Fields {
        let mut custom_fields = current.custom_fields;
        custom_fields.extend(self.custom_fields);
        Fields {
            subject: self.subject.or(current.subject),
            status: self.status.or(current.status),
            queue: self.queue.or(current.queue),
            owner: self.owner.or(current.owner),
            priority: self.priority.or(current.priority),
            time_estimated: self.time_estimated.or(current.time_estimated),
            time_worked: self.time_worked.or(current.time_worked),
            time_left: self.time_left.or(current.time_left),
            starts: self.starts.or(current.starts),
            due: self.due.or(current.due),
            custom_fields,
            ..self
        }
    }

    /// The changes, as `tkt set` writes them, that take the ticket from `t` to this
    /// form: only what differs. The queue moves last, after what the form showed for
    /// the queue the ticket was in (its lifecycle's statuses, its custom fields).
    fn changes(&self, t: &Ticket, defs: &[CustomFieldDef]) -> Vec<String> {
        let mut out = Vec::new();
        let mut set = |field: &str, sent: &Option<String>, current: &str| {
            if let Some(value) = sent.as_deref().map(str::trim)
                && value != current.trim()
            {
                out.push(format!("{field}={value}"));
            }
        };
        set("subject", &self.subject, &t.subject);
        set("status", &self.status, t.status.as_str());
        set("priority", &self.priority, &t.priority.to_string());
        set("time_estimated", &self.time_estimated, &t.time_estimated.to_string());
        set("time_worked", &self.time_worked, &t.time_worked.to_string());
        set("time_left", &self.time_left, &t.time_left.to_string());
        set("starts", &self.starts, &date_text(t.starts.as_ref()));
        set("due", &self.due, &date_text(t.due.as_ref()));
        // an emptied owner is Nobody, as RT's owner menu says
        let owner = self
            .owner
            .as_deref()
            .map(str::trim)
            .map(|o| if o.is_empty() { "Nobody" } else { o });
        if let Some(owner) = owner
            && !owner.eq_ignore_ascii_case(&t.owner)
        {
            out.push(format!("owner={owner}"));
        }
        for (role, suffix) in ROLES {
            for who in self.remove.get(suffix).into_iter().flatten() {
                out.push(format!("{}-={}", role.as_str(), who.trim()));
            }
            for who in words(self.add.get(suffix).map_or("", String::as_str)) {
                out.push(format!("{}+={who}", role.as_str()));
            }
        }
        for link in &self.remove_links {
            if let Some((name, ticket)) = link.split_once(':') {
                out.push(format!("{name}-={ticket}"));
            }
        }
        for name in LinkName::ALL {
            for ticket in words(self.add_links.get(name.as_str()).map_or("", String::as_str)) {
                out.push(format!("{name}+={ticket}"));
            }
        }
        for def in defs {
            let Some(sent) = self.custom_fields.get(&def.name) else {
                continue;
            };
            let current = t.custom_fields.get(&def.name).cloned().unwrap_or_default();
            if *sent != current {
                out.push(format!("CF.{{{}}}={}", def.name, sent.join(", ")));
            }
        }
        if let Some(queue) = self.queue.as_deref().map(str::trim)
            && !queue.is_empty()
            && !queue.eq_ignore_ascii_case(&t.queue)
        {
            out.push(format!("queue={queue}"));
        }
        out
    }

    /// The ticket to merge into, if asked.
    fn merge_target(&self) -> Result<Option<i64>> {
        let text = self.merge_into.trim().trim_start_matches('#');
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| Error::Invalid(format!("merge into `{text}`: give a ticket number")))
    }
}

/// Addresses or ticket numbers as typed in one input: split at commas and spaces.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', '\n', '\t', '\r']).filter(|w| !w.is_empty())
}

/// The custom fields of a queue's tickets.
fn fields_of<'a>(defs: &'a [CustomFieldDef], queue: &str) -> Vec<&'a CustomFieldDef> {
    defs.iter().filter(|d| d.applies_to(queue)).collect()
}

pub async fn form(State(web): State<Web>, me: Staff, Path(id): Path<i64>) -> Response {
    show(&web, &me, id, None, None).await
}

/// Applies what changed and goes back to the ticket (or to the one it was merged into);
/// on an error, the form again as typed with the message.
pub async fn save(
    State(web): State<Web>,
    me: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let sent = Fields::read(pairs);
    let at = now();
    let done = {
        let sent = sent.clone();
        write(&web, &me, move |tx, access, s| {
            let row = view::visible_ticket(tx, access, id)?;
            let ticket = tx.ticket(row.id, false)?;
            let defs: Vec<CustomFieldDef> = fields_of(&s.custom_fields, &ticket.queue)
                .into_iter()
                .cloned()
                .collect();
            let changes = sent
                .changes(&ticket, &defs)
                .iter()
                .map(|c| Change::parse(c, at))
                .collect::<Result<Vec<_>>>()?;
            let merge = sent.merge_target()?;
            if !changes.is_empty() {
                workflow::update(tx, s, ticket.id, &changes, access, at)?;
            }
            if let Some(into) = merge {
                workflow::merge(tx, s, access, ticket.id, into, at)?;
            }
            Ok(merge.unwrap_or(ticket.id))
        })
        .await
    };
    match done {
        Ok(shown) => web.redirect(&format!("/ticket/{shown}")),
        Err(e @ Error::Internal(_)) => failed(&web, &me, &e),
        // a ticket one may not see is answered by the form's own read
        Err(e) => show(&web, &me, id, Some(sent), Some(e.public_text())).await,
    }
}

/// The form: the ticket's values, or `sent` over them with `error`.
async fn show(web: &Web, me: &Staff, id: i64, sent: Option<Fields>, error: Option<String>) -> Response {
    let settings = web.app.settings.clone();
    let found = read_me(web, me, move |db, access| {
        let row = view::visible_ticket(db, access, id)?;
        let ticket = db.ticket(row.id, false)?;
        let moves = lifecycle::moves(db, &settings, access, ticket.id)?;
        let queues = admin::queues(db, access)?;
        Ok((ticket, moves, queues))
    })
    .await;
    let (ticket, moves, queues) = match found {
        Ok(found) => found,
        Err(e) => return failed(web, me, &e),
    };
    if ticket.id != id {
        return web.redirect(&format!("/ticket/{}/modify", ticket.id));
    }
    let fields = match sent {
        Some(sent) => sent.over(Fields::of(&ticket)),
        None => Fields::of(&ticket),
    };
    let defs = fields_of(&web.app.settings.custom_fields, &ticket.queue);
    let context = serde_json::json!({
        "title": i18n::tr_with("title-modify", &[("id", ticket.id.into()), ("subject", ticket.subject.as_str().into())]),
        "id": ticket.id,
        "subject": ticket.subject,
        "error": error,
        "f": fields,
        "statuses": statuses(&ticket.status, &moves),
        "queues": queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(),
        "people": ROLES.iter().map(|(role, suffix)| serde_json::json!({
            "role": role.as_str(),
            "key": suffix,
            "current": match role {
                Role::Requestor => &ticket.requestors,
                Role::Cc => &ticket.cc,
                _ => &ticket.admincc,
            },
        })).collect::<Vec<_>>(),
        "links": ticket.links.iter().map(|l| serde_json::json!({
            "name": l.name.as_str(),
            "target": l.target,
            "key": format!("{}:{}", l.name.as_str(), l.target),
        })).collect::<Vec<_>>(),
        "link_names": LinkName::ALL.iter().map(|n| serde_json::json!({
            "name": n.as_str(),
            "label": link_label(*n),
        })).collect::<Vec<_>>(),
        "custom_fields": defs.iter().map(|d| serde_json::json!({
            "name": d.name,
            "kind": d.kind.as_str(),
            "multiple": d.kind == FieldType::Multiselect,
            "values": d.values,
        })).collect::<Vec<_>>(),
    });
    web.page("modify.html", Some(me.name()), context)
}

/// The statuses the form offers: the current one, then the moves the user may make.
fn statuses(current: &Status, moves: &[Status]) -> Vec<String> {
    let mut out = vec![current.as_str().to_string()];
    out.extend(
        moves
            .iter()
            .map(|s| s.as_str().to_string())
            .filter(|s| s != current.as_str()),
    );
    out
}

/// A link's name in words, as RT's Links screen says it.
fn link_label(name: LinkName) -> String {
    i18n::tr(match name {
        LinkName::DependsOn => "link-depends-on",
        LinkName::DependedOnBy => "link-depended-on-by",
        LinkName::MemberOf => "link-member-of",
        LinkName::Members => "link-members",
        LinkName::RefersTo => "link-refers-to",
        LinkName::ReferredToBy => "link-referred-to-by",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        let at = crate::ticket::parse_date("2026-12-01T10:00:00Z").unwrap();
        Ticket {
            id: 7,
            effective_id: 7,
            queue: "general".into(),
            subject: "Printer".into(),
            status: Status::named("open"),
            owner: "Nobody".into(),
            priority: 10,
            initial_priority: 0,
            final_priority: 0,
            requestors: vec!["ann@example.com".into()],
            cc: vec![],
            admincc: vec![],
            creator: "ann@example.com".into(),
            created: at,
            updated: at,
            started: None,
            resolved: None,
            told: None,
            due: Some(at),
            time_worked: 0,
            time_estimated: 0,
            time_left: 0,
            links: vec![],
            custom_fields: BTreeMap::new(),
            starts: None,
            sla: None,
            transactions: None,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn the_unchanged_form_changes_nothing() {
        let t = ticket();
        let shown = Fields::of(&t);
        let sent = pairs(&[
            ("subject", shown.subject.as_deref().unwrap()),
            ("status", "open"),
            ("queue", "general"),
            ("owner", "nobody"),
            ("priority", "10"),
            ("due", shown.due.as_deref().unwrap()),
            ("starts", ""),
            ("add_cc", ""),
            ("link_DependsOn", ""),
        ]);
        assert!(Fields::read(sent).changes(&t, &[]).is_empty());
    }

    #[test]
    fn only_what_differs_becomes_changes_and_the_queue_moves_last() {
        let t = ticket();
        let sent = pairs(&[
            ("queue", "network"),
            ("subject", "Printer on fire"),
            ("priority", "10"),
            ("remove_requestor", "ann@example.com"),
            ("add_cc", "bob@example.com, carol@example.com"),
            ("link_DependsOn", "#3 4"),
            ("remove_link", "RefersTo:9"),
            ("owner", ""),
        ]);
        assert_eq!(
            Fields::read(sent).changes(&t, &[]),
            [
                "subject=Printer on fire",
                "Requestor-=ann@example.com",
                "Cc+=bob@example.com",
                "Cc+=carol@example.com",
                "RefersTo-=9",
                "DependsOn+=#3",
                "DependsOn+=4",
                "queue=network",
            ]
        );
    }

    #[test]
    fn custom_fields_are_compared_as_values() {
        let mut t = ticket();
        t.custom_fields.insert("Tags".into(), vec!["a".into()]);
        let def = |name: &str, kind| CustomFieldDef {
            name: name.into(),
            kind,
            values: vec!["a".into(), "b".into()],
            queues: vec![],
        };
        let defs = [def("Tags", FieldType::Multiselect), def("Severity", FieldType::Select)];
        let same = pairs(&[("cf:Tags", ""), ("cf:Tags", "a"), ("cf:Severity", "")]);
        assert!(Fields::read(same).changes(&t, &defs).is_empty());
        let more = pairs(&[("cf:Tags", ""), ("cf:Tags", "a"), ("cf:Tags", "b")]);
        assert_eq!(Fields::read(more).changes(&t, &defs), ["CF.{Tags}=a, b"]);
        let cleared = pairs(&[("cf:Tags", "")]);
        assert_eq!(Fields::read(cleared).changes(&t, &defs), ["CF.{Tags}="]);
    }

    #[test]
    fn merge_wants_a_number() {
        let f = Fields::read(pairs(&[("merge_into", "#12")]));
        assert_eq!(f.merge_target().unwrap(), Some(12));
        assert!(Fields::read(pairs(&[("merge_into", "x")])).merge_target().is_err());
    }
}
