//! Custom field definitions (synced from the config) and ticket values.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::{Db, WriteTx, cached_execute, cached_row};
use crate::error::Result;
use crate::ticket::CustomFieldDef;

impl Db<'_> {
    /// A ticket's custom field values by field name.
    pub fn custom_field_values(&self, ticket_id: i64) -> Result<BTreeMap<String, Vec<String>>> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare_cached(
                "SELECT f.name, v.value FROM ticket_custom_field_values v \
                 JOIN custom_fields f ON f.id = v.custom_field_id WHERE v.ticket_id = ?1 ORDER BY f.name, v.id",
            )?
            .query_map([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in rows {
            values.entry(name).or_default().push(value);
        }
        Ok(values)
    }

    /// The id of the custom field with this name.
    pub fn custom_field_id(&self, name: &str) -> Result<Option<i64>> {
        Ok(cached_row(
            self.conn,
            "SELECT id FROM custom_fields WHERE name = ?1 AND disabled = 0",
            [name],
            |r| r.get(0),
        )
        .optional()?)
    }
}

impl WriteTx<'_> {
    /// Makes the custom fields match the config. Fields it no longer defines are
    /// disabled, their values kept.
    pub fn sync_custom_fields(&self, fields: &[CustomFieldDef]) -> Result<()> {
        cached_execute(self.conn(), "UPDATE custom_fields SET disabled = 1", [])?;
        for f in fields {
            let allowed = serde_json::to_string(&f.values).unwrap_or_else(|_| "[]".into());
            let existing: Option<i64> = cached_row(
                self.conn(),
                "SELECT id FROM custom_fields WHERE name = ?1 AND queue_id IS NULL",
                [&f.name],
                |r| r.get(0),
            )
            .optional()?;
            match existing {
                Some(id) => cached_execute(
                    self.conn(),
                    "UPDATE custom_fields SET type = ?2, allowed = ?3, disabled = 0 WHERE id = ?1",
                    params![id, f.kind.as_str(), allowed],
                )?,
                None => cached_execute(
                    self.conn(),
                    "INSERT INTO custom_fields (name, type, allowed) VALUES (?1, ?2, ?3)",
                    params![f.name, f.kind.as_str(), allowed],
                )?,
            };
        }
        Ok(())
    }

    /// Replaces a ticket's values of one field.
    pub fn set_custom_field_values(&self, ticket_id: i64, field_id: i64, values: &[String]) -> Result<()> {
        cached_execute(
            self.conn(),
            "DELETE FROM ticket_custom_field_values WHERE ticket_id = ?1 AND custom_field_id = ?2",
            params![ticket_id, field_id],
        )?;
        for value in values {
            cached_execute(
                self.conn(),
                "INSERT INTO ticket_custom_field_values (ticket_id, custom_field_id, value) VALUES (?1, ?2, ?3)",
                params![ticket_id, field_id, value],
            )?;
        }
        Ok(())
    }
}
