//! Home, "at a glance" as RT calls it: what I own, what nobody owns yet, the queues with
//! their counts, my saved searches, and a quick create.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;

use super::{Row, Staff, failed};
use crate::search::{Grouping, parse};
use crate::server::now;
use crate::server::web::session::read_me;
use crate::server::web::{Web, i18n};
use crate::workflow::{admin, saved_searches, view};

/// My ten most urgent open tickets.
const MINE: &str = "Owner = '__CurrentUser__' AND Status = '__Active__' ORDER BY Priority DESC, id LIMIT 10";
/// The ten newest tickets nobody owns.
const UNOWNED: &str = "Owner = 'Nobody' AND Status = '__Active__' ORDER BY Created DESC LIMIT 10";

pub async fn home(State(web): State<Web>, me: Staff) -> Response {
    let settings = web.app.settings.clone();
    let at = now();
    let found = read_me(&web, &me, move |db, access| {
        let lifecycles = settings.all_lifecycles();
        let mine = view::search(db, access, &parse(MINE, at)?, &lifecycles)?;
        let unowned = view::search(db, access, &parse(UNOWNED, at)?, &lifecycles)?;
        let counts = view::report(
            db,
            access,
            &parse("Status = '__Active__'", at)?,
            &[Grouping::Queue, Grouping::Status],
            &lifecycles,
        )?;
        let queues = admin::queues(db, access)?;
        let saved = saved_searches::list(db, access)?;
        Ok((mine, unowned, counts, queues, saved))
    })
    .await;
    let (mine, unowned, counts, queues, saved) = match found {
        Ok(found) => found,
        Err(e) => return failed(&web, &me, &e),
    };
    let mut by_queue: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in counts {
        if let [queue, status] = row.group.as_slice() {
            by_queue
                .entry(queue.to_lowercase())
                .or_default()
                .insert(status.clone(), row.count);
        }
    }
    let queue_rows: Vec<serde_json::Value> = queues
        .iter()
        .map(|q| {
            let counts = by_queue.remove(&q.name.to_lowercase()).unwrap_or_default();
            serde_json::json!({
                "name": q.name,
                "description": q.description,
                "new": counts.get("new").copied().unwrap_or(0),
                "open": counts.get("open").copied().unwrap_or(0),
                "stalled": counts.get("stalled").copied().unwrap_or(0),
                "other": counts.iter().filter(|(s, _)| !["new", "open", "stalled"].contains(&s.as_str())).map(|(_, n)| n).sum::<i64>(),
            })
        })
        .collect();
    web.page(
        "home.html",
        Some(me.name()),
        serde_json::json!({
            "title": i18n::tr("home-heading"),
            "mine": Row::all(&mine),
            "unowned": Row::all(&unowned),
            "queues": queue_rows,
            "saved": saved,
        }),
    )
}
