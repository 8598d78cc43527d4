//! Subject tags: `[TAG #42]`, how mail finds its ticket.
//!
//! Matching is case-insensitive and tolerant of white space inside the brackets
//! (`[ tag  #42 ]`), wherever the tag stands after `Re:`/`AW:`/`Fwd:` prefixes. Tags of other
//! systems (`[other.rt #9]`) are ignored; the first tag of ours wins.

use regex::Regex;

/// The subject tag of this installation.
#[derive(Debug, Clone)]
pub struct SubjectTag {
    tag: String,
    pattern: Regex,
}

impl SubjectTag {
    /// A tag named `tag` (the config's `mail.tag`).
    pub fn new(tag: &str) -> SubjectTag {
        let name = regex::escape(tag.trim());
        let pattern = Regex::new(&format!(r"(?i)\[\s*{name}\s+#\s*(\d{{1,18}})\s*\]"))
            .expect("an escaped tag is a valid pattern");
        SubjectTag {
            tag: tag.trim().to_string(),
            pattern,
        }
    }

    /// The configured tag name.
    pub fn name(&self) -> &str {
        &self.tag
    }

    /// The ticket number the subject names, if it carries our tag.
    pub fn ticket_in(&self, subject: &str) -> Option<i64> {
        self.pattern.captures_iter(subject).find_map(|c| c[1].parse().ok())
    }

    /// The tag for one ticket: `[TAG #42]`.
    pub fn for_ticket(&self, id: i64) -> String {
        format!("[{} #{id}]", self.tag)
    }

    /// The subject with this ticket's tag in front, unless it already names the ticket.
    pub fn tagged_subject(&self, subject: &str, id: i64) -> String {
        if self.ticket_in(subject) == Some(id) {
            subject.to_string()
        } else if subject.is_empty() {
            self.for_ticket(id)
        } else {
            format!("{} {subject}", self.for_ticket(id))
        }
    }
}

/// Message-IDs without their angle brackets and surrounding space, as they are stored.
pub fn clean_message_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_tag_in_every_spelling() {
        let t = SubjectTag::new("tickets.test");
        assert_eq!(t.ticket_in("[tickets.test #1] Printer"), Some(1));
        assert_eq!(t.ticket_in("Re: [tickets.test #12] Printer"), Some(12));
        assert_eq!(t.ticket_in("RE: AW: [TICKETS.TEST #7] x"), Some(7));
        assert_eq!(t.ticket_in("SV: Fwd: [ tickets.test  #  3 ] x"), Some(3));
        assert_eq!(t.ticket_in("x [tickets.test #4] y [tickets.test #5]"), Some(4));
    }

    #[test]
    fn ignores_other_systems_and_near_misses() {
        let t = SubjectTag::new("tickets.test");
        assert_eq!(t.ticket_in("Re: [other.rt #9] Printer"), None);
        assert_eq!(t.ticket_in("[ticketsXtest #9]"), None, "the dot is literal");
        assert_eq!(t.ticket_in("[tickets.test.evil #9]"), None);
        assert_eq!(t.ticket_in("[tickets.test 9]"), None);
        assert_eq!(t.ticket_in("[other.rt #9] [tickets.test #2]"), Some(2));
    }

    #[test]
    fn tags_subjects_once() {
        let t = SubjectTag::new("x");
        assert_eq!(t.tagged_subject("Printer", 3), "[x #3] Printer");
        assert_eq!(t.tagged_subject("Re: [x #3] Printer", 3), "Re: [x #3] Printer");
        assert_eq!(t.tagged_subject("", 3), "[x #3]");
    }

    #[test]
    fn cleans_message_ids() {
        assert_eq!(clean_message_id(" <a@b> ").as_deref(), Some("a@b"));
        assert_eq!(clean_message_id("<>"), None);
        assert_eq!(clean_message_id("a b@c"), None);
    }
}
