//! What the real-time side needs to be told, as plain values: this crate's own option
//! structs. The application parses and validates its configuration file once and converts it
//! into these (rt-core knows no configuration file). Every `Default` is the engine's built-in
//! default, and the application's config takes its defaults from them (one source).

use serde::{Deserialize, Serialize};

use crate::gate::GateParams;

/// How a stereo-only device is reduced to mono.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StereoMix {
    /// Keep the first (left) channel.
    First,
    /// Average the channels.
    Mix,
}

/// The ALSA capture device.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureOptions {
    /// ALSA PCM name (`hw:0,0`, `default`, or a PCM defined in an ALSA config file).
    pub device: String,
    /// Capture rate in Hz: 48000 or 16000.
    pub rate: u32,
    /// Frames per ALSA period; a multiple of 10 ms.
    pub period_frames: u32,
    /// Frames in the ALSA ring buffer (at least two periods).
    pub buffer_frames: u32,
    /// Reduction of stereo-only devices to mono.
    pub stereo_mix: StereoMix,
    /// Pace reads to real time (ALSA's `file`/`null` plugins return at once).
    pub pace: bool,
    /// Echo cancellation with a loopback channel: the device is opened with at least this
    /// channel + 1 channels (and at least 2); this channel is the reference, the others are
    /// the microphone (reduced per `stereo_mix`).
    pub reference_channel: Option<u32>,
    /// Echo cancellation with the reference on a second capture device (e.g. an snd-aloop
    /// capture): its ALSA PCM, opened like `device` but read without blocking.
    pub reference_device: Option<String>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            device: "default".into(),
            rate: 48_000,
            period_frames: 480,
            buffer_frames: 1920,
            stereo_mix: StereoMix::First,
            pace: false,
            reference_channel: None,
            reference_device: None,
        }
    }
}

/// Scheduling of a thread that must keep up with the audio (the real-time loop, the wake-word
/// worker). Applied by [`crate::thread::spawn`], best effort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadOptions {
    /// SCHED_FIFO priority (1-99); 0 keeps the normal scheduler.
    pub priority: i32,
    /// mlockall(MCL_CURRENT | MCL_FUTURE) before the work starts.
    pub lock_memory: bool,
    /// Pin the thread to this CPU.
    pub cpu: Option<usize>,
}

impl Default for ThreadOptions {
    fn default() -> Self {
        Self {
            priority: 70,
            lock_memory: true,
            cpu: None,
        }
    }
}

/// Which 16 kHz signal feeds the wake-word detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeWordInput {
    /// After noise suppression.
    Denoised,
    /// Before noise suppression.
    Raw,
}

/// The per-period chain ([`crate::pipeline::Pipeline`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOptions {
    /// Run nnnoiseless on the 48 kHz signal.
    pub denoise: bool,
    /// The signal the wake-word detector hears.
    pub wakeword_input: WakeWordInput,
    /// Opus CBR bitrate.
    pub opus_bitrate: dsp::codec::OpusBitrate,
    /// libopus complexity 0-10.
    pub opus_complexity: i32,
    /// The gate, in samples.
    pub gate: GateParams,
    /// Echo cancellation before noise suppression (`None`: off).
    pub aec: Option<crate::aec::AecOptions>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            denoise: true,
            wakeword_input: WakeWordInput::Raw,
            opus_bitrate: dsp::codec::OpusBitrate::Kbps32,
            opus_complexity: 4,
            gate: GateParams::default(),
            aec: None,
        }
    }
}

/// The real-time thread and its rings ([`crate::realtime::start`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RealtimeOptions {
    /// The pipeline it runs.
    pub pipeline: PipelineOptions,
    /// Its scheduling.
    pub thread: ThreadOptions,
    /// Processing budget per period, percent of the period.
    pub budget_percent: u32,
    /// Capacity of the outbound ring, in messages.
    pub outbound_capacity: usize,
    /// Capacity of the command ring.
    pub command_capacity: usize,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            pipeline: PipelineOptions::default(),
            thread: ThreadOptions::default(),
            budget_percent: 50,
            outbound_capacity: 1024,
            command_capacity: 64,
        }
    }
}
