//! The texts of the mail ticketd sends, as minijinja templates written the RT way: header
//! lines (`Subject:` and any extra ones), a blank line, the body.
//!
//! The built-in templates follow RT's shipped ones. The config may replace any of them
//! globally (`[templates]`) or for one queue (`[[queues]] templates`), and add new ones for
//! its own rules. Every template is compiled when the config is loaded, so a typo is an
//! error at start-up rather than a missing notification later.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::i18n::Lang;

/// The templates ticketd ships, by name. Their words come from the mail catalogs
/// (`src/i18n/mail/*.ftl`) through `tr(key, ...)`, in the recipient's language; the
/// templates keep only the layout and the values. A site's own templates may use `tr` too,
/// or plain text in one language.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "sla_warning",
        "Subject: {{ tr(\"mail-sla-warning-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-sla-warning\", id=ticket.id, queue=queue.name) }}\n\
         {{ message }}\n\
         \n\
         {{ tr(\"mail-owner-line\", owner=ticket.owner) }}\n\
         {{ tr(\"mail-requestors-line\", requestors=ticket.requestors | join(\", \")) }}\n{% if ticket.url %}\n\
         <URL: {{ ticket.url }} >\n{% endif %}",
    ),
    (
        "sla_breach",
        "Subject: {{ tr(\"mail-sla-breach-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-sla-breach\", id=ticket.id, queue=queue.name) }}\n\
         {{ message }}\n\
         \n\
         {{ tr(\"mail-owner-line\", owner=ticket.owner) }}\n\
         {{ tr(\"mail-requestors-line\", requestors=ticket.requestors | join(\", \")) }}\n{% if ticket.url %}\n\
         <URL: {{ ticket.url }} >\n{% endif %}",
    ),
    ("stalled_reminder", "{{ tr(\"mail-stalled-reminder\", since=since) }}\n"),
    (
        "untaken_digest",
        "Subject: {{ tr(\"mail-untaken-subject\", total=total, queue=queue.name) }}\n\
         \n\
         {{ tr(\"mail-untaken-intro\", queue=queue.name) }}\n\
         \n\
         {% for t in tickets %}#{{ t.id }}  {{ tr(\"mail-age-old\", age=t.age) }}  \
         {{ tr(\"mail-priority\", priority=t.priority) }}  {{ t.subject }}\n\
         \x20   {{ tr(\"mail-from-requestors\", requestors=t.requestors | join(\", \")) }}\n\
         {% endfor %}{% if more %}{{ tr(\"mail-and-more\", more=more) }}\n{% endif %}",
    ),
    (
        "owner_digest",
        "Subject: {{ tr(\"mail-owner-digest-subject\", total=total) }}\n\
         \n\
         {{ tr(\"mail-owner-digest-intro\") }}\n\
         \n\
         {% for t in tickets %}#{{ t.id }}  {{ tr(\"mail-priority\", priority=t.priority) }}  {{ t.status }}  \
         {{ tr(\"mail-age-old\", age=t.age) }}  \
         [{{ t.queue }}] {{ t.subject }}{% if t.due %}  {{ tr(\"mail-due\", due=t.due) }}{% endif %}\n\
         {% endfor %}{% if more %}{{ tr(\"mail-and-more\", more=more) }}\n{% endif %}",
    ),
    (
        "activity_digest",
        "Subject: {{ tr(\"mail-activity-subject\", period=period, count=tickets | length) }}\n\
         \n\
         {{ tr(\"mail-activity-intro\", since=since) }}\n\
         {% for t in tickets %}\n\
         #{{ t.id }} [{{ t.queue }}] {{ t.subject }} ({{ t.status }})\n\
         {% for e in t.events %}  {{ e }}\n\
         {% endfor %}{% endfor %}",
    ),
    (
        "autoreply",
        "Subject: {{ tr(\"mail-autoreply-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-greeting\") }}\n\
         \n\
         {{ tr(\"mail-autoreply-made\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-autoreply-id\", tag=tag) }}\n\
         \n\
         {{ tr(\"mail-autoreply-include\") }}\n\
         \n\
         \x20        {{ tag }}\n\
         \n\
         {{ tr(\"mail-autoreply-in-subject\") }}\n\
         \n\
         \x20                       {{ tr(\"mail-thank-you\") }}\n\
         \x20                       {{ queue.address }}\n\
         \n\
         {% if ticket.portal_url %}{{ tr(\"mail-view-online\") }} <URL: {{ ticket.portal_url }} >\n\
         \n\
         {% endif %}-------------------------------------------------------------------------\n\
         {{ message | summary }}\n",
    ),
    (
        "new_ticket",
        "Subject: {{ ticket.subject }}\n\
         \n\
         {{ tr(\"mail-new-ticket\", id=ticket.id, queue=queue.name, actor=actor.name) }}\n\
         {{ tr(\"mail-subject-line\", subject=ticket.subject) }}\n\
         \n\
         {{ message }}\n{% if ticket.url %}\n\
         <URL: {{ ticket.url }} >\n{% endif %}",
    ),
    (
        "correspondence",
        "Subject: {{ ticket.subject }}\n\n{{ message }}\n{% if ticket.portal_url %}\n\
         {{ tr(\"mail-view-online\") }} <URL: {{ ticket.portal_url }} >\n{% endif %}",
    ),
    (
        "admin_correspondence",
        "Subject: {{ ticket.subject }}\n\n{{ tr(\"mail-reply-from\", id=ticket.id, actor=actor.name) }}\n\n{{ message }}\n\
         {% if ticket.url %}\n<URL: {{ ticket.url }} >\n{% endif %}",
    ),
    (
        "admin_comment",
        "Subject: {{ tr(\"mail-comment-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-comment-note\") }}\n\
         \n\
         {{ message }}\n{% if ticket.url %}\n\
         <URL: {{ ticket.url }} >\n{% endif %}",
    ),
    (
        "owner_changed",
        "Subject: {{ tr(\"mail-owner-changed-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-owner-changed\", id=ticket.id, queue=queue.name, actor=actor.name) }}\n\
         \n\
         {{ tr(\"mail-subject-line\", subject=ticket.subject) }}\n{% if ticket.url %}\n\
         <URL: {{ ticket.url }} >\n{% endif %}",
    ),
    (
        "resolved",
        "Subject: {{ tr(\"mail-resolved-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-resolved\") }}\n{% if ticket.portal_url %}\n\
         {{ tr(\"mail-view-online\") }} <URL: {{ ticket.portal_url }} >\n{% endif %}",
    ),
    (
        "command_errors",
        "Subject: {{ tr(\"mail-commands-refused-subject\", subject=ticket.subject) }}\n\
         \n\
         {{ tr(\"mail-commands-refused\", id=ticket.id) }}\n\
         \n\
         {{ message }}\n\
         \n\
         {{ tr(\"mail-commands-others\") }}\n",
    ),
    (
        "password_link",
        "Subject: {{ tr(\"mail-password-subject\") }}\n\
         \n\
         {{ tr(\"mail-hello\", name=name) }}\n\
         \n\
         {{ tr(\"mail-password-link\", login=login, hours=hours) }}\n\
         \n\
         {{ url }}\n\
         \n\
         {{ tr(\"mail-password-unexpected\") }}\n",
    ),
    (
        "signin_link",
        "Subject: {{ tr(\"mail-signin-subject\") }}\n\
         \n\
         {{ tr(\"mail-hello\", name=name) }}\n\
         \n\
         {{ tr(\"mail-signin-link\", minutes=minutes) }}\n\
         \n\
         {{ url }}\n\
         \n\
         {{ tr(\"mail-signin-unexpected\") }}\n",
    ),
    (
        "page",
        "Subject: #{{ ticket.id }} P{{ ticket.priority }} {{ ticket.subject }}\n\
         \n\
         {{ tr(\"mail-page\", queue=queue.name, id=ticket.id, priority=ticket.priority, status=ticket.status, \
         owner=ticket.owner, subject=ticket.subject) }}\n",
    ),
];

/// Headers ticketd writes itself; a template cannot set them.
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "message-id",
    "in-reply-to",
    "references",
    "date",
    "auto-submitted",
    "precedence",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
];

/// A rendered template: the subject (without the ticket's tag, which the mail adds),
/// extra headers, and the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What a template can use. Every template gets all of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Context {
    pub ticket: TicketVars,
    pub transaction: TransactionVars,
    pub queue: QueueVars,
    pub actor: ActorVars,
    /// The transaction's text (the message without its command lines), or what the
    /// notification is about (refused commands).
    pub message: String,
    /// The ticket's subject tag, `[tickets.example #42]`.
    pub tag: String,
    /// The rule sending the mail.
    pub rule: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TicketVars {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub priority: i64,
    pub owner: String,
    pub queue: String,
    pub requestors: Vec<String>,
    pub cc: Vec<String>,
    pub admincc: Vec<String>,
    pub due: Option<String>,
    pub time_worked: i64,
    pub custom_fields: BTreeMap<String, String>,
    /// The ticket's page in the staff web UI, when there is one.
    pub url: Option<String>,
    /// The ticket's page in the requestors' portal, when there is a web UI: what mail to
    /// requestors links to ("view this ticket online").
    pub portal_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TransactionVars {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueVars {
    pub name: String,
    pub address: String,
    pub comment_address: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ActorVars {
    /// The real name if known, else the address or login name.
    pub name: String,
    pub email: String,
    pub privileged: bool,
}

/// Every template, compiled.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// The queues that have templates of their own (lowercase), so that rendering for
    /// the others goes straight to the global ones.
    queues_with_own: std::collections::BTreeSet<String>,
}

impl Templates {
    /// The built-in templates, replaced or extended by `global` (name → text) and, per
    /// queue, by `per_queue` (queue → name → text). Fails naming the first template that
    /// does not compile.
    pub fn new(
        global: &BTreeMap<String, String>,
        per_queue: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<Templates, Error> {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.add_filter("summary", summary);
        env.add_filter("pluralize", |n: usize| if n == 1 { "" } else { "s" });
        env.add_function("tr", crate::i18n::template_function);
        let compile = |env: &mut Environment<'static>, key: String, text: &str, shown: &str| {
            env.add_template_owned(key, text.to_string())
                .map_err(|e| Error::Invalid(format!("template {shown} does not compile: {e:#}")))
        };
        for (name, text) in BUILT_IN {
            if !global.contains_key(*name) {
                compile(&mut env, (*name).to_string(), text, name)?;
            }
        }
        for (name, text) in global {
            compile(&mut env, name.clone(), text, name)?;
        }
        for (queue, templates) in per_queue {
            for (name, text) in templates {
                let shown = format!("{name} of queue {queue}");
                compile(&mut env, queue_key(queue, name), text, &shown)?;
            }
        }
        let queues_with_own = per_queue.keys().map(|q| q.to_lowercase()).collect();
        Ok(Templates { env, queues_with_own })
    }

    /// Whether a template of this name exists (globally).
    pub fn exists(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    /// Every template name, the per-queue ones as `queue/name`.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.env.templates().map(|(n, _)| n.to_string()).collect();
        names.sort();
        names
    }

    /// Renders `name` for a ticket in `queue`, in `lang` (what `tr` reads): the queue's
    /// own version if it has one. `context` is a [`Context`] for mail about one ticket,
    /// or a digest's variables.
    pub fn render(&self, name: &str, queue: &str, lang: Lang, context: &impl Serialize) -> Result<Rendered, Error> {
        let own = match self.queues_with_own.contains(&queue.to_lowercase()) {
            true => self.env.get_template(&queue_key(queue, name)).ok(),
            false => None,
        };
        let template = match own {
            Some(template) => template,
            None => self
                .env
                .get_template(name)
                .map_err(|_| Error::NotFound(format!("there is no template `{name}`")))?,
        };
        let context = minijinja::context! { lang => lang.code(), ..minijinja::Value::from_serialize(context) };
        let text = template
            .render(context)
            .map_err(|e| Error::Invalid(format!("template {name} failed: {e:#}")))?;
        Ok(split(&text))
    }
}

fn queue_key(queue: &str, name: &str) -> String {
    format!("{}/{name}", queue.to_lowercase())
}

/// Splits a rendered text into its header lines and body, as RT does: leading
/// `Name: value` lines (with continuations) up to a blank line. Text that does not start
/// with a header is all body.
fn split(text: &str) -> Rendered {
    let mut rendered = Rendered {
        subject: String::new(),
        headers: Vec::new(),
        body: String::new(),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut rest = text;
    loop {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        if line.trim().is_empty() {
            rest = after;
            break;
        }
        if line.starts_with([' ', '\t'])
            && let Some((_, value)) = headers.last_mut()
        {
            value.push(' ');
            value.push_str(line.trim());
        } else if let Some((name, value)) = line.split_once(':')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            headers.push((name.to_string(), value.trim().to_string()));
        } else {
            // not a header block after all
            rendered.body = text.to_string();
            return rendered;
        }
        if after.is_empty() {
            rest = after;
            break;
        }
        rest = after;
    }
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("subject") {
            rendered.subject = value;
        } else if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            tracing::warn!(header = %name, "a template cannot set this header; left out");
        } else {
            rendered.headers.push((name, value));
        }
    }
    rendered.body = rest.to_string();
    rendered
}

/// What a notification quotes of a message: all of it up to `max_bytes`; beyond that its
/// start (cut at a line end where one is near, never inside a character) and a line
/// saying how much more there is and where it is. A 40 MB log pasted into a mail is not
/// sent on to every watcher, and composing a notification stays quick whatever came in.
pub fn excerpt(content: &str, max_bytes: usize, ticket_id: i64) -> String {
    if content.len() <= max_bytes {
        return content.to_string();
    }
    let mut cut = max_bytes;
    while !content.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(line_end) = content[..cut].rfind('\n').filter(|at| *at >= cut / 2) {
        cut = line_end + 1;
    }
    let kept = &content[..cut];
    let separator = if kept.is_empty() || kept.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!(
        "{kept}{separator}[... {} more bytes, not quoted: the whole message is on ticket #{ticket_id}]",
        content.len() - cut
    )
}

/// The start of a message, for quoting back to its sender: a summary, not a copy of
/// everything they sent.
fn summary(content: &str) -> String {
    const LINES: usize = 30;
    const CHARS: usize = 3000;
    let mut out: String = content.lines().take(LINES).collect::<Vec<_>>().join("\n");
    if out.chars().count() > CHARS {
        out = out.chars().take(CHARS).collect();
    }
    if out.len() < content.trim_end().len() {
        out.push_str("\n[...]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            ticket: TicketVars {
                id: 7,
                subject: "Printer on fire".into(),
                priority: 90,
                ..TicketVars::default()
            },
            queue: QueueVars {
                name: "general".into(),
                address: "help@tickets.test".into(),
                ..QueueVars::default()
            },
            message: "It is really burning.".into(),
            tag: "[tickets.test #7]".into(),
            ..Context::default()
        }
    }

    #[test]
    fn an_excerpt_is_the_whole_message_up_to_the_limit() {
        assert_eq!(excerpt("short\n", 100, 7), "short\n");
        assert_eq!(excerpt("exactly", 7, 7), "exactly");
    }

    #[test]
    fn a_long_message_is_cut_at_a_line_end_and_says_so() {
        let text = "line one\nline two\nline three\n";
        assert_eq!(
            excerpt(text, 22, 7),
            "line one\nline two\n[... 11 more bytes, not quoted: the whole message is on ticket #7]"
        );
        // one long line: cut inside it, never inside a character
        let umlauts = "ä".repeat(100);
        let cut = excerpt(&umlauts, 51, 7);
        assert!(cut.starts_with(&"ä".repeat(25)), "{cut}");
        assert!(cut.contains("\n[... 150 more bytes"), "{cut}");
        assert!(excerpt(&"x".repeat(10_000_000), 65536, 7).len() < 65536 + 200);
    }

    #[test]
    fn built_in_autoreply_renders_subject_and_body() {
        let t = Templates::new(&BTreeMap::new(), &BTreeMap::new()).unwrap();
        let r = t.render("autoreply", "general", Lang::En, &context()).unwrap();
        assert_eq!(r.subject, "AutoReply: Printer on fire");
        assert!(r.body.starts_with("Greetings,\n"), "{}", r.body);
        assert!(r.body.contains("assigned an ID of [tickets.test #7]."));
        assert!(r.body.ends_with("----\nIt is really burning.\n"), "{}", r.body);
    }

    #[test]
    fn queue_overrides_win_for_their_queue_only() {
        let per_queue = BTreeMap::from([(
            "Network".to_string(),
            BTreeMap::from([(
                "autoreply".to_string(),
                "Subject: NOC got it\nX-Noc: yes\n\nOn it.\n".to_string(),
            )]),
        )]);
        let t = Templates::new(&BTreeMap::new(), &per_queue).unwrap();
        let r = t.render("autoreply", "network", Lang::En, &context()).unwrap();
        assert_eq!(r.subject, "NOC got it");
        assert_eq!(r.headers, [("X-Noc".to_string(), "yes".to_string())]);
        assert_eq!(r.body, "On it.\n");
        assert_eq!(
            t.render("autoreply", "general", Lang::En, &context()).unwrap().subject,
            "AutoReply: Printer on fire"
        );
    }

    #[test]
    fn a_template_that_does_not_compile_is_named() {
        let global = BTreeMap::from([("page".to_string(), "Subject: {{ ticket.id \n\nx".to_string())]);
        let e = Templates::new(&global, &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("template page does not compile"), "{e}");
    }

    #[test]
    fn headers_end_at_the_blank_line_and_reserved_ones_are_dropped() {
        let r = split("Subject: a\n  b\nTo: evil@example.net\n\nbody: text\n");
        assert_eq!(r.subject, "a b");
        assert!(r.headers.is_empty());
        assert_eq!(r.body, "body: text\n");
        let r = split("Just text, no headers.\nSubject: no\n");
        assert_eq!(r.subject, "");
        assert_eq!(r.body, "Just text, no headers.\nSubject: no\n");
    }

    #[test]
    fn the_summary_is_the_start() {
        let long: String = (0..100).map(|n| format!("line {n}\n")).collect();
        let short = summary(&long);
        assert!(short.starts_with("line 0\nline 1"));
        assert!(short.ends_with("line 29\n[...]"), "{short}");
        assert_eq!(summary("one line\n"), "one line");
    }
}
