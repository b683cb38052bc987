//! Shared rig for the AMA integration tests: the real sender on a TCP port, fed by a test
//! producer that plays the real-time thread's part with real Opus frames of generated speech
//! (data/speech-16k.wav from scripts/gen-test-audio.sh), and answers its commands.

#![allow(dead_code)] // each test file uses part of the rig

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ama_engine::ama::{AmaError, AmaService};
use ama_engine::config::Config;
use ama_proto::session::SessionStats;
use engine_base::messages::{
    Command, EndReason, Initiator, OpusFrame, Outbound, WakeWordIndices, MAX_PACKET,
};
use tokio::sync::{mpsc, watch};

/// The speech clip, 16 kHz mono.
pub fn speech_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/speech-16k.wav")
}

/// Samples of the clip.
pub fn speech_samples() -> Vec<i16> {
    let path = speech_path();
    let mut r = hound::WavReader::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/gen-test-audio.sh)", path.display()));
    assert_eq!(r.spec().sample_rate, 16_000);
    r.samples::<i16>().map(|s| s.unwrap()).collect()
}

/// The clip encoded as 20 ms CBR Opus packets at 32 kbps (the last frame zero-padded).
pub fn opus_packets() -> Vec<Vec<u8>> {
    let samples = speech_samples();
    let mut enc = dsp::codec::OpusEncoder::new(dsp::codec::OpusBitrate::Kbps32, 4).unwrap();
    let mut out = Vec::new();
    for chunk in samples.chunks(320) {
        let mut frame = [0f32; 320];
        for (d, s) in frame.iter_mut().zip(chunk) {
            *d = f32::from(*s);
        }
        let mut pkt = [0u8; MAX_PACKET];
        let n = enc.encode(&frame, &mut pkt).unwrap();
        out.push(pkt[..n].to_vec());
    }
    out
}

/// What the test asks the producer to do.
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// A wake-word stream: indices 8000..end, runs to the end of the clip.
    Wake { end_index: u32 },
    /// A tap stream, to the end of the clip.
    Tap,
    /// Press-and-hold released after this many frames.
    Hold { release_after: usize },
    /// The capture source ends.
    SourceEnded,
}

/// One stream as the producer played it.
#[derive(Debug, Clone)]
pub struct StreamLog {
    pub stream: u32,
    pub initiator: Initiator,
    pub sent: Vec<Vec<u8>>,
    pub ended: Option<EndReason>,
}

/// The shared log of the producer.
#[derive(Debug, Default)]
pub struct ProducerLog {
    pub streams: Vec<StreamLog>,
    pub commands: Vec<Command>,
}

/// The running rig.
pub struct Rig {
    pub addr: String,
    pub triggers: mpsc::Sender<Trigger>,
    pub log: Arc<Mutex<ProducerLog>>,
    pub stats: watch::Receiver<SessionStats>,
    pub shutdown: watch::Sender<bool>,
    pub server: tokio::task::JoinHandle<Result<(), AmaError>>,
    pub state_dir: tempfile::TempDir,
}

impl Rig {
    /// The stream log for `stream` (1-based id), once it exists.
    pub fn stream(&self, stream: u32) -> Option<StreamLog> {
        let log = self.log.lock().unwrap();
        log.streams.iter().find(|s| s.stream == stream).cloned()
    }

    pub fn commands(&self) -> Vec<Command> {
        self.log.lock().unwrap().commands.clone()
    }

    /// Waits until `f` holds on the producer log (polling; bounded by `limit`).
    pub async fn wait_for(&self, limit: Duration, f: impl Fn(&ProducerLog) -> bool) -> bool {
        let end = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < end {
            if f(&self.log.lock().unwrap()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    pub async fn stop(self) -> Result<(), AmaError> {
        let _ = self.shutdown.send(true);
        self.server.await.unwrap()
    }
}

/// A test configuration: TCP on a free port, fast timers; `tweak` adjusts it.
pub fn config(state_dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> Config {
    let mut cfg = Config::default();
    cfg.ama.link = ama_engine::config::AmaLink::Tcp("127.0.0.1:0".into());
    cfg.ama.state_dir = state_dir.to_owned();
    cfg.ama.keepalive_ms = 0;
    cfg.ama.link_timeout_ms = 0;
    tweak(&mut cfg);
    cfg.validate().unwrap();
    cfg
}

/// Starts the sender and the producer. Frames are produced every `frame_every` (faster than
/// real time keeps the tests short; the sender does not care).
pub async fn start(tweak: impl FnOnce(&mut Config), frame_every: Duration) -> Rig {
    start_with(tweak, frame_every, |_| {}).await
}

/// [`start`], with `setup` applied to the sender before it runs (e.g. a ducker).
pub async fn start_with(
    tweak: impl FnOnce(&mut Config),
    frame_every: Duration,
    setup: impl FnOnce(&mut AmaService),
) -> Rig {
    let state_dir = tempfile::tempdir().unwrap();
    let cfg = Arc::new(config(state_dir.path(), tweak));
    let (prod, cons) = rtrb::RingBuffer::new(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (sd_tx, sd_rx) = watch::channel(false);
    let mut svc = AmaService::new(cfg);
    svc.shutdown_on(sd_rx);
    setup(&mut svc);
    let bound = svc.on_bound();
    let stats = svc.stats();
    let server = tokio::spawn(svc.run(cons, cmd_tx));
    let addr = bound.await.expect("sender did not bind");
    let (trig_tx, trig_rx) = mpsc::channel(8);
    let log = Arc::new(Mutex::new(ProducerLog::default()));
    tokio::spawn(produce(prod, cmd_rx, trig_rx, log.clone(), frame_every));
    Rig {
        addr,
        triggers: trig_tx,
        log,
        stats,
        shutdown: sd_tx,
        server,
        state_dir,
    }
}

struct Current {
    stream: u32,
    next: usize,
    release_after: Option<usize>,
}

fn push(prod: &mut rtrb::Producer<Outbound>, m: Outbound) {
    // The test producer never drops (the real-time thread would count a drop instead).
    let mut m = m;
    loop {
        match prod.push(m) {
            Ok(()) => return,
            Err(rtrb::PushError::Full(back)) => {
                m = back;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// Plays the real-time thread: streams of the clip's packets, commands honoured.
async fn produce(
    mut prod: rtrb::Producer<Outbound>,
    mut cmds: mpsc::Receiver<Command>,
    mut triggers: mpsc::Receiver<Trigger>,
    log: Arc<Mutex<ProducerLog>>,
    frame_every: Duration,
) {
    let packets = opus_packets();
    let mut next_stream = 1u32;
    let mut cur: Option<Current> = None;
    let mut tick = tokio::time::interval(frame_every);
    let mut begin = |prod: &mut rtrb::Producer<Outbound>,
                     initiator: Initiator,
                     wake: Option<WakeWordIndices>,
                     release_after: Option<usize>,
                     cur: &mut Option<Current>| {
        let stream = next_stream;
        next_stream += 1;
        push(
            prod,
            Outbound::StreamStarted {
                stream,
                initiator,
                wake,
                first_sample: 0,
                score: 0.9,
            },
        );
        log.lock().unwrap().streams.push(StreamLog {
            stream,
            initiator,
            sent: Vec::new(),
            ended: None,
        });
        *cur = Some(Current {
            stream,
            next: 0,
            release_after,
        });
    };
    let end = |prod: &mut rtrb::Producer<Outbound>,
               c: Current,
               reason: EndReason,
               log: &Arc<Mutex<ProducerLog>>| {
        push(
            prod,
            Outbound::StreamEnded {
                stream: c.stream,
                reason,
                frames: c.next as u32,
            },
        );
        let mut l = log.lock().unwrap();
        if let Some(s) = l.streams.iter_mut().find(|s| s.stream == c.stream) {
            s.ended = Some(reason);
        }
    };
    let log2 = log.clone();
    loop {
        tokio::select! {
            t = triggers.recv() => match t {
                Some(Trigger::Wake { end_index }) => begin(&mut prod, Initiator::Wakeword, Some(WakeWordIndices { start_index_in_samples: 8000, end_index_in_samples: end_index }), None, &mut cur),
                Some(Trigger::Tap) => begin(&mut prod, Initiator::Tap, None, None, &mut cur),
                Some(Trigger::Hold { release_after }) => begin(&mut prod, Initiator::PressAndHold, None, Some(release_after), &mut cur),
                Some(Trigger::SourceEnded) => push(&mut prod, Outbound::SourceEnded),
                None => return,
            },
            c = cmds.recv() => {
                let Some(c) = c else { return };
                log2.lock().unwrap().commands.push(c);
                match c {
                    Command::End { stream, reason }
                        if cur.as_ref().is_some_and(|k| stream == 0 || k.stream == stream) =>
                    {
                        if let Some(k) = cur.take() {
                            end(&mut prod, k, reason, &log2);
                        }
                    }
                    Command::Continue => begin(&mut prod, Initiator::Continuation, None, None, &mut cur),
                    _ => {}
                }
            }
            _ = tick.tick() => {
                if let Some(k) = cur.as_mut() {
                    if let Some(pkt) = packets.get(k.next) {
                        let mut data = [0u8; MAX_PACKET];
                        data[..pkt.len()].copy_from_slice(pkt);
                        push(&mut prod, Outbound::Frame(OpusFrame {
                            stream: k.stream,
                            seq: k.next as u32,
                            capture_ns: 0,
                            first_sample: k.next as u64 * 320,
                            len: pkt.len() as u16,
                            data,
                        }));
                        let stream = k.stream;
                        if let Some(s) = log2.lock().unwrap().streams.iter_mut().find(|s| s.stream == stream) {
                            s.sent.push(pkt.clone());
                        }
                        k.next += 1;
                    }
                    let released = k.release_after.is_some_and(|r| k.next >= r);
                    if released || k.next >= packets.len() {
                        let reason = if released { EndReason::Release } else { EndReason::InputEnded };
                        if let Some(k) = cur.take() {
                            end(&mut prod, k, reason, &log2);
                        }
                    }
                }
            }
        }
    }
}
