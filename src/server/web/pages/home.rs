//! Home, "at a glance" as RT calls it: what I own, what nobody owns yet, the queues with
//! their counts, my saved searches, and a quick create.

use axum::extract::State;
use axum::response::Response;

use super::{Row, Staff, failed};
use crate::search::parse;
use crate::server::now;
use crate::server::web::session::read_me;
use crate::server::web::{Web, i18n};
use crate::workflow::{saved_searches, view};

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
        let queues = view::queue_counts(db, access, &settings)?;
        let saved = saved_searches::list(db, access)?;
        Ok((mine, unowned, queues, saved))
    })
    .await;
    let (mine, unowned, queues, saved) = match found {
        Ok(found) => found,
        Err(e) => return failed(&web, &me, &e),
    };
    let queue_rows: Vec<serde_json::Value> = queues
        .iter()
        .map(|q| {
            let count = |status: &str| q.active.iter().find(|(st, _)| st == status).map_or(0, |(_, n)| *n);
            serde_json::json!({
                "name": q.queue,
                "description": q.description,
                "new": count("new"),
                "open": count("open"),
                "stalled": count("stalled"),
                "other": q.active.iter().filter(|(st, _)| !["new", "open", "stalled"].contains(&st.as_str())).map(|(_, n)| n).sum::<i64>(),
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
