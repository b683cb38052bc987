//! Counters and latency histograms shared between the real-time thread and readers.
//!
//! **Guarantees**: everything here is atomics in memory allocated at construction. Recording
//! (`record`, `add`) is one or a few relaxed atomic operations: real-time safe, never blocks.
//! Readers take [`Snapshot`]s at any time while the loop runs.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use engine_base::messages::Initiator;
use serde::Serialize;

mod histogram;

pub use histogram::{Histogram, Stats};

/// The timed stages of one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// i16 -> f32 (and 16 -> 48 kHz when the device runs at 16 kHz).
    Convert,
    /// Echo cancellation (with its reference conversion and resampling).
    Aec,
    /// nnnoiseless.
    Denoise,
    /// 48 -> 16 kHz decimation.
    Resample,
    /// Wake-word detector.
    Detect,
    /// Gate bookkeeping and end-of-speech detection.
    Gate,
    /// Opus encoding (all frames encoded in the period).
    Encode,
    /// All processing of the period (the budgeted quantity).
    Period,
}

impl Stage {
    /// Number of stages (the length of [`Stage::ALL`] and of per-stage arrays).
    pub const COUNT: usize = 8;

    /// Every stage, in pipeline order; `ALL[s as usize] == s`.
    pub const ALL: [Stage; Stage::COUNT] = [
        Stage::Convert,
        Stage::Aec,
        Stage::Denoise,
        Stage::Resample,
        Stage::Detect,
        Stage::Gate,
        Stage::Encode,
        Stage::Period,
    ];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Convert => "convert",
            Stage::Aec => "aec",
            Stage::Denoise => "denoise",
            Stage::Resample => "resample",
            Stage::Detect => "detect",
            Stage::Gate => "gate",
            Stage::Encode => "encode",
            Stage::Period => "period",
        }
    }
}

/// Every stream initiator, in the order of the per-initiator counters.
pub const INITIATORS: [Initiator; 5] = [
    Initiator::Wakeword,
    Initiator::Tap,
    Initiator::PressAndHold,
    Initiator::Continuation,
    Initiator::Always,
];

/// The index of `initiator` in [`INITIATORS`].
pub fn initiator_index(initiator: Initiator) -> usize {
    match initiator {
        Initiator::Wakeword => 0,
        Initiator::Tap => 1,
        Initiator::PressAndHold => 2,
        Initiator::Continuation => 3,
        Initiator::Always => 4,
    }
}

/// Everything the engine counts while running.
#[derive(Debug)]
pub struct Telemetry {
    stages: [Histogram; Stage::COUNT],
    /// Capture-to-frame-ready latency of live (not backlog) frames.
    pub latency: Histogram,
    /// Periods processed.
    pub periods: AtomicU64,
    /// Periods whose processing exceeded the budget.
    pub overruns: AtomicU64,
    /// ALSA overruns (xruns) recovered.
    pub xruns: AtomicU64,
    /// ALSA suspends recovered.
    pub suspends: AtomicU64,
    /// Read errors other than xrun/suspend that were recovered by re-preparing.
    pub read_errors: AtomicU64,
    /// `[aec] reference = "device"`: reference device xruns/errors recovered.
    pub reference_xruns: AtomicU64,
    /// Reference frames given as zeros because the reference device's FIFO ran dry.
    pub reference_missing_frames: AtomicU64,
    /// Reference frames dropped because its FIFO grew too long (the device's clock faster).
    pub reference_dropped_frames: AtomicU64,
    /// Frames and stream events dropped because the outbound ring was full.
    pub dropped: AtomicU64,
    /// Frames libopus failed to encode.
    pub encode_errors: AtomicU64,
    /// Frames encoded and handed over.
    pub frames: AtomicU64,
    /// Streams started.
    pub streams: AtomicU64,
    /// Streams started, by initiator (indexed as [`initiator_index`]).
    streams_by: [AtomicU64; INITIATORS.len()],
    /// Wake-word detections.
    pub detections: AtomicU64,
    /// Most frames encoded in one 10 ms block (1 live + catch-up).
    pub max_frames_per_block: AtomicU64,
    /// Frames encoded beyond one per block to catch up with a backlog.
    pub catchup_frames: AtomicU64,
    /// Frames encoded while the stream was behind live audio by at least a frame (pre-roll
    /// and wake-word backlog).
    pub backlog_frames: AtomicU64,
    /// Periods over budget in which catch-up frames were encoded.
    pub catchup_overruns: AtomicU64,
    /// Allocations caught in the real-time loop by the allocation guard.
    pub alloc_violations: AtomicU64,
    /// Echo state (when a canceller runs).
    pub aec: crate::aec::AecTelemetry,
    /// Level of the last period in dBFS (f32 bits).
    level_dbfs: AtomicU32,
    /// Budget per period in ns.
    pub budget_ns: AtomicU64,
    /// Period length in ns.
    pub period_ns: AtomicU64,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    /// All zero. Not real-time safe.
    pub fn new() -> Self {
        Self {
            stages: std::array::from_fn(|_| Histogram::new()),
            latency: Histogram::new(),
            periods: AtomicU64::new(0),
            overruns: AtomicU64::new(0),
            xruns: AtomicU64::new(0),
            suspends: AtomicU64::new(0),
            read_errors: AtomicU64::new(0),
            reference_xruns: AtomicU64::new(0),
            reference_missing_frames: AtomicU64::new(0),
            reference_dropped_frames: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            encode_errors: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            streams: AtomicU64::new(0),
            streams_by: std::array::from_fn(|_| AtomicU64::new(0)),
            detections: AtomicU64::new(0),
            max_frames_per_block: AtomicU64::new(0),
            catchup_frames: AtomicU64::new(0),
            backlog_frames: AtomicU64::new(0),
            catchup_overruns: AtomicU64::new(0),
            alloc_violations: AtomicU64::new(0),
            aec: crate::aec::AecTelemetry::default(),
            level_dbfs: AtomicU32::new((-120.0f32).to_bits()),
            budget_ns: AtomicU64::new(0),
            period_ns: AtomicU64::new(0),
        }
    }

    /// The histogram of `stage`.
    pub fn stage(&self, stage: Stage) -> &Histogram {
        &self.stages[stage as usize]
    }

    /// Records a stage duration. Real-time safe.
    pub fn record(&self, stage: Stage, ns: u64) {
        self.stage(stage).record(ns);
    }

    /// Adds one to a counter. Real-time safe.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// Adds `n` to a counter. Real-time safe.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Counts a started stream (total and by initiator). Real-time safe.
    pub fn stream_started(&self, initiator: Initiator) {
        Self::bump(&self.streams);
        Self::bump(&self.streams_by[initiator_index(initiator)]);
    }

    /// Streams started by `initiator`.
    pub fn streams_by(&self, initiator: Initiator) -> u64 {
        self.streams_by[initiator_index(initiator)].load(Relaxed)
    }

    /// Stores the input level. Real-time safe.
    pub fn set_level_dbfs(&self, db: f32) {
        self.level_dbfs.store(db.to_bits(), Relaxed);
    }

    /// The last input level in dBFS.
    pub fn level_dbfs(&self) -> f32 {
        f32::from_bits(self.level_dbfs.load(Relaxed))
    }

    /// A consistent-enough copy of everything for reports. Not real-time safe.
    pub fn snapshot(&self) -> Snapshot {
        let period_ns = self.period_ns.load(Relaxed);
        Snapshot {
            period_us: period_ns as f64 / 1000.0,
            budget_us: self.budget_ns.load(Relaxed) as f64 / 1000.0,
            stages: Stage::ALL
                .iter()
                .map(|s| StageRow::new(*s, self.stage(*s).stats(), period_ns))
                .collect(),
            latency: self.latency.stats(),
            periods: self.periods.load(Relaxed),
            overruns: self.overruns.load(Relaxed),
            xruns: self.xruns.load(Relaxed),
            suspends: self.suspends.load(Relaxed),
            read_errors: self.read_errors.load(Relaxed),
            reference_xruns: self.reference_xruns.load(Relaxed),
            reference_missing_frames: self.reference_missing_frames.load(Relaxed),
            reference_dropped_frames: self.reference_dropped_frames.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            encode_errors: self.encode_errors.load(Relaxed),
            frames: self.frames.load(Relaxed),
            streams: self.streams.load(Relaxed),
            detections: self.detections.load(Relaxed),
            max_frames_per_block: self.max_frames_per_block.load(Relaxed),
            catchup_frames: self.catchup_frames.load(Relaxed),
            backlog_frames: self.backlog_frames.load(Relaxed),
            catchup_overruns: self.catchup_overruns.load(Relaxed),
            alloc_violations: self.alloc_violations.load(Relaxed),
            aec: self.aec.snapshot(),
        }
    }
}

/// One stage's timings in µs and as percent of the period.
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub stage: &'static str,
    pub count: u64,
    pub min_us: f64,
    pub median_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub median_percent_of_period: f64,
    pub p999_percent_of_period: f64,
}

impl StageRow {
    fn new(stage: Stage, s: Stats, period_ns: u64) -> Self {
        let us = |ns: u64| ns as f64 / 1000.0;
        let pct = |ns: u64| {
            if period_ns == 0 {
                0.0
            } else {
                100.0 * ns as f64 / period_ns as f64
            }
        };
        Self {
            stage: stage.name(),
            count: s.count,
            min_us: us(s.min_ns),
            median_us: us(s.median_ns),
            p99_us: us(s.p99_ns),
            p999_us: us(s.p999_ns),
            max_us: us(s.max_ns),
            median_percent_of_period: pct(s.median_ns),
            p999_percent_of_period: pct(s.p999_ns),
        }
    }
}

/// Everything counted, for report.json and the exit table.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub period_us: f64,
    pub budget_us: f64,
    pub stages: Vec<StageRow>,
    pub latency: Stats,
    pub periods: u64,
    pub overruns: u64,
    pub xruns: u64,
    pub suspends: u64,
    pub read_errors: u64,
    pub reference_xruns: u64,
    pub reference_missing_frames: u64,
    pub reference_dropped_frames: u64,
    pub dropped: u64,
    pub encode_errors: u64,
    pub frames: u64,
    pub streams: u64,
    pub detections: u64,
    pub max_frames_per_block: u64,
    pub catchup_frames: u64,
    pub backlog_frames: u64,
    pub catchup_overruns: u64,
    pub alloc_violations: u64,
    /// Echo state; absent when no canceller runs.
    pub aec: Option<crate::aec::AecSnapshot>,
}

impl Snapshot {
    /// The timing table as text, one row a stage.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}\n",
            "stage", "count", "min us", "median", "p99", "p99.9", "max", "%period"
        );
        for r in &self.stages {
            s += &format!(
                "{:<9} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>6.2}%\n",
                r.stage,
                r.count,
                r.min_us,
                r.median_us,
                r.p99_us,
                r.p999_us,
                r.max_us,
                r.median_percent_of_period
            );
        }
        s += &format!(
            "periods {}  over budget ({:.0} us) {}  xruns {}  suspends {}  dropped {}  frames {}  streams {}  detections {}  alloc violations {}\n",
            self.periods,
            self.budget_us,
            self.overruns,
            self.xruns,
            self.suspends,
            self.dropped,
            self.frames,
            self.streams,
            self.detections,
            self.alloc_violations
        );
        if let Some(a) = &self.aec {
            s += &echo_line(a);
        }
        if self.reference_xruns + self.reference_missing_frames + self.reference_dropped_frames > 0
        {
            s += &format!(
                "reference device: frames missing (zeros) {}  dropped {}  xruns {}\n",
                self.reference_missing_frames, self.reference_dropped_frames, self.reference_xruns
            );
        }
        if self.latency.count > 0 {
            s += &format!(
                "capture-to-frame-ready latency of live frames: median {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} frames)\n",
                self.latency.median_ns as f64 / 1e6,
                self.latency.p99_ns as f64 / 1e6,
                self.latency.max_ns as f64 / 1e6,
                self.latency.count
            );
        }
        s
    }
}

/// The exit table's echo line: the measured removal, AEC3's ERLE estimate and delay, the
/// GCC-PHAT worker's delay (the one that corrects AEC3's mis-locks), the drift the worker
/// measures and the reference level; `-` for what is not known yet.
fn echo_line(a: &crate::aec::AecSnapshot) -> String {
    let f = |v: Option<f32>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
    format!(
        "echo: removal {} dB  ERLE estimate {} dB  delay {} ms (GCC-PHAT {} ms)  drift {} ppm  reference {} dBFS ({})\n",
        f(a.echo_removal_db),
        f(a.erle_estimate_db),
        f(a.delay_ms),
        f(a.external_delay_ms),
        f(a.drift_ppm),
        f(a.reference_dbfs),
        if a.reference_playing { "playing" } else { "silent" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_line_gives_both_delays() {
        let mut a = crate::aec::AecSnapshot {
            erle_estimate_db: Some(14.0),
            erl_db: Some(3.0),
            echo_removal_db: Some(38.64),
            delay_ms: Some(111.0),
            reference_delay_ms: Some(116.0),
            external_delay_ms: Some(116.0),
            drift_ppm: Some(0.0),
            reference_dbfs: Some(-20.0),
            reference_playing: true,
            worker_dropped: 0,
        };
        assert_eq!(
            echo_line(&a),
            "echo: removal 38.6 dB  ERLE estimate 14.0 dB  delay 111.0 ms (GCC-PHAT 116.0 ms)  \
             drift 0.0 ppm  reference -20.0 dBFS (playing)\n"
        );
        a.external_delay_ms = None;
        a.drift_ppm = None;
        a.reference_playing = false;
        let line = echo_line(&a);
        assert!(line.contains("(GCC-PHAT - ms)  drift - ppm"), "{line}");
        assert!(line.ends_with("(silent)\n"), "{line}");
    }

    #[test]
    fn streams_are_counted_by_initiator() {
        let tel = Telemetry::new();
        tel.stream_started(Initiator::Tap);
        tel.stream_started(Initiator::Tap);
        tel.stream_started(Initiator::Wakeword);
        assert_eq!(tel.streams.load(Relaxed), 3);
        assert_eq!(tel.streams_by(Initiator::Tap), 2);
        assert_eq!(tel.streams_by(Initiator::Wakeword), 1);
        assert_eq!(tel.streams_by(Initiator::PressAndHold), 0);
        for (i, s) in INITIATORS.iter().enumerate() {
            assert_eq!(initiator_index(*s), i);
        }
    }
}
