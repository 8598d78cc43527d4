//! The per-ticket rate limit: at most `mail.notification_limit_per_hour` messages about
//! one ticket to one address in any hour.
//!
//! Loop protection recognises autoresponders by their headers and subjects, but one that
//! says nothing looks like a person. Two of them on one ticket (a requestor's and a Cc's
//! out-of-office replies) would otherwise answer each other's notifications for ever.
//! Beyond the limit, mail about the ticket to that address is held back (not queued), and
//! the ticket records it once per hour, so staff see why someone was not told.

use super::Settings;
use crate::error::Result;
use crate::store::{NewTransaction, WriteTx};
use crate::ticket::{Timestamp, TransactionKind};
use crate::user::SYSTEM_USER_ID;

/// The addresses of `addresses` that may still get mail about `ticket_id`; the others are
/// held back, and the ticket says so.
pub(crate) fn within_limit(
    tx: &WriteTx<'_>,
    s: &Settings,
    ticket_id: i64,
    addresses: &[String],
    now: Timestamp,
) -> Result<Vec<String>> {
    let hour_ago = now - chrono::Duration::hours(1);
    let mut allowed = Vec::with_capacity(addresses.len());
    for address in addresses {
        if tx.notifications_since(ticket_id, address, hour_ago)? < s.notification_limit_per_hour {
            allowed.push(address.clone());
            continue;
        }
        tracing::warn!(ticket = ticket_id, %address, limit = s.notification_limit_per_hour,
            "notification rate limit reached: mail about this ticket to this address is held back");
        if !tx.notification_held_since(ticket_id, address, hour_ago)? {
            tx.log_notification(ticket_id, address, true, now)?;
            let content = format!(
                "Mail about this ticket to {address} is held back: {address} was sent {limit} messages about it \
                 in the last hour (mail.notification_limit_per_hour = {limit}), which is what two \
                 autoresponders answering each other look like. Mail to them resumes when the hour is over; \
                 if this is a real conversation, raise the limit.",
                limit = s.notification_limit_per_hour
            );
            tx.insert_transaction(&NewTransaction {
                content: &content,
                ..NewTransaction::new(ticket_id, TransactionKind::SystemError, SYSTEM_USER_ID, now)
            })?;
        }
    }
    Ok(allowed)
}

/// Counts a message about `ticket_id` against the limit of each of its recipients.
pub(crate) fn count_sent(tx: &WriteTx<'_>, ticket_id: i64, recipients: &[String], now: Timestamp) -> Result<()> {
    for address in recipients {
        tx.log_notification(ticket_id, address, false, now)?;
    }
    Ok(())
}
