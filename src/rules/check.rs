//! Checking rules against the rest of the config: a rule that names a queue, custom
//! field, status, ticket field or template that is not there would never do what it
//! says, silently; ticketd refuses to start instead, naming the rule and the key.

use super::{Condition, Rule, RuleAction, TICKET_FIELDS};
use crate::error::Error;
use crate::ticket::{CustomFieldDef, Lifecycle, Status};

/// What the rest of the config defines, for [`validate`] to check the names rules use
/// against: a rule naming a queue, field, status or template that is not there would
/// never do what it says, silently.
pub struct Defined<'a> {
    /// The queues, each with its lifecycle.
    pub queues: Vec<(&'a str, &'a Lifecycle)>,
    /// Every lifecycle, `default` included: a rule for every queue may use the statuses
    /// of any.
    pub lifecycles: Vec<&'a Lifecycle>,
    pub custom_fields: &'a [CustomFieldDef],
    pub template_exists: &'a dyn Fn(&str) -> bool,
}

/// Checks a rule set against what exists (queues, custom fields, statuses, templates), and
/// that `from`/`to`/`reaches` sit on conditions that use them. The error names the rule
/// and the key.
pub fn validate(rules: &[Rule], defined: &Defined<'_>) -> Result<(), Error> {
    let mut names = std::collections::HashSet::new();
    for rule in rules {
        let bad = |why: String| Err(Error::Invalid(format!("rule `{}`: {why}", rule.name)));
        if !names.insert(rule.name.to_lowercase()) {
            return bad("another rule has the same name; each rule needs its own".into());
        }
        if (rule.from.is_some() || rule.to.is_some()) && rule.on != Condition::StatusChange {
            return bad("`from` and `to` go with on = \"status_change\"".into());
        }
        if rule.reaches.is_some() && rule.on != Condition::PriorityChange {
            return bad("`reaches` goes with on = \"priority_change\"".into());
        }
        if rule.actions.is_empty() {
            return bad("it has no actions".into());
        }
        if let Err(why) = defined.check_names(rule) {
            return bad(why);
        }
        for action in &rule.actions {
            if let RuleAction::Webhook { url, timeout_secs } = action {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return bad(format!("webhook `{url}` is not an http:// or https:// URL"));
                }
                if !(1..=300).contains(timeout_secs) {
                    return bad("a webhook's timeout_secs must be between 1 and 300".into());
                }
            }
            if let Some(template) = action.template()
                && !(defined.template_exists)(template)
            {
                return bad(format!("there is no template `{template}`"));
            }
        }
    }
    Ok(())
}

impl Defined<'_> {
    /// The queues, custom fields, statuses and ticket fields a rule names: each must exist
    /// where the rule runs.
    fn check_names(&self, rule: &Rule) -> Result<(), String> {
        for queue in &rule.queues {
            self.queue(queue).map_err(|e| format!("queues: {e}"))?;
        }
        let lifecycles: Vec<&Lifecycle> = if rule.queues.is_empty() {
            self.lifecycles.clone()
        } else {
            self.queues
                .iter()
                .filter(|(name, _)| rule.is_for(name))
                .map(|(_, lifecycle)| *lifecycle)
                .collect()
        };
        let status = |key: &str, status: &Status| {
            if lifecycles.iter().any(|l| l.statuses().any(|s| s == status)) {
                return Ok(());
            }
            let known: Vec<String> = lifecycles
                .iter()
                .map(|l| {
                    let statuses: Vec<&str> = l.statuses().map(Status::as_str).collect();
                    format!("{}: {}", l.name, statuses.join(", "))
                })
                .collect();
            Err(format!(
                "{key}: no lifecycle of the rule's queues has a status `{status}` ({})",
                known.join("; ")
            ))
        };
        for (key, named) in [("from", &rule.from), ("to", &rule.to)] {
            if let Some(named) = named {
                status(key, named)?;
            }
        }
        for named in &rule.when.status {
            status("when.status", named)?;
        }
        for field in rule.when.ticket.keys() {
            if !TICKET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field)) {
                return Err(format!(
                    "when.ticket: there is no ticket field `{field}` (use {})",
                    TICKET_FIELDS.join(", ")
                ));
            }
        }
        for field in rule.when.custom_fields.keys() {
            self.custom_field(rule, field)
                .map_err(|e| format!("when.custom_fields: {e}"))?;
        }
        for action in &rule.actions {
            match action {
                RuleAction::SetStatus { status: named } => status("set_status", named)?,
                RuleAction::MoveQueue { queue } => {
                    self.queue(queue).map_err(|e| format!("move_queue: {e}"))?;
                }
                RuleAction::SetCustomField { field, value } => {
                    let def = self
                        .custom_field(rule, field)
                        .map_err(|e| format!("set_custom_field: {e}"))?;
                    def.parse_value(value).map_err(|e| format!("set_custom_field: {e}"))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether there is a queue called `name`; if not, a sentence saying so that names the
    /// queues there are.
    pub fn queue(&self, name: &str) -> Result<(), String> {
        if self.queues.iter().any(|(q, _)| q.eq_ignore_ascii_case(name)) {
            return Ok(());
        }
        let known: Vec<&str> = self.queues.iter().map(|(q, _)| *q).collect();
        Err(format!(
            "there is no queue `{name}` among the [[queues]] of the config ({})",
            known.join(", ")
        ))
    }

    /// The custom field called `name`, which must be one that tickets of the rule's
    /// queues have.
    fn custom_field(&self, rule: &Rule, name: &str) -> Result<&CustomFieldDef, String> {
        let Some(def) = self.custom_fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)) else {
            let known: Vec<&str> = self.custom_fields.iter().map(|f| f.name.as_str()).collect();
            return Err(if known.is_empty() {
                format!("there is no custom field `{name}` (the config defines no [[custom_fields]])")
            } else {
                format!(
                    "there is no custom field `{name}` (the [[custom_fields]] are {})",
                    known.join(", ")
                )
            });
        };
        if !rule.queues.is_empty() && !rule.queues.iter().any(|q| def.applies_to(q)) {
            return Err(format!(
                "custom field `{}` is only for the queues {}, and the rule runs in {}",
                def.name,
                def.queues.join(", "),
                rule.queues.join(", ")
            ));
        }
        Ok(def)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rules::tests::parse;

    /// Validates against queues `general` and `network` (default lifecycle), a
    /// select field `Severity` for `network` only, and these templates.
    fn check_with(rules: &[Rule], template_exists: &dyn Fn(&str) -> bool) -> Result<(), String> {
        let lifecycle = Lifecycle::default_lifecycle();
        let fields: Vec<CustomFieldDef> = toml::from_str::<BTreeMap<String, Vec<CustomFieldDef>>>(
            "f = [{ name = \"Severity\", type = \"select\", values = [\"low\", \"high\"], queues = [\"network\"] }]",
        )
        .unwrap()
        .remove("f")
        .unwrap();
        let defined = Defined {
            queues: vec![("general", &lifecycle), ("network", &lifecycle)],
            lifecycles: vec![&lifecycle],
            custom_fields: &fields,
            template_exists,
        };
        validate(rules, &defined).map_err(|e| e.to_string())
    }

    /// The error for one rule `r` of these lines (after name and `on = "create"`).
    fn mistake(lines: &str) -> String {
        let rules = parse(&format!("[[rules]]\nname = \"r\"\non = \"create\"\n{lines}"));
        check_with(&rules, &|_| true).unwrap_err()
    }

    #[test]
    fn names_a_rule_uses_must_exist_where_it_runs() {
        let ok = parse(
            r#"[[rules]]
name = "r"
on = "create"
queues = ["NETWORK"]
when = { status = ["new"], ticket = { owner = "^Nobody$" }, custom_fields = { severity = "^$" } }
actions = [
    { action = "set_custom_field", field = "Severity", value = "HIGH" },
    { action = "move_queue", queue = "general" },
    { action = "set_status", status = "open" },
]"#,
        );
        check_with(&ok, &|_| true).unwrap();
        let set_priority = "actions = [{ action = \"set_priority\", priority = 1 }]";
        assert_eq!(
            mistake(&format!("queues = [\"netwrk\"]\n{set_priority}")),
            "rule `r`: queues: there is no queue `netwrk` among the [[queues]] of the config (general, network)"
        );
        assert_eq!(
            mistake("actions = [{ action = \"move_queue\", queue = \"sales\" }]"),
            "rule `r`: move_queue: there is no queue `sales` among the [[queues]] of the config (general, network)"
        );
        assert_eq!(
            mistake("actions = [{ action = \"set_custom_field\", field = \"Sevrity\", value = \"high\" }]"),
            "rule `r`: set_custom_field: there is no custom field `Sevrity` (the [[custom_fields]] are Severity)"
        );
        assert_eq!(
            mistake("actions = [{ action = \"set_custom_field\", field = \"Severity\", value = \"hgh\" }]"),
            "rule `r`: set_custom_field: `hgh` is not a value of custom field Severity; use one of low, high"
        );
        assert_eq!(
            mistake(&format!(
                "queues = [\"general\"]\nwhen = {{ custom_fields = {{ Severity = \"high\" }} }}\n{set_priority}"
            )),
            "rule `r`: when.custom_fields: custom field `Severity` is only for the queues network, and the rule \
             runs in general"
        );
        assert_eq!(
            mistake(&format!(
                "when = {{ custom_fields = {{ Impact = \"x\" }} }}\n{set_priority}"
            )),
            "rule `r`: when.custom_fields: there is no custom field `Impact` (the [[custom_fields]] are Severity)"
        );
        assert_eq!(
            mistake(&format!("when = {{ ticket = {{ Onwer = \"x\" }} }}\n{set_priority}")),
            "rule `r`: when.ticket: there is no ticket field `Onwer` (use Status, Owner, Queue, Priority, Subject)"
        );
        assert_eq!(
            mistake("actions = [{ action = \"set_status\", status = \"opne\" }]"),
            "rule `r`: set_status: no lifecycle of the rule's queues has a status `opne` \
             (default: new, open, stalled, resolved, rejected, deleted)"
        );
        assert!(
            mistake(&format!("when = {{ status = [\"closed\"] }}\n{set_priority}"))
                .starts_with("rule `r`: when.status:")
        );
    }

    #[test]
    fn templates_a_rule_sends_must_exist() {
        let rules = crate::rules::effective_rules(
            &parse(
                r#"[[rules]]
name = "extra"
on = "any"
actions = [{ action = "notify", to = ["group:netops", "noc@example.org", "Owner"], template = "correspondence" }]"#,
            ),
            true,
        );
        assert_eq!(
            check_with(&rules, &|t| t != "correspondence").unwrap_err(),
            "rule `notify-requestors-and-cc`: there is no template `correspondence`"
        );
        assert!(check_with(&rules, &|_| true).is_ok());
    }
}
