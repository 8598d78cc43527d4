//! RT's shapes: references, dates, records and pages, built from ticketd's records.

use serde_json::{Map, Value, json};

use super::Rest;
use crate::ticket::{AttachmentInfo, LinkName, Status, Ticket, Timestamp, Transaction};
use crate::wire::rest2::{Collection, Reference};

/// RT's date: W3C, UTC, and the epoch for one that is not set.
pub fn date(at: Option<Timestamp>) -> String {
    at.map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

impl Rest {
    /// `.../REST/2.0/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.root)
    }

    /// `{type, id, _url}` for `kind/id`.
    pub fn reference(&self, kind: &str, id: impl ToString) -> Reference {
        let id = id.to_string();
        Reference {
            url: self.url(&format!("{kind}/{}", urlencoding_path(&id))),
            kind: kind.to_string(),
            id,
        }
    }

    /// The reference as JSON.
    pub fn reference_json(&self, kind: &str, id: impl ToString) -> Value {
        serde_json::to_value(self.reference(kind, id)).unwrap_or(Value::Null)
    }

    /// A user named as ticketd names them (their address, or login name).
    pub fn user(&self, name: &str) -> Value {
        self.reference_json("user", name)
    }

    /// `{"ref": "self", "type", "id", "_url"}`, RT's first hyperlink (its id a number).
    pub fn self_link(&self, kind: &str, id: i64) -> Value {
        json!({ "ref": "self", "type": kind, "id": id, "_url": self.url(&format!("{kind}/{id}")) })
    }

    /// A ticket as `GET /ticket/N` shows it. `queue_id` is its queue's number, `moves`
    /// the statuses the user may move it to, `may_reply`/`may_comment` what they may send.
    pub fn ticket(&self, t: &Ticket, queue_id: i64, links: &TicketLinks) -> Map<String, Value> {
        let users = |names: &[String]| Value::Array(names.iter().map(|n| self.user(n)).collect());
        let custom_fields: Vec<Value> = t
            .custom_fields
            .iter()
            .map(|(name, values)| {
                json!({ "type": "customfield", "id": name, "_url": self.url(&format!("customfield/{}", urlencoding_path(name))), "name": name, "values": values })
            })
            .collect();
        let mut hyperlinks = vec![
            self.self_link("ticket", t.id),
            json!({ "ref": "history", "_url": self.url(&format!("ticket/{}/history", t.id)) }),
        ];
        if links.may_reply {
            hyperlinks.push(json!({ "ref": "correspond", "_url": self.url(&format!("ticket/{}/correspond", t.id)) }));
        }
        if links.may_comment {
            hyperlinks.push(json!({ "ref": "comment", "_url": self.url(&format!("ticket/{}/comment", t.id)) }));
        }
        for link in &t.links {
            let mut reference = self.reference_json("ticket", link.target);
            if let Value::Object(map) = &mut reference {
                map.insert("ref".into(), json!(link_ref(link.name)));
            }
            hyperlinks.push(reference);
        }
        for to in &links.moves {
            hyperlinks.push(json!({
                "ref": "lifecycle",
                "from": t.status.as_str(),
                "to": to.as_str(),
                "label": to.as_str(),
                "_url": self.url(&format!("ticket/{}", t.id)),
            }));
        }
        let record = json!({
            "id": t.id,
            "Type": "ticket",
            "EffectiveId": self.reference_json("ticket", t.effective_id),
            "Queue": self.reference_json("queue", queue_id),
            "Subject": t.subject,
            "Status": t.status.as_str(),
            "Owner": self.user(&t.owner),
            "Creator": self.user(&t.creator),
            "LastUpdatedBy": self.user(&last_updated_by(t)),
            "Priority": t.priority.to_string(),
            "InitialPriority": t.initial_priority.to_string(),
            "FinalPriority": t.final_priority.to_string(),
            "Requestor": users(&t.requestors),
            "Cc": users(&t.cc),
            "AdminCc": users(&t.admincc),
            "Created": date(Some(t.created)),
            "LastUpdated": date(Some(t.updated)),
            "Starts": date(t.starts),
            "Started": date(t.started),
            "Due": date(t.due),
            "Resolved": date(t.resolved),
            "Told": date(t.told),
            "TimeWorked": t.time_worked.to_string(),
            "TimeEstimated": t.time_estimated.to_string(),
            "TimeLeft": t.time_left.to_string(),
            "CustomFields": custom_fields,
            "_hyperlinks": hyperlinks,
        });
        match record {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// A transaction as `GET /transaction/N` shows it.
    pub fn transaction(&self, x: &Transaction) -> Map<String, Value> {
        let mut hyperlinks = vec![self.self_link("transaction", x.id)];
        for a in &x.attachments {
            hyperlinks.push(json!({ "ref": "attachment", "_url": self.url(&format!("attachment/{}", a.id)) }));
        }
        let kind = serde_json::to_value(x.kind).unwrap_or(Value::Null);
        let record = json!({
            "id": x.id,
            "Type": kind,
            "Object": self.reference_json("ticket", x.ticket),
            "ObjectType": "RT::Ticket",
            "ObjectId": x.ticket.to_string(),
            "Creator": self.user(&x.creator),
            "Created": date(Some(x.created)),
            "Field": x.field.clone().unwrap_or_default(),
            "OldValue": x.old_value.clone().unwrap_or_default(),
            "NewValue": x.new_value.clone().unwrap_or_default(),
            "TimeTaken": x.time_taken.to_string(),
            "Data": "",
            "Description": description(x),
            "_hyperlinks": hyperlinks,
        });
        match record {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// An attachment as a collection lists it.
    pub fn attachment_item(&self, a: &AttachmentInfo) -> Map<String, Value> {
        let mut item = self.item("attachment", a.id);
        item.insert("Filename".into(), json!(a.filename.clone().unwrap_or_default()));
        item.insert("ContentType".into(), json!(a.content_type));
        item.insert("ContentLength".into(), json!(a.size.to_string()));
        item
    }

    /// `{type, id, _url}` of a collection's item, as a map to add asked fields to.
    pub fn item(&self, kind: &str, id: i64) -> Map<String, Value> {
        match self.reference_json(kind, id) {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// One page of a collection; `path` with `query` (without page) makes the pages' links.
    pub fn page(
        &self,
        path: &str,
        query: &[(String, String)],
        paging: Paging,
        total: usize,
        items: Vec<Value>,
    ) -> Collection {
        let pages = u32::try_from(total.div_ceil(paging.per_page as usize)).unwrap_or(u32::MAX);
        let link = |page: u32| {
            let mut pairs: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| k != "page" && k != "per_page")
                .cloned()
                .collect();
            pairs.push(("per_page".into(), paging.per_page.to_string()));
            pairs.push(("page".into(), page.to_string()));
            format!(
                "{}?{}",
                self.url(path),
                serde_urlencoded::to_string(pairs).unwrap_or_default()
            )
        };
        Collection {
            count: items.len(),
            page: paging.page,
            pages,
            per_page: paging.per_page,
            total,
            items,
            next_page: (paging.page < pages).then(|| link(paging.page + 1)),
            prev_page: (paging.page > 1).then(|| link(paging.page - 1)),
        }
    }
}

/// What a ticket's `_hyperlinks` offer beyond itself and its history.
#[derive(Debug, Clone, Default)]
pub struct TicketLinks {
    pub may_reply: bool,
    pub may_comment: bool,
    pub moves: Vec<Status>,
}

/// A page asked for: RT's `page` (from 1) and `per_page` (20 unless said, at most 100).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    /// The page `page` and `per_page` ask for, out-of-range values brought in range.
    pub fn from_query(query: &[(String, String)]) -> Paging {
        let number = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        };
        Paging {
            page: number("page").unwrap_or(1).max(1),
            per_page: number("per_page").unwrap_or(20).clamp(1, 100),
        }
    }

    /// How many items come before this page.
    pub fn offset(&self) -> u32 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// This page of a whole list.
    pub fn slice<T>(&self, all: Vec<T>) -> Vec<T> {
        all.into_iter()
            .skip(self.offset() as usize)
            .take(self.per_page as usize)
            .collect()
    }
}

/// `fields=A,B`: the fields a collection's items carry beyond `{type, id, _url}`, and
/// `fields[Queue]=Name` style expansions of references.
pub fn asked_fields(query: &[(String, String)]) -> Vec<String> {
    query
        .iter()
        .filter(|(k, _)| k == "fields")
        .flat_map(|(_, v)| v.split(','))
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// The item with the asked fields of the whole record added.
pub fn with_fields(mut item: Map<String, Value>, record: &Map<String, Value>, fields: &[String]) -> Value {
    for field in fields {
        if let Some(value) = record.get(field) {
            item.insert(field.clone(), value.clone());
        }
    }
    Value::Object(item)
}

/// `fields[Queue]=Name`, `fields[Creator]=Name,EmailAddress`, ...: adds to a reference
/// (or a list of them) what ticketd knows of it without another lookup: a queue's name
/// (`queue_name`), a user's name and address (a user is referred to by either).
pub fn expand_references(record: &mut Map<String, Value>, query: &[(String, String)], queue_name: Option<&str>) {
    for (key, asked) in query {
        let Some(field) = key.strip_prefix("fields[").and_then(|k| k.strip_suffix(']')) else {
            continue;
        };
        let asked: Vec<&str> = asked.split(',').map(str::trim).collect();
        match record.get_mut(field) {
            Some(Value::Array(all)) => all.iter_mut().for_each(|r| expand(r, &asked, queue_name)),
            Some(one) => expand(one, &asked, queue_name),
            None => {}
        }
    }
}

fn expand(reference: &mut Value, asked: &[&str], queue_name: Option<&str>) {
    let Value::Object(map) = reference else {
        return;
    };
    let id = map.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = map.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
    for field in asked {
        let value = match (kind.as_str(), *field) {
            ("queue", "Name") => queue_name.map(str::to_string),
            ("user", "Name") => Some(id.clone()),
            ("user", "EmailAddress") => Some(if id.contains('@') { id.clone() } else { String::new() }),
            _ => None,
        };
        if let Some(value) = value {
            map.insert((*field).to_string(), json!(value));
        }
    }
}

/// Who changed the ticket last: the creator of its newest transaction.
fn last_updated_by(t: &Ticket) -> String {
    t.transactions
        .as_ref()
        .and_then(|all| all.iter().max_by_key(|x| x.id))
        .map_or_else(|| t.creator.clone(), |x| x.creator.clone())
}

/// RT's one-line description of a transaction.
pub fn description(x: &Transaction) -> String {
    use crate::ticket::TransactionKind as K;
    let by = &x.creator;
    match x.kind {
        K::Create => format!("Ticket created by {by}"),
        K::Correspond => format!("Correspondence added by {by}"),
        K::Comment => format!("Comments added by {by}"),
        _ => match (&x.field, &x.old_value, &x.new_value) {
            (Some(field), old, new) => format!(
                "{field} changed from '{}' to '{}' by {by}",
                old.as_deref().unwrap_or_default(),
                new.as_deref().unwrap_or_default()
            ),
            _ => format!("{:?} by {by}", x.kind),
        },
    }
}

/// RT's name of a link in `_hyperlinks`.
fn link_ref(name: LinkName) -> &'static str {
    match name {
        LinkName::DependsOn => "depends-on",
        LinkName::DependedOnBy => "depended-on-by",
        LinkName::MemberOf => "parent",
        LinkName::Members => "child",
        LinkName::RefersTo => "refers-to",
        LinkName::ReferredToBy => "referred-to-by",
    }
}

/// An id or name as one path segment.
fn urlencoding_path(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@+".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
