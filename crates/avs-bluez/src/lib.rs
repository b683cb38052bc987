//! The BlueZ backend of the AVS Bluetooth interface (crate avs-bluetooth). Actions (pair,
//! connect, discoverable, discovery, the pairing agent) go through bluer; what bluer does not
//! cover (MediaTransport1, MediaPlayer1) and the watching of every BlueZ object go through the
//! `dbus` crate on a connection of our own; `player` serves our MPRIS player with
//! dbus-crossroads.
//!
//! **Invariants**: this crate and the application's AMA links (RFCOMM profile, GATT
//! application, LE advertising) are the only code that knows BlueZ and D-Bus; avs-bluetooth,
//! which holds the rules, cannot (it has no D-Bus dependency).
//!
//! **Guarantees**: a BlueZ error never panics; it becomes an
//! `avs_bluetooth::agent::BackendError` for the agent. Nothing here is real-time safe.

mod backend;
mod error;
pub mod pairing;
pub mod player;
pub mod view;
mod watch;

pub use backend::BluezBackend;
pub use error::BluezError;
