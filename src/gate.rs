//! gate (in progress).
