//! [wakeword]: the wake-word detector (issue 3).
//!
//! ```toml
//! [wakeword]
//! enabled = true
//! model = "models/alexa.json"                   # microWakeWord model description
//! runtime = "models/libtensorflowlite_c.so"     # TensorFlow Lite C runtime (dlopen)
//! # cutoff = 0.9          # default: probability_cutoff from the model's JSON
//! # sliding_window = 5    # default: sliding_window_size from the model's JSON
//! refractory_ms = 2000
//! placement = "own_thread"
//! thread_priority = 60
//! ```
//! Relative paths in a config file are taken from the file's directory (not the working
//! directory); with `enabled = true`, both files are loaded at config load (a missing or
//! broken one is a config error naming the key and the path).

use std::path::PathBuf;

use rt_core::wakeword::WakeWordOptions;
pub use rt_core::wakeword::WakeWordPlacement;
use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// [wakeword] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WakeWordConfig {
    /// Run the detector (when off, only the button starts streams).
    pub enabled: bool,
    /// The microWakeWord JSON (names the .tflite beside it, the cutoff and sliding window).
    pub model: PathBuf,
    /// The TensorFlow Lite C runtime, loaded with dlopen.
    pub runtime: PathBuf,
    /// Detection threshold on the mean probability (0-1); default: the model's JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<f32>,
    /// Number of model outputs averaged (1-50); default: the model's JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sliding_window: Option<u32>,
    /// After a detection, no other detection for this long (ms).
    pub refractory_ms: u32,
    /// Where the detector runs.
    pub placement: WakeWordPlacement,
    /// SCHED_FIFO priority of the detector thread with `placement = "own_thread"` (1-99;
    /// keep it below the real-time audio thread). Refusal by the OS is reported, not fatal.
    pub thread_priority: i32,
}

/// rt-core's defaults are the file's (one source); the section adds `enabled`.
impl Default for WakeWordConfig {
    fn default() -> Self {
        let o = WakeWordOptions::default();
        Self {
            enabled: true,
            model: o.model,
            runtime: o.runtime,
            cutoff: o.cutoff,
            sliding_window: o.sliding_window,
            refractory_ms: o.refractory_ms,
            placement: o.placement,
            thread_priority: o.thread_priority,
        }
    }
}

impl WakeWordConfig {
    /// The detector's files, rule and placement, as rt-core takes them.
    pub fn options(&self) -> WakeWordOptions {
        WakeWordOptions {
            model: self.model.clone(),
            runtime: self.runtime.clone(),
            cutoff: self.cutoff,
            sliding_window: self.sliding_window,
            refractory_ms: self.refractory_ms,
            placement: self.placement,
            thread_priority: self.thread_priority,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.model.as_os_str().is_empty() {
            return Err(Invalid::new(
                "wakeword.model",
                "is empty",
                "a path to a microWakeWord .json",
            ));
        }
        if self.runtime.as_os_str().is_empty() {
            return Err(Invalid::new(
                "wakeword.runtime",
                "is empty",
                "a path to libtensorflowlite_c.so",
            ));
        }
        if let Some(c) = self.cutoff {
            // NaN fails both comparisons: reject it explicitly.
            if c.is_nan() {
                return Err(Invalid::new(
                    "wakeword.cutoff",
                    "is not a number",
                    "0.0 to 1.0",
                ));
            }
            check_range("wakeword.cutoff", c, 0.0, 1.0)?;
        }
        if let Some(w) = self.sliding_window {
            check_range("wakeword.sliding_window", w, 1, 50)?;
        }
        check_range("wakeword.refractory_ms", self.refractory_ms, 0, 60_000)?;
        check_range("wakeword.thread_priority", self.thread_priority, 1, 99)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("b.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_leave_cutoff_and_window_to_the_model() {
        let c = parse("[wakeword]\n").unwrap().wakeword;
        assert_eq!((c.cutoff, c.sliding_window), (None, None));
        assert_eq!(c.placement, super::WakeWordPlacement::OwnThread);
    }

    #[test]
    fn overrides_are_read() {
        let c = parse("[wakeword]\ncutoff = 0.8\nsliding_window = 3\nplacement = \"realtime\"\n")
            .unwrap()
            .wakeword;
        assert_eq!((c.cutoff, c.sliding_window), (Some(0.8), Some(3)));
        assert_eq!(c.placement, super::WakeWordPlacement::Realtime);
    }

    #[test]
    fn bad_values_name_line_key_and_accepted_values() {
        let e = parse("[wakeword]\n\ncutoff = 1.5\n").unwrap_err();
        assert!(
            e.starts_with("b.toml:3:") && e.contains("wakeword.cutoff"),
            "{e}"
        );
        assert!(e.contains("0 to 1"), "{e}");
        let e = parse("[wakeword]\nsliding_window = 0\n").unwrap_err();
        assert!(
            e.contains("wakeword.sliding_window") && e.contains("1 to 50"),
            "{e}"
        );
        let e = parse("[wakeword]\nplacement = \"gpu\"\n").unwrap_err();
        assert!(e.starts_with("b.toml:2:"), "{e}");
    }

    #[test]
    fn board_profiles_place_the_detector_below_the_realtime_thread() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        for name in ["default.toml", "headset.toml", "speaker.toml"] {
            let path = root.join(name);
            let text = std::fs::read_to_string(&path).unwrap();
            let c = Config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
            assert!(c.wakeword.enabled, "{name}");
            assert!(
                c.wakeword.thread_priority < c.realtime.priority,
                "{name}: the detector thread must not outrank the real-time thread"
            );
        }
    }
}
