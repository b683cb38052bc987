//! The run report: streams, timing table, counters, latency. Written as report.json by
//! `simulate` and printed by `run` on exit.

use std::path::Path;

use rt_core::realtime::frame_loop::LoopExit;
use rt_core::telemetry::Snapshot;
use rt_core::thread::RtStatus;
use serde::Serialize;

use crate::recorder::StreamRecord;

/// Latency from the capture of a frame's first sample to the frame being ready to send.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Frame length + suppressor delay + resampler delay, µs.
    pub algorithmic_us: f64,
    /// Measured on live frames (paced runs only), µs: median and p99.
    pub measured_median_us: Option<f64>,
    pub measured_p99_us: Option<f64>,
    /// Algorithmic + one period of capture buffering + median processing, µs.
    pub expected_us: f64,
}

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub input: String,
    pub input_rate: u32,
    pub input_samples: u64,
    /// How streams were opened: "auto" (wake word, buttons) or "always" (the whole input is
    /// one stream, never capped).
    pub gate: &'static str,
    /// The cap of wake-word, tap, press-and-hold and continuation streams; a stream it ended
    /// has `end_reason` "max_duration".
    pub max_utterance_ms: u32,
    /// The signal that stopped the simulation ("SIGINT", ...); its open stream has
    /// `end_reason` "shutdown".
    pub signal: Option<String>,
    /// Its number (for the exit status).
    #[serde(skip)]
    pub signal_number: Option<i32>,
    /// The process's peak resident set size when the report was made (VmHWM of
    /// /proc/self/status), KiB: flat with the input's length, since the input is streamed.
    pub peak_rss_kib: Option<u64>,
    pub denoise: bool,
    pub opus_bitrate: u32,
    pub opus_complexity: i32,
    pub exit: Option<LoopExit>,
    pub error: Option<String>,
    pub realtime: RtStatus,
    pub streams: Vec<StreamRecord>,
    pub timing: Snapshot,
    pub latency: Latency,
}

impl Report {
    /// Computes the latency summary from the timing snapshot.
    pub fn latency(algorithmic_us: f64, timing: &Snapshot) -> Latency {
        let median_period = timing
            .stages
            .iter()
            .find(|r| r.stage == "period")
            .map_or(0.0, |r| r.median_us);
        let measured = timing.latency.count > 0;
        Latency {
            algorithmic_us,
            measured_median_us: measured.then(|| timing.latency.median_ns as f64 / 1000.0),
            measured_p99_us: measured.then(|| timing.latency.p99_ns as f64 / 1000.0),
            expected_us: algorithmic_us + timing.period_us + median_period,
        }
    }

    /// The process's peak resident set size so far, KiB (Linux: VmHWM).
    pub fn peak_rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Writes the report as pretty JSON; an error names the file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::output::write_file(path, (text + "\n").as_bytes())
    }
}
