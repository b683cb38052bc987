//! The per-period chain: convert -> echo cancellation (optional, [`crate::aec`]) -> denoise
//! (48 kHz) -> decimate to 16 kHz -> wake-word detector -> gate -> Opus encoder.
//!
//! **16 kHz capture** (issue 10): the detector's raw input is the captured (or echo-cancelled)
//! 16 kHz block itself, with no 16 -> 48 -> 16 kHz round trip, so it hears exactly what the
//! reference detector hears fed the same file. The suppressor (nnnoiseless) only works at
//! 48 kHz, so with denoise on the *stream* still goes 16 -> 48 kHz -> nnnoiseless -> 16 kHz
//! (and so does the detector's input with `wakeword_input = "denoised"`); with denoise off the
//! stream is the 16 kHz block too (no resampling at all).
//!
//! **Guarantees**: [`Pipeline::new`] builds and warms everything (nnnoiseless' lazy allocation
//! included); [`Pipeline::process_chunk`] is real-time safe: no allocation, lock, log or
//! blocking call.

use dsp::denoise::Denoiser;
use dsp::resample::{Decimator, Interpolator};
use dsp::wakeword::WakeWordDetector;
use dsp::{BLOCK_16K, FRAME_48K};
use engine_base::messages::{Command, EndReason, Outbound, PcmFrame};
use engine_base::now_ns;
use rtrb::Producer;

use crate::aec::AecStage;
use crate::gate::Gate;
use crate::options::{PipelineOptions, WakeWordInput};
use crate::telemetry::{Stage, Telemetry};

/// Time spent per stage in one period, in ns.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    pub ns: [u64; Stage::COUNT],
}

impl StageTimes {
    fn add(&mut self, stage: Stage, ns: u64) {
        self.ns[stage as usize] += ns;
    }
}

/// Errors building the pipeline (before the loop).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The capture rate is not one the pipeline handles.
    #[error("capture rate {0} Hz is not supported (16000 or 48000)")]
    Rate(u32),
    /// The encoder could not be set up.
    #[error(transparent)]
    Codec(#[from] dsp::codec::CodecError),
    /// The echo canceller could not be set up.
    #[error(transparent)]
    Aec(#[from] dsp::aec::AecError),
}

/// The whole chain for 10 ms chunks.
pub struct Pipeline {
    rate: u32,
    /// 16 kHz capture with denoise on: 16 -> 48 kHz for the suppressor.
    interp: Option<Interpolator>,
    denoiser: Denoiser,
    aec: Option<AecStage>,
    /// 48 kHz -> 16 kHz of the stream path (48 kHz capture, or 16 kHz with denoise on).
    decim: Option<Decimator>,
    /// Second decimator for the raw signal when the detector hears it before suppression at a
    /// 48 kHz capture (at 16 kHz the raw block is the captured one).
    decim_raw: Option<Decimator>,
    /// The detector hears the signal before suppression, from `raw16`.
    raw_tap: bool,
    detector: Option<Box<dyn WakeWordDetector>>,
    /// The detector's cutoff while the echo canceller's reference plays (`[aec]`).
    playback_cutoff: Option<f32>,
    gate: Gate,
    in48: [f32; FRAME_48K],
    den48: [f32; FRAME_48K],
    out16: [f32; BLOCK_16K],
    raw16: [f32; BLOCK_16K],
    in16: [f32; BLOCK_16K],
    /// 16 kHz blocks processed.
    blocks: u64,
    always: bool,
    level_acc: f64,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("rate", &self.rate)
            .field("blocks", &self.blocks)
            .field("gate", &self.gate)
            .finish()
    }
}

/// Mean square of a block (16-bit scale).
fn mean_square(x: &[f32]) -> f64 {
    x.iter().map(|s| f64::from(s * s)).sum::<f64>() / x.len().max(1) as f64
}

impl Pipeline {
    /// Builds the chain for a source at `rate` Hz. `detector` is optional (button-only when
    /// `None`); `always` opens one stream for the whole input (`simulate --gate always`).
    /// Not real-time safe.
    pub fn new(
        cfg: &PipelineOptions,
        rate: u32,
        detector: Option<Box<dyn WakeWordDetector>>,
        always: bool,
    ) -> Result<Self, PipelineError> {
        if rate != 16_000 && rate != 48_000 {
            return Err(PipelineError::Rate(rate));
        }
        let encoder = dsp::codec::OpusEncoder::new(cfg.opus_bitrate, cfg.opus_complexity)?;
        let gate = Gate::new(cfg.gate, encoder);
        let raw_tap = cfg.denoise && cfg.wakeword_input == WakeWordInput::Raw && detector.is_some();
        let aec = cfg
            .aec
            .as_ref()
            .map(|a| AecStage::new(a, rate))
            .transpose()?;
        let at16 = rate == 16_000;
        let playback_cutoff = cfg.aec.as_ref().and_then(|a| a.playback_cutoff);
        Ok(Self {
            rate,
            interp: (at16 && cfg.denoise).then(Interpolator::new),
            denoiser: Denoiser::new(cfg.denoise),
            aec,
            decim: (!at16 || cfg.denoise).then(Decimator::new),
            decim_raw: (raw_tap && !at16).then(Decimator::new),
            raw_tap,
            detector,
            playback_cutoff,
            gate,
            in48: [0.0; FRAME_48K],
            den48: [0.0; FRAME_48K],
            out16: [0.0; BLOCK_16K],
            raw16: [0.0; BLOCK_16K],
            in16: [0.0; BLOCK_16K],
            blocks: 0,
            always,
            level_acc: 0.0,
        })
    }

    /// Performs the lazy, per-thread allocations of the chain (nnnoiseless' FFT plans) on the
    /// calling thread: call it on the real-time thread before the loop. Not real-time safe.
    pub fn warm_up_on_this_thread(&mut self) {
        self.denoiser.warm();
        if let Some(aec) = self.aec.as_mut() {
            aec.warm();
        }
    }

    /// Waits until the threads beside the loop (the wake-word detector's, the echo
    /// canceller's delay worker) have finished with everything handed to them, so that what
    /// they return reaches the chain at the next chunk whatever their timing: a full-speed
    /// simulation calls it between periods, which makes a run repeat exactly. **Not real-time
    /// safe** (it waits); never called in real time.
    pub fn settle(&mut self) {
        if let Some(aec) = self.aec.as_ref() {
            aec.settle();
        }
        if let Some(d) = self.detector.as_mut() {
            d.settle();
        }
    }

    /// Gives the detector its playback cutoff while the canceller's reference plays, its own
    /// cutoff otherwise (every chunk: the detectors only store it). Real-time safe.
    fn follow_playback(&mut self) {
        let (Some(cutoff), Some(aec), Some(d)) = (
            self.playback_cutoff,
            self.aec.as_ref(),
            self.detector.as_mut(),
        ) else {
            return;
        };
        d.set_playback_cutoff(aec.reference_playing().then_some(cutoff));
    }

    /// Whether the echo canceller runs in this pipeline. Real-time safe.
    pub fn has_aec(&self) -> bool {
        self.aec.is_some()
    }

    /// Input samples per 10 ms chunk at the source rate.
    pub fn chunk_len(&self) -> usize {
        self.rate as usize / 100
    }

    /// Hands the PCM of every encoded frame to `tap` as well. Not real-time safe.
    pub fn set_pcm_tap(&mut self, tap: rtrb::Producer<PcmFrame>) {
        self.gate.set_pcm_tap(tap);
    }

    /// The gate (for inspection).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Applies a command. Real-time safe: turning wake-word detection back on calls the
    /// detector's `reset`, which the `WakeWordDetector` contract makes real-time safe (the
    /// full reset that reloads a model is only made off this thread).
    pub fn command(&mut self, cmd: Command, out: &mut Producer<Outbound>, tel: &Telemetry) {
        if let Command::SetWakeWordEnabled(true) = cmd {
            if let Some(d) = self.detector.as_mut() {
                d.reset();
            }
        }
        self.gate.command(cmd, out, tel);
    }

    /// Processes one 10 ms chunk (480 samples at 48 kHz, or 160 at 16 kHz) whose first sample
    /// was captured at `capture_ns`, without a reference (an echo canceller, if any, hears
    /// silence). Stage times are added to `times`. Real-time safe.
    pub fn process_chunk(
        &mut self,
        chunk: &[i16],
        capture_ns: u64,
        soft_deadline_ns: u64,
        out: &mut Producer<Outbound>,
        tel: &Telemetry,
        times: &mut StageTimes,
    ) {
        self.process_chunk_with_reference(
            chunk,
            None,
            capture_ns,
            soft_deadline_ns,
            out,
            tel,
            times,
        );
    }

    /// [`process_chunk`](Self::process_chunk) with the reference chunk (what the speaker
    /// played at the same time, same rate and length) for the echo canceller. Real-time safe.
    #[allow(clippy::too_many_arguments)] // the chunk's context; a struct adds nothing
    pub fn process_chunk_with_reference(
        &mut self,
        chunk: &[i16],
        reference: Option<&[i16]>,
        capture_ns: u64,
        soft_deadline_ns: u64,
        out: &mut Producer<Outbound>,
        tel: &Telemetry,
        times: &mut StageTimes,
    ) {
        const SILENCE: [i16; FRAME_48K] = [0; FRAME_48K];
        if self.always && self.blocks == 0 {
            self.gate.open_always(out, tel);
        }
        let t0 = now_ns();
        let reference = reference.unwrap_or(&SILENCE[..chunk.len().min(FRAME_48K)]);
        let mut aec_ns = 0;
        // The raw 16 kHz block (the detector's raw input) is in `raw16` and leads the stream
        // by 48 kHz resampling (interpolator + stream decimator) besides the suppressor.
        let mut raw16_resampled_lead = false;
        let mut t1;
        if self.rate == 16_000 {
            dsp::i16_to_f32(chunk, &mut self.in16);
            self.level_acc = mean_square(&self.in16);
            if let Some(aec) = self.aec.as_mut() {
                let a0 = now_ns();
                aec.process_16k(&mut self.in16, reference);
                aec.publish(&tel.aec);
                aec_ns = now_ns() - a0;
            }
            if self.raw_tap {
                let block = self.aec.as_ref().and_then(AecStage::detector_block);
                self.raw16.copy_from_slice(block.unwrap_or(&self.in16));
                raw16_resampled_lead = true;
            }
            t1 = now_ns();
            times.add(Stage::Convert, (t1 - t0).saturating_sub(aec_ns));
            times.add(Stage::Aec, aec_ns);
            if let (Some(interp), Some(decim)) = (self.interp.as_mut(), self.decim.as_mut()) {
                interp.process(&self.in16, &mut self.in48);
                let r0 = now_ns();
                self.denoiser.process(&self.in48, &mut self.den48);
                let r1 = now_ns();
                times.add(Stage::Denoise, r1 - r0);
                decim.process(&self.den48, &mut self.out16);
                let r2 = now_ns();
                times.add(Stage::Resample, (r2 - t1).saturating_sub(r1 - r0));
                t1 = r2;
            } else {
                self.out16.copy_from_slice(&self.in16);
            }
        } else {
            dsp::i16_to_f32(chunk, &mut self.in48);
            self.level_acc = mean_square(&self.in48);
            if let Some(aec) = self.aec.as_mut() {
                let a0 = now_ns();
                raw16_resampled_lead = aec.process_48k(&mut self.in48, reference, &mut self.raw16);
                if let Some(block) = aec.detector_block() {
                    self.raw16.copy_from_slice(block);
                }
                aec.publish(&tel.aec);
                aec_ns = now_ns() - a0;
            }
            t1 = now_ns();
            times.add(Stage::Convert, (t1 - t0).saturating_sub(aec_ns));
            times.add(Stage::Aec, aec_ns);
            self.denoiser.process(&self.in48, &mut self.den48);
            let t2 = now_ns();
            times.add(Stage::Denoise, t2 - t1);
            if let Some(decim) = self.decim.as_mut() {
                decim.process(&self.den48, &mut self.out16);
            }
            if let Some(d) = self.decim_raw.as_mut() {
                if !raw16_resampled_lead {
                    d.process(&self.in48, &mut self.raw16);
                }
            }
            t1 = now_ns();
            times.add(Stage::Resample, t1 - t2);
        }
        let t3 = t1;

        let first = self.blocks * BLOCK_16K as u64;
        self.follow_playback();
        let detection = match self.detector.as_mut() {
            Some(d) if self.gate.wake_enabled() => {
                let input = if self.raw_tap {
                    &self.raw16
                } else {
                    &self.out16
                };
                d.process(first, input)
            }
            _ => None,
        };
        let t4 = now_ns();
        times.add(Stage::Detect, t4 - t3);

        self.gate.push_block(&self.out16, capture_ns);
        if let Some(mut det) = detection {
            if self.raw_tap {
                // The detector heard the raw path, which leads the denoised stream by the
                // suppressor's delay (and, when the raw block was made at 16 kHz (a 16 kHz
                // capture, or the canceller at 16 kHz), by the interpolator's and the stream
                // decimator's): move the indices onto the stream's timeline.
                let mut lag48 = self.denoiser.delay_samples() as f64;
                if raw16_resampled_lead {
                    lag48 += 2.0 * dsp::resample::group_delay_48k();
                }
                let lag = (lag48 / dsp::resample::FACTOR as f64).round() as u64;
                det.start_sample += lag;
                det.end_sample += lag;
            }
            self.gate.on_detection(det, out, tel);
        }
        let encode = self.gate.encode_due(soft_deadline_ns, out, tel);
        let t6 = now_ns();
        times.add(Stage::Gate, (t6 - t4).saturating_sub(encode));
        times.add(Stage::Encode, encode);
        self.blocks += 1;
    }

    /// Mean square of the last chunk's input (16-bit scale). Real-time safe.
    pub fn last_energy(&self) -> f64 {
        self.level_acc
    }

    /// The loop ended: flush and close the open stream with `reason`. Real-time safe
    /// (unbounded work).
    pub fn finish(&mut self, reason: EndReason, out: &mut Producer<Outbound>, tel: &Telemetry) {
        self.gate.finish(reason, out, tel);
    }

    /// Algorithmic latency from capture to frame-ready, in µs: the 20 ms Opus frame, the
    /// suppressor's and the decimator's delays, and the echo canceller's (its block latency,
    /// and at 16 kHz on a 48 kHz capture its own decimator and interpolator); the period's own
    /// buffering is added by the caller.
    pub fn algorithmic_latency_us(&self) -> f64 {
        let denoise = self.denoiser.delay_samples() as f64 / 48.0;
        let resample = dsp::resample::group_delay_48k() / 48.0
            * match (self.interp.is_some(), self.decim.is_some()) {
                (true, _) => 2.0,
                (false, true) => 1.0,
                (false, false) => 0.0,
            };
        let aec = self.aec.as_ref().map_or(0.0, |a| {
            let resample = if a.at16() && self.rate == 48_000 {
                2.0 * dsp::resample::group_delay_48k() / 48.0
            } else {
                0.0
            };
            a.latency_samples_16k() / 16.0 + resample
        });
        20_000.0 + (denoise + resample + aec) * 1000.0
    }
}
