//! End to end through a real Postfix (written separately).
