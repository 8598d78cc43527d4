//! Whether a delivery is let in, decided before and after the message's own transaction:
//! the queue must exist, the input must be a mail message, and mail from a sender who may
//! not write to the queue is bounced or dropped as `mail.denied_mail` says.

use crate::config::DeniedMail;
use crate::error::{Error, Result};
use crate::store::{Db, QueueRow};
use crate::wire::{IngestOutcome, Outcome};

/// The queue a delivery names; none of that name is `not_found` (mailgate exits 67 and
/// the MTA bounces: the address is wrong).
pub fn delivery_queue(db: &Db<'_>, name: &str) -> Result<QueueRow> {
    db.queue_by_name(name)?
        .ok_or_else(|| Error::NotFound(format!("no queue named `{name}` here")))
}

/// Refuses input that is not a mail message at all (`mail::not_mail`: empty, or binary
/// data with no header block) before anything is stored: it would make a blank ticket and
/// tell staff about it. The refusal is `not_mail`: mailgate exits 65 and the MTA bounces
/// the input to its sender with the reason, so it is not lost without a word.
pub fn refuse_what_is_not_mail(raw: &[u8], queue: &str) -> Result<()> {
    let Some(why) = crate::mail::not_mail(raw) else {
        return Ok(());
    };
    tracing::warn!(queue, bytes = raw.len(), reason = %why, "refused input that is not a mail message; the MTA bounces it");
    Err(Error::NotMail(format!("not a mail message: {why}; it was not stored")))
}

/// What becomes of an ingest that was refused: a sender without the right to write here
/// is `denied` (mailgate exits 77 and the MTA bounces), or, with `mail.denied_mail =
/// "drop"`, the mail is accepted and dropped without a trace but a log line. Any other
/// answer passes as it is.
pub fn answer_refusal(result: Result<IngestOutcome>, policy: DeniedMail) -> Result<IngestOutcome> {
    match result {
        Err(Error::Denied(why)) if policy == DeniedMail::Drop => {
            tracing::warn!(reason = %why, "mail refused and dropped (mail.denied_mail = \"drop\")");
            Ok(IngestOutcome {
                outcome: Outcome::Refused,
                ticket: None,
                transaction: None,
                quarantine: None,
            })
        }
        Err(Error::Denied(why)) => {
            tracing::warn!(reason = %why, "mail refused; the MTA bounces it");
            Err(Error::Denied(why))
        }
        other => other,
    }
}
