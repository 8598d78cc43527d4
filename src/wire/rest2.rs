//! `/REST/2.0`: the request and answer shapes of RT 5's REST2 that ticketd speaks, so
//! that RT's clients (python-rt, RT::Client::REST2, scripts written for RT) work
//! unchanged. Names are RT's (`Queue`, `Requestor`, `FileContent`), not ticketd's.
//!
//! Records (a ticket, a transaction, a queue) are JSON objects built by the server:
//! `fields=A,B` picks which of their keys a collection's items carry, so they are maps
//! rather than structs here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reference to another record: `{"type":"user","id":"alice","_url":".../user/alice"}`.
/// RT gives `id` as a string here (a user's is their name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(rename = "_url")]
    pub url: String,
}

/// One page of a collection (`/tickets`, `/ticket/N/history`, `/queues/all`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Collection {
    pub count: usize,
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
    pub total: usize,
    pub items: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_page: Option<String>,
}

/// Every error: `{"message": "..."}` with the HTTP status saying what kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rest2Error {
    pub message: String,
}

/// `GET /rt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo {
    pub version: String,
    pub plugins: Vec<String>,
}

/// A value RT takes as one string or a list of them (`"Requestor": "a@x"` or
/// `["a@x", "b@x"]`); numbers are taken as their text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    Many(Vec<Scalar>),
    One(Scalar),
}

/// A string or a number, as RT's clients send fields (`"Priority": 10` or `"10"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    #[schema(value_type = f64)]
    Number(serde_json::Number),
}

impl Scalar {
    /// The value as text.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
        }
    }
}

impl OneOrMany {
    /// The values, each as text.
    pub fn texts(&self) -> Vec<String> {
        match self {
            OneOrMany::Many(all) => all.iter().map(Scalar::text).collect(),
            OneOrMany::One(one) => vec![one.text()],
        }
    }
}

/// `POST /ticket`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NewTicket {
    pub queue: Scalar,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub requestor: Option<OneOrMany>,
    #[serde(default)]
    pub cc: Option<OneOrMany>,
    #[serde(default, rename = "AdminCc")]
    pub admin_cc: Option<OneOrMany>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub priority: Option<Scalar>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    pub attachments: Vec<FileUpload>,
}

/// `POST /ticket/N/correspond` and `/comment` as JSON (or the `JSON` part of a form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NewMessage {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// Minutes worked.
    #[serde(default)]
    pub time_taken: Option<Scalar>,
    /// A status to move the ticket to with the message.
    #[serde(default)]
    pub status: Option<String>,
    /// Copied on this message only, in the open (RT's one-time Cc).
    #[serde(default)]
    pub cc: Option<OneOrMany>,
    /// Copied on this message only, on the envelope alone (RT's one-time Bcc).
    #[serde(default)]
    pub bcc: Option<OneOrMany>,
    #[serde(default)]
    pub attachments: Vec<FileUpload>,
}

/// A file sent inside JSON, its bytes in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileUpload {
    #[serde(rename = "FileName")]
    pub file_name: String,
    #[serde(rename = "FileType", default)]
    pub file_type: Option<String>,
    #[serde(rename = "FileContent")]
    pub file_content: String,
}

/// One condition of a collection's JSON filter body
/// (`[{"field":"Filename","operator":"IS NOT","value":""}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Filter {
    pub field: String,
    #[serde(default = "equals")]
    pub operator: String,
    #[serde(default)]
    pub value: Option<Scalar>,
}

fn equals() -> String {
    "=".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_as_one_value_or_a_list_of_strings_and_numbers() {
        let t: NewTicket = serde_json::from_str(
            r#"{"Queue": 1, "Requestor": "a@x", "Cc": ["b@x", 7], "Priority": "5", "CustomFields": {"S": ["m", "d"]}}"#,
        )
        .unwrap();
        assert_eq!(t.queue.text(), "1");
        assert_eq!(t.requestor.unwrap().texts(), ["a@x"]);
        assert_eq!(t.cc.unwrap().texts(), ["b@x", "7"]);
        assert_eq!(t.priority.unwrap().text(), "5");
        assert_eq!(t.custom_fields["S"].texts(), ["m", "d"]);
        assert!(serde_json::from_str::<NewTicket>(r#"{"Subject": "no queue"}"#).is_err());
    }

    #[test]
    fn a_filter_defaults_to_equals() {
        let f: Vec<Filter> = serde_json::from_str(r#"[{"field": "Filename", "value": ""}]"#).unwrap();
        assert_eq!(f[0].operator, "=");
    }
}
