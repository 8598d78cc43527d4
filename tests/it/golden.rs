//! Golden parse fixtures (written separately).
