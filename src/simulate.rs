//! `ama-engine simulate`: the same pipeline and real-time loop, with a WAV file as the
//! capture source (streamed: memory does not grow with the input); streams go to Ogg Opus
//! files and a report.json.
//!
//! Nothing of the input is dropped silently: `--gate always` makes the whole input one stream
//! (`[gate] max_utterance_ms` caps wake-word, tap, press-and-hold and continuation streams
//! only), and every stream's `end_reason` in the report says what ended it. With
//! [`SimulateArgs::signals`] (the command line), SIGINT, SIGTERM and SIGHUP stop the loop like
//! `run`: the open stream is finished as a valid Ogg Opus file with `end_reason` "shutdown",
//! and report.json is written with the signal's name.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dsp::wakeword::WakeWordDetector;
use engine_base::messages::Command;
use rt_core::audio::wav::{Scripted, WavSource};
use rt_core::audio::CaptureSource;
use rt_core::realtime::{self, StartOptions};

use crate::config::{Config, ReferenceSource};
use crate::recorder::Recorder;
use crate::report::Report;
use crate::stop_signals::StopSignals;

/// How streams are opened in a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GateMode {
    /// The wake-word detector and the button script open streams.
    Auto,
    /// The whole input is one stream.
    Always,
}

/// What to simulate. Build it with [`SimulateArgs::new`] and the setters:
///
/// ```
/// # use ama_engine::simulate::{GateMode, SimulateArgs};
/// let args = SimulateArgs::new(Default::default(), "in.wav", "out")
///     .gate(GateMode::Always)
///     .tap_at(1.5)
///     .pcm(true);
/// assert_eq!(args.taps, [1.5]);
/// ```
#[derive(Debug, Clone)]
pub struct SimulateArgs {
    pub config: Config,
    pub input: PathBuf,
    pub out: PathBuf,
    pub gate: GateMode,
    pub realtime: bool,
    /// Tap times in seconds.
    pub taps: Vec<f64>,
    /// Press-and-hold intervals in seconds.
    pub holds: Vec<(f64, f64)>,
    /// Also write each stream's 16 kHz PCM as handed to the encoder (stream-NNN.wav).
    pub pcm: bool,
    /// The echo canceller's reference as a second mono file (`[aec] reference = "device"`).
    pub reference: Option<PathBuf>,
    /// Stop cleanly on SIGINT/SIGTERM/SIGHUP (the command line; off for library callers).
    pub signals: bool,
}

impl SimulateArgs {
    /// `input` through the pipeline of `config`, written to `out`: streams opened by the
    /// detector (`GateMode::Auto`), as fast as the machine allows, no button script, no PCM.
    pub fn new(config: Config, input: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        Self {
            config,
            input: input.into(),
            out: out.into(),
            gate: GateMode::Auto,
            realtime: false,
            taps: Vec::new(),
            holds: Vec::new(),
            pcm: false,
            reference: None,
            signals: false,
        }
    }

    /// How streams are opened.
    pub fn gate(mut self, gate: GateMode) -> Self {
        self.gate = gate;
        self
    }

    /// Pace the input to real time (and promote the thread).
    pub fn realtime(mut self, on: bool) -> Self {
        self.realtime = on;
        self
    }

    /// Taps the button at `seconds` (repeatable).
    pub fn tap_at(mut self, seconds: f64) -> Self {
        self.taps.push(seconds);
        self
    }

    /// Presses and holds the button from `from` to `to` seconds (repeatable).
    pub fn hold(mut self, from: f64, to: f64) -> Self {
        self.holds.push((from, to));
        self
    }

    /// Also write each stream's 16 kHz PCM (stream-NNN.wav).
    pub fn pcm(mut self, on: bool) -> Self {
        self.pcm = on;
        self
    }

    /// Stop cleanly on SIGINT, SIGTERM and SIGHUP (see the module doc); the handlers are
    /// installed for the simulation only.
    pub fn signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }
}

/// Parses `FROM-TO` (seconds) for `--hold`.
pub fn parse_hold(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}`: expected FROM-TO in seconds, e.g. 1.5-4"))?;
    let from: f64 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a number"))?;
    let to: f64 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` is not a number"))?;
    if !(from >= 0.0 && to > from) {
        return Err(format!("`{s}`: need 0 <= FROM < TO"));
    }
    Ok((from, to))
}

fn script(rate: u32, taps: &[f64], holds: &[(f64, f64)]) -> Vec<Scripted> {
    let at = |s: f64| (s * f64::from(rate)).round() as u64;
    let mut v: Vec<Scripted> = taps
        .iter()
        .map(|&t| Scripted {
            at_sample: at(t),
            command: Command::Tap,
        })
        .collect();
    for &(from, to) in holds {
        v.push(Scripted {
            at_sample: at(from),
            command: Command::Press,
        });
        v.push(Scripted {
            at_sample: at(to),
            command: Command::Release,
        });
    }
    v
}

/// Runs a simulation with an optional detector and returns the report (also written to
/// `out/report.json`).
pub fn simulate(
    args: &SimulateArgs,
    detector: Option<Box<dyn WakeWordDetector>>,
) -> anyhow::Result<Report> {
    // Caught from here on, before the input opens; handed to the loop's stop flag below.
    let mut signals = args.signals.then(StopSignals::install).transpose()?;
    let source = open_source(args)?;
    let rate = source.rate();
    let input_samples = source.len() as u64;
    let source = source.with_script(script(rate, &args.taps, &args.holds));
    let cfg = &args.config;
    let lookahead =
        dsp::codec::OpusEncoder::new(cfg.opus.codec_bitrate(), cfg.opus.complexity)?.lookahead();
    let recorder = Recorder::new(&args.out, rate, lookahead)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let opts = StartOptions {
        always: args.gate == GateMode::Always,
        promote: args.realtime,
        backpressure: !args.realtime,
        max_periods: None,
        pcm_tap: args.pcm,
    };
    let detector = if args.gate == GateMode::Always {
        None
    } else {
        detector
    };
    let rt = realtime::start(&cfg.realtime_options(), source, detector, opts)?;
    if let Some(s) = signals.as_mut() {
        s.forward_to(&rt.stop)?;
    }
    let tel = rt.telemetry.clone();
    let outbound = rt.outbound;
    let recorder = match rt.pcm {
        Some(tap) => recorder.with_pcm(tap),
        None => recorder,
    };
    let rec = std::thread::Builder::new()
        .name("ama-recorder".into())
        .spawn(move || recorder.drain(outbound))?;
    let outcome = rt
        .join
        .join()
        .map_err(|_| anyhow::anyhow!("the real-time thread panicked"))?;
    let streams = rec
        .join()
        .map_err(|_| anyhow::anyhow!("the recorder thread panicked"))??;
    let timing = tel.snapshot();
    let signal = signals.as_ref().and_then(StopSignals::received);
    let report = Report {
        input: args.input.display().to_string(),
        input_rate: rate,
        input_samples,
        gate: match args.gate {
            GateMode::Auto => "auto",
            GateMode::Always => "always",
        },
        max_utterance_ms: cfg.gate.max_utterance_ms,
        signal: signal.map(crate::stop_signals::name),
        signal_number: signal,
        peak_rss_kib: Report::peak_rss_kib(),
        denoise: cfg.denoise.enabled,
        opus_bitrate: cfg.opus.bitrate,
        opus_complexity: cfg.opus.complexity,
        exit: outcome.exit.as_ref().ok().copied(),
        error: outcome.exit.as_ref().err().map(|e| e.to_string()),
        realtime: outcome.status,
        streams,
        latency: Report::latency(outcome.algorithmic_latency_us, &timing),
        timing,
    };
    report.write(&args.out.join("report.json"))?;
    if let Err(e) = outcome.exit {
        bail!("capture failed: {e}");
    }
    Ok(report)
}

/// The input as a capture source: mono; with `[aec]` on, 2 channels (microphone, reference
/// on `reference_channel`) for reference = "channel", or mono plus `--reference` for
/// reference = "device".
fn open_source(args: &SimulateArgs) -> anyhow::Result<WavSource> {
    let aec = &args.config.aec;
    Ok(match (aec.enabled, aec.reference, &args.reference) {
        (true, _, Some(reference)) => {
            WavSource::open_with_reference_file(&args.input, reference, args.realtime)?
        }
        (true, ReferenceSource::Channel, None) => WavSource::open_with_channel_reference(
            &args.input,
            aec.reference_channel.min(1) as usize,
            args.realtime,
        )?,
        (true, ReferenceSource::Device, None) => {
            bail!("[aec] reference = \"device\" needs --reference REF.wav in simulate")
        }
        (false, _, Some(_)) => bail!("--reference needs [aec] enabled = true"),
        (false, _, None) => WavSource::open(&args.input, args.realtime)?,
    })
}

/// Human summary of a simulation.
pub fn summary(report: &Report, out: &Path) -> String {
    let mut s = crate::recorder::listing(&report.streams, out);
    s += &report.timing.table();
    s
}
