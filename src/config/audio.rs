//! Sections of the audio path: [audio], [realtime], [denoise], [opus], [gate].

use rt_core::gate::GateParams;
use rt_core::options::{CaptureOptions, PipelineOptions, RealtimeOptions, ThreadOptions};
pub use rt_core::options::{StereoMix, WakeWordInput};
use serde::{Deserialize, Serialize};

use super::{check_range, Invalid};

/// [audio]: the ALSA capture device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// ALSA PCM name (`hw:0,0`, `default`, or a PCM defined in an ALSA config file).
    pub device: String,
    /// Capture rate in Hz: 48000 (native for noise suppression) or 16000.
    pub rate: u32,
    /// Frames per ALSA period; a multiple of 10 ms (480 at 48 kHz).
    pub period_frames: u32,
    /// Frames in the ALSA ring buffer (at least two periods).
    pub buffer_frames: u32,
    /// Reduction of stereo-only devices to mono.
    pub stereo_mix: StereoMix,
    /// Pace reads to real time. Needed for ALSA's `file`/`null` plugins, which return at once.
    pub pace: bool,
    /// Stop `run` after this many seconds (0: run until SIGINT/SIGTERM).
    pub max_seconds: f64,
}

/// rt-core's `CaptureOptions` defaults are the file's (one source); `max_seconds` is the
/// application's.
impl Default for AudioConfig {
    fn default() -> Self {
        let c = CaptureOptions::default();
        Self {
            device: c.device,
            rate: c.rate,
            period_frames: c.period_frames,
            buffer_frames: c.buffer_frames,
            stereo_mix: c.stereo_mix,
            pace: c.pace,
            max_seconds: 0.0,
        }
    }
}

/// Accepted capture rates.
pub const RATES: [u32; 2] = [16_000, 48_000];

impl AudioConfig {
    /// The capture device, as rt-core takes it.
    pub fn capture_options(&self) -> CaptureOptions {
        CaptureOptions {
            device: self.device.clone(),
            rate: self.rate,
            period_frames: self.period_frames,
            buffer_frames: self.buffer_frames,
            stereo_mix: self.stereo_mix,
            pace: self.pace,
            reference_channel: None,
            reference_device: None,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.device.trim().is_empty() {
            return Err(Invalid::new(
                "audio.device",
                "empty device name",
                "an ALSA PCM name such as \"default\" or \"hw:0,0\"",
            ));
        }
        if !RATES.contains(&self.rate) {
            return Err(Invalid::new(
                "audio.rate",
                format!("{} Hz is not supported", self.rate),
                "16000, 48000",
            ));
        }
        let chunk = self.rate / 100;
        if self.period_frames == 0
            || !self.period_frames.is_multiple_of(chunk)
            || self.period_frames / chunk > 4
        {
            return Err(Invalid::new(
                "audio.period_frames",
                format!("{} frames is not 10, 20, 30 or 40 ms", self.period_frames),
                format!("{}, {}, {}, {}", chunk, 2 * chunk, 3 * chunk, 4 * chunk),
            ));
        }
        if self.buffer_frames < 2 * self.period_frames
            || self.buffer_frames > 64 * self.period_frames
        {
            return Err(Invalid::new(
                "audio.buffer_frames",
                format!("{} frames does not fit the period", self.buffer_frames),
                format!("{} to {}", 2 * self.period_frames, 64 * self.period_frames),
            ));
        }
        if !(0.0..=86_400.0).contains(&self.max_seconds) {
            return Err(Invalid::new(
                "audio.max_seconds",
                format!("{} is out of range", self.max_seconds),
                "0 (no limit) to 86400",
            ));
        }
        Ok(())
    }
}

/// [realtime]: the capture thread's scheduling and its budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RealtimeConfig {
    /// SCHED_FIFO priority (1-99); 0 keeps the normal scheduler.
    pub priority: i32,
    /// mlockall(MCL_CURRENT | MCL_FUTURE) before the loop.
    pub lock_memory: bool,
    /// Pin the thread to this CPU.
    pub cpu: Option<usize>,
    /// Processing budget per period, percent of the period.
    pub budget_percent: u32,
    /// Capacity of the outbound ring, in messages (frames and stream events).
    pub outbound_capacity: usize,
    /// Capacity of the command ring.
    pub command_capacity: usize,
    /// Encoded backlog frames (pre-roll catch-up) allowed per period on top of the live frame.
    pub catchup_frames_per_period: u32,
}

/// From rt-core's `RealtimeOptions` defaults (one source).
impl Default for RealtimeConfig {
    fn default() -> Self {
        let r = RealtimeOptions::default();
        Self {
            priority: r.thread.priority,
            lock_memory: r.thread.lock_memory,
            cpu: r.thread.cpu,
            budget_percent: r.budget_percent,
            outbound_capacity: r.outbound_capacity,
            command_capacity: r.command_capacity,
            catchup_frames_per_period: r.pipeline.gate.catchup_frames,
        }
    }
}

impl RealtimeConfig {
    /// The real-time thread's scheduling, as rt-core takes it.
    pub fn thread_options(&self) -> ThreadOptions {
        ThreadOptions {
            priority: self.priority,
            lock_memory: self.lock_memory,
            cpu: self.cpu,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        check_range("realtime.priority", self.priority, 0, 99)?;
        check_range("realtime.budget_percent", self.budget_percent, 1, 100)?;
        check_range(
            "realtime.outbound_capacity",
            self.outbound_capacity,
            64,
            65_536,
        )?;
        check_range("realtime.command_capacity", self.command_capacity, 4, 4096)?;
        check_range(
            "realtime.catchup_frames_per_period",
            self.catchup_frames_per_period,
            1,
            8,
        )?;
        if let Some(cpu) = self.cpu {
            check_range("realtime.cpu", cpu, 0, 1023)?;
        }
        Ok(())
    }
}

/// [denoise]: noise suppression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DenoiseConfig {
    /// Run nnnoiseless on the 48 kHz signal.
    pub enabled: bool,
    /// The signal the wake-word detector hears.
    pub wakeword_input: WakeWordInput,
}

/// From rt-core's `PipelineOptions` defaults (one source).
impl Default for DenoiseConfig {
    fn default() -> Self {
        let p = PipelineOptions::default();
        Self {
            enabled: p.denoise,
            wakeword_input: p.wakeword_input,
        }
    }
}

/// [opus]: the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpusConfig {
    /// CBR bitrate: 32000 (AMA OPUS_16KHZ_32KBPS_CBR_0_20MS) or 16000.
    pub bitrate: u32,
    /// libopus complexity 0-10.
    pub complexity: i32,
}

/// From rt-core's `PipelineOptions` defaults (one source).
impl Default for OpusConfig {
    fn default() -> Self {
        let p = PipelineOptions::default();
        Self {
            bitrate: p.opus_bitrate.bits_per_second() as u32,
            complexity: p.opus_complexity,
        }
    }
}

impl OpusConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if ![16_000, 32_000].contains(&self.bitrate) {
            return Err(Invalid::new(
                "opus.bitrate",
                format!("{} bps is not an AMA Opus format", self.bitrate),
                "16000, 32000",
            ));
        }
        check_range("opus.complexity", self.complexity, 0, 10)
    }

    /// The bitrate as the codec's enum.
    pub fn codec_bitrate(&self) -> dsp::codec::OpusBitrate {
        if self.bitrate == 16_000 {
            dsp::codec::OpusBitrate::Kbps16
        } else {
            dsp::codec::OpusBitrate::Kbps32
        }
    }
}

/// [gate]: when audio becomes a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Audio kept before the wake word, in ms (cloud wake-word verification needs 500).
    pub preroll_ms: u32,
    /// Length of the 16 kHz history ring, in ms (pre-roll + wake word + detector lag).
    pub history_ms: u32,
    /// Longest utterance, in ms; the stream ends there.
    pub max_utterance_ms: u32,
    /// Let the local end-of-speech detector end tap and wake-word utterances.
    pub local_endpoint: bool,
    /// End-of-speech: level above the noise floor that counts as speech, dB.
    pub vad_threshold_db: f32,
    /// End-of-speech: speech needed before an end can be declared, ms.
    pub vad_min_speech_ms: u32,
    /// End-of-speech: silence that ends the utterance, ms.
    pub vad_hangover_ms: u32,
}

/// From rt-core's `GateParams` defaults (16 kHz samples -> ms; one source).
impl Default for GateConfig {
    fn default() -> Self {
        let g = GateParams::default();
        Self {
            preroll_ms: (g.preroll / 16) as u32,
            history_ms: (g.history / 16) as u32,
            max_utterance_ms: (g.max_len / 16) as u32,
            local_endpoint: g.local_endpoint,
            vad_threshold_db: g.vad.threshold_db,
            vad_min_speech_ms: g.vad.min_speech_ms,
            vad_hangover_ms: g.vad.hangover_ms,
        }
    }
}

impl GateConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        check_range("gate.preroll_ms", self.preroll_ms, 0, 2000)?;
        check_range("gate.history_ms", self.history_ms, 2500, 10_000)?;
        if self.history_ms < self.preroll_ms + 2000 {
            return Err(Invalid::new(
                "gate.history_ms",
                "too short for the pre-roll plus a wake word and the detector's lag",
                format!("at least preroll_ms + 2000 = {}", self.preroll_ms + 2000),
            ));
        }
        check_range(
            "gate.max_utterance_ms",
            self.max_utterance_ms,
            1000,
            120_000,
        )?;
        check_range("gate.vad_threshold_db", self.vad_threshold_db, 1.0, 60.0)?;
        check_range("gate.vad_min_speech_ms", self.vad_min_speech_ms, 0, 10_000)?;
        check_range("gate.vad_hangover_ms", self.vad_hangover_ms, 100, 10_000)?;
        Ok(())
    }

    /// The end-of-speech detector's tuning.
    pub fn vad(&self) -> dsp::vad::VadConfig {
        dsp::vad::VadConfig {
            threshold_db: self.vad_threshold_db,
            min_speech_ms: self.vad_min_speech_ms,
            hangover_ms: self.vad_hangover_ms,
        }
    }

    /// The gate's tuning in samples, with `[realtime] catchup_frames_per_period`.
    pub fn params(&self, catchup_frames: u32) -> GateParams {
        GateParams {
            local_endpoint: self.local_endpoint,
            catchup_frames,
            vad: self.vad(),
            ..GateParams::from_ms(self.preroll_ms, self.history_ms, self.max_utterance_ms)
        }
    }
}
