//! Alert queues: mail from monitoring systems read as alerts, so that repeats of one
//! problem land on one ticket and its recovery resolves it, instead of a flood of tickets.
//!
//! A queue with `[queues.alerts]` reads each new message (one that threads onto no ticket)
//! with its extraction rules: regular expressions with named captures on the subject and
//! the body, the built-in presets (Nagios/Icinga, Smokeping, Zabbix, Alertmanager) first.
//! A match gives a key (what is alerting: host and service) and a state (PROBLEM or
//! RECOVERY, firing or resolved, and a severity). Pure: `workflow::ingest` does the
//! threading and the changes.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// `[queues.alerts]` as written in the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Built-in formats to read; default all of them.
    #[serde(default = "all_presets")]
    pub presets: Vec<Preset>,
    /// Your own formats, tried after the presets.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// A PROBLEM this many minutes or less after its key's ticket was resolved by a
    /// recovery reopens that ticket (a flapping service); later, it opens a new one.
    #[serde(default = "thirty")]
    pub flap_minutes: u32,
    /// What a RECOVERY does to its ticket: `resolve` it, or only `comment`.
    #[serde(default)]
    pub on_recovery: OnRecovery,
    /// Priority by severity or state (lowercase): `{ critical = 90, warning = 50 }`.
    /// Default: critical, down and disaster 90; high 80; unreachable, unknown and average
    /// 70; warning 50.
    #[serde(default = "default_priorities")]
    pub priorities: BTreeMap<String, i64>,
}

fn all_presets() -> Vec<Preset> {
    vec![Preset::Nagios, Preset::Smokeping, Preset::Zabbix, Preset::Alertmanager]
}

fn thirty() -> u32 {
    30
}

fn default_priorities() -> BTreeMap<String, i64> {
    [
        ("critical", 90),
        ("down", 90),
        ("disaster", 90),
        ("high", 80),
        ("unreachable", 70),
        ("unknown", 70),
        ("average", 70),
        ("warning", 50),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A monitoring system whose standard mail ticketd reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Nagios and Icinga 1: `** PROBLEM Service Alert: web1/HTTP is CRITICAL **`.
    Nagios,
    /// `[SmokeAlert] someloss was raised on Net.Core.Router1`.
    Smokeping,
    /// `Problem: High CPU` / `Resolved in 5m: High CPU`, with `Host:` and `Severity:` in
    /// the body.
    Zabbix,
    /// `[FIRING:1] InstanceDown web1:9100 (node critical)` / `[RESOLVED] ...`.
    Alertmanager,
}

/// One extraction rule: regular expressions on the subject and/or the body, all of which
/// must match. Named captures: `host`, `service` (or `key` for the whole key), `state`,
/// `severity`, and `labels` (words, one of which may be a severity of `priorities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

/// What a recovery does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnRecovery {
    #[default]
    Resolve,
    Comment,
}

/// An alert read from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What is alerting: `host/service`, or the pattern's `key`.
    pub key: String,
    /// False for a recovery.
    pub problem: bool,
    /// The state as the system wrote it (`CRITICAL`, `firing`, `was raised`).
    pub state: String,
    /// The severity (lowercase) if the message names one; else the state's.
    pub severity: Option<String>,
}

/// States that mean the problem is over.
const RECOVERED: &[&str] = &["ok", "up", "recovery", "resolved", "was cleared", "cleared"];

/// A preset's way of reading one kind of message: expressions on the subject and the
/// body, all of which must match, and expressions on the body that are read if they
/// match (the severity, which the tool writes somewhere in the body, if at all).
struct PresetPattern {
    subject: Option<&'static str>,
    body: Option<&'static str>,
    optional: &'static [&'static str],
}

/// The preset's patterns.
fn preset_patterns(preset: Preset) -> &'static [PresetPattern] {
    match preset {
        Preset::Nagios => &[
            PresetPattern {
                subject: Some(
                    r"^\*\* (?P<kind>[A-Z]+) Service Alert: (?P<host>[^/]+)/(?P<service>.+) is (?P<state>[A-Z]+) \*\*$",
                ),
                body: None,
                optional: &[],
            },
            PresetPattern {
                subject: Some(r"^\*\* (?P<kind>[A-Z]+) Host Alert: (?P<host>\S+) is (?P<state>[A-Z]+) \*\*$"),
                body: None,
                optional: &[],
            },
        ],
        Preset::Smokeping => &[PresetPattern {
            subject: Some(
                r"^\[SmokeAlert\] (?P<service>\S+) (?P<state>was raised|was cleared|is active) on (?P<host>.+)$",
            ),
            body: None,
            optional: &[],
        }],
        // Zabbix's default message has `Severity: High` in the body
        Preset::Zabbix => &[PresetPattern {
            subject: Some(r"^(?P<state>Problem|Resolved)(?: in [^:]+)?: (?P<service>.+)$"),
            body: Some(r"(?m)^Host: (?P<host>.+?)\s*$"),
            optional: &[r"(?m)^Severity: (?P<severity>.+?)\s*$"],
        }],
        // the severity label is among the labels in the subject, or in the body as
        // `severity = critical` (the default HTML mail's label list, as text) or
        // `severity: critical`
        Preset::Alertmanager => &[PresetPattern {
            subject: Some(r"^\[(?P<state>FIRING|RESOLVED)(?::\d+)?\] (?P<key>[^(]+?)(?: \((?P<labels>.*)\))?$"),
            body: None,
            optional: &[r#"(?mi)^\s*(?:-\s*)?severity\s*[=:]\s*"?(?P<severity>[A-Za-z]+)"#],
        }],
    }
}

/// A pattern, compiled.
#[derive(Debug, Clone)]
struct Compiled {
    subject: Option<Regex>,
    body: Option<Regex>,
    optional: Vec<Regex>,
}

/// A queue's alert reading, compiled.
#[derive(Debug, Clone)]
pub struct Alerts {
    patterns: Vec<Compiled>,
    pub flap_minutes: u32,
    pub on_recovery: OnRecovery,
    priorities: BTreeMap<String, i64>,
}

impl Alerts {
    /// Compiles a queue's alert configuration; a bad pattern is named.
    pub fn new(config: &AlertConfig) -> Result<Alerts, String> {
        let compile = |text: Option<&str>| -> Result<Option<Regex>, String> {
            text.map(|t| Regex::new(t).map_err(|e| format!("alert pattern `{t}`: {e}")))
                .transpose()
        };
        let mut patterns = Vec::new();
        for preset in &config.presets {
            for p in preset_patterns(*preset) {
                patterns.push(Compiled {
                    subject: compile(p.subject)?,
                    body: compile(p.body)?,
                    optional: p
                        .optional
                        .iter()
                        .map(|o| Regex::new(o).map_err(|e| format!("alert pattern `{o}`: {e}")))
                        .collect::<Result<_, _>>()?,
                });
            }
        }
        for pattern in &config.patterns {
            if pattern.subject.is_none() && pattern.body.is_none() {
                return Err("an alert pattern needs a subject or a body expression".into());
            }
            patterns.push(Compiled {
                subject: compile(pattern.subject.as_deref())?,
                body: compile(pattern.body.as_deref())?,
                optional: Vec::new(),
            });
        }
        Ok(Alerts {
            patterns,
            flap_minutes: config.flap_minutes,
            on_recovery: config.on_recovery,
            priorities: config.priorities.iter().map(|(k, v)| (k.to_lowercase(), *v)).collect(),
        })
    }

    /// The alert a message carries, if it is one: the first pattern whose expressions all
    /// match.
    pub fn read(&self, subject: &str, body: &str) -> Option<Alert> {
        let subject = subject.trim();
        self.patterns.iter().find_map(|pattern| {
            let mut found: BTreeMap<&str, String> = BTreeMap::new();
            for (regex, text) in [(&pattern.subject, subject), (&pattern.body, body)] {
                let Some(regex) = regex else { continue };
                found.extend(captures(regex, text)?);
            }
            for regex in &pattern.optional {
                for (name, value) in captures(regex, body).unwrap_or_default() {
                    found.entry(name).or_insert(value);
                }
            }
            alert_of(&found, |severity| self.priorities.contains_key(severity))
        })
    }

    /// The priority an alert's severity asks for, if the queue names one.
    pub fn priority(&self, alert: &Alert) -> Option<i64> {
        self.priorities.get(alert.severity.as_deref()?).copied()
    }
}

/// The named captures of `regex` in `text`, trimmed; `None` when it does not match.
fn captures<'r>(regex: &'r Regex, text: &str) -> Option<Vec<(&'r str, String)>> {
    let captures = regex.captures(text)?;
    Some(
        regex
            .capture_names()
            .flatten()
            .filter_map(|name| Some((name, captures.name(name)?.as_str().trim().to_string())))
            .collect(),
    )
}

/// An alert from a pattern's captures: a key and a state are needed. The severity is the
/// one captured, else a word of the labels that `is_severity` knows, else a problem's
/// state (Nagios's CRITICAL).
fn alert_of(found: &BTreeMap<&str, String>, is_severity: impl Fn(&str) -> bool) -> Option<Alert> {
    let key = match (found.get("key"), found.get("host"), found.get("service")) {
        (Some(key), _, _) => key.clone(),
        (None, Some(host), Some(service)) => format!("{host}/{service}"),
        (None, Some(host), None) => host.clone(),
        (None, None, Some(service)) => service.clone(),
        (None, None, None) => return None,
    };
    let state = found.get("state")?.clone();
    let kind = found.get("kind").map(|k| k.to_ascii_lowercase());
    let recovered = RECOVERED.contains(&state.to_ascii_lowercase().as_str()) || kind.as_deref() == Some("recovery");
    let labelled = || {
        found
            .get("labels")?
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '=' | '"'))
            .map(str::to_ascii_lowercase)
            .find(|word| is_severity(word))
    };
    let severity = found
        .get("severity")
        .map(|s| s.to_ascii_lowercase())
        .or_else(labelled)
        .or_else(|| (!recovered).then(|| state.to_ascii_lowercase()));
    Some(Alert {
        key,
        problem: !recovered,
        state,
        severity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts() -> Alerts {
        let config: AlertConfig = toml::from_str("").unwrap();
        Alerts::new(&config).unwrap()
    }

    fn read(subject: &str, body: &str) -> Option<Alert> {
        alerts().read(subject, body)
    }

    #[test]
    fn nagios_service_and_host_alerts() {
        let a = read("** PROBLEM Service Alert: web1/HTTP is CRITICAL **", "").unwrap();
        assert_eq!(
            (a.key.as_str(), a.problem, a.severity.as_deref()),
            ("web1/HTTP", true, Some("critical"))
        );
        assert_eq!(alerts().priority(&a), Some(90));
        let r = read("** RECOVERY Service Alert: web1/HTTP is OK **", "").unwrap();
        assert_eq!((r.key.as_str(), r.problem), ("web1/HTTP", false));
        let h = read("** PROBLEM Host Alert: core-sw2 is DOWN **", "").unwrap();
        assert_eq!(
            (h.key.as_str(), h.problem, alerts().priority(&h)),
            ("core-sw2", true, Some(90))
        );
        let warn = read("** PROBLEM Service Alert: db1/Disk /var is WARNING **", "").unwrap();
        assert_eq!(
            (warn.key.as_str(), alerts().priority(&warn)),
            ("db1/Disk /var", Some(50))
        );
    }

    #[test]
    fn smokeping_zabbix_and_alertmanager() {
        let s = read("[SmokeAlert] someloss was raised on Net.Core.Router1", "").unwrap();
        assert_eq!((s.key.as_str(), s.problem), ("Net.Core.Router1/someloss", true));
        let s = read("[SmokeAlert] someloss was cleared on Net.Core.Router1", "").unwrap();
        assert!(!s.problem);
        let z = read(
            "Problem: High CPU load",
            "Problem started at 10:00\nHost: app3\nSeverity: High\n",
        )
        .unwrap();
        assert_eq!((z.key.as_str(), z.problem), ("app3/High CPU load", true));
        let z = read("Resolved in 5m 2s: High CPU load", "Host: app3\n").unwrap();
        assert_eq!((z.key.as_str(), z.problem), ("app3/High CPU load", false));
        let a = read("[FIRING:2] InstanceDown web1:9100 (node critical)", "").unwrap();
        assert_eq!((a.key.as_str(), a.problem), ("InstanceDown web1:9100", true));
        let a = read("[RESOLVED] InstanceDown web1:9100 (node critical)", "").unwrap();
        assert_eq!((a.key.as_str(), a.problem), ("InstanceDown web1:9100", false));
    }

    #[test]
    fn zabbix_and_alertmanager_severities_set_the_priority() {
        let z = read("Problem: High CPU load", "Host: app3\nSeverity: High\n").unwrap();
        assert_eq!((z.severity.as_deref(), alerts().priority(&z)), (Some("high"), Some(80)));
        let z = read("Problem: Disk full", "Severity: Disaster\nHost: db2\n").unwrap();
        assert_eq!((z.key.as_str(), alerts().priority(&z)), ("db2/Disk full", Some(90)));
        let z = read("Problem: Ping", "Host: sw1\n").unwrap();
        assert_eq!(alerts().priority(&z), None, "no severity, no priority");
        let a = read("[FIRING:1] InstanceDown web1:9100 (node critical)", "").unwrap();
        assert_eq!(
            (a.severity.as_deref(), alerts().priority(&a)),
            (Some("critical"), Some(90))
        );
        let a = read("[FIRING:1] InstanceDown (web1 warning)", "").unwrap();
        assert_eq!(alerts().priority(&a), Some(50));
        let a = read(
            "[FIRING:2] DiskFull",
            "Labels\n alertname = DiskFull\n severity = warning\n instance = db1\n",
        )
        .unwrap();
        assert_eq!(alerts().priority(&a), Some(50));
        let a = read("[FIRING:1] Watchdog (prometheus none)", "").unwrap();
        assert_eq!(alerts().priority(&a), None);
    }

    #[test]
    fn ordinary_mail_is_no_alert_and_own_patterns_come_after_the_presets() {
        assert_eq!(read("Printer on floor 2 jams", "Help!"), None);
        assert_eq!(read("Re: ** PROBLEM Service Alert: web1/HTTP is CRITICAL **", ""), None);
        let config: AlertConfig = toml::from_str(
            r#"
presets = []
[[patterns]]
subject = '^ALARM (?P<host>\S+) (?P<service>\S+) (?P<state>\w+)$'
body = '(?m)^severity=(?P<severity>\w+)$'
"#,
        )
        .unwrap();
        let own = Alerts::new(&config).unwrap();
        let a = own.read("ALARM ups1 battery LOW", "severity=warning\n").unwrap();
        assert_eq!(
            (a.key.as_str(), a.severity.as_deref()),
            ("ups1/battery", Some("warning"))
        );
        assert_eq!(own.read("ALARM ups1 battery LOW", "no severity here"), None);
        assert_eq!(own.read("** PROBLEM Service Alert: web1/HTTP is CRITICAL **", ""), None);
        let bad: AlertConfig = toml::from_str("[[patterns]]\nsubject = '(unclosed'\n").unwrap();
        assert!(Alerts::new(&bad).unwrap_err().contains("(unclosed"));
    }
}
