//! The pairing agent's policy, pure: when a peer-initiated pairing is accepted. The BlueZ
//! backend (crate avs-bluez) applies it; the application's `[bluetooth] pairing_policy`
//! chooses it.

use serde::{Deserialize, Serialize};

/// When the pairing agent accepts an incoming (peer-initiated) pairing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairingPolicy {
    /// Only while discoverable (EnterDiscoverableMode) or while a PairDevices directive runs.
    WhenDiscoverable,
    /// Always (just-works, NoInputNoOutput).
    Always,
    /// Never accept a peer-initiated pairing (PairDevices still works).
    Never,
}

/// Whether the adapter is pairable under `policy` while the agent's pairing window is `open`
/// (discoverable, or a PairDevices directive running).
pub fn pairable(policy: PairingPolicy, window_open: bool) -> bool {
    match policy {
        PairingPolicy::Always => true,
        PairingPolicy::Never => false,
        PairingPolicy::WhenDiscoverable => window_open,
    }
}
