//! The per-period loop of the real-time thread.
//!
//! **Guarantees** (checked by `realtime_alloc` in rt-core's test binary under an allocation guard): after
//! [`FrameLoop::new`], one period is: the blocking read, then commands from the ring, then the
//! pipeline, then counters. No allocation, free, lock, log or other blocking call; every
//! period runs inside `assert_no_alloc`, and violations are counted in the telemetry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use engine_base::messages::{Command, EndReason, Outbound};
use engine_base::now_ns;
use rtrb::{Consumer, Producer};

use crate::audio::{CaptureError, CaptureSource, Period};
use crate::pipeline::{Pipeline, StageTimes};
use crate::telemetry::{Stage, Telemetry};

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopExit {
    /// The source ended (files).
    SourceEnded,
    /// Stopped by the stop flag or a Shutdown command.
    Stopped,
    /// The configured number of periods was reached.
    PeriodLimit,
}

/// Everything the loop owns.
pub struct FrameLoop<S: CaptureSource> {
    pub source: S,
    pub pipeline: Pipeline,
    pub out: Producer<Outbound>,
    pub commands: Consumer<Command>,
    pub tel: Arc<Telemetry>,
    pub stop: Arc<AtomicBool>,
    /// Processing budget per period, ns.
    pub budget_ns: u64,
    /// Stop after this many periods (None: until the source ends or the stop flag).
    pub max_periods: Option<u64>,
    /// Wait for room in the outbound ring instead of dropping, and for the threads beside the
    /// loop between periods ([`Pipeline::settle`]), so that a run repeats exactly (simulate at
    /// full speed only; never in real time).
    pub backpressure: bool,
    buf: Vec<i16>,
}

impl<S: CaptureSource> FrameLoop<S> {
    /// Assembles the loop and allocates its read buffer. Not real-time safe.
    #[allow(clippy::too_many_arguments)] // one call site per command; a builder adds nothing
    pub fn new(
        source: S,
        pipeline: Pipeline,
        out: Producer<Outbound>,
        commands: Consumer<Command>,
        tel: Arc<Telemetry>,
        stop: Arc<AtomicBool>,
        budget_ns: u64,
        max_periods: Option<u64>,
    ) -> Self {
        let period = source.period_frames();
        let period_ns = period as u64 * 1_000_000_000 / u64::from(source.rate());
        tel.period_ns.store(period_ns, Ordering::Relaxed);
        tel.budget_ns.store(budget_ns, Ordering::Relaxed);
        Self {
            buf: vec![0; period],
            source,
            pipeline,
            out,
            commands,
            tel,
            stop,
            budget_ns,
            max_periods,
            backpressure: false,
        }
    }

    /// Runs until the source ends, the stop flag is set, a Shutdown command arrives or the
    /// period limit is reached. Real-time safe per period (see the module doc).
    pub fn run(mut self) -> (Result<LoopExit, CaptureError>, Self) {
        let chunk = self.pipeline.chunk_len();
        let period_ns = self.tel.period_ns.load(Ordering::Relaxed);
        let chunk_ns = period_ns / (self.buf.len() / chunk).max(1) as u64;
        let mut periods = 0u64;
        self.pipeline.warm_up_on_this_thread();
        let result = loop {
            if self.stop.load(Ordering::Relaxed) {
                break Ok(LoopExit::Stopped);
            }
            if self.max_periods.is_some_and(|m| periods >= m) {
                break Ok(LoopExit::PeriodLimit);
            }
            if self.backpressure {
                while self.out.slots() < 16 && !self.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                self.pipeline.settle();
            }
            let step = assert_no_alloc::assert_no_alloc(|| self.period(periods, chunk, chunk_ns));
            self.tel.alloc_violations.store(
                u64::from(assert_no_alloc::violation_count()),
                Ordering::Relaxed,
            );
            match step {
                Ok(true) => periods += 1,
                Ok(false) => break Ok(LoopExit::SourceEnded),
                Err(e) => break Err(e),
            }
            if self.stop.load(Ordering::Relaxed) {
                break Ok(LoopExit::Stopped);
            }
        };
        let reason = match result {
            Ok(LoopExit::Stopped) => EndReason::Shutdown,
            Ok(LoopExit::PeriodLimit) => EndReason::MaxSeconds,
            Ok(LoopExit::SourceEnded) | Err(_) => EndReason::InputEnded,
        };
        if self.backpressure {
            // Full speed (simulate): closing may encode a backlog of frames; let the
            // consumer empty the ring first so that none of them is dropped.
            let capacity = self.out.buffer().capacity();
            while self.out.slots() < capacity && !self.out.is_abandoned() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        assert_no_alloc::assert_no_alloc(|| {
            self.pipeline.finish(reason, &mut self.out, &self.tel);
            let _ = self.out.push(Outbound::SourceEnded);
        });
        (result, self)
    }

    /// One period. Returns Ok(false) when the source ended. Real-time safe.
    fn period(&mut self, index: u64, chunk: usize, chunk_ns: u64) -> Result<bool, CaptureError> {
        let capture_ns = match self.source.read_period(&mut self.buf, &self.tel)? {
            Period::Data { capture_ns } => capture_ns,
            Period::Ended => return Ok(false),
        };
        let start = now_ns();
        let soft_deadline = start + self.budget_ns / 2;
        let Self {
            source,
            pipeline,
            out,
            commands,
            tel,
            stop,
            ..
        } = self;
        while let Ok(cmd) = commands.pop() {
            if cmd == Command::Shutdown {
                stop.store(true, Ordering::Relaxed);
            }
            pipeline.command(cmd, out, tel);
        }
        let period_start = index * self.buf.len() as u64;
        source.due_commands(period_start, &mut |cmd| pipeline.command(cmd, out, tel));

        let catchup_before = tel.catchup_frames.load(Ordering::Relaxed);
        let mut times = StageTimes::default();
        let mut energy = 0.0f64;
        let mut n = 0u32;
        let reference = source.reference();
        for (k, c) in self.buf.chunks_exact(chunk).enumerate() {
            let r = reference.and_then(|r| r.get(k * chunk..(k + 1) * chunk));
            pipeline.process_chunk_with_reference(
                c,
                r,
                capture_ns + k as u64 * chunk_ns,
                soft_deadline,
                out,
                tel,
                &mut times,
            );
            energy += pipeline.last_energy();
            n += 1;
        }
        let total = now_ns().saturating_sub(start);
        for stage in Stage::ALL {
            if stage != Stage::Period {
                tel.record(stage, times.ns[stage as usize]);
            }
        }
        tel.record(Stage::Period, total);
        if total > self.budget_ns {
            Telemetry::bump(&tel.overruns);
            if tel.catchup_frames.load(Ordering::Relaxed) > catchup_before {
                Telemetry::bump(&tel.catchup_overruns);
            }
        }
        let ms = energy / f64::from(n.max(1));
        tel.set_level_dbfs((10.0 * (ms / (32768.0 * 32768.0) + 1e-12).log10()) as f32);
        Telemetry::bump(&tel.periods);
        Ok(true)
    }
}
