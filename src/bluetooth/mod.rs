//! The AVS Bluetooth interface on BlueZ: the wire model, the device registry, the directive
//! rules (agent), the A2DP streaming state machine and the BlueZ backend.
//!
//! **Invariant**: only `bluez/` knows BlueZ and D-Bus; everything else is testable without them.

pub mod agent;
pub mod bluez;
pub mod commands;
pub mod error;
pub mod model;
pub mod pairing_policy;
pub mod registry;
pub mod service;

pub use error::BluetoothError;
pub use service::{serve, serve_bridged};
pub mod streaming;
