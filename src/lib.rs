//! The AMA engine application: the configuration file, the command line, and the wiring of
//! the domain crates into `run` and `simulate`: the real-time side (rt-core) feeds the AMA
//! link runtime (the session of ama-proto over TCP/Unix/RFCOMM/BLE, tokio) or the Ogg Opus
//! recorder; the AVS Bluetooth interface (avs-bluetooth on avs-bluez) is served with the
//! control socket and bridged to the AMA link.
//!
//! See ARCHITECTURE.md for the crate map and the invariants each crate boundary enforces.

pub mod ama;
pub mod bluetooth;
pub mod bridge;
pub mod cli;
pub mod config;
pub mod control;
pub mod duck;
pub mod faults;
pub mod instance_lock;
pub mod link_runtime;
pub mod metrics;
pub mod notify;
pub mod output;
pub mod recorder;
pub mod report;
pub mod run;
pub mod side_tasks;
pub mod simulate;
pub mod stop_signals;
