//! A WAV file as a capture source (simulate, tests): 16-bit PCM, mono, 16 or 48 kHz.
//!
//! The whole file is read in [`WavSource::open`]; reading periods copies from memory, so it is
//! real-time safe. The last partial period is padded with silence; then the source ends.

use std::path::Path;

use engine_base::messages::Command;
use engine_base::now_ns;

use crate::telemetry::Telemetry;

use super::pace::Pacer;
use super::{CaptureError, CaptureSource, Period};

/// A scripted command at a source sample position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scripted {
    /// Source sample index (at the file's rate) before which the command is delivered.
    pub at_sample: u64,
    pub command: Command,
}

/// Capture from a WAV file held in memory.
#[derive(Debug)]
pub struct WavSource {
    samples: Vec<i16>,
    rate: u32,
    period: usize,
    pos: usize,
    periods_read: u64,
    pacer: Option<Pacer>,
    start_ns: u64,
    script: Vec<Scripted>,
    next_script: usize,
}

impl WavSource {
    /// Reads `path`. `realtime` paces reads to the clock. Not real-time safe.
    pub fn open(path: &Path, realtime: bool) -> Result<Self, CaptureError> {
        let err = |message: String| CaptureError::File {
            path: path.display().to_string(),
            message,
        };
        let mut reader = hound::WavReader::open(path).map_err(|e| err(e.to_string()))?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            return Err(err(format!(
                "{}-bit {:?} samples; 16-bit PCM is required",
                spec.bits_per_sample, spec.sample_format
            )));
        }
        if spec.channels != 1 {
            return Err(err(format!("{} channels; mono is required", spec.channels)));
        }
        if spec.sample_rate != 16_000 && spec.sample_rate != 48_000 {
            return Err(err(format!(
                "{} Hz; 16000 or 48000 Hz is required",
                spec.sample_rate
            )));
        }
        // Sized once from the header (bounded by the file's size, so a lying header cannot
        // ask for more): growing by doubling copied the buffer, a transient that was the peak
        // RSS of a long simulation (+0.9 MiB at 60 s).
        let file_samples = std::fs::metadata(path).map_or(0, |m| m.len() / 2);
        let mut samples = Vec::with_capacity(u64::from(reader.len()).min(file_samples) as usize);
        for s in reader.samples::<i16>() {
            samples.push(s.map_err(|e| err(e.to_string()))?);
        }
        Self::from_samples(samples, spec.sample_rate, realtime)
    }

    /// A source over samples already in memory (tests). Not real-time safe.
    pub fn from_samples(
        samples: Vec<i16>,
        rate: u32,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let period = rate as usize / 100;
        Ok(Self {
            samples,
            rate,
            period,
            pos: 0,
            periods_read: 0,
            pacer: realtime.then(|| Pacer::new(std::time::Duration::from_millis(10))),
            start_ns: now_ns(),
            script: Vec::new(),
            next_script: 0,
        })
    }

    /// Adds scripted commands (sorted here). Not real-time safe.
    pub fn with_script(mut self, mut script: Vec<Scripted>) -> Self {
        script.sort_by_key(|s| s.at_sample);
        self.script = script;
        self
    }

    /// Number of samples in the file.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the file has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

impl CaptureSource for WavSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn period_frames(&self) -> usize {
        self.period
    }

    fn read_period(&mut self, buf: &mut [i16], _tel: &Telemetry) -> Result<Period, CaptureError> {
        if self.pos >= self.samples.len() {
            return Ok(Period::Ended);
        }
        let end = (self.pos + buf.len()).min(self.samples.len());
        let n = end - self.pos;
        buf[..n].copy_from_slice(&self.samples[self.pos..end]);
        buf[n..].fill(0);
        self.pos = end;
        let capture_ns = match &self.pacer {
            Some(p) => {
                p.wait_for(self.periods_read);
                p.due_ns(self.periods_read)
            }
            None => self.start_ns + self.periods_read * 10_000_000,
        };
        self.periods_read += 1;
        Ok(Period::Data { capture_ns })
    }

    fn due_commands(&mut self, period_start: u64, emit: &mut dyn FnMut(Command)) {
        while let Some(s) = self.script.get(self.next_script) {
            if s.at_sample > period_start {
                break;
            }
            emit(s.command);
            self.next_script += 1;
        }
    }
}
