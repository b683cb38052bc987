//! The Bluetooth capability agent: directive -> stack action -> event.
//!
//! [`core::AgentCore`] holds the rules as a pure state machine; [`driver::run`] runs it over any
//! [`backend::BluetoothBackend`], making calls concurrently so that each directive is handled
//! while others are pending. Nothing here touches the real-time audio thread.

pub mod backend;
mod core;
mod directives;
pub mod driver;
mod observe;
mod outcome;
pub mod output;
mod reset;
mod state;

pub use backend::{
    AvrcpCommand, BackendError, BackendErrorKind, BackendEvent, BluetoothBackend, DeviceInfo,
};
pub use directives::truncate_mac;
pub use driver::{AgentHandle, AgentRequest};
pub use output::{LocalEvent, OutEvent, PeerRef};
pub use output::{ResetFailure, ResetReport};
pub use state::{Action, AgentCore, AgentSettings, AgentStats, BackendCall, Input};

#[cfg(test)]
mod tests;
