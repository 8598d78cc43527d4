//! The one error type of the library.
//!
//! Callers match on the kind, not on text: the server maps it to an HTTP status, mailgate
//! maps that to a sysexits code, and the writer decides from [`Error::is_temporary`] whether
//! a message whose processing failed is quarantined (permanent) or handed back to the MTA
//! to retry (temporary).

/// A result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in the terms a caller acts on. The text is written for the person who
/// will read it: it names what was wrong and, where it can, what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The named thing (ticket, queue, user, quarantined message) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The client did not prove who it is (no or a wrong token). Unlike `Denied` this is a
    /// set-up mistake, so mailgate has the MTA retry rather than bounce.
    #[error("{0}")]
    Unauthenticated(String),
    /// The acting user may not do this.
    #[error("{0}")]
    Denied(String),
    /// The request itself is wrong: a bad field, value or query.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with the current state (a forbidden status transition).
    #[error("{0}")]
    Conflict(String),
    /// Larger than the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// Handed in as a mail message but not one at all: empty, or binary data with no
    /// header block (`mail::not_mail`). Like `TooLarge`, mailgate exits 65 and the MTA
    /// bounces it to its sender.
    #[error("{0}")]
    NotMail(String),
    /// Worth retrying later: the database is busy, the disk is full, the daemon is stopping.
    #[error("{0}")]
    Temporary(String),
    /// A failure that retrying will not fix (a bug, corrupt data).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Whether the same request may succeed later (mailgate exits 75 so the MTA retries).
    pub fn is_temporary(&self) -> bool {
        matches!(self, Error::Temporary(_))
    }

    /// A short machine-readable name of the kind, used in the API's error bodies.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Denied(_) => "denied",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::TooLarge(_) => "too_large",
            Error::NotMail(_) => "not_mail",
            Error::Temporary(_) => "temporary",
            Error::Internal(_) => "internal",
        }
    }

    /// Builds the error of the given [`kind`](Self::kind). Unknown kinds are temporary:
    /// a client that does not understand an answer must not treat it as final.
    pub fn from_kind(kind: &str, message: String) -> Error {
        match kind {
            "not_found" => Error::NotFound(message),
            "unauthenticated" => Error::Unauthenticated(message),
            "denied" => Error::Denied(message),
            "invalid" => Error::Invalid(message),
            "conflict" => Error::Conflict(message),
            "too_large" => Error::TooLarge(message),
            "not_mail" => Error::NotMail(message),
            "internal" => Error::Internal(message),
            _ => Error::Temporary(message),
        }
    }
}

impl Error {
    /// What someone outside ticketd is told of this error (an API client, the sender of
    /// a command by mail). An internal error (a bug, a database that failed) is "internal
    /// error" and a short reference: its own text (SQLite's, a panic's) would show how
    /// ticketd works inside and helps no user, so it goes to the log under the same
    /// reference, for the admin to find. Every other kind is written for the user and is
    /// told as it is.
    pub fn public_text(&self) -> String {
        match self {
            Error::Internal(detail) => {
                let reference = uuid::Uuid::new_v4().simple().to_string();
                let reference = &reference[..8];
                tracing::error!(reference, error = %detail, "internal error");
                format!("internal error (reference {reference}: the details are in ticketd's log)")
            }
            other => other.to_string(),
        }
    }
}

/// The text of a panic payload, for turning a caught panic (a bug) into an error.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_kinds_are_temporary() {
        for e in [
            Error::NotFound("a".into()),
            Error::Unauthenticated("a".into()),
            Error::Denied("a".into()),
            Error::Invalid("a".into()),
            Error::Conflict("a".into()),
            Error::TooLarge("a".into()),
            Error::NotMail("a".into()),
            Error::Temporary("a".into()),
            Error::Internal("a".into()),
        ] {
            assert_eq!(Error::from_kind(e.kind(), "a".into()), e);
        }
        assert!(Error::from_kind("something_new", "x".into()).is_temporary());
    }

    #[test]
    fn internal_errors_are_told_without_their_text() {
        let told = Error::Internal("database: no such table: secrets".into()).public_text();
        assert!(told.starts_with("internal error (reference "), "{told}");
        assert!(!told.contains("secrets") && !told.contains("database"), "{told}");
        assert_eq!(Error::Invalid("bad query".into()).public_text(), "bad query");
    }
}
