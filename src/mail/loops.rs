//! Loop protection: recognising mail that must never be answered automatically.
//!
//! Autoresponders, bounces, list traffic and our own notifications coming back would
//! otherwise start mail loops. Such messages are still stored (nothing is lost); they only
//! suppress the autoreply, and mail to people outside the staff.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The name of the header ticketd puts on everything it sends.
pub const LOOP_HEADER: &str = "X-Ticketd-Loop";

/// Why a message counts as machine-made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoReason {
    /// `Auto-Submitted` other than `no` (RFC 3834).
    AutoSubmitted(String),
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence(String),
    /// Microsoft's `X-Auto-Response-Suppress`, or `X-Autoreply`/`X-Autorespond`.
    AutoResponder(String),
    /// The envelope sender is empty (`<>`): a bounce or other notification.
    NullSender,
    /// From MAILER-DAEMON, postmaster and the like.
    MailerDaemon,
    /// A delivery status notification (`multipart/report`).
    DeliveryReport,
    /// It carries our own loop header: our own mail came back.
    OwnLoop,
    /// It comes from one of our own queue addresses.
    OwnAddress,
    /// An alert from a monitoring system, read by an alert queue.
    Monitoring,
    /// The subject of an out-of-office or other automatic reply ("Automatic reply: ...",
    /// "Abwesenheitsnotiz: ..."), from an autoresponder that does not mark its mail.
    AutoReplySubject(String),
}

impl AutoReason {
    /// Whether this is our own mail returning: then nothing at all is sent for it.
    pub fn is_own(&self) -> bool {
        matches!(self, AutoReason::OwnLoop | AutoReason::OwnAddress)
    }
}

impl fmt::Display for AutoReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoReason::AutoSubmitted(v) => write!(f, "Auto-Submitted: {v}"),
            AutoReason::Precedence(v) => write!(f, "Precedence: {v}"),
            AutoReason::AutoResponder(h) => write!(f, "autoresponder header {h}"),
            AutoReason::NullSender => f.write_str("empty return path"),
            AutoReason::MailerDaemon => f.write_str("sent by a mailer daemon"),
            AutoReason::DeliveryReport => f.write_str("delivery status notification"),
            AutoReason::OwnLoop => write!(f, "carries our own {LOOP_HEADER} header"),
            AutoReason::OwnAddress => f.write_str("sent from one of our own addresses"),
            AutoReason::Monitoring => f.write_str("an alert from a monitoring system"),
            AutoReason::AutoReplySubject(s) => write!(f, "the subject of an automatic reply: {s}"),
        }
    }
}

/// What loop detection looks at in a message.
#[derive(Debug, Default)]
pub struct LoopSignals<'a> {
    /// `(name, value)` of every top-level header.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The main content type, lowercased (`multipart/report`).
    pub content_type: String,
    /// The sender address from the headers, if any.
    pub sender: Option<&'a str>,
    /// The envelope sender as the MTA gave it (`SENDER`), if known; empty for bounces.
    pub envelope_sender: Option<&'a str>,
    /// The subject, decoded.
    pub subject: &'a str,
}

/// How automatic replies begin their subjects, lowercased: Outlook/Exchange, Lotus Notes,
/// Zimbra, Gmail and others, in the languages ticketd's users write in. A subject counts
/// when it begins with one of these (after an optional `[`), followed by its end or by
/// anything but a letter or digit; the entries that end in `:` need the colon.
pub const AUTO_REPLY_SUBJECTS: &[&str] = &[
    // English
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "autoresponse",
    "auto-response",
    "automatic response",
    "away from the office",
    "away from my desk",
    "vacation reply",
    "auto:",
    // German
    "abwesenheitsnotiz",
    "automatische antwort",
    "abwesend",
    "nicht im büro",
    "außer haus",
    // French
    "réponse automatique",
    "reponse automatique",
    "absent du bureau",
    "absence du bureau",
    "absence :",
    "absence:",
    // Spanish
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "fuera de oficina",
    "ausente:",
    // Dutch
    "afwezig",
    "automatisch antwoord",
    "niet aanwezig",
    "niet op kantoor",
    // Italian, Portuguese
    "risposta automatica",
    "fuori sede",
    "fuori ufficio",
    "resposta automática",
    "resposta automatica",
    "ausência temporária",
    // Scandinavian, Finnish, Polish, Czech
    "automatisk svar",
    "autosvar",
    "fraværende",
    "frånvaro",
    "automaattinen vastaus",
    "poissa",
    "automatyczna odpowiedź",
    "poza biurem",
    "automatická odpověď",
    "nepřítomen",
];

/// Whether a subject is that of an automatic reply ([`AUTO_REPLY_SUBJECTS`]).
pub fn is_auto_reply_subject(subject: &str) -> bool {
    let subject = subject.trim_start().to_lowercase();
    let subject = subject.strip_prefix('[').unwrap_or(&subject);
    AUTO_REPLY_SUBJECTS.iter().any(|start| {
        subject
            .strip_prefix(start)
            .is_some_and(|rest| start.ends_with(':') || !rest.starts_with(char::is_alphanumeric))
    })
}

/// The first reason the message must not be answered automatically, or `None` when it
/// came from a person. `tag` is our `mail.tag`; `own_addresses` are lowercased.
pub fn classify(signals: &LoopSignals<'_>, tag: &str, own_addresses: &[String]) -> Option<AutoReason> {
    let header = |name: &'static str| {
        signals
            .headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    if header(LOOP_HEADER).any(|v| v.eq_ignore_ascii_case(tag)) {
        return Some(AutoReason::OwnLoop);
    }
    if let Some(sender) = signals.sender {
        let sender = sender.to_lowercase();
        if own_addresses.contains(&sender) {
            return Some(AutoReason::OwnAddress);
        }
    }
    if let Some(v) = header("Auto-Submitted").find(|v| !v.to_ascii_lowercase().starts_with("no")) {
        return Some(AutoReason::AutoSubmitted(v.to_string()));
    }
    if let Some(v) = header("Precedence").find(|v| matches!(v.to_ascii_lowercase().as_str(), "bulk" | "junk" | "list"))
    {
        return Some(AutoReason::Precedence(v.to_string()));
    }
    for name in [
        "X-Auto-Response-Suppress",
        "X-Autoreply",
        "X-Autorespond",
        "X-Autoresponder",
    ] {
        if header(name).any(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none")) {
            return Some(AutoReason::AutoResponder(name.to_string()));
        }
    }
    let return_path_empty = header("Return-Path").any(|v| v.trim_matches(['<', '>', ' ']).is_empty());
    if return_path_empty
        || signals
            .envelope_sender
            .is_some_and(|s| s.trim_matches(['<', '>', ' ']).is_empty())
    {
        return Some(AutoReason::NullSender);
    }
    if signals.sender.is_some_and(crate::user::is_mailer_address) {
        return Some(AutoReason::MailerDaemon);
    }
    if signals.content_type == "multipart/report" {
        return Some(AutoReason::DeliveryReport);
    }
    if is_auto_reply_subject(signals.subject) {
        return Some(AutoReason::AutoReplySubject(signals.subject.to_string()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(headers: &[(&'static str, &'static str)]) -> LoopSignals<'static> {
        LoopSignals {
            headers: headers.to_vec(),
            content_type: "text/plain".into(),
            sender: Some("alice@example.com"),
            envelope_sender: None,
            subject: "Printer on fire",
        }
    }

    fn own() -> Vec<String> {
        vec!["help@tickets.test".into()]
    }

    #[test]
    fn a_person_is_answered() {
        assert_eq!(
            classify(&with(&[("Subject", "hi"), ("Auto-Submitted", "no")]), "t", &own()),
            None
        );
    }

    #[test]
    fn machines_are_not() {
        let cases: &[(&[(&str, &str)], AutoReason)] = &[
            (
                &[("Auto-Submitted", "auto-replied")],
                AutoReason::AutoSubmitted("auto-replied".into()),
            ),
            (&[("precedence", "Bulk")], AutoReason::Precedence("Bulk".into())),
            (&[("Precedence", "list")], AutoReason::Precedence("list".into())),
            (
                &[("X-Auto-Response-Suppress", "All")],
                AutoReason::AutoResponder("X-Auto-Response-Suppress".into()),
            ),
            (&[("Return-Path", "<>")], AutoReason::NullSender),
            (&[("X-Ticketd-Loop", "t")], AutoReason::OwnLoop),
        ];
        for (headers, reason) in cases {
            assert_eq!(
                classify(&with(headers), "t", &own()).as_ref(),
                Some(reason),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn out_of_office_subjects_are_machine_made() {
        for subject in [
            "Out of Office: [tickets.test #7] Printer",
            "Out of Office AutoReply: Printer",
            "Automatic reply: Printer on fire",
            "AutoReply: Printer",
            "Auto: Jane Doe is out of the office (returning 02.01.2027)",
            "[Out of office] Printer",
            "Abwesenheitsnotiz: Drucker",
            "Automatische Antwort: Drucker",
            "Réponse automatique : Imprimante",
            "RÉPONSE AUTOMATIQUE: Imprimante",
            "Respuesta automática: Impresora",
            "Afwezig: Printer",
            "Automatisch antwoord: Printer",
            "Risposta automatica: Stampante",
            "Automatisk svar: Skrivare",
            "  out of office",
        ] {
            let s = LoopSignals { subject, ..with(&[]) };
            assert_eq!(
                classify(&s, "t", &own()),
                Some(AutoReason::AutoReplySubject(subject.to_string())),
                "{subject}"
            );
        }
    }

    #[test]
    fn subjects_that_only_mention_absence_are_people() {
        for subject in [
            "Re: Out of office",
            "Question about out of office hours",
            "Out-of-office policy",
            "Automatic replyfoo",
            "Auto loan question",
            "Absences in the roster",
            "Afwezigheid melden",
            "",
        ] {
            let s = LoopSignals { subject, ..with(&[]) };
            assert_eq!(classify(&s, "t", &own()), None, "{subject}");
        }
    }

    #[test]
    fn another_systems_loop_header_is_not_ours() {
        assert_eq!(classify(&with(&[("X-Ticketd-Loop", "other")]), "t", &own()), None);
    }

    #[test]
    fn senders_and_reports() {
        let mut s = with(&[]);
        s.sender = Some("MAILER-DAEMON@mx.example.com");
        assert_eq!(classify(&s, "t", &own()), Some(AutoReason::MailerDaemon));
        s.sender = Some("Help@Tickets.Test");
        assert_eq!(classify(&s, "t", &own()), Some(AutoReason::OwnAddress));
        s.sender = Some("bob@example.com");
        s.content_type = "multipart/report".into();
        assert_eq!(classify(&s, "t", &own()), Some(AutoReason::DeliveryReport));
        let mut s = with(&[]);
        s.envelope_sender = Some("");
        assert_eq!(classify(&s, "t", &own()), Some(AutoReason::NullSender));
    }
}
