//! Delivering the outbox: the transports, and what a delivery attempt leaves behind.
//!
//! Messages enter the outbox in the same transaction as the change that causes them (see
//! `workflow`), so a crash never drops one. The server's sender task takes due messages,
//! hands them to a [`Transport`] and records the result with [`record_attempt`]: sent,
//! retry later (doubling waits up to a limit), or failed for good, which is written on the
//! ticket as a `SystemError` transaction so staff see that the requestor was not told.

use std::path::PathBuf;

use lettre::address::Envelope;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncSendmailTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Outbound, OutboxConfig};
use crate::error::{Error, Result};
use crate::store::{NewTransaction, Outgoing, Webhook, WriteTx};
use crate::ticket::{Timestamp, TransactionKind};
use crate::user::SYSTEM_USER_ID;

mod file;
pub use file::{FileTransport, file_name};

/// How long one SMTP command may take before the attempt counts as a temporary failure:
/// long enough for a slow relay, short enough that one hung relay does not hold up the
/// outbox for minutes per message.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How outgoing mail leaves the machine. An enum rather than a trait object: adding one is
/// adding a variant.
pub enum Transport {
    /// `DIR/<Message-ID>.eml` and `DIR/<Message-ID>.json` (the envelope), see [`FileTransport`].
    File(FileTransport),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Sendmail(AsyncSendmailTransport<Tokio1Executor>),
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth trying again later (connection refused, 4xx, disk full).
    Temporary(String),
    /// Will never work (5xx, invalid address).
    Permanent(String),
}

impl Transport {
    /// The transport `mail.outbound` names. A file transport's directory is created here.
    pub fn from_config(outbound: &Outbound) -> Result<Transport> {
        Ok(match outbound {
            Outbound::File(dir) => Transport::File(FileTransport::new(dir)?),
            Outbound::Smtp(url) => Transport::Smtp(Box::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| Error::Invalid(format!("mail.outbound `{url}`: {e}")))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            )),
            Outbound::Sendmail(command) => Transport::Sendmail(
                AsyncSendmailTransport::<Tokio1Executor>::new_with_command(PathBuf::from(command)),
            ),
        })
    }

    /// Tries to deliver one message.
    pub async fn send(&self, message: &Outgoing) -> Attempt {
        let envelope = match envelope(message) {
            Ok(envelope) => envelope,
            Err(e) => return Attempt::Permanent(e),
        };
        match self {
            Transport::File(t) => t.send(message).await,
            Transport::Smtp(t) => match t.send_raw(&envelope, &message.message).await {
                Ok(_) => Attempt::Sent,
                Err(e) if e.is_permanent() => Attempt::Permanent(format!("SMTP: {e}")),
                Err(e) => Attempt::Temporary(format!("SMTP: {e}")),
            },
            Transport::Sendmail(t) => match t.send_raw(&envelope, &message.message).await {
                Ok(_) => Attempt::Sent,
                Err(e) => Attempt::Temporary(format!("sendmail: {e}")),
            },
        }
    }
}

/// The HTTP client for webhook calls (reqwest, with rustls and the web PKI roots).
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: reqwest::Client,
}

impl Webhooks {
    pub fn new() -> Result<Webhooks> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("ticketd/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| Error::Internal(format!("cannot set up the webhook client: {e}")))?;
        Ok(Webhooks { client })
    }

    /// POSTs a webhook call. 2xx is done; 408, 429, 5xx and network errors are worth
    /// retrying; any other answer will not change.
    pub async fn post(&self, hook: &Webhook, body: &[u8]) -> Attempt {
        let sent = self
            .client
            .post(&hook.url)
            .timeout(std::time::Duration::from_secs(hook.timeout_secs))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => Attempt::Sent,
            Ok(answer) => {
                let status = answer.status();
                let why = format!("webhook {}: HTTP {status}", hook.url);
                if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                    Attempt::Temporary(why)
                } else {
                    Attempt::Permanent(why)
                }
            }
            Err(e) => Attempt::Temporary(format!("webhook {}: {e}", hook.url)),
        }
    }
}

/// Delivers one outbox entry: a webhook call or a mail.
pub async fn deliver(transport: &Transport, webhooks: &Webhooks, message: &Outgoing) -> Attempt {
    match &message.webhook {
        Some(hook) => webhooks.post(hook, &message.message).await,
        None => transport.send(message).await,
    }
}

fn envelope(message: &Outgoing) -> Result<Envelope, String> {
    let parse = |a: &str| {
        a.parse::<Address>()
            .map_err(|e| format!("`{a}` is not a valid address: {e}"))
    };
    let from = parse(&message.envelope_from)?;
    let to = message
        .recipients
        .iter()
        .map(|a| parse(a))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|e| e.to_string())
}

/// When to try again after `attempts` failed attempts: the initial wait doubled for each
/// earlier failure, up to the maximum.
pub fn next_attempt(attempts: u32, config: &OutboxConfig, now: Timestamp) -> Timestamp {
    let factor = 1u64.checked_shl(attempts.saturating_sub(1)).unwrap_or(u64::MAX);
    let wait = config
        .retry_initial_secs
        .saturating_mul(factor)
        .min(config.retry_max_secs);
    now + chrono::Duration::seconds(i64::try_from(wait).unwrap_or(i64::MAX / 2))
}

/// Records the result of an attempt. A temporary failure past `max_attempts` counts as
/// permanent. A permanent failure is written on the ticket.
pub fn record_attempt(
    tx: &WriteTx<'_>,
    message: &Outgoing,
    attempt: &Attempt,
    config: &OutboxConfig,
    now: Timestamp,
) -> Result<()> {
    let attempts = message.attempts + 1;
    let failure = match attempt {
        Attempt::Sent => return tx.outbox_sent(message.id, now),
        Attempt::Temporary(e) if attempts < config.max_attempts => {
            let next = next_attempt(attempts, config, now);
            tracing::warn!(outbox = message.id, attempts, error = %e, retry = %next, "delivery failed; will retry");
            return tx.outbox_retry(message.id, next, e);
        }
        Attempt::Temporary(e) => format!("{e} (gave up after {attempts} attempts)"),
        Attempt::Permanent(e) => e.clone(),
    };
    tracing::error!(outbox = message.id, error = %failure, "delivery failed permanently");
    tx.outbox_failed(message.id, &failure)?;
    if let Some(ticket_id) = message.ticket_id {
        let content = match &message.webhook {
            Some(hook) => format!("Webhook call to {} failed: {failure}", hook.url),
            None => format!(
                "Mail to {} could not be delivered: {failure}\nMessage-ID: <{}>",
                message.recipients.join(", "),
                message.message_id
            ),
        };
        tx.insert_transaction(&NewTransaction {
            content: &content,
            ..NewTransaction::new(ticket_id, TransactionKind::SystemError, SYSTEM_USER_ID, now)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let config = OutboxConfig {
            retry_initial_secs: 60,
            retry_max_secs: 3600,
            max_attempts: 12,
        };
        let now = chrono::Utc::now();
        let waits: Vec<i64> = (1..=9)
            .map(|n| (next_attempt(n, &config, now) - now).num_seconds())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!((next_attempt(200, &config, now) - now).num_seconds(), 3600);
    }
}
