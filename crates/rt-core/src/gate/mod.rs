//! The speech gate: decides when 16 kHz audio becomes a stream, and encodes it.
//!
//! **Guarantees**: all state (history ring, timestamps, encoder, buffers) is allocated in
//! [`Gate::new`]; every other method is real-time safe: no allocation, lock, log or blocking.
//!
//! The gate keeps a history ring of the last `history_ms` of 16 kHz audio. A stream starts:
//! - on a wake word, `preroll_ms` before the detector's estimate of the wake word's start, so
//!   the receiver can verify it (start/end indices count samples from the stream's first
//!   sample: 8000 with the default pre-roll);
//! - on a tap or a continuation (multi-turn), at the current sample;
//! - on a press, at the current sample, ending at the release.
//!
//! The backlog (pre-roll + wake word + detector lag) is encoded a few frames per period on top
//! of the live frame, and only while the period is within its soft deadline, until the stream
//! has caught up with live audio: no period breaks its budget for it.

use dsp::codec::OpusEncoder;
use dsp::vad::{EndOfSpeech, VadEvent};
use dsp::wakeword::Detection;
use dsp::{BLOCK_16K, OPUS_FRAME_16K};
use engine_base::messages::{
    Command, EndReason, Initiator, OpusFrame, Outbound, PcmFrame, WakeWordIndices, MAX_PACKET,
};
use engine_base::{Clock, MonotonicClock};
use rtrb::Producer;

use crate::telemetry::Telemetry;

const NS_PER_SAMPLE: u64 = 62_500; // 1 / 16 kHz

/// The gate's tuning, in 16 kHz samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateParams {
    /// Audio kept before the wake word's start (8000: 500 ms).
    pub preroll: u64,
    /// Length of the history ring (rounded up to whole 10 ms blocks).
    pub history: usize,
    /// Longest utterance (wake word, tap, press-and-hold, continuation); the stream ends
    /// there with [`EndReason::MaxDuration`]. The `--gate always` stream has no cap.
    pub max_len: u64,
    /// Let the end-of-speech detector end tap, wake-word and continuation streams.
    pub local_endpoint: bool,
    /// Backlog frames encoded per period on top of the live frame.
    pub catchup_frames: u32,
    /// The end-of-speech detector's tuning.
    pub vad: dsp::vad::VadConfig,
}

impl GateParams {
    /// From durations in ms (16 samples per ms).
    pub fn from_ms(preroll_ms: u32, history_ms: u32, max_utterance_ms: u32) -> Self {
        Self {
            preroll: u64::from(preroll_ms) * 16,
            history: history_ms as usize * 16,
            max_len: u64::from(max_utterance_ms) * 16,
            ..Self::default()
        }
    }
}

impl Default for GateParams {
    /// 500 ms pre-roll, 3 s history, 10 s utterances, no local endpoint, 2 catch-up frames.
    fn default() -> Self {
        Self {
            preroll: 8_000,
            history: 48_000,
            max_len: 160_000,
            local_endpoint: false,
            catchup_frames: 2,
            vad: dsp::vad::VadConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Stream {
    id: u32,
    initiator: Initiator,
    /// Absolute index of the stream's first sample.
    start: u64,
    /// Next sample to encode.
    cursor: u64,
    /// Frames encoded so far (the next sequence number).
    seq: u32,
    /// Where and why the stream ends, once known.
    end: Option<(u64, EndReason)>,
}

/// The gate and the encoder. `C` is the clock of the soft deadline and of the latency
/// measurement (tests inject one they move by hand).
pub struct Gate<C: Clock = MonotonicClock> {
    p: GateParams,
    history: Box<[f32]>,
    /// Capture time of each 10 ms block in the history.
    block_ns: Box<[u64]>,
    written: u64,
    stream: Option<Stream>,
    /// A tap, press or continuation that came while the stream was ending: it opens as soon
    /// as that stream is closed.
    queued: Option<Initiator>,
    next_id: u32,
    wake_enabled: bool,
    encoder: OpusEncoder,
    vad: EndOfSpeech,
    frame: [f32; OPUS_FRAME_16K],
    packet: [u8; MAX_PACKET],
    pcm_tap: Option<Producer<PcmFrame>>,
    clock: C,
}

impl<C: Clock> std::fmt::Debug for Gate<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("written", &self.written)
            .field("stream", &self.stream)
            .finish()
    }
}

impl Gate {
    /// Allocates the history ring and takes the encoder; the clock is CLOCK_MONOTONIC.
    /// Not real-time safe.
    pub fn new(p: GateParams, encoder: OpusEncoder) -> Self {
        Self::with_clock(p, encoder, MonotonicClock)
    }
}

impl<C: Clock> Gate<C> {
    /// [`Gate::new`] with another clock. Not real-time safe.
    pub fn with_clock(p: GateParams, encoder: OpusEncoder, clock: C) -> Self {
        let history = p.history.div_ceil(BLOCK_16K) * BLOCK_16K;
        Self {
            p: GateParams { history, ..p },
            history: vec![0.0; history].into_boxed_slice(),
            block_ns: vec![0; history / BLOCK_16K].into_boxed_slice(),
            written: 0,
            stream: None,
            queued: None,
            next_id: 1,
            wake_enabled: true,
            encoder,
            vad: EndOfSpeech::new(p.vad),
            frame: [0.0; OPUS_FRAME_16K],
            packet: [0; MAX_PACKET],
            pcm_tap: None,
            clock,
        }
    }

    /// Also hands the PCM of every encoded frame to `tap`. Not real-time safe.
    pub fn set_pcm_tap(&mut self, tap: Producer<PcmFrame>) {
        self.pcm_tap = Some(tap);
    }

    /// Absolute 16 kHz samples written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Whether a stream is open.
    pub fn streaming(&self) -> bool {
        self.stream.is_some()
    }

    /// Whether wake-word detections may start streams.
    pub fn wake_enabled(&self) -> bool {
        self.wake_enabled
    }

    /// Appends one 10 ms block captured at `capture_ns`. Real-time safe.
    pub fn push_block(&mut self, block: &[f32; BLOCK_16K], capture_ns: u64) {
        let cap = self.history.len();
        let at = (self.written % cap as u64) as usize;
        // `cap` is a multiple of the block, so a block never wraps.
        if let Some(dst) = self.history.get_mut(at..at + BLOCK_16K) {
            dst.copy_from_slice(block);
        }
        let slot = (self.written / BLOCK_16K as u64) as usize % self.block_ns.len();
        if let Some(t) = self.block_ns.get_mut(slot) {
            *t = capture_ns;
        }
        self.written += BLOCK_16K as u64;
        if let Some(s) = &self.stream {
            if self.p.local_endpoint
                && s.end.is_none()
                && matches!(
                    s.initiator,
                    Initiator::Tap | Initiator::Wakeword | Initiator::Continuation
                )
                && self.vad.process(block) == VadEvent::EndOfSpeech
            {
                self.end_at(self.written, EndReason::LocalEndOfSpeech);
            }
        }
        if let Some(s) = self.stream {
            // The cap is an utterance's: `--gate always` streams the whole input.
            if s.end.is_none()
                && s.initiator != Initiator::Always
                && self.written >= s.start + self.p.max_len
            {
                self.end_at(s.start + self.p.max_len, EndReason::MaxDuration);
            }
        }
    }

    /// Oldest absolute sample still in the history (with one block of margin for the write).
    fn oldest(&self) -> u64 {
        self.written
            .saturating_sub((self.history.len() - BLOCK_16K) as u64)
    }

    fn capture_ns_of(&self, sample: u64) -> u64 {
        let slot = (sample / BLOCK_16K as u64) as usize % self.block_ns.len();
        self.block_ns.get(slot).copied().unwrap_or(0) + (sample % BLOCK_16K as u64) * NS_PER_SAMPLE
    }

    /// A wake word was detected. Starts a stream unless one is open or detection is off.
    /// Real-time safe.
    pub fn on_detection(&mut self, det: Detection, out: &mut Producer<Outbound>, tel: &Telemetry) {
        Telemetry::bump(&tel.detections);
        if self.stream.is_some() || !self.wake_enabled {
            return;
        }
        let wake_start = det.start_sample.min(det.end_sample).min(self.written);
        let start = wake_start.saturating_sub(self.p.preroll).max(self.oldest());
        let wake = WakeWordIndices {
            start_index_in_samples: (wake_start.saturating_sub(start)) as u32,
            end_index_in_samples: (det.end_sample.min(self.written).saturating_sub(start)) as u32,
        };
        self.open(Initiator::Wakeword, start, Some(wake), det.score, out, tel);
    }

    /// Applies a command. Real-time safe.
    pub fn command(&mut self, cmd: Command, out: &mut Producer<Outbound>, tel: &Telemetry) {
        match cmd {
            Command::Tap => self.open_now(Initiator::Tap, out, tel),
            Command::Press => self.open_now(Initiator::PressAndHold, out, tel),
            Command::Continue => self.open_now(Initiator::Continuation, out, tel),
            Command::Release => {
                if matches!(self.stream, Some(s) if s.initiator == Initiator::PressAndHold && s.end.is_none())
                {
                    self.end_at(self.written, EndReason::Release);
                }
            }
            Command::End { stream, reason } => {
                if stream == 0 {
                    // "Whatever is open": a queued open too (a continuation given up on).
                    self.queued = None;
                }
                if let Some(s) = self.stream {
                    if stream == 0 || stream == s.id {
                        // Receiver-driven ends drop whatever is not yet encoded.
                        self.end_at(s.cursor, reason);
                    }
                }
            }
            Command::SetWakeWordEnabled(on) => self.wake_enabled = on,
            Command::Shutdown => {}
        }
    }

    fn open_now(&mut self, initiator: Initiator, out: &mut Producer<Outbound>, tel: &Telemetry) {
        match self.stream {
            None => self.open(initiator, self.written, None, 0.0, out, tel),
            // The stream is ending (its End, or the end of speech, came before the loop closed
            // it): this one opens when it is closed, instead of being lost. The lab saw an
            // End and PROVIDE_SPEECH's Continue reach a late real-time thread in one batch.
            Some(s) if s.end.is_some() => self.queued = Some(initiator),
            Some(_) => {}
        }
    }

    /// Starts the `--gate always` stream at the current sample. Real-time safe.
    pub fn open_always(&mut self, out: &mut Producer<Outbound>, tel: &Telemetry) {
        self.open_now(Initiator::Always, out, tel);
    }

    fn open(
        &mut self,
        initiator: Initiator,
        start: u64,
        wake: Option<WakeWordIndices>,
        score: f32,
        out: &mut Producer<Outbound>,
        tel: &Telemetry,
    ) {
        let id = self.next_id;
        let msg = Outbound::StreamStarted {
            stream: id,
            initiator,
            wake,
            first_sample: start,
            score,
        };
        if out.push(msg).is_err() {
            // Without its start message the stream would be unusable: do not open it.
            Telemetry::bump(&tel.dropped);
            return;
        }
        tel.stream_started(initiator);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let _ = self.encoder.reset();
        self.vad.reset();
        self.stream = Some(Stream {
            id,
            initiator,
            start,
            cursor: start,
            seq: 0,
            end: None,
        });
    }

    fn end_at(&mut self, sample: u64, reason: EndReason) {
        if let Some(s) = self.stream.as_mut() {
            if s.end.is_none() {
                s.end = Some((sample.max(s.cursor), reason));
            }
        }
    }

    /// Encodes what is due: the live frame and, while before `soft_deadline_ns`, up to
    /// `catchup_frames` backlog frames; closes the stream when its end is reached.
    /// Returns the time spent encoding. Real-time safe.
    pub fn encode_due(
        &mut self,
        soft_deadline_ns: u64,
        out: &mut Producer<Outbound>,
        tel: &Telemetry,
    ) -> u64 {
        let Some(mut s) = self.stream else {
            return 0;
        };
        let limit = s.end.map_or(self.written, |(e, _)| e.min(self.written));
        let mut encoded = 0u32;
        let mut spent = 0u64;
        let max_frames = 1 + self.p.catchup_frames;
        while s.cursor + OPUS_FRAME_16K as u64 <= limit && encoded < max_frames {
            if encoded > 0 && self.clock.now_ns() >= soft_deadline_ns {
                break;
            }
            let t0 = self.clock.now_ns();
            self.encode_one(&mut s, out, tel);
            spent += self.clock.now_ns().saturating_sub(t0);
            encoded += 1;
        }
        self.stream = Some(s);
        tel.max_frames_per_block
            .fetch_max(u64::from(encoded), std::sync::atomic::Ordering::Relaxed);
        if encoded > 1 {
            tel.catchup_frames
                .fetch_add(u64::from(encoded - 1), std::sync::atomic::Ordering::Relaxed);
        }
        if let Some((end, reason)) = s.end {
            if s.cursor + OPUS_FRAME_16K as u64 > end.min(self.written) && end <= self.written {
                self.close(reason, out, tel);
                if let Some(initiator) = self.queued.take() {
                    self.open(initiator, self.written, None, 0.0, out, tel);
                }
            }
        }
        spent
    }

    /// The loop ended (`reason`: the source ended, or the engine was stopped): encodes every
    /// full frame left, then closes the stream with `reason` (or the reason it was already
    /// ending for). Real-time safe, but not bounded by the budget.
    pub fn finish(&mut self, reason: EndReason, out: &mut Producer<Outbound>, tel: &Telemetry) {
        if let Some(mut s) = self.stream {
            let limit = s.end.map_or(self.written, |(e, _)| e.min(self.written));
            while s.cursor + OPUS_FRAME_16K as u64 <= limit {
                self.encode_one(&mut s, out, tel);
            }
            self.stream = Some(s);
            let reason = s.end.map_or(reason, |(_, r)| r);
            self.close(reason, out, tel);
        }
        self.queued = None;
    }

    fn encode_one(&mut self, s: &mut Stream, out: &mut Producer<Outbound>, tel: &Telemetry) {
        let cap = self.history.len() as u64;
        if s.cursor < self.oldest() {
            // Fell out of the history (cannot happen with a validated config): skip ahead.
            s.cursor = self.oldest();
        }
        for (i, dst) in self.frame.iter_mut().enumerate() {
            let idx = ((s.cursor + i as u64) % cap) as usize;
            *dst = self.history.get(idx).copied().unwrap_or(0.0);
        }
        let seq = s.seq;
        let first = s.cursor;
        if let Some(tap) = self.pcm_tap.as_mut() {
            let mut pcm = PcmFrame {
                stream: s.id,
                seq,
                samples: [0; OPUS_FRAME_16K],
            };
            dsp::f32_to_i16(&self.frame, &mut pcm.samples);
            if tap.push(pcm).is_err() {
                Telemetry::bump(&tel.dropped);
            }
        }
        s.cursor += OPUS_FRAME_16K as u64;
        s.seq = s.seq.wrapping_add(1);
        match self.encoder.encode(&self.frame, &mut self.packet) {
            Ok(len) => {
                let capture_ns = self.capture_ns_of(first);
                let frame = OpusFrame {
                    stream: s.id,
                    seq,
                    capture_ns,
                    first_sample: first,
                    len: len as u16,
                    data: self.packet,
                };
                if out.push(Outbound::Frame(frame)).is_err() {
                    Telemetry::bump(&tel.dropped);
                } else {
                    Telemetry::bump(&tel.frames);
                    // Live frames: the frame ends within the last block written.
                    let behind = self.written.saturating_sub(s.cursor);
                    if behind < BLOCK_16K as u64 {
                        tel.latency
                            .record(self.clock.now_ns().saturating_sub(capture_ns));
                    } else if behind >= OPUS_FRAME_16K as u64 {
                        Telemetry::bump(&tel.backlog_frames);
                    }
                }
            }
            Err(_) => Telemetry::bump(&tel.encode_errors),
        }
    }

    fn close(&mut self, reason: EndReason, out: &mut Producer<Outbound>, tel: &Telemetry) {
        if let Some(s) = self.stream.take() {
            let msg = Outbound::StreamEnded {
                stream: s.id,
                reason,
                frames: s.seq,
            };
            if out.push(msg).is_err() {
                Telemetry::bump(&tel.dropped);
            }
        }
    }
}

#[cfg(test)]
mod tests;
