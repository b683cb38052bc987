//! The engine's TOML configuration: typed, defaulted, validated.
//!
//! **Guarantees**: [`Config::load`] either returns a fully validated config or a
//! [`ConfigError`] that names the file, the line, the key and the accepted values; the engine
//! never starts half-way on a bad file. Unknown keys are errors (a typo must not be ignored).
//! Every section has defaults, so an empty file is the built-in default configuration.

mod aec;
mod ama;
mod audio;
mod bluetooth;
mod control;
pub(crate) mod locate;
pub mod paths;
mod shorten;
mod telemetry;
mod wakeword;

use std::path::{Path, PathBuf};

use rt_core::options::{PipelineOptions, RealtimeOptions};
use serde::{Deserialize, Serialize};

pub use aec::{AecConfig, AecDetectorInput, ReferenceSource};
pub use ama::{
    parse_bd_addr, parse_hex, AmaConfig, AmaInitiation, AmaLink, AmaProfile, BdAddr, HexBytes,
};
pub use audio::{
    AudioConfig, DenoiseConfig, GateConfig, OpusConfig, RealtimeConfig, StereoMix, WakeWordInput,
};
pub use bluetooth::{BluetoothConfig, PairingPolicy};
pub use control::{ControlConfig, LOCK_FILE};
pub use locate::line_of_key;
pub use telemetry::TelemetryConfig;
pub use wakeword::{WakeWordConfig, WakeWordPlacement};

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub audio: AudioConfig,
    pub realtime: RealtimeConfig,
    pub denoise: DenoiseConfig,
    pub opus: OpusConfig,
    pub gate: GateConfig,
    pub wakeword: WakeWordConfig,
    pub ama: AmaConfig,
    pub bluetooth: BluetoothConfig,
    pub control: ControlConfig,
    pub telemetry: TelemetryConfig,
    pub aec: AecConfig,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema (wrong type, unknown key); the
    /// message says what was expected.
    #[error("{file}:{line}: {}{message}", key.as_ref().map(|k| format!("key `{k}`: ")).unwrap_or_default())]
    Parse {
        file: PathBuf,
        line: usize,
        key: Option<String>,
        message: String,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{file}:{line}: key `{key}`: {message} (accepted: {accepted})")]
    Invalid {
        file: PathBuf,
        line: usize,
        key: String,
        message: String,
        accepted: String,
    },
}

/// A rejected value, before it is placed in a file: the dotted key, what is wrong, and what
/// would be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
    pub accepted: String,
}

impl Invalid {
    /// Builds a rejection for `key`.
    pub fn new(key: &str, message: impl Into<String>, accepted: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
            accepted: accepted.into(),
        }
    }
}

/// Checks `lo <= value <= hi` for key `key`.
pub fn check_range<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), Invalid> {
    if value < lo || value > hi {
        Err(Invalid::new(
            key,
            format!("{value} is out of range"),
            format!("{lo} to {hi}"),
        ))
    } else {
        Ok(())
    }
}

impl Config {
    /// Reads, parses and validates `path`; relative paths set in it are made relative to its
    /// directory (`paths::check_wakeword_of` then checks an enabled wake word's files).
    /// Not real-time safe.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.to_owned(),
            source,
        })?;
        let mut cfg = Self::parse(&text, path)?;
        paths::resolve(&mut cfg, &text, &paths::base_of(path));
        Ok(cfg)
    }

    /// Parses and validates `text`, naming `path` in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let key = e.span().and_then(|s| locate::key_at_offset(text, s.start));
            ConfigError::Parse {
                file: path.to_owned(),
                line: e
                    .span()
                    .map(|s| locate::line_of_offset(text, s.start))
                    .unwrap_or(1),
                message: shorten::with_accepted(e.message().trim(), key.as_deref()),
                key,
            }
        })?;
        cfg.validate().map_err(|inv| ConfigError::Invalid {
            file: path.to_owned(),
            line: locate::line_of_key(text, &inv.key),
            key: inv.key,
            message: shorten::shorten(&inv.message),
            accepted: shorten::shorten(&inv.accepted),
        })?;
        Ok(cfg)
    }

    /// Checks every section and the constraints between sections.
    pub fn validate(&self) -> Result<(), Invalid> {
        self.audio.validate()?;
        self.realtime.validate()?;
        self.opus.validate()?;
        self.gate.validate()?;
        self.wakeword.validate()?;
        self.ama.validate()?;
        self.bluetooth.validate()?;
        self.control.validate()?;
        self.control.validate_against(&self.bluetooth, &self.ama)?;
        self.telemetry.validate()?;
        self.aec.validate(self.audio.rate)?;
        Ok(())
    }

    /// The real-time side's options (rt-core): pipeline, gate, thread and rings.
    pub fn realtime_options(&self) -> RealtimeOptions {
        RealtimeOptions {
            pipeline: PipelineOptions {
                denoise: self.denoise.enabled,
                wakeword_input: self.denoise.wakeword_input,
                opus_bitrate: self.opus.codec_bitrate(),
                opus_complexity: self.opus.complexity,
                gate: self.gate.params(self.realtime.catchup_frames_per_period),
                aec: self.aec.options(),
            },
            thread: self.realtime.thread_options(),
            budget_percent: self.realtime.budget_percent,
            outbound_capacity: self.realtime.outbound_capacity,
            command_capacity: self.realtime.command_capacity,
        }
    }

    /// The resolved configuration as TOML (what `check-config` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print: {e}\n"))
    }
}

#[cfg(test)]
mod tests;
