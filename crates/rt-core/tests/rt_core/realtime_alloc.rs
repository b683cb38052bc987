//! The real-time loop never allocates: >= 2000 periods of the real loop (capture source,
//! denoise, resample, detector, gate with wake-word backlog, taps and holds, Opus) run under
//! the allocation guard, and the guard counts zero allocations. `scripts/test.sh` runs this in
//! a release build as well (assert_no_alloc's `warn_release` feature makes release builds check).
//! The same with the echo canceller on (channel reference at 16 and 48 kHz, device reference
//! with the delay worker's ring).

use std::sync::atomic::Ordering;

use engine_base::messages::{Command, Outbound};
use rt_core::aec::{AecOptions, ReferenceSource};
use rt_core::audio::wav::{Scripted, WavSource};
use rt_core::options::RealtimeOptions;
use rt_core::realtime::{self, StartOptions};
use test_support::*;

#[test]
fn guard_counts_an_allocation_so_this_test_can_fail() {
    let before = assert_no_alloc::violation_count();
    assert_no_alloc::assert_no_alloc(|| {
        let v = vec![1u8; 64];
        std::hint::black_box(v);
    });
    assert!(assert_no_alloc::violation_count() > before);
}

#[test]
fn two_thousand_periods_of_the_real_loop_allocate_nothing() {
    run(None);
}

#[test]
fn two_thousand_periods_with_the_echo_canceller_at_16_khz_allocate_nothing() {
    run(Some(AecOptions::default()));
}

#[test]
fn two_thousand_periods_with_the_echo_canceller_at_48_khz_allocate_nothing() {
    run(Some(AecOptions {
        rate: 48_000,
        ..AecOptions::default()
    }));
}

#[test]
fn two_thousand_periods_with_a_long_filter_and_the_linear_detector_input_allocate_nothing() {
    run(Some(AecOptions {
        filter_length_ms: 200,
        detector_input: rt_core::aec::AecDetectorInput::Linear,
        ..AecOptions::default()
    }));
}

#[test]
fn two_thousand_periods_with_a_device_reference_allocate_nothing() {
    run(Some(AecOptions {
        reference: ReferenceSource::Device,
        reference_device: "test".into(),
        ..AecOptions::default()
    }));
}

/// Runs 25 s through the loop; with `aec`, the source carries a reference (noise) whose
/// delayed echo is in the mic.
fn run(aec: Option<AecOptions>) {
    // 25 s of speech (the demo clip, repeated) with noise.
    let (clip, rate) = read_wav(&data("demo-48k.wav"));
    assert_eq!(rate, 48_000);
    let mut rng = Noise::new(7);
    let samples: Vec<i16> = clip
        .iter()
        .cycle()
        .take(25 * 48_000)
        .map(|s| (f32::from(*s) + 300.0 * rng.next()) as i16)
        .collect();
    let at = |s: f64| (s * 48_000.0) as u64;
    let script = vec![
        Scripted {
            at_sample: at(6.5),
            command: Command::Tap,
        },
        Scripted {
            at_sample: at(9.0),
            command: Command::End {
                stream: 0,
                reason: engine_base::messages::EndReason::Endpoint,
            },
        },
        Scripted {
            at_sample: at(10.0),
            command: Command::Press,
        },
        Scripted {
            at_sample: at(12.0),
            command: Command::Release,
        },
        Scripted {
            at_sample: at(13.0),
            command: Command::SetWakeWordEnabled(false),
        },
        Scripted {
            at_sample: at(14.0),
            command: Command::SetWakeWordEnabled(true),
        },
        Scripted {
            at_sample: at(20.0),
            command: Command::Continue,
        },
    ];
    // Without the canceller the source reads a real file, streamed period by period: the
    // file read (hound over a BufReader) is inside the guard too.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("input.wav");
    write_wav(&path, &samples, 48_000);
    let mut source = WavSource::open(&path, false).unwrap();
    if aec.is_some() {
        let mut rng = Noise::new(11);
        let reference: Vec<i16> = (0..samples.len())
            .map(|_| (3000.0 * rng.next()) as i16)
            .collect();
        let mic: Vec<i16> = samples
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let echo = if i >= 2400 {
                    reference[i - 2400] / 2
                } else {
                    0
                };
                s.saturating_add(echo)
            })
            .collect();
        source = WavSource::from_samples(mic, 48_000, false)
            .unwrap()
            .with_reference(reference)
            .unwrap();
    }
    let source = source.with_script(script);
    let detector = ScriptedDetector::boxed(&[(1.0, 1.6), (15.0, 15.6)]);
    let mut cfg = RealtimeOptions::default();
    cfg.pipeline.gate.local_endpoint = true;
    cfg.pipeline.denoise = true;
    cfg.pipeline.aec = aec.clone();
    let rt = realtime::start(
        &cfg,
        source,
        Some(detector),
        StartOptions {
            always: false,
            promote: false,
            backpressure: true,
            max_periods: None,
            pcm_tap: false,
        },
    )
    .expect("start");
    let mut rx = rt.outbound;
    let mut frames = 0u64;
    let mut streams = 0u64;
    loop {
        match rx.pop() {
            Ok(Outbound::SourceEnded) => break,
            Ok(Outbound::Frame(_)) => frames += 1,
            Ok(Outbound::StreamStarted { .. }) => streams += 1,
            Ok(_) => {}
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
    let outcome = rt.join.join().expect("rt thread");
    assert!(outcome.exit.is_ok());
    let tel = &rt.telemetry;
    let periods = tel.periods.load(Ordering::Relaxed);
    println!(
        "{periods} periods, {streams} streams, {frames} frames, {} allocations",
        tel.alloc_violations.load(Ordering::Relaxed)
    );
    assert!(periods >= 2000, "only {periods} periods");
    assert!(
        streams >= 4,
        "the script opens wake, tap, hold, wake and continuation streams"
    );
    assert!(frames > 500);
    assert!(
        tel.backlog_frames.load(Ordering::Relaxed) > 0,
        "the backlog path ran"
    );
    assert_eq!(tel.alloc_violations.load(Ordering::Relaxed), 0);
    if aec.is_some() {
        let a = tel.aec.snapshot().expect("aec telemetry");
        println!("echo state: {a:?}");
        assert!(a.reference_playing);
    }
}
