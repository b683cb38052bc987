//! Wake-word detector runtime (issue 3): the microWakeWord "alexa" model run by the TensorFlow
//! Lite C runtime behind the dsp crate's [`WakeWordDetector`] trait.
//!
//! **Invariants**: this module is the only one that knows TFLite ([`ffi`] declares the C API,
//! loaded with dlopen from the configured path; nothing is downloaded at run time). The feature
//! front end and the decision rule are pure Rust in the dsp crate. `build_detector` does all
//! loading and allocation up front.
//!
//! Placement: [`MicroWakeWord::process`] runs the front end every 10 ms and the model every
//! 30 ms; [`ThreadedDetector`] moves it to its own thread behind two SPSC rings. Which one
//! `build_detector` returns follows `[wakeword] placement`; the measurements that chose the
//! default are in ARCHITECTURE.md (wake word section).

mod detector;
pub mod ffi;
mod model;
mod model_info;
mod threaded;

use std::path::PathBuf;
use std::sync::Arc;

pub use detector::{BlockResult, MicroWakeWord};
pub use model::StreamingModel;
pub use model_info::ModelInfo;
pub use threaded::ThreadedDetector;

use dsp::wakeword::WakeWordDetector;
use serde::{Deserialize, Serialize};

/// Where the detector runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeWordPlacement {
    /// Inside the real-time thread's period (only if the runtime neither allocates nor breaks
    /// the budget: see the wake-word section of ARCHITECTURE.md for the measurement).
    Realtime,
    /// On its own high-priority thread fed by an SPSC ring; detections come back through
    /// another ring. The real-time thread only pushes and pops.
    OwnThread,
}

/// What [`build_detector`] needs: the files, the decision rule and the placement.
#[derive(Debug, Clone, PartialEq)]
pub struct WakeWordOptions {
    /// The microWakeWord JSON (names the .tflite beside it, the cutoff and sliding window).
    pub model: PathBuf,
    /// The TensorFlow Lite C runtime, loaded with dlopen.
    pub runtime: PathBuf,
    /// Detection threshold on the mean probability (0-1); None: the model's JSON.
    pub cutoff: Option<f32>,
    /// Number of model outputs averaged; None: the model's JSON.
    pub sliding_window: Option<u32>,
    /// After a detection, no other detection for this long (ms).
    pub refractory_ms: u32,
    /// Where the detector runs.
    pub placement: WakeWordPlacement,
    /// SCHED_FIFO priority of the detector thread with [`WakeWordPlacement::OwnThread`].
    pub thread_priority: i32,
}

impl Default for WakeWordOptions {
    fn default() -> Self {
        Self {
            model: PathBuf::from("models/alexa.json"),
            runtime: PathBuf::from("models/libtensorflowlite_c.so"),
            cutoff: None,
            sliding_window: None,
            refractory_ms: 2000,
            placement: WakeWordPlacement::OwnThread,
            thread_priority: 60,
        }
    }
}

/// Why the detector cannot be built or run. Construction errors say which file is wrong; the
/// engine can still run without wake word (button initiators only).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WakeWordError {
    /// The TFLite runtime library cannot be loaded or lacks a symbol. Fix `wakeword.runtime`
    /// or run scripts/setup.sh.
    #[error("{path}: cannot load the TensorFlow Lite runtime: {message}")]
    Runtime { path: PathBuf, message: String },
    /// The model JSON is unreadable or not a microWakeWord description.
    #[error("{path}: {message}")]
    ModelInfo { path: PathBuf, message: String },
    /// The .tflite file cannot be loaded or has unexpected tensors.
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },
    /// One model invocation failed (counted; the detector goes on with the next step).
    #[error("model invocation failed")]
    Invoke,
    /// The detector thread could not be started.
    #[error("cannot start the wake-word thread: {0}")]
    Thread(std::io::Error),
}

/// Builds the detector described by `cfg`: loads the runtime and the model, applies the
/// cutoff and sliding window (config overrides, else the model's JSON), and places it per
/// `cfg.placement`. Not real-time safe (loads files, allocates, may start a thread).
pub fn build_detector(cfg: &WakeWordOptions) -> Result<Box<dyn WakeWordDetector>, WakeWordError> {
    let detector = MicroWakeWord::from_options(cfg)?;
    Ok(match cfg.placement {
        WakeWordPlacement::Realtime => Box::new(detector),
        WakeWordPlacement::OwnThread => {
            Box::new(ThreadedDetector::spawn(detector, cfg.thread_priority)?)
        }
    })
}

/// Loads the TFLite C API from `path`. Not real-time safe.
pub fn load_runtime(path: &std::path::Path) -> Result<Arc<ffi::Api>, WakeWordError> {
    ffi::Api::load(path).map(Arc::new)
}
