//! [aec] section: echo cancellation of what the speaker plays (issue 9).

use rt_core::aec::AecOptions;
pub use rt_core::aec::{AecDetectorInput, ReferenceSource};
use rt_core::options::CaptureOptions;
use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// [aec] section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AecConfig {
    /// Run the echo canceller (WebRTC AEC3) on the microphone before noise suppression.
    pub enabled: bool,
    /// Where the played signal comes from: "channel" (a loopback channel of the capture
    /// device, sample-synchronous) or "device" (a second ALSA capture; delay and clock drift
    /// are estimated continuously).
    pub reference: ReferenceSource,
    /// Channel of the capture device carrying the reference (0-based; "channel" mode).
    pub reference_channel: u32,
    /// ALSA PCM of the reference ("device" mode), e.g. an snd-aloop capture.
    pub reference_device: String,
    /// Expected delay of the echo behind the reference, ms (0: unknown; the canceller searches
    /// 0-500 ms itself). A board's measured loopback delay helps with periodic music.
    pub delay_hint_ms: u32,
    /// Canceller rate: 16000 (the wake-word / encoder band; cheaper) or 48000 ("channel"
    /// mode with a 48 kHz capture only).
    pub rate: u32,
    /// What the wake-word detector hears: "linear" (AEC3's linear filter output, before its
    /// suppressor: keeps the talker during music) or "suppressed" (the full output, as the
    /// stream gets it). Only at rate 16000 and with `[denoise] wakeword_input = "raw"`.
    pub detector_input: AecDetectorInput,
    /// Length of AEC3's adaptive (linear) filters, ms (20-400; default 150, measured; AEC3's
    /// own is 52). Should cover the room's echo tail after the direct path; longer costs CPU
    /// and converges slower.
    pub filter_length_ms: u32,
    /// The wake-word detector's cutoff while the reference plays (music or talk on the
    /// speaker), where lower than its own (`[wakeword] cutoff` or the model's); 1.0 leaves
    /// it unchanged. Default 0.8 (measured: docs/echo-cancellation.md).
    pub playback_cutoff: f32,
    /// Ducking: how far, in dB, `duck_control` is lowered while a speech stream to the phone
    /// is open (0-60; 0 = off). Independent of `enabled`.
    pub duck_db: u32,
    /// ALSA card whose mixer holds `duck_control` ("default", "hw:0", "hw:Dummy").
    pub duck_card: String,
    /// Simple-mixer playback volume control to duck (as `amixer` names it), e.g. "Master".
    pub duck_control: String,
}

/// Deepest duck (`[aec] duck_db`), dB.
pub const MAX_DUCK_DB: u32 = 60;

impl Default for AecConfig {
    fn default() -> Self {
        let o = AecOptions::default();
        Self {
            enabled: false,
            reference: o.reference,
            reference_channel: o.reference_channel,
            reference_device: o.reference_device,
            delay_hint_ms: o.delay_hint_ms,
            rate: o.rate,
            detector_input: o.detector_input,
            filter_length_ms: o.filter_length_ms,
            playback_cutoff: o.playback_cutoff.unwrap_or(1.0),
            duck_db: 0,
            duck_card: "default".into(),
            duck_control: "Master".into(),
        }
    }
}

impl AecConfig {
    /// The canceller's options as rt-core takes them; `None` when disabled.
    pub fn options(&self) -> Option<AecOptions> {
        self.enabled.then(|| AecOptions {
            rate: self.rate,
            reference: self.reference,
            reference_channel: self.reference_channel,
            reference_device: self.reference_device.clone(),
            delay_hint_ms: self.delay_hint_ms,
            detector_input: self.detector_input,
            filter_length_ms: self.filter_length_ms,
            playback_cutoff: (self.playback_cutoff < 1.0).then_some(self.playback_cutoff),
        })
    }

    /// Ducking's settings `(card, control, dB)`; `None` when `duck_db` is 0.
    pub fn ducking(&self) -> Option<(&str, &str, u32)> {
        (self.duck_db > 0).then_some((&self.duck_card, &self.duck_control, self.duck_db))
    }

    /// Checks the section against the capture rate.
    pub(super) fn validate(&self, capture_rate: u32) -> Result<(), Invalid> {
        check_range("aec.duck_db", self.duck_db, 0, MAX_DUCK_DB)?;
        if self.duck_db > 0 {
            if self.duck_card.trim().is_empty() {
                return Err(Invalid::new(
                    "aec.duck_card",
                    "empty card name with duck_db > 0",
                    "an ALSA card such as \"default\" or \"hw:0\"",
                ));
            }
            if self.duck_control.trim().is_empty() {
                return Err(Invalid::new(
                    "aec.duck_control",
                    "empty control name with duck_db > 0",
                    "a playback volume control as amixer names it, such as \"Master\"",
                ));
            }
        }
        check_range(
            "aec.delay_hint_ms",
            self.delay_hint_ms,
            0,
            dsp::aec::MAX_REFERENCE_DELAY_MS,
        )?;
        check_range("aec.reference_channel", self.reference_channel, 0, 7)?;
        if !(self.playback_cutoff > 0.0 && self.playback_cutoff <= 1.0) {
            return Err(Invalid::new(
                "aec.playback_cutoff",
                format!("{} is out of range", self.playback_cutoff),
                "above 0, at most 1.0 (1.0: the detector's own cutoff while music plays)",
            ));
        }
        check_range(
            "aec.filter_length_ms",
            self.filter_length_ms,
            dsp::aec::MIN_FILTER_LENGTH_MS,
            dsp::aec::MAX_FILTER_LENGTH_MS,
        )?;
        if self.rate != 16_000 && self.rate != 48_000 {
            return Err(Invalid::new(
                "aec.rate",
                format!("{} Hz is not supported", self.rate),
                "16000, 48000",
            ));
        }
        if self.rate == 48_000
            && (capture_rate != 48_000 || self.reference != ReferenceSource::Channel)
        {
            return Err(Invalid::new(
                "aec.rate",
                "48000 needs audio.rate = 48000 and reference = \"channel\"",
                "16000, or 48000 with a 48 kHz capture and a channel reference",
            ));
        }
        if self.enabled
            && self.reference == ReferenceSource::Device
            && self.reference_device.trim().is_empty()
        {
            return Err(Invalid::new(
                "aec.reference_device",
                "empty device name with reference = \"device\"",
                "an ALSA PCM name such as \"hw:Loopback,1,0\"",
            ));
        }
        Ok(())
    }
}

impl super::Config {
    /// The capture device as rt-core takes it, with the echo reference's loopback channel
    /// when `[aec]` is on with reference = "channel".
    pub fn capture_options(&self) -> CaptureOptions {
        let mut c = self.audio.capture_options();
        if self.aec.enabled && self.aec.reference == ReferenceSource::Channel {
            c.reference_channel = Some(self.aec.reference_channel);
        }
        if self.aec.enabled && self.aec.reference == ReferenceSource::Device {
            c.reference_device = Some(self.aec.reference_device.clone());
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Config;

    fn parse(text: &str) -> Result<Config, super::super::ConfigError> {
        Config::parse(text, Path::new("board.toml"))
    }

    #[test]
    fn rate_48000_needs_a_48_khz_capture_and_names_file_line_key() {
        let err = parse("[audio]\nrate = 16000\n\n[aec]\nenabled = true\nrate = 48000\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("board.toml:6:"), "{err}");
        assert!(err.contains("aec.rate"), "{err}");
        assert!(err.contains("accepted: 16000"), "{err}");
    }

    #[test]
    fn device_reference_needs_a_device_and_unknown_reference_is_refused() {
        let err = parse("[aec]\nenabled = true\nreference = \"device\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("aec.reference_device"), "{err}");
        let err = parse("[aec]\nreference = \"loopback\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("board.toml:2:"), "{err}");
        assert!(err.contains("channel") && err.contains("device"), "{err}");
        let err = parse("[aec]\ndelay_hint_ms = 900\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("aec.delay_hint_ms") && err.contains("0 to 500"),
            "{err}"
        );
        let err = parse("[aec]\nfilter_length_ms = 10\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("aec.filter_length_ms") && err.contains("20 to 400"),
            "{err}"
        );
    }

    #[test]
    fn duck_keys_are_validated_naming_file_line_and_key() {
        let err = parse("[aec]\nduck_db = 61\n").unwrap_err().to_string();
        assert!(err.starts_with("board.toml:2:"), "{err}");
        assert!(
            err.contains("aec.duck_db") && err.contains("0 to 60"),
            "{err}"
        );
        let err = parse("[aec]\n\nduck_db = \"12\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("board.toml:3:"), "{err}");
        assert!(err.contains("duck_db"), "{err}");
        let err = parse("[aec]\nduck_db = -3\n").unwrap_err().to_string();
        assert!(err.starts_with("board.toml:2:"), "{err}");
        let err = parse("[aec]\nduck_control = 7\n").unwrap_err().to_string();
        assert!(err.starts_with("board.toml:2:"), "{err}");
        assert!(err.contains("duck_control"), "{err}");
        let err = parse("[aec]\nduck_db = 12\nduck_control = \" \"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("board.toml:3:"), "{err}");
        assert!(err.contains("aec.duck_control"), "{err}");
        let err = parse("[aec]\nduck_card = \"\"\nduck_db = 12\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("aec.duck_card"), "{err}");
        // An empty control is fine while ducking is off.
        assert!(parse("[aec]\nduck_control = \"\"\n").is_ok());
    }

    #[test]
    fn ducking_is_off_by_default_and_on_with_a_depth() {
        assert_eq!(Config::default().aec.ducking(), None);
        let cfg =
            parse("[aec]\nduck_db = 18\nduck_card = \"hw:0\"\nduck_control = \"PCM\"\n").unwrap();
        assert_eq!(cfg.aec.ducking(), Some(("hw:0", "PCM", 18)));
    }

    #[test]
    fn enabled_section_becomes_rt_core_options_and_speaker_profile_uses_it() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/speaker.toml"),
        )
        .unwrap();
        let cfg = parse(&text).unwrap();
        let aec = cfg.realtime_options().pipeline.aec.expect("aec on");
        assert_eq!(aec.reference, super::ReferenceSource::Channel);
        assert_eq!(aec.rate, 16_000);
        let long = parse("[aec]\nenabled = true\nfilter_length_ms = 150\n").unwrap();
        let opts = long.realtime_options().pipeline.aec.expect("aec on");
        assert_eq!(opts.filter_length_ms, 150);
        assert_eq!(opts.playback_cutoff, Some(0.8), "the default");
        assert!(Config::default().realtime_options().pipeline.aec.is_none());
        let same = parse("[aec]\nenabled = true\nplayback_cutoff = 1.0\n").unwrap();
        let opts = same.realtime_options().pipeline.aec.expect("aec on");
        assert_eq!(opts.playback_cutoff, None, "1.0: the detector's own cutoff");
        for bad in ["0.0", "1.5", "nan"] {
            let err = parse(&format!("[aec]\n\nplayback_cutoff = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("board.toml:3:"), "{err}");
            assert!(err.contains("aec.playback_cutoff"), "{err}");
        }
    }
}
