//! Echo cancellation in the real-time chain: the options ([`AecOptions`]), the stage the
//! pipeline runs ([`AecStage`]), its telemetry ([`AecTelemetry`]) and, for a reference from a
//! second device, the delay/drift worker.
//!
//! **Placement** (see ARCHITECTURE.md): on the raw microphone, before noise suppression. At
//! 16 kHz (the default) the 48 kHz mic and reference are decimated, cancelled, and the
//! cancelled 16 kHz block is both the wake-word detector's raw input (it replaces the raw tap's
//! decimator) and, interpolated back to 48 kHz, the suppressor's input; so the detector and
//! the encoder both get the echo-cancelled signal. At 48 kHz the canceller works in place on
//! the 48 kHz mic.
//!
//! **Guarantees**: [`AecStage::new`] builds and warms everything (the canceller runs silent
//! frames in its constructor; the worker thread and its ring are made there, at 16 kHz in both
//! reference modes). The per-chunk
//! methods are real-time safe: no allocation, lock or blocking call (the worker is fed through
//! an rtrb ring; a full ring drops the block and counts it).

use std::sync::atomic::{
    AtomicBool, AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::Arc;

use dsp::aec::delay::{DelayConfig, DelayEstimator};
use dsp::aec::{AecConfig, AecError, AecRate, EchoCanceller};
use dsp::resample::{Decimator, Interpolator};
use dsp::{BLOCK_16K, FRAME_48K};
use rtrb::{Consumer, Producer, RingBuffer};
use serde::{Deserialize, Serialize};

/// Where the reference (what the speaker plays) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceSource {
    /// A channel of the capture device (hardware loopback): sample-synchronous.
    Channel,
    /// A second capture device (e.g. snd-aloop): delay estimated continuously, drift measured.
    Device,
}

/// What the wake-word detector hears when the canceller runs (and the detector's input is the
/// raw, unsuppressed path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AecDetectorInput {
    /// AEC3's full output (linear filter + residual echo suppressor), as the stream gets it.
    Suppressed,
    /// AEC3's linear filter output, before its suppressor: keeps the talker in double talk
    /// (the suppressor attenuates the near end with the echo) at the price of more residual
    /// echo. Only with the canceller at 16 kHz (at 48 kHz the detector hears the suppressed
    /// output).
    Linear,
}

/// The echo canceller's options (the application's `[aec]` section).
/// The GCC-PHAT delay worker runs whenever the canceller runs at 16 kHz.
#[derive(Debug, Clone, PartialEq)]
pub struct AecOptions {
    /// Canceller rate: 16000 (default) or 48000 (channel mode at a 48 kHz capture only).
    pub rate: u32,
    /// Where the reference comes from.
    pub reference: ReferenceSource,
    /// Channel of the capture device carrying the reference (channel mode), 0-based.
    pub reference_channel: u32,
    /// ALSA PCM of the reference (device mode).
    pub reference_device: String,
    /// Expected echo delay behind the reference, ms (0: unknown).
    pub delay_hint_ms: u32,
    /// What the wake-word detector hears (see [`AecDetectorInput`]).
    pub detector_input: AecDetectorInput,
    /// Length of AEC3's adaptive filters, ms (see [`dsp::aec::AecConfig::filter_length_ms`]).
    pub filter_length_ms: u32,
    /// The wake-word cutoff while the reference plays, where lower than the detector's own
    /// (see [`dsp::wakeword::WakeWordDetector::set_playback_cutoff`]); `None`: unchanged.
    pub playback_cutoff: Option<f32>,
}

impl Default for AecOptions {
    fn default() -> Self {
        Self {
            rate: 16_000,
            reference: ReferenceSource::Channel,
            reference_channel: 1,
            reference_device: String::new(),
            delay_hint_ms: 0,
            detector_input: AecDetectorInput::DEFAULT,
            filter_length_ms: DEFAULT_FILTER_LENGTH_MS,
            playback_cutoff: Some(DEFAULT_PLAYBACK_CUTOFF),
        }
    }
}

impl AecDetectorInput {
    /// The default, chosen by measurement (tests/engine/aec_wakeword.rs,
    /// docs/echo-cancellation.md): 24 takes spoken over ten minutes of music and radio talk
    /// at +10 dB echo-to-speech, the canceller converged: the linear output found 20 (of 23
    /// found without music), the suppressed output 5 (its suppressor removes the talker with
    /// the music).
    pub const DEFAULT: Self = Self::Linear;
}

/// The default `[aec] playback_cutoff`: 0.8 against the reference model's 0.9, chosen by
/// measurement (tests/engine/aec_wakeword.rs): at +10 dB echo-to-speech 23 of 24 takes
/// found instead of 20, at +20 dB 19 instead of 17, still no false wake over the programme
/// of music and radio talk full of near misses.
pub const DEFAULT_PLAYBACK_CUTOFF: f32 = 0.8;

/// The default `[aec] filter_length_ms`: 150 ms, not AEC3's 52, chosen by measurement
/// (docs/echo-cancellation.md): rooms ring for 150-400 ms, and a 52 ms filter leaves the
/// tail to the suppressor, which then attenuates the talker too (linear ERLE on the generated
/// music 16 dB at most with 52 ms, 28-33 dB after 10-60 s with 150 ms; wake-word recall with
/// music summed over 0/+10/+20 dB: 7-9 of 36 against 2-6). Costs about 10 % more CPU.
pub const DEFAULT_FILTER_LENGTH_MS: u32 = 150;

const NONE: u32 = f32::NAN.to_bits();

fn store(a: &AtomicU32, v: Option<f32>) {
    a.store(v.map_or(NONE, f32::to_bits), Relaxed);
}

fn load(a: &AtomicU32) -> Option<f32> {
    let v = f32::from_bits(a.load(Relaxed));
    (!v.is_nan()).then_some(v)
}

/// The echo state, written by the real-time thread (and the delay worker), read by reports.
#[derive(Debug)]
pub struct AecTelemetry {
    /// Set when a canceller runs.
    pub enabled: AtomicBool,
    erle_db: AtomicU32,
    erl_db: AtomicU32,
    delay_ms: AtomicU32,
    removal_db: AtomicU32,
    reference_dbfs: AtomicU32,
    external_delay_ms: AtomicU32,
    drift_ppm: AtomicU32,
    reference_delay_ms: AtomicU32,
    playing: AtomicBool,
    /// Blocks the delay worker's ring had no room for.
    pub worker_dropped: AtomicU64,
}

impl Default for AecTelemetry {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::new(false),
            erle_db: AtomicU32::new(NONE),
            erl_db: AtomicU32::new(NONE),
            delay_ms: AtomicU32::new(NONE),
            removal_db: AtomicU32::new(NONE),
            reference_dbfs: AtomicU32::new(NONE),
            external_delay_ms: AtomicU32::new(NONE),
            drift_ppm: AtomicU32::new(NONE),
            reference_delay_ms: AtomicU32::new(NONE),
            playing: AtomicBool::new(false),
            worker_dropped: AtomicU64::new(0),
        }
    }
}

/// Reference level above which the speaker counts as playing, dBFS.
pub const PLAYING_DBFS: f32 = -60.0;
/// The speaker counts as playing until its reference has been under [`PLAYING_DBFS`] for this
/// many 10 ms chunks (1 s: pauses between words and notes are not the end of the music).
const PLAYING_HOLD_CHUNKS: u32 = 100;

/// The echo state in a report (report.json `timing.aec`, the status).
#[derive(Debug, Clone, Serialize)]
pub struct AecSnapshot {
    /// AEC3's ERLE estimate of its linear filter, dB: a convergence indicator (conservative).
    pub erle_estimate_db: Option<f32>,
    /// AEC3's echo return loss estimate (speaker to mic coupling), dB.
    pub erl_db: Option<f32>,
    /// Measured echo removal: mic energy over cancelled energy while the reference plays
    /// (about 1 s smoothing; includes near-end speech, so it reads low during double talk), dB.
    pub echo_removal_db: Option<f32>,
    /// Estimated echo delay behind the reference, ms.
    pub delay_ms: Option<f32>,
    /// Reference delay applied before the canceller (hint or external estimate), ms.
    pub reference_delay_ms: Option<f32>,
    /// The GCC-PHAT worker's delay estimate (16 kHz canceller), ms.
    pub external_delay_ms: Option<f32>,
    /// Clock drift between the reference and the mic, measured by the worker (about 0 with a
    /// loopback channel), ppm.
    pub drift_ppm: Option<f32>,
    /// Reference level over the last second, dBFS.
    pub reference_dbfs: Option<f32>,
    /// Whether the reference carries sound: a 10 ms chunk above [`PLAYING_DBFS`] within the
    /// last second (music playing; the wake-word detector then decides with `[aec]
    /// playback_cutoff`).
    pub reference_playing: bool,
    /// Device mode: blocks the delay worker could not take.
    pub worker_dropped: u64,
}

impl AecTelemetry {
    /// A copy for reports; `None` when no canceller runs. Not real-time safe.
    pub fn snapshot(&self) -> Option<AecSnapshot> {
        if !self.enabled.load(Relaxed) {
            return None;
        }
        let reference_dbfs = load(&self.reference_dbfs);
        Some(AecSnapshot {
            erle_estimate_db: load(&self.erle_db),
            erl_db: load(&self.erl_db),
            echo_removal_db: load(&self.removal_db),
            delay_ms: load(&self.delay_ms),
            reference_delay_ms: load(&self.reference_delay_ms),
            external_delay_ms: load(&self.external_delay_ms),
            drift_ppm: load(&self.drift_ppm),
            reference_dbfs,
            reference_playing: self.playing.load(Relaxed),
            worker_dropped: self.worker_dropped.load(Relaxed),
        })
    }
}

/// What the delay worker publishes.
#[derive(Debug, Default)]
struct Shared {
    /// Generation of the latest confident estimate (0: none yet).
    generation: AtomicU64,
    delay_ms: AtomicU32,
    drift_ppm: AtomicU32,
    /// Samples the worker has taken and finished with (its estimates published).
    consumed: AtomicU64,
}

/// Capacity of the worker's ring, in (mic, reference) sample pairs at 16 kHz: 4 s.
const WORKER_RING: usize = 4 * 16_000;

/// The canceller and its resamplers, built before the loop. See the module doc.
pub struct AecStage {
    canceller: EchoCanceller,
    at16: bool,
    decim_mic: Decimator,
    decim_ref: Decimator,
    interp: Interpolator,
    mic16: [f32; BLOCK_16K],
    ref16: [f32; BLOCK_16K],
    out16: [f32; BLOCK_16K],
    /// The linear filter's output of the last block, when the detector hears it.
    lin16: Option<[f32; BLOCK_16K]>,
    mic48: [f32; FRAME_48K],
    ref48: [f32; FRAME_48K],
    out48: [f32; FRAME_48K],
    in_acc: f64,
    out_acc: f64,
    ref_acc: f64,
    worker: Option<Producer<(f32, f32)>>,
    /// The worker's thread, woken by [`AecStage::settle`].
    worker_thread: Option<std::thread::JoinHandle<()>>,
    /// Samples handed to the worker's ring.
    sent: u64,
    shared: Arc<Shared>,
    seen_generation: u64,
    /// 10 ms chunks since the reference was last above [`PLAYING_DBFS`].
    silent_chunks: u32,
    /// Blocks not handed to the worker since the last `publish`.
    dropped: u64,
    chunks: u64,
}

impl std::fmt::Debug for AecStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AecStage")
            .field("canceller", &self.canceller)
            .field("at16", &self.at16)
            .finish_non_exhaustive()
    }
}

/// Exponential smoothing of the energies per 10 ms chunk (about 1 s).
const SMOOTH: f64 = 0.99;

impl AecStage {
    /// Builds the canceller for a capture at `capture_rate` Hz (the application validated the
    /// combination; an unusable one is an error here too). In device mode it also starts the
    /// delay worker thread. Not real-time safe.
    pub fn new(opts: &AecOptions, capture_rate: u32) -> Result<Self, AecError> {
        let at16 = opts.rate == 16_000;
        let rate = match (opts.rate, capture_rate) {
            (16_000, _) => AecRate::Hz16000,
            (48_000, 48_000) if opts.reference == ReferenceSource::Channel => AecRate::Hz48000,
            _ => {
                return Err(AecError::Config(
                    "aec rate 48000 needs a 48 kHz capture and a channel reference",
                ))
            }
        };
        let canceller = EchoCanceller::new(AecConfig {
            rate,
            delay_hint_ms: opts.delay_hint_ms,
            linear_output: opts.detector_input == AecDetectorInput::Linear && at16,
            filter_length_ms: opts.filter_length_ms,
        })?;
        let shared = Arc::new(Shared::default());
        // The delay worker runs in both modes at 16 kHz: in device mode the delay is unknown
        // and drifts; in channel mode AEC3's own estimator can still lock on a wrong lag with
        // periodic music (the 120 ms drum-loop case: ERLE 15 dB over 2-7 s without the
        // worker's estimate, 33+ dB with it).
        let (worker, worker_thread) = if at16 {
            let (tx, rx) = RingBuffer::new(WORKER_RING);
            let estimator = DelayEstimator::new(DelayConfig::default())?;
            let sh = shared.clone();
            let handle = std::thread::Builder::new()
                .name("ama-aec-delay".into())
                .spawn(move || delay_worker(rx, estimator, &sh))
                .map_err(|_| AecError::Config("cannot spawn the delay worker thread"))?;
            (Some(tx), Some(handle))
        } else {
            (None, None)
        };
        Ok(Self {
            canceller,
            at16,
            decim_mic: Decimator::new(),
            decim_ref: Decimator::new(),
            interp: Interpolator::new(),
            mic16: [0.0; BLOCK_16K],
            ref16: [0.0; BLOCK_16K],
            out16: [0.0; BLOCK_16K],
            lin16: (opts.detector_input == AecDetectorInput::Linear && at16)
                .then_some([0.0; BLOCK_16K]),
            mic48: [0.0; FRAME_48K],
            ref48: [0.0; FRAME_48K],
            out48: [0.0; FRAME_48K],
            in_acc: 0.0,
            out_acc: 0.0,
            ref_acc: 0.0,
            worker,
            worker_thread,
            sent: 0,
            shared,
            seen_generation: 0,
            silent_chunks: PLAYING_HOLD_CHUNKS,
            dropped: 0,
            chunks: 0,
        })
    }

    /// Runs a few silent frames on the calling thread (the real-time thread, before the loop)
    /// so that per-thread lazy allocations happen there. Not real-time safe.
    pub fn warm(&mut self) {
        let frame = if self.at16 { BLOCK_16K } else { FRAME_48K };
        let silence = [0.0f32; FRAME_48K];
        for _ in 0..4 {
            let _ = self.canceller.process(
                &silence[..frame],
                &silence[..frame],
                &mut self.out48[..frame],
            );
        }
        let _ = (
            self.canceller.erle_db(),
            self.canceller.erl_db(),
            self.canceller.delay_ms(),
        );
    }

    /// The wake-word detector's block when it hears the linear filter's output (16 kHz, same
    /// timing as the cancelled block), else `None`. Real-time safe.
    pub fn detector_block(&self) -> Option<&[f32; BLOCK_16K]> {
        self.lin16.as_ref()
    }

    /// Whether the canceller runs at 16 kHz.
    pub fn at16(&self) -> bool {
        self.at16
    }

    /// Samples (at 16 kHz) by which the cancelled 16 kHz block lags the capture, at a 48 kHz
    /// capture: the decimator's group delay and the canceller's block latency.
    pub fn latency_samples_16k(&self) -> f64 {
        if self.at16 {
            AecRate::Hz16000.latency_samples() as f64
        } else {
            AecRate::Hz48000.latency_samples() as f64 / 3.0
        }
    }

    /// A 16 kHz capture: cancels `mic16` in place with the 16 kHz `reference`. Real-time safe.
    pub fn process_16k(&mut self, mic16: &mut [f32; BLOCK_16K], reference: &[i16]) {
        let n = reference.len().min(BLOCK_16K);
        dsp::i16_to_f32(&reference[..n], &mut self.ref16[..n]);
        self.ref16[n..].fill(0.0);
        self.mic16.copy_from_slice(mic16);
        self.cancel16();
        mic16.copy_from_slice(&self.out16);
    }

    /// A 48 kHz capture: cancels `in48` in place with the 48 kHz `reference`; at 16 kHz the
    /// cancelled 16 kHz block is written to `cancelled16` as well (the detector's raw input)
    /// and returns true. Real-time safe.
    pub fn process_48k(
        &mut self,
        in48: &mut [f32; FRAME_48K],
        reference: &[i16],
        cancelled16: &mut [f32; BLOCK_16K],
    ) -> bool {
        let n = reference.len().min(FRAME_48K);
        dsp::i16_to_f32(&reference[..n], &mut self.ref48[..n]);
        self.ref48[n..].fill(0.0);
        if self.at16 {
            self.decim_mic.process(in48, &mut self.mic16);
            self.decim_ref.process(&self.ref48, &mut self.ref16);
            self.cancel16();
            cancelled16.copy_from_slice(&self.out16);
            self.interp.process(&self.out16, in48);
            true
        } else {
            self.mic48.copy_from_slice(in48);
            let _ = self
                .canceller
                .process(&self.mic48, &self.ref48, &mut self.out48);
            let (i, o, r) = (
                energy(&self.mic48),
                energy(&self.out48),
                energy(&self.ref48),
            );
            self.account(i, o, r);
            in48.copy_from_slice(&self.out48);
            false
        }
    }

    fn cancel16(&mut self) {
        self.take_estimate();
        let _ = self
            .canceller
            .process(&self.mic16, &self.ref16, &mut self.out16);
        if let Some(lin) = self.lin16.as_mut() {
            self.canceller.linear_output(lin);
        }
        let (i, o, r) = (
            energy(&self.mic16),
            energy(&self.out16),
            energy(&self.ref16),
        );
        self.account(i, o, r);
        if let Some(tx) = self.worker.as_mut() {
            if let Ok(chunk) = tx.write_chunk_uninit(BLOCK_16K) {
                chunk.fill_from_iter(self.mic16.iter().copied().zip(self.ref16.iter().copied()));
                self.sent += BLOCK_16K as u64;
            } else {
                // Counted in `publish` (no telemetry here).
                self.dropped += 1;
            }
        }
    }

    /// Whether the reference carries sound: a chunk above [`PLAYING_DBFS`] within the last
    /// second (music playing). Real-time safe.
    pub fn reference_playing(&self) -> bool {
        self.silent_chunks < PLAYING_HOLD_CHUNKS
    }

    /// Wakes the delay worker and waits until it has finished with every block handed to it,
    /// so that its estimate reaches the canceller at the next block whatever the threads'
    /// timing: a full-speed simulation calls it between periods to make a run repeat exactly.
    /// **Not real-time safe** (it waits); never called in real time.
    pub fn settle(&self) {
        if let Some(worker) = self.worker_thread.as_ref() {
            crate::worker::wait_for_worker(worker, || {
                self.shared.consumed.load(Acquire) >= self.sent
            });
        }
    }

    fn take_estimate(&mut self) {
        let generation = self.shared.generation.load(Relaxed);
        if generation != 0 && generation != self.seen_generation {
            self.seen_generation = generation;
            let d = f32::from_bits(self.shared.delay_ms.load(Relaxed));
            self.canceller.offer_delay_estimate_ms(d);
        }
    }

    fn account(&mut self, mic: f64, out: f64, reference: f64) {
        self.ref_acc = self.ref_acc * SMOOTH + reference;
        if 10.0 * (reference + 1e-9).log10() > f64::from(PLAYING_DBFS) + 90.3 {
            // reference mean square above PLAYING_DBFS (16-bit full scale is 90.3 dB)
            self.in_acc = self.in_acc * SMOOTH + mic;
            self.out_acc = self.out_acc * SMOOTH + out;
            self.silent_chunks = 0;
        } else {
            self.silent_chunks = self.silent_chunks.saturating_add(1);
        }
        self.chunks += 1;
    }

    /// Copies the echo state into the telemetry (every 10th chunk). Real-time safe.
    pub fn publish(&mut self, tel: &AecTelemetry) {
        if self.dropped > 0 {
            tel.worker_dropped.fetch_add(self.dropped, Relaxed);
            self.dropped = 0;
        }
        if self.chunks % 10 != 1 {
            return;
        }
        tel.enabled.store(true, Relaxed);
        tel.playing.store(self.reference_playing(), Relaxed);
        store(&tel.erle_db, self.canceller.erle_db());
        store(&tel.erl_db, self.canceller.erl_db());
        store(&tel.delay_ms, self.canceller.delay_ms().map(|d| d as f32));
        store(
            &tel.reference_delay_ms,
            Some(self.canceller.reference_delay_ms() as f32),
        );
        let removal = (self.in_acc > 0.0 && self.out_acc > 0.0)
            .then(|| (10.0 * (self.in_acc / self.out_acc).log10()) as f32);
        store(&tel.removal_db, removal);
        let ref_ms = self.ref_acc * (1.0 - SMOOTH);
        store(
            &tel.reference_dbfs,
            Some((10.0 * (ref_ms / (32768.0 * 32768.0) + 1e-12).log10()) as f32),
        );
        if self.worker.is_some() {
            let d = f32::from_bits(self.shared.delay_ms.load(Relaxed));
            store(
                &tel.external_delay_ms,
                (self.shared.generation.load(Relaxed) != 0).then_some(d),
            );
            let drift = f32::from_bits(self.shared.drift_ppm.load(Relaxed));
            store(&tel.drift_ppm, (!drift.is_nan()).then_some(drift));
        }
    }
}

/// Mean square of a block (16-bit scale).
fn energy(x: &[f32]) -> f64 {
    x.iter().map(|s| f64::from(s * s)).sum::<f64>() / x.len().max(1) as f64
}

/// The device-mode worker: GCC-PHAT on the 16 kHz (mic, reference) pairs, publishing each
/// confident delay and the drift. Ends when the real-time side drops the ring's producer.
fn delay_worker(mut rx: Consumer<(f32, f32)>, mut est: DelayEstimator, shared: &Shared) {
    shared.drift_ppm.store(NONE, Relaxed);
    let mut mic = vec![0.0f32; BLOCK_16K * 10];
    let mut reference = vec![0.0f32; BLOCK_16K * 10];
    loop {
        let n = rx.slots().min(mic.len());
        if n == 0 {
            if rx.is_abandoned() {
                return;
            }
            std::thread::park_timeout(std::time::Duration::from_millis(20));
            continue;
        }
        if let Ok(chunk) = rx.read_chunk(n) {
            for (i, (m, r)) in chunk.into_iter().enumerate() {
                mic[i] = m;
                reference[i] = r;
            }
        }
        if est.push(&mic[..n], &reference[..n]).is_some() {
            if let Some(d) = est.delay_ms() {
                shared.delay_ms.store(d.to_bits(), Relaxed);
                shared.generation.fetch_add(1, Relaxed);
            }
            if let Some(p) = est.drift_ppm() {
                shared.drift_ppm.store(p.to_bits(), Relaxed);
            }
        }
        shared.consumed.fetch_add(n as u64, Release);
    }
}
