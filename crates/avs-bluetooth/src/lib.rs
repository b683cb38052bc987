//! The AVS Bluetooth interface, without Bluetooth: the wire model of every directive, event and
//! the BluetoothState context (2.0 and 1.0), the device registry, the directive rules (the
//! agent: a pure core and the async driver that runs it over any [`agent::BluetoothBackend`]),
//! the A2DP streaming state machine and the pairing policy.
//!
//! **Invariants** (enforced by this crate's dependencies): no BlueZ, no D-Bus, no sockets: the
//! BlueZ backend is the crate avs-bluez, the control socket and the wiring are the
//! application's. So every rule here is unit-tested without a Bluetooth stack. Persisted state
//! (the registry) goes through `engine_base::fs::write_atomic`.

pub mod agent;
pub mod model;
pub mod pairing_policy;
pub mod registry;
pub mod streaming;
