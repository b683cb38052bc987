//! The microWakeWord model description (the JSON shipped beside each .tflite).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::WakeWordError;

#[derive(Debug, Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    wake_word: String,
    model: String,
    micro: RawMicro,
}

#[derive(Debug, Deserialize)]
struct RawMicro {
    probability_cutoff: f32,
    sliding_window_size: u32,
    feature_step_size: u32,
}

/// What the engine needs from a model JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// The phrase (e.g. "Alexa").
    pub wake_word: String,
    /// The .tflite file, resolved against the JSON's directory.
    pub tflite: PathBuf,
    /// Detection threshold on the mean probability.
    pub probability_cutoff: f32,
    /// Number of model outputs averaged.
    pub sliding_window_size: u32,
}

impl ModelInfo {
    /// Reads and checks `path`. Not real-time safe.
    pub fn load(path: &Path) -> Result<Self, WakeWordError> {
        let err = |message: String| WakeWordError::ModelInfo {
            path: path.to_owned(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let raw: Raw =
            serde_json::from_str(&text).map_err(|e| err(format!("line {}: {e}", e.line())))?;
        if raw.kind != "micro" {
            return Err(err(format!(
                "type is {:?}, only \"micro\" models are supported",
                raw.kind
            )));
        }
        if raw.micro.feature_step_size != 10 {
            return Err(err(format!(
                "micro.feature_step_size is {}, the front end steps by 10 ms",
                raw.micro.feature_step_size
            )));
        }
        let c = raw.micro.probability_cutoff;
        if !(0.0..=1.0).contains(&c) {
            return Err(err(format!(
                "micro.probability_cutoff {c} is not within 0-1"
            )));
        }
        let w = raw.micro.sliding_window_size;
        if !(1..=dsp::wakeword::MAX_SLIDING_WINDOW as u32).contains(&w) {
            return Err(err(format!(
                "micro.sliding_window_size {w} is not within 1-50"
            )));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            wake_word: raw.wake_word,
            tflite: dir.join(raw.model),
            probability_cutoff: c,
            sliding_window_size: w,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.json");
        std::fs::write(&p, text).unwrap();
        (d, p)
    }

    #[test]
    fn reads_the_shipped_format() {
        let (_d, p) = write(
            r#"{"type":"micro","wake_word":"Alexa","model":"alexa.tflite","version":2,
               "micro":{"probability_cutoff":0.9,"sliding_window_size":5,"feature_step_size":10,
               "tensor_arena_size":22348}}"#,
        );
        let m = ModelInfo::load(&p).unwrap();
        assert_eq!(m.tflite, p.parent().unwrap().join("alexa.tflite"));
        assert_eq!((m.probability_cutoff, m.sliding_window_size), (0.9, 5));
    }

    #[test]
    fn bad_files_name_the_problem() {
        let (_d, p) = write("{\"type\":\"micro\",\n\"wake_word\":1}");
        let e = ModelInfo::load(&p).unwrap_err().to_string();
        assert!(e.contains("m.json") && e.contains("line 2"), "{e}");
        let (_d, p) = write(
            r#"{"type":"micro","wake_word":"x","model":"x.tflite",
               "micro":{"probability_cutoff":0.9,"sliding_window_size":5,"feature_step_size":20}}"#,
        );
        let e = ModelInfo::load(&p).unwrap_err().to_string();
        assert!(e.contains("feature_step_size is 20"), "{e}");
    }
}
