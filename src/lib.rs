//! The AMA audio engine: real-time capture -> denoise -> resample -> wake-word gate -> Opus,
//! handed to the Alexa Mobile Accessory link, plus the AVS Bluetooth interface on BlueZ.
//!
//! See ARCHITECTURE.md for the code map and the invariants.

pub mod ama;
pub mod audio;
pub mod bluetooth;
pub mod bridge;
pub mod cli;
pub mod config;
pub mod control;
pub mod gate;
pub mod link_runtime;
pub mod ogg_opus;
pub mod pipeline;
pub mod realtime;
pub mod recorder;
pub mod report;
pub mod run;
pub mod simulate;
pub mod telemetry;
pub mod wakeword;
