//! Acoustic echo cancellation: WebRTC's AEC3 (the pure-Rust port `sonora`) on 10 ms frames.
//!
//! **Guarantees**: everything is allocated in [`EchoCanceller::new`], which also runs a few
//! silent frames so that lazy allocations happen there. After that, [`EchoCanceller::process`]
//! and every other `&mut self` method except `new` never allocate, lock or block: they are
//! real-time safe. (Upstream sonora 0.2.0 allocated about 35 small temporaries per 10 ms frame;
//! the workspace patches it, see `vendor/README.md`; `dsp/tests/aec_alloc.rs` counts the
//! allocations per call.) The type is `Send`: build it, then move it into the real-time thread.
//!
//! Why AEC3 and not SpeexDSP or the `aec3` crate: see docs/aec-comparison.md (measured on the
//! generated set, `scripts/gen-test-audio.d/aec.sh`).
//!
//! The canceller estimates the echo delay itself (10-250 ms on the test set) and followed clock
//! drift of +-100 ppm between the reference and the microphone. Its estimator can lock on a
//! wrong lag with periodic music (measured: a drum loop with 120 ms of delay, estimate 44-48 ms,
//! ERLE 16-19 dB over 2-8 s), so a known bulk delay can be handed to it:
//! [`AecConfig::delay_hint_ms`] (a board's fixed loopback delay) or, at run time, an external
//! estimate ([`delay::DelayEstimator`], GCC-PHAT on another thread, which also measures the
//! clock drift) through [`EchoCanceller::offer_delay_estimate_ms`] (applied only when AEC3
//! disagrees) or [`EchoCanceller::set_reference_delay_ms`]. They delay the reference before
//! the canceller, which then only has to find the rest (same case: 34 dB, converged at 0.5 s).
//! AEC3's own "stream delay" input is not used for this: it only positions its render buffer
//! after a reset (measured: no effect).
//!
//! ```
//! use dsp::aec::{AecConfig, AecRate, EchoCanceller};
//! let mut aec = EchoCanceller::new(AecConfig::new(AecRate::Hz16000)).unwrap();
//! let (mic, reference) = ([0.0f32; 160], [0.0f32; 160]);
//! let mut out = [0.0f32; 160];
//! aec.process(&mic, &reference, &mut out).unwrap();
//! println!("ERLE {:?} dB, delay {:?} ms", aec.erle_db(), aec.delay_ms());
//! ```

pub mod delay;

use sonora::config::{
    EchoCanceller as Aec3Config, EchoCanceller3Config as Aec3Tuning, MaxProcessingRate, Pipeline,
};
use sonora::{AudioProcessing, Config, StreamConfig};

/// Sample rates the canceller runs at. AEC3's adaptive filter works on the 0-8 kHz band in
/// both; at 48 kHz the upper bands are split off (a three-band filter bank), suppressed by the
/// same gains, and put back: costlier (measured 1.1-1.5x) for the same echo removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AecRate {
    /// 16 kHz, 160-sample frames: the wake-word / encoder band.
    Hz16000,
    /// 48 kHz, 480-sample frames: the ALSA period, before noise suppression.
    Hz48000,
}

impl AecRate {
    /// Samples per second.
    pub const fn hz(self) -> u32 {
        match self {
            Self::Hz16000 => 16_000,
            Self::Hz48000 => 48_000,
        }
    }

    /// Samples per 10 ms frame.
    pub const fn frame_len(self) -> usize {
        self.hz() as usize / 100
    }

    /// How much later a sample leaves [`EchoCanceller::process`] than it entered, in samples
    /// at this rate: AEC3 works on 64-sample blocks (two blocks, 8 ms) plus, at 48 kHz, the
    /// band-splitting filter bank (46 samples). Measured (`tests::output_latency`); constant.
    pub const fn latency_samples(self) -> usize {
        match self {
            Self::Hz16000 => 128,
            Self::Hz48000 => 430,
        }
    }
}

/// Samples per frame of [`EchoCanceller::linear_output`] (10 ms at 16 kHz).
pub const LINEAR_LEN: usize = 160;

/// The longest reference delay [`EchoCanceller::set_reference_delay_ms`] accepts.
pub const MAX_REFERENCE_DELAY_MS: u32 = 500;
/// How much of [`AecConfig::delay_hint_ms`] is left for AEC3 to find: the reference is delayed
/// by the hint less this.
pub const HINT_MARGIN_MS: u32 = 10;
/// The same for an estimate given to [`EchoCanceller::offer_delay_estimate_ms`] (GCC-PHAT is
/// exact to the sample on the test set).
pub const ESTIMATE_MARGIN_MS: f32 = 5.0;
/// AEC3's delay and an external estimate agree when they are this close, ms. AEC3 reports its
/// render alignment, which wanders up to 20 ms under the direct path while it converges
/// (measured: 160-176 for 180); its mis-locks were 72-76 ms off.
pub const AGREE_MS: f32 = 30.0;

/// How the canceller is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AecConfig {
    /// Sample rate of the microphone and the reference.
    pub rate: AecRate,
    /// Expected delay of the echo behind the reference, in ms (0 to 500), e.g. the measured
    /// latency of a board's hardware loopback. The reference is delayed by this less
    /// [`HINT_MARGIN_MS`] (an echo arriving before its reference cannot be cancelled), and AEC3
    /// finds the rest. 0: unknown, AEC3 searches 0-500 ms by itself.
    pub delay_hint_ms: u32,
    /// Keep AEC3's linear filter output (before its suppressor) for
    /// [`EchoCanceller::linear_output`]: the 0-8 kHz band at 16 kHz. The suppressor removes
    /// near-end speech with the echo in double talk; the linear output keeps the talker (and
    /// 10-20 dB more echo). Costs nothing measurable (AEC3 computes it anyway).
    pub linear_output: bool,
    /// Length of AEC3's adaptive filters (refined and coarse), ms
    /// ([`MIN_FILTER_LENGTH_MS`]..=[`MAX_FILTER_LENGTH_MS`]), rounded up to AEC3's 4 ms
    /// blocks. The linear filter models this much of the room's response after the direct
    /// path; what lies beyond it is left to the suppressor. Cost grows with it.
    pub filter_length_ms: u32,
}

/// AEC3's own filter length (its default, and [`AecConfig::new`]'s): 13 blocks of 64 samples
/// of the 0-8 kHz band.
pub const AEC3_FILTER_LENGTH_MS: u32 = 52;
/// The shortest [`AecConfig::filter_length_ms`].
pub const MIN_FILTER_LENGTH_MS: u32 = 20;
/// The longest [`AecConfig::filter_length_ms`].
pub const MAX_FILTER_LENGTH_MS: u32 = 400;
/// AEC3's block: 64 samples at 16 kHz (the 0-8 kHz band at every rate), ms.
const BLOCK_MS: u32 = 4;

impl AecConfig {
    /// No delay hint, no linear output, AEC3's default filter length.
    pub const fn new(rate: AecRate) -> Self {
        Self {
            rate,
            delay_hint_ms: 0,
            linear_output: false,
            filter_length_ms: AEC3_FILTER_LENGTH_MS,
        }
    }

    /// [`filter_length_ms`](Self::filter_length_ms) in AEC3 blocks.
    pub const fn filter_length_blocks(&self) -> usize {
        self.filter_length_ms.div_ceil(BLOCK_MS) as usize
    }
}

/// AEC3's configuration for `cfg`: its defaults with the filter length set, adapting during
/// music's sustained tones.
fn aec3_config(cfg: &AecConfig) -> Aec3Tuning {
    let mut c = Aec3Tuning::default();
    // Upstream stops adapting both linear filters while the reference has a narrow-band peak
    // that lasts 10 blocks (40 ms) and for a filter length after it: with music (held notes)
    // the filters then adapt only between notes. Measured on the generated set
    // (examples/aec_tune.rs, 150 ms filter): linear ERLE 12-14 s on the pop case 23 -> 32 dB,
    // the drum loop with its delay hinted 15 -> 26 dB; speech programmes unchanged.
    // (An option of the vendored sonora-aec3, `vendor/README.md`.)
    c.filter.gate_adaptation_on_narrow_bands = false;
    let blocks = cfg.filter_length_blocks();
    c.filter.refined.length_blocks = blocks;
    c.filter.coarse.length_blocks = blocks;
    // The start-up filters (the first 2.5 s) are one block shorter than the default filter
    // upstream; a longer filter starts at that length too and grows after start-up.
    c.filter.refined_initial.length_blocks = c.filter.refined_initial.length_blocks.min(blocks);
    c.filter.coarse_initial.length_blocks = c.filter.coarse_initial.length_blocks.min(blocks);
    // AEC3's own delay estimator (matched filters on the reference decimated by 4, about a
    // third of its time, and a pre-echo pass over their errors) runs beside our GCC-PHAT
    // worker, which corrects its mis-locks. Decimating by 8 (AEC3's other setting) and
    // without the pre-echo pass it costs 45 % less at 16 kHz (median per 10 ms 72-86 ->
    // 40-47 us, examples/aec_cost.rs under SCHED_FIFO, alternating), finds the same wake-word
    // takes with music, and removes within 0-4 dB of the echo it removed
    // (docs/echo-cancellation.md). `tests/aec_fork.rs` keeps AEC3's own settings (its
    // golden output).
    c.delay.down_sampling_factor = DELAY_DOWN_SAMPLING;
    c.delay.detect_pre_echo = false;
    c
}

/// AEC3's delay estimator decimation (4 or 8; AEC3's default is 4): see `aec3_config`.
const DELAY_DOWN_SAMPLING: usize = 8;

/// What can go wrong. Construction never allocates an error; nothing here needs a reset.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum AecError {
    /// A configuration value is out of range; build again with a valid one.
    #[error("invalid echo canceller setting: {0}")]
    Config(&'static str),
    /// A frame of the wrong length was passed; nothing was processed (the caller should pass
    /// [`AecRate::frame_len`] samples in each of mic, reference and out).
    #[error("echo canceller frame length: expected {expected}, got {got}")]
    FrameLength {
        /// Samples per frame at the configured rate.
        expected: usize,
        /// The shortest of the three slices passed.
        got: usize,
    },
}

/// 16-bit scale (the crate's sample convention) to sonora's [-1, 1] and back.
const TO_UNIT: f32 = 1.0 / 32768.0;
const FROM_UNIT: f32 = 32768.0;
/// Silent frames run in `new` so that lazy allocations happen there (measured: none after
/// the first frame; a margin is cheap).
const WARM_FRAMES: usize = 4;

/// One channel of echo cancellation: microphone in, reference (what the speaker plays) in,
/// echo-cancelled microphone out. See the module doc for the guarantees.
pub struct EchoCanceller {
    apm: AudioProcessing,
    cfg: AecConfig,
    frame: usize,
    mic: Vec<f32>,
    reference: Vec<f32>,
    out: Vec<f32>,
    /// The render path's output (unused; AEC3 only analyses the reference).
    render_out: Vec<f32>,
    /// Ring of the last reference samples, for an external delay estimate.
    ring: Vec<f32>,
    ring_pos: usize,
    ref_delay: usize,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller")
            .field("cfg", &self.cfg)
            .field("reference_delay_samples", &self.ref_delay)
            .finish_non_exhaustive()
    }
}

impl EchoCanceller {
    /// Builds the canceller and warms it. Not real-time safe (allocates).
    pub fn new(cfg: AecConfig) -> Result<Self, AecError> {
        Self::with_tuning(cfg, |_| {})
    }

    /// [`new`](Self::new) with AEC3's configuration adjusted by `tune` after `cfg` is applied:
    /// for tuning experiments (examples/aec_tune.rs). Not real-time safe.
    #[doc(hidden)]
    pub fn with_tuning(
        cfg: AecConfig,
        tune: impl FnOnce(&mut Aec3Tuning),
    ) -> Result<Self, AecError> {
        if cfg.delay_hint_ms > MAX_REFERENCE_DELAY_MS {
            return Err(AecError::Config("delay_hint_ms must be 0..=500"));
        }
        if !(MIN_FILTER_LENGTH_MS..=MAX_FILTER_LENGTH_MS).contains(&cfg.filter_length_ms) {
            return Err(AecError::Config("filter_length_ms must be 20..=400"));
        }
        let mut aec3 = aec3_config(&cfg);
        tune(&mut aec3);
        if !aec3.validate() {
            return Err(AecError::Config("AEC3 configuration out of range"));
        }
        let config = Config {
            pipeline: Pipeline {
                // Process at the input rate: no internal 48 -> 32 kHz resampling.
                maximum_internal_processing_rate: MaxProcessingRate::Rate48kHz,
                ..Default::default()
            },
            // Defaults: AEC3's own high-pass filter on the capture path (WebRTC enforces it).
            echo_canceller: Some(Aec3Config {
                export_linear_output: cfg.linear_output,
                aec3: Some(aec3),
                ..Aec3Config::default()
            }),
            ..Default::default()
        };
        let stream = StreamConfig::new(cfg.rate.hz(), 1);
        let apm = AudioProcessing::builder()
            .config(config)
            .capture_config(stream)
            .render_config(stream)
            .build();
        let frame = cfg.rate.frame_len();
        let max_delay = (MAX_REFERENCE_DELAY_MS * cfg.rate.hz() / 1000) as usize;
        let mut aec = Self {
            apm,
            cfg,
            frame,
            mic: vec![0.0; frame],
            reference: vec![0.0; frame],
            out: vec![0.0; frame],
            render_out: vec![0.0; frame],
            ring: vec![0.0; max_delay + frame],
            ring_pos: 0,
            ref_delay: 0,
        };
        aec.set_reference_delay_ms(cfg.delay_hint_ms.saturating_sub(HINT_MARGIN_MS));
        let silence = vec![0.0; frame];
        let mut out = vec![0.0; frame];
        for _ in 0..WARM_FRAMES {
            aec.process(&silence, &silence, &mut out)?;
        }
        Ok(aec)
    }

    /// The configuration it was built with.
    pub fn config(&self) -> AecConfig {
        self.cfg
    }

    /// Cancels the echo of `reference` in one 10 ms frame of `mic` (both 16-bit scale,
    /// [`AecRate::frame_len`] samples), writing `out`. The reference frame is the one played
    /// (or looped back) at the same time as the mic frame was captured, as well as the caller
    /// knows it; the canceller finds the rest of the delay. `out` lags `mic` by
    /// [`AecRate::latency_samples`]. **Real-time safe**: no allocation, no lock.
    pub fn process(
        &mut self,
        mic: &[f32],
        reference: &[f32],
        out: &mut [f32],
    ) -> Result<(), AecError> {
        let got = mic.len().min(reference.len()).min(out.len());
        if mic.len() != self.frame || reference.len() != self.frame || out.len() != self.frame {
            return Err(AecError::FrameLength {
                expected: self.frame,
                got,
            });
        }
        self.delay_reference(reference);
        for (d, s) in self.mic.iter_mut().zip(mic) {
            *d = s * TO_UNIT;
        }
        // Errors from sonora are about stream formats, which `new` fixed; none can occur
        // here, and a frame is not worth a panic: on one, the mic passes through unchanged.
        let render = self
            .apm
            .process_render_f32(&[&self.reference], &mut [&mut self.render_out]);
        // Required by the API with AEC on; the delay is handled by the reference ring instead.
        let _ = self.apm.set_stream_delay_ms(0);
        let capture = self
            .apm
            .process_capture_f32(&[&self.mic], &mut [&mut self.out]);
        if render.is_ok() && capture.is_ok() {
            for (d, s) in out.iter_mut().zip(&self.out) {
                *d = s * FROM_UNIT;
            }
        } else {
            out.copy_from_slice(mic);
        }
        Ok(())
    }

    /// The linear filter's output (before AEC3's suppressor) of the last frame passed to
    /// [`process`](Self::process), 16-bit scale: the 0-8 kHz band at 16 kHz ([`LINEAR_LEN`]
    /// samples) at either rate, with the same latency as `process`'s output at 16 kHz. Written
    /// into `out` (at most [`LINEAR_LEN`] samples); returns false (and leaves `out` alone) when
    /// the canceller was built without [`AecConfig::linear_output`]. Real-time safe.
    pub fn linear_output(&self, out: &mut [f32]) -> bool {
        let Some(linear) = self.apm.linear_aec_output() else {
            return false;
        };
        // sonora keeps its capture buffer in int16 scale: the crate's own convention.
        for (d, s) in out.iter_mut().zip(linear) {
            *d = *s;
        }
        true
    }

    /// Copies `reference` (16-bit scale) into `self.reference` ([-1, 1]), delayed by
    /// `self.ref_delay` samples through the ring.
    fn delay_reference(&mut self, reference: &[f32]) {
        let len = self.ring.len();
        for (i, (d, s)) in self.reference.iter_mut().zip(reference).enumerate() {
            let w = (self.ring_pos + i) % len;
            self.ring[w] = s * TO_UNIT;
            *d = self.ring[(w + len - self.ref_delay) % len];
        }
        self.ring_pos = (self.ring_pos + self.frame) % len;
    }

    /// Delays the reference by `ms` (clamped to [`MAX_REFERENCE_DELAY_MS`]) before the
    /// canceller: for an external delay estimate (device mode), less a few ms of margin, since
    /// AEC3 cannot cancel an echo that arrives before its reference. Replaces the delay set from
    /// [`AecConfig::delay_hint_ms`]. A change is an echo path change for AEC3 (it re-converges;
    /// change it only when the estimate moved by more than a few ms). Real-time safe.
    pub fn set_reference_delay_ms(&mut self, ms: u32) {
        let ms = ms.min(MAX_REFERENCE_DELAY_MS);
        self.ref_delay = (ms * self.cfg.rate.hz() / 1000) as usize;
    }

    /// Offers an external delay estimate (e.g. [`delay::DelayEstimator::delay_ms`], computed on
    /// another thread), in ms. It is applied, as a reference delay of the estimate less
    /// [`ESTIMATE_MARGIN_MS`], only when AEC3 has no delay estimate yet or its own disagrees by
    /// more than [`AGREE_MS`]: moving the reference under a converged AEC3 makes it re-converge
    /// (measured: ERLE 2-8 s fell from 33 to 17 dB when applied unconditionally at 1.4 s), and
    /// AEC3 follows slow drift by itself. Returns whether the reference delay changed.
    /// Real-time safe.
    pub fn offer_delay_estimate_ms(&mut self, delay_ms: f32) -> bool {
        if !delay_ms.is_finite() || delay_ms < 0.0 {
            return false;
        }
        if let Some(own) = self.delay_ms() {
            if (own as f32 - delay_ms).abs() <= AGREE_MS {
                return false;
            }
        }
        let target = (delay_ms - ESTIMATE_MARGIN_MS).max(0.0) as u32;
        if target.abs_diff(self.reference_delay_ms()) < 2 {
            return false;
        }
        self.set_reference_delay_ms(target);
        true
    }

    /// The external reference delay in effect, in ms.
    pub fn reference_delay_ms(&self) -> u32 {
        (self.ref_delay * 1000 / self.cfg.rate.hz() as usize) as u32
    }

    /// AEC3's estimate of the echo return loss enhancement of its linear filter, in dB: slow
    /// and conservative, a convergence indicator rather than a measurement (on the test set it
    /// read 12-18 dB where 33-47 dB were removed, and 0.2 dB on a case whose filter had not
    /// converged while the suppressor still removed 35 dB). Real-time safe.
    pub fn erle_db(&self) -> Option<f32> {
        self.apm
            .statistics()
            .echo_return_loss_enhancement
            .map(|v| v as f32)
    }

    /// AEC3's estimate of the echo return loss (speaker to microphone coupling), in dB.
    /// Real-time safe.
    pub fn erl_db(&self) -> Option<f32> {
        self.apm.statistics().echo_return_loss.map(|v| v as f32)
    }

    /// Estimated delay of the echo behind the reference passed to [`process`](Self::process),
    /// in ms: AEC3's estimate plus [`reference_delay_ms`](Self::reference_delay_ms).
    /// AEC3 reports the delay of its aligned render buffer, a few ms under the echo's
    /// direct-path delay (measured: 8 for 10, 56 for 60, 248 for 250). Real-time safe.
    pub fn delay_ms(&self) -> Option<u32> {
        self.apm
            .statistics()
            .delay_ms
            .map(|d| d.max(0) as u32 + self.reference_delay_ms())
    }
}

#[cfg(test)]
mod tests;
