//! The checks a config passes before ticketd starts (and `ticketd --check-config`): what
//! serde cannot see, and that every name one part of the file uses for another (a queue,
//! lifecycle, custom field, template, calendar, service level, time zone) exists. Each
//! error is one sentence that names the section and the key.

use super::{Config, Listen, QueueConfig};

impl Config {
    /// Everything serde cannot check, and that the names one part of the file uses for
    /// another (queues, lifecycles, custom fields, templates, calendars) exist.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.mail.tag.trim().is_empty() {
            return Err("mail.tag must not be empty".into());
        }
        if !self.mail.from.contains('@') {
            return Err(format!("mail.from `{}` is not an address", self.mail.from));
        }
        self.socket_mode()?;
        if let Some(url) = &self.database.url {
            crate::store::check_database_url(&url.0).map_err(|e| e.to_string())?;
        }
        self.undeclared_charset()?;
        self.mail_language()?;
        if self.server.search_time_limit_secs == 0 {
            return Err("server.search_time_limit_secs must be at least 1: it is how long a search may run".into());
        }
        if self.server.listen.iter().any(|l| matches!(l, Listen::Tcp(_))) && self.server.token_file.is_none() {
            return Err("a TCP listener needs server.token_file: a shared secret its clients send".into());
        }
        if !self.mail.commands_need_authentication_by.is_empty() && self.server.token_file.is_none() {
            // without it no delivery can show it came through the MTA (see docs/RULES.md)
            return Err(
                "mail.commands_need_authentication_by needs server.token_file: only mail that \
                        mailgate hands in with that secret may carry a trusted Authentication-Results"
                    .into(),
            );
        }
        if self
            .mail
            .commands_need_authentication_by
            .iter()
            .any(|id| id.trim().is_empty() || id.contains([';', ' ', '(']))
        {
            return Err(
                "mail.commands_need_authentication_by names authserv-ids: host names such as \
                        \"mx.example.org\", as the MTA writes them in Authentication-Results"
                    .into(),
            );
        }
        if let Some(web) = &self.web {
            web.origin()?;
            if !web.base_path.is_empty() && (!web.base_path.starts_with('/') || web.base_path.contains(['?', '#'])) {
                return Err(format!(
                    "web.base_path `{}` must be empty or a path such as \"/tickets\"",
                    web.base_path
                ));
            }
            if web.session_idle_minutes == 0 || web.session_max_hours == 0 {
                return Err("web.session_idle_minutes and web.session_max_hours must be at least 1".into());
            }
        }
        for lifecycle in self.lifecycles.values() {
            lifecycle.validate()?;
        }
        if self.lifecycles.contains_key("default") {
            return Err("lifecycle `default` is built in; give yours another name".into());
        }
        self.validate_queues()?;
        self.validate_custom_fields()?;
        self.validate_names()?;
        self.validate_time()
    }

    fn validate_queues(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for queue in &self.queues {
            if !crate::text::is_one_word(&queue.name) {
                return Err(format!("queue name `{}` must be one word", queue.name));
            }
            if !names.insert(queue.name.to_lowercase()) {
                return Err(format!("queue `{}` is defined twice", queue.name));
            }
            if let Some(lifecycle) = &queue.lifecycle
                && lifecycle != "default"
                && !self.lifecycles.contains_key(lifecycle)
            {
                return Err(format!("queue `{}`: there is no lifecycle `{lifecycle}`", queue.name));
            }
            if let Some(tag) = &queue.tag
                && (tag.trim().is_empty() || tag.contains(['[', ']', '#']))
            {
                return Err(format!(
                    "queue `{}`: tag `{tag}` must be a name without [, ] or #",
                    queue.name
                ));
            }
            for address in queue.cc.iter().chain(&queue.admin_cc) {
                if !address.contains('@') {
                    return Err(format!("queue `{}`: watcher `{address}` is not an address", queue.name));
                }
            }
        }
        Ok(())
    }

    fn validate_custom_fields(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for field in &self.custom_fields {
            field.validate()?;
            if !names.insert(field.name.to_lowercase()) {
                return Err(format!("custom field {} is defined twice", field.name));
            }
        }
        Ok(())
    }

    /// What one part of the config names in another: the queues of custom fields, the
    /// queues' own templates (each replaces one that exists), and everything the rules
    /// name.
    fn validate_names(&self) -> Result<(), String> {
        let templates = self.templates().map_err(|e| e.to_string())?;
        for queue in &self.queues {
            for name in queue.templates.keys() {
                if !templates.exists(name) {
                    return Err(format!(
                        "queue `{}`: templates: there is no template `{name}` for the queue's own version to \
                         replace (add it to [templates] first)",
                        queue.name
                    ));
                }
            }
        }
        let default = crate::ticket::Lifecycle::default_lifecycle();
        let lifecycle_of = |queue: &QueueConfig| {
            queue
                .lifecycle
                .as_ref()
                .and_then(|name| self.lifecycles.get(name))
                .unwrap_or(&default)
        };
        let defined = crate::rules::Defined {
            queues: self.queues.iter().map(|q| (q.name.as_str(), lifecycle_of(q))).collect(),
            lifecycles: std::iter::once(&default).chain(self.lifecycles.values()).collect(),
            custom_fields: &self.custom_fields,
            template_exists: &|name| templates.exists(name),
        };
        for field in &self.custom_fields {
            for queue in &field.queues {
                defined
                    .queue(queue)
                    .map_err(|e| format!("custom field `{}`: queues: {e}", field.name))?;
            }
        }
        crate::rules::validate(&self.effective_rules(), &defined).map_err(|e| e.to_string())
    }

    /// Jobs, calendars, service levels and the queues' time policies.
    fn validate_time(&self) -> Result<(), String> {
        crate::schedule::validate(&self.effective_jobs(), self.scheduler.zone()?)?;
        for (name, calendar) in &self.calendars {
            crate::calendar::Calendar::from_config(calendar).map_err(|e| format!("calendar `{name}`: {e}"))?;
        }
        for (name, level) in &self.service_levels {
            if let Some(calendar) = &level.calendar
                && !self.calendars.contains_key(calendar)
            {
                return Err(format!("service level `{name}`: there is no calendar `{calendar}`"));
            }
            if level.response.is_none() && level.resolve.is_none() {
                return Err(format!("service level `{name}` needs a response or a resolve time"));
            }
        }
        for queue in &self.queues {
            if let Some(level) = &queue.service_level
                && !self.service_levels.contains_key(level)
            {
                return Err(format!("queue `{}`: there is no service level `{level}`", queue.name));
            }
            if let Some(alerts) = &queue.alerts {
                crate::alerts::Alerts::new(alerts).map_err(|e| format!("queue `{}`: {e}", queue.name))?;
            }
            if let Some(escalation) = &queue.escalation {
                escalation
                    .validate()
                    .map_err(|e| format!("queue `{}`: {e}", queue.name))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mistake(text: &str) -> String {
        Config::from_toml(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_bad_time_zone_is_blamed_on_its_own_section() {
        // the scheduler's zone, even with no job to read it
        for text in [
            "[scheduler]\ntime_zone = \"Europe/Berln\"\n",
            "default_jobs = false\n[scheduler]\ntime_zone = \"Europe/Berln\"\n",
        ] {
            assert_eq!(
                mistake(text),
                "t.toml: scheduler.time_zone `Europe/Berln` is not an IANA time zone (such as Europe/Berlin or UTC)"
            );
        }
        assert_eq!(
            mistake("[scheduler]\ntime_zone = \"UTC\"\n[calendars.office]\ntime_zone = \"Europe/Berln\"\n"),
            "t.toml: calendar `office`: time_zone `Europe/Berln` is not an IANA time zone (such as Europe/Berlin or UTC)"
        );
    }

    #[test]
    fn searches_get_at_least_a_second() {
        assert_eq!(
            mistake("[server]\nsearch_time_limit_secs = 0\n"),
            "t.toml: server.search_time_limit_secs must be at least 1: it is how long a search may run"
        );
        let config = Config::from_toml("[server]\nsearch_time_limit_secs = 5\n", "t.toml").unwrap();
        assert_eq!(config.server.search_time_limit_secs, 5);
    }

    const TWO_QUEUES: &str = "[[queues]]\nname = \"general\"\n[[queues]]\nname = \"network\"\n";

    #[test]
    fn custom_fields_name_queues_that_exist() {
        let field = "[[custom_fields]]\nname = \"Severity\"\ntype = \"text\"\n";
        Config::from_toml(&format!("{TWO_QUEUES}{field}queues = [\"Network\"]\n"), "t.toml").unwrap();
        assert_eq!(
            mistake(&format!("{TWO_QUEUES}{field}queues = [\"netwrk\"]\n")),
            "t.toml: custom field `Severity`: queues: there is no queue `netwrk` among the [[queues]] of the \
             config (general, network)"
        );
    }

    #[test]
    fn rules_are_checked_against_the_queues_fields_and_lifecycles_of_the_config() {
        let rule = "[[rules]]\nname = \"r\"\non = \"create\"\n";
        assert_eq!(
            mistake(&format!(
                "{TWO_QUEUES}{rule}queues = [\"sales\"]\nactions = [{{ action = \"set_priority\", priority = 1 }}]\n"
            )),
            "t.toml: rule `r`: queues: there is no queue `sales` among the [[queues]] of the config (general, network)"
        );
        // without [[queues]], the one default queue is `general`
        assert_eq!(
            mistake(&format!(
                "{rule}actions = [{{ action = \"move_queue\", queue = \"network\" }}]\n"
            )),
            "t.toml: rule `r`: move_queue: there is no queue `network` among the [[queues]] of the config (general)"
        );
        assert_eq!(
            mistake(&format!(
                "{rule}actions = [{{ action = \"set_custom_field\", field = \"Severity\", value = \"x\" }}]\n"
            )),
            "t.toml: rule `r`: set_custom_field: there is no custom field `Severity` (the config defines no \
             [[custom_fields]])"
        );
        // a status is looked for in the lifecycles of the rule's queues
        let purchase = "[lifecycles.purchase]\ninitial = [\"requested\"]\nactive = [\"approved\"]\n\
                        inactive = [\"delivered\"]\n\
                        [[queues]]\nname = \"general\"\n[[queues]]\nname = \"buy\"\nlifecycle = \"purchase\"\n";
        let approve = "actions = [{ action = \"set_status\", status = \"approved\" }]\n";
        Config::from_toml(&format!("{purchase}{rule}queues = [\"buy\"]\n{approve}"), "t.toml").unwrap();
        Config::from_toml(&format!("{purchase}{rule}{approve}"), "t.toml").unwrap();
        assert_eq!(
            mistake(&format!("{purchase}{rule}queues = [\"general\"]\n{approve}")),
            "t.toml: rule `r`: set_status: no lifecycle of the rule's queues has a status `approved` \
             (default: new, open, stalled, resolved, rejected, deleted)"
        );
    }

    #[test]
    fn a_queue_template_replaces_one_that_exists() {
        Config::from_toml(
            "[[queues]]\nname = \"general\"\n[queues.templates]\nautoreply = \"x\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            mistake("[[queues]]\nname = \"general\"\n[queues.templates]\nautorepyl = \"x\"\n"),
            "t.toml: queue `general`: templates: there is no template `autorepyl` for the queue's own version to \
             replace (add it to [templates] first)"
        );
    }
}
