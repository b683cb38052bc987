//! Wake-word recall while the speaker plays music (issue 9): the wake-word takes of the test
//! set (16 kHz, every other clean "pos" take: 12) with the echo of the generated pop programme
//! (data/aec/, the 120 ms drum-loop case: mic minus near end) at +10 and +20 dB echo-to-speech,
//! after 3 s of echo alone (the canceller converges), through `simulate` with the real detector:
//! AEC off, on with the detector hearing the suppressed output, and on with it hearing the
//! linear output; against the no-music recall on the same takes. False rejects: takes found
//! without music but not with it. And false wakes on the echo-only versions of all generated
//! cases (pop and radio talk with near-miss words). Printed figures.
//!
//! Measured (debug build; 2 s after each take): no music 8/12 (67 %; the reference
//! pymicro-wakeword finds the same 8/12 in these files; 42 % before the 16 kHz capture fed the
//! detector directly); +10 dB: AEC off 0 %, linear output 0 of the 8, suppressed output 1 of
//! the 2 re-measured (17 % of 12 before); +20 dB: 0 %. 0 false wakes on 124 s. The recall
//! targets (>= 90 % of the no-music recall, <= 15 % false rejects) are NOT met, so the recall
//! test is `#[ignore]`d: run it with `--ignored --nocapture` (in release: about 90 simulate
//! runs).

use std::path::Path;

use ama_engine::config::{AecDetectorInput, Config, WakeWordConfig};
use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use rt_core::wakeword::build_detector;
use test_support::wakeword as wakeword_support;

use crate::support::*;

const LEAD_S: usize = 3;

/// How the take is run: no echo canceller, or one whose detector hears the given output.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Aec {
    Off,
    On(AecDetectorInput),
}

fn config(aec: Aec) -> Config {
    let (enabled, input) = match aec {
        Aec::Off => (false, AecDetectorInput::DEFAULT),
        Aec::On(i) => (true, i),
    };
    let input = match input {
        AecDetectorInput::Linear => "linear",
        AecDetectorInput::Suppressed => "suppressed",
    };
    let mut cfg = crate::support::config(&format!(
        "[aec]\nenabled = {enabled}\nreference = \"channel\"\nreference_channel = 1\n\
         detector_input = \"{input}\"\n"
    ));
    cfg.wakeword = WakeWordConfig {
        model: wakeword_support::installed("models/alexa.json"),
        runtime: wakeword_support::installed("models/libtensorflowlite_c.so"),
        ..WakeWordConfig::default()
    };
    cfg
}

fn write_2ch(path: &Path, mic: &[i16], reference: &[i16]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for (m, r) in mic.iter().zip(reference) {
        w.write_sample(*m).unwrap();
        w.write_sample(*r).unwrap();
    }
    w.finalize().unwrap();
}

/// Detections (streams opened by the detector) for `mic` (+ `reference` with AEC).
fn detections(dir: &Path, name: &str, mic: &[i16], reference: &[i16], aec: Aec) -> usize {
    let cfg = config(aec);
    let input = dir.join(format!("{name}.wav"));
    if aec != Aec::Off {
        write_2ch(&input, mic, reference);
    } else {
        write_wav(&input, mic, 16_000);
    }
    let out = dir.join(format!("{name}-out"));
    let detector = build_detector(&cfg.wakeword.options()).expect("detector");
    let args = SimulateArgs::new(cfg, &input, &out).gate(GateMode::Auto);
    let report = simulate(&args, Some(detector)).expect("simulate");
    report.timing.detections as usize
}

fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|v| v.clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn f32s(x: &[i16]) -> Vec<f32> {
    x.iter().map(|v| f32::from(*v)).collect()
}

/// The echo alone (mic minus near end) and the reference of a case, at 16 kHz.
fn echo_and_reference(case: &str) -> (Vec<f32>, Vec<f32>) {
    let (mic, _) = read_wav(&data(&format!("aec/{case}-mic.wav")));
    let (near, _) = read_wav(&data(&format!("aec/{case}-near.wav")));
    let (reference, _) = read_wav(&data(&format!("aec/{case}-ref.wav")));
    let echo: Vec<f32> = mic
        .iter()
        .zip(&near)
        .map(|(m, n)| f32::from(*m) - f32::from(*n))
        .collect();
    (to_16k(&echo), to_16k(&f32s(&reference)))
}

/// The modes measured with music, in the order of the printed figures.
const MODES: [Aec; 3] = [
    Aec::Off,
    Aec::On(AecDetectorInput::Suppressed),
    Aec::On(AecDetectorInput::Linear),
];

fn label(aec: Aec) -> &'static str {
    match aec {
        Aec::Off => "AEC off",
        Aec::On(AecDetectorInput::Suppressed) => "AEC on (detector hears the suppressed output)",
        Aec::On(AecDetectorInput::Linear) => "AEC on (detector hears the linear output)",
    }
}

#[test]
#[ignore = "recall targets with music not met yet (see the module doc)"]
fn recall_with_music_at_10_and_20_db() {
    let dir = wakeword_support::installed("data/wakeword");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).unwrap();
    let takes: Vec<String> = labels
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|n| n.starts_with("pos-") && n.ends_with("-clean.wav"))
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let (echo, reference) = echo_and_reference("ch-pop-esr10-d120");
    let tmp = tempfile::tempdir().unwrap();
    let lead = LEAD_S * 16_000;
    // hits[0]: no music; hits[1 + k * MODES.len() + j]: echo-to-speech k (+10, +20), mode j.
    let mut hits = [0usize; 1 + 2 * MODES.len()];
    for (i, take) in takes.iter().enumerate() {
        let (speech, rate) = read_wav(&dir.join(take));
        assert_eq!(rate, 16_000);
        let speech = f32s(&speech);
        let active: Vec<f64> = speech
            .iter()
            .filter(|s| s.abs() > 100.0)
            .map(|s| f64::from(*s).powi(2))
            .collect();
        let p_speech = active.iter().sum::<f64>() / active.len().max(1) as f64;
        // 2 s after the take: the detector (on its own thread) reports after the word.
        let len = lead + speech.len() + 32_000;
        // A different stretch of the programme for each take.
        let off = (i * 8_000) % (echo.len() - len).max(1);
        let e = &echo[off..off + len];
        let r = &reference[off..off + len];
        let p_echo = e.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / len as f64;
        let clean: Vec<f32> = std::iter::repeat_n(0.0, lead)
            .chain(speech.iter().copied())
            .chain(std::iter::repeat_n(0.0, 32_000))
            .collect();
        let name = format!("t{i}");
        let quiet = to_i16(&clean);
        hits[0] +=
            usize::from(detections(tmp.path(), &format!("{name}-q"), &quiet, &[], Aec::Off) > 0);
        for (k, esr) in [10.0f64, 20.0].iter().enumerate() {
            let g = (p_speech * 10f64.powf(esr / 10.0) / p_echo).sqrt() as f32;
            let mic: Vec<f32> = clean.iter().zip(e).map(|(s, v)| s + g * v).collect();
            let rf: Vec<f32> = r.iter().map(|v| v * g.min(1.0)).collect();
            let (mic, rf) = (to_i16(&mic), to_i16(&rf));
            for (j, aec) in MODES.into_iter().enumerate() {
                let d = detections(tmp.path(), &format!("{name}-{esr}-{j}"), &mic, &rf, aec);
                hits[1 + k * MODES.len() + j] += usize::from(d > 0);
            }
        }
    }
    let n = takes.len();
    let pct = |h: usize| 100.0 * h as f64 / n as f64;
    println!(
        "recall over {n} takes: no music {}/{n} ({:.0} %)",
        hits[0],
        pct(hits[0])
    );
    for (k, esr) in ["+10", "+20"].iter().enumerate() {
        for (j, aec) in MODES.into_iter().enumerate() {
            let h = hits[1 + k * MODES.len() + j];
            println!("  {esr} dB, {}: {h}/{n} ({:.0} %)", label(aec), pct(h));
        }
    }
    let default = 1 + MODES
        .iter()
        .position(|m| *m == Aec::On(AecDetectorInput::DEFAULT))
        .unwrap();
    let (at10, at20) = (hits[default], hits[default + MODES.len()]);
    assert!(
        at10 as f64 >= 0.9 * hits[0] as f64,
        "recall at +10 dB with AEC under 90 % of the no-music recall: {hits:?}"
    );
    // False rejects while playing: takes the detector finds without music but not with it.
    assert!(
        (hits[0] - at10.min(hits[0])) as f64 <= 0.15 * hits[0] as f64,
        "false rejects at +10 dB: {hits:?}"
    );
    let _ = at20;
}

#[test]
fn no_false_wakes_on_music_and_radio_talk_with_aec() {
    let tmp = tempfile::tempdir().unwrap();
    // False wakes: the echo alone of every generated case (pop, radio talk), AEC on.
    let text = std::fs::read_to_string(data("aec/cases.tsv")).unwrap();
    let mut false_wakes = 0;
    let mut seconds = 0.0;
    for case in text.lines().skip(1).filter_map(|l| l.split('\t').next()) {
        let (e, r) = echo_and_reference(case);
        seconds += e.len() as f64 / 16_000.0;
        false_wakes += detections(
            tmp.path(),
            &format!("fw-{case}"),
            &to_i16(&e),
            &to_i16(&r),
            Aec::On(AecDetectorInput::DEFAULT),
        );
    }
    println!(
        "false wakes on {seconds:.0} s of music and radio talk (echo only, AEC on): {false_wakes}"
    );
    assert_eq!(false_wakes, 0);
}
