//! Wake-word recall while the speaker plays music (issue 9): the wake-word takes of the test
//! set (16 kHz, every other clean "pos" take: 12) with the echo of generated music at 0, +10
//! and +20 dB echo-to-speech, through `simulate` with the real detector: AEC off, and on with
//! AEC3's 52 ms filter or the default 150 ms one, the detector hearing the suppressed or the
//! linear output; against the no-music recall of the same takes at the same level (the take and
//! its echo are scaled together so that nothing clips). Two materials: the 120 ms drum loop of
//! data/aec/ 3 s before each take (the canceller has not converged; AEC3 alone mis-locks on it)
//! and the ten-minute programme of data/aec-long/ 12 s before (converged). False rejects:
//! takes found without music but not with it. False wakes: the echo only of all generated
//! cases (124 s, every run) and the ten-minute programme of music and radio talk with near
//! misses, with and without the canceller (ignored: release, a minute per configuration).
//!
//! Measured (release; figures in README, "Echo cancellation"): no music 6-7/12 at the scaled
//! level (8/12 at the takes' own level, the same 8 pymicro-wakeword finds); at +10 dB after
//! 12 s of music the best configuration finds 3/12 (150 ms, suppressed output), at +20 dB at
//! most 1/12; 0 false wakes in 10 minutes with or without AEC and on the 124 s. The recall
//! targets (>= 90 % of the no-music recall, <= 15 % false rejects) are NOT met, so the recall
//! tests are `#[ignore]`d: run them with `--ignored --nocapture` in release (about 200
//! simulate runs each, 2-3 minutes).

use std::path::Path;

use ama_engine::config::{AecDetectorInput, Config, WakeWordConfig};
use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use dsp::aec::AEC3_FILTER_LENGTH_MS;
use rt_core::aec::DEFAULT_FILTER_LENGTH_MS;
use rt_core::wakeword::build_detector;
use test_support::wakeword as wakeword_support;

use crate::support::*;

/// How the take is run: no echo canceller, or one whose detector hears the given output, with
/// AEC3's filters this long (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Aec {
    Off,
    On(AecDetectorInput, u32),
}

fn config(aec: Aec) -> Config {
    let (enabled, input, filter) = match aec {
        Aec::Off => (false, AecDetectorInput::DEFAULT, AEC3_FILTER_LENGTH_MS),
        Aec::On(i, f) => (true, i, f),
    };
    let input = match input {
        AecDetectorInput::Linear => "linear",
        AecDetectorInput::Suppressed => "suppressed",
    };
    let mut cfg = crate::support::config(&format!(
        "[aec]\nenabled = {enabled}\nreference = \"channel\"\nreference_channel = 1\n\
         detector_input = \"{input}\"\nfilter_length_ms = {filter}\n"
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
const MODES: [Aec; 5] = [
    Aec::Off,
    Aec::On(AecDetectorInput::Suppressed, AEC3_FILTER_LENGTH_MS),
    Aec::On(AecDetectorInput::Linear, AEC3_FILTER_LENGTH_MS),
    Aec::On(AecDetectorInput::Suppressed, DEFAULT_FILTER_LENGTH_MS),
    Aec::On(AecDetectorInput::Linear, DEFAULT_FILTER_LENGTH_MS),
];

fn label(aec: Aec) -> String {
    match aec {
        Aec::Off => "AEC off".into(),
        Aec::On(AecDetectorInput::Suppressed, f) => {
            format!("AEC on, {f} ms filter, detector hears the suppressed output")
        }
        Aec::On(AecDetectorInput::Linear, f) => {
            format!("AEC on, {f} ms filter, detector hears the linear output")
        }
    }
}

/// The clean takes of the recall set: every other clean "pos" take (12).
fn takes() -> (std::path::PathBuf, Vec<String>) {
    let dir = wakeword_support::installed("data/wakeword");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).unwrap();
    let takes = labels
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|n| n.starts_with("pos-") && n.ends_with("-clean.wav"))
        .step_by(2)
        .map(str::to_owned)
        .collect();
    (dir, takes)
}

/// Echo-to-speech ratios measured, dB: the issue's +10 and +20, and 0 (where the detector
/// still copes without the canceller or not).
const ESRS: [f64; 3] = [0.0, 10.0, 20.0];

/// The loudest microphone sample the mix may have (16-bit scale).
const HEADROOM: f32 = 0.9 * 32_767.0;

/// Hits per echo-to-speech ratio ([`ESRS`]) and mode ([`MODES`]).
type Hits = [[usize; MODES.len()]; ESRS.len()];

/// Recall of the takes with `echo` (its `reference`) under them at each of [`ESRS`] after
/// `lead_s` of echo alone, in every mode; prints the figures and returns (no-music hits, hits).
fn recall(echo: &[f32], reference: &[f32], lead_s: usize) -> (usize, Hits) {
    let (dir, takes) = takes();
    let tmp = tempfile::tempdir().unwrap();
    let lead = lead_s * 16_000;
    let (mut quiet_hits, mut loud_hits, mut scale_db) = (0, 0, 0.0);
    let mut hits: Hits = [[0; MODES.len()]; ESRS.len()];
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
        let span = echo
            .len()
            .checked_sub(len)
            .expect("echo material too short")
            + 1;
        let off = (i * 8_000) % span;
        let e = &echo[off..off + len];
        let r = &reference[off..off + len];
        let p_echo = e.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / len as f64;
        let clean: Vec<f32> = std::iter::repeat_n(0.0, lead)
            .chain(speech.iter().copied())
            .chain(std::iter::repeat_n(0.0, 32_000))
            .collect();
        // The echo at the loudest ratio must not clip (a clipped echo is not linear in the
        // reference: no canceller removes it; before, +10 and +20 dB clipped hard): the take
        // and its echo are scaled down together, the same for every ratio and for the
        // no-music run, as a far talker beside a loud loudspeaker.
        let gains: Vec<f32> = ESRS
            .iter()
            .map(|esr| (p_speech * 10f64.powf(esr / 10.0) / p_echo).sqrt() as f32)
            .collect();
        let peak = gains
            .iter()
            .flat_map(|g| clean.iter().zip(e).map(move |(s, v)| (s + g * v).abs()))
            .fold(1.0f32, f32::max);
        let scale = (HEADROOM / peak).min(1.0);
        scale_db += 20.0 * f64::from(scale).log10();
        let name = format!("t{i}");
        let loud = detections(
            tmp.path(),
            &format!("{name}-l"),
            &to_i16(&clean),
            &[],
            Aec::Off,
        );
        loud_hits += usize::from(loud > 0);
        let clean: Vec<f32> = clean.iter().map(|s| s * scale).collect();
        let quiet = to_i16(&clean);
        let found = detections(tmp.path(), &format!("{name}-q"), &quiet, &[], Aec::Off) > 0;
        quiet_hits += usize::from(found);
        let rf = to_i16(r);
        for (k, (esr, g)) in ESRS.iter().zip(&gains).enumerate() {
            let g = g * scale;
            let mic: Vec<f32> = clean.iter().zip(e).map(|(s, v)| s + g * v).collect();
            let mic = to_i16(&mic);
            for (j, aec) in MODES.into_iter().enumerate() {
                let d = detections(tmp.path(), &format!("{name}-{esr}-{j}"), &mic, &rf, aec);
                hits[k][j] += usize::from(d > 0);
            }
        }
    }
    let n = takes.len();
    let pct = |h: usize| 100.0 * h as f64 / n as f64;
    println!(
        "recall over {n} takes after {lead_s} s of music: no music {quiet_hits}/{n} ({:.0} %) \
         at the level the takes have under music (scaled {:.1} dB on average so that the \
         echo does not clip), {loud_hits}/{n} at their own level",
        pct(quiet_hits),
        scale_db / n as f64
    );
    for (k, esr) in ESRS.iter().enumerate() {
        for (j, aec) in MODES.into_iter().enumerate() {
            let h = hits[k][j];
            println!("  {esr:+} dB, {}: {h}/{n} ({:.0} %)", label(aec), pct(h));
        }
    }
    (quiet_hits, hits)
}

/// The targets at +10 dB for the default configuration's figures.
fn assert_targets(quiet: usize, hits: &Hits) {
    let j = MODES
        .iter()
        .position(|m| *m == Aec::On(AecDetectorInput::DEFAULT, DEFAULT_FILTER_LENGTH_MS))
        .unwrap();
    let at10 = hits[ESRS.iter().position(|e| *e == 10.0).unwrap()][j];
    assert!(
        at10 as f64 >= 0.9 * quiet as f64,
        "recall at +10 dB with AEC under 90 % of the no-music recall: {quiet} {hits:?}"
    );
    // False rejects while playing: takes the detector finds without music but not with it.
    assert!(
        (quiet - at10.min(quiet)) as f64 <= 0.15 * quiet as f64,
        "false rejects at +10 dB: {quiet} {hits:?}"
    );
}

#[test]
#[ignore = "recall targets with music not met yet (see the module doc)"]
fn recall_with_music_at_10_and_20_db() {
    // The drum loop with 120 ms of delay, 3 s before each take (the hardest case: AEC3 alone
    // mis-locks on it; the delay worker corrects it after about 1.4 s).
    let (echo, reference) = echo_and_reference("ch-pop-esr10-d120");
    let (quiet, hits) = recall(&echo, &reference, 3);
    assert_targets(quiet, &hits);
}

#[test]
#[ignore = "recall targets with music not met yet (see the module doc)"]
fn recall_with_music_playing_for_a_while() {
    // The ten-minute programme (60 ms delay, RT60 200 ms), 12 s before each take: the canceller
    // has converged, as when music has been playing for a while.
    let (echo, reference) = long_echo_and_reference();
    let (quiet, hits) = recall(&echo, &reference, 12);
    assert_targets(quiet, &hits);
}

/// data/aec-long/ (16 kHz): the echo as the mic hears it, and the programme.
fn long_echo_and_reference() -> (Vec<f32>, Vec<f32>) {
    let (echo, rate) = read_wav(&data("aec-long/echo.wav"));
    assert_eq!(rate, 16_000);
    let (programme, _) = read_wav(&data("aec-long/programme.wav"));
    (f32s(&echo), f32s(&programme))
}

/// False wakes in ten minutes of music and radio talk full of near misses (data/aec-long/):
/// without the canceller (the mic alone) and with it (AEC3's 52 ms filter and the default
/// 150 ms one, the detector hearing either output).
#[test]
#[ignore = "ten minutes through simulate four times: run in release with --ignored"]
fn false_wakes_in_ten_minutes_of_music_and_radio_talk() {
    let (echo, programme) = long_echo_and_reference();
    let minutes = echo.len() as f64 / 16_000.0 / 60.0;
    let tmp = tempfile::tempdir().unwrap();
    let (mic, reference) = (to_i16(&echo), to_i16(&programme));
    let mut on = 0;
    for aec in [
        Aec::Off,
        Aec::On(AecDetectorInput::DEFAULT, AEC3_FILTER_LENGTH_MS),
        Aec::On(AecDetectorInput::DEFAULT, DEFAULT_FILTER_LENGTH_MS),
        Aec::On(AecDetectorInput::Linear, DEFAULT_FILTER_LENGTH_MS),
    ] {
        let n = detections(tmp.path(), "long", &mic, &reference, aec);
        println!(
            "false wakes in {minutes:.0} minutes of music and radio talk, {}: {n}",
            label(aec)
        );
        if aec == Aec::On(AecDetectorInput::DEFAULT, DEFAULT_FILTER_LENGTH_MS) {
            on = n;
        }
    }
    assert_eq!(on, 0);
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
            Aec::On(AecDetectorInput::DEFAULT, DEFAULT_FILTER_LENGTH_MS),
        );
    }
    println!(
        "false wakes on {seconds:.0} s of music and radio talk (echo only, AEC on): {false_wakes}"
    );
    assert_eq!(false_wakes, 0);
}
