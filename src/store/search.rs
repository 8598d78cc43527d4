//! Running searches, reports and full-text searches (compiled by [`super::compile`]), and
//! saved searches.

use super::compile::{SeenBy, compile_query, visible};
use super::sql::{self, Dialect, Value as SqlValue, params};
use super::{Db, WriteTx};
use crate::error::Result;
use crate::search::{Field, Grouping, Query};
use crate::ticket::{Lifecycle, Ticket};
use crate::wire::{ContentHit, SavedSearch};

impl Db<'_> {
    /// The id of the queue a query names, disabled queues included (their tickets are
    /// still there to find).
    pub fn queue_id_for_search(&self, name: &str) -> Result<Option<i64>> {
        sql::optional(self.sql(), "SELECT id FROM queues WHERE name = ?1", [name], |r| {
            r.get(0)
        })
    }

    /// Whether a custom field of this name was ever defined (values of one the config no
    /// longer defines are kept, and can be searched).
    pub fn custom_field_exists(&self, name: &str) -> Result<bool> {
        sql::one(
            self.sql(),
            "SELECT EXISTS (SELECT 1 FROM custom_fields WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )
    }

    /// The tickets matching a query, without their history. Merged tickets are not listed
    /// (their survivor is), and deleted ones only when the query asks about Status, as RT.
    ///
    /// With `seen_by`, only the tickets that user may see are listed.
    /// `lifecycles` decide what `__Active__` and `__Inactive__` mean in each queue.
    pub fn search(&self, query: &Query, seen_by: SeenBy<'_>, lifecycles: &[&Lifecycle]) -> Result<Vec<Ticket>> {
        self.tickets(&self.search_ids(query, seen_by, lifecycles)?)
    }

    /// The numbers of the tickets matching a query, in its order: for work that loads
    /// tickets one at a time.
    pub fn search_ids(&self, query: &Query, seen_by: SeenBy<'_>, lifecycles: &[&Lifecycle]) -> Result<Vec<i64>> {
        let compiled = compile_query(query, seen_by, lifecycles, true, self.dialect());
        self.planned_for_its_values(|| sql::all(self.sql(), &compiled.sql, compiled.params, |r| r.get(0)))
    }

    /// Runs `f` (a search) with PostgreSQL planning each statement for the values it is
    /// given. Left to itself, PostgreSQL plans a prepared statement for its values only
    /// the first five times it runs and then may switch to one generic plan for any values,
    /// costed without knowing them: how common a word is, how many tickets a queue holds.
    /// For a search that plan can be ruinous. Over a million tickets, the phrase search
    /// `Content LIKE '"printer network"'` took 0.15 s for five runs, then 44 s: the generic
    /// plan walks every ticket in id order and runs `fts_query` on each of its transactions.
    /// Planning a search costs a millisecond or two. SQLite plans every statement for its
    /// values anyway; there this does nothing.
    fn planned_for_its_values<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.dialect() != Dialect::Postgres {
            return f();
        }
        sql::batch(self.sql(), "SET plan_cache_mode = force_custom_plan")?;
        let result = f();
        // after a failure inside a transaction PostgreSQL refuses everything until its end,
        // which resets the setting anyway (a SET in a failed transaction is undone)
        let reset = sql::batch(self.sql(), "RESET plan_cache_mode");
        let value = result?;
        reset?;
        Ok(value)
    }

    /// Counts the tickets matching a query, grouped by `by` (one or more groupings):
    /// each row the group's values and its count, in the groups' order.
    pub fn report(
        &self,
        query: &Query,
        by: &[Grouping],
        seen_by: SeenBy<'_>,
        lifecycles: &[&Lifecycle],
    ) -> Result<Vec<(Vec<String>, i64)>> {
        let unordered = Query {
            order_by: Vec::new(),
            limit: None,
            offset: None,
            ..query.clone()
        };
        let compiled = compile_query(&unordered, seen_by, lifecycles, false, self.dialect());
        // group by the tickets' own columns (ids, not names), then name the groups: the
        // names are looked up once per group instead of once per ticket
        let mut params = Vec::new();
        let (keys, names): (Vec<String>, Vec<String>) = by
            .iter()
            .enumerate()
            .map(|(n, g)| group_column(g, &format!("g{n}"), &mut params))
            .unzip();
        params.extend(compiled.params);
        let keys: Vec<String> = keys.iter().enumerate().map(|(n, k)| format!("{k} AS g{n}")).collect();
        let groups: Vec<String> = (1..=by.len()).map(|n| n.to_string()).collect();
        // a group without a value (no due date, no such field) sorts first, as SQLite
        // sorts NULL, on PostgreSQL too
        let sorted: Vec<String> = groups.iter().map(|n| format!("{n} NULLS FIRST")).collect();
        let sql = format!(
            "SELECT {}, n FROM (SELECT {}, count(*) AS n FROM tickets t WHERE {} GROUP BY {}) AS grouped ORDER BY {}",
            names.join(", "),
            keys.join(", "),
            compiled.sql,
            groups.join(", "),
            sorted.join(", ")
        );
        self.planned_for_its_values(|| {
            sql::all(self.sql(), &sql, params, |r| {
                let mut values = Vec::with_capacity(by.len());
                for n in 0..by.len() {
                    let value: Option<SqlValue> = r.get(n)?;
                    values.push(match value {
                        Some(SqlValue::Text(t)) => t,
                        Some(SqlValue::Integer(i)) => i.to_string(),
                        Some(SqlValue::Real(f)) => f.to_string(),
                        _ => "(none)".into(),
                    });
                }
                Ok((values, r.get(by.len())?))
            })
        })
    }

    /// The best full-text matches for `fts` (a query from `search::fts_query`) among the
    /// tickets the user may see, best first, one hit per ticket, with snippets. A hit in
    /// a merged ticket counts for (and is checked against the rights on) the ticket it
    /// was merged into; a comment only where the user may read that ticket's comments.
    pub fn content_search(&self, fts: &str, seen_by: SeenBy<'_>, limit: u32) -> Result<Vec<ContentHit>> {
        let mut params = vec![SqlValue::Text(fts.to_string())];
        let mut sql = String::from(match self.dialect() {
            Dialect::Sqlite => {
                "SELECT t.id, x.id, snippet(transaction_text, 0, '[', ']', ' … ', 16) \
                 FROM transaction_text JOIN transactions x ON x.id = transaction_text.rowid \
                 JOIN tickets t ON t.id = COALESCE(x.merged_into, x.ticket_id) \
                 WHERE transaction_text MATCH ? AND t.status != 'deleted'"
            }
            Dialect::Postgres => {
                "SELECT t.id, x.id, ts_headline('simple', x.content, fts_query(?1), \
                   'StartSel=[, StopSel=], MaxWords=16, MinWords=4, MaxFragments=1, FragmentDelimiter=\" … \"') \
                 FROM transactions x \
                 JOIN tickets t ON t.id = COALESCE(x.merged_into, x.ticket_id) \
                 WHERE x.content_words @@ fts_query(?1) AND t.status != 'deleted'"
            }
        });
        if let Some(viewer) = seen_by {
            if let Some(tickets) = visible(&viewer.principal, &viewer.tickets, self.dialect(), &mut params) {
                sql.push_str(&format!(" AND {tickets}"));
            }
            if let Some(comments) = visible(&viewer.principal, &viewer.comments, self.dialect(), &mut params) {
                sql.push_str(&format!(" AND (x.type != 'Comment' OR {comments})"));
            }
        }
        // more rows than tickets wanted: several hits of one ticket make one result
        sql.push_str(match self.dialect() {
            Dialect::Sqlite => " ORDER BY bm25(transaction_text) LIMIT ?",
            Dialect::Postgres => " ORDER BY ts_rank_cd(x.content_words, fts_query(?1)) DESC, x.id LIMIT ?",
        });
        params.push(SqlValue::Integer(i64::from(limit.saturating_mul(4))));
        let mut hits: Vec<ContentHit> = Vec::new();
        self.planned_for_its_values(|| {
            sql::each(self.sql(), &sql, params, |r| {
                // enough tickets: the rows left are passed over
                if hits.len() == limit as usize {
                    return Ok(());
                }
                let (ticket, transaction, snippet) = (r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<String>(2)?);
                if hits.iter().any(|h| h.ticket == ticket) {
                    return Ok(());
                }
                let subject = self.ticket_row(ticket)?.map(|t| t.subject).unwrap_or_default();
                hits.push(ContentHit {
                    ticket,
                    subject,
                    transaction,
                    snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
                });
                Ok(())
            })
        })?;
        Ok(hits)
    }
}

/// A report grouping as the key to group tickets by, and the expression that names a
/// group from its key (`key` is the key's column in the grouped rows).
fn group_column(g: &Grouping, key: &str, params: &mut Vec<SqlValue>) -> (String, String) {
    // `+column`: a plain table scan with a sort beats walking an index of the grouping
    // column that does not cover the query, fetching every ticket's row in index order;
    // the (queue_id, status, priority, effective_id) index does cover status and queue
    let user = |column: &str| {
        (
            format!("+{column}"),
            format!("(SELECT COALESCE(email, name) FROM users WHERE id = {key})"),
        )
    };
    match g {
        Grouping::Status => ("t.status".into(), key.into()),
        Grouping::Queue => (
            "t.queue_id".into(),
            format!("(SELECT name FROM queues WHERE id = {key})"),
        ),
        Grouping::Owner => user("t.owner_id"),
        Grouping::Creator => user("t.creator_id"),
        Grouping::Priority => ("+t.priority".into(), key.into()),
        Grouping::Date { field, length } => {
            let column = match field {
                Field::Resolved => "t.resolved",
                Field::Due => "t.due",
                Field::Updated => "t.updated",
                Field::Started => "t.started",
                _ => "t.created",
            };
            (format!("substr({column}, 1, {length})"), key.into())
        }
        Grouping::CustomField(name) => {
            params.push(SqlValue::Text(name.clone()));
            (
                "(SELECT MIN(v.value) FROM ticket_custom_field_values v JOIN custom_fields f \
                  ON f.id = v.custom_field_id WHERE v.ticket_id = t.id AND f.name = ?)"
                    .into(),
                key.into(),
            )
        }
    }
}

impl Db<'_> {
    /// A user's saved searches, by name.
    pub fn saved_searches(&self, owner: i64) -> Result<Vec<SavedSearch>> {
        sql::all(
            self.sql(),
            "SELECT name, query FROM saved_searches WHERE owner_id = ?1 ORDER BY name",
            [owner],
            |r| {
                Ok(SavedSearch {
                    name: r.get(0)?,
                    query: r.get(1)?,
                })
            },
        )
    }

    /// A user's saved search by name: its id and query.
    pub fn saved_search(&self, owner: i64, name: &str) -> Result<Option<(i64, String)>> {
        sql::optional(
            self.sql(),
            "SELECT id, query FROM saved_searches WHERE owner_id = ?1 AND name = ?2",
            params![owner, name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}

impl WriteTx<'_> {
    /// Saves (or replaces) a user's search under a name.
    pub fn save_search(&self, owner: i64, name: &str, query: &str) -> Result<()> {
        sql::execute(
            self.sql(),
            "INSERT INTO saved_searches (owner_id, name, query) VALUES (?1, ?2, ?3) \
             ON CONFLICT (owner_id, name) DO UPDATE SET query = excluded.query",
            params![owner, name, query],
        )?;
        Ok(())
    }

    /// Forgets a saved search and ends the feeds that follow it; false when there was
    /// none of that name.
    pub fn delete_saved_search(&self, owner: i64, name: &str) -> Result<bool> {
        sql::execute(
            self.sql(),
            "DELETE FROM feeds WHERE search_id IN \
             (SELECT id FROM saved_searches WHERE owner_id = ?1 AND name = ?2)",
            params![owner, name],
        )?;
        let n = sql::execute(
            self.sql(),
            "DELETE FROM saved_searches WHERE owner_id = ?1 AND name = ?2",
            params![owner, name],
        )?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::{Principal, Viewer, Visibility};
    use crate::search::{Direction, parse};
    use crate::store::{DateField, NewTicket, NewTransaction, Store, parse_ts};
    use crate::ticket::{Status, Timestamp, TransactionKind};
    use crate::user::{NOBODY_ID, ROOT_ID};

    fn at(day: u32) -> Timestamp {
        parse_ts(&format!("2026-12-{day:02}T10:00:00Z")).unwrap()
    }

    #[test]
    fn searches_reports_and_full_text_run_on_the_sql_layer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let tx = store.begin().unwrap();
        let queue = tx
            .create_queue("general", "general@test", "general-comment@test", at(1))
            .unwrap();
        let mut ids = Vec::new();
        for (subject, content) in [("one", "the printer jammed"), ("two", "printer on fire"), ("three", "")] {
            let id = tx
                .insert_ticket(&NewTicket {
                    queue_id: queue.id,
                    subject,
                    status: Status::named(Status::NEW),
                    owner_id: NOBODY_ID,
                    priority: 0,
                    final_priority: 0,
                    creator_id: ROOT_ID,
                    now: at(1),
                })
                .unwrap();
            tx.insert_transaction(&NewTransaction {
                content,
                ..NewTransaction::new(id, TransactionKind::Correspond, ROOT_ID, at(1))
            })
            .unwrap();
            ids.push(id);
        }
        tx.set_date(ids[0], DateField::Due, Some(at(20))).unwrap();
        let lifecycle = Lifecycle::default_lifecycle();
        let lifecycles = [&lifecycle];
        let by_due = |direction| Query {
            order_by: vec![(Field::Due, direction)],
            ..parse("Queue = 'general'", at(2)).unwrap()
        };
        // without a due date first going up, last going down, as SQLite sorts NULL
        assert_eq!(
            tx.search_ids(&by_due(Direction::Asc), None, &lifecycles).unwrap(),
            [ids[1], ids[2], ids[0]]
        );
        assert_eq!(
            tx.search_ids(&by_due(Direction::Desc), None, &lifecycles).unwrap(),
            [ids[0], ids[1], ids[2]]
        );
        let by = [
            Grouping::Status,
            Grouping::Date {
                field: Field::Due,
                length: 7,
            },
        ];
        let everything = parse("id > 0", at(2)).unwrap();
        assert_eq!(
            tx.report(&everything, &by, None, &lifecycles).unwrap(),
            [
                (vec!["new".to_string(), "(none)".to_string()], 2),
                (vec!["new".to_string(), "2026-12".to_string()], 1)
            ]
        );
        let fts = crate::search::fts_query("printer").unwrap();
        let hits = tx.content_search(&fts, None, 10).unwrap();
        let mut found: Vec<i64> = hits.iter().map(|h| h.ticket).collect();
        found.sort_unstable();
        assert_eq!(found, [ids[0], ids[1]]);
        assert!(hits.iter().all(|h| h.snippet.contains("[printer]")), "{hits:?}");
        assert_eq!(tx.content_search(&fts, None, 1).unwrap().len(), 1);
        // someone who may see nothing finds nothing
        let blind = Viewer {
            principal: Principal {
                user_id: ROOT_ID,
                groups: Vec::new(),
            },
            tickets: Visibility::default(),
            comments: Visibility::default(),
        };
        assert!(
            tx.search_ids(&everything, Some(&blind), &lifecycles)
                .unwrap()
                .is_empty()
        );
        assert!(
            tx.report(&everything, &by, Some(&blind), &lifecycles)
                .unwrap()
                .is_empty()
        );
        assert!(tx.content_search(&fts, Some(&blind), 10).unwrap().is_empty());
    }
}
