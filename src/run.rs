//! `ama-engine run`: the pipeline from ALSA until SIGINT/SIGTERM/SIGHUP (or `[audio] max_seconds`),
//! with a live status line on a terminal, and the timing table on exit.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dsp::wakeword::WakeWordDetector;
use rt_core::audio::alsa::AlsaSource;
use rt_core::realtime::{self, StartOptions};
use rt_core::telemetry::{Stage, Telemetry};

use crate::config::{AmaLink, Config};
use crate::recorder::Recorder;
use crate::stop_signals::STOP_SIGNALS;

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub config: Config,
    /// Where streams are written when no AMA link is configured.
    pub out: PathBuf,
}

/// One status line: frames, level meter, period timings, overruns.
pub fn status_line(tel: &Telemetry) -> String {
    let level = tel.level_dbfs().max(-90.0);
    let bars = (((level + 90.0) / 90.0) * 20.0).round().clamp(0.0, 20.0) as usize;
    let p = tel.stage(Stage::Period).stats();
    format!(
        "frames {:>6} streams {:>3} [{:<20}] {:>6.1} dBFS  period med {:>6.1} us p99 {:>6.1} us  over {} xruns {} dropped {}",
        tel.frames.load(Ordering::Relaxed),
        tel.streams.load(Ordering::Relaxed),
        "#".repeat(bars),
        level,
        p.median_ns as f64 / 1000.0,
        p.p99_ns as f64 / 1000.0,
        tel.overruns.load(Ordering::Relaxed),
        tel.xruns.load(Ordering::Relaxed),
        tel.dropped.load(Ordering::Relaxed),
    )
}

fn spawn_status(tel: Arc<Telemetry>, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let tty = std::io::stderr().is_terminal();
        let mut last_log = Instant::now();
        while !done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            if tty {
                crate::output::err!("\r{}\x1b[K", status_line(&tel));
            } else if last_log.elapsed() >= Duration::from_secs(5) {
                tracing::info!("{}", status_line(&tel));
                last_log = Instant::now();
            }
        }
        if tty {
            crate::output::errln!();
        }
    })
}

/// Runs the engine. Returns the timing table text.
pub fn run(args: RunArgs, detector: Option<Box<dyn WakeWordDetector>>) -> anyhow::Result<String> {
    let cfg = &args.config;
    // SIGINT, SIGTERM and SIGHUP all make the same clean stop (exit table included); caught
    // from here on, before the device opens, and handed to the real-time thread's stop flag.
    let early = Arc::new(AtomicBool::new(false));
    for sig in STOP_SIGNALS {
        signal_hook::flag::register(sig, early.clone())?;
    }
    let source = AlsaSource::open_with_faults(&cfg.capture_options(), crate::faults::arm())?;
    tracing::info!(device = %cfg.audio.device, negotiated = ?source.negotiated(), "capture open");
    // A duck_control that cannot be used stops the start, like a capture device that cannot.
    let ducker = crate::duck::Ducker::from_config(cfg)?;
    let lookahead =
        dsp::codec::OpusEncoder::new(cfg.opus.codec_bitrate(), cfg.opus.complexity)?.lookahead();
    let max_periods = (cfg.audio.max_seconds > 0.0).then(|| {
        (cfg.audio.max_seconds * f64::from(cfg.audio.rate) / f64::from(cfg.audio.period_frames))
            .ceil() as u64
    });
    let rt = realtime::start(
        &cfg.realtime_options(),
        source,
        detector,
        StartOptions {
            always: false,
            promote: true,
            backpressure: false,
            max_periods,
            pcm_tap: false,
        },
    )?;
    let stop = rt.stop.clone();
    for sig in STOP_SIGNALS {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    if early.load(Ordering::Relaxed) {
        stop.store(true, Ordering::Relaxed);
    }
    let done = Arc::new(AtomicBool::new(false));
    let status = spawn_status(rt.telemetry.clone(), done.clone());
    let mut text = String::new();
    // Without an AMA link, what would be sent goes to Ogg Opus files.
    let (outbound, recorder) = if cfg.ama.link == AmaLink::None {
        let recorder = Recorder::new(&args.out, cfg.audio.rate, lookahead)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let ring = rt.outbound;
        (None, Some(std::thread::spawn(move || recorder.drain(ring))))
    } else {
        (Some(rt.outbound), None)
    };
    let side = crate::side_tasks::SideTasks::new(cfg, rt.telemetry.clone(), status_line);
    let outcome = crate::link_runtime::serve_with(
        cfg,
        crate::link_runtime::RtSide {
            outbound,
            commands: rt.commands,
            stop: stop.clone(),
            join: rt.join,
            ducker,
        },
        || side.spawn(),
    );
    crate::notify::stopping();
    let outcome = outcome?;
    if let Some(rec) = recorder {
        let streams = rec
            .join()
            .map_err(|_| anyhow::anyhow!("the recorder thread panicked"))??;
        text += &crate::recorder::listing(&streams, &args.out);
    }
    done.store(true, Ordering::Relaxed);
    let _ = status.join();
    let snap = rt.telemetry.snapshot();
    text = format!("real-time: {:?}\n{text}", outcome.status);
    text += &snap.table();
    outcome.exit.context("capture failed")?;
    Ok(text)
}
