//! The AVS Bluetooth interface as the application runs it: the agent of avs-bluetooth on the
//! BlueZ backend of avs-bluez, with the pairing agent, the control socket and the AMA bridge
//! (`service`), and the `capabilities`, `devices` and `bluetooth` subcommands (`commands`).

pub mod commands;
pub mod error;
pub mod service;

pub use error::BluetoothError;
pub use service::{serve, serve_bridged};
