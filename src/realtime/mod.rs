//! The real-time thread: its messages, spawn, frame loop and budget.

pub mod messages;
