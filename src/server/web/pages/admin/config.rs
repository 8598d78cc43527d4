//! `/admin/rules` and `/admin/templates`: the rules in effect and the templates, each
//! with where it comes from, read-only (they live in the config file).

use axum::extract::State;
use axum::response::Response;

use crate::server::web::pages::{Staff, failed};
use crate::server::web::session::read_me;
use crate::server::web::{Web, i18n};
use crate::workflow::rule_tools;

pub async fn rules(State(web): State<Web>, me: Staff) -> Response {
    let settings = web.app.settings.clone();
    let rules = match read_me(&web, &me, move |_, access| rule_tools::rules_shown(&settings, access)).await {
        Ok(rules) => rules,
        Err(e) => return failed(&web, &me, &e),
    };
    // as `tkt rules list` prints each: its TOML, as the config file would hold it
    let rows: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.rule.name,
                "source": r.source,
                "disabled": r.rule.disabled,
                "queues": r.rule.queues,
                "toml": toml::to_string(&r.rule).unwrap_or_else(|e| format!("# cannot show: {e}\n")),
            })
        })
        .collect();
    web.page(
        "admin_rules.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr("admin-rules"), "rules": rows }),
    )
}

pub async fn templates(State(web): State<Web>, me: Staff) -> Response {
    let config = web.app.config.clone();
    let templates = match read_me(&web, &me, move |_, access| rule_tools::templates(&config, access)).await {
        Ok(templates) => templates,
        Err(e) => return failed(&web, &me, &e),
    };
    web.page(
        "admin_templates.html",
        Some(me.name()),
        serde_json::json!({ "title": i18n::tr("admin-templates"), "templates": templates }),
    )
}
