//! Delivery of the outbox (written separately).
