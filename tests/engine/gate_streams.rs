//! The gate through the real pipeline and loop (`simulate`), with a scripted wake-word detector
//! (a test double of the detector trait) and the button script.

use ama_engine::report::Report;
use ama_engine::simulate::{simulate, GateMode, SimulateArgs};
use engine_base::messages::{EndReason, Initiator};

use crate::support::*;

struct Sim {
    cfg: &'static str,
    gate: GateMode,
    taps: Vec<f64>,
    holds: Vec<(f64, f64)>,
    wake: Vec<(f64, f64)>,
}

impl Default for Sim {
    fn default() -> Self {
        Self {
            cfg: "[denoise]\nenabled = false\n",
            gate: GateMode::Auto,
            taps: vec![],
            holds: vec![],
            wake: vec![],
        }
    }
}

fn run(sim: Sim, dir: &std::path::Path) -> Report {
    let mut args = SimulateArgs::new(config(sim.cfg), data("demo-48k.wav"), dir)
        .gate(sim.gate)
        .pcm(true);
    args.taps = sim.taps;
    args.holds = sim.holds;
    simulate(&args, Some(ScriptedDetector::boxed(&sim.wake))).expect("simulate")
}

fn pcm(dir: &std::path::Path, file: &str) -> Vec<i16> {
    read_wav(&dir.join(file.replace(".ogg", ".wav"))).0
}

#[test]
fn wake_word_stream_starts_500_ms_before_the_word_with_its_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let all = tmp.path().join("all");
    let whole = run(
        Sim {
            gate: GateMode::Always,
            ..Sim::default()
        },
        &all,
    );
    let whole_pcm = pcm(&all, &whole.streams[0].file);

    let wake_dir = tmp.path().join("wake");
    // The word lies at 1.0 .. 1.6 s; the detector reports it 0.25 s after its end.
    let r = run(
        Sim {
            wake: vec![(1.0, 1.6)],
            ..Sim::default()
        },
        &wake_dir,
    );
    assert_eq!(r.streams.len(), 1);
    let st = &r.streams[0];
    assert_eq!(st.initiator, Initiator::Wakeword);
    assert_eq!(
        st.first_sample_16k, 8_000,
        "stream starts 0.5 s before the word"
    );
    assert_eq!(st.first_input_sample, 24_000);
    let w = st.wake_word.expect("wake-word indices");
    assert_eq!(w.start_index_in_samples, 8_000);
    assert_eq!(w.end_index_in_samples, 8_000 + 9_600);
    assert_eq!(st.missing_frames, 0);
    assert_eq!(st.end_reason, Some(EndReason::InputEnded));
    // The stream is exactly the engine's continuous output from its first sample: the
    // pre-roll and the backlog were encoded in order, nothing lost or repeated.
    let s = pcm(&wake_dir, &st.file);
    assert!(s.len() > 40_000);
    assert_eq!(&s[..], &whole_pcm[8_000..8_000 + s.len()]);
    // The backlog was spread: never more than 1 + catch-up frames per block.
    assert!(r.timing.backlog_frames > 0);
    assert!(
        r.timing.max_frames_per_block <= 3,
        "{} frames in one block",
        r.timing.max_frames_per_block
    );
    println!(
        "backlog: {} backlog frames, {} extra catch-up frames, at most {} frames per 10 ms block, {} catch-up periods over budget",
        r.timing.backlog_frames, r.timing.catchup_frames, r.timing.max_frames_per_block, r.timing.catchup_overruns
    );
}

#[test]
fn tap_streams_from_the_tap_without_pre_roll() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            taps: vec![1.0],
            ..Sim::default()
        },
        tmp.path(),
    );
    assert_eq!(r.streams.len(), 1);
    let st = &r.streams[0];
    assert_eq!(st.initiator, Initiator::Tap);
    assert_eq!(st.first_sample_16k, 16_000);
    assert!(st.wake_word.is_none());
    assert_eq!(r.timing.catchup_frames, 0, "a tap has no backlog");
}

#[test]
fn press_and_hold_streams_from_press_to_release() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            holds: vec![(1.0, 2.5)],
            ..Sim::default()
        },
        tmp.path(),
    );
    assert_eq!(r.streams.len(), 1);
    let st = &r.streams[0];
    assert_eq!(st.initiator, Initiator::PressAndHold);
    assert_eq!(st.end_reason, Some(EndReason::Release));
    assert_eq!(st.first_sample_16k, 16_000);
    assert!(
        (st.frames as i64 - 75).abs() <= 1,
        "{} frames for a 1.5 s hold",
        st.frames
    );
}

#[test]
fn max_utterance_length_ends_the_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            cfg: "[gate]\nmax_utterance_ms = 1000\n",
            taps: vec![0.5, 3.0],
            ..Sim::default()
        },
        tmp.path(),
    );
    assert_eq!(r.streams.len(), 2, "the second tap opens a second stream");
    for st in &r.streams {
        assert_eq!(st.end_reason, Some(EndReason::MaxDuration));
        assert_eq!(st.frames, 50);
    }
}

#[test]
fn a_capped_wake_word_utterance_reports_its_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            cfg: "[denoise]\nenabled = false\n\n[gate]\nmax_utterance_ms = 1000\n",
            wake: vec![(1.0, 1.6)],
            ..Sim::default()
        },
        tmp.path(),
    );
    assert_eq!(r.streams.len(), 1);
    let st = &r.streams[0];
    assert_eq!(st.initiator, Initiator::Wakeword);
    assert_eq!(st.end_reason, Some(EndReason::MaxDuration));
    assert_eq!(st.frames, 50, "1 s from the pre-roll's start");
    // report.json says so, with the cap.
    let text = std::fs::read_to_string(tmp.path().join("report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["gate"], "auto");
    assert_eq!(v["max_utterance_ms"], 1000);
    assert_eq!(v["streams"][0]["end_reason"], "max_duration");
    assert_eq!(v["streams"][0]["initiator"], "wakeword");
}

#[test]
fn local_end_of_speech_ends_a_tap_utterance() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            cfg: "[gate]\nlocal_endpoint = true\n",
            taps: vec![0.9],
            ..Sim::default()
        },
        tmp.path(),
    );
    let st = &r.streams[0];
    assert_eq!(st.end_reason, Some(EndReason::LocalEndOfSpeech));
    // The clip has 2 s of silence after the request; the stream ends well before the input.
    let end_s = st.start_seconds + st.sample_count as f64 / 16_000.0;
    assert!(end_s < 4.8, "ended at {end_s:.2} s");
}

#[test]
fn detections_while_streaming_do_not_open_a_second_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            wake: vec![(1.0, 1.6), (2.0, 2.6)],
            ..Sim::default()
        },
        tmp.path(),
    );
    assert_eq!(r.timing.detections, 2);
    assert_eq!(r.streams.len(), 1);
}

#[test]
fn raw_detector_input_is_moved_onto_the_denoised_stream_timeline() {
    // With denoise on and the detector on the raw path, the stream (denoised) lags the
    // detector's audio by the suppressor's 10 ms: the gate shifts the detection by 160.
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        Sim {
            cfg: "[denoise]\nenabled = true\nwakeword_input = \"raw\"\n",
            wake: vec![(1.0, 1.6)],
            ..Sim::default()
        },
        tmp.path(),
    );
    let st = &r.streams[0];
    assert_eq!(st.first_sample_16k, 8_000 + 160);
    let w = st.wake_word.unwrap();
    assert_eq!(
        (w.start_index_in_samples, w.end_index_in_samples),
        (8_000, 17_600)
    );
}
