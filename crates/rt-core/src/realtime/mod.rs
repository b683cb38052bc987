//! The real-time thread: the frame loop and its budget, started on the promoted thread.
//!
//! [`start`] builds everything (rings, pipeline, telemetry) before the thread starts, then
//! moves it into the thread. The rest of the engine keeps the consumer of the outbound ring,
//! the producer of the command ring, the telemetry and the stop flag.

pub mod frame_loop;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;

use dsp::wakeword::WakeWordDetector;
use rtrb::{Consumer, Producer, RingBuffer};

use engine_base::messages::{Command, Outbound, PcmFrame};

use crate::audio::{CaptureError, CaptureSource};
use crate::options::RealtimeOptions;
use crate::pipeline::{Pipeline, PipelineError};
use crate::telemetry::Telemetry;
use crate::thread::{self, RtStatus};
use frame_loop::{FrameLoop, LoopExit};

/// How to run the loop.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// One stream for the whole input (`simulate --gate always`).
    pub always: bool,
    /// Promote the thread (SCHED_FIFO, mlockall, affinity). Off for full-speed simulation.
    pub promote: bool,
    /// Wait for room in the outbound ring instead of dropping, and for the detector's and the
    /// delay worker's threads between periods, so that a run repeats exactly (full-speed
    /// simulation).
    pub backpressure: bool,
    /// Stop after this many periods.
    pub max_periods: Option<u64>,
    /// Also deliver the PCM of every encoded frame (see [`RtHandle::pcm`]).
    pub pcm_tap: bool,
}

/// What the loop reports when it ends.
#[derive(Debug)]
pub struct LoopOutcome {
    pub exit: Result<LoopExit, CaptureError>,
    pub status: RtStatus,
    pub algorithmic_latency_us: f64,
}

/// The running real-time side, as the rest of the engine sees it.
pub struct RtHandle {
    /// Frames and stream events, in order.
    pub outbound: Consumer<Outbound>,
    /// Commands into the loop.
    pub commands: Producer<Command>,
    pub telemetry: Arc<Telemetry>,
    pub stop: Arc<AtomicBool>,
    pub join: JoinHandle<LoopOutcome>,
    /// The PCM tap, when asked for.
    pub pcm: Option<Consumer<PcmFrame>>,
}

impl std::fmt::Debug for RtHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtHandle").finish_non_exhaustive()
    }
}

/// Errors starting the real-time side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("cannot spawn the real-time thread: {0}")]
    Spawn(#[from] std::io::Error),
}

/// Builds the pipeline and rings and starts the real-time thread. Not real-time safe.
pub fn start<S: CaptureSource + 'static>(
    cfg: &RealtimeOptions,
    source: S,
    detector: Option<Box<dyn WakeWordDetector>>,
    opts: StartOptions,
) -> Result<RtHandle, StartError> {
    let mut pipeline = Pipeline::new(&cfg.pipeline, source.rate(), detector, opts.always)?;
    let pcm = opts.pcm_tap.then(|| {
        let (tx, rx) = RingBuffer::new(cfg.outbound_capacity);
        pipeline.set_pcm_tap(tx);
        rx
    });
    let (out_tx, out_rx) = RingBuffer::new(cfg.outbound_capacity);
    let (cmd_tx, cmd_rx) = RingBuffer::new(cfg.command_capacity);
    let tel = Arc::new(Telemetry::new());
    let stop = Arc::new(AtomicBool::new(false));
    let period_ns = source.period_frames() as u64 * 1_000_000_000 / u64::from(source.rate());
    let budget_ns = period_ns * u64::from(cfg.budget_percent) / 100;
    let stack_bytes = if pipeline.has_aec() {
        thread::AEC_STACK_BYTES
    } else {
        thread::STACK_BYTES
    };
    let mut lp = FrameLoop::new(
        source,
        pipeline,
        out_tx,
        cmd_rx,
        tel.clone(),
        stop.clone(),
        budget_ns,
        opts.max_periods,
    );
    lp.backpressure = opts.backpressure;
    let promote = opts.promote.then_some(&cfg.thread);
    let join = thread::spawn("ama-rt", stack_bytes, promote, move |status| {
        let (exit, lp) = lp.run();
        LoopOutcome {
            exit,
            status,
            algorithmic_latency_us: lp.pipeline.algorithmic_latency_us(),
        }
    })?;
    Ok(RtHandle {
        outbound: out_rx,
        commands: cmd_tx,
        telemetry: tel,
        stop,
        join,
        pcm,
    })
}
