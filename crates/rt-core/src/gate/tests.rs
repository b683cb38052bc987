//! The gate on its own, with an injected clock (no timing depends on the machine): history
//! ring wrap-around, the soft deadline of the backlog catch-up, ends and releases that refer
//! to no stream, and a full outbound ring when a stream starts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dsp::codec::{OpusBitrate, OpusEncoder};
use dsp::wakeword::Detection;
use rtrb::{Consumer, Producer, RingBuffer};

use super::*;

/// A clock moved by hand: every read returns `now` and then advances it by `step`.
#[derive(Debug, Clone)]
struct StepClock {
    now: Arc<AtomicU64>,
    step: u64,
}

impl Clock for StepClock {
    fn now_ns(&self) -> u64 {
        self.now.fetch_add(self.step, Ordering::Relaxed)
    }
}

struct Rig {
    gate: Gate<StepClock>,
    now: Arc<AtomicU64>,
    out: Producer<Outbound>,
    rx: Consumer<Outbound>,
    tel: Telemetry,
}

fn rig(p: GateParams, step: u64, ring: usize) -> Rig {
    let now = Arc::new(AtomicU64::new(0));
    let clock = StepClock {
        now: Arc::clone(&now),
        step,
    };
    let encoder = OpusEncoder::new(OpusBitrate::Kbps32, 0).expect("encoder");
    let (out, rx) = RingBuffer::new(ring);
    Rig {
        gate: Gate::with_clock(p, encoder, clock),
        now,
        out,
        rx,
        tel: Telemetry::new(),
    }
}

/// 2.5 s of history (250 blocks), 500 ms pre-roll, two catch-up frames.
fn params() -> GateParams {
    GateParams {
        history: 40_000,
        ..GateParams::default()
    }
}

impl Rig {
    /// Pushes `n` blocks; block k (absolute) holds the value `k % 1000` in every sample.
    fn push(&mut self, n: usize) {
        for _ in 0..n {
            let k = self.gate.written() / BLOCK_16K as u64;
            let block = [(k % 1000) as f32; BLOCK_16K];
            self.gate.push_block(&block, k * 10_000_000);
        }
    }

    fn command(&mut self, cmd: Command) {
        self.gate.command(cmd, &mut self.out, &self.tel);
    }

    /// One `encode_due` with the soft deadline at `deadline`; the frames it encoded.
    fn encode(&mut self, deadline: u64) -> u64 {
        let before = self.tel.frames.load(Ordering::Relaxed);
        self.gate.encode_due(deadline, &mut self.out, &self.tel);
        self.tel.frames.load(Ordering::Relaxed) - before
    }

    fn drain(&mut self) -> Vec<Outbound> {
        std::iter::from_fn(|| self.rx.pop().ok()).collect()
    }
}

fn frames(msgs: &[Outbound]) -> usize {
    msgs.iter()
        .filter(|m| matches!(m, Outbound::Frame(_)))
        .count()
}

#[test]
fn history_ring_wrap_around_hands_the_encoder_the_right_samples() {
    let mut r = rig(params(), 0, 256);
    let (tap, mut pcm) = RingBuffer::new(256);
    r.gate.set_pcm_tap(tap);
    // 400 blocks into a 250-block ring: it wrapped at sample 40000 (block 250).
    r.push(400);
    assert_eq!(r.gate.written(), 64_000);
    let det = Detection {
        start_sample: 46_000,
        end_sample: 50_000,
        score: 0.95,
    };
    r.gate.on_detection(det, &mut r.out, &r.tel);
    // The stream starts 500 ms before the wake word: sample 38000, ring position 38000, and
    // its backlog runs across the wrap (position 39999 -> 0) up to live audio.
    while r.encode(u64::MAX) > 0 {}
    let msgs = r.drain();
    assert_eq!(
        msgs.first(),
        Some(&Outbound::StreamStarted {
            stream: 1,
            initiator: Initiator::Wakeword,
            wake: Some(WakeWordIndices {
                start_index_in_samples: 8_000,
                end_index_in_samples: 12_000,
            }),
            first_sample: 38_000,
            score: 0.95,
        })
    );
    assert_eq!(frames(&msgs), (64_000 - 38_000) / OPUS_FRAME_16K);
    let mut n = 0;
    while let Ok(f) = pcm.pop() {
        let first = 38_000 + u64::from(f.seq) * OPUS_FRAME_16K as u64;
        for (i, s) in f.samples.iter().enumerate() {
            let block = (first + i as u64) / BLOCK_16K as u64;
            assert_eq!(
                i64::from(*s),
                (block % 1000) as i64,
                "frame {} sample {i}",
                f.seq
            );
        }
        n += 1;
    }
    assert_eq!(n, frames(&msgs));

    // A wake word older than the ring starts at the oldest sample still held.
    r.gate.finish(EndReason::InputEnded, &mut r.out, &r.tel);
    r.drain();
    let old = Detection {
        start_sample: 1_000,
        end_sample: 5_000,
        score: 0.9,
    };
    r.gate.on_detection(old, &mut r.out, &r.tel);
    match r.drain().first() {
        Some(Outbound::StreamStarted { first_sample, .. }) => {
            assert_eq!(*first_sample, 64_000 - (40_000 - BLOCK_16K as u64));
        }
        other => panic!("expected a stream start, got {other:?}"),
    }
}

#[test]
fn backlog_catch_up_stops_at_the_soft_deadline_but_the_live_frame_goes() {
    let mut r = rig(params(), 0, 256);
    r.push(200);
    let det = Detection {
        start_sample: 20_000,
        end_sample: 24_000,
        score: 0.9,
    };
    r.gate.on_detection(det, &mut r.out, &r.tel);
    // Before the deadline: the live frame and both catch-up frames.
    r.now.store(0, Ordering::Relaxed);
    assert_eq!(r.encode(1_000), 3);
    assert_eq!(r.tel.catchup_frames.load(Ordering::Relaxed), 2);
    // Past the deadline: the live frame only.
    r.now.store(5_000, Ordering::Relaxed);
    assert_eq!(r.encode(1_000), 1);
    assert_eq!(r.tel.catchup_frames.load(Ordering::Relaxed), 2);

    // A clock that passes the deadline while the first frame is encoded: one frame, and the
    // time spent is what the clock says.
    let mut r = rig(params(), 600, 256);
    r.push(200);
    r.gate.on_detection(det, &mut r.out, &r.tel);
    r.now.store(0, Ordering::Relaxed);
    let spent = r.gate.encode_due(1_000, &mut r.out, &r.tel);
    assert_eq!(r.tel.frames.load(Ordering::Relaxed), 1);
    assert_eq!(spent, 600);
}

#[test]
fn end_of_a_stream_that_never_started_changes_nothing() {
    let mut r = rig(params(), 0, 64);
    r.push(10);
    for stream in [0, 1, 7] {
        r.command(Command::End {
            stream,
            reason: EndReason::Endpoint,
        });
    }
    r.encode(u64::MAX);
    r.gate.finish(EndReason::InputEnded, &mut r.out, &r.tel);
    assert!(!r.gate.streaming());
    assert_eq!(r.drain(), Vec::new());

    // With a stream open, an end for another stream id is ignored; its own id ends it.
    r.command(Command::Tap);
    r.command(Command::End {
        stream: 2,
        reason: EndReason::Stop,
    });
    r.push(4);
    assert_eq!(r.encode(u64::MAX), 2);
    assert!(r.gate.streaming());
    r.command(Command::End {
        stream: 1,
        reason: EndReason::Endpoint,
    });
    r.encode(u64::MAX);
    assert!(!r.gate.streaming());
    let msgs = r.drain();
    assert_eq!(
        msgs.last(),
        Some(&Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            frames: 2,
        })
    );
}

#[test]
fn release_without_press_is_ignored() {
    let mut r = rig(params(), 0, 64);
    r.push(10);
    r.command(Command::Release);
    assert!(!r.gate.streaming());
    assert_eq!(r.drain(), Vec::new());

    // A release during a tap stream does not end it (only press-and-hold streams end there).
    r.command(Command::Tap);
    r.command(Command::Release);
    r.push(4);
    r.encode(u64::MAX);
    assert!(r.gate.streaming());
    r.command(Command::End {
        stream: 0,
        reason: EndReason::Stop,
    });
    r.encode(u64::MAX);
    r.drain();

    // Press, then release: the press-and-hold stream ends with the release.
    r.command(Command::Press);
    r.push(4);
    r.command(Command::Release);
    while r.encode(u64::MAX) > 0 {}
    let msgs = r.drain();
    assert!(matches!(
        msgs.first(),
        Some(Outbound::StreamStarted {
            stream: 2,
            initiator: Initiator::PressAndHold,
            ..
        })
    ));
    assert_eq!(
        msgs.last(),
        Some(&Outbound::StreamEnded {
            stream: 2,
            reason: EndReason::Release,
            frames: 2,
        })
    );
}

#[test]
fn a_full_ring_at_stream_start_opens_no_stream() {
    let mut r = rig(params(), 0, 2);
    r.push(10);
    for _ in 0..2 {
        r.out.push(Outbound::SourceEnded).expect("room");
    }
    r.command(Command::Tap);
    assert!(!r.gate.streaming(), "a stream without its start message");
    assert_eq!(r.tel.dropped.load(Ordering::Relaxed), 1);
    assert_eq!(r.tel.streams.load(Ordering::Relaxed), 0);
    r.push(4);
    assert_eq!(r.encode(u64::MAX), 0);

    // Once the ring has room, the next tap opens stream 1 (the id was not used up).
    assert_eq!(r.drain().len(), 2);
    r.command(Command::Tap);
    assert!(r.gate.streaming());
    assert!(matches!(
        r.drain().first(),
        Some(Outbound::StreamStarted {
            stream: 1,
            initiator: Initiator::Tap,
            ..
        })
    ));
}

/// Pushes `blocks` blocks, encoding after each; returns the messages.
fn stream_for(r: &mut Rig, blocks: usize) -> Vec<Outbound> {
    let mut msgs = Vec::new();
    for _ in 0..blocks {
        r.push(1);
        r.encode(u64::MAX);
        msgs.extend(r.drain());
    }
    msgs
}

#[test]
fn the_utterance_cap_ends_taps_and_holds_but_not_the_always_stream() {
    // A 200 ms cap.
    let p = GateParams {
        max_len: 3_200,
        ..params()
    };
    for cmd in [Command::Tap, Command::Press] {
        let mut r = rig(p, 0, 256);
        r.command(cmd);
        let msgs = stream_for(&mut r, 100);
        assert_eq!(frames(&msgs), 10, "{cmd:?}");
        assert!(matches!(
            msgs.last(),
            Some(Outbound::StreamEnded {
                reason: EndReason::MaxDuration,
                frames: 10,
                ..
            })
        ));
    }
    // The always stream runs on past the cap until the loop ends, with the loop's reason.
    for reason in [EndReason::InputEnded, EndReason::Shutdown] {
        let mut r = rig(p, 0, 256);
        r.gate.open_always(&mut r.out, &r.tel);
        let mut msgs = stream_for(&mut r, 100);
        assert!(r.gate.streaming());
        r.gate.finish(reason, &mut r.out, &r.tel);
        msgs.extend(r.drain());
        assert_eq!(frames(&msgs), 50);
        assert_eq!(
            msgs.last(),
            Some(&Outbound::StreamEnded {
                stream: 1,
                reason,
                frames: 50,
            })
        );
    }
}

/// Regression (lab, ama-rfcomm): the phone's ENDPOINT_SPEECH (End) and PROVIDE_SPEECH
/// (Continue) reached a late real-time thread in one batch; the stream was still open (it
/// closes in the next `encode_due`), so the Continue was dropped and the phone's second turn
/// never started (STOP_SPEECH INTERNAL after the start timeout).
#[test]
fn a_continue_that_comes_while_the_stream_is_ending_opens_once_it_is_closed() {
    let mut r = rig(params(), 0, 256);
    r.command(Command::Tap);
    let msgs = stream_for(&mut r, 10);
    assert_eq!(frames(&msgs), 5);
    r.command(Command::End {
        stream: 1,
        reason: EndReason::Endpoint,
    });
    r.command(Command::Continue);
    let msgs = stream_for(&mut r, 4);
    assert!(matches!(
        msgs.first(),
        Some(Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            ..
        })
    ));
    assert!(
        matches!(
            msgs.get(1),
            Some(Outbound::StreamStarted {
                stream: 2,
                initiator: Initiator::Continuation,
                ..
            })
        ),
        "{msgs:?}"
    );
    assert!(r.gate.streaming());

    // A continuation given up on (End for whatever is open) is not opened later.
    r.command(Command::End {
        stream: 2,
        reason: EndReason::Endpoint,
    });
    r.command(Command::Continue);
    r.command(Command::End {
        stream: 0,
        reason: EndReason::Stop,
    });
    let msgs = stream_for(&mut r, 4);
    assert!(!r.gate.streaming(), "{msgs:?}");
    assert!(!msgs
        .iter()
        .any(|m| matches!(m, Outbound::StreamStarted { .. })));

    // A tap while a stream runs (not ending) still changes nothing.
    r.command(Command::Tap);
    stream_for(&mut r, 2);
    r.command(Command::Tap);
    let msgs = stream_for(&mut r, 2);
    assert!(!msgs
        .iter()
        .any(|m| matches!(m, Outbound::StreamStarted { .. })));
}
