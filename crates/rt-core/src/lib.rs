//! The real-time side of the engine: capture sources (ALSA, WAV), the real-time thread and its
//! per-period loop, the pipeline (convert, denoise, resample, wake-word detector, gate, Opus),
//! the telemetry atomics, and the wake-word runtime (TFLite). The rest of the engine sees it
//! through [`realtime::start`]: two SPSC rings of `engine_base::messages`, the telemetry and
//! a stop flag.
//!
//! **Invariants** (enforced by this crate's dependencies): no async runtime (no tokio), no
//! BlueZ, no protobuf. Only [`audio::alsa`] knows ALSA and only [`wakeword`] knows TFLite;
//! both are inside this crate, so nothing else in the workspace can reach either. After
//! [`realtime::start`], the real-time thread never allocates, frees, locks, logs or blocks
//! other than the capture read (checked under an allocation guard, see `realtime`).
//!
//! This crate knows no configuration file: it takes its own option structs ([`options`],
//! [`wakeword::WakeWordOptions`]), which the application fills from its validated config.

pub mod aec;
pub mod audio;
pub mod gate;
pub mod options;
pub mod pipeline;
pub mod realtime;
pub mod telemetry;
pub mod thread;
pub mod wakeword;
pub mod worker;

// The messages' fixed sizes are the codec's.
const _: () = assert!(engine_base::messages::MAX_PACKET == dsp::codec::MAX_PACKET);
const _: () = assert!(engine_base::messages::OPUS_FRAME_16K == dsp::OPUS_FRAME_16K);
