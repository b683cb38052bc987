//! A WAV file as a capture source (simulate, tests): 16-bit PCM, mono, 16 or 48 kHz; or, for
//! echo cancellation, two channels (microphone, reference: the loopback channel) or a mono
//! microphone plus a second mono file as the reference (a second device).
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
    /// The echo canceller's reference, aligned with `samples` (padded or cut to its length).
    reference: Option<Vec<i16>>,
    /// The reference of the period last read.
    ref_buf: Vec<i16>,
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
    /// Reads `path` (mono). `realtime` paces reads to the clock. Not real-time safe.
    pub fn open(path: &Path, realtime: bool) -> Result<Self, CaptureError> {
        let (samples, rate) = read(path, 1)?;
        Self::from_samples(samples, rate, realtime)
    }

    /// Reads a 2-channel `path`: channel `1 - reference_channel` is the microphone, channel
    /// `reference_channel` (0 or 1) the reference. Not real-time safe.
    pub fn open_with_channel_reference(
        path: &Path,
        reference_channel: usize,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let (interleaved, rate) = read(path, 2)?;
        let mic = interleaved
            .iter()
            .skip(1 - reference_channel.min(1))
            .step_by(2)
            .copied()
            .collect();
        let reference = interleaved
            .iter()
            .skip(reference_channel.min(1))
            .step_by(2)
            .copied()
            .collect();
        Self::from_samples(mic, rate, realtime)?.with_reference(reference)
    }

    /// Reads a mono microphone `path` and a mono reference file `reference` at the same rate
    /// (a second device: not necessarily sample-synchronous). Not real-time safe.
    pub fn open_with_reference_file(
        path: &Path,
        reference: &Path,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let (mic, rate) = read(path, 1)?;
        let (reference_samples, ref_rate) = read(reference, 1)?;
        if ref_rate != rate {
            return Err(CaptureError::File {
                path: reference.display().to_string(),
                message: format!("{ref_rate} Hz; the microphone file is {rate} Hz"),
            });
        }
        Self::from_samples(mic, rate, realtime)?.with_reference(reference_samples)
    }

    /// Adds a reference signal (cut or padded with silence to the microphone's length). Not
    /// real-time safe.
    pub fn with_reference(mut self, mut reference: Vec<i16>) -> Result<Self, CaptureError> {
        reference.resize(self.samples.len(), 0);
        self.reference = Some(reference);
        self.ref_buf = vec![0; self.period];
        Ok(self)
    }
}

/// Reads a 16-bit WAV file with `channels` channels at 16 or 48 kHz (interleaved samples).
fn read(path: &Path, channels: u16) -> Result<(Vec<i16>, u32), CaptureError> {
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
    if spec.channels != channels {
        return Err(err(format!(
            "{} channels; {} required",
            spec.channels,
            if channels == 1 {
                "mono is".to_owned()
            } else {
                format!("{channels} channels (microphone, reference) are")
            }
        )));
    }
    if spec.sample_rate != 16_000 && spec.sample_rate != 48_000 {
        return Err(err(format!(
            "{} Hz; 16000 or 48000 Hz is required",
            spec.sample_rate
        )));
    }
    let samples = reader
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    Ok((samples, spec.sample_rate))
}

impl WavSource {
    /// A source over samples already in memory (tests). Not real-time safe.
    pub fn from_samples(
        samples: Vec<i16>,
        rate: u32,
        realtime: bool,
    ) -> Result<Self, CaptureError> {
        let period = rate as usize / 100;
        Ok(Self {
            samples,
            reference: None,
            ref_buf: Vec::new(),
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
        if let Some(r) = &self.reference {
            let m = n.min(self.ref_buf.len());
            self.ref_buf[..m].copy_from_slice(&r[self.pos..self.pos + m]);
            self.ref_buf[m..].fill(0);
        }
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

    fn reference(&self) -> Option<&[i16]> {
        self.reference.as_ref().map(|_| &self.ref_buf[..])
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
