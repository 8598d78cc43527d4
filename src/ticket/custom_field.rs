//! Custom fields: per-queue fields that sites define in the config (RT's CustomFields).

use serde::{Deserialize, Serialize};

use super::parse_date;
use crate::error::Error;

/// What kind of values a custom field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Any text.
    Text,
    /// One of `values`.
    Select,
    /// Any of `values`, several at once (written comma-separated).
    Multiselect,
    /// A date.
    Date,
    /// A whole number.
    Integer,
}

impl FieldType {
    /// The name as configured and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Date => "date",
            FieldType::Integer => "integer",
        }
    }
}

/// A custom field as the config defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// The allowed values of a select or multiselect.
    #[serde(default)]
    pub values: Vec<String>,
    /// The queues whose tickets have it; empty: every queue.
    #[serde(default)]
    pub queues: Vec<String>,
}

impl CustomFieldDef {
    /// Whether tickets of this queue have the field.
    pub fn applies_to(&self, queue: &str) -> bool {
        self.queues.is_empty() || self.queues.iter().any(|q| q.eq_ignore_ascii_case(queue))
    }

    /// The values to store for what someone wrote: checked against the type, in a
    /// canonical form (dates in RFC 3339, select values spelt as configured). Empty input
    /// clears the field.
    pub fn parse_value(&self, raw: &str) -> Result<Vec<String>, Error> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let name = &self.name;
        let pick = |value: &str| {
            self.values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(value.trim()))
                .cloned()
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "`{}` is not a value of custom field {name}; use one of {}",
                        value.trim(),
                        self.values.join(", ")
                    ))
                })
        };
        Ok(match self.kind {
            // shown in columns and templates' headers: one line, no control characters
            FieldType::Text => Some(crate::text::one_line(raw))
                .filter(|v| !v.is_empty())
                .into_iter()
                .collect(),
            FieldType::Select => vec![pick(raw)?],
            FieldType::Multiselect => {
                let mut picked = Vec::new();
                for value in raw.split(',').filter(|v| !v.trim().is_empty()) {
                    let value = pick(value)?;
                    if !picked.contains(&value) {
                        picked.push(value);
                    }
                }
                picked
            }
            FieldType::Date => vec![
                parse_date(raw)
                    .map_err(|_| Error::Invalid(format!("custom field {name} takes a date (2026-12-01), not `{raw}`")))?
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
            ],
            FieldType::Integer => vec![
                raw.parse::<i64>()
                    .map_err(|_| Error::Invalid(format!("custom field {name} takes a whole number, not `{raw}`")))?
                    .to_string(),
            ],
        })
    }

    /// Checks a definition read from the config.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() || self.name.contains(['{', '}', '=']) {
            return Err(format!(
                "custom field name `{}` must be a name without {{, }} or =",
                self.name
            ));
        }
        let selects = matches!(self.kind, FieldType::Select | FieldType::Multiselect);
        if selects && self.values.is_empty() {
            return Err(format!(
                "custom field {} is a {} and needs values",
                self.name,
                self.kind.as_str()
            ));
        }
        if !selects && !self.values.is_empty() {
            return Err(format!("custom field {}: only select fields have values", self.name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldType, values: &[&str]) -> CustomFieldDef {
        CustomFieldDef {
            name: "F".into(),
            kind,
            values: values.iter().map(|v| v.to_string()).collect(),
            queues: vec![],
        }
    }

    #[test]
    fn values_are_checked_and_made_canonical() {
        let select = field(FieldType::Select, &["Low", "High"]);
        assert_eq!(select.parse_value("high").unwrap(), ["High"]);
        assert!(
            select
                .parse_value("urgent")
                .unwrap_err()
                .to_string()
                .contains("use one of Low, High")
        );
        let multi = field(FieldType::Multiselect, &["a", "b", "c"]);
        assert_eq!(multi.parse_value("c, a,a").unwrap(), ["c", "a"]);
        assert_eq!(
            field(FieldType::Date, &[]).parse_value("2026-12-01").unwrap(),
            ["2026-12-01T00:00:00Z"]
        );
        assert!(
            field(FieldType::Integer, &[])
                .parse_value("12x")
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        assert_eq!(
            field(FieldType::Text, &[]).parse_value("  ").unwrap(),
            Vec::<String>::new()
        );
        assert!(field(FieldType::Select, &[]).validate().is_err());
    }
}
