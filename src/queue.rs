//! Queues: where tickets live and what their mail policy is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What to do with mail to an existing ticket from someone who is neither a watcher of it
/// (requestor, Cc, AdminCc, owner, directly, by group or by queue) nor staff. Knowing a
/// ticket number must not be enough to write to its requestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonWatcherMail {
    /// Record it as a reply, as RT does.
    Accept,
    /// Record it as a comment, for staff to review (the default).
    #[default]
    Comment,
    /// Refuse it: the MTA bounces it (exit 77).
    Refuse,
}

impl NonWatcherMail {
    /// The name as stored and configured.
    pub fn as_str(self) -> &'static str {
        match self {
            NonWatcherMail::Accept => "accept",
            NonWatcherMail::Comment => "comment",
            NonWatcherMail::Refuse => "refuse",
        }
    }
}

impl fmt::Display for NonWatcherMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NonWatcherMail {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "accept" => Ok(NonWatcherMail::Accept),
            "comment" => Ok(NonWatcherMail::Comment),
            "refuse" => Ok(NonWatcherMail::Refuse),
            _ => Err(Error::Invalid(format!(
                "`{s}` is not a non-watcher mail policy; use accept, comment or refuse"
            ))),
        }
    }
}

/// A queue as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub comment_address: String,
    pub description: String,
    /// The queue's own subject tag name, when it has one.
    pub tag: Option<String>,
    pub non_watcher_mail: NonWatcherMail,
    /// `config` (the config file manages it) or `admin` (tkt does).
    pub source: String,
    pub cc: Vec<String>,
    pub admincc: Vec<String>,
}
