//! Wake-word recall while the speaker plays music (issue 9). The 24 clean wake-word takes of
//! the test set are spoken one every 20 s over the ten-minute programme of data/aec-long/
//! (music and radio talk full of near misses, through a synthetic room; the first take after
//! 20 s of music, as on a speaker that has been playing for a while), each at 0, +10 or +20 dB
//! echo-to-speech (the echo's power over the take against the take's speech), and go through
//! `simulate` once per configuration with the real detector: the canceller off, and on with
//! the detector hearing AEC3's suppressed output or its linear filter's, with the model's
//! cutoff or the playback cutoff while the reference plays. Against the no-music recall: the
//! same takes at the same levels over the microphone's noise floor alone (data/aec-long/
//! noise.wav). False rejects: takes found without music but not with it. False wakes: every
//! detection outside a take, in the same runs (about 500 s of programme each); plus the echo
//! only of all generated cases (124 s) and the whole ten-minute programme with and without the
//! canceller (ignored: release, a minute per configuration).
//!
//! A full-speed `simulate` waits for the detector's and the delay worker's threads between
//! periods, so every run repeats exactly; the figures hold on this machine's CPU (AEC3's SIMD
//! kernels are chosen at run time). Measured (release; docs/echo-cancellation.md): at
//! +10 dB the defaults (linear output, 150 ms filter, cutoff 0.8 while playing) find 23 of 24
//! takes, the no-music run 23 (1 false reject), the canceller off 0; at +20 dB 19 against 20;
//! 0 false wakes anywhere. The recall runs take about a minute per ratio in release and far
//! too long in debug: `scripts/test.sh` runs them in release.

use std::path::Path;

use ama_engine::config::{AecDetectorInput, Config, WakeWordConfig};
use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use rt_core::aec::{DEFAULT_FILTER_LENGTH_MS, DEFAULT_PLAYBACK_CUTOFF};
use rt_core::wakeword::build_detector;
use test_support::wakeword as wakeword_support;

use crate::support::*;

/// How the take is run: no echo canceller, or one whose detector hears the given output, with
/// AEC3's filters this long (ms) and this wake-word cutoff while the reference plays (1.0: the
/// model's own, 0.9).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Aec {
    Off,
    On(AecDetectorInput, u32, f32),
}

/// The engine's defaults.
const DEFAULT_ON: Aec = Aec::On(
    AecDetectorInput::DEFAULT,
    DEFAULT_FILTER_LENGTH_MS,
    DEFAULT_PLAYBACK_CUTOFF,
);

fn config(aec: Aec) -> Config {
    let (enabled, input, filter, cutoff) = match aec {
        Aec::Off => (
            false,
            AecDetectorInput::DEFAULT,
            DEFAULT_FILTER_LENGTH_MS,
            1.0,
        ),
        Aec::On(i, f, c) => (true, i, f, c),
    };
    let input = match input {
        AecDetectorInput::Linear => "linear",
        AecDetectorInput::Suppressed => "suppressed",
    };
    let mut cfg = crate::support::config(&format!(
        "[aec]\nenabled = {enabled}\nreference = \"channel\"\nreference_channel = 1\n\
         detector_input = \"{input}\"\nfilter_length_ms = {filter}\n\
         playback_cutoff = {cutoff:?}\n"
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

/// The configurations measured with music, in the order of the printed figures: the
/// canceller off; on, the detector hearing AEC3's suppressed output (as the encoder) or its
/// linear filter's output, with the default filter and others.
const MODES: [Aec; 5] = [
    Aec::Off,
    Aec::On(AecDetectorInput::Suppressed, DEFAULT_FILTER_LENGTH_MS, 1.0),
    Aec::On(AecDetectorInput::Linear, DEFAULT_FILTER_LENGTH_MS, 1.0),
    DEFAULT_ON,
    Aec::On(AecDetectorInput::Linear, 200, DEFAULT_PLAYBACK_CUTOFF),
];

fn label(aec: Aec) -> String {
    match aec {
        Aec::Off => "AEC off".into(),
        Aec::On(input, f, c) => {
            let input = match input {
                AecDetectorInput::Suppressed => "suppressed",
                AecDetectorInput::Linear => "linear",
            };
            let cutoff = if c < 1.0 {
                format!("cutoff {c} while playing")
            } else {
                "the model's cutoff".into()
            };
            let default = if aec == DEFAULT_ON { " (default)" } else { "" };
            format!("AEC on, {f} ms filter, detector hears the {input} output, {cutoff}{default}")
        }
    }
}

/// Every clean "pos" take of the wake-word test set (24: six voices, two speeds, two
/// pitches).
fn takes() -> (std::path::PathBuf, Vec<String>) {
    let dir = wakeword_support::installed("data/wakeword");
    let labels = std::fs::read_to_string(dir.join("labels.tsv")).unwrap();
    let takes = labels
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|n| n.starts_with("pos-") && n.ends_with("-clean.wav"))
        .map(str::to_owned)
        .collect();
    (dir, takes)
}

/// Music before the first take, s: the canceller's linear filter converges in 10-20 s
/// (docs/echo-cancellation.md).
const LEAD_S: usize = 20;
/// One take every this many seconds: a take lasts 3-4 s and a detection's stream ends by
/// then, so each take meets a listening detector.
const EVERY_S: usize = 20;
/// A detection counts for a take when it ends within the take or this long after it, s.
const AFTER_S: f64 = 1.5;

/// The talker's takes in one track, at `esr_db` under the echo of `echo` (per take: the echo's
/// power over the take against the take's active speech), and each take's window (s).
fn near_end(echo: &[f32], esr_db: f64) -> (Vec<f32>, Vec<(f64, f64)>) {
    let (dir, takes) = takes();
    let len = (LEAD_S + EVERY_S * takes.len()) * 16_000;
    let mut near = vec![0.0f32; len];
    let mut windows = Vec::new();
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
        let at = (LEAD_S + EVERY_S * i) * 16_000;
        let p_echo = mean_square(&echo[at..at + speech.len()]);
        let g = (p_echo / 10f64.powf(esr_db / 10.0) / p_speech).sqrt() as f32;
        for (n, s) in near[at..].iter_mut().zip(&speech) {
            *n = g * s;
        }
        let (from, to) = (at, at + speech.len());
        windows.push((from as f64 / 16_000.0, to as f64 / 16_000.0 + AFTER_S));
    }
    (near, windows)
}

fn mean_square(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

/// The end of each wake word the detector found in one `simulate` run, s.
fn wake_words(dir: &Path, name: &str, mic: &[f32], reference: &[f32], aec: Aec) -> Vec<f64> {
    let cfg = config(aec);
    let input = dir.join(format!("{name}.wav"));
    if aec == Aec::Off {
        write_wav(&input, &to_i16(mic), 16_000);
    } else {
        write_2ch(&input, &to_i16(mic), &to_i16(reference));
    }
    let out = dir.join(format!("{name}-out"));
    let detector = build_detector(&cfg.wakeword.options()).expect("detector");
    let args = SimulateArgs::new(cfg, &input, &out).gate(GateMode::Auto);
    let report = simulate(&args, Some(detector)).expect("simulate");
    report
        .streams
        .iter()
        .filter_map(|s| {
            let w = s.wake_word.as_ref()?;
            Some(s.start_seconds + f64::from(w.end_index_in_samples) / 16_000.0)
        })
        .collect()
}

/// Which takes were found, and the detections outside every take (false wakes).
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    found: Vec<bool>,
    false_wakes: usize,
}

impl Outcome {
    fn score(wake_words: &[f64], windows: &[(f64, f64)]) -> Self {
        let mut found = vec![false; windows.len()];
        let mut false_wakes = 0;
        for t in wake_words {
            match windows.iter().position(|(a, b)| t >= a && t <= b) {
                Some(k) => found[k] = true,
                None => false_wakes += 1,
            }
        }
        Self { found, false_wakes }
    }

    fn hits(&self) -> usize {
        self.found.iter().filter(|f| **f).count()
    }

    /// Takes found in `quiet` but not here.
    fn false_rejects(&self, quiet: &Self) -> usize {
        quiet
            .found
            .iter()
            .zip(&self.found)
            .filter(|(q, m)| **q && !**m)
            .count()
    }

    fn marks(&self) -> String {
        self.found
            .iter()
            .map(|f| if *f { '1' } else { '.' })
            .collect()
    }
}

/// The takes spoken over the programme (music and radio talk playing all along, as on a
/// speaker that has been playing for a while) at `esr_db` echo-to-speech, in every mode of
/// [`MODES`], and the same takes at the same level with nothing playing (the microphone's
/// noise floor only). Prints the figures; returns (no music, per mode).
fn recall_over_the_programme(esr_db: f64) -> (Outcome, Vec<Outcome>) {
    let (echo, programme) = long_echo_and_reference();
    let (noise, _) = read_wav(&data("aec-long/noise.wav"));
    let (near, windows) = near_end(&echo, esr_db);
    let len = near.len();
    assert!(
        len <= echo.len(),
        "the programme is too short for the takes"
    );
    let tmp = tempfile::tempdir().unwrap();
    let quiet_mic: Vec<f32> = near
        .iter()
        .zip(&noise)
        .map(|(s, n)| s + f32::from(*n))
        .collect();
    let quiet = Outcome::score(
        &wake_words(tmp.path(), "quiet", &quiet_mic, &[], Aec::Off),
        &windows,
    );
    let mic: Vec<f32> = near.iter().zip(&echo).map(|(s, e)| s + e).collect();
    let n = windows.len();
    println!(
        "{esr_db:+} dB echo-to-speech, {n} takes every {EVERY_S} s over the programme from \
         {LEAD_S} s on:\n  no music: {:2}/{n} {} false wakes {}",
        quiet.hits(),
        quiet.marks(),
        quiet.false_wakes
    );
    let outcomes: Vec<Outcome> = MODES
        .iter()
        .enumerate()
        .map(|(j, aec)| {
            let o = Outcome::score(
                &wake_words(tmp.path(), &format!("m{j}"), &mic, &programme[..len], *aec),
                &windows,
            );
            println!(
                "  music:    {:2}/{n} {} false wakes {}, false rejects {}: {}",
                o.hits(),
                o.marks(),
                o.false_wakes,
                o.false_rejects(&quiet),
                label(*aec)
            );
            o
        })
        .collect();
    (quiet, outcomes)
}

/// The targets for the default configuration: recall >= 90 % of the no-music recall,
/// false rejects while playing <= 15 % (of the takes found without music), no false wake.
fn assert_targets(quiet: &Outcome, outcomes: &[Outcome]) {
    let j = MODES
        .iter()
        .position(|m| *m == DEFAULT_ON)
        .expect("the default configuration is measured");
    let o = &outcomes[j];
    let q = quiet.hits();
    assert!(
        q >= 18,
        "the detector finds too few takes without music: {quiet:?}"
    );
    assert!(
        o.hits() as f64 >= 0.9 * q as f64,
        "recall with music under 90 % of the no-music recall: {} of {q}",
        o.hits()
    );
    assert!(
        o.false_rejects(quiet) as f64 <= 0.15 * q as f64,
        "false rejects with music over 15 %: {} of {q}",
        o.false_rejects(quiet)
    );
    assert_eq!(o.false_wakes, 0, "false wakes during the programme");
    assert_eq!(quiet.false_wakes, 0, "false wakes on the noise floor");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only (scripts/test.sh runs it): 500 s of audio through simulate 6 times"
)]
fn recall_with_music_at_plus_10_db() {
    let (quiet, outcomes) = recall_over_the_programme(10.0);
    assert_targets(&quiet, &outcomes);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only (scripts/test.sh runs it): 500 s of audio through simulate 12 times"
)]
fn recall_with_music_at_0_and_plus_20_db() {
    let default = MODES.iter().position(|m| *m == DEFAULT_ON).unwrap();
    for esr in [0.0, 20.0] {
        let (quiet, outcomes) = recall_over_the_programme(esr);
        let (off, on) = (&outcomes[0], &outcomes[default]);
        // No target at these ratios in the issue; what must hold: the canceller finds more
        // takes than the bare microphone, and wakes on nothing else.
        assert!(
            on.hits() > off.hits(),
            "{esr:+} dB: AEC finds {} takes, without it {}",
            on.hits(),
            off.hits()
        );
        assert_eq!(on.false_wakes, 0, "{esr:+} dB: false wakes with AEC");
        assert_eq!(quiet.false_wakes, 0, "false wakes on the noise floor");
    }
}

/// A full-speed `simulate` waits for the detector's and the delay worker's threads between
/// periods, so two runs of the same input give the same output to the sample: what the
/// detector found, when, and the PCM handed to the encoder (which the delay worker's estimate
/// changes from when it reaches the canceller on).
#[test]
fn a_full_speed_simulation_with_the_canceller_repeats_exactly() {
    let (echo, programme) = long_echo_and_reference();
    // The talker 10 dB over the music: found although the canceller has just started.
    let (near, _) = near_end(&echo, -10.0);
    // 12 s: the delay worker's first estimates (from 1.4 s on) and the first take (at 20 s)
    // would need more; a take is moved to 6 s instead.
    let take = &near[LEAD_S * 16_000..(LEAD_S + 4) * 16_000];
    let mut mic: Vec<f32> = echo[..12 * 16_000].to_vec();
    for (m, s) in mic[6 * 16_000..].iter_mut().zip(take) {
        *m += s;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.wav");
    write_2ch(&input, &to_i16(&mic), &to_i16(&programme[..mic.len()]));
    let run = |name: &str| {
        let cfg = config(DEFAULT_ON);
        let out = tmp.path().join(name);
        let detector = build_detector(&cfg.wakeword.options()).expect("detector");
        let args = SimulateArgs::new(cfg, &input, &out)
            .gate(GateMode::Auto)
            .pcm(true);
        let report = simulate(&args, Some(detector)).expect("simulate");
        let streams: Vec<(u64, Option<u32>, Vec<u8>)> = report
            .streams
            .iter()
            .map(|s| {
                let wav = out.join(s.file.replace(".ogg", ".wav"));
                (
                    s.first_sample_16k,
                    s.wake_word.as_ref().map(|w| w.end_index_in_samples),
                    std::fs::read(&wav).expect("the stream's PCM"),
                )
            })
            .collect();
        let aec = report.timing.aec.expect("echo state");
        (streams, aec.external_delay_ms, aec.delay_ms)
    };
    let first = run("a");
    assert!(!first.0.is_empty(), "the take opens a stream");
    assert!(first.1.is_some(), "the delay worker made an estimate");
    let second = run("b");
    assert_eq!(first.0.len(), second.0.len(), "streams");
    for (a, b) in first.0.iter().zip(&second.0) {
        assert_eq!((a.0, a.1), (b.0, b.1), "stream start and wake word");
        assert!(a.2 == b.2, "the stream's PCM differs between two runs");
    }
    assert_eq!((first.1, first.2), (second.1, second.2), "delay estimates");
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
        Aec::On(AecDetectorInput::Suppressed, DEFAULT_FILTER_LENGTH_MS, 1.0),
        Aec::On(AecDetectorInput::Linear, DEFAULT_FILTER_LENGTH_MS, 1.0),
        DEFAULT_ON,
    ] {
        let n = detections(tmp.path(), "long", &mic, &reference, aec);
        println!(
            "false wakes in {minutes:.0} minutes of music and radio talk, {}: {n}",
            label(aec)
        );
        if aec == DEFAULT_ON {
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
            DEFAULT_ON,
        );
    }
    println!(
        "false wakes on {seconds:.0} s of music and radio talk (echo only, AEC on): {false_wakes}"
    );
    assert_eq!(false_wakes, 0);
}
