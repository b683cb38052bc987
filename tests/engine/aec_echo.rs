//! Echo cancellation in the engine (issue 9): the generated set (data/aec/,
//! scripts/gen-test-audio.d/aec.sh) through `simulate` with `[aec]` on and off.
//!
//! - ERLE: echo-only segment 2-7 s (after 2 s of convergence) of the encoder input, AEC on
//!   against AEC off (the same engine otherwise, so the resampling and the gate are the same).
//! - SI-SDR of the near-end speech at the encoder input, AEC on and off, against the clean take
//!   through the same engine.
//! - Device mode (`--reference`, a drifting second device): the delay worker's estimate and
//!   the drift in ppm reach report.json, and the echo is still removed.
//!
//! Denoise is off here so that the figures are the canceller's; the engine's default order
//! (canceller before the suppressor) is what runs.

use std::path::{Path, PathBuf};

use ama_engine::simulate::{simulate, GateMode, SimulateArgs};

use crate::support::*;

/// One row of data/aec/cases.tsv.
struct Case {
    name: String,
    delay_ms: f64,
    drift_ppm: f64,
    speech_start: usize,
    speech_end: usize,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(data("aec/cases.tsv")).expect("cases.tsv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                name: f[0].to_owned(),
                delay_ms: f[4].parse().unwrap(),
                drift_ppm: f[6].parse().unwrap(),
                speech_start: f[7].parse().unwrap(),
                speech_end: f[8].parse().unwrap(),
            }
        })
        .collect()
}

fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("case {name} missing"))
}

/// Writes mic and reference as one 2-channel 48 kHz WAV (channel 1: reference).
fn two_channel(dir: &Path, name: &str) -> PathBuf {
    let (mic, rate) = read_wav(&data(&format!("aec/{name}-mic.wav")));
    let (reference, _) = read_wav(&data(&format!("aec/{name}-ref.wav")));
    let path = dir.join(format!("{name}-2ch.wav"));
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("create wav");
    for (i, m) in mic.iter().enumerate() {
        w.write_sample(*m).unwrap();
        w.write_sample(reference.get(i).copied().unwrap_or(0))
            .unwrap();
    }
    w.finalize().unwrap();
    path
}

/// Runs the engine (gate always, denoise off) and returns the 16 kHz encoder input and the
/// report.
fn engine(
    input: &Path,
    aec: &str,
    reference: Option<&Path>,
    dir: &Path,
) -> (Vec<f32>, ama_engine::report::Report) {
    let cfg = config(&format!(
        "[denoise]\nenabled = false\n\n[gate]\nmax_utterance_ms = 30000\n\n[aec]\n{aec}\n"
    ));
    let mut args = SimulateArgs::new(cfg, input, dir)
        .gate(GateMode::Always)
        .pcm(true);
    args.reference = reference.map(Path::to_path_buf);
    let report = simulate(&args, None).expect("simulate");
    let st = &report.streams[0];
    let (pcm, rate) = read_wav(&dir.join(st.file.replace(".ogg", ".wav")));
    assert_eq!(rate, 16_000);
    (pcm.iter().map(|s| f32::from(*s)).collect(), report)
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

/// 10 log10 of the energy ratio off/on over seconds `from`..`to` (16 kHz).
fn erle(off: &[f32], on: &[f32], from: f64, to: f64) -> f64 {
    let (a, b) = ((from * 16_000.0) as usize, (to * 16_000.0) as usize);
    10.0 * (energy(&off[a..b]) / energy(&on[a..b]).max(1e-9)).log10()
}

const ON: &str = "enabled = true\nreference = \"channel\"\nreference_channel = 1";

#[test]
fn aec_removes_25_db_of_echo_after_2_s_and_restores_near_end_speech() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["ch-pop-esr10-d10", "ch-talk-esr10-d60", "ch-pop-esr10-d120"] {
        let c = case(name);
        let input = two_channel(tmp.path(), name);
        let dir = tmp.path().join(name);
        // AEC off: the mic alone (mono).
        let mic = data(&format!("aec/{name}-mic.wav"));
        let (off, _) = engine(&mic, "enabled = false", None, &dir.join("off-mono"));
        let (on, report) = engine(&input, ON, None, &dir.join("on"));
        let erle_db = erle(&off, &on, 2.0, 7.0);
        // The clean near-end take through the same engine: the SI-SDR target.
        let near = data(&format!("aec/{name}-near.wav"));
        let (clean, _) = engine(&near, "enabled = false", None, &dir.join("near"));
        let (s0, s1) = (c.speech_start / 3, c.speech_end / 3);
        let target = &clean[s0..s1];
        let sdr = |x: &[f32]| {
            let (lag, _) = best_lag(target, &x[s0..], 400);
            (si_sdr(target, &x[s0 + lag..s1 + lag]), lag)
        };
        let ((sdr_off, _), (sdr_on, lag)) = (sdr(&off), sdr(&on));
        let aec = report.timing.aec.as_ref().expect("aec telemetry");
        println!(
            "{name}: ERLE 2-7 s {erle_db:.1} dB; SI-SDR near end off {sdr_off:.1} dB, on {sdr_on:.1} dB (lag {lag}); report: removal {:?} dB, ERLE estimate {:?} dB, delay {:?} ms (true {}), reference playing {}",
            aec.echo_removal_db, aec.erle_estimate_db, aec.delay_ms, c.delay_ms, aec.reference_playing
        );
        assert!(erle_db >= 25.0, "{name}: ERLE {erle_db:.1} dB");
        assert!(
            sdr_on >= sdr_off + 1.0,
            "{name}: SI-SDR on {sdr_on:.1} vs off {sdr_off:.1}"
        );
        assert!(aec.reference_playing);
        assert!(aec.echo_removal_db.is_some_and(|d| d > 10.0), "{aec:?}");
        let stage = report
            .timing
            .stages
            .iter()
            .find(|r| r.stage == "aec")
            .unwrap();
        assert!(stage.count > 0);
        println!(
            "{name}: aec stage median {:.1} us per 10 ms (debug build, {:.2} % of the period)",
            stage.median_us, stage.median_percent_of_period
        );
    }
}

#[test]
fn device_reference_reports_delay_and_drift() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["dev-pop-esr10-d180-p100", "dev-talk-esr10-d230-m100"] {
        let c = case(name);
        let mic = data(&format!("aec/{name}-mic.wav"));
        let reference = data(&format!("aec/{name}-ref.wav"));
        let dir = tmp.path().join(name);
        let (off, _) = engine(&mic, "enabled = false", None, &dir.join("off"));
        let on_cfg = "enabled = true\nreference = \"device\"\nreference_device = \"file\"";
        let (on, report) = engine(&mic, on_cfg, Some(&reference), &dir.join("on"));
        let aec = report.timing.aec.as_ref().expect("aec telemetry");
        let erle_db = erle(&off, &on, 2.0, 7.0);
        let late = erle(&off, &on, 14.0, 19.0);
        println!(
            "{name}: ERLE 2-7 s {erle_db:.1} dB, 14-19 s {late:.1} dB; external delay {:?} ms (true {}), drift {:?} ppm (true {}), AEC delay {:?} ms, dropped {}",
            aec.external_delay_ms, c.delay_ms, aec.drift_ppm, c.drift_ppm, aec.delay_ms, aec.worker_dropped
        );
        let d = aec.external_delay_ms.expect("a delay estimate");
        // The delay moves with the drift over 20 s (2 ms at 100 ppm).
        assert!(
            (f64::from(d) - c.delay_ms).abs() < 10.0,
            "{name}: delay {d}"
        );
        assert!(
            erle_db >= 20.0 && late >= 20.0,
            "{name}: {erle_db:.1} / {late:.1} dB"
        );
        if let Some(p) = aec.drift_ppm {
            assert!(
                (f64::from(p) - c.drift_ppm).abs() < 30.0,
                "{name}: drift {p}"
            );
        }
    }
}
