//! Custom field definitions (synced from the config) and ticket values.

use std::collections::{BTreeMap, HashMap};

use super::rights::id_list;
use super::sql::{self, params};
use super::{Db, WriteTx};
use crate::error::Result;
use crate::ticket::CustomFieldDef;

impl Db<'_> {
    /// A ticket's custom field values by field name.
    pub fn custom_field_values(&self, ticket_id: i64) -> Result<BTreeMap<String, Vec<String>>> {
        Ok(self
            .custom_field_values_of(&[ticket_id])?
            .remove(&ticket_id)
            .unwrap_or_default())
    }

    /// [`custom_field_values`](Db::custom_field_values) of several tickets in one
    /// statement, by ticket; a ticket without values is not in the map.
    pub fn custom_field_values_of(&self, tickets: &[i64]) -> Result<HashMap<i64, BTreeMap<String, Vec<String>>>> {
        let mut values: HashMap<i64, BTreeMap<String, Vec<String>>> = HashMap::new();
        sql::each(
            self.sql(),
            "SELECT v.ticket_id, f.name, v.value FROM ticket_custom_field_values v \
             JOIN custom_fields f ON f.id = v.custom_field_id \
             WHERE v.ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY v.ticket_id, f.name, v.id",
            [id_list(tickets)],
            |r| {
                values
                    .entry(r.get(0)?)
                    .or_default()
                    .entry(r.get(1)?)
                    .or_default()
                    .push(r.get(2)?);
                Ok(())
            },
        )?;
        Ok(values)
    }

    /// The id of the custom field with this name.
    pub fn custom_field_id(&self, name: &str) -> Result<Option<i64>> {
        sql::optional(
            self.sql(),
            "SELECT id FROM custom_fields WHERE name = ?1 AND disabled = 0",
            [name],
            |r| r.get(0),
        )
    }
}

impl WriteTx<'_> {
    /// Makes the custom fields match the config. Fields it no longer defines are
    /// disabled, their values kept.
    pub fn sync_custom_fields(&self, fields: &[CustomFieldDef]) -> Result<()> {
        sql::execute(self.sql(), "UPDATE custom_fields SET disabled = 1", [])?;
        for f in fields {
            let allowed = serde_json::to_string(&f.values).unwrap_or_else(|_| "[]".into());
            let existing: Option<i64> = sql::optional(
                self.sql(),
                "SELECT id FROM custom_fields WHERE name = ?1 AND queue_id IS NULL",
                [&f.name],
                |r| r.get(0),
            )?;
            match existing {
                Some(id) => sql::execute(
                    self.sql(),
                    "UPDATE custom_fields SET type = ?2, allowed = ?3, disabled = 0 WHERE id = ?1",
                    params![id, f.kind.as_str(), allowed],
                )?,
                None => sql::execute(
                    self.sql(),
                    "INSERT INTO custom_fields (name, type, allowed) VALUES (?1, ?2, ?3)",
                    params![f.name, f.kind.as_str(), allowed],
                )?,
            };
        }
        Ok(())
    }

    /// Replaces a ticket's values of one field.
    pub fn set_custom_field_values(&self, ticket_id: i64, field_id: i64, values: &[String]) -> Result<()> {
        sql::execute(
            self.sql(),
            "DELETE FROM ticket_custom_field_values WHERE ticket_id = ?1 AND custom_field_id = ?2",
            params![ticket_id, field_id],
        )?;
        for value in values {
            sql::execute(
                self.sql(),
                "INSERT INTO ticket_custom_field_values (ticket_id, custom_field_id, value) VALUES (?1, ?2, ?3)",
                params![ticket_id, field_id, value],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tickets::tests::a_ticket;
    use crate::store::Store;
    use crate::ticket::{CustomFieldDef, FieldType};

    #[test]
    fn fields_follow_the_config_and_values_are_kept_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let ticket = a_ticket(&tx, "general");
        let severity = CustomFieldDef {
            name: "Severity".into(),
            kind: FieldType::Multiselect,
            values: vec!["low".into(), "high".into()],
            queues: Vec::new(),
        };
        tx.sync_custom_fields(std::slice::from_ref(&severity)).unwrap();
        let id = tx.custom_field_id("Severity").unwrap().unwrap();
        // the name is COLLATE NOCASE
        assert_eq!(tx.custom_field_id("severity").unwrap(), Some(id));

        tx.set_custom_field_values(ticket, id, &["high".into(), "low".into()])
            .unwrap();
        let values = tx.custom_field_values(ticket).unwrap();
        assert_eq!(values["Severity"], ["high", "low"]);

        tx.sync_custom_fields(&[]).unwrap();
        assert_eq!(tx.custom_field_id("Severity").unwrap(), None);
        assert_eq!(tx.custom_field_values(ticket).unwrap(), values);
        tx.sync_custom_fields(&[severity]).unwrap();
        assert_eq!(tx.custom_field_id("Severity").unwrap(), Some(id));
    }
}
