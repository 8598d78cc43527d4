//! `/v1/rules` and `/v1/templates`: the rules in effect, dry runs, template previews.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::ingest::read_limited;
use super::{Actor, ApiResult, App, read_as, write_as};
use crate::server::now;
use crate::ticket::Action;
use crate::wire::{RenderParams, RuleTestParams, RulesParams};
use crate::workflow::Delivery;
use crate::workflow::rule_tools;

pub async fn list(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<RulesParams>,
) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let rules = read_as(&app, actor, move |_, access| {
        rule_tools::rules(&settings, access, p.queue.as_deref())
    })
    .await?;
    Ok(Json(rules).into_response())
}

/// Runs a message through the rules without keeping anything.
pub async fn test(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Query(p): Query<RuleTestParams>,
    body: Body,
) -> ApiResult<Response> {
    let raw = read_limited(body, app.config.mail.max_message_bytes).await?;
    let delivery = Delivery {
        queue: p.queue,
        action: p.action.as_deref().unwrap_or("correspond").parse::<Action>()?,
        ticket: p.ticket,
        envelope_sender: p.sender,
        // a dry run is a user's upload, not the MTA's delivery
        with_mta_secret: false,
    };
    let result = write_as(&app, actor, move |tx, access, settings| {
        rule_tools::test_rules(tx, settings, access, &delivery, &raw, now())
    })
    .await?;
    Ok(Json(result).into_response())
}

pub async fn render_template(
    State(app): State<App>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Query(p): Query<RenderParams>,
) -> ApiResult<Response> {
    let settings = app.settings.clone();
    let rendered = read_as(&app, actor, move |db, access| {
        rule_tools::render_template(db, &settings, access, &name, p.ticket, now())
    })
    .await?;
    Ok(Json(rendered).into_response())
}
