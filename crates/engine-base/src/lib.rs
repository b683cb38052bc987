//! The engine's shared vocabulary, a leaf every other crate may import: the fixed-size
//! messages between the real-time thread and the rest ([`messages`]), the monotonic clock
//! ([`clock`]) and the one atomic file write used for every piece of persisted state
//! ([`fs::write_atomic`]).
//!
//! **Invariants**: no dependency on any other crate of the workspace, and none on an outside
//! system (ALSA, BlueZ/D-Bus, protobuf, TFLite); so the AMA protocol crate (and the fuzz
//! targets built on it) can use the messages without building the audio side.

pub mod clock;
pub mod fs;
pub mod messages;

pub use clock::{now_ns, Clock, MonotonicClock};
